/* transport.c - see transport.h. */
#include "hubspot/transport.h"

#include "hubspot/apierror.h"
#include "hubspot/headers.h"
#include "hubspot/identity.h"

static void header_hook(void *ctx, struct kit_http_meta *meta, const char *line, size_t len)
{
    (void)ctx;
    hs_headers_line(meta, line, len);
}

/* 429: by Retry-After, else by policyName (API-NOTES.md 3.4):
 * TEN_SECONDLY_ROLLING (or none) waits out the window for every call,
 * SECONDLY (search) waits a second, DAILY stops for the day. */
static void rate_limited(const struct kit_http_answer *a, struct oc_error *err,
                         struct kit_http_decision *d)
{
    char policy[64];
    enum hs_rate_policy p = hs_rate_policy_parse(hs_api_field(a->body, "policyName", policy,
                                                              sizeof policy));
    const char *cid = a->meta->correlation_id;
    d->policy = hs_rate_policy_name(p);
    if(p == HS_POLICY_DAILY) {
        hs_api_error(err, OC_E_BUDGET, a->what, a->status, a->body, cid, a->attempts);
        d->next = KIT_NEXT_STOP_DAY;
        return;
    }
    hs_api_error(err, OC_E_TRANSIENT, a->what, a->status, a->body, cid, a->attempts);
    if(p != HS_POLICY_SECONDLY) {
        d->next = KIT_NEXT_WINDOW;
        d->reason = p == HS_POLICY_TEN_SECONDLY ? "HubSpot's 10-second limit" : "HubSpot's rate limit (HTTP 429)";
        return;
    }
    d->next = KIT_NEXT_WAIT;
    d->reason = a->search ? "HubSpot's search limit (5 calls a second)" : "HubSpot's per-second limit";
    d->wait_ms = a->meta->retry_after_ms >= 0 ? a->meta->retry_after_ms : HS_SECONDLY_WAIT_MS;
    /* The search limit is the search calls' own; a non-search call told
     * SECONDLY holds everyone like a window. */
    d->hold_all = !a->search;
}

static void answer_hook(void *ctx, const struct kit_http_answer *a, struct oc_error *err,
                        struct kit_http_decision *d)
{
    (void)ctx;
    const char *cid = a->meta->correlation_id;
    if(a->status == 429) {
        rate_limited(a, err, d);
    } else if(hs_api_retryable(a->status)) {
        hs_api_error(err, OC_E_TRANSIENT, a->what, a->status, a->body, cid, a->attempts);
        d->next = KIT_NEXT_BACKOFF;
        d->wait_ms = a->status == 423 ? HS_LOCKED_WAIT_MS : 0;
        if(a->status == 423)
            d->reason = "HubSpot locked the record for a moment (HTTP 423)";
    } else {
        hs_api_error(err, hs_api_status(a->status), a->what, a->status, a->body, cid,
                     a->attempts);
        d->next = KIT_NEXT_FINAL;
    }
}

void hs_transport_configure(struct kit_http_config *cfg)
{
    cfg->user_agent = "onecount-" HS_PLUGIN_NAME "/" HS_PLUGIN_VERSION;
    cfg->hooks.ctx = NULL;
    cfg->hooks.header = header_hook;
    cfg->hooks.answer = answer_hook;
    cfg->server_name = "HubSpot";
    cfg->token_env = "HUBSPOT_ACCESS_TOKEN";
    cfg->base_url_env = "HUBSPOT_BASE_URL";
    cfg->token_source = "HubSpot (Settings > Integrations > Private Apps)";
    cfg->limit_names[0] = "X-HubSpot-RateLimit-Max";
    cfg->limit_names[1] = "Remaining";
    cfg->limit_names[2] = "Interval-Milliseconds";
    cfg->zone_key = HS_ACCOUNT_KEY;
    cfg->zone_note = HS_USAGE_SNAPSHOT_NOTE;
}
