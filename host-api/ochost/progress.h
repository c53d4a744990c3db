/*
 * progress.h - ochost's progress display on stderr, fed by the plugin's
 * progress callback (connector.h) through host.c.
 *
 * On a terminal: one line redrawn in place ("\r", the text, then
 * clear-to-end), at most every OCH_PROGRESS_TTY_MS, and always when a
 * stage begins or ends. Elsewhere (a pipe, a log file): a line
 * "ochost: <UTC time> <text>" at most every OCH_PROGRESS_PIPE_MS, and one
 * at the end of each stage, so a log shows the final figures. Nothing
 * with -q.
 *
 * The text: "<stage>[ <detail>]: <amount>[, rate][, time left]", e.g.
 *   push: 12.3 MiB of 40.0 MiB (31%), 1200 inputs, 1.2 MiB/s, 23 s left
 *   pull 2026-11-03: 5400 records, 910 records/s
 *   lookup: 120 of 1000 queries (12%), 30 queries/s, 30 s left
 * The plugin's stage is a word, optionally followed by a space and what is
 * being worked on (pull sends "pull YYYY-MM-DD", the day it is reading):
 * the rate runs on across details of one stage. For "push" with an input
 * file whose size is known (och_progress_input), the amount is the bytes
 * of the file read so far and the plugin's count follows it.
 *
 * The rate is the stage's average (done since the stage began over the
 * time since), the time left the rest at that rate. Times come from the
 * caller (milliseconds since the epoch), so tests feed virtual times.
 * Not thread-safe: one per host, used from the plugin's calling thread.
 */
#ifndef OCH_PROGRESS_H
#define OCH_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

#define OCH_PROGRESS_TTY_MS 100
#define OCH_PROGRESS_PIPE_MS 5000

struct och_progress {
    FILE *out;            /* borrowed; NULL: nothing is shown */
    int tty;              /* redraw one line in place */
    int input_fd;         /* -1: none; push shows the bytes read of it */
    uint64_t input_size;  /* its size; 0 when not a regular file */
    int64_t armed_ms;     /* when the run began: the first stage's start */
    int64_t last_out_ms;  /* when a line was last written */
    int stages;           /* stages begun so far */
    /* the stage in progress */
    int active;
    char stage[24];       /* the stage's first word */
    char detail[48];      /* the rest, e.g. pull's day */
    uint64_t done, total; /* the plugin's figures */
    int64_t t0_ms;        /* rate base: when the stage began ... */
    uint64_t d0;          /* ... and its amount then */
    int shown;            /* the figures above are on screen / in the log */
    int open;             /* tty: a line is on screen without its newline */
    char line[256];       /* the text drawn last, for a redraw */
};

/* Set up p writing to out (borrowed, may be NULL), redrawing in place when
 * tty is nonzero; quiet (-q): show nothing. now_ms: the run's start. */
void och_progress_init(struct och_progress *p, FILE *out, int tty, int quiet, int64_t now_ms);

/* Show push's progress as bytes of fd (borrowed, stays open for the
 * push) when it is a regular file; a pipe keeps the plugin's count. */
void och_progress_input(struct och_progress *p, int fd);

/* One report from the plugin at now_ms: stage (NULL: ""), done and total
 * (0: unknown) in the stage's units. */
void och_progress_update(struct och_progress *p, int64_t now_ms, const char *stage, uint64_t done,
                         uint64_t total);

/* The stage in progress ends: its final figures are written if they were
 * not yet, and a terminal line gets its newline. */
void och_progress_finish(struct och_progress *p, int64_t now_ms);

/* Another line is about to be written to the same stream: a terminal's
 * progress line is cleared first (och_progress_resume draws it again). */
void och_progress_suspend(struct och_progress *p);
void och_progress_resume(struct och_progress *p);

/* The text of the current figures at now_ms (no newline) into out. */
void och_progress_text(const struct och_progress *p, int64_t now_ms, char *out, size_t size);

#endif
