/* check_input_fast.c - the JSON Lines quick reader gives exactly what the
 * general parser gives: many generated lines, every awkward case among
 * them, read twice (quick reader on, then off) and compared record by
 * record. */
#include <check.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plugin/buf.h"
#include "tests/support/inputreader.h"

/* xorshift64*: the same lines on every run and machine. */
static uint64_t rnd_state;

static uint32_t rnd(uint32_t n)
{
    rnd_state ^= rnd_state >> 12;
    rnd_state ^= rnd_state << 25;
    rnd_state ^= rnd_state >> 27;
    return (uint32_t)((rnd_state * 0x2545F4914F6CDD1DULL) >> 32) % n;
}

static int chance(uint32_t percent) { return rnd(100) < percent; }

static const char *pick(const char *const *pool, size_t n) { return pool[rnd((uint32_t)n)]; }
#define PICK(pool) pick(pool, sizeof pool / sizeof pool[0])

/* Keys: common names and headers the property table knows, names of the
 * same length as "email" (the layout cache must compare bytes, not just
 * lengths), the rejects column plain and escaped, escapes, \u0000, UTF-8
 * good and bad, raw control bytes, the empty key, keys too long for the
 * caches, a key --map leaves out. */
static const char *const awkward_keys[] = {
    "email", "Email", "EMAIL", "Email Address", "E-Mail", "emaik", "phone", "notes", "firstname",
    "First Name", "lastname", "Last Name", "company", "ochost_error", "ochost_errot",
    "ochost\\u005ferror", "e\\u006dail", "x\\u0000y", "pr\xc3\xa9nom", "bad\xc3(", "ctl\x01", "tab\there", "",
    "a_key_longer_than_the_thirty_two_byte_cache_slot",
    "skip_me", "Mobile Phone", "\xe6\x97\xa5\xe6\x9c\xac", "\xed\xa0\x80surrogate", "\xc0\xafoverlong",
};

/* Values that are not a plain string, or a string the quick reader must
 * leave to the parser, or one it must take byte for byte. Written as
 * JSON text. */
static const char *const awkward_values[] = {
    "\"\"", "\"Zo\xc3\xab\"", "\"\xe6\x97\xa5\xe6\x9c\xac\"", "\"\xf0\x9f\x98\x80 smile\"",
    "\"\xc0\x80\"", "\"\xed\xa0\x80\"", "\"cut \xe2\x82\"", "\"\xf5\x80\x80\x80\"", "\"\xff\"",
    "\"\xf4\x90\x80\x80\"", "\"a\\\"b\"", "\"\\u00e9t\\u00e9\"", "\"nul\\u0000byte\"",
    "\"\\ud83d\\ude00\"", "\"\\ud83d\"", "\"bad \\x escape\"", "\"raw\x01" "ctl\"", "\"raw\ttab\"",
    "42", "-1.5e3", "01", "null", "true", "false", "{\"a\":\"b\"}", "[1]", "[]", "\"unclosed",
    "\"a \\/ slash\"", "\"trailing backslash\\\"",
};

static const char *const layouts[][4] = {
    {"email", "firstname", "lastname", NULL},
    {"Email Address", "First Name", "Last Name", "company"},
    {"firstname", "email", NULL, NULL},
    {"email", "phone", NULL, NULL},
    {"email", "notes", NULL, NULL},
    {"lastname", "firstname", "email", "ochost_error"},
    {"ochost_error", "email", NULL, NULL},
    {"email", "ochost_error", "firstname", NULL},
};

/* JSON whitespace mostly; now and then a byte the parser does not take
 * as whitespace (vertical tab, form feed, NBSP). */
static void ws(struct kit_buf *b)
{
    static const char *const spaces[] = {" ", "  ", "\t", "\r", " \t ", "\r\t"};
    static const char *const not_json[] = {"\v", "\f", "\xc2\xa0"};
    if(chance(70))
        return;
    kit_buf_puts(b, chance(97) ? PICK(spaces) : PICK(not_json));
}

static void plain_text(struct kit_buf *b, size_t max)
{
    size_t n = rnd((uint32_t)max + 1);
    for(size_t i = 0; i < n; i++) {
        char c = (char)(0x20 + rnd(0x5f));
        if(c == '"' || c == '\\')
            c = '_';
        kit_buf_putc(b, c);
    }
}

static void put_key(struct kit_buf *b, const char *key)
{
    kit_buf_putc(b, '"');
    kit_buf_puts(b, key);
    kit_buf_putc(b, '"');
}

static void put_value(struct kit_buf *b, const char *key, uint64_t line)
{
    if(chance(8)) {
        kit_buf_puts(b, PICK(awkward_values));
        return;
    }
    kit_buf_putc(b, '"');
    if(!strcasecmp(key, "email") || !strcmp(key, "Email Address"))
        kit_buf_printf(b, "user%llu@example.com", (unsigned long long)line);
    else if(chance(10))
        plain_text(b, 120); /* past one 16-byte scan step, and more */
    else if(chance(10))
        kit_buf_puts(b, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    else
        plain_text(b, 14);
    kit_buf_putc(b, '"');
}

static void object_line(struct kit_buf *b, uint64_t line, const char *const *layout)
{
    ws(b);
    kit_buf_putc(b, '{');
    ws(b);
    size_t n = 0;
    const char *keys[8];
    if(chance(75)) {
        while(n < 4 && layout[n]) {
            keys[n] = layout[n];
            n++;
        }
        if(chance(20))
            keys[rnd((uint32_t)n)] = PICK(awkward_keys);
        if(chance(5) && n < 8)
            keys[n++] = keys[0]; /* a key given twice */
    } else {
        n = rnd(7);
        for(size_t i = 0; i < n; i++)
            keys[i] = chance(40) ? "email" : PICK(awkward_keys);
    }
    for(size_t i = 0; i < n; i++) {
        if(i) {
            kit_buf_putc(b, ',');
            ws(b);
        }
        put_key(b, keys[i]);
        ws(b);
        kit_buf_putc(b, ':');
        ws(b);
        put_value(b, keys[i], line);
        ws(b);
    }
    if(chance(2))
        kit_buf_putc(b, ','); /* a trailing comma */
    kit_buf_putc(b, '}');
    ws(b);
    if(chance(2))
        kit_buf_puts(b, chance(50) ? "x" : "{}");
}

/* As the reader decides a line is blank: isspace, not JSON's whitespace. */
static int blank_text(const char *s, size_t n)
{
    for(size_t i = 0; i < n; i++)
        if(!isspace((unsigned char)s[i]))
            return 0;
    return 1;
}

/* The generated input, and the id each record must have: its line. */
struct corpus {
    struct kit_buf text;
    uint64_t *ids;
    size_t nids;
};

static void make_corpus(struct corpus *c, uint64_t seed, size_t nlines)
{
    static const char *const others[] = {"{}", " { } ", "[1,2]", "\"a string\"", "42", "null",
                                         "{", "}", "{\"email\"}", "{\"email\":}", "{,}",
                                         "{\"email\":\"a@example.com\"}}"};
    memset(c, 0, sizeof *c);
    c->ids = calloc(nlines, sizeof *c->ids);
    ck_assert_ptr_nonnull(c->ids);
    rnd_state = seed;
    size_t layout = 0;
    for(uint64_t line = 1; line <= nlines; line++) {
        size_t start = c->text.len;
        if(chance(3)) {
            static const char *const blanks[] = {"", " ", "\t", "\r", " \v "};
            kit_buf_puts(&c->text, PICK(blanks));
        } else if(chance(4)) {
            kit_buf_puts(&c->text, PICK(others));
        } else {
            if(chance(3))
                layout = rnd(sizeof layouts / sizeof layouts[0]);
            object_line(&c->text, line, layouts[layout]);
            if(chance(3)) /* a line cut short */
                c->text.len = start + rnd((uint32_t)(c->text.len - start));
        }
        /* blank lines (a cut one too) make no record */
        if(!blank_text(c->text.data + start, c->text.len - start))
            c->ids[c->nids++] = line;
        if(line < nlines || chance(50))
            kit_buf_puts(&c->text, chance(20) ? "\r\n" : "\n");
    }
    ck_assert(kit_buf_ok(&c->text));
}

static void free_corpus(struct corpus *c)
{
    kit_buf_free(&c->text);
    free(c->ids);
}

/* The line of text holding byte off, for a failure message. */
static const char *line_at(const struct corpus *c, uint64_t off, char *out, size_t n)
{
    size_t end = (size_t)off;
    while(end < c->text.len && c->text.data[end] != '\n' && end - off < n - 1)
        end++;
    snprintf(out, n, "%.*s", (int)(end - off), c->text.data + off);
    return out;
}

/* Read c twice, quick reader on and off, and require the same answer to
 * every call: status, kind, id (its line), every field, raw and rejects
 * text, span. Returns how many lines the quick reader took. */
static uint64_t compare_readers(const struct corpus *c, const char *map)
{
    struct reader fast, general;
    ck_assert_int_eq(reader_open(&fast, c->text.data, c->text.len, "gen", map), OC_OK);
    ck_assert_int_eq(reader_open(&general, c->text.data, c->text.len, "gen", map), OC_OK);
    och_input_set_fast(&general.in, 0);
    for(size_t i = 0;; i++) {
        struct oc_record a, b;
        oc_status ra = och_input_next(&fast.in, &a), rb = och_input_next(&general.in, &b);
        ck_assert_int_eq(ra, rb);
        if(ra == OC_E_NOT_FOUND) {
            ck_assert_uint_eq(i, c->nids);
            break;
        }
        ck_assert_int_eq(ra, OC_OK);
        uint64_t off, len, goff, glen;
        och_input_record_span(&fast.in, &off, &len);
        och_input_record_span(&general.in, &goff, &glen);
        /* text gets the line for a message, written only when one fails */
        char text[160], want_id[32];
        ck_assert_uint_lt(i, c->nids);
        snprintf(want_id, sizeof want_id, "line %llu", (unsigned long long)c->ids[i]);
        ck_assert_msg(!strcmp(a.id, want_id) && !strcmp(b.id, want_id), "ids %s / %s, want %s", a.id,
                      b.id, want_id);
        ck_assert_msg(off == goff && len == glen, "span differs at %s", want_id);
        ck_assert_msg(!strcmp(a.kind, b.kind), "%s: kind %s (quick) vs %s (general): %s", want_id, a.kind,
                      b.kind, line_at(c, off, text, sizeof text));
        ck_assert_msg(a.nfields == b.nfields, "%s: %zu fields (quick) vs %zu (general): %s", want_id,
                      a.nfields, b.nfields, line_at(c, off, text, sizeof text));
        for(size_t f = 0; f < a.nfields; f++) {
            ck_assert_msg(!strcmp(a.fields[f].key, b.fields[f].key) && !strcmp(a.fields[f].value, b.fields[f].value)
                              && a.fields[f].type == b.fields[f].type,
                          "%s field %zu: %s=%s (quick) vs %s=%s (general): %s", want_id, f, a.fields[f].key,
                          a.fields[f].value, b.fields[f].key, b.fields[f].value, line_at(c, off, text, sizeof text));
        }
        size_t la, lb;
        const char *sa = och_input_raw(&fast.in, &la), *sb = och_input_raw(&general.in, &lb);
        ck_assert_msg(la == lb && !memcmp(sa, sb, la), "%s: raw text differs", want_id);
        sa = och_input_reject_text(&fast.in, &la);
        sb = och_input_reject_text(&general.in, &lb);
        ck_assert_ptr_nonnull(sa);
        ck_assert_ptr_nonnull(sb);
        ck_assert_msg(la == lb && !memcmp(sa, sb, la), "%s: rejects text differs: %s", want_id, line_at(c, off, text, sizeof text));
        ck_assert_int_eq(och_input_cut(&fast.in), och_input_cut(&general.in));
    }
    ck_assert_uint_eq(general.in.fast_lines, 0);
    uint64_t taken = fast.in.fast_lines;
    close_reader(&fast);
    close_reader(&general);
    return taken;
}

START_TEST(quick_reader_matches_general_parser)
{
    static const char *const maps[] = {NULL, "skip_me=,Mobile Phone=mobilephone,notes=email",
                                       "E-Mail=,Email Address=work_email,emaik=email"};
    uint64_t taken = 0, records = 0;
    for(uint64_t seed = 1; seed <= 6; seed++) {
        struct corpus c;
        make_corpus(&c, 0x9E3779B97F4A7C15ULL * seed, 2500);
        taken += compare_readers(&c, maps[seed % 3]);
        records += c.nids;
        free_corpus(&c);
    }
    /* The comparison means something only if the quick reader took many
     * of the lines and left many to the parser. */
    ck_assert_msg(taken > records / 5 && taken < records * 9 / 10, "quick reader took %llu of %llu",
                  (unsigned long long)taken, (unsigned long long)records);
}
END_TEST

/* The plain line the bench pushes, and ids across 9 -> 10, 99 -> 100 and
 * past skipped blank lines: stepped ids must equal written ones. */
START_TEST(quick_reader_takes_plain_lines)
{
    struct kit_buf text = KIT_BUF_INIT;
    for(int i = 1; i <= 1200; i++) {
        if(i % 97 == 0)
            kit_buf_puts(&text, "  \n");
        else
            kit_buf_printf(&text, "{\"email\":\"user%d@example.com\",\"firstname\":\"Reader%d\",\"lastname\":\"Bench\"}\n", i,
                           i);
    }
    ck_assert(kit_buf_ok(&text));
    struct reader r;
    ck_assert_int_eq(reader_open(&r, text.data, text.len, "plain", NULL), OC_OK);
    int records = 0;
    for(int i = 1; i <= 1200; i++) {
        if(i % 97 == 0)
            continue;
        struct oc_record rec;
        char id[32], email[48], first[32];
        snprintf(id, sizeof id, "line %d", i);
        snprintf(email, sizeof email, "user%d@example.com", i);
        snprintf(first, sizeof first, "Reader%d", i);
        next_is(&r, &rec, "contact", id);
        ck_assert_uint_eq(rec.nfields, 3);
        ck_assert_str_eq(rec.fields[0].key, "email");
        ck_assert_str_eq(rec.fields[0].value, email);
        ck_assert_str_eq(rec.fields[1].key, "firstname");
        ck_assert_str_eq(rec.fields[1].value, first);
        ck_assert_str_eq(rec.fields[2].key, "lastname");
        ck_assert_str_eq(rec.fields[2].value, "Bench");
        records++;
    }
    expect_end(&r);
    ck_assert_uint_eq(r.in.fast_lines, (uint64_t)records);
    close_reader(&r);
    kit_buf_free(&text);
}
END_TEST

extern Suite *make_input_fast_suite(void);
Suite *make_input_fast_suite(void)
{
    Suite *s = suite_create("input_fast");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, quick_reader_matches_general_parser);
    tcase_add_test(tc, quick_reader_takes_plain_lines);
    suite_add_tcase(s, tc);
    return s;
}
