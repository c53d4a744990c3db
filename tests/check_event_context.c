/*
 * check_event_context.c - email events with their email's name and
 * subject (option event_context): off by default and then no call; on, a
 * campaign is resolved once from the marketing emails listing (one page
 * serving several campaigns, an A/B test's shared campaign going to the
 * email whose primary it is) and later runs read it from the host's state
 * without a call; a campaign no email names (its email was deleted) is
 * emitted without context, warned once and remembered for a day, then
 * asked about once more; a listing HubSpot refuses never fails the pull;
 * a 1.0 host gets the same text fields as a 1.1 host.
 *
 * Cassettes: fixtures/hubspot/mkt-context-*.json (gen/mkt_gen.py).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures/replay.h"
#include "hubspot/event_context.h"
#include "hubspot/instance.h"
#include "plugin/http.h"
#include "plugin/json.h"
#include "plugin/usage.h"
#include "tests/support/scenario_check.h"

#define NOW INT64_C(1795824000000) /* recorded_at 2026-11-28T00:00:00Z */
#define MIN INT64_C(60000)
#define DAY INT64_C(86400000)

static const char *const on[] = {"event_context", "1", "pull_window_ms", "2678400000", NULL};

/* Record i (0-based) as a line. */
static const char *record(struct scenario *s, size_t i)
{
    static char line[8192];
    const char *p = kit_buf_str(&s->th.records);
    for(; i && p; i--)
        if((p = strchr(p, '\n')))
            p++;
    ck_assert_msg(p && *p, "no record %zu in: %s", i, kit_buf_str(&s->th.records));
    size_t len = strcspn(p, "\n");
    ck_assert_uint_lt(len, sizeof line);
    memcpy(line, p, len);
    line[len] = '\0';
    return line;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for(const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static struct oc_pull_request events(int64_t since)
{
    struct oc_pull_request r = {sizeof r, NULL, since, NULL};
    return r;
}

/* A new process sharing the state file: the in-memory cache is gone. */
static void forget_memory(struct scenario *s)
{
    struct hs_slot *sl = &s->in->slot[HS_SLOT_EVENT_CONTEXT];
    ck_assert_ptr_nonnull(sl->state);
    sl->release(sl->state);
    sl->state = NULL;
    sl->release = NULL;
}

#define GAZETTE "\"email_name\":\"Gazette weekly 47\",\"email_subject\":\"This week: the harbour\""
#define GAZETTE_B "\"email_name\":\"Gazette weekly 47 (B)\",\"email_subject\":\"This week, in short\""
#define WARN_777 "email campaign 777 is not named by any of HubSpot's marketing emails"

START_TEST(off_by_default_no_call)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/mkt-context-off.json", NULL);
    struct oc_pull_request r = events(NOW - 60 * MIN);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_uint_eq(s.th.nrecords, 5);
    ASSERT_LACKS(kit_buf_str(&s.th.records), "email_name");
    ASSERT_LACKS(kit_buf_str(&s.th.logs), "event_context");
    ck_assert_ptr_null(th_state(&s.th, HS_EVENT_CONTEXT_KEY));
    sc_verify_stop(&s);
}
END_TEST

START_TEST(once_per_campaign_across_runs)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/mkt-context-runs.json", on);
    struct oc_pull_request r = events(NOW - 60 * MIN);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_uint_eq(s.th.nrecords, 5);
    /* 900 is E1's primary; 901 is named by E1 too, but is E2's primary. */
    ASSERT_HAS(record(&s, 0), "\"email_campaign_id\":900");
    ASSERT_HAS(record(&s, 0), GAZETTE);
    ASSERT_HAS(record(&s, 1), "\"email_campaign_id\":901");
    ASSERT_HAS(record(&s, 1), GAZETTE_B);
    for(size_t i = 2; i < 5; i++)
        ASSERT_LACKS(record(&s, i), "email_name");
    ck_assert_int_eq(count(kit_buf_str(&s.th.logs), WARN_777), 1);
    ASSERT_HAS(kit_buf_str(&s.th.logs), "WARN");
    const char *cache = th_state(&s.th, HS_EVENT_CONTEXT_KEY);
    ck_assert_ptr_nonnull(cache);
    ASSERT_HAS(cache, "[\"900\",\"Gazette weekly 47\",\"This week: the harbour\"]");
    ASSERT_HAS(cache, "[\"777\",1795910400000]"); /* a day after it was asked about */
    /* The listing's calls are counted like any other (stored exactly at
     * the operation's end, as the plugin's entry points do). */
    kit_http_settle(s.in->http);
    ASSERT_HAS(th_state(&s.th, KIT_USAGE_KEY), "marketing.emails");

    /* Another process, twenty minutes later: from the state, no call. */
    forget_memory(&s);
    th_advance(&s.th, 20 * MIN);
    th_forget_records(&s.th);
    r = events(0);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_uint_eq(s.th.nrecords, 2);
    ASSERT_HAS(record(&s, 0), GAZETTE);
    ASSERT_LACKS(record(&s, 1), "email_name");
    ck_assert_int_eq(count(kit_buf_str(&s.th.logs), WARN_777), 1);

    /* A day later 777 is asked about once more, and said once more. */
    forget_memory(&s);
    th_advance(&s.th, DAY + MIN);
    th_forget_records(&s.th);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_uint_eq(s.th.nrecords, 1);
    ASSERT_LACKS(record(&s, 0), "email_name");
    ck_assert_int_eq(count(kit_buf_str(&s.th.logs), WARN_777), 2);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(refused_listing_never_fails_the_pull)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/mkt-context-refused.json", on);
    struct oc_pull_request r = events(NOW - 60 * MIN);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_uint_eq(s.th.nrecords, 5);
    ASSERT_LACKS(kit_buf_str(&s.th.records), "email_name");
    const char *logs = kit_buf_str(&s.th.logs);
    ck_assert_int_eq(count(logs, "reading HubSpot's marketing emails failed"), 1);
    ASSERT_HAS(logs, "403");
    ASSERT_LACKS(logs, WARN_777); /* not known to be unresolvable: asked again later */
    sc_verify_stop(&s);
}
END_TEST

/* The same first run for a host of each ABI. */
static void first_run_for(uint32_t abi, char *out, size_t outsize)
{
    struct scenario s;
    memset(&s, 0, sizeof s);
    s.err.struct_size = sizeof s.err;
    char why[512] = "";
    ck_assert_msg(fx_server_start("fixtures/hubspot/mkt-context-one.json", NULL, &s.srv, why,
                                  sizeof why) == 0,
                  "%s", why);
    th_init(&s.th, fx_server_recorded_at(s.srv));
    th_present_abi(&s.th, abi);
    const struct oc_option o[] = {{"access_token", FX_PLACEHOLDER_TOKEN},
                                  {"base_url", fx_server_url(s.srv)},
                                  {"event_context", "1"}};
    ck_assert_msg(hs_instance_new(&s.th.host, o, 3, &s.in, &s.err) == OC_OK, "%s", s.err.message);
    struct oc_pull_request r = events(NOW - 60 * MIN);
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_uint_eq(s.th.nrecords, 5);
    snprintf(out, outsize, "%s", record(&s, 0));
    ASSERT_HAS(record(&s, 1), GAZETTE_B);
    sc_verify_stop(&s);
}

START_TEST(same_fields_for_abi_1_0_and_1_1)
{
    char old[8192], cur[8192];
    first_run_for(OC_ABI_VERSION_1_0, old, sizeof old);
    first_run_for(OC_ABI_VERSION_1_1, cur, sizeof cur);
    ASSERT_HAS(old, GAZETTE);
    ck_assert_str_eq(old, cur);
}
END_TEST

extern Suite *make_event_context_suite(void);

Suite *make_event_context_suite(void)
{
    Suite *su = suite_create("event_context");
    TCase *tc = tcase_create("enrichment");
    tcase_add_test(tc, off_by_default_no_call);
    tcase_add_test(tc, once_per_campaign_across_runs);
    tcase_add_test(tc, refused_listing_never_fails_the_pull);
    tcase_add_test(tc, same_fields_for_abi_1_0_and_1_1);
    suite_add_tcase(su, tc);
    return su;
}
