/*
 * utf8.h - the one UTF-8 check of the kit (the JSON reader and writer,
 * message cleaning, and any host that must refuse malformed text).
 *
 * Well-formed means what Unicode calls it: no overlong forms, no
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no stray
 * continuation bytes, no sequence cut short.
 */
#ifndef KIT_UTF8_H
#define KIT_UTF8_H

#include <stddef.h>

/* Length (1..4) of the well-formed sequence at p, of which avail bytes
 * (> 0) may be read. 0 when it is malformed, with *bad (if not NULL) set
 * to the length of its maximal ill-formed prefix (1..3): what one U+FFFD
 * replaces, as Unicode recommends. Reads nothing beyond what it needs, so
 * a NUL terminator inside a sequence ends it as malformed. */
size_t kit_utf8_seq(const void *p, size_t avail, size_t *bad);

/* Nonzero when s[0..len) is well-formed and, when allow_nul is 0, holds
 * no NUL byte. On failure *bad (if not NULL) is the offset of the first
 * byte of the first bad sequence. */
int kit_utf8_valid(const char *s, size_t len, int allow_nul, size_t *bad);

#endif
