/* check_results_fast.c - ochost's record writer (output.c: records
 * without JSON fields, all a push or lookup emits, are written straight
 * into the buffer sixteen bytes at a step) against the general writer
 * (kit_jw: the "kind" member, then och_fields_json), which it must match
 * byte for byte: generated records with every awkward byte at every
 * alignment and length, and strings whose terminating NUL is the last
 * byte before an unmapped page (the step must never read into it). */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host-api/ochost/output.h"
#include "hubspot/email_event.h"
#include "plugin/buf.h"
#include "plugin/json.h"
#include "tests/support/cassette_events.h"
#include "tests/support/xorshift.h"

/* The record as the general writer writes it. */
static void reference_json(const struct oc_record *r, struct kit_buf *out)
{
    struct kit_buf tmp = KIT_BUF_INIT;
    struct kit_jw w;
    kit_jw_init(&w, out);
    kit_jw_obj(&w);
    kit_jw_kstr(&w, "kind", r->kind ? r->kind : "");
    och_fields_json(&w, r, &tmp);
    kit_jw_obj_end(&w);
    ck_assert_int_eq(kit_jw_error(&w), 0);
    kit_buf_free(&tmp);
}

/* Shows where two renderings part, escaped, so a failure says which byte. */
static void assert_same(const char *what, const char *got, size_t glen, const char *want, size_t wlen)
{
    if(glen == wlen && memcmp(got, want, glen) == 0)
        return;
    size_t at = 0;
    while(at < glen && at < wlen && got[at] == want[at])
        at++;
    char g[200], w[200];
    size_t from = at > 40 ? at - 40 : 0, k = 0;
    for(size_t i = from; i < glen && k + 5 < sizeof g; i++)
        k += (size_t)snprintf(g + k, sizeof g - k, (unsigned char)got[i] < 0x20 || (unsigned char)got[i] >= 0x7f ? "<%02x>" : "%c",
                              (unsigned char)got[i]);
    g[k] = '\0';
    k = 0;
    for(size_t i = from; i < wlen && k + 5 < sizeof w; i++)
        k += (size_t)snprintf(w + k, sizeof w - k, (unsigned char)want[i] < 0x20 || (unsigned char)want[i] >= 0x7f ? "<%02x>" : "%c",
                              (unsigned char)want[i]);
    w[k] = '\0';
    ck_abort_msg("%s: the writers part at byte %zu of %zu/%zu:\n got  ...%s\n want ...%s", what, at, glen, wlen, g, w);
}

/* Writes r both ways, each after the same prefix already in its buffer
 * (so growth starts from every fill), and compares. */
static void check_record(const char *what, const struct oc_record *r, struct kit_buf *fast, size_t prefix)
{
    struct kit_buf want = KIT_BUF_INIT;
    kit_buf_reset(fast);
    for(size_t i = 0; i < prefix; i++) {
        kit_buf_putc(fast, (char)('a' + i % 26));
        kit_buf_putc(&want, (char)('a' + i % 26));
    }
    ck_assert_int_eq(och_record_json(r, fast), 0);
    reference_json(r, &want);
    ck_assert_uint_eq(fast->data[fast->len], '\0');
    assert_same(what, fast->data, fast->len, want.data, want.len);
    kit_buf_free(&want);
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
    return xorshift_next(&rng_state);
}

static size_t below(size_t n) { return (size_t)(rnd() % n); }

/* What strings are made of: plain text and everything a JSON string must
 * escape or check (quote, backslash, controls, DEL, well-formed UTF-8 of
 * each length, and each kind of malformed UTF-8, cut short or not). */
static const char *const awkward[] = {
    "\"", "\\", "\x01", "\x1f", "\b", "\f", "\n", "\r", "\t", "\x7f", "/", " ",
    "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc3", "\xe2\x82", "\xf0\x9f\x98", "\x80", "\xbf",
    "\xff", "\xfe", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
    "\xc2", "\xe1\x80", "pat-", "line 17", "user12@example.com", "{\"a\":1}", "\\u0041", "'",
};
#define NAWKWARD (sizeof awkward / sizeof awkward[0])

/* A string of random pieces into out (size bytes): plain runs of 0 to 70
 * bytes (across 16, 32 and 64) and awkward pieces; mostly plain, as
 * results are, sometimes wholly plain. */
static void gen_text(char *out, size_t size)
{
    size_t n = 0;
    size_t pieces = below(6);
    int plain_only = below(3) == 0;
    for(size_t p = 0; p < pieces; p++) {
        if(plain_only || below(2)) {
            size_t run = below(71);
            for(size_t i = 0; i < run && n + 1 < size; i++)
                out[n++] = (char)(0x20 + below(0x5f)); /* printable, quote and backslash included */
            if(plain_only)
                for(size_t i = n - run; i < n; i++)
                    if(out[i] == '"' || out[i] == '\\')
                        out[i] = '_';
        } else {
            const char *a = awkward[below(NAWKWARD)];
            size_t len = strlen(a);
            if(n + len + 1 < size) {
                memcpy(out + n, a, len);
                n += len;
            }
        }
    }
    out[n] = '\0';
}

static const char *const numbers[] = {"0", "-0", "12", "-3.25", "1e9", "2.5E-3", "01", "1.", ".5", "1e", "--1",
                                      "12a", "", "0x10", "9007199254740993"};
static const char *const bools[] = {"true", "false", "TRUE", "1", "", "truex"};

/* JSON field texts of every shape: each kind of value, nested, with
 * spaces and tabs (written as they are) and with newlines (compacted by
 * the general writer), strings with escapes and UTF-8 (left to the
 * reader), nesting beyond the quick check's depth, and texts that are
 * not JSON (written as strings). */
static const char *const json_texts[] = {
    "[\"120.0.0.0\"]", "[]", "{}", "[ ]", "{ }", "[1,2.5,-0,1e9,2.5E-3,true,false,null]", "\"s\"", "0", "-12.5e+3",
    "true", "false", "null", "{\"a\":1,\"b\":[{},[]],\"c\":{\"d\":null}}", "{\"a\":1,\"a\":2}",
    " [1 ,\t2 ] ", "\t{ \"k\" :\t\"v\" }\t", "[1,\n2]", "{\"a\":\r\n 1}\n", "\n", "[\"a\nb\"]",
    "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", "[\"\\u0041\\u00e9\\ud83d\\ude00\"]", "[\"\\ud83d\"]", "[\"\\x\"]",
    "[\"caf\xc3\xa9\"]", "[\"\xc3\"]", "[\"\xff\"]", "[\"\x7f\"]", "[\"\x01\"]", "[\"tab\there\"]",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "", " ", "[", "]", "[1,]", "[,1]", "{\"a\"}",
    "{\"a\":}", "{a:1}", "{\"a\":1,}", "[1 2]", "01", "1.", ".5", "-", "1e", "+1", "0x10", "tru", "nul", "True",
    "NaN", "[1]x", "[1] [2]", "\"unterminated", "[\"a\"", "{\"a\":1}}", "'single'", "[\"a\",\"b\"]\n", "\xef\xbb\xbf[]",
    "[1]\x7f", "{\"\":\"\"}", "{\"k\":[\"v\",{\"x\":[true]}]}",
};
#define NJSON_TEXTS (sizeof json_texts / sizeof json_texts[0])

/* Pieces a generated JSON text is made of; joined at random they are
 * valid or not, and seldom both by design. */
static const char *const json_pieces[] = {
    "[", "]", "{", "}", ",", ":", " ", "\t", "\n", "\"k\"", "\"v w\"", "1", "-0.5", "2e3", "true", "null",
    "\"\\n\"", "\"\xc3\xa9\"",
};

/* A JSON text at out (size bytes): a valid nested value, now and then
 * spoiled by a piece put in at random, or pieces at random. */
static void gen_json(char *out, size_t size, int depth)
{
    size_t n = strlen(out);
    if(below(8) == 0 || n + 40 >= size) {
        const char *t = json_texts[below(NJSON_TEXTS)];
        if(n + strlen(t) + 1 < size)
            strcat(out, t);
        return;
    }
    switch(depth < 5 ? below(4) : 2) {
    case 0:
    case 1: {
        int obj = below(2);
        size_t items = below(4);
        strcat(out, obj ? "{" : "[");
        for(size_t i = 0; i < items && strlen(out) + 60 < size; i++) {
            if(i)
                strcat(out, below(6) ? "," : " , ");
            if(obj)
                strcat(out, below(5) ? "\"key\":" : "\"a b\" :\t");
            gen_json(out, size, depth + 1);
        }
        strcat(out, obj ? "}" : "]");
        break;
    }
    default:
        strcat(out, json_pieces[9 + below(sizeof json_pieces / sizeof json_pieces[0] - 9)]);
    }
    if(depth == 0 && below(6) == 0) {
        size_t len = strlen(out), at = below(len + 1);
        const char *p = json_pieces[below(sizeof json_pieces / sizeof json_pieces[0])];
        if(len + strlen(p) + 1 < size) {
            memmove(out + at + strlen(p), out + at, len - at + 1);
            memcpy(out + at, p, strlen(p));
        }
    }
}

#define FIELDS_MAX 8
#define TEXT_SIZE 400

/* Texts live at a random offset in their own slot, so every alignment of
 * the first byte (and of the NUL) comes up. */
struct gen_record {
    struct oc_record r;
    struct oc_field f[FIELDS_MAX];
    char text[2 * FIELDS_MAX + 1][TEXT_SIZE + 16];
};

static const char *place(struct gen_record *g, size_t slot)
{
    char *at = g->text[slot] + below(16);
    switch(below(8)) {
    case 0:
        strcpy(at, "");
        break;
    case 1:
        strcpy(at, awkward[below(NAWKWARD)]);
        break;
    default:
        gen_text(at, TEXT_SIZE);
    }
    return at;
}

static void gen_record(struct gen_record *g)
{
    memset(&g->r, 0, sizeof g->r);
    g->r.struct_size = sizeof g->r;
    g->r.kind = below(10) ? place(g, 0) : NULL;
    g->r.nfields = below(FIELDS_MAX + 1);
    g->r.fields = g->f;
    for(size_t i = 0; i < g->r.nfields; i++) {
        struct oc_field *f = &g->f[i];
        f->key = below(12) ? place(g, 1 + 2 * i) : NULL;
        switch(below(7)) {
        case 0:
            f->type = OC_FIELD_NULL;
            f->value = below(2) ? "ignored" : NULL;
            break;
        case 1:
            f->type = OC_FIELD_NUMBER;
            f->value = below(4) ? numbers[below(sizeof numbers / sizeof numbers[0])] : place(g, 2 + 2 * i);
            break;
        case 2:
            f->type = OC_FIELD_BOOL;
            f->value = bools[below(sizeof bools / sizeof bools[0])];
            break;
        case 3: {
            f->type = OC_FIELD_JSON;
            char *at = g->text[2 + 2 * i] + below(16);
            at[0] = '\0';
            gen_json(at, TEXT_SIZE, 0);
            f->value = below(30) ? at : NULL;
            break;
        }
        default:
            f->type = OC_FIELD_STRING;
            f->value = below(15) ? place(g, 2 + 2 * i) : NULL;
        }
    }
}

/* Many generated records, each checked after a prefix of random length
 * in a buffer reused (and so grown) from record to record, and in a new
 * buffer. */
START_TEST(generated_records_match_the_general_writer)
{
    struct gen_record *g = calloc(1, sizeof *g);
    ck_assert_ptr_nonnull(g);
    struct kit_buf reused = KIT_BUF_INIT;
    size_t json_valid = 0, json_invalid = 0;
    rng_state = 0x9E3779B97F4A7C15u;
    for(int n = 0; n < 20000; n++) {
        char what[64];
        snprintf(what, sizeof what, "generated record %d", n);
        gen_record(g);
        for(size_t i = 0; i < g->r.nfields; i++)
            if(g->f[i].type == OC_FIELD_JSON && g->f[i].value) {
                struct kit_json j = {0};
                if(kit_json_parse(&j, g->f[i].value, strlen(g->f[i].value), NULL, 0))
                    json_invalid++;
                else
                    json_valid++;
                kit_json_free(&j);
            }
        check_record(what, &g->r, &reused, below(4) ? 0 : below(200));
        if(n % 64 == 0) {
            struct kit_buf fresh = KIT_BUF_INIT;
            check_record(what, &g->r, &fresh, 0);
            kit_buf_free(&fresh);
        }
    }
    /* The generator must feed both ways a JSON text is written. */
    ck_assert_uint_gt(json_valid, 1000);
    ck_assert_uint_gt(json_invalid, 1000);
    kit_buf_free(&reused);
    free(g);
}
END_TEST

/* Each JSON text of the list at every alignment, alone, between other
 * fields, and in a record of several JSON fields. */
START_TEST(json_fields_of_every_shape_match_the_general_writer)
{
    char slot[TEXT_SIZE + 16];
    struct kit_buf out = KIT_BUF_INIT;
    for(size_t t = 0; t < NJSON_TEXTS; t++)
        for(size_t align = 0; align < 16; align++) {
            char *v = slot + align;
            strcpy(v, json_texts[t]);
            struct oc_field f[] = {{"browser_name", "Chrome", OC_FIELD_STRING},
                                   {"browser_version", v, OC_FIELD_JSON},
                                   {"portal_id", "62515", OC_FIELD_NUMBER},
                                   {"again", v, OC_FIELD_JSON},
                                   {"list", json_texts[(t + 7) % NJSON_TEXTS], OC_FIELD_JSON}};
            struct oc_record alone = {sizeof alone, "email_event", NULL, 1, f + 1};
            struct oc_record among = {sizeof among, "email_event", NULL, 5, f};
            char what[80];
            snprintf(what, sizeof what, "JSON text %zu at alignment %zu, alone", t, align);
            check_record(what, &alone, &out, align);
            snprintf(what, sizeof what, "JSON text %zu at alignment %zu, among others", t, align);
            check_record(what, &among, &out, 0);
        }
    kit_buf_free(&out);
}
END_TEST

/* A number field is written bare exactly when the JSON reader takes its
 * text as one number, nothing around it (both writers share the number check, so it is held
 * to the reader here), else as a string. */
START_TEST(number_fields_are_bare_exactly_when_json_reads_a_number)
{
    static const char *const more[] = {"-", "-01", "1.5e", "1e+", "1e-7", "1E+07", "0.0", "-0.0e-0", "00", "1.2.3",
                                       " 1", "1 ", "+0", "1e5.5", "123456789012345678901234567890"};
    struct kit_buf out = KIT_BUF_INIT, want = KIT_BUF_INIT;
    size_t nn = sizeof numbers / sizeof numbers[0];
    for(size_t i = 0; i < nn + sizeof more / sizeof more[0]; i++) {
        const char *v = i < nn ? numbers[i] : more[i - nn];
        struct kit_json j = {0};
        /* the reader also takes spaces around a number, which the
         * writers keep as a string */
        int bare = !kit_json_parse(&j, v, strlen(v), NULL, 0) && kit_json_type(&j, 0) == KIT_JSON_NUMBER &&
                   strspn(v, "0123456789+-.eE") == strlen(v);
        kit_json_free(&j);
        struct oc_field f[] = {{"n", v, OC_FIELD_NUMBER}};
        struct oc_record r = {sizeof r, "k", NULL, 1, f};
        kit_buf_reset(&out);
        kit_buf_reset(&want);
        ck_assert_int_eq(och_record_json(&r, &out), 0);
        kit_buf_puts(&want, "{\"kind\":\"k\",\"n\":");
        if(bare)
            kit_buf_puts(&want, v);
        else
            kit_json_quote(&want, v, strlen(v));
        kit_buf_putc(&want, '}');
        ck_assert_msg(strcmp(kit_buf_str(&out), kit_buf_str(&want)) == 0, "number %s: got %s, want %s", v,
                      kit_buf_str(&out), kit_buf_str(&want));
    }
    kit_buf_free(&out);
    kit_buf_free(&want);
}
END_TEST

/* The events of every cassette that holds email events, flattened as a
 * pull flattens them (hs_email_event_flatten: arrays such as a browser's
 * version kept as JSON fields). */
struct pull_records {
    struct hs_email_event ev;
    struct kit_buf out;
    size_t records, json_fields;
};

static void check_event(void *ctx, const char *what, const struct kit_json *j, int e)
{
    struct pull_records *p = ctx;
    if(kit_json_type(j, e) != KIT_JSON_OBJECT || hs_email_event_flatten(j, e, &p->ev) != OC_OK)
        return;
    struct oc_record r = {sizeof r, "email_event", NULL, p->ev.n, p->ev.fields};
    for(size_t k = 0; k < p->ev.n; k++)
        p->json_fields += p->ev.fields[k].type == OC_FIELD_JSON;
    check_record(what, &r, &p->out, p->records % 40);
    p->records++;
}

START_TEST(real_pull_records_match_the_general_writer)
{
    struct pull_records p = {HS_EMAIL_EVENT_INIT, KIT_BUF_INIT, 0, 0};
    ck_assert_msg(cassette_each_event(check_event, &p) != (size_t)-1,
                  "cannot read the cassettes in fixtures/hubspot/");
    ck_assert_uint_gt(p.records, 100);
    ck_assert_uint_gt(p.json_fields, 40);
    hs_email_event_free(&p.ev);
    kit_buf_free(&p.out);
}
END_TEST

/* A copy of s in a heap block of its own, exactly its size or with a few
 * bytes after the NUL never written: what a step reads past the end is
 * then outside the block, or not initialised (valgrind's memcheck sees
 * both when the suite runs under it). */
static char *heap_copy(const char *s)
{
    size_t len = strlen(s), slack = below(3) ? 0 : below(9);
    char *c = malloc(len + 1 + slack);
    ck_assert_ptr_nonnull(c);
    memcpy(c, s, len + 1);
    return c;
}

/* Generated records whose texts each have a heap block of their own. */
START_TEST(heap_strings_match_the_general_writer)
{
    struct gen_record *g = calloc(1, sizeof *g);
    ck_assert_ptr_nonnull(g);
    struct kit_buf out = KIT_BUF_INIT;
    rng_state = 0xD1B54A32D192ED03u;
    for(int n = 0; n < 3000; n++) {
        char what[64], *kind = NULL, *keys[FIELDS_MAX] = {0}, *values[FIELDS_MAX] = {0};
        snprintf(what, sizeof what, "heap record %d", n);
        gen_record(g);
        if(g->r.kind)
            g->r.kind = kind = heap_copy(g->r.kind);
        for(size_t i = 0; i < g->r.nfields; i++) {
            if(g->f[i].key)
                g->f[i].key = keys[i] = heap_copy(g->f[i].key);
            if(g->f[i].value)
                g->f[i].value = values[i] = heap_copy(g->f[i].value);
        }
        check_record(what, &g->r, &out, below(50));
        free(kind);
        for(size_t i = 0; i < FIELDS_MAX; i++) {
            free(keys[i]);
            free(values[i]);
        }
    }
    kit_buf_free(&out);
    free(g);
}
END_TEST

/* A push result as the plugin emits it, and the same with every value
 * long enough to take several steps. */
START_TEST(push_results_match_the_general_writer)
{
    struct oc_field f[] = {{"input", "line 20", OC_FIELD_STRING},
                           {"email", "user20@example.invalid", OC_FIELD_STRING},
                           {"id", "5097", OC_FIELD_STRING},
                           {"status", "failed", OC_FIELD_STRING},
                           {"error", "HubSpot rejected this contact (VALIDATION_ERROR): Property values were not valid: "
                                     "[{\"isValid\":false,\"message\":\"Email address user20@example.invalid is "
                                     "invalid\",\"error\":\"INVALID_EMAIL\",\"name\":\"email\"}]",
                            OC_FIELD_STRING}};
    struct oc_record r = {sizeof r, "push_result", "line 20", 5, f};
    struct kit_buf out = KIT_BUF_INIT;
    check_record("failed push result", &r, &out, 0);
    r.nfields = 4;
    f[3].value = "added";
    check_record("added push result", &r, &out, 0);
    kit_buf_free(&out);
}
END_TEST

/* Strings whose NUL is among the last bytes of a page followed by an
 * unmapped one, in every position the last step could meet it: a read
 * past the page would kill the test with SIGSEGV. */
START_TEST(strings_at_the_end_of_a_page)
{
    long page = sysconf(_SC_PAGESIZE);
    char *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert(map != MAP_FAILED);
    ck_assert_int_eq(mprotect(map + page, (size_t)page, PROT_NONE), 0);
    char *end = map + page; /* the first byte that is not there */
    static const char *const tails[] = {"", "\"", "\\", "\n", "\x7f", "\xc3\xa9", "\xc3", "\xe2\x82", "\xf0\x9f\x98",
                                        "\xff"};
    struct kit_buf out = KIT_BUF_INIT;
    for(size_t t = 0; t < sizeof tails / sizeof tails[0]; t++)
        for(size_t len = 0; len <= 70; len++)
            for(size_t gap = 0; gap < 3; gap++) {
                size_t tl = strlen(tails[t]);
                if(tl > len)
                    continue;
                /* len bytes, the tail last, then the NUL gap bytes before the end */
                char *s = end - 1 - gap - len;
                for(size_t i = 0; i < len - tl; i++)
                    s[i] = (char)('A' + i % 26);
                memcpy(s + len - tl, tails[t], tl);
                s[len] = '\0';
                struct oc_field f[] = {{s, s, OC_FIELD_STRING}, {"n", s, OC_FIELD_NUMBER}};
                struct oc_record r = {sizeof r, s, NULL, 2, f};
                char what[80];
                snprintf(what, sizeof what, "tail %zu, %zu bytes, NUL %zu before the page's end", t, len, gap);
                check_record(what, &r, &out, len % 7);
            }
    kit_buf_free(&out);
    munmap(map, (size_t)page * 2);
}
END_TEST

/* A key remembered while it reached across a page into the next, and
 * at the same address a shorter key after that next page went away: the
 * writer must write the new key and never touch the missing page. */
START_TEST(a_remembered_key_across_a_page_that_went_away)
{
    long page = sysconf(_SC_PAGESIZE);
    char *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert(map != MAP_FAILED);
    char *key = map + page - 5;
    struct oc_field f[] = {{key, "v", OC_FIELD_STRING}};
    struct oc_record r = {sizeof r, "k", NULL, 1, f};
    struct kit_buf out = KIT_BUF_INIT;
    strcpy(key, "longerkey");
    check_record("a key across the page end", &r, &out, 0);
    check_record("the same key again", &r, &out, 0);
    ck_assert_int_eq(mprotect(map + page, (size_t)page, PROT_NONE), 0);
    strcpy(key, "abc");
    check_record("a shorter key at the same address", &r, &out, 0);
    ck_assert_str_eq(kit_buf_str(&out), "{\"kind\":\"k\",\"abc\":\"v\"}");
    strcpy(key, "abcd");
    check_record("one byte longer, up to the page end", &r, &out, 0);
    kit_buf_free(&out);
    munmap(map, (size_t)page * 2);
}
END_TEST

/* A key rewritten in place between records, at the same address and of
 * the same length, is written as it is now. */
START_TEST(a_key_rewritten_in_place_is_written_anew)
{
    char *key = malloc(32);
    ck_assert_ptr_nonnull(key);
    struct oc_field f[] = {{key, "v", OC_FIELD_STRING}};
    struct oc_record r = {sizeof r, "k", NULL, 1, f};
    struct kit_buf out = KIT_BUF_INIT;
    for(int i = 0; i < 3; i++) {
        strcpy(key, i == 1 ? "statuz" : "status");
        check_record("a key rewritten in place", &r, &out, 0);
        ck_assert_str_eq(kit_buf_str(&out), i == 1 ? "{\"kind\":\"k\",\"statuz\":\"v\"}"
                                                   : "{\"kind\":\"k\",\"status\":\"v\"}");
    }
    kit_buf_free(&out);
    free(key);
}
END_TEST

/* The bytes of one push result, spelled out. */
START_TEST(a_push_result_is_written_as_documented)
{
    struct oc_field f[] = {{"input", "line 1", OC_FIELD_STRING}, {"status", "added", OC_FIELD_STRING}};
    struct oc_record r = {sizeof r, "push_result", "line 1", 2, f};
    struct kit_buf out = KIT_BUF_INIT;
    ck_assert_int_eq(och_record_json(&r, &out), 0);
    ck_assert_str_eq(kit_buf_str(&out), "{\"kind\":\"push_result\",\"input\":\"line 1\",\"status\":\"added\"}");
    kit_buf_free(&out);
}
END_TEST

extern Suite *make_results_fast_suite(void);
Suite *make_results_fast_suite(void)
{
    Suite *s = suite_create("results_fast");
    TCase *tc = tcase_create("writer");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, generated_records_match_the_general_writer);
    tcase_add_test(tc, json_fields_of_every_shape_match_the_general_writer);
    tcase_add_test(tc, real_pull_records_match_the_general_writer);
    tcase_add_test(tc, number_fields_are_bare_exactly_when_json_reads_a_number);
    tcase_add_test(tc, heap_strings_match_the_general_writer);
    tcase_add_test(tc, push_results_match_the_general_writer);
    tcase_add_test(tc, strings_at_the_end_of_a_page);
    tcase_add_test(tc, a_remembered_key_across_a_page_that_went_away);
    tcase_add_test(tc, a_key_rewritten_in_place_is_written_anew);
    tcase_add_test(tc, a_push_result_is_written_as_documented);
    suite_add_tcase(s, tc);
    return s;
}
