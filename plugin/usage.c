/* usage.c - see usage.h. */
#include "plugin/usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin/json.h"

static const char *const limit_names[KIT_LIM_COUNT] = {"max", "remaining", "interval_ms", "daily",
                                                      "daily_remaining"};

void kit_usage_init(struct kit_usage *u)
{
    memset(u, 0, sizeof *u);
    for(int i = 0; i < KIT_LIM_COUNT; i++)
        u->limits[i] = -1;
    u->saved_at_ms = -1;
}

static void free_eps(struct kit_usage *u)
{
    for(size_t i = 0; i < u->nep; i++)
        free(u->ep[i].name);
    free(u->ep);
    u->ep = NULL;
    u->nep = 0;
}

static void free_history(struct kit_usage *u)
{
    for(size_t i = 0; i < u->nhist; i++)
        kit_usage_free(&u->hist[i]);
    free(u->hist);
    u->hist = NULL;
    u->nhist = 0;
}

void kit_usage_free(struct kit_usage *u)
{
    free_eps(u);
    free_history(u);
    kit_usage_init(u);
}

void kit_usage_reset(struct kit_usage *u, const char *day)
{
    int64_t budget = u->budget, offset = u->offset_ms;
    char basis[sizeof u->basis];
    memcpy(basis, u->basis, sizeof basis);
    kit_usage_free(u);
    u->budget = budget;
    u->offset_ms = offset;
    memcpy(u->basis, basis, sizeof basis);
    snprintf(u->day, sizeof u->day, "%s", day ? day : "");
}

void kit_usage_day(int64_t now_ms, char out[11])
{
    time_t s = (time_t)(now_ms / 1000);
    struct tm tm;
    if(!gmtime_r(&s, &tm)) {
        snprintf(out, 11, "1970-01-01");
        return;
    }
    /* A year past 9999 would not fit; the clock is wrong then anyway. */
    if(tm.tm_year > 9999 - 1900 || tm.tm_year < -1900 ||
       !strftime(out, 11, "%Y-%m-%d", &tm))
        snprintf(out, 11, "9999-12-31");
}

/* a / b rounded towards minus infinity (b > 0): days before 1970 and
 * negative offsets must still land on the right midnight. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b < 0) ? q - 1 : q;
}

void kit_usage_day_at(int64_t now_ms, int64_t offset_ms, char out[11])
{
    kit_usage_day(now_ms + offset_ms, out);
}

int64_t kit_usage_next_reset(int64_t now_ms, int64_t offset_ms)
{
    return (floor_div(now_ms + offset_ms, KIT_USAGE_DAY_MS) + 1) * KIT_USAGE_DAY_MS - offset_ms;
}

void kit_usage_iso(int64_t ms, char out[21])
{
    time_t s = (time_t)floor_div(ms, 1000);
    struct tm tm;
    if(!gmtime_r(&s, &tm) || tm.tm_year > 9999 - 1900 || tm.tm_year < -1900 ||
       !strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, 21, "9999-12-31T23:59:59Z");
}

/* Epoch ms of UTC midnight starting day ("YYYY-MM-DD"); -1 when day is not
 * a real date (timegm would quietly turn 2026-02-31 into March). */
static int day_start_utc(const char *day, int64_t *out)
{
    struct tm tm = {0};
    char back[11];
    if(strlen(day) != 10 || sscanf(day, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    if(t == (time_t)-1)
        return -1;
    *out = (int64_t)t * 1000;
    kit_usage_day(*out, back);
    return strcmp(back, day) ? -1 : 0;
}

/* The span of saved's calls in UTC epoch ms: from its day's local
 * midnight to when it was stored (its day's end when unknown). -1 when its
 * day is not a date. */
static int calls_span(const struct kit_usage *saved, int64_t *from, int64_t *to)
{
    if(day_start_utc(saved->day, from))
        return -1;
    *from -= saved->offset_ms; /* local midnight of the saved day, in UTC */
    *to = *from + KIT_USAGE_DAY_MS;
    if(saved->saved_at_ms >= 0 && saved->saved_at_ms < *to)
        *to = saved->saved_at_ms; /* no call of it came after it was stored */
    return 0;
}

/* Nonzero when saved's counts are day's (see kit_usage_belongs). */
static int counts_belong(const struct kit_usage *saved, const char *day, int64_t offset_ms)
{
    if(saved->offset_ms == offset_ms)
        return !strcmp(saved->day, day);
    int64_t s0, s1, t0;
    if(calls_span(saved, &s0, &s1) || day_start_utc(day, &t0))
        return 0;
    t0 -= offset_ms;
    return s1 > t0 && s0 < t0 + KIT_USAGE_DAY_MS;
}

/* The day, on a basis offset_ms from UTC, that saved's calls fall in: its
 * own day on the same basis, else the day of the middle of their span (a
 * record moved by an hour of daylight saving keeps its date). "" when its
 * day is not a date. */
static void day_on_basis(const struct kit_usage *saved, int64_t offset_ms, char out[11])
{
    int64_t s0, s1;
    out[0] = '\0';
    if(saved->offset_ms == offset_ms) {
        int64_t ignored;
        if(!day_start_utc(saved->day, &ignored))
            memcpy(out, saved->day, 11);
        return;
    }
    if(calls_span(saved, &s0, &s1))
        return;
    kit_usage_day_at(s0 + (s1 > s0 ? (s1 - s0) / 2 : 0), offset_ms, out);
}

int kit_usage_belongs(const struct kit_usage *saved, const char *day, int64_t offset_ms)
{
    if(counts_belong(saved, day, offset_ms) || saved->nhist)
        return 1;
    char past[11];
    day_on_basis(saved, offset_ms, past);
    return past[0] && strcmp(past, day) < 0;
}

/* ---- the account's zone ---- */

void kit_usage_zone_utc(struct kit_usage_zone *z)
{
    memset(z, 0, sizeof *z);
    z->at_ms = -1;
    z->portal_id = -1;
}

void kit_usage_zone_basis(const struct kit_usage_zone *z, char *out, size_t size)
{
    if(!z->known) {
        snprintf(out, size, "UTC (run authorize to learn the account's time zone)");
        return;
    }
    int64_t mins = (z->offset_ms < 0 ? -z->offset_ms : z->offset_ms) / 60000;
    char asof[32] = "";
    if(z->at_ms >= 0) {
        char d[11];
        kit_usage_day_at(z->at_ms, z->offset_ms, d);
        snprintf(asof, sizeof asof, ", as of %s", d);
    }
    snprintf(out, size, "%s (UTC%c%02d:%02d%s)", z->name[0] ? z->name : "the account's time zone",
             z->offset_ms < 0 ? '-' : '+', (int)(mins / 60), (int)(mins % 60), asof);
}

void kit_usage_set_zone(struct kit_usage *u, const struct kit_usage_zone *z)
{
    u->offset_ms = z->known ? z->offset_ms : 0;
    kit_usage_zone_basis(z, u->basis, sizeof u->basis);
}

int kit_usage_zone_to_json(const struct kit_usage_zone *z, struct kit_buf *out)
{
    struct kit_jw w;
    kit_jw_init(&w, out);
    kit_jw_obj(&w);
    kit_jw_kstr(&w, "time_zone", z->name);
    kit_jw_kint(&w, "utc_offset_ms", z->offset_ms);
    if(z->portal_id >= 0)
        kit_jw_kint(&w, "portal_id", z->portal_id);
    if(z->at_ms >= 0)
        kit_jw_kint(&w, "at", z->at_ms);
    kit_jw_obj_end(&w);
    return kit_jw_error(&w) ? -1 : 0;
}

/* Optional non-negative integer member: 0 (absent: *out untouched), -1
 * when present but not one. */
static int opt_count(const struct kit_json *j, const char *key, int64_t *out)
{
    int t = kit_json_get(j, 0, key);
    int64_t v;
    if(t < 0)
        return 0;
    if(kit_json_int64(j, t, &v) || v < 0)
        return -1;
    *out = v;
    return 0;
}

int kit_usage_zone_from_json(struct kit_usage_zone *z, const char *text, size_t len, char *why,
                            size_t whysize)
{
    struct kit_json j = {0};
    char jwhy[128] = "";
    const char *bad = NULL;
    kit_usage_zone_utc(z);
    if(kit_json_parse(&j, text, len, jwhy, sizeof jwhy)) {
        snprintf(why, whysize, "not JSON (%s)", jwhy);
        return -1;
    }
    if(kit_json_type(&j, 0) != KIT_JSON_OBJECT) {
        bad = "not a JSON object";
        goto fail;
    }
    int t = kit_json_get(&j, 0, "utc_offset_ms");
    if(t < 0 || kit_json_int64(&j, t, &z->offset_ms) || z->offset_ms > KIT_USAGE_MAX_OFFSET_MS ||
       z->offset_ms < -KIT_USAGE_MAX_OFFSET_MS) {
        bad = "no \"utc_offset_ms\" within 18 hours of UTC";
        goto fail;
    }
    t = kit_json_get(&j, 0, "time_zone");
    if(t >= 0) {
        char *name = kit_json_type(&j, t) == KIT_JSON_STRING ? kit_json_strdup(&j, t) : NULL;
        size_t n = name ? strlen(name) : 0;
        if(name && n < sizeof z->name)
            memcpy(z->name, name, n + 1);
        free(name);
        if(!name || n >= sizeof z->name) {
            bad = "\"time_zone\" is not a short string";
            goto fail;
        }
    }
    if(opt_count(&j, "at", &z->at_ms) || opt_count(&j, "portal_id", &z->portal_id)) {
        bad = "\"at\" or \"portal_id\" is not a non-negative integer";
        goto fail;
    }
    z->known = 1;
    kit_json_free(&j);
    return 0;
fail:
    snprintf(why, whysize, "%s", bad);
    kit_json_free(&j);
    kit_usage_zone_utc(z);
    return -1;
}

int kit_usage_zone_load(const struct oc_host *host, const char *key, struct kit_usage_zone *z,
                        char *why, size_t whysize)
{
    char buf[1024]; /* the record is under 200 bytes; more is not ours */
    size_t len = 0;
    kit_usage_zone_utc(z);
    if(!key || !host || !OC_HAS_MEMBER(host, struct oc_host, state_get) || !host->state_get)
        return 0;
    oc_status rc = host->state_get(host->ctx, key, buf, sizeof buf, &len);
    if(rc == OC_E_NOT_FOUND)
        return 0;
    if(rc == OC_E_RANGE) {
        snprintf(why, whysize, "it is %zu bytes, too long to be an account record", len);
        return -1;
    }
    if(rc) {
        snprintf(why, whysize, "the host could not read it (status %d)", rc);
        return -1;
    }
    return kit_usage_zone_from_json(z, buf, len < sizeof buf ? len : sizeof buf, why, whysize);
}

static struct kit_usage_ep *endpoint(struct kit_usage *u, const char *name)
{
    if(!name || !*name)
        name = "other";
    for(size_t i = 0; i < u->nep; i++)
        if(!strcmp(u->ep[i].name, name))
            return &u->ep[i];
    if(u->nep >= KIT_USAGE_MAX_ENDPOINTS && strcmp(name, "other"))
        return endpoint(u, "other");
    struct kit_usage_ep *grown = realloc(u->ep, (u->nep + 1) * sizeof *grown);
    if(!grown)
        return NULL;
    u->ep = grown;
    struct kit_usage_ep *e = &u->ep[u->nep];
    memset(e, 0, sizeof *e);
    if(!(e->name = strdup(name)))
        return NULL;
    u->nep++;
    return e;
}

int kit_usage_count(struct kit_usage *u, const char *name, enum kit_usage_what what)
{
    struct kit_usage_ep *e = endpoint(u, name);
    if(!e)
        return -1;
    switch(what) {
    case KIT_USE_CALL:
        e->calls++;
        u->calls++;
        break;
    case KIT_USE_ERROR:
        e->errors++;
        break;
    case KIT_USE_429:
        e->n429++;
        u->n429++;
        break;
    case KIT_USE_RETRY:
        e->retries++;
        u->retries++;
        break;
    }
    return 0;
}

/* n more 429s under policy (cut to fit); a table already full of
 * other names takes them under "other", in the slot kept for it. */
static void add_policy(struct kit_usage *u, const char *policy, uint64_t n)
{
    char name[KIT_USAGE_POLICY_SIZE];
    snprintf(name, sizeof name, "%s", policy && *policy ? policy : KIT_USAGE_POLICY_UNKNOWN);
    size_t i = 0;
    while(i < u->npol && strcmp(u->pol[i].name, name))
        i++;
    if(i == u->npol && u->npol >= KIT_USAGE_MAX_POLICIES - 1 && strcmp(name, "other")) {
        add_policy(u, "other", n);
        return;
    }
    if(i == u->npol) {
        memcpy(u->pol[i].name, name, sizeof name);
        u->pol[i].n429 = 0;
        u->npol++;
    }
    u->pol[i].n429 += n;
}

void kit_usage_count_policy(struct kit_usage *u, const char *policy) { add_policy(u, policy, 1); }

/* dst's counts += src's; src's known limits win; warnings given stay
 * given. */
static int sum_counts(struct kit_usage *dst, const struct kit_usage *src)
{
    for(size_t i = 0; i < src->npol; i++)
        add_policy(dst, src->pol[i].name, src->pol[i].n429);
    for(size_t i = 0; i < src->nep; i++) {
        struct kit_usage_ep *e = endpoint(dst, src->ep[i].name);
        if(!e)
            return -1;
        e->calls += src->ep[i].calls;
        e->errors += src->ep[i].errors;
        e->n429 += src->ep[i].n429;
        e->retries += src->ep[i].retries;
    }
    dst->calls += src->calls;
    dst->ahead += src->ahead;
    dst->n429 += src->n429;
    dst->retries += src->retries;
    dst->warned |= src->warned;
    for(int i = 0; i < KIT_LIM_COUNT; i++)
        if(src->limits[i] >= 0)
            dst->limits[i] = src->limits[i];
    return 0;
}

/* A finished day's calls counted ahead are its calls now: no run will
 * take them back, and a kept day holds only what counts. */
static void fold_ahead(struct kit_usage *d)
{
    d->calls += d->ahead;
    d->ahead = 0;
}

/* dst's kept day `day`, made (in date order) when absent; NULL on oom. */
static struct kit_usage *history_day(struct kit_usage *dst, const char *day)
{
    size_t at = 0;
    while(at < dst->nhist && strcmp(dst->hist[at].day, day) < 0)
        at++;
    if(at < dst->nhist && !strcmp(dst->hist[at].day, day))
        return &dst->hist[at];
    struct kit_usage *grown = realloc(dst->hist, (dst->nhist + 1) * sizeof *grown);
    if(!grown)
        return NULL;
    dst->hist = grown;
    memmove(&grown[at + 1], &grown[at], (dst->nhist - at) * sizeof *grown);
    kit_usage_init(&grown[at]);
    snprintf(grown[at].day, sizeof grown[at].day, "%s", day);
    dst->nhist++;
    return &grown[at];
}

/* Keep src's counts in dst as the past day `day`. */
static int keep_day(struct kit_usage *dst, const struct kit_usage *src, const char *day)
{
    struct kit_usage *d = history_day(dst, day);
    if(!d || sum_counts(d, src))
        return -1;
    fold_ahead(d);
    if(src->budget)
        d->budget = src->budget;
    d->offset_ms = src->offset_ms;
    return 0;
}

/* Drop kept days beyond KIT_USAGE_HISTORY_DAYS before dst's day (and any
 * beyond that many entries), so the record stays bounded. */
static void trim_history(struct kit_usage *dst)
{
    int64_t start;
    char oldest[11] = "";
    if(!day_start_utc(dst->day, &start))
        kit_usage_day(start - KIT_USAGE_HISTORY_DAYS * KIT_USAGE_DAY_MS, oldest);
    size_t drop = 0;
    while(drop < dst->nhist &&
          (dst->nhist - drop > KIT_USAGE_HISTORY_DAYS || strcmp(dst->hist[drop].day, oldest) < 0))
        kit_usage_free(&dst->hist[drop++]);
    if(!drop)
        return;
    memmove(dst->hist, dst->hist + drop, (dst->nhist - drop) * sizeof *dst->hist);
    dst->nhist -= drop;
}

/* Keep src's day d whole in dst's history: a day dst keeps with as many
 * calls or more stays (see kit_usage_keep_days). */
static int keep_whole(struct kit_usage *dst, const struct kit_usage *d)
{
    if(dst->day[0] && strcmp(d->day, dst->day) >= 0)
        return 0;
    struct kit_usage *kept = history_day(dst, d->day);
    if(!kept)
        return -1;
    if(kept->calls >= d->calls + d->ahead && (kept->calls || kept->nep))
        return 0;
    char day[11];
    memcpy(day, kept->day, sizeof day);
    kit_usage_free(kept);
    memcpy(kept->day, day, sizeof day);
    if(sum_counts(kept, d))
        return -1;
    fold_ahead(kept);
    kept->budget = d->budget;
    kept->offset_ms = d->offset_ms;
    return 0;
}

int kit_usage_keep_days(struct kit_usage *dst, const struct kit_usage *src)
{
    for(size_t i = 0; i < src->nhist; i++)
        if(keep_whole(dst, &src->hist[i]))
            return -1;
    trim_history(dst);
    return 0;
}

void kit_usage_drop_history(struct kit_usage *u) { free_history(u); }

int kit_usage_add(struct kit_usage *dst, const struct kit_usage *src)
{
    char past[11];
    if(counts_belong(src, dst->day, dst->offset_ms)) {
        if(sum_counts(dst, src))
            return -1;
    } else {
        day_on_basis(src, dst->offset_ms, past);
        if(past[0] && strcmp(past, dst->day) < 0 && keep_day(dst, src, past))
            return -1;
    }
    for(size_t i = 0; i < src->nhist; i++) {
        const struct kit_usage *d = &src->hist[i];
        int order = strcmp(d->day, dst->day);
        /* A kept day of dst's own day (written by a run already past
         * midnight while this one was not) is today's. A later one is
         * dropped, as a later day's counts always were. */
        if((order == 0 && sum_counts(dst, d)) || (order < 0 && keep_day(dst, d, d->day)))
            return -1;
    }
    trim_history(dst);
    return 0;
}

int kit_usage_endpoints_json(const struct kit_usage *u, struct kit_buf *out)
{
    struct kit_jw w;
    kit_jw_init(&w, out);
    kit_jw_obj(&w);
    for(size_t i = 0; i < u->nep; i++) {
        kit_jw_key(&w, u->ep[i].name);
        kit_jw_obj(&w);
        kit_jw_kint(&w, "calls", (int64_t)u->ep[i].calls);
        kit_jw_kint(&w, "errors", (int64_t)u->ep[i].errors);
        kit_jw_kint(&w, "429", (int64_t)u->ep[i].n429);
        kit_jw_kint(&w, "retries", (int64_t)u->ep[i].retries);
        kit_jw_obj_end(&w);
    }
    kit_jw_obj_end(&w);
    return kit_jw_error(&w) ? -1 : 0;
}

int kit_usage_policies_json(const struct kit_usage *u, struct kit_buf *out)
{
    struct kit_jw w;
    kit_jw_init(&w, out);
    kit_jw_obj(&w);
    for(size_t i = 0; i < u->npol; i++)
        kit_jw_kint(&w, u->pol[i].name, (int64_t)u->pol[i].n429);
    kit_jw_obj_end(&w);
    return kit_jw_error(&w) ? -1 : 0;
}

static void policies_member(struct kit_jw *w, const struct kit_usage *u)
{
    if(!u->npol)
        return;
    kit_jw_key(w, "429s_by_policy");
    kit_jw_obj(w);
    for(size_t i = 0; i < u->npol; i++)
        kit_jw_kint(w, u->pol[i].name, (int64_t)u->pol[i].n429);
    kit_jw_obj_end(w);
}

/* A kept day, compactly: its endpoints as [calls,errors,429,retries]
 * and only the members that say something, so 90 days stay small. */
static void day_to_json(struct kit_jw *w, const struct kit_usage *d)
{
    uint64_t errors = 0;
    kit_jw_obj(w);
    kit_jw_kstr(w, "day", d->day);
    kit_jw_kint(w, "calls", (int64_t)d->calls);
    if(d->n429)
        kit_jw_kint(w, "429s", (int64_t)d->n429);
    policies_member(w, d);
    if(d->retries)
        kit_jw_kint(w, "retries", (int64_t)d->retries);
    for(size_t i = 0; i < d->nep; i++)
        errors += d->ep[i].errors;
    if(errors)
        kit_jw_kint(w, "errors", (int64_t)errors);
    if(d->budget)
        kit_jw_kint(w, "budget", d->budget);
    if(d->offset_ms)
        kit_jw_kint(w, "utc_offset_ms", d->offset_ms);
    int any_limit = 0;
    for(int i = 0; i < KIT_LIM_COUNT; i++)
        any_limit |= d->limits[i] >= 0;
    if(any_limit) {
        kit_jw_key(w, "limits");
        kit_jw_obj(w);
        for(int i = 0; i < KIT_LIM_COUNT; i++)
            if(d->limits[i] >= 0)
                kit_jw_kint(w, limit_names[i], d->limits[i]);
        kit_jw_obj_end(w);
    }
    kit_jw_key(w, "by_endpoint");
    kit_jw_obj(w);
    for(size_t i = 0; i < d->nep; i++) {
        kit_jw_key(w, d->ep[i].name);
        kit_jw_arr(w);
        kit_jw_int(w, (int64_t)d->ep[i].calls);
        kit_jw_int(w, (int64_t)d->ep[i].errors);
        kit_jw_int(w, (int64_t)d->ep[i].n429);
        kit_jw_int(w, (int64_t)d->ep[i].retries);
        kit_jw_arr_end(w);
    }
    kit_jw_obj_end(w);
    kit_jw_obj_end(w);
}

int kit_usage_day_json(const struct kit_usage *d, struct kit_buf *out)
{
    struct kit_jw w;
    kit_jw_init(&w, out);
    day_to_json(&w, d);
    return kit_jw_error(&w) ? -1 : 0;
}

static void history_member(struct kit_jw *w, const struct kit_usage *u)
{
    kit_jw_key(w, "history");
    kit_jw_arr(w);
    for(size_t i = 0; i < u->nhist; i++)
        day_to_json(w, &u->hist[i]);
    kit_jw_arr_end(w);
}

int kit_usage_history_to_json(const struct kit_usage *u, struct kit_buf *out)
{
    struct kit_jw w;
    kit_jw_init(&w, out);
    kit_jw_obj(&w);
    history_member(&w, u);
    kit_jw_obj_end(&w);
    return kit_jw_error(&w) ? -1 : 0;
}

int kit_usage_to_json(const struct kit_usage *u, struct kit_buf *out)
{
    struct kit_jw w;
    kit_jw_init(&w, out);
    kit_jw_obj(&w);
    kit_jw_kstr(&w, "day", u->day);
    kit_jw_kint(&w, "calls", (int64_t)u->calls);
    if(u->ahead)
        kit_jw_kint(&w, "ahead", (int64_t)u->ahead);
    kit_jw_key(&w, "by_endpoint");
    struct kit_buf eps = KIT_BUF_INIT;
    int rc = kit_usage_endpoints_json(u, &eps);
    kit_jw_raw(&w, kit_buf_str(&eps), eps.len);
    kit_buf_free(&eps);
    kit_jw_kint(&w, "429s", (int64_t)u->n429);
    policies_member(&w, u);
    kit_jw_kint(&w, "retries", (int64_t)u->retries);
    kit_jw_key(&w, "limits");
    kit_jw_obj(&w);
    for(int i = 0; i < KIT_LIM_COUNT; i++)
        if(u->limits[i] >= 0)
            kit_jw_kint(&w, limit_names[i], u->limits[i]);
    kit_jw_obj_end(&w);
    kit_jw_kint(&w, "budget", u->budget);
    if(u->basis[0])
        kit_jw_kstr(&w, "day_basis", u->basis);
    if(u->basis[0] || u->offset_ms) {
        char iso[21];
        int64_t start;
        kit_jw_kint(&w, "utc_offset_ms", u->offset_ms);
        if(!day_start_utc(u->day, &start)) {
            kit_usage_iso(start - u->offset_ms + KIT_USAGE_DAY_MS, iso);
            kit_jw_kstr(&w, "resets_at", iso);
        }
    }
    if(u->saved_at_ms >= 0)
        kit_jw_kint(&w, "saved_at", u->saved_at_ms);
    if(u->warned)
        kit_jw_kint(&w, "warned", (int64_t)u->warned);
    if(u->nhist)
        history_member(&w, u);
    kit_jw_obj_end(&w);
    return rc || kit_jw_error(&w) ? -1 : 0;
}

/* Counter member key of object obj: 0 when absent, -1 when not a
 * non-negative integer. */
static int counter(const struct kit_json *j, int obj, const char *key, uint64_t *out)
{
    int t = kit_json_get(j, obj, key);
    int64_t v = 0;
    if(t < 0)
        v = 0;
    else if(kit_json_type(j, t) != KIT_JSON_NUMBER || kit_json_int64(j, t, &v) || v < 0)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* Array item i of arr as a counter; -1 when not one. */
static int counter_item(const struct kit_json *j, int arr, int i, uint64_t *out)
{
    int t = kit_json_item(j, arr, i);
    int64_t v;
    if(t < 0 || kit_json_type(j, t) != KIT_JSON_NUMBER || kit_json_int64(j, t, &v) || v < 0)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* One by_endpoint value: {"calls":..,"errors":..,"429":..,"retries":..}
 * or, in a kept day, [calls,errors,429,retries]. */
static int endpoint_counts(const struct kit_json *j, int v, uint64_t c[4])
{
    if(kit_json_type(j, v) == KIT_JSON_ARRAY)
        return kit_json_size(j, v) != 4 || counter_item(j, v, 0, &c[0]) ||
                       counter_item(j, v, 1, &c[1]) || counter_item(j, v, 2, &c[2]) ||
                       counter_item(j, v, 3, &c[3])
                   ? -1
                   : 0;
    return kit_json_type(j, v) != KIT_JSON_OBJECT || counter(j, v, "calls", &c[0]) ||
                   counter(j, v, "errors", &c[1]) || counter(j, v, "429", &c[2]) ||
                   counter(j, v, "retries", &c[3])
               ? -1
               : 0;
}

/* The optional 429s_by_policy object of obj into u. */
static int parse_policies(const struct kit_json *j, int obj, struct kit_usage *u, const char **bad)
{
    int pols = kit_json_get(j, obj, "429s_by_policy");
    if(pols < 0)
        return 0;
    if(kit_json_type(j, pols) != KIT_JSON_OBJECT) {
        *bad = "\"429s_by_policy\" is not an object";
        return -1;
    }
    for(int i = 0, k = pols + 1; i < kit_json_size(j, pols); i++, k = kit_json_skip(j, k)) {
        int64_t n;
        char *name = kit_json_strdup(j, k);
        int ok = name && kit_json_type(j, k + 1) == KIT_JSON_NUMBER && !kit_json_int64(j, k + 1, &n) && n >= 0;
        if(ok)
            add_policy(u, name, (uint64_t)n);
        free(name);
        if(!ok) {
            *bad = "a \"429s_by_policy\" count is not a non-negative integer";
            return -1;
        }
    }
    return 0;
}

static int parse_usage(const struct kit_json *j, int obj, struct kit_usage *u, int kept,
                       const char **bad);

/* The days of the array at token arr into u's history: summed into a day
 * already kept, or (whole) kept whole (keep_whole). */
static int parse_days(const struct kit_json *j, int arr, struct kit_usage *u, int whole,
                      const char **bad)
{
    if(kit_json_type(j, arr) != KIT_JSON_ARRAY) {
        *bad = "\"history\" is not an array";
        return -1;
    }
    for(int i = 0, t = arr + 1; i < kit_json_size(j, arr); i++, t = kit_json_skip(j, t)) {
        struct kit_usage d;
        kit_usage_init(&d);
        int rc = parse_usage(j, t, &d, 1, bad);
        /* Days out of order or twice (edited by hand) are summed in order. */
        if(!rc && (whole ? keep_whole(u, &d)
                         : strcmp(d.day, u->day) < 0 && keep_day(u, &d, d.day))) {
            *bad = "out of memory";
            rc = -1;
        }
        kit_usage_free(&d);
        if(rc)
            return -1;
    }
    trim_history(u);
    return 0;
}

/* Read the usage object at token obj into u (freshly initialised). -1
 * with the reason in *bad. kept: a kept day (no history of its own). */
static int parse_usage(const struct kit_json *j, int obj, struct kit_usage *u, int kept,
                       const char **bad)
{
    if(kit_json_type(j, obj) != KIT_JSON_OBJECT) {
        *bad = kept ? "a \"history\" entry is not a JSON object" : "not a JSON object";
        return -1;
    }
    int t = kit_json_get(j, obj, "day");
    struct kit_buf day = KIT_BUF_INIT;
    int64_t day_ms;
    if(t < 0 || kit_json_type(j, t) != KIT_JSON_STRING || kit_json_str(j, t, &day) ||
       day.len != 10 || strlen(kit_buf_str(&day)) != 10 || day_start_utc(kit_buf_str(&day), &day_ms)) {
        kit_buf_free(&day);
        *bad = "no \"day\" of the form YYYY-MM-DD";
        return -1;
    }
    memcpy(u->day, day.data, 11);
    kit_buf_free(&day);
    uint64_t warned = 0;
    if(counter(j, obj, "calls", &u->calls) || counter(j, obj, "429s", &u->n429) ||
       counter(j, obj, "retries", &u->retries) || counter(j, obj, "warned", &warned) ||
       counter(j, obj, "ahead", &u->ahead)) {
        *bad = "a counter is not a non-negative integer";
        return -1;
    }
    u->warned = (uint32_t)(warned & KIT_USAGE_WARNED_ALL);
    if(parse_policies(j, obj, u, bad))
        return -1;
    int eps = kit_json_get(j, obj, "by_endpoint");
    if(eps >= 0) {
        if(kit_json_type(j, eps) != KIT_JSON_OBJECT) {
            *bad = "\"by_endpoint\" is not an object";
            return -1;
        }
        int k = eps + 1;
        for(int i = 0; i < kit_json_size(j, eps); i++) {
            int v = k + 1; /* a key's value follows it; skip(k) passes both */
            char *name = kit_json_strdup(j, k);
            struct kit_usage_ep *e = name ? endpoint(u, name) : NULL;
            free(name);
            if(!e) {
                *bad = "out of memory";
                return -1;
            }
            uint64_t c[4] = {0, 0, 0, 0};
            if(endpoint_counts(j, v, c)) {
                *bad = "an endpoint entry is not {calls,errors,429,retries}";
                return -1;
            }
            e->calls += c[0];
            e->errors += c[1];
            e->n429 += c[2];
            e->retries += c[3];
            k = kit_json_skip(j, k);
        }
    }
    int lim = kit_json_get(j, obj, "limits");
    if(lim >= 0 && kit_json_type(j, lim) == KIT_JSON_OBJECT) {
        for(int i = 0; i < KIT_LIM_COUNT; i++) {
            int lt = kit_json_get(j, lim, limit_names[i]);
            int64_t v;
            if(lt >= 0 && !kit_json_int64(j, lt, &v) && v >= 0)
                u->limits[i] = v;
        }
    }
    int bt = kit_json_get(j, obj, "budget");
    int64_t budget;
    if(bt >= 0 && !kit_json_int64(j, bt, &budget) && budget >= 0)
        u->budget = budget;
    /* A record without these was kept on UTC days (before the zone was
     * known, or by an older version). */
    int off = kit_json_get(j, obj, "utc_offset_ms");
    if(off >= 0 && (kit_json_int64(j, off, &u->offset_ms) ||
                    u->offset_ms > KIT_USAGE_MAX_OFFSET_MS || u->offset_ms < -KIT_USAGE_MAX_OFFSET_MS)) {
        *bad = "\"utc_offset_ms\" is not an offset within 18 hours of UTC";
        return -1;
    }
    if(kept)
        return 0;
    if(opt_count(j, "saved_at", &u->saved_at_ms)) {
        *bad = "\"saved_at\" is not a non-negative integer";
        return -1;
    }
    int basis = kit_json_get(j, obj, "day_basis");
    char *b = basis >= 0 && kit_json_type(j, basis) == KIT_JSON_STRING ? kit_json_strdup(j, basis) : NULL;
    /* Only words for people: an odd one is dropped, not fatal. */
    if(b && strlen(b) < sizeof u->basis)
        memcpy(u->basis, b, strlen(b) + 1);
    free(b);
    int hist = kit_json_get(j, obj, "history");
    return hist < 0 ? 0 : parse_days(j, hist, u, 0, bad);
}

int kit_usage_from_json(struct kit_usage *u, const char *text, size_t len, char *why, size_t whysize)
{
    struct kit_json j = {0};
    char jwhy[128] = "";
    const char *bad = NULL;
    if(kit_json_parse(&j, text, len, jwhy, sizeof jwhy)) {
        if(why)
            snprintf(why, whysize, "not JSON (%s)", jwhy);
        return -1;
    }
    if(parse_usage(&j, 0, u, 0, &bad)) {
        if(why)
            snprintf(why, whysize, "%s", bad);
        kit_json_free(&j);
        kit_usage_free(u);
        return -1;
    }
    kit_json_free(&j);
    return 0;
}

int kit_usage_history_from_json(struct kit_usage *u, const char *text, size_t len, char *why,
                                size_t whysize)
{
    struct kit_json j = {0};
    char jwhy[128] = "";
    const char *bad = NULL;
    struct kit_usage got;
    kit_usage_init(&got);
    memcpy(got.day, u->day, sizeof got.day);
    if(kit_json_parse(&j, text, len, jwhy, sizeof jwhy)) {
        snprintf(why, whysize, "not JSON (%s)", jwhy);
        return -1;
    }
    int hist = kit_json_type(&j, 0) == KIT_JSON_OBJECT ? kit_json_get(&j, 0, "history") : -1;
    int rc = -1;
    if(hist < 0)
        bad = "not an object with a \"history\" array";
    else if(!parse_days(&j, hist, &got, 1, &bad))
        rc = kit_usage_keep_days(u, &got);
    if(rc && bad)
        snprintf(why, whysize, "%s", bad);
    else if(rc)
        snprintf(why, whysize, "out of memory");
    kit_json_free(&j);
    kit_usage_free(&got);
    return rc;
}

/* ---- warnings before the bill ---- */

static const int warn_percent[KIT_USAGE_WARN_STEPS] = {50, 80, 100};

int kit_usage_warnings(struct kit_usage *u, struct kit_usage_warning *out, int max)
{
    int n = 0;
    int64_t used[2] = {(int64_t)(u->calls + u->ahead), (int64_t)(u->calls + u->ahead)};
    int64_t limit[2] = {u->budget, u->limits[KIT_LIM_DAILY]};
    /* The daily limit is the portal's: what HubSpot says is left counts
     * other apps' calls too, so it wins when it says more was used. */
    if(limit[1] > 0 && u->limits[KIT_LIM_DAILY_REMAINING] >= 0 &&
       limit[1] - u->limits[KIT_LIM_DAILY_REMAINING] > used[1])
        used[1] = limit[1] - u->limits[KIT_LIM_DAILY_REMAINING];
    for(int f = 0; f < 2; f++) {
        if(limit[f] <= 0)
            continue;
        /* Only the highest threshold crossed is reported; the lower ones
         * are marked given, so a jump from 10% to 90% says 80% once. */
        int top = -1;
        for(int s = 0; s < KIT_USAGE_WARN_STEPS; s++)
            if(used[f] * 100 >= limit[f] * warn_percent[s])
                top = s;
        if(top < 0)
            continue;
        uint32_t bit = 1u << (f * KIT_USAGE_WARN_STEPS + top);
        if(!(u->warned & bit) && n < max)
            out[n++] = (struct kit_usage_warning){f ? KIT_WARN_DAILY_LIMIT : KIT_WARN_BUDGET,
                                                  warn_percent[top], used[f], limit[f]};
        for(int s = 0; s <= top; s++)
            u->warned |= 1u << (f * KIT_USAGE_WARN_STEPS + s);
    }
    return n;
}
