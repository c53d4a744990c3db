/*
 * json_ref.c - the REFERENCE JSON reader: a frozen copy of the kit's
 * strict reader and string quoting (plugin/json.c) as they were before
 * they were rewritten for speed, kept only so tests/check_json_fast.c can
 * compare the new code with it verdict by verdict, message by message,
 * token by token, byte by byte. Do not optimise or "fix" it: a change
 * here changes what the kit is held to.
 */
#include "tests/support/json_ref.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "plugin/buf.h"
#include "plugin/utf8.h"
#include "plugin/text.h"

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

static inline size_t skip_ws(const struct vctx *v, size_t p)
{
    while(p < v->len && is_ws(v->s[p]))
        p++;
    return p;
}

/* Index of the first byte at or after p that is not plain string text
 * (quote, backslash, control, non-ASCII), or len. Eight bytes at a time:
 * the bit tricks below can flag a byte wrongly only after a truly special
 * one, so a zero mask is exact and, on a little-endian machine, the
 * lowest flagged byte is the first special one. */
static size_t plain_run(const unsigned char *s, size_t p, size_t len)
{
#ifdef __SSE2__
    /* Sixteen at a time where the machine has it (every x86-64 does). */
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x1F);
    while(p + 16 <= len) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + p));
        __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
                                        _mm_cmpeq_epi8(_mm_max_epu8(x, ctl), ctl)); /* x <= 0x1F */
        unsigned m = (unsigned)_mm_movemask_epi8(special) | (unsigned)_mm_movemask_epi8(x); /* | x >= 0x80 */
        if(m)
            return p + (size_t)__builtin_ctz(m);
        p += 16;
    }
    /* The rest (1 to 15 bytes) in one load of the last 16, those before p
     * (plain already) masked off: short strings, most of what is quoted,
     * are done in one or two steps instead of a byte at a time. */
    if(p < len && len >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + len - 16));
        __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
                                        _mm_cmpeq_epi8(_mm_max_epu8(x, ctl), ctl));
        unsigned m = (unsigned)_mm_movemask_epi8(special) | (unsigned)_mm_movemask_epi8(x);
        m &= 0xFFFFu << (p - (len - 16));
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
     * shifted so s[p] is the lowest byte. THE ONE CHANGE to this frozen
     * copy: it masked the bytes before p off after the bit tricks, so a
     * special byte before p could flag a plain one after it, and 8 to 15
     * byte documents such as "#xar\n" (quoted) were refused (found by
     * fuzz_json); both readers now share the fix. The bytes before p may be
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

/* *pos at the opening quote; on success just past the closing one. *esc
 * is set when the string holds a backslash. */
static int scan_string(const struct vctx *v, size_t *pos, unsigned char *esc)
{
    const unsigned char *s = v->s;
    size_t len = v->len, p = *pos + 1;
    *esc = 0;
    for(;;) {
        p = plain_run(s, p, len);
        if(p >= len)
            return truncated(v, " inside a string");
        if(s[p] == '"') {
            *pos = p + 1;
            return 0;
        }
        if(s[p] < 0x20)
            return vfail(v, "raw control character 0x%02X in a string at byte %zu (must be escaped)",
                         s[p], p);
        if(s[p] >= 0x80) {
            size_t bad, n = kit_utf8_seq(s + p, len - p, &bad);
            if(!n && p + bad >= len)
                return truncated(v, " inside a UTF-8 sequence");
            if(!n)
                return vfail(v, "invalid UTF-8 in a string at byte %zu", p);
            p += n;
            continue;
        }
        /* a backslash */
        *esc = 1;
        if(p + 1 >= len)
            return truncated(v, " inside a string");
        switch(s[p + 1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            p += 2;
            break;
        case 'u': {
            long cp;
            if(check_u(v, p, &cp))
                return -1;
            if(cp >= 0xDC00 && cp <= 0xDFFF)
                return vfail(v, "lone low surrogate \\u%04lX at byte %zu", cp, p);
            p += 6;
            if(cp < 0xD800 || cp > 0xDBFF)
                break;
            long lo = -1;
            if(p >= len || (s[p] == '\\' && p + 1 >= len))
                return truncated(v, " inside a surrogate pair");
            if(s[p] == '\\' && s[p + 1] == 'u' && check_u(v, p, &lo))
                return -1;
            if(lo < 0xDC00 || lo > 0xDFFF)
                return vfail(v, "high surrogate \\u%04lX at byte %zu not followed by a low "
                                "surrogate", cp, p - 6);
            p += 6;
            break;
        }
        default:
            if(s[p + 1] >= 0x20 && s[p + 1] < 0x7F)
                return vfail(v, "invalid escape '\\%c' at byte %zu", s[p + 1], p);
            return vfail(v, "invalid escape (backslash then byte 0x%02X) at byte %zu",
                         s[p + 1], p);
        }
    }
}

/* RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int scan_number(const struct vctx *v, size_t *pos)
{
    const unsigned char *s = v->s;
    size_t len = v->len, start = *pos, p = start;
    if(s[p] == '-')
        p++;
    if(p >= len || !is_digit(s[p]))
        goto bad;
    if(s[p] == '0') {
        p++;
        if(p < len && is_digit(s[p]))
            return vfail(v, "invalid number at byte %zu (leading zero)", start);
    } else {
        while(p < len && is_digit(s[p]))
            p++;
    }
    if(p < len && s[p] == '.') {
        p++;
        if(p >= len || !is_digit(s[p]))
            goto bad;
        while(p < len && is_digit(s[p]))
            p++;
    }
    if(p < len && (s[p] == 'e' || s[p] == 'E')) {
        p++;
        if(p < len && (s[p] == '+' || s[p] == '-'))
            p++;
        if(p >= len || !is_digit(s[p]))
            goto bad;
        while(p < len && is_digit(s[p]))
            p++;
    }
    if(p < len && (s[p] == '.' || s[p] == '+' || s[p] == '-' || s[p] == '_' ||
                   (s[p] >= 'a' && s[p] <= 'z') || (s[p] >= 'A' && s[p] <= 'Z')))
        goto bad;
    *pos = p;
    return 0;
bad:
    return vfail(v, "invalid number at byte %zu", start);
}

static int scan_literal(const struct vctx *v, size_t *pos)
{
    const unsigned char *s = v->s;
    size_t p = *pos, avail = v->len - p;
    const char *lit = s[p] == 't' ? "true" : s[p] == 'f' ? "false" : "null";
    size_t n = strlen(lit);
    if(avail < n) {
        if(!memcmp(s + p, lit, avail))
            return truncated(v, " inside a literal");
        goto bad;
    }
    if(memcmp(s + p, lit, n))
        goto bad;
    if(n < avail && ((s[p + n] >= 'a' && s[p + n] <= 'z') || (s[p + n] >= 'A' && s[p + n] <= 'Z') ||
                     is_digit(s[p + n]) || s[p + n] == '_'))
        goto bad;
    *pos = p + n;
    return 0;
bad:
    return vfail(v, "invalid literal at byte %zu (expected true, false or null)", p);
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
    struct json_ref_tok *t;
    size_t n, cap;
};

/* A new token of type at start, as a leaf (next just past it): its index,
 * or -1 when the document has too many tokens or memory ran out. Checked
 * here, before the array grows, so a hostile body stops before it could
 * make the array large. */
static int tok_grow(struct vctx *v, struct toks *k, unsigned char type, size_t start);

static inline int tok_new(struct vctx *v, struct toks *k, unsigned char type, size_t start)
{
    if(k->n >= k->cap)
        return tok_grow(v, k, type, start);
    k->t[k->n] = (struct json_ref_tok){.start = (unsigned)start, .type = type, .end = (int)start,
                                       .next = (int)k->n + 1};
    return (int)k->n++;
}

/* tok_new when the array is full. */
static int tok_grow(struct vctx *v, struct toks *k, unsigned char type, size_t start)
{
    if(k->n >= KIT_JSON_MAX_TOKENS) {
        v->limit = 1;
        return vfail(v, "more than %u tokens (values and member names) by byte %zu; documents "
                        "this dense are refused to bound memory",
                     KIT_JSON_MAX_TOKENS, start);
    }
    if(k->n == k->cap) {
        size_t cap = k->cap * 2;
        if(cap > KIT_JSON_MAX_TOKENS)
            cap = KIT_JSON_MAX_TOKENS;
        struct json_ref_tok *t = realloc(k->t, cap * sizeof *t);
        if(!t)
            return vfail(v, "out of memory for %zu tokens", cap);
        k->t = t;
        k->cap = cap;
    }
    k->t[k->n] = (struct json_ref_tok){.start = (unsigned)start, .type = type, .end = (int)start,
                                       .next = (int)k->n + 1};
    return (int)k->n++;
}

static unsigned char prim_type(char c)
{
    return c == 't' || c == 'f' ? KIT_JSON_BOOL : c == 'n' ? KIT_JSON_NULL : KIT_JSON_NUMBER;
}

/* Check the whole grammar and write the tokens (values and member names)
 * into k in document order. */
static int parse(struct vctx *v, struct toks *k)
{
    const unsigned char *s = v->s;
    size_t len = v->len, p;
    unsigned char stack[KIT_JSON_MAX_DEPTH]; /* '{' or '[' */
    int open[KIT_JSON_MAX_DEPTH];            /* the container's token */
    int key[KIT_JSON_MAX_DEPTH];             /* in an object: the member name's token */
    int depth = 0, t;
    char tmp[16];

    p = skip_ws(v, 0);
    if(p >= len)
        return vfail(v, "empty document: no JSON value in %zu bytes", len);

value:
    if(p >= len)
        return truncated(v, " where a value was expected");
    if(depth && stack[depth - 1] == '[')
        k->t[open[depth - 1]].size++;
    switch(s[p]) {
    case '{':
    case '[':
        if(depth >= KIT_JSON_MAX_DEPTH) {
            v->limit = 1;
            return vfail(v, "nesting deeper than %d levels at byte %zu", KIT_JSON_MAX_DEPTH, p);
        }
        if((t = tok_new(v, k, s[p] == '{' ? KIT_JSON_OBJECT : KIT_JSON_ARRAY, p)) < 0)
            return -1;
        open[depth] = t;
        stack[depth++] = s[p];
        p = skip_ws(v, p + 1);
        if(p >= len)
            return truncated(v, "");
        if(s[p] == (stack[depth - 1] == '{' ? '}' : ']'))
            goto close;
        if(stack[depth - 1] == '{')
            goto key;
        goto value;
    case '"': {
        unsigned char esc;
        if((t = tok_new(v, k, KIT_JSON_STRING, p + 1)) < 0 || scan_string(v, &p, &esc))
            return -1;
        k->t[t].end = (int)p - 1;
        k->t[t].esc = esc;
        break;
    }
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        if((t = tok_new(v, k, KIT_JSON_NUMBER, p)) < 0 || scan_number(v, &p))
            return -1;
        k->t[t].end = (int)p;
        break;
    case 't':
    case 'f':
    case 'n':
        if((t = tok_new(v, k, prim_type((char)s[p]), p)) < 0 || scan_literal(v, &p))
            return -1;
        k->t[t].end = (int)p;
        break;
    default:
        return vfail(v, "expected a value at byte %zu, found %s", p, describe(s[p], tmp, sizeof tmp));
    }
    goto after;

key:
    if(s[p] != '"')
        return vfail(v, "expected a member name in double quotes at byte %zu, found %s", p,
                     describe(s[p], tmp, sizeof tmp));
    {
        unsigned char esc;
        if((t = tok_new(v, k, KIT_JSON_STRING, p + 1)) < 0 || scan_string(v, &p, &esc))
            return -1;
        k->t[t].end = (int)p - 1;
        k->t[t].esc = esc;
        key[depth - 1] = t;
        k->t[open[depth - 1]].size++;
    }
    p = skip_ws(v, p);
    if(p >= len)
        return truncated(v, " where ':' was expected");
    if(s[p] != ':')
        return vfail(v, "expected ':' after a member name at byte %zu, found %s", p,
                     describe(s[p], tmp, sizeof tmp));
    p = skip_ws(v, p + 1);
    goto value;

close:
    /* p at the closing bracket of the innermost container. */
    t = open[--depth];
    k->t[t].end = (int)p + 1;
    k->t[t].next = (int)k->n;
    p++;

after:
    /* A value is complete: its member name's subtree ends with it. */
    if(depth && stack[depth - 1] == '{')
        k->t[key[depth - 1]].next = (int)k->n;
    if(depth == 0) {
        p = skip_ws(v, p);
        if(p < len)
            return vfail(v, "trailing characters after the JSON value at byte %zu", p);
        return 0;
    }
    p = skip_ws(v, p);
    if(p >= len)
        return truncated(v, "");
    if(s[p] == ',') {
        p = skip_ws(v, p + 1);
        if(p >= len)
            return truncated(v, "");
        if(stack[depth - 1] == '{')
            goto key;
        goto value;
    }
    if(s[p] == (stack[depth - 1] == '{' ? '}' : ']'))
        goto close;
    return vfail(v, "expected ',' or '%c' at byte %zu, found %s", stack[depth - 1] == '{' ? '}' : ']',
                 p, describe(s[p], tmp, sizeof tmp));
}

/* Parse into j with k's token array (grown, or made when k has none).
 * On failure k's array is left for the caller to keep or free. */

/* The original parse_with, the document handed back as a bare array. */
int json_ref_parse(const char *text, size_t len, struct json_ref_tok **tok, int *ntok, char *why,
                   size_t whysize)
{
    struct vctx v = {(const unsigned char *)text, len, why, whysize};
    struct toks k = {0};

    *tok = NULL;
    *ntok = 0;
    if(why && whysize)
        why[0] = '\0';
    if(!text && len)
        return vfail(&v, "no document text (NULL pointer with length %zu)", len);
    if(len > KIT_JSON_MAX_BYTES) {
        v.limit = 1;
        vfail(&v, "document of %zu bytes is over the %u-byte limit", len, KIT_JSON_MAX_BYTES);
        return -2;
    }
    k.cap = len / 12 + 16;
    if(k.cap > KIT_JSON_MAX_TOKENS)
        k.cap = KIT_JSON_MAX_TOKENS;
    k.t = malloc(k.cap * sizeof *k.t);
    if(!k.t) {
        vfail(&v, "out of memory for %zu tokens", len / 12 + 16);
        return -1;
    }
    if(parse(&v, &k)) {
        free(k.t);
        return v.limit ? -2 : -1;
    }
    *tok = k.t;
    *ntok = (int)k.n;
    return 0;
}

/* ---- the writer's quoting, as it was ---- */

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

int json_ref_quote(struct kit_buf *out, const char *s, size_t len)
{
    static const char fffd[3] = {(char)0xEF, (char)0xBF, (char)0xBD};
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    if(!out || (!s && len))
        return -1;
    if((out->oom || !out->data || out->cap - out->len <= len + 2 || len + 2 < len) &&
       kit_buf_reserve(out, len + 2))
        return -1;
    const unsigned char *base = p;
    size_t run = plain_run(base, 0, len);
    if(run == len) {
        /* Nothing to escape (most text): both quotes and the bytes in one
         * copy into the room reserved above. */
        char *d = out->data + out->len;
        d[0] = '"';
        if(len)
            memcpy(d + 1, s, len);
        d[len + 1] = '"';
        out->len += len + 2;
        out->data[out->len] = '\0';
        return 0;
    }
    kit_buf_putc(out, '"');
    kit_buf_append(out, p, run);
    p += run;
    while(p < end) {
        const unsigned char *q = base + plain_run(base, (size_t)(p - base), len);
        kit_buf_append(out, p, (size_t)(q - p));
        if(q >= end)
            break;
        p = q;
        if(*p >= 0x80) {
            size_t bad, n = kit_utf8_seq(p, (size_t)(end - p), &bad);
            if(n)
                kit_buf_append(out, p, n);
            else
                kit_buf_append(out, fffd, sizeof fffd);
            p += n ? n : bad;
        } else {
            put_byte_escaped(out, *p);
            p++;
        }
    }
    kit_buf_putc(out, '"');
    return kit_buf_ok(out) ? 0 : -1;
}
