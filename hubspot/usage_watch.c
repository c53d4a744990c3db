/* usage_watch.c - see usage_watch.h. */
#include "hubspot/usage_watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin/buf.h"
#include "plugin/clock.h"
#include "plugin/redact.h"
#include "plugin/usage.h"

struct hs_usage_watch {
    struct oc_host host; /* ctx is this watch */
    const struct oc_host *real;
    int whole; /* real's struct has every service this build knows */
};

/* The real host's service m as it is now (a host may drop one after
 * init; tests do), NULL when it has none. */
#define REAL_FN(ctx, m)                                                                        \
    (OC_HAS_MEMBER(((const struct hs_usage_watch *)(ctx))->real, struct oc_host, m)           \
         ? ((const struct hs_usage_watch *)(ctx))->real->m                                     \
         : NULL)
#define REAL_CTX(ctx) (((const struct hs_usage_watch *)(ctx))->real->ctx)

/* A service the real host drops after init (tests do) is dropped from the
 * watch too at its next call, so the client sees a host without it, as it
 * would have without the watch. */
static void sync(void *ctx)
{
    struct hs_usage_watch *w = ctx;
    const struct oc_host *r = w->real;
    /* Every call passes here (each record emitted too): a host that still
     * gives every service, as ochost does, is seen in one look at each. */
    if(w->whole && r->log && r->state_get && r->state_put && r->emit && r->progress && r->now_ms &&
       r->sleep_ms && r->cancelled)
        return;
#define SYNC(m)                                                       \
    if(OC_HAS_MEMBER(&w->host, struct oc_host, m) && !REAL_FN(w, m)) \
        w->host.m = NULL;
    SYNC(log)
    SYNC(state_get)
    SYNC(state_put)
    SYNC(emit)
    SYNC(progress)
    SYNC(now_ms)
    SYNC(sleep_ms)
    SYNC(cancelled)
#undef SYNC
}

/* Each service does what the real one does, or what a host without it
 * means (nothing logged, nothing stored, the wall clock). */
static void w_log(void *ctx, int level, const char *message)
{
    sync(ctx);
    void (*f)(void *, int, const char *) = REAL_FN(ctx, log);
    if(f)
        f(REAL_CTX(ctx), level, message);
}

static oc_status w_state_get(void *ctx, const char *key, void *buf, size_t bufsize, size_t *len)
{
    sync(ctx);
    oc_status (*f)(void *, const char *, void *, size_t, size_t *) = REAL_FN(ctx, state_get);
    return f ? f(REAL_CTX(ctx), key, buf, bufsize, len) : OC_E_NOT_FOUND;
}

static oc_status real_put(const struct hs_usage_watch *w, const char *key, const void *value, size_t len)
{
    oc_status (*f)(void *, const char *, const void *, size_t) = REAL_FN(w, state_put);
    return f ? f(w->real->ctx, key, value, len) : OC_OK;
}

static oc_status w_emit(void *ctx, const struct oc_record *record)
{
    sync(ctx);
    oc_status (*f)(void *, const struct oc_record *) = REAL_FN(ctx, emit);
    return f ? f(REAL_CTX(ctx), record) : OC_E_INVALID;
}

static void w_progress(void *ctx, const char *stage, uint64_t done, uint64_t total)
{
    sync(ctx);
    void (*f)(void *, const char *, uint64_t, uint64_t) = REAL_FN(ctx, progress);
    if(f)
        f(REAL_CTX(ctx), stage, done, total);
}

static int64_t w_now_ms(void *ctx)
{
    sync(ctx);
    int64_t (*f)(void *) = REAL_FN(ctx, now_ms);
    return f ? f(REAL_CTX(ctx)) : kit_wall_ms();
}

static void w_sleep_ms(void *ctx, int64_t ms)
{
    sync(ctx);
    void (*f)(void *, int64_t) = REAL_FN(ctx, sleep_ms);
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    if(f)
        f(REAL_CTX(ctx), ms);
    else if(ms > 0)
        while(nanosleep(&ts, &ts) && errno == EINTR)
            ;
}

static int w_cancelled(void *ctx)
{
    sync(ctx);
    int (*f)(void *) = REAL_FN(ctx, cancelled);
    return f && f(REAL_CTX(ctx));
}

/* One warning as a user reads it: the figure, how far, what to do. */
static void warn(const struct hs_usage_watch *w, const struct kit_usage *u, const struct kit_usage_warning *k)
{
    char line[768];
    const char *basis = u->basis[0] ? u->basis : "UTC";
    if(k->figure == KIT_WARN_BUDGET)
        snprintf(line, sizeof line,
                 "usage: %d%% of daily_budget used: %lld of %lld calls on %s (%s). %s",
                 k->percent, (long long)k->used, (long long)k->limit, u->day, basis,
                 k->percent >= 100
                     ? "This connector makes no more HubSpot calls today (runs stop with exit 5 and resume "
                       "tomorrow); raise daily_budget in the config if the work must go on today"
                     : "At 100% this connector stops calling HubSpot for the day (exit 5); raise "
                       "daily_budget in the config, or spread the work over more days");
    else
        snprintf(line, sizeof line,
                 "usage: %d%% of HubSpot's daily API limit used: %lld of %lld calls on %s (%s), counting "
                 "every app of the portal where HubSpot said so. %s",
                 k->percent, (long long)k->used, (long long)k->limit, u->day, basis,
                 k->percent >= 100
                     ? "HubSpot now refuses calls (429 DAILY) until midnight in the account's time zone, "
                       "and calls beyond the limit can cost fees: stop or pause the heavy jobs, and run "
                       "`ochost usage --remote` to see which apps use the portal"
                     : "Calls beyond it are refused and can cost fees: run `ochost usage --remote` to "
                       "see what else uses the portal, set a daily_budget below the limit, or move bulk "
                       "work to another day");
    kit_redact_inplace(line);
    w_log((void *)w, OC_LOG_WARN, line);
}

/* The usage record on its way to the real state: warnings for the
 * thresholds its day newly crossed, and the record stored with them
 * marked. Anything unreadable is stored as it came: the client's record
 * matters more than a warning. */
static oc_status w_state_put(void *ctx, const char *key, const void *value, size_t len)
{
    const struct hs_usage_watch *w = ctx;
    sync(ctx);
    if(!value || strcmp(key, KIT_USAGE_KEY))
        return real_put(w, key, value, len);
    struct kit_usage u;
    struct kit_usage_warning found[4];
    struct kit_buf json = KIT_BUF_INIT;
    kit_usage_init(&u);
    int n = kit_usage_from_json(&u, value, len, NULL, 0) ? 0 : kit_usage_warnings(&u, found, 4);
    oc_status rc;
    if(n > 0 && !kit_usage_to_json(&u, &json))
        rc = real_put(w, key, json.data, json.len);
    else
        rc = real_put(w, key, value, len);
    /* Said only once stored: a failed save tries (and warns) again. */
    for(int i = 0; !rc && i < n; i++)
        warn(w, &u, &found[i]);
    kit_buf_free(&json);
    kit_usage_free(&u);
    return rc;
}

struct hs_usage_watch *hs_usage_watch_new(const struct oc_host *real)
{
    struct hs_usage_watch *w = calloc(1, sizeof *w);
    if(!w)
        return NULL;
    w->real = real;
    w->whole = real->struct_size >= sizeof *real;
    /* The real host's bytes (its size and data members, abi_version
     * included), then each service it gives routed through the watch,
     * which asks the real host again at every call. */
    size_t size = real->struct_size < sizeof w->host ? real->struct_size : sizeof w->host;
    memcpy(&w->host, real, size);
    w->host.struct_size = (uint32_t)size;
    w->host.ctx = w;
#define ROUTE(m, fn)                                               \
    if(OC_HAS_MEMBER(&w->host, struct oc_host, m) && w->host.m)       \
        w->host.m = fn;
    ROUTE(log, w_log)
    ROUTE(state_get, w_state_get)
    ROUTE(state_put, w_state_put)
    ROUTE(emit, w_emit)
    ROUTE(progress, w_progress)
    ROUTE(now_ms, w_now_ms)
    ROUTE(sleep_ms, w_sleep_ms)
    ROUTE(cancelled, w_cancelled)
#undef ROUTE
    return w;
}

const struct oc_host *hs_usage_watch_host(const struct hs_usage_watch *w) { return &w->host; }

void hs_usage_watch_free(struct hs_usage_watch *w) { free(w); }
