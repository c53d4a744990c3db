/* check_http_reuse.c - the HTTP client keeps its answers' memory between
 * calls: a run of many calls (a bulk push's hundreds of upserts and list
 * adds) reads each answer into a body and a token array an earlier call
 * left, instead of allocating and growing new ones per answer, and every
 * answer still reads as its own. Real libcurl against the replay server
 * on loopback. */
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

extern Suite *make_http_reuse_suite(void);

Suite *make_http_reuse_suite(void)
{
    Suite *s = suite_create("http_reuse");
    TCase *tc = tcase_create("answers");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, t_waves_reuse_answer_memory);
    tcase_add_test(tc, t_calls_reuse_answer_memory);
    tcase_add_test(tc, t_request_outlives_client);
    suite_add_tcase(s, tc);
    return s;
}
