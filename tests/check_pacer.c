/* check_pacer.c - the HTTP client's rules without a network: pacing,
 * retry waits, header capture, usage records, URL encoding. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "plugin/buf.h"
#include "hubspot/apierror.h"
#include "hubspot/headers.h"
#include "plugin/http.h"
#include "plugin/pacer.h"
#include "plugin/retry.h"
#include "plugin/usage.h"

/* Send `calls` calls as early as the pacer allows, starting at t0; return
 * the time of the last send and count the waits. */
static int64_t drive(struct kit_pacer *p, int64_t t0, int calls, int search, int *waits)
{
    int64_t now = t0;
    *waits = 0;
    for(int i = 0; i < calls; i++) {
        int64_t w = kit_pacer_wait(p, now, search);
        if(w > 0) {
            (*waits)++;
            now += w;
            ck_assert_int_eq(kit_pacer_wait(p, now, search), 0);
        }
        kit_pacer_sent(p, now, search);
    }
    return now;
}

START_TEST(pacer_config_window)
{
    struct kit_pacer p;
    kit_pacer_init(&p, 3, 10000);
    int waits;
    int64_t last = drive(&p, 1000, 7, 0, &waits);
    ck_assert_int_eq(waits, 2);
    /* Two full windows (plus the 1% guard each) before the 7th call. */
    ck_assert_int_ge(last - 1000, 20000);
    ck_assert_int_le(last - 1000, 20300);
}
END_TEST

START_TEST(pacer_headers_remaining_zero)
{
    struct kit_pacer p;
    kit_pacer_init(&p, 100, 10000);
    kit_pacer_sent(&p, 0, 0);
    ck_assert_int_eq(kit_pacer_wait(&p, 0, 0), 0);
    /* The server says the window is used up and lasts 2 s. */
    kit_pacer_learn(&p, 5, 50, 0, 2000, 0);
    int64_t w = kit_pacer_wait(&p, 5, 0);
    ck_assert_int_ge(w, 2000);
    ck_assert_int_le(w, 2100);
    ck_assert_int_eq(kit_pacer_window_ms(&p), 2000);
    /* Once the window has passed, the stale word no longer holds. */
    ck_assert_int_eq(kit_pacer_wait(&p, 5 + w, 0), 0);
    /* Remaining 2 with one call still unanswered: one more may go. */
    kit_pacer_learn(&p, 10000, -1, 2, -1, 1);
    ck_assert_int_eq(kit_pacer_wait(&p, 10000, 0), 0);
    kit_pacer_sent(&p, 10000, 0);
    ck_assert_int_gt(kit_pacer_wait(&p, 10000, 0), 0);
}
END_TEST

START_TEST(pacer_search_five_per_second)
{
    struct kit_pacer p;
    kit_pacer_init(&p, 100, 10000);
    int waits;
    int64_t last = drive(&p, 0, 11, 1, &waits);
    ck_assert_int_eq(waits, 2);
    ck_assert_int_ge(last, 2000);
    ck_assert_int_lt(last, 2100);
    /* Non-search calls are not held by the search rule. */
    ck_assert_int_eq(kit_pacer_wait(&p, last, 0), 0);
}
END_TEST

START_TEST(pacer_block_after_429)
{
    struct kit_pacer p;
    kit_pacer_init(&p, 100, 10000);
    kit_pacer_block(&p, 7000);
    ck_assert_int_eq(kit_pacer_wait(&p, 2000, 0), 5000);
    kit_pacer_block(&p, 3000); /* an earlier block never shortens it */
    ck_assert_int_eq(kit_pacer_wait(&p, 2000, 0), 5000);
    ck_assert_int_eq(kit_pacer_wait(&p, 7000, 1), 0);
}
END_TEST

START_TEST(retry_backoff_deterministic_and_bounded)
{
    for(int retry = 1; retry <= 8; retry++) {
        int64_t d = 1000;
        for(int i = 1; i < retry; i++)
            d = d * 2 > KIT_RETRY_CAP_MS ? KIT_RETRY_CAP_MS : d * 2;
        for(size_t idx = 0; idx < 50; idx++) {
            int64_t w = kit_retry_backoff_ms(idx, retry);
            ck_assert_int_eq(w, kit_retry_backoff_ms(idx, retry));
            ck_assert_int_ge(w, d / 2);
            ck_assert_int_le(w, d);
        }
    }
    /* Jitter actually spreads requests of one batch apart. */
    int differ = 0;
    for(size_t idx = 1; idx < 20; idx++)
        differ += kit_retry_backoff_ms(idx, 3) != kit_retry_backoff_ms(0, 3);
    ck_assert_int_gt(differ, 10);
}
END_TEST

START_TEST(retry_classes)
{
    ck_assert(hs_api_retryable(500));
    ck_assert(hs_api_retryable(502));
    ck_assert(hs_api_retryable(503));
    ck_assert(hs_api_retryable(423));
    ck_assert(hs_api_retryable(429));
    ck_assert(!hs_api_retryable(530));
    ck_assert(!hs_api_retryable(400));
    ck_assert(!hs_api_retryable(401));
    ck_assert(!hs_api_retryable(403));
    ck_assert(!hs_api_retryable(404));
    ck_assert_int_eq(hs_rate_policy_parse("DAILY"), HS_POLICY_DAILY);
    ck_assert_int_eq(hs_rate_policy_parse("SECONDLY"), HS_POLICY_SECONDLY);
    ck_assert_int_eq(hs_rate_policy_parse("TEN_SECONDLY_ROLLING"), HS_POLICY_TEN_SECONDLY);
    ck_assert_int_eq(hs_rate_policy_parse("daily"), HS_POLICY_UNKNOWN);
    ck_assert_int_eq(hs_rate_policy_parse(NULL), HS_POLICY_UNKNOWN);
}
END_TEST

static void feed(struct kit_http_meta *h, const char *line)
{
    hs_headers_line(h, line, strlen(line));
}

START_TEST(headers_case_insensitive)
{
    struct kit_http_meta h;
    kit_http_meta_reset(&h);
    feed(&h, "HTTP/1.1 200 OK\r\n");
    feed(&h, "x-hubspot-ratelimit-max: 190\r\n");
    feed(&h, "X-HUBSPOT-RATELIMIT-REMAINING:  7 \r\n");
    feed(&h, "X-HubSpot-RateLimit-Interval-Milliseconds: 10000\r\n");
    feed(&h, "x-hubspot-ratelimit-daily: 250000\r\n");
    feed(&h, "X-HubSpot-RateLimit-Daily-Remaining: 249000\r\n");
    feed(&h, "retry-after: 3\r\n");
    feed(&h, "X-HubSpot-Correlation-Id: 5a1c-77\r\n");
    ck_assert_int_eq(h.limit_max, 190);
    ck_assert_int_eq(h.limit_remaining, 7);
    ck_assert_int_eq(h.limit_interval_ms, 10000);
    ck_assert_int_eq(h.daily_limit, 250000);
    ck_assert_int_eq(h.daily_remaining, 249000);
    ck_assert_int_eq(h.retry_after_ms, 3000);
    ck_assert_str_eq(h.correlation_id, "5a1c-77");
    /* An HTTP-date Retry-After and garbage are "unknown", not a guess. */
    feed(&h, "Retry-After: Wed, 21 Oct 2026 07:28:00 GMT\r\n");
    ck_assert_int_eq(h.retry_after_ms, -1);
    feed(&h, "X-HubSpot-RateLimit-Remaining: -4\r\n");
    ck_assert_int_eq(h.limit_remaining, -1);
    /* A new status line (after a 100 Continue) forgets the old headers. */
    feed(&h, "HTTP/2 429\r\n");
    ck_assert_int_eq(h.limit_max, -1);
    ck_assert_str_eq(h.correlation_id, "");
}
END_TEST

START_TEST(usage_json_round_trip)
{
    struct kit_usage u, v;
    kit_usage_init(&u);
    kit_usage_reset(&u, "2026-11-28");
    u.budget = 500;
    ck_assert_int_eq(kit_usage_count(&u, "contacts.batch.upsert", KIT_USE_CALL), 0);
    kit_usage_count(&u, "contacts.batch.upsert", KIT_USE_CALL);
    kit_usage_count(&u, "contacts.batch.upsert", KIT_USE_RETRY);
    kit_usage_count(&u, "contacts.batch.upsert", KIT_USE_429);
    kit_usage_count(&u, "contacts.batch.upsert", KIT_USE_ERROR);
    kit_usage_count(&u, "lists.get", KIT_USE_CALL);
    kit_usage_count(&u, NULL, KIT_USE_CALL);
    u.limits[KIT_LIM_MAX] = 100;
    u.limits[KIT_LIM_REMAINING] = 97;
    struct kit_buf j = KIT_BUF_INIT;
    ck_assert_int_eq(kit_usage_to_json(&u, &j), 0);
    ck_assert_str_eq(kit_buf_str(&j),
                     "{\"day\":\"2026-11-28\",\"calls\":4,\"by_endpoint\":{"
                     "\"contacts.batch.upsert\":{\"calls\":2,\"errors\":1,\"429\":1,\"retries\":1},"
                     "\"lists.get\":{\"calls\":1,\"errors\":0,\"429\":0,\"retries\":0},"
                     "\"other\":{\"calls\":1,\"errors\":0,\"429\":0,\"retries\":0}},"
                     "\"429s\":1,\"retries\":1,\"limits\":{\"max\":100,\"remaining\":97},"
                     "\"budget\":500}");
    kit_usage_init(&v);
    char why[128];
    ck_assert_int_eq(kit_usage_from_json(&v, j.data, j.len, why, sizeof why), 0);
    ck_assert_str_eq(v.day, "2026-11-28");
    ck_assert_uint_eq(v.calls, 4);
    ck_assert_uint_eq(v.n429, 1);
    ck_assert_uint_eq(v.nep, 3);
    ck_assert_int_eq(v.limits[KIT_LIM_REMAINING], 97);
    ck_assert_int_eq(v.limits[KIT_LIM_DAILY], -1);
    /* Merging sums counts per endpoint. */
    ck_assert_int_eq(kit_usage_add(&v, &u), 0);
    ck_assert_uint_eq(v.calls, 8);
    ck_assert_uint_eq(v.ep[0].calls, 4);
    kit_usage_free(&v);

    kit_usage_init(&v);
    static const char bad[] = "{\"day\":\"2026-11-28\",\"calls\":-3}";
    ck_assert_int_eq(kit_usage_from_json(&v, bad, sizeof bad - 1, why, sizeof why), -1);
    ck_assert_ptr_nonnull(strstr(why, "counter"));
    ck_assert_int_eq(kit_usage_from_json(&v, "[1,", 3, why, sizeof why), -1);
    ck_assert_ptr_nonnull(strstr(why, "not JSON"));
    kit_usage_free(&v);
    kit_usage_free(&u);
    kit_buf_free(&j);
}
END_TEST

START_TEST(usage_day_is_utc)
{
    char d[11];
    kit_usage_day(1795824000000LL, d); /* 2026-11-28T00:00:00Z */
    ck_assert_str_eq(d, "2026-11-28");
    kit_usage_day(1795824000000LL - 1, d);
    ck_assert_str_eq(d, "2026-11-27");
}
END_TEST

START_TEST(usage_endpoint_cap)
{
    struct kit_usage u;
    kit_usage_init(&u);
    char name[32];
    for(int i = 0; i < KIT_USAGE_MAX_ENDPOINTS + 10; i++) {
        snprintf(name, sizeof name, "ep%d", i);
        ck_assert_int_eq(kit_usage_count(&u, name, KIT_USE_CALL), 0);
    }
    ck_assert_uint_le(u.nep, KIT_USAGE_MAX_ENDPOINTS + 1);
    ck_assert_uint_eq(u.calls, KIT_USAGE_MAX_ENDPOINTS + 10);
    kit_usage_free(&u);
}
END_TEST

START_TEST(url_encode)
{
    struct kit_buf b = KIT_BUF_INIT;
    ck_assert_int_eq(kit_url_encode(&b, "a+b@x.com/ é~_-."), 0);
    ck_assert_str_eq(kit_buf_str(&b), "a%2Bb%40x.com%2F%20%C3%A9~_-.");
    kit_buf_free(&b);
}
END_TEST

START_TEST(pacer_server_window_from_oldest_send)
{
    struct kit_pacer p;
    kit_pacer_init(&p, 100, 10000);
    /* A burst of 4 sends spread over 1 s; the last answer says Max 4,
     * Remaining 0. The server's window frees when the first of them ages
     * out (t=0 + 10 s), not 10 s after the answer (t=1 s + 10 s). */
    for(int i = 0; i < 4; i++)
        kit_pacer_sent(&p, i * 333, 0);
    kit_pacer_learn(&p, 1000, 4, 0, 10000, 0);
    int64_t w = kit_pacer_wait(&p, 1000, 0);
    ck_assert_int_ge(1000 + w, 10000);
    ck_assert_int_le(1000 + w, 10000 + 10000 / 100 + 1);
    /* Server counted more calls than we sent in its window (another client
     * shares the app's limit): only answer time + window is safe. */
    struct kit_pacer q;
    kit_pacer_init(&q, 100, 10000);
    kit_pacer_sent(&q, 900, 0);
    kit_pacer_learn(&q, 1000, 4, 0, 10000, 0);
    w = kit_pacer_wait(&q, 1000, 0);
    ck_assert_int_ge(1000 + w, 11000);
}
END_TEST

START_TEST(pacer_names_the_cause_of_a_wait)
{
    /* Callers cap what a server asked for and wait out what the user
     * configured, so the pacer must tell the two apart. */
    enum kit_pace_cause why;
    struct kit_pacer p;
    kit_pacer_init(&p, 1, 10000);
    ck_assert_int_eq(kit_pacer_wait_why(&p, 0, 0, &why), 0);
    ck_assert_int_eq(why, KIT_PACE_NONE);
    kit_pacer_sent(&p, 0, 0);
    ck_assert_int_gt(kit_pacer_wait_why(&p, 1, 0, &why), 0);
    ck_assert_int_eq(why, KIT_PACE_OWN);
    /* Headers announce a day-long window with nothing left in it. */
    kit_pacer_learn(&p, 10, 100, 0, 86400000, 0);
    ck_assert_int_gt(kit_pacer_wait_why(&p, 10, 0, &why), 86400000);
    ck_assert_int_eq(why, KIT_PACE_HEADERS);
    /* A learned Max alone makes the ring rule the server's too. */
    struct kit_pacer q;
    kit_pacer_init(&q, 100, 10000);
    kit_pacer_learn(&q, 0, 1, -1, -1, 0);
    kit_pacer_sent(&q, 0, 0);
    ck_assert_int_gt(kit_pacer_wait_why(&q, 1, 0, &why), 0);
    ck_assert_int_eq(why, KIT_PACE_HEADERS);
    /* A 429's block, when it is the longest. */
    struct kit_pacer b;
    kit_pacer_init(&b, 100, 10000);
    kit_pacer_block(&b, 3600000);
    ck_assert_int_eq(kit_pacer_wait_why(&b, 0, 0, &why), 3600000);
    ck_assert_int_eq(why, KIT_PACE_BLOCK);
    /* Search's 5/s is our own rule. */
    struct kit_pacer s5;
    kit_pacer_init(&s5, 100, 10000);
    for(int i = 0; i < KIT_PACER_SEARCH_MAX; i++)
        kit_pacer_sent(&s5, 0, 1);
    ck_assert_int_gt(kit_pacer_wait_why(&s5, 0, 1, &why), 0);
    ck_assert_int_eq(why, KIT_PACE_SEARCH);
    ck_assert_int_eq(kit_pacer_wait(&s5, 0, 0), 0);
}
END_TEST

extern Suite *make_pacer_suite(void);

Suite *make_pacer_suite(void)
{
    Suite *s = suite_create("pacer");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, pacer_config_window);
    tcase_add_test(tc, pacer_headers_remaining_zero);
    tcase_add_test(tc, pacer_server_window_from_oldest_send);
    tcase_add_test(tc, pacer_search_five_per_second);
    tcase_add_test(tc, pacer_block_after_429);
    tcase_add_test(tc, pacer_names_the_cause_of_a_wait);
    tcase_add_test(tc, retry_backoff_deterministic_and_bounded);
    tcase_add_test(tc, retry_classes);
    tcase_add_test(tc, headers_case_insensitive);
    tcase_add_test(tc, usage_json_round_trip);
    tcase_add_test(tc, usage_day_is_utc);
    tcase_add_test(tc, usage_endpoint_cap);
    tcase_add_test(tc, url_encode);
    suite_add_tcase(s, tc);
    return s;
}
