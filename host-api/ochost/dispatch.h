/*
 * dispatch.h - running one parsed command in an open session: what main
 * does for the command line and demo does for each of its steps. Apart
 * from both so that neither calls back into the other.
 */
#ifndef OCH_DISPATCH_H
#define OCH_DISPATCH_H

#include "host-api/ochost/cli.h"
#include "host-api/ochost/session.h"

/* Run the command args names in s, which must be open (at least
 * OCH_SESSION_PLUGIN_ONLY for info, OCH_SESSION_INSTANCE for the rest).
 * demo and help are not run here (they need no session or open their
 * own): they print a message and return OCH_EXIT_USAGE. Returns the exit
 * code; any error has been printed. s and args stay the caller's. */
int och_cmd_run(struct och_session *s, const struct och_cli *args);

#endif
