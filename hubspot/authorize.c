/*
 * authorize.c - "is my token right?": the token's shape, the scopes it
 * grants against the ones the plugin needs, and the portal it belongs to.
 *
 * Calls (API-NOTES.md sections 1.3, 1.4):
 *   POST /oauth/v2/private-apps/get/access-token-info  {"tokenKey": token}
 *        -> hubId, appId, scopes[]
 *   GET  /account-info/v3/details -> portalId, timeZone, dataHostingLocation
 * One "authorization" record is emitted whenever HubSpot accepted the
 * token, missing scopes included, so a host can show what is there and what
 * is not in one place. The account's time zone and UTC offset are saved
 * under host state key "account" (plugin/usage.h), because HubSpot's daily
 * limit resets at midnight there and usage counts its days by it.
 *
 * The token never leaves this file except inside the token-info body (the
 * HTTP client redacts it from everything it logs) and is never put in a
 * message: only its shape is described.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/authorize.h"
#include "hubspot/api_paths.h"
#include "hubspot/host.h"
#include "hubspot/instance.h"
#include "hubspot/scopes.h"
#include "hubspot/transport.h"
#include "plugin/error.h"
#include "plugin/json.h"
#include "plugin/redact.h"
#include "plugin/usage.h"


/* HubSpot's words on the end of the semantic-version paths (legacy
 * migration guide, API-NOTES.md "Dated API versions"); from V3_WARN_FROM_MS
 * (2027-03-01T00:00:00Z, six months ahead) authorize warns instead of
 * informing while api_version is still v3. */
#define V3_END_WORDS                                                                       \
    "HubSpot: \"In September 2027, all legacy APIs using semantic versions (e.g., v4, v3, " \
    "v2, and v1) will no longer be supported\""
#define V3_WARN_FROM_MS INT64_C(1803859200000)

#define FIX_TOKEN                                                                  \
    "copy the whole token again from HubSpot (Settings > Integrations > Private Apps " \
    "or Service Keys) and set HUBSPOT_ACCESS_TOKEN or access_token in the config to it"

void hs_auth_info_free(struct hs_auth_info *ai)
{
    for(size_t i = 0; i < ai->nscopes; i++)
        free(ai->scopes[i]);
    free(ai->scopes);
    free(ai->time_zone);
    free(ai->data_hosting_location);
    free(ai->account_type);
    free(ai->ui_domain);
    kit_buf_free(&ai->granted);
    kit_buf_free(&ai->streams_blocked);
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* pat-<letters><digits>-<8-4-4-4-12 hex>, the shape of private app tokens
 * and (per third-party reports, UNCONFIRMED) of service keys. The hublet
 * segment is matched loosely because HubSpot publishes no list of hublets
 * (UNCONFIRMED, API-NOTES.md 1.1); it is never parsed for routing. */
static int token_shape_ok(const char *t)
{
    static const size_t groups[] = {8, 4, 4, 4, 12};
    if(!t || strncmp(t, "pat-", 4))
        return 0;
    const char *p = t + 4, *start = p;
    while(*p >= 'a' && *p <= 'z')
        p++;
    if(p == start)
        return 0;
    start = p;
    while(*p >= '0' && *p <= '9')
        p++;
    if(p == start || *p++ != '-')
        return 0;
    for(size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        for(size_t i = 0; i < groups[g]; i++, p++)
            if(!is_hex(*p))
                return 0;
        if(g + 1 < sizeof groups / sizeof groups[0] && *p++ != '-')
            return 0;
    }
    return *p == '\0';
}

/* Keep what the HTTP layer learnt about the failed call (status,
 * correlationId, category) under our own message. */
static void keep_http_details(struct oc_error *err, const struct kit_http_req *r)
{
    if(!KIT_ERR_HAS(err, category))
        return;
    err->http_status = (int)r->status;
    snprintf(err->correlation_id, sizeof err->correlation_id, "%s", r->err.correlation_id);
    snprintf(err->category, sizeof err->category, "%s", r->err.category);
}

/* 401 and 530 mean the same to the publisher on either call: the token
 * itself is wrong. Returns OC_OK when r is neither. */
static oc_status token_rejected(const struct kit_http_req *r, struct oc_error *err)
{
    oc_status rc = OC_OK;
    if(r->status == 401)
        rc = kit_fail(err, OC_E_AUTH,
                     "HubSpot rejected the access token as invalid or expired (HTTP 401); "
                     "check that the private app or service key still exists, then " FIX_TOKEN);
    else if(r->status == 530)
        rc = kit_fail(err, OC_E_AUTH,
                     "HubSpot rejected the access token as malformed (HTTP 530); " FIX_TOKEN);
    if(rc)
        keep_http_details(err, r);
    return rc;
}

static oc_status oom(struct oc_error *err, const char *what)
{
    return kit_fail(err, OC_E_NOMEM, "authorize: out of memory %s", what);
}

/* Copy of string token t for the record: its text goes to hosts and
 * terminals as it is, so control bytes become spaces and anything holding
 * the token is masked (kit_fail does the same for messages). NULL on oom,
 * and NULL with *unusable set for text holding \u0000, which no scope or
 * zone name does: the caller treats it as absent. */
static char *server_text(const struct kit_json *j, int t, int *unusable)
{
    struct kit_buf b = KIT_BUF_INIT;
    *unusable = 0;
    if(kit_json_str(j, t, &b) || !kit_buf_ok(&b)) {
        kit_buf_free(&b);
        return NULL;
    }
    if(b.data && memchr(b.data, '\0', b.len)) {
        *unusable = 1;
        kit_buf_free(&b);
        return NULL;
    }
    char *s = kit_buf_take(&b);
    if(s) {
        kit_redact_value(s);
        kit_text_clean(s);
    }
    return s;
}

oc_status hs_authorize_parse_token_info(struct oc_instance *in, const struct kit_json *j,
                                        struct hs_auth_info *ai, struct oc_error *err)
{
    if(kit_json_type(j, 0) != KIT_JSON_OBJECT)
        return kit_fail(err, OC_E_PROTOCOL,
                       "HubSpot's token-info answer is not a JSON object; rerun with -v and "
                       "report it with the correlation id");
    ai->has_hub = kit_json_int64(j, kit_json_get(j, 0, "hubId"), &ai->hub_id) == 0;
    ai->has_app = kit_json_int64(j, kit_json_get(j, 0, "appId"), &ai->app_id) == 0;
    int arr = kit_json_get(j, 0, "scopes");
    if(kit_json_type(j, arr) != KIT_JSON_ARRAY) {
        /* The answer's shape is known from third-party clients only
         * (UNCONFIRMED, API-NOTES.md 1.3): without a scopes array we report
         * the scopes as unverified rather than all missing. */
        hs_log(in, OC_LOG_WARN,
               "authorize: HubSpot's token-info answer has no scopes list; scopes not verified");
        return OC_OK;
    }
    int n = kit_json_size(j, arr);
    ai->scopes = calloc(n ? (size_t)n : 1, sizeof *ai->scopes);
    if(!ai->scopes)
        return oom(err, "reading scopes");
    for(int i = 0, t = arr + 1; i < n; i++, t = kit_json_skip(j, t)) {
        int unusable;
        if(kit_json_type(j, t) != KIT_JSON_STRING)
            continue;
        char *s = server_text(j, t, &unusable);
        if(unusable)
            continue;
        if(!s)
            return oom(err, "reading scopes");
        ai->scopes[ai->nscopes++] = s;
        if(ai->nscopes > 1)
            kit_buf_putc(&ai->granted, ',');
        kit_buf_puts(&ai->granted, s);
    }
    if(!kit_buf_ok(&ai->granted))
        return oom(err, "reading scopes");
    ai->verified = 1;
    return OC_OK;
}

static void wipe(struct kit_buf *b)
{
    volatile char *p = b->data;
    for(size_t i = 0; p && i < b->len; i++)
        p[i] = 0;
    kit_buf_free(b);
}

static oc_status token_info(struct oc_instance *in, struct hs_auth_info *ai, struct oc_error *err)
{
    struct kit_buf body = KIT_BUF_INIT;
    struct kit_jw w;
    struct kit_http_req r;
    kit_http_req_init(&r, "POST", hs_api_template(in->opt.api, HS_EP_TOKEN_INFO), NULL, 0, "oauth.token-info");
    oc_status rc;
    kit_jw_init(&w, &body);
    kit_jw_obj(&w);
    kit_jw_kstr(&w, "tokenKey", in->opt.access_token);
    kit_jw_obj_end(&w);
    if(kit_jw_error(&w)) {
        rc = oom(err, "building the token-info request");
        goto out;
    }
    /* HubSpot documents the body; third-party notes say EU tokens also
     * need the Bearer header (UNCONFIRMED): the client always sends it. */
    r.body = body.data;
    r.body_len = body.len;
    rc = kit_http_call(in->http, &r, err);
    if(rc == OC_OK) {
        rc = hs_authorize_parse_token_info(in, &r.json, ai, err);
        goto out;
    }
    oc_status bad = token_rejected(&r, err);
    if(bad) {
        rc = bad;
        goto out;
    }
    if(r.status == 404 || r.status == 400) {
        /* Whether access-token-info answers for service keys is
         * UNCONFIRMED (API-NOTES.md 0.1). A 404/400 here is taken to mean
         * "this kind of token cannot be introspected": the account-info
         * call that follows still proves the token works, and the record
         * says the scopes are unverified instead of failing a working
         * token. A token HubSpot does not accept fails there with 401. */
        hs_log(in, OC_LOG_WARN,
               "authorize: HubSpot's token-info endpoint answered %ld for this token (service "
               "keys may not support it); scopes cannot be verified",
               r.status);
        kit_error_clear(err);
        rc = OC_OK;
    }
out:
    kit_http_req_free(&r);
    wipe(&body);
    return rc;
}

oc_status hs_authorize_parse_account(const struct kit_json *j, struct hs_auth_info *ai,
                                     struct oc_error *err)
{
    if(kit_json_type(j, 0) != KIT_JSON_OBJECT)
        return kit_fail(err, OC_E_PROTOCOL,
                       "HubSpot's account-info answer is not a JSON object; rerun with -v and "
                       "report it with the correlation id");
    ai->has_portal = kit_json_int64(j, kit_json_get(j, 0, "portalId"), &ai->portal_id) == 0;
    static const struct {
        const char *key;
        size_t off;
    } strs[] = {
        {"timeZone", offsetof(struct hs_auth_info, time_zone)},
        {"dataHostingLocation", offsetof(struct hs_auth_info, data_hosting_location)},
        {"accountType", offsetof(struct hs_auth_info, account_type)},
        {"uiDomain", offsetof(struct hs_auth_info, ui_domain)},
    };
    for(size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        int t = kit_json_get(j, 0, strs[i].key);
        if(kit_json_type(j, t) != KIT_JSON_STRING)
            continue; /* optional in practice whatever the spec says */
        int unusable;
        char *v = server_text(j, t, &unusable);
        if(unusable)
            continue;
        if(!v)
            return oom(err, "reading account details");
        *(char **)(void *)((char *)ai + strs[i].off) = v;
    }
    ai->has_offset =
        kit_json_int64(j, kit_json_get(j, 0, "utcOffsetMilliseconds"), &ai->offset_ms) == 0 &&
        ai->offset_ms >= -KIT_USAGE_MAX_OFFSET_MS && ai->offset_ms <= KIT_USAGE_MAX_OFFSET_MS;
    return OC_OK;
}

static oc_status account_details(struct oc_instance *in, struct hs_auth_info *ai,
                                 struct oc_error *err)
{
    struct kit_http_req r;
    kit_http_req_init(&r, "GET", hs_api_template(in->opt.api, HS_EP_ACCOUNT_DETAILS), NULL, 0, "account-info.details");
    oc_status rc = kit_http_call(in->http, &r, err);
    if(rc) {
        oc_status bad = token_rejected(&r, err);
        if(bad)
            rc = bad;
        goto out;
    }
    rc = hs_authorize_parse_account(&r.json, ai, err);
out:
    kit_http_req_free(&r);
    return rc;
}

/* Save the account's zone for usage (a snapshot: daylight saving moves the
 * real offset, and the next authorize brings the new one) and switch this
 * instance's usage day to it. Failing to save costs only the day's
 * alignment, never the authorization, so it is a warning. */
static void save_zone(struct oc_instance *in, const struct hs_auth_info *ai)
{
    struct kit_usage_zone z;
    struct kit_buf json = KIT_BUF_INIT;
    char basis[KIT_USAGE_BASIS_SIZE];
    if(!ai->has_offset) {
        hs_log(in, OC_LOG_WARN,
               "authorize: HubSpot's account-info answer has no usable utcOffsetMilliseconds; "
               "usage days keep their previous basis, so the daily budget may reset at the "
               "wrong hour: run authorize again later");
        return;
    }
    kit_usage_zone_utc(&z);
    z.known = 1;
    z.offset_ms = ai->offset_ms;
    z.at_ms = hs_now_ms(in);
    z.portal_id = ai->has_portal && ai->portal_id >= 0 ? ai->portal_id : -1;
    if(ai->time_zone && strlen(ai->time_zone) < sizeof z.name)
        memcpy(z.name, ai->time_zone, strlen(ai->time_zone) + 1);
    kit_usage_zone_basis(&z, basis, sizeof basis);
    oc_status rc = OC_E_NOMEM;
    if(kit_usage_zone_to_json(&z, &json))
        goto out;
    rc = OC_OK;
    if(in->host && in->host->state_put)
        rc = in->host->state_put(in->host->ctx, HS_ACCOUNT_KEY, json.data, json.len);
out:
    if(rc)
        hs_log(in, OC_LOG_WARN,
               "authorize: could not save the account's time zone (status %d); this run counts "
               "usage days in %s, later runs by what was saved before (or UTC): check that "
               "the state file is writable and run authorize again",
               rc, basis);
    kit_http_set_zone(in->http, &z);
    hs_log(in, OC_LOG_DEBUG, "authorize: usage days now follow %s", basis);
    kit_buf_free(&json);
}

static void add_str(struct oc_field *f, size_t *n, const char *key, const char *v)
{
    if(v)
        f[(*n)++] = (struct oc_field){key, v, OC_FIELD_STRING};
}

static void add_num(struct oc_field *f, size_t *n, const char *key, int have, int64_t v,
                    char *buf, size_t bufsize)
{
    if(!have)
        return;
    snprintf(buf, bufsize, "%lld", (long long)v);
    f[(*n)++] = (struct oc_field){key, buf, OC_FIELD_NUMBER};
}

/* While api_version is v3: when its paths end and how to move, into buf;
 * 1 when written, 0 for a dated version. */
static int v3_note(struct oc_instance *in, char *buf, size_t size)
{
    if(in->opt.api != HS_API_V3)
        return 0;
    snprintf(buf, size,
             "api_version is v3; %s. Once a run against this portal works with the dated "
             "paths, set api_version = %s in the config",
             V3_END_WORDS, hs_api_version_name(HS_API_VERSIONS - 1));
    return 1;
}

/* Said once per authorize: a WARN from V3_WARN_FROM_MS on, INFO before. */
static void say_v3_end(struct oc_instance *in)
{
    char note[400];
    if(!v3_note(in, note, sizeof note))
        return;
    int late = hs_now_ms(in) >= V3_WARN_FROM_MS;
    hs_log(in, late ? OC_LOG_WARN : OC_LOG_INFO, "authorize: %s", note);
}

oc_status hs_authorize_emit_record(struct oc_instance *in, const struct hs_auth_info *ai,
                                   const char *status, const struct kit_buf *missing,
                                   const struct kit_buf *blocked, struct oc_error *err)
{
    char portal[24], hub[24], app[24];
    struct oc_field f[16];
    size_t n = 0;
    add_num(f, &n, "portal_id", ai->has_portal, ai->portal_id, portal, sizeof portal);
    add_num(f, &n, "hub_id", ai->has_hub, ai->hub_id, hub, sizeof hub);
    add_num(f, &n, "app_id", ai->has_app, ai->app_id, app, sizeof app);
    add_str(f, &n, "time_zone", ai->time_zone);
    add_str(f, &n, "data_hosting_location", ai->data_hosting_location);
    add_str(f, &n, "account_type", ai->account_type);
    add_str(f, &n, "ui_domain", ai->ui_domain);
    if(ai->verified) {
        add_str(f, &n, "scopes_granted", kit_buf_str(&ai->granted));
        add_str(f, &n, "scopes_missing", kit_buf_str(missing));
        add_str(f, &n, "blocked", kit_buf_str(blocked));
        if(ai->streams_blocked.len)
            add_str(f, &n, "streams_blocked", kit_buf_str(&ai->streams_blocked));
    } else {
        add_str(f, &n, "note",
                "HubSpot did not report this token's scopes (its token-info endpoint may not "
                "support service keys); the token works, but check its scopes in HubSpot: "
                HS_SCOPES);
    }
    add_str(f, &n, "api_version", hs_api_version_name((enum hs_api_version)in->opt.api));
    char note[400];
    if(v3_note(in, note, sizeof note))
        add_str(f, &n, "api_version_note", note);
    add_str(f, &n, "status", status);
    oc_status rc = hs_emit(in, "authorization", ai->has_portal ? portal : NULL, f, n);
    if(rc == OC_E_CANCELLED)
        return kit_fail(err, rc, "authorize: the host asked to stop");
    if(rc)
        return kit_fail(err, rc, "authorize: the host has no emit callback for records");
    return OC_OK;
}

oc_status hs_authorize(struct oc_instance *in, struct oc_error *err)
{
    struct hs_auth_info ai = {0};
    struct kit_buf missing = KIT_BUF_INIT, blocked = KIT_BUF_INIT, streams = KIT_BUF_INIT;
    oc_status rc;
    kit_error_clear(err);
    if(!token_shape_ok(in->opt.access_token)) {
        rc = kit_fail(err, OC_E_AUTH,
                     "the token does not look like a HubSpot private app or service key token "
                     "(pat-<region>-<uuid>); " FIX_TOKEN);
        goto out;
    }
    rc = token_info(in, &ai, err);
    if(rc)
        goto out;
    rc = account_details(in, &ai, err);
    if(rc)
        goto out;
    save_zone(in, &ai);
    say_v3_end(in);
    int nmissing = 0, nstreams = 0;
    if(ai.verified) {
        nmissing = hs_scopes_missing(HS_SCOPES, (const char *const *)ai.scopes, ai.nscopes,
                                     &missing, &blocked);
        if(nmissing < 0) {
            rc = oom(err, "comparing scopes");
            goto out;
        }
        nstreams = hs_scopes_streams_blocked((const char *const *)ai.scopes, ai.nscopes, &streams,
                                             &ai.streams_blocked);
        if(nstreams < 0) {
            rc = oom(err, "comparing scopes");
            goto out;
        }
    }
    const char *status = !ai.verified ? "scopes_unverified" : nmissing ? "missing_scopes" : "ok";
    rc = hs_authorize_emit_record(in, &ai, status, &missing, &blocked, err);
    if(rc)
        goto out;
    /* A stream with a scope of its own missing blocks that stream only:
     * said, not a failed authorize, unless the manifest's scopes are
     * missing too. */
    char also[640] = "";
    if(nstreams)
        snprintf(also, sizeof also, ". Blocked as well: %s", kit_buf_str(&ai.streams_blocked));
    if(nmissing) {
        rc = kit_fail(err, OC_E_AUTH,
                     "the token lacks %d scope%s the plugin needs: %s. Add %s to the private "
                     "app or service key in HubSpot (Scopes tab), then run authorize again%s",
                     nmissing, nmissing == 1 ? "" : "s", kit_buf_str(&blocked),
                     nmissing == 1 ? "it" : "them", also);
        goto out;
    }
    if(nstreams)
        hs_log(in, OC_LOG_WARN, "authorize: the token works; %s (add one of those scopes in "
                                "HubSpot's Scopes tab to use it)",
               kit_buf_str(&ai.streams_blocked));
    kit_error_clear(err);
out:
    hs_auth_info_free(&ai);
    kit_buf_free(&missing);
    kit_buf_free(&blocked);
    kit_buf_free(&streams);
    return rc;
}
