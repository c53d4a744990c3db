/*
 * check_pull_edges.c - the email_events pull where it meets its host and
 * HubSpot's live paging, against the stateful events stand-in
 * (tests/support/hsevents.h):
 *  - a record the host refuses is not delivered: the saved state ends just
 *    before it, wherever it falls (inside a page, at a page boundary, on a
 *    tie, in a later window), and the rerun emits exactly the rest;
 *  - a state that cannot be saved stops the run with an error;
 *  - events that arrive while a window is paged shift HubSpot's offsets:
 *    nothing is emitted twice in a run, and none is skipped (the next
 *    run's lookback brings those that landed in the part already paged);
 *  - a lookback raised on an existing state is clamped to what the state
 *    remembers, with a warning, rather than re-emitting;
 *  - a cursor later than the clock is reported with how to recover;
 *  - the contacts stream keeps the same promises at the host boundary.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/pull_contacts.h"
#include "hubspot/pull_state.h"
#include "plugin/json.h"
#include "tests/support/hsevents.h"
#include "tests/support/scenario_check.h"

#define NOW INT64_C(1795824000000) /* the scenario clock: 2026-11-28T00:00:00Z */
#define SEC INT64_C(1000)
#define MIN INT64_C(60000)
#define HOUR INT64_C(3600000)
#define KEY "pull/email_events"

static struct oc_pull_request preq(int64_t since)
{
    struct oc_pull_request r = {sizeof r, NULL, since, NULL};
    return r;
}

/* Start a scenario on the stand-in h with extra plugin options. */
static void start_on(struct scenario *s, struct hse *h, const char *const *opts)
{
    struct fx_options fo = {0};
    hse_serve(h, &fo);
    int rc = sc_start_with(s, NULL, opts, &fo);
    ck_assert_msg(rc == 0, "sc_start: %s", s->err.message);
}

/* Replace the instance by one with other options, on the same host, state
 * and server (a user editing the config between runs). */
static void reconfigure(struct scenario *s, const char *const *opts)
{
    hs_instance_release(s->in);
    s->in = NULL;
    struct oc_option o[8];
    size_t n = 0;
    o[n++] = (struct oc_option){"access_token", FX_PLACEHOLDER_TOKEN};
    o[n++] = (struct oc_option){"base_url", fx_server_url(s->srv)};
    for(size_t i = 0; opts && opts[i] && n < 8; i += 2)
        o[n++] = (struct oc_option){opts[i], opts[i + 1]};
    ck_assert_msg(hs_instance_new(&s->th.host, o, n, &s->in, &s->err) == OC_OK, "%s",
                  s->err.message);
}

/* Every record the host took so far, counted by id: the number of ids
 * seen twice goes to *dups (and the first such id to first_dup). */
struct tally {
    struct hs_event_set ids;
    size_t records, dups;
    char first_dup[64];
};

static void tally_free(struct tally *t) { hs_event_set_free(&t->ids); }

static void tally_records(struct scenario *s, struct tally *t)
{
    memset(t, 0, sizeof *t);
    const char *p = kit_buf_str(&s->th.records);
    struct kit_buf id = KIT_BUF_INIT;
    while(*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        struct kit_json j = {0};
        ck_assert_int_eq(kit_json_parse(&j, p, len, NULL, 0), 0);
        kit_buf_reset(&id);
        ck_assert_int_eq(kit_json_str(&j, kit_json_get(&j, 0, "id"), &id), 0);
        int added = hs_event_set_add(&t->ids, kit_buf_str(&id), 0);
        ck_assert_int_ge(added, 0);
        if(!added && !t->dups++)
            snprintf(t->first_dup, sizeof t->first_dup, "%s", kit_buf_str(&id));
        t->records++;
        kit_json_free(&j);
        p += len + (nl ? 1 : 0);
    }
    kit_buf_free(&id);
}

/* The records are exactly the stand-in's events with created in
 * [from, to] that requests so far could see, each once. */
static void assert_exactly(struct scenario *s, struct hse *h, int64_t from, int64_t to,
                           const char *what)
{
    struct tally t;
    tally_records(s, &t);
    ck_assert_msg(t.dups == 0, "%s: %zu ids emitted twice (first %s)", what, t.dups, t.first_dup);
    size_t want = 0;
    unsigned served = hse_requests(h);
    for(size_t i = 0; i < hse_count(h); i++) {
        int64_t created;
        unsigned from_request;
        const char *id = hse_id(h, i, &created, &from_request);
        if(created < from || created > to || from_request > served)
            continue;
        want++;
        ck_assert_msg(hs_event_set_has(&t.ids, id, 0), "%s: event %s (created %" PRId64
                      ") never emitted", what, id, created);
    }
    ck_assert_msg(t.records == want, "%s: %zu records, want %zu", what, t.records, want);
    tally_free(&t);
}

/* Recipients' local parts of the records, comma-joined (cassette events
 * are named by them). */
static const char *names(struct scenario *s)
{
    static char out[512];
    out[0] = '\0';
    const char *p = kit_buf_str(&s->th.records);
    while(*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        struct kit_json j = {0};
        ck_assert_int_eq(kit_json_parse(&j, p, len, NULL, 0), 0);
        char *r = kit_json_strdup(&j, kit_json_get(&j, 0, "recipient"));
        ck_assert_ptr_nonnull(r);
        char *at = strchr(r, '@');
        if(at)
            *at = '\0';
        if(out[0])
            strncat(out, ",", sizeof out - strlen(out) - 1);
        strncat(out, r, sizeof out - strlen(out) - 1);
        free(r);
        kit_json_free(&j);
        p += len + (nl ? 1 : 0);
    }
    return out;
}

/* ---- a record counts once the host has it ---- */

/* Two windows of 1500 events (pull_window_ms one hour), each paged 1000 +
 * 500, with five events sharing one timestamp across the first window's
 * page boundary. Emission order: window 1 (records 1..1500), window 2
 * (1501..3000). */
static struct hse *two_windows(void)
{
    struct hse *h = hse_new();
    ck_assert_ptr_nonnull(h);
    char id[32];
    for(int i = 0; i < 3000; i++) {
        int64_t created = NOW - 1 - (int64_t)i * 2400;
        if(i >= 2498 && i <= 2502)
            created = NOW - 1 - INT64_C(2500) * 2400;
        snprintf(id, sizeof id, "ev-%04d", i);
        ck_assert_int_eq(hse_add(h, id, created, 1), 0);
    }
    return h;
}

static const char *const hour_windows[] = {"pull_window_ms", "3600000", NULL};

START_TEST(refused_record_is_the_rerun_first)
{
    /* k: the record the host refuses, 1-based in emission order. 500 is
     * inside a page; 1000/1001 the last and first of a page; 1002 falls on
     * the tie straddling that boundary; 1500/1501 end and start a window;
     * 2200 inside the second window; 3000 the very last. */
    static const int ks[] = {2, 500, 1000, 1001, 1002, 1500, 1501, 2200, 3000};
    for(size_t c = 0; c < sizeof ks / sizeof ks[0]; c++) {
        int k = ks[c];
        struct hse *h = two_windows();
        struct scenario s;
        start_on(&s, h, hour_windows);
        struct oc_pull_request r = preq(NOW - 2 * HOUR);
        s.th.refuse_after = k - 1;
        ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_CANCELLED);
        ck_assert_uint_eq(s.th.nrecords, (size_t)k - 1);
        /* It stops at the first refusal: nothing more is offered. */
        ck_assert_uint_eq(s.th.nrefused, 1);
        char stop_message[sizeof s.err.message];
        memcpy(stop_message, s.err.message, sizeof stop_message);

        s.th.refuse_after = 0;
        ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "k=%d: %s", k, s.err.message);
        char what[32];
        snprintf(what, sizeof what, "refused at %d", k);
        assert_exactly(&s, h, NOW - 2 * HOUR, NOW, what);
        ASSERT_HAS(stop_message, "did not take event");
        ASSERT_HAS(stop_message, "a rerun starts with the one refused");
        sc_stop(&s);
        hse_free(h);
    }
}
END_TEST

/* The same on a cassette, three runs: the host refuses a3 (first of the
 * first window's second page), then b2 (second on the last window's
 * page, after a lookback window); each rerun starts with the refused one. */
START_TEST(refused_on_cassette)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-edge-refused.json", hour_windows);
    struct oc_pull_request r = preq(NOW - 2 * HOUR);
    s.th.refuse_after = 2;
    ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_CANCELLED);
    ASSERT_HAS(s.err.message, "did not take event edge-a3");
    ck_assert_str_eq(names(&s), "a1,a2");
    s.th.refuse_after = 6;
    ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_CANCELLED);
    ASSERT_HAS(s.err.message, "did not take event edge-b2");
    ck_assert_str_eq(names(&s), "a1,a2,a3,a4,b3,b1");
    s.th.refuse_after = 0;
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_str_eq(names(&s), "a1,a2,a3,a4,b3,b1,b2");
    sc_verify_stop(&s);
}
END_TEST

/* Refused again and again: three stops, each resumed, still exact. */
START_TEST(refused_three_times)
{
    static const int stops[] = {700, 1000, 1200};
    struct hse *h = two_windows();
    struct scenario s;
    start_on(&s, h, hour_windows);
    struct oc_pull_request r = preq(NOW - 2 * HOUR);
    for(size_t i = 0; i < 3; i++) {
        s.th.refuse_after = (int)s.th.nrecords + stops[i];
        ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_CANCELLED);
    }
    s.th.refuse_after = 0;
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    assert_exactly(&s, h, NOW - 2 * HOUR, NOW, "three stops");
    sc_stop(&s);
    hse_free(h);
}
END_TEST

/* The host's state store fails: the run stops there with an error naming
 * the state, offers nothing after the page whose state was lost, and the
 * rerun misses nothing (what it repeats is at most that page). */
START_TEST(state_save_failure_stops)
{
    struct hse *h = two_windows();
    struct scenario s;
    start_on(&s, h, hour_windows);
    struct oc_pull_request r = preq(NOW - 2 * HOUR);
    s.th.fail_puts = 1;
    s.th.fail_key = KEY;
    s.th.puts_left = 1; /* the first page's save works, the second's fails */
    ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_IO);
    ASSERT_HAS(s.err.message, "pull email_events");
    ASSERT_HAS(s.err.message, "saving state pull/email_events failed");
    ASSERT_HAS(s.err.message, "500 events this run emitted since its last save");
    ck_assert_uint_eq(s.th.nrecords, 1500);
    ck_assert_uint_eq(s.th.nputs_failed, 1);

    s.th.fail_puts = 0;
    size_t before = s.th.nrecords;
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    /* The rerun repeats exactly the 500 whose state was lost. */
    ck_assert_uint_eq(s.th.nrecords - before, 3000 - 1000);
    struct tally t;
    tally_records(&s, &t);
    ck_assert_uint_eq(t.ids.n, 3000);
    ck_assert_uint_eq(t.dups, 500);
    tally_free(&t);
    sc_stop(&s);
    hse_free(h);
}
END_TEST

/* ---- offsets that move while a window is paged ---- */

/* 5000 events 3.6 s apart over the five hours before NOW (five pages of
 * 1000), then events inserted between page requests by pattern. The
 * default lookback (10 minutes) remembers only the newest ~170. */
#define BASE 5000
static int64_t base_created(int i) { return NOW - 1 - (int64_t)i * 3600; }

enum pattern { TOP, INSIDE_LOOKBACK, TIE_AFTER_LOW, NOT_YET_PAGED, BURST, NPATTERNS };
static const char *const pattern_name[] = {"top", "inside the lookback", "tie after low",
                                           "not yet paged", "burst of 1500"};

static struct hse *moving(enum pattern p)
{
    struct hse *h = hse_new();
    ck_assert_ptr_nonnull(h);
    char id[32];
    for(int i = 0; i < BASE; i++) {
        snprintf(id, sizeof id, "ev-%04d", i);
        ck_assert_int_eq(hse_add(h, id, base_created(i), 1), 0);
    }
    /* Before each of requests 2..5: what arrives while page 1..4 are
     * being handled. */
    for(unsigned req = 2; req <= 5; req++) {
        for(int j = 0; j < 3; j++) {
            int64_t created = 0;
            switch(p) {
            case TOP: /* newest of all: pushes everything down */
                created = NOW - 100 * (int64_t)req - j;
                break;
            case INSIDE_LOOKBACK: /* among page 1's events, within the lookback */
                created = base_created(20 * (int)req + j) - 1800;
                break;
            case TIE_AFTER_LOW: /* at the timestamp of the last event handled,
                                   sorting after it (smaller id) */
                created = base_created(1000 * (int)(req - 1) - 1);
                break;
            case NOT_YET_PAGED: /* older than anything handled so far */
                created = base_created(1000 * (int)req + 100 + j) - 1800;
                break;
            case BURST:
                if(req != 3 || j)
                    continue;
                for(int b = 0; b < 1500; b++) {
                    snprintf(id, sizeof id, "burst-%04d", b);
                    ck_assert_int_eq(hse_add(h, id, NOW - 2 * MIN - b * 200, req), 0);
                }
                continue;
            default:
                break;
            }
            /* "ev-0998-late-0" sorts after "ev-0999" at their shared
             * timestamp, so it lands just past the offset. */
            if(p == TIE_AFTER_LOW)
                snprintf(id, sizeof id, "ev-%04d-late-%d", 1000 * (int)(req - 1) - 2, j);
            else
                snprintf(id, sizeof id, "late-%u-%d", req, j);
            ck_assert_int_eq(hse_add(h, id, created, req), 0);
        }
    }
    return h;
}

START_TEST(moving_offsets_once_and_none_skipped)
{
    for(int p = 0; p < NPATTERNS; p++) {
        struct hse *h = moving((enum pattern)p);
        struct scenario s;
        start_on(&s, h, NULL);
        struct oc_pull_request r = preq(NOW - 5 * HOUR - 1);
        ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s: %s", pattern_name[p],
                      s.err.message);
        /* This run: nothing twice, every event there from the start. */
        struct tally t;
        tally_records(&s, &t);
        ck_assert_msg(t.dups == 0, "%s: %zu emitted twice in one run (first %s)",
                      pattern_name[p], t.dups, t.first_dup);
        char id[32];
        for(int i = 0; i < BASE; i++) {
            snprintf(id, sizeof id, "ev-%04d", i);
            ck_assert_msg(hs_event_set_has(&t.ids, id, 0), "%s: %s skipped", pattern_name[p], id);
        }
        tally_free(&t);
        /* The next run's lookback brings what landed in the part already
         * paged; together: every event exactly once. */
        th_advance(&s.th, 5 * MIN);
        ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s: %s", pattern_name[p],
                      s.err.message);
        assert_exactly(&s, h, NOW - 5 * HOUR - 1, NOW + 5 * MIN, pattern_name[p]);
        sc_stop(&s);
        hse_free(h);
    }
}
END_TEST

/* A page slightly out of order (dis-3 newer than dis-2 before it) loses
 * nothing: what counts as already processed is measured from the low mark
 * when the page arrived. The next page brings dis-3 and dis-2 again (an
 * insert moved the offset): skipped, and dis-4 is new. */
START_TEST(page_out_of_order_loses_nothing)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-edge-disorder.json", NULL);
    struct oc_pull_request r = preq(NOW - HOUR);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    struct tally t;
    tally_records(&s, &t);
    ck_assert_uint_eq(t.dups, 0);
    ck_assert_uint_eq(t.records, 4);
    ck_assert(hs_event_set_has(&t.ids, "dis-3", 0));
    tally_free(&t);
    sc_verify_stop(&s);
}
END_TEST

/* The same disorder with the host refusing the third event (dis-3, newer
 * than dis-2 before it): the state saved mid-page keeps the low mark where
 * the page began and remembers dis-1 and dis-2 by id, so the rerun, which
 * fetches the page again, emits dis-3 and then dis-4 and nothing twice. */
START_TEST(page_out_of_order_refused_then_resumed)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-edge-disorder2.json", NULL);
    struct oc_pull_request r = preq(NOW - HOUR);
    s.th.refuse_after = 2;
    ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_CANCELLED);
    s.th.refuse_after = 0;
    oc_status rc = hs_pull(s.in, &r, &s.err);
    sc_verify(&s);
    ck_assert_msg(rc == OC_OK, "%s\n%s", s.err.message, sc_report(&s));
    struct tally t;
    tally_records(&s, &t);
    ck_assert_uint_eq(t.dups, 0);
    ck_assert_uint_eq(t.records, 4);
    ck_assert_msg(hs_event_set_has(&t.ids, "dis-3", 0), "dis-3 was lost");
    tally_free(&t);
    sc_verify_stop(&s);
}
END_TEST

/* ---- lookback raised on an existing state ---- */

START_TEST(raised_lookback_clamped_with_warning)
{
    struct hse *h = hse_new();
    ck_assert_ptr_nonnull(h);
    char id[32];
    /* One event every 10 s from three hours before NOW to 3 h after. */
    for(int i = 0; i < 2160; i++) {
        snprintf(id, sizeof id, "ev-%04d", i);
        ck_assert_int_eq(hse_add(h, id, NOW - 3 * HOUR + 5 * SEC + (int64_t)i * 10 * SEC, 1), 0);
    }
    /* A late event, created 1.5 h after NOW, that shows up only after run 3. */
    ck_assert_int_eq(hse_add(h, "late-90min", NOW + 90 * MIN + 1, 1000), 0);
    struct scenario s;
    start_on(&s, h, NULL);
    struct oc_pull_request r = preq(NOW - 3 * HOUR);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ASSERT_LACKS(kit_buf_str(&s.th.logs), "WARN");

    static const char *const hour[] = {"lookback_ms", "3600000", NULL};
    reconfigure(&s, hour);
    th_advance(&s.th, 5 * MIN);
    kit_buf_reset(&s.th.logs);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    assert_exactly(&s, h, NOW - 3 * HOUR, NOW + 5 * MIN, "after raising lookback");
    ASSERT_HAS(kit_buf_str(&s.th.logs), "WARN pull email_events: lookback_ms 3600000 reaches back");
    ASSERT_HAS(kit_buf_str(&s.th.logs), "from 2026-11-27T23:50:00Z");
    ASSERT_HAS(kit_buf_str(&s.th.logs), "looks back 600000 ms only");

    /* Still clamped while the cursor has not moved a whole hour on. */
    th_advance(&s.th, 2 * HOUR - 5 * MIN);
    kit_buf_reset(&s.th.logs);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ASSERT_HAS(kit_buf_str(&s.th.logs), "WARN pull email_events: lookback_ms");
    assert_exactly(&s, h, NOW - 3 * HOUR, NOW + 2 * HOUR, "two hours on");

    /* Now it remembers an hour: the full lookback applies, and catches an
     * event that arrived 30 minutes late, which 10 minutes would not. */
    th_advance(&s.th, HOUR);
    kit_buf_reset(&s.th.logs);
    hse_set_requests(h, 1000);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ASSERT_LACKS(kit_buf_str(&s.th.logs), "WARN");
    assert_exactly(&s, h, NOW - 3 * HOUR, NOW + 3 * HOUR, "full lookback");
    sc_stop(&s);
    hse_free(h);
}
END_TEST

/* ---- a cursor in the future ---- */

START_TEST(future_cursor_warns_how_to_recover)
{
    struct hse *h = hse_new();
    ck_assert_ptr_nonnull(h);
    struct scenario s;
    start_on(&s, h, NULL);
    char seed[128];
    snprintf(seed, sizeof seed, "{\"v\":1,\"cursor\":%" PRId64 ",\"seen\":[]}", NOW + 24 * HOUR);
    ck_assert_int_eq(s.th.host.state_put(s.th.host.ctx, KEY, seed, strlen(seed)), OC_OK);
    struct oc_pull_request r = preq(0);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_uint_eq(s.th.nrecords, 0);
    const char *logs = kit_buf_str(&s.th.logs);
    ASSERT_HAS(logs, "WARN pull email_events: the saved cursor is 2026-11-29T00:00:00Z");
    ASSERT_HAS(logs, "later than this machine's clock 2026-11-28T00:00:00Z");
    ASSERT_HAS(logs, "delete the \"pull/email_events\" member");
    ASSERT_HAS(logs, "--since");

    /* The contacts stream says the same of its own cursor. */
    snprintf(seed, sizeof seed, "{\"start\":%" PRId64 ",\"v\":1,\"cursor\":%" PRId64 ",\"seen\":[]}",
             NOW - HOUR, NOW + 24 * HOUR);
    ck_assert_int_eq(s.th.host.state_put(s.th.host.ctx, "pull/contacts", seed, strlen(seed)),
                     OC_OK);
    kit_buf_reset(&s.th.logs);
    r.stream = "contacts";
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    logs = kit_buf_str(&s.th.logs);
    ASSERT_HAS(logs, "WARN pull contacts: the saved cursor is 2026-11-29T00:00:00Z");
    ASSERT_HAS(logs, "delete the \"pull/contacts\" member");
    ck_assert_uint_eq(hse_requests(h), 0);
    ck_assert_uint_eq(fx_server_requests(s.srv), 0);
    sc_stop(&s);
    hse_free(h);
}
END_TEST

START_TEST(since_before_1970_refused)
{
    struct hse *h = hse_new();
    ck_assert_ptr_nonnull(h);
    struct scenario s;
    start_on(&s, h, NULL);
    struct oc_pull_request r = preq(-5);
    ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_INVALID);
    ASSERT_HAS(s.err.message, "before 1970");
    r.stream = "contacts";
    ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_INVALID);
    ASSERT_HAS(s.err.message, "pull contacts: since -5 ms is before 1970");
    ck_assert_uint_eq(fx_server_requests(s.srv), 0);
    ck_assert_ptr_null(th_state(&s.th, KEY));
    sc_stop(&s);
    hse_free(h);
}
END_TEST

/* ---- the contacts stream at the host boundary ---- */

static const char *const few_props[] = {"lookup_properties",
                                        "email, firstname ,email,lastmodifieddate", NULL};

/* A refused contact plus a state store that fails right then: the error
 * is the failed save (a rerun may repeat), never "state saved". */
START_TEST(contacts_refused_and_unsaved)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-contacts-interrupted.json", few_props);
    struct oc_pull_request r = {sizeof r, "contacts", NOW - HOUR, NULL};
    s.th.refuse_after = 2;
    s.th.fail_puts = 1;
    s.th.fail_key = "pull/contacts";
    s.th.puts_left = 1;
    ck_assert_int_eq(hs_pull_contacts_paged(s.in, &r, 2, &s.err), OC_E_IO);
    ASSERT_HAS(s.err.message, "saving state pull/contacts failed");
    ASSERT_LACKS(s.err.message, "state saved");
    ck_assert_uint_eq(s.th.nrecords, 2);
    ck_assert_uint_eq(s.th.nrefused, 1);
    sc_stop(&s);
}
END_TEST

extern Suite *make_pull_edges_suite(void);

Suite *make_pull_edges_suite(void)
{
    Suite *s = suite_create("pull_edges");
    TCase *tc = tcase_create("host");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, refused_record_is_the_rerun_first);
    tcase_add_test(tc, refused_three_times);
    tcase_add_test(tc, refused_on_cassette);
    tcase_add_test(tc, state_save_failure_stops);
    tcase_add_test(tc, future_cursor_warns_how_to_recover);
    tcase_add_test(tc, since_before_1970_refused);
    tcase_add_test(tc, contacts_refused_and_unsaved);
    suite_add_tcase(s, tc);
    TCase *paging = tcase_create("paging");
    tcase_set_timeout(paging, 60);
    tcase_add_test(paging, moving_offsets_once_and_none_skipped);
    tcase_add_test(paging, page_out_of_order_loses_nothing);
    tcase_add_test(paging, page_out_of_order_refused_then_resumed);
    tcase_add_test(paging, raised_lookback_clamped_with_warning);
    suite_add_tcase(s, paging);
    return s;
}
