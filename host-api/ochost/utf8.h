/*
 * utf8.h - UTF-8 validation shared by the state file and the CSV reader.
 */
#ifndef OCH_UTF8_H
#define OCH_UTF8_H

#include <stddef.h>

/* Nonzero when s[0..len) is well-formed UTF-8 (no overlongs, surrogates or
 * code points above U+10FFFF) and, when allow_nul is 0, has no NUL byte.
 * On failure *bad (if not NULL) is the offset of the first bad byte. */
int och_utf8_valid(const char *s, size_t len, int allow_nul, size_t *bad);

#endif
