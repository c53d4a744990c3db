/* main.c - ochost, the reference host: parse, open a session, run one
 * command, close. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "host-api/ochost/cli.h"
#include "host-api/ochost/commands.h"
#include "host-api/ochost/dispatch.h"
#include "host-api/ochost/paths.h"
#include "host-api/ochost/session.h"
#include "host-api/ochost/status.h"
#include "host-api/ochost/version.h"

/* A core dump of ochost would hold the token (and contact data) in a file
 * anyone who can read cores may open. The host owns process-wide settings
 * (the plugin must not touch them), so it turns dumps off before it reads
 * any secret. Non-dumpable also closes /proc/<pid>/mem and ptrace to other
 * processes of the same user. */
static void no_core_dumps(void)
{
    struct rlimit none = {0, 0};
    if(setrlimit(RLIMIT_CORE, &none))
        perror("ochost: warning: cannot turn core dumps off");
    if(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
        perror("ochost: warning: cannot mark the process non-dumpable");
}

/* Debian's libcurl, OpenSSL flavour included, links GnuTLS through LDAP
 * and RTMP, and GnuTLS initialises itself in a library constructor when
 * it is loaded: about 0.7 MB of RSS and a share of the start-up CPU in
 * every run, for a library a HubSpot connector never calls. The variable
 * (gnutls_global_init(3)) leaves that to the first gnutls_global_init
 * call, which every user makes itself (curl's GnuTLS backend, libldap's
 * and librtmp's TLS set-up). It must be set before GnuTLS is loaded:
 * ochost does not link libcurl (the plugin does), so that happens when the
 * plugin is, after this. A value the user set is kept. */
static void gnutls_on_first_use(void) { setenv("GNUTLS_NO_IMPLICIT_INIT", "1", 0); }

int main(int argc, char **argv)
{
    struct och_cli cli;
    struct och_session s;
    no_core_dumps();
    gnutls_on_first_use();
    /* A reader that goes away (`ochost pull | head -3`) must be an error
     * the run handles, not a death: dying by SIGPIPE in the middle of a
     * page leaves the saved state behind what the reader received, so the
     * rerun would emit those records again. Ignored, the write fails with
     * EPIPE, the record is refused, and the state saved covers exactly the
     * records written. */
    signal(SIGPIPE, SIG_IGN);
    int code = och_cli_parse(argc, argv, &cli);
    if(code)
        goto out;
    if(cli.help || cli.command == OCH_CMD_HELP) {
        och_cli_help(stdout, cli.help ? cli.command : cli.help_command);
        goto out;
    }
    if(cli.version) {
        code = och_print_version(stdout, &cli);
        goto out;
    }
    struct oc_error err;
    och_error_init(&err);
    oc_status found = och_find_manifest(cli.manifest, &cli.manifest_owned, &cli.manifest_source, &err);
    if(found) {
        code = och_report(och_command_name(cli.command), found, &err);
        goto out;
    }
    cli.manifest = cli.manifest_owned;
    if(cli.command == OCH_CMD_DEMO) {
        code = och_cmd_demo(&cli);
        goto out;
    }
    code = och_session_open(&s, &cli, cli.command == OCH_CMD_INFO ? OCH_SESSION_PLUGIN_ONLY
                                                                  : OCH_SESSION_INSTANCE);
    if(!code)
        code = och_cmd_run(&s, &cli);
    code = och_session_close(&s, code);
out:
    och_cli_free(&cli);
    return code;
}
