/* check_push_fast.c - the push's per-contact shortcuts give what the
 * general code gives: upsert objects byte for byte what the JSON writer
 * makes of every input (awkward characters included), the one-pass
 * address check the same verdicts and words as the rules one by one,
 * answers read the same whether their names are escaped or not and their
 * inputs in order or not, membership bodies and HubSpot's refusal texts
 * as before. The references below are the code the shortcuts replaced. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hubspot/email.h"
#include "hubspot/membership.h"
#include "hubspot/push_item.h"
#include "hubspot/upsert.h"
#include "plugin/buf.h"
#include "plugin/json.h"
#include "plugin/strset.h"

/* A fixed generator: the same cases every run. */
static uint64_t rng_state;
static uint32_t rnd(void)
{
    rng_state = rng_state * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return (uint32_t)(rng_state >> 33);
}

/* ---- upsert objects ---- */

/* The writer before the shortcut: every string through kit_json_quote. */
static void reference_object(struct kit_buf *out, uint64_t ord, const char *email, size_t elen,
                             const struct oc_field *f, size_t n, int *email_only)
{
    kit_buf_puts(out, "{\"idProperty\":\"email\",\"id\":");
    kit_json_quote(out, email, elen);
    kit_buf_puts(out, ",\"properties\":{\"email\":");
    kit_json_quote(out, email, elen);
    *email_only = 1;
    for(size_t i = 0; i < n; i++) {
        const char *k = f[i].key, *v = f[i].value;
        if(!k || !*k || f[i].type == OC_FIELD_NULL || !v || !*v)
            continue;
        if(!strcasecmp(k, "email"))
            continue;
        int dup = 0;
        for(size_t p = 0; p < i && !dup; p++)
            dup = f[p].key && !strcmp(f[p].key, k);
        if(dup)
            continue;
        kit_buf_putc(out, ',');
        kit_json_quote(out, k, strlen(k));
        kit_buf_putc(out, ':');
        kit_json_quote(out, v, strlen(v));
        *email_only = 0;
    }
    kit_buf_printf(out, "},\"objectWriteTraceId\":\"push-%llu\"}", (unsigned long long)ord);
}

/* A string of 0..40 bytes, mostly plain, with now and then what a JSON
 * string writes escaped or checks: quote, backslash, control bytes, DEL,
 * valid and broken UTF-8. Lengths cross the eight-byte steps. */
static void awkward(char *s, size_t max)
{
    static const char *const odd[] = {"\"", "\\", "\n", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac",
                                      "\xf0\x9f\x98\x80", "\xc3", "\xff", "\xed\xa0\x80", "/", "'"};
    size_t len = rnd() % 41, at = 0;
    int plain = rnd() % 3 != 0;
    while(at < len && at + 5 < max) {
        if(!plain && rnd() % 6 == 0) {
            const char *o = odd[rnd() % (sizeof odd / sizeof odd[0])];
            size_t ol = strlen(o);
            memcpy(s + at, o, ol);
            at += ol;
        } else {
            s[at++] = (char)('a' + rnd() % 26 - (rnd() % 4 == 0 ? 32 : 0));
        }
    }
    s[at] = '\0';
}

START_TEST(test_upsert_object_matches_the_json_writer)
{
    static const char *const keys[] = {"firstname", "lastname", "Email", "email", "company", "x",
                                       "a\"b", "k\\ey", "caf\xc3\xa9", "phone_number_mobile", ""};
    struct kit_buf got = KIT_BUF_INIT, want = KIT_BUF_INIT;
    rng_state = 42;
    char email[64], vals[6][64];
    for(int round = 0; round < 20000; round++) {
        awkward(email, sizeof email);
        struct oc_field f[6];
        size_t n = rnd() % 7;
        for(size_t i = 0; i < n; i++) {
            awkward(vals[i], sizeof vals[i]);
            f[i].key = keys[rnd() % (sizeof keys / sizeof keys[0])];
            f[i].value = rnd() % 10 ? vals[i] : NULL;
            f[i].type = rnd() % 10 ? OC_FIELD_STRING : OC_FIELD_NULL;
        }
        uint64_t ord = rnd() % 3 ? rnd() : (uint64_t)rnd() << 31;
        size_t elen = strlen(email);
        int eo_got = -1, eo_want = -1;
        /* out is not reset between inputs: what is there stays */
        if(round % 50 == 0) {
            kit_buf_reset(&got);
            kit_buf_reset(&want);
        }
        ck_assert_int_eq(hs_upsert_json_write(&got, ord, email, elen, f, n, &eo_got), 0);
        reference_object(&want, ord, email, elen, f, n, &eo_want);
        ck_assert_msg(got.len == want.len && !memcmp(got.data, want.data, got.len),
                      "round %d: the upsert object differs from the JSON writer's:\n%s\n%s", round,
                      got.data, want.data);
        ck_assert_int_eq(eo_got, eo_want);
    }
    kit_buf_free(&got);
    kit_buf_free(&want);
}
END_TEST

/* ---- address syntax ---- */

/* The rules one by one, as they were before the one-pass check. */
static size_t ref_utf8_seq(const unsigned char *p)
{
    size_t n;
    unsigned min, cp;
    if(p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2, min = 0x80, cp = p[0] & 0x1f;
    } else if(p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3, min = 0x800, cp = p[0] & 0x0f;
    } else if(p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4, min = 0x10000, cp = p[0] & 0x07;
    } else {
        return 0;
    }
    for(size_t i = 1; i < n; i++) {
        if((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if(cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static int ref_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static const char *ref_local(const unsigned char *p, size_t n)
{
    if(n == 0)
        return "has nothing before the @";
    if(n > 64)
        return "has more than 64 characters before the @";
    if(p[0] == '.' || p[n - 1] == '.')
        return "starts or ends the part before the @ with a dot";
    for(size_t i = 0; i < n;) {
        if(p[i] >= 0x80) {
            size_t k = ref_utf8_seq(p + i);
            if(!k || i + k > n)
                return "is not valid UTF-8";
            i += k;
            continue;
        }
        if(p[i] == '.' && p[i + 1] == '.')
            return "has two dots in a row";
        if(p[i] != '.' && !(ref_alnum(p[i]) || (p[i] && strchr("!#$%&'*+/=?^_`{|}~-", p[i]))))
            return "contains a character not allowed in an email address (space, quote, comma, "
                   "bracket, ...)";
        i++;
    }
    return NULL;
}

static const char *ref_domain(const unsigned char *p, size_t n)
{
    if(n == 0)
        return "has nothing after the @";
    if(p[0] == '[')
        return "has an IP address instead of a domain after the @";
    size_t labels = 0, start = 0;
    int tld_digits = 1;
    for(size_t i = 0; i <= n;) {
        if(i == n || p[i] == '.') {
            size_t len = i - start;
            if(len == 0)
                return "has an empty part in the domain (a dot at the start or end, or two "
                       "in a row)";
            if(len > 63)
                return "has a domain part longer than 63 characters";
            if(p[start] == '-' || p[i - 1] == '-')
                return "has a domain part that starts or ends with a hyphen";
            labels++;
            start = i + 1;
            if(i < n)
                tld_digits = 1;
            i++;
            continue;
        }
        if(p[i] >= 0x80) {
            size_t k = ref_utf8_seq(p + i);
            if(!k || i + k > n)
                return "is not valid UTF-8";
            tld_digits = 0;
            i += k;
            continue;
        }
        if(!ref_alnum(p[i]) && p[i] != '-')
            return "contains a character not allowed in a domain name";
        if(!(p[i] >= '0' && p[i] <= '9'))
            tld_digits = 0;
        i++;
    }
    if(labels < 2)
        return "has no dot in the domain (e.g. example.com)";
    if(tld_digits)
        return "ends in a numeric top-level domain";
    return NULL;
}

static const char *ref_email_problem(const char *s)
{
    if(!s || !*s)
        return "is empty";
    size_t n = strlen(s);
    if(n > 254)
        return "is longer than 254 characters";
    const char *at = strchr(s, '@');
    if(!at)
        return "has no @";
    if(strchr(at + 1, '@'))
        return "has more than one @";
    size_t ln = (size_t)(at - s);
    const char *why = ref_local((const unsigned char *)s, ln);
    return why ? why : ref_domain((const unsigned char *)s + ln + 1, n - ln - 1);
}

/* Runs of one byte class, so the boundaries the rules care about (64
 * before the @, 63 a label, 254 in all, dots and hyphens at the edges,
 * numeric top-level domains) come up often. */
static void address(char *s, size_t max)
{
    static const char *const atoms[] = {"a", "Z", "0", "9", ".", "..", "-", "@", "_", "+", "!", "~",
                                        " ", "\"", "[", "]", "\xc3\xa9", "\xc3", "\xed\xa0\x80", ",",
                                        "\x01", "\x7f", "com", "x.y", "1.2", "-a-", ".1"};
    size_t at = 0, parts = rnd() % 12;
    for(size_t p = 0; p < parts; p++) {
        const char *a = atoms[rnd() % (sizeof atoms / sizeof atoms[0])];
        size_t al = strlen(a), reps = rnd() % 4 == 0 ? rnd() % 80 : 1;
        for(size_t r = 0; r < reps && at + al + 1 < max; r++) {
            memcpy(s + at, a, al);
            at += al;
        }
    }
    s[at] = '\0';
}

static void same_verdict(const char *s)
{
    const char *got = hs_email_problem(s), *want = ref_email_problem(s);
    ck_assert_msg((!got && !want) || (got && want && !strcmp(got, want)),
                  "'%s': the check says %s, the rules %s", s, got ? got : "valid",
                  want ? want : "valid");
}

START_TEST(test_address_check_matches_the_rules)
{
    char s[400];
    rng_state = 7;
    for(int round = 0; round < 200000; round++) {
        address(s, sizeof s);
        same_verdict(s);
        /* and as a near miss of a valid address */
        snprintf(s, sizeof s, "user%u%s@ex%s.c%s", rnd() % 1000, rnd() % 2 ? "" : ".x",
                 rnd() % 3 ? "ample" : "-", rnd() % 4 ? "om" : "1");
        same_verdict(s);
    }
    /* the edges, exactly */
    char local[80], label[80];
    for(int n = 62; n <= 66; n++) {
        memset(local, 'a', (size_t)n);
        local[n] = '\0';
        snprintf(s, sizeof s, "%s@example.com", local);
        same_verdict(s);
        snprintf(s, sizeof s, "a@%s.com", local);
        same_verdict(s);
        memset(label, '1', (size_t)n);
        label[n] = '\0';
        snprintf(s, sizeof s, "a@b.%s", label);
        same_verdict(s);
    }
    for(int n = 250; n <= 258; n++) {
        memset(s, 'b', sizeof s);
        memcpy(s, "a@", 2);
        for(int i = 40; i < n; i += 41)
            s[i] = '.';
        memcpy(s + n - 4, ".com", 4);
        s[n] = '\0';
        same_verdict(s);
    }
    static const char *const fixed[] = {"a@b.co", "a.b@c.d", ".a@b.co", "a.@b.co", "a..b@c.co",
                                        "a@b..co", "a@-b.co", "a@b-.co", "a@b.12", "a@b.1a",
                                        "a@b", "@b.co", "a@", "a@b.co.", "a@.b.co", "a@@b.co",
                                        "a@b@c.co", "a b@c.co", "a@[1.2.3.4]", "\xc3\xa9@b.co",
                                        "a@b.\xc3\xa9", "a@b.co\x7f", "", "@", "."};
    for(size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        same_verdict(fixed[i]);
}
END_TEST

/* ---- reading upsert answers ---- */

static struct hs_push_item *item(uint64_t ord, const char *email)
{
    struct hs_push_item *it = hs_push_item_new(ord, "in", 2, email, strlen(email), 1, "{}", 2);
    ck_assert_ptr_nonnull(it);
    return it;
}

/* Settle items[0..n) from answer (a 2xx body); the caller frees them. */
static void settle(struct hs_push_item **items, size_t n, const char *answer)
{
    struct kit_http_req r;
    kit_http_req_init(&r, "POST", "/x", NULL, 0, "contacts.batch.upsert");
    r.rc = OC_OK;
    r.status = 207;
    kit_buf_puts(&r.resp, answer);
    ck_assert_int_eq(kit_json_parse(&r.json, r.resp.data, r.resp.len, NULL, 0), 0);
    struct oc_error e = {sizeof e};
    ck_assert_int_eq(hs_upsert_settle(NULL, &r, items, n, 0, &e), OC_OK);
    kit_http_req_free(&r);
}

/* Results in any order, inputs with gaps between their positions (some
 * finished before they were sent) or out of order (handed back for a
 * second upsert), names escaped or not: each input gets its own id. */
START_TEST(test_answers_tied_whatever_the_order_and_escapes)
{
    enum { N = 40 };
    static const uint64_t ords_sorted[N] = {1,  2,  4,  5,  6,  9,  10, 11, 12, 13, 20, 21, 22, 23,
                                            24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37,
                                            38, 39, 40, 41, 42, 43, 44, 45, 60, 61, 70, 99};
    for(int layout = 0; layout < 3; layout++) {
        struct hs_push_item *items[N];
        for(size_t i = 0; i < N; i++) {
            /* layout 1: two late items at the front; layout 2: reversed */
            uint64_t ord = layout == 2 ? ords_sorted[N - 1 - i]
                         : layout == 1 && i < 2 ? ords_sorted[N - 2 + i]
                         : layout == 1 ? ords_sorted[i - 2]
                                       : ords_sorted[i];
            char email[32];
            snprintf(email, sizeof email, "p%llu@example.com", (unsigned long long)ord);
            items[i] = item(ord, email);
        }
        struct kit_buf a = KIT_BUF_INIT;
        kit_buf_puts(&a, "{\"results\":[");
        for(size_t k = 0; k < N; k++) {
            uint64_t ord = ords_sorted[(k * 7) % N];
            /* every third result spells its names with escapes */
            if(k % 3 == 0)
                kit_buf_printf(&a, "%s{\"\\u0069d\":\"%llu\",\"ne\\u0077\":true,\"objectWriteTrace\\u0049d\":"
                                   "\"push-%llu\"}",
                               k ? "," : "", (unsigned long long)(1000 + ord), (unsigned long long)ord);
            else
                kit_buf_printf(&a, "%s{\"idx\":\"0\",\"id\":\"%llu\",\"properties\":{\"id\":\"7\"},"
                                   "\"new\":false,\"objectWriteTraceId\":\"push-%llu\"}",
                               k ? "," : "", (unsigned long long)(1000 + ord), (unsigned long long)ord);
        }
        kit_buf_puts(&a, "]}");
        settle(items, N, a.data);
        for(size_t i = 0; i < N; i++) {
            char want[32];
            snprintf(want, sizeof want, "%llu", (unsigned long long)(1000 + items[i]->ord));
            ck_assert_msg(items[i]->record_id && !strcmp(items[i]->record_id, want),
                          "layout %d: input %llu got id %s, not %s", layout,
                          (unsigned long long)items[i]->ord,
                          items[i]->record_id ? items[i]->record_id : "(none)", want);
            ck_assert_ptr_null(items[i]->error);
            size_t k = 0;
            while(ords_sorted[(k * 7) % N] != items[i]->ord)
                k++;
            ck_assert_int_eq(items[i]->created, k % 3 == 0);
            hs_push_item_free(items[i]);
        }
        kit_buf_free(&a);
    }
}
END_TEST

/* HubSpot's refusal quoted as before: its category, and its message cut
 * at 400 bytes. */
START_TEST(test_refusal_text_as_before)
{
    char said[600];
    memset(said, 'm', sizeof said - 1);
    said[sizeof said - 1] = '\0';
    memcpy(said, "Email address is invalid", 24);
    struct hs_push_item *items[3] = {item(1, "a@example.com"), item(2, "b@example.com"),
                                     item(3, "c@example.com")};
    struct kit_buf a = KIT_BUF_INIT;
    kit_buf_printf(&a,
                   "{\"results\":[],\"errors\":[{\"category\":\"VALIDATION_ERROR\",\"message\":\"%s\","
                   "\"context\":{\"objectWriteTraceId\":[\"push-1\"]}},{\"message\":\"short\","
                   "\"context\":{\"objectWriteTraceId\":[\"push-2\"]}},{\"category\":\"\","
                   "\"message\":\"x\",\"context\":{\"id\":[\"c@example.com\"]}}]}",
                   said);
    settle(items, 3, a.data);
    char want[700];
    snprintf(want, sizeof want, "HubSpot rejected this contact (%s): %.*s", "VALIDATION_ERROR", 400, said);
    ck_assert_str_eq(items[0]->error, want);
    ck_assert_str_eq(items[1]->error, "HubSpot rejected this contact: short");
    ck_assert_str_eq(items[2]->error, "HubSpot rejected this contact: x");
    for(int i = 0; i < 3; i++) {
        ck_assert_int_eq(items[i]->status, HS_PUSH_FAILED);
        ck_assert_int_eq(items[i]->suspect, 1);
        hs_push_item_free(items[i]);
    }
    kit_buf_free(&a);
}
END_TEST

/* ---- membership bodies ---- */

START_TEST(test_membership_body_as_the_json_writer)
{
    static const char *const ids[] = {"101", "12345678901234567890", "101", "7\"8", "9\\0", "55", NULL,
                                      "1 2", "\xc3\xa9", "55"};
    enum { N = sizeof ids / sizeof ids[0] };
    struct hs_push_item *items[N];
    for(size_t i = 0; i < N; i++) {
        items[i] = item(i + 1, "a@example.com");
        if(ids[i])
            ck_assert_int_eq(hs_push_item_set_id(items[i], ids[i], strlen(ids[i])), 0);
    }
    struct kit_buf got = KIT_BUF_INIT, want = KIT_BUF_INIT;
    kit_buf_puts(&got, "left over");
    ck_assert_int_eq(hs_membership_body(&got, items, N), 0);
    /* each id once, in order, quoted by the writer */
    kit_buf_putc(&want, '[');
    static const int firsts[] = {0, 1, 3, 4, 5, 7, 8};
    for(size_t i = 0; i < sizeof firsts / sizeof firsts[0]; i++) {
        if(i)
            kit_buf_putc(&want, ',');
        kit_json_quote(&want, ids[firsts[i]], strlen(ids[firsts[i]]));
    }
    kit_buf_putc(&want, ']');
    ck_assert_str_eq(got.data, want.data);
    for(size_t i = 0; i < N; i++)
        hs_push_item_free(items[i]);
    kit_buf_free(&got);
    kit_buf_free(&want);
}
END_TEST

/* Chunks of ids with repeats, answered with random parts of them as
 * added or missing (written as strings or numbers, with look-alikes that
 * are other strings: a leading zero, a blank, 20 digits), after one or
 * two attempts: every status as the rules say them by string, and the
 * body each id once in order. */
START_TEST(test_membership_answer_read_by_string_rules)
{
    enum { N = 60 };
    static const char *const near[] = {"0%s", "%s ", "%s0", "-%s", "%s.0", "1%s00000000000000000"};
    rng_state = 7;
    for(int round = 0; round < 300; round++) {
        char ids[N][32];
        struct hs_push_item *items[N];
        size_t n = 1 + rnd() % N;
        int plain = round % 10 != 9; /* now and then a chunk with an id that is no plain number */
        for(size_t i = 0; i < n; i++) {
            if(i && rnd() % 4 == 0)
                strcpy(ids[i], ids[rnd() % i]);
            else
                snprintf(ids[i], sizeof ids[i], "%u", rnd() % 3 ? rnd() % 5000 : rnd());
            if(!plain && i == n / 2)
                snprintf(ids[i], sizeof ids[i], "0%u", rnd() % 50);
            items[i] = item(i + 1, "a@example.com");
            ck_assert_int_eq(hs_push_item_set_id(items[i], ids[i], strlen(ids[i])), 0);
            items[i]->created = rnd() % 2;
            items[i]->from_cache = rnd() % 5 == 0;
        }
        /* the body: each id once, in order */
        struct kit_buf got = KIT_BUF_INIT, want = KIT_BUF_INIT;
        ck_assert_int_eq(hs_membership_body(&got, items, n), 0);
        kit_buf_putc(&want, '[');
        for(size_t i = 0, k = 0; i < n; i++) {
            int dup = 0;
            for(size_t p = 0; p < i && !dup; p++)
                dup = !strcmp(ids[p], ids[i]);
            if(dup)
                continue;
            if(k++)
                kit_buf_putc(&want, ',');
            kit_json_quote(&want, ids[i], strlen(ids[i]));
        }
        kit_buf_putc(&want, ']');
        ck_assert_str_eq(got.data, want.data);
        /* the answer */
        char listed[2][3 * N][48];
        size_t nl[2] = {0, 0};
        struct kit_buf answer = KIT_BUF_INIT;
        kit_buf_puts(&answer, "{\"recordsIdsAdded\":[");
        for(int arr = 0; arr < 2; arr++) {
            if(arr)
                kit_buf_puts(&answer, "],\"recordIdsMissing\":[");
            for(size_t i = 0; i < n; i++) {
                if(rnd() % 3)
                    continue;
                char *l = listed[arr][nl[arr]++];
                if(rnd() % 4 == 0)
                    snprintf(l, 48, near[rnd() % (sizeof near / sizeof near[0])], ids[i]);
                else
                    snprintf(l, 48, "%s", ids[i]);
                int as_number = l[0] >= '1' && l[0] <= '9' && !strchr(l, ' ') && rnd() % 3 == 0;
                kit_buf_printf(&answer, "%s%s%s%s", nl[arr] > 1 ? "," : "", as_number ? "" : "\"", l,
                               as_number ? "" : "\"");
            }
        }
        kit_buf_puts(&answer, "]}");
        struct kit_http_req r;
        kit_http_req_init(&r, "PUT", "/x", NULL, 0, "lists.memberships.add");
        r.rc = OC_OK;
        r.status = 200;
        r.attempts = rnd() % 2 + 1;
        kit_buf_append(&r.resp, answer.data, answer.len);
        ck_assert_int_eq(kit_json_parse(&r.json, r.resp.data, r.resp.len, NULL, 0), 0);
        int want_status[N], want_open[N];
        for(size_t i = 0; i < n; i++) {
            size_t first = 0;
            while(strcmp(ids[first], ids[i]))
                first++;
            int in_added = 0, in_missing = 0;
            for(size_t k = 0; k < nl[0]; k++)
                in_added |= !strcmp(listed[0][k], ids[i]);
            for(size_t k = 0; k < nl[1]; k++)
                in_missing |= !strcmp(listed[1][k], ids[i]);
            want_open[i] = 0;
            if(in_added)
                want_status[i] = first == i ? HS_PUSH_ADDED : HS_PUSH_ALREADY;
            else if(in_missing) {
                want_status[i] = items[i]->from_cache ? HS_PUSH_OPEN : HS_PUSH_FAILED;
                want_open[i] = items[i]->from_cache;
            } else
                want_status[i] = r.attempts > 1 && items[i]->created && first == i ? HS_PUSH_ADDED
                                                                                   : HS_PUSH_ALREADY;
        }
        struct oc_error e = {sizeof e};
        ck_assert_int_eq(hs_membership_settle(&r, "77", items, n, &e), OC_OK);
        for(size_t i = 0; i < n; i++) {
            ck_assert_msg(items[i]->status == want_status[i],
                          "round %d, item %zu (id %s): status %d, the rules say %d; answer %s", round,
                          i, ids[i], items[i]->status, want_status[i], answer.data);
            if(want_open[i])
                ck_assert_ptr_null(items[i]->record_id);
            hs_push_item_free(items[i]);
        }
        kit_http_req_free(&r);
        kit_buf_free(&answer);
        kit_buf_free(&got);
        kit_buf_free(&want);
    }
}
END_TEST

/* ---- the string set's hash ---- */

/* Keys of every length from 0 to 40 that differ only in their last byte
 * or only in their first: each is its own key, and the hash spreads them
 * (no more than a few share a value). */
START_TEST(test_strset_keys_differing_at_either_end)
{
    enum { LEN = 41, ALT = 16 };
    static char keys[LEN][2][ALT][48];
    struct kit_strset s;
    ck_assert_int_eq(kit_strset_init(&s, LEN * 2 * ALT), 0);
    size_t added = 0;
    for(size_t len = 1; len < LEN; len++)
        for(int end = 0; end < 2; end++)
            for(int a = 0; a < ALT; a++) {
                char *k = keys[len][end][a];
                memset(k, 'q', len);
                k[end ? len - 1 : 0] = (char)('A' + a);
                added += kit_strset_add(&s, k, len) == 1;
            }
    /* first and last byte are the same byte for length 1 */
    ck_assert_uint_eq(added, (LEN - 1) * 2 * ALT - ALT);
    for(size_t len = 1; len < LEN; len++)
        for(int a = 0; a < ALT; a++) {
            ck_assert(kit_strset_has(&s, keys[len][1][a], len));
            uint64_t h = kit_hash_bytes(keys[len][1][a], len, 0);
            int same = 0;
            for(int b = 0; b < ALT; b++)
                same += kit_hash_bytes(keys[len][1][b], len, 0) == h;
            ck_assert_msg(same == 1, "length %zu: the last byte does not reach the hash", len);
        }
    kit_strset_free(&s);
}
END_TEST

/* ---- item blocks ---- */

/* Items made from a pool and freed give their blocks back: the next items
 * of the same size reuse them (no malloc), an item too big for a class is
 * its own allocation, copies merged into an item go back with it, and
 * hs_push_pool_free leaves nothing behind (ASan and valgrind check that). */
START_TEST(test_item_blocks_reused_from_the_pool)
{
    struct hs_push_pool pool;
    memset(&pool, 0, sizeof pool);
    enum { N = 5 };
    struct hs_push_item *first[N];
    for(size_t i = 0; i < N; i++) {
        first[i] = hs_push_item_new_in(&pool, i + 1, "line 1", 6, "A@Example.com", 13, 1, "{}", 2);
        ck_assert_ptr_nonnull(first[i]);
        ck_assert_ptr_eq(first[i]->pool, &pool);
        ck_assert_str_eq(first[i]->key, "a@example.com");
    }
    unsigned cls = first[0]->pool_class;
    void *blocks[N];
    for(size_t i = 0; i < N; i++) {
        blocks[i] = first[i];
        hs_push_item_free(first[i]);
    }
    ck_assert_uint_eq(pool.nfree[cls], N);
    /* the same blocks again, whichever order they come back in */
    for(size_t i = 0; i < N; i++) {
        struct hs_push_item *again = hs_push_item_new_in(&pool, 9, "line 9", 6, "b@example.com", 13, 1,
                                                         "{}", 2);
        int reused = 0;
        for(size_t k = 0; k < N; k++)
            reused |= (void *)again == blocks[k];
        ck_assert_msg(reused, "item %zu did not reuse a freed block", i);
        ck_assert_str_eq(again->input, "line 9");
        ck_assert_ptr_null(again->record_id);
        ck_assert_ptr_null(again->copies);
        ck_assert_int_eq(again->status, HS_PUSH_OPEN);
        first[i] = again;
    }
    ck_assert_uint_eq(pool.nfree[cls], 0);
    /* a copy rides along and goes back with its first */
    first[0]->copies = first[0]->copies_last = first[1];
    first[1] = NULL;
    hs_push_item_free(first[0]);
    ck_assert_uint_eq(pool.nfree[cls], 2);
    /* too big for any class: its own allocation, freed as one */
    static char json[2048];
    memset(json, 'x', sizeof json - 1);
    struct hs_push_item *big = hs_push_item_new_in(&pool, 1, "in", 2, NULL, 0, 0, json, sizeof json - 1);
    ck_assert_ptr_nonnull(big);
    ck_assert_ptr_null(big->pool);
    hs_push_item_free(big);
    for(size_t i = 2; i < N; i++)
        hs_push_item_free(first[i]);
    ck_assert_uint_eq(pool.nfree[cls], N);
    hs_push_pool_free(&pool);
    for(unsigned c = 0; c < HS_PUSH_POOL_CLASSES; c++)
        ck_assert_ptr_null(pool.free[c]);
}
END_TEST

/* An item's key is its address with A-Z lowercased and every other byte
 * (UTF-8, '@', '[', '`', '{') as it is, whatever the length and wherever
 * the letter sits: the word steps give what a byte at a time gives. */
START_TEST(test_item_key_lowercased_at_every_position)
{
    static const char odd[] = {'A', 'Z', 'M', '@', '[', '`', '{', (char)0xc3, (char)0xc9, 'a', 'z'};
    struct hs_push_pool pool;
    memset(&pool, 0, sizeof pool);
    for(size_t len = 1; len <= 40; len++)
        for(size_t pos = 0; pos < len; pos++)
            for(size_t o = 0; o < sizeof odd; o++) {
                char email[48], want[48];
                for(size_t i = 0; i < len; i++)
                    email[i] = (char)('B' + (i * 7) % 24); /* capitals all along */
                email[pos] = odd[o];
                email[len] = '\0';
                for(size_t i = 0; i <= len; i++)
                    want[i] = email[i] >= 'A' && email[i] <= 'Z' ? (char)(email[i] - 'A' + 'a') : email[i];
                struct hs_push_item *it = hs_push_item_new_in(&pool, 1, "in", 2, email, len, 1, "{}", 2);
                ck_assert_ptr_nonnull(it);
                ck_assert_msg(!strcmp(it->key, want), "length %zu, byte 0x%02x at %zu: key %s, want %s", len,
                              (unsigned char)odd[o], pos, it->key, want);
                ck_assert_str_eq(it->email, email);
                hs_push_item_free(it);
            }
    hs_push_pool_free(&pool);
}
END_TEST

extern Suite *make_push_fast_suite(void);
Suite *make_push_fast_suite(void)
{
    Suite *s = suite_create("push_fast");
    TCase *tc = tcase_create("same as the general code");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_upsert_object_matches_the_json_writer);
    tcase_add_test(tc, test_address_check_matches_the_rules);
    tcase_add_test(tc, test_answers_tied_whatever_the_order_and_escapes);
    tcase_add_test(tc, test_refusal_text_as_before);
    tcase_add_test(tc, test_membership_body_as_the_json_writer);
    tcase_add_test(tc, test_strset_keys_differing_at_either_end);
    tcase_add_test(tc, test_item_blocks_reused_from_the_pool);
    tcase_add_test(tc, test_membership_answer_read_by_string_rules);
    tcase_add_test(tc, test_item_key_lowercased_at_every_position);
    suite_add_tcase(s, tc);
    return s;
}
