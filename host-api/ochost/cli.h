/*
 * cli.h - ochost's command line: parsing and help texts.
 *
 * Global options may come before or after the command (`ochost info -v`
 * works); each command accepts only its own options. Both `--opt value`
 * and `--opt=value` are accepted. There is deliberately no option for the
 * access token: a command line shows in `ps`.
 */
#ifndef OCH_CLI_H
#define OCH_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The API root ochost assumes when neither HUBSPOT_BASE_URL nor the
 * config's base_url names one: the default upstream that --record
 * forwards to, and what the help says the override replaces. The only
 * copy on the host side; the plugin keeps its own default, since which
 * server it talks to is its business, and ochost needs this one only
 * because the recorder stands between the two. */
#define OCH_DEFAULT_UPSTREAM "https://api.hubapi.com"

enum och_command {
    OCH_CMD_NONE = 0,
    OCH_CMD_HELP,
    OCH_CMD_INFO,
    OCH_CMD_AUTHORIZE,
    OCH_CMD_PULL,
    OCH_CMD_PUSH,
    OCH_CMD_LOOKUP,
    OCH_CMD_USAGE,
    OCH_CMD_DEMO
};

struct och_cli {
    /* global */
    const char *manifest; /* --manifest, NULL until main chooses one (paths.h) */
    char *manifest_owned; /* the chosen manifest when ochost picked it; freed by och_cli_free */
    const char *manifest_source; /* where the manifest came from (paths.h), static text */
    const char *config;   /* NULL: none */
    const char *state;    /* --state; NULL: the default (paths.h), or throwaway with --fixtures */
    int state_given;      /* --state was on the command line */
    int version;          /* --version given */
    const char *fixtures;
    const char *record;
    int verbosity;        /* -1 quiet, 0 default, 1+ verbose */
    int command;          /* enum och_command */
    const char *command_name;
    int help;             /* --help given: print help for command (or general) */
    int help_command;     /* `ochost help CMD`: the CMD, OCH_CMD_NONE for general */
    /* command options */
    const char *stream;   /* pull */
    const char *since;    /* pull, as written */
    int64_t since_ms;     /* pull, parsed; 0 when not given */
    const char *types;    /* pull */
    const char *list;     /* push */
    const char *input;    /* push, lookup */
    const char *rejects;  /* push */
    const char *map;      /* push --map: "Column=property,..." as given, or NULL */
    int json;             /* authorize, usage */
    const char *days_text; /* usage --days as written */
    int days;             /* usage: days of the report, 0 when not asked */
    const char *svg;      /* usage --svg FILE */
    const char *format;   /* usage --format: text, json, prometheus (NULL: none);
                             pull --format: jsonl (NULL means it) or singer */
    int remote;           /* usage --remote */
    int follow;           /* lookup (push): --follow, inputs read as they arrive */
    int lookup_by;        /* enum oc_lookup_by, lookup with queries */
    const char **queries; /* lookup --email/--id values; owned array, borrowed strings */
    size_t nqueries;
};

/* Parse argv (borrowed: strings must outlive cli). Returns 0 on success,
 * or 1 (usage error) after printing on stderr a message that names the bad
 * argument and points at --help. cli owns the queries array: free with
 * och_cli_free in every case. */
int och_cli_parse(int argc, char **argv, struct och_cli *cli);
void och_cli_free(struct och_cli *cli);

/* Print the general help, or one command's, to f. The general help says
 * where the default state file and manifest are for this environment. */
void och_cli_help(FILE *f, int command);

/* The command's name ("push"), "ochost" for OCH_CMD_NONE. */
const char *och_command_name(int command);

#endif
