/*
 * check_fixtures.c - suite "fixtures": the replay server (matching, order,
 * diagnostics, faults, limit emulation, cassette loading) and the
 * recorder, all driven through real libcurl on 127.0.0.1.
 *
 * Cassettes are written inline with single quotes for readability; sq()
 * turns them into JSON.
 */
#include <check.h>
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fixtures/record.h"
#include "fixtures/replay.h"
#include "plugin/buf.h"
#include "plugin/clock.h"

#define PH FX_PLACEHOLDER_TOKEN
/* Stands in for a real token in the recorder tests: never a real one.
 * Split in two so no token-shaped string sits in the source. */
#define SECRET "pat-na1-" "5ec2e700-1111-4111-8111-111111111111"

static char *sq(const char *s)
{
    char *d = strdup(s);
    ck_assert_ptr_nonnull(d);
    for(char *p = d; *p; p++)
        if(*p == '\'')
            *p = '"';
    return d;
}

static struct fx_server *start_sq(const char *name, const char *cassette,
                                  const struct fx_options *o)
{
    char *json = sq(cassette);
    char why[512] = "";
    struct fx_server *s = NULL;
    int rc = fx_server_start_text(name, json, o, &s, why, sizeof why);
    free(json);
    ck_assert_msg(rc == 0, "server did not start: %s", why);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_gt(fx_server_port(s), 0);
    return s;
}

/* ---- a tiny libcurl client ---- */

struct resp {
    CURLcode cc;
    long status;
    long connects;
    struct kit_buf body;
    struct kit_buf headers;
};

static size_t grab(char *d, size_t sz, size_t n, void *ctx)
{
    kit_buf_append(ctx, d, sz * n);
    return sz * n;
}

/* auth: NULL sends the placeholder, "" sends none, else "Bearer <auth>". */
static void call(CURL *h, const char *base, const char *method, const char *pathq,
                 const char *body, const char *auth, struct resp *r)
{
    struct kit_buf url = KIT_BUF_INIT, a = KIT_BUF_INIT;
    struct curl_slist *hl = NULL;
    kit_buf_free(&r->body);
    kit_buf_free(&r->headers);
    kit_buf_printf(&url, "%s%s", base, pathq);
    if(!auth)
        auth = PH;
    if(auth[0]) {
        kit_buf_printf(&a, "Authorization: Bearer %s", auth);
        hl = curl_slist_append(hl, kit_buf_str(&a));
    }
    hl = curl_slist_append(hl, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_URL, kit_buf_str(&url));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 3000L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, grab);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, grab);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &r->headers);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if(body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        curl_easy_setopt(h, CURLOPT_COPYPOSTFIELDS, body);
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }
    r->status = 0;
    r->cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &r->connects);
    curl_slist_free_all(hl);
    kit_buf_free(&url);
    kit_buf_free(&a);
}

/* One request on a fresh handle. */
static void call1(const char *base, const char *method, const char *pathq, const char *body,
                  const char *auth, struct resp *r)
{
    CURL *h = curl_easy_init();
    ck_assert_ptr_nonnull(h);
    call(h, base, method, pathq, body, auth, r);
    curl_easy_cleanup(h);
}

static void resp_free(struct resp *r)
{
    kit_buf_free(&r->body);
    kit_buf_free(&r->headers);
}

/* Value of header name in r (static storage), NULL if absent. */
static const char *header(const struct resp *r, const char *name)
{
    static char val[256];
    const char *p = kit_buf_str(&r->headers);
    size_t nl = strlen(name);
    while(*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if(len > nl && p[nl] == ':' && !strncasecmp(p, name, nl)) {
            const char *v = p + nl + 1;
            while(*v == ' ')
                v++;
            size_t vl = (size_t)(p + len - v);
            while(vl && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
                vl--;
            snprintf(val, sizeof val, "%.*s", (int)vl, v);
            return val;
        }
        p += len + (eol ? 1 : 0);
    }
    return NULL;
}

#define ASSERT_HAS(hay, needle) \
    ck_assert_msg(strstr((hay), (needle)) != NULL, "'%s' not found in:\n%s", (needle), (hay))
#define ASSERT_LACKS(hay, needle) \
    ck_assert_msg(strstr((hay), (needle)) == NULL, "'%s' unexpectedly in:\n%s", (needle), (hay))

static void verify_clean(struct fx_server *s)
{
    struct kit_buf rep = KIT_BUF_INIT;
    int rc = fx_server_verify(s, &rep);
    ck_assert_msg(rc == 0, "verify failed:\n%s", kit_buf_str(&rep));
    ck_assert_uint_eq(rep.len, 0);
    kit_buf_free(&rep);
}

/* ---- matching ---- */

START_TEST(test_query_order_and_decoding)
{
    struct fx_server *s = start_sq("q", "{'version':1,'scenario':'q','interactions':["
        "{'request':{'method':'GET','path':'/crm/v3/objects/contacts/a%40b.com',"
        "  'query':{'idProperty':'email','properties':['email','firstname']}},"
        " 'response':{'status':200,'headers':{'X-HubSpot-RateLimit-Remaining':'98'},"
        "  'body':{'id':'51'}}},"
        "{'request':{'method':'GET','path':'/s','query':{'q':'a b+c','n':5}},"
        " 'response':{'status':200,'body':'plain text'},'fault':null}]}", NULL);
    struct resp r = {0};
    call1(fx_server_url(s), "GET",
          "/crm/v3/objects/contacts/a@b.com?properties=firstname&idProperty=email"
          "&properties=email", NULL, NULL, &r);
    ck_assert_int_eq(r.cc, CURLE_OK);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(kit_buf_str(&r.body), "{\"id\":\"51\"}");
    ck_assert_str_eq(header(&r, "X-HubSpot-RateLimit-Remaining"), "98");
    ASSERT_HAS(header(&r, "Content-Type"), "application/json");
    /* '+' is a space, %2B a plus, and the number 5 is the text "5". */
    call1(fx_server_url(s), "GET", "/s?n=5&q=a+b%2Bc", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(kit_buf_str(&r.body), "plain text");
    ck_assert_ptr_null(header(&r, "Content-Type"));
    verify_clean(s);
    ck_assert_uint_eq(fx_server_requests(s), 2);
    resp_free(&r);
    fx_server_stop(s);
}
END_TEST

START_TEST(test_body_canonical_and_bytes)
{
    struct fx_server *s = start_sq("b", "{'version':1,'interactions':["
        "{'request':{'method':'POST','path':'/j','body':{'b':[1,2],'a':{'y':true,'x':null}}},"
        " 'response':{'status':201,'body':{'ok':1}}},"
        "{'request':{'method':'POST','path':'/form','body':'grant_type=x&code=1'},"
        " 'response':{'status':200}},"
        "{'request':{'method':'GET','path':'/nobody'},'response':{'status':204}}]}", NULL);
    struct resp r = {0};
    call1(fx_server_url(s), "POST", "/j", " {\n \"a\" : {\"x\":null, \"y\":true},\t\"b\":[1, 2] }",
          NULL, &r);
    ck_assert_int_eq(r.status, 201);
    ck_assert_str_eq(kit_buf_str(&r.body), "{\"ok\":1}");
    call1(fx_server_url(s), "POST", "/form", "grant_type=x&code=1", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.body.len, 0);
    /* A body where none was recorded is a mismatch. */
    call1(fx_server_url(s), "GET", "/nobody", "{\"x\":1}", NULL, &r);
    ck_assert_int_eq(r.status, 599);
    ASSERT_HAS(kit_buf_str(&r.body), "body differs: expected no body");
    call1(fx_server_url(s), "GET", "/nobody", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 204);
    resp_free(&r);
    fx_server_stop(s);
}
END_TEST

START_TEST(test_authorization)
{
    struct fx_server *s = start_sq("auth", "{'version':1,'interactions':["
        "{'request':{'method':'GET','path':'/a'},'response':{'status':200,'body':[]}}]}", NULL);
    struct resp r = {0};
    call1(fx_server_url(s), "GET", "/a", NULL, "", &r);
    ck_assert_int_eq(r.status, 599);
    ASSERT_HAS(kit_buf_str(&r.body), "Authorization differs: the header is missing");
    const char *wrong = "pat-na1-" "99999999-9999-4999-8999-999999999999";
    call1(fx_server_url(s), "GET", "/a", NULL, wrong, &r);
    ck_assert_int_eq(r.status, 599);
    ASSERT_HAS(kit_buf_str(&r.body), "Authorization");
    ASSERT_LACKS(kit_buf_str(&r.body), "99999999-9999");
    /* Neither consumed the interaction. */
    call1(fx_server_url(s), "GET", "/a", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    struct kit_buf rep = KIT_BUF_INIT;
    ck_assert_int_eq(fx_server_verify(s, &rep), -1);
    const char *p = kit_buf_str(&rep);
    int lines = 0;
    for(; *p; p++)
        lines += *p == '\n';
    ck_assert_int_eq(lines, 2);
    ASSERT_HAS(kit_buf_str(&rep), "Authorization");
    ASSERT_LACKS(kit_buf_str(&rep), "99999999-9999");
    ASSERT_LACKS(kit_buf_str(&rep), "unused");
    kit_buf_free(&rep);
    resp_free(&r);
    fx_server_stop(s);
}
END_TEST

START_TEST(test_identical_requests_in_order)
{
    struct fx_server *s = start_sq("order", "{'version':1,'interactions':["
        "{'request':{'method':'GET','path':'/x'},'response':{'status':429,"
        "  'body':{'policyName':'TEN_SECONDLY_ROLLING'}}},"
        "{'request':{'method':'GET','path':'/x'},'response':{'status':200,'body':{'n':2}}}]}",
        NULL);
    struct resp r = {0};
    call1(fx_server_url(s), "GET", "/x", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 429);
    call1(fx_server_url(s), "GET", "/x", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(kit_buf_str(&r.body), "{\"n\":2}");
    verify_clean(s);
    call1(fx_server_url(s), "GET", "/x", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 599);
    ASSERT_HAS(kit_buf_str(&r.body), "already played");
    ck_assert_int_eq(fx_server_verify(s, NULL), -1);
    resp_free(&r);
    fx_server_stop(s);
}
END_TEST

START_TEST(test_unmatched_diagnostic)
{
    struct fx_server *s = start_sq("diag-cassette", "{'version':1,'interactions':["
        "{'request':{'method':'GET','path':'/crm/v3/lists/7','query':{'archived':'false'}},"
        " 'response':{'status':200}},"
        "{'request':{'method':'POST','path':'/crm/v3/lists/7/memberships/add','body':[1,2]},"
        " 'response':{'status':200}}]}", NULL);
    struct resp r = {0};
    call1(fx_server_url(s), "GET", "/crm/v3/lists/8?archived=true", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 599);
    const char *b = kit_buf_str(&r.body);
    ASSERT_HAS(b, "GET /crm/v3/lists/8?archived=true");
    ASSERT_HAS(b, "\"diag-cassette\"");
    ASSERT_HAS(b, "interaction #0");
    ASSERT_HAS(b, "path differs");
    ASSERT_HAS(b, "query (decoded, sorted) differs: expected \"archived=false\", got "
                  "\"archived=true\"");
    ASSERT_LACKS(b, "method differs");
    ASSERT_LACKS(b, "body differs");
    ASSERT_HAS(header(&r, "Content-Type"), "text/plain");

    call1(fx_server_url(s), "POST", "/crm/v3/lists/7/memberships/add", "[1,3]", NULL, &r);
    ck_assert_int_eq(r.status, 599);
    b = kit_buf_str(&r.body);
    ASSERT_HAS(b, "interaction #1");
    ASSERT_HAS(b, "body (canonical JSON) differs: expected \"[1,2]\", got \"[1,3]\"");
    ASSERT_LACKS(b, "path differs");

    /* A token in the received body is masked in the diagnostic. */
    call1(fx_server_url(s), "POST", "/crm/v3/lists/7/memberships/add",
          "{\"tokenKey\":\"" SECRET "\"}", NULL, &r);
    ck_assert_int_eq(r.status, 599);
    ASSERT_LACKS(kit_buf_str(&r.body), "5ec2e700");
    ASSERT_HAS(kit_buf_str(&r.body), "pat-[REDACTED]");

    struct kit_buf rep = KIT_BUF_INIT;
    ck_assert_int_eq(fx_server_verify(s, &rep), -1);
    ASSERT_HAS(kit_buf_str(&rep), "unused interaction: cassette \"diag-cassette\" interaction #0");
    ASSERT_HAS(kit_buf_str(&rep), "interaction #1: POST /crm/v3/lists/7/memberships/add");
    ASSERT_HAS(kit_buf_str(&rep), "no recorded interaction matches GET /crm/v3/lists/8");
    ASSERT_LACKS(kit_buf_str(&rep), "5ec2e700");
    kit_buf_free(&rep);
    resp_free(&r);
    fx_server_stop(s);
}
END_TEST

/* Bodies over 1 kB make libcurl send "Expect: 100-continue"; a long
 * mismatch is shown as a window around the first difference. */
START_TEST(test_large_body)
{
    struct kit_buf rec = KIT_BUF_INIT, sent = KIT_BUF_INIT;
    kit_buf_puts(&rec, "{'version':1,'interactions':[{'request':{'method':'POST','path':'/big',"
                      "'body':{'inputs':[");
    kit_buf_puts(&sent, "{\"inputs\": [");
    for(int i = 0; i < 200; i++) {
        kit_buf_printf(&rec, "%s{'email':'user%03d@example.com'}", i ? "," : "", i);
        kit_buf_printf(&sent, "%s{\"email\": \"user%03d@example.com\"}", i ? ", " : "",
                      i == 150 ? 999 : i);
    }
    kit_buf_puts(&rec, "]}},'response':{'status':200,'body':{'ok':true}}}]}");
    kit_buf_puts(&sent, "]}");
    ck_assert_int_gt(sent.len, 4096);
    struct fx_server *s = start_sq("big", kit_buf_str(&rec), NULL);
    struct resp r = {0};
    call1(fx_server_url(s), "POST", "/big", kit_buf_str(&sent), NULL, &r);
    ck_assert_int_eq(r.status, 599);
    const char *b = kit_buf_str(&r.body);
    ASSERT_HAS(b, "body (canonical JSON) differs: expected (");
    ASSERT_HAS(b, "first difference at byte");
    ASSERT_HAS(b, "user150@");
    ASSERT_HAS(b, "user999@");
    ASSERT_LACKS(b, "user010@");
    /* The right body still matches, after the failed attempt. */
    char *fixed = strdup(kit_buf_str(&sent));
    char *p = strstr(fixed, "user999@");
    memcpy(p, "user150@", 8);
    call1(fx_server_url(s), "POST", "/big", fixed, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    free(fixed);
    kit_buf_free(&rec);
    kit_buf_free(&sent);
    resp_free(&r);
    fx_server_stop(s);
}
END_TEST

START_TEST(test_unused_reported)
{
    struct fx_server *s = start_sq("unused", "{'version':1,'interactions':["
        "{'request':{'method':'GET','path':'/a'},'response':{'status':200}},"
        "{'request':{'method':'GET','path':'/b','query':{'limit':'10'}},'response':{'status':200}},"
        "{'request':{'method':'GET','path':'/c'},'response':{'status':200}}]}", NULL);
    struct resp r = {0};
    call1(fx_server_url(s), "GET", "/c", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    call1(fx_server_url(s), "GET", "/a", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    struct kit_buf rep = KIT_BUF_INIT;
    ck_assert_int_eq(fx_server_verify(s, &rep), -1);
    ck_assert_str_eq(kit_buf_str(&rep),
                     "fixtures: unused interaction: cassette \"unused\" interaction #1: "
                     "GET /b?limit=10 was never requested; the code under test made fewer calls "
                     "than recorded (remove the interaction or find the missing call)\n");
    kit_buf_free(&rep);
    resp_free(&r);
    fx_server_stop(s);
}
END_TEST

/* ---- faults ---- */

START_TEST(test_fault_reset)
{
    struct fx_server *s = start_sq("reset", "{'version':1,'interactions':["
        "{'request':{'method':'GET','path':'/r'},'response':{'status':200},'fault':'reset'},"
        "{'request':{'method':'GET','path':'/ok'},'response':{'status':200,'body':{}}},"
        "{'request':{'method':'GET','path':'/r'},'response':{'status':200},'fault':'reset'},"
        "{'request':{'method':'GET','path':'/r'},'response':{'status':200,'body':{'after':1}}}]}",
        NULL);
    struct resp r = {0};
    /* On a fresh connection. */
    call1(fx_server_url(s), "GET", "/r", NULL, NULL, &r);
    ck_assert_msg(r.cc == CURLE_RECV_ERROR, "got %d (%s)", r.cc, curl_easy_strerror(r.cc));
    ck_assert_uint_eq(r.body.len, 0);
    /* On a reused connection: still an error, not silently retried by
     * libcurl (which would have consumed the next /r interaction). */
    CURL *h = curl_easy_init();
    call(h, fx_server_url(s), "GET", "/ok", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    call(h, fx_server_url(s), "GET", "/r", NULL, NULL, &r);
    ck_assert_msg(r.cc == CURLE_RECV_ERROR, "got %d (%s)", r.cc, curl_easy_strerror(r.cc));
    ck_assert_int_eq(r.connects, 0);
    ck_assert_uint_eq(fx_server_requests(s), 3);
    call(h, fx_server_url(s), "GET", "/r", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(kit_buf_str(&r.body), "{\"after\":1}");
    curl_easy_cleanup(h);
    verify_clean(s);
    resp_free(&r);
    fx_server_stop(s);
}
END_TEST

START_TEST(test_fault_truncated_empty_delay)
{
    struct fx_server *s = start_sq("faults", "{'version':1,'interactions':["
        "{'request':{'method':'GET','path':'/t'},'response':{'status':200,"
        "  'body':{'results':['aaaaaaaaaa','bbbbbbbbbb','cccccccccc']}},'fault':'truncated'},"
        "{'request':{'method':'GET','path':'/e'},'response':{'status':200,"
        "  'headers':{'Content-Type':'application/json'},'body':{'x':1}},'fault':'empty'},"
        "{'request':{'method':'GET','path':'/d'},'response':{'status':200,'body':{'d':1}},"
        "  'fault':{'delay_ms':60}}]}", NULL);
    const size_t full = strlen("{\"results\":[\"aaaaaaaaaa\",\"bbbbbbbbbb\",\"cccccccccc\"]}");
    struct resp r = {0};
    call1(fx_server_url(s), "GET", "/t", NULL, NULL, &r);
    ck_assert_msg(r.cc == CURLE_PARTIAL_FILE, "got %d (%s)", r.cc, curl_easy_strerror(r.cc));
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.body.len, full / 2);
    ck_assert_int_eq(memcmp(r.body.data, "{\"results\":[", 12), 0);
    char cl[32];
    snprintf(cl, sizeof cl, "%zu", full);
    ck_assert_str_eq(header(&r, "Content-Length"), cl);

    call1(fx_server_url(s), "GET", "/e", NULL, NULL, &r);
    ck_assert_int_eq(r.cc, CURLE_OK);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.body.len, 0);
    ck_assert_str_eq(header(&r, "Content-Type"), "application/json");

    int64_t t0 = kit_monotonic_ms();
    call1(fx_server_url(s), "GET", "/d", NULL, NULL, &r);
    int64_t took = kit_monotonic_ms() - t0;
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(kit_buf_str(&r.body), "{\"d\":1}");
    ck_assert_int_ge(took, 55);
    ck_assert_int_lt(took, 2000);
    verify_clean(s);
    resp_free(&r);
    fx_server_stop(s);
}
END_TEST

START_TEST(test_keepalive_and_latency)
{
    struct fx_options o = {0};
    o.latency_ms = 30;
    struct fx_server *s = start_sq("ka", "{'version':1,'interactions':["
        "{'request':{'method':'GET','path':'/1'},'response':{'status':200,'body':{}}},"
        "{'request':{'method':'POST','path':'/2','body':{'a':1}},'response':{'status':200}},"
        "{'request':{'method':'GET','path':'/3'},'response':{'status':200,'body':{}}}]}", &o);
    struct resp r = {0};
    CURL *h = curl_easy_init();
    int64_t t0 = kit_monotonic_ms();
    call(h, fx_server_url(s), "GET", "/1", NULL, NULL, &r);
    ck_assert_int_ge(kit_monotonic_ms() - t0, 25);
    ck_assert_int_eq(r.connects, 1);
    call(h, fx_server_url(s), "POST", "/2", "{\"a\":1}", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(r.connects, 0);
    call(h, fx_server_url(s), "GET", "/3", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(r.connects, 0);
    curl_easy_cleanup(h);
    verify_clean(s);
    resp_free(&r);
    fx_server_stop(s);
}
END_TEST

/* ---- limit emulation ---- */

static int64_t vclock(void *ctx) { return *(int64_t *)ctx; }

START_TEST(test_limit_emulation)
{
    int64_t now = 1000000;
    struct fx_options o = {0};
    o.limit_max = 3;
    o.limit_window_ms = 10000;
    o.now_ms = vclock;
    o.clock_ctx = &now;
    struct fx_server *s = start_sq("limits", "{'version':1,'interactions':["
        "{'request':{'method':'GET','path':'/x'},'response':{'status':200,"
        "  'headers':{'X-HubSpot-RateLimit-Remaining':'77'},'body':{'i':0}}},"
        "{'request':{'method':'GET','path':'/x'},'response':{'status':200,'body':{'i':1}}},"
        "{'request':{'method':'GET','path':'/x'},'response':{'status':200,'body':{'i':2}}},"
        "{'request':{'method':'GET','path':'/x'},'response':{'status':200,'body':{'i':3}}}]}",
        &o);
    struct resp r = {0};
    CURL *h = curl_easy_init();
    const char *remaining[] = {"2", "1", "0"};
    for(int i = 0; i < 3; i++) {
        call(h, fx_server_url(s), "GET", "/x", NULL, NULL, &r);
        ck_assert_int_eq(r.status, 200);
        ck_assert_str_eq(header(&r, "X-HubSpot-RateLimit-Max"), "3");
        ck_assert_str_eq(header(&r, "X-HubSpot-RateLimit-Remaining"), remaining[i]);
        ck_assert_str_eq(header(&r, "X-HubSpot-RateLimit-Interval-Milliseconds"), "10000");
        now += 1000;
    }
    call(h, fx_server_url(s), "GET", "/x", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 429);
    const char *b = kit_buf_str(&r.body);
    ASSERT_HAS(b, "{\"status\":\"error\",\"message\":\"You have reached your ten_secondly_rolling "
                  "limit.\",\"errorType\":\"RATE_LIMIT\",\"correlationId\":\"");
    ASSERT_HAS(b, "\"policyName\":\"TEN_SECONDLY_ROLLING\",\"groupName\":\"");
    ck_assert_str_eq(header(&r, "X-HubSpot-RateLimit-Remaining"), "0");
    ck_assert_str_eq(header(&r, "X-HubSpot-RateLimit-Max"), "3");
    ASSERT_HAS(header(&r, "Content-Type"), "application/json");
    /* The first call (at 1000000) leaves the window at 1010000. */
    now = 1009999;
    call(h, fx_server_url(s), "GET", "/x", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 429);
    now = 1010000;
    call(h, fx_server_url(s), "GET", "/x", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(kit_buf_str(&r.body), "{\"i\":3}");
    ck_assert_str_eq(header(&r, "X-HubSpot-RateLimit-Remaining"), "0");
    curl_easy_cleanup(h);
    /* The limited calls consumed nothing and are not "unmatched". */
    verify_clean(s);
    ck_assert_uint_eq(fx_server_requests(s), 6);
    resp_free(&r);
    fx_server_stop(s);
}
END_TEST

START_TEST(test_limit_options_checked)
{
    struct fx_options o = {0};
    o.limit_max = 5;
    char why[256] = "";
    struct fx_server *s = (struct fx_server *)&o;
    ck_assert_int_eq(fx_server_start_text("x", NULL, &o, &s, why, sizeof why), -1);
    ck_assert_ptr_null(s);
    ASSERT_HAS(why, "limit_window_ms");
}
END_TEST

/* ---- dynamic handler ---- */

static int dyn(void *ctx, const struct fx_request *req, struct fx_response *resp)
{
    int *calls = ctx;
    (*calls)++;
    if(strcmp(req->path, "/gen"))
        return -1;
    resp->status = 201;
    kit_buf_puts(&resp->headers, "X-Dyn: yes\r\nContent-Type: application/json\r\n");
    kit_buf_printf(&resp->body, "{\"q\":\"%s\",\"len\":%zu}", req->query, req->body_len);
    return 0;
}

START_TEST(test_dynamic_handler)
{
    int calls = 0;
    struct fx_options o = {0};
    o.dynamic = dyn;
    o.dynamic_ctx = &calls;
    struct fx_server *s = start_sq("dyn", "{'version':1,'interactions':["
        "{'request':{'method':'GET','path':'/gen'},'response':{'status':200,'body':{'rec':1}}}]}",
        &o);
    struct resp r = {0};
    call1(fx_server_url(s), "GET", "/gen", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(calls, 0);
    call1(fx_server_url(s), "POST", "/gen?a=1", "{}", NULL, &r);
    ck_assert_int_eq(r.status, 201);
    ck_assert_str_eq(kit_buf_str(&r.body), "{\"q\":\"a=1\",\"len\":2}");
    ck_assert_str_eq(header(&r, "X-Dyn"), "yes");
    call1(fx_server_url(s), "GET", "/other", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 599);
    ck_assert_int_eq(calls, 2);
    ck_assert_int_eq(fx_server_verify(s, NULL), -1);
    resp_free(&r);
    fx_server_stop(s);
}
END_TEST

/* ---- loading ---- */

static void expect_load_error(const char *cassette, const char *want1, const char *want2)
{
    char *json = sq(cassette);
    char why[512] = "";
    struct fx_server *s = NULL;
    int rc = fx_server_start_text("bad.json", json, NULL, &s, why, sizeof why);
    free(json);
    ck_assert_int_eq(rc, -1);
    ck_assert_ptr_null(s);
    ASSERT_HAS(why, "bad.json");
    ASSERT_HAS(why, want1);
    if(want2)
        ASSERT_HAS(why, want2);
}

START_TEST(test_load_errors)
{
    expect_load_error("{\n  'version': 1,\n  'interactions': [\n    {'request': }\n", "not valid JSON",
                      "line 4");
    expect_load_error("{'version':1,'interactions':[]} x", "at byte", "column");
    expect_load_error("{'version':2,'interactions':[]}", "\"version\"", "1");
    expect_load_error("{'version':1}", "\"interactions\"", NULL);
    expect_load_error("{'version':1,'interactions':[{'request':{'path':'/a'},"
                      "'response':{'status':200}}]}", "interactions[0].request.method", NULL);
    expect_load_error("{'version':1,'interactions':[{'request':{'method':'GET','path':'/a'},"
                      "'response':{'status':200}},{'request':{'method':'GET','path':'a'},"
                      "'response':{'status':200}}]}", "interactions[1].request.path", "'/'");
    expect_load_error("{'version':1,'interactions':[{'request':{'method':'GET','path':'/a'}}]}",
                      "interactions[0].response", NULL);
    expect_load_error("{'version':1,'interactions':[{'request':{'method':'GET','path':'/a'},"
                      "'response':{'status':'200'}}]}", "interactions[0].response.status", NULL);
    expect_load_error("{'version':1,'interactions':[{'request':{'method':'GET','path':'/a'},"
                      "'response':{'status':200},'fault':'explode'}]}", "interactions[0].fault",
                      "\"reset\"");
    expect_load_error("{'version':1,'recorded_at':'yesterday','interactions':[]}",
                      "recorded_at", NULL);
    expect_load_error("{'version':1,'interactions':[{'request':{'method':'GET','path':'/a',"
                      "'query':{'x':{}}},'response':{'status':200}}]}",
                      "interactions[0].request.query.x", NULL);
}
END_TEST

static char *tmpdir(void)
{
    char tmpl[] = "/tmp/fxtest-XXXXXX";
    char *d = mkdtemp(tmpl);
    ck_assert_ptr_nonnull(d);
    return strdup(d);
}

static void write_sq(const char *dir, const char *name, const char *cassette)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *json = sq(cassette);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(json, f);
    fclose(f);
    free(json);
}

static void rm_tree(const char *dir, const char *const *names)
{
    char path[512];
    for(; *names; names++) {
        snprintf(path, sizeof path, "%s/%s", dir, *names);
        unlink(path);
    }
    rmdir(dir);
}

START_TEST(test_folder_of_cassettes)
{
    char *dir = tmpdir();
    write_sq(dir, "b.json", "{'version':1,'scenario':'b','interactions':["
             "{'request':{'method':'GET','path':'/b'},'response':{'status':200,'body':'B'}}]}");
    write_sq(dir, "a.json", "{'version':1,'scenario':'a','recorded_at':'2026-11-28T00:00:00Z',"
             "'interactions':[{'request':{'method':'GET','path':'/a'},"
             "'response':{'status':200,'body':'A'}}]}");
    write_sq(dir, "notes.txt", "not a cassette");
    char why[512] = "";
    struct fx_server *s = NULL;
    ck_assert_msg(fx_server_start(dir, NULL, &s, why, sizeof why) == 0, "%s", why);
    /* Name order: a.json first, so its recorded_at is the server's. */
    ck_assert_int_eq(fx_server_recorded_at(s), INT64_C(1795824000000));
    struct resp r = {0};
    call1(fx_server_url(s), "GET", "/b", NULL, NULL, &r);
    ck_assert_str_eq(kit_buf_str(&r.body), "B");
    call1(fx_server_url(s), "GET", "/zzz", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 599);
    ASSERT_HAS(kit_buf_str(&r.body), "a.json\", \"");
    ASSERT_HAS(kit_buf_str(&r.body), "b.json\"");
    struct kit_buf rep = KIT_BUF_INIT;
    ck_assert_int_eq(fx_server_verify(s, &rep), -1);
    ASSERT_HAS(kit_buf_str(&rep), "a.json\" interaction #0: GET /a");
    kit_buf_free(&rep);
    resp_free(&r);
    fx_server_stop(s);

    /* One bad file fails the folder, naming that file and line. */
    write_sq(dir, "c.json", "{'version':1,\n'interactions':[,]}");
    ck_assert_int_eq(fx_server_start(dir, NULL, &s, why, sizeof why), -1);
    ck_assert_ptr_null(s);
    ASSERT_HAS(why, "c.json: not valid JSON");
    ASSERT_HAS(why, "line 2");
    const char *names[] = {"a.json", "b.json", "c.json", "notes.txt", NULL};
    rm_tree(dir, names);

    /* Missing path, empty folder. */
    ck_assert_int_eq(fx_server_start(dir, NULL, &s, why, sizeof why), -1);
    ASSERT_HAS(why, dir);
    ASSERT_HAS(why, "no such cassette");
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    ck_assert_int_eq(fx_server_start(dir, NULL, &s, why, sizeof why), -1);
    ASSERT_HAS(why, "no *.json cassettes");
    rmdir(dir);
    free(dir);
}
END_TEST

START_TEST(test_query_in_path_and_empty_server)
{
    struct fx_server *s = start_sq("qp", "{'version':1,'interactions':["
        "{'request':{'method':'GET','path':'/e?limit=1000&offset=abc','query':{'x':'1'}},"
        " 'response':{'status':200}}]}", NULL);
    struct resp r = {0};
    call1(fx_server_url(s), "GET", "/e?x=1&offset=abc&limit=1000", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    verify_clean(s);
    fx_server_stop(s);
    /* A server with no cassette answers everything with the diagnostic. */
    char why[256];
    ck_assert_int_eq(fx_server_start(NULL, NULL, &s, why, sizeof why), 0);
    call1(fx_server_url(s), "GET", "/x", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 599);
    ASSERT_HAS(kit_buf_str(&r.body), "closest: none");
    resp_free(&r);
    fx_server_stop(s);
    fx_server_stop(NULL);
}
END_TEST

/* ---- recorder ---- */

static const char *const upstream_cassette =
    "{'version':1,'scenario':'hubspot','interactions':["
    "{'request':{'method':'POST','path':'/oauth/v2/private-apps/get/access-token-info',"
    "  'body':{'tokenKey':'" SECRET "'}},"
    " 'response':{'status':200,'headers':{'X-HubSpot-Correlation-Id':'c-1','X-Other':'drop',"
    "   'Content-Type':'application/json;charset=utf-8'},"
    "  'body':{'hubId':123,'scopes':['crm.lists.read'],'echo':'" SECRET "'}}},"
    "{'request':{'method':'GET','path':'/crm/v3/objects/contacts/a%40b.com',"
    "  'query':{'idProperty':'email','properties':['email','firstname']}},"
    " 'response':{'status':200,'headers':{'X-HubSpot-RateLimit-Max':'100',"
    "   'X-HubSpot-RateLimit-Remaining':'99','X-HubSpot-RateLimit-Interval-Milliseconds':'10000'},"
    "  'body':{'id':'51','properties':{'email':'a@b.com'}}}},"
    "{'request':{'method':'PUT','path':'/crm/v3/lists/7/memberships/add','body':['51']},"
    " 'response':{'status':200,'body':{'recordIdsAdded':['51']}}},"
    "{'request':{'method':'GET','path':'/crm/v3/lists/404'},"
    " 'response':{'status':404,'body':'Not Found'}}]}";

struct answers {
    long status[4];
    char *body[4];
};

/* The client side of the round trip: the same four calls, placeholder
 * token everywhere. */
static void client_run(const char *base, struct answers *a)
{
    CURL *h = curl_easy_init();
    struct resp r = {0};
    call(h, base, "POST", "/oauth/v2/private-apps/get/access-token-info",
         "{\"tokenKey\": \"" PH "\"}", NULL, &r);
    a->status[0] = r.status;
    a->body[0] = strdup(kit_buf_str(&r.body));
    call(h, base, "GET", "/crm/v3/objects/contacts/a%40b.com?idProperty=email"
         "&properties=firstname&properties=email", NULL, NULL, &r);
    a->status[1] = r.status;
    a->body[1] = strdup(kit_buf_str(&r.body));
    call(h, base, "PUT", "/crm/v3/lists/7/memberships/add", "[\"51\"]", NULL, &r);
    a->status[2] = r.status;
    a->body[2] = strdup(kit_buf_str(&r.body));
    call(h, base, "GET", "/crm/v3/lists/404", NULL, NULL, &r);
    a->status[3] = r.status;
    a->body[3] = strdup(kit_buf_str(&r.body));
    resp_free(&r);
    curl_easy_cleanup(h);
}

static void answers_free(struct answers *a)
{
    for(int i = 0; i < 4; i++)
        free(a->body[i]);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    struct kit_buf b = KIT_BUF_INIT;
    char chunk[4096];
    size_t n;
    while((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        kit_buf_append(&b, chunk, n);
    fclose(f);
    return kit_buf_take(&b);
}

/* Record the client's calls through a recorder whose upstream is a replay
 * server playing HubSpot (requiring the "real" token). */
static void record_once(const char *path, struct answers *a)
{
    struct fx_options up = {0};
    up.token = SECRET;
    struct fx_server *hub = start_sq("hubspot-stand-in", upstream_cassette, &up);
    struct fx_recorder *rec = NULL;
    char why[512] = "";
    ck_assert_msg(fx_recorder_start(fx_server_url(hub), SECRET, path, "round-trip",
                                    INT64_C(1795824000000), &rec, why, sizeof why) == 0,
                  "%s", why);
    ck_assert_int_gt(fx_recorder_port(rec), 0);
    client_run(fx_recorder_url(rec), a);
    ck_assert_uint_eq(fx_recorder_interactions(rec), 4);
    ck_assert_uint_eq(fx_recorder_failures(rec), 0);
    ck_assert_msg(fx_recorder_stop(rec, why, sizeof why) == 0, "%s", why);
    /* HubSpot saw the real token in the header and in tokenKey. */
    verify_clean(hub);
    fx_server_stop(hub);
}

START_TEST(test_record_then_replay)
{
    char *dir = tmpdir();
    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s/one.json", dir);
    snprintf(p2, sizeof p2, "%s/two.json", dir);
    struct answers rec = {0}, rec2 = {0}, rep = {0};
    record_once(p1, &rec);
    ck_assert_int_eq(rec.status[0], 200);
    ck_assert_int_eq(rec.status[1], 200);
    ck_assert_int_eq(rec.status[2], 200);
    ck_assert_int_eq(rec.status[3], 404);
    ck_assert_str_eq(rec.body[3], "Not Found");
    /* The client never sees the real token either. */
    ASSERT_LACKS(rec.body[0], SECRET);
    ASSERT_HAS(rec.body[0], PH);

    char *text = slurp(p1);
    ASSERT_LACKS(text, SECRET);
    ASSERT_LACKS(text, "5ec2e700");
    ASSERT_HAS(text, "\"tokenKey\": \"" PH "\"");
    ASSERT_HAS(text, "\"recorded_at\": \"2026-11-28T00:00:00Z\"");
    ASSERT_HAS(text, "\"scenario\": \"round-trip\"");
    ASSERT_HAS(text, "\"X-HubSpot-Correlation-Id\": \"c-1\"");
    ASSERT_HAS(text, "\"X-HubSpot-RateLimit-Remaining\": \"99\"");
    ASSERT_HAS(text, "\"path\": \"/crm/v3/objects/contacts/a%40b.com\"");
    ASSERT_HAS(text, "\"properties\": [\n");
    ASSERT_HAS(text, "\"body\": \"Not Found\"");
    ASSERT_LACKS(text, "X-Other");
    ASSERT_LACKS(text, "Authorization");

    /* Same traffic, same file. */
    record_once(p2, &rec2);
    char *text2 = slurp(p2);
    ck_assert_str_eq(text, text2);

    /* The recording replays cleanly on a fresh server, answers unchanged. */
    char why[512] = "";
    struct fx_server *s = NULL;
    ck_assert_msg(fx_server_start(p1, NULL, &s, why, sizeof why) == 0, "%s", why);
    ck_assert_int_eq(fx_server_recorded_at(s), INT64_C(1795824000000));
    client_run(fx_server_url(s), &rep);
    for(int i = 0; i < 4; i++) {
        ck_assert_int_eq(rep.status[i], rec.status[i]);
        ck_assert_str_eq(rep.body[i], rec.body[i]);
    }
    verify_clean(s);
    fx_server_stop(s);

    free(text);
    free(text2);
    answers_free(&rec);
    answers_free(&rec2);
    answers_free(&rep);
    const char *names[] = {"one.json", "two.json", NULL};
    rm_tree(dir, names);
    free(dir);
}
END_TEST

START_TEST(test_record_guard_and_errors)
{
    char *dir = tmpdir();
    char path[512], why[512] = "";
    snprintf(path, sizeof path, "%s/guard.json", dir);
    struct fx_recorder *rec = NULL;

    /* The last guard: a token that got past redaction (here through the
     * scenario name) stops the write. */
    ck_assert_int_eq(fx_recorder_start("http://127.0.0.1:1", SECRET, path, "oops " SECRET, 0,
                                       &rec, why, sizeof why), 0);
    ck_assert_int_eq(fx_recorder_stop(rec, why, sizeof why), -1);
    ASSERT_HAS(why, "refusing to write");
    ASSERT_LACKS(why, SECRET);
    ck_assert_int_ne(access(path, F_OK), 0);

    /* An upstream that is down: 502 for the client, nothing recorded. */
    ck_assert_int_eq(fx_recorder_start("http://127.0.0.1:1/", SECRET, path, "down", 0, &rec,
                                       why, sizeof why), 0);
    struct resp r = {0};
    call1(fx_recorder_url(rec), "GET", "/x", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 502);
    ASSERT_HAS(kit_buf_str(&r.body), "could not forward GET");
    ASSERT_LACKS(kit_buf_str(&r.body), SECRET);
    ck_assert_uint_eq(fx_recorder_failures(rec), 1);
    ck_assert_uint_eq(fx_recorder_interactions(rec), 0);
    fx_recorder_abort(rec);
    ck_assert_int_ne(access(path, F_OK), 0);
    resp_free(&r);

    /* Refusals at start. */
    rec = (struct fx_recorder *)&r;
    ck_assert_int_eq(fx_recorder_start("http://127.0.0.1:1", PH, path, "x", 0, &rec, why,
                                       sizeof why), -1);
    ck_assert_ptr_null(rec);
    ASSERT_HAS(why, "placeholder");
    ck_assert_int_eq(fx_recorder_start("ftp://x", SECRET, path, "x", 0, &rec, why, sizeof why),
                     -1);
    ASSERT_HAS(why, "https://");
    ck_assert_int_eq(fx_recorder_start("https://x", "", path, "x", 0, &rec, why, sizeof why), -1);
    ASSERT_HAS(why, "HUBSPOT_ACCESS_TOKEN");

    /* An unwritable destination: error, no file. */
    char bad[600];
    snprintf(bad, sizeof bad, "%s/missing/dir/c.json", dir);
    ck_assert_int_eq(fx_recorder_start("http://127.0.0.1:1", SECRET, bad, "x", 0, &rec, why,
                                       sizeof why), 0);
    ck_assert_int_eq(fx_recorder_stop(rec, why, sizeof why), -1);
    ASSERT_HAS(why, "cannot create");
    fx_recorder_abort(NULL);
    rmdir(dir);
    free(dir);
}
END_TEST

extern Suite *make_fixtures_suite(void);

Suite *make_fixtures_suite(void)
{
    Suite *s = suite_create("fixtures");
    TCase *m = tcase_create("matching");
    tcase_add_test(m, test_query_order_and_decoding);
    tcase_add_test(m, test_body_canonical_and_bytes);
    tcase_add_test(m, test_authorization);
    tcase_add_test(m, test_identical_requests_in_order);
    tcase_add_test(m, test_unmatched_diagnostic);
    tcase_add_test(m, test_unused_reported);
    tcase_add_test(m, test_large_body);
    tcase_add_test(m, test_query_in_path_and_empty_server);
    tcase_add_test(m, test_dynamic_handler);
    suite_add_tcase(s, m);
    TCase *f = tcase_create("faults");
    tcase_add_test(f, test_fault_reset);
    tcase_add_test(f, test_fault_truncated_empty_delay);
    tcase_add_test(f, test_keepalive_and_latency);
    suite_add_tcase(s, f);
    TCase *l = tcase_create("limits");
    tcase_add_test(l, test_limit_emulation);
    tcase_add_test(l, test_limit_options_checked);
    suite_add_tcase(s, l);
    TCase *c = tcase_create("cassettes");
    tcase_add_test(c, test_load_errors);
    tcase_add_test(c, test_folder_of_cassettes);
    suite_add_tcase(s, c);
    TCase *r = tcase_create("recorder");
    tcase_add_test(r, test_record_then_replay);
    tcase_add_test(r, test_record_guard_and_errors);
    suite_add_tcase(s, r);
    return s;
}
