/*
 * text.h - small text helpers every layer needs (the loader's manifest,
 * ochost's config and query lists, the fixtures' URL decoding): trimming,
 * the directory part of a path, hex digits. Connector-neutral; nothing is
 * kept between calls, so every function may be called from any thread.
 */
#ifndef KIT_TEXT_H
#define KIT_TEXT_H

#include <stddef.h>

/* Spaces and tabs: what a `key = value` line pads with. */
#define KIT_BLANKS " \t"
/* What isspace() accepts in the C locale (the only locale this code runs
 * in: nothing calls setlocale). */
#define KIT_SPACES " \t\n\v\f\r"

/* The part of s (NUL-terminated, not NULL) left after dropping leading and
 * trailing characters found in blanks: returns its start, a pointer into s,
 * and sets *len to its length. s is not changed. */
const char *kit_trim_span(const char *s, const char *blanks, size_t *len);

/* Trim s in place: a NUL replaces the first of its trailing blanks, and
 * the result (a pointer into s) starts at its first non-blank. */
char *kit_trim(char *s, const char *blanks);

/* The directory part of path: everything before the last '/', "/" for a
 * file in the root, "." when there is no '/'. Returns a malloc'd string
 * owned by the caller, NULL when out of memory. */
char *kit_dir_of(const char *path);

/* The value 0..15 of the hex digit c (either case), -1 when c is not one.
 * c may be a plain char of any sign. */
int kit_hexval(int c);

#endif
