/*
 * nearest.h - "did you mean ...?": the nearest word by edit distance,
 * offered only when it is close enough to be a typo rather than another
 * word. Connector-neutral, so a plugin can suggest the nearest name a
 * server knows (a property, a field) for one it refused.
 */
#ifndef KIT_NEAREST_H
#define KIT_NEAREST_H

#include <stddef.h>

/* Edits (insert, delete, substitute, swap two neighbours; ASCII case
 * ignored) that turn a[0..alen) into b[0..blen). Words longer than 64
 * bytes count as far from everything (SIZE_MAX). Both borrowed. */
size_t kit_edit_distance(const char *a, size_t alen, const char *b, size_t blen);

/* Nonzero when distance edits from a candidate of candidate_len bytes is
 * likely a typo of it: at most a third of its length, at least one. */
int kit_close_enough(size_t distance, size_t candidate_len);

#endif
