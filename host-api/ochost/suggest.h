/*
 * suggest.h - "did you mean ...?" for mistyped commands, options and
 * config keys: the nearest valid word by edit distance, offered only when
 * it is close enough to be a typo rather than a different word.
 */
#ifndef OCH_SUGGEST_H
#define OCH_SUGGEST_H

#include <stddef.h>

/* The candidate (borrowed from candidates[0..n)) nearest to word and
 * close enough, the first of equals; NULL when none is. */
const char *och_nearest(const char *word, const char *const *candidates, size_t n);

#endif
