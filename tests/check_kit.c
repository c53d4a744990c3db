/* check_kit.c - the connector kit's HTTP client serves a connector that is
 * not HubSpot. A made-up CRM ("Acme") names its rate-limit headers
 * RateLimit-Limit / -Remaining / -Window-Ms, its request id Acme-Request-Id,
 * and says "slow down for N ms" in its 429 body; a tiny hook set teaches
 * the client all of it, over real loopback HTTP, on virtual time. Nothing
 * here includes hubspot/. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fixtures/replay.h"
#include "plugin/error.h"
#include "plugin/http.h"
#include "tests/support/rawserver.h"
#include "tests/support/scenario_check.h"
#include "tests/support/testhost.h"

#define T0 1795824000000LL /* 2026-11-28T00:00:00Z */

/* ---- Acme's server: one answer per request, in order ---- */

static int acme_requests;

static void acme_send(struct rs_conn *c, const char *status, const char *headers, const char *body)
{
    rs_sendf(c, "HTTP/1.1 %s\r\nContent-Type: application/json\r\nConnection: close\r\n%s"
                "Content-Length: %zu\r\n\r\n%s",
             status, headers, strlen(body), body);
}

static void acme_server(void *ctx, struct rs_conn *c)
{
    (void)ctx;
    switch(__atomic_fetch_add(&acme_requests, 1, __ATOMIC_SEQ_CST)) {
    case 0:
        acme_send(c, "429 Too Many Requests", "Acme-Request-Id: req-1\r\n",
                  "{\"error\":{\"code\":\"slow_down\",\"retry_in_ms\":700}}");
        break;
    case 1:
        acme_send(c, "200 OK",
                  "RateLimit-Limit: 10\r\nratelimit-remaining: 9\r\nRateLimit-Window-Ms: 5000\r\n"
                  "Acme-Request-Id: req-2\r\n",
                  "{\"things\":[]}");
        break;
    default:
        acme_send(c, "409 Conflict", "Acme-Request-Id: req-3\r\n",
                  "{\"error\":{\"code\":\"duplicate\",\"message\":\"thing 7 exists\"}}");
        break;
    }
}

/* ---- Acme's hooks ---- */

static void acme_header(void *ctx, struct kit_http_meta *m, const char *line, size_t len)
{
    (void)ctx;
    const char *name, *v;
    size_t nlen, vlen;
    if(kit_http_meta_standard(m, line, len) ||
       !kit_http_header_split(line, len, &name, &nlen, &v, &vlen))
        return;
#define IS(s) (nlen == strlen(s) && !strncasecmp(name, s, nlen))
    if(IS("RateLimit-Limit"))
        m->limit_max = kit_http_header_count(v, vlen);
    else if(IS("RateLimit-Remaining"))
        m->limit_remaining = kit_http_header_count(v, vlen);
    else if(IS("RateLimit-Window-Ms"))
        m->limit_interval_ms = kit_http_header_count(v, vlen);
    else if(IS("Acme-Request-Id"))
        kit_http_meta_set_id(m, v, vlen);
#undef IS
}

static void acme_answer(void *ctx, const struct kit_http_answer *a, struct oc_error *err,
                        struct kit_http_decision *d)
{
    int *calls = ctx;
    (*calls)++;
    const struct kit_json *j = a->body;
    int code = j ? kit_json_path(j, 0, "error.code") : -1;
    if(code >= 0 && kit_json_eq(j, code, "slow_down")) {
        int64_t ms = 0;
        kit_json_int64(j, kit_json_path(j, 0, "error.retry_in_ms"), &ms);
        kit_fail(err, OC_E_TRANSIENT, "%s: Acme asks to slow down for %lld ms", a->what,
                 (long long)ms);
        d->next = KIT_NEXT_WAIT;
        d->wait_ms = ms;
        d->hold_all = 1;
        return;
    }
    char said[128] = "";
    int msg = j ? kit_json_path(j, 0, "error.message") : -1;
    struct kit_buf b = KIT_BUF_INIT;
    if(msg >= 0 && !kit_json_str(j, msg, &b))
        snprintf(said, sizeof said, "%s", kit_buf_str(&b));
    kit_buf_free(&b);
    kit_fail(err, kit_http_status(a->status), "%s: Acme refused (HTTP %ld): %s", a->what,
             a->status, said);
    kit_error_ids(err, a->meta->correlation_id, NULL);
    d->next = KIT_NEXT_FINAL;
}

static void acme_config(struct kit_http_config *cfg, int *answer_calls)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->token = FX_PLACEHOLDER_TOKEN;
    cfg->max_retries = -1;
    cfg->user_agent = "onecount-acme/1.0";
    cfg->hooks.ctx = answer_calls;
    cfg->hooks.header = acme_header;
    cfg->hooks.answer = acme_answer;
    cfg->server_name = "Acme";
    cfg->token_env = "ACME_TOKEN";
    cfg->token_source = "Acme (Profile > API keys)";
}

START_TEST(t_kit_serves_another_crm)
{
    struct rs_server *srv;
    struct rs_options o = {.handler = acme_server, .max_conns = 8};
    char why[256];
    acme_requests = 0;
    ck_assert_msg(!rs_start(&o, &srv, why, sizeof why), "%s", why);
    struct testhost th;
    th_init(&th, T0);
    int answer_calls = 0;
    struct kit_http_config cfg;
    acme_config(&cfg, &answer_calls);
    cfg.base_url = rs_url(srv);
    struct kit_http *h;
    struct oc_error err = {sizeof err};
    ck_assert_msg(kit_http_new(&cfg, &th.host, &h, &err) == OC_OK, "%s", err.message);

    /* The 429 body's own word decides the wait: 700 ms, not a window. */
    struct kit_http_req r;
    kit_http_req_init(&r, "GET", "/things", NULL, 0, "things.list");
    ck_assert_msg(kit_http_call(h, &r, &err) == OC_OK, "%s", err.message);
    ck_assert_int_eq(r.attempts, 2);
    ck_assert_int_eq(th.slept_ms, 700);
    kit_http_req_free(&r);

    /* An error answer described in Acme's words, with Acme's request id. */
    kit_http_req_init(&r, "POST", "/things", "{}", 2, "things.create");
    ck_assert_int_eq(kit_http_call(h, &r, &err), OC_E_INVALID);
    ck_assert_int_eq(r.attempts, 1);
    ck_assert_str_eq(err.message, "POST /things: Acme refused (HTTP 409): thing 7 exists");
    ck_assert_str_eq(err.correlation_id, "req-3");
    ck_assert_int_eq(answer_calls, 2);
    kit_http_req_free(&r);

    /* The limits read from Acme's headers reach the usage record. */
    ck_assert_int_eq(kit_http_usage_emit(h, &err), OC_OK);
    const char *rec = kit_buf_str(&th.records);
    ASSERT_HAS(rec, "\"limit_max\":10");
    ASSERT_HAS(rec, "\"limit_remaining\":9");
    ASSERT_HAS(rec, "\"limit_interval_ms\":5000");
    ck_assert_ptr_null(strstr(rec, "day_basis_note"));

    /* The User-Agent is the connector's, with libcurl's version added. */
    struct kit_buf head = KIT_BUF_INIT;
    ck_assert_int_eq(rs_head(srv, 0, &head), 0);
    ASSERT_HAS(kit_buf_str(&head), "User-Agent: onecount-acme/1.0 libcurl/");
    kit_buf_free(&head);
    kit_http_free(h);

    /* Messages the client words itself name Acme's places, no other CRM. */
    cfg.token = "acme token with spaces";
    ck_assert_int_eq(kit_http_new(&cfg, &th.host, &h, &err), OC_OK);
    kit_http_req_init(&r, "GET", "/things", NULL, 0, "things.list");
    ck_assert_int_eq(kit_http_call(h, &r, &err), OC_E_AUTH);
    ASSERT_HAS(err.message, "copy it again from Acme (Profile > API keys)");
    kit_http_req_free(&r);
    kit_http_free(h);
    cfg.token = "";
    ck_assert_int_eq(kit_http_new(&cfg, &th.host, &h, &err), OC_E_CONFIG);
    ck_assert_str_eq(err.message, "no access token: set ACME_TOKEN or access_token in the config");
    ck_assert_ptr_null(strcasestr(kit_buf_str(&th.logs), "hubspot"));
    th_free(&th);
    rs_stop(srv);
}
END_TEST

/* Without hooks the client still works by HTTP's own rules: a 429 waits
 * out the configured window, an error answer maps by its status. */
START_TEST(t_kit_without_hooks)
{
    struct rs_server *srv;
    struct rs_options o = {.handler = acme_server, .max_conns = 8};
    char why[256];
    acme_requests = 0;
    ck_assert_msg(!rs_start(&o, &srv, why, sizeof why), "%s", why);
    struct testhost th;
    th_init(&th, T0);
    struct kit_http_config cfg = {.base_url = rs_url(srv), .token = FX_PLACEHOLDER_TOKEN,
                                  .max_retries = -1, .burst_window_ms = 3000};
    struct kit_http *h;
    struct oc_error err = {sizeof err};
    ck_assert_msg(kit_http_new(&cfg, &th.host, &h, &err) == OC_OK, "%s", err.message);
    struct kit_http_req r;
    kit_http_req_init(&r, "GET", "/things", NULL, 0, "things.list");
    ck_assert_msg(kit_http_call(h, &r, &err) == OC_OK, "%s", err.message);
    ck_assert_int_eq(r.attempts, 2);
    ck_assert_int_eq(th.slept_ms, 3000);
    kit_http_req_free(&r);
    kit_http_req_init(&r, "GET", "/dup", NULL, 0, "things.get");
    ck_assert_int_eq(kit_http_call(h, &r, &err), OC_E_INVALID);
    ck_assert_str_eq(err.message, "GET /dup: HTTP 409");
    ck_assert_int_eq(err.http_status, 409);
    kit_http_req_free(&r);
    kit_http_free(h);
    th_free(&th);
    rs_stop(srv);
}
END_TEST

extern Suite *make_kit_suite(void);

Suite *make_kit_suite(void)
{
    Suite *s = suite_create("kit");
    TCase *tc = tcase_create("kit");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, t_kit_serves_another_crm);
    tcase_add_test(tc, t_kit_without_hooks);
    suite_add_tcase(s, tc);
    return s;
}
