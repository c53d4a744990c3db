/* check_push_ochost.c - the push as a user runs it: the real ochost
 * against a stateful HubSpot stand-in (tests/support/hspush.h) whose
 * calls are counted per endpoint: the portal's properties checked before
 * the first write, runs sharing a state file. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/hspush.h"
#include "tests/support/ochrun.h"

#define ASSERT_HAS(hay, needle) ck_assert_msg(strstr((hay), (needle)) != NULL, "no \"%s\" in: %s", (needle), (hay))

/* The placeholder, split so no token-shaped literal sits in the source. */
#define TOKEN_ENV "HUBSPOT_ACCESS_TOKEN=pat-na1-" "00000000-0000-4000-8000-000000000000"

static struct ochrun_env E;
static struct hspush H;
static struct fx_server *S;
static char base_env[128], state[300];

static void setup(void)
{
    ochrun_setup(&E);
    ck_assert_int_eq(hspush_init(&H), 0);
    struct fx_options fo = {.dynamic = hspush_handler, .dynamic_ctx = &H};
    char why[256];
    ck_assert_msg(fx_server_start(NULL, &fo, &S, why, sizeof why) == 0, "%s", why);
    snprintf(base_env, sizeof base_env, "HUBSPOT_BASE_URL=%s", fx_server_url(S));
    snprintf(state, sizeof state, "%s/shared.state", E.tmp);
}

static void teardown(void)
{
    fx_server_stop(S);
    hspush_free(&H);
    ochrun_teardown(&E);
}

/* ochost push --list 4242 --input FILE (written from text) --state shared. */
static void push_file(struct ochrun *r, const char *name, const char *text)
{
    char input[300];
    ochrun_write_file(&E, name, text, 0644, input, sizeof input);
    ochrun(&E, r,
           (const char *[]){"--manifest", E.manifest, "--state", state, "push", "--list", HSPUSH_LIST,
                            "--input", input, NULL},
           (const char *[]){TOKEN_ENV, base_env, NULL}, NULL);
}

/* ---- the columns checked against the portal's properties ---- */

/* A Mailchimp export whose columns HubSpot does not have: the run stops
 * with exit 2 naming every bad column (and the property it likely meant)
 * before a single contact is written; the answer is kept in the state
 * file, so the next run, with good columns, pushes without asking again. */
START_TEST(unknown_columns_stop_before_any_write)
{
    struct ochrun r;
    push_file(&r, "members_export.csv",
              "\xef\xbb\xbf\"Email Address\";\"First Name\";\"Favourite Topic\";\"MEMBER_RATING\";"
              "\"hs_object_id\"\r\n"
              "ann@example.com;Ann;news;5;17\r\n"
              "bob@example.com;Bob;sport;2;18\r\n");
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ASSERT_HAS(OCHRUN_ERR(&r), "nothing was written");
    ASSERT_HAS(OCHRUN_ERR(&r), "'Favourite Topic' (no such contact property; nearest: favourite_topic)");
    ASSERT_HAS(OCHRUN_ERR(&r), "'MEMBER_RATING' (no such contact property)");
    ASSERT_HAS(OCHRUN_ERR(&r), "'hs_object_id' (read-only");
    /* the mapped common headers are fine */
    ck_assert_msg(!strstr(OCHRUN_ERR(&r), "'firstname'"), "%s", OCHRUN_ERR(&r));
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_PROPS_GET), 1);
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_UPSERT), 0);
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_ADD), 0);
    ochrun_free(&r);

    /* a valid file, the same state: the properties come from the state */
    push_file(&r, "fixed.csv",
              "\"Email Address\";\"First Name\";\"favourite_topic\"\r\n"
              "ann@example.com;Ann;news\r\n");
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ASSERT_HAS(OCHRUN_OUT(&r), "\"status\":\"added\"");
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_PROPS_GET), 1);
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_UPSERT), 1);
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_ADD), 1);
    ochrun_free(&r);

    /* emails only: nothing to check, and no properties call whatever the
     * state holds (a fresh state file here) */
    snprintf(state, sizeof state, "%s/other.state", E.tmp);
    push_file(&r, "emails.csv", "Email\ncy@example.com\n");
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_PROPS_GET), 1);
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_UPSERT), 2);
    ochrun_free(&r);
}
END_TEST

extern Suite *make_push_ochost_suite(void);
Suite *make_push_ochost_suite(void)
{
    Suite *s = suite_create("push_ochost");
    TCase *tc = tcase_create("properties");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, unknown_columns_stop_before_any_write);
    suite_add_tcase(s, tc);
    return s;
}
