/*
 * host.h - ochost's struct oc_host: the services it lends the plugin.
 *
 *  log       stderr, filtered by -v/-q, masked by the redactor
 *  state     the state file (state.h)
 *  emit      forwarded to the running command's sink
 *  progress  stderr through progress.h: a line redrawn in place on a
 *            terminal, timestamped lines every few seconds elsewhere
 *  clock     wall clock, or in fixture mode a virtual clock that starts at
 *            the cassette's recorded_at and moves only when the plugin
 *            sleeps (so replays are identical and never wait); tests of
 *            real runs get one from OCH_VIRTUAL_CLOCK_ENV
 *  cancelled SIGINT/SIGTERM set a flag (och_host_signals)
 */
#ifndef OCH_HOST_H
#define OCH_HOST_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "host-api/ochost/batch.h"
#include "host-api/ochost/progress.h"
#include "host-api/ochost/state.h"
#include "onecount/connector.h"

/* Set to milliseconds since the epoch: the run's clock is virtual from
 * there (waits pass at once), as in fixture mode. For tests only. */
#define OCH_VIRTUAL_CLOCK_ENV "OCHOST_VIRTUAL_CLOCK_MS"

/* Verbosity: -1 errors only (-q), 0 warnings (default), 1 info (-v),
 * 2 debug (-vv). */
struct och_host {
    struct oc_host host; /* host.ctx points back to this struct */
    int verbosity;
    struct och_state *state; /* borrowed; NULL: no durable state */
    struct oc_error state_err; /* the first state_put failure, for the report */
    int state_failed; /* a state_put failed: the run cannot end as a success */
    /* Where emitted records go; set by the running command. */
    oc_status (*sink)(void *ctx, const struct oc_record *r);
    void *sink_ctx;
    /* Borrowed, set by the running command: where its records wait until
     * a save; each state_put writes them out first and saves nothing when
     * that fails (batch.h). NULL: records were written when emitted. */
    struct och_batch *out;
    /* Set by the running command, may be NULL: told when the plugin is
     * about to wait (ms > 0: it asked to sleep that long; 0: it asked
     * whether to stop, as its HTTP client does between polls), so the
     * command can write out what it holds before the wait. */
    void (*waiting)(void *ctx, int64_t ms);
    void *waiting_ctx;
    /* clock */
    int virtual_clock;
    int64_t virtual_now_ms;
    struct och_progress progress; /* on stderr; nothing with -q */
};

/* Set up h around state (borrowed, may be NULL). The callbacks are all
 * set; the sink starts NULL (records are then dropped with a debug line). */
void och_host_init(struct och_host *h, struct och_state *state, int verbosity);

/* Switch to the virtual clock starting at start_ms. */
void och_host_virtual_clock(struct och_host *h, int64_t start_ms);

/* The stage in progress ends: its final figures are shown, a terminal
 * line gets its newline. */
void och_host_progress_done(struct och_host *h);

/* push reads its inputs from fd (borrowed; open until the push ends):
 * progress then shows the bytes read of it when it is a regular file. */
void och_host_progress_input(struct och_host *h, int fd);

/* ochost's own log lines go through the same filter and format. */
void och_log(struct och_host *h, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Install SIGINT/SIGTERM handlers that set the cancellation flag; a second
 * signal gets the default action, so a stuck run can still be killed. */
void och_host_signals(void);
/* Nonzero once a cancellation signal arrived. */
int och_host_cancel_requested(void);


#endif
