/* usage_record.c - see usage_record.h. */
#include "plugin/usage_record.h"

#include <stdio.h>
#include <string.h>

#include "plugin/record.h"

void kit_usage_record_init(struct kit_usage_record *r)
{
    memset(r, 0, sizeof *r);
    r->eps = (struct kit_buf)KIT_BUF_INIT;
    r->pols = (struct kit_buf)KIT_BUF_INIT;
}

void kit_usage_record_free(struct kit_usage_record *r)
{
    kit_buf_free(&r->eps);
    kit_buf_free(&r->pols);
    kit_usage_record_init(r);
}

void kit_usage_record_num(struct kit_usage_record *r, const char *key, int64_t v)
{
    if(r->nf >= KIT_USAGE_RECORD_FIELDS || r->nn >= KIT_USAGE_RECORD_FIELDS)
        return;
    snprintf(r->num[r->nn], sizeof r->num[r->nn], "%lld", (long long)v);
    r->f[r->nf++] = (struct oc_field){key, r->num[r->nn++], OC_FIELD_NUMBER};
}

void kit_usage_record_str(struct kit_usage_record *r, const char *key, const char *v)
{
    if(r->nf < KIT_USAGE_RECORD_FIELDS)
        r->f[r->nf++] = (struct oc_field){key, v, OC_FIELD_STRING};
}

static void json_field(struct kit_usage_record *r, const struct oc_host *host, const char *key,
                       const char *text_key, const struct kit_buf *json)
{
    if(r->nf < KIT_USAGE_RECORD_FIELDS)
        r->f[r->nf++] = kit_json_field(host, key, text_key, kit_buf_str(json));
}

/* The counts both records carry: calls, 429s (by policy), retries. The
 * calls include those counted ahead (plugin/usage.h), said apart when
 * there are any, so a figure that decides a budget is never below it. */
static int counts(struct kit_usage_record *r, const struct oc_host *host, const struct kit_usage *u)
{
    kit_usage_record_num(r, "calls", (int64_t)(u->calls + u->ahead));
    if(u->ahead)
        kit_usage_record_num(r, "calls_counted_ahead", (int64_t)u->ahead);
    kit_usage_record_num(r, "calls_429", (int64_t)u->n429);
    if(u->npol) {
        if(kit_usage_policies_json(u, &r->pols))
            return -1;
        json_field(r, host, "calls_429_by_policy", "calls_429_by_policy_json", &r->pols);
    }
    kit_usage_record_num(r, "retries", (int64_t)u->retries);
    return 0;
}

static const char *const limit_keys[KIT_LIM_COUNT] = {
    "limit_max", "limit_remaining", "limit_interval_ms", "daily_limit", "daily_remaining"};

/* The limits seen; a kept day's only the daily ones (the others are a
 * moment's). */
static void limits(struct kit_usage_record *r, const struct kit_usage *u, int kept)
{
    for(int i = 0; i < KIT_LIM_COUNT; i++)
        if(u->limits[i] >= 0 && (!kept || i == KIT_LIM_DAILY || i == KIT_LIM_DAILY_REMAINING))
            kit_usage_record_num(r, limit_keys[i], u->limits[i]);
}

static int endpoints(struct kit_usage_record *r, const struct oc_host *host, const struct kit_usage *u)
{
    if(kit_usage_endpoints_json(u, &r->eps))
        return -1;
    json_field(r, host, "by_endpoint", "by_endpoint_json", &r->eps);
    return 0;
}

int kit_usage_record_today(struct kit_usage_record *r, const struct oc_host *host,
                           const struct kit_usage *u, int64_t resets_at_ms, const char *note)
{
    /* resets_at lives in a number slot: the struct owns its text. */
    char *resets = r->num[r->nn++];
    kit_usage_iso(resets_at_ms, resets);
    kit_usage_record_str(r, "day", u->day);
    kit_usage_record_str(r, "day_basis", u->basis);
    if(note)
        kit_usage_record_str(r, "day_basis_note", note);
    kit_usage_record_str(r, "resets_at", resets);
    if(counts(r, host, u))
        return -1;
    if(u->budget) {
        int64_t left = u->budget - (int64_t)(u->calls + u->ahead);
        kit_usage_record_num(r, "budget", u->budget);
        kit_usage_record_num(r, "budget_remaining", left > 0 ? left : 0);
    }
    limits(r, u, 0);
    return endpoints(r, host, u);
}

int kit_usage_record_day(struct kit_usage_record *r, const struct oc_host *host,
                         const struct kit_usage *d)
{
    uint64_t errors = 0;
    for(size_t i = 0; i < d->nep; i++)
        errors += d->ep[i].errors;
    kit_usage_record_str(r, "day", d->day);
    if(counts(r, host, d))
        return -1;
    kit_usage_record_num(r, "errors", (int64_t)errors);
    kit_usage_record_num(r, "utc_offset_ms", d->offset_ms);
    if(d->budget)
        kit_usage_record_num(r, "budget", d->budget);
    limits(r, d, 1);
    return endpoints(r, host, d);
}
