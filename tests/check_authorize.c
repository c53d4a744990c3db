/* check_authorize.c - the "authorize" suite: token shape, token-info and
 * account-info against cassettes, the scope table, and that the token shows
 * up nowhere. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "hubspot/scopes.h"
#include "tests/support/scenario_check.h"

#define CASS(name) "fixtures/hubspot/authorize-" name ".json"

static const char *records(const struct scenario *s) { return kit_buf_str(&s->th.records); }

START_TEST(test_ok)
{
    struct scenario s;
    sc_start_ok(&s, CASS("ok"), NULL);
    ck_assert_int_eq(hs_authorize(s.in, &s.err), OC_OK);
    ck_assert_str_eq(s.err.message, "");
    ck_assert_uint_eq(s.th.nrecords, 1);
    const char *r = records(&s);
    ASSERT_HAS(r, "\"kind\":\"authorization\"");
    ASSERT_HAS(r, "\"portal_id\":12345678,\"hub_id\":12345678,\"app_id\":3456789");
    ASSERT_HAS(r, "\"time_zone\":\"US/Eastern\"");
    ASSERT_HAS(r, "\"data_hosting_location\":\"na1\"");
    ASSERT_HAS(r, "\"account_type\":\"STANDARD\"");
    ASSERT_HAS(r, "\"ui_domain\":\"app.hubspot.com\"");
    ASSERT_HAS(r, "\"scopes_granted\":\"crm.objects.contacts.read,crm.objects.contacts.write,"
                  "crm.lists.read,crm.lists.write,content,oauth,crm.objects.companies.read\"");
    ASSERT_HAS(r, "\"scopes_missing\":\"\"");
    ASSERT_HAS(r, "\"blocked\":\"\"");
    ASSERT_HAS(r, "\"status\":\"ok\"");
    ck_assert_uint_eq(fx_server_requests(s.srv), 2);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_missing_scopes)
{
    struct scenario s;
    sc_start_ok(&s, CASS("missing-scopes"), NULL);
    ck_assert_int_eq(hs_authorize(s.in, &s.err), OC_E_AUTH);
    const char *m = s.err.message;
    ASSERT_HAS(m, "lacks 2 scopes");
    ASSERT_HAS(m, "crm.lists.write: push cannot add contacts to lists");
    ASSERT_HAS(m, "content: pull cannot read email events");
    ASSERT_LACKS(m, "crm.lists.read");
    ASSERT_LACKS(m, "crm.objects.contacts");
    /* The record still comes, so a host can show everything in one place. */
    ck_assert_uint_eq(s.th.nrecords, 1);
    const char *r = records(&s);
    ASSERT_HAS(r, "\"scopes_missing\":\"crm.lists.write,content\"");
    ASSERT_HAS(r, "\"blocked\":\"crm.lists.write: push cannot add contacts to lists; content: "
                  "pull cannot read email events\"");
    ASSERT_HAS(r, "\"status\":\"missing_scopes\"");
    ASSERT_HAS(r, "\"portal_id\":12345678");
    /* Nothing serves the marketing_emails stream either: named with what
     * would. */
    ASSERT_HAS(m, "Blocked as well: marketing_emails: needs one of marketing.email.read, "
                  "marketing.email.write or content (pull --stream marketing_emails and the "
                  "event_context option cannot read marketing emails)");
    ASSERT_HAS(r, "\"streams_blocked\":\"marketing_emails: needs one of");
    sc_verify_stop(&s);
}
END_TEST

/* content is missing (email events blocked) but marketing.email.read
 * serves the marketing_emails stream: only email events are named. */
START_TEST(test_marketing_email_scope_serves_stream)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/mkt-authorize-email-scope.json", NULL);
    ck_assert_int_eq(hs_authorize(s.in, &s.err), OC_E_AUTH);
    ASSERT_HAS(s.err.message, "lacks 1 scope the plugin needs: content: pull cannot read email "
                              "events");
    ASSERT_LACKS(s.err.message, "marketing_emails");
    ASSERT_LACKS(records(&s), "streams_blocked");
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_lists_alternative)
{
    struct scenario s;
    sc_start_ok(&s, CASS("lists-alternative"), NULL);
    ck_assert_int_eq(hs_authorize(s.in, &s.err), OC_OK);
    ASSERT_HAS(records(&s), "\"scopes_missing\":\"\"");
    ASSERT_HAS(records(&s), "\"status\":\"ok\"");
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_invalid_401)
{
    struct scenario s;
    sc_start_ok(&s, CASS("invalid-401"), NULL);
    ck_assert_int_eq(hs_authorize(s.in, &s.err), OC_E_AUTH);
    ASSERT_HAS(s.err.message, "invalid or expired");
    ASSERT_HAS(s.err.message, "HUBSPOT_ACCESS_TOKEN");
    ck_assert_int_eq(s.err.http_status, 401);
    ck_assert_str_eq(s.err.correlation_id, "4c7e2b1a-0000-4000-a000-000000000401");
    ck_assert_str_eq(s.err.category, "INVALID_AUTHENTICATION");
    ck_assert_uint_eq(s.th.nrecords, 0);
    /* 401 is final: no retry, and no account-info call after it. */
    ck_assert_uint_eq(fx_server_requests(s.srv), 1);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_malformed_530)
{
    struct scenario s;
    sc_start_ok(&s, CASS("malformed-530"), NULL);
    ck_assert_int_eq(hs_authorize(s.in, &s.err), OC_E_AUTH);
    ASSERT_HAS(s.err.message, "malformed");
    ASSERT_LACKS(s.err.message, "expired");
    ck_assert_int_eq(s.err.http_status, 530);
    ck_assert_uint_eq(s.th.nrecords, 0);
    ck_assert_uint_eq(fx_server_requests(s.srv), 1);
    sc_verify_stop(&s);
}
END_TEST

static const char *const bad_tokens[] = {
    "not-a-token",
    "pat-na1-1234",
    "pat-na1-00000000-0000-4000-8000-00000000000",   /* one hex digit short */
    "pat-na1-00000000-0000-4000-8000-0000000000000", /* one too many */
    "pat--00000000-0000-4000-8000-000000000000",      /* no hublet */
    "pat-na-00000000-0000-4000-8000-000000000000",    /* hublet without digits */
    "pat-1-00000000-0000-4000-8000-000000000000",     /* hublet without letters */
    "pat-na1-0000000g-0000-4000-8000-000000000000",   /* not hex */
    "pat-na1-000000000-000-4000-8000-000000000000",   /* groups misplaced */
    "Bearer pat-na1-00000000-0000-4000-8000-000000000000",
    "pat-na1-00000000-0000-4000-8000-000000000000 ",
    "PAT-NA1-00000000-0000-4000-8000-000000000000",
};

START_TEST(test_bad_shape)
{
    struct scenario s;
    const char *tok = bad_tokens[_i];
    const char *opts[] = {"access_token", tok, NULL};
    sc_start_ok(&s, CASS("bad-shape"), opts);
    ck_assert_int_eq(hs_authorize(s.in, &s.err), OC_E_AUTH);
    ASSERT_HAS(s.err.message, "does not look like a HubSpot private app or service key token "
                              "(pat-<region>-<uuid>)");
    ck_assert_msg(strstr(s.err.message, tok) == NULL, "token echoed: %s", s.err.message);
    ASSERT_LACKS(s.err.message, "0000-4000");
    ck_assert_uint_eq(s.th.nrecords, 0);
    ck_assert_uint_eq(fx_server_requests(s.srv), 0);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_good_shapes_accepted)
{
    /* Other hublets and upper-case hex pass the local check and reach
     * HubSpot; the replay server then refuses them (wrong token), which
     * proves a call was attempted. */
    static const char *const good[] = {
        "pat-eu1-" "0123abcd-4567-89ef-ABCD-0123456789ab",
        "pat-na2-" "00000000-0000-4000-8000-000000000000",
        "pat-ap12-" "00000000-0000-4000-8000-000000000000",
    };
    for(size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct scenario s;
        const char *opts[] = {"access_token", good[i], "max_retries", "0", NULL};
        sc_start_ok(&s, CASS("bad-shape"), opts);
        ck_assert_int_ne(hs_authorize(s.in, &s.err), OC_OK);
        ASSERT_LACKS(s.err.message, "does not look like");
        ck_assert_uint_ge(fx_server_requests(s.srv), 1);
        ck_assert_msg(strstr(s.err.message, good[i]) == NULL, "token echoed: %s", s.err.message);
        sc_stop(&s);
    }
}
END_TEST

START_TEST(test_service_key_unverified)
{
    struct scenario s;
    sc_start_ok(&s, CASS("service-key"), NULL);
    ck_assert_int_eq(hs_authorize(s.in, &s.err), OC_OK);
    ck_assert_uint_eq(s.th.nrecords, 1);
    const char *r = records(&s);
    ASSERT_HAS(r, "\"status\":\"scopes_unverified\"");
    ASSERT_HAS(r, "\"portal_id\":12345678");
    ASSERT_HAS(r, "\"time_zone\":\"US/Eastern\"");
    ASSERT_HAS(r, "\"note\":\"HubSpot did not report this token's scopes");
    /* Unknown is not the same as none missing. */
    ASSERT_LACKS(r, "scopes_missing");
    ASSERT_LACKS(r, "hub_id");
    ASSERT_HAS(kit_buf_str(&s.th.logs), "WARN authorize: HubSpot's token-info endpoint answered 404");
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_scope_table)
{
    struct kit_buf missing = KIT_BUF_INIT, blocked = KIT_BUF_INIT;
    const char *all[] = {"content", "crm.lists.write", "crm.lists.read",
                         "crm.objects.contacts.write", "crm.objects.contacts.read"};
    ck_assert_int_eq(hs_scopes_missing(HS_SCOPES, all, 5, &missing, &blocked), 0);
    ck_assert_str_eq(kit_buf_str(&missing), "");

    ck_assert_int_eq(hs_scopes_missing(HS_SCOPES, NULL, 0, &missing, &blocked), 5);
    ck_assert_str_eq(kit_buf_str(&missing), HS_SCOPES);
    ASSERT_HAS(kit_buf_str(&blocked), "crm.objects.contacts.read: lookup cannot read contacts; ");
    ASSERT_HAS(kit_buf_str(&blocked), "crm.objects.contacts.write: push cannot create or update");
    ASSERT_HAS(kit_buf_str(&blocked), "crm.lists.read: push cannot");

    /* The access-groups alternative stands in for crm.lists.write only
     * together with crm.lists.read. */
    kit_buf_reset(&missing);
    kit_buf_reset(&blocked);
    const char *alt_only[] = {"content", "cms.membership.access_groups.write",
                              "crm.objects.contacts.write", "crm.objects.contacts.read"};
    ck_assert_int_eq(hs_scopes_missing(HS_SCOPES, alt_only, 4, &missing, &blocked), 2);
    ck_assert_str_eq(kit_buf_str(&missing), "crm.lists.read,crm.lists.write");

    /* Scope names are exact: no prefix or case games. */
    kit_buf_reset(&missing);
    kit_buf_reset(&blocked);
    const char *near[] = {"crm.lists.writer", "CONTENT", "crm.lists"};
    ck_assert_int_eq(hs_scopes_missing("crm.lists.write, content", near, 3, &missing, &blocked), 2);
    ck_assert_str_eq(kit_buf_str(&missing), "crm.lists.write,content");

    ck_assert_str_eq(hs_scope_blocks("crm.lists.write"), "push cannot add contacts to lists");
    ck_assert_str_eq(hs_scope_blocks("something.else"), "the plugin manifest requires it");
    /* The marketing_emails stream: any one of three scopes serves it. */
    struct kit_buf streams = KIT_BUF_INIT, why = KIT_BUF_INIT;
    static const char *const lists_only[] = {"crm.lists.read", "crm.lists.write"};
    ck_assert_int_eq(hs_scopes_streams_blocked(lists_only, 2, &streams, &why), 1);
    ck_assert_str_eq(kit_buf_str(&streams), "marketing_emails");
    static const char *const each[] = {"marketing.email.read", "marketing.email.write", "content"};
    for(size_t i = 0; i < 3; i++)
        ck_assert_int_eq(hs_scopes_streams_blocked(&each[i], 1, &streams, &why), 0);
    kit_buf_free(&streams);
    kit_buf_free(&why);
    kit_buf_free(&missing);
    kit_buf_free(&blocked);
}
END_TEST

/* Every path of authorize, with the placeholder token: no record, log line
 * or error message may contain any part of it that identifies a token. */
START_TEST(test_token_never_shown)
{
    static const char *const cassettes[] = {CASS("ok"), CASS("missing-scopes"),
                                            CASS("invalid-401"), CASS("malformed-530"),
                                            CASS("service-key")};
    for(size_t i = 0; i < sizeof cassettes / sizeof cassettes[0]; i++) {
        struct scenario s;
        sc_start_ok(&s, cassettes[i], NULL);
        hs_authorize(s.in, &s.err);
        /* Capture every log level the plugin has. */
        const char *where[] = {records(&s), kit_buf_str(&s.th.logs), s.err.message};
        for(size_t k = 0; k < 3; k++) {
            ck_assert_msg(strstr(where[k], "pat-na1-") == NULL, "%s: token in %s", cassettes[i],
                          where[k]);
            ck_assert_msg(strstr(where[k], "00000000-0000-4000-8000") == NULL, "%s: token in %s",
                          cassettes[i], where[k]);
        }
        sc_verify_stop(&s);
    }
}
END_TEST

extern Suite *make_authorize_suite(void);
Suite *make_authorize_suite(void)
{
    Suite *s = suite_create("authorize");
    TCase *tc = tcase_create("authorize");
    tcase_add_test(tc, test_ok);
    tcase_add_test(tc, test_missing_scopes);
    tcase_add_test(tc, test_marketing_email_scope_serves_stream);
    tcase_add_test(tc, test_lists_alternative);
    tcase_add_test(tc, test_invalid_401);
    tcase_add_test(tc, test_malformed_530);
    tcase_add_loop_test(tc, test_bad_shape, 0, (int)(sizeof bad_tokens / sizeof bad_tokens[0]));
    tcase_add_test(tc, test_good_shapes_accepted);
    tcase_add_test(tc, test_service_key_unverified);
    tcase_add_test(tc, test_scope_table);
    tcase_add_test(tc, test_token_never_shown);
    suite_add_tcase(s, tc);
    return s;
}
