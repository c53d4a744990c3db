/*
 * check_wire.c - suite "wire": what the HTTP client puts on the wire and
 * what it says about it, against real servers on 127.0.0.1 (the replay
 * server, or tests/support/rawserver.h where an answer must be one no
 * server library sends):
 *  - plain http (loopback only) never goes through a proxy, whatever the
 *    environment says; https still does, as libcurl users expect;
 *  - a wait a server asks for (rate-limit headers, Retry-After, a 429's
 *    window) is capped, and the client says so instead of sleeping;
 *  - every request that reached the wire is counted, libcurl's silent
 *    resend on a dead reused connection included, and the budget holds;
 *  - server text carrying the token (correlationId, category, message)
 *    never comes back out in an error, a log line or a record.
 * Waits run on the test host's virtual clock.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures/replay.h"
#include "hubspot/transport.h"
#include "plugin/http.h"
#include "plugin/retry.h"
#include "tests/support/httpenv.h"
#include "tests/support/rawserver.h"
#include "tests/support/testhost.h"

#define TOKEN FX_PLACEHOLDER_TOKEN
#define T0 1795824000000LL /* 2026-11-28T00:00:00Z */

#define ASSERT_HAS(hay, needle) \
    ck_assert_msg(strstr((hay), (needle)) != NULL, "expected '%s' in: %s", (needle), (hay))

#define CASSETTE(interactions)                                                             \
    "{\"version\":1,\"scenario\":\"wire\",\"recorded_at\":\"2026-11-28T00:00:00Z\","      \
    "\"interactions\":[" interactions "]}"
#define GETX(path, status, hdrs, body, fault)                                              \
    "{\"request\":{\"method\":\"GET\",\"path\":\"" path "\"},\"response\":{\"status\":"    \
    #status ",\"headers\":{" hdrs "},\"body\":" body "},\"fault\":" fault "}"
#define GET(path, status, hdrs, body) GETX(path, status, hdrs, body, "null")
#define OK_BODY "{\"ok\":true}"

/* Test host, replay server on cassette text, client defaults. */
static void env_start(struct http_env *e, const char *cassette) { http_env_start(e, "wire-test", cassette); }

static void env_end(struct http_env *e)
{
    if(e->srv)
        http_env_verify(e);
    http_env_stop(e);
}

static oc_status get(struct http_env *e, struct kit_http_req *r, const char *path, struct oc_error *err)
{
    kit_http_req_init(r, "GET", path, NULL, 0, "wire.get");
    return kit_http_call(e->h, r, err);
}

/* The "calls" count stored for today once the operation is over (its
 * end stores the exact count, as the plugin's entry points do). */
static long stored_calls(struct http_env *e)
{
    kit_http_settle(e->h);
    const char *u = th_state(&e->th, "usage");
    ck_assert_ptr_nonnull(u);
    const char *c = strstr(u, "\"calls\":");
    ck_assert_ptr_nonnull(c);
    return strtol(c + 8, NULL, 10);
}

/* ---- proxies ---- */

static const char *const proxy_vars[] = {"http_proxy",  "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                                         "ALL_PROXY",   "all_proxy",  "no_proxy",    "NO_PROXY"};
#define NPROXY_VARS (sizeof proxy_vars / sizeof proxy_vars[0])

/* The environment's proxy settings, saved so a test can clear them and
 * put them back. */
struct proxy_env {
    char *saved[NPROXY_VARS];
};

static void proxy_env_clear(struct proxy_env *pe)
{
    for(size_t i = 0; i < NPROXY_VARS; i++) {
        const char *v = getenv(proxy_vars[i]);
        pe->saved[i] = v ? strdup(v) : NULL;
        unsetenv(proxy_vars[i]);
    }
}

static void proxy_env_restore(struct proxy_env *pe)
{
    for(size_t i = 0; i < NPROXY_VARS; i++) {
        if(pe->saved[i])
            setenv(proxy_vars[i], pe->saved[i], 1);
        else
            unsetenv(proxy_vars[i]);
        free(pe->saved[i]);
        pe->saved[i] = NULL;
    }
}

/* A "proxy" that refuses every request it gets: 403, then close. It
 * records what reached it (rs_requests, rs_head). */
static void refusing_proxy(void *ctx, struct rs_conn *c)
{
    (void)ctx;
    rs_sends(c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

static struct rs_server *start_proxy(void)
{
    struct rs_server *px;
    struct rs_options o = {.handler = refusing_proxy};
    char why[256];
    ck_assert_msg(!rs_start(&o, &px, why, sizeof why), "%s", why);
    return px;
}

START_TEST(t_plain_http_never_proxied)
{
    /* libcurl reads these on its own; through a proxy, a plain-http
     * request shows the token to the proxy in clear. */
    static const char *const vars[] = {"http_proxy", "HTTP_PROXY", "ALL_PROXY", "all_proxy"};
    struct http_env e = {0};
    env_start(&e, CASSETTE(GET("/px/0", 200, "", OK_BODY) "," GET("/px/1", 200, "", OK_BODY) ","
                           GET("/px/2", 200, "", OK_BODY) "," GET("/px/3", 200, "", OK_BODY)));
    e.cfg.max_retries = 0;
    http_env_client(&e);
    struct rs_server *px = start_proxy();
    char proxy_url[80];
    snprintf(proxy_url, sizeof proxy_url, "%s/", rs_url(px));
    struct proxy_env pe;
    proxy_env_clear(&pe);
    for(size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        setenv(vars[i], proxy_url, 1);
        char path[16];
        snprintf(path, sizeof path, "/px/%zu", i);
        struct kit_http_req r;
        struct oc_error err = {sizeof err};
        oc_status rc = get(&e, &r, path, &err);
        unsetenv(vars[i]);
        ck_assert_msg(rc == OC_OK, "with %s set: %s", vars[i], err.message);
        ck_assert_int_eq(r.status, 200);
        ck_assert_msg(rs_requests(px) == 0 && rs_connections(px) == 0,
                      "with %s set the request went to the proxy", vars[i]);
        kit_http_req_free(&r);
    }
    proxy_env_restore(&pe);
    ck_assert_int_eq(rs_connections(px), 0);
    rs_stop(px);
    env_end(&e);
}
END_TEST

START_TEST(t_https_still_uses_env_proxy)
{
    /* https through the environment's proxy is what libcurl users expect:
     * the proxy sees a CONNECT tunnel and never the token. The refusing
     * proxy makes the request fail, which is fine here. */
    struct testhost th;
    th_init(&th, T0);
    struct rs_server *px = start_proxy();
    struct proxy_env pe;
    proxy_env_clear(&pe);
    setenv("https_proxy", rs_url(px), 1);
    struct kit_http_config cfg = {.base_url = "https://api.hubapi.com", .token = TOKEN,
                                 .max_retries = 0, .connect_timeout_ms = 5000,
                                 .timeout_ms = 10000};
    hs_transport_configure(&cfg);
    struct kit_http *h;
    struct oc_error err = {sizeof err};
    ck_assert_int_eq(kit_http_new(&cfg, &th.host, &h, &err), OC_OK);
    struct kit_http_req r;
    kit_http_req_init(&r, "GET", "/account-info/v3/details", NULL, 0, "wire.proxy");
    ck_assert_int_ne(kit_http_call(h, &r, &err), OC_OK);
    proxy_env_restore(&pe);
    ck_assert_int_ge(rs_requests(px), 1);
    struct kit_buf head = KIT_BUF_INIT;
    ck_assert_int_eq(rs_head(px, 0, &head), 0);
    ck_assert_msg(!strncmp(kit_buf_str(&head), "CONNECT api.hubapi.com:443 ", 27),
                  "the proxy got: %s", kit_buf_str(&head));
    ck_assert_ptr_null(strstr(kit_buf_str(&head), "Authorization"));
    ck_assert_ptr_null(strstr(kit_buf_str(&head), TOKEN));
    kit_buf_free(&head);
    kit_http_req_free(&r);
    kit_http_free(h);
    rs_stop(px);
    th_free(&th);
}
END_TEST

/* ---- waits a server asks for ---- */

START_TEST(t_header_window_wait_capped)
{
    /* Remaining 0 in a "24-hour" window: the next call would wait a day. */
    struct http_env e = {0};
    env_start(&e, CASSETTE(GET("/w/a", 200,
                               "\"X-HubSpot-RateLimit-Max\":\"100\","
                               "\"X-HubSpot-RateLimit-Remaining\":\"0\","
                               "\"X-HubSpot-RateLimit-Interval-Milliseconds\":\"86400000\"",
                               OK_BODY)));
    http_env_client(&e);
    struct kit_http_req r;
    struct oc_error err = {sizeof err};
    ck_assert_int_eq(get(&e, &r, "/w/a", &err), OC_OK);
    kit_http_req_free(&r);
    ck_assert_int_eq(get(&e, &r, "/w/b", &err), OC_E_TRANSIENT);
    ck_assert_int_le(e.th.slept_ms, KIT_RETRY_MAX_WAIT_MS);
    ck_assert_int_eq(r.attempts, 0);
    ck_assert_uint_eq(fx_server_requests(e.srv), 1);
    ASSERT_HAS(err.message, "GET /w/b: not sent");
    ASSERT_HAS(err.message, "Interval-Milliseconds 86400000");
    ASSERT_HAS(err.message, "longer than the 300 s");
    ASSERT_HAS(err.message, "rerun after that wait");
    ck_assert_int_ne(err.retryable, 0);
    ck_assert_int_ge(err.retry_after_ms, 86400000);
    kit_http_req_free(&r);
    env_end(&e);
}
END_TEST

START_TEST(t_retry_after_wait_capped)
{
    /* A day-long Retry-After on a 429 and on a 503: neither is slept
     * through, each says what was asked, and the 429's hold on every call
     * does not make the next request sleep either. */
    struct http_env e = {0};
    env_start(&e, CASSETTE(GET("/ra/503", 503, "\"Retry-After\":\"3600\"",
                               "{\"status\":\"error\",\"message\":\"down for maintenance\"}") ","
                           GET("/ra/429", 429, "\"Retry-After\":\"86400\"",
                               "{\"status\":\"error\",\"message\":\"You have reached your "
                               "limit.\",\"errorType\":\"RATE_LIMIT\",\"policyName\":"
                               "\"TEN_SECONDLY_ROLLING\"}")));
    http_env_client(&e);
    struct kit_http_req r;
    struct oc_error err = {sizeof err};
    ck_assert_int_eq(get(&e, &r, "/ra/503", &err), OC_E_TRANSIENT);
    ASSERT_HAS(err.message, "GET /ra/503: not retried: HubSpot asked to wait 3600 s");
    ASSERT_HAS(err.message, "down for maintenance");
    ck_assert_int_eq(err.retry_after_ms, 3600000);
    kit_http_req_free(&r);
    ck_assert_int_eq(get(&e, &r, "/ra/429", &err), OC_E_TRANSIENT);
    ASSERT_HAS(err.message, "HubSpot asked to wait 86400 s, longer than the 300 s");
    kit_http_req_free(&r);
    ck_assert_int_eq(get(&e, &r, "/ra/next", &err), OC_E_TRANSIENT);
    ASSERT_HAS(err.message, "GET /ra/next: not sent: an earlier 429 answer");
    ck_assert_int_eq(r.attempts, 0);
    ck_assert_int_le(e.th.slept_ms, KIT_RETRY_MAX_WAIT_MS);
    ck_assert_uint_eq(fx_server_requests(e.srv), 2);
    kit_http_req_free(&r);
    env_end(&e);
}
END_TEST

START_TEST(t_own_config_wait_not_capped)
{
    /* A long wait the user configured (burst_window_ms) is theirs: it is
     * waited out, not refused. */
    struct http_env e = {0};
    env_start(&e, CASSETTE(GET("/own/a", 200, "", OK_BODY) "," GET("/own/b", 200, "", OK_BODY)));
    e.cfg.burst_max = 1;
    e.cfg.burst_window_ms = 2 * KIT_RETRY_MAX_WAIT_MS;
    http_env_client(&e);
    struct kit_http_req r;
    struct oc_error err = {sizeof err};
    ck_assert_int_eq(get(&e, &r, "/own/a", &err), OC_OK);
    kit_http_req_free(&r);
    ck_assert_int_eq(get(&e, &r, "/own/b", &err), OC_OK);
    ck_assert_int_ge(e.th.slept_ms, 2 * KIT_RETRY_MAX_WAIT_MS);
    kit_http_req_free(&r);
    env_end(&e);
}
END_TEST

/* ---- counting every call that reached the wire ---- */

/* Keep-alive server: the first request on a connection is answered and
 * the connection kept; the next one is read and the connection closed
 * without a word, as a server that timed out an idle connection does. On
 * that reused connection libcurl then resends the request by itself. */
static void answer_ok(struct rs_conn *c)
{
    rs_sends(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
                "{\"ok\":true}");
}

static void drops_reused(void *ctx, struct rs_conn *c)
{
    (void)ctx;
    answer_ok(c);
    rs_next_request(c); /* then close, unanswered */
}

static struct rs_server *start_raw(rs_handler fn, void *ctx)
{
    struct rs_server *srv;
    struct rs_options o = {.handler = fn, .ctx = ctx, .max_conns = 64};
    char why[256];
    ck_assert_msg(!rs_start(&o, &srv, why, sizeof why), "%s", why);
    return srv;
}

static void raw_client(struct http_env *e, struct rs_server *srv)
{
    th_init(&e->th, T0);
    e->cfg.base_url = rs_url(srv);
    e->cfg.token = TOKEN;
    if(!e->cfg.max_concurrency)
        e->cfg.max_concurrency = 1;
    http_env_client(e);
}

START_TEST(t_silent_resend_counted)
{
    struct rs_server *srv = start_raw(drops_reused, NULL);
    struct http_env e = {0};
    e.cfg.max_retries = 0; /* any repeat seen is libcurl's, not ours */
    raw_client(&e, srv);
    enum { N = 3 };
    for(int i = 0; i < N; i++) {
        struct kit_http_req r;
        struct oc_error err = {sizeof err};
        ck_assert_msg(get(&e, &r, "/resend", &err) == OC_OK, "%s", err.message);
        ck_assert_int_eq(r.attempts, 1);
        kit_http_req_free(&r);
    }
    /* Requests 2 and 3 each went out twice: once on the dying connection
     * and once more on a new one. */
    ck_assert_int_eq(rs_requests(srv), 2 * N - 1);
    ck_assert_uint_eq(kit_http_calls(e.h), (uint64_t)rs_requests(srv));
    ck_assert_int_eq(stored_calls(&e), rs_requests(srv));
    const char *u = th_state(&e.th, "usage");
    ASSERT_HAS(u, "\"retries\":2");
    env_end(&e);
    rs_stop(srv);
}
END_TEST

START_TEST(t_silent_resend_within_budget)
{
    /* With a budget of 2 the resend of the second call would be a third
     * call: it is not made, and the request ends "budget used up". */
    struct rs_server *srv = start_raw(drops_reused, NULL);
    struct http_env e = {0};
    e.cfg.max_retries = 0;
    e.cfg.daily_budget = 2;
    raw_client(&e, srv);
    struct kit_http_req r;
    struct oc_error err = {sizeof err};
    ck_assert_int_eq(get(&e, &r, "/b/1", &err), OC_OK);
    kit_http_req_free(&r);
    ck_assert_int_eq(get(&e, &r, "/b/2", &err), OC_E_BUDGET);
    ASSERT_HAS(err.message, "the resend was not made");
    ASSERT_HAS(err.message, "daily call budget of 2 calls is used up");
    kit_http_req_free(&r);
    ck_assert_int_le(rs_requests(srv), 2);
    ck_assert_uint_eq(kit_http_calls(e.h), (uint64_t)rs_requests(srv));
    env_end(&e);
    rs_stop(srv);
}
END_TEST

/* Faults on reused connections, in turn: closed unanswered, reset after
 * the status line, an empty 200, a truncated body, an answer. The first
 * request on each connection is answered, so every fault meets a
 * connection libcurl reuses. */
struct faults {
    int next; /* atomic */
};

static void faulty(void *ctx, struct rs_conn *c)
{
    struct faults *f = ctx;
    answer_ok(c);
    while(!rs_next_request(c)) {
        switch(__atomic_fetch_add(&f->next, 1, __ATOMIC_SEQ_CST) % 5) {
        case 0: /* closed unanswered: libcurl resends on its own */
            return;
        case 1:
            rs_sends(c, "HTTP/1.1 200 OK\r\n");
            rs_reset(c);
            return;
        case 2:
            /* Said, so libcurl does not send the next request into a
             * socket closing under it (the server would never read it,
             * and the count, which errs high then, would not match). */
            rs_sends(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        "Content-Length: 0\r\nConnection: close\r\n\r\n");
            return;
        case 3:
            rs_sends(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        "Content-Length: 40\r\n\r\n{\"ok\":true,");
            return;
        default:
            answer_ok(c);
        }
    }
}

START_TEST(t_faults_counted)
{
    struct faults f = {0};
    struct rs_server *srv = start_raw(faulty, &f);
    struct http_env e = {0};
    e.cfg.max_retries = 5;
    e.cfg.max_concurrency = 3;
    raw_client(&e, srv);
    enum { N = 12 };
    struct kit_http_req r[N];
    for(int i = 0; i < N; i++)
        kit_http_req_init(&r[i], "GET", "/faults", NULL, 0, "wire.faults");
    struct oc_error err = {sizeof err};
    ck_assert_int_eq(kit_http_run(e.h, r, N, &err), OC_OK);
    int retries = 0;
    for(int i = 0; i < N; i++) {
        ck_assert_msg(r[i].rc == OC_OK, "request %d: %s", i, r[i].err.message);
        retries += r[i].attempts - 1;
        kit_http_req_free(&r[i]);
    }
    ck_assert_int_gt(retries, 0);
    ck_assert_int_gt(rs_requests(srv), N + retries); /* libcurl resent some */
    ck_assert_uint_eq(kit_http_calls(e.h), (uint64_t)rs_requests(srv));
    ck_assert_int_eq(stored_calls(&e), rs_requests(srv));
    env_end(&e);
    rs_stop(srv);
}
END_TEST

/* ---- nothing secret leaves ---- */

/* The placeholder token where a server may put text: the body's message,
 * category, correlationId and errors[], the correlation id header. */
#define ERR_WITH_TOKEN(msg)                                                                 \
    "{\"status\":\"error\",\"message\":\"" msg " " TOKEN "\",\"category\":\"" TOKEN "\","   \
    "\"correlationId\":\"" TOKEN "\",\"errors\":[{\"message\":\"bad " TOKEN "\",\"in\":\""  \
    TOKEN "\"}],\"policyName\":\"" TOKEN "\"}"

/* Nothing of the token: not whole, and not its distinctive middle. */
static void assert_clean(const char *where, const char *text)
{
    ck_assert_msg(!strstr(text, TOKEN) && !strstr(text, "0000-4000-8000"),
                  "the token reached %s: %s", where, text);
}

static void assert_err_clean(const char *where, const struct oc_error *err)
{
    char what[96];
    snprintf(what, sizeof what, "%s message", where);
    assert_clean(what, err->message);
    snprintf(what, sizeof what, "%s correlation_id", where);
    assert_clean(what, err->correlation_id);
    snprintf(what, sizeof what, "%s category", where);
    assert_clean(what, err->category);
}

START_TEST(t_server_text_redacted)
{
    struct http_env e = {0};
    env_start(&e, CASSETTE(
        GET("/s/400", 400, "", ERR_WITH_TOKEN("invalid")) ","
        GET("/s/404", 404, "\"X-HubSpot-Correlation-Id\":\"" TOKEN "\"", ERR_WITH_TOKEN("gone")) ","
        GET("/s/502", 502, "\"X-HubSpot-Correlation-Id\":\"" TOKEN "\"", ERR_WITH_TOKEN("busy")) ","
        GET("/s/502", 200, "\"X-HubSpot-Correlation-Id\":\"" TOKEN "\"", "\"{broken\"") ","
        GET("/s/bad", 200, "\"X-HubSpot-Correlation-Id\":\"" TOKEN "\"", "\"{broken\"") ","
        GET("/s/bad", 200, "\"X-HubSpot-Correlation-Id\":\"" TOKEN "\"", "\"{broken\"") ","
        GET("/s/daily", 429, "\"X-HubSpot-Correlation-Id\":\"" TOKEN "\"",
            "{\"status\":\"error\",\"message\":\"daily " TOKEN "\",\"errorType\":\"" TOKEN "\","
            "\"correlationId\":\"" TOKEN "\",\"policyName\":\"DAILY\"}")));
    e.cfg.max_retries = 1;
    e.cfg.max_concurrency = 1;
    http_env_client(&e);
    static const char *const paths[] = {"/s/400", "/s/404", "/s/502", "/s/bad"};
    for(size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct kit_http_req r;
        struct oc_error err = {sizeof err};
        ck_assert_int_ne(get(&e, &r, paths[i], &err), OC_OK);
        assert_err_clean(paths[i], &err);
        assert_err_clean(paths[i], &r.err);
        kit_http_req_free(&r);
    }
    /* The DAILY stop travels as the batch's error and to requests not sent. */
    struct kit_http_req r[2];
    kit_http_req_init(&r[0], "GET", "/s/daily", NULL, 0, "wire.daily");
    kit_http_req_init(&r[1], "GET", "/s/never", NULL, 0, "wire.daily");
    struct oc_error err = {sizeof err};
    ck_assert_int_eq(kit_http_run(e.h, r, 2, &err), OC_E_BUDGET);
    assert_err_clean("batch", &err);
    assert_err_clean("daily", &r[0].err);
    assert_err_clean("not sent", &r[1].err);
    kit_http_req_free(&r[0]);
    kit_http_req_free(&r[1]);
    ck_assert_int_eq(kit_http_usage_emit(e.h, &err), OC_OK);
    assert_clean("the usage record", kit_buf_str(&e.th.records));
    assert_clean("the log", kit_buf_str(&e.th.logs));
    /* The messages still say who answered and what to quote. */
    ASSERT_HAS(kit_buf_str(&e.th.logs), "[REDACTED]");
    env_end(&e);
}
END_TEST

/* A raw server echoing a secret of another shape: only the redactor's
 * registration of the token this client was given can mask it. */
#define ODD_SECRET "hsk_live_Q2F0ZWdvcnlGYWtlVG9rZW4x9"

static void echoes_secret(void *ctx, struct rs_conn *c)
{
    (void)ctx;
    static const char body[] =
        "{\"status\":\"error\",\"message\":\"token " ODD_SECRET " refused\",\"category\":\""
        ODD_SECRET "\",\"correlationId\":\"" ODD_SECRET "\"}";
    rs_sendf(c, "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
                "X-HubSpot-Correlation-Id: " ODD_SECRET "\r\nContent-Length: %zu\r\n\r\n%s",
             sizeof body - 1, body);
}

START_TEST(t_registered_token_redacted_in_ids)
{
    struct rs_server *srv = start_raw(echoes_secret, NULL);
    struct http_env e = {0};
    e.cfg.token = ODD_SECRET;
    th_init(&e.th, T0);
    e.cfg.base_url = rs_url(srv);
    http_env_client(&e);
    struct kit_http_req r;
    struct oc_error err = {sizeof err};
    ck_assert_int_eq(get(&e, &r, "/odd", &err), OC_E_INVALID);
    ck_assert_msg(!strstr(err.message, ODD_SECRET), "message: %s", err.message);
    ck_assert_msg(!strstr(err.correlation_id, "hsk_live"), "id: %s", err.correlation_id);
    ck_assert_msg(!strstr(err.category, "hsk_live"), "category: %s", err.category);
    ASSERT_HAS(err.message, "[REDACTED]");
    kit_http_req_free(&r);
    env_end(&e);
    rs_stop(srv);
}
END_TEST

extern Suite *make_wire_suite(void);

Suite *make_wire_suite(void)
{
    Suite *s = suite_create("wire");
    TCase *tc = tcase_create("wire");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, t_plain_http_never_proxied);
    tcase_add_test(tc, t_https_still_uses_env_proxy);
    tcase_add_test(tc, t_header_window_wait_capped);
    tcase_add_test(tc, t_retry_after_wait_capped);
    tcase_add_test(tc, t_own_config_wait_not_capped);
    tcase_add_test(tc, t_silent_resend_counted);
    tcase_add_test(tc, t_silent_resend_within_budget);
    tcase_add_test(tc, t_faults_counted);
    tcase_add_test(tc, t_server_text_redacted);
    tcase_add_test(tc, t_registered_token_redacted_in_ids);
    suite_add_tcase(s, tc);
    return s;
}
