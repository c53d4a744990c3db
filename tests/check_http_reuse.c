/* check_http_reuse.c - the HTTP client keeps its answers' memory between
 * calls: a run of many calls (a bulk push's hundreds of upserts and list
 * adds) reads each answer into a body and a token array an earlier call
 * left, instead of allocating and growing new ones per answer, and every
 * answer still reads as its own. The pages of a paged read, larger than
 * any ordinary answer kept, all land in the memory the first page
 * allocated, while a freak page's is let go after it. Real libcurl
 * against the replay server on loopback. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/http.h"
#include "plugin/json.h"
#include "tests/support/httpenv.h"

/* About 20 KiB of batch-answer-shaped JSON naming the path it answers,
 * its size varying a little from call to call as real answers do. */
static int batch_answer(void *ctx, const struct fx_request *req, struct fx_response *resp)
{
    (void)ctx;
    size_t n = 180 + strlen(req->path) % 7;
    resp->status = 200;
    kit_buf_puts(&resp->headers, "Content-Type: application/json\r\n");
    kit_buf_printf(&resp->body, "{\"path\":\"%s\",\"status\":\"COMPLETE\",\"results\":[", req->path);
    for(size_t i = 0; i < n; i++)
        kit_buf_printf(&resp->body, "%s{\"id\":\"%zu\",\"objectWriteTraceId\":\"push-%zu\",\"new\":true}",
                       i ? "," : "", 90000 + i, i);
    kit_buf_puts(&resp->body, "]}");
    return 0;
}

static void start_env(struct http_env *e)
{
    e->opt.dynamic = batch_answer;
    http_env_start(e, "http-reuse", NULL);
    e->cfg.max_concurrency = 4;
    http_env_client(e);
}

static void check_answer(struct kit_http_req *r, const char *path)
{
    ck_assert_msg(r->rc == OC_OK, "%s: %s", path, r->err.message);
    ck_assert_msg(kit_json_eq(&r->json, kit_json_get(&r->json, 0, "path"), path), "%s: not its own answer",
                  path);
    int results = kit_json_get(&r->json, 0, "results");
    ck_assert_int_ge(kit_json_size(&r->json, results), 180);
}

/* 40 waves of five calls, as a bulk push sends them: after the first
 * wave the answers live in memory the earlier ones left, so the 200
 * answers need a handful of allocations, not 200 bodies and 200 token
 * arrays. */
START_TEST(t_waves_reuse_answer_memory)
{
    struct http_env e = {0};
    start_env(&e);
    enum { WAVES = 40, PER = 5 };
    for(int w = 0; w < WAVES; w++) {
        struct kit_http_req r[PER];
        char paths[PER][32];
        for(int i = 0; i < PER; i++) {
            snprintf(paths[i], sizeof paths[i], "/reuse/%d/%d", w, i);
            kit_http_req_init(&r[i], "POST", paths[i], "{}", 2, "reuse");
        }
        struct oc_error err = {sizeof err};
        ck_assert_int_eq(kit_http_run(e.h, r, PER, &err), OC_OK);
        for(int i = 0; i < PER; i++) {
            check_answer(&r[i], paths[i]);
            kit_http_req_free(&r[i]);
        }
    }
    unsigned long bodies = 0, arrays = 0;
    kit_http_answer_allocs(e.h, &bodies, &arrays);
    ck_assert_msg(bodies <= 2 * PER, "%lu body allocations for %d answers", bodies, WAVES * PER);
    ck_assert_msg(arrays <= 2 * PER, "%lu token array allocations for %d answers", arrays, WAVES * PER);
    ck_assert_uint_ge(bodies, 1);
    http_env_stop(&e);
}
END_TEST

/* One call at a time, each request freed before the next: the same. */
START_TEST(t_calls_reuse_answer_memory)
{
    struct http_env e = {0};
    start_env(&e);
    for(int i = 0; i < 60; i++) {
        struct kit_http_req r;
        char path[32];
        snprintf(path, sizeof path, "/one/%d", i);
        kit_http_req_init(&r, "GET", path, NULL, 0, "reuse");
        struct oc_error err = {sizeof err};
        ck_assert_int_eq(kit_http_call(e.h, &r, &err), OC_OK);
        check_answer(&r, path);
        kit_http_req_free(&r);
    }
    unsigned long bodies = 0, arrays = 0;
    kit_http_answer_allocs(e.h, &bodies, &arrays);
    ck_assert_msg(bodies <= 2 && arrays <= 2, "%lu bodies and %lu token arrays allocated for 60 answers",
                  bodies, arrays);
    http_env_stop(&e);
}
END_TEST

/* A request whose memory was lent stays the caller's to read and free
 * after its client is gone (ASan and valgrind judge the free). */
START_TEST(t_request_outlives_client)
{
    struct http_env e = {0};
    start_env(&e);
    struct kit_http_req r[2];
    kit_http_req_init(&r[0], "GET", "/first", NULL, 0, "reuse");
    struct oc_error err = {sizeof err};
    ck_assert_int_eq(kit_http_call(e.h, &r[0], &err), OC_OK);
    kit_http_req_free(&r[0]);
    kit_http_req_init(&r[1], "GET", "/second", NULL, 0, "reuse");
    ck_assert_int_eq(kit_http_call(e.h, &r[1], &err), OC_OK);
    unsigned long bodies = 0, arrays = 0;
    kit_http_answer_allocs(e.h, &bodies, &arrays);
    ck_assert_msg(bodies == 1 && arrays == 1, "the second answer allocated anew (%lu bodies, %lu arrays)",
                  bodies, arrays);
    kit_http_free(e.h);
    e.h = NULL;
    check_answer(&r[1], "/second");
    kit_http_req_free(&r[1]);
    http_env_stop(&e);
}
END_TEST

/* Pages of about 600 KiB (past the bound of ordinary answers kept), a
 * freak page of a 5 MiB string (/page/long) and one of 300,000 numbers
 * (/page/many), each naming the path it answers. */
static int page_answer(void *ctx, const struct fx_request *req, struct fx_response *resp)
{
    (void)ctx;
    resp->status = 200;
    kit_buf_puts(&resp->headers, "Content-Type: application/json\r\n");
    kit_buf_printf(&resp->body, "{\"path\":\"%s\",\"results\":[", req->path);
    if(!strcmp(req->path, "/page/long")) {
        kit_buf_putc(&resp->body, '"');
        for(int i = 0; i < 5 << 10; i++)
            kit_buf_printf(&resp->body, "%01023d", i);
        kit_buf_putc(&resp->body, '"');
    }
    for(int i = 0; !strcmp(req->path, "/page/many") && i < 300000; i++)
        kit_buf_puts(&resp->body, i ? ",0" : "0");
    for(int i = 0; !strncmp(req->path, "/page/n", 7) && i < 8000; i++)
        kit_buf_printf(&resp->body, "%s{\"id\":\"%d\",\"v\":\"%040d\"}", i ? "," : "", i, i);
    kit_buf_puts(&resp->body, "]}");
    return 0;
}

#define PAGE_ROOM ((size_t)1 << 20)

/* One page read and let go, as a paged read does. */
static void read_page(struct http_env *e, const char *path)
{
    struct kit_http_req r;
    kit_http_req_init(&r, "GET", path, NULL, 0, "pages");
    r.page_room = PAGE_ROOM;
    struct oc_error err = {sizeof err};
    ck_assert_msg(kit_http_call(e->h, &r, &err) == OC_OK, "%s: %s", path, err.message);
    ck_assert_msg(kit_json_eq(&r.json, kit_json_get(&r.json, 0, "path"), path), "%s: not its own answer",
                  path);
    kit_http_req_free(&r);
}

static void start_pages(struct http_env *e)
{
    e->opt.dynamic = page_answer;
    http_env_start(e, "http-pages", NULL);
    http_env_client(e);
}

/* Twelve pages: one body (reserved its room at once) and one token array,
 * each allocated for the first page and read into by every other; they
 * were new per page. The end of the read lets both go. */
START_TEST(t_pages_reuse_one_body)
{
    struct http_env e = {0};
    start_pages(&e);
    char path[32];
    for(int i = 0; i < 12; i++) {
        snprintf(path, sizeof path, "/page/n%d", i);
        read_page(&e, path);
    }
    struct kit_http_page_memory m;
    kit_http_page_memory(e.h, &m);
    ck_assert_msg(m.body_allocs == 1 && m.token_allocs == 1,
                  "12 pages: %lu body and %lu token array allocations", m.body_allocs, m.token_allocs);
    ck_assert_uint_gt(m.body_cap, PAGE_ROOM);
    ck_assert_uint_gt(m.tokens_cap, 0);
    unsigned long bodies = 0, arrays = 0;
    kit_http_answer_allocs(e.h, &bodies, &arrays);
    ck_assert_uint_eq(bodies, 1);
    ck_assert_uint_eq(arrays, 1);
    kit_http_pages_end(e.h);
    kit_http_page_memory(e.h, &m);
    ck_assert_msg(!m.body_cap && !m.tokens_cap && !m.body_allocs && !m.token_allocs,
                  "after the read: %zu body bytes, %zu tokens held", m.body_cap, m.tokens_cap);
    http_env_stop(&e);
}
END_TEST

/* A freak page's body (5 MiB) or token array (300,000 tokens) is let go
 * after its page, not held for the rest of the read; what stayed within
 * bounds is still kept, and the next page starts a body afresh. */
START_TEST(t_freak_page_let_go)
{
    struct http_env e = {0};
    start_pages(&e);
    struct kit_http_page_memory m;
    read_page(&e, "/page/n0");
    kit_http_page_memory(e.h, &m);
    ck_assert(m.body_cap > PAGE_ROOM && m.tokens_cap > 0);
    size_t tokens_cap = m.tokens_cap;
    read_page(&e, "/page/long");
    kit_http_page_memory(e.h, &m);
    ck_assert_msg(m.body_cap == 0, "a %zu-byte page body held after its page", m.body_cap);
    ck_assert_uint_eq(m.tokens_cap, tokens_cap);
    read_page(&e, "/page/n1");
    read_page(&e, "/page/many");
    kit_http_page_memory(e.h, &m);
    ck_assert_msg(m.tokens_cap == 0, "a page's %zu-token array held after its page", m.tokens_cap);
    ck_assert_uint_gt(m.body_cap, PAGE_ROOM);
    ck_assert_uint_eq(m.body_allocs, 3); /* n0's, long's growth, n1's */
    kit_http_pages_end(e.h);
    http_env_stop(&e);
}
END_TEST

extern Suite *make_http_reuse_suite(void);

Suite *make_http_reuse_suite(void)
{
    Suite *s = suite_create("http_reuse");
    TCase *tc = tcase_create("answers");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, t_waves_reuse_answer_memory);
    tcase_add_test(tc, t_calls_reuse_answer_memory);
    tcase_add_test(tc, t_request_outlives_client);
    tcase_add_test(tc, t_pages_reuse_one_body);
    tcase_add_test(tc, t_freak_page_let_go);
    suite_add_tcase(s, tc);
    return s;
}
