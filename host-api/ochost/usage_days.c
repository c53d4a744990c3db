/* usage_days.c - see usage_days.h. */
#include "host-api/ochost/usage_days.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin/json.h"

void och_usage_data_init(struct och_usage_data *d) { memset(d, 0, sizeof *d); }

static void row_free(struct och_usage_row *r)
{
    for(size_t i = 0; i < r->nep; i++)
        free(r->ep[i].name);
    free(r->ep);
}

void och_usage_data_free(struct och_usage_data *d)
{
    for(size_t i = 0; i < d->nrows; i++)
        row_free(&d->rows[i]);
    free(d->rows);
    och_usage_data_init(d);
}

static const struct oc_field *field(const struct oc_record *r, const char *key)
{
    for(size_t i = 0; i < r->nfields; i++)
        if(r->fields[i].key && !strcmp(r->fields[i].key, key) && r->fields[i].value)
            return &r->fields[i];
    return NULL;
}

/* A whole number field into *out (left alone when absent); -1 when it is
 * there but not a whole number. */
static int number(const struct oc_record *r, const char *key, int64_t *out)
{
    const struct oc_field *f = field(r, key);
    if(!f)
        return 0;
    char *end;
    long long v = strtoll(f->value, &end, 10);
    if(end == f->value || *end)
        return -1;
    *out = v;
    return 0;
}

static void text(const struct oc_record *r, const char *key, char *out, size_t size)
{
    const struct oc_field *f = field(r, key);
    snprintf(out, size, "%s", f ? f->value : "");
}

/* The endpoint table (JSON text) into row. */
static int endpoints(struct och_usage_row *row, const char *json, char *why, size_t whysize)
{
    struct kit_json j = {0};
    char jwhy[128];
    if(kit_json_parse(&j, json, strlen(json), jwhy, sizeof jwhy) || kit_json_type(&j, 0) != KIT_JSON_OBJECT) {
        snprintf(why, whysize, "the by_endpoint table of %s is not a JSON object", row->day);
        kit_json_free(&j);
        return -1;
    }
    int n = kit_json_size(&j, 0);
    if(n && !(row->ep = calloc((size_t)n, sizeof *row->ep)))
        goto oom;
    for(int i = 0, k = 1; i < n; i++, k = kit_json_skip(&j, k)) {
        struct och_usage_ep *e = &row->ep[row->nep];
        if(!(e->name = kit_json_strdup(&j, k)))
            goto oom;
        row->nep++;
        static const char *const keys[4] = {"calls", "429", "retries", "errors"};
        int64_t *dst[4] = {&e->calls, &e->n429, &e->retries, &e->errors};
        for(int c = 0; c < 4; c++) {
            int t = kit_json_get(&j, k + 1, keys[c]);
            if(t >= 0 && kit_json_int64(&j, t, dst[c])) {
                snprintf(why, whysize, "endpoint %s of %s has a %s that is not a whole number", e->name,
                         row->day, keys[c]);
                kit_json_free(&j);
                return -1;
            }
        }
    }
    kit_json_free(&j);
    return 0;
oom:
    snprintf(why, whysize, "out of memory");
    kit_json_free(&j);
    return -1;
}

/* The 429s-by-policy table (JSON text) into row; names past
 * OCH_USAGE_POLICIES are left out (the plugin keeps fewer). */
static int policies(struct och_usage_row *row, const char *json, char *why, size_t whysize)
{
    struct kit_json j = {0};
    char jwhy[128];
    int rc = 0;
    if(kit_json_parse(&j, json, strlen(json), jwhy, sizeof jwhy) || kit_json_type(&j, 0) != KIT_JSON_OBJECT)
        rc = -1;
    for(int i = 0, k = 1; !rc && i < kit_json_size(&j, 0); i++, k = kit_json_skip(&j, k)) {
        struct och_usage_policy *p = &row->pol[row->npol];
        char *name = kit_json_strdup(&j, k);
        if(!name || kit_json_int64(&j, k + 1, &p->n429) || p->n429 < 0)
            rc = -1;
        else if(row->npol < OCH_USAGE_POLICIES) {
            snprintf(p->name, sizeof p->name, "%s", name);
            row->npol++;
        }
        free(name);
    }
    if(rc)
        snprintf(why, whysize, "the calls_429_by_policy table of %s is not an object of whole numbers", row->day);
    kit_json_free(&j);
    return rc;
}

int och_usage_take(struct och_usage_data *d, const struct oc_record *r, char *why, size_t whysize)
{
    if(!r->kind)
        return 0;
    if(!strcmp(r->kind, "portal_usage")) {
        struct och_usage_portal *p = &d->portal;
        memset(p, 0, sizeof *p);
        text(r, "day", p->day, sizeof p->day);
        text(r, "name", p->name, sizeof p->name);
        text(r, "resets_at", p->resets_at, sizeof p->resets_at);
        text(r, "collected_at", p->collected_at, sizeof p->collected_at);
        text(r, "fetch_status", p->fetch_status, sizeof p->fetch_status);
        if(number(r, "current_usage", &p->current_usage) || number(r, "usage_limit", &p->usage_limit) ||
           number(r, "connector_calls", &p->connector_calls)) {
            snprintf(why, whysize, "the portal_usage record has a number that is not a whole number");
            return -1;
        }
        p->present = 1;
        return 0;
    }
    int today = !strcmp(r->kind, "usage");
    if(!today && strcmp(r->kind, "usage_day"))
        return 0;
    struct och_usage_row *grown = realloc(d->rows, (d->nrows + 1) * sizeof *grown);
    if(!grown) {
        snprintf(why, whysize, "out of memory");
        return -1;
    }
    d->rows = grown;
    struct och_usage_row *row = &grown[d->nrows++];
    memset(row, 0, sizeof *row);
    row->today = today;
    row->daily_limit = row->daily_remaining = -1;
    text(r, "day", row->day, sizeof row->day);
    if(strlen(row->day) != 10) {
        snprintf(why, whysize, "a %s record has no day of the form YYYY-MM-DD", r->kind);
        return -1;
    }
    if(number(r, "calls", &row->calls) || number(r, "calls_429", &row->n429) ||
       number(r, "retries", &row->retries) || number(r, "errors", &row->errors) ||
       number(r, "budget", &row->budget) || number(r, "daily_limit", &row->daily_limit) ||
       number(r, "daily_remaining", &row->daily_remaining) ||
       number(r, "calls_counted_ahead", &row->ahead)) {
        snprintf(why, whysize, "the %s record of %s has a number that is not a whole number", r->kind, row->day);
        return -1;
    }
    if(today) {
        text(r, "day_basis", d->basis, sizeof d->basis);
        text(r, "resets_at", d->resets_at, sizeof d->resets_at);
    }
    const struct oc_field *eps = field(r, "by_endpoint");
    if(!eps)
        eps = field(r, "by_endpoint_json");
    if(eps && endpoints(row, eps->value, why, whysize))
        return -1;
    const struct oc_field *pols = field(r, "calls_429_by_policy");
    if(!pols)
        pols = field(r, "calls_429_by_policy_json");
    if(pols && policies(row, pols->value, why, whysize))
        return -1;
    if(today && !row->errors)
        for(size_t i = 0; i < row->nep; i++)
            row->errors += row->ep[i].errors;
    return 0;
}

/* Days since 1970-01-01 of "YYYY-MM-DD"; -1 when not a date. */
static long day_number(const char *day)
{
    struct tm tm = {0};
    if(sscanf(day, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    return t == (time_t)-1 ? -1 : (long)(t / 86400);
}

size_t och_usage_first(const struct och_usage_data *d, int days)
{
    if(!d->nrows || days <= 0)
        return d->nrows;
    long last = day_number(d->rows[d->nrows - 1].day);
    size_t first = d->nrows;
    while(first > 0 && day_number(d->rows[first - 1].day) > last - days)
        first--;
    return first;
}

int64_t och_usage_reference(const struct och_usage_row *r, const char **what)
{
    if(r->budget > 0) {
        *what = "budget";
        return r->budget;
    }
    if(r->daily_limit > 0) {
        *what = "daily limit";
        return r->daily_limit;
    }
    *what = "";
    return 0;
}

void och_usage_project(const struct och_usage_data *d, struct och_usage_projection *p)
{
    memset(p, 0, sizeof *p);
    p->daily_limit = -1;
    if(!d->nrows)
        return;
    const struct och_usage_row *last = &d->rows[d->nrows - 1];
    long n = day_number(last->day);
    int y, m, dd;
    if(n < 0 || sscanf(last->day, "%4d-%2d-%2d", &y, &m, &dd) != 3)
        return;
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    p->days_in_month = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100) || y % 400 == 0));
    p->days_left = p->days_in_month - dd;
    snprintf(p->month, sizeof p->month, "%.7s", last->day);
    /* The rate is of whole days: the 7 before the newest (which is
     * usually today, still running), or fewer when the history is
     * younger; with no earlier day, the newest alone. */
    long from = n - 7, oldest = day_number(d->rows[0].day);
    if(oldest > from)
        from = oldest;
    int64_t sum = 0;
    for(size_t i = 0; i < d->nrows; i++) {
        long k = day_number(d->rows[i].day);
        if(k >= from && k < n)
            sum += d->rows[i].calls;
        if(!strncmp(d->rows[i].day, last->day, 7))
            p->so_far += d->rows[i].calls;
    }
    p->rate_days = (int)(n - from);
    if(p->rate_days > 0) {
        p->rate = (sum + p->rate_days / 2) / p->rate_days;
    } else {
        p->rate_days = 1;
        p->rate = last->calls;
    }
    p->projected = p->so_far + p->rate * p->days_left;
    p->daily_limit = last->daily_limit;
    p->budget = last->budget;
    p->ok = 1;
}

size_t och_usage_top(const struct och_usage_row *r, size_t *idx, size_t max)
{
    size_t n = 0;
    for(size_t i = 0; i < r->nep; i++) {
        size_t at = n < max ? n++ : max;
        /* insertion into the kept top max, largest first */
        while(at > 0 && r->ep[idx[at - 1]].calls < r->ep[i].calls) {
            if(at < max)
                idx[at] = idx[at - 1];
            at--;
        }
        if(at < max)
            idx[at] = i;
    }
    return n;
}
