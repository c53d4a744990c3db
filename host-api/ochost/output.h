/*
 * output.h - one record as one JSON object line.
 */
#ifndef OCH_OUTPUT_H
#define OCH_OUTPUT_H

#include <stdio.h>

#include "onecount/connector.h"
#include "plugin/buf.h"
#include "plugin/json.h"

/* Append {"kind":..., <fields in order>} (no newline) to out. Number and
 * bool fields are written bare only when their text is a valid JSON
 * literal, JSON fields (ABI 1.1) as the JSON they hold only when it is
 * valid JSON (compacted onto one line if need be), else all as strings,
 * so a plugin bug cannot break the JSON Lines stream. Returns 0, or -1 on
 * oom. */
int och_record_json(const struct oc_record *r, struct kit_buf *out);

/* The fields of r as members of the object w has open, written as
 * och_record_json writes them; tmp is scratch (reset as needed). */
void och_fields_json(struct kit_jw *w, const struct oc_record *r, struct kit_buf *tmp);

/* The JSON type (enum kit_json_type) field f is written as: what its
 * oc_field type says when its text fits, else KIT_JSON_STRING. */
int och_field_json_type(const struct oc_field *f);

/* Write json (one JSON text) as a value on w: as is, compacted onto one
 * line, or as a string when it is not valid JSON (the rule JSON fields
 * follow). */
void och_json_value(struct kit_jw *w, const char *json, struct kit_buf *tmp);

/* Write line (whole lines, newline included) to f as och_record_print
 * writes a record: 0, or -1 with errno set, stdout's failure remembered. */
int och_print_line(FILE *f, const struct kit_buf *line);

/* Write the record as one line to f, reusing scratch (caller-owned, may
 * hold anything; it is reset). The line goes out with och_write_line on
 * f's descriptor after f's own buffer is flushed, so a record returned as
 * written is in the kernel's hands, not in a stdio buffer that can still
 * fail. Returns 0, or -1 on oom or write error (errno set). A failure on
 * stdout is remembered: see och_stdout_error. */
int och_record_print(FILE *f, const struct oc_record *r, struct kit_buf *scratch);

/* Write len bytes (whole lines) to fd in as few write(2) calls as the
 * kernel allows, retrying EINTR. Every record is one call, so a reader
 * (or a kill -9) never sees half a record from a buffer boundary. When a
 * write fails after part of the text went out to a regular file, the part
 * is truncated away again, so the file ends on a whole line. Returns 0, or
 * -1 with errno set. */
int och_write_line(int fd, const char *text, size_t len);

/* The errno of the first failed record write to stdout in this process,
 * or 0. Sticky: once stdout failed, nothing later may claim it received
 * records. */
int och_stdout_error(void);

/* Remember e as stdout's failure when none is remembered yet: for writers
 * to stdout other than och_print_line (batch.h). */
void och_stdout_note_error(int e);

/* The value of field key in r, or NULL. */
const char *och_record_field(const struct oc_record *r, const char *key);

#endif
