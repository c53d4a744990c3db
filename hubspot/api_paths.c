/*
 * api_paths.c - one row per endpoint, one column per API version (see
 * API-NOTES.md, "Dated API versions", for the source of each dated path
 * and what is still UNCONFIRMED).
 */
#include "hubspot/api_paths.h"

#include <string.h>

#include "plugin/http.h"

static const char *const version_names[HS_API_VERSIONS] = {"v3", "2026-03"};

static const char *const paths[HS_EP_COUNT][HS_API_VERSIONS] = {
    [HS_EP_CONTACT] = {"/crm/v3/objects/contacts/{}", "/crm/objects/2026-03/contacts/{}"},
    [HS_EP_CONTACTS_BATCH_READ] = {"/crm/v3/objects/contacts/batch/read",
                                   "/crm/objects/2026-03/contacts/batch/read"},
    [HS_EP_CONTACTS_BATCH_UPSERT] = {"/crm/v3/objects/contacts/batch/upsert",
                                     "/crm/objects/2026-03/contacts/batch/upsert"},
    [HS_EP_CONTACTS_SEARCH] = {"/crm/v3/objects/contacts/search",
                               "/crm/objects/2026-03/contacts/search"},
    [HS_EP_CONTACT_PROPERTIES] = {"/crm/v3/properties/contacts", "/crm/properties/2026-03/contacts"},
    [HS_EP_LIST] = {"/crm/v3/lists/{}", "/crm/lists/2026-03/{}"},
    [HS_EP_LIST_IDMAPPING] = {"/crm/v3/lists/idmapping", "/crm/lists/2026-03/idmapping"},
    [HS_EP_LIST_MEMBERSHIPS_ADD] = {"/crm/v3/lists/{}/memberships/add",
                                    "/crm/lists/2026-03/{}/memberships/add"},
    [HS_EP_ACCOUNT_DETAILS] = {"/account-info/v3/details", "/account-info/2026-03/details"},
    [HS_EP_ACCOUNT_API_USAGE] = {"/account-info/v3/api-usage/daily/private-apps",
                                 "/account-info/2026-03/api-usage/daily/private-apps"},
    /* No dated twin published: the same path in every version. */
    [HS_EP_TOKEN_INFO] = {"/oauth/v2/private-apps/get/access-token-info",
                          "/oauth/v2/private-apps/get/access-token-info"},
    [HS_EP_MARKETING_EMAILS] = {"/marketing/v3/emails", "/marketing/emails/2026-03"},
    /* No dated twin published: the same path in every version. */
    [HS_EP_EMAIL_EVENTS] = {"/email/public/v1/events", "/email/public/v1/events"},
};

const char *hs_api_version_name(enum hs_api_version v)
{
    return (unsigned)v < HS_API_VERSIONS ? version_names[v] : "?";
}

const char *hs_api_versions_known(void) { return "v3, 2026-03"; }

int hs_api_version_parse(const char *text, enum hs_api_version *out)
{
    for(int v = 0; text && v < HS_API_VERSIONS; v++)
        if(!strcmp(text, version_names[v])) {
            *out = (enum hs_api_version)v;
            return 0;
        }
    return -1;
}

const char *hs_api_template(enum hs_api_version v, enum hs_endpoint ep)
{
    if((unsigned)v >= HS_API_VERSIONS)
        v = HS_API_V3;
    return (unsigned)ep < HS_EP_COUNT ? paths[ep][v] : "/";
}

void hs_api_path(struct kit_buf *out, enum hs_api_version v, enum hs_endpoint ep, const char *arg)
{
    const char *t = hs_api_template(v, ep);
    const char *hole = strstr(t, "{}");
    if(!hole) {
        kit_buf_puts(out, t);
        return;
    }
    kit_buf_append(out, t, (size_t)(hole - t));
    if(kit_url_encode(out, arg ? arg : ""))
        out->oom = 1;
    kit_buf_puts(out, hole + 2);
}

/* Does path[0..len) match template t? A "{}" matches one non-empty
 * segment; arg and arglen get it. */
static int matches(const char *t, const char *path, size_t len, const char **arg, size_t *arglen)
{
    const char *hole = strstr(t, "{}");
    if(!hole) {
        *arg = NULL;
        *arglen = 0;
        return strlen(t) == len && !memcmp(t, path, len);
    }
    size_t pre = (size_t)(hole - t), post = strlen(hole + 2);
    if(len <= pre + post || memcmp(path, t, pre) || memcmp(path + len - post, hole + 2, post))
        return 0;
    *arg = path + pre;
    *arglen = len - pre - post;
    return !memchr(*arg, '/', *arglen);
}

int hs_api_path_translate(const char *path, enum hs_api_version from, enum hs_api_version to,
                          struct kit_buf *out)
{
    if((unsigned)from >= HS_API_VERSIONS || (unsigned)to >= HS_API_VERSIONS)
        return -1;
    const char *q = strchr(path, '?');
    size_t len = q ? (size_t)(q - path) : strlen(path);
    /* Fixed paths first: "/contacts/search" must not be read as a
     * contact whose id is "search". */
    for(int pass = 0; pass < 2; pass++)
        for(int ep = 0; ep < HS_EP_COUNT; ep++) {
            const char *t = paths[ep][from];
            if((strstr(t, "{}") != NULL) != pass)
                continue;
            const char *arg;
            size_t arglen;
            if(!matches(t, path, len, &arg, &arglen))
                continue;
            const char *dst = paths[ep][to];
            const char *hole = strstr(dst, "{}");
            if(hole) {
                kit_buf_append(out, dst, (size_t)(hole - dst));
                kit_buf_append(out, arg, arglen);
                kit_buf_puts(out, hole + 2);
            } else {
                kit_buf_puts(out, dst);
            }
            if(q)
                kit_buf_puts(out, q);
            return 0;
        }
    return -1;
}
