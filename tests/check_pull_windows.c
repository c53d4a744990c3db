/*
 * check_pull_windows.c - the email_events pull sizes its windows by what
 * they hold, against the stateful events stand-in (tests/support/hsevents.h)
 * on the virtual clock:
 *  - a long first pull costs about one call per page, not one per day,
 *    whether its days are mostly quiet or all busy;
 *  - a run stopped anywhere leaves the cursor behind the window it was
 *    in, and the rerun emits exactly the rest, re-reading at most the
 *    page it stopped in plus the part of the window not yet read;
 *  - the next window's span follows the events per ms of the last one:
 *    shorter after a dense window, longer after a sparse one, the rest of
 *    the run after an empty one.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/pull_state.h"
#include "plugin/json.h"
#include "tests/support/hsevents.h"
#include "tests/support/scenario_check.h"

#define NOW INT64_C(1795824000000) /* the scenario clock: 2026-11-28T00:00:00Z */
#define DAY INT64_C(86400000)
#define KEY "pull/email_events"
#define PAGE 1000

static void start_on(struct scenario *s, struct hse *h)
{
    struct fx_options fo = {0};
    hse_serve(h, &fo);
    int rc = sc_start_with(s, NULL, NULL, &fo);
    ck_assert_msg(rc == 0, "sc_start: %s", s->err.message);
}

/* per_day[d] events on the day d days before NOW, spread over it. */
static struct hse *span_of(const int *per_day, int days)
{
    struct hse *h = hse_new();
    ck_assert_ptr_nonnull(h);
    char id[48];
    for(int d = 0; d < days; d++)
        for(int i = 0; i < per_day[d]; i++) {
            snprintf(id, sizeof id, "win-%02d-%05d", d, i);
            ck_assert_int_eq(hse_add(h, id, NOW - 1 - d * DAY - (int64_t)i * (DAY / (per_day[d] + 1)), 1), 0);
        }
    return h;
}

/* 12,345 events over 40 days, as a newsletter sends them: five send days
 * of 2,400, ten days with 30, one with 45, 24 with nothing. */
static struct hse *sparse_span(void)
{
    int per_day[40];
    for(int d = 0; d < 40; d++)
        per_day[d] = d % 8 == 3 ? 2400 : d % 4 == 1 ? 30 : d == 39 ? 45 : 0;
    return span_of(per_day, 40);
}

/* 600 events on every one of 40 days. */
static struct hse *busy_span(void)
{
    int per_day[40];
    for(int d = 0; d < 40; d++)
        per_day[d] = 600;
    return span_of(per_day, 40);
}

/* Every event created in [from, to] came out, none twice; with exact, no
 * other one came out either. */
static void assert_records(struct scenario *s, struct hse *h, int64_t from, int64_t to, int exact,
                           const char *what)
{
    struct hs_event_set ids = {0};
    struct kit_buf id = KIT_BUF_INIT;
    size_t records = 0;
    for(const char *p = kit_buf_str(&s->th.records); *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        struct kit_json j = {0};
        ck_assert_int_eq(kit_json_parse(&j, p, len, NULL, 0), 0);
        kit_buf_reset(&id);
        ck_assert_int_eq(kit_json_str(&j, kit_json_get(&j, 0, "id"), &id), 0);
        ck_assert_msg(hs_event_set_add(&ids, kit_buf_str(&id), 0) == 1, "%s: %s emitted twice", what,
                      kit_buf_str(&id));
        records++;
        kit_json_free(&j);
        p += len + (nl ? 1 : 0);
    }
    size_t want = 0;
    for(size_t i = 0; i < hse_count(h); i++) {
        int64_t created;
        const char *eid = hse_id(h, i, &created, NULL);
        if(created < from || created > to)
            continue;
        want++;
        ck_assert_msg(hs_event_set_has(&ids, eid, 0), "%s: %s never emitted", what, eid);
    }
    if(exact)
        ck_assert_msg(records == want, "%s: %zu records, want %zu", what, records, want);
    kit_buf_free(&id);
    hs_event_set_free(&ids);
}

static void assert_exactly(struct scenario *s, struct hse *h, int64_t from, int64_t to, const char *what)
{
    assert_records(s, h, from, to, 1, what);
}

static unsigned pages_of(size_t events) { return (unsigned)((events + PAGE - 1) / PAGE); }

/* A first pull of the whole span: at most two calls more than pages. */
static void first_pull_near_pages(struct hse *h, const char *what)
{
    struct scenario s;
    start_on(&s, h);
    struct oc_pull_request r = {sizeof r, NULL, NOW - 40 * DAY, NULL};
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s: %s", what, s.err.message);
    assert_exactly(&s, h, NOW - 40 * DAY, NOW, what);
    unsigned calls = hse_requests(h), pages = pages_of(hse_count(h));
    ck_assert_msg(calls <= pages + 2, "%s: %u calls for %u pages", what, calls, pages);
    sc_stop(&s);
}

START_TEST(quiet_days_cost_no_calls)
{
    struct hse *h = sparse_span();
    first_pull_near_pages(h, "40 mostly quiet days");
    hse_free(h);
}
END_TEST

START_TEST(busy_days_share_pages)
{
    struct hse *h = busy_span();
    first_pull_near_pages(h, "40 days of 600");
    hse_free(h);
}
END_TEST

/* The host refuses record k of the first pull. The saved state's cursor
 * is behind the window the run stopped in, and everything up to the
 * cursor came out; the rerun emits exactly the rest, its calls at most
 * the pages of what was left plus the page it stopped in and two. */
START_TEST(stopped_anywhere_resumes_exactly)
{
    /* 45: inside the oldest day's window; 1000, 1001, 5000: in the
     * window that grew past the quiet days; 12345: the very last. */
    static const int ks[] = {45, 46, 1000, 1001, 5000, 12345};
    for(size_t c = 0; c < sizeof ks / sizeof ks[0]; c++) {
        int k = ks[c];
        char what[48];
        snprintf(what, sizeof what, "refused at %d", k);
        struct hse *h = sparse_span();
        struct scenario s;
        start_on(&s, h);
        struct oc_pull_request r = {sizeof r, NULL, NOW - 40 * DAY, NULL};
        s.th.refuse_after = k - 1;
        ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_CANCELLED);
        ck_assert_uint_eq(s.th.nrecords, (size_t)k - 1);

        struct hs_stream_state st;
        const char *text = th_state(&s.th, KEY);
        char why[160] = "no state";
        ck_assert_msg(text && !hs_stream_state_parse(&st, text, strlen(text), why, sizeof why), "%s: %s", what,
                      why);
        ck_assert_msg(st.in_window, "%s: stopped outside a window", what);
        ck_assert_msg(st.cursor == HS_PULL_NONE || st.cursor < st.start, "%s: cursor %" PRId64
                      " is not behind the window in progress %" PRId64 "..%" PRId64, what, st.cursor,
                      st.start, st.end);
        int64_t cursor = st.cursor;
        hs_stream_state_free(&st);
        if(cursor != HS_PULL_NONE)
            assert_records(&s, h, NOW - 40 * DAY, cursor, 0, what);

        unsigned before = hse_requests(h);
        s.th.refuse_after = 0;
        ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s: %s", what, s.err.message);
        assert_exactly(&s, h, NOW - 40 * DAY, NOW, what);
        unsigned rerun = hse_requests(h) - before;
        unsigned left = pages_of(hse_count(h) - ((size_t)k - 1));
        ck_assert_msg(rerun <= left + 3, "%s: the rerun made %u calls for %u pages left", what, rerun, left);
        sc_stop(&s);
        hse_free(h);
    }
}
END_TEST

START_TEST(span_follows_density)
{
    const int64_t hour = 3600000;
    /* A window as full as the target keeps its span. */
    ck_assert_int_eq(hs_pull_window_span(DAY, HS_PULL_WINDOW_TARGET_EVENTS), DAY);
    /* Ten times the target: a tenth of the span (a dense day is split). */
    ck_assert_int_eq(hs_pull_window_span(DAY, 10 * HS_PULL_WINDOW_TARGET_EVENTS), DAY / 10);
    /* A thousandth of the target: a thousand days (quiet days are grown past). */
    ck_assert_int_eq(hs_pull_window_span(DAY, HS_PULL_WINDOW_TARGET_EVENTS / 1000), 1000 * DAY);
    /* Never below the shortest window, however dense. */
    ck_assert_int_eq(hs_pull_window_span(hour, UINT64_MAX / 2), HS_PULL_WINDOW_MIN_MS);
    /* Nothing at all: the rest of the run. */
    ck_assert_int_eq(hs_pull_window_span(DAY, 0), INT64_MAX);
    ck_assert_int_eq(hs_pull_window_span(INT64_MAX / 4, 1), INT64_MAX);
}
END_TEST

extern Suite *make_pull_windows_suite(void);

Suite *make_pull_windows_suite(void)
{
    Suite *s = suite_create("pull_windows");
    TCase *tc = tcase_create("windows");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, quiet_days_cost_no_calls);
    tcase_add_test(tc, busy_days_share_pages);
    tcase_add_test(tc, stopped_anywhere_resumes_exactly);
    tcase_add_test(tc, span_follows_density);
    suite_add_tcase(s, tc);
    return s;
}
