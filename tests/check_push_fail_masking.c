/* check_push_fail_masking.c - failed push_results go out unscanned only
 * when none of their texts can hold a secret: an invalid address and the
 * plugin's message about it come out exactly as written, while a token
 * (HubSpot-shaped, or the instance's own of any shape) in the input's
 * name, in its address or in HubSpot's error for it is masked in every
 * field that carries it. Against the hspush stand-in on loopback. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/push.h"
#include "plugin/redact.h"
#include "tests/support/hspush.h"
#include "tests/support/scenario_check.h"

/* Split so that no token-shaped literal sits in the tree. */
#define TOKEN "pat-na1-" "00000000-0000-4000-8000-000000000000"
#define TOKEN_PART "00000000-0000-4000-8000"
/* A token of no HubSpot shape: only the instance knows it is one. */
#define OWN_TOKEN "opaque" "Key7Q2mZ9xW4"

struct feed {
    const char *const *rows; /* input name, address; pairs */
    size_t n, pos;
    struct oc_field f[2];
};

static oc_status feed_next(void *ctx, struct oc_record *r)
{
    struct feed *f = ctx;
    if(f->pos >= f->n)
        return OC_E_NOT_FOUND;
    const char *const *row = f->rows + 2 * f->pos++;
    f->f[0] = (struct oc_field){"email", row[1], OC_FIELD_STRING};
    f->f[1] = (struct oc_field){"firstname", "Mask", OC_FIELD_STRING};
    r->kind = "contact";
    r->id = row[0];
    r->fields = f->f;
    r->nfields = 2;
    return OC_OK;
}

/* The push_result line whose input is name. */
static const char *line_of(const char *records, const char *name, char *out, size_t size)
{
    char key[160];
    snprintf(key, sizeof key, "\"input\":\"%s\"", name);
    const char *at = strstr(records, key);
    ck_assert_msg(at != NULL, "no result for %s in: %s", name, records);
    while(at > records && at[-1] != '\n')
        at--;
    const char *nl = strchr(at, '\n');
    snprintf(out, size, "%.*s", (int)(nl ? nl - at : (long)strlen(at)), at);
    return out;
}

static void push_rows(struct scenario *s, struct hspush *hp, const char *token, const char *const *rows,
                      size_t n)
{
    const char *opts[] = {"cache_ttl_ms", "0", token ? "access_token" : NULL, token, NULL};
    ck_assert_int_eq(hspush_init(hp), 0);
    struct fx_options fo = {.dynamic = hspush_handler, .dynamic_ctx = hp, .token = token};
    int rc = sc_start_with(s, NULL, opts, &fo);
    ck_assert_msg(rc == 0, "%s", s->err.message);
    struct feed f = {.rows = rows, .n = n};
    struct oc_push_request req = {sizeof req, HSPUSH_LIST, feed_next, &f};
    s->err.struct_size = sizeof s->err;
    hs_push(s->in, &req, &s->err);
    ck_assert_uint_eq(s->th.nrecords, n);
}

static void stop(struct scenario *s, struct hspush *hp)
{
    sc_stop(s);
    hspush_free(hp);
}

/* The common failure: nothing to mask, every text exactly as written. */
START_TEST(test_plain_invalid_address_unchanged)
{
    static const char *const rows[] = {"row 1", "ann@example.com", "row 2", "bob.example.com"};
    struct scenario s;
    struct hspush hp;
    push_rows(&s, &hp, NULL, rows, 2);
    char line[1024];
    line_of(kit_buf_str(&s.th.records), "row 2", line, sizeof line);
    ASSERT_HAS(line, "\"email\":\"bob.example.com\"");
    ASSERT_HAS(line, "\"status\":\"failed\"");
    ASSERT_HAS(line, "\"error\":\"email 'bob.example.com' has no @; fix the address and re-run this input\"");
    ASSERT_LACKS(line, KIT_REDACTED);
    stop(&s, &hp);
}
END_TEST

/* A token-shaped invalid address: masked in the address and in the
 * plugin's message that quotes it. */
START_TEST(test_token_in_an_invalid_address_is_masked)
{
    static const char *const rows[] = {"row 1", "ann@example.com", "row 2", TOKEN " at example.com"};
    struct scenario s;
    struct hspush hp;
    push_rows(&s, &hp, NULL, rows, 2);
    char line[1024];
    line_of(kit_buf_str(&s.th.records), "row 2", line, sizeof line);
    ASSERT_LACKS(line, TOKEN_PART);
    ASSERT_HAS(line, "\"email\":\"" KIT_REDACTED " at example.com\"");
    ASSERT_HAS(line, "\"error\":\"email '" KIT_REDACTED " at example.com'");
    ASSERT_HAS(line, "\"status\":\"failed\"");
    stop(&s, &hp);
}
END_TEST

/* The instance's own token, of no HubSpot shape, in the input's name and
 * in its invalid address: found by the instance's own test and masked. */
START_TEST(test_own_token_in_a_failed_input_is_masked)
{
    static const char *const rows[] = {"row " OWN_TOKEN, "ann.example.com", "row 2", "x" OWN_TOKEN "y"};
    struct scenario s;
    struct hspush hp;
    push_rows(&s, &hp, OWN_TOKEN, rows, 2);
    const char *all = kit_buf_str(&s.th.records);
    ASSERT_LACKS(all, OWN_TOKEN);
    char line[1024];
    line_of(all, "row " KIT_REDACTED, line, sizeof line);
    ASSERT_HAS(line, "\"status\":\"failed\"");
    line_of(all, "row 2", line, sizeof line);
    ASSERT_HAS(line, "\"email\":\"x" KIT_REDACTED "y\"");
    ASSERT_HAS(line, "\"error\":\"email 'x" KIT_REDACTED "y' has no @");
    stop(&s, &hp);
}
END_TEST

/* HubSpot refusing an address that holds the token: its error quotes
 * the address, and both reach the result masked. */
START_TEST(test_token_in_a_server_error_is_masked)
{
    static const char *const rows[] = {"row 1", "ann@example.com", "row 2", TOKEN "@example.invalid"};
    struct scenario s;
    struct hspush hp;
    push_rows(&s, &hp, NULL, rows, 2);
    char line[2048];
    line_of(kit_buf_str(&s.th.records), "row 2", line, sizeof line);
    ASSERT_LACKS(line, TOKEN_PART);
    ASSERT_HAS(line, "\"status\":\"failed\"");
    ASSERT_HAS(line, "Email address " KIT_REDACTED "@example.invalid is invalid");
    stop(&s, &hp);
}
END_TEST

Suite *make_push_fail_masking_suite(void);
Suite *make_push_fail_masking_suite(void)
{
    Suite *s = suite_create("push_fail_masking");
    TCase *tc = tcase_create("failures");
    tcase_add_test(tc, test_plain_invalid_address_unchanged);
    tcase_add_test(tc, test_token_in_an_invalid_address_is_masked);
    tcase_add_test(tc, test_own_token_in_a_failed_input_is_masked);
    tcase_add_test(tc, test_token_in_a_server_error_is_masked);
    suite_add_tcase(s, tc);
    return s;
}
