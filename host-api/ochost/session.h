/*
 * session.h - everything a command runs inside: manifest, config, state
 * file, fixture server, loaded plugin and one plugin instance.
 *
 * Order matters for the error a user sees first: the manifest is parsed
 * (exit 8 on failure), then the config (2), the state file (locked for
 * the whole session; 2 when another run holds it or it is corrupt), the
 * fixtures (2), the credentials (2), and only then is the plugin loaded
 * (8) and an instance created (its status mapped). So a missing token is
 * reported as such even when the plugin library is not built yet.
 */
#ifndef OCH_SESSION_H
#define OCH_SESSION_H

#include <stddef.h>

#include "host-api/ochost/cli.h"
#include "host-api/ochost/config.h"
#include "host-api/ochost/host.h"
#include "host-api/ochost/state.h"
#include "onecount/connector.h"
#include "onecount/loader.h"

struct fx_server;
struct fx_recorder;

struct och_session {
    const struct och_cli *cli; /* borrowed: the global options */
    const char *what;          /* command name used in messages */
    int command;               /* enum och_command running now (demo runs several) */
    struct oc_manifest *manifest; /* owned until the plugin takes it */
    struct oc_plugin *plugin;     /* owned */
    struct och_config config;
    struct och_state state;
    struct och_host host;
    struct fx_server *fx;        /* owned, fixture mode only */
    struct fx_recorder *rec;     /* owned, --record only */
    struct oc_instance *inst;    /* owned */
    struct oc_error err;         /* the last failure, for och_session_report */
    const char *token;           /* borrowed (environment or config); registered for redaction */
    const struct oc_connector *conn; /* &plugin->connector once loaded */
    /* Fixture mode without --state: a throwaway state folder, so a replay
     * never moves the real cursors or adds fixture calls to real usage. */
    char fx_tmpdir[64];
    char fx_state[96];
};

enum { OCH_SESSION_PLUGIN_ONLY = 0, OCH_SESSION_INSTANCE = 1 };

/* Set up s for cli (borrowed; must outlive s). mode PLUGIN_ONLY loads the
 * manifest, config and plugin only (info); INSTANCE does everything.
 * Returns 0, or the exit code after printing the error on stderr. Call
 * och_session_close in every case. */
int och_session_open(struct och_session *s, const struct och_cli *cli, int mode);

/* Release the instance, verify and stop the fixture server (or write the
 * recorded cassette), free everything, and release the state file's lock.
 * Returns the final exit code: code, except 7 when the fixture server saw
 * an unmatched request (whatever code was: the run's result rests on an
 * answer HubSpot never gave), when code is 0 but interactions were left
 * unused, or when the cassette could not be written. A nonzero code with
 * only unused interactions (the run stopped early) is kept. The server's
 * report goes to stderr in every case. */
int och_session_close(struct och_session *s, int code);

/* Print "ochost: <what>: <message>" for status with s->err (the plugin's
 * error) and return the exit code: och_exit_code's, except that
 * OC_E_NOT_FOUND outside `lookup` is 2 (exit 3 means only that a lookup
 * found nothing). */
int och_session_report(struct och_session *s, oc_status status);

#endif
