/*
 * singer.h - `pull --format singer`: records as Singer messages
 * (https://github.com/singer-io/getting-started/blob/master/docs/SPEC.md),
 * so a Singer target or Meltano can take ochost's output.
 *
 *  SCHEMA  before a stream's first RECORD, and again whenever a record
 *          brings a field or a type the last SCHEMA did not have (email
 *          events of different types carry different fields). The stream
 *          is the record's kind; the schema is a JSON Schema object whose
 *          properties are every field seen so far, each typed from how
 *          ochost writes it, always with "null" (a field absent from one
 *          record is null to a target) and "format": "date-time" while
 *          every value was ISO 8601 text; key_properties is ["id"] when
 *          the stream's first record has an id field, else [].
 *  RECORD  {"type":"RECORD","stream":...,"record":{fields},
 *          "time_extracted":ISO 8601 UTC from the host clock}.
 *  STATE   {"type":"STATE","value":{"bookmarks":{key: value, ...}}}: every
 *          key of ochost's state file with its value (JSON where it is
 *          JSON), written each time the plugin's save of a key is durable,
 *          so after the records it covers, and once more at the end.
 *          ochost's own state file stays the truth: a rerun resumes from
 *          it, never from a target's copy.
 *
 * Every message is one line taken by the pull's output (batch.h), as JSON
 * Lines records are: held until the next save on a regular file, one
 * write(2) each on a pipe, and a stdout failure is remembered the same way.
 */
#ifndef OCH_SINGER_H
#define OCH_SINGER_H

#include <stdint.h>
#include <stdio.h>

#include "host-api/ochost/batch.h"
#include "host-api/ochost/state.h"
#include "onecount/connector.h"
#include "plugin/buf.h"

struct och_singer_stream;

/* Zero-initialise; everything is owned and freed by och_singer_free. */
struct och_singer {
    struct och_batch *out; /* borrowed; the pull's stdout */
    struct och_singer_stream *streams;
    size_t nstreams;
    struct kit_buf line, tmp;
    unsigned long long states; /* STATE messages written */
};

/* Write r as a RECORD, after a SCHEMA when the stream is new or r does not
 * fit its last SCHEMA. now_ms is the host clock (time_extracted). 0, or -1
 * with errno set (ENOMEM, or the write's error): r was then not delivered,
 * though a SCHEMA before it may have been. */
int och_singer_record(struct och_singer *sg, const struct oc_record *r, int64_t now_ms);

/* Write a STATE holding every key of st. 0, or -1 with errno set. */
int och_singer_state(struct och_singer *sg, const struct och_state *st);

void och_singer_free(struct och_singer *sg);

#endif
