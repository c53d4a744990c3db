/* check_json_fast.c - the JSON reader (plugin/json.c) held to the frozen
 * reference reader (tests/support/json_ref.c) on tens of thousands of
 * documents: HubSpot-shaped pages and the recorded cassettes, every
 * truncation of them, random byte flips, whitespace everywhere, deep
 * nesting, every escape, surrogates, bad UTF-8, number and literal edge
 * cases, the limits. For each: the same verdict, the same reason byte for
 * byte, and the same tokens (type, start, end, size, next, esc), through
 * kit_json_parse and through kit_json_reparse on a reused array. And the
 * writer's quoting (kit_json_quote), byte for byte. */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/buf.h"
#include "plugin/json.h"
#include "tests/support/hspages.h"
#include "tests/support/json_ref.h"
#include "tests/support/xorshift.h"

/* What differs between the two readers on text[0..len), written to diff
 * (empty when nothing does). j is a reader state for kit_json_reparse,
 * carried from document to document so its array is reused and regrown. */
#define DIFF_SIZE 1024
static void differ(struct kit_json *j, const char *text, size_t len, char diff[DIFF_SIZE])
{
    const size_t dsize = DIFF_SIZE;
    struct json_ref_tok *rt;
    int rn;
    char rwhy[256], why[256], why2[256];
    struct kit_json fresh;
    int rrc = json_ref_parse(text, len, &rt, &rn, rwhy, sizeof rwhy);
    int rc = kit_json_parse(&fresh, text, len, why, sizeof why);
    int rc2 = kit_json_reparse(j, text, len, why2, sizeof why2);
    diff[0] = '\0';
    if(rc != rrc || rc2 != rrc)
        snprintf(diff, dsize, "verdict %d (reparse %d), reference %d (%s)", rc, rc2, rrc, rwhy);
    else if(strcmp(why, rwhy) || strcmp(why2, rwhy))
        snprintf(diff, dsize, "reason \"%s\" (reparse \"%s\"), reference \"%s\"", why, why2, rwhy);
    else if(rc == 0 && (fresh.ntok != rn || j->ntok != rn))
        snprintf(diff, dsize, "%d tokens (reparse %d), reference %d", fresh.ntok, j->ntok, rn);
    else if(rc == 0 && (fresh.text != text || fresh.len != len || j->text != text || j->len != len))
        snprintf(diff, dsize, "document not kept");
    else if(rc != 0 && (fresh.tok || fresh.ntok || j->ntok || kit_json_type(j, 0) != KIT_JSON_NONE))
        snprintf(diff, dsize, "a failed parse left a document");
    for(int i = 0; rc == 0 && !diff[0] && i < rn; i++) {
        const struct kit_json_tok *a = kit_json_token(&fresh, i), *b = kit_json_token(j, i);
        const struct json_ref_tok *r = &rt[i];
        if(a->type != r->type || a->start != r->start || a->end != r->end || a->size != r->size ||
           a->next != r->next || a->esc != r->esc || memcmp(a, b, sizeof *a))
            snprintf(diff, dsize,
                     "token %d: type %u start %u end %d size %d next %d esc %u; reference type %u "
                     "start %u end %d size %d next %d esc %u",
                     i, a->type, a->start, a->end, a->size, a->next, a->esc, r->type, r->start, r->end,
                     r->size, r->next, r->esc);
    }
    kit_json_free(&fresh);
    free(rt);
}

static void same_n(struct kit_json *j, const char *text, size_t len)
{
    char diff[DIFF_SIZE];
    differ(j, text, len, diff);
    ck_assert_msg(!diff[0], "on %zu bytes \"%.*s\"%s: %s", len, (int)(len < 300 ? len : 300), text,
                  len < 300 ? "" : "...", diff);
}

static void same(struct kit_json *j, const char *text) { same_n(j, text, strlen(text)); }

/* Deterministic xorshift, so a failure names a document that comes again. */
static uint64_t rnd_state = 0x9E3779B97F4A7C15u;
static uint64_t rnd(void)
{
    return xorshift_next(&rnd_state);
}

static void read_file(const char *path, struct kit_buf *out)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char chunk[8192];
    size_t n;
    while((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        ck_assert_int_eq(kit_buf_append(out, chunk, n), 0);
    fclose(f);
}

/* Every cassette (whole, pretty-printed: whitespace everywhere) and every
 * answer body in it (compact, as the replay server serves them). */
static void cassettes_in(struct kit_json *j, const char *dir, int *files)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    struct dirent *e;
    while((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if(n < 6 || strcmp(e->d_name + n - 5, ".json"))
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct kit_buf b = KIT_BUF_INIT, canon = KIT_BUF_INIT;
        read_file(path, &b);
        same_n(j, b.data, b.len);
        struct kit_json c;
        ck_assert_int_eq(kit_json_parse(&c, b.data, b.len, NULL, 0), 0);
        ck_assert_int_eq(kit_json_canonical(&c, 0, &canon), 0);
        same_n(j, canon.data, canon.len);
        kit_json_free(&c);
        kit_buf_free(&canon);
        kit_buf_free(&b);
        (*files)++;
    }
    closedir(d);
}

START_TEST(test_hubspot_shaped_documents)
{
    struct kit_json j = {0};
    struct kit_buf b = KIT_BUF_INIT;
    int files = 0;
    cassettes_in(&j, "fixtures/hubspot", &files);
    cassettes_in(&j, "fixtures/hubspot/gen", &files);
    cassettes_in(&j, "fixtures/hubspot/demo", &files);
    ck_assert_int_ge(files, 60);
    for(int n = 0; n <= 100; n += n < 5 ? 1 : 19) {
        kit_buf_reset(&b);
        hsp_events_page(&b, n * 1000, n, n & 1);
        same_n(&j, b.data, b.len);
        kit_buf_reset(&b);
        hsp_upsert_answer(&b, n * 100, n);
        same_n(&j, b.data, b.len);
        kit_buf_reset(&b);
        hsp_members_answer(&b, n, n);
        same_n(&j, b.data, b.len);
    }
    for(long k = 0; k < 2000; k += 7) {
        kit_buf_reset(&b);
        hsp_input_line(&b, k);
        same_n(&j, b.data, b.len);
    }
    kit_buf_free(&b);
    kit_json_free(&j);
}
END_TEST

/* Every prefix of a page and of a pretty-printed cassette: each ends
 * inside some token or between two, where the reasons differ. */
START_TEST(test_every_truncation)
{
    struct kit_json j = {0};
    struct kit_buf page = KIT_BUF_INIT, cas = KIT_BUF_INIT;
    hsp_events_page(&page, 40, 3, 1);
    hsp_upsert_answer(&page, 0, 0); /* a second root: trailing characters */
    read_file("fixtures/hubspot/lookup-batch-misses.json", &cas);
    /* Each prefix in its own allocation, so reading a byte past the
     * document is a memory error under ASan and valgrind, not a silent
     * read of the rest of the page. */
    for(int which = 0; which < 2; which++) {
        const struct kit_buf *src = which ? &cas : &page;
        for(size_t n = 0; n <= src->len; n++) {
            char *copy = malloc(n ? n : 1);
            ck_assert_ptr_nonnull(copy);
            memcpy(copy, src->data, n);
            same_n(&j, copy, n);
            free(copy);
        }
    }
    kit_buf_free(&page);
    kit_buf_free(&cas);
    kit_json_free(&j);
}
END_TEST

/* Random bytes dropped on HubSpot pages: mostly bytes the grammar cares
 * about, so most flips land somewhere a reason is written. */
START_TEST(test_random_byte_flips)
{
    static const char interesting[] = "{}[],:\"\\ \t\r\n0123456789-+.eEtfnulasr/bu\x01\x1f\x7f\x80\xbf\xc3\xe2\xed\xf0\xf4\xff";
    struct kit_json j = {0};
    struct kit_buf page = KIT_BUF_INIT, upsert = KIT_BUF_INIT;
    hsp_events_page(&page, 7, 4, 1);
    hsp_upsert_answer(&upsert, 0, 21);
    for(int i = 0; i < 6000; i++) {
        struct kit_buf *src = i & 1 ? &upsert : &page;
        char *doc = malloc(src->len);
        ck_assert_ptr_nonnull(doc);
        memcpy(doc, src->data, src->len);
        int flips = 1 + (int)(rnd() % 3);
        for(int f = 0; f < flips; f++) {
            uint64_t r = rnd();
            doc[r % src->len] = r & 0x100000 ? (char)(r >> 24) : interesting[(r >> 24) % (sizeof interesting - 1)];
        }
        size_t len = i % 5 == 0 ? (size_t)(rnd() % src->len) : src->len;
        same_n(&j, doc, len);
        free(doc);
    }
    kit_buf_free(&page);
    kit_buf_free(&upsert);
    kit_json_free(&j);
}
END_TEST

/* A random JSON value into b: every kind, random whitespace, strings with
 * escapes and UTF-8, numbers in every form, nesting up to depth. */
static void gen_value(struct kit_buf *b, int depth);

static void gen_ws(struct kit_buf *b)
{
    static const char ws[] = " \t\r\n";
    if(rnd() % 4 == 0)
        for(int i = (int)(rnd() % 3); i >= 0; i--)
            kit_buf_putc(b, ws[rnd() % 4]);
}

static void gen_string(struct kit_buf *b)
{
    static const char *const pieces[] = {"a", "Zq", "hello world", "0123456789abcdef", "\\\"", "\\\\", "\\/",
                                         "\\b", "\\f", "\\n", "\\r", "\\t", "\\u0041", "\\u00e9", "\\u20AC",
                                         "\\uD83D\\uDE00", "\\u0000", "\xc3\xa9", "\xe2\x82\xac",
                                         "\xf0\x9f\x98\x80", "user@example.com", "2026-11-28T00:00:00.000Z"};
    kit_buf_putc(b, '"');
    for(int i = (int)(rnd() % 6); i > 0; i--)
        kit_buf_puts(b, pieces[rnd() % (sizeof pieces / sizeof *pieces)]);
    kit_buf_putc(b, '"');
}

static void gen_value(struct kit_buf *b, int depth)
{
    static const char *const prims[] = {"0", "-0", "7", "-12", "3.25", "1e9", "-2.5E-3", "6.02e+23",
                                        "1795824000000", "true", "false", "null", "42.3736", "-71.1097"};
    unsigned kind = (unsigned)(rnd() % (depth > 0 ? 5 : 3));
    gen_ws(b);
    if(kind == 0)
        gen_string(b);
    else if(kind <= 2)
        kit_buf_puts(b, prims[rnd() % (sizeof prims / sizeof *prims)]);
    else {
        int obj = kind == 3, n = (int)(rnd() % 5);
        kit_buf_putc(b, obj ? '{' : '[');
        gen_ws(b);
        for(int i = 0; i < n; i++) {
            if(i) {
                kit_buf_putc(b, ',');
                gen_ws(b);
            }
            if(obj) {
                gen_string(b);
                gen_ws(b);
                kit_buf_putc(b, ':');
            }
            gen_value(b, depth - 1);
            gen_ws(b);
        }
        kit_buf_putc(b, obj ? '}' : ']');
    }
    gen_ws(b);
}

START_TEST(test_random_documents_and_mutations)
{
    struct kit_json j = {0};
    struct kit_buf b = KIT_BUF_INIT;
    for(int i = 0; i < 4000; i++) {
        kit_buf_reset(&b);
        gen_value(&b, 1 + i % 7);
        same_n(&j, b.data, b.len);
        if(!b.len)
            continue;
        /* mutated: a byte changed, dropped or doubled, or a prefix */
        uint64_t r = rnd();
        size_t at = (size_t)(r >> 8) % b.len;
        switch(r % 4) {
        case 0: b.data[at] = (char)(r >> 40); break;
        case 1: memmove(b.data + at, b.data + at + 1, b.len - at - 1); b.len--; break;
        case 2: kit_buf_putc(&b, b.data[at]); break;
        default: b.len = at; break;
        }
        same_n(&j, b.data, b.len);
    }
    kit_buf_free(&b);
    kit_json_free(&j);
}
END_TEST

/* Whitespace of each kind at every place between tokens. */
START_TEST(test_whitespace_everywhere)
{
    static const char *const ws[] = {" ", "\t", "\r\n", "\n\n  \t"};
    const char *base = "{\"a\":[1,\"x\",{\"b\":null},[],{}],\"c\":true,\"d\":-0.5e1,\"e\":\"\\u00e9\"}";
    struct kit_json j = {0};
    struct kit_buf b = KIT_BUF_INIT;
    size_t n = strlen(base);
    for(size_t at = 0; at <= n; at++)
        for(size_t w = 0; w < 4; w++) {
            kit_buf_reset(&b);
            kit_buf_append(&b, base, at);
            kit_buf_puts(&b, ws[w]);
            kit_buf_puts(&b, base + at);
            same_n(&j, b.data, b.len);
        }
    same(&j, "");
    same(&j, " \t\r\n");
    same(&j, " 1 ");
    same(&j, "\v1");
    same(&j, "1\f");
    same(&j, "[1\x01]");
    kit_buf_free(&b);
    kit_json_free(&j);
}
END_TEST

START_TEST(test_deep_nesting)
{
    struct kit_json j = {0};
    struct kit_buf b = KIT_BUF_INIT;
    for(int d = 1; d <= KIT_JSON_MAX_DEPTH + 2; d++)
        for(int shape = 0; shape < 4; shape++) {
            kit_buf_reset(&b);
            for(int i = 0; i < d; i++)
                kit_buf_puts(&b, (shape + i) & 1 ? "{\"k\":" : "[");
            kit_buf_puts(&b, shape & 2 ? "\"leaf\"" : "[]");
            size_t open = b.len;
            for(int i = d - 1; i >= 0; i--)
                kit_buf_puts(&b, (shape + i) & 1 ? ",\"z\":0}" : ",1]");
            same_n(&j, b.data, b.len);
            same_n(&j, b.data, open);
            same_n(&j, b.data, b.len - 1);
        }
    kit_buf_free(&b);
    kit_json_free(&j);
}
END_TEST

/* Every byte after a backslash, every \u form that matters, at every
 * distance from the end of the document (the reader's last-16-bytes path
 * and its byte-at-a-time path differ there). */
START_TEST(test_every_escape)
{
    struct kit_json j = {0};
    char doc[64];
    for(int c = 0; c < 256; c++)
        for(int pad = 0; pad < 20; pad += 19) {
            int n = snprintf(doc, sizeof doc, "[\"%.*s\\", pad, "abcdefghijklmnopqrstuvwxyz");
            doc[n++] = (char)c;
            n += snprintf(doc + n, sizeof doc - (size_t)n, "tail\"]");
            same_n(&j, doc, (size_t)n);
        }
    static const char *const u[] = {
        "\\u0000", "\\u001F", "\\u0041", "\\u00e9", "\\u07FF", "\\u0800", "\\uFFFF", "\\uD800\\uDC00",
        "\\uDBFF\\uDFFF", "\\uD83D\\uDE00", "\\uDC00", "\\uDFFF", "\\uD800", "\\uD800x", "\\uD800\\u0041",
        "\\uD800\\uD800", "\\uD800\\n", "\\uD800\\", "\\uD800\\u", "\\uD800\\uDC", "\\u", "\\u1", "\\u12",
        "\\u123", "\\u12G4", "\\uG123", "\\u-123", "\\U0041", "\\x41", "\\", "\\\"", "\\/"};
    for(size_t i = 0; i < sizeof u / sizeof *u; i++)
        for(int pad = 0; pad < 40; pad++) {
            int n = snprintf(doc, sizeof doc, "{\"%.*s%s\":1}", pad, "abcdefghijklmnopqrstuvwxyz0123456789ABCD", u[i]);
            for(int cut = 0; cut <= 3; cut++)
                same_n(&j, doc, (size_t)(n - cut));
            n = snprintf(doc, sizeof doc, "\"%s%.*s\"", u[i], pad, "abcdefghijklmnopqrstuvwxyz0123456789ABCD");
            same_n(&j, doc, (size_t)n);
        }
    kit_json_free(&j);
}
END_TEST

/* Every lead byte with every second byte, and the three- and four-byte
 * forms that are overlong, surrogates, beyond U+10FFFF or cut short. */
START_TEST(test_utf8)
{
    struct kit_json j = {0};
    char doc[64];
    for(int a = 0x80; a < 0x100; a++)
        for(int b = 0; b < 0x100; b++) {
            int n = snprintf(doc, sizeof doc, "[\"ab");
            doc[n++] = (char)a;
            doc[n++] = (char)b;
            memcpy(doc + n, "\"]", 2);
            n += 2;
            same_n(&j, doc, (size_t)n);
            if(b == 0x80 || b == 0xBF)
                same_n(&j, doc, (size_t)(n - 3)); /* cut right after the lead byte */
        }
    static const char *const seq[] = {"\xe0\xa0\x80", "\xe0\x80\x80", "\xed\x9f\xbf", "\xed\xa0\x80",
                                      "\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf0\x80\x80\x80",
                                      "\xf4\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
                                      "\xe2\x82", "\xf0\x9f\x98", "\xc0\xaf", "\xc1\xbf", "\xc2\x80"};
    for(size_t i = 0; i < sizeof seq / sizeof *seq; i++)
        for(int pad = 0; pad < 20; pad++) {
            int n = snprintf(doc, sizeof doc, "{\"k\":\"%.*s%s\"}", pad, "abcdefghijklmnopqrstuvwxyz", seq[i]);
            for(int cut = 0; cut < 8; cut++)
                same_n(&j, doc, (size_t)(n - cut));
        }
    kit_json_free(&j);
}
END_TEST

/* Strings of every length up to 40 with one special byte at every place:
 * the vector step's first, middle and last lanes and the tail paths. */
START_TEST(test_string_lengths)
{
    static const char special[] = {'"', '\\', 0x01, 0x1F, 0x20, 0x7F, (char)0x80, (char)0xC3, 'x'};
    struct kit_json j = {0};
    char doc[64];
    for(int len = 0; len <= 40; len++)
        for(int at = 0; at <= len; at++)
            for(size_t s = 0; s < sizeof special; s++) {
                doc[0] = '[';
                doc[1] = '"';
                memset(doc + 2, 'a', (size_t)len);
                if(at < len)
                    doc[2 + at] = special[s];
                doc[2 + len] = '"';
                doc[3 + len] = ']';
                same_n(&j, doc, (size_t)len + 4);
                same_n(&j, doc + 1, (size_t)len + 2);
                same_n(&j, doc, (size_t)len + 3);
            }
    kit_json_free(&j);
}
END_TEST

START_TEST(test_numbers_and_literals)
{
    static const char *const atoms[] = {
        "0", "-0", "00", "01", "-01", "-", "--1", "+1", ".5", "1.", "1.5", "1.5.", "1..2", "1e", "1e+",
        "1e-", "1E5", "1e+5", "1e-05", "1e5.3", "1.5e3x", "1_", "0x1", "123abc", "1a", "1A", "9999999999999999999999",
        "-9223372036854775808", "1.0e", "0.0000001", "0e0", "0E+0", "-0.0e-0", "2.", "-.", "1e5e5", "1-2",
        "1+2", "true", "false", "null", "tru", "fals", "nul", "t", "f", "n", "truex", "true1", "true_",
        "nullnull", "False", "TRUE", "nan", "Infinity", "-Infinity", "trUe", "falsey", "fa", "n0"};
    static const char *const frames[] = {"%s", "[%s]", "[%s,1]", "{\"k\":%s}", "{\"k\":%s,\"l\":2}", " %s ",
                                         "[%s ]", "[1,%s"};
    struct kit_json j = {0};
    char doc[128];
    for(size_t a = 0; a < sizeof atoms / sizeof *atoms; a++)
        for(size_t f = 0; f < sizeof frames / sizeof *frames; f++) {
            int n = snprintf(doc, sizeof doc, frames[f], atoms[a]);
            for(int cut = 0; cut < 3 && cut < n; cut++)
                same_n(&j, doc, (size_t)(n - cut));
        }
    kit_json_free(&j);
}
END_TEST

START_TEST(test_structure_errors)
{
    static const char *const docs[] = {
        "{", "}", "[", "]", "{]", "[}", "{\"a\"}", "{\"a\":}", "{\"a\" 1}", "{\"a\":1,}", "[1,]", "[,1]",
        "{,}", "{\"a\":1 \"b\":2}", "[1 2]", "{1:2}", "{\"a\"::1}", "[1]]", "{}}", "[][]", "{} {}", "[1],",
        "\"a\" \"b\"", "[\"a\":1]", "{\"a\",1}", "{'a':1}", "['a']", "[1;2]", "{\"a\":1;\"b\":2}", "[\x01]",
        "[\x80]", "{\"a\":1\x80}", "\xef\xbb\xbf[]", "{\"\":\"\"}", "[[[]]]", "{\"a\":{\"b\":{}}}"};
    struct kit_json j = {0};
    for(size_t i = 0; i < sizeof docs / sizeof *docs; i++)
        same(&j, docs[i]);
    same_n(&j, "[1]\0", 4);
    same_n(&j, "\0", 1);
    same_n(&j, NULL, 0);
    kit_json_free(&j);
}
END_TEST

/* The limits, and the token array growing past its first guess. */
START_TEST(test_limits_and_growth)
{
    struct kit_json j = {0};
    struct kit_buf b = KIT_BUF_INIT;
    /* dense documents: far more tokens than len / 12 + 16 */
    for(int n = 1; n < 3000; n = n * 3 + 1) {
        kit_buf_reset(&b);
        kit_buf_putc(&b, '[');
        for(int i = 0; i < n; i++)
            kit_buf_puts(&b, i ? ",0" : "0");
        kit_buf_putc(&b, ']');
        same_n(&j, b.data, b.len);
        kit_json_free(&j); /* and from a fresh state too */
        same_n(&j, b.data, b.len);
    }
    /* exactly the token limit, and one more (values and their array) */
    for(unsigned extra = 0; extra <= 1; extra++) {
        kit_buf_reset(&b);
        kit_buf_putc(&b, '[');
        for(unsigned i = 0; i + 1 < KIT_JSON_MAX_TOKENS + extra; i++)
            kit_buf_puts(&b, i ? ",0" : "0");
        kit_buf_putc(&b, ']');
        same_n(&j, b.data, b.len);
    }
    kit_buf_free(&b);
    kit_json_free(&j);
}
END_TEST

/* kit_json_quote against the reference quoting: every byte alone, every
 * escape at every offset of strings up to 40 bytes, random bytes (bad
 * UTF-8 among them), each appended to buffers of every fill, so the
 * escapes land on each side of a buffer's growth. */
static void same_quote(const char *str, size_t n, size_t prefill)
{
    struct kit_buf a = KIT_BUF_INIT, b = KIT_BUF_INIT;
    for(size_t i = 0; i < prefill; i++) {
        kit_buf_putc(&a, 'p');
        kit_buf_putc(&b, 'p');
    }
    int ra = kit_json_quote(&a, str, n), rb = json_ref_quote(&b, str, n);
    ck_assert_int_eq(ra, rb);
    ck_assert_msg(a.len == b.len && !memcmp(a.data, b.data, a.len) && a.data[a.len] == '\0',
                  "quoting %zu bytes after %zu: \"%.*s\", reference \"%.*s\"", n, prefill, (int)a.len,
                  a.data, (int)b.len, b.data);
    kit_buf_free(&a);
    kit_buf_free(&b);
}

START_TEST(test_quote_like_reference)
{
    char str[64];
    for(int c = 0; c < 256; c++) {
        str[0] = (char)c;
        same_quote(str, 1, 0);
    }
    static const char special[] = {'"', '\\', 0x01, '\n', 0x1F, 0x7F, (char)0x80, (char)0xC3, (char)0xE2};
    for(size_t len = 1; len <= 40; len++)
        for(size_t at = 0; at < len; at++)
            for(size_t sp = 0; sp < sizeof special; sp++)
                for(size_t prefill = 0; prefill < 40; prefill += 13) {
                    memset(str, 'a', len);
                    str[at] = special[sp];
                    if(at + 2 < len && special[sp] == (char)0xC3)
                        str[at + 1] = (char)0xA9; /* a whole e-acute too */
                    same_quote(str, len, prefill);
                }
    static const char pieces[] = "a\"\\\n\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
    for(int i = 0; i < 3000; i++) {
        size_t len = (size_t)(rnd() % 60);
        for(size_t k = 0; k < len; k++) {
            uint64_t r = rnd();
            str[k] = r & 1 ? (char)(r >> 8) : pieces[(r >> 8) % (sizeof pieces - 1)];
        }
        same_quote(str, len, (size_t)(rnd() % 70));
    }
    same_quote(NULL, 0, 0);
    struct kit_buf b = KIT_BUF_INIT;
    ck_assert_int_eq(kit_json_quote(&b, NULL, 1), -1);
    ck_assert_int_eq(kit_json_quote(NULL, "x", 1), -1);
    kit_buf_free(&b);
}
END_TEST

START_TEST(test_token_bounds)
{
    struct kit_json j = {0};
    ck_assert_ptr_null(kit_json_token(NULL, 0));
    ck_assert_ptr_null(kit_json_token(&j, 0));
    ck_assert_int_eq(kit_json_parse(&j, "[\"x\",2]", 7, NULL, 0), 0);
    ck_assert_ptr_null(kit_json_token(&j, -1));
    ck_assert_ptr_null(kit_json_token(&j, 3));
    ck_assert_ptr_null(kit_json_token(&j, INT32_MIN));
    const struct kit_json_tok *x = kit_json_token(&j, 1);
    ck_assert_ptr_nonnull(x);
    ck_assert_uint_eq(x->start, 2);
    ck_assert_int_eq(x->end, 3);
    ck_assert_int_eq(kit_json_size(&j, 0), 2);
    ck_assert_int_eq(kit_json_skip(&j, 2), 3);
    ck_assert_int_eq(kit_json_skip(&j, 3), -1);
    size_t len = 99;
    ck_assert_ptr_null(kit_json_raw(&j, 3, &len));
    ck_assert_uint_eq(len, 0);
    kit_json_clear(&j);
    ck_assert_ptr_null(kit_json_token(&j, 0));
    ck_assert_int_eq(kit_json_type(&j, 0), KIT_JSON_NONE);
    kit_json_free(&j);
}
END_TEST

extern Suite *make_json_fast_suite(void);

Suite *make_json_fast_suite(void)
{
    Suite *s = suite_create("json_fast");
    TCase *tc = tcase_create("differential");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_hubspot_shaped_documents);
    tcase_add_test(tc, test_every_truncation);
    tcase_add_test(tc, test_random_byte_flips);
    tcase_add_test(tc, test_random_documents_and_mutations);
    tcase_add_test(tc, test_whitespace_everywhere);
    tcase_add_test(tc, test_deep_nesting);
    tcase_add_test(tc, test_every_escape);
    tcase_add_test(tc, test_utf8);
    tcase_add_test(tc, test_string_lengths);
    tcase_add_test(tc, test_numbers_and_literals);
    tcase_add_test(tc, test_structure_errors);
    tcase_add_test(tc, test_limits_and_growth);
    tcase_add_test(tc, test_token_bounds);
    tcase_add_test(tc, test_quote_like_reference);
    suite_add_tcase(s, tc);
    return s;
}
