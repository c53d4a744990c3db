/* check_api_version.c - the "api_version" suite: the path table, the
 * option, that a dated instance really sends dated paths, the v3 notice in
 * authorize, and ochost passing the option from its config. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/api_paths.h"
#include "hubspot/lookup.h"
#include "tests/support/apiver.h"
#include "tests/support/hspush.h"
#include "tests/support/ochrun.h"
#include "tests/support/scenario_check.h"

#define DATED "2026-03"
#define MAR_2027_MS INT64_C(1803859200000) /* 2027-03-01T00:00:00Z */

/* The v3 paths the plugin sent before the table, each endpoint's: the
 * default must not move a byte. */
static const char *const v3_paths[HS_EP_COUNT] = {
    [HS_EP_CONTACT] = "/crm/v3/objects/contacts/{}",
    [HS_EP_CONTACTS_BATCH_READ] = "/crm/v3/objects/contacts/batch/read",
    [HS_EP_CONTACTS_BATCH_UPSERT] = "/crm/v3/objects/contacts/batch/upsert",
    [HS_EP_CONTACTS_SEARCH] = "/crm/v3/objects/contacts/search",
    [HS_EP_CONTACT_PROPERTIES] = "/crm/v3/properties/contacts",
    [HS_EP_LIST] = "/crm/v3/lists/{}",
    [HS_EP_LIST_IDMAPPING] = "/crm/v3/lists/idmapping",
    [HS_EP_LIST_MEMBERSHIPS_ADD] = "/crm/v3/lists/{}/memberships/add",
    [HS_EP_ACCOUNT_DETAILS] = "/account-info/v3/details",
    [HS_EP_ACCOUNT_API_USAGE] = "/account-info/v3/api-usage/daily/private-apps",
    [HS_EP_TOKEN_INFO] = "/oauth/v2/private-apps/get/access-token-info",
    [HS_EP_MARKETING_EMAILS] = "/marketing/v3/emails",
    [HS_EP_EMAIL_EVENTS] = "/email/public/v1/events",
};

static const char *translated(const char *path, enum hs_api_version from, enum hs_api_version to,
                              char *out, size_t size)
{
    struct kit_buf b = KIT_BUF_INIT;
    int rc = hs_api_path_translate(path, from, to, &b);
    snprintf(out, size, "%s", rc ? "(no row)" : kit_buf_str(&b));
    kit_buf_free(&b);
    return out;
}

START_TEST(test_table)
{
    enum hs_api_version v;
    ck_assert_int_eq(hs_api_version_parse("v3", &v), 0);
    ck_assert_int_eq(v, HS_API_V3);
    ck_assert_int_eq(hs_api_version_parse(DATED, &v), 0);
    ck_assert_int_eq(v, HS_API_2026_03);
    ck_assert_int_eq(hs_api_version_parse("2026-09", &v), -1);
    ck_assert_int_eq(hs_api_version_parse("V3", &v), -1);
    for(int ep = 0; ep < HS_EP_COUNT; ep++) {
        ck_assert_str_eq(hs_api_template(HS_API_V3, (enum hs_endpoint)ep), v3_paths[ep]);
        /* Every row moves there and back. */
        char there[200], back[200];
        translated(v3_paths[ep], HS_API_V3, HS_API_2026_03, there, sizeof there);
        ck_assert_str_eq(there, hs_api_template(HS_API_2026_03, (enum hs_endpoint)ep));
        ck_assert_str_eq(translated(there, HS_API_2026_03, HS_API_V3, back, sizeof back),
                         v3_paths[ep]);
    }
    char t[200];
    ck_assert_str_eq(translated("/crm/v3/objects/contacts/search", HS_API_V3, HS_API_2026_03, t,
                                sizeof t),
                     "/crm/objects/2026-03/contacts/search");
    ck_assert_str_eq(translated("/crm/v3/objects/contacts/a@b.com?idProperty=email", HS_API_V3,
                                HS_API_2026_03, t, sizeof t),
                     "/crm/objects/2026-03/contacts/a@b.com?idProperty=email");
    ck_assert_str_eq(translated("/crm/v3/lists/7/memberships/add", HS_API_V3, HS_API_2026_03, t,
                                sizeof t),
                     "/crm/lists/2026-03/7/memberships/add");
    ck_assert_str_eq(translated("/crm/v3/objects/companies", HS_API_V3, HS_API_2026_03, t, sizeof t),
                     "(no row)");
    ck_assert_str_eq(translated("/crm/v3/lists/", HS_API_V3, HS_API_2026_03, t, sizeof t), "(no row)");
    struct kit_buf b = KIT_BUF_INIT;
    hs_api_path(&b, HS_API_2026_03, HS_EP_CONTACT, "jo+news@example.com");
    hs_api_path(&b, HS_API_2026_03, HS_EP_MARKETING_EMAILS, NULL);
    ck_assert_str_eq(kit_buf_str(&b),
                     "/crm/objects/2026-03/contacts/jo%2Bnews%40example.com/marketing/emails/2026-03");
    kit_buf_free(&b);
}
END_TEST

START_TEST(test_unknown_version_refused)
{
    struct testhost th;
    th_init(&th, INT64_C(1795824000000));
    struct oc_option o[] = {{"access_token", FX_PLACEHOLDER_TOKEN}, {"api_version", "2025-09"}};
    struct oc_instance *in = NULL;
    struct oc_error err = {sizeof err};
    ck_assert_int_eq(hs_instance_new(&th.host, o, 2, &in, &err), OC_E_CONFIG);
    ck_assert_ptr_null(in);
    ASSERT_HAS(err.message, "api_version '2025-09'");
    ASSERT_HAS(err.message, "v3, 2026-03");
    th_free(&th);
}
END_TEST

static int keep_recorded(void *ctx, const char *path, struct kit_buf *out)
{
    (void)ctx, (void)path, (void)out;
    return -1;
}

/* A dated instance against the v3 cassette as recorded: its CRM calls
 * match nothing, so it cannot be sending v3 paths. The same cassette moved
 * through the table replays whole. */
START_TEST(test_dated_sends_dated_paths)
{
    const char *opts[] = {"api_version", DATED, NULL};
    const char *q[] = {"ann@example.com"};
    struct oc_lookup_request req = {sizeof req, OC_LOOKUP_EMAIL, 1, q};
    struct fx_options raw = {.rewrite_path = keep_recorded};
    struct scenario s;

    ck_assert_int_eq(sc_start_with(&s, "fixtures/hubspot/lookup-found.json", opts, &raw), 0);
    ck_assert_int_ne(hs_lookup(s.in, &req, &s.err), OC_OK);
    ck_assert_uint_ge(fx_server_unmatched(s.srv), 1);
    ck_assert_int_ne(sc_verify(&s), 0);
    ASSERT_HAS(sc_report(&s), "/crm/objects/2026-03/contacts/");
    sc_stop(&s);

    ck_assert_int_eq(sc_start_with(&s, "fixtures/hubspot/authorize-ok.json", opts, &raw), 0);
    ck_assert_int_ne(hs_authorize(s.in, &s.err), OC_OK);
    ck_assert_int_ne(sc_verify(&s), 0);
    ASSERT_HAS(sc_report(&s), "/account-info/2026-03/details");
    sc_stop(&s);

    sc_start_ok(&s, "fixtures/hubspot/lookup-found.json", opts);
    ck_assert_int_eq(hs_lookup(s.in, &req, &s.err), OC_OK);
    ck_assert_uint_eq(s.th.nrecords, 1);
    sc_verify_stop(&s);
}
END_TEST

/* authorize tells when v3 ends: INFO before 2027-03-01, WARN from then
 * on (the host's clock), in the record either way; nothing on a dated
 * version. */
START_TEST(test_v3_end_notice)
{
    static const char *const versions[] = {"v3", "v3", DATED};
    static const int64_t clocks[] = {0, MAR_2027_MS, MAR_2027_MS};
    for(int c = 0; c < 3; c++) {
        const char *opts[] = {"api_version", versions[c], NULL};
        struct scenario s;
        sc_start_ok(&s, "fixtures/hubspot/authorize-ok.json", opts);
        if(clocks[c])
            s.th.now_ms = clocks[c];
        ck_assert_int_eq(hs_authorize(s.in, &s.err), OC_OK);
        const char *logs = kit_buf_str(&s.th.logs), *rec = kit_buf_str(&s.th.records);
        char want[80];
        snprintf(want, sizeof want, "\"api_version\":\"%s\"", versions[c]);
        ASSERT_HAS(rec, want);
        if(c == 2) {
            ASSERT_LACKS(logs, "api_version is v3");
            ASSERT_LACKS(rec, "api_version_note");
        } else {
            ASSERT_HAS(logs, c ? "WARN authorize: api_version is v3; HubSpot: \"In September 2027, all "
                                 "legacy APIs using semantic versions"
                               : "INFO authorize: api_version is v3; HubSpot: \"In September 2027");
            ASSERT_HAS(logs, "set api_version = 2026-03 in the config");
            ASSERT_LACKS(logs, c ? "INFO authorize: api_version" : "WARN authorize: api_version");
            ASSERT_HAS(rec, "\"api_version_note\":\"api_version is v3; HubSpot:");
        }
        sc_verify_stop(&s);
    }
}
END_TEST

/* ochost hands api_version from its config file to the plugin like any
 * option: a dated cassette replays, an unknown version is refused. */
START_TEST(test_ochost_passes_api_version)
{
    struct ochrun_env e;
    ochrun_setup(&e);
    char conf[4200], bad[4200], cas[4200], state[4200];
    snprintf(state, sizeof state, "%s/s.state", e.tmp);
    ochrun_write_file(&e, "dated.conf", "api_version = " DATED "\n", 0600, conf, sizeof conf);
    ochrun_write_file(&e, "bad.conf", "api_version = v4\n", 0600, bad, sizeof bad);
    ochrun_write_file(
        &e, "dated.json",
        "{\"version\": 1, \"scenario\": \"dated\", \"recorded_at\": \"2026-11-28T00:00:00Z\",\n"
        " \"interactions\": [\n"
        "  {\"request\": {\"method\": \"POST\", \"path\": \"/oauth/v2/private-apps/get/access-token-info\",\n"
        "               \"body\": {\"tokenKey\": \"pat-na1-00000000-0000-4000-8000-"
        "000000000000\"}},\n"
        "   \"response\": {\"status\": 200, \"body\": {\"hubId\": 12345678, \"appId\": 3456789,\n"
        "     \"scopes\": [\"crm.objects.contacts.read\", \"crm.objects.contacts.write\", \"crm.lists.read\",\n"
        "                \"crm.lists.write\", \"content\"]}}},\n"
        "  {\"request\": {\"method\": \"GET\", \"path\": \"/account-info/2026-03/details\"},\n"
        "   \"response\": {\"status\": 200, \"body\": {\"portalId\": 12345678, \"timeZone\": \"US/Eastern\",\n"
        "     \"utcOffsetMilliseconds\": -18000000, \"dataHostingLocation\": \"na1\"}}} ] }\n",
        0644, cas, sizeof cas);
    struct ochrun r;
    ochrun(&e, &r,
           (const char *[]){"--manifest", e.manifest, "--config", conf, "--state", state, "--fixtures", cas,
                            "authorize", NULL},
           NULL, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    /* The cassette holds only the dated path: a v3 call would be unmatched (exit 7). */
    ASSERT_HAS(OCHRUN_OUT(&r), "portal id: 12345678");
    ochrun_free(&r);
    ochrun(&e, &r,
           (const char *[]){"--manifest", e.manifest, "--config", bad, "--state", state, "--fixtures", cas,
                            "authorize", NULL},
           NULL, NULL);
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ASSERT_HAS(OCHRUN_ERR(&r), "api_version 'v4'");
    ASSERT_HAS(OCHRUN_ERR(&r), "v3, 2026-03");
    ochrun_free(&r);
    ochrun_teardown(&e);
}
END_TEST

/* The version a test switches to for its own runs; the suite's own one
 * is restored after, so a test runner without fork sees no change. */
static char saved_version[32];
static int had_version, switched;

/* Switching twice before a restore keeps the first saved value: the one
 * the suite ran with. */
static void use_version(const char *name)
{
    if(!switched) {
        const char *was = getenv("OC_TEST_API_VERSION");
        had_version = was != NULL;
        snprintf(saved_version, sizeof saved_version, "%s", was ? was : "");
        switched = 1;
    }
    if(name)
        setenv("OC_TEST_API_VERSION", name, 1);
    else
        unsetenv("OC_TEST_API_VERSION");
}

static void restore_version(void)
{
    switched = 0;
    if(had_version)
        setenv("OC_TEST_API_VERSION", saved_version, 1);
    else
        unsetenv("OC_TEST_API_VERSION");
}

/* ochost knows no path table: in a dated test run, ochrun hands it a copy
 * of the v3 cassette moved to the dated paths, and api_version through a
 * config. The copy holds only dated CRM paths and the push replays it
 * whole; the same push on the recorded cassette, with the option alone,
 * matches nothing: so the passing run really sent dated paths. */
START_TEST(test_ochrun_moves_cassette_to_dated)
{
    static const char *const push[] = {"push", "--list", "101", "--input", "fixtures/hubspot/demo/signups.csv",
                                       NULL};
    struct ochrun_env e;
    struct ochrun r;
    char conf[4200], copy[4300];
    const char *args[16];
    int n = 0;
    ochrun_setup(&e);
    use_version(DATED);
    args[n++] = "--manifest";
    args[n++] = e.manifest;
    args[n++] = "--fixtures";
    args[n++] = "fixtures/hubspot/demo/3-push.json";
    for(int i = 0; push[i]; i++)
        args[n++] = push[i];
    args[n] = NULL;
    ochrun(&e, &r, args, NULL, NULL);
    /* The demo's push: two of its six sign-ups are refused by HubSpot. */
    ck_assert_msg(r.code == 6, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ASSERT_HAS(OCHRUN_ERR(&r), "3 added, 1 already members, 2 failed, 4 API calls");
    ASSERT_LACKS(OCHRUN_ERR(&r), "did not match");
    ochrun_free(&r);

    struct kit_buf moved = KIT_BUF_INIT;
    snprintf(copy, sizeof copy, "%s/apiver/fixtures/hubspot/demo/3-push.json", e.tmp);
    ochrun_slurp(copy, &moved);
    ASSERT_HAS(kit_buf_str(&moved), "\"/crm/objects/" DATED "/contacts/batch/upsert\"");
    ASSERT_HAS(kit_buf_str(&moved), "\"/crm/properties/" DATED "/contacts\"");
    ASSERT_LACKS(kit_buf_str(&moved), "/crm/v3/");
    kit_buf_free(&moved);

    /* The translation off (a v3 test run), the version given by hand. */
    use_version(NULL);
    ochrun_write_file(&e, "dated.conf", "api_version = " DATED "\n", 0600, conf, sizeof conf);
    const char *by_hand[20];
    int m = 0;
    by_hand[m++] = "--config";
    by_hand[m++] = conf;
    for(int i = 0; args[i]; i++)
        by_hand[m++] = args[i];
    by_hand[m] = NULL;
    ochrun(&e, &r, by_hand, NULL, NULL);
    restore_version();
    ck_assert_msg(r.code == 7, "a dated push replayed a v3 cassette: exit %d: %s", r.code, OCHRUN_ERR(&r));
    ASSERT_HAS(OCHRUN_ERR(&r), "did not match");
    ochrun_free(&r);
    ochrun_teardown(&e);
}
END_TEST

/* The push stand-in answers the dated paths in a dated run, where ochrun
 * gives ochost api_version; a run the test pins to v3 reaches none of
 * its endpoints and fails. */
START_TEST(test_hspush_answers_dated)
{
    struct ochrun_env e;
    struct hspush h;
    struct fx_server *srv;
    struct ochrun r;
    char why[256], base[128], input[4200], state[4200], v3conf[4200];
    ochrun_setup(&e);
    use_version(DATED);
    ck_assert_int_eq(hspush_init(&h), 0);
    struct fx_options fo = {.dynamic = hspush_handler, .dynamic_ctx = &h};
    ck_assert_msg(fx_server_start(NULL, &fo, &srv, why, sizeof why) == 0, "%s", why);
    snprintf(base, sizeof base, "HUBSPOT_BASE_URL=%s", fx_server_url(srv));
    snprintf(state, sizeof state, "%s/s.state", e.tmp);
    ochrun_write_file(&e, "in.csv", "email\nann@example.com\n", 0644, input, sizeof input);
    ochrun_write_file(&e, "v3.conf", "api_version = v3\n", 0600, v3conf, sizeof v3conf);
    const char *env[] = {"HUBSPOT_ACCESS_TOKEN=pat-na1-" "00000000-0000-4000-8000-000000000000", base, NULL};

    ochrun(&e, &r,
           (const char *[]){"--manifest", e.manifest, "--state", state, "push", "--list", HSPUSH_LIST, "--input",
                            input, NULL},
           env, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ck_assert_uint_eq(hspush_calls(&h, HSPUSH_UPSERT), 1);
    ck_assert_uint_eq(hspush_calls(&h, HSPUSH_ADD), 1);
    ck_assert_uint_eq(hspush_calls(&h, HSPUSH_OTHER), 0);
    ochrun_free(&r);

    ochrun(&e, &r,
           (const char *[]){"--manifest", e.manifest, "--config", v3conf, "--state", state, "push", "--list",
                            HSPUSH_LIST, "--input", input, NULL},
           env, NULL);
    restore_version();
    ck_assert_msg(r.code != 0, "a v3 push was answered by a dated stand-in: %s", OCHRUN_ERR(&r));
    ck_assert_uint_ne(hspush_calls(&h, HSPUSH_OTHER), 0);
    ochrun_free(&r);
    fx_server_stop(srv);
    hspush_free(&h);
    ochrun_teardown(&e);
}
END_TEST

extern Suite *make_api_version_suite(void);
Suite *make_api_version_suite(void)
{
    Suite *s = suite_create("api_version");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_table);
    tcase_add_test(tc, test_unknown_version_refused);
    tcase_add_test(tc, test_dated_sends_dated_paths);
    tcase_add_test(tc, test_v3_end_notice);
    tcase_add_test(tc, test_ochost_passes_api_version);
    tcase_add_test(tc, test_ochrun_moves_cassette_to_dated);
    tcase_add_test(tc, test_hspush_answers_dated);
    suite_add_tcase(s, tc);
    return s;
}
