/*
 * authorize.h - the parts of authorize.c that read HubSpot's answers, so
 * the fuzz target tests/fuzz/fuzz_authorize.c can reach them without a
 * server. hs_authorize itself is declared in instance.h.
 */
#ifndef HS_AUTHORIZE_H
#define HS_AUTHORIZE_H

#include <stddef.h>
#include <stdint.h>

#include "hubspot/instance.h"
#include "plugin/buf.h"
#include "plugin/json.h"

/* What authorize learnt about the token and its account. The caller owns
 * the struct (zero it before use) and frees what it holds with
 * hs_auth_info_free; every string and the scopes array are owned by it.
 * Strings read from HubSpot end up in the record as they are kept here:
 * control bytes turned into spaces, the token masked (redact.h), and
 * ones holding \u0000 left out as if absent. */
struct hs_auth_info {
    int verified;            /* scopes known (token-info answered)          */
    int64_t hub_id, app_id, portal_id;
    int has_hub, has_app, has_portal;
    int64_t offset_ms;       /* utcOffsetMilliseconds                       */
    int has_offset;
    char *time_zone, *data_hosting_location, *account_type, *ui_domain;
    char **scopes;           /* granted, owned                              */
    size_t nscopes;
    struct kit_buf granted;   /* the same, comma-joined                      */
    /* Streams the granted scopes do not serve and why
     * (hs_scopes_streams_blocked); empty when none or not verified. */
    struct kit_buf streams_blocked;
};

/* Free what ai holds (not ai itself); ai is left unusable until zeroed. */
void hs_auth_info_free(struct hs_auth_info *ai);

/* Read a token-info answer j (parsed body of a 2xx; borrowed, only read
 * during the call) into ai: hub and app id when present, and the granted
 * scopes (ai->verified) when the answer has a scopes array. in is only
 * used to log through its host. OC_OK, or OC_E_PROTOCOL / OC_E_NOMEM with
 * err filled. */
oc_status hs_authorize_parse_token_info(struct oc_instance *in, const struct kit_json *j,
                                        struct hs_auth_info *ai, struct oc_error *err);

/* Read an account-info answer j (parsed body of a 2xx; borrowed) into ai:
 * portal id, time zone, hosting location, account type, UI domain and a
 * plausible UTC offset, each when present. OC_OK, or OC_E_PROTOCOL /
 * OC_E_NOMEM with err filled. */
oc_status hs_authorize_parse_account(const struct kit_json *j, struct hs_auth_info *ai,
                                     struct oc_error *err);

/* Emit the "authorization" record of ai through in's host with the given
 * status text and, when ai->verified, the missing and blocked scopes (and
 * streams_blocked when ai names any)
 * (hs_scopes_missing's buffers; all borrowed, only read during the call).
 * OC_OK, or OC_E_CANCELLED / OC_E_INVALID with err filled. */
oc_status hs_authorize_emit_record(struct oc_instance *in, const struct hs_auth_info *ai,
                                   const char *status, const struct kit_buf *missing,
                                   const struct kit_buf *blocked, struct oc_error *err);

#endif
