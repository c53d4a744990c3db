/*
 * batch.h - pull's output lines held in memory and written in large
 * pieces, without giving up exactly-once.
 *
 * One write(2) per record made a third of a pull's CPU system time. The
 * plugin saves state only through the host (state_put), after the records
 * the save covers were emitted; so a record may wait in memory as long as
 * it reaches the file before a state covering it is saved. On a regular
 * file, held lines go out before each save (och_batch_flush from
 * state_put), when max bytes are held or the next line would take what
 * is held past max (so what is held at once is bounded by max, however
 * many records a page or window brings, and the buffer is allocated
 * once), and at the end. A line longer than max is written on its own.
 * When a write fails the file is cut back to where it ended at the last
 * save, so it holds exactly the records the saved state covers and ends
 * on a whole line, and every later flush fails: a save after the failure
 * would cover records just cut away, so the run ends with the last good
 * save.
 *
 * Pipes, terminals and devices get one write(2) per line as before: a
 * reader sees records as they come, and what a pipe took cannot be taken
 * back. So does a regular file not written at its end (1<>file): cutting
 * it back could destroy what followed.
 */
#ifndef OCH_BATCH_H
#define OCH_BATCH_H

#include <stddef.h>
#include <sys/types.h>

#include "plugin/buf.h"

/* The most bytes held at once (and what one flush writes at most, but for
 * a single longer line). */
#define OCH_BATCH_MAX (64 * 1024)

struct och_batch {
    int fd;     /* borrowed */
    int hold;   /* fd is a regular file written at its end: lines wait */
    size_t max; /* held bytes never pass this */
    struct kit_buf held;          /* whole lines not yet written */
    unsigned long long held_records;
    unsigned long long written;   /* records in the file (or taken by the pipe) */
    off_t end;                    /* where the next write lands */
    off_t saved_end;              /* end at the last save */
    unsigned long long saved_records; /* written at the last save */
    size_t saved_tail; /* leading held bytes the save itself added (a STATE message) */
    int err;           /* errno of the first failed write, then sticky */
    int uncut;         /* cutting back failed: the file holds more than the state covers */
};

/* Set b up for fd (borrowed; stdout for a pull): it holds lines when fd is
 * a regular file written at its end, with max bytes (OCH_BATCH_MAX if 0)
 * forcing a write. Failures on STDOUT_FILENO are also remembered as
 * stdout's (och_stdout_error). Nothing to undo but och_batch_free. */
void och_batch_init(struct och_batch *b, int fd, size_t max);

/* Take len bytes of whole lines (text borrowed, copied) holding `records`
 * records (0 for a Singer SCHEMA or STATE). Held, or written at once when
 * b does not hold. 0: taken; -1 with errno set: not taken (oom, or this
 * or an earlier write failed, the file then cut back as above). */
int och_batch_line(struct och_batch *b, const char *text, size_t len, unsigned records);

/* Write what is held. 0 when all of it is in the file; -1 with errno set
 * when a write failed now or earlier (b holds lines: nothing may be saved
 * after that; b does not hold: 0, an earlier failure is already reported
 * through the refused record). */
int och_batch_flush(struct och_batch *b);

/* A state save covering everything flushed succeeded: a later failure
 * cuts back to here. Lines taken since the flush (a Singer STATE telling
 * of this save) belong to the save and are kept when they made it out. */
void och_batch_saved(struct och_batch *b);

/* Frees what b holds, writes nothing (flush first). */
void och_batch_free(struct och_batch *b);

#endif
