/*
 * json.h - a strict JSON reader and a streaming JSON writer.
 *
 * Reader: kit_json_parse() tokenizes a whole document in one pass, strict
 * RFC 8259 (bad number/literal syntax, raw control characters, invalid
 * UTF-8, bad \u escapes, trailing garbage are refused). It began on jsmn,
 * whose token model it keeps; jsmn was dropped because even in
 * JSMN_STRICT mode it lets those through, so every page was read twice
 * (our validator, then jsmn), and a pull's CPU is mostly that reading.
 * Tokens are addressed by index; index 0 is the root. The document text is NOT copied: it must outlive the struct.
 * Limits (KIT_JSON_MAX_BYTES, KIT_JSON_MAX_DEPTH) turn hostile bodies into
 * errors instead of memory growth or deep recursion.
 *
 * Writer: appends to a struct kit_buf and inserts commas itself.
 */
#ifndef KIT_JSON_H
#define KIT_JSON_H

#include <stddef.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <string.h>

#include "plugin/buf.h"

#define KIT_JSON_MAX_BYTES (64u * 1024u * 1024u)
#define KIT_JSON_MAX_DEPTH 64
/* Values plus member names. Each token costs 16 bytes, and a document of
 * tiny values ("[0,0,0,...]") has one per 2 bytes: without this cap a
 * 64 MiB document would need 512 MiB of tokens. Real HubSpot JSON runs
 * one token per ~13 bytes (measured on the cassettes), so the cap admits
 * any realistic document up to ~27 MiB, above the HTTP client's 16 MiB
 * response limit, and bounds the token array at 32 MiB. */
#define KIT_JSON_MAX_TOKENS (2u * 1024u * 1024u)

enum kit_json_type {
    KIT_JSON_NONE = 0, /* no such token (index out of range or -1) */
    KIT_JSON_OBJECT,
    KIT_JSON_ARRAY,
    KIT_JSON_STRING,
    KIT_JSON_NUMBER,
    KIT_JSON_BOOL,
    KIT_JSON_NULL
};

/* One token: a value or a member name. Its fields are the reader's
 * (plugin/json.c writes them); everyone else reads them through the
 * accessors below, some of which are defined here, inline, because a run
 * calls them hundreds of thousands of times and a call costs more than
 * what they do. Sixteen bytes: a page of HubSpot events holds a token per
 * 13 bytes or so, so the array is the largest thing a pull keeps beside
 * the page. */
struct kit_json_tok {
    unsigned start : 27; /* strings: first byte after the quote */
    unsigned type : 4;   /* enum kit_json_type */
    unsigned esc : 1;    /* string holding a backslash: must be decoded */
    int end;             /* one past the last byte (strings: the closing quote) */
    int size;            /* members / items of a container */
    int next;            /* index just past the subtree; a key's includes its value */
};

struct kit_json {
    const char *text;        /* borrowed */
    size_t len;
    struct kit_json_tok *tok; /* owned */
    int ntok;
    size_t cap;               /* tokens tok has room for */
};

/* Parse text[0..len) (need not be NUL-terminated). Returns 0; -1 with a
 * short reason naming the byte offset ("truncated document: unexpected end
 * of input at byte 812", "invalid escape '\\x' at byte 40", ...) written
 * to why (whysize bytes, may be NULL); or -2, also with a reason, when the
 * text broke a limit (KIT_JSON_MAX_BYTES, _DEPTH, _TOKENS): the same text
 * always fails again, so a caller need not fetch it again. The token
 * array is allocated here and freed by kit_json_free(); text is borrowed
 * and must stay unchanged while j is used. On failure j is left empty (safe to kit_json_free).
 * Linear time; two allocations per document, none per token. */
int kit_json_parse(struct kit_json *j, const char *text, size_t len, char *why, size_t whysize);
/* kit_json_parse keeping j's token array for the next document: j must
 * be zeroed or hold what an earlier kit_json_parse or _reparse left (any
 * result), never uninitialized. The array grows as documents need and is
 * freed by kit_json_free only, so a caller reading many documents (answer
 * after answer, line after line) allocates for the first and the biggest
 * alone. Same results and reasons as kit_json_parse; on failure j holds
 * no document (every accessor sees none) but keeps its array. */
int kit_json_reparse(struct kit_json *j, const char *text, size_t len, char *why, size_t whysize);
/* Forget j's document (every accessor then sees none) and keep its token
 * array for the next kit_json_reparse. */
void kit_json_clear(struct kit_json *j);
/* Free the tokens and empty j (idempotent; j may be NULL). */
void kit_json_free(struct kit_json *j);

/* Index of the first byte at or after p in s[0..len) that cannot stand
 * for itself inside a JSON string (quote, backslash, a control byte 0x00-
 * 0x1F, or a byte of 0x80 and above, which needs a UTF-8 check), or len.
 * Reads only s[0..len). For text scanned outside the reader (a quick
 * path that must accept no string the reader would refuse). */
size_t kit_json_plain_run(const char *s, size_t p, size_t len);

#ifdef __SSE2__
/* Bit i set when s[i] (of the 16 bytes at s, all readable) cannot stand
 * for itself in a string, as for kit_json_plain_run. One signed compare
 * finds the plain range 0x20-0x7F (bytes of 0x80 and above are
 * negative); the rest is its complement with quote and backslash. */
static inline unsigned kit_json_special16(const void *s)
{
    const __m128i x = _mm_loadu_si128((const __m128i *)s);
    const __m128i quote_or_bslash = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
                                                 _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
    const __m128i printable = _mm_cmpgt_epi8(x, _mm_set1_epi8(0x1F));
    return (unsigned)_mm_movemask_epi8(_mm_andnot_si128(quote_or_bslash, printable)) ^ 0xFFFFu;
}
#endif

/* Token t of j (borrowed from j), or NULL when j is NULL, holds no
 * document or t is out of range. ntok is 0 whenever tok is NULL, so one
 * unsigned compare checks both ends. */
static inline const struct kit_json_tok *kit_json_token(const struct kit_json *j, int t)
{
    return j && (unsigned)t < (unsigned)j->ntok ? &j->tok[t] : NULL;
}

static inline enum kit_json_type kit_json_type(const struct kit_json *j, int t)
{
    const struct kit_json_tok *k = kit_json_token(j, t);
    return k ? (enum kit_json_type)k->type : KIT_JSON_NONE;
}

/* Number of members of an object / items of an array, 0 otherwise. */
static inline int kit_json_size(const struct kit_json *j, int t)
{
    const struct kit_json_tok *k = kit_json_token(j, t);
    return k && (k->type == KIT_JSON_OBJECT || k->type == KIT_JSON_ARRAY) ? k->size : 0;
}

/* Index of the token following the whole subtree of t (its next sibling,
 * if any; ntok after the last one), -1 for a bad t. O(1). A member name's
 * subtree includes its value, so skip(name) is the next member name. */
static inline int kit_json_skip(const struct kit_json *j, int t)
{
    const struct kit_json_tok *k = kit_json_token(j, t);
    return k ? k->next : -1;
}

/* Value token of member key in object obj, or -1. Keys are compared after
 * unescaping, without allocating; with duplicate names the first wins. */
int kit_json_get(const struct kit_json *j, int obj, const char *key);
/* Follow a dotted path of member names ("paging.next.after"), -1 if any
 * step is missing. */
int kit_json_path(const struct kit_json *j, int obj, const char *path);
/* Item i of array arr, or -1. O(i); iterate with kit_json_skip for loops:
 *   for(int i = 0, t = arr + 1; i < kit_json_size(j, arr); i++, t = kit_json_skip(j, t)) */
int kit_json_item(const struct kit_json *j, int arr, int i);

/* Raw bytes of a token (strings without quotes, still escaped; objects
 * and arrays with their brackets). Points into the parsed text, not
 * NUL-terminated; NULL (and *len 0) for a bad t. */
static inline const char *kit_json_raw(const struct kit_json *j, int t, size_t *len)
{
    const struct kit_json_tok *k = kit_json_token(j, t);
    if(len)
        *len = k ? (size_t)(k->end - k->start) : 0;
    return k ? j->text + k->start : NULL;
}
/* Append the value of a string token, unescaped (UTF-8), to out. For
 * numbers, bools and null the literal text is appended. -1 on other
 * types or oom. */
/* The out-of-line half of kit_json_str, for a string holding a backslash:
 * k is a token of j (kit_json_token), out borrowed. Call kit_json_str. */
int kit_json_str_escaped(const struct kit_json *j, const struct kit_json_tok *k, struct kit_buf *out);
static inline int kit_json_str(const struct kit_json *j, int t, struct kit_buf *out)
{
    const struct kit_json_tok *k = kit_json_token(j, t);
    if(!k || !out || k->type == KIT_JSON_OBJECT || k->type == KIT_JSON_ARRAY)
        return -1;
    if(k->esc)
        return kit_json_str_escaped(j, k, out);
    return kit_buf_append(out, j->text + k->start, (size_t)(k->end - k->start));
}
/* Malloc'd unescaped copy (caller frees), NULL on error: bad t, object or
 * array, oom, or a string holding \u0000 (it would be cut short). */
char *kit_json_strdup(const struct kit_json *j, int t);
/* Nonzero when string token t equals s (after unescaping). Never
 * allocates. */
int kit_json_eq(const struct kit_json *j, int t, const char *s);
/* kit_json_eq with s of n bytes (need not be NUL-terminated; may hold
 * NUL): for names compared again and again, with their length known. */
/* The out-of-line half of kit_json_eqn, for a string holding a
 * backslash: k is a string token of j, s holds n bytes (may be NULL when
 * n is 0). Call kit_json_eqn. */
int kit_json_eqn_escaped(const struct kit_json *j, const struct kit_json_tok *k, const char *s, size_t n);
static inline int kit_json_eqn(const struct kit_json *j, int t, const char *s, size_t n)
{
    const struct kit_json_tok *k = kit_json_token(j, t);
    if(!k || k->type != KIT_JSON_STRING || (!s && n))
        return 0;
    if(k->esc)
        return kit_json_eqn_escaped(j, k, s, n);
    /* The length first: most names compared are another length. */
    return (size_t)(k->end - k->start) == n && (!n || memcmp(j->text + k->start, s, n) == 0);
}
/* Integer value of a number token (or of a string holding one, as HubSpot
 * sometimes sends ids). -1 when not an integer or out of int64 range.
 * Exact (no double round trip); the syntax is JSON's: no fraction, no
 * exponent, no '+', no leading zeros, no spaces. *out is untouched on
 * failure. */
int kit_json_int64(const struct kit_json *j, int t, int64_t *out);
/* 1/0 for true/false, -1 for anything else. */
int kit_json_bool(const struct kit_json *j, int t);

/* Append src as canonical JSON (objects' members sorted by unescaped key,
 * bytewise; duplicate names keep document order; no whitespace; strings
 * re-escaped minimally: only quote, backslash and control characters, with
 * the short escapes where they exist and lowercase \u00xx otherwise;
 * numbers as written) to out. Used to compare request bodies. 0 or -1
 * (bad t or oom). */
int kit_json_canonical(const struct kit_json *j, int t, struct kit_buf *out);

/* ---- writer ---- */

/* kit_jw_error() values. */
enum {
    KIT_JW_E_DEPTH = 1, /* more than KIT_JSON_MAX_DEPTH open containers */
    KIT_JW_E_USAGE = 2, /* unbalanced close, key outside an object, value
                          without a key in an object, NULL argument */
    KIT_JW_E_NOMEM = 3  /* the output buffer ran out of memory */
};

/* Writer state; lives wherever the caller puts it (usually the stack) and
 * owns nothing. The first error makes every later call a no-op, so a run
 * of calls can be checked once with kit_jw_error(). Values at the top level
 * are written back to back: separators between root values (e.g. '\n'
 * for JSON Lines) are the caller's. */
struct kit_jw {
    struct kit_buf *out; /* borrowed */
    int depth;
    unsigned char first[KIT_JSON_MAX_DEPTH + 1]; /* 1 until the first item */
    int err;
    unsigned char is_obj[KIT_JSON_MAX_DEPTH + 1]; /* container kind per depth */
    int after_key;                               /* a key awaits its value */
};

/* Start writing to out (borrowed: it must outlive the writer's use). */
void kit_jw_init(struct kit_jw *w, struct kit_buf *out);
void kit_jw_obj(struct kit_jw *w);      /* { */
void kit_jw_obj_end(struct kit_jw *w);  /* } */
void kit_jw_arr(struct kit_jw *w);      /* [ */
void kit_jw_arr_end(struct kit_jw *w);  /* ] */
void kit_jw_key(struct kit_jw *w, const char *key);
/* s is copied (escaped) into out at once; NULL writes null. */
void kit_jw_str(struct kit_jw *w, const char *s);
void kit_jw_strn(struct kit_jw *w, const char *s, size_t len);
void kit_jw_int(struct kit_jw *w, int64_t v);
void kit_jw_bool(struct kit_jw *w, int v);
void kit_jw_null(struct kit_jw *w);
/* A value that is already valid JSON text (e.g. a number literal). */
void kit_jw_raw(struct kit_jw *w, const char *json, size_t len);
/* Shorthands: key then value. */
void kit_jw_kstr(struct kit_jw *w, const char *key, const char *s);
void kit_jw_kint(struct kit_jw *w, const char *key, int64_t v);
/* 0 when every call so far succeeded (no oom, no depth overflow, brackets
 * balanced so far), else an KIT_JW_E_* value. */
int kit_jw_error(const struct kit_jw *w);
/* Append s as a JSON string literal (quotes included, escaped; invalid
 * UTF-8 replaced by U+FFFD) to out. */
int kit_json_quote(struct kit_buf *out, const char *s, size_t len);
/* The same escapes without the quotes around them: a long text written
 * piece by piece (cut between UTF-8 characters, never inside one) into a
 * bounded buffer gives the bytes one kit_json_quote call would, between
 * the quotes. 0, or -1 when memory ran out (out marked). */
int kit_json_escape(struct kit_buf *out, const char *s, size_t len);

#endif
