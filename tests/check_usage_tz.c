/* check_usage_tz.c - the "usage_tz" suite: the usage day is the account's
 * day (HubSpot resets its daily limit at midnight in the account's time
 * zone), learnt by authorize and kept under host state key "account". All
 * on the test host's virtual clock against the replay server. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures/replay.h"
#include "hubspot/transport.h"
#include "plugin/http.h"
#include "plugin/usage.h"
#include "tests/support/scenario_check.h"
#include "tests/support/testhost.h"

#define T0 1795824000000LL /* 2026-11-28T00:00:00Z */
#define HOUR 3600000LL
#define MIN 60000LL
#define EST (-5 * HOUR)
#define EASTERN "{\"time_zone\":\"US/Eastern\",\"utc_offset_ms\":-18000000,\"portal_id\":12345678,\"at\":1795824000000}"
#define UTC_BASIS "UTC (run authorize to learn the account's time zone)"

/* A cassette of n identical "GET /c" interactions (n <= 8). */
static void cassette(struct kit_buf *out, int n)
{
    kit_buf_puts(out, "{\"version\":1,\"scenario\":\"usage-tz\",\"recorded_at\":\"2026-11-28T00:00:00Z\","
                     "\"interactions\":[");
    for(int i = 0; i < n; i++)
        kit_buf_printf(out, "%s{\"request\":{\"method\":\"GET\",\"path\":\"/c\"},"
                           "\"response\":{\"status\":200,\"body\":{\"ok\":true}},\"fault\":null}",
                      i ? "," : "");
    kit_buf_puts(out, "]}");
    ck_assert(kit_buf_ok(out));
}

struct env {
    struct testhost th;
    struct fx_server *srv;
    struct kit_http *h;
};

/* Test host at start_ms holding `account` under "account" (NULL: none), a
 * replay server with `calls` GET /c interactions, and a client with the
 * given daily budget (0: none). */
static void env_start(struct env *e, int64_t start_ms, const char *account, int calls, int64_t budget)
{
    struct kit_buf cas = KIT_BUF_INIT;
    char why[512] = "";
    th_init(&e->th, start_ms);
    if(account)
        ck_assert_int_eq(e->th.host.state_put(&e->th, HS_ACCOUNT_KEY, account, strlen(account)), OC_OK);
    cassette(&cas, calls);
    int rc = fx_server_start_text("usage-tz", cas.data, NULL, &e->srv, why, sizeof why);
    kit_buf_free(&cas);
    ck_assert_msg(rc == 0, "replay server: %s", why);
    struct kit_http_config cfg = {0};
    hs_transport_configure(&cfg);
    cfg.base_url = fx_server_url(e->srv);
    cfg.token = FX_PLACEHOLDER_TOKEN;
    cfg.max_retries = 0;
    cfg.daily_budget = budget;
    struct oc_error err = {sizeof err};
    ck_assert_msg(kit_http_new(&cfg, &e->th.host, &e->h, &err) == OC_OK, "%s", err.message);
}

static void env_end(struct env *e)
{
    struct kit_buf rep = KIT_BUF_INIT;
    int v = fx_server_verify(e->srv, &rep);
    ck_assert_msg(v == 0, "cassette not played as recorded:\n%s", kit_buf_str(&rep));
    kit_buf_free(&rep);
    kit_http_free(e->h);
    fx_server_stop(e->srv);
    th_free(&e->th);
}

/* One GET /c as a whole operation (whose end stores the exact count, as
 * the plugin's entry points do); its rc, with the error message copied to
 * msg (may be NULL). */
static oc_status call(struct env *e, char *msg, size_t msgsize)
{
    struct kit_http_req r;
    struct oc_error err = {sizeof err};
    kit_http_req_init(&r, "GET", "/c", NULL, 0, "test.c");
    oc_status rc = kit_http_call(e->h, &r, &err);
    kit_http_settle(e->h);
    if(msg)
        snprintf(msg, msgsize, "%s", err.message);
    kit_http_req_free(&r);
    return rc;
}

/* The usage record, alone, as a JSON line (valid until the next call). */
static const char *usage_record(struct env *e)
{
    struct oc_error err = {sizeof err};
    th_forget_records(&e->th);
    ck_assert_msg(kit_http_usage_emit(e->h, &err) == OC_OK, "%s", err.message);
    ck_assert_uint_eq(e->th.nrecords, 1);
    return kit_buf_str(&e->th.records);
}

/* ---- the arithmetic ---- */

START_TEST(day_in_zone)
{
    char d[11], iso[21];
    /* 03:00Z on the 28th is 22:00 on the 27th in US/Eastern (winter). */
    kit_usage_day_at(T0 + 3 * HOUR, EST, d);
    ck_assert_str_eq(d, "2026-11-27");
    kit_usage_day_at(T0 + 5 * HOUR - 1, EST, d);
    ck_assert_str_eq(d, "2026-11-27");
    kit_usage_day_at(T0 + 5 * HOUR, EST, d);
    ck_assert_str_eq(d, "2026-11-28");
    /* East of UTC the local day starts before UTC's. */
    kit_usage_day_at(T0 - 6 * HOUR, 5 * HOUR + 30 * MIN, d);
    ck_assert_str_eq(d, "2026-11-27");
    kit_usage_day_at(T0 - 5 * HOUR - 30 * MIN, 5 * HOUR + 30 * MIN, d);
    ck_assert_str_eq(d, "2026-11-28");

    ck_assert_int_eq(kit_usage_next_reset(T0 + 3 * HOUR, EST), T0 + 5 * HOUR);
    ck_assert_int_eq(kit_usage_next_reset(T0 + 5 * HOUR, EST), T0 + 29 * HOUR);
    ck_assert_int_eq(kit_usage_next_reset(T0 + 3 * HOUR, 0), T0 + 24 * HOUR);
    ck_assert_int_eq(kit_usage_next_reset(T0 - 1, 0), T0);
    ck_assert_int_eq(kit_usage_next_reset(T0, 9 * HOUR), T0 + 15 * HOUR);
    /* Before 1970 the division must round down, not towards zero. */
    ck_assert_int_eq(kit_usage_next_reset(-1, 0), 0);
    ck_assert_int_eq(kit_usage_next_reset(-KIT_USAGE_DAY_MS - 1, 0), -KIT_USAGE_DAY_MS);

    kit_usage_iso(T0 + 5 * HOUR, iso);
    ck_assert_str_eq(iso, "2026-11-28T05:00:00Z");
    kit_usage_iso(T0 - 1, iso);
    ck_assert_str_eq(iso, "2026-11-27T23:59:59Z");
}
END_TEST

START_TEST(basis_words)
{
    struct kit_usage_zone z;
    char b[KIT_USAGE_BASIS_SIZE];
    kit_usage_zone_utc(&z);
    kit_usage_zone_basis(&z, b, sizeof b);
    ck_assert_str_eq(b, UTC_BASIS);
    z.known = 1;
    snprintf(z.name, sizeof z.name, "US/Eastern");
    z.offset_ms = EST;
    z.at_ms = T0 + 3 * HOUR; /* still the 27th there */
    kit_usage_zone_basis(&z, b, sizeof b);
    ck_assert_str_eq(b, "US/Eastern (UTC-05:00, as of 2026-11-27)");
    snprintf(z.name, sizeof z.name, "Asia/Kolkata");
    z.offset_ms = 5 * HOUR + 30 * MIN;
    kit_usage_zone_basis(&z, b, sizeof b);
    ck_assert_str_eq(b, "Asia/Kolkata (UTC+05:30, as of 2026-11-28)");
    z.name[0] = 0;
    z.at_ms = -1;
    z.offset_ms = 0;
    kit_usage_zone_basis(&z, b, sizeof b);
    ck_assert_str_eq(b, "the account's time zone (UTC+00:00)");
}
END_TEST

START_TEST(account_json)
{
    struct kit_usage_zone z, back;
    struct kit_buf j = KIT_BUF_INIT;
    char why[160] = "";
    ck_assert_int_eq(kit_usage_zone_from_json(&z, EASTERN, strlen(EASTERN), why, sizeof why), 0);
    ck_assert(z.known);
    ck_assert_str_eq(z.name, "US/Eastern");
    ck_assert_int_eq(z.offset_ms, EST);
    ck_assert_int_eq(z.portal_id, 12345678);
    ck_assert_int_eq(z.at_ms, T0);
    ck_assert_int_eq(kit_usage_zone_to_json(&z, &j), 0);
    ck_assert_str_eq(kit_buf_str(&j), EASTERN);
    ck_assert_int_eq(kit_usage_zone_from_json(&back, j.data, j.len, why, sizeof why), 0);
    ck_assert_int_eq(back.offset_ms, z.offset_ms);
    kit_buf_free(&j);

    static const struct {
        const char *text, *why;
    } bad[] = {
        {"{\"time_zone\":\"US/Eastern\"", "not JSON"},
        {"[1]", "not a JSON object"},
        {"{\"time_zone\":\"US/Eastern\"}", "utc_offset_ms"},
        {"{\"utc_offset_ms\":\"-5h\"}", "utc_offset_ms"},
        {"{\"utc_offset_ms\":86400000}", "utc_offset_ms"},
        {"{\"utc_offset_ms\":0,\"time_zone\":7}", "time_zone"},
        {"{\"utc_offset_ms\":0,\"at\":-3}", "\"at\""},
    };
    for(size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        z.known = 1;
        ck_assert_int_eq(kit_usage_zone_from_json(&z, bad[i].text, strlen(bad[i].text), why, sizeof why), -1);
        ck_assert_msg(strstr(why, bad[i].why), "%s: %s", bad[i].text, why);
        ck_assert(!z.known);
        ck_assert_int_eq(z.offset_ms, 0);
    }
}
END_TEST

/* Which saved records count towards today when the basis changed. */
START_TEST(saved_record_belongs)
{
    struct kit_usage s;
    kit_usage_init(&s);
    kit_usage_reset(&s, "2026-11-28");
    /* Same basis: the same date, nothing else. */
    ck_assert(kit_usage_belongs(&s, "2026-11-28", 0));
    ck_assert(!kit_usage_belongs(&s, "2026-11-27", 0));
    /* A UTC record of the 28th, saved at 03:00Z: every call of it was made
     * on the 27th in US/Eastern. */
    s.saved_at_ms = T0 + 3 * HOUR;
    ck_assert(kit_usage_belongs(&s, "2026-11-27", EST));
    /* For the 28th there it is a finished day to keep (kit_usage_add
     * puts it in the history as the 27th, not in the 28th's counts). */
    ck_assert(kit_usage_belongs(&s, "2026-11-28", EST));
    /* Saved time unknown (an older record): the 28th there may hold some
     * of its calls, and counting them is the cheap mistake. */
    s.saved_at_ms = -1;
    ck_assert(kit_usage_belongs(&s, "2026-11-28", EST));
    /* The 29th there: a finished day to keep. */
    ck_assert(kit_usage_belongs(&s, "2026-11-29", EST));
    /* Daylight saving ends: yesterday at -4h does not leak into today at
     * -5h, but today's record moves with the new offset. */
    kit_usage_reset(&s, "2026-11-01");
    s.offset_ms = -4 * HOUR;
    s.saved_at_ms = 1793592000000LL; /* 2026-11-01T20:00:00Z */
    ck_assert(kit_usage_belongs(&s, "2026-11-01", EST));
    /* ... and on the 2nd it is a day to keep. */
    ck_assert(kit_usage_belongs(&s, "2026-11-02", EST));
    /* A later day is never added. */
    ck_assert(!kit_usage_belongs(&s, "2026-10-30", EST));
    /* Not a date: never. */
    kit_usage_reset(&s, "2026-02-31");
    ck_assert(!kit_usage_belongs(&s, "2026-03-03", EST));
    kit_usage_free(&s);
}
END_TEST

START_TEST(usage_json_keeps_basis)
{
    struct kit_usage u, v;
    struct kit_usage_zone z;
    struct kit_buf j = KIT_BUF_INIT, k = KIT_BUF_INIT;
    char why[128];
    kit_usage_init(&u);
    ck_assert_int_eq(kit_usage_zone_from_json(&z, EASTERN, strlen(EASTERN), why, sizeof why), 0);
    kit_usage_set_zone(&u, &z);
    kit_usage_reset(&u, "2026-11-27");
    ck_assert_str_eq(u.basis, "US/Eastern (UTC-05:00, as of 2026-11-27)");
    u.saved_at_ms = T0 + 3 * HOUR;
    kit_usage_count(&u, "a", KIT_USE_CALL);
    ck_assert_int_eq(kit_usage_to_json(&u, &j), 0);
    ASSERT_HAS(kit_buf_str(&j), "\"day_basis\":\"US/Eastern (UTC-05:00, as of 2026-11-27)\","
                               "\"utc_offset_ms\":-18000000,\"resets_at\":\"2026-11-28T05:00:00Z\","
                               "\"saved_at\":1795834800000}");
    kit_usage_init(&v);
    ck_assert_int_eq(kit_usage_from_json(&v, j.data, j.len, why, sizeof why), 0);
    ck_assert_int_eq(v.offset_ms, EST);
    ck_assert_int_eq(v.saved_at_ms, T0 + 3 * HOUR);
    ck_assert_str_eq(v.basis, u.basis);
    ck_assert_int_eq(kit_usage_to_json(&v, &k), 0);
    ck_assert_str_eq(kit_buf_str(&k), kit_buf_str(&j));
    kit_usage_free(&v);
    /* A nonsense offset makes the record unusable, not a shifted day. */
    static const char bad[] = "{\"day\":\"2026-11-27\",\"calls\":1,\"utc_offset_ms\":99999999999}";
    kit_usage_init(&v);
    ck_assert_int_eq(kit_usage_from_json(&v, bad, sizeof bad - 1, why, sizeof why), -1);
    ASSERT_HAS(why, "utc_offset_ms");
    kit_usage_free(&v);
    kit_usage_free(&u);
    kit_buf_free(&j);
    kit_buf_free(&k);
}
END_TEST

/* ---- the client ---- */

/* 2026-11-28T03:00Z is still the 27th in US/Eastern: calls up to 04:59Z
 * count on the 27th, from 05:00Z on the 28th, with the counters reset. */
START_TEST(day_follows_account_zone)
{
    struct env e;
    env_start(&e, T0 + 3 * HOUR, EASTERN, 4, 0);
    ASSERT_LACKS(kit_buf_str(&e.th.logs), "WARN");
    ck_assert_int_eq(call(&e, NULL, 0), OC_OK);
    ck_assert_int_eq(call(&e, NULL, 0), OC_OK);
    const char *r = usage_record(&e);
    ASSERT_HAS(r, "\"kind\":\"usage\",\"day\":\"2026-11-27\","
                  "\"day_basis\":\"US/Eastern (UTC-05:00, as of 2026-11-27)\",");
    ASSERT_HAS(r, "\"day_basis_note\":\"" HS_USAGE_SNAPSHOT_NOTE "\"");
    ASSERT_HAS(r, "\"resets_at\":\"2026-11-28T05:00:00Z\",\"calls\":2,");
    ASSERT_HAS(th_state(&e.th, KIT_USAGE_KEY), "{\"day\":\"2026-11-27\",\"calls\":2,");

    th_advance(&e.th, 1 * HOUR + 59 * MIN); /* 04:59Z */
    ck_assert_int_eq(call(&e, NULL, 0), OC_OK);
    const char *u = th_state(&e.th, KIT_USAGE_KEY);
    ASSERT_HAS(u, "{\"day\":\"2026-11-27\",\"calls\":3,");
    ASSERT_HAS(u, "\"utc_offset_ms\":-18000000,\"resets_at\":\"2026-11-28T05:00:00Z\"");

    th_advance(&e.th, 1 * MIN); /* 05:00Z: midnight in New York */
    ck_assert_int_eq(call(&e, NULL, 0), OC_OK);
    u = th_state(&e.th, KIT_USAGE_KEY);
    ASSERT_HAS(u, "{\"day\":\"2026-11-28\",\"calls\":1,");
    ASSERT_HAS(u, "\"resets_at\":\"2026-11-29T05:00:00Z\"");
    r = usage_record(&e);
    ASSERT_HAS(r, "\"day\":\"2026-11-28\",");
    ASSERT_HAS(r, "\"resets_at\":\"2026-11-29T05:00:00Z\",\"calls\":1,");
    ASSERT_HAS(r, "\"by_endpoint\":{\"test.c\":{\"calls\":1,");
    env_end(&e);
}
END_TEST

/* Without the key the day stays UTC and the record says why. */
START_TEST(no_account_key_is_utc)
{
    struct env e;
    env_start(&e, T0 + 3 * HOUR, NULL, 2, 0);
    ck_assert_int_eq(call(&e, NULL, 0), OC_OK);
    const char *r = usage_record(&e);
    ASSERT_HAS(r, "\"day\":\"2026-11-28\",\"day_basis\":\"" UTC_BASIS "\","
                  "\"resets_at\":\"2026-11-29T00:00:00Z\",\"calls\":1,");
    ASSERT_LACKS(r, "day_basis_note");
    ASSERT_HAS(th_state(&e.th, KIT_USAGE_KEY), "\"day_basis\":\"" UTC_BASIS "\"");
    ASSERT_LACKS(kit_buf_str(&e.th.logs), "WARN");
    /* UTC midnight is the reset then. */
    th_advance(&e.th, 21 * HOUR);
    ck_assert_int_eq(call(&e, NULL, 0), OC_OK);
    ASSERT_HAS(th_state(&e.th, KIT_USAGE_KEY), "{\"day\":\"2026-11-29\",\"calls\":1,");
    env_end(&e);
}
END_TEST

/* An unreadable key: UTC, a warning that says what to do, and counting
 * goes on. */
START_TEST(corrupt_account_key_warns)
{
    static const char *const bad[] = {"{\"time_zone\":\"US/Eas", "{\"time_zone\":\"US/Eastern\"}",
                                      "{\"utc_offset_ms\":172800000}"};
    for(size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct env e;
        env_start(&e, T0 + 3 * HOUR, bad[i], 1, 0);
        const char *logs = kit_buf_str(&e.th.logs);
        ASSERT_HAS(logs, "WARN usage: the saved account time zone (state key \"account\") is unusable");
        ASSERT_HAS(logs, "run authorize");
        ck_assert_int_eq(call(&e, NULL, 0), OC_OK);
        const char *r = usage_record(&e);
        ASSERT_HAS(r, "\"day\":\"2026-11-28\",\"day_basis\":\"" UTC_BASIS "\","
                      "\"resets_at\":\"2026-11-29T00:00:00Z\",\"calls\":1,");
        /* The broken key is left for authorize to replace. */
        ck_assert_str_eq(th_state(&e.th, HS_ACCOUNT_KEY), bad[i]);
        env_end(&e);
    }
}
END_TEST

/* The budget is the account's day's: at UTC midnight (19:00 in New York)
 * it is still spent; at New York's midnight it is whole again. */
START_TEST(budget_resets_at_local_midnight)
{
    struct env e;
    char msg[OC_ERROR_MESSAGE_SIZE];
    env_start(&e, T0 - 1 * HOUR, EASTERN, 3, 2); /* 18:00 on the 27th there */
    ck_assert_int_eq(call(&e, NULL, 0), OC_OK);
    ck_assert_int_eq(call(&e, NULL, 0), OC_OK);
    ck_assert_int_eq(call(&e, msg, sizeof msg), OC_E_BUDGET);
    ASSERT_HAS(msg, "daily call budget of 2");
    ASSERT_HAS(msg, "2 calls on 2026-11-27, US/Eastern (UTC-05:00");

    th_advance(&e.th, 1 * HOUR + 30 * MIN); /* 00:30Z: a new UTC day only */
    ck_assert_int_eq(call(&e, msg, sizeof msg), OC_E_BUDGET);
    const char *r = usage_record(&e);
    ASSERT_HAS(r, "\"day\":\"2026-11-27\",");
    ASSERT_HAS(r, "\"calls\":2,\"calls_429\":0,\"retries\":0,\"budget\":2,\"budget_remaining\":0");

    th_advance(&e.th, 4 * HOUR + 30 * MIN); /* 05:00Z */
    ck_assert_int_eq(call(&e, NULL, 0), OC_OK);
    r = usage_record(&e);
    ASSERT_HAS(r, "\"day\":\"2026-11-28\",");
    ASSERT_HAS(r, "\"calls\":1,\"calls_429\":0,\"retries\":0,\"budget\":2,\"budget_remaining\":1");
    ck_assert_uint_eq(fx_server_requests(e.srv), 3);
    env_end(&e);
}
END_TEST

/* Counts kept on UTC days before the first authorize are not lost when the
 * zone becomes known: a UTC record of the 28th saved at 02:00Z holds calls
 * of New York's 27th. */
START_TEST(utc_counts_carried_into_local_day)
{
    static const char saved[] = "{\"day\":\"2026-11-28\",\"calls\":7,\"by_endpoint\":{\"x\":{\"calls\":7,"
                                "\"errors\":0,\"429\":0,\"retries\":0}},\"429s\":0,\"retries\":0,"
                                "\"limits\":{},\"budget\":0}";
    struct env e;
    env_start(&e, T0 + 3 * HOUR, EASTERN, 1, 0);
    /* The client read the state at creation; put the record in and make a
     * second client read it. */
    ck_assert_int_eq(e.th.host.state_put(&e.th, KIT_USAGE_KEY, saved, sizeof saved - 1), OC_OK);
    kit_http_free(e.h);
    struct kit_http_config cfg = {.base_url = fx_server_url(e.srv), .token = FX_PLACEHOLDER_TOKEN};
    hs_transport_configure(&cfg);
    struct oc_error err = {sizeof err};
    ck_assert_msg(kit_http_new(&cfg, &e.th.host, &e.h, &err) == OC_OK, "%s", err.message);
    ck_assert_int_eq(call(&e, NULL, 0), OC_OK);
    const char *u = th_state(&e.th, KIT_USAGE_KEY);
    ASSERT_HAS(u, "{\"day\":\"2026-11-27\",\"calls\":8,");
    ASSERT_HAS(u, "\"utc_offset_ms\":-18000000");
    env_end(&e);
}
END_TEST

/* ---- authorize ---- */

START_TEST(authorize_saves_account)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/authorize-ok.json", NULL);
    /* Before authorize the instance counts UTC days. */
    ck_assert_ptr_null(th_state(&s.th, HS_ACCOUNT_KEY));
    ck_assert_int_eq(hs_authorize(s.in, &s.err), OC_OK);
    const char *a = th_state(&s.th, HS_ACCOUNT_KEY);
    ck_assert_ptr_nonnull(a);
    struct kit_usage_zone z;
    char why[160];
    ck_assert_msg(kit_usage_zone_from_json(&z, a, strlen(a), why, sizeof why) == 0, "%s: %s", a, why);
    ck_assert_str_eq(z.name, "US/Eastern");
    ck_assert_int_eq(z.offset_ms, EST);
    ck_assert_int_eq(z.portal_id, 12345678);
    ck_assert_int_eq(z.at_ms, s.th.now_ms);
    ASSERT_HAS(a, "{\"time_zone\":\"US/Eastern\",\"utc_offset_ms\":-18000000,\"portal_id\":12345678,\"at\":");

    /* The same instance's usage moved at once: recorded_at is 00:00Z, which
     * is 19:00 on the 27th in New York, and authorize's two calls count
     * there. */
    struct oc_error err = {sizeof err};
    th_forget_records(&s.th);
    ck_assert_int_eq(kit_http_usage_emit(s.in->http, &err), OC_OK);
    const char *r = kit_buf_str(&s.th.records);
    ASSERT_HAS(r, "\"day\":\"2026-11-27\",\"day_basis\":\"US/Eastern (UTC-05:00, as of 2026-11-27)\",");
    ASSERT_HAS(r, "\"resets_at\":\"2026-11-28T05:00:00Z\",\"calls\":2,");
    ASSERT_HAS(th_state(&s.th, KIT_USAGE_KEY), "{\"day\":\"2026-11-27\",\"calls\":2,");
    ASSERT_LACKS(kit_buf_str(&s.th.logs), "WARN");
    sc_verify_stop(&s);
}
END_TEST

/* A host without durable state keeps nothing (the ABI's rule), yet this
 * instance still counts the account's day and keeps authorize's calls. */
START_TEST(authorize_without_state)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/authorize-ok.json", NULL);
    s.th.host.state_put = NULL;
    ck_assert_int_eq(hs_authorize(s.in, &s.err), OC_OK);
    ck_assert_ptr_null(th_state(&s.th, HS_ACCOUNT_KEY));
    struct oc_error err = {sizeof err};
    th_forget_records(&s.th);
    ck_assert_int_eq(kit_http_usage_emit(s.in->http, &err), OC_OK);
    const char *r = kit_buf_str(&s.th.records);
    ASSERT_HAS(r, "\"day\":\"2026-11-27\",\"day_basis\":\"US/Eastern (UTC-05:00, as of 2026-11-27)\",");
    ASSERT_HAS(r, "\"calls\":2,");
    sc_verify_stop(&s);
}
END_TEST

/* A token HubSpot refuses teaches nothing: no key, days stay UTC. */
START_TEST(authorize_refused_saves_nothing)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/authorize-invalid-401.json", NULL);
    ck_assert_int_eq(hs_authorize(s.in, &s.err), OC_E_AUTH);
    ck_assert_ptr_null(th_state(&s.th, HS_ACCOUNT_KEY));
    struct oc_error err = {sizeof err};
    th_forget_records(&s.th);
    ck_assert_int_eq(kit_http_usage_emit(s.in->http, &err), OC_OK);
    ASSERT_HAS(kit_buf_str(&s.th.records), "\"day\":\"2026-11-28\",\"day_basis\":\"" UTC_BASIS "\"");
    sc_verify_stop(&s);
}
END_TEST

extern Suite *make_usage_tz_suite(void);

Suite *make_usage_tz_suite(void)
{
    Suite *s = suite_create("usage_tz");
    TCase *tc = tcase_create("day");
    tcase_add_test(tc, day_in_zone);
    tcase_add_test(tc, basis_words);
    tcase_add_test(tc, account_json);
    tcase_add_test(tc, saved_record_belongs);
    tcase_add_test(tc, usage_json_keeps_basis);
    tcase_add_test(tc, day_follows_account_zone);
    tcase_add_test(tc, no_account_key_is_utc);
    tcase_add_test(tc, corrupt_account_key_warns);
    tcase_add_test(tc, budget_resets_at_local_midnight);
    tcase_add_test(tc, utc_counts_carried_into_local_day);
    tcase_add_test(tc, authorize_saves_account);
    tcase_add_test(tc, authorize_without_state);
    tcase_add_test(tc, authorize_refused_saves_nothing);
    suite_add_tcase(s, tc);
    return s;
}
