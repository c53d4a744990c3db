/*
 * commands.h - one function per ochost command, one file each.
 *
 * Each takes an open session (session.h) and the parsed command line of
 * the command itself (the same as s->cli, except inside `demo`, which runs
 * several commands in one session). Each returns the exit code and has
 * already printed any error. dispatch.h picks the one a command line
 * names.
 */
#ifndef OCH_COMMANDS_H
#define OCH_COMMANDS_H

#include "host-api/ochost/cli.h"
#include "host-api/ochost/session.h"

int och_cmd_info(struct och_session *s, const struct och_cli *args);
int och_cmd_authorize(struct och_session *s, const struct och_cli *args);
int och_cmd_pull(struct och_session *s, const struct och_cli *args);
int och_cmd_push(struct och_session *s, const struct och_cli *args);
int och_cmd_lookup(struct och_session *s, const struct och_cli *args);
int och_cmd_usage(struct och_session *s, const struct och_cli *args);

/* demo opens its own session (fixtures, throwaway state) from cli. */
int och_cmd_demo(const struct och_cli *cli);

#endif
