/* usage.c - see usage.h. */
#include "plugin/usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin/json.h"

static const char *const limit_names[HS_LIM_COUNT] = {"max", "remaining", "interval_ms", "daily",
                                                      "daily_remaining"};

void hs_usage_init(struct hs_usage *u)
{
    memset(u, 0, sizeof *u);
    for(int i = 0; i < HS_LIM_COUNT; i++)
        u->limits[i] = -1;
}

static void free_eps(struct hs_usage *u)
{
    for(size_t i = 0; i < u->nep; i++)
        free(u->ep[i].name);
    free(u->ep);
    u->ep = NULL;
    u->nep = 0;
}

void hs_usage_free(struct hs_usage *u)
{
    free_eps(u);
    hs_usage_init(u);
}

void hs_usage_reset(struct hs_usage *u, const char *day)
{
    int64_t budget = u->budget;
    hs_usage_free(u);
    u->budget = budget;
    snprintf(u->day, sizeof u->day, "%s", day ? day : "");
}

void hs_usage_day(int64_t now_ms, char out[11])
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

static struct hs_usage_ep *endpoint(struct hs_usage *u, const char *name)
{
    if(!name || !*name)
        name = "other";
    for(size_t i = 0; i < u->nep; i++)
        if(!strcmp(u->ep[i].name, name))
            return &u->ep[i];
    if(u->nep >= HS_USAGE_MAX_ENDPOINTS && strcmp(name, "other"))
        return endpoint(u, "other");
    struct hs_usage_ep *grown = realloc(u->ep, (u->nep + 1) * sizeof *grown);
    if(!grown)
        return NULL;
    u->ep = grown;
    struct hs_usage_ep *e = &u->ep[u->nep];
    memset(e, 0, sizeof *e);
    if(!(e->name = strdup(name)))
        return NULL;
    u->nep++;
    return e;
}

int hs_usage_count(struct hs_usage *u, const char *name, enum hs_usage_what what)
{
    struct hs_usage_ep *e = endpoint(u, name);
    if(!e)
        return -1;
    switch(what) {
    case HS_USE_CALL:
        e->calls++;
        u->calls++;
        break;
    case HS_USE_ERROR:
        e->errors++;
        break;
    case HS_USE_429:
        e->n429++;
        u->n429++;
        break;
    case HS_USE_RETRY:
        e->retries++;
        u->retries++;
        break;
    }
    return 0;
}

int hs_usage_add(struct hs_usage *dst, const struct hs_usage *src)
{
    for(size_t i = 0; i < src->nep; i++) {
        struct hs_usage_ep *e = endpoint(dst, src->ep[i].name);
        if(!e)
            return -1;
        e->calls += src->ep[i].calls;
        e->errors += src->ep[i].errors;
        e->n429 += src->ep[i].n429;
        e->retries += src->ep[i].retries;
    }
    dst->calls += src->calls;
    dst->n429 += src->n429;
    dst->retries += src->retries;
    for(int i = 0; i < HS_LIM_COUNT; i++)
        if(src->limits[i] >= 0)
            dst->limits[i] = src->limits[i];
    return 0;
}

int hs_usage_endpoints_json(const struct hs_usage *u, struct hs_buf *out)
{
    struct hs_jw w;
    hs_jw_init(&w, out);
    hs_jw_obj(&w);
    for(size_t i = 0; i < u->nep; i++) {
        hs_jw_key(&w, u->ep[i].name);
        hs_jw_obj(&w);
        hs_jw_kint(&w, "calls", (int64_t)u->ep[i].calls);
        hs_jw_kint(&w, "errors", (int64_t)u->ep[i].errors);
        hs_jw_kint(&w, "429", (int64_t)u->ep[i].n429);
        hs_jw_kint(&w, "retries", (int64_t)u->ep[i].retries);
        hs_jw_obj_end(&w);
    }
    hs_jw_obj_end(&w);
    return hs_jw_error(&w) ? -1 : 0;
}

int hs_usage_to_json(const struct hs_usage *u, struct hs_buf *out)
{
    struct hs_jw w;
    hs_jw_init(&w, out);
    hs_jw_obj(&w);
    hs_jw_kstr(&w, "day", u->day);
    hs_jw_kint(&w, "calls", (int64_t)u->calls);
    hs_jw_key(&w, "by_endpoint");
    struct hs_buf eps = HS_BUF_INIT;
    int rc = hs_usage_endpoints_json(u, &eps);
    hs_jw_raw(&w, hs_buf_str(&eps), eps.len);
    hs_buf_free(&eps);
    hs_jw_kint(&w, "429s", (int64_t)u->n429);
    hs_jw_kint(&w, "retries", (int64_t)u->retries);
    hs_jw_key(&w, "limits");
    hs_jw_obj(&w);
    for(int i = 0; i < HS_LIM_COUNT; i++)
        if(u->limits[i] >= 0)
            hs_jw_kint(&w, limit_names[i], u->limits[i]);
    hs_jw_obj_end(&w);
    hs_jw_kint(&w, "budget", u->budget);
    hs_jw_obj_end(&w);
    return rc || hs_jw_error(&w) ? -1 : 0;
}

/* Counter member key of object obj: 0 when absent, -1 when not a
 * non-negative integer. */
static int counter(const struct hs_json *j, int obj, const char *key, uint64_t *out)
{
    int t = hs_json_get(j, obj, key);
    int64_t v = 0;
    if(t < 0)
        v = 0;
    else if(hs_json_type(j, t) != HS_JSON_NUMBER || hs_json_int64(j, t, &v) || v < 0)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

int hs_usage_from_json(struct hs_usage *u, const char *text, size_t len, char *why, size_t whysize)
{
    struct hs_json j = {0};
    char jwhy[128] = "";
    const char *bad = NULL;
    if(hs_json_parse(&j, text, len, jwhy, sizeof jwhy)) {
        if(why)
            snprintf(why, whysize, "not JSON (%s)", jwhy);
        return -1;
    }
    if(hs_json_type(&j, 0) != HS_JSON_OBJECT) {
        bad = "not a JSON object";
        goto fail;
    }
    int t = hs_json_get(&j, 0, "day");
    struct hs_buf day = HS_BUF_INIT;
    if(t < 0 || hs_json_type(&j, t) != HS_JSON_STRING || hs_json_str(&j, t, &day) ||
       day.len != 10) {
        hs_buf_free(&day);
        bad = "no \"day\" of the form YYYY-MM-DD";
        goto fail;
    }
    memcpy(u->day, day.data, 11);
    hs_buf_free(&day);
    if(counter(&j, 0, "calls", &u->calls) || counter(&j, 0, "429s", &u->n429) ||
       counter(&j, 0, "retries", &u->retries)) {
        bad = "a counter is not a non-negative integer";
        goto fail;
    }
    int eps = hs_json_get(&j, 0, "by_endpoint");
    if(eps >= 0) {
        if(hs_json_type(&j, eps) != HS_JSON_OBJECT) {
            bad = "\"by_endpoint\" is not an object";
            goto fail;
        }
        int k = eps + 1;
        for(int i = 0; i < hs_json_size(&j, eps); i++) {
            int v = k + 1; /* a key's value follows it; skip(k) passes both */
            char *name = hs_json_strdup(&j, k);
            struct hs_usage_ep *e = name ? endpoint(u, name) : NULL;
            free(name);
            if(!e) {
                bad = "out of memory";
                goto fail;
            }
            uint64_t c = 0, er = 0, n4 = 0, rt = 0;
            if(hs_json_type(&j, v) != HS_JSON_OBJECT || counter(&j, v, "calls", &c) ||
               counter(&j, v, "errors", &er) || counter(&j, v, "429", &n4) ||
               counter(&j, v, "retries", &rt)) {
                bad = "an endpoint entry is not {calls,errors,429,retries}";
                goto fail;
            }
            e->calls += c;
            e->errors += er;
            e->n429 += n4;
            e->retries += rt;
            k = hs_json_skip(&j, k);
        }
    }
    int lim = hs_json_get(&j, 0, "limits");
    if(lim >= 0 && hs_json_type(&j, lim) == HS_JSON_OBJECT) {
        for(int i = 0; i < HS_LIM_COUNT; i++) {
            int lt = hs_json_get(&j, lim, limit_names[i]);
            int64_t v;
            if(lt >= 0 && !hs_json_int64(&j, lt, &v) && v >= 0)
                u->limits[i] = v;
        }
    }
    hs_json_free(&j);
    return 0;
fail:
    if(why)
        snprintf(why, whysize, "%s", bad);
    hs_json_free(&j);
    hs_usage_free(u);
    return -1;
}
