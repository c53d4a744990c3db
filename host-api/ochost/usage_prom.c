/* usage_prom.c - see usage_prom.h. */
#include "host-api/ochost/usage_prom.h"

#include <stddef.h>
#include <string.h>
#include <time.h>

#define PREFIX "onecount_hubspot_"

/* A label value: backslash, double quote and line feed escaped, as the
 * format requires. */
static void label_value(FILE *f, const char *s)
{
    for(; *s; s++) {
        if(*s == '\\')
            fputs("\\\\", f);
        else if(*s == '"')
            fputs("\\\"", f);
        else if(*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP " PREFIX "%s %s\n# TYPE " PREFIX "%s %s\n", name, help, name, type);
}

/* "2026-11-29T05:00:00Z" as epoch seconds; -1 when not that form. */
static long long iso_seconds(const char *iso)
{
    struct tm tm = {0};
    char z = 0;
    if(sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
              &tm.tm_sec, &z) != 7 || z != 'Z')
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (long long)timegm(&tm);
}

int och_usage_prometheus(FILE *f, const struct och_usage_data *d)
{
    const struct och_usage_row *r = NULL;
    for(size_t i = 0; i < d->nrows; i++)
        if(d->rows[i].today)
            r = &d->rows[i];
    if(!r && d->nrows)
        r = &d->rows[d->nrows - 1];
    static const struct {
        const char *name, *help;
        size_t offset;
    } counters[] = {
        {"calls_total", "HubSpot API calls this connector made today (account's day), by endpoint.",
         offsetof(struct och_usage_ep, calls)},
        {"rate_limited_total", "HubSpot answers 429 (rate limited) today, by endpoint.",
         offsetof(struct och_usage_ep, n429)},
        {"retries_total", "Calls that were retries of an earlier attempt today, by endpoint.",
         offsetof(struct och_usage_ep, retries)},
    };
    for(size_t c = 0; r && c < sizeof counters / sizeof counters[0]; c++) {
        family(f, counters[c].name, "counter", counters[c].help);
        for(size_t k = 0; k < r->nep; k++) {
            int64_t v;
            memcpy(&v, (const char *)&r->ep[k] + counters[c].offset, sizeof v);
            fprintf(f, PREFIX "%s{endpoint=\"", counters[c].name);
            label_value(f, r->ep[k].name);
            fprintf(f, "\"} %lld\n", (long long)v);
        }
    }
    if(r && r->npol) {
        family(f, "rate_limited_by_policy_total", "counter",
               "HubSpot answers 429 (rate limited) today, by the limit HubSpot named (policyName).");
        for(size_t k = 0; k < r->npol; k++) {
            fputs(PREFIX "rate_limited_by_policy_total{policy=\"", f);
            label_value(f, r->pol[k].name);
            fprintf(f, "\"} %lld\n", (long long)r->pol[k].n429);
        }
    }
    if(r && r->daily_limit >= 0) {
        family(f, "daily_limit_calls", "gauge", "HubSpot's daily API call limit for the portal, as last seen.");
        fprintf(f, PREFIX "daily_limit_calls %lld\n", (long long)r->daily_limit);
    }
    if(r && r->daily_remaining >= 0) {
        family(f, "daily_remaining_calls", "gauge", "Calls left in HubSpot's daily limit, as last seen.");
        fprintf(f, PREFIX "daily_remaining_calls %lld\n", (long long)r->daily_remaining);
    }
    if(r && r->budget > 0) {
        int64_t left = r->budget - r->calls;
        family(f, "budget_calls", "gauge", "This connector's daily_budget (calls per day).");
        fprintf(f, PREFIX "budget_calls %lld\n", (long long)r->budget);
        family(f, "budget_remaining_calls", "gauge", "Calls left today in this connector's daily_budget.");
        fprintf(f, PREFIX "budget_remaining_calls %lld\n", (long long)(left > 0 ? left : 0));
    }
    long long reset = d->resets_at[0] ? iso_seconds(d->resets_at) : -1;
    if(reset >= 0) {
        family(f, "day_reset_timestamp_seconds", "gauge",
               "When the account's day, HubSpot's daily limit and the budget start again (Unix time).");
        fprintf(f, PREFIX "day_reset_timestamp_seconds %lld\n", reset);
    }
    fflush(f);
    return ferror(f) ? -1 : 0;
}
