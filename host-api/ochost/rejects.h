/*
 * rejects.h - `push --rejects F2`: failed inputs written back in the
 * input's own format (CSV header first, or the JSON line as read) so they
 * can be fixed and pushed again.
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

/* Safely above what the HubSpot plugin can hold unanswered at its option
 * limits: a membership chunk (membership_chunk <= 100,000) and the
 * read-ahead before it (max_concurrency <= 32 batches of 100), a wave of
 * upsert batches (3,200) with the copies of repeated emails merged into
 * them (at most as many again), and its carry list (100): about 110,000.
 * Entries are small (the text is bounded by OCH_REJECTS_MAX_BYTES too), so
 * the margin costs little; eviction is for a plugin that holds far more. */
#define OCH_REJECTS_MAX_PENDING 262144u
#define OCH_REJECTS_MAX_BYTES (64u * 1024u * 1024u)

struct och_pending;

struct och_rejects {
    FILE *out;          /* owned */
    char *path;         /* owned */
    char *header;       /* owned, CSV header text or NULL */
    size_t header_len;
    int header_done;
    struct och_pending *q; /* owned; live entries are q[head .. head+n) */
    size_t head, n, cap;
    size_t bytes;
    uint64_t written, evicted, lost;
};

/* Create (truncate) path. header (CSV header text, may be NULL for JSON
 * Lines) is copied and written before the first reject. On failure err
 * names the file (OC_E_CONFIG) and r is safe to close. */
oc_status och_rejects_open(struct och_rejects *r, const char *path, const char *header,
                           size_t header_len, struct oc_error *err);

/* Remember the raw text (copied) of the input starting on line. Lines must
 * increase from call to call. OC_E_NOMEM on allocation failure. */
oc_status och_rejects_keep(struct och_rejects *r, uint64_t line, const char *raw, size_t len);

/* The result for line arrived: write its text when failed, then forget it.
 * OC_E_IO when the write fails. */
oc_status och_rejects_result(struct och_rejects *r, uint64_t line, int failed);

/* Finish: when flush_pending, inputs that never got a result are written
 * too (and counted on stderr); then the file is closed. Returns OC_E_IO
 * if anything failed to reach the disk. Always frees r. */
oc_status och_rejects_close(struct och_rejects *r, int flush_pending, struct oc_error *err);

#endif
