/*
 * suggest.h - "did you mean ...?" for mistyped commands, options and
 * config keys: the nearest valid word by edit distance, offered only when
 * it is close enough to be a typo rather than a different word.
 */
#ifndef OCH_SUGGEST_H
#define OCH_SUGGEST_H

#include <stddef.h>

/* kit_edit_distance and kit_close_enough (plugin/nearest.h) under the
 * names config.c still calls; new code calls the kit's directly. */
size_t och_edit_distance(const char *a, size_t alen, const char *b, size_t blen);
int och_close_enough(size_t distance, size_t candidate_len);

/* The candidate (borrowed from candidates[0..n)) nearest to word and
 * close enough, the first of equals; NULL when none is. */
const char *och_nearest(const char *word, const char *const *candidates, size_t n);

#endif
