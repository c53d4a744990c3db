/*
 * check_marketing_emails.c - the marketing_emails stream against cassettes
 * in HubSpot's documented shapes: the first run over two pages (keyset
 * paging on updatedAt), the record's fields, a second run whose lookback
 * emits nothing twice while an email updated again is emitted again and a
 * deleted email is simply not seen, a host refusing a record and the
 * rerun emitting exactly the rest, a page of emails sharing one updatedAt
 * followed by its cursor, and bad requests.
 *
 * Cassettes: fixtures/hubspot/mkt-emails-*.json (gen/mkt_gen.py); email
 * ids 61000N and 62000N, each update read as "id@minutes from recorded_at".
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/pull_marketing_emails.h"
#include "hubspot/pull_state.h"
#include "plugin/json.h"
#include "tests/support/records_check.h"
#include "tests/support/scenario_check.h"

#define NOW INT64_C(1795824000000) /* recorded_at 2026-11-28T00:00:00Z */
#define MIN INT64_C(60000)
#define KEY "pull/marketing_emails"

static struct oc_pull_request mreq(int64_t since)
{
    struct oc_pull_request r = {sizeof r, "marketing_emails", since, NULL};
    return r;
}

/* "id@m": m, the minutes of updated from recorded_at. */
static void update_text(const struct kit_json *j, char *one, size_t size)
{
    char *id = kit_json_strdup(j, kit_json_get(j, 0, "id"));
    int64_t updated;
    ck_assert_ptr_nonnull(id);
    ck_assert_int_eq(kit_json_int64(j, kit_json_get(j, 0, "updated"), &updated), 0);
    snprintf(one, size, "%s@%" PRId64, id, (updated - NOW) / MIN);
    free(id);
}

/* "id@m" for each record from index from on, comma-joined; every record
 * must be a marketing_email. */
static const char *updates_from(struct scenario *s, size_t from)
{
    return rc_joined(&s->th, from, "marketing_email", update_text);
}

static void load(struct scenario *s, struct hs_stream_state *st)
{
    const char *v = th_state(&s->th, KEY);
    ck_assert_msg(v != NULL, "no state under %s", KEY);
    char why[160];
    ck_assert_msg(hs_stream_state_parse(st, v, strlen(v), why, sizeof why) == 0, "%s: %s", v, why);
    ck_assert(!st->in_window);
}

/* The first record's fields, in HubSpot's documented shape flattened. */
static void check_first_record(struct scenario *s)
{
    const char *r = kit_buf_str(&s->th.records);
    const char *nl = strchr(r, '\n');
    ck_assert_ptr_nonnull(nl);
    char line[4096];
    size_t len = (size_t)(nl - r);
    ck_assert_uint_lt(len, sizeof line);
    memcpy(line, r, len);
    line[len] = '\0';
    ck_assert_msg(strncmp(line,
                          "{\"kind\":\"marketing_email\",\"id\":\"610001\",\"name\":\"Gazette weekly "
                          "47\",\"subject\":\"This week: the harbour\",\"state\":\"PUBLISHED\","
                          "\"type\":\"BATCH_EMAIL\",\"publish_date\":\"2026-11-26T00:00:00.000Z\","
                          "\"primary_email_campaign_id\":\"900\",\"all_email_campaign_ids\":"
                          "[\"900\",\"901\"],\"updated\":1795821000000,\"updated_at\":"
                          "\"2026-11-27T23:10:00.000Z\",\"created\":1795392000000,\"created_at\":"
                          "\"2026-11-23T00:00:00.000Z\",",
                          strlen("{\"kind\":\"marketing_email\",\"id\":\"610001\",\"name\":\"Gazette "
                                 "weekly 47\",\"subject\":\"This week: the harbour\",\"state\":"
                                 "\"PUBLISHED\",\"type\":\"BATCH_EMAIL\",\"publish_date\":"
                                 "\"2026-11-26T00:00:00.000Z\",\"primary_email_campaign_id\":"
                                 "\"900\",\"all_email_campaign_ids\":[\"900\",\"901\"],\"updated\":"
                                 "1795821000000,\"updated_at\":\"2026-11-27T23:10:00.000Z\","
                                 "\"created\":1795392000000,\"created_at\":"
                                 "\"2026-11-23T00:00:00.000Z\",")) == 0,
                  "first record: %s", line);
    /* The rest flattened as email events are; the body left out. */
    ASSERT_HAS(line, "\"from_from_name\":\"The Gazette\"");
    ASSERT_HAS(line, "\"to_contact_ils_lists_include\":[\"101\"]");
    ASSERT_HAS(line, "\"is_ab\":false");
    ASSERT_HAS(line, "\"folder_id_v2\":7");
    ASSERT_LACKS(line, "content");
    ASSERT_LACKS(line, "hs_email_body");
    ASSERT_LACKS(line, "updatedAt");
}

START_TEST(first_run_then_lookback_and_update)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/mkt-emails-runs.json", NULL);
    struct oc_pull_request r = mreq(NOW - 60 * MIN);
    ck_assert_msg(hs_pull_marketing_emails_paged(s.in, &r, 2, &s.err) == OC_OK, "%s",
                  s.err.message);
    ck_assert_str_eq(updates_from(&s, 0), "610001@-50,610002@-40,610003@-8");
    check_first_record(&s);
    struct hs_stream_state st;
    load(&s, &st);
    ck_assert_int_eq(st.cursor, NOW);
    ck_assert(hs_event_set_has(&st.seen, "610003", NOW - 8 * MIN));
    hs_stream_state_free(&st);

    /* Ten minutes later, through hs_pull's dispatch: the lookback brings
     * 610003 again (skipped) and the late 610004; 610002 updated again is
     * emitted again; 610001 was deleted and is simply not there. */
    th_advance(&s.th, 10 * MIN);
    size_t before = s.th.nrecords;
    struct oc_pull_request again = mreq(0);
    ck_assert_msg(hs_pull(s.in, &again, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_str_eq(updates_from(&s, before), "610004@-5,610002@5");
    /* Across both runs every (id, update) exactly once. */
    ck_assert_str_eq(updates_from(&s, 0),
                     "610001@-50,610002@-40,610003@-8,610004@-5,610002@5");
    load(&s, &st);
    ck_assert_int_eq(st.cursor, NOW + 10 * MIN);
    ck_assert(hs_event_set_has(&st.seen, "610002", NOW + 5 * MIN));
    ck_assert(!hs_event_set_has(&st.seen, "610001", NOW - 50 * MIN));
    hs_stream_state_free(&st);
    sc_verify_stop(&s);
}
END_TEST

/* The host takes 610001 and refuses 610002: the state covers exactly what
 * was taken, and the rerun emits the rest, none twice. */
START_TEST(refused_emit_then_resumed)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/mkt-emails-interrupted.json", NULL);
    struct oc_pull_request r = mreq(NOW - 60 * MIN);
    s.th.refuse_after = 1;
    ck_assert_int_eq(hs_pull_marketing_emails_paged(s.in, &r, 2, &s.err), OC_E_CANCELLED);
    ASSERT_HAS(s.err.message, "did not take email 610002");
    ASSERT_HAS(s.err.message, "state saved");
    ck_assert_str_eq(updates_from(&s, 0), "610001@-50");
    struct hs_stream_state st;
    load(&s, &st);
    ck_assert_int_eq(st.cursor, NOW - 60 * MIN);
    ck_assert(hs_event_set_has(&st.seen, "610001", NOW - 50 * MIN));
    ck_assert(!hs_event_set_has(&st.seen, "610002", NOW - 40 * MIN));
    hs_stream_state_free(&st);

    s.th.refuse_after = 0;
    ck_assert_msg(hs_pull_marketing_emails_paged(s.in, &r, 2, &s.err) == OC_OK, "%s",
                  s.err.message);
    ck_assert_str_eq(updates_from(&s, 0), "610001@-50,610002@-40,610003@-8");
    load(&s, &st);
    ck_assert_int_eq(st.cursor, NOW);
    hs_stream_state_free(&st);
    sc_verify_stop(&s);
}
END_TEST

/* A page whose emails share one updatedAt cannot move the anchor: the
 * query goes on by its after cursor, then re-anchors past the tie. */
START_TEST(tie_page_followed_by_cursor)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/mkt-emails-ties.json", NULL);
    struct oc_pull_request r = mreq(NOW - 60 * MIN);
    ck_assert_msg(hs_pull_marketing_emails_paged(s.in, &r, 2, &s.err) == OC_OK, "%s",
                  s.err.message);
    ck_assert_str_eq(updates_from(&s, 0), "620001@-30,620002@-30,620003@-30,620004@-29");
    /* Every page read into one body buffer and one token array. */
    const char *logs = kit_buf_str(&s.th.logs);
    ck_assert_msg(strstr(logs, "4 emails emitted in 4 calls; pages read into one ") &&
                      strstr(logs, " KiB buffer, allocated 1 time; their token arrays allocated 1 time"),
                  "%s", logs);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(bad_requests_make_no_call)
{
    struct scenario s;
    sc_start_ok(&s, NULL, NULL);
    struct oc_pull_request r = mreq(0);
    r.types = "OPEN";
    ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_INVALID);
    ASSERT_HAS(s.err.message, "does not apply to the marketing_emails stream");
    r = mreq(0);
    ck_assert_int_eq(hs_pull_marketing_emails_paged(s.in, &r, 0, &s.err), OC_E_INVALID);
    ck_assert_int_eq(
        hs_pull_marketing_emails_paged(s.in, &r, HS_MKT_EMAILS_PAGE_MAX + 1, &s.err),
        OC_E_INVALID);
    r.stream = "marketing_email";
    ck_assert_int_eq(hs_pull(s.in, &r, &s.err), OC_E_INVALID);
    ASSERT_HAS(s.err.message, "email_events, contacts, marketing_emails");
    sc_stop(&s);
}
END_TEST

extern Suite *make_marketing_emails_suite(void);

Suite *make_marketing_emails_suite(void)
{
    Suite *su = suite_create("marketing_emails");
    TCase *tc = tcase_create("stream");
    tcase_add_test(tc, first_run_then_lookback_and_update);
    tcase_add_test(tc, refused_emit_then_resumed);
    tcase_add_test(tc, tie_page_followed_by_cursor);
    tcase_add_test(tc, bad_requests_make_no_call);
    suite_add_tcase(su, tc);
    return su;
}
