/* check_text.c - the kit's text helpers (plugin/text.h) that the loader's
 * manifest, ochost's config and lookup lists, and the fixtures' URL decoder
 * share: each caller must see what its own copy used to do. */
#include <check.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/text.h"

START_TEST(trim_cuts_only_the_given_blanks)
{
    char line[] = " \t key = a b \t";
    ck_assert_str_eq(kit_trim(line, KIT_BLANKS), "key = a b");
    /* A manifest strips its line end before trimming: a CR left inside
     * is text, not padding. */
    char cr[] = " v\r ";
    ck_assert_str_eq(kit_trim(cr, KIT_BLANKS), "v\r");
    char blank[] = " \t \t";
    ck_assert_str_eq(kit_trim(blank, KIT_BLANKS), "");
    char empty[] = "";
    ck_assert_str_eq(kit_trim(empty, KIT_BLANKS), "");
}
END_TEST

START_TEST(spaces_are_what_isspace_accepts)
{
    /* ochost's config and lookup lists trimmed with isspace(): the set must
     * be exactly that in the C locale, byte for byte. */
    for(int c = 1; c < 256; c++)
        ck_assert_msg(!!isspace(c) == (strchr(KIT_SPACES, c) != NULL),
                      "byte 0x%02x: isspace %d", c, !!isspace(c));
    char s[] = "\v\f\r\n 42 \t\r\n";
    ck_assert_str_eq(kit_trim(s, KIT_SPACES), "42");
}
END_TEST

START_TEST(trim_span_leaves_the_text_alone)
{
    const char *s = "\r\n  a@b.example \t\n";
    size_t n = 99;
    const char *t = kit_trim_span(s, " \t\r\n", &n);
    ck_assert_ptr_eq(t, s + 4);
    ck_assert_uint_eq(n, strlen("a@b.example"));
    ck_assert_str_eq(s, "\r\n  a@b.example \t\n");
    t = kit_trim_span("   ", " ", &n);
    ck_assert_uint_eq(n, 0);
    ck_assert_str_eq(t, "");
}
END_TEST

static void assert_dir(const char *path, const char *want)
{
    char *d = kit_dir_of(path);
    ck_assert_ptr_nonnull(d);
    ck_assert_msg(!strcmp(d, want), "dir of '%s' is '%s', want '%s'", path, d, want);
    free(d);
}

START_TEST(dir_of_paths)
{
    assert_dir("plugin.manifest", ".");
    assert_dir("/plugin.manifest", "/");
    assert_dir("/usr/lib/onecount/hubspot/plugin.manifest", "/usr/lib/onecount/hubspot");
    assert_dir("build/b/ochost.state", "build/b");
    assert_dir("dir/", "dir");
}
END_TEST

START_TEST(hexval_digits_and_the_rest)
{
    const char *digits = "0123456789abcdef", *upper = "ABCDEF";
    for(int i = 0; i < 16; i++)
        ck_assert_int_eq(kit_hexval(digits[i]), i);
    for(int i = 0; i < 6; i++)
        ck_assert_int_eq(kit_hexval(upper[i]), 10 + i);
    int not_hex = 0;
    for(int c = -128; c < 256; c++)
        not_hex += kit_hexval(c) < 0;
    ck_assert_int_eq(not_hex, 384 - 22);
    /* A byte above 0x7f in a plain (signed) char is no digit either. */
    char high = (char)0xC3;
    ck_assert_int_eq(kit_hexval(high), -1);
}
END_TEST

extern Suite *make_text_suite(void);

Suite *make_text_suite(void)
{
    Suite *s = suite_create("text");
    TCase *tc = tcase_create("text");
    tcase_add_test(tc, trim_cuts_only_the_given_blanks);
    tcase_add_test(tc, spaces_are_what_isspace_accepts);
    tcase_add_test(tc, trim_span_leaves_the_text_alone);
    tcase_add_test(tc, dir_of_paths);
    tcase_add_test(tc, hexval_digits_and_the_rest);
    suite_add_tcase(s, tc);
    return s;
}
