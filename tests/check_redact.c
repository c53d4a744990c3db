/* check_redact.c - the redactor every message and log line goes through. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "plugin/error.h"
#include "plugin/redact.h"

#define TOKEN "pat-na1-00000000-0000-4000-8000-000000000000"

START_TEST(token_shape_masked_anywhere)
{
    char s[256] = "Bearer " TOKEN " and again:" TOKEN ".";
    kit_redact_inplace(s);
    ck_assert_str_eq(s, "Bearer " KIT_REDACTED " and again:" KIT_REDACTED ".");
    /* Other hublets and upper-case hex: the rule is looser than HubSpot's. */
    char t[128] = "x pat-eu1-ABCDEF01-2345-6789-abcd-ef0123456789 y";
    kit_redact_inplace(t);
    ck_assert_str_eq(t, "x " KIT_REDACTED " y");
}
END_TEST

START_TEST(registered_secret_masked_whatever_its_shape)
{
    char s[128] = "key=sk-live-secret; again sk-live-secret";
    kit_redact_register("sk-live-secret");
    kit_redact_inplace(s);
    ck_assert_str_eq(s, "key=" KIT_REDACTED "; again " KIT_REDACTED);
    kit_redact_forget("sk-live-secret");
    char t[64] = "sk-live-secret";
    kit_redact_inplace(t);
    ck_assert_str_eq(t, "sk-live-secret");
}
END_TEST

START_TEST(short_secret_terminates)
{
    /* A secret that its own mask contains must not loop forever. */
    char s[64] = "a*b*c";
    kit_redact_register("*");
    kit_redact_inplace(s);
    kit_redact_forget("*");
    ck_assert_str_eq(s, "a*b*c");
}
END_TEST

START_TEST(truncated_token_at_the_end_masked)
{
    /* A message cut to its buffer can end in the middle of a token. */
    const char *cuts[] = {"pat-", "pat-na", "pat-na1-", "pat-na1-0000", "pat-na1-0000000"};
    for(size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char s[64];
        snprintf(s, sizeof s, "HTTP 401 for %s", cuts[i]);
        kit_redact_inplace(s);
        ck_assert_msg(!strstr(s, "pat-"), "'%s' left visible: %s", cuts[i], s);
    }
    /* Not at the end, and not token-like: left alone. */
    char t[64] = "the pat-tern here";
    kit_redact_inplace(t);
    ck_assert_str_eq(t, "the pat-tern here");
}
END_TEST

START_TEST(fail_message_redacted_and_clean)
{
    struct oc_error err = {sizeof err};
    char big[700];
    memset(big, 'x', sizeof big);
    /* Put the token across the 512-byte cut. */
    memcpy(big + 490, TOKEN, strlen(TOKEN));
    big[sizeof big - 1] = '\0';
    ck_assert_int_eq(kit_fail(&err, OC_E_AUTH, "%s", big), OC_E_AUTH);
    ck_assert_int_eq(err.status, OC_E_AUTH);
    ck_assert_ptr_null(strstr(err.message, "pat-"));
    ck_assert_ptr_null(strstr(err.message, "0000"));
    kit_fail(&err, OC_E_PROTOCOL, "server said \x1b[2J\nforged \xc3");
    ck_assert_str_eq(err.message, "server said  [2J forged ?");
}
END_TEST

/* A whole value is never cut: only whole tokens are masked in it, so a
 * click URL that merely ends in "pat-..." keeps its text. Cut text (a
 * message) still loses a trailing fragment. */
START_TEST(whole_values_keep_token_like_endings)
{
    char url[128] = "https://shop.example/landing/pat-summer";
    kit_redact_value(url);
    ck_assert_str_eq(url, "https://shop.example/landing/pat-summer");
    char cut[128] = "https://shop.example/landing/pat-summer";
    kit_redact_inplace(cut);
    ck_assert_str_eq(cut, "https://shop.example/landing/" KIT_REDACTED);
    char both[160] = "see " TOKEN " then pat-summer";
    kit_redact_value(both);
    ck_assert_str_eq(both, "see " KIT_REDACTED " then pat-summer");
}
END_TEST

extern Suite *make_redact_suite(void);

Suite *make_redact_suite(void)
{
    Suite *s = suite_create("redact");
    TCase *tc = tcase_create("redact");
    tcase_add_test(tc, token_shape_masked_anywhere);
    tcase_add_test(tc, registered_secret_masked_whatever_its_shape);
    tcase_add_test(tc, short_secret_terminates);
    tcase_add_test(tc, truncated_token_at_the_end_masked);
    tcase_add_test(tc, fail_message_redacted_and_clean);
    tcase_add_test(tc, whole_values_keep_token_like_endings);
    suite_add_tcase(s, tc);
    return s;
}
