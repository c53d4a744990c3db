/*
 * rejects.h - `push --rejects F2`: every input that did not end added or
 * already_member, written back in the input's own format so it can be
 * fixed and pushed again, each with the reason next to it:
 *
 *   CSV         the input's header plus a last column "ochost_error";
 *               each record as read plus that column
 *   JSON Lines  each object as read plus a member "ochost_error" before
 *               its closing brace (a line that is not a JSON object is
 *               kept as read: its reason is in its push_result)
 *
 * An input that already carried an ochost_error column or member (a
 * rejects file pushed again) gets the new reason instead of the old one.
 *
 * Each record goes to the file in one write(2) with its line end, so an
 * interrupted run (kill -9) leaves whole records and at most one cut one
 * at the end, which input.h recognises by its missing line end. A record
 * longer than OCH_INPUT_MAX_RECORD is read again from the input file and
 * written whole (several writes; a failure cuts it off the file again);
 * from a pipe, where that cannot be done, what was kept is written and
 * the reason says how much was cut.
 *
 * The raw text of each input is kept from the moment it is read until its
 * result arrives (results come per batch, in any order inside a batch),
 * then dropped. Inputs are read in increasing line order, so pending
 * entries form a sorted queue; its size is bounded (OCH_REJECTS_MAX_*) and
 * an entry pushed out by the bound is reported on stderr if it later
 * fails, never dropped silently.
 */
#ifndef OCH_REJECTS_H
#define OCH_REJECTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "onecount/connector.h"
#include "plugin/buf.h"

/* Safely above what the HubSpot plugin can hold unanswered at its option
 * limits: a membership chunk (membership_chunk <= 100,000) and the
 * read-ahead before it (max_concurrency <= 32 batches of 100), a wave of
 * upsert batches (3,200) with the copies of repeated emails merged into
 * them (at most as many again), and its carry list (100): about 110,000.
 * Entries are small (the text is bounded by OCH_REJECTS_MAX_BYTES too), so
 * the margin costs little; eviction is for a plugin that holds far more. */
#define OCH_REJECTS_MAX_PENDING 262144u
#define OCH_REJECTS_MAX_BYTES (64u * 1024u * 1024u)

/* The column / member name that carries the reason. */
#define OCH_REJECTS_COLUMN "ochost_error"

struct och_pending;

/* Where a record's text comes from when it was longer than what the
 * reader keeps: reread (a byte range of the input file) or cut (only the
 * kept beginning exists). Zero: the text given is the whole record. */
struct och_reject_span {
    int reread;        /* read bytes [off, off+len) of the input again */
    uint64_t off, len; /* len: the record's full length in either case */
};

struct och_rejects {
    int fd;             /* owned; -1 when closed */
    char *path;         /* owned */
    int csv;            /* the input is CSV: header and reason column */
    char sep;           /* the CSV's delimiter, which the reason column uses too */
    char *header;       /* owned, CSV header text (without an old reason column) */
    size_t header_len;
    int header_done;
    int input_fd;       /* borrowed, for rereading long records; -1 if none */
    struct kit_buf line; /* scratch: one record as written */
    struct och_pending *q; /* owned; live entries are q[head .. head+n) */
    size_t head, n, cap;
    size_t bytes;
    uint64_t written, evicted, lost;
};

/* Refuse a --rejects path before anything is read or written: when it
 * names the same file as the input (input_fd, an open descriptor of it;
 * -1 to skip), compared by device and inode so a symlink, a hard link or
 * another spelling of the path is caught; and when it is a symbolic link.
 * OC_E_CONFIG with a message naming both paths. A path that does not
 * exist yet is fine. */
oc_status och_rejects_check(const char *path, int input_fd, const char *input_name,
                            struct oc_error *err);

/* Create or truncate path for writing: never through a symbolic link,
 * mode 0600 when created, and only after checking again on the opened
 * descriptor that it is not the input (input_fd as for och_rejects_check;
 * it is also where long records are read again from, so it must stay
 * open until och_rejects_close). csv says the input's format: 0 JSON
 * Lines, else CSV with the delimiter ';' or '\t' when it is that byte and
 * ',' otherwise (1 included), so the reason column matches the input's
 * delimiter and the rejects file reads back as the same format; header (CSV
 * header text, may be NULL for JSON Lines) is copied and written before
 * the first record. On failure err names the file (OC_E_CONFIG) and r is
 * safe to close. */
oc_status och_rejects_open(struct och_rejects *r, const char *path, int csv, const char *header,
                           size_t header_len, int input_fd, struct oc_error *err);

/* Remember the text (copied; for span->reread only its place) of the
 * input starting on line. span may be NULL (the text is whole). Lines must
 * increase from call to call. OC_E_NOMEM on allocation failure. */
oc_status och_rejects_keep(struct och_rejects *r, uint64_t line, const char *raw, size_t len,
                           const struct och_reject_span *span);

/* The result for line arrived: when failed, write its record with reason
 * (NULL: a generic one); then forget it. OC_E_IO when the write fails. */
oc_status och_rejects_result(struct och_rejects *r, uint64_t line, int failed, const char *reason);

/* Write one record that was never handed out (read after the run
 * stopped), as och_rejects_result would. */
oc_status och_rejects_write(struct och_rejects *r, const char *raw, size_t len,
                            const struct och_reject_span *span, const char *reason);

/* Inputs kept that never got a result. */
uint64_t och_rejects_unanswered(const struct och_rejects *r);

/* Finish: inputs that never got a result are written too, with
 * unanswered_reason, and counted on stderr; then the file is closed.
 * Returns OC_E_IO if anything failed to reach the disk. Always frees r. */
oc_status och_rejects_close(struct och_rejects *r, const char *unanswered_reason,
                            struct oc_error *err);

#endif
