/*
 * input.h - the push input reader: JSON Lines or CSV (RFC 4180), read one
 * record at a time so memory stays flat however long the input is.
 *
 * The format is chosen by content: after an optional UTF-8 BOM and
 * whitespace, '{' means JSON Lines, anything else CSV with a header line.
 * A CSV's delimiter is read from its header line: whichever of comma,
 * semicolon and tab occurs most outside quotes (comma on a tie or when
 * none does), so spreadsheet and Mailchimp exports read as they are.
 * Each record becomes a struct oc_record of kind "contact", id "line N"
 * (the physical line where the record starts) and one field per non-empty
 * value, named by the column's property (below).
 *
 * Column (or JSON key) names become property names in this order: the
 * --map table (och_input_map_parse; an empty property leaves the column
 * out), then the common export headers (och_input_common_property:
 * "Email Address" -> email, "First Name" -> firstname, ...), else the
 * name as it is. The common headers are the ones spreadsheet, Mailchimp
 * and CMS exports use for the fields every CRM has; they name HubSpot's
 * default contact properties, which the plugin checks against the portal
 * before writing, so a wrong guess stops the push instead of writing.
 *
 * A quote that is not closed on its line either runs on to a later line
 * that closes it (a value with a line break, as RFC 4180 allows) or
 * swallows the rows after it. When the record it makes does not fit the
 * header, only the line the quote opened on is reported invalid (saying
 * which lines the quote ran over) and the lines after it are read again
 * as records of their own; a quote left open for more than
 * OCH_INPUT_MAX_RECORD bytes is reported with the lines it swallowed, none
 * of which are pushed.
 * A record that cannot be used (bad JSON, wrong column count, no email,
 * invalid UTF-8, longer than OCH_INPUT_MAX_RECORD) becomes kind "invalid"
 * with a field "error" naming the line and the problem, so the plugin
 * reports it as a failed result and the run goes on.
 *
 * Rejects files (rejects.h) are valid input: their reason, a CSV column
 * or JSON key named ochost_error, is never sent as a property. A rejects
 * file ends each record with a line end written together with it, so a
 * last record without one (the CSV has an ochost_error column, or the
 * JSON line has that key or does not parse) was cut short by an
 * interrupted write: it becomes an invalid record saying it looks cut
 * off, never a contact with truncated values. Other input without a
 * final line end reads as before.
 *
 * Memory: a fixed read chunk plus buffers sized by the longest record,
 * never by the number of records.
 */
#ifndef OCH_INPUT_H
#define OCH_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "onecount/connector.h"
#include "plugin/buf.h"
#include "plugin/json.h"

/* The longest record text kept (bytes). One less than 1 MiB so that the
 * buffer holding it, with its NUL, is exactly 1 MiB: the reader's
 * footprint stays near 2 MiB (text plus values) whatever a record does. */
#define OCH_INPUT_MAX_RECORD (1024u * 1024u - 1u)

enum och_input_format { OCH_INPUT_JSONL = 0, OCH_INPUT_CSV = 1 };

/* A parsed --map: column name -> property ("" = leave the column out).
 * Zero it to start; the strings are owned; free with och_input_map_free. */
struct och_input_map {
    char **column, **property;
    size_t n;
};

/* Parse text, "Column A=prop_a,Column B=prop_b" (spaces around names
 * ignored, columns matched ignoring case), into *map. OC_E_INVALID with
 * err naming the bad part: no '=', an empty column name, a column given
 * twice, a property that is not a HubSpot internal name (lowercase
 * letters, digits, '_'); OC_E_NOMEM. map is safe to free either way. */
oc_status och_input_map_parse(struct och_input_map *map, const char *text, struct oc_error *err);
void och_input_map_free(struct och_input_map *map);

/* The HubSpot contact property a common export header names ("E-Mail
 * Address" -> "email"), compared ignoring case and everything but letters
 * and digits; NULL when it is not one. The result is static. */
const char *och_input_common_property(const char *header);

struct och_input {
    FILE *f;          /* borrowed */
    const char *name; /* borrowed, used in messages */
    int format;       /* enum och_input_format */
    char *chunk;      /* fixed-size read buffer, owned */
    size_t pos, end;
    int eof, ioerr;
    int ioerrno;      /* errno of the read that failed, when ioerr */
    int stream;       /* read with read(2) as bytes arrive (och_input_open_stream) */
    uint64_t line;    /* physical line of the next unread byte, 1-based */
    uint64_t chunk_off; /* stream offset of chunk[0], from where reading began */
    int seekable;       /* f is a regular file: a record can be read again */
    uint64_t base;      /* file offset where reading began */
    /* the current record */
    struct kit_buf raw;  /* its text as read, without the final newline */
    int too_long;
    uint64_t rec_off, rec_len; /* its stream offset and full length (past the cap too) */
    int last_c;
    int unterminated;   /* it ended at the end of the input, not with a line end */
    size_t strip_from, strip_to; /* the old ochost_error column/member in raw, if any */
    struct kit_buf stripped;
    struct kit_buf vals; /* field keys/values, NUL-separated */
    size_t *offs;       /* start of each value in vals */
    size_t *rawoffs;    /* start of each CSV field in raw */
    size_t noffs, capoffs;
    size_t nextra;      /* fields counted but not stored (see field_begin) */
    int skip_field;     /* the current field is not stored */
    struct oc_field *fields;
    size_t capfields;
    char id[32];
    uint64_t id_line;   /* the line id holds, 0 before the first record */
    size_t id_len;
    /* JSON Lines: the key layout of the last line read by the quick reader
     * (see och_input_set_fast). Inputs repeat the same keys in the same
     * order line after line, so a key equal to the one at its position
     * last time goes to the same property without looking it up again.
     * Keys are kept in layout_bytes, each with its NUL and 16 bytes left
     * free after the last (a key is compared in one 16-byte load); fixed
     * sizes keep memory flat. */
    struct {
        uint16_t off, len; /* the key's bytes in layout_bytes */
        unsigned char self, email; /* property is the key itself; it is "email" */
        const char *prop;  /* NULL (when not self): the key is left out */
    } layout[32];
    size_t nlayout;
    char layout_bytes[1024];
    int general_only;   /* och_input_set_fast(in, 0) */
    uint64_t fast_lines; /* lines the quick reader answered (for tests) */
    /* JSON Lines: the property each recent key went to. Keys repeat on
     * every line, and finding one's property searches --map and the
     * common headers. prop NULL: left out; self: the key itself. */
    struct {
        char key[32];
        const char *prop;
        int self;
    } keys[8];
    size_t nkeys;
    struct kit_json json; /* the tokens of the last line the general parser read; the
                           * array is reused */
    struct kit_buf errmsg;
    /* bytes to read before the stream again: the lines after a line whose
     * open quote swallowed them (see above) */
    struct kit_buf replay;
    size_t replay_pos;
    uint64_t replay_off;   /* stream offset of replay.data[0] */
    int cr_stripped;       /* the record ended with CRLF */
    size_t quote_nl_field; /* the first field whose quotes held a line end, SIZE_MAX if none */
    /* CSV header */
    char delim;         /* ',', ';' or '\t' */
    const char **props; /* per column: the property its values go to, NULL to leave it out;
                         * the array is owned, the names point into cols, map or a static table */
    const struct och_input_map *map; /* borrowed, may be NULL */
    char **cols;
    size_t ncols, email_col;
    size_t err_col;     /* the ochost_error column, SIZE_MAX when none */
    struct kit_buf header_raw;
};

/* Start reading f (borrowed, must stay open until och_input_close). For
 * CSV the header is read and checked here, before any HubSpot call:
 * OC_E_CONFIG when it has no email column (case-insensitive), a repeated
 * or empty column name, or the input is a JSON array. OC_E_IO when f
 * cannot be read. in is owned by the caller; call och_input_close in every
 * case after this returns. */
oc_status och_input_open(struct och_input *in, FILE *f, const char *name, struct oc_error *err);
/* As och_input_open, with a --map (borrowed, may be NULL; must outlive
 * in). OC_E_INVALID when it names a column the CSV header does not have
 * (err lists the columns found). */
oc_status och_input_open_mapped(struct och_input *in, FILE *f, const char *name,
                                const struct och_input_map *map, struct oc_error *err);

/* As och_input_open_mapped, for input that arrives over time (a pipe or
 * FIFO a program keeps writing): bytes are taken with read(2) on f's
 * descriptor as they arrive, never through stdio's buffer, so a caller
 * can poll(2) that descriptor and och_input_ready() tells whether a line
 * is already buffered. f must not have been read through stdio before. */
oc_status och_input_open_stream(struct och_input *in, FILE *f, const char *name,
                                const struct och_input_map *map, struct oc_error *err);
/* Nonzero when the next och_input_next can answer without waiting for
 * more bytes (a whole line is buffered, or the input ended). A CSV value
 * whose quotes hold a line end may still wait for its closing line. */
int och_input_ready(const struct och_input *in);
/* For a stream: one read(2) of what has arrived, kept after the part of
 * a line already buffered; call it when poll(2) says the descriptor is
 * readable, so it does not block, and och_input_next only once
 * och_input_ready, so a line written in pieces never blocks the caller
 * past its own wait. 0, or -1 at the input's end or on a read error
 * (och_input_ready is then nonzero and och_input_next reports it). */
int och_input_pull(struct och_input *in);

/* Fill *rec with the next record: OC_OK, OC_E_NOT_FOUND at the end,
 * OC_E_IO on a read error, OC_E_NOMEM. Everything rec points to is owned
 * by in and valid until the next call or och_input_close. Matches the
 * struct oc_push_request next() contract (ctx is the struct och_input). */
oc_status och_input_next(void *in, struct oc_record *rec);

/* JSON Lines are read by a quick reader when a line is a flat object of
 * plain strings (no escapes, no control characters, well-formed UTF-8,
 * an email, no ochost_error key), and by the general JSON parser
 * otherwise; both give the same records, fields and messages. on 0 sends
 * every line through the general parser (tests compare the two); on by
 * default. in->fast_lines counts the lines the quick reader answered. */
void och_input_set_fast(struct och_input *in, int on);

/* The raw text of the record last returned (without its line end). */
const char *och_input_raw(const struct och_input *in, size_t *len);
/* The text of the record last returned as a rejects file should keep it:
 * the raw text without an ochost_error column or member it came with.
 * Owned by in, valid until the next call; NULL on oom. */
const char *och_input_reject_text(struct och_input *in, size_t *len);
/* Where the record last returned lies in the input: its byte offset and
 * full length (line end excluded), counted past OCH_INPUT_MAX_RECORD too.
 * Returns 1 when the input is a regular file the bytes can be read again
 * from (with pread on och_input_fd), else 0. */
int och_input_record_span(const struct och_input *in, uint64_t *off, uint64_t *len);
/* Nonzero when the record last returned was longer than
 * OCH_INPUT_MAX_RECORD, so och_input_raw holds only its beginning. */
int och_input_cut(const struct och_input *in);
/* The descriptor of the FILE given to och_input_open (borrowed). */
int och_input_fd(const struct och_input *in);
/* CSV: the header record as read, without an ochost_error column; NULL
 * for JSON Lines. */
const char *och_input_header(const struct och_input *in, size_t *len);

/* Bytes of heap the reader holds right now (tests check it stays flat). */
size_t och_input_footprint(const struct och_input *in);

void och_input_close(struct och_input *in);

#endif
