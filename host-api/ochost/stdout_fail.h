/*
 * stdout_fail.h - what a command says when stdout failed under it.
 *
 * A failed write to stdout makes the sink refuse the record, and the
 * plugin then stops with "the host asked to stop". That is the plugin's
 * view; the user must hear that stdout failed, why, and what was kept.
 */
#ifndef OCH_STDOUT_FAIL_H
#define OCH_STDOUT_FAIL_H

#include "host-api/ochost/session.h"

/* End s's progress line, keep the plugin's own error (s->err) as an info
 * log line, then print "ochost: <s->what>: cannot write to stdout:
 * <strerror(e)>; <kept>" where kept (printf format and arguments) says
 * what was written and what to rerun. Returns OCH_EXIT_TRANSIENT (7): the
 * cause is outside the run and a rerun can succeed. s is borrowed. */
int och_stdout_failed(struct och_session *s, int e, const char *kept, ...) __attribute__((format(printf, 3, 4)));

#endif
