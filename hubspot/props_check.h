/*
 * props_check.h - may the push write these contact properties (its input
 * columns) in this portal (props_check.c)? Checked before the first batch
 * that carries a column is sent, so a typo in a header stops the push
 * before any contact is written instead of failing every batch.
 *
 * The portal's properties come from GET /crm/v3/properties/contacts, one
 * call, kept in the instance and in the host's state (HS_PROPS_STATE_KEY)
 * for HS_PROPS_TTL_MS, so runs sharing a state file call once a day. An
 * answer not fetched by this push that calls a column unknown is fetched
 * again once before the push is stopped (the property may be new).
 */
#ifndef HS_PROPS_CHECK_H
#define HS_PROPS_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "hubspot/instance.h"
#include "plugin/json.h"

#define HS_PROPS_STATE_KEY "push/contact_properties"
#define HS_PROPS_TTL_MS INT64_C(86400000)

/* The portal's contact properties as kept: text is
 * {"at":ms,"p":[[name,label,writable 0|1],...]} (owned), j its parse.
 * Zero it to start; free with hs_props_catalog_free. */
struct hs_props_catalog {
    char *text;
    size_t len;
    struct kit_json j;
    int64_t at;
    int fetched; /* fetched by the current push (hs_props_catalog_new_push clears it) */
};

void hs_props_catalog_free(struct hs_props_catalog *c);
/* A new push starts: an answer kept from before is no longer its own. */
void hs_props_catalog_new_push(struct hs_props_catalog *c);

/* Check names[0..n) (borrowed, property names as the upsert sends them,
 * "email" excluded by the caller) against the portal's contact
 * properties, loading them (instance, then state, then one call) when
 * needed; n 0 makes no call. OC_E_CONFIG when any name is not a property
 * or is one the API may not write (read-only or calculated), err naming
 * every such name and the nearest writable property where one is close;
 * else OC_OK or what fetching said (err filled). */
oc_status hs_props_check(struct oc_instance *in, struct hs_props_catalog *c,
                         const char *const *names, size_t n, struct oc_error *err);

/* Judge one entry of GET /crm/v3/properties/contacts's results (object
 * token p of j, borrowed): nonzero when the API may write its value
 * (not modificationMetadata.readOnlyValue, not calculated). */
int hs_props_writable(const struct kit_json *j, int p);

#endif
