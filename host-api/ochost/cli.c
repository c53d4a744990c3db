/* cli.c - parsing and help; see cli.h. */
#include "host-api/ochost/cli.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "host-api/ochost/paths.h"
#include "host-api/ochost/suggest.h"
#include "host-api/ochost/timeparse.h"
#include "onecount/connector.h"

enum opt_id {
    O_MANIFEST, O_CONFIG, O_STATE, O_FIXTURES, O_RECORD, O_VERBOSE, O_QUIET, O_HELP, O_VERSION,
    O_STREAM, O_SINCE, O_TYPES, O_LIST, O_INPUT, O_REJECTS, O_MAP, O_EMAIL, O_ID, O_JSON, O_FOLLOW,
    O_DAYS, O_SVG, O_FORMAT, O_REMOTE
};

struct opt {
    const char *name;
    char shortname;
    int id;
    int takes_value;
};

static const struct opt global_opts[] = {
    {"manifest", 0, O_MANIFEST, 1}, {"config", 0, O_CONFIG, 1}, {"state", 0, O_STATE, 1},
    {"fixtures", 0, O_FIXTURES, 1}, {"record", 0, O_RECORD, 1}, {"verbose", 'v', O_VERBOSE, 0},
    {"quiet", 'q', O_QUIET, 0},     {"help", 'h', O_HELP, 0},         {"version", 'V', O_VERSION, 0},
};

struct command {
    int id;
    const char *name;
    const char *summary;
    const char *usage;
    const int opts[8]; /* terminated by -1 */
    const char *details;
};

static const struct command commands[] = {
    {OCH_CMD_INFO, "info", "plugin name, version, ABI, capabilities", "info", {-1},
     "Loads the plugin the manifest names and prints what it declares. Needs no\n"
     "token and makes no HubSpot call.\n"},
    {OCH_CMD_AUTHORIZE, "authorize", "check token and scopes", "authorize [--json]", {O_JSON, -1},
     "Checks the access token and its scopes and prints the portal id, hub id,\n"
     "time zone, granted scopes and any missing scope with the capability it\n"
     "blocks. Exits 4 when the token is bad or scopes are missing.\n"
     "  --json   print the authorization record as one JSON line\n"},
    {OCH_CMD_PULL, "pull", "emit new records as JSON Lines",
     "pull [--stream S] [--since T] [--types A,B] [--format F]", {O_STREAM, O_SINCE, O_TYPES, O_FORMAT, -1},
     "Emits records newer than the stream's saved cursor as JSON Lines on\n"
     "stdout, then saves the cursor in the state file. If stdout cannot be\n"
     "written (a full disk, a closed pipe) it stops with exit 7; the state then\n"
     "covers exactly the records written, and a rerun emits the rest.\n"
     "  --stream S   email_events (default), contacts (changed contacts) or\n"
     "               marketing_emails (changed marketing emails)\n"
     "  --since T    where a stream with no cursor yet starts: ISO 8601\n"
     "               (2026-11-01T00:00:00Z, or with an offset) or epoch ms;\n"
     "               after 1970-01-01T00:00:00Z\n"
     "  --types A,B  only these event types, e.g. OPEN,CLICK\n"
     "  --format F   jsonl (default): one record per line; singer: Singer\n"
     "               SCHEMA, RECORD and STATE messages for a Singer target\n"
     "               or Meltano (STATE after each durable save and at the end)\n"},
    {OCH_CMD_PUSH, "push", "upsert contacts and add them to a list",
     "push --list ID [--input F] [--rejects F2] [--map 'Col=prop,...'] [--follow]",
     {O_LIST, O_INPUT, O_REJECTS, O_MAP, O_FOLLOW, -1},
     "Upserts contacts (by email) and adds them to list ID, which must be a\n"
     "MANUAL or SNAPSHOT list. Input is JSON Lines or CSV with a header that has\n"
     "an email column (chosen by content); one JSON line per input on stdout\n"
     "with status added, already_member or failed; a summary on stderr.\n"
     "  --list ID     the HubSpot list id (required)\n"
     "  --input F     the input file (default stdin)\n"
     "  --rejects F2  every input not added or already a member (failed,\n"
     "                unanswered, or unread when the run stopped) goes to F2\n"
     "                in the input's format with its reason in ochost_error;\n"
     "                push F2 to finish. Must not be the input file.\n"
     "Exits 6 when some inputs failed; 7 when cancelled (Ctrl-C, SIGTERM) or\n"
     "HubSpot stayed unreachable: push the rejects file to finish.\n"
     "  --map 'Column A=prop_a,Column B=prop_b'\n"
     "                send these input columns as these HubSpot properties\n"
     "  --follow      push inputs as they arrive on stdin (or --input, e.g. a\n"
     "                FIFO): what arrived goes out linger_ms after the first of\n"
     "                it (max_pending at most), each result printed when known;\n"
     "                SIGINT/SIGTERM end the input, and every input read still\n"
     "                gets its result (exit 0, or 6 when some failed)\n"},
    {OCH_CMD_LOOKUP, "lookup", "find contacts by email or id",
     "lookup --email E... | --id N... | --input F | --follow [--input FIFO]",
     {O_EMAIL, O_ID, O_INPUT, O_FOLLOW, -1},
     "Prints one JSON line per query: the contact, or a lookup_miss record with\n"
     "status not_found. Exits 3 when any query found nothing.\n"
     "  --email E...  one or more emails\n"
     "  --id N...     one or more HubSpot record ids\n"
     "  --input F     one query per line; digits only means an id\n"
     "  --follow      read queries from stdin (or --input, e.g. a FIFO) as they\n"
     "                arrive and print each answer as soon as it is known;\n"
     "                queries are gathered for linger_ms into batch reads.\n"
     "                Ends at end of input or on SIGTERM/Ctrl-C, after\n"
     "                answering everything read (a second signal stops at once)\n"},
    {OCH_CMD_USAGE, "usage", "API calls today and past days, limits, 429s, retries",
     "usage [--days N [--json] [--svg FILE]] [--format text|json|prometheus] [--remote]",
     {O_DAYS, O_JSON, O_SVG, O_FORMAT, O_REMOTE, -1},
     "Without options prints today's usage record as JSON: calls today by\n"
     "endpoint, the limits and remaining calls last seen, 429s and retries.\n"
     "Reads the state file only, so it needs no token (--remote does).\n"
     "  --days N       a report of the last N days (1-100): per day calls,\n"
     "                 share of the budget or daily limit, 429s, retries, top\n"
     "                 endpoints and a bar, then this month's projection at\n"
     "                 the last 7 days' rate\n"
     "  --json         the report as JSON Lines\n"
     "  --svg FILE     also draw the days (30 without --days) as an SVG chart\n"
     "  --format F     text (the report), json (as --json) or prometheus\n"
     "                 (today's figures for node_exporter's textfile collector)\n"
     "  --remote       ask HubSpot (one call, needs the token) for the portal's\n"
     "                 usage by all private apps today, beside this connector's\n"},
    {OCH_CMD_DEMO, "demo", "the whole flow offline on the bundled fixtures", "demo", {-1},
     "Runs authorize, lookup, push and pull against the recorded fixtures in\n"
     "fixtures/hubspot/demo/ (next to the manifest), with a throwaway state\n"
     "file. Needs no token and no network.\n"},
    {OCH_CMD_HELP, "help", "help on a command", "help [COMMAND]", {-1}, ""},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const struct opt command_opts[] = {
    {"stream", 0, O_STREAM, 1}, {"since", 0, O_SINCE, 1}, {"types", 0, O_TYPES, 1},
    {"list", 0, O_LIST, 1},     {"input", 0, O_INPUT, 1}, {"rejects", 0, O_REJECTS, 1},
    {"map", 0, O_MAP, 1},
    {"email", 0, O_EMAIL, 1},   {"id", 0, O_ID, 1},       {"json", 0, O_JSON, 0},
    {"follow", 0, O_FOLLOW, 0},
    {"days", 0, O_DAYS, 1},     {"svg", 0, O_SVG, 1},     {"format", 0, O_FORMAT, 1},
    {"remote", 0, O_REMOTE, 0},
};

static const struct command *find_command(int id)
{
    for(size_t i = 0; i < NCOMMANDS; i++)
        if(commands[i].id == id)
            return &commands[i];
    return NULL;
}

const char *och_command_name(int command)
{
    const struct command *c = find_command(command);
    return c ? c->name : "ochost";
}

void och_cli_help(FILE *f, int command)
{
    const struct command *c = find_command(command);
    if(c && c->id != OCH_CMD_HELP) {
        fprintf(f, "usage: ochost [GLOBAL OPTIONS] %s\n\n%s\n%s", c->usage, c->summary, c->details);
        fprintf(f, "\nGlobal options: see 'ochost --help'.\n");
        return;
    }
    char *state = NULL;
    struct oc_error err = {sizeof err};
    if(och_default_state_path(0, &state, &err))
        state = NULL;
    fprintf(f,
            "usage: ochost [--manifest FILE] [--config FILE] [--state FILE] [--fixtures PATH]\n"
            "              [--record CASSETTE] [-v|-q] COMMAND [ARGS]\n"
            "       ochost --version | --help\n\n"
            "Commands:\n");
    for(size_t i = 0; i < NCOMMANDS; i++)
        if(commands[i].id != OCH_CMD_HELP)
            fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\nGlobal options:\n"
            "  --manifest FILE   the plugin manifest; default: $OCHOST_MANIFEST, else the\n"
            "                    one installed with ochost:\n"
            "                    %s\n"
            "                    else ./plugin.manifest\n"
            "  --config FILE     key = value options for the plugin (keep it chmod 600)\n"
            "  --state FILE      durable state: cursors, usage; default:\n"
            "                    $XDG_STATE_HOME/ochost/ochost.state, else\n"
            "                    ~/.local/state/ochost/ochost.state; here:\n"
            "                    %s\n"
            "                    (its folder is created mode 0700 when missing)\n"
            "  --fixtures PATH   replay a cassette file or folder on 127.0.0.1: no network,\n"
            "                    placeholder token, clock from the cassette, throwaway state\n"
            "  --record F        record the real API into cassette F (token replaced)\n"
            "  -v, --verbose     more detail on stderr (twice for debug)\n"
            "  -q, --quiet       errors only on stderr\n"
            "  -V, --version     ochost's version, the plugin's name, version and ABI, libcurl's\n"
            "  -h, --help        this help; 'ochost help COMMAND' or 'ochost COMMAND --help'\n\n"
            "Environment: HUBSPOT_ACCESS_TOKEN (the token), HUBSPOT_BASE_URL, OCHOST_MANIFEST,\n"
            "XDG_STATE_HOME, HOME, OCHOST_STATE_LOCK_WAIT_MS (wait for another run's lock).\n\n"
            "Credentials: HUBSPOT_ACCESS_TOKEN in the environment or access_token in the\n"
            "config file, never on the command line. HUBSPOT_BASE_URL or base_url\n"
            "overrides " OCH_DEFAULT_UPSTREAM ".\n\n"
            "Exit codes: 0 ok; 1 usage; 2 configuration (token, list, config, state file);\n"
            "3 lookup found nothing for some query; 4 authorization; 5 daily limit or\n"
            "budget reached (state saved, safe to resume); 6 some records rejected;\n"
            "7 transient failure after retries (rerun resumes); 8 plugin load or ABI.\n"
            "See ochost(1) for more.\n",
            och_installed_manifest(), state ? state : "unknown: set XDG_STATE_HOME or HOME");
    free(state);
}

static int usage_error(const struct och_cli *cli, const char *fmt, const char *arg)
{
    fprintf(stderr, "ochost: ");
    fprintf(stderr, fmt, arg);
    if(cli->command && cli->command != OCH_CMD_HELP)
        fprintf(stderr, "\nRun 'ochost %s --help' for usage.\n", och_command_name(cli->command));
    else
        fprintf(stderr, "\nRun 'ochost --help' for usage.\n");
    return 1;
}

static const struct opt *lookup_opt(const struct opt *tab, size_t n, const char *name, size_t len,
                                    char shortname)
{
    for(size_t i = 0; i < n; i++) {
        if(shortname ? tab[i].shortname == shortname
                     : strlen(tab[i].name) == len && strncmp(tab[i].name, name, len) == 0)
            return &tab[i];
    }
    return NULL;
}

static int command_allows(int command, int opt)
{
    const struct command *c = find_command(command);
    if(!c)
        return 0;
    for(size_t i = 0; i < sizeof c->opts / sizeof c->opts[0] && c->opts[i] >= 0; i++)
        if(c->opts[i] == opt)
            return 1;
    return 0;
}

static int add_query(struct och_cli *cli, const char *q)
{
    const char **nq = realloc(cli->queries, (cli->nqueries + 1) * sizeof *nq);
    if(!nq)
        return -1;
    cli->queries = nq;
    cli->queries[cli->nqueries++] = q;
    return 0;
}

static int all_digits(const char *s)
{
    if(!*s)
        return 0;
    for(; *s; s++)
        if(!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

void och_cli_free(struct och_cli *cli)
{
    free(cli->manifest_owned);
    cli->manifest_owned = NULL;
    free(cli->queries);
    cli->queries = NULL;
    cli->nqueries = 0;
}

static int check_command(struct och_cli *cli, int have_email, int have_id)
{
    char why[200];
    switch(cli->command) {
    case OCH_CMD_PUSH:
        if(!cli->list)
            return usage_error(cli, "%s needs --list ID (the HubSpot list to add contacts to)", "push");
        if(!*cli->list)
            return usage_error(cli, "%s: --list is empty", "push");
        break;
    case OCH_CMD_USAGE:
        if(cli->days_text) {
            char *end;
            long n = strtol(cli->days_text, &end, 10);
            if(*end || end == cli->days_text || n < 1 || n > 100)
                return usage_error(cli, "usage: --days takes a number of days from 1 to 100 (the days kept), not '%s'",
                                   cli->days_text);
            cli->days = (int)n;
        }
        if(cli->format && strcmp(cli->format, "text") && strcmp(cli->format, "json") &&
           strcmp(cli->format, "prometheus"))
            return usage_error(cli, "usage: --format is text, json or prometheus, not '%s'", cli->format);
        if(cli->json && cli->format && strcmp(cli->format, "json"))
            return usage_error(cli, "usage: --json and --format %s contradict each other; pick one", cli->format);
        break;
    case OCH_CMD_LOOKUP:
        if(cli->follow && (have_email || have_id))
            return usage_error(cli, "%s --follow reads queries from stdin or --input, one per line; "
                                    "it takes no --email or --id", "lookup");
        if(cli->follow)
            break;
        if(have_email + have_id + (cli->input != NULL) != 1)
            return usage_error(cli, "%s needs exactly one of --email, --id or --input", "lookup");
        if((have_email || have_id) && !cli->nqueries)
            return usage_error(cli, "%s: give at least one value after --email or --id", "lookup");
        for(size_t i = 0; have_id && i < cli->nqueries; i++)
            if(!all_digits(cli->queries[i]))
                return usage_error(cli, "--id takes HubSpot record ids (digits only), not '%s'", cli->queries[i]);
        for(size_t i = 0; have_email && i < cli->nqueries; i++)
            if(!strchr(cli->queries[i], '@'))
                return usage_error(cli, "--email takes email addresses, not '%s'", cli->queries[i]);
        cli->lookup_by = have_id ? OC_LOOKUP_ID : OC_LOOKUP_EMAIL;
        break;
    case OCH_CMD_PULL:
        if(cli->since && och_parse_time(cli->since, &cli->since_ms, why, sizeof why)) {
            fprintf(stderr, "ochost: bad --since: %s\nRun 'ochost pull --help' for usage.\n", why);
            return 1;
        }
        /* The pull request's since_ms 0 means "not given", so the epoch
         * itself (or anything before it) would silently become the default
         * start 30 days back. */
        if(cli->since && cli->since_ms <= 0) {
            fprintf(stderr,
                    "ochost: bad --since: '%s' is not after 1970-01-01T00:00:00Z; the earliest accepted "
                    "time is 1970-01-01T00:00:00.001Z (1 ms), because 0 tells the plugin \"no --since\" "
                    "and the pull would quietly start pull_start_days (default 30) days back instead. "
                    "HubSpot holds no email events from before 2000, so e.g. --since 2000-01-01 pulls "
                    "everything\nRun 'ochost pull --help' for usage.\n",
                    cli->since);
            return 1;
        }
        if(cli->stream && !*cli->stream)
            return usage_error(cli, "%s: --stream is empty", "pull");
        if(cli->types && (!*cli->types || strspn(cli->types, ", ") == strlen(cli->types)))
            return usage_error(cli, "%s: --types is empty (give e.g. OPEN,CLICK)", "pull");
        if(cli->format && strcmp(cli->format, "jsonl") && strcmp(cli->format, "singer"))
            return usage_error(cli, "pull: unknown --format '%s' (jsonl or singer)", cli->format);
        break;
    default:
        break;
    }
    return 0;
}

static void list_commands(FILE *f)
{
    for(size_t i = 0; i < NCOMMANDS; i++)
        if(commands[i].id != OCH_CMD_HELP)
            fprintf(f, "%s%s", i ? ", " : "", commands[i].name);
}

static int unknown_command(const char *word)
{
    const char *names[NCOMMANDS];
    for(size_t i = 0; i < NCOMMANDS; i++)
        names[i] = commands[i].name;
    const char *near = och_nearest(word, names, NCOMMANDS);
    fprintf(stderr, "ochost: unknown command '%s'", word);
    if(near)
        fprintf(stderr, "; did you mean '%s'?", near);
    fprintf(stderr, " Commands: ");
    list_commands(stderr);
    fprintf(stderr, "\nRun 'ochost --help' for usage.\n");
    return 1;
}

/* Options are looked for among the globals and the command's own (or all
 * command options before a command), so the suggestion is one that works
 * where it was typed. */
static int unknown_option(const struct och_cli *cli, const char *arg)
{
    const char *names[sizeof global_opts / sizeof global_opts[0] + sizeof command_opts / sizeof command_opts[0]];
    size_t n = 0;
    for(size_t i = 0; i < sizeof global_opts / sizeof global_opts[0]; i++)
        names[n++] = global_opts[i].name;
    for(size_t i = 0; i < sizeof command_opts / sizeof command_opts[0]; i++)
        if(!cli->command || command_allows(cli->command, command_opts[i].id))
            names[n++] = command_opts[i].name;
    const char *word = arg + strspn(arg, "-");
    char name[80];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(word, "="), word);
    const char *near = och_nearest(name, names, n);
    if(!near)
        return usage_error(cli, "unknown option '%s'", arg);
    fprintf(stderr, "ochost: unknown option '%s'; did you mean '--%s'?", arg, near);
    if(cli->command && cli->command != OCH_CMD_HELP)
        fprintf(stderr, "\nRun 'ochost %s --help' for usage.\n", och_command_name(cli->command));
    else
        fprintf(stderr, "\nRun 'ochost --help' for usage.\n");
    return 1;
}

int och_cli_parse(int argc, char **argv, struct och_cli *cli)
{
    int have_email = 0, have_id = 0, verbose = 0, quiet = 0;
    int collecting = 0; /* after --email/--id: bare words are more queries */

    memset(cli, 0, sizeof *cli);
    for(int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const struct opt *o = NULL;
        const char *value = NULL;
        if(a[0] == '-' && a[1] == 'v' && strspn(a + 1, "v") == strlen(a + 1)) {
            verbose += (int)strlen(a + 1); /* -v, -vv, -vvv */
            continue;
        }
        if(a[0] == '-' && a[1] == '-' && a[2]) {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            o = lookup_opt(global_opts, sizeof global_opts / sizeof global_opts[0], name, len, 0);
            if(!o)
                o = lookup_opt(command_opts, sizeof command_opts / sizeof command_opts[0], name, len, 0);
            if(o && eq) {
                if(!o->takes_value)
                    return usage_error(cli, "option '--%s' takes no value", o->name);
                value = eq + 1;
            }
        } else if(a[0] == '-' && a[1] && a[1] != '-' && !a[2]) {
            o = lookup_opt(global_opts, sizeof global_opts / sizeof global_opts[0], NULL, 0, a[1]);
        } else if(collecting && a[0] != '-') {
            if(add_query(cli, a))
                goto nomem;
            continue;
        } else if(a[0] != '-' && !cli->command) {
            for(size_t k = 0; k < NCOMMANDS; k++)
                if(strcmp(commands[k].name, a) == 0)
                    cli->command = commands[k].id;
            if(!cli->command)
                return unknown_command(a);
            cli->command_name = a;
            continue;
        } else if(a[0] != '-' && cli->command == OCH_CMD_HELP && !cli->help_command) {
            for(size_t k = 0; k < NCOMMANDS; k++)
                if(strcmp(commands[k].name, a) == 0)
                    cli->help_command = commands[k].id;
            if(!cli->help_command)
                return usage_error(cli, "no help on '%s': not a command", a);
            continue;
        } else if(a[0] != '-') {
            return usage_error(cli, "unexpected argument '%s'", a);
        }
        if(!o)
            return unknown_option(cli, a);
        collecting = 0;
        int is_global = o >= global_opts && o < global_opts + sizeof global_opts / sizeof global_opts[0];
        if(!is_global && !command_allows(cli->command, o->id)) {
            if(!cli->command)
                return usage_error(cli, "option '%s' belongs after a command", a);
            fprintf(stderr, "ochost: option '--%s' is not valid for '%s'\nRun 'ochost %s --help' for usage.\n",
                    o->name, och_command_name(cli->command), och_command_name(cli->command));
            return 1;
        }
        if(o->takes_value && !value) {
            if(i + 1 >= argc)
                return usage_error(cli, "option '--%s' needs a value", o->name);
            value = argv[++i];
        }
        switch(o->id) {
        case O_MANIFEST: cli->manifest = value; break;
        case O_CONFIG: cli->config = value; break;
        case O_STATE: cli->state = value; cli->state_given = 1; break;
        case O_FIXTURES: cli->fixtures = value; break;
        case O_RECORD: cli->record = value; break;
        case O_VERBOSE: verbose++; break;
        case O_QUIET: quiet = 1; break;
        case O_HELP: cli->help = 1; break;
        case O_VERSION: cli->version = 1; break;
        case O_STREAM: cli->stream = value; break;
        case O_SINCE: cli->since = value; break;
        case O_TYPES: cli->types = value; break;
        case O_LIST: cli->list = value; break;
        case O_INPUT: cli->input = value; break;
        case O_REJECTS: cli->rejects = value; break;
        case O_MAP: cli->map = value; break;
        case O_JSON: cli->json = 1; break;
        case O_FOLLOW: cli->follow = 1; break;
        case O_DAYS: cli->days_text = value; break;
        case O_SVG: cli->svg = value; break;
        case O_FORMAT: cli->format = value; break;
        case O_REMOTE: cli->remote = 1; break;
        case O_EMAIL:
        case O_ID:
            if(o->id == O_EMAIL)
                have_email = 1;
            else
                have_id = 1;
            if(add_query(cli, value))
                goto nomem;
            collecting = 1;
            break;
        }
        if(o->takes_value && !*value && o->id != O_EMAIL && o->id != O_ID)
            return usage_error(cli, "option '--%s' needs a non-empty value", o->name);
    }
    if(verbose && quiet)
        return usage_error(cli, "%s: -v and -q contradict each other; pick one", "options");
    cli->verbosity = quiet ? -1 : verbose;
    if(cli->help || cli->version || cli->command == OCH_CMD_HELP)
        return 0;
    if(!cli->command) {
        fprintf(stderr, "ochost: no command given; commands: ");
        list_commands(stderr);
        fprintf(stderr, "\nRun 'ochost --help' for usage.\n");
        return 1;
    }
    if(cli->fixtures && cli->record)
        return usage_error(cli, "%s: --fixtures (replay) and --record cannot be combined", "options");
    return check_command(cli, have_email, have_id);
nomem:
    fprintf(stderr, "ochost: out of memory parsing the command line\n");
    return 1;
}
