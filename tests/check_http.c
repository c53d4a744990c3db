/* check_http.c - the HTTP client against the replay server on 127.0.0.1,
 * on the test host's virtual clock: retries, 429 policies, faults, error
 * messages, budget, usage persistence, pacing, concurrency, and a scan of
 * everything the suite logged or reported for the token. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fixtures/replay.h"
#include "hubspot/transport.h"
#include "plugin/http.h"
#include "plugin/redact.h"
#include "plugin/retry.h"
#include "tests/support/httpenv.h"
#include "tests/support/testhost.h"

#define TOKEN FX_PLACEHOLDER_TOKEN
/* A second secret of another shape: only registration can mask it. */
#define TOKEN2 "hsk_live_Q2F0ZWdvcnlGYWtlVG9rZW4x9"
#define T0 1795824000000LL /* 2026-11-28T00:00:00Z */

#define CASSETTE(interactions)                                                             \
    "{\"version\":1,\"scenario\":\"http\",\"recorded_at\":\"2026-11-28T00:00:00Z\","      \
    "\"interactions\":[" interactions "]}"
/* One GET interaction; hdrs is the inside of the headers object, body a
 * JSON value (a JSON string is sent raw), fault a JSON value. */
#define GETX(path, status, hdrs, body, fault)                                              \
    "{\"request\":{\"method\":\"GET\",\"path\":\"" path "\"},\"response\":{\"status\":"    \
    #status ",\"headers\":{" hdrs "},\"body\":" body "},\"fault\":" fault "}"
#define GET(path, status, hdrs, body) GETX(path, status, hdrs, body, "null")
#define OK_BODY "{\"ok\":true}"
#define RL429(policy)                                                                       \
    "{\"status\":\"error\",\"message\":\"You have reached your limit.\",\"errorType\":"     \
    "\"RATE_LIMIT\",\"correlationId\":\"c-429\",\"policyName\":\"" policy "\"}"

/* Every log line and error message of the suite is appended here, so the
 * last test can scan them all (tests run in forked children). */
static char scan_path[256];

static void scan_add(const char *text)
{
    FILE *f = fopen(scan_path, "a");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fputc('\n', f);
    fclose(f);
}

/* The server's limit emulation reads the test host's virtual clock. */
static int64_t env_clock(void *ctx)
{
    return __atomic_load_n(&((struct testhost *)ctx)->now_ms, __ATOMIC_SEQ_CST);
}

/* Start the test host and a server on cassette text (NULL: dynamic only,
 * with e->opt as set by the caller); the client config gets defaults. */
static void env_start(struct http_env *e, const char *cassette) { http_env_start(e, "http-test", cassette); }

static void env_end(struct http_env *e, int verify)
{
    if(verify)
        http_env_verify(e);
    scan_add(kit_buf_str(&e->th.logs));
    http_env_stop(e);
}

static void req_check(struct kit_http_req *r)
{
    scan_add(r->err.message);
}

/* The stored usage record once the operation is over: its end stores
 * the exact count (kit_http_settle), as the plugin's entry points do. */
static const char *usage_now(struct http_env *e)
{
    kit_http_settle(e->h);
    return th_state(&e->th, "usage");
}

/* One GET through kit_http_call; the request is left for the caller to
 * inspect and free. */
static oc_status get(struct http_env *e, struct kit_http_req *r, const char *path)
{
    struct oc_error err = {sizeof err};
    kit_http_req_init(r, "GET", path, NULL, 0, "test.get");
    oc_status rc = kit_http_call(e->h, r, &err);
    scan_add(err.message);
    req_check(r);
    return rc;
}

/* Dynamic handler for synthetic traffic: 200 {"path":"<path>"} after an
 * optional wall-clock pause, counting the most requests seen at once. */
struct dyn {
    int active, peak, pause_us, status;
};

static int dyn_handler(void *ctx, const struct fx_request *req, struct fx_response *resp)
{
    struct dyn *d = ctx;
    int now = __atomic_add_fetch(&d->active, 1, __ATOMIC_SEQ_CST);
    int peak = __atomic_load_n(&d->peak, __ATOMIC_SEQ_CST);
    while(now > peak && !__atomic_compare_exchange_n(&d->peak, &peak, now, 0, __ATOMIC_SEQ_CST,
                                                     __ATOMIC_SEQ_CST))
        ;
    if(d->pause_us)
        usleep((useconds_t)d->pause_us);
    resp->status = d->status ? d->status : 200;
    kit_buf_printf(&resp->body, "{\"path\":\"%s\"}", req->path);
    kit_buf_puts(&resp->headers, "Content-Type: application/json\r\n");
    __atomic_sub_fetch(&d->active, 1, __ATOMIC_SEQ_CST);
    return 0;
}

/* ---- 429 ---- */

START_TEST(t429_retry_after)
{
    struct http_env e = {0};
    env_start(&e, CASSETTE(GET("/t", 429, "\"Retry-After\":\"3\"", RL429("TEN_SECONDLY_ROLLING"))
                           "," GET("/t", 200, "", OK_BODY)));
    http_env_client(&e);
    struct kit_http_req r;
    ck_assert_int_eq(get(&e, &r, "/t"), OC_OK);
    ck_assert_int_eq(r.attempts, 2);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(e.th.slept_ms, 3000);
    kit_http_req_free(&r);
    env_end(&e, 1);
}
END_TEST

START_TEST(t429_ten_secondly_waits_window)
{
    struct http_env e = {0};
    env_start(&e, CASSETTE(GET("/t", 429, "", RL429("TEN_SECONDLY_ROLLING")) "," GET("/t", 200, "", OK_BODY)));
    e.cfg.burst_window_ms = 10000;
    http_env_client(&e);
    struct kit_http_req r;
    ck_assert_int_eq(get(&e, &r, "/t"), OC_OK);
    ck_assert_int_eq(r.attempts, 2);
    /* The whole window, plus at most the pacer's 1% guard. */
    ck_assert_int_ge(e.th.slept_ms, 10000);
    ck_assert_int_le(e.th.slept_ms, 10101);
    const char *u = usage_now(&e);
    ck_assert_ptr_nonnull(u);
    ck_assert_ptr_nonnull(strstr(u, "\"429s\":1"));
    ck_assert_ptr_nonnull(strstr(u, "\"retries\":1"));
    kit_http_req_free(&r);
    env_end(&e, 1);
}
END_TEST

START_TEST(t429_secondly_one_second)
{
    struct http_env e = {0};
    env_start(&e, CASSETTE(GET("/s", 429, "", RL429("SECONDLY")) "," GET("/s", 200, "", OK_BODY)));
    http_env_client(&e);
    struct kit_http_req r;
    ck_assert_int_eq(get(&e, &r, "/s"), OC_OK);
    ck_assert_int_eq(r.attempts, 2);
    ck_assert_int_eq(e.th.slept_ms, 1000);
    kit_http_req_free(&r);
    env_end(&e, 1);
}
END_TEST

START_TEST(t429_daily_stops)
{
    struct http_env e = {0};
    env_start(&e, CASSETTE(GET("/d", 429, "", RL429("DAILY"))));
    e.cfg.max_concurrency = 1;
    http_env_client(&e);
    struct kit_http_req r[2];
    kit_http_req_init(&r[0], "GET", "/d", NULL, 0, "test.daily");
    kit_http_req_init(&r[1], "GET", "/never", NULL, 0, "test.daily");
    struct oc_error err = {sizeof err};
    ck_assert_int_eq(kit_http_run(e.h, r, 2, &err), OC_E_BUDGET);
    scan_add(err.message);
    ck_assert_int_eq(r[0].rc, OC_E_BUDGET);
    ck_assert_int_eq(r[0].attempts, 1);
    ck_assert_int_eq(r[0].status, 429);
    ck_assert_int_eq(r[1].rc, OC_E_BUDGET);
    ck_assert_int_eq(r[1].status, 0);
    ck_assert_int_eq(r[1].attempts, 0);
    ck_assert_ptr_nonnull(strstr(r[0].err.message, "daily"));
    ck_assert_str_eq(r[0].err.correlation_id, "c-429");
    ck_assert(r[0].err.retryable);
    ck_assert_int_eq(e.th.slept_ms, 0);
    ck_assert_uint_eq(fx_server_requests(e.srv), 1);
    const char *u = usage_now(&e);
    ck_assert_ptr_nonnull(u);
    ck_assert_ptr_nonnull(strstr(u, "\"calls\":1"));
    ck_assert_ptr_nonnull(strstr(u, "\"429s\":1"));
    for(int i = 0; i < 2; i++) {
        req_check(&r[i]);
        kit_http_req_free(&r[i]);
    }
    env_end(&e, 1);
}
END_TEST

/* ---- 5xx, faults, malformed bodies ---- */

START_TEST(t5xx_runs_then_success)
{
    struct http_env e = {0};
    env_start(&e, CASSETTE(GET("/x", 502, "", "\"<html>bad gateway</html>\"") ","
                           GET("/x", 503, "", "{\"status\":\"error\",\"message\":\"down\"}") ","
                           GET("/x", 502, "", "\"\"") "," GET("/x", 200, "", OK_BODY)));
    http_env_client(&e);
    struct kit_http_req r;
    ck_assert_int_eq(get(&e, &r, "/x"), OC_OK);
    ck_assert_int_eq(r.attempts, 4);
    /* Backoff is deterministic: exactly the policy's three waits. */
    ck_assert_int_eq(e.th.slept_ms, kit_retry_backoff_ms(0, 1) + kit_retry_backoff_ms(0, 2) +
                                        kit_retry_backoff_ms(0, 3));
    ck_assert_int_eq(e.th.nsleeps, 3);
    ck_assert_uint_eq(kit_http_calls(e.h), 4);
    kit_http_req_free(&r);
    env_end(&e, 1);
}
END_TEST

/* The replay server's 599 ("no interaction matches") is a diagnostic, not
 * a busy server: one attempt, and the diagnostic stays visible. */
START_TEST(t599_unmatched_not_retried)
{
    struct http_env e = {0};
    env_start(&e, CASSETTE(GET("/x", 200, "", OK_BODY)));
    http_env_client(&e);
    struct kit_http_req r;
    ck_assert_int_ne(get(&e, &r, "/not-recorded"), OC_OK);
    ck_assert_int_eq(r.attempts, 1);
    ck_assert_int_eq(r.status, 599);
    ck_assert_uint_eq(fx_server_requests(e.srv), 1);
    kit_http_req_free(&r);
    kit_http_req_init(&r, "GET", "/x", NULL, 0, "test.get");
    struct oc_error err = {sizeof err};
    ck_assert_int_eq(kit_http_call(e.h, &r, &err), OC_OK);
    kit_http_req_free(&r);
    env_end(&e, 0);
}
END_TEST

START_TEST(t502_forever)
{
    struct http_env e = {0};
    env_start(&e, CASSETTE(GET("/x", 502, "", "\"\"") "," GET("/x", 502, "", "\"\"") ","
                           GET("/x", 502, "", "\"\"") "," GET("/x", 502, "", "\"\"")));
    e.cfg.max_retries = 3;
    http_env_client(&e);
    struct kit_http_req r;
    struct oc_error err = {sizeof err};
    kit_http_req_init(&r, "GET", "/x", NULL, 0, "test.get");
    ck_assert_int_eq(kit_http_call(e.h, &r, &err), OC_E_TRANSIENT);
    scan_add(err.message);
    ck_assert_int_eq(r.attempts, 4);
    ck_assert_uint_eq(fx_server_requests(e.srv), 4);
    ck_assert_int_eq(err.http_status, 502);
    ck_assert(err.retryable);
    ck_assert_ptr_nonnull(strstr(err.message, "GET /x: HTTP 502"));
    ck_assert_ptr_nonnull(strstr(err.message, "after 4 attempts"));
    req_check(&r);
    kit_http_req_free(&r);
    env_end(&e, 1);
}
END_TEST

START_TEST(t_faults_retried)
{
    struct http_env e = {0};
    env_start(&e, CASSETTE(GETX("/f", 200, "", OK_BODY, "\"reset\"") ","
                           GETX("/f", 200, "", "{\"results\":[1,2,3,4,5,6,7,8,9,10]}", "\"truncated\"") ","
                           GETX("/f", 200, "", OK_BODY, "\"empty\"") ","
                           GETX("/f", 200, "", OK_BODY, "{\"delay_ms\":400}") ","
                           GET("/f", 200, "", OK_BODY)));
    e.cfg.timeout_ms = 150;
    http_env_client(&e);
    struct kit_http_req r;
    ck_assert_int_eq(get(&e, &r, "/f"), OC_OK);
    ck_assert_int_eq(r.attempts, 5);
    ck_assert_int_eq(kit_json_bool(&r.json, kit_json_get(&r.json, 0, "ok")), 1);
    ck_assert_ptr_nonnull(strstr(kit_buf_str(&e.th.logs), "retry 1 of 5"));
    kit_http_req_free(&r);
    env_end(&e, 1);
}
END_TEST

START_TEST(t_malformed_then_protocol)
{
    struct http_env e = {0};
    env_start(&e, CASSETTE(GET("/m", 200, "", "\"{\\\"results\\\": [\"") ","
                           GET("/m", 200, "", "\"not json\"") ","
                           GET("/m", 200, "", "\"{\\\"a\\\":1}}\"") ","
                           GET("/ok", 200, "", "\"{broken\"") "," GET("/ok", 200, "", OK_BODY)));
    e.cfg.max_retries = 2;
    e.cfg.max_concurrency = 1;
    http_env_client(&e);
    struct kit_http_req r;
    ck_assert_int_eq(get(&e, &r, "/m"), OC_E_PROTOCOL);
    ck_assert_int_eq(r.attempts, 3);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.err.message, "malformed"));
    kit_http_req_free(&r);
    ck_assert_int_eq(get(&e, &r, "/ok"), OC_OK);
    ck_assert_int_eq(r.attempts, 2);
    kit_http_req_free(&r);
    env_end(&e, 1);
}
END_TEST

START_TEST(t_oversized_not_retried)
{
    struct http_env e = {0};
    env_start(&e, CASSETTE(GET("/big", 200, "", "{\"data\":\"0123456789012345678901234567890123456789\"}")));
    e.cfg.max_body = 16;
    http_env_client(&e);
    struct kit_http_req r;
    ck_assert_int_eq(get(&e, &r, "/big"), OC_E_PROTOCOL);
    ck_assert_int_eq(r.attempts, 1);
    ck_assert_ptr_nonnull(strstr(r.err.message, "max_body"));
    kit_http_req_free(&r);
    env_end(&e, 1);
}
END_TEST

START_TEST(t423_locked_waits_two_seconds)
{
    struct http_env e = {0};
    env_start(&e, CASSETTE(GET("/l", 423, "", "{\"status\":\"error\",\"message\":\"locked\"}") ","
                           GET("/l", 200, "", OK_BODY)));
    http_env_client(&e);
    struct kit_http_req r;
    ck_assert_int_eq(get(&e, &r, "/l"), OC_OK);
    ck_assert_int_eq(r.attempts, 2);
    ck_assert_int_ge(e.th.slept_ms, 2000);
    kit_http_req_free(&r);
    env_end(&e, 1);
}
END_TEST

START_TEST(t_cancel_stops_before_sending)
{
    struct http_env e = {0};
    env_start(&e, CASSETTE(GET("/x", 502, "", "\"\"")));
    e.cfg.max_retries = 0;
    http_env_client(&e);
    struct kit_http_req r;
    kit_http_req_init(&r, "GET", "/x", NULL, 0, "t");
    struct oc_error err = {sizeof err};
    e.th.cancel = 1;
    ck_assert_int_eq(kit_http_run(e.h, &r, 1, &err), OC_E_CANCELLED);
    scan_add(err.message);
    ck_assert_ptr_nonnull(strstr(err.message, "asked to stop"));
    ck_assert_int_eq(r.rc, OC_E_CANCELLED);
    ck_assert_int_eq(r.attempts, 0);
    ck_assert_int_eq(r.status, 0);
    ck_assert_uint_eq(fx_server_requests(e.srv), 0);
    req_check(&r);
    /* The same request runs once the host lets it. */
    e.th.cancel = 0;
    ck_assert_int_eq(kit_http_call(e.h, &r, &err), OC_E_TRANSIENT);
    ck_assert_int_eq(r.attempts, 1);
    ck_assert_int_eq(err.http_status, 502);
    req_check(&r);
    kit_http_req_free(&r);
    env_end(&e, 1);
}
END_TEST

/* ---- 4xx: never retried, clear messages ---- */

START_TEST(t4xx_not_retried)
{
    struct http_env e = {0};
    env_start(&e, CASSETTE(
        "{\"request\":{\"method\":\"POST\",\"path\":\"/crm/v3/objects/contacts/batch/upsert\","
        "\"body\":{\"inputs\":[]}},\"response\":{\"status\":400,\"headers\":{},\"body\":"
        "{\"status\":\"error\",\"message\":\"Property values were not valid\",\"correlationId\":"
        "\"cid-400\",\"category\":\"VALIDATION_ERROR\",\"errors\":[{\"message\":\"Email is "
        "invalid\",\"in\":\"email\"}]}},\"fault\":null}"
        "," GET("/a401", 401, "\"X-HubSpot-Correlation-Id\":\"cid-401\"",
                "{\"status\":\"error\",\"message\":\"Authentication credentials not found.\","
                "\"category\":\"INVALID_AUTHENTICATION\"}")
        "," GET("/a403", 403, "", "{\"status\":\"error\",\"message\":\"This app hasn't been "
                "granted all required scopes to make this call.\",\"correlationId\":\"cid-403\","
                "\"category\":\"MISSING_SCOPES\",\"context\":{\"requiredScopes\":[\"crm.lists.read\","
                "\"crm.lists.write\"],\"missingScopes\":[\"crm.lists.read\",\"crm.lists.write\"]}}")
        "," GET("/a404", 404, "", "{\"status\":\"error\",\"message\":\"Object not found.\","
                "\"category\":\"OBJECT_NOT_FOUND\",\"correlationId\":\"cid-404\"}")
        "," GET("/a530", 530, "", "\"\"")
        "," GET("/a301", 301, "\"Location\":\"https://elsewhere.example/\"", "\"\"")));
    e.cfg.max_concurrency = 2;
    http_env_client(&e);
    static const char body[] = "{\"inputs\":[]}";
    struct kit_http_req r[6];
    kit_http_req_init(&r[5], "GET", "/a301", NULL, 0, "t");
    kit_http_req_init(&r[0], "POST", "/crm/v3/objects/contacts/batch/upsert", body, sizeof body - 1,
                     "contacts.batch.upsert");
    kit_http_req_init(&r[1], "GET", "/a401", NULL, 0, "t");
    kit_http_req_init(&r[2], "GET", "/a403", NULL, 0, "t");
    kit_http_req_init(&r[3], "GET", "/a404", NULL, 0, "t");
    kit_http_req_init(&r[4], "GET", "/a530", NULL, 0, "t");
    struct oc_error err = {sizeof err};
    ck_assert_int_eq(kit_http_run(e.h, r, 6, &err), OC_OK);
    for(int i = 0; i < 6; i++)
        ck_assert_int_eq(r[i].attempts, 1);
    ck_assert_int_eq(e.th.slept_ms, 0);
    ck_assert_uint_eq(fx_server_requests(e.srv), 6);

    ck_assert_int_eq(r[0].rc, OC_E_INVALID);
    static const char want400[] =
        "POST /crm/v3/objects/contacts/batch/upsert: HTTP 400 VALIDATION_ERROR: "
        "Property values were not valid; Email is invalid (in email)";
    ck_assert_msg(!strncmp(r[0].err.message, want400, sizeof want400 - 1), "got: %s",
                  r[0].err.message);
    ck_assert_str_eq(r[0].err.category, "VALIDATION_ERROR");
    ck_assert_str_eq(r[0].err.correlation_id, "cid-400");
    ck_assert_int_eq(r[0].err.http_status, 400);
    ck_assert(!r[0].err.retryable);

    ck_assert_int_eq(r[1].rc, OC_E_AUTH);
    ck_assert_ptr_nonnull(strstr(r[1].err.message, "invalid or expired"));
    ck_assert_ptr_nonnull(strstr(r[1].err.message, "Settings > Integrations > Private Apps"));
    ck_assert_str_eq(r[1].err.correlation_id, "cid-401"); /* from the header */

    ck_assert_int_eq(r[2].rc, OC_E_AUTH);
    ck_assert_ptr_nonnull(strstr(r[2].err.message, "MISSING_SCOPES"));
    ck_assert_ptr_nonnull(strstr(r[2].err.message, "Missing scopes: crm.lists.read, crm.lists.write"));

    ck_assert_int_eq(r[3].rc, OC_E_NOT_FOUND);
    ck_assert_int_eq(r[3].status, 404);
    ck_assert_int_eq(kit_json_type(&r[3].json, 0), KIT_JSON_OBJECT); /* body kept */

    ck_assert_int_eq(r[4].rc, OC_E_AUTH);
    ck_assert_ptr_nonnull(strstr(r[4].err.message, "malformed"));

    ck_assert_int_eq(r[5].rc, OC_E_CONFIG); /* not followed */
    ck_assert_ptr_nonnull(strstr(r[5].err.message, "Redirects are not followed"));

    const char *u = usage_now(&e);
    ck_assert_ptr_nonnull(strstr(u, "\"contacts.batch.upsert\":{\"calls\":1,\"errors\":1"));
    for(int i = 0; i < 6; i++) {
        req_check(&r[i]);
        kit_http_req_free(&r[i]);
    }
    env_end(&e, 1);
}
END_TEST

/* ---- budget and usage ---- */

START_TEST(t_budget_refuses_next_call)
{
    struct http_env e = {0};
    env_start(&e, CASSETTE(GET("/b", 200, "", OK_BODY) "," GET("/b", 200, "", OK_BODY) ","
                           GET("/c", 200, "", OK_BODY)));
    e.cfg.daily_budget = 3;
    http_env_client(&e);
    struct kit_http_req r;
    ck_assert_int_eq(get(&e, &r, "/b"), OC_OK);
    kit_http_req_free(&r);
    ck_assert_int_eq(get(&e, &r, "/b"), OC_OK);
    kit_http_req_free(&r);
    /* A batch of two with one call left: the second is refused unsent. */
    struct kit_http_req b[2];
    kit_http_req_init(&b[0], "GET", "/c", NULL, 0, "t");
    kit_http_req_init(&b[1], "GET", "/c", NULL, 0, "t");
    struct oc_error err = {sizeof err};
    ck_assert_int_eq(kit_http_run(e.h, b, 2, &err), OC_E_BUDGET);
    scan_add(err.message);
    ck_assert_ptr_nonnull(strstr(err.message, "daily call budget of 3"));
    ck_assert_int_eq(b[0].rc, OC_OK);
    ck_assert_int_eq(b[1].rc, OC_E_BUDGET);
    ck_assert_int_eq(b[1].attempts, 0);
    ck_assert_int_eq(b[1].status, 0);
    for(int i = 0; i < 2; i++) {
        req_check(&b[i]);
        kit_http_req_free(&b[i]);
    }
    ck_assert_int_eq(get(&e, &r, "/c"), OC_E_BUDGET);
    ck_assert_int_eq(r.attempts, 0);
    kit_http_req_free(&r);
    ck_assert_uint_eq(fx_server_requests(e.srv), 3);
    ck_assert_uint_eq(kit_http_calls(e.h), 3);
    const char *u = usage_now(&e);
    ck_assert_ptr_nonnull(strstr(u, "\"calls\":3"));
    ck_assert_ptr_nonnull(strstr(u, "\"budget\":3"));
    env_end(&e, 1);
}
END_TEST

START_TEST(t_usage_persisted_and_reloaded)
{
    struct http_env e = {0};
    env_start(&e, CASSETTE(GET("/u", 429, "", RL429("TEN_SECONDLY_ROLLING")) ","
                           GET("/u", 200, "\"X-HubSpot-RateLimit-Max\":\"100\","
                               "\"X-HubSpot-RateLimit-Remaining\":\"98\","
                               "\"X-HubSpot-RateLimit-Daily\":\"250000\","
                               "\"X-HubSpot-RateLimit-Daily-Remaining\":\"249000\"", OK_BODY) ","
                           GET("/v", 200, "", OK_BODY) "," GET("/w", 200, "", OK_BODY)));
    e.cfg.daily_budget = 10;
    http_env_client(&e);
    struct kit_http_req r;
    ck_assert_int_eq(get(&e, &r, "/u"), OC_OK);
    kit_http_req_free(&r);
    kit_http_settle(e.h);
    kit_http_free(e.h);
    e.h = NULL;

    /* A second client on the same host state carries on the count. */
    http_env_client(&e);
    ck_assert_uint_eq(kit_http_calls(e.h), 0);
    ck_assert_int_eq(get(&e, &r, "/v"), OC_OK);
    kit_http_req_free(&r);
    struct oc_error err = {sizeof err};
    ck_assert_int_eq(kit_http_usage_emit(e.h, &err), OC_OK);
    const char *rec = kit_buf_str(&e.th.records);
    ck_assert_msg(strstr(rec, "\"kind\":\"usage\",\"day\":\"2026-11-28\","
                              "\"day_basis\":\"UTC (run authorize to learn the account's time zone)\","
                              "\"resets_at\":\"2026-11-29T00:00:00Z\",\"calls\":3,\"calls_429\":1,"
                              "\"calls_429_by_policy\":{\"TEN_SECONDLY_ROLLING\":1},"
                              "\"retries\":1,\"budget\":10,\"budget_remaining\":7,\"limit_max\":100,"
                              "\"limit_remaining\":98,\"daily_limit\":250000,"
                              "\"daily_remaining\":249000,\"by_endpoint\":"
                              "{\"test.get\":{\"calls\":3,\"errors\":1,"
                              "\"429\":1,\"retries\":1}}}"),
                  "record: %s", rec);
    const char *u = usage_now(&e);
    ck_assert_ptr_nonnull(strstr(u, "\"calls\":3"));

    /* Next UTC day: counts start again. */
    th_advance(&e.th, 86400000);
    ck_assert_int_eq(get(&e, &r, "/w"), OC_OK);
    kit_http_req_free(&r);
    u = usage_now(&e);
    ck_assert_msg(strstr(u, "{\"day\":\"2026-11-29\",\"calls\":1,"), "usage: %s", u);
    env_end(&e, 1);
}
END_TEST

START_TEST(t_usage_corrupt_state_tolerated)
{
    struct http_env e = {0};
    env_start(&e, CASSETTE(GET("/u", 200, "", OK_BODY)));
    ck_assert_int_eq(e.th.host.state_put(&e.th, "usage", "{\"day\":", 7), OC_OK);
    http_env_client(&e);
    ck_assert_ptr_nonnull(strstr(kit_buf_str(&e.th.logs), "WARN usage: saved usage is unreadable"));
    struct kit_http_req r;
    ck_assert_int_eq(get(&e, &r, "/u"), OC_OK);
    kit_http_req_free(&r);
    ck_assert_ptr_nonnull(strstr(usage_now(&e), "\"calls\":1"));
    env_end(&e, 1);
}
END_TEST

/* ---- pacing ---- */

START_TEST(t_pacing_from_headers)
{
    struct http_env e = {0};
    env_start(&e, CASSETTE(GET("/p", 200, "\"X-HubSpot-RateLimit-Max\":\"10\","
                               "\"X-HubSpot-RateLimit-Remaining\":\"0\","
                               "\"X-HubSpot-RateLimit-Interval-Milliseconds\":\"2000\"", OK_BODY) ","
                           GET("/q", 200, "", OK_BODY)));
    http_env_client(&e);
    struct kit_http_req r;
    ck_assert_int_eq(get(&e, &r, "/p"), OC_OK);
    kit_http_req_free(&r);
    ck_assert_int_eq(e.th.slept_ms, 0);
    ck_assert_int_eq(get(&e, &r, "/q"), OC_OK);
    kit_http_req_free(&r);
    ck_assert_int_eq(e.th.nsleeps, 1);
    ck_assert_int_ge(e.th.slept_ms, 2000);
    ck_assert_int_le(e.th.slept_ms, 2021);
    env_end(&e, 1);
}
END_TEST

START_TEST(t_pacing_from_config)
{
    struct http_env e = {0};
    struct dyn d = {0};
    e.opt.dynamic = dyn_handler;
    e.opt.dynamic_ctx = &d;
    env_start(&e, NULL);
    e.cfg.burst_max = 3;
    e.cfg.burst_window_ms = 10000;
    http_env_client(&e);
    struct kit_http_req r[7];
    char paths[7][24];
    for(int i = 0; i < 7; i++) {
        snprintf(paths[i], sizeof paths[i], "/cfg/%d", i);
        kit_http_req_init(&r[i], "GET", paths[i], NULL, 0, "t");
    }
    struct oc_error err = {sizeof err};
    ck_assert_int_eq(kit_http_run(e.h, r, 7, &err), OC_OK);
    for(int i = 0; i < 7; i++) {
        ck_assert_int_eq(r[i].rc, OC_OK);
        kit_http_req_free(&r[i]);
    }
    ck_assert_int_eq(e.th.nsleeps, 2);
    ck_assert_int_ge(e.th.slept_ms, 20000);
    ck_assert_int_le(e.th.slept_ms, 20202);
    env_end(&e, 0);
}
END_TEST

/* ---- concurrency ---- */

START_TEST(t_concurrency_order)
{
    struct http_env e = {0};
    struct dyn d = {.pause_us = 20000};
    e.opt.dynamic = dyn_handler;
    e.opt.dynamic_ctx = &d;
    env_start(&e, NULL);
    e.cfg.max_concurrency = 4;
    http_env_client(&e);
    enum { N = 20 };
    struct kit_http_req r[N];
    char paths[N][32];
    for(int i = 0; i < N; i++) {
        snprintf(paths[i], sizeof paths[i], "/conc/%d", i);
        kit_http_req_init(&r[i], "GET", paths[i], NULL, 0, "conc");
    }
    struct oc_error err = {sizeof err};
    ck_assert_int_eq(kit_http_run(e.h, r, N, &err), OC_OK);
    for(int i = 0; i < N; i++) {
        ck_assert_int_eq(r[i].rc, OC_OK);
        ck_assert_int_eq(r[i].attempts, 1);
        int t = kit_json_get(&r[i].json, 0, "path");
        ck_assert_msg(kit_json_eq(&r[i].json, t, paths[i]), "result %d is not its own", i);
        kit_http_req_free(&r[i]);
    }
    ck_assert_int_gt(d.peak, 1);
    ck_assert_int_le(d.peak, 4);
    ck_assert_uint_eq(kit_http_calls(e.h), N);
    env_end(&e, 0);
}
END_TEST

/* ---- configuration refusals ---- */

START_TEST(t_plain_http_refused)
{
    struct testhost th;
    th_init(&th, T0);
    static const char *refused[] = {"http://api.hubapi.com", "http://127.0.0.1.example.com",
                                    "http://user@127.0.0.1:8080", "ftp://127.0.0.1",
                                    "http://10.0.0.1:80", "http://[::2]:80", "http://128.0.0.1"};
    static const char *allowed[] = {"https://api.hubapi.com", "http://127.0.0.1:1",
                                    "http://127.9.8.7:99/", "http://localhost:1", "http://[::1]:1"};
    struct kit_http_config cfg = {.token = TOKEN, .max_retries = -1};
    hs_transport_configure(&cfg);
    struct oc_error err = {sizeof err};
    struct kit_http *h;
    for(size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        cfg.base_url = refused[i];
        ck_assert_msg(kit_http_new(&cfg, &th.host, &h, &err) == OC_E_CONFIG, "%s accepted", refused[i]);
        ck_assert_ptr_null(h);
        ck_assert_ptr_nonnull(strstr(err.message, "base_url"));
        scan_add(err.message);
    }
    cfg.base_url = "http://api.hubapi.com";
    kit_http_new(&cfg, &th.host, &h, &err);
    ck_assert_ptr_nonnull(strstr(err.message, "travel in clear"));
    for(size_t i = 0; i < sizeof allowed / sizeof *allowed; i++) {
        cfg.base_url = allowed[i];
        ck_assert_msg(kit_http_new(&cfg, &th.host, &h, &err) == OC_OK, "%s: %s", allowed[i],
                      err.message);
        kit_http_free(h);
    }
    cfg.base_url = NULL;
    cfg.token = "";
    ck_assert_int_eq(kit_http_new(&cfg, &th.host, &h, &err), OC_E_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.message, "HUBSPOT_ACCESS_TOKEN"));
    /* A token that could inject headers: the client exists (authorize
     * reports the shape) but sends nothing. */
    cfg.token = "pat-na1-0000\r\nX-Evil: 1";
    cfg.base_url = "http://127.0.0.1:9";
    ck_assert_int_eq(kit_http_new(&cfg, &th.host, &h, &err), OC_OK);
    struct kit_http_req r;
    kit_http_req_init(&r, "GET", "/x", NULL, 0, "t");
    ck_assert_int_eq(kit_http_call(h, &r, &err), OC_E_AUTH);
    ck_assert_int_eq(r.attempts, 0);
    ck_assert_uint_eq(kit_http_calls(h), 0);
    ck_assert_ptr_nonnull(strstr(err.message, "control characters"));
    scan_add(err.message);
    kit_http_req_free(&r);
    kit_http_free(h);
    scan_add(kit_buf_str(&th.logs));
    th_free(&th);
}
END_TEST

/* ---- the figure: a 300-call burst against 100 calls per 10 s ---- */

START_TEST(t_burst_300_paced)
{
    struct http_env e = {0};
    struct dyn d = {0};
    e.opt.dynamic = dyn_handler;
    e.opt.dynamic_ctx = &d;
    e.opt.limit_max = 100;
    e.opt.limit_window_ms = 10000;
    e.opt.now_ms = env_clock;
    e.opt.clock_ctx = &e.th;
    env_start(&e, NULL);
    e.cfg.max_concurrency = 4;
    http_env_client(&e);
    enum { N = 300 };
    struct kit_http_req *r = calloc(N, sizeof *r);
    char (*paths)[24] = calloc(N, sizeof *paths);
    ck_assert(r && paths);
    for(int i = 0; i < N; i++) {
        snprintf(paths[i], sizeof paths[i], "/burst/%d", i);
        kit_http_req_init(&r[i], "GET", paths[i], NULL, 0, "burst");
    }
    struct oc_error err = {sizeof err};
    int64_t t0 = e.th.now_ms;
    ck_assert_int_eq(kit_http_run(e.h, r, N, &err), OC_OK);
    int64_t spent = e.th.now_ms - t0;
    int ok = 0;
    for(int i = 0; i < N; i++) {
        ok += r[i].rc == OC_OK;
        kit_http_req_free(&r[i]);
    }
    uint64_t calls = kit_http_calls(e.h);
    const char *u = usage_now(&e);
    printf("http: 300-call burst vs 100 calls/10 s: %llu calls, %d ok, virtual time %.1f s, "
           "server saw %llu requests; usage %s\n",
           (unsigned long long)calls, ok, spent / 1000.0,
           (unsigned long long)fx_server_requests(e.srv), u);
    ck_assert_int_eq(ok, N);
    ck_assert_uint_eq(calls, N);
    ck_assert_uint_eq(fx_server_requests(e.srv), N);
    ck_assert_ptr_nonnull(strstr(u, "\"429s\":0"));
    ck_assert_int_ge(spent, 20000);
    ck_assert_int_le(spent, 33000);
    free(r);
    free(paths);
    env_end(&e, 0);
}
END_TEST

/* ---- the token never shows ---- */

START_TEST(t_token_never_shown)
{
    /* Hostile answers that echo both secrets, and a path carrying one. */
    kit_redact_register(TOKEN2);
    struct http_env e = {0};
    env_start(&e, CASSETTE(
        GET("/echo/" TOKEN2, 400, "", "{\"status\":\"error\",\"message\":\"bad token " TOKEN
            " and " TOKEN2 "\",\"category\":\"VALIDATION_ERROR\"}")
        "," GET("/e5", 500, "", "{\"message\":\"Bearer " TOKEN "\"}")));
    e.cfg.max_retries = 0;
    http_env_client(&e);
    struct kit_http_req r;
    ck_assert_int_eq(get(&e, &r, "/echo/" TOKEN2), OC_E_INVALID);
    ck_assert_ptr_nonnull(strstr(r.err.message, "bad token [REDACTED] and [REDACTED]"));
    kit_http_req_free(&r);
    ck_assert_int_eq(get(&e, &r, "/e5"), OC_E_TRANSIENT);
    kit_http_req_free(&r);
    env_end(&e, 1);

    /* A client holding the second secret as its token, refused by the
     * server (its token is not the placeholder). */
    env_start(&e, CASSETTE(GET("/z", 200, "", OK_BODY)));
    e.cfg.token = TOKEN2;
    e.cfg.max_retries = 0;
    http_env_client(&e);
    ck_assert_int_ne(get(&e, &r, "/z"), OC_OK);
    kit_http_req_free(&r);
    struct oc_error err = {sizeof err};
    kit_http_usage_emit(e.h, &err);
    scan_add(kit_buf_str(&e.th.records));
    env_end(&e, 0);

    /* Every log line and message of the whole suite so far. */
    FILE *f = fopen(scan_path, "r");
    ck_assert_ptr_nonnull(f);
    struct kit_buf all = KIT_BUF_INIT;
    char chunk[4096];
    size_t n;
    while((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        kit_buf_append(&all, chunk, n);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(kit_buf_str(&all), "[REDACTED]"));
    ck_assert_ptr_null(strstr(kit_buf_str(&all), TOKEN));
    ck_assert_ptr_null(strstr(kit_buf_str(&all), TOKEN2));
    ck_assert_ptr_null(strstr(kit_buf_str(&all), "00000000-0000-4000-8000-000000000000"));
    kit_buf_free(&all);
    kit_redact_forget(TOKEN2);
}
END_TEST

/* ---- what a user sees while the client waits ---- */

/* A loopback port nothing listens on: bound, then closed. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

START_TEST(t_retry_lines_say_what_failed)
{
    struct http_env e = {0};
    env_start(&e, CASSETTE(""));
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", closed_port());
    e.cfg.base_url = url;
    e.cfg.max_retries = 3;
    http_env_client(&e);
    struct kit_http_req r;
    ck_assert_int_eq(get(&e, &r, "/gone"), OC_E_TRANSIENT);
    ck_assert_int_eq(r.attempts, 4);
    kit_http_req_free(&r);
    const char *logs = kit_buf_str(&e.th.logs);
    /* Each retry, at the level a host shows by default: what failed, which
     * retry, and when it goes. */
    for(int i = 1; i <= 3; i++) {
        char want[160];
        snprintf(want, sizeof want, "WARN HubSpot unreachable (connection refused), retry %d of 3 in ", i);
        ck_assert_msg(strstr(logs, want), "no \"%s\" in:\n%s", want, logs);
    }
    ck_assert_msg(strstr(logs, "s (GET /gone)\n"), "%s", logs);
    ck_assert_msg(!strstr(logs, "retry 4 of 3"), "%s", logs);
    /* The waits passed on the test host's clock, never the wall's. */
    ck_assert_int_ge(e.th.slept_ms, 500 + 1000 + 2000);
    env_end(&e, 1);
}
END_TEST

START_TEST(t_rate_limit_wait_line)
{
    struct http_env e = {0};
    env_start(&e, CASSETTE(GET("/w", 429, "", RL429("TEN_SECONDLY_ROLLING")) "," GET("/w", 200, "", OK_BODY)));
    e.cfg.max_retries = 5;
    http_env_client(&e);
    struct kit_http_req r;
    ck_assert_int_eq(get(&e, &r, "/w"), OC_OK);
    kit_http_req_free(&r);
    const char *logs = kit_buf_str(&e.th.logs);
    ck_assert_msg(strstr(logs, "WARN waiting 10 s: HubSpot's 10-second limit, retry 1 of 5 (GET /w)\n"), "%s",
                  logs);
    /* The full answer is there for -v. */
    ck_assert_msg(strstr(logs, "INFO GET /w: HTTP 429"), "%s", logs);
    env_end(&e, 1);
}
END_TEST

/* A pacing wait long enough to notice is said once, at WARN; a short one
 * stays at DEBUG so a normal run is quiet. */
START_TEST(t_pacing_wait_lines)
{
    struct http_env e = {0};
    env_start(&e, CASSETTE(GET("/p", 200, "\"X-HubSpot-RateLimit-Max\":\"10\","
                               "\"X-HubSpot-RateLimit-Remaining\":\"0\","
                               "\"X-HubSpot-RateLimit-Interval-Milliseconds\":\"10000\"", OK_BODY) ","
                           GET("/q", 200, "", OK_BODY)));
    http_env_client(&e);
    struct kit_http_req r;
    ck_assert_int_eq(get(&e, &r, "/p"), OC_OK);
    kit_http_req_free(&r);
    ck_assert_int_eq(get(&e, &r, "/q"), OC_OK);
    kit_http_req_free(&r);
    const char *logs = kit_buf_str(&e.th.logs);
    const char *line = strstr(logs, "WARN waiting 10.2 s: HubSpot's 10-second limit (10 calls)\n");
    ck_assert_msg(line, "%s", logs);
    ck_assert_msg(!strstr(line + 1, "WARN waiting"), "announced twice: %s", logs);
    env_end(&e, 1);

    struct http_env q = {0};
    struct dyn d = {0};
    q.opt.dynamic = dyn_handler;
    q.opt.dynamic_ctx = &d;
    env_start(&q, NULL);
    q.cfg.burst_max = 2;
    q.cfg.burst_window_ms = 500;
    http_env_client(&q);
    struct kit_http_req rs[4];
    for(int i = 0; i < 4; i++)
        kit_http_req_init(&rs[i], "GET", "/short", NULL, 0, "t");
    struct oc_error err = {sizeof err};
    ck_assert_int_eq(kit_http_run(q.h, rs, 4, &err), OC_OK);
    for(int i = 0; i < 4; i++)
        kit_http_req_free(&rs[i]);
    ck_assert_int_gt(q.th.slept_ms, 0);
    logs = kit_buf_str(&q.th.logs);
    ck_assert_msg(!strstr(logs, "WARN"), "a short wait is not news: %s", logs);
    ck_assert_msg(strstr(logs, "DEBUG http: waiting"), "%s", logs);
    env_end(&q, 0);
}
END_TEST

extern Suite *make_http_suite(void);

Suite *make_http_suite(void)
{
    const char *dir = getenv("OC_BUILD");
    snprintf(scan_path, sizeof scan_path, "%s/check-http-scan-%ld.txt", dir && *dir ? dir : "/tmp",
             (long)getpid());
    unlink(scan_path);
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("client");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, t429_retry_after);
    tcase_add_test(tc, t429_ten_secondly_waits_window);
    tcase_add_test(tc, t429_secondly_one_second);
    tcase_add_test(tc, t429_daily_stops);
    tcase_add_test(tc, t5xx_runs_then_success);
    tcase_add_test(tc, t502_forever);
    tcase_add_test(tc, t599_unmatched_not_retried);
    tcase_add_test(tc, t_faults_retried);
    tcase_add_test(tc, t_malformed_then_protocol);
    tcase_add_test(tc, t423_locked_waits_two_seconds);
    tcase_add_test(tc, t_cancel_stops_before_sending);
    tcase_add_test(tc, t_oversized_not_retried);
    tcase_add_test(tc, t4xx_not_retried);
    tcase_add_test(tc, t_budget_refuses_next_call);
    tcase_add_test(tc, t_usage_persisted_and_reloaded);
    tcase_add_test(tc, t_usage_corrupt_state_tolerated);
    tcase_add_test(tc, t_pacing_from_headers);
    tcase_add_test(tc, t_pacing_from_config);
    tcase_add_test(tc, t_concurrency_order);
    tcase_add_test(tc, t_plain_http_refused);
    tcase_add_test(tc, t_burst_300_paced);
    tcase_add_test(tc, t_retry_lines_say_what_failed);
    tcase_add_test(tc, t_rate_limit_wait_line);
    tcase_add_test(tc, t_pacing_wait_lines);
    /* Last: it reads what the tests above wrote. */
    tcase_add_test(tc, t_token_never_shown);
    suite_add_tcase(s, tc);
    return s;
}
