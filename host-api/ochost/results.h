/*
 * results.h - a bulk command's result lines, gathered and written to
 * stdout in batches.
 *
 * One write(2) per result line was the largest cost ochost added to a bulk
 * push or lookup (each also wakes the reader of a pipe). So the lines are
 * gathered and written whole, in one write, when OCH_RESULTS_BYTES or
 * OCH_RESULTS_LINES are gathered, when the oldest has waited
 * OCH_RESULTS_AGE_MS on the host's clock (the virtual one in tests), and
 * when the command says so (its end; a read that would wait). The age is
 * checked where it is cheap: each gathered line, and, while the batch is
 * active (the host's waiting hook, host.h), each time the plugin asks the
 * host whether to stop (the HTTP client does between its polls) or asks
 * it to sleep (pacing, backoff: the lines go out before the sleep when it
 * would carry them past their age).
 * --follow does not gather: each line goes out at once.
 */
#ifndef OCH_RESULTS_H
#define OCH_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "host-api/ochost/host.h"
#include "onecount/connector.h"
#include "plugin/buf.h"

#define OCH_RESULTS_BYTES 65536
#define OCH_RESULTS_LINES 1024
#define OCH_RESULTS_AGE_MS 1000

/* Told after each write of a batch of n lines: ok when stdout took all of
 * it, 0 when the write failed (stdout's error is then remembered, see
 * och_stdout_error, and none of the n lines counts as written). */
typedef void (*och_results_written_fn)(void *ctx, size_t n, int ok);

struct och_results {
    struct kit_buf lines; /* whole lines, newline included; owned */
    size_t n;             /* lines in it */
    int64_t first_ms;     /* host clock when the oldest was gathered */
    struct och_host *host; /* borrowed */
    och_results_written_fn written;
    void *ctx;
};

/* Start gathering for host h (borrowed; must outlive the batch): b is
 * zeroed, written (may be NULL) is told of each write, with ctx
 * (borrowed). While active, the batch is h's waiting hook (it checks the
 * age), so only one batch can be active on a host at a time. End with
 * och_results_end in every case. */
void och_results_begin(struct och_results *b, struct och_host *h, och_results_written_fn written, void *ctx);

/* Append r as one JSON line (och_record_json), then write the batch when
 * it is full or its oldest line is due. OC_OK; OC_E_NOMEM; OC_E_IO when
 * stdout failed (now or before: nothing is gathered after that). */
oc_status och_results_add(struct och_results *b, const struct oc_record *r);

/* Write what is gathered now. OC_OK (also when nothing was gathered), or
 * OC_E_IO when stdout failed. */
oc_status och_results_flush(struct och_results *b);

/* Write what is gathered when its oldest line has waited its age: the
 * cheap check for callers that may hold lines a while. As flush. */
oc_status och_results_tick(struct och_results *b);

/* Lines gathered and not written yet. */
size_t och_results_pending(const struct och_results *b);

/* Leave the host's waiting hook and free the lines. What is still
 * gathered is NOT written: flush first when it should be. */
void och_results_end(struct och_results *b);

#endif
