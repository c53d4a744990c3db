/*
 * json.h - JSON reader on jsmn and a streaming JSON writer.
 *
 * Reader: hs_json_parse() tokenizes a whole document (strict JSON: jsmn in
 * JSMN_STRICT mode plus our own checks for what jsmn lets through: bad
 * number/literal syntax, raw control characters, invalid UTF-8, bad \u
 * escapes, trailing garbage). Tokens are addressed by index; index 0 is the
 * root. The document text is NOT copied: it must outlive the struct.
 * Limits (HS_JSON_MAX_BYTES, HS_JSON_MAX_DEPTH) turn hostile bodies into
 * errors instead of memory growth or deep recursion.
 *
 * Writer: appends to a struct hs_buf and inserts commas itself.
 */
#ifndef HS_JSON_H
#define HS_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "plugin/buf.h"

#define HS_JSON_MAX_BYTES (64u * 1024u * 1024u)
#define HS_JSON_MAX_DEPTH 64
/* Values plus member names. Each token costs 20 bytes, and a document of
 * tiny values ("[0,0,0,...]") has one per 2 bytes: without this cap a
 * 64 MiB document would need 640 MiB of tokens. Real HubSpot JSON runs
 * one token per ~13 bytes (measured on the cassettes), so the cap admits
 * any realistic document up to ~27 MiB, above the HTTP client's 16 MiB
 * response limit, and bounds the token array at 40 MiB. */
#define HS_JSON_MAX_TOKENS (2u * 1024u * 1024u)

enum hs_json_type {
    HS_JSON_NONE = 0, /* no such token (index out of range or -1) */
    HS_JSON_OBJECT,
    HS_JSON_ARRAY,
    HS_JSON_STRING,
    HS_JSON_NUMBER,
    HS_JSON_BOOL,
    HS_JSON_NULL
};

struct hs_json_tok;

struct hs_json {
    const char *text;        /* borrowed */
    size_t len;
    struct hs_json_tok *tok; /* owned */
    int ntok;
};

/* Parse text[0..len) (need not be NUL-terminated). Returns 0; -1 with a
 * short reason naming the byte offset ("truncated document: unexpected end
 * of input at byte 812", "invalid escape '\\x' at byte 40", ...) written
 * to why (whysize bytes, may be NULL); or -2, also with a reason, when the
 * text broke a limit (HS_JSON_MAX_BYTES, _DEPTH, _TOKENS): the same text
 * always fails again, so a caller need not fetch it again. The token
 * array is allocated here and freed by hs_json_free(); text is borrowed
 * and must stay unchanged while j is used. On failure j is left empty (safe to hs_json_free).
 * Linear time; two allocations per document, none per token. */
int hs_json_parse(struct hs_json *j, const char *text, size_t len, char *why, size_t whysize);
/* Free the tokens and empty j (idempotent; j may be NULL). */
void hs_json_free(struct hs_json *j);

enum hs_json_type hs_json_type(const struct hs_json *j, int t);
/* Number of members of an object / items of an array, 0 otherwise. */
int hs_json_size(const struct hs_json *j, int t);
/* Index of the token following the whole subtree of t (its next sibling,
 * if any; ntok after the last one), -1 for a bad t. O(1). A member name's
 * subtree includes its value, so skip(name) is the next member name. */
int hs_json_skip(const struct hs_json *j, int t);
/* Value token of member key in object obj, or -1. Keys are compared after
 * unescaping, without allocating; with duplicate names the first wins. */
int hs_json_get(const struct hs_json *j, int obj, const char *key);
/* Follow a dotted path of member names ("paging.next.after"), -1 if any
 * step is missing. */
int hs_json_path(const struct hs_json *j, int obj, const char *path);
/* Item i of array arr, or -1. O(i); iterate with hs_json_skip for loops:
 *   for(int i = 0, t = arr + 1; i < hs_json_size(j, arr); i++, t = hs_json_skip(j, t)) */
int hs_json_item(const struct hs_json *j, int arr, int i);

/* Raw bytes of a token (strings without quotes, still escaped; objects
 * and arrays with their brackets). Points into the parsed text, not
 * NUL-terminated; NULL (and *len 0) for a bad t. */
const char *hs_json_raw(const struct hs_json *j, int t, size_t *len);
/* Append the value of a string token, unescaped (UTF-8), to out. For
 * numbers, bools and null the literal text is appended. -1 on other
 * types or oom. */
int hs_json_str(const struct hs_json *j, int t, struct hs_buf *out);
/* Malloc'd unescaped copy (caller frees), NULL on error: bad t, object or
 * array, oom, or a string holding \u0000 (it would be cut short). */
char *hs_json_strdup(const struct hs_json *j, int t);
/* Nonzero when string token t equals s (after unescaping). Never
 * allocates. */
int hs_json_eq(const struct hs_json *j, int t, const char *s);
/* Integer value of a number token (or of a string holding one, as HubSpot
 * sometimes sends ids). -1 when not an integer or out of int64 range.
 * Exact (no double round trip); the syntax is JSON's: no fraction, no
 * exponent, no '+', no leading zeros, no spaces. *out is untouched on
 * failure. */
int hs_json_int64(const struct hs_json *j, int t, int64_t *out);
/* 1/0 for true/false, -1 for anything else. */
int hs_json_bool(const struct hs_json *j, int t);

/* Append src as canonical JSON (objects' members sorted by unescaped key,
 * bytewise; duplicate names keep document order; no whitespace; strings
 * re-escaped minimally: only quote, backslash and control characters, with
 * the short escapes where they exist and lowercase \u00xx otherwise;
 * numbers as written) to out. Used to compare request bodies. 0 or -1
 * (bad t or oom). */
int hs_json_canonical(const struct hs_json *j, int t, struct hs_buf *out);

/* ---- writer ---- */

/* hs_jw_error() values. */
enum {
    HS_JW_E_DEPTH = 1, /* more than HS_JSON_MAX_DEPTH open containers */
    HS_JW_E_USAGE = 2, /* unbalanced close, key outside an object, value
                          without a key in an object, NULL argument */
    HS_JW_E_NOMEM = 3  /* the output buffer ran out of memory */
};

/* Writer state; lives wherever the caller puts it (usually the stack) and
 * owns nothing. The first error makes every later call a no-op, so a run
 * of calls can be checked once with hs_jw_error(). Values at the top level
 * are written back to back: separators between root values (e.g. '\n'
 * for JSON Lines) are the caller's. */
struct hs_jw {
    struct hs_buf *out; /* borrowed */
    int depth;
    unsigned char first[HS_JSON_MAX_DEPTH + 1]; /* 1 until the first item */
    int err;
    unsigned char is_obj[HS_JSON_MAX_DEPTH + 1]; /* container kind per depth */
    int after_key;                               /* a key awaits its value */
};

/* Start writing to out (borrowed: it must outlive the writer's use). */
void hs_jw_init(struct hs_jw *w, struct hs_buf *out);
void hs_jw_obj(struct hs_jw *w);      /* { */
void hs_jw_obj_end(struct hs_jw *w);  /* } */
void hs_jw_arr(struct hs_jw *w);      /* [ */
void hs_jw_arr_end(struct hs_jw *w);  /* ] */
void hs_jw_key(struct hs_jw *w, const char *key);
/* s is copied (escaped) into out at once; NULL writes null. */
void hs_jw_str(struct hs_jw *w, const char *s);
void hs_jw_strn(struct hs_jw *w, const char *s, size_t len);
void hs_jw_int(struct hs_jw *w, int64_t v);
void hs_jw_bool(struct hs_jw *w, int v);
void hs_jw_null(struct hs_jw *w);
/* A value that is already valid JSON text (e.g. a number literal). */
void hs_jw_raw(struct hs_jw *w, const char *json, size_t len);
/* Shorthands: key then value. */
void hs_jw_kstr(struct hs_jw *w, const char *key, const char *s);
void hs_jw_kint(struct hs_jw *w, const char *key, int64_t v);
/* 0 when every call so far succeeded (no oom, no depth overflow, brackets
 * balanced so far), else an HS_JW_E_* value. */
int hs_jw_error(const struct hs_jw *w);
/* Append s as a JSON string literal (quotes included, escaped; invalid
 * UTF-8 replaced by U+FFFD) to out. */
int hs_json_quote(struct hs_buf *out, const char *s, size_t len);

#endif
