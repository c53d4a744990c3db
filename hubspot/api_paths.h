/*
 * api_paths.h - the path of every HubSpot endpoint the plugin calls, per
 * API version, from one table (api_paths.c).
 *
 * HubSpot is replacing its semantic-version paths (/crm/v3/...) with
 * dated ones (/crm/objects/2026-03/...); the option api_version picks the
 * column. The per-endpoint usage names ("contacts.batch.upsert") are the
 * callers' and never change with the version. An endpoint without a dated
 * twin (the v1 email events, the token-info call) has the same path in
 * every column, so that a twin, once published, is one row's edit.
 */
#ifndef HS_API_PATHS_H
#define HS_API_PATHS_H

#include "plugin/buf.h"

/* The API's root URL (the base_url option's default). */
#define HS_API_ROOT_URL "https://api.hubapi.com"

enum hs_api_version {
    HS_API_V3,      /* the default until a recording confirms the dated twins */
    HS_API_2026_03,
    HS_API_VERSIONS
};

enum hs_endpoint {
    HS_EP_CONTACT,              /* {} = contact id or email */
    HS_EP_CONTACTS_BATCH_READ,
    HS_EP_CONTACTS_BATCH_UPSERT,
    HS_EP_CONTACTS_SEARCH,
    HS_EP_CONTACT_PROPERTIES,
    HS_EP_LIST,                 /* {} = list id */
    HS_EP_LIST_IDMAPPING,
    HS_EP_LIST_MEMBERSHIPS_ADD, /* {} = list id */
    HS_EP_ACCOUNT_DETAILS,
    HS_EP_ACCOUNT_API_USAGE,
    HS_EP_TOKEN_INFO,
    HS_EP_MARKETING_EMAILS,
    HS_EP_EMAIL_EVENTS,
    HS_EP_COUNT
};

/* The option's spelling of v ("v3", "2026-03"); static. */
const char *hs_api_version_name(enum hs_api_version v);
/* The versions known, for messages ("v3, 2026-03"); static. */
const char *hs_api_versions_known(void);
/* 0 and *out set when text names a known version, else -1. */
int hs_api_version_parse(const char *text, enum hs_api_version *out);

/* The path of ep under v (static). For an endpoint with a "{}" segment
 * this is the template; hs_api_path fills it. */
const char *hs_api_template(enum hs_api_version v, enum hs_endpoint ep);

/* Append ep's path under v to out, with arg percent-encoded into its
 * "{}" (arg is ignored by endpoints without one and must not be NULL for
 * those with one). Check kit_buf_ok(out) for memory. */
void hs_api_path(struct kit_buf *out, enum hs_api_version v, enum hs_endpoint ep,
                 const char *arg);

/* Rewrite path (decoded or not, with or without a '?' query, which is kept)
 * as the same endpoint under version to, when it is one of the table's
 * paths under from. 0 and out filled (appended), or -1 when no row matches
 * (out untouched). Recorders and tests move cassettes between versions with
 * it; the plugin itself never needs it. */
int hs_api_path_translate(const char *path, enum hs_api_version from, enum hs_api_version to,
                          struct kit_buf *out);

#endif
