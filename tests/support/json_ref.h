/*
 * json_ref.h - the REFERENCE JSON reader (tests only): a frozen copy of
 * the kit's strict reader (and its string quoting) as it was before their
 * fast rewrite. The differential suite (tests/check_json_fast.c) holds
 * plugin/json.c to it: the same verdict, the same message byte for byte,
 * the same tokens, the same quoted text.
 */
#ifndef JSON_REF_H
#define JSON_REF_H

#include <stddef.h>

#include "plugin/json.h"

/* The token as the reference writes it (the kit's sixteen-byte layout). */
struct json_ref_tok {
    unsigned start : 27; /* strings: first byte after the quote */
    unsigned type : 4;   /* enum kit_json_type */
    unsigned esc : 1;    /* string holding a backslash */
    int end;             /* one past the last byte (strings: the closing quote) */
    int size;            /* members / items of a container */
    int next;            /* index just past the subtree */
};

/* Parse text[0..len) as kit_json_parse did. Returns 0 with *tok a malloc'd
 * array of *ntok tokens (the caller frees it), or -1 / -2 (limit) with the
 * reason in why (whysize bytes, may be NULL) and *tok NULL. */
int json_ref_parse(const char *text, size_t len, struct json_ref_tok **tok, int *ntok, char *why,
                   size_t whysize);

/* Append s[0..len) quoted as kit_json_quote did (out borrowed): 0 or -1. */
int json_ref_quote(struct kit_buf *out, const char *s, size_t len);

#endif
