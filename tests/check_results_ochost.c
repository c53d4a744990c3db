/* check_results_ochost.c - a bulk lookup's answers leave the real ochost
 * in batches (results.h), not one write(2) per answer; the push's batches
 * are checked with the push (check_push_ochost.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin/json.h"
#include "tests/support/ochrun.h"

static struct ochrun_env E;

static void setup(void) { ochrun_setup(&E); }
static void teardown(void) { ochrun_teardown(&E); }

/* Three ids looked up in one batch read (two found, one unknown): the
 * three answers go out in one write(2) on stdout, each a whole line.
 * Skipped when strace is missing or cannot trace here. */
START_TEST(bulk_lookup_writes_answers_together)
{
    struct ochrun_env traced;
    if(ochrun_strace(&E, &traced, "bulk_lookup_writes_answers_together"))
        return;
    char trace[300];
    snprintf(trace, sizeof trace, "%s/trace", E.tmp);
    struct ochrun r;
    ochrun(&traced, &r,
           (const char *[]){"-f", "-qq", "-e", "trace=write", "-o", trace, E.ochost, "--manifest", E.manifest,
                            "--fixtures", "fixtures/hubspot/lookup-batch-ids.json", "lookup", "--id", "51", "52",
                            "999", NULL},
           (const char *[]){"ASAN_OPTIONS=detect_leaks=0", NULL}, NULL);
    ck_assert_msg(r.code == 3, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    size_t lines = 0;
    for(const char *p = OCHRUN_OUT(&r); *p;) {
        const char *nl = strchr(p, '\n');
        ck_assert_msg(nl != NULL, "stdout ends in a torn line: %s", p);
        struct kit_json j = {0};
        ck_assert_msg(kit_json_parse(&j, p, (size_t)(nl - p), NULL, 0) == 0, "%.*s", (int)(nl - p), p);
        kit_json_free(&j);
        lines++;
        p = nl + 1;
    }
    ck_assert_uint_eq(lines, 3);
    size_t writes = ochrun_count(trace, "write(1,");
    ck_assert_msg(writes == 1, "%zu write(2) calls on stdout for 3 answers", writes);
    ochrun_free(&r);
}
END_TEST

extern Suite *make_results_ochost_suite(void);
Suite *make_results_ochost_suite(void)
{
    Suite *s = suite_create("results_ochost");
    TCase *tc = tcase_create("lookup");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, bulk_lookup_writes_answers_together);
    suite_add_tcase(s, tc);
    return s;
}
