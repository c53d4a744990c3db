/* usage_report.c - see usage_report.h. */
#include "hubspot/usage_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/host.h"
#include "hubspot/transport.h"
#include "plugin/error.h"
#include "plugin/json.h"
#include "plugin/record.h"
#include "plugin/usage.h"

#define API_USAGE_PATH "/account-info/v3/api-usage/daily/private-apps"
/* The one limit of that answer this connector's calls count against. */
#define API_USAGE_DAILY_NAME "private-apps-api-calls-daily"

/* Number fields are formatted into a record's own slots. */
struct fields {
    struct oc_field f[24];
    char num[20][24];
    size_t nf, nn;
};

static void num(struct fields *r, const char *key, int64_t v)
{
    snprintf(r->num[r->nn], sizeof r->num[r->nn], "%lld", (long long)v);
    r->f[r->nf++] = (struct oc_field){key, r->num[r->nn++], OC_FIELD_NUMBER};
}

static void str(struct fields *r, const char *key, const char *v)
{
    r->f[r->nf++] = (struct oc_field){key, v, OC_FIELD_STRING};
}

/* The saved usage record (NULL when there is none) into *out, owned by
 * the caller. Unreadable state is reported, not skipped: a report that
 * quietly showed nothing would read as a quiet month. */
static oc_status read_saved(struct oc_instance *in, char **out, size_t *len, struct oc_error *err)
{
    const struct oc_host *h = in->host;
    size_t size = 4096;
    *out = NULL;
    *len = 0;
    if(!h->state_get)
        return OC_OK;
    for(int pass = 0; pass < 2; pass++) {
        char *buf = malloc(size);
        if(!buf)
            return kit_fail(err, OC_E_NOMEM, "usage: out of memory reading the saved usage");
        oc_status rc = h->state_get(h->ctx, KIT_USAGE_KEY, buf, size, len);
        if(rc == OC_OK) {
            *out = buf;
            return OC_OK;
        }
        free(buf);
        if(rc == OC_E_NOT_FOUND)
            return OC_OK;
        if(rc != OC_E_RANGE || *len <= size || *len > KIT_JSON_MAX_BYTES)
            return kit_fail(err, OC_E_IO, "usage: the host could not read the saved usage (status %d)", rc);
        size = *len;
    }
    return kit_fail(err, OC_E_IO, "usage: the saved usage kept changing size while it was read");
}

/* Today's counts and the kept days, on the account's day as authorize
 * last learnt it, into view (initialised here; the caller frees it). */
static oc_status load_view(struct oc_instance *in, struct kit_usage *view, struct kit_usage_zone *z,
                           struct oc_error *err)
{
    char today[11], why[160];
    char *text = NULL;
    size_t len = 0;
    kit_usage_init(view);
    if(kit_usage_zone_load(in->host, HS_ACCOUNT_KEY, z, why, sizeof why))
        hs_log(in, OC_LOG_WARN, "usage: the saved account time zone is unusable (%s); days are UTC dates", why);
    kit_usage_day_at(hs_now_ms(in), z->offset_ms, today);
    kit_usage_reset(view, today);
    kit_usage_set_zone(view, z);
    view->budget = in->opt.daily_budget;
    oc_status rc = read_saved(in, &text, &len, err);
    if(rc || !text)
        return rc;
    struct kit_usage saved;
    kit_usage_init(&saved);
    if(kit_usage_from_json(&saved, text, len, why, sizeof why)) {
        free(text);
        return kit_fail(err, OC_E_PROTOCOL,
                       "usage: the saved usage (state key \"%s\") is unreadable: %s; the next API call "
                       "starts it again",
                       KIT_USAGE_KEY, why);
    }
    free(text);
    if(kit_usage_belongs(&saved, today, view->offset_ms) && kit_usage_add(view, &saved))
        rc = kit_fail(err, OC_E_NOMEM, "usage: out of memory reading the saved usage");
    kit_usage_free(&saved);
    return rc;
}

/* The per-endpoint table as one JSON field (by_endpoint for a host that
 * takes JSON values, by_endpoint_json as text for a 1.0 host). */
static int endpoints_field(struct oc_instance *in, const struct kit_usage *u, struct fields *r,
                           struct kit_buf *eps)
{
    if(kit_usage_endpoints_json(u, eps))
        return -1;
    r->f[r->nf++] = kit_json_field(in->host, "by_endpoint", "by_endpoint_json", kit_buf_str(eps));
    return 0;
}

static const char *const limit_keys[KIT_LIM_COUNT] = {"limit_max", "limit_remaining", "limit_interval_ms",
                                                       "daily_limit", "daily_remaining"};

static oc_status emit_day(struct oc_instance *in, const struct kit_usage *d, struct oc_error *err)
{
    struct fields r = {.nf = 0};
    struct kit_buf eps = KIT_BUF_INIT;
    uint64_t errors = 0;
    for(size_t i = 0; i < d->nep; i++)
        errors += d->ep[i].errors;
    str(&r, "day", d->day);
    num(&r, "calls", (int64_t)d->calls);
    num(&r, "calls_429", (int64_t)d->n429);
    num(&r, "retries", (int64_t)d->retries);
    num(&r, "errors", (int64_t)errors);
    num(&r, "utc_offset_ms", d->offset_ms);
    if(d->budget)
        num(&r, "budget", d->budget);
    for(int i = 0; i < KIT_LIM_COUNT; i++)
        if(d->limits[i] >= 0 && i != KIT_LIM_REMAINING && i != KIT_LIM_INTERVAL_MS)
            num(&r, limit_keys[i], d->limits[i]);
    oc_status rc = endpoints_field(in, d, &r, &eps)
                       ? kit_fail(err, OC_E_NOMEM, "usage: out of memory building a day's record")
                       : hs_emit(in, "usage_day", d->day, r.f, r.nf);
    kit_buf_free(&eps);
    if(rc == OC_E_CANCELLED)
        kit_fail(err, rc, "usage: the host stopped the usage report");
    return rc;
}

/* Today's record from state, for an instance without an HTTP client: the
 * fields kit_http_usage_emit writes. */
static oc_status emit_today(struct oc_instance *in, const struct kit_usage *u, struct oc_error *err)
{
    struct fields r = {.nf = 0};
    struct kit_buf eps = KIT_BUF_INIT;
    char resets[21];
    int64_t now = hs_now_ms(in);
    kit_usage_iso(kit_usage_next_reset(now, u->offset_ms), resets);
    str(&r, "day", u->day);
    str(&r, "day_basis", u->basis);
    str(&r, "resets_at", resets);
    num(&r, "calls", (int64_t)u->calls);
    num(&r, "calls_429", (int64_t)u->n429);
    num(&r, "retries", (int64_t)u->retries);
    if(u->budget) {
        int64_t left = u->budget - (int64_t)u->calls;
        num(&r, "budget", u->budget);
        num(&r, "budget_remaining", left > 0 ? left : 0);
    }
    for(int i = 0; i < KIT_LIM_COUNT; i++)
        if(u->limits[i] >= 0)
            num(&r, limit_keys[i], u->limits[i]);
    oc_status rc = endpoints_field(in, u, &r, &eps)
                       ? kit_fail(err, OC_E_NOMEM, "usage: out of memory building the usage record")
                       : hs_emit(in, "usage", u->day, r.f, r.nf);
    kit_buf_free(&eps);
    if(rc == OC_E_CANCELLED)
        kit_fail(err, rc, "usage: the host stopped the usage report");
    return rc;
}

/* String member key of object obj into out ("" when absent or not a
 * string). */
static void member(const struct kit_json *j, int obj, const char *key, char *out, size_t size)
{
    int t = kit_json_get(j, obj, key);
    char *s = t >= 0 && kit_json_type(j, t) == KIT_JSON_STRING ? kit_json_strdup(j, t) : NULL;
    snprintf(out, size, "%s", s ? s : "");
    free(s);
}

/* The portal's own count of today's private-app calls, beside ours. */
static oc_status emit_portal(struct oc_instance *in, const struct kit_usage *today, struct oc_error *err)
{
    if(!in->http)
        return kit_fail(err, OC_E_CONFIG,
                       "usage: asking HubSpot for the portal's usage needs the access token: set "
                       "HUBSPOT_ACCESS_TOKEN or access_token in the config file");
    struct kit_http_req q;
    kit_http_req_init(&q, "GET", API_USAGE_PATH, NULL, 0, "account-info.api-usage");
    oc_status rc = kit_http_call(in->http, &q, err);
    if(rc)
        goto out;
    const struct kit_json *j = &q.json;
    int results = j->ntok ? kit_json_get(j, 0, "results") : -1;
    int pick = -1;
    if(results >= 0 && kit_json_type(j, results) == KIT_JSON_ARRAY) {
        for(int i = 0, t = results + 1; i < kit_json_size(j, results); i++, t = kit_json_skip(j, t))
            if(kit_json_type(j, t) == KIT_JSON_OBJECT &&
               (pick < 0 || kit_json_eq(j, kit_json_get(j, t, "name"), API_USAGE_DAILY_NAME)))
                pick = t;
    }
    int64_t used = -1, limit = -1;
    int ut = pick >= 0 ? kit_json_get(j, pick, "currentUsage") : -1;
    int lt = pick >= 0 ? kit_json_get(j, pick, "usageLimit") : -1;
    if(ut < 0 || lt < 0 || kit_json_int64(j, ut, &used) || kit_json_int64(j, lt, &limit) || used < 0 ||
       limit < 0) {
        rc = kit_fail(err, OC_E_PROTOCOL,
                     "usage: GET %s answered without results[].currentUsage and usageLimit; the portal's "
                     "usage cannot be shown (the local report above is complete)",
                     API_USAGE_PATH);
        goto out;
    }
    char name[80], resets[40], collected[40], fetch[24];
    member(j, pick, "name", name, sizeof name);
    member(j, pick, "resetsAt", resets, sizeof resets);
    member(j, pick, "collectedAt", collected, sizeof collected);
    member(j, pick, "fetchStatus", fetch, sizeof fetch);
    struct fields r = {.nf = 0};
    str(&r, "day", today->day);
    str(&r, "name", name);
    num(&r, "current_usage", used);
    num(&r, "usage_limit", limit);
    if(resets[0])
        str(&r, "resets_at", resets);
    if(collected[0])
        str(&r, "collected_at", collected);
    if(fetch[0])
        str(&r, "fetch_status", fetch);
    /* The call just made is in HubSpot's count too (or will be once its
     * cache refreshes): ours includes it. */
    num(&r, "connector_calls", (int64_t)today->calls + 1);
    rc = hs_emit(in, "portal_usage", today->day, r.f, r.nf);
    if(rc == OC_E_CANCELLED)
        kit_fail(err, rc, "usage: the host stopped the usage report");
out:
    kit_http_req_free(&q);
    return rc;
}

oc_status hs_usage(struct oc_instance *in, struct oc_error *err)
{
    struct kit_usage view;
    struct kit_usage_zone z;
    oc_status rc = load_view(in, &view, &z, err);
    for(size_t i = 0; !rc && i < view.nhist; i++)
        rc = emit_day(in, &view.hist[i], err);
    if(!rc)
        rc = in->http ? kit_http_usage_emit(in->http, err) : emit_today(in, &view, err);
    if(!rc && in->opt.usage_remote)
        rc = emit_portal(in, &view, err);
    kit_usage_free(&view);
    return rc;
}
