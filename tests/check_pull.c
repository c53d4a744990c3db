/*
 * check_pull.c - the email_events pull against cassettes: paging, windows,
 * cursor and lookback, resume after interruptions, expired offsets,
 * malformed pages, type filters; plus the event flattener and the state
 * format on their own.
 *
 * Cassette events are named by their recipient's local part (e1@...), so
 * the emitted sequence reads as "e1,e2,e3".
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/email_event.h"
#include "hubspot/pull_state.h"
#include "plugin/json.h"
#include "tests/support/scenario_check.h"

#define NOW INT64_C(1795824000000) /* recorded_at 2026-11-28T00:00:00Z */
#define HOUR INT64_C(3600000)
#define LOOKBACK INT64_C(600000)

static struct oc_pull_request preq(int64_t since, const char *types)
{
    struct oc_pull_request r = {sizeof r, NULL, since, types};
    return r;
}

/* Recipients' local parts of the records from index `from` on, comma-joined. */
static const char *names_from(struct scenario *s, size_t from)
{
    static char out[2048];
    out[0] = '\0';
    const char *p = kit_buf_str(&s->th.records);
    for(size_t i = 0; *p; i++) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if(i >= from) {
            struct kit_json j = {0};
            ck_assert_int_eq(kit_json_parse(&j, p, len, NULL, 0), 0);
            char *r = kit_json_strdup(&j, kit_json_get(&j, 0, "recipient"));
            ck_assert_ptr_nonnull(r);
            char *at = strchr(r, '@');
            if(at)
                *at = '\0';
            if(out[0])
                strcat(out, ",");
            strcat(out, r);
            free(r);
            kit_json_free(&j);
        }
        p += len + (nl ? 1 : 0);
    }
    return out;
}

static const char *names(struct scenario *s) { return names_from(s, 0); }

/* Text of the record parsed last by record_at (freed by the teardown). */
static struct kit_buf line = KIT_BUF_INIT;

static void free_line(void) { kit_buf_free(&line); }

/* Progress reports seen by the host. */
static uint64_t progress_done[16];
static int nprogress;

static void on_progress(void *ctx, const char *stage, uint64_t done, uint64_t total)
{
    (void)ctx;
    /* "pull", perhaps followed by what it is reading. */
    ck_assert_msg(!strncmp(stage, "pull", 4), "stage %s", stage);
    ck_assert_uint_eq(total, 0);
    if(nprogress < 16)
        progress_done[nprogress++] = done;
}

/* The n-th record (0-based) as parsed JSON; free with kit_json_free. The
 * text lives in `line` until the next call. */
static void record_at(struct scenario *s, size_t n, struct kit_json *j)
{
    const char *p = kit_buf_str(&s->th.records);
    for(size_t i = 0; i < n; i++) {
        p = strchr(p, '\n');
        ck_assert_ptr_nonnull(p);
        p++;
    }
    const char *nl = strchr(p, '\n');
    kit_buf_reset(&line);
    kit_buf_append(&line, p, nl ? (size_t)(nl - p) : strlen(p));
    ck_assert_int_eq(kit_json_parse(j, line.data, line.len, NULL, 0), 0);
}

static char *rec_str(struct kit_json *j, const char *key)
{
    return kit_json_strdup(j, kit_json_get(j, 0, key));
}

static void assert_field(struct kit_json *j, const char *key, const char *want)
{
    char *v = rec_str(j, key);
    ck_assert_msg(v != NULL, "record has no field %s", key);
    ck_assert_str_eq(v, want);
    free(v);
}

/* Field key holds JSON (a 1.1 host) whose compact text is want. */
static void assert_json_field(struct kit_json *j, const char *key, const char *want)
{
    int t = kit_json_get(j, 0, key);
    ck_assert_msg(t >= 0, "record has no field %s", key);
    ck_assert_msg(kit_json_type(j, t) == KIT_JSON_ARRAY || kit_json_type(j, t) == KIT_JSON_OBJECT,
                  "field %s is not JSON but type %d", key, (int)kit_json_type(j, t));
    size_t len;
    const char *raw = kit_json_raw(j, t, &len);
    ck_assert_uint_eq(len, strlen(want));
    ck_assert(!memcmp(raw, want, len));
}

/* The stream state, parsed. */
static void load_state(struct scenario *s, const char *key, struct hs_stream_state *st)
{
    const char *v = th_state(&s->th, key);
    ck_assert_msg(v != NULL, "no state under %s", key);
    char why[160];
    ck_assert_msg(hs_stream_state_parse(st, v, strlen(v), why, sizeof why) == 0, "%s: %s", v, why);
}

/* The stream under key has its cursor at want. */
static void assert_cursor(struct scenario *s, const char *key, int64_t want)
{
    struct hs_stream_state st;
    load_state(s, key, &st);
    ck_assert_int_eq(st.cursor, want);
    hs_stream_state_free(&st);
}

static int seen_has(const struct hs_stream_state *st, struct scenario *s, size_t rec)
{
    struct kit_json j = {0};
    record_at(s, rec, &j);
    char *id = rec_str(&j, "id");
    int64_t created = 0;
    kit_json_int64(&j, kit_json_get(&j, 0, "created"), &created);
    int has = hs_event_set_has(&st->seen, id, created);
    free(id);
    kit_json_free(&j);
    return has;
}

/* ---- cassette scenarios ---- */

START_TEST(first_run_three_pages)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-first-run.json", NULL);
    s.th.on_progress = on_progress;
    nprogress = 0;
    struct oc_pull_request r = preq(NOW - HOUR, NULL);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_str_eq(names(&s), "e1,e2,e3,e4,e5,e6");
    ck_assert_uint_eq(fx_server_requests(s.srv), 3);
    /* One report per page, counting events so far. */
    ck_assert_int_eq(nprogress, 3);
    ck_assert_uint_eq(progress_done[0], 3);
    ck_assert_uint_eq(progress_done[1], 5);
    ck_assert_uint_eq(progress_done[2], 6);

    struct hs_stream_state st;
    load_state(&s, "pull/email_events", &st);
    ck_assert_int_eq(st.cursor, NOW);
    ck_assert_int_eq(st.in_window, 0);
    /* Only the two events inside the lookback are remembered. */
    ck_assert_uint_eq(st.seen.n, 2);
    ck_assert(seen_has(&st, &s, 0));
    ck_assert(seen_has(&st, &s, 1));
    ck_assert(!seen_has(&st, &s, 2));
    hs_stream_state_free(&st);

    /* A click carries its url and the flattened nested objects. */
    struct kit_json j = {0};
    record_at(&s, 1, &j);
    assert_field(&j, "kind", "email_event");
    assert_field(&j, "type", "CLICK");
    assert_field(&j, "url", "https://news.example.org/story/e2?utm_source=hs_email");
    assert_field(&j, "email_campaign_id", "157830478");
    ck_assert_int_eq(kit_json_type(&j, kit_json_get(&j, 0, "email_campaign_id")), KIT_JSON_NUMBER);
    ck_assert_int_eq(kit_json_type(&j, kit_json_get(&j, 0, "created")), KIT_JSON_NUMBER);
    assert_field(&j, "browser_name", "Safari");
    assert_json_field(&j, "browser_version", "[\"17.2\"]");
    assert_field(&j, "location_city", "cambridge");
    assert_field(&j, "sent_by_created", "1795820280000");
    assert_field(&j, "user_agent",
                 "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like "
                 "Gecko) Version/17.2 Safari/605.1.15");
    ck_assert_int_eq(kit_json_type(&j, kit_json_get(&j, 0, "obsoleted_by")), KIT_JSON_NULL);
    kit_json_free(&j);
    record_at(&s, 3, &j);
    assert_field(&j, "type", "BOUNCE");
    assert_field(&j, "category", "MAILBOX_FULL");
    assert_field(&j, "status", "5.2.2");
    char *resp = rec_str(&j, "response");
    ck_assert_ptr_nonnull(resp);
    ck_assert_ptr_nonnull(strstr(resp, "over quota"));
    free(resp);
    kit_json_free(&j);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(second_run_new_and_late)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-second-run.json", NULL);
    struct oc_pull_request r = preq(NOW - HOUR, NULL);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_str_eq(names(&s), "b1,b2,b3");
    th_advance(&s.th, HOUR);
    /* since is only for a stream without a cursor: ignored now. */
    r.since_ms = NOW - 5 * HOUR;
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    /* New ones and the late one, once; b1 and b2 were seen in the lookback. */
    ck_assert_str_eq(names_from(&s, 3), "bn2,bn1,blate");
    struct hs_stream_state st;
    load_state(&s, "pull/email_events", &st);
    ck_assert_int_eq(st.cursor, NOW + HOUR);
    ck_assert_uint_eq(st.seen.n, 1); /* bn2 only: the rest is older than the lookback */
    ck_assert(seen_has(&st, &s, 3));
    hs_stream_state_free(&st);
    sc_verify_stop(&s);
}
END_TEST

/* The host takes a1..a4 and refuses a5 (it could not write it): a5 was
 * not delivered, so the saved state ends at a4 and the rerun, which
 * refetches the page, starts with a5. */
START_TEST(interrupted_by_host_then_resumed)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-interrupted.json", NULL);
    struct oc_pull_request r = preq(NOW - HOUR, NULL);
    s.th.refuse_after = 4;
    ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_CANCELLED);
    ck_assert_ptr_nonnull(strstr(s.err.message, "state saved"));
    ck_assert_str_eq(names(&s), "a1,a2,a3,a4");
    ck_assert_uint_eq(s.th.nrefused, 1);

    struct hs_stream_state st;
    load_state(&s, "pull/email_events", &st);
    ck_assert_int_eq(st.cursor, HS_PULL_NONE);
    ck_assert(st.in_window);
    ck_assert_int_eq(st.start, NOW - HOUR);
    ck_assert_int_eq(st.end, NOW);
    ck_assert_str_eq(st.offset, "o1"); /* the page it stopped in */
    /* The low mark is where page o1 began (a3, the oldest of the first
     * page); a4, the one event of o1 taken, is in page, so the rerun
     * refetches o1 and skips exactly it. */
    ck_assert_int_eq(st.low, INT64_C(1795823200000));
    ck_assert_uint_eq(st.at_low.n, 1);
    ck_assert_uint_eq(st.page.n, 1);
    hs_stream_state_free(&st);

    s.th.refuse_after = 0;
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_str_eq(names(&s), "a1,a2,a3,a4,a5,a6,a7");
    load_state(&s, "pull/email_events", &st);
    ck_assert_int_eq(st.cursor, NOW);
    ck_assert(!st.in_window);
    hs_stream_state_free(&st);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(daily_limit_then_resumed)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-daily-limit.json", NULL);
    struct oc_pull_request r = preq(NOW - HOUR, NULL);
    ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_BUDGET);
    ck_assert_ptr_nonnull(strstr(s.err.message, "state saved"));
    ck_assert_str_eq(names(&s), "a1,a2,a3");
    struct hs_stream_state st;
    load_state(&s, "pull/email_events", &st);
    ck_assert(st.in_window);
    ck_assert_str_eq(st.offset, "o1");
    ck_assert_uint_eq(st.page.n, 0);
    hs_stream_state_free(&st);

    th_advance(&s.th, HOUR);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    /* The window finishes, then the lookback window up to the new now
     * brings the event that happened meanwhile; a1 and a2 are not repeated. */
    ck_assert_str_eq(names(&s), "a1,a2,a3,a4,a5,a6,a7,a0");
    assert_cursor(&s, "pull/email_events", NOW + HOUR);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(expired_offset_restarts_window)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-expired-offset.json", NULL);
    struct oc_pull_request r = preq(NOW - HOUR, NULL);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    /* x2 and x3 (at the restart point) come again and are skipped; x4 shares
     * their timestamp but is new. */
    ck_assert_str_eq(names(&s), "x1,x2,x3,x4,x5,x6");
    ck_assert_ptr_nonnull(strstr(kit_buf_str(&s.th.logs), "offset"));
    assert_cursor(&s, "pull/email_events", NOW);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(empty_poll_one_call)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-empty-poll.json", NULL);
    static const char seed[] =
        "{\"v\":1,\"cursor\":1795820400000,\"seen\":[[\"z1\",1795820300000],[\"z2\",1795820399000]]}";
    ck_assert_int_eq(s.th.host.state_put(s.th.host.ctx, "pull/email_events", seed, strlen(seed)),
                     OC_OK);
    struct oc_pull_request r = preq(0, NULL);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_uint_eq(fx_server_requests(s.srv), 1);
    ck_assert_uint_eq(s.th.nrecords, 0);
    struct hs_stream_state st;
    load_state(&s, "pull/email_events", &st);
    ck_assert_int_eq(st.cursor, NOW);
    ck_assert_uint_eq(st.seen.n, 0); /* both older than the new cursor's lookback */
    hs_stream_state_free(&st);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(unknown_types_kept)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-unknown-types.json", NULL);
    struct oc_pull_request r = preq(NOW - HOUR, NULL);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_str_eq(names(&s), "u1,u2,u3");
    struct kit_json j = {0};
    record_at(&s, 0, &j);
    assert_field(&j, "type", "SMS_REPLY");
    assert_field(&j, "reply_channel_kind", "sms");
    assert_field(&j, "reply_channel_carrier_name", "ExampleTel");
    assert_field(&j, "reply_channel_carrier_mcc", "310");
    assert_json_field(&j, "tags", "[\"a\",\"b\"]");
    kit_json_free(&j);
    record_at(&s, 1, &j);
    assert_field(&j, "type", "STATUSCHANGE");
    assert_field(&j, "portal_subscription_status", "UNSUBSCRIBED");
    assert_json_field(&j, "subscriptions", "[{\"id\":4473,\"status\":\"UNSUBSCRIBED\"}]");
    kit_json_free(&j);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(malformed_pages)
{
    static const char *const want[] = {
        "no events array",
        "hasMore but gives no offset",
        "has no id",
        "has no created",
    };
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-malformed.json", NULL);
    struct oc_pull_request r = preq(NOW - HOUR, NULL);
    for(size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_PROTOCOL);
        ck_assert_msg(strstr(s.err.message, want[i]) != NULL, "case %zu: %s", i, s.err.message);
        /* Nothing of the bad page went out (m3 is valid on two of them). */
        ck_assert_str_eq(names(&s), "m1,m2");
        struct hs_stream_state st;
        load_state(&s, "pull/email_events", &st);
        ck_assert_str_eq(st.offset, "o1");
        hs_stream_state_free(&st);
    }
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_str_eq(names(&s), "m1,m2,m3,m4");
    sc_verify_stop(&s);
}
END_TEST

START_TEST(types_each_own_cursor)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-types.json", NULL);
    struct oc_pull_request r = preq(NOW - HOUR, " open,CLICK,open");
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_str_eq(names(&s), "o1,o2,c1,c2");
    ck_assert_ptr_null(th_state(&s.th, "pull/email_events"));
    assert_cursor(&s, "pull/email_events/OPEN", NOW);
    assert_cursor(&s, "pull/email_events/CLICK", NOW);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(two_windows_failure_costs_one)
{
    static const char *const opts[] = {"pull_window_ms", "3600000", NULL};
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-two-windows.json", opts);
    int64_t since = NOW - 5400000;
    struct oc_pull_request r = preq(since, NULL);
    ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_BUDGET);
    ck_assert_str_eq(names(&s), "w1a,w1b");
    struct hs_stream_state st;
    load_state(&s, "pull/email_events", &st);
    /* The first window is done and kept; the second is not started. */
    ck_assert_int_eq(st.cursor, since + HOUR);
    ck_assert(!st.in_window);
    ck_assert_uint_eq(st.seen.n, 1); /* w1a: within the lookback of the cursor */
    hs_stream_state_free(&st);

    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_str_eq(names(&s), "w1a,w1b,w2a");
    assert_cursor(&s, "pull/email_events", NOW);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(default_start_days_back)
{
    static const char *const opts[] = {"pull_start_days", "1", NULL};
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-default-start.json", opts);
    ck_assert_msg(hs_pull(s.in, NULL, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_str_eq(names(&s), "k1");
    sc_verify_stop(&s);
}
END_TEST

START_TEST(bad_requests_make_no_call)
{
    struct scenario s;
    sc_start_ok(&s, NULL, NULL);
    struct oc_pull_request r = preq(0, NULL);
    r.stream = "contacts_v9";
    ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_INVALID);
    ck_assert_ptr_nonnull(strstr(s.err.message, "contacts_v9"));
    ck_assert_ptr_nonnull(strstr(s.err.message, "email_events"));
    r = preq(0, "OPEN,CL1CK");
    ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_INVALID);
    ck_assert_ptr_nonnull(strstr(s.err.message, "CL1CK"));
    r = preq(0, " , ");
    ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_INVALID);
    ck_assert_uint_eq(fx_server_requests(s.srv), 0);
    sc_stop(&s);
}
END_TEST

/* An event repeating its keys: the identity checked is the identity
 * emitted (the first copy, as kit_json_get reads it), so the page does not
 * fail halfway (which used to leave d1 emitted but unrecorded, re-emitted
 * by the rerun), and the record carries each field once. */
START_TEST(duplicate_keys_read_one_way)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-duplicate-keys.json", NULL);
    struct oc_pull_request r = preq(NOW - HOUR, NULL);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_str_eq(names(&s), "d1,d2,d3,d4");
    struct kit_json j = {0};
    record_at(&s, 1, &j);
    assert_field(&j, "id", "d2-first");
    assert_field(&j, "created", "1795823900000");
    assert_field(&j, "type", "CLICK");
    assert_field(&j, "url", "https://news.example.org/first");
    kit_json_free(&j);
    static const char *const once[] = {"\"id\":", "\"created\":", "\"type\":", "\"url\":"};
    for(size_t i = 0; i < sizeof once / sizeof once[0]; i++) {
        const char *first = strstr(line.data, once[i]);
        ck_assert_msg(first && !strstr(first + 1, once[i]), "%s not once in %s", once[i], line.data);
    }
    assert_cursor(&s, "pull/email_events", NOW);
    sc_verify_stop(&s);
}
END_TEST

/* A 404 from the events endpoint means the endpoint is gone (HubSpot
 * sunsets APIs), not "found nothing": a configuration error, the state
 * left as it was. */
START_TEST(endpoint_404_is_config)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-endpoint-gone.json", NULL);
    struct oc_pull_request r = preq(NOW - HOUR, NULL);
    ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_CONFIG);
    ck_assert_int_eq(s.err.status, OC_E_CONFIG);
    ck_assert_ptr_nonnull(strstr(s.err.message, "pull email_events"));
    ck_assert_ptr_nonnull(strstr(s.err.message, "404"));
    ck_assert_ptr_nonnull(strstr(s.err.message, "no email events endpoint"));
    ck_assert_ptr_null(th_state(&s.th, "pull/email_events"));
    ck_assert_uint_eq(s.th.nrecords, 0);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(unreadable_state_refused)
{
    struct scenario s;
    sc_start_ok(&s, NULL, NULL);
    static const char junk[] = "{\"v\":1,\"cursor\":\"yesterday\"}";
    s.th.host.state_put(s.th.host.ctx, "pull/email_events", junk, strlen(junk));
    struct oc_pull_request r = preq(0, NULL);
    /* A rerun reads the same bytes: CONFIG (exit 2), never the
     * "rerun resumes" of a transient failure, and the message says how
     * to get out of it. */
    ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_CONFIG);
    ck_assert_ptr_nonnull(strstr(s.err.message, "\"pull/email_events\""));
    ck_assert_ptr_nonnull(strstr(s.err.message, "bad cursor"));
    ck_assert_ptr_nonnull(strstr(s.err.message, "delete the \"pull/email_events\" member"));
    ck_assert_ptr_nonnull(strstr(s.err.message, "--state"));
    ck_assert_ptr_nonnull(strstr(s.err.message, "rerun will not fix it"));
    ck_assert_uint_eq(fx_server_requests(s.srv), 0);
    sc_stop(&s);
}
END_TEST

/* ---- units ---- */

START_TEST(key_names)
{
    static const char *const cases[][2] = {
        {"emailCampaignId", "email_campaign_id"}, {"sentBy", "sent_by"},
        {"userAgent", "user_agent"},              {"hmid", "hmid"},
        {"HTTPServer", "http_server"},            {"ip4Address", "ip4_address"},
        {"drop-reason", "drop_reason"},           {"URL", "url"},
    };
    for(size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct kit_buf b = KIT_BUF_INIT;
        ck_assert_int_eq(hs_email_event_key(&b, cases[i][0], strlen(cases[i][0])), 0);
        ck_assert_str_eq(kit_buf_str(&b), cases[i][1]);
        kit_buf_free(&b);
    }
}
END_TEST

START_TEST(flatten_order_and_types)
{
    static const char ev[] =
        "{\"appId\":113,\"type\":\"CLICK\",\"created\":\"1700000000000\",\"id\":7,"
        "\"filteredEvent\":false,\"location\":{},\"sentBy\":{\"id\":\"s\",\"created\":1}}";
    struct kit_json j = {0};
    ck_assert_int_eq(kit_json_parse(&j, ev, strlen(ev), NULL, 0), 0);
    struct kit_buf id = KIT_BUF_INIT;
    int64_t created = 0;
    char why[100];
    ck_assert_int_eq(hs_email_event_identity(&j, 0, &id, &created, why, sizeof why), 0);
    ck_assert_str_eq(kit_buf_str(&id), "7");
    ck_assert_int_eq(created, INT64_C(1700000000000));
    struct hs_email_event e = HS_EMAIL_EVENT_INIT;
    ck_assert_int_eq(hs_email_event_flatten(&j, 0, &e), OC_OK);
    static const char *const keys[] = {"id", "created", "type", "app_id", "filtered_event",
                                       "sent_by_id", "sent_by_created"};
    static const int types[] = {OC_FIELD_STRING, OC_FIELD_NUMBER, OC_FIELD_STRING, OC_FIELD_NUMBER,
                                OC_FIELD_BOOL, OC_FIELD_STRING, OC_FIELD_NUMBER};
    ck_assert_uint_eq(e.n, 7);
    for(size_t i = 0; i < e.n; i++) {
        ck_assert_str_eq(e.fields[i].key, keys[i]);
        ck_assert_int_eq(e.fields[i].type, types[i]);
    }
    ck_assert_str_eq(e.fields[1].value, "1700000000000");
    ck_assert_str_eq(e.fields[4].value, "false");
    hs_email_event_free(&e);
    kit_buf_free(&id);
    kit_json_free(&j);

    static const char bad[] = "{\"id\":\"\",\"created\":1}";
    ck_assert_int_eq(kit_json_parse(&j, bad, strlen(bad), NULL, 0), 0);
    ck_assert_int_eq(hs_email_event_identity(&j, 0, &id, &created, why, sizeof why), -1);
    ck_assert_str_eq(why, "has no id");
    kit_buf_free(&id);
    kit_json_free(&j);
}
END_TEST

START_TEST(state_round_trip)
{
    struct hs_stream_state st;
    hs_stream_state_init(&st);
    st.cursor = 1000;
    char name[16];
    for(int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "id%d", i);
        ck_assert_int_eq(hs_event_set_add(&st.seen, name, 900 + i), 1);
    }
    ck_assert_int_eq(hs_event_set_add(&st.seen, "id5", 905), 0);
    hs_stream_begin(&st, 400, 2000);
    ck_assert_int_eq(hs_stream_mark(&st, "w1", 1500, 1400), 0);
    ck_assert_int_eq(hs_stream_mark(&st, "w2", 1200, 1400), 0);
    ck_assert_int_eq(hs_stream_mark(&st, "w3", 1200, 1400), 0);
    ck_assert_int_eq(hs_stream_page_done(&st, "next\"page"), 0);
    ck_assert_int_eq(hs_stream_mark(&st, "w4", 1100, 1400), 0);
    /* w4's page is not done: the low mark stays where that page began,
     * and w4 is remembered in page. */
    ck_assert_int_eq(st.low, 1200);
    ck_assert_uint_eq(st.page.n, 1);

    struct kit_buf b = KIT_BUF_INIT;
    ck_assert_int_eq(hs_stream_state_json(&st, &b), 0);
    struct hs_stream_state back;
    char why[100];
    ck_assert_msg(hs_stream_state_parse(&back, b.data, b.len, why, sizeof why) == 0, "%s", why);
    ck_assert_int_eq(back.cursor, 1000);
    ck_assert_uint_eq(back.seen.n, 101); /* 100 + w1 */
    ck_assert_int_eq(back.low, 1200);
    ck_assert(hs_stream_processed(&back, "w4", 1100)); /* in page */
    ck_assert(hs_stream_processed(&back, "w1", 1500));
    ck_assert(hs_stream_processed(&back, "w2", 1200)); /* at low, in at_low */
    /* Newer than low when a page arrives: processed by this query already,
     * wherever a moving offset puts it again. */
    ck_assert(!hs_stream_processed(&back, "w0", 1300));
    hs_stream_page_begin(&back);
    ck_assert(hs_stream_processed(&back, "w0", 1300));
    ck_assert(!hs_stream_processed(&back, "w5", 1200)); /* at low but not in at_low */
    ck_assert(!hs_stream_processed(&back, "w6", 1199)); /* older than low, not in page */
    ck_assert_int_eq(back.seen_from, 1201); /* w2 and w3 (1200) were not kept in seen */
    ck_assert_str_eq(back.offset, "next\"page");

    ck_assert_int_eq(hs_stream_restart(&back), 0); /* folds the page: low 1100 */
    ck_assert_int_eq(back.low, 1100);
    ck_assert_uint_eq(back.page.n, 0);
    ck_assert_int_eq(back.query_end, 1100);
    ck_assert_ptr_null(back.offset);
    ck_assert(hs_stream_processed(&back, "w4", 1100)); /* still skipped: at low */
    ck_assert_int_eq(hs_stream_finish(&back, 600), 0);
    ck_assert_int_eq(back.cursor, 2000);
    ck_assert_int_eq(back.seen_from, 1400);
    ck_assert_uint_eq(back.seen.n, 1); /* created >= 1400: w1 only */
    ck_assert(hs_event_set_has(&back.seen, "w1", 1500));
    hs_stream_state_free(&back);
    hs_stream_state_free(&st);
    kit_buf_free(&b);

    static const char *const bad[] = {"[]", "{\"v\":2}", "{\"v\":1,\"seen\":[[\"a\"]]}",
                                      "{\"v\":1,\"window\":{\"start\":5,\"end\":1}}", "{"};
    for(size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_int_eq(hs_stream_state_parse(&back, bad[i], strlen(bad[i]), why, sizeof why), -1);
}
END_TEST

/* A page whose text spells the token only through JSON escapes: one with
 * a \u escape for its first letter, one with an escaped '/' inside a
 * token-shaped value. The decoded values hold the token, so they must
 * reach the host masked even though the page as received has no "pat-"
 * in it. Called from server threads: reads nothing shared. */
static int escaped_token_page(void *ctx, const struct fx_request *req, struct fx_response *resp)
{
    (void)ctx;
    if(strcmp(req->path, "/email/public/v1/events"))
        return -1;
    resp->status = 200;
    kit_buf_puts(&resp->headers, "Content-Type: application/json\r\n");
    kit_buf_printf(&resp->body,
                  "{\"events\":[{\"id\":\"esc-1\",\"created\":%" PRId64 ",\"type\":\"OPEN\","
                  "\"recipient\":\"esc1@example.com\",\"note\":\"token \\u0070at-na1-"
                  "00000000-0000-4000-8000-000000000000\"},"
                  "{\"id\":\"esc-2\",\"created\":%" PRId64 ",\"type\":\"OPEN\","
                  "\"recipient\":\"esc2@example.com\",\"p\\u0061t-na1-00000000-0000-4000-8000-"
                  "000000000000\":\"in a key\"}],\"hasMore\":false}",
                  NOW - 2000, NOW - 3000);
    return kit_buf_ok(&resp->body) ? 0 : -1;
}

START_TEST(escaped_token_masked)
{
    struct fx_options fo = {0};
    fo.dynamic = escaped_token_page;
    struct scenario s;
    ck_assert_msg(sc_start_with(&s, NULL, NULL, &fo) == 0, "sc_start: %s", s.err.message);
    struct oc_pull_request r = preq(NOW - HOUR, NULL);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_str_eq(names(&s), "esc1,esc2");
    const char *out = kit_buf_str(&s.th.records);
    ck_assert_msg(!strstr(out, "00000000-0000-4000-8000-000000000000"), "token reached the host: %s", out);
    sc_stop(&s);
}
END_TEST

/* The seen set's JSON is kept between saves while the set is unchanged:
 * every change (add, prune, clear) shows in the next serialization. */
START_TEST(saved_seen_follows_changes)
{
    struct hs_stream_state st;
    hs_stream_state_init(&st);
    struct kit_buf b = KIT_BUF_INIT;
    ck_assert_int_eq(hs_event_set_add(&st.seen, "s1", 100), 1);
    ck_assert_int_eq(hs_stream_state_json(&st, &b), 0);
    ck_assert_str_eq(kit_buf_str(&b), "{\"v\":1,\"seen\":[[\"s1\",100]]}");
    kit_buf_reset(&b);
    ck_assert_int_eq(hs_stream_state_json(&st, &b), 0);
    ck_assert_str_eq(kit_buf_str(&b), "{\"v\":1,\"seen\":[[\"s1\",100]]}");
    ck_assert_int_eq(hs_event_set_add(&st.seen, "s2", 200), 1);
    kit_buf_reset(&b);
    ck_assert_int_eq(hs_stream_state_json(&st, &b), 0);
    ck_assert_ptr_nonnull(strstr(kit_buf_str(&b), "[\"s2\",200]"));
    ck_assert_int_eq(hs_stream_forget_before(&st, 150), 0);
    kit_buf_reset(&b);
    ck_assert_int_eq(hs_stream_state_json(&st, &b), 0);
    ck_assert_str_eq(kit_buf_str(&b), "{\"v\":1,\"seen_from\":150,\"seen\":[[\"s2\",200]]}");
    hs_event_set_clear(&st.seen);
    kit_buf_reset(&b);
    ck_assert_int_eq(hs_stream_state_json(&st, &b), 0);
    ck_assert_str_eq(kit_buf_str(&b), "{\"v\":1,\"seen_from\":150,\"seen\":[]}");
    kit_buf_free(&b);
    hs_stream_state_free(&st);
}
END_TEST

extern Suite *make_pull_suite(void);

Suite *make_pull_suite(void)
{
    Suite *s = suite_create("pull");
    TCase *tc = tcase_create("cassettes");
    tcase_set_timeout(tc, 20);
    tcase_add_checked_fixture(tc, NULL, free_line);
    tcase_add_test(tc, first_run_three_pages);
    tcase_add_test(tc, second_run_new_and_late);
    tcase_add_test(tc, interrupted_by_host_then_resumed);
    tcase_add_test(tc, daily_limit_then_resumed);
    tcase_add_test(tc, expired_offset_restarts_window);
    tcase_add_test(tc, empty_poll_one_call);
    tcase_add_test(tc, unknown_types_kept);
    tcase_add_test(tc, malformed_pages);
    tcase_add_test(tc, types_each_own_cursor);
    tcase_add_test(tc, two_windows_failure_costs_one);
    tcase_add_test(tc, default_start_days_back);
    tcase_add_test(tc, bad_requests_make_no_call);
    tcase_add_test(tc, unreadable_state_refused);
    tcase_add_test(tc, duplicate_keys_read_one_way);
    tcase_add_test(tc, endpoint_404_is_config);
    tcase_add_test(tc, escaped_token_masked);
    suite_add_tcase(s, tc);
    TCase *units = tcase_create("units");
    tcase_add_test(units, key_names);
    tcase_add_test(units, flatten_order_and_types);
    tcase_add_test(units, state_round_trip);
    tcase_add_test(units, saved_seen_follows_changes);
    suite_add_tcase(s, units);
    return s;
}
