/*
 * http.c - see http.h. The transport and the batch scheduler; the rules it
 * applies live beside it: pacer.c (when a call may go), retry.c (which
 * failure is worth another try, and the wait), usage.c (counting and
 * persistence), httpmeta.c (what a response's headers say in general);
 * the server's own ways come from the connector's hooks.
 *
 * Scheduling: each request is READY (with a not-before time), IN FLIGHT in
 * one of max_concurrency slots, or DONE. The loop starts the lowest READY
 * request whose time has come while a slot is free and the pacer allows;
 * otherwise it polls the transfers in flight, and only when nothing is in
 * flight does it sleep, through the host, until the next request may go.
 * So the host's clock is the only clock that decides waits (tests run on
 * virtual time) while transfers themselves run on the wire.
 */
#include "plugin/clock.h"
#include "plugin/http.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "plugin/error.h"
#include "plugin/pacer.h"
#include "plugin/redact.h"
#include "plugin/retry.h"
#include "plugin/usage.h"
#include "plugin/usage_record.h"

#define MAX_SLOTS 32
/* Longest single poll while transfers are in flight, so cancellation and
 * wall-clock pacing are looked at regularly. */
#define POLL_CAP_MS 200

/* A member of the host struct may be read only if the host's struct_size
 * says it is there (the struct grows by appending). */
#define HOST_HAS(host, m) ((host) && OC_HAS_MEMBER(host, struct oc_host, m) && (host)->m)

enum rstate { R_READY = 0, R_FLIGHT, R_DONE };

struct rctl {
    int state;
    int64_t not_before;
    /* The answer memory the request holds, to tell when an answer needed
     * more (kit_http_answer_allocs). */
    size_t body_cap, token_cap;
};

/* Answer memory kept between requests (http.h, "Answer memory"). A bulk
 * push's waves send up to max_concurrency upserts and a list add at once,
 * so a few of each are kept; ordinary answers past the size bounds are
 * rare and not worth holding between calls. A paged read's page is large
 * and comes again and again, so one is kept whatever its size up to the
 * PAGE bounds: past them it is a freak page, let go after it. Requests
 * hold a reference, so one freed after its client still finds this alive
 * and frees its memory itself. */
#define SPARES_KEEP 8
#define SPARE_BODY_KEEP (256u * 1024u)
#define SPARE_TOKENS_KEEP 16384u
#define PAGE_BODY_KEEP ((size_t)4 << 20)
#define PAGE_TOKENS_KEEP ((size_t)256 * 1024)

struct kit_http_spares {
    size_t refs;   /* the client's, while it lives, and one per request lent to */
    int closed;    /* the client is freed: memory given back is freed */
    size_t nbody, ntokens;
    struct kit_buf body[SPARES_KEEP];
    struct kit_json tokens[SPARES_KEEP]; /* arrays only, no document */
    struct kit_buf page_body;            /* for the next page of a paged read */
    struct kit_json page_tokens;
};

static void spares_release(struct kit_http_spares *s);

struct slot {
    struct kit_http *h;
    CURL *easy;   /* created on first use, reused: keeps its connection */
    size_t req;   /* index in the running batch while busy */
    int busy;
    int oversize; /* the body passed max_body: transfer aborted */
    int hdr_over; /* the headers passed KIT_HTTP_MAX_HEADER_BYTES: aborted */
    int hdr_done; /* the blank line ending the final header block came */
    int sends;    /* times this transfer's request went out (libcurl resends
                     on a reused connection that died) */
    int budget_abort; /* a resend was stopped: the daily budget is used up */
    size_t hdr_bytes;
    int oom;
    struct kit_http_meta hdr;
    char errbuf[CURL_ERROR_SIZE];
};

struct kit_http {
    const struct oc_host *host;
    char *base_url;
    char *token;
    char *user_agent;
    long connect_timeout_ms, timeout_ms;
    int max_retries;
    int nslots;
    size_t max_body;
    int64_t budget;
    CURLM *multi;
    struct slot *slots;
    struct curl_slist *hdr_plain; /* Authorization, Accept, Expect */
    struct curl_slist *hdr_json;  /* the same plus Content-Type     */
    struct kit_pacer pacer;
    struct kit_usage total; /* today's counts, other runs' included      */
    struct kit_usage delta; /* what this client added since last persist */
    int dirty;
    /* Calls counted ahead (see "counted ahead" below): the allowance this
     * client's last save put in the stored record, the next allowance's
     * size, and when a failed save is tried again (delta.calls). */
    uint64_t ahead_stored, ahead_step, ahead_retry_at;
    int64_t day_end_ms;
    struct kit_usage_zone zone; /* the account's day (UTC until authorize) */
    uint64_t calls;
    int token_bad; /* whitespace/control characters: nothing is sent */
    struct kit_http_hooks hooks;
    /* Words for messages and state keys, borrowed from the config (never
     * NULL but zone_key and zone_note). */
    const char *server, *token_env, *base_url_env, *token_source, *limit_names[3];
    const char *zone_key, *zone_note;
    /* the running batch */
    struct kit_http_req *reqs;
    struct rctl *ctl;
    size_t inflight;
    oc_status stop; /* OC_E_BUDGET / OC_E_CANCELLED: start nothing more */
    char stop_msg[OC_ERROR_MESSAGE_SIZE];
    /* The end of the latest wait a user was told of (host clock), so one
     * wait is announced once however often the loop looks at it. */
    int64_t announced_until;
    struct kit_http_spares *spares; /* shared with the requests lent to */
    unsigned long body_allocs, token_allocs;
    unsigned long page_body_allocs, page_token_allocs; /* of those, pages' */
};

/* ---- process-wide libcurl setup ---- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;
static int global_threadsafe;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    global_threadsafe = v && (v->features & CURL_VERSION_THREADSAFE);
}

/* ---- host services, with fallbacks ---- */

static int64_t now_ms(const struct kit_http *h)
{
    if(HOST_HAS(h->host, now_ms))
        return h->host->now_ms(h->host->ctx);
    return kit_wall_ms();
}

static void sleep_ms(const struct kit_http *h, int64_t ms)
{
    if(ms <= 0)
        return;
    if(HOST_HAS(h->host, sleep_ms)) {
        h->host->sleep_ms(h->host->ctx, ms);
        return;
    }
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while(nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

static int cancelled(const struct kit_http *h)
{
    return HOST_HAS(h->host, cancelled) && h->host->cancelled(h->host->ctx);
}

static void hlog(const struct kit_http *h, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void hlog(const struct kit_http *h, int level, const char *fmt, ...)
{
    if(!HOST_HAS(h->host, log))
        return;
    char line[OC_ERROR_MESSAGE_SIZE * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    kit_redact_inplace(line);
    h->host->log(h->host->ctx, level, line);
}

/* ---- configuration checks ---- */

/* Nonzero when host (the authority's host part, len bytes) is loopback:
 * localhost, [::1] or a dotted quad in 127.0.0.0/8. */
static int loopback(const char *host, size_t len)
{
    if((len == 9 && !strncasecmp(host, "localhost", 9)) || (len == 5 && !strncmp(host, "[::1]", 5)))
        return 1;
    char ip[16];
    if(len >= sizeof ip)
        return 0;
    memcpy(ip, host, len);
    ip[len] = '\0';
    unsigned a, b, c, d;
    int used = 0;
    if(sscanf(ip, "%3u.%3u.%3u.%3u%n", &a, &b, &c, &d, &used) != 4 || (size_t)used != len)
        return 0;
    for(size_t i = 0; i < len; i++)
        if(ip[i] != '.' && (ip[i] < '0' || ip[i] > '9'))
            return 0;
    return a == 127 && b < 256 && c < 256 && d < 256;
}

static oc_status check_base_url(const char *url, const char *env, struct oc_error *err)
{
    int https = !strncasecmp(url, "https://", 8);
    int http = !https && !strncasecmp(url, "http://", 7);
    if(!https && !http)
        return kit_fail(err, OC_E_CONFIG,
                       "base_url \"%s\" must start with https:// (or http:// for a loopback test "
                       "server); fix base_url%s%s",
                       url, *env ? " or " : "", env);
    const char *auth = url + (https ? 8 : 7);
    size_t alen = strcspn(auth, "/?#");
    if(memchr(auth, '@', alen))
        return kit_fail(err, OC_E_CONFIG,
                       "base_url must not carry credentials (user@host); the token is sent as a "
                       "bearer header: remove them from base_url");
    const char *host = auth;
    size_t hlen;
    if(*host == '[') {
        const char *close = memchr(host, ']', alen);
        hlen = close ? (size_t)(close - host) + 1 : alen;
    } else {
        const char *colon = memchr(host, ':', alen);
        hlen = colon ? (size_t)(colon - host) : alen;
    }
    if(hlen == 0)
        return kit_fail(err, OC_E_CONFIG, "base_url \"%s\" names no host; fix base_url", url);
    if(http && !loopback(host, hlen))
        return kit_fail(err, OC_E_CONFIG,
                       "base_url \"%s\" uses plain http to a host that is not loopback, so the "
                       "access token would travel in clear: use https:// (plain http is allowed "
                       "only for 127.0.0.0/8, localhost and [::1])",
                       url);
    return OC_OK;
}

/* ---- usage: day rollover and persistence ---- */

/* The value under state key into *buf (small, or *big when it does not
 * fit: the caller frees *big). OC_E_NOT_FOUND when absent or the host
 * keeps no state. */
static oc_status read_key(struct kit_http *h, const char *key, char *small, size_t size, char **big,
                          char **buf, size_t *len)
{
    *big = NULL;
    *buf = small;
    *len = 0;
    if(!HOST_HAS(h->host, state_get))
        return OC_E_NOT_FOUND;
    oc_status rc = h->host->state_get(h->host->ctx, key, small, size, len);
    if(rc == OC_E_RANGE && *len > 0 && *len <= KIT_JSON_MAX_BYTES && (*big = malloc(*len))) {
        *buf = *big;
        rc = h->host->state_get(h->host->ctx, key, *big, *len, len);
    }
    return rc;
}

/* Add the saved usage of `day` (if the saved record is of that day) to
 * into. Unreadable state is logged and counted as nothing. */
static void read_saved(struct kit_http *h, const char *day, struct kit_usage *into)
{
    char small[4096];
    char *big, *buf;
    size_t len;
    oc_status rc = read_key(h, KIT_USAGE_KEY, small, sizeof small, &big, &buf, &len);
    if(rc == OC_E_NOT_FOUND)
        goto out;
    if(rc) {
        hlog(h, OC_LOG_WARN,
             "usage: could not read saved usage (host status %d); counting today's calls from "
             "zero, so daily_budget only covers calls made from now on",
             rc);
        goto out;
    }
    struct kit_usage saved;
    char why[128];
    kit_usage_init(&saved);
    if(kit_usage_from_json(&saved, buf, len, why, sizeof why)) {
        hlog(h, OC_LOG_WARN,
             "usage: saved usage is unreadable (%s); counting today's calls from zero (it will "
             "be overwritten)",
             why);
        goto out;
    }
    if(kit_usage_belongs(&saved, day, h->zone.known ? h->zone.offset_ms : 0) &&
       kit_usage_add(into, &saved))
        hlog(h, OC_LOG_WARN, "usage: out of memory loading saved usage");
    kit_usage_free(&saved);
out:
    free(big);
}

/* Keep the finished days in merged's history under the history key,
 * with the days kept there already. Only called when a day moved (or an
 * older record carried its history inside), so a batch's save is
 * today's record alone. An unreadable history is said and replaced: the
 * days it held cannot be read by anyone anyway. */
static oc_status save_history(struct kit_http *h, const struct kit_usage *merged)
{
    char small[4096], why[160];
    char *big, *buf;
    size_t len;
    struct kit_usage kept;
    struct kit_buf json = KIT_BUF_INIT;
    kit_usage_init(&kept);
    memcpy(kept.day, merged->day, sizeof kept.day);
    oc_status rc = read_key(h, KIT_USAGE_HISTORY_KEY, small, sizeof small, &big, &buf, &len);
    if(rc == OC_OK && kit_usage_history_from_json(&kept, buf, len, why, sizeof why))
        hlog(h, OC_LOG_WARN, "usage: the kept usage history (state key \"%s\") is unreadable (%s); it starts again from the days counted now",
             KIT_USAGE_HISTORY_KEY, why);
    else if(rc && rc != OC_E_NOT_FOUND)
        hlog(h, OC_LOG_WARN, "usage: could not read the kept usage history (host status %d); it starts again from the days counted now", rc);
    rc = OC_E_NOMEM;
    if(kit_usage_keep_days(&kept, merged) || kit_usage_history_to_json(&kept, &json))
        goto out;
    rc = h->host->state_put(h->host->ctx, KIT_USAGE_HISTORY_KEY, json.data, json.len);
out:
    free(big);
    kit_buf_free(&json);
    kit_usage_free(&kept);
    return rc;
}

/* Merge what this client counted into what is stored (another client on
 * the same state may have counted too), with `ahead` calls counted ahead
 * in place of the allowance of the last save, store it, and adopt the sum.
 * A failed write keeps the delta for the next try. */
static void persist_usage(struct kit_http *h, uint64_t ahead)
{
    if((!h->dirty && ahead == h->ahead_stored) || !HOST_HAS(h->host, state_put))
        return;
    struct kit_usage merged;
    struct kit_buf json = KIT_BUF_INIT;
    oc_status rc = OC_E_NOMEM;
    kit_usage_init(&merged);
    kit_usage_reset(&merged, h->delta.day);
    kit_usage_set_zone(&merged, &h->zone);
    merged.budget = h->budget;
    read_saved(h, h->delta.day, &merged);
    merged.saved_at_ms = now_ms(h);
    if(kit_usage_add(&merged, &h->delta))
        goto out;
    /* What is stored holds this client's last allowance (unless someone
     * reset the state since): take it back, put the new one. */
    merged.ahead = (merged.ahead > h->ahead_stored ? merged.ahead - h->ahead_stored : 0) + ahead;
    /* History first: should the usage record's save then fail, the day
     * moved is still in it, and moving it again keeps it once. */
    if(merged.nhist && (rc = save_history(h, &merged)))
        goto out;
    kit_usage_drop_history(&merged);
    rc = OC_E_NOMEM;
    if(kit_usage_to_json(&merged, &json))
        goto out;
    rc = h->host->state_put(h->host->ctx, KIT_USAGE_KEY, json.data, json.len);
    if(rc)
        goto out;
    kit_usage_free(&h->total);
    h->total = merged;
    kit_usage_init(&merged);
    char day[11];
    memcpy(day, h->delta.day, sizeof day);
    kit_usage_reset(&h->delta, day);
    h->dirty = 0;
    h->ahead_stored = ahead;
    h->ahead_retry_at = 0;
out:
    if(rc) {
        /* Not every call after a failed save tries again: the next try
         * comes after as many calls as the allowance wanted. */
        h->ahead_retry_at = h->delta.calls + (ahead ? ahead : 1);
        hlog(h, OC_LOG_WARN,
             "usage: could not save usage counters (status %d); will try again after the next "
             "call",
             rc);
    }
    kit_buf_free(&json);
    kit_usage_free(&merged);
}

/* Start a new day's counts when the clock has passed midnight in the
 * account's zone (after saving the old day's). */
static void roll_day(struct kit_http *h, int64_t now)
{
    if(now < h->day_end_ms)
        return;
    char today[11];
    kit_usage_day_at(now, h->zone.offset_ms, today);
    h->day_end_ms = kit_usage_next_reset(now, h->zone.offset_ms);
    if(!strcmp(today, h->delta.day))
        return;
    persist_usage(h, 0);
    kit_usage_reset(&h->delta, today);
    kit_usage_reset(&h->total, today);
    h->total.budget = h->budget;
    /* The new day's record holds no allowance of this client's. */
    h->ahead_stored = h->ahead_step = h->ahead_retry_at = 0;
}

/* ---- counted ahead ----
 *
 * A call must be in the stored count before it can be lost from it: a
 * process killed between a call and the save after it would otherwise
 * undercount, and daily_budget relies on the count. Saving before every
 * call (or after every batch, as this client once did) costs a state
 * write, with its fsync, per batch: a fifth of a bulk push's CPU. So a
 * save stores an allowance of calls not made yet ("ahead" in the record,
 * plugin/usage.h), and the next save is due only when the calls made
 * since use it up. The allowance starts small (a one-off sign-up adds a
 * handful to the day at worst) and doubles while the run goes on, up to
 * AHEAD_MAX; with a daily_budget it is at most an eighth of what is left,
 * so a run that dies cannot take much of a small budget. kit_http_settle
 * (after each operation) stores the exact count and takes the unused
 * allowance back. */
#define AHEAD_FIRST 8
#define AHEAD_MAX 256

/* Calls that count against today: the stored and live ones, and the
 * allowances of other clients (or of runs that died). */
static uint64_t used_today(const struct kit_http *h)
{
    uint64_t others = h->total.ahead > h->ahead_stored ? h->total.ahead - h->ahead_stored : 0;
    return h->total.calls + others;
}

static int budget_spent(const struct kit_http *h)
{
    return h->budget && used_today(h) >= (uint64_t)h->budget;
}

/* Before a call goes out: make sure the stored count covers it. */
static void cover_call(struct kit_http *h)
{
    if(h->delta.calls < h->ahead_stored || h->delta.calls < h->ahead_retry_at ||
       !HOST_HAS(h->host, state_put))
        return;
    uint64_t a = h->ahead_step ? h->ahead_step : AHEAD_FIRST;
    h->ahead_step = a < AHEAD_MAX ? a * 2 : AHEAD_MAX;
    if(h->budget) {
        uint64_t used = used_today(h);
        uint64_t room = (uint64_t)h->budget > used ? (uint64_t)h->budget - used : 0;
        if(a > room / 8)
            a = room / 8;
    }
    /* delta.calls are made already and go into calls; the allowance
     * covers this call and the ones after it. */
    persist_usage(h, a ? a : 1);
}

void kit_http_settle(struct kit_http *h)
{
    if(!h)
        return;
    persist_usage(h, 0);
    h->ahead_step = 0;
}

static void count(struct kit_http *h, const char *endpoint, enum kit_usage_what what)
{
    /* Out of memory only loses a counter; the call itself is unaffected. */
    kit_usage_count(&h->total, endpoint, what);
    kit_usage_count(&h->delta, endpoint, what);
    h->dirty = 1;
}

static void learn_limits(struct kit_http *h, const struct kit_http_meta *hd, int64_t now)
{
    int64_t v[KIT_LIM_COUNT] = {hd->limit_max, hd->limit_remaining, hd->limit_interval_ms,
                                hd->daily_limit, hd->daily_remaining};
    for(int i = 0; i < KIT_LIM_COUNT; i++) {
        if(v[i] >= 0) {
            h->total.limits[i] = h->delta.limits[i] = v[i];
            h->dirty = 1;
        }
    }
    kit_pacer_learn(&h->pacer, now, hd->limit_max, hd->limit_remaining, hd->limit_interval_ms,
                   (int64_t)h->inflight);
}

/* ---- client lifetime ---- */

/* "" for a word the connector did not give. */
static const char *word(const char *s) { return s ? s : ""; }

/* Phase 1 of kit_http_new: refuse what cannot work, before allocating.
 * *token_bad says whether the token may go in a header. */
static oc_status check_config(const struct kit_http_config *cfg, int *token_bad,
                              struct oc_error *err)
{
    pthread_once(&global_once, global_init);
    if(global_rc != CURLE_OK)
        return kit_fail(err, OC_E_CONFIG,
                       "libcurl failed to initialise (curl_global_init: %s); check the libcurl "
                       "installation",
                       curl_easy_strerror(global_rc));
    if(!cfg->token || !*cfg->token)
        return kit_fail(err, OC_E_CONFIG, "no access token: set %s%saccess_token in the config",
                        word(cfg->token_env), cfg->token_env ? " or " : "");
    /* A token with whitespace or control characters is accepted here (the
     * connector's authorize reports its shape to the user) but never put
     * in a header: CR/LF would inject headers. Every request is refused. */
    *token_bad = 0;
    for(const char *p = cfg->token; *p; p++)
        if((unsigned char)*p <= ' ' || *p == 0x7f)
            *token_bad = 1;
    if(!cfg->base_url || !*cfg->base_url)
        return kit_fail(err, OC_E_CONFIG, "no base_url: set base_url%s%s to the API's root URL",
                        cfg->base_url_env ? " or " : "", word(cfg->base_url_env));
    oc_status rc = check_base_url(cfg->base_url, word(cfg->base_url_env), err);
    if(rc)
        return rc;
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    if(!strncasecmp(cfg->base_url, "https://", 8) && !(cv->features & CURL_VERSION_SSL))
        return kit_fail(err, OC_E_CONFIG,
                       "this libcurl (%s) has no TLS support, so https://%s cannot be reached; "
                       "install a libcurl built with TLS",
                       cv->version, cfg->base_url + 8);
    return OC_OK;
}

/* Phase 2: copy the strings and settle every setting on its default.
 * -1 on oom (h is freed by the caller). */
static int take_settings(struct kit_http *h, const struct kit_http_config *cfg)
{
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    struct kit_buf ua = KIT_BUF_INIT;
    h->base_url = strdup(cfg->base_url);
    h->token = strdup(cfg->token);
    kit_buf_printf(&ua, "%s libcurl/%s",
                   cfg->user_agent && *cfg->user_agent ? cfg->user_agent : "onecount-connector",
                   cv->version);
    h->user_agent = kit_buf_take(&ua);
    if(!h->base_url || !h->token || !h->user_agent)
        return -1;
    kit_redact_register(h->token);
    size_t bl = strlen(h->base_url);
    while(bl > 0 && h->base_url[bl - 1] == '/')
        h->base_url[--bl] = '\0';

    h->hooks = cfg->hooks;
    h->server = cfg->server_name ? cfg->server_name : "the server";
    h->token_env = word(cfg->token_env);
    h->base_url_env = word(cfg->base_url_env);
    h->token_source = cfg->token_source ? cfg->token_source : "where it was issued";
    static const char *const plain_names[3] = {"max", "remaining", "interval ms"};
    for(int i = 0; i < 3; i++)
        h->limit_names[i] = cfg->limit_names[i] ? cfg->limit_names[i] : plain_names[i];
    h->zone_key = cfg->zone_key;
    h->zone_note = cfg->zone_note;

    h->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms
                                                        : KIT_HTTP_DEFAULT_CONNECT_TIMEOUT_MS;
    h->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : KIT_HTTP_DEFAULT_TIMEOUT_MS;
    h->max_retries = cfg->max_retries >= 0 ? cfg->max_retries : KIT_HTTP_DEFAULT_MAX_RETRIES;
    h->nslots = cfg->max_concurrency > 0 ? cfg->max_concurrency : KIT_HTTP_DEFAULT_MAX_CONCURRENCY;
    if(h->nslots > MAX_SLOTS)
        h->nslots = MAX_SLOTS;
    h->max_body = cfg->max_body ? cfg->max_body : KIT_HTTP_MAX_BODY;
    h->budget = cfg->daily_budget > 0 ? cfg->daily_budget : 0;
    kit_pacer_init(&h->pacer, cfg->burst_max > 0 ? cfg->burst_max : KIT_HTTP_DEFAULT_BURST_MAX,
                   cfg->burst_window_ms > 0 ? cfg->burst_window_ms
                                            : KIT_HTTP_DEFAULT_BURST_WINDOW_MS);
    return 0;
}

/* Phase 3: the transfer slots, the multi handle and the two header lists
 * (with and without a body). -1 on oom. */
static int make_transport(struct kit_http *h)
{
    struct kit_buf auth = KIT_BUF_INIT;
    struct curl_slist *t;
    int rc = -1;
    if(!(h->slots = calloc((size_t)h->nslots, sizeof *h->slots)) || !(h->multi = curl_multi_init()))
        return -1;
    for(int i = 0; i < h->nslots; i++)
        h->slots[i].h = h;
    curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)h->nslots);

    if(!h->token_bad)
        kit_buf_printf(&auth, "Authorization: Bearer %s", h->token);
    else
        kit_buf_puts(&auth, "X-No-Authorization: malformed token not sent");
    const char *common[] = {"Accept: application/json", "Expect:"};
    if(!kit_buf_ok(&auth))
        goto out;
    for(int pass = 0; pass < 2; pass++) {
        struct curl_slist **l = pass ? &h->hdr_json : &h->hdr_plain;
        if(!(t = curl_slist_append(*l, auth.data)))
            goto out;
        *l = t;
        for(size_t i = 0; i < sizeof common / sizeof common[0]; i++) {
            if(!(t = curl_slist_append(*l, common[i])))
                goto out;
            *l = t;
        }
    }
    if(!(t = curl_slist_append(h->hdr_json, "Content-Type: application/json")))
        goto out;
    h->hdr_json = t;
    rc = 0;
out:
    if(auth.data)
        explicit_bzero(auth.data, auth.len);
    kit_buf_free(&auth);
    return rc;
}

/* Phase 4: today's day in the account's zone and what was counted in it
 * already. Problems are warnings: counting goes on from what is known. */
static void load_usage(struct kit_http *h)
{
    int64_t now = now_ms(h);
    char today[11], why[160];
    if(kit_usage_zone_load(h->host, h->zone_key, &h->zone, why, sizeof why))
        hlog(h, OC_LOG_WARN,
             "usage: the saved account time zone (state key \"%s\") is unusable (%s); counting "
             "days in UTC, so the daily budget may reset at the wrong hour: run authorize to "
             "save it again",
             h->zone_key, why);
    kit_usage_day_at(now, h->zone.offset_ms, today);
    h->day_end_ms = kit_usage_next_reset(now, h->zone.offset_ms);
    kit_usage_init(&h->total);
    kit_usage_init(&h->delta);
    kit_usage_set_zone(&h->total, &h->zone);
    kit_usage_set_zone(&h->delta, &h->zone);
    kit_usage_reset(&h->delta, today);
    kit_usage_reset(&h->total, today);
    h->total.budget = h->budget;
    read_saved(h, today, &h->total);
}

oc_status kit_http_new(const struct kit_http_config *cfg, const struct oc_host *host,
                      struct kit_http **out, struct oc_error *err)
{
    struct kit_http *h = NULL;
    int token_bad = 0;
    *out = NULL;
    if(!cfg)
        return kit_fail(err, OC_E_CONFIG, "no HTTP client configuration given");
    oc_status rc = check_config(cfg, &token_bad, err);
    if(rc)
        return rc;
    if(!(h = calloc(1, sizeof *h)))
        goto fail;
    h->host = host;
    h->token_bad = token_bad;
    if(!(h->spares = calloc(1, sizeof *h->spares)))
        goto fail;
    h->spares->refs = 1;
    if(take_settings(h, cfg) || make_transport(h))
        goto fail;
    load_usage(h);

    /* libcurl without CURL_VERSION_THREADSAFE (before 7.84) only lacks a
     * thread-safe curl_global_init; ours runs under pthread_once and every
     * instance has its own handles, so the plugin itself is safe. Refusing
     * would lock out older distributions for a risk that exists only if
     * the host also initialises libcurl from another thread: say so
     * instead. */
    if(!global_threadsafe)
        hlog(h, OC_LOG_WARN,
             "libcurl %s does not declare CURL_VERSION_THREADSAFE; if the host initialises "
             "libcurl itself from another thread, upgrade to libcurl 7.84 or newer",
             curl_version_info(CURLVERSION_NOW)->version);
    *out = h;
    return OC_OK;
fail:
    kit_http_free(h);
    return kit_fail(err, OC_E_NOMEM, "out of memory creating the HTTP client");
}

void kit_http_free(struct kit_http *h)
{
    if(!h)
        return;
    for(int i = 0; h->slots && i < h->nslots; i++) {
        if(h->slots[i].easy) {
            if(h->multi && h->slots[i].busy)
                curl_multi_remove_handle(h->multi, h->slots[i].easy);
            curl_easy_cleanup(h->slots[i].easy);
        }
    }
    if(h->multi)
        curl_multi_cleanup(h->multi);
    free(h->slots);
    /* The lists hold the token in "Authorization: Bearer ..." lines. */
    for(int pass = 0; pass < 2; pass++)
        for(struct curl_slist *l = pass ? h->hdr_json : h->hdr_plain; l; l = l->next)
            explicit_bzero(l->data, strlen(l->data));
    curl_slist_free_all(h->hdr_plain);
    curl_slist_free_all(h->hdr_json);
    if(h->token) {
        kit_redact_forget(h->token);
        explicit_bzero(h->token, strlen(h->token));
        free(h->token);
    }
    free(h->base_url);
    free(h->user_agent);
    kit_usage_free(&h->total);
    kit_usage_free(&h->delta);
    if(h->spares) {
        h->spares->closed = 1;
        spares_release(h->spares);
    }
    free(h);
}

uint64_t kit_http_calls(const struct kit_http *h) { return h ? h->calls : 0; }

/* ---- requests ---- */

static void spares_drop_memory(struct kit_http_spares *s)
{
    while(s->nbody)
        kit_buf_free(&s->body[--s->nbody]);
    while(s->ntokens)
        kit_json_free(&s->tokens[--s->ntokens]);
    kit_buf_free(&s->page_body);
    kit_json_free(&s->page_tokens);
}

/* Drop one reference; the last one frees s. */
static void spares_release(struct kit_http_spares *s)
{
    if(s->closed)
        spares_drop_memory(s);
    if(--s->refs == 0)
        free(s);
}

/* Lend r a kept body and token array, when it brings neither. A page's
 * first body is reserved its page_room at once rather than grown to it by
 * doubling, a realloc and a copy per step. */
static void spares_lend(struct kit_http *h, struct kit_http_req *r)
{
    struct kit_http_spares *s = h->spares;
    if(r->spares || r->resp.data || r->json.tok)
        return;
    r->spares = s;
    s->refs++;
    if(r->page_room) {
        r->resp = s->page_body;
        kit_buf_init(&s->page_body);
        r->json = s->page_tokens;
        memset(&s->page_tokens, 0, sizeof s->page_tokens);
        if(r->resp.data)
            return;
        if(kit_buf_reserve(&r->resp, r->page_room))
            kit_buf_free(&r->resp); /* the answer grows as it can */
        else {
            h->body_allocs++;
            h->page_body_allocs++;
        }
        return;
    }
    if(s->nbody) {
        r->resp = s->body[--s->nbody];
        kit_buf_init(&s->body[s->nbody]);
    }
    if(s->ntokens) {
        r->json = s->tokens[--s->ntokens];
        memset(&s->tokens[s->ntokens], 0, sizeof s->tokens[s->ntokens]);
    }
}

/* Move b into the empty slot when it is worth keeping: whole (a body that
 * ran out of memory keeps its oom mark, which would fail the next answer)
 * and within bound. 1 when kept. */
static int keep_body(struct kit_buf *slot, struct kit_buf *b, size_t bound)
{
    if(slot->data || !b->data || !kit_buf_ok(b) || b->cap > bound)
        return 0;
    kit_buf_reset(b);
    *slot = *b;
    kit_buf_init(b);
    return 1;
}

/* The same for a token array (bound in tokens); its document is dropped. */
static int keep_tokens(struct kit_json *slot, struct kit_json *j, size_t bound)
{
    if(slot->tok || !j->tok || j->cap > bound)
        return 0;
    memset(slot, 0, sizeof *slot);
    slot->tok = j->tok;
    slot->cap = j->cap;
    memset(j, 0, sizeof *j);
    return 1;
}

/* Take back r's answer memory, what is worth keeping; the rest stays r's
 * to free. */
static void spares_take_back(struct kit_http_spares *s, struct kit_http_req *r)
{
    if(!s->closed && r->page_room) {
        keep_body(&s->page_body, &r->resp, PAGE_BODY_KEEP);
        keep_tokens(&s->page_tokens, &r->json, PAGE_TOKENS_KEEP);
    }
    if(!s->closed && s->nbody < SPARES_KEEP)
        s->nbody += (size_t)keep_body(&s->body[s->nbody], &r->resp, SPARE_BODY_KEEP);
    if(!s->closed && s->ntokens < SPARES_KEEP)
        s->ntokens += (size_t)keep_tokens(&s->tokens[s->ntokens], &r->json, SPARE_TOKENS_KEEP);
    r->spares = NULL;
    spares_release(s);
}

void kit_http_answer_allocs(const struct kit_http *h, unsigned long *bodies,
                            unsigned long *token_arrays)
{
    if(bodies)
        *bodies = h ? h->body_allocs : 0;
    if(token_arrays)
        *token_arrays = h ? h->token_allocs : 0;
}

void kit_http_page_memory(const struct kit_http *h, struct kit_http_page_memory *m)
{
    memset(m, 0, sizeof *m);
    if(!h)
        return;
    m->body_cap = h->spares->page_body.cap;
    m->tokens_cap = h->spares->page_tokens.cap;
    m->body_allocs = h->page_body_allocs;
    m->token_allocs = h->page_token_allocs;
}

void kit_http_pages_end(struct kit_http *h)
{
    if(!h)
        return;
    kit_buf_free(&h->spares->page_body);
    kit_json_free(&h->spares->page_tokens);
    h->page_body_allocs = 0;
    h->page_token_allocs = 0;
}

void kit_http_req_init(struct kit_http_req *r, const char *method, const char *path,
                      const char *body, size_t body_len, const char *endpoint)
{
    memset(r, 0, sizeof *r);
    r->method = method;
    r->path = path;
    r->body = body;
    r->body_len = body_len;
    r->endpoint = endpoint;
    r->err.struct_size = sizeof r->err;
}

void kit_http_req_free(struct kit_http_req *r)
{
    if(!r)
        return;
    if(r->spares)
        spares_take_back(r->spares, r);
    kit_json_free(&r->json);
    kit_buf_free(&r->resp);
}

/* "POST /v3/things/batch": the call named in messages, query left out
 * (it can be long and adds nothing). */
static void what(const struct kit_http_req *r, char *out, size_t size)
{
    const char *p = r->path ? r->path : "/";
    int plen = (int)strcspn(p, "?");
    snprintf(out, size, "%s %.*s", r->method ? r->method : "GET", plen > 200 ? 200 : plen, p);
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    struct slot *s = ud;
    struct kit_http_req *r = &s->h->reqs[s->req];
    size_t len = size * n;
    if(len > s->h->max_body || r->resp.len > s->h->max_body - len) {
        s->oversize = 1;
        return CURL_WRITEFUNC_ERROR;
    }
    if(kit_buf_append(&r->resp, data, len)) {
        s->oom = 1;
        return CURL_WRITEFUNC_ERROR;
    }
    return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    struct slot *s = ud;
    size_t len = size * n;
    if(len > KIT_HTTP_MAX_HEADER_BYTES || s->hdr_bytes > KIT_HTTP_MAX_HEADER_BYTES - len) {
        s->hdr_over = 1;
        return 0; /* anything but len aborts the transfer */
    }
    s->hdr_bytes += len;
    /* A status line opens a block (an interim 1xx or the final answer),
     * the blank line closes it. */
    if(len >= 5 && !memcmp(data, "HTTP/", 5)) {
        s->hdr_done = 0;
        kit_http_meta_reset(&s->hdr);
        return len;
    }
    if((len == 2 && data[0] == '\r' && data[1] == '\n') || (len == 1 && data[0] == '\n'))
        s->hdr_done = 1;
    const struct kit_http_hooks *hk = &s->h->hooks;
    if(hk->header)
        hk->header(hk->ctx, &s->hdr, data, len);
    else
        kit_http_meta_standard(&s->hdr, data, len);
    return len;
}

#if LIBCURL_VERSION_NUM >= 0x075000 /* CURLOPT_PREREQFUNCTION: 7.80 */
#define HAVE_PREREQ 1
/* libcurl calls this each time the request is about to go out on a
 * connection, including the silent resend after a reused connection died
 * with nothing received. The first send was counted by start(); each
 * resend is a call the server counts too, so it is counted here (and refused
 * when the daily budget has no room for it). An older libcurl has no such
 * hook: its resends go uncounted. */
static int on_send(void *ud, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
    (void)primary_ip, (void)local_ip, (void)primary_port, (void)local_port;
    struct slot *s = ud;
    struct kit_http *h = s->h;
    if(++s->sends == 1)
        return CURL_PREREQFUNC_OK;
    if(budget_spent(h)) {
        s->budget_abort = 1;
        return CURL_PREREQFUNC_ABORT;
    }
    const struct kit_http_req *r = &h->reqs[s->req];
    cover_call(h);
    h->calls++;
    count(h, r->endpoint, KIT_USE_CALL);
    count(h, r->endpoint, KIT_USE_RETRY);
    kit_pacer_sent(&h->pacer, now_ms(h), r->search);
    return CURL_PREREQFUNC_OK;
}
#endif

/* Configure s->easy for one attempt of r. Returns 0, or -1 when libcurl
 * refused an option (out of memory, or an option this build lacks). */
static int setup(struct kit_http *h, struct slot *s, const struct kit_http_req *r)
{
    CURL *e = s->easy;
    struct kit_buf url = KIT_BUF_INIT;
    kit_buf_printf(&url, "%s%s", h->base_url, r->path ? r->path : "/");
    if(!kit_buf_ok(&url))
        return -1;
    /* reset keeps the connection, DNS and TLS session caches. */
    curl_easy_reset(e);
    CURLcode c = CURLE_OK;
    const char *m = r->method ? r->method : "GET";
    int has_body = r->body != NULL;
#define SET(opt, val)                          \
    do {                                       \
        if(c == CURLE_OK)                      \
            c = curl_easy_setopt(e, opt, val); \
    } while(0)
    SET(CURLOPT_URL, url.data);
#if LIBCURL_VERSION_NUM >= 0x075500
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
    SET(CURLOPT_TIMEOUT_MS, h->timeout_ms);
    /* Verification is never switched off, whatever the options say. */
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_USERAGENT, h->user_agent);
    SET(CURLOPT_ACCEPT_ENCODING, "");
    SET(CURLOPT_HTTPHEADER, has_body ? h->hdr_json : h->hdr_plain);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, s);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, s);
    SET(CURLOPT_ERRORBUFFER, s->errbuf);
    SET(CURLOPT_PRIVATE, s);
#ifdef HAVE_PREREQ
    SET(CURLOPT_PREREQFUNCTION, on_send);
    SET(CURLOPT_PREREQDATA, s);
#endif
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_body);
    /* libcurl takes a proxy from http_proxy, ALL_PROXY or all_proxy on its
     * own; through it a plain-http request (allowed only to loopback) would
     * show the token to the proxy in clear. So plain http never uses one.
     * https keeps the environment's proxy as libcurl users expect: it only
     * sees a CONNECT tunnel. */
    if(!strncasecmp(h->base_url, "http://", 7)) {
        SET(CURLOPT_PROXY, "");
        SET(CURLOPT_NOPROXY, "*");
    }
    if(!strcmp(m, "GET")) {
        SET(CURLOPT_HTTPGET, 1L);
    } else if(!strcmp(m, "POST")) {
        SET(CURLOPT_POST, 1L);
    } else {
        SET(CURLOPT_CUSTOMREQUEST, m);
    }
    if(has_body || !strcmp(m, "POST")) {
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(has_body ? r->body_len : 0));
        SET(CURLOPT_POSTFIELDS, has_body ? r->body : "");
    }
#undef SET
    kit_buf_free(&url);
    return c == CURLE_OK ? 0 : -1;
}

static void req_done(struct kit_http *h, size_t i, oc_status rc)
{
    h->reqs[i].rc = rc;
    h->ctl[i].state = R_DONE;
}

static void start(struct kit_http *h, struct slot *s, size_t i, int64_t now)
{
    struct kit_http_req *r = &h->reqs[i];
    char w[256];
    kit_json_clear(&r->json);
    kit_buf_reset(&r->resp);
    r->status = 0;
    kit_http_meta_reset(&s->hdr);
    s->oversize = s->oom = s->hdr_over = s->hdr_done = 0;
    s->sends = s->budget_abort = 0;
    s->hdr_bytes = 0;
    s->errbuf[0] = '\0';
    s->req = i;
    if((!s->easy && !(s->easy = curl_easy_init())) || setup(h, s, r) ||
       curl_multi_add_handle(h->multi, s->easy) != CURLM_OK) {
        what(r, w, sizeof w);
        kit_fail(&r->err, OC_E_NOMEM, "%s: could not set up the transfer (out of memory)", w);
        req_done(h, i, OC_E_NOMEM);
        return;
    }
    cover_call(h);
    s->busy = 1;
    h->inflight++;
    h->ctl[i].state = R_FLIGHT;
    r->attempts++;
    h->calls++;
    count(h, r->endpoint, KIT_USE_CALL);
    if(r->attempts > 1)
        count(h, r->endpoint, KIT_USE_RETRY);
    kit_pacer_sent(&h->pacer, now, r->search);
}

/* A wait as a person reads it: "734 ms", "4 s", "10.2 s", "2 min 5 s";
 * rounded up, so a user is never told less than the wait. */
static void wait_text(int64_t ms, char *out, size_t size)
{
    if(ms < 1000) {
        snprintf(out, size, "%lld ms", (long long)(ms > 0 ? ms : 0));
        return;
    }
    if(ms < 60000) {
        long long tenths = (long long)((ms + 99) / 100);
        if(tenths % 10)
            snprintf(out, size, "%lld.%lld s", tenths / 10, tenths % 10);
        else
            snprintf(out, size, "%lld s", tenths / 10);
        return;
    }
    long long sec = (long long)((ms + 999) / 1000);
    if(sec < 120)
        snprintf(out, size, "%lld s", sec);
    else if(sec % 60)
        snprintf(out, size, "%lld min %lld s", sec / 60, sec % 60);
    else
        snprintf(out, size, "%lld min", sec / 60);
}

static void note_announced(struct kit_http *h, int64_t until)
{
    if(until > h->announced_until)
        h->announced_until = until;
}

/* The line a user sees at every retry, at the level shown by default: a
 * retrying run would otherwise look hung (with the defaults, 23 s of
 * backoff against a closed port). server_wait: the server asked for the
 * wait (a rate limit), so the wait leads the line. */
static void announce_retry(struct kit_http *h, const struct kit_http_req *r, int64_t now, int64_t wait,
                           const char *reason, int server_wait)
{
    char w[256], t[32];
    what(r, w, sizeof w);
    wait_text(wait, t, sizeof t);
    if(server_wait)
        hlog(h, OC_LOG_WARN, "waiting %s: %s, retry %d of %d (%s)", t, reason, r->attempts, h->max_retries,
             w);
    else
        hlog(h, OC_LOG_WARN, "%s, retry %d of %d in %s (%s)", reason, r->attempts, h->max_retries, t, w);
    hlog(h, OC_LOG_INFO, "%s", r->err.message);
    note_announced(h, now + wait);
}

/* Put request i back in the queue after wait ms, or end it when no
 * retries are left or the wait is longer than we sleep through. The
 * caller has already filled r->err describing this attempt's failure;
 * reason says it in a few words for the retry line (see announce_retry). */
static void retry_or_fail(struct kit_http *h, size_t i, int64_t now, int64_t wait, oc_status rc,
                          const char *reason, int server_wait)
{
    struct kit_http_req *r = &h->reqs[i];
    r->err.retryable = 1;
    r->err.retry_after_ms = wait;
    if(wait > KIT_RETRY_MAX_WAIT_MS) {
        /* Only a server's word (Retry-After, a learned window) asks for
         * this much; our own backoff stays far below. */
        char w[256], prefix[512];
        what(r, w, sizeof w);
        snprintf(prefix, sizeof prefix,
                 "%s: not retried: %s asked to wait %lld s, longer than the %d s this "
                 "connector waits on a server's word; rerun after that wait (nothing was lost). "
                 "Its answer",
                 w, h->server, (long long)((wait + 999) / 1000), KIT_RETRY_MAX_WAIT_MS / 1000);
        kit_error_wrap(&r->err, rc, prefix, NULL);
        req_done(h, i, rc);
        return;
    }
    if(r->attempts > h->max_retries || h->stop) {
        r->err.status = rc;
        req_done(h, i, rc);
        return;
    }
    announce_retry(h, r, now, wait, reason, server_wait);
    h->ctl[i].state = R_READY;
    h->ctl[i].not_before = now + wait;
}

static void stop_for_budget(struct kit_http *h);

/* The transfer's own troubles (the budget, memory, our size caps): the
 * request ends, never retried. 1 when one of them happened. */
static int end_on_local_limit(struct kit_http *h, struct slot *s, CURLcode cc, long status,
                              const char *w)
{
    size_t i = s->req;
    struct kit_http_req *r = &h->reqs[i];
    if(s->budget_abort) {
        stop_for_budget(h);
        kit_fail(&r->err, OC_E_BUDGET,
                "%s: the connection died before an answer and the resend was not made: %s", w,
                h->stop_msg);
        r->err.retryable = 1;
        req_done(h, i, OC_E_BUDGET);
        return 1;
    }
    if(s->oom) {
        kit_fail(&r->err, OC_E_NOMEM, "%s: out of memory reading the response", w);
        req_done(h, i, OC_E_NOMEM);
        return 1;
    }
    /* Not retried: the same request would bring the same answer. */
    if(s->oversize || cc == CURLE_FILESIZE_EXCEEDED)
        kit_fail(&r->err, OC_E_PROTOCOL,
                "%s: the response body passed the %zu-byte limit (max_body), transfer aborted "
                "and not retried; %s's answers are far smaller: check that base_url points "
                "at %s's API",
                w, h->max_body, h->server, h->server);
    else if(s->hdr_over)
        kit_fail(&r->err, OC_E_PROTOCOL,
                "%s: the response headers passed %u bytes, transfer aborted and not retried; "
                "%s's answers carry a few KiB: check that base_url points at %s's API",
                w, KIT_HTTP_MAX_HEADER_BYTES, h->server, h->server);
    else if(cc == CURLE_OUT_OF_MEMORY && s->hdr_bytes > 0 && !s->hdr_done)
        /* libcurl says "out of memory" for a single header line over its
         * own limit (100 KB), which never reaches on_header whole. */
        kit_fail(&r->err, OC_E_PROTOCOL,
                "%s: libcurl refused the response headers (a header line over its 100 KB "
                "limit, or out of memory), not retried; %s's answers carry a few KiB of "
                "headers: check that base_url points at %s's API",
                w, h->server, h->server);
    else
        return 0;
    r->status = status;
    count(h, r->endpoint, KIT_USE_ERROR);
    r->err.http_status = (int)status;
    req_done(h, i, OC_E_PROTOCOL);
    return 1;
}

/* A network failure in a few words: "HubSpot unreachable (connection
 * refused)". The system's errno names a refused or unreachable peer
 * better than libcurl's text, which carries addresses and timings. */
static void transport_reason(const struct kit_http *h, const struct slot *s, CURLcode cc, char *out,
                             size_t size)
{
    long os_errno = 0;
    curl_easy_getinfo(s->easy, CURLINFO_OS_ERRNO, &os_errno);
    char detail[128];
    if(cc == CURLE_COULDNT_RESOLVE_HOST)
        snprintf(detail, sizeof detail, "its host name does not resolve");
    else if(cc == CURLE_COULDNT_RESOLVE_PROXY)
        snprintf(detail, sizeof detail, "the proxy's host name does not resolve");
    else if(os_errno > 0)
        snprintf(detail, sizeof detail, "%s", strerror((int)os_errno));
    else
        snprintf(detail, sizeof detail, "%s", curl_easy_strerror(cc));
    if(detail[0] >= 'A' && detail[0] <= 'Z' && !(detail[1] >= 'A' && detail[1] <= 'Z'))
        detail[0] = (char)(detail[0] - 'A' + 'a');
    if(cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST || cc == CURLE_COULDNT_RESOLVE_PROXY ||
       cc == CURLE_SSL_CONNECT_ERROR)
        snprintf(out, size, "%s unreachable (%s)", h->server, detail);
    else
        snprintf(out, size, "the connection to %s broke (%s)", h->server, detail);
}

/* No whole answer came (cc != CURLE_OK, or headers cut short): retry
 * what the network may fix, end the rest. */
static void end_on_transport(struct kit_http *h, struct slot *s, CURLcode cc, int64_t now,
                             const char *w)
{
    size_t i = s->req;
    struct kit_http_req *r = &h->reqs[i];
    const char *pl = r->attempts > 1 ? "s" : "";
    char reason[256];
    count(h, r->endpoint, KIT_USE_ERROR);
    if(cc == CURLE_OK) {
        /* libcurl takes a header block cut short by a close as a whole
         * answer with no body; it is a dropped connection. */
        kit_fail(&r->err, OC_E_TRANSIENT,
                "%s: the connection closed in the middle of the response headers after %d "
                "attempt%s; check the network and base_url, then rerun (nothing was lost)",
                w, r->attempts, pl);
        snprintf(reason, sizeof reason, "%s closed the connection in the middle of its answer", h->server);
        retry_or_fail(h, i, now, kit_retry_backoff_ms(i, r->attempts), OC_E_TRANSIENT, reason, 0);
        return;
    }
    const char *detail = s->errbuf[0] ? s->errbuf : curl_easy_strerror(cc);
    if(cc == CURLE_OPERATION_TIMEDOUT) {
        /* Slow or stalled answers end here, trickling ones included:
         * timeout_ms bounds the whole transfer, not the gaps. */
        kit_fail(&r->err, OC_E_TRANSIENT,
                "%s: no complete answer within timeout_ms (%ld ms) after %d attempt%s (%s); "
                "check the network and base_url, raise timeout_ms if %s is slow, then "
                "rerun (nothing was lost)",
                w, h->timeout_ms, r->attempts, pl, detail, h->server);
        snprintf(reason, sizeof reason, "no answer from %s within timeout_ms (%ld ms)", h->server, h->timeout_ms);
        retry_or_fail(h, i, now, kit_retry_backoff_ms(i, r->attempts), OC_E_TRANSIENT, reason, 0);
    } else if(kit_retry_curl(cc)) {
        kit_fail(&r->err, OC_E_TRANSIENT,
                "%s: %s after %d attempt%s; check the network and base_url, then rerun "
                "(nothing was lost)",
                w, detail, r->attempts, pl);
        transport_reason(h, s, cc, reason, sizeof reason);
        retry_or_fail(h, i, now, kit_retry_backoff_ms(i, r->attempts), OC_E_TRANSIENT, reason, 0);
    } else if(cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ||
              cc == CURLE_SSL_CERTPROBLEM || cc == CURLE_SSL_ISSUER_ERROR) {
        kit_fail(&r->err, OC_E_CONFIG,
                "%s: TLS verification failed (%s); verification is never disabled: check "
                "the system CA certificates, the clock and base_url",
                w, detail);
        req_done(h, i, OC_E_CONFIG);
    } else {
        kit_fail(&r->err, OC_E_TRANSIENT, "%s: %s; check base_url and the network", w, detail);
        req_done(h, i, OC_E_TRANSIENT);
    }
}

/* A 2xx came: done when its body is well-formed JSON (or rightly empty),
 * else retried (a body lost or garbled on the way) or, over a reader
 * limit, ended. prc and why are kit_json_parse's answer. */
static void end_on_success(struct kit_http *h, struct slot *s, int prc, const char *why,
                           int64_t now, const char *w)
{
    size_t i = s->req;
    struct kit_http_req *r = &h->reqs[i];
    long status = r->status;
    /* Only 204/205 mean "no body"; an empty 200 is a body lost on the way. */
    if(prc == 0 || (r->resp.len == 0 && (status == 204 || status == 205))) {
        kit_error_clear(&r->err);
        req_done(h, i, OC_OK);
        return;
    }
    count(h, r->endpoint, KIT_USE_ERROR);
    if(prc == -2) {
        /* Well-formed as far as read, but over a reader limit: the same
         * request would bring the same body, so no retry. */
        kit_fail(&r->err, OC_E_PROTOCOL,
                "%s: HTTP %ld with a JSON body the reader refuses (%s), not retried; %s's "
                "answers are far smaller: check that base_url points at %s's API",
                w, status, why, h->server, h->server);
        r->err.http_status = (int)status;
        req_done(h, i, OC_E_PROTOCOL);
        return;
    }
    const char *cid = s->hdr.correlation_id;
    kit_fail(&r->err, OC_E_PROTOCOL,
            "%s: HTTP %ld with a malformed JSON body (%s) after %d attempt%s; rerun later, "
            "and report it with the correlationId if it persists%s%s",
            w, status, r->resp.len ? why : "empty body", r->attempts, r->attempts > 1 ? "s" : "",
            cid[0] ? " " : "", cid);
    r->err.http_status = (int)status;
    kit_error_ids(&r->err, cid, NULL);
    char reason[160];
    snprintf(reason, sizeof reason, "%s sent a malformed answer (HTTP %ld, %s)", h->server, status,
             r->resp.len ? "not JSON" : "empty body");
    retry_or_fail(h, i, now, kit_retry_backoff_ms(i, r->attempts), OC_E_PROTOCOL, reason, 0);
}

/* An error answer: the connector's hook says what it means, the client
 * does what it decided. */
static void end_on_error_answer(struct kit_http *h, struct slot *s, int parsed, int64_t now,
                                const char *w)
{
    size_t i = s->req;
    struct kit_http_req *r = &h->reqs[i];
    count(h, r->endpoint, KIT_USE_ERROR);
    struct kit_http_answer a = {w, r->status, parsed ? &r->json : NULL, &s->hdr, r->attempts,
                                r->search};
    struct kit_http_decision d = {.next = KIT_NEXT_FINAL};
    if(h->hooks.answer)
        h->hooks.answer(h->hooks.ctx, &a, &r->err, &d);
    if(r->err.status == OC_OK) /* no hook, or one that said nothing */
        kit_http_answer_default(NULL, &a, &r->err, &d);
    if(r->status == 429) {
        count(h, r->endpoint, KIT_USE_429);
        kit_usage_count_policy(&h->total, d.policy);
        kit_usage_count_policy(&h->delta, d.policy);
    }
    int64_t wait = d.wait_ms, ra = s->hdr.retry_after_ms;
    int server_wait = 1;
    switch(d.next) {
    case KIT_NEXT_STOP_DAY:
        req_done(h, i, OC_E_BUDGET);
        if(!h->stop) {
            h->stop = OC_E_BUDGET;
            snprintf(h->stop_msg, sizeof h->stop_msg, "%s", r->err.message);
        }
        hlog(h, OC_LOG_WARN, "%s", r->err.message);
        return;
    case KIT_NEXT_WINDOW:
        wait = ra >= 0 ? ra : kit_pacer_window_ms(&h->pacer);
        /* Everyone waits, not just this request: the window is shared. */
        kit_pacer_block(&h->pacer, now + wait);
        break;
    case KIT_NEXT_WAIT:
        if(d.hold_all)
            kit_pacer_block(&h->pacer, now + wait);
        break;
    case KIT_NEXT_BACKOFF:
        wait = kit_retry_backoff_ms(i, r->attempts);
        if(wait < d.wait_ms)
            wait = d.wait_ms;
        if(ra > wait)
            wait = ra;
        server_wait = ra >= wait;
        break;
    default:
        req_done(h, i, r->err.status);
        return;
    }
    char reason[160];
    if(d.reason)
        snprintf(reason, sizeof reason, "%s", d.reason);
    else
        snprintf(reason, sizeof reason, "%s answered HTTP %ld", h->server, r->status);
    retry_or_fail(h, i, now, wait, r->err.status, reason, server_wait);
}

/* A transfer ended: decide what it means for its request. */
static void finish(struct kit_http *h, struct slot *s, CURLcode cc)
{
    struct kit_http_req *r = &h->reqs[s->req];
    struct rctl *c = &h->ctl[s->req];
    char w[256];
    what(r, w, sizeof w);
    curl_multi_remove_handle(h->multi, s->easy);
    s->busy = 0;
    h->inflight--;
    if(r->resp.cap > c->body_cap) {
        h->body_allocs++;
        h->page_body_allocs += r->page_room != 0;
        c->body_cap = r->resp.cap;
    }
    int64_t now = now_ms(h);
    long status = 0;
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
    if(status > 0)
        learn_limits(h, &s->hdr, now);
    if(end_on_local_limit(h, s, cc, status, w))
        return;
    if(cc != CURLE_OK || !s->hdr_done) {
        end_on_transport(h, s, cc, now, w);
        return;
    }
    r->status = status;
    char why[160] = "";
    int prc = r->resp.len > 0 ? kit_json_reparse(&r->json, r->resp.data, r->resp.len, why, sizeof why)
                              : -1;
    if(r->json.cap > c->token_cap) {
        h->token_allocs++;
        h->page_token_allocs += r->page_room != 0;
        c->token_cap = r->json.cap;
    }
    if(status >= 200 && status < 300)
        end_on_success(h, s, prc, why, now, w);
    else
        end_on_error_answer(h, s, prc == 0, now, w);
}

/* Collect finished transfers; returns how many. */
static int drain(struct kit_http *h)
{
    int got = 0, left;
    CURLMsg *m;
    while((m = curl_multi_info_read(h->multi, &left))) {
        if(m->msg != CURLMSG_DONE)
            continue;
        struct slot *s = NULL;
        CURL *e = m->easy_handle;
        CURLcode cc = m->data.result;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&s);
        if(s) {
            finish(h, s, cc);
            got++;
        }
    }
    return got;
}

static struct slot *free_slot(struct kit_http *h)
{
    for(int i = 0; i < h->nslots; i++)
        if(!h->slots[i].busy)
            return &h->slots[i];
    return NULL;
}

/* End every request that has not been sent (or waits for a retry) with
 * the batch's stop status. */
static void stop_waiting(struct kit_http *h, size_t n)
{
    for(size_t i = 0; i < n; i++) {
        if(h->ctl[i].state != R_READY)
            continue;
        struct kit_http_req *r = &h->reqs[i];
        char w[256];
        what(r, w, sizeof w);
        kit_fail(&r->err, h->stop, "%s: not sent: %s", w, h->stop_msg);
        r->err.retryable = 1;
        req_done(h, i, h->stop);
    }
}

static void set_stop(struct kit_http *h, oc_status rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_stop(struct kit_http *h, oc_status rc, const char *fmt, ...)
{
    if(h->stop)
        return;
    h->stop = rc;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->stop_msg, sizeof h->stop_msg, fmt, ap);
    va_end(ap);
    kit_redact_inplace(h->stop_msg);
    hlog(h, OC_LOG_WARN, "%s", h->stop_msg);
}

static void stop_for_budget(struct kit_http *h)
{
    set_stop(h, OC_E_BUDGET,
             "the daily call budget of %lld calls is used up (%llu calls on %s, %s); raise "
             "daily_budget or resume after midnight there (state is saved)",
             (long long)h->budget, (unsigned long long)used_today(h), h->total.day,
             h->total.basis);
}

/* The pacer holds every call for longer than we wait on a server's word:
 * end request i now, saying what the server asked, rather than sleep for
 * hours (a hostile or broken server can announce any window). */
static void refuse_server_wait(struct kit_http *h, size_t i, int64_t wait, enum kit_pace_cause cause)
{
    struct kit_http_req *r = &h->reqs[i];
    char w[256], asked[200];
    what(r, w, sizeof w);
    if(cause == KIT_PACE_BLOCK)
        snprintf(asked, sizeof asked, "an earlier 429 answer (Retry-After or its rate-limit "
                                      "window) holds every call");
    else
        snprintf(asked, sizeof asked,
                 "the rate-limit headers (%s %lld, %s %lld, %s %lld) hold every call",
                 h->limit_names[0], (long long)h->pacer.hdr_max, h->limit_names[1],
                 (long long)h->pacer.hdr_remaining, h->limit_names[2],
                 (long long)h->pacer.hdr_window_ms);
    kit_fail(&r->err, OC_E_TRANSIENT,
            "%s: not sent: %s for %lld s, longer than the %d s this connector waits on a "
            "server's word; rerun after that wait (nothing was lost), and if %s's limits "
            "should not be this long, check base_url",
            w, asked, (long long)((wait + 999) / 1000), KIT_RETRY_MAX_WAIT_MS / 1000, h->server);
    r->err.retryable = 1;
    r->err.retry_after_ms = wait;
    req_done(h, i, OC_E_TRANSIENT);
}

/* A pacing wait long enough to notice, said once: which limit holds the
 * calls and for how long. */
static void announce_pace(struct kit_http *h, int64_t now, int64_t wait, enum kit_pace_cause cause)
{
    char t[32], reason[200];
    if(now + wait <= h->announced_until)
        return;
    note_announced(h, now + wait);
    if(wait < KIT_HTTP_ANNOUNCE_WAIT_MS) {
        hlog(h, OC_LOG_DEBUG, "http: waiting %lld ms for the rate limit", (long long)wait);
        return;
    }
    const struct kit_pacer *p = &h->pacer;
    int64_t window = kit_pacer_window_ms(p);
    long long max = p->hdr_max > 0 ? (long long)p->hdr_max : p->cfg_max;
    if(cause == KIT_PACE_SEARCH)
        snprintf(reason, sizeof reason, "the search limit of %d calls a second", KIT_PACER_SEARCH_MAX);
    else if(cause == KIT_PACE_OWN)
        snprintf(reason, sizeof reason, "the configured burst limit (burst_max %lld calls per %lld ms)", max,
                 (long long)window);
    else if(cause == KIT_PACE_BLOCK)
        snprintf(reason, sizeof reason, "%s's rate limit (an earlier HTTP 429 holds every call)", h->server);
    else if(window % 1000 == 0)
        snprintf(reason, sizeof reason, "%s's %lld-second limit (%lld calls)", h->server,
                 (long long)(window / 1000), max);
    else
        snprintf(reason, sizeof reason, "%s's limit of %lld calls per %lld ms", h->server, max,
                 (long long)window);
    wait_text(wait, t, sizeof t);
    hlog(h, OC_LOG_WARN, "waiting %s: %s", t, reason);
}

/* Clear every request's outputs before a run. */
static void reset_outputs(struct kit_http_req *reqs, size_t n)
{
    for(size_t i = 0; i < n; i++) {
        struct kit_http_req *r = &reqs[i];
        kit_json_clear(&r->json);
        kit_buf_reset(&r->resp);
        r->status = 0;
        r->attempts = 0;
        r->rc = OC_OK;
        r->err.struct_size = sizeof r->err;
        kit_error_clear(&r->err);
    }
}

/* A token that cannot go in a header: every request ends unsent. */
static void refuse_all(struct kit_http *h, struct kit_http_req *reqs, size_t n)
{
    for(size_t i = 0; i < n; i++) {
        char w[256];
        what(&reqs[i], w, sizeof w);
        kit_fail(&reqs[i].err, OC_E_AUTH,
                "%s: not sent: the access token contains spaces or control characters; copy "
                "it again from %s without surrounding whitespace",
                w, h->token_source);
        reqs[i].rc = OC_E_AUTH;
    }
}

/* Start every request whose time has come while a slot is free and the
 * pacer and the budget allow. Returns when the next waiting request may
 * go (INT64_MAX: none waits). */
static int64_t start_due(struct kit_http *h, size_t n, int64_t now)
{
    int64_t wake = INT64_MAX;
    struct slot *s;
    while(!h->stop && (s = free_slot(h))) {
        size_t pick = n;
        for(size_t i = 0; i < n; i++) {
            if(h->ctl[i].state != R_READY)
                continue;
            if(h->ctl[i].not_before <= now) {
                pick = i;
                break;
            }
            if(h->ctl[i].not_before < wake)
                wake = h->ctl[i].not_before;
        }
        if(pick == n)
            break;
        enum kit_pace_cause cause;
        int64_t pw = kit_pacer_wait_why(&h->pacer, now, h->reqs[pick].search, &cause);
        if(pw > KIT_RETRY_MAX_WAIT_MS && (cause == KIT_PACE_HEADERS || cause == KIT_PACE_BLOCK)) {
            refuse_server_wait(h, pick, pw, cause);
            continue;
        }
        if(pw > 0) {
            announce_pace(h, now, pw, cause);
            if(now + pw < wake)
                wake = now + pw;
            break;
        }
        roll_day(h, now);
        if(budget_spent(h)) {
            stop_for_budget(h);
            break;
        }
        start(h, s, pick, now);
    }
    return wake;
}

/* Move the transfers in flight on (polling at most until wake, capped),
 * or, with none in flight, sleep through the host until wake. */
static void make_progress(struct kit_http *h, int64_t now, int64_t wake)
{
    if(h->inflight > 0) {
        int running = 0;
        curl_multi_perform(h->multi, &running);
        if(drain(h) == 0) {
            int64_t t = wake == INT64_MAX ? POLL_CAP_MS : wake - now;
            if(t > POLL_CAP_MS)
                t = POLL_CAP_MS;
            if(t < 1)
                t = 1;
            curl_multi_poll(h->multi, NULL, 0, (int)t, NULL);
        }
    } else if(wake != INT64_MAX) {
        sleep_ms(h, wake - now);
    }
}

static int all_done(const struct kit_http *h, size_t n)
{
    for(size_t i = 0; i < n; i++)
        if(h->ctl[i].state != R_DONE)
            return 0;
    return 1;
}

oc_status kit_http_run(struct kit_http *h, struct kit_http_req *reqs, size_t n, struct oc_error *err)
{
    kit_error_clear(err);
    if(n == 0)
        return OC_OK;
    struct rctl *ctl = calloc(n, sizeof *ctl);
    if(!ctl)
        return kit_fail(err, OC_E_NOMEM, "out of memory starting %zu HTTP requests", n);
    reset_outputs(reqs, n);
    if(h->token_bad) {
        refuse_all(h, reqs, n);
        free(ctl);
        return OC_OK;
    }
    for(size_t i = 0; i < n; i++) {
        spares_lend(h, &reqs[i]);
        ctl[i].body_cap = reqs[i].resp.cap;
        ctl[i].token_cap = reqs[i].json.cap;
    }
    h->reqs = reqs;
    h->ctl = ctl;
    h->inflight = 0;
    h->stop = OC_OK;
    h->stop_msg[0] = '\0';

    while(!all_done(h, n)) {
        if(!h->stop && cancelled(h))
            set_stop(h, OC_E_CANCELLED, "the host asked to stop; rerun to continue");
        if(h->stop) {
            /* In-flight transfers finish (their effect on the server is real
             * and their answers are wanted); nothing new starts. */
            stop_waiting(h, n);
            if(h->inflight == 0)
                continue;
        }
        int64_t now = now_ms(h);
        int64_t wake = start_due(h, n, now);
        if(h->stop && h->inflight == 0)
            continue;
        make_progress(h, now, wake);
    }

    /* No save here: every call made is covered by a save ahead of it,
     * and the operation's end stores the exact count (kit_http_settle). */
    oc_status rc = h->stop;
    if(rc)
        kit_fail(err, rc, "%s", h->stop_msg);
    if(rc && KIT_ERR_HAS(err, retryable))
        err->retryable = 1;
    h->reqs = NULL;
    h->ctl = NULL;
    free(ctl);
    return rc;
}

oc_status kit_http_call(struct kit_http *h, struct kit_http_req *r, struct oc_error *err)
{
    oc_status rc = kit_http_run(h, r, 1, err);
    if(r->rc && KIT_ERR_HAS(err, category)) {
        uint32_t size = err->struct_size;
        memcpy(err, &r->err, size < sizeof r->err ? size : sizeof r->err);
        err->struct_size = size;
    }
    return r->rc ? r->rc : rc;
}

/* ---- usage record ---- */

void kit_http_set_zone(struct kit_http *h, const struct kit_usage_zone *z)
{
    int64_t now = now_ms(h);
    char today[11];
    /* What was counted so far is stored under the old basis first;
     * read_saved then takes it into the new day if it falls there. */
    kit_http_settle(h);
    h->zone = *z;
    if(!z->known)
        h->zone.offset_ms = 0;
    kit_usage_day_at(now, h->zone.offset_ms, today);
    h->day_end_ms = kit_usage_next_reset(now, h->zone.offset_ms);
    kit_usage_set_zone(&h->total, z);
    kit_usage_set_zone(&h->delta, z);
    if(h->dirty) {
        /* Not stored (no state, or the write failed): keep the counts
         * under the new day rather than lose them. */
        memcpy(h->total.day, today, sizeof today);
        memcpy(h->delta.day, today, sizeof today);
        return;
    }
    kit_usage_reset(&h->delta, today);
    kit_usage_reset(&h->total, today);
    h->total.budget = h->budget;
    read_saved(h, today, &h->total);
    /* Store the counts under the new day at once, so state, this client
     * and the next run agree. */
    h->dirty = 1;
    persist_usage(h, 0);
}

oc_status kit_http_usage_emit(struct kit_http *h, struct oc_error *err)
{
    if(!HOST_HAS(h->host, emit))
        return kit_fail(err, OC_E_INVALID, "the host gives no emit callback, so usage cannot be "
                                          "reported; use a host that implements emit");
    roll_day(h, now_ms(h));
    struct kit_usage_record r;
    kit_usage_record_init(&r);
    h->total.budget = h->budget;
    /* This client's own calls are counted exactly; its unused allowance
     * is not a call anyone made. */
    uint64_t ahead = h->total.ahead;
    h->total.ahead = used_today(h) - h->total.calls;
    int bad = kit_usage_record_today(&r, h->host, &h->total, h->day_end_ms,
                                     h->zone.known ? h->zone_note : NULL);
    h->total.ahead = ahead;
    if(bad) {
        kit_usage_record_free(&r);
        return kit_fail(err, OC_E_NOMEM, "out of memory building the usage record");
    }
    struct oc_record rec = {sizeof rec, "usage", h->total.day, r.nf, r.f};
    oc_status rc = h->host->emit(h->host->ctx, &rec);
    kit_usage_record_free(&r);
    if(rc)
        return kit_fail(err, OC_E_CANCELLED, "the host stopped the usage report");
    return OC_OK;
}

/* ---- the answer hook used without one of the connector's ---- */

void kit_http_answer_default(void *ctx, const struct kit_http_answer *a, struct oc_error *err,
                             struct kit_http_decision *d)
{
    (void)ctx;
    oc_status rc = kit_http_status(a->status);
    d->next = KIT_NEXT_FINAL;
    d->wait_ms = 0;
    d->hold_all = 0;
    if(a->status == 429)
        d->next = KIT_NEXT_WINDOW;
    else if(kit_retry_status(a->status))
        d->next = KIT_NEXT_BACKOFF;
    if(d->next != KIT_NEXT_FINAL)
        rc = OC_E_TRANSIENT;
    const char *cid = a->meta ? a->meta->correlation_id : "";
    char after[32] = "";
    if(a->attempts > 1)
        snprintf(after, sizeof after, " after %d attempts", a->attempts);
    kit_fail(err, rc, "%s: HTTP %ld%s%s%s%s", a->what, a->status, after,
             rc == OC_E_TRANSIENT ? ": the server is unavailable or busy, rerun later" : "",
             cid[0] ? "; request id " : "", cid);
    if(KIT_ERR_HAS(err, category)) {
        err->http_status = (int)a->status;
        kit_error_ids(err, cid, NULL);
        err->retryable = rc == OC_E_TRANSIENT;
    }
}

/* ---- URLs ---- */

int kit_url_encode(struct kit_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for(const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
           *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            kit_buf_putc(out, (char)*p);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            kit_buf_append(out, e, 3);
        }
    }
    return kit_buf_ok(out) ? 0 : -1;
}
