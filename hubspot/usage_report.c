/* usage_report.c - see usage_report.h. */
#include "hubspot/usage_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/api_paths.h"
#include "hubspot/host.h"
#include "hubspot/statekv.h"
#include "hubspot/transport.h"
#include "plugin/error.h"
#include "plugin/json.h"
#include "plugin/record.h"
#include "plugin/usage.h"
#include "plugin/usage_record.h"

/* The one limit of that answer this connector's calls count against. */
#define API_USAGE_DAILY_NAME "private-apps-api-calls-daily"

/* The value under state key (NULL when there is none) into *out, owned
 * by the caller. Unreadable state is reported, not skipped: a report
 * that quietly showed nothing would read as a quiet month. */
static oc_status read_key(struct oc_instance *in, const char *key, char **out, size_t *len,
                          struct oc_error *err)
{
    oc_status rc = hs_state_read(in, key, out, len);
    if(rc == OC_E_NOT_FOUND)
        return OC_OK;
    if(rc == OC_E_NOMEM)
        return kit_fail(err, rc, "usage: out of memory reading the saved usage");
    if(rc)
        return kit_fail(err, OC_E_IO, "usage: the host could not read the saved usage (state key \"%s\", status %d)",
                        key, rc);
    return OC_OK;
}

/* The kept days of the history key into view. */
static oc_status load_history(struct oc_instance *in, struct kit_usage *view, struct oc_error *err)
{
    char *text = NULL, why[160];
    size_t len = 0;
    oc_status rc = read_key(in, KIT_USAGE_HISTORY_KEY, &text, &len, err);
    if(!rc && text && kit_usage_history_from_json(view, text, len, why, sizeof why))
        rc = kit_fail(err, OC_E_PROTOCOL,
                      "usage: the kept usage history (state key \"%s\") is unreadable: %s; the next day's "
                      "first API call starts it again",
                      KIT_USAGE_HISTORY_KEY, why);
    free(text);
    return rc;
}

/* The usage record into view: its counts when they are today's, the
 * days it moves (its own when older, or the history an older layout
 * kept inside it) kept whole as the client keeps them (usage.h). */
static oc_status load_today(struct oc_instance *in, struct kit_usage *view, struct oc_error *err)
{
    char *text = NULL, why[160];
    size_t len = 0;
    oc_status rc = read_key(in, KIT_USAGE_KEY, &text, &len, err);
    if(rc || !text)
        return rc;
    struct kit_usage saved, moved;
    kit_usage_init(&saved);
    kit_usage_init(&moved);
    if(kit_usage_from_json(&saved, text, len, why, sizeof why)) {
        rc = kit_fail(err, OC_E_PROTOCOL,
                      "usage: the saved usage (state key \"%s\") is unreadable: %s; the next API call "
                      "starts it again",
                      KIT_USAGE_KEY, why);
        goto out;
    }
    kit_usage_reset(&moved, view->day);
    moved.offset_ms = view->offset_ms;
    if(kit_usage_belongs(&saved, view->day, view->offset_ms) &&
       (kit_usage_add(&moved, &saved) || kit_usage_keep_days(view, &moved) ||
        (kit_usage_drop_history(&moved), kit_usage_add(view, &moved))))
        rc = kit_fail(err, OC_E_NOMEM, "usage: out of memory reading the saved usage");
out:
    kit_usage_free(&saved);
    kit_usage_free(&moved);
    free(text);
    return rc;
}

/* Today's counts and the kept days, on the account's day as authorize
 * last learnt it, into view (initialised here; the caller frees it). */
static oc_status load_view(struct oc_instance *in, struct kit_usage *view, struct kit_usage_zone *z,
                           struct oc_error *err)
{
    char today[11], why[160];
    kit_usage_init(view);
    if(kit_usage_zone_load(in->host, HS_ACCOUNT_KEY, z, why, sizeof why))
        hs_log(in, OC_LOG_WARN, "usage: the saved account time zone is unusable (%s); days are UTC dates", why);
    kit_usage_day_at(hs_now_ms(in), z->offset_ms, today);
    kit_usage_reset(view, today);
    kit_usage_set_zone(view, z);
    view->budget = in->opt.daily_budget;
    oc_status rc = load_history(in, view, err);
    return rc ? rc : load_today(in, view, err);
}

/* One usage record: a kept day's (usage_day) or today's. */
static oc_status emit_usage(struct oc_instance *in, const char *kind, const struct kit_usage *u, int today,
                            struct oc_error *err)
{
    struct kit_usage_record r;
    kit_usage_record_init(&r);
    int bad = today ? kit_usage_record_today(&r, in->host, u, kit_usage_next_reset(hs_now_ms(in), u->offset_ms),
                                             NULL)
                    : kit_usage_record_day(&r, in->host, u);
    oc_status rc = bad ? kit_fail(err, OC_E_NOMEM, "usage: out of memory building the %s record", kind)
                       : hs_emit(in, kind, u->day, r.f, r.nf);
    kit_usage_record_free(&r);
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
    kit_http_req_init(&q, "GET", hs_api_template(in->opt.api, HS_EP_ACCOUNT_API_USAGE), NULL, 0, "account-info.api-usage");
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
                     hs_api_template(in->opt.api, HS_EP_ACCOUNT_API_USAGE));
        goto out;
    }
    char name[80], resets[40], collected[40], fetch[24];
    member(j, pick, "name", name, sizeof name);
    member(j, pick, "resetsAt", resets, sizeof resets);
    member(j, pick, "collectedAt", collected, sizeof collected);
    member(j, pick, "fetchStatus", fetch, sizeof fetch);
    struct kit_usage_record r;
    kit_usage_record_init(&r);
    kit_usage_record_str(&r, "day", today->day);
    kit_usage_record_str(&r, "name", name);
    kit_usage_record_num(&r, "current_usage", used);
    kit_usage_record_num(&r, "usage_limit", limit);
    if(resets[0])
        kit_usage_record_str(&r, "resets_at", resets);
    if(collected[0])
        kit_usage_record_str(&r, "collected_at", collected);
    if(fetch[0])
        kit_usage_record_str(&r, "fetch_status", fetch);
    /* The call just made is in HubSpot's count too (or will be once its
     * cache refreshes): ours includes it. */
    kit_usage_record_num(&r, "connector_calls", (int64_t)today->calls + 1);
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
        rc = emit_usage(in, "usage_day", &view.hist[i], 0, err);
    if(!rc)
        rc = in->http ? kit_http_usage_emit(in->http, err) : emit_usage(in, "usage", &view, 1, err);
    if(!rc && in->opt.usage_remote)
        rc = emit_portal(in, &view, err);
    kit_usage_free(&view);
    return rc;
}
