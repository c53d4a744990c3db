/*
 * output.h - one record as one JSON object line.
 */
#ifndef OCH_OUTPUT_H
#define OCH_OUTPUT_H

#include <stdio.h>

#include "onecount/connector.h"
#include "plugin/buf.h"

/* Append {"kind":..., <fields in order>} (no newline) to out. Number and
 * bool fields are written bare only when their text is a valid JSON
 * literal, else as strings, so a plugin bug cannot break the JSON Lines
 * stream. Returns 0, or -1 on oom. */
int och_record_json(const struct oc_record *r, struct hs_buf *out);

/* Write the record as one line to f, reusing scratch (caller-owned, may
 * hold anything; it is reset). Returns 0, or -1 on oom or write error. */
int och_record_print(FILE *f, const struct oc_record *r, struct hs_buf *scratch);

/* The value of field key in r, or NULL. */
const char *och_record_field(const struct oc_record *r, const char *key);

#endif
