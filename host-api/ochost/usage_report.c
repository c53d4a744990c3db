/* usage_report.c - see usage_report.h. */
#include "host-api/ochost/usage_report.h"

#include <string.h>

#include "plugin/buf.h"
#include "plugin/json.h"

#define TOP_ENDPOINTS 3

/* Percent of part in whole with one decimal, as text ("-" without a
 * whole). */
static void percent(int64_t part, int64_t whole, char *out, size_t size)
{
    if(whole <= 0) {
        snprintf(out, size, "-");
        return;
    }
    int64_t tenths = (part * 1000 + whole / 2) / whole;
    snprintf(out, size, "%lld.%lld%%", (long long)(tenths / 10), (long long)(tenths % 10));
}

static void bar(int64_t calls, int64_t scale, char *out)
{
    int n = 0;
    if(scale > 0 && calls > 0) {
        int64_t w = (calls * OCH_USAGE_BAR_WIDTH + scale - 1) / scale;
        n = w > OCH_USAGE_BAR_WIDTH ? OCH_USAGE_BAR_WIDTH : (int)w;
    }
    memset(out, '#', (size_t)n);
    /* past the figure: the bar says so at its end */
    if(scale > 0 && calls > scale)
        out[n - 1] = '!';
    memset(out + n, '.', (size_t)(OCH_USAGE_BAR_WIDTH - n));
    out[OCH_USAGE_BAR_WIDTH] = '\0';
}

static void top_text(const struct och_usage_row *r, char *out, size_t size)
{
    size_t idx[TOP_ENDPOINTS];
    size_t n = och_usage_top(r, idx, TOP_ENDPOINTS), used = 0;
    out[0] = '\0';
    for(size_t i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s %lld", i ? ", " : "", r->ep[idx[i]].name,
                                 (long long)r->ep[idx[i]].calls);
}

static void projection_text(FILE *f, const struct och_usage_projection *p)
{
    if(!p->ok)
        return;
    fprintf(f, "\nprojection: at %lld calls/day (the last %d day%s), %s ends near %lld calls (%lld so far, %d "
               "day%s left)",
            (long long)p->rate, p->rate_days, p->rate_days == 1 ? "" : "s", p->month, (long long)p->projected,
            (long long)p->so_far, p->days_left, p->days_left == 1 ? "" : "s");
    char pc[48];
    if(p->daily_limit > 0) {
        percent(p->projected, p->daily_limit * p->days_in_month, pc, sizeof pc);
        fprintf(f, "; HubSpot's daily limit %lld allows %lld this month: %s", (long long)p->daily_limit,
                (long long)(p->daily_limit * p->days_in_month), pc);
    }
    if(p->budget > 0) {
        percent(p->projected, p->budget * p->days_in_month, pc, sizeof pc);
        fprintf(f, "; daily_budget %lld allows %lld: %s", (long long)p->budget,
                (long long)(p->budget * p->days_in_month), pc);
    }
    if(p->daily_limit > 0 && p->rate > p->daily_limit)
        fprintf(f, "; WARNING: the rate is above the daily limit, so HubSpot will refuse calls (429 DAILY) "
                   "and may charge fees: lower the load or set daily_budget");
    else if(p->budget > 0 && p->rate > p->budget)
        fprintf(f, "; the rate is above daily_budget: runs will stop early (exit 5) on busy days");
    fputc('\n', f);
}

/* A limit's name as the 429s column shows it: HubSpot's three in short,
 * any other as given. */
static const char *policy_short(const char *name)
{
    static const char *const names[][2] = {{"TEN_SECONDLY_ROLLING", "10s"}, {"SECONDLY", "1s"}, {"DAILY", "day"}};
    for(size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if(!strcmp(name, names[i][0]))
            return names[i][1];
    return name;
}

/* The 429s cell: "3", or "3 (10s:2, day:1)" when the limits are known. */
static void n429_text(const struct och_usage_row *r, char *out, size_t size)
{
    size_t n = (size_t)snprintf(out, size, "%lld", (long long)r->n429);
    for(size_t i = 0; i < r->npol && n < size; i++)
        n += (size_t)snprintf(out + n, size - n, "%s%s:%lld%s", i ? ", " : " (", policy_short(r->pol[i].name),
                              (long long)r->pol[i].n429, i + 1 == r->npol ? ")" : "");
}

int och_usage_report_text(FILE *f, const struct och_usage_data *d, int days)
{
    size_t first = och_usage_first(d, days);
    fprintf(f, "%-10s %8s %7s %-11s %5s %7s  %-*s  %s\n", "day", "calls", "share", "of", "429s", "retries",
            OCH_USAGE_BAR_WIDTH, "bar (100% = the day's figure)", "top endpoints");
    for(size_t i = first; i < d->nrows; i++) {
        const struct och_usage_row *r = &d->rows[i];
        const char *what;
        int64_t ref = och_usage_reference(r, &what);
        char pc[48], b[OCH_USAGE_BAR_WIDTH + 1], top[256], n429[160];
        percent(r->calls, ref, pc, sizeof pc);
        int64_t scale = ref;
        if(!scale) /* no figure known: bars relative to the busiest day */
            for(size_t k = first; k < d->nrows; k++)
                if(d->rows[k].calls > scale)
                    scale = d->rows[k].calls;
        bar(r->calls, scale, b);
        top_text(r, top, sizeof top);
        n429_text(r, n429, sizeof n429);
        fprintf(f, "%-10s %8lld %7s %-11s %5s %7lld  %s  %s%s\n", r->day, (long long)r->calls, pc,
                ref ? what : "-", n429, (long long)r->retries, b, top, r->today ? "  (today)" : "");
    }
    if(d->basis[0])
        fprintf(f, "days: %s; today resets at %s\n", d->basis, d->resets_at[0] ? d->resets_at : "?");
    if(d->nrows && d->rows[d->nrows - 1].today && d->rows[d->nrows - 1].ahead)
        fprintf(f, "today's calls include %lld counted ahead by a run that did not finish (the count is "
                   "kept high, never low, so the budget holds)\n",
                (long long)d->rows[d->nrows - 1].ahead);
    struct och_usage_projection p;
    och_usage_project(d, &p);
    projection_text(f, &p);
    och_usage_report_portal(f, d);
    fflush(f);
    return ferror(f) ? -1 : 0;
}

int och_usage_report_portal(FILE *f, const struct och_usage_data *d)
{
    const struct och_usage_portal *p = &d->portal;
    if(!p->present)
        return 0;
    char pc[48], share[48];
    percent(p->current_usage, p->usage_limit, pc, sizeof pc);
    percent(p->connector_calls, p->current_usage, share, sizeof share);
    fprintf(f, "\nportal (HubSpot's count of every private app, %s%s%s): %lld of %lld calls today (%s)\n",
            p->fetch_status[0] ? p->fetch_status : "?", p->collected_at[0] ? ", collected " : "", p->collected_at,
            (long long)p->current_usage, (long long)p->usage_limit, pc);
    fprintf(f, "this connector: %lld calls today, %s of the portal's%s\n", (long long)p->connector_calls, share,
            p->connector_calls > p->current_usage
                ? " (HubSpot's count lags: it is refreshed from a cache, see collected)"
                : "");
    if(p->current_usage > p->connector_calls)
        fprintf(f, "other apps: %lld calls today\n", (long long)(p->current_usage - p->connector_calls));
    return ferror(f) ? -1 : 0;
}

static int line(FILE *f, struct kit_buf *b)
{
    kit_buf_putc(b, '\n');
    if(!kit_buf_ok(b))
        return -1;
    size_t n = fwrite(b->data, 1, b->len, f);
    b->len = 0;
    return n == 0 ? -1 : 0;
}

int och_usage_report_json(FILE *f, const struct och_usage_data *d, int days)
{
    struct kit_buf b = KIT_BUF_INIT;
    struct kit_jw w;
    int rc = 0;
    for(size_t i = och_usage_first(d, days); !rc && i < d->nrows; i++) {
        const struct och_usage_row *r = &d->rows[i];
        const char *what;
        int64_t ref = och_usage_reference(r, &what);
        kit_jw_init(&w, &b);
        kit_jw_obj(&w);
        kit_jw_kstr(&w, "kind", "usage_day");
        kit_jw_kstr(&w, "day", r->day);
        kit_jw_key(&w, "today");
        kit_jw_bool(&w, r->today);
        kit_jw_kint(&w, "calls", r->calls);
        if(r->ahead)
            kit_jw_kint(&w, "calls_counted_ahead", r->ahead);
        kit_jw_key(&w, "share_percent");
        if(ref) {
            char pc[48];
            percent(r->calls, ref, pc, sizeof pc);
            pc[strlen(pc) - 1] = '\0'; /* the number, without its % */
            kit_jw_raw(&w, pc, strlen(pc));
        } else {
            kit_jw_null(&w);
        }
        kit_jw_key(&w, "share_of");
        if(ref)
            kit_jw_str(&w, what);
        else
            kit_jw_null(&w);
        kit_jw_kint(&w, "429s", r->n429);
        kit_jw_key(&w, "429s_by_policy");
        kit_jw_obj(&w);
        for(size_t k = 0; k < r->npol; k++)
            kit_jw_kint(&w, r->pol[k].name, r->pol[k].n429);
        kit_jw_obj_end(&w);
        kit_jw_kint(&w, "retries", r->retries);
        kit_jw_kint(&w, "errors", r->errors);
        kit_jw_kint(&w, "budget", r->budget);
        kit_jw_key(&w, "daily_limit");
        if(r->daily_limit >= 0)
            kit_jw_int(&w, r->daily_limit);
        else
            kit_jw_null(&w);
        kit_jw_key(&w, "top_endpoints");
        kit_jw_arr(&w);
        size_t idx[TOP_ENDPOINTS];
        size_t n = och_usage_top(r, idx, TOP_ENDPOINTS);
        for(size_t k = 0; k < n; k++) {
            kit_jw_obj(&w);
            kit_jw_kstr(&w, "name", r->ep[idx[k]].name);
            kit_jw_kint(&w, "calls", r->ep[idx[k]].calls);
            kit_jw_obj_end(&w);
        }
        kit_jw_arr_end(&w);
        kit_jw_obj_end(&w);
        rc = kit_jw_error(&w) || line(f, &b);
    }
    struct och_usage_projection p;
    och_usage_project(d, &p);
    if(!rc && p.ok) {
        kit_jw_init(&w, &b);
        kit_jw_obj(&w);
        kit_jw_kstr(&w, "kind", "usage_projection");
        kit_jw_kstr(&w, "month", p.month);
        kit_jw_kint(&w, "rate_per_day", p.rate);
        kit_jw_kint(&w, "rate_days", p.rate_days);
        kit_jw_kint(&w, "so_far", p.so_far);
        kit_jw_kint(&w, "days_left", p.days_left);
        kit_jw_kint(&w, "projected", p.projected);
        kit_jw_key(&w, "month_limit");
        if(p.daily_limit > 0)
            kit_jw_int(&w, p.daily_limit * p.days_in_month);
        else
            kit_jw_null(&w);
        kit_jw_key(&w, "month_budget");
        if(p.budget > 0)
            kit_jw_int(&w, p.budget * p.days_in_month);
        else
            kit_jw_null(&w);
        kit_jw_obj_end(&w);
        rc = kit_jw_error(&w) || line(f, &b);
    }
    const struct och_usage_portal *q = &d->portal;
    if(!rc && q->present) {
        kit_jw_init(&w, &b);
        kit_jw_obj(&w);
        kit_jw_kstr(&w, "kind", "portal_usage");
        kit_jw_kstr(&w, "day", q->day);
        kit_jw_kstr(&w, "name", q->name);
        kit_jw_kint(&w, "current_usage", q->current_usage);
        kit_jw_kint(&w, "usage_limit", q->usage_limit);
        kit_jw_kint(&w, "connector_calls", q->connector_calls);
        kit_jw_kint(&w, "other_calls", q->current_usage > q->connector_calls ? q->current_usage - q->connector_calls : 0);
        kit_jw_kstr(&w, "collected_at", q->collected_at);
        kit_jw_kstr(&w, "fetch_status", q->fetch_status);
        kit_jw_obj_end(&w);
        rc = kit_jw_error(&w) || line(f, &b);
    }
    kit_buf_free(&b);
    fflush(f);
    return rc || ferror(f) ? -1 : 0;
}
