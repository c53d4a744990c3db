/*
 * check_pull_contacts.c - the contacts stream against cassettes: keyset
 * paging (each page re-anchored at the last lastmodifieddate, so no query
 * ever pages by "after" toward search's 10,000-result cap), ties paged by
 * id, the cursor and the lookback, resume after a host stop and after the
 * DAILY limit, an empty poll, malformed answers, bad requests and state.
 *
 * Cassette contacts have ids that say which scenario they belong to
 * (101.., 201.., ...); the emitted sequence reads as "101,102,103".
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/pull_contacts.h"
#include "hubspot/pull_state.h"
#include "plugin/json.h"
#include "tests/support/records_check.h"
#include "tests/support/scenario_check.h"

#define NOW INT64_C(1795824000000) /* recorded_at 2026-11-28T00:00:00Z */
#define MIN INT64_C(60000)
#define HOUR INT64_C(3600000)
#define KEY "pull/contacts"

static const char *const few_props[] = {"lookup_properties", "email, firstname ,email,lastmodifieddate",
                                        NULL};

static struct oc_pull_request creq(int64_t since)
{
    struct oc_pull_request r = {sizeof r, "contacts", since, NULL};
    return r;
}

/* Ids of the records from index `from` on, comma-joined. */
static const char *ids_from(struct scenario *s, size_t from)
{
    return rc_joined(&s->th, from, "contact", rc_id);
}

static const char *ids(struct scenario *s) { return ids_from(s, 0); }

/* The stored state: cursor, start, and the seen set. */
struct cst {
    struct hs_stream_state s;
    int64_t start;
};

static void load(struct scenario *s, struct cst *c)
{
    const char *v = th_state(&s->th, KEY);
    ck_assert_msg(v != NULL, "no state under %s", KEY);
    char why[160];
    ck_assert_msg(hs_stream_state_parse(&c->s, v, strlen(v), why, sizeof why) == 0, "%s: %s", v,
                  why);
    ck_assert(!c->s.in_window);
    struct kit_json j = {0};
    ck_assert_int_eq(kit_json_parse(&j, v, strlen(v), NULL, 0), 0);
    ck_assert_int_eq(kit_json_int64(&j, kit_json_get(&j, 0, "start"), &c->start), 0);
    kit_json_free(&j);
}

static void put_state(struct scenario *s, const char *v)
{
    ck_assert_int_eq(s->th.host.state_put(s->th.host.ctx, KEY, v, strlen(v)), OC_OK);
}

static int nprogress;
static uint64_t progress_last;

static void on_progress(void *ctx, const char *stage, uint64_t done, uint64_t total)
{
    (void)ctx;
    ck_assert_str_eq(stage, "pull");
    ck_assert_uint_eq(total, 0);
    nprogress++;
    progress_last = done;
}

/* ---- cassette scenarios ---- */

START_TEST(first_run_two_pages)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-contacts-first-run.json", few_props);
    s.th.on_progress = on_progress;
    nprogress = 0;
    struct oc_pull_request r = creq(NOW - HOUR);
    ck_assert_msg(hs_pull_contacts_paged(s.in, &r, 3, &s.err) == OC_OK, "%s", s.err.message);
    /* 103 comes back first on the second page (the re-anchor point) and is
     * not emitted again; 104 shares its instant, written another way. */
    ck_assert_str_eq(ids(&s), "101,102,103,104,105");
    ck_assert_uint_eq(fx_server_requests(s.srv), 2);
    ck_assert_int_eq(nprogress, 2);
    ck_assert_uint_eq(progress_last, 5);

    struct cst c;
    load(&s, &c);
    ck_assert_int_eq(c.start, NOW - HOUR);
    ck_assert_int_eq(c.s.cursor, NOW);
    /* Only what the next run's lookback (10 min) will see again. */
    ck_assert_uint_eq(c.s.seen.n, 3);
    ck_assert(hs_event_set_has(&c.s.seen, "103", NOW - 8 * MIN));
    ck_assert(hs_event_set_has(&c.s.seen, "104", NOW - 8 * MIN));
    ck_assert(hs_event_set_has(&c.s.seen, "105", NOW - 2 * MIN));
    hs_stream_state_free(&c.s);

    /* Field order and content: id, lastmodifieddate as sent, the configured
     * properties (nulls omitted, HubSpot's extra defaults not), times. */
    const char *all = kit_buf_str(&s.th.records);
    const char *want1 =
        "{\"kind\":\"contact\",\"id\":\"101\",\"lastmodifieddate\":\"2026-11-27T23:10:00.000Z\","
        "\"email\":\"101@example.org\",\"firstname\":\"Ann\","
        "\"created_at\":\"2025-01-02T03:04:05.000Z\",\"updated_at\":\"2026-11-27T23:10:00.000Z\"}\n"
        "{\"kind\":\"contact\",\"id\":\"102\",\"lastmodifieddate\":\"2026-11-27T23:30:00Z\","
        "\"email\":\"102@example.org\",";
    ck_assert_msg(!strncmp(all, want1, strlen(want1)), "records: %s", all);
    ASSERT_HAS(all, "\"lastmodifieddate\":\"1795823520000\"");
    ASSERT_HAS(all, "\"lastmodifieddate\":\"2026-11-28T00:52:00.000+01:00\"");
    ASSERT_LACKS(all, "hs_object_id");
    ASSERT_LACKS(all, "createdate");
    sc_verify_stop(&s);
}
END_TEST

START_TEST(second_run_late_change_once)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-contacts-second-run.json", NULL);
    /* Through hs_pull: the default properties and pages of 200. */
    struct oc_pull_request r = creq(NOW - HOUR);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_str_eq(ids(&s), "201,202");

    th_advance(&s.th, HOUR);
    r.since_ms = NOW - 5 * HOUR; /* only for a stream without a cursor: ignored */
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    /* 203 changed 6 minutes before the first run but was not searchable
     * yet: the lookback brings it. 202 comes again and is skipped; 201
     * changed again, a new version. */
    ck_assert_str_eq(ids_from(&s, 2), "203,204,201");
    struct cst c;
    load(&s, &c);
    ck_assert_int_eq(c.start, NOW - HOUR);
    ck_assert_int_eq(c.s.cursor, NOW + HOUR);
    ck_assert_uint_eq(c.s.seen.n, 1);
    ck_assert(hs_event_set_has(&c.s.seen, "201", NOW + 55 * MIN));
    hs_stream_state_free(&c.s);

    th_advance(&s.th, HOUR);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_uint_eq(s.th.nrecords, 5); /* 201's second version seen: nothing new */
    sc_verify_stop(&s);
}
END_TEST

START_TEST(ties_paged_by_id_never_by_offset)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-contacts-ties.json", few_props);
    struct oc_pull_request r = creq(NOW - HOUR);
    /* Seven changes in pages of two: more than the query could page
     * through with a cap of 4 results, yet no request carries "after" (the
     * cassette's bodies have none, and bodies must match exactly). */
    ck_assert_msg(hs_pull_contacts_paged(s.in, &r, 2, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_str_eq(ids(&s), "301,302,303,304,305,306,307");
    ck_assert_uint_eq(fx_server_requests(s.srv), 7);
    ASSERT_HAS(kit_buf_str(&s.th.logs), "paging them by id");
    /* Seven pages, one body buffer and one token array between them. */
    ASSERT_HAS(kit_buf_str(&s.th.logs), "7 contacts emitted in 7 calls; pages read into one ");
    ASSERT_HAS(kit_buf_str(&s.th.logs), " KiB buffer, allocated 1 time; their token arrays allocated 1 time");
    /* Seven searches at once: the 5/s search limit made the client wait
     * (virtual time), which the general 100-per-10-s pacing would not. */
    ck_assert_msg(s.th.slept_ms >= 1000 && s.th.slept_ms < 3000, "slept %" PRId64 " ms",
                  s.th.slept_ms);
    struct cst c;
    load(&s, &c);
    ck_assert_int_eq(c.s.cursor, NOW);
    hs_stream_state_free(&c.s);
    sc_verify_stop(&s);
}
END_TEST

/* The host takes 401 and 402 and refuses 403 (it could not write it): 403
 * was not delivered, so it stays out of seen and the rerun emits it. */
START_TEST(interrupted_by_host_then_resumed)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-contacts-interrupted.json", few_props);
    struct oc_pull_request r = creq(NOW - HOUR);
    s.th.refuse_after = 2;
    ck_assert_int_eq(hs_pull_contacts_paged(s.in, &r, 2, &s.err), OC_E_CANCELLED);
    ASSERT_HAS(s.err.message, "state saved");
    ASSERT_HAS(s.err.message, "did not take contact 403");
    ck_assert_str_eq(ids(&s), "401,402");
    struct cst c;
    load(&s, &c);
    /* The cursor is where the last whole page ended; what was emitted of
     * the page in progress is remembered, the refused one is not. */
    ck_assert_int_eq(c.s.cursor, NOW - 45 * MIN);
    ck_assert(hs_event_set_has(&c.s.seen, "402", NOW - 45 * MIN));
    ck_assert(!hs_event_set_has(&c.s.seen, "403", NOW - 40 * MIN));
    hs_stream_state_free(&c.s);

    s.th.refuse_after = 0;
    ck_assert_msg(hs_pull_contacts_paged(s.in, &r, 2, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_str_eq(ids(&s), "401,402,403,404,405");
    load(&s, &c);
    ck_assert_int_eq(c.s.cursor, NOW);
    ck_assert_int_eq(c.start, NOW - HOUR);
    hs_stream_state_free(&c.s);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(daily_limit_then_resumed)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-contacts-daily-limit.json", few_props);
    struct oc_pull_request r = creq(NOW - HOUR);
    ck_assert_int_eq(hs_pull_contacts_paged(s.in, &r, 2, &s.err), OC_E_BUDGET);
    ASSERT_HAS(s.err.message, "pull contacts:");
    ASSERT_HAS(s.err.message, "state saved");
    ck_assert_str_eq(ids(&s), "401,402");
    struct cst c;
    load(&s, &c);
    ck_assert_int_eq(c.s.cursor, NOW - 45 * MIN);
    hs_stream_state_free(&c.s);
    ck_assert_msg(hs_pull_contacts_paged(s.in, &r, 2, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_str_eq(ids(&s), "401,402,403");
    sc_verify_stop(&s);
}
END_TEST

/* lookback_ms raised to an hour on a state that remembers emitted changes
 * only from 70 minutes back: the scan starts there (the cassette's GTE),
 * not an hour before the cursor, and says why in a warning. */
START_TEST(raised_lookback_clamped)
{
    static const char *const hour[] = {"lookback_ms", "3600000", NULL};
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-contacts-empty-poll.json", hour);
    put_state(&s, "{\"start\":1795737600000,\"v\":1,\"cursor\":1795821000000,"
                  "\"seen_from\":1795819800000,\"seen\":[[\"z1\",1795820100000]]}");
    struct oc_pull_request r = creq(0);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ASSERT_HAS(kit_buf_str(&s.th.logs), "WARN pull contacts: lookback_ms 3600000 reaches back");
    ASSERT_HAS(kit_buf_str(&s.th.logs), "from 2026-11-27T22:50:00Z");
    struct cst c;
    load(&s, &c);
    ck_assert_int_eq(c.s.cursor, NOW);
    ck_assert_int_eq(c.s.seen_from, NOW - HOUR);
    hs_stream_state_free(&c.s);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(empty_poll_one_call)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-contacts-empty-poll.json", NULL);
    put_state(&s, "{\"start\":1795737600000,\"v\":1,\"cursor\":1795820400000,"
                  "\"seen\":[[\"z1\",1795820100000],[\"z2\",1795820340000]]}");
    struct oc_pull_request r = creq(0);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_uint_eq(fx_server_requests(s.srv), 1);
    ck_assert_uint_eq(s.th.nrecords, 0);
    struct cst c;
    load(&s, &c);
    ck_assert_int_eq(c.s.cursor, NOW);
    ck_assert_int_eq(c.start, INT64_C(1795737600000));
    ck_assert_uint_eq(c.s.seen.n, 0); /* both older than the new cursor's lookback */
    hs_stream_state_free(&c.s);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(malformed_answers)
{
    static const char *const want[] = {
        "not a JSON object",
        "no results array",
        "contact 1 of the page has no readable properties.lastmodifieddate",
        "contact 1 of the page has no readable properties.lastmodifieddate",
        "contact 1 of the page has no readable properties.lastmodifieddate",
        "contact 501 of the page is out of lastmodifieddate order",
        "paging would never end",
        "contact 1 of the page has no id",
    };
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-contacts-malformed.json", few_props);
    struct oc_pull_request r = creq(NOW - HOUR);
    for(size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        oc_status rc = hs_pull_contacts_paged(s.in, &r, 2, &s.err);
        ck_assert_msg(rc == OC_E_PROTOCOL, "case %zu: %d %s", i, rc, s.err.message);
        ck_assert_int_eq(s.err.status, OC_E_PROTOCOL);
        ck_assert_msg(strstr(s.err.message, want[i]) != NULL, "case %zu: %s", i, s.err.message);
        ASSERT_HAS(s.err.message, "pull contacts: ");
        /* Nothing of the bad page went out (501 is valid on most), and no
         * state was written. */
        ck_assert_uint_eq(s.th.nrecords, 0);
        ck_assert_ptr_null(th_state(&s.th, KEY));
        /* Each case is a first run again, ending at now: a second apart, so
         * the 5/s search pacing never moves the clock (the cassette's LTE
         * values follow). */
        th_advance(&s.th, 1000);
    }
    ck_assert_msg(hs_pull_contacts_paged(s.in, &r, 2, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_str_eq(ids(&s), "501,502");
    sc_verify_stop(&s);
}
END_TEST

START_TEST(endpoint_404_is_config)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-contacts-endpoint-gone.json", NULL);
    struct oc_pull_request r = creq(NOW - HOUR);
    ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_CONFIG);
    ck_assert_int_eq(s.err.status, OC_E_CONFIG);
    ASSERT_HAS(s.err.message, "pull contacts: ");
    ASSERT_HAS(s.err.message, "404");
    ASSERT_HAS(s.err.message, "no contacts search endpoint");
    ck_assert_ptr_null(th_state(&s.th, KEY));
    sc_verify_stop(&s);
}
END_TEST

START_TEST(bad_requests_make_no_call)
{
    struct scenario s;
    sc_start_ok(&s, NULL, NULL);
    struct oc_pull_request r = creq(0);
    r.types = "OPEN";
    ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_INVALID);
    ASSERT_HAS(s.err.message, "--types");
    ASSERT_HAS(s.err.message, "contacts");
    r = creq(0);
    ck_assert_int_eq(hs_pull_contacts_paged(s.in, &r, 0, &s.err), OC_E_INVALID);
    ck_assert_int_eq(hs_pull_contacts_paged(s.in, &r, HS_CONTACTS_PAGE_MAX + 1, &s.err),
                     OC_E_INVALID);
    r.stream = "contact";
    ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_INVALID);
    ASSERT_HAS(s.err.message, "'contact'");
    ASSERT_HAS(s.err.message, "email_events, contacts");
    /* A start in the future: nothing can have changed yet, so no call. */
    r = creq(NOW + HOUR);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_uint_eq(fx_server_requests(s.srv), 0);
    ck_assert_uint_eq(s.th.nrecords, 0);
    sc_stop(&s);
}
END_TEST

START_TEST(unreadable_state_refused)
{
    static const char *const junk[][2] = {
        {"{\"v\":1,\"cursor\":1795820400000}", "bad start or cursor"},
        {"{\"start\":5,\"v\":1,\"cursor\":4}", "bad start or cursor"},
        {"{\"start\":5,\"v\":1}", "bad start or cursor"},
        {"{\"start\":1,\"v\":1,\"cursor\":5,\"window\":{\"start\":1,\"end\":2}}", "a window"},
        {"{\"start\":1,\"v\":1,\"cursor\":5,\"seen\":[[1,2]]}", "bad seen list"},
        {"[", "not valid JSON"},
    };
    struct scenario s;
    sc_start_ok(&s, NULL, NULL);
    struct oc_pull_request r = creq(0);
    for(size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        put_state(&s, junk[i][0]);
        ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_CONFIG);
        ck_assert_msg(strstr(s.err.message, junk[i][1]) != NULL, "case %zu: %s", i,
                      s.err.message);
        ASSERT_HAS(s.err.message, "delete the \"pull/contacts\" member");
        ASSERT_HAS(s.err.message, "rerun will not fix it");
    }
    ck_assert_uint_eq(fx_server_requests(s.srv), 0);
    sc_stop(&s);
}
END_TEST

extern Suite *make_pull_contacts_suite(void);

Suite *make_pull_contacts_suite(void)
{
    Suite *s = suite_create("pull_contacts");
    TCase *tc = tcase_create("cassettes");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, first_run_two_pages);
    tcase_add_test(tc, second_run_late_change_once);
    tcase_add_test(tc, ties_paged_by_id_never_by_offset);
    tcase_add_test(tc, interrupted_by_host_then_resumed);
    tcase_add_test(tc, daily_limit_then_resumed);
    tcase_add_test(tc, empty_poll_one_call);
    tcase_add_test(tc, raised_lookback_clamped);
    tcase_add_test(tc, malformed_answers);
    tcase_add_test(tc, endpoint_404_is_config);
    tcase_add_test(tc, bad_requests_make_no_call);
    tcase_add_test(tc, unreadable_state_refused);
    suite_add_tcase(s, tc);
    return s;
}
