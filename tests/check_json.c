/* check_json.c - the JSON reader's strictness, accessors, canonical form
 * and the writer's escaping (plugin/json.c). */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/buf.h"
#include "plugin/json.h"
#include "plugin/utf8.h"

/* Parse s (length n) and expect a failure whose reason contains each of
 * the given substrings. */
static void reject_n(const char *s, size_t n, const char *want1, const char *want2)
{
    struct kit_json j;
    char why[256];
    int rc = kit_json_parse(&j, s, n, why, sizeof why);
    ck_assert_msg(rc < 0, "accepted invalid JSON: %.*s", (int)n, s);
    ck_assert_ptr_null(j.tok);
    ck_assert_int_eq(j.ntok, 0);
    ck_assert_msg(strstr(why, "byte") != NULL, "reason without offset for %.*s: %s", (int)n, s, why);
    if(want1)
        ck_assert_msg(strstr(why, want1) != NULL, "for %.*s: reason '%s' lacks '%s'", (int)n, s, why,
                      want1);
    if(want2)
        ck_assert_msg(strstr(why, want2) != NULL, "for %.*s: reason '%s' lacks '%s'", (int)n, s, why,
                      want2);
    kit_json_free(&j);
}

static void reject(const char *s, const char *want1, const char *want2)
{
    reject_n(s, strlen(s), want1, want2);
}

static void accept(const char *s)
{
    struct kit_json j;
    char why[256] = "";
    int rc = kit_json_parse(&j, s, strlen(s), why, sizeof why);
    ck_assert_msg(rc == 0, "rejected valid JSON %s: %s", s, why);
    ck_assert_int_ge(j.ntok, 1);
    ck_assert_str_eq(why, "");
    kit_json_free(&j);
}

/* Canonical form of s as a malloc'd string. */
static char *canon_of(const char *s)
{
    struct kit_json j;
    struct kit_buf b = KIT_BUF_INIT;
    char why[256] = "";
    ck_assert_msg(kit_json_parse(&j, s, strlen(s), why, sizeof why) == 0, "%s: %s", s, why);
    ck_assert_int_eq(kit_json_canonical(&j, 0, &b), 0);
    kit_json_free(&j);
    char *r = kit_buf_take(&b);
    ck_assert_ptr_nonnull(r);
    return r;
}

static void canon_is(const char *s, const char *want)
{
    char *c = canon_of(s);
    ck_assert_str_eq(c, want);
    free(c);
}

/* ---- acceptance ---- */

START_TEST(test_accepts_valid)
{
    static const char *ok[] = {
        "0", "-0", "7", "-12.5e+10", "1E-3", "0.0", "true", "false", "null", "\"\"", " \"x\" ",
        "[]", "{}", " \t\r\n[ ]\n", "{\"a\":{}}", "[[],[[]],{}]", "[1,-1,0.5,1e9,true,false,null,\"s\"]",
        "{\"\":0}", "\"\\u0000\"", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"",
        "\"\\ud83d\\ude00\"", "\"\x7F\"", "{\"a\" : [ 1 , 2 ] , \"b\" : null}",
    };
    for(size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        accept(ok[i]);
}
END_TEST

START_TEST(test_root_primitive_tokens)
{
    struct kit_json j;
    int64_t v = 0;
    ck_assert_int_eq(kit_json_parse(&j, " 42 ", 4, NULL, 0), 0);
    ck_assert_int_eq(j.ntok, 1);
    ck_assert_int_eq(kit_json_type(&j, 0), KIT_JSON_NUMBER);
    ck_assert_int_eq(kit_json_int64(&j, 0, &v), 0);
    ck_assert_int_eq(v, 42);
    ck_assert_int_eq(kit_json_skip(&j, 0), 1);
    kit_json_free(&j);
    ck_assert_int_eq(kit_json_parse(&j, "false", 5, NULL, 0), 0);
    ck_assert_int_eq(kit_json_type(&j, 0), KIT_JSON_BOOL);
    ck_assert_int_eq(kit_json_bool(&j, 0), 0);
    kit_json_free(&j);
    ck_assert_int_eq(kit_json_parse(&j, "null", 4, NULL, 0), 0);
    ck_assert_int_eq(kit_json_type(&j, 0), KIT_JSON_NULL);
    ck_assert_int_eq(kit_json_bool(&j, 0), -1);
    kit_json_free(&j);
    /* the text need not be NUL-terminated: "12" out of "123" */
    ck_assert_int_eq(kit_json_parse(&j, "123", 2, NULL, 0), 0);
    ck_assert_int_eq(kit_json_int64(&j, 0, &v), 0);
    ck_assert_int_eq(v, 12);
    kit_json_free(&j);
    kit_json_free(&j); /* idempotent */
    kit_json_free(NULL);
}
END_TEST

/* ---- rejections ---- */

START_TEST(test_rejects_numbers)
{
    reject("01", "invalid number", "byte 0");
    reject("[1,01]", "invalid number", "byte 3");
    reject("-01", "invalid number", NULL);
    reject("1.", "invalid number", NULL);
    reject("[1.]", "invalid number", "byte 1");
    reject("1.e5", "invalid number", NULL);
    reject("-", "invalid number", NULL);
    reject("[-]", "invalid number", NULL);
    reject("+1", "expected a value", "'+'");
    reject("1e", "invalid number", NULL);
    reject("1e+", "invalid number", NULL);
    reject("[1E-]", "invalid number", NULL);
    reject(".5", "expected a value", NULL);
    reject("0x10", "invalid number", NULL);
    reject("1_000", "invalid number", NULL);
    reject("1.5.2", "invalid number", NULL);
    reject("[1-2]", "invalid number", NULL);
    reject("NaN", "expected a value", NULL);
    reject("-Infinity", "invalid number", NULL);
    reject("{\"a\":-}", "invalid number", "byte 5");
}
END_TEST

START_TEST(test_rejects_literals)
{
    reject("trUe", "invalid literal", "byte 0");
    reject("nul", "truncated", NULL);
    reject("[nul]", "invalid literal", "byte 1");
    reject("nulll", "invalid literal", NULL);
    reject("truex", "invalid literal", NULL);
    reject("[fals]", "invalid literal", NULL);
    reject("[True]", "expected a value", "'T'");
    reject("[undefined]", "expected a value", NULL);
    reject("{\"a\":nan}", "invalid literal", "byte 5");
}
END_TEST

START_TEST(test_rejects_strings)
{
    reject("\"a\x01z\"", "control character 0x01", "byte 2");
    reject("[\"line\nbreak\"]", "control character 0x0A", "byte 6");
    reject("\"tab\there\"", "control character 0x09", NULL);
    reject_n("\"a\0b\"", 5, "control character 0x00", "byte 2");
    reject("\"\\x41\"", "invalid escape '\\x'", "byte 1");
    reject("\"\\a\"", "invalid escape", NULL);
    reject("\"\\'\"", "invalid escape", NULL);
    reject("\"\\U0041\"", "invalid escape", NULL);
    reject("\"\\u12\"", "invalid \\u", "byte 1");
    reject("\"\\u12G4\"", "invalid \\u", NULL);
    reject("\"\\ud800\"", "not followed by a low surrogate", "byte 1");
    reject("\"\\ud800x\"", "not followed by a low surrogate", NULL);
    reject("\"\\uD83D\\u0041\"", "not followed by a low surrogate", NULL);
    reject("\"\\ud83d\\ud83d\"", "not followed by a low surrogate", NULL);
    reject("\"\\udc00\"", "lone low surrogate", "byte 1");
    reject("\"x\\uDE00\\uD83D\"", "lone low surrogate", "byte 2");
    reject("\"\xC0\x80\"", "invalid UTF-8", "byte 1");           /* overlong NUL */
    reject("\"\xE0\x80\xAF\"", "invalid UTF-8", NULL);            /* overlong '/' */
    reject("\"\xED\xA0\x80\"", "invalid UTF-8", NULL);            /* encoded surrogate */
    reject("\"\xF4\x90\x80\x80\"", "invalid UTF-8", NULL);        /* above U+10FFFF */
    reject("\"\xF5\x80\x80\x80\"", "invalid UTF-8", NULL);
    reject("\"ab\xFF\"", "invalid UTF-8", "byte 3");
    reject("\"\x80\"", "invalid UTF-8", NULL);                    /* stray continuation */
    reject("\"\xE2\x82\"", "invalid UTF-8", NULL);                /* cut by the quote */
    reject("{\"k\xC3\":1}", "invalid UTF-8", "byte 3");           /* in a name too */
}
END_TEST

START_TEST(test_rejects_structure)
{
    reject("", "empty document", NULL);
    reject(" \n\t ", "empty document", NULL);
    reject_n(NULL, 0, "empty document", NULL);
    reject("[1 2]", "expected ',' or ']'", "byte 3");
    reject("{\"a\" \"b\"}", "expected ':'", "byte 5");
    reject("{\"a\":1 \"b\":2}", "expected ',' or '}'", "byte 7");
    reject("[,1]", "expected a value", "byte 1");
    reject("[1,]", "expected a value", "byte 3");
    reject("{\"a\":1,}", "member name", "byte 7");
    reject("{\"a\"}", "expected ':'", NULL);
    reject("{1:2}", "member name", NULL);
    reject("{a:1}", "member name", NULL);
    reject("[\"a\":1]", "expected ',' or ']'", NULL);
    reject("{\"a\":1]", "expected ',' or '}'", NULL);
    reject("[}", "expected a value", NULL);
    reject("]", "expected a value", NULL);
    reject("1 2", "trailing characters", "byte 2");
    reject("{} x", "trailing characters", "byte 3");
    reject("[1]]", "trailing characters", "byte 3");
    reject("{}{}", "trailing characters", NULL);
    reject_n("{}\0", 3, "trailing characters", "byte 2");
    reject("\"a\"\"b\"", "trailing characters", NULL);
    reject("\xEF\xBB\xBF{}", "expected a value", "byte 0x");
    reject("/* c */ 1", "expected a value", NULL);
}
END_TEST

/* Every proper prefix of a document is truncated, and says so with the
 * offset where the input ended. */
START_TEST(test_rejects_truncated)
{
    static const char doc[] =
        "{\"a\":[1,-2.5e3,{\"b\":\"c\\u00e9\\ud83d\\ude00\\n\"}],\"t\":true,\"f\":false,\"n\":null,"
        "\"s\":\"x\xC3\xA9\"}";
    accept(doc);
    size_t len = strlen(doc);
    for(size_t n = 1; n < len; n++) {
        char want[64];
        snprintf(want, sizeof want, "at byte %zu", n);
        /* a number cut short ("-" or "-2.5e") is a bad number, not a cut */
        if(n >= 8 && n <= 14 && (doc[n - 1] == '-' || doc[n - 1] == '.' || doc[n - 1] == 'e')) {
            reject_n(doc, n, "invalid number", NULL);
            continue;
        }
        reject_n(doc, n, "truncated", want);
    }
}
END_TEST

START_TEST(test_limits)
{
    char doc[2 * (KIT_JSON_MAX_DEPTH + 1) + 1];
    struct kit_json j;
    char why[256];
    /* exactly at the limit */
    memset(doc, '[', KIT_JSON_MAX_DEPTH);
    memset(doc + KIT_JSON_MAX_DEPTH, ']', KIT_JSON_MAX_DEPTH);
    ck_assert_int_eq(kit_json_parse(&j, doc, 2 * KIT_JSON_MAX_DEPTH, why, sizeof why), 0);
    ck_assert_int_eq(j.ntok, KIT_JSON_MAX_DEPTH);
    ck_assert_int_eq(kit_json_skip(&j, 0), KIT_JSON_MAX_DEPTH);
    ck_assert_int_eq(kit_json_skip(&j, KIT_JSON_MAX_DEPTH - 1), KIT_JSON_MAX_DEPTH);
    kit_json_free(&j);
    /* one beyond */
    memset(doc, '[', KIT_JSON_MAX_DEPTH + 1);
    memset(doc + KIT_JSON_MAX_DEPTH + 1, ']', KIT_JSON_MAX_DEPTH + 1);
    reject_n(doc, 2 * (KIT_JSON_MAX_DEPTH + 1), "nesting deeper than 64", "byte 64");

    /* objects count the same as arrays */
    struct kit_buf b = KIT_BUF_INIT;
    for(int i = 0; i < KIT_JSON_MAX_DEPTH; i++)
        kit_buf_puts(&b, "{\"k\":");
    kit_buf_puts(&b, "1");
    for(int i = 0; i < KIT_JSON_MAX_DEPTH; i++)
        kit_buf_putc(&b, '}');
    ck_assert_int_eq(kit_json_parse(&j, b.data, b.len, why, sizeof why), 0);
    struct kit_buf path = KIT_BUF_INIT;
    for(int i = 0; i < KIT_JSON_MAX_DEPTH; i++)
        kit_buf_puts(&path, i ? ".k" : "k");
    int t = kit_json_path(&j, 0, path.data);
    int64_t v = 0;
    ck_assert_int_eq(kit_json_int64(&j, t, &v), 0);
    ck_assert_int_eq(v, 1);
    /* canonical recursion handles the deepest document */
    struct kit_buf c = KIT_BUF_INIT;
    ck_assert_int_eq(kit_json_canonical(&j, 0, &c), 0);
    ck_assert_str_eq(c.data, b.data);
    kit_buf_free(&c);
    kit_json_free(&j);
    kit_buf_reset(&b);
    for(int i = 0; i <= KIT_JSON_MAX_DEPTH; i++)
        kit_buf_puts(&b, "{\"k\":");
    reject_n(b.data, b.len, "nesting deeper", NULL);
    kit_buf_free(&b);
    kit_buf_free(&path);

    /* size: checked before a byte is read, so untouched calloc pages do */
    char *big = calloc(1, (size_t)KIT_JSON_MAX_BYTES + 1);
    ck_assert_ptr_nonnull(big);
    reject_n(big, (size_t)KIT_JSON_MAX_BYTES + 1, "over the 67108864-byte limit", "67108865");
    free(big);
}
END_TEST

/* ---- strings ---- */

static char *str_at(const struct kit_json *j, int t)
{
    struct kit_buf b = KIT_BUF_INIT;
    ck_assert_int_eq(kit_json_str(j, t, &b), 0);
    char *s = kit_buf_take(&b);
    ck_assert_ptr_nonnull(s);
    return s;
}

START_TEST(test_unescape)
{
    static const char doc[] =
        "{\"plain\":\"abc\",\"esc\":\"q\\\"b\\\\s\\/b\\bf\\fn\\nr\\rt\\t\","
        "\"u\":\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\\uDBFF\\uDFFF\","
        "\"raw\":\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\",\"nul\":\"a\\u0000b\","
        "\"\\u006bey\":1,\"n\":-3.25,\"b\":true}";
    struct kit_json j;
    char why[256] = "";
    ck_assert_msg(kit_json_parse(&j, doc, strlen(doc), why, sizeof why) == 0, "%s", why);
    char *s = str_at(&j, kit_json_get(&j, 0, "plain"));
    ck_assert_str_eq(s, "abc");
    free(s);
    s = str_at(&j, kit_json_get(&j, 0, "esc"));
    ck_assert_str_eq(s, "q\"b\\s/b\bf\fn\nr\rt\t");
    free(s);
    s = str_at(&j, kit_json_get(&j, 0, "u"));
    ck_assert_str_eq(s, "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF");
    free(s);
    s = kit_json_strdup(&j, kit_json_get(&j, 0, "raw"));
    ck_assert_str_eq(s, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
    free(s);
    ck_assert(kit_json_eq(&j, kit_json_get(&j, 0, "u"), "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF"));
    ck_assert(!kit_json_eq(&j, kit_json_get(&j, 0, "u"), "A\xC3\xA9"));
    ck_assert(!kit_json_eq(&j, kit_json_get(&j, 0, "plain"), "abcd"));
    ck_assert(!kit_json_eq(&j, kit_json_get(&j, 0, "plain"), "ab"));
    ck_assert(!kit_json_eq(&j, kit_json_get(&j, 0, "n"), "-3.25")); /* strings only */

    /* \u0000: kit_json_str keeps the byte, strdup refuses to cut it short */
    int t = kit_json_get(&j, 0, "nul");
    struct kit_buf b = KIT_BUF_INIT;
    ck_assert_int_eq(kit_json_str(&j, t, &b), 0);
    ck_assert_uint_eq(b.len, 3);
    ck_assert_mem_eq(b.data, "a\0b", 3);
    kit_buf_free(&b);
    ck_assert_ptr_null(kit_json_strdup(&j, t));
    ck_assert(!kit_json_eq(&j, t, "a"));

    /* names are compared unescaped */
    t = kit_json_get(&j, 0, "key");
    ck_assert_int_ge(t, 0);
    ck_assert_int_eq(kit_json_type(&j, t), KIT_JSON_NUMBER);
    ck_assert_int_eq(kit_json_get(&j, 0, "\\u006bey"), -1);
    ck_assert_int_eq(kit_json_get(&j, 0, "ke"), -1);
    ck_assert_int_eq(kit_json_get(&j, 0, "keys"), -1);

    /* numbers and literals give their text */
    s = str_at(&j, kit_json_get(&j, 0, "n"));
    ck_assert_str_eq(s, "-3.25");
    free(s);
    s = kit_json_strdup(&j, kit_json_get(&j, 0, "b"));
    ck_assert_str_eq(s, "true");
    free(s);
    ck_assert_ptr_null(kit_json_strdup(&j, 0)); /* object */
    b = (struct kit_buf)KIT_BUF_INIT;
    ck_assert_int_eq(kit_json_str(&j, 0, &b), -1);
    ck_assert_int_eq(kit_json_str(&j, 999, &b), -1);
    ck_assert_uint_eq(b.len, 0);
    kit_buf_free(&b);

    size_t n = 0;
    const char *raw = kit_json_raw(&j, kit_json_get(&j, 0, "esc"), &n);
    ck_assert_uint_eq(n, 24);
    ck_assert_mem_eq(raw, "q\\\"b", 4);
    kit_json_free(&j);
}
END_TEST

/* ---- integers ---- */

static int int_of(const char *doc, int64_t *v)
{
    struct kit_json j;
    char why[256] = "";
    ck_assert_msg(kit_json_parse(&j, doc, strlen(doc), why, sizeof why) == 0, "%s: %s", doc, why);
    int rc = kit_json_int64(&j, 0, v);
    kit_json_free(&j);
    return rc;
}

START_TEST(test_int64)
{
    static const struct {
        const char *doc;
        int ok;
        int64_t v;
    } cases[] = {
        {"0", 1, 0},
        {"-0", 1, 0},
        {"17", 1, 17},
        {"-17", 1, -17},
        {"9223372036854775807", 1, INT64_MAX},
        {"-9223372036854775808", 1, INT64_MIN},
        {"9007199254740993", 1, 9007199254740993LL}, /* 2^53+1: no double round trip */
        {"-9007199254740993", 1, -9007199254740993LL},
        {"9223372036854775806", 1, INT64_MAX - 1},
        {"9223372036854775808", 0, 0},
        {"-9223372036854775809", 0, 0},
        {"18446744073709551616", 0, 0},
        {"99999999999999999999999", 0, 0},
        {"1.0", 0, 0},
        {"1e3", 0, 0},
        {"-1.5", 0, 0},
        {"\"12345678901\"", 1, 12345678901LL},
        {"\"-9223372036854775808\"", 1, INT64_MIN},
        {"\"9223372036854775808\"", 0, 0},
        {"\"12a\"", 0, 0},
        {"\" 1\"", 0, 0},
        {"\"+1\"", 0, 0},
        {"\"01\"", 0, 0},
        {"\"\"", 0, 0},
        {"\"-\"", 0, 0},
        {"\"1.5\"", 0, 0},
        {"\"\\u0031\"", 0, 0},
        {"true", 0, 0},
        {"null", 0, 0},
        {"[1]", 0, 0},
        {"{}", 0, 0},
    };
    for(size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int64_t v = 123456;
        int rc = int_of(cases[i].doc, &v);
        if(cases[i].ok) {
            ck_assert_msg(rc == 0, "%s not read as an integer", cases[i].doc);
            ck_assert_msg(v == cases[i].v, "%s read as %lld", cases[i].doc, (long long)v);
        } else {
            ck_assert_msg(rc == -1, "%s accepted as an integer", cases[i].doc);
            ck_assert_msg(v == 123456, "%s changed *out on failure", cases[i].doc);
        }
    }
}
END_TEST

/* ---- navigation ---- */

START_TEST(test_navigation)
{
    static const char doc[] =
        "{\"results\":[{\"id\":\"1\",\"props\":{\"email\":\"a@x.io\",\"tags\":[1,[2,3],{}]}},"
        "{\"id\":\"2\",\"props\":{}},"
        "{\"id\":3,\"props\":null}],"
        "\"paging\":{\"next\":{\"after\":\"MTA=\",\"link\":\"?after=MTA\"}},"
        "\"hasMore\":false,\"total\":3}";
    struct kit_json j;
    char why[256] = "";
    ck_assert_msg(kit_json_parse(&j, doc, strlen(doc), why, sizeof why) == 0, "%s", why);
    ck_assert_int_eq(kit_json_type(&j, 0), KIT_JSON_OBJECT);
    ck_assert_int_eq(kit_json_size(&j, 0), 4);
    ck_assert_int_eq(kit_json_skip(&j, 0), j.ntok);
    ck_assert_int_eq(kit_json_type(&j, -1), KIT_JSON_NONE);
    ck_assert_int_eq(kit_json_type(&j, j.ntok), KIT_JSON_NONE);
    ck_assert_int_eq(kit_json_skip(&j, -1), -1);
    ck_assert_int_eq(kit_json_skip(&j, j.ntok), -1);
    ck_assert_int_eq(kit_json_size(&j, -1), 0);

    int res = kit_json_get(&j, 0, "results");
    ck_assert_int_eq(res, 2);
    ck_assert_int_eq(kit_json_type(&j, res), KIT_JSON_ARRAY);
    ck_assert_int_eq(kit_json_size(&j, res), 3);

    /* the documented loop, with skip jumping over nested subtrees */
    const char *ids[] = {"1", "2", "3"};
    int i, t;
    for(i = 0, t = res + 1; i < kit_json_size(&j, res); i++, t = kit_json_skip(&j, t)) {
        ck_assert_int_eq(t, kit_json_item(&j, res, i));
        ck_assert_int_eq(kit_json_type(&j, t), KIT_JSON_OBJECT);
        int id = kit_json_get(&j, t, "id");
        char *s = kit_json_strdup(&j, id);
        ck_assert_str_eq(s, ids[i]);
        free(s);
        int64_t v;
        ck_assert_int_eq(kit_json_int64(&j, id, &v), 0);
        ck_assert_int_eq(v, i + 1);
    }
    ck_assert_int_eq(t, kit_json_skip(&j, res));
    /* the member after "results" is the name "paging" */
    ck_assert(kit_json_eq(&j, t, "paging"));
    ck_assert_int_eq(kit_json_skip(&j, 1), t); /* a name's subtree includes its value */
    ck_assert_int_eq(kit_json_skip(&j, t), kit_json_skip(&j, t + 1));

    ck_assert_int_eq(kit_json_item(&j, res, 3), -1);
    ck_assert_int_eq(kit_json_item(&j, res, -1), -1);
    ck_assert_int_eq(kit_json_item(&j, 0, 0), -1); /* not an array */

    int tags = kit_json_path(&j, kit_json_item(&j, res, 0), "props.tags");
    ck_assert_int_eq(kit_json_size(&j, tags), 3);
    int inner = kit_json_item(&j, tags, 1);
    ck_assert_int_eq(kit_json_type(&j, inner), KIT_JSON_ARRAY);
    int64_t v = 0;
    ck_assert_int_eq(kit_json_int64(&j, kit_json_item(&j, inner, 1), &v), 0);
    ck_assert_int_eq(v, 3);
    ck_assert_int_eq(kit_json_type(&j, kit_json_item(&j, tags, 2)), KIT_JSON_OBJECT);
    ck_assert_int_eq(kit_json_size(&j, kit_json_item(&j, tags, 2)), 0);
    size_t n = 0;
    const char *raw = kit_json_raw(&j, inner, &n);
    ck_assert_uint_eq(n, 5);
    ck_assert_mem_eq(raw, "[2,3]", 5);
    ck_assert_ptr_null(kit_json_raw(&j, -5, &n));
    ck_assert_uint_eq(n, 0);

    int after = kit_json_path(&j, 0, "paging.next.after");
    ck_assert(kit_json_eq(&j, after, "MTA="));
    ck_assert_int_eq(kit_json_path(&j, 0, "paging.next.before"), -1);
    ck_assert_int_eq(kit_json_path(&j, 0, "paging.prev.after"), -1);
    ck_assert_int_eq(kit_json_path(&j, 0, "paging.next.after.x"), -1); /* through a string */
    ck_assert_int_eq(kit_json_path(&j, 0, "paging."), -1);
    ck_assert_int_eq(kit_json_path(&j, 0, "total"), kit_json_get(&j, 0, "total"));
    ck_assert_int_eq(kit_json_path(&j, 0, NULL), -1);
    ck_assert_int_eq(kit_json_get(&j, 0, NULL), -1);
    ck_assert_int_eq(kit_json_get(&j, res, "id"), -1); /* not an object */
    ck_assert_int_eq(kit_json_get(&j, -1, "id"), -1);
    ck_assert_int_eq(kit_json_get(&j, 0, "props"), -1); /* nested names don't leak up */

    ck_assert_int_eq(kit_json_bool(&j, kit_json_get(&j, 0, "hasMore")), 0);
    ck_assert_int_eq(kit_json_bool(&j, kit_json_get(&j, 0, "total")), -1);
    ck_assert_int_eq(kit_json_type(&j, kit_json_path(&j, kit_json_item(&j, res, 2), "props")), KIT_JSON_NULL);
    kit_json_free(&j);

    /* duplicate names: the first wins */
    ck_assert_int_eq(kit_json_parse(&j, "{\"a\":1,\"a\":2}", 13, NULL, 0), 0);
    ck_assert_int_eq(kit_json_int64(&j, kit_json_get(&j, 0, "a"), &v), 0);
    ck_assert_int_eq(v, 1);
    kit_json_free(&j);
}
END_TEST

/* A wide document: nothing may be quadratic, and skip must still land on
 * each sibling. */
/* Documents of 8 to 15 bytes end in the reader's last-8-bytes step; a
 * special byte before the scan position (the opening quote, an escape)
 * once made a plain byte after it look like a backslash, and "#xar\n"
 * (quoted) was refused as "invalid escape '\x' at byte 1". */
START_TEST(test_short_documents_after_specials)
{
    struct kit_json j;
    struct kit_buf out = KIT_BUF_INIT;
    char why[256] = "";
    const char *doc = "\"#xar\\n\"";
    ck_assert_msg(kit_json_parse(&j, doc, strlen(doc), why, sizeof why) == 0, "%s: %s", doc, why);
    ck_assert_int_eq(kit_json_str(&j, 0, &out), 0);
    ck_assert_str_eq(out.data, "#xar\n");
    kit_json_free(&j);
    /* every escape, then 0 to 12 plain bytes, in documents up to 16 bytes */
    static const char *const escapes[] = {"\\n", "\\\"", "\\\\", "\\u0041", "\xc3\xa9"};
    static const char *const decoded[] = {"\n", "\"", "\\", "A", "\xc3\xa9"};
    for(size_t e = 0; e < sizeof escapes / sizeof *escapes; e++)
        for(int lead = 0; lead < 3; lead++)
            for(int plain = 0; plain <= 12; plain++) {
                char d[48], want[48];
                int n = snprintf(d, sizeof d, "\"%.*s%s%.*s\"", lead, "xy", escapes[e], plain, "#abcdefghijkl");
                snprintf(want, sizeof want, "%.*s%s%.*s", lead, "xy", decoded[e], plain, "#abcdefghijkl");
                ck_assert_msg(kit_json_parse(&j, d, (size_t)n, why, sizeof why) == 0, "%s: %s", d, why);
                kit_buf_reset(&out);
                ck_assert_int_eq(kit_json_str(&j, 0, &out), 0);
                ck_assert_str_eq(out.data, want);
                kit_json_free(&j);
            }
    kit_buf_free(&out);
}
END_TEST

START_TEST(test_wide_document)
{
    struct kit_buf b = KIT_BUF_INIT;
    const int n = 20000;
    kit_buf_puts(&b, "{\"events\":[");
    for(int i = 0; i < n; i++)
        kit_buf_printf(&b, "%s{\"id\":%d,\"type\":\"OPEN\",\"x\":{\"y\":[%d]}}", i ? "," : "", i, i);
    kit_buf_puts(&b, "],\"hasMore\":true}");
    struct kit_json j;
    char why[256] = "";
    ck_assert_msg(kit_json_parse(&j, b.data, b.len, why, sizeof why) == 0, "%s", why);
    int ev = kit_json_get(&j, 0, "events");
    ck_assert_int_eq(kit_json_size(&j, ev), n);
    int i, t;
    int64_t sum = 0;
    for(i = 0, t = ev + 1; i < kit_json_size(&j, ev); i++, t = kit_json_skip(&j, t)) {
        int64_t v;
        ck_assert_int_eq(kit_json_int64(&j, kit_json_get(&j, t, "id"), &v), 0);
        sum += v;
    }
    ck_assert_int_eq(sum, (int64_t)n * (n - 1) / 2);
    ck_assert_int_eq(kit_json_bool(&j, kit_json_get(&j, 0, "hasMore")), 1);
    ck_assert_int_eq(kit_json_skip(&j, kit_json_item(&j, ev, n - 1)), t);
    ck_assert_int_eq(t, j.ntok - 2); /* "hasMore" and its value follow */
    kit_json_free(&j);
    kit_buf_free(&b);
}
END_TEST

/* ---- canonical ---- */

START_TEST(test_canonical)
{
    const char *want = "{\"a\":[true,null,{\"c\":1.50,\"d\":\"x\"}],\"b\":-1e5}";
    canon_is("{\"b\":-1e5,\"a\":[true,null,{\"d\":\"x\",\"c\":1.50}]}", want);
    canon_is(" {\n \"a\" : [ true ,\tnull , { \"c\" : 1.50 , \"d\" : \"x\" } ] ,\r\n \"b\" : -1e5 } ", want);
    /* names are sorted unescaped: \u0062 is "b" */
    canon_is("{\"\\u0062\":-1e5,\"a\":[true,null,{\"\\u0064\":\"\\u0078\",\"c\":1.50}]}", want);
    /* bytewise order: upper case, lower case, prefixes first, then UTF-8 */
    canon_is("{\"\xC3\xA9\":1,\"ab\":2,\"a\":3,\"B\":4,\"\":5}",
             "{\"\":5,\"B\":4,\"a\":3,\"ab\":2,\"\xC3\xA9\":1}");
    canon_is("{\"\\u00e9\":1,\"z\":2}", "{\"z\":2,\"\xC3\xA9\":1}");
    /* minimal escapes: only what JSON requires, short forms preferred */
    canon_is("[\"\\u0041\\/\\n\\u001F\\\"\\\\\\u00e9\\ud83d\\ude00\\u0008\\u007f\"]",
             "[\"A/\\n\\u001f\\\"\\\\\xC3\xA9\xF0\x9F\x98\x80\\b\x7F\"]");
    /* numbers as written, not normalised */
    canon_is("[1.0,1e2,-0,1E+2]", "[1.0,1e2,-0,1E+2]");
    /* duplicate names keep document order */
    canon_is("{\"k\":2,\"a\":0,\"k\":1}", "{\"a\":0,\"k\":2,\"k\":1}");
    canon_is("{\"\\u006b\":2,\"k\":1}", "{\"k\":2,\"k\":1}");
    canon_is("\"s\"", "\"s\"");
    canon_is("{}", "{}");
    canon_is("[[],{}]", "[[],{}]");

    /* differently ordered documents compare equal, different ones don't */
    char *x = canon_of("{\"inputs\":[{\"id\":\"a@x.io\",\"properties\":{\"email\":\"a@x.io\",\"firstname\":\"A\"},"
                       "\"idProperty\":\"email\"}]}");
    char *y = canon_of("{ \"inputs\" : [ { \"idProperty\" : \"email\" , \"properties\" : { \"firstname\" : \"A\","
                       " \"email\" : \"a\\u0040x.io\" } , \"id\" : \"a@x.io\" } ] }");
    char *z = canon_of("{\"inputs\":[{\"id\":\"a@x.io\",\"properties\":{\"email\":\"a@x.io\",\"firstname\":\"B\"},"
                       "\"idProperty\":\"email\"}]}");
    ck_assert_str_eq(x, y);
    ck_assert_str_ne(x, z);
    free(x);
    free(y);
    free(z);

    /* a subtree, and a bad token */
    struct kit_json j;
    struct kit_buf b = KIT_BUF_INIT;
    const char *sub = "{\"o\":{\"z\":1,\"y\":2},\"p\":0}";
    ck_assert_int_eq(kit_json_parse(&j, sub, strlen(sub), NULL, 0), 0);
    ck_assert_int_eq(kit_json_canonical(&j, kit_json_get(&j, 0, "o"), &b), 0);
    ck_assert_str_eq(b.data, "{\"y\":2,\"z\":1}");
    ck_assert_int_eq(kit_json_canonical(&j, 99, &b), -1);
    ck_assert_str_eq(b.data, "{\"y\":2,\"z\":1}");
    kit_buf_free(&b);
    kit_json_free(&j);

    /* canonical output is valid JSON and a fixed point */
    char *c1 = canon_of("{\"z\":[\"\\u0001\\t\",{\"b\":null,\"a\":\"\\\"\"}],\"y\":\"\\ud834\\udd1e\"}");
    char *c2 = canon_of(c1);
    ck_assert_str_eq(c1, c2);
    free(c1);
    free(c2);
}
END_TEST

/* ---- writer ---- */

START_TEST(test_writer)
{
    struct kit_buf b = KIT_BUF_INIT;
    struct kit_jw w;
    kit_jw_init(&w, &b);
    kit_jw_obj(&w);
    kit_jw_kstr(&w, "q\"k", "a\"b\\c/d\n\r\t\b\f\x01\x1f\x7f\xC3\xA9");
    kit_jw_kint(&w, "max", INT64_MAX);
    kit_jw_kint(&w, "min", INT64_MIN);
    kit_jw_kint(&w, "zero", 0);
    kit_jw_key(&w, "list");
    kit_jw_arr(&w);
    kit_jw_bool(&w, 1);
    kit_jw_bool(&w, 0);
    kit_jw_null(&w);
    kit_jw_str(&w, NULL);
    kit_jw_arr(&w);
    kit_jw_arr_end(&w);
    kit_jw_obj(&w);
    kit_jw_obj_end(&w);
    kit_jw_raw(&w, "1.5e3", 5);
    kit_jw_strn(&w, "ab\0c", 4);
    kit_jw_arr_end(&w);
    kit_jw_kstr(&w, "bad", "x\xFFy\xE2\x82z\xF0\x9F\x98");
    kit_jw_obj_end(&w);
    ck_assert_int_eq(kit_jw_error(&w), 0);
    ck_assert_int_eq(w.depth, 0);
    ck_assert_str_eq(b.data,
                     "{\"q\\\"k\":\"a\\\"b\\\\c/d\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\xC3\xA9\","
                     "\"max\":9223372036854775807,\"min\":-9223372036854775808,\"zero\":0,"
                     "\"list\":[true,false,null,null,[],{},1.5e3,\"ab\\u0000c\"],"
                     "\"bad\":\"x\xEF\xBF\xBDy\xEF\xBF\xBDz\xEF\xBF\xBD\"}");

    /* and the reader gets every value back */
    struct kit_json j;
    char why[256] = "";
    ck_assert_msg(kit_json_parse(&j, b.data, b.len, why, sizeof why) == 0, "%s", why);
    ck_assert(kit_json_eq(&j, kit_json_get(&j, 0, "q\"k"), "a\"b\\c/d\n\r\t\b\f\x01\x1f\x7f\xC3\xA9"));
    int64_t v;
    ck_assert_int_eq(kit_json_int64(&j, kit_json_get(&j, 0, "max"), &v), 0);
    ck_assert_int_eq(v, INT64_MAX);
    ck_assert_int_eq(kit_json_int64(&j, kit_json_get(&j, 0, "min"), &v), 0);
    ck_assert_int_eq(v, INT64_MIN);
    int list = kit_json_get(&j, 0, "list");
    ck_assert_int_eq(kit_json_size(&j, list), 8);
    struct kit_buf s = KIT_BUF_INIT;
    ck_assert_int_eq(kit_json_str(&j, kit_json_item(&j, list, 7), &s), 0);
    ck_assert_uint_eq(s.len, 4);
    ck_assert_mem_eq(s.data, "ab\0c", 4);
    kit_buf_free(&s);
    kit_json_free(&j);

    /* top-level values go back to back; the caller separates them */
    kit_buf_reset(&b);
    kit_jw_init(&w, &b);
    kit_jw_int(&w, -5);
    kit_jw_str(&w, "");
    ck_assert_int_eq(kit_jw_error(&w), 0);
    ck_assert_str_eq(b.data, "-5\"\"");
    kit_buf_free(&b);
}
END_TEST

START_TEST(test_writer_errors)
{
    struct kit_buf b = KIT_BUF_INIT;
    struct kit_jw w;

    /* depth: KIT_JSON_MAX_DEPTH containers fit, one more does not */
    kit_jw_init(&w, &b);
    for(int i = 0; i < KIT_JSON_MAX_DEPTH; i++)
        kit_jw_arr(&w);
    ck_assert_int_eq(kit_jw_error(&w), 0);
    for(int i = 0; i < KIT_JSON_MAX_DEPTH; i++)
        kit_jw_arr_end(&w);
    ck_assert_int_eq(kit_jw_error(&w), 0);
    struct kit_json j;
    ck_assert_int_eq(kit_json_parse(&j, b.data, b.len, NULL, 0), 0);
    kit_json_free(&j);
    kit_buf_reset(&b);
    kit_jw_init(&w, &b);
    for(int i = 0; i <= KIT_JSON_MAX_DEPTH; i++)
        kit_jw_arr(&w);
    ck_assert_int_eq(kit_jw_error(&w), KIT_JW_E_DEPTH);
    size_t len = b.len;
    kit_jw_arr_end(&w); /* sticky: nothing more is written */
    kit_jw_int(&w, 1);
    ck_assert_uint_eq(b.len, len);
    ck_assert_int_eq(kit_jw_error(&w), KIT_JW_E_DEPTH);

    struct {
        const char *what;
        int step;
    } misuse[] = {{"close with nothing open", 0}, {"] closing {", 1}, {"} closing [", 2},
                  {"key in an array", 3},         {"value without key", 4}, {"close after key", 5},
                  {"key after key", 6},           {"key at top level", 7},  {"empty raw", 8}};
    for(size_t i = 0; i < sizeof misuse / sizeof *misuse; i++) {
        kit_buf_reset(&b);
        kit_jw_init(&w, &b);
        switch(misuse[i].step) {
        case 0: kit_jw_obj_end(&w); break;
        case 1: kit_jw_obj(&w); kit_jw_arr_end(&w); break;
        case 2: kit_jw_arr(&w); kit_jw_obj_end(&w); break;
        case 3: kit_jw_arr(&w); kit_jw_key(&w, "k"); break;
        case 4: kit_jw_obj(&w); kit_jw_int(&w, 1); break;
        case 5: kit_jw_obj(&w); kit_jw_key(&w, "k"); kit_jw_obj_end(&w); break;
        case 6: kit_jw_obj(&w); kit_jw_key(&w, "k"); kit_jw_key(&w, "l"); break;
        case 7: kit_jw_key(&w, "k"); break;
        default: kit_jw_arr(&w); kit_jw_raw(&w, "", 0); break;
        }
        ck_assert_msg(kit_jw_error(&w) == KIT_JW_E_USAGE, "%s not reported", misuse[i].what);
    }

    /* out of memory in the buffer is reported */
    kit_buf_reset(&b);
    kit_jw_init(&w, &b);
    kit_jw_obj(&w);
    b.oom = 1;
    kit_jw_kstr(&w, "k", "v");
    ck_assert_int_eq(kit_jw_error(&w), KIT_JW_E_NOMEM);
    kit_buf_free(&b);
    ck_assert_int_eq(kit_json_quote(&b, "x", 1), 0);
    b.oom = 1;
    ck_assert_int_eq(kit_json_quote(&b, "x", 1), -1);
    kit_buf_free(&b);
}
END_TEST

static char *quoted(const char *s, size_t n)
{
    struct kit_buf b = KIT_BUF_INIT;
    ck_assert_int_eq(kit_json_quote(&b, s, n), 0);
    return kit_buf_take(&b);
}

/* Quote len bytes of 'a' with byte c at positions at and (if not
 * SIZE_MAX) at2, and compare with the expected text. Read from a heap
 * copy of exactly len bytes, so a load past the end shows under ASan. */
static void quote_one(size_t len, char c, const char *esc, size_t at, size_t at2)
{
    char *in = malloc(len ? len : 1), want[256];
    memset(in, 'a', len);
    size_t w = 0;
    want[w++] = '"';
    for(size_t k = 0; k < len; k++) {
        if(k == at || k == at2) {
            in[k] = c;
            strcpy(want + w, esc);
            w += strlen(esc);
        } else {
            want[w++] = 'a';
        }
    }
    want[w++] = '"';
    want[w] = '\0';
    char *q = quoted(in, len);
    ck_assert_msg(!strcmp(q, want), "len %zu, byte %d at %zu and %zu: got %s", len, (unsigned char)c, at,
                  at2, q);
    free(q);
    free(in);
}

/* A byte needing an escape is found wherever it sits in a string of any
 * short length (the scan reads 16 and 8 bytes at a time, its last load
 * overlapping bytes already read), alone or after another one; a string
 * without one is copied whole. */
START_TEST(test_quote_finds_escapes_at_every_offset)
{
    static const struct {
        char c;
        const char *esc;
    } specials[] = {{'"', "\\\""}, {'\\', "\\\\"}, {'\n', "\\n"}, {'\x01', "\\u0001"}, {'\xC3', "\xEF\xBF\xBD"}};
    for(size_t len = 0; len <= 40; len++) {
        quote_one(len, 'a', "a", (size_t)-1, (size_t)-1);
        for(size_t sp = 0; sp < sizeof specials / sizeof *specials; sp++)
            for(size_t at = 0; at < len; at++) {
                quote_one(len, specials[sp].c, specials[sp].esc, at, (size_t)-1);
                if(at + 1 < len)
                    quote_one(len, specials[sp].c, specials[sp].esc, at, len - 1);
            }
    }
}
END_TEST

START_TEST(test_quote)
{
    static const struct {
        const char *in;
        size_t n;
        const char *out;
    } cases[] = {
        {"", 0, "\"\""},
        {"plain text", 10, "\"plain text\""},
        {"\"\\/", 3, "\"\\\"\\\\/\""},
        {"\x00\x07\x1b", 3, "\"\\u0000\\u0007\\u001b\""},
        {"\xC3", 1, "\"\xEF\xBF\xBD\""},                         /* cut at the end */
        {"\xE2\x82" "A", 3, "\"\xEF\xBF\xBD" "A\""},             /* maximal subpart: one U+FFFD */
        {"\xF0\x9F\x98", 3, "\"\xEF\xBF\xBD\""},
        {"\xED\xA0\x80", 3, "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""}, /* surrogate */
        {"\xC0\xAF", 2, "\"\xEF\xBF\xBD\xEF\xBF\xBD\""},         /* overlong */
        {"\xF4\x8F\xBF\xBF", 4, "\"\xF4\x8F\xBF\xBF\""},          /* U+10FFFF is fine */
        {"\xF4\x90\x80\x80", 4, "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""},
    };
    for(size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *q = quoted(cases[i].in, cases[i].n);
        ck_assert_msg(strcmp(q, cases[i].out) == 0, "case %zu: got %s", i, q);
        free(q);
        /* kit_json_escape: the same bytes without the quotes, after text
         * already in the buffer. */
        struct kit_buf e = KIT_BUF_INIT;
        kit_buf_puts(&e, "<");
        ck_assert_int_eq(kit_json_escape(&e, cases[i].in, cases[i].n), 0);
        size_t olen = strlen(cases[i].out);
        ck_assert_msg(e.len == olen - 1 && !memcmp(e.data + 1, cases[i].out + 1, olen - 2) &&
                          e.data[e.len] == '\0',
                      "case %zu: escaped %s", i, kit_buf_str(&e));
        kit_buf_free(&e);
    }

    /* every byte value and a mix of UTF-8 survive quote -> parse -> unescape */
    char all[256 + 16];
    for(int c = 0; c < 128; c++)
        all[c] = (char)c;
    memcpy(all + 128, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xDF\xBF\xEF\xBF\xBF", 14);
    size_t n = 128 + 14;
    char *q = quoted(all, n);
    struct kit_json j;
    char why[256] = "";
    ck_assert_msg(kit_json_parse(&j, q, strlen(q), why, sizeof why) == 0, "%s", why);
    struct kit_buf b = KIT_BUF_INIT;
    ck_assert_int_eq(kit_json_str(&j, 0, &b), 0);
    ck_assert_uint_eq(b.len, n);
    ck_assert_mem_eq(b.data, all, n);
    /* and the canonical form of that string is what the writer wrote */
    kit_buf_reset(&b);
    ck_assert_int_eq(kit_json_canonical(&j, 0, &b), 0);
    ck_assert_str_eq(b.data, q);
    kit_buf_free(&b);
    kit_json_free(&j);
    free(q);
}
END_TEST

/* The kit's one UTF-8 check, at the edges Unicode draws: what the JSON
 * reader, message cleaning and the host's state and CSV readers rely on. */
START_TEST(test_utf8_valid)
{
    static const struct {
        const char *s;
        size_t len;
        int ok;
        size_t bad;
    } cases[] = {
        {"plain", 5, 1, 0},
        {"caf\xc3\xa9", 5, 1, 0},
        {"\xe2\x82\xac\xf0\x9f\x98\x80", 7, 1, 0},   /* U+20AC, U+1F600 */
        {"\xf4\x8f\xbf\xbf", 4, 1, 0},               /* U+10FFFF */
        {"a\xc0\xaf", 3, 0, 1},                      /* overlong '/' */
        {"ab\xe0\x9f\xbf", 5, 0, 2},                 /* overlong U+07FF */
        {"\xed\xa0\x80", 3, 0, 0},                   /* surrogate U+D800 */
        {"x\xf4\x90\x80\x80", 5, 0, 1},              /* above U+10FFFF */
        {"\xf5\x80\x80\x80", 4, 0, 0},
        {"ok\x80", 3, 0, 2},                         /* stray continuation */
        {"\xe2\x82", 2, 0, 0},                       /* cut short */
        {"a\0b", 3, 0, 1},                           /* NUL refused by default */
    };
    for(size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t bad = 99;
        int ok = kit_utf8_valid(cases[i].s, cases[i].len, 0, &bad);
        ck_assert_msg(!ok == !cases[i].ok, "case %zu: valid %d", i, ok);
        if(!ok)
            ck_assert_msg(bad == cases[i].bad, "case %zu: bad at %zu", i, bad);
    }
    ck_assert(kit_utf8_valid("a\0b", 3, 1, NULL));
    size_t bad = 0;
    ck_assert_uint_eq(kit_utf8_seq("\xe2\x82\xac", 3, &bad), 3);
    ck_assert_uint_eq(kit_utf8_seq("\xe2\x82", 2, &bad), 0);
    ck_assert_uint_eq(bad, 2); /* one U+FFFD for the cut sequence */
    ck_assert_uint_eq(kit_utf8_seq("\xe2\x28\xa1", 3, &bad), 0);
    ck_assert_uint_eq(bad, 1);
}
END_TEST

/* kit_json_eqn compares the unescaped name with n bytes, NUL included,
 * and takes nothing past n. */
START_TEST(test_eqn_compares_n_bytes)
{
    static const char doc[] = "{\"id\":1,\"i\\u0064\":2,\"a\\u0000b\":3}";
    struct kit_json j = {0};
    ck_assert_int_eq(kit_json_parse(&j, doc, strlen(doc), NULL, 0), 0);
    ck_assert(kit_json_eqn(&j, 1, "id", 2));
    ck_assert(kit_json_eqn(&j, 1, "idx", 2));
    ck_assert(!kit_json_eqn(&j, 1, "i", 1));
    ck_assert(!kit_json_eqn(&j, 1, "idx", 3));
    ck_assert(kit_json_eqn(&j, 3, "id", 2)); /* escaped: "i\u0064" */
    ck_assert(kit_json_eqn(&j, 5, "a\0b", 3));
    ck_assert(!kit_json_eq(&j, 5, "a"));
    ck_assert(!kit_json_eqn(&j, 2, "1", 1)); /* a number is no name */
    ck_assert(!kit_json_eqn(&j, 99, "id", 2));
    kit_json_free(&j);
}
END_TEST

/* One token array for many documents: a smaller document after a bigger
 * one reuses it (no allocation), a bigger one grows it, a refused one
 * leaves no document but the array, and every document reads exactly as
 * kit_json_parse reads it. */
START_TEST(test_reparse_reuses_tokens)
{
    static const char big[] = "{\"results\":[{\"id\":\"1\"},{\"id\":\"2\"},{\"id\":\"3\"},{\"id\":\"4\"}],"
                              "\"a\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32]}";
    static const char small[] = "{\"id\":\"7\"}";
    char huge[4096];
    size_t n = 0;
    huge[n++] = '[';
    for(int i = 0; i < 600; i++)
        n += (size_t)snprintf(huge + n, sizeof huge - n, "%s%d", i ? "," : "", i % 10);
    huge[n++] = ']';
    struct kit_json j = {0}, fresh = {0};
    char why[128];
    ck_assert_int_eq(kit_json_reparse(&j, big, strlen(big), why, sizeof why), 0);
    ck_assert_int_eq(kit_json_parse(&fresh, big, strlen(big), NULL, 0), 0);
    ck_assert_int_eq(j.ntok, fresh.ntok);
    ck_assert_str_eq(kit_json_raw(&j, kit_json_path(&j, 0, "a"), &(size_t){0}),
                     kit_json_raw(&fresh, kit_json_path(&fresh, 0, "a"), &(size_t){0}));
    kit_json_free(&fresh);
    const struct kit_json_tok *array = j.tok;
    size_t cap = j.cap;
    ck_assert_int_eq(kit_json_reparse(&j, small, strlen(small), why, sizeof why), 0);
    ck_assert_ptr_eq(j.tok, array); /* reused, not made again */
    ck_assert_uint_eq(j.cap, cap);
    ck_assert_int_eq(j.ntok, 3);
    ck_assert(kit_json_eq(&j, kit_json_get(&j, 0, "id"), "7"));
    ck_assert_int_eq(kit_json_reparse(&j, "{\"id\":", 6, why, sizeof why), -1);
    ck_assert_ptr_nonnull(strstr(why, "truncated"));
    ck_assert_int_eq(j.ntok, 0);
    ck_assert_int_eq(kit_json_type(&j, 0), KIT_JSON_NONE);
    ck_assert_ptr_eq(j.tok, array); /* kept for the next one */
    ck_assert_int_eq(kit_json_reparse(&j, huge, n, why, sizeof why), 0);
    ck_assert_int_eq(j.ntok, 601);
    ck_assert_uint_ge(j.cap, 601);
    ck_assert_int_eq(kit_json_size(&j, 0), 600);
    ck_assert_int_eq(kit_json_reparse(&j, small, strlen(small), why, sizeof why), 0);
    ck_assert_int_eq(j.ntok, 3);
    kit_json_free(&j);
    ck_assert_ptr_null(j.tok);
    ck_assert_uint_eq(j.cap, 0);
}
END_TEST

extern Suite *make_json_suite(void);

Suite *make_json_suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("reader");
    tcase_add_test(tc, test_accepts_valid);
    tcase_add_test(tc, test_reparse_reuses_tokens);
    tcase_add_test(tc, test_eqn_compares_n_bytes);
    tcase_add_test(tc, test_root_primitive_tokens);
    tcase_add_test(tc, test_rejects_numbers);
    tcase_add_test(tc, test_rejects_literals);
    tcase_add_test(tc, test_rejects_strings);
    tcase_add_test(tc, test_rejects_structure);
    tcase_add_test(tc, test_rejects_truncated);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_unescape);
    tcase_add_test(tc, test_int64);
    tcase_add_test(tc, test_navigation);
    tcase_add_test(tc, test_wide_document);
    tcase_add_test(tc, test_short_documents_after_specials);
    suite_add_tcase(s, tc);
    tc = tcase_create("canonical");
    tcase_add_test(tc, test_canonical);
    suite_add_tcase(s, tc);
    tc = tcase_create("writer");
    tcase_add_test(tc, test_writer);
    tcase_add_test(tc, test_writer_errors);
    tcase_add_test(tc, test_quote);
    tcase_add_test(tc, test_quote_finds_escapes_at_every_offset);
    tcase_add_test(tc, test_utf8_valid);
    suite_add_tcase(s, tc);
    return s;
}
