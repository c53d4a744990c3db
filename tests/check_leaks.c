/* check_leaks.c - server text that carries the token reaches no record:
 * the built ochost replays bundled cassettes altered so that HubSpot
 * "echoes" the placeholder token in an event field and in a per-contact
 * error, and its stdout, stderr and rejects file must not hold it. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/buf.h"
#include "plugin/redact.h"
#include "tests/support/ochrun.h"

/* Split so that no token-shaped literal sits in the tree. */
#define TOKEN "pat-na1-" "00000000-0000-4000-8000-000000000000"
#define TOKEN_PART "00000000-0000-4000-8000"

static struct ochrun_env E;

static void setup(void) { ochrun_setup(&E); }
static void teardown(void) { ochrun_teardown(&E); }

/* Copy the cassette at from into E.tmp/name with the first occurrence of
 * find replaced by repl; the path goes to out. */
static void altered_cassette(const char *from, const char *find, const char *repl, const char *name, char *out,
                             size_t size)
{
    struct kit_buf text = KIT_BUF_INIT, alt = KIT_BUF_INIT;
    ochrun_slurp(from, &text);
    const char *at = strstr(kit_buf_str(&text), find);
    ck_assert_msg(at != NULL, "%s no longer holds '%s'", from, find);
    kit_buf_append(&alt, kit_buf_str(&text), (size_t)(at - kit_buf_str(&text)));
    kit_buf_puts(&alt, repl);
    kit_buf_puts(&alt, at + strlen(find));
    ochrun_write_file(&E, name, kit_buf_str(&alt), 0600, out, size);
    kit_buf_free(&text);
    kit_buf_free(&alt);
}

START_TEST(token_in_an_event_field_masked)
{
    char cas[256];
    struct ochrun r;
    altered_cassette("fixtures/hubspot/pull-first-run.json", "\"recipient\": \"e1@example.com\"",
                     "\"recipient\": \"e1@example.com " TOKEN "\"", "pull.json", cas, sizeof cas);
    ochrun(&E, &r,
           (const char *[]){"--manifest", E.manifest, "--fixtures", cas, "pull", "--since", "2026-11-27T23:00:00Z",
                            NULL},
           NULL, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %.400s", r.code, OCHRUN_ERR(&r));
    ck_assert_msg(strstr(OCHRUN_OUT(&r), "\"recipient\":\"e1@example.com " KIT_REDACTED "\""), "%.400s",
                  OCHRUN_OUT(&r));
    ck_assert_msg(!strstr(OCHRUN_OUT(&r), TOKEN_PART), "token on stdout: %.400s", OCHRUN_OUT(&r));
    ck_assert_msg(!strstr(OCHRUN_ERR(&r), TOKEN_PART), "token on stderr: %.400s", OCHRUN_ERR(&r));
    ochrun_free(&r);
}
END_TEST

START_TEST(token_in_a_contact_error_masked)
{
    char cas[256], input[256], rejects[256];
    struct ochrun r;
    struct kit_buf rej = KIT_BUF_INIT;
    altered_cassette("fixtures/hubspot/demo/3-push.json", "is invalid", "is invalid for " TOKEN, "push.json",
                     cas, sizeof cas);
    snprintf(input, sizeof input, "fixtures/hubspot/demo/signups.csv");
    snprintf(rejects, sizeof rejects, "%s/rejects.csv", E.tmp);
    ochrun(&E, &r,
           (const char *[]){"--manifest", E.manifest, "--fixtures", cas, "push", "--list", "101", "--input", input,
                            "--rejects", rejects, NULL},
           NULL, NULL);
    ck_assert_msg(r.code == 6, "exit %d: %.400s", r.code, OCHRUN_ERR(&r));
    ck_assert_msg(strstr(OCHRUN_OUT(&r), "is invalid for " KIT_REDACTED), "%.400s", OCHRUN_OUT(&r));
    ochrun_slurp(rejects, &rej);
    ck_assert_msg(strstr(kit_buf_str(&rej), "is invalid for " KIT_REDACTED), "%.400s", kit_buf_str(&rej));
    ck_assert_msg(!strstr(OCHRUN_OUT(&r), TOKEN_PART), "token on stdout: %.400s", OCHRUN_OUT(&r));
    ck_assert_msg(!strstr(OCHRUN_ERR(&r), TOKEN_PART), "token on stderr: %.400s", OCHRUN_ERR(&r));
    ck_assert_msg(!strstr(kit_buf_str(&rej), TOKEN_PART), "token in rejects: %.400s", kit_buf_str(&rej));
    kit_buf_free(&rej);
    ochrun_free(&r);
}
END_TEST

Suite *make_leaks_suite(void);
Suite *make_leaks_suite(void)
{
    Suite *s = suite_create("leaks");
    TCase *tc = tcase_create("records");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, token_in_an_event_field_masked);
    tcase_add_test(tc, token_in_a_contact_error_masked);
    suite_add_tcase(s, tc);
    return s;
}
