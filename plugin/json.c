/*
 * json.c - strict JSON reader and a streaming writer; see json.h.
 *
 * Parsing is one linear pass: parse() checks the whole RFC 8259 grammar
 * (raw control characters, invalid UTF-8, lone surrogates, several root
 * values, "[1,]", 01, tru are all refused with the byte where the document
 * broke) and writes each token as it is read, with its subtree end
 * (`next`) filled when the subtree closes, which is what makes
 * kit_json_skip() O(1). The token array starts sized for a typical
 * document of that length and doubles if it runs out.
 */
#include "plugin/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "plugin/utf8.h"
#include "plugin/text.h"

_Static_assert(KIT_JSON_MAX_BYTES <= (1u << 27), "a token's start must hold any offset");
_Static_assert(sizeof(struct kit_json_tok) == 16, "tokens stay sixteen bytes");

/* ---- shared byte-level helpers ---- */

/* The 4 hex digits at p as a number, -1 if any is not hex. */
static long hex4(const unsigned char *p)
{
    long v = 0;
    for(int i = 0; i < 4; i++) {
        int h = kit_hexval(p[i]);
        if(h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static int utf8_put(unsigned long cp, char *o)
{
    if(cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if(cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if(cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decode the escape at p (p[0] == '\\') of an already validated string into
 * o (up to 4 bytes); returns the bytes written, *adv the bytes consumed.
 * No bounds checks: validate() guaranteed the escape is complete. */
static int unescape1(const char *p, char *o, int *adv)
{
    const unsigned char *u = (const unsigned char *)p;
    *adv = 2;
    switch(u[1]) {
    case 'b': o[0] = '\b'; return 1;
    case 'f': o[0] = '\f'; return 1;
    case 'n': o[0] = '\n'; return 1;
    case 'r': o[0] = '\r'; return 1;
    case 't': o[0] = '\t'; return 1;
    case 'u': break;
    default: o[0] = (char)u[1]; return 1; /* " \ / */
    }
    unsigned long cp = (unsigned long)hex4(u + 2);
    *adv = 6;
    if(cp >= 0xD800 && cp <= 0xDBFF) {
        unsigned long lo = (unsigned long)hex4(u + 8);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        *adv = 12;
    }
    return utf8_put(cp, o);
}

/* Bytes that may stand for themselves inside a JSON string literal (and
 * need no UTF-8 check): printable ASCII but quote and backslash. */
static int is_plain(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

/* ---- validation ---- */

struct vctx {
    const unsigned char *s;
    size_t len;
    char *why;
    size_t whysize;
    int limit; /* the failure was a limit (size, depth, tokens), not bad syntax */
};

__attribute__((format(printf, 2, 3))) static int vfail(const struct vctx *v, const char *fmt, ...)
{
    if(v->why && v->whysize) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->why, v->whysize, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int truncated(const struct vctx *v, const char *inside)
{
    return vfail(v, "truncated document: unexpected end of input at byte %zu%s", v->len, inside);
}

static int is_ws(unsigned char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* Callers test s[p] <= ' ' first (whitespace is rare between HubSpot's
 * tokens, and every whitespace byte is <= ' '), so the common case costs
 * one compare and no call. */
static inline size_t skip_ws(const unsigned char *s, size_t p, size_t len)
{
    while(p < len && is_ws(s[p]))
        p++;
    return p;
}

#ifdef __SSE2__
static inline unsigned special16(const unsigned char *s) { return kit_json_special16(s); }
#endif

/* Index of the first byte at or after p that is not plain string text
 * (quote, backslash, control, non-ASCII), or len. Without SSE2, eight
 * bytes at a time: the bit tricks below can flag a byte wrongly only after
 * a truly special one, so a zero mask is exact and, on a little-endian
 * machine, the lowest flagged byte is the first special one. */
static inline __attribute__((always_inline)) size_t plain_run(const unsigned char *s, size_t p, size_t len)
{
#ifdef __SSE2__
    while(p + 16 <= len) {
        unsigned m = special16(s + p);
        if(m)
            return p + (size_t)__builtin_ctz(m);
        p += 16;
    }
    /* The rest (1 to 15 bytes) in one load of the last 16, those before p
     * (plain already) masked off: strings near the end of a document are
     * done in one step instead of a byte at a time. */
    if(p < len && len >= 16) {
        unsigned m = special16(s + len - 16) & (0xFFFFu << (p - (len - 16)));
        return m ? len - 16 + (size_t)__builtin_ctz(m) : len;
    }
#endif
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    while(p + 8 <= len) {
        uint64_t x, q, b, m;
        memcpy(&x, s + p, 8);
        q = x ^ (ones * '"');
        b = x ^ (ones * '\\');
        m = (((q - ones) & ~q) | ((b - ones) & ~b) | (x - ones * 0x20) | x) & high;
        if(m) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return p + (size_t)(__builtin_ctzll(m) >> 3);
#else
            break;
#endif
        }
        p += 8;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* The same for the last 1 to 7 bytes, with one load of the last 8
     * shifted so s[p] is the lowest byte: the bytes before p may be
     * special (the opening quote, an escape) and, left in, could flag a
     * plain byte after them. The zero bytes shifted in at the top can only
     * flag lanes past the end, which the mask drops. */
    if(p < len && len >= 8) {
        uint64_t x, q, b, m;
        memcpy(&x, s + len - 8, 8);
        x >>= 8 * (p - (len - 8));
        q = x ^ (ones * '"');
        b = x ^ (ones * '\\');
        m = (((q - ones) & ~q) | ((b - ones) & ~b) | (x - ones * 0x20) | x) & high;
        m &= (UINT64_C(1) << (8 * (len - p))) - 1;
        return m ? p + (size_t)(__builtin_ctzll(m) >> 3) : len;
    }
#endif
    while(p < len && is_plain(s[p]))
        p++;
    return p;
}

size_t kit_json_plain_run(const char *s, size_t p, size_t len)
{
    return plain_run((const unsigned char *)s, p, len);
}

/* The \uXXXX at p (s[p] == '\\', s[p + 1] == 'u') into *cp. */
static int check_u(const struct vctx *v, size_t p, long *cp)
{
    for(size_t i = p + 2; i < p + 6; i++) {
        if(i >= v->len)
            return truncated(v, " inside a \\u escape");
        if(kit_hexval(v->s[i]) < 0)
            return vfail(v, "invalid \\u escape (needs 4 hex digits) at byte %zu", p);
    }
    *cp = hex4(v->s + p + 2);
    return 0;
}

/* What the scanners return: the end they found, or SCAN_FAIL with the
 * reason written; a string's end has SCAN_ESC added when it holds a
 * backslash. One return value, not pointers, so parse() keeps its
 * positions in registers. */
#define SCAN_FAIL SIZE_MAX
#define SCAN_ESC (SIZE_MAX ^ (SIZE_MAX >> 1))

static size_t scan_fail(int ignored)
{
    (void)ignored;
    return SCAN_FAIL;
}

/* The rest of a string from p, the first byte plain_run stopped at (or any
 * byte not inside an escape or a UTF-8 sequence): the closing quote, plus
 * SCAN_ESC when the string holds a backslash (esc: one was seen before p).
 * Out of line: parse() comes here only for escapes, non-ASCII text and
 * strings that end near the end of the document. */
static size_t scan_string_rest(const struct vctx *v, size_t p, size_t esc)
{
    const unsigned char *s = v->s;
    size_t len = v->len;
    for(;;) {
        p = plain_run(s, p, len);
        if(p >= len)
            return scan_fail(truncated(v, " inside a string"));
        if(s[p] == '"')
            return p | esc;
        if(s[p] < 0x20)
            return scan_fail(vfail(v, "raw control character 0x%02X in a string at byte %zu (must be "
                                      "escaped)", s[p], p));
        if(s[p] >= 0x80) {
            size_t bad, n = kit_utf8_seq(s + p, len - p, &bad);
            if(!n && p + bad >= len)
                return scan_fail(truncated(v, " inside a UTF-8 sequence"));
            if(!n)
                return scan_fail(vfail(v, "invalid UTF-8 in a string at byte %zu", p));
            p += n;
            continue;
        }
        /* a backslash */
        esc = SCAN_ESC;
        if(p + 1 >= len)
            return scan_fail(truncated(v, " inside a string"));
        switch(s[p + 1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            p += 2;
            break;
        case 'u': {
            long cp;
            if(check_u(v, p, &cp))
                return SCAN_FAIL;
            if(cp >= 0xDC00 && cp <= 0xDFFF)
                return scan_fail(vfail(v, "lone low surrogate \\u%04lX at byte %zu", cp, p));
            p += 6;
            if(cp < 0xD800 || cp > 0xDBFF)
                break;
            long lo = -1;
            if(p >= len || (s[p] == '\\' && p + 1 >= len))
                return scan_fail(truncated(v, " inside a surrogate pair"));
            if(s[p] == '\\' && s[p + 1] == 'u' && check_u(v, p, &lo))
                return SCAN_FAIL;
            if(lo < 0xDC00 || lo > 0xDFFF)
                return scan_fail(vfail(v, "high surrogate \\u%04lX at byte %zu not followed by a "
                                          "low surrogate", cp, p - 6));
            p += 6;
            break;
        }
        default:
            if(s[p + 1] >= 0x20 && s[p + 1] < 0x7F)
                return scan_fail(vfail(v, "invalid escape '\\%c' at byte %zu", s[p + 1], p));
            return scan_fail(vfail(v, "invalid escape (backslash then byte 0x%02X) at byte %zu",
                                   s[p + 1], p));
        }
    }
}

/* From q inside a string, sixteen bytes at a time while sixteen remain:
 * the first byte that is not plain text, or where fewer than sixteen are
 * left (all before it plain). A quote there closes the string; anything
 * else is for scan_string_rest. Most of HubSpot's strings are plain ASCII
 * a few tens of bytes long: parse() reads them here, inline, and writes
 * their token with no more tests. */
static inline __attribute__((always_inline)) size_t vector_run(const unsigned char *s, size_t q, size_t len)
{
#ifdef __SSE2__
    while(q + 16 <= len) {
        unsigned m = special16(s + q);
        if(m)
            return q + (unsigned)__builtin_ctz(m);
        q += 16;
    }
#else
    (void)s;
    (void)len;
#endif
    return q;
}

/* A byte that would glue itself to a number or a literal ("1x", "truex"). */
static int is_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
}

/* RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, from start
 * (a '-' or a digit): the end of the number, or SCAN_FAIL. */
static size_t scan_number(const struct vctx *v, size_t start)
{
    const unsigned char *s = v->s;
    size_t len = v->len, p = start;
    if(s[p] == '-')
        p++;
    if(p >= len || !is_digit(s[p]))
        goto bad;
    if(s[p] == '0') {
        p++;
        if(p < len && is_digit(s[p]))
            return scan_fail(vfail(v, "invalid number at byte %zu (leading zero)", start));
    } else {
        while(++p < len && is_digit(s[p]))
            ;
    }
    if(p >= len)
        return p;
    if(s[p] == '.') {
        p++;
        if(p >= len || !is_digit(s[p]))
            goto bad;
        while(++p < len && is_digit(s[p]))
            ;
    }
    if(p < len && (s[p] == 'e' || s[p] == 'E')) {
        p++;
        if(p < len && (s[p] == '+' || s[p] == '-'))
            p++;
        if(p >= len || !is_digit(s[p]))
            goto bad;
        while(++p < len && is_digit(s[p]))
            ;
    }
    if(p < len && (s[p] == '.' || s[p] == '+' || s[p] == '-' || is_word(s[p])))
        goto bad;
    return p;
bad:
    return scan_fail(vfail(v, "invalid number at byte %zu", start));
}

/* true, false or null at p (whose first letter is t, f or n): its end,
 * or SCAN_FAIL. */
static size_t scan_literal(const struct vctx *v, size_t p)
{
    const unsigned char *s = v->s;
    size_t avail = v->len - p;
    const char *lit = s[p] == 't' ? "true" : s[p] == 'f' ? "false" : "null";
    size_t n = s[p] == 'f' ? 5 : 4;
    if(avail > n) {
        /* The common case, the word and the byte after it there: four
         * bytes compared at once (false's e apart). */
        uint32_t have, want;
        memcpy(&have, s + p, 4);
        memcpy(&want, lit, 4);
        if(have != want || (n == 5 && s[p + 4] != 'e') || is_word(s[p + n]))
            goto bad;
        return p + n;
    }
    if(avail < n) {
        if(!memcmp(s + p, lit, avail))
            return scan_fail(truncated(v, " inside a literal"));
        goto bad;
    }
    if(memcmp(s + p, lit, n))
        goto bad;
    return p + n;
bad:
    return scan_fail(vfail(v, "invalid literal at byte %zu (expected true, false or null)", p));
}

static const char *describe(unsigned char c, char *tmp, size_t n)
{
    if(c >= 0x20 && c < 0x7F)
        snprintf(tmp, n, "'%c'", c);
    else
        snprintf(tmp, n, "byte 0x%02X", c);
    return tmp;
}

/* The tokens being written: n of cap. */
struct toks {
    struct kit_json_tok *t;
    size_t n, cap;
};

/* Room for one more token in k, needed for a token starting at start:
 * 0, or -1 when the document has too many tokens (a limit) or memory ran
 * out. Checked before the array grows, so a hostile body stops before it
 * could make the array large. */
static int tok_room(struct vctx *v, struct toks *k, size_t start)
{
    if(k->n >= KIT_JSON_MAX_TOKENS) {
        v->limit = 1;
        return vfail(v, "more than %u tokens (values and member names) by byte %zu; documents "
                        "this dense are refused to bound memory",
                     KIT_JSON_MAX_TOKENS, start);
    }
    size_t cap = k->cap * 2;
    if(cap > KIT_JSON_MAX_TOKENS)
        cap = KIT_JSON_MAX_TOKENS;
    struct kit_json_tok *t = realloc(k->t, cap * sizeof *t);
    if(!t)
        return vfail(v, "out of memory for %zu tokens", cap);
    k->t = t;
    k->cap = cap;
    return 0;
}

/* Each token is written once, whole, when its extent is known (a
 * container's end, size and next are filled when it closes). */
static inline void tok_put(struct kit_json_tok *t, size_t start, unsigned type, unsigned esc, size_t end,
                           size_t next)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && defined(__GNUC__)
    /* Four plain stores instead of a zeroing and a read-modify-write of
     * the bit-fields: on GCC and Clang for little-endian targets they fill
     * a word from its lowest bit, so start, type and esc are one 32-bit
     * word (start needs no mask: KIT_JSON_MAX_BYTES is below 1 << 27). */
    uint32_t head = (uint32_t)start | type << 27 | esc << 31;
    memcpy(t, &head, sizeof head);
    t->end = (int)end;
    t->size = 0;
    t->next = (int)next;
#else
    *t = (struct kit_json_tok){.start = (unsigned)start, .type = type, .esc = esc, .end = (int)end,
                               .next = (int)next};
#endif
}

/* Check the whole grammar and write the tokens (values and member names)
 * into k in document order. The common path (compact JSON: a value, then
 * ',' or a closing bracket; a member name, then ':') tests one byte per
 * step; whitespace and every error go the long way round, which reports
 * what the grammar expected at the byte where the document broke. */
static int parse(struct vctx *v, struct toks *k)
{
    const unsigned char *s = v->s;
    const size_t len = v->len;
    size_t p, q, n = k->n, cap = k->cap;
    struct kit_json_tok *tok = k->t;
    int open[KIT_JSON_MAX_DEPTH]; /* the open containers' tokens */
    /* Values seen in the innermost open container (in an object, one per
     * member): its size when it closes. Each container's count waits in
     * outer[] while a container inside it is open. */
    int count = 0, outer[KIT_JSON_MAX_DEPTH];
    /* The byte that closes the innermost container, '}' or ']' (so "in an
     * object" is closer == '}'); a container's waits in closers[] while a
     * container inside it is open. At the root it is NO_CLOSER, which no
     * byte equals. */
    enum { NO_CLOSER = 0x100 };
    unsigned closer = NO_CLOSER;
    unsigned short closers[KIT_JSON_MAX_DEPTH];
    size_t depth = 0;
    char tmp[16];
    uint16_t comma_quote; /* ",\"" as two bytes in memory order */
    memcpy(&comma_quote, ",\"", 2);

/* The string whose opening quote is at p as a token whose subtree ends
 * at next_index; p then just past its closing quote. */
#define STRING_TOKEN(next_index)                                                                     \
    do {                                                                                             \
        ROOM(p + 1);                                                                                 \
        q = vector_run(s, p + 1, len);                                                               \
        if(q < len && s[q] == '"') {                                                                 \
            tok_put(&tok[n], p + 1, KIT_JSON_STRING, 0, q, (next_index));                            \
        } else {                                                                                     \
            if((q = scan_string_rest(v, q, 0)) == SCAN_FAIL)                                         \
                return -1;                                                                           \
            tok_put(&tok[n], p + 1, KIT_JSON_STRING, q >= SCAN_ESC, q & ~SCAN_ESC, (next_index));    \
            q &= ~SCAN_ESC;                                                                          \
        }                                                                                            \
        n++;                                                                                         \
        p = q + 1;                                                                                   \
    } while(0)

/* Make room for the token about to be written at start. */
#define ROOM(start)                                                                                  \
    do {                                                                                             \
        if(n >= cap) {                                                                               \
            k->n = n;                                                                                \
            if(tok_room(v, k, (start)))                                                              \
                return -1;                                                                           \
            tok = k->t;                                                                              \
            cap = k->cap;                                                                            \
        }                                                                                            \
    } while(0)

    p = len && s[0] <= ' ' ? skip_ws(s, 0, len) : 0;
    if(p >= len)
        return vfail(v, "empty document: no JSON value in %zu bytes", len);

value:
    /* p < len here except after ':' */
    if(p >= len)
        return truncated(v, " where a value was expected");
    count++;
    if(s[p] == '"') {
        STRING_TOKEN(n + 1);
        goto after;
    }
    if(s[p] == '{' || s[p] == '[') {
        if(depth >= KIT_JSON_MAX_DEPTH) {
            v->limit = 1;
            return vfail(v, "nesting deeper than %d levels at byte %zu", KIT_JSON_MAX_DEPTH, p);
        }
        ROOM(p);
        /* end, size and next are written when it closes */
        tok_put(&tok[n], p, s[p] == '{' ? KIT_JSON_OBJECT : KIT_JSON_ARRAY, 0, 0, 0);
        open[depth] = (int)n++;
        outer[depth] = count;
        closers[depth++] = (unsigned short)closer;
        closer = s[p] == '{' ? '}' : ']';
        count = 0;
        p++;
        if(p < len && s[p] <= ' ')
            p = skip_ws(s, p, len);
        if(p >= len)
            return truncated(v, "");
        if(s[p] == closer)
            goto close;
        if(closer == '}')
            goto key;
        goto value;
    }
    switch(s[p]) {
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        ROOM(p);
        if((q = scan_number(v, p)) == SCAN_FAIL)
            return -1;
        tok_put(&tok[n], p, KIT_JSON_NUMBER, 0, q, n + 1);
        n++;
        p = q;
        goto after;
    case 't':
    case 'f':
    case 'n':
        ROOM(p);
        if((q = scan_literal(v, p)) == SCAN_FAIL)
            return -1;
        tok_put(&tok[n], p, s[p] == 'n' ? KIT_JSON_NULL : KIT_JSON_BOOL, 0, q, n + 1);
        n++;
        p = q;
        goto after;
    default:
        return vfail(v, "expected a value at byte %zu, found %s", p, describe(s[p], tmp, sizeof tmp));
    }

key:
    /* p < len */
    if(s[p] != '"')
        return vfail(v, "expected a member name in double quotes at byte %zu, found %s", p,
                     describe(s[p], tmp, sizeof tmp));
key_quoted:
    /* Its subtree ends after its value: right after, unless the value is
     * a container, whose close corrects it. */
    STRING_TOKEN(n + 2);
    if(p + 1 < len && s[p] == ':' && s[p + 1] > ' ') {
        /* compact: the value right after the colon */
        p++;
        goto value;
    }
    if(p < len && s[p] == ':') {
        p++;
    } else {
        p = skip_ws(s, p, len);
        if(p >= len)
            return truncated(v, " where ':' was expected");
        if(s[p] != ':')
            return vfail(v, "expected ':' after a member name at byte %zu, found %s", p,
                         describe(s[p], tmp, sizeof tmp));
        p++;
    }
    if(p < len && s[p] <= ' ')
        p = skip_ws(s, p, len);
    goto value;

close:
    /* p at the closing bracket of the innermost container. */
    {
        int t = open[--depth];
        tok[t].end = (int)p + 1;
        tok[t].size = count;
        tok[t].next = (int)n;
        count = outer[depth];
        closer = closers[depth];
        p++;
        if(closer == '}')
            tok[t - 1].next = (int)n; /* its member name's subtree */
    }

after:
    /* A value is complete. The compact cases first: a comma and the next
     * member name or value right after it, or the closing bracket. */
    if(p + 1 < len) {
        uint16_t two;
        memcpy(&two, s + p, 2);
        if(two == comma_quote && closer == '}') {
            p++;
            goto key_quoted;
        }
        if(s[p] == ',' && s[p + 1] > ' ' && depth) {
            p++;
            if(closer == '}')
                goto key;
            goto value;
        }
        if(s[p] == closer)
            goto close;
    }
    if(!depth) {
        if(p < len && s[p] <= ' ')
            p = skip_ws(s, p, len);
        if(p < len)
            return vfail(v, "trailing characters after the JSON value at byte %zu", p);
        k->n = n;
        return 0;
    }
    if(p < len && s[p] <= ' ')
        p = skip_ws(s, p, len);
    if(p >= len)
        return truncated(v, "");
    if(s[p] == ',') {
        p++;
        if(p < len && s[p] <= ' ')
            p = skip_ws(s, p, len);
        if(p >= len)
            return truncated(v, "");
        if(closer == '}')
            goto key;
        goto value;
    }
    if(s[p] == closer)
        goto close;
    return vfail(v, "expected ',' or '%c' at byte %zu, found %s", (int)closer, p,
                 describe(s[p], tmp, sizeof tmp));
#undef ROOM
#undef STRING_TOKEN
}

/* Below this many bytes a document's first token array is sized for the
 * densest JSON HubSpot sends (at most 128 KiB of tokens). */
#define SMALL_DOCUMENT 65536

/* Parse into j with k's token array (grown, or made when k has none).
 * On failure k's array is left for the caller to keep or free. */
static int parse_with(struct kit_json *j, struct toks *k, const char *text, size_t len, char *why,
                      size_t whysize)
{
    struct vctx v = {(const unsigned char *)text, len, why, whysize};

    if(why && whysize)
        why[0] = '\0';
    if(!text && len)
        return vfail(&v, "no document text (NULL pointer with length %zu)", len);
    if(len > KIT_JSON_MAX_BYTES) {
        v.limit = 1;
        vfail(&v, "document of %zu bytes is over the %u-byte limit", len, KIT_JSON_MAX_BYTES);
        return -2;
    }
    if(!k->t) {
        /* Documents carry about one token per 16 bytes, HubSpot's pages
         * one per 13 or 14, its batch answers (ids, short names) one per
         * 10. Regrowing copies the array, so a small document (the room
         * costs little) gets one per 8 bytes and never regrows; a big one
         * one per 12, for memory, and doubles when it must. */
        size_t want = (len < SMALL_DOCUMENT ? len / 8 : len / 12) + 16;
        k->cap = want < KIT_JSON_MAX_TOKENS ? want : KIT_JSON_MAX_TOKENS;
        k->t = malloc(k->cap * sizeof *k->t);
        if(!k->t) {
            k->cap = 0;
            vfail(&v, "out of memory for %zu tokens", want);
            return -1;
        }
    }
    k->n = 0;
    if(parse(&v, k))
        return v.limit ? -2 : -1;
    j->text = text;
    j->len = len;
    j->tok = k->t;
    j->ntok = (int)k->n;
    j->cap = k->cap;
    return 0;
}

int kit_json_parse(struct kit_json *j, const char *text, size_t len, char *why, size_t whysize)
{
    struct toks k = {0};
    memset(j, 0, sizeof *j);
    int rc = parse_with(j, &k, text, len, why, whysize);
    if(rc) {
        free(k.t);
        memset(j, 0, sizeof *j);
    }
    return rc;
}

int kit_json_reparse(struct kit_json *j, const char *text, size_t len, char *why, size_t whysize)
{
    struct toks k = {0};
    k.t = j->tok;
    k.cap = j->tok ? j->cap : 0;
    memset(j, 0, sizeof *j);
    int rc = parse_with(j, &k, text, len, why, whysize);
    if(rc) {
        /* No document, but the array stays for the next parse. */
        memset(j, 0, sizeof *j);
        j->tok = k.t;
        j->cap = k.cap;
    }
    return rc;
}

void kit_json_clear(struct kit_json *j)
{
    j->text = NULL;
    j->len = 0;
    j->ntok = 0;
}

void kit_json_free(struct kit_json *j)
{
    if(!j)
        return;
    free(j->tok);
    memset(j, 0, sizeof *j);
}

/* ---- access ---- */


/* Reads the unescaped bytes of a string token one at a time. */
struct cursor {
    const char *p, *end;
    char u[4];
    int un, ui;
};

static void cur_init(struct cursor *c, const struct kit_json *j, const struct kit_json_tok *k)
{
    c->p = j->text + k->start;
    c->end = j->text + k->end;
    c->un = c->ui = 0;
}

/* Next byte (0..255) or -1 at the end. */
static int cur_byte(struct cursor *c)
{
    if(c->ui < c->un)
        return (unsigned char)c->u[c->ui++];
    if(c->p >= c->end)
        return -1;
    if(*c->p != '\\')
        return (unsigned char)*c->p++;
    int adv;
    c->un = unescape1(c->p, c->u, &adv);
    c->p += adv;
    c->ui = 1;
    return (unsigned char)c->u[0];
}

static int str_eq_n(const struct kit_json *j, const struct kit_json_tok *k, const char *s, size_t n)
{
    size_t raw = (size_t)(k->end - k->start);
    if(!k->esc)
        return raw == n && memcmp(j->text + k->start, s, n) == 0;
    if(n > raw) /* unescaping never makes a string longer */
        return 0;
    struct cursor c;
    cur_init(&c, j, k);
    for(size_t i = 0; i < n; i++)
        if(cur_byte(&c) != (unsigned char)s[i])
            return 0;
    return cur_byte(&c) < 0;
}

static int get_n(const struct kit_json *j, int obj, const char *key, size_t n)
{
    const struct kit_json_tok *o = kit_json_token(j, obj);
    if(!o || o->type != KIT_JSON_OBJECT)
        return -1;
    int k = obj + 1;
    for(int i = 0; i < o->size; i++) {
        if(str_eq_n(j, &j->tok[k], key, n))
            return k + 1;
        k = j->tok[k].next;
    }
    return -1;
}

int kit_json_get(const struct kit_json *j, int obj, const char *key)
{
    return key ? get_n(j, obj, key, strlen(key)) : -1;
}

int kit_json_path(const struct kit_json *j, int obj, const char *path)
{
    if(!path)
        return -1;
    int t = obj;
    for(;;) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        t = get_n(j, t, path, n);
        if(t < 0 || !dot)
            return t;
        path = dot + 1;
    }
}

int kit_json_item(const struct kit_json *j, int arr, int i)
{
    const struct kit_json_tok *a = kit_json_token(j, arr);
    if(!a || a->type != KIT_JSON_ARRAY || i < 0 || i >= a->size)
        return -1;
    int t = arr + 1;
    while(i-- > 0)
        t = j->tok[t].next;
    return t;
}

/* Unescaped bytes of [p, end) (validated string text) into o, which has
 * room for end - p bytes; returns the length written. */
static size_t unescape_to(const char *p, const char *end, char *o)
{
    char *o0 = o;
    while(p < end) {
        const char *bs = memchr(p, '\\', (size_t)(end - p));
        size_t n = bs ? (size_t)(bs - p) : (size_t)(end - p);
        memcpy(o, p, n);
        o += n;
        p += n;
        if(!bs)
            break;
        int adv;
        o += unescape1(p, o, &adv);
        p += adv;
    }
    return (size_t)(o - o0);
}

int kit_json_str_escaped(const struct kit_json *j, const struct kit_json_tok *k, struct kit_buf *out)
{
    const char *p = j->text + k->start;
    size_t raw = (size_t)(k->end - k->start);
    if(kit_buf_reserve(out, raw))
        return -1;
    out->len += unescape_to(p, p + raw, out->data + out->len);
    out->data[out->len] = '\0';
    return 0;
}

char *kit_json_strdup(const struct kit_json *j, int t)
{
    const struct kit_json_tok *k = kit_json_token(j, t);
    if(!k || k->type == KIT_JSON_OBJECT || k->type == KIT_JSON_ARRAY)
        return NULL;
    const char *p = j->text + k->start;
    size_t raw = (size_t)(k->end - k->start);
    char *s = malloc(raw + 1);
    if(!s)
        return NULL;
    size_t n = k->esc ? unescape_to(p, p + raw, s) : (memcpy(s, p, raw), raw);
    s[n] = '\0';
    /* A "\u0000" would silently cut the C string short; refuse instead. */
    if(k->esc && memchr(s, '\0', n)) {
        free(s);
        return NULL;
    }
    return s;
}

int kit_json_eq(const struct kit_json *j, int t, const char *s)
{
    return s && kit_json_eqn(j, t, s, strlen(s));
}

int kit_json_eqn_escaped(const struct kit_json *j, const struct kit_json_tok *k, const char *s, size_t n)
{
    return str_eq_n(j, k, s, n);
}

/* Exact decimal to int64: -?(0|[1-9][0-9]*), nothing else. */
static int parse_i64(const char *p, size_t n, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if(n && p[0] == '-') {
        neg = 1;
        i = 1;
    }
    if(i >= n || (p[i] == '0' && n - i > 1))
        return -1;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX, v = 0;
    for(; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)p[i] - '0';
        if(d > 9 || v > (limit - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if(!neg)
        *out = (int64_t)v;
    else if(v == (uint64_t)INT64_MAX + 1u)
        *out = INT64_MIN;
    else
        *out = -(int64_t)v;
    return 0;
}

int kit_json_int64(const struct kit_json *j, int t, int64_t *out)
{
    const struct kit_json_tok *k = kit_json_token(j, t);
    int64_t v;
    if(!k || !out || !(k->type == KIT_JSON_NUMBER || (k->type == KIT_JSON_STRING && !k->esc)))
        return -1;
    if(parse_i64(j->text + k->start, (size_t)(k->end - k->start), &v))
        return -1;
    *out = v;
    return 0;
}

int kit_json_bool(const struct kit_json *j, int t)
{
    const struct kit_json_tok *k = kit_json_token(j, t);
    if(!k || k->type != KIT_JSON_BOOL)
        return -1;
    return j->text[k->start] == 't';
}

/* ---- escaping (shared by canonical and the writer) ---- */

static const char hexd[] = "0123456789abcdef";

/* Escape of byte c if it needs one (quote, backslash, control), else 0. */
static size_t esc_byte(unsigned char c, char *o)
{
    o[0] = '\\';
    switch(c) {
    case '"': o[1] = '"'; return 2;
    case '\\': o[1] = '\\'; return 2;
    case '\b': o[1] = 'b'; return 2;
    case '\f': o[1] = 'f'; return 2;
    case '\n': o[1] = 'n'; return 2;
    case '\r': o[1] = 'r'; return 2;
    case '\t': o[1] = 't'; return 2;
    default: break;
    }
    if(c >= 0x20)
        return 0;
    memcpy(o + 1, "u00", 3);
    o[4] = hexd[c >> 4];
    o[5] = hexd[c & 15];
    return 6;
}

static int put_byte_escaped(struct kit_buf *out, unsigned char c)
{
    char e[6];
    size_t n = esc_byte(c, e);
    return n ? kit_buf_append(out, e, n) : kit_buf_putc(out, (char)c);
}

/* s escaped, between quotes when q is 1 (kit_json_quote) or bare when it
 * is 0 (kit_json_escape). */
static int quote_or_escape(struct kit_buf *out, const char *s, size_t len, size_t q)
{
    static const char fffd[3] = {(char)0xEF, (char)0xBF, (char)0xBD};
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    if(!out || (!s && len))
        return -1;
    if((out->oom || !out->data || out->cap - out->len <= len + 2 * q || len + 2 < len) &&
       kit_buf_reserve(out, len + 2 * q))
        return -1;
    const unsigned char *base = p;
    size_t run = plain_run(base, 0, len);
    if(run == len) {
        /* Nothing to escape (most text): the quotes and the bytes in one
         * copy into the room reserved above. */
        char *d = out->data + out->len;
        if(len)
            memcpy(d + q, s, len);
        if(q)
            d[0] = d[len + 1] = '"';
        out->len += len + 2 * q;
        out->data[out->len] = '\0';
        return 0;
    }
    /* Something to escape: no call per byte. At each special byte room is
     * made for its escape (6 bytes at most), the rest of the text, the
     * closing quote and the NUL, so the copies below need no checks. */
    char *d = out->data + out->len;
    if(q)
        d[0] = '"';
    memcpy(d + q, s, run);
    out->len += run + q;
    p += run;
    while(p < end) {
        size_t need = (size_t)(end - p) + 8;
        if(out->cap - out->len <= need && kit_buf_reserve(out, need)) {
            out->data[out->len] = '\0';
            return -1;
        }
        d = out->data + out->len;
        if(*p >= 0x80) {
            size_t bad, n = kit_utf8_seq(p, (size_t)(end - p), &bad);
            if(n)
                memcpy(d, p, n);
            else
                memcpy(d, fffd, sizeof fffd);
            out->len += n ? n : sizeof fffd;
            p += n ? n : bad;
        } else {
            size_t e = esc_byte(*p, d);
            if(!e)
                d[0] = (char)*p; /* not reached: plain_run stops only where an escape is due */
            out->len += e ? e : 1;
            p++;
        }
        const unsigned char *next = base + plain_run(base, (size_t)(p - base), len);
        memcpy(out->data + out->len, p, (size_t)(next - p));
        out->len += (size_t)(next - p);
        p = next;
    }
    if(q)
        out->data[out->len++] = '"';
    out->data[out->len] = '\0';
    return 0;
}

int kit_json_quote(struct kit_buf *out, const char *s, size_t len) { return quote_or_escape(out, s, len, 1); }

int kit_json_escape(struct kit_buf *out, const char *s, size_t len) { return quote_or_escape(out, s, len, 0); }

/* ---- canonical form ---- */

/* String token re-escaped minimally. Validated text without backslashes
 * is already minimal, so only escaped strings need work. */
static void canon_string(const struct kit_json *j, const struct kit_json_tok *k, struct kit_buf *out)
{
    const char *p = j->text + k->start, *end = j->text + k->end;
    kit_buf_putc(out, '"');
    while(p < end) {
        const char *bs = k->esc ? memchr(p, '\\', (size_t)(end - p)) : NULL;
        size_t n = bs ? (size_t)(bs - p) : (size_t)(end - p);
        kit_buf_append(out, p, n);
        p += n;
        if(!bs)
            break;
        char u[4];
        int adv, un = unescape1(p, u, &adv);
        for(int i = 0; i < un; i++)
            put_byte_escaped(out, (unsigned char)u[i]);
        p += adv;
    }
    kit_buf_putc(out, '"');
}

static int key_cmp(const void *a, const void *b, void *arg)
{
    const struct kit_json *j = arg;
    int ia = *(const int *)a, ib = *(const int *)b;
    const struct kit_json_tok *ka = &j->tok[ia], *kb = &j->tok[ib];
    int r;
    if(!ka->esc && !kb->esc) {
        size_t la = (size_t)(ka->end - ka->start), lb = (size_t)(kb->end - kb->start);
        r = memcmp(j->text + ka->start, j->text + kb->start, la < lb ? la : lb);
        if(!r)
            r = la < lb ? -1 : la > lb;
    } else {
        struct cursor ca, cb;
        cur_init(&ca, j, ka);
        cur_init(&cb, j, kb);
        int x, y;
        do {
            x = cur_byte(&ca);
            y = cur_byte(&cb);
        } while(x == y && x >= 0);
        r = x < y ? -1 : x > y;
    }
    /* Equal (duplicate) names keep document order, so the result is
     * deterministic whatever qsort does. */
    return r ? r : (ia < ib ? -1 : ia > ib);
}

/* scratch has room for the member lists of t's whole ancestry; nesting is
 * bounded by KIT_JSON_MAX_DEPTH, so recursion is too. */
static void canon(const struct kit_json *j, int t, struct kit_buf *out, int *scratch)
{
    const struct kit_json_tok *k = &j->tok[t];
    int c = t + 1;
    switch(k->type) {
    case KIT_JSON_OBJECT:
        for(int i = 0; i < k->size; i++) {
            scratch[i] = c;
            c = j->tok[c].next;
        }
        qsort_r(scratch, (size_t)k->size, sizeof *scratch, key_cmp, (void *)j);
        kit_buf_putc(out, '{');
        for(int i = 0; i < k->size; i++) {
            if(i)
                kit_buf_putc(out, ',');
            canon_string(j, &j->tok[scratch[i]], out);
            kit_buf_putc(out, ':');
            canon(j, scratch[i] + 1, out, scratch + k->size);
        }
        kit_buf_putc(out, '}');
        break;
    case KIT_JSON_ARRAY:
        kit_buf_putc(out, '[');
        for(int i = 0; i < k->size; i++) {
            if(i)
                kit_buf_putc(out, ',');
            canon(j, c, out, scratch);
            c = j->tok[c].next;
        }
        kit_buf_putc(out, ']');
        break;
    case KIT_JSON_STRING:
        canon_string(j, k, out);
        break;
    default:
        kit_buf_append(out, j->text + k->start, (size_t)(k->end - k->start));
        break;
    }
}

int kit_json_canonical(const struct kit_json *j, int t, struct kit_buf *out)
{
    if(!kit_json_token(j, t) || !out)
        return -1;
    /* One scratch array for every object's member list: the lists alive at
     * once belong to one chain of ancestors, whose members are distinct
     * tokens, so ntok entries always suffice. */
    int *scratch = malloc((size_t)j->ntok * sizeof *scratch);
    if(!scratch) {
        out->oom = 1;
        return -1;
    }
    canon(j, t, out, scratch);
    free(scratch);
    return kit_buf_ok(out) ? 0 : -1;
}

/* ---- writer ---- */

void kit_jw_init(struct kit_jw *w, struct kit_buf *out)
{
    memset(w, 0, sizeof *w);
    w->out = out;
    w->first[0] = 1;
    if(!out)
        w->err = KIT_JW_E_USAGE;
}

static void jw_check_oom(struct kit_jw *w)
{
    if(!w->err && w->out->oom)
        w->err = KIT_JW_E_NOMEM;
}

/* Comma and state bookkeeping before a value; nonzero when the value must
 * not be written. */
static int jw_before_value(struct kit_jw *w)
{
    if(w->err)
        return -1;
    if(w->depth == 0)
        return 0;
    if(w->is_obj[w->depth]) {
        if(!w->after_key) {
            w->err = KIT_JW_E_USAGE;
            return -1;
        }
        w->after_key = 0;
        return 0;
    }
    if(!w->first[w->depth])
        kit_buf_putc(w->out, ',');
    w->first[w->depth] = 0;
    return 0;
}

static void jw_open(struct kit_jw *w, char c, int is_obj)
{
    if(jw_before_value(w))
        return;
    if(w->depth >= KIT_JSON_MAX_DEPTH) {
        w->err = KIT_JW_E_DEPTH;
        return;
    }
    kit_buf_putc(w->out, c);
    w->depth++;
    w->first[w->depth] = 1;
    w->is_obj[w->depth] = (unsigned char)is_obj;
    jw_check_oom(w);
}

static void jw_close(struct kit_jw *w, char c, int is_obj)
{
    if(w->err)
        return;
    if(w->depth == 0 || w->is_obj[w->depth] != is_obj || w->after_key) {
        w->err = KIT_JW_E_USAGE;
        return;
    }
    kit_buf_putc(w->out, c);
    w->depth--;
    jw_check_oom(w);
}

void kit_jw_obj(struct kit_jw *w) { jw_open(w, '{', 1); }
void kit_jw_obj_end(struct kit_jw *w) { jw_close(w, '}', 1); }
void kit_jw_arr(struct kit_jw *w) { jw_open(w, '[', 0); }
void kit_jw_arr_end(struct kit_jw *w) { jw_close(w, ']', 0); }

void kit_jw_key(struct kit_jw *w, const char *key)
{
    if(w->err)
        return;
    if(!key || w->depth == 0 || !w->is_obj[w->depth] || w->after_key) {
        w->err = KIT_JW_E_USAGE;
        return;
    }
    if(!w->first[w->depth])
        kit_buf_putc(w->out, ',');
    w->first[w->depth] = 0;
    kit_json_quote(w->out, key, strlen(key));
    kit_buf_putc(w->out, ':');
    w->after_key = 1;
    jw_check_oom(w);
}

void kit_jw_strn(struct kit_jw *w, const char *s, size_t len)
{
    if(!s && len) {
        if(!w->err)
            w->err = KIT_JW_E_USAGE;
        return;
    }
    if(jw_before_value(w))
        return;
    kit_json_quote(w->out, s ? s : "", len);
    jw_check_oom(w);
}

void kit_jw_str(struct kit_jw *w, const char *s)
{
    if(!s) {
        kit_jw_null(w);
        return;
    }
    kit_jw_strn(w, s, strlen(s));
}

void kit_jw_int(struct kit_jw *w, int64_t v)
{
    char tmp[24], *p = tmp + sizeof tmp;
    /* Through the unsigned magnitude so INT64_MIN does not overflow. */
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + m % 10);
        m /= 10;
    } while(m);
    if(v < 0)
        *--p = '-';
    kit_jw_raw(w, p, (size_t)(tmp + sizeof tmp - p));
}

void kit_jw_bool(struct kit_jw *w, int v) { kit_jw_raw(w, v ? "true" : "false", v ? 4 : 5); }

void kit_jw_null(struct kit_jw *w) { kit_jw_raw(w, "null", 4); }

void kit_jw_raw(struct kit_jw *w, const char *json, size_t len)
{
    if(!json || !len) {
        if(!w->err)
            w->err = KIT_JW_E_USAGE;
        return;
    }
    if(jw_before_value(w))
        return;
    kit_buf_append(w->out, json, len);
    jw_check_oom(w);
}

void kit_jw_kstr(struct kit_jw *w, const char *key, const char *s)
{
    kit_jw_key(w, key);
    kit_jw_str(w, s);
}

void kit_jw_kint(struct kit_jw *w, const char *key, int64_t v)
{
    kit_jw_key(w, key);
    kit_jw_int(w, v);
}

int kit_jw_error(const struct kit_jw *w)
{
    if(w->err)
        return w->err;
    return w->out && w->out->oom ? KIT_JW_E_NOMEM : 0;
}
