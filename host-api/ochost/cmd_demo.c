/* cmd_demo.c - `ochost demo`: the whole flow offline on the bundled
 * fixtures, one session, a throwaway state file, and the demo's own
 * configuration (demo.conf in the demo folder: event_context on, so the
 * pulled events show the email they belong to).
 *
 * The steps are data: keep them in step with the cassettes in
 * fixtures/hubspot/demo/ (list id, looked-up email). "@/" at the start of
 * an argument stands for the demo folder. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host-api/ochost/commands.h"
#include "host-api/ochost/dispatch.h"
#include "host-api/ochost/status.h"
#include "plugin/buf.h"

#define DEMO_DIR "fixtures/hubspot/demo"
#define DEMO_CONFIG "demo.conf"
#define MAX_ARGS 8

struct step {
    const char *heading;
    const char *argv[MAX_ARGS]; /* NULL-terminated */
    unsigned ok_exits;          /* bit n set: exit code n is a success here */
};

#define OK(n) (1u << (n))

static const struct step steps[] = {
    {"authorize: check the token and its scopes", {"authorize", NULL}, OK(0)},
    {"lookup: who clicked the email link?", {"lookup", "--email", "jane.doe@example.com", NULL},
     OK(0) | OK(3)},
    {"push: add the week's sign-ups to a list",
     {"push", "--list", "101", "--input", "@/signups.csv", NULL}, OK(0) | OK(6)},
    {"pull: email engagement since the last run, each event with its email's name and subject",
     {"pull", "--since", "2026-11-27T00:00:00Z", NULL}, OK(0)},
};

static char *demo_dir(const char *manifest)
{
    struct kit_buf b = KIT_BUF_INIT;
    const char *slash = strrchr(manifest, '/');
    if(slash)
        kit_buf_printf(&b, "%.*s/%s", (int)(slash - manifest), manifest, DEMO_DIR);
    else
        kit_buf_puts(&b, DEMO_DIR);
    return kit_buf_take(&b);
}

static int run_step(struct och_session *s, const struct step *st, const char *dir, int index)
{
    char *argv[MAX_ARGS + 1];
    char *owned[MAX_ARGS] = {0};
    int argc = 0, code;
    struct och_cli args;

    argv[argc++] = "ochost";
    for(int i = 0; st->argv[i] && argc < MAX_ARGS; i++) {
        if(strncmp(st->argv[i], "@/", 2) == 0) {
            struct kit_buf b = KIT_BUF_INIT;
            kit_buf_printf(&b, "%s/%s", dir, st->argv[i] + 2);
            owned[i] = kit_buf_take(&b);
            if(!owned[i]) {
                code = OCH_EXIT_TRANSIENT;
                goto out;
            }
            argv[argc++] = owned[i];
        } else
            argv[argc++] = (char *)st->argv[i];
    }
    argv[argc] = NULL;
    fprintf(stderr, "\n== %d. %s\n== ochost", index, st->heading);
    for(int i = 1; i < argc; i++)
        fprintf(stderr, " %s", argv[i]);
    fprintf(stderr, "\n");
    fflush(stderr);
    code = och_cli_parse(argc, argv, &args);
    if(!code) {
        s->what = och_command_name(args.command);
        s->command = args.command;
        code = och_cmd_run(s, &args);
        fflush(stdout);
    }
    och_cli_free(&args);
out:
    for(int i = 0; i < MAX_ARGS; i++)
        free(owned[i]);
    return code;
}

int och_cmd_demo(const struct och_cli *cli)
{
    struct och_session s;
    struct och_cli dcli = *cli;
    char tmpdir[] = "/tmp/ochost-demo-XXXXXX";
    char *dir = demo_dir(cli->manifest);
    struct kit_buf state = KIT_BUF_INIT, config = KIT_BUF_INIT;
    struct stat sb;
    int code = 0, opened = 0, have_tmp = 0;

    if(!dir) {
        fprintf(stderr, "ochost: demo: out of memory\n");
        return OCH_EXIT_TRANSIENT;
    }
    errno = 0;
    if(stat(dir, &sb) || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr,
                "ochost: demo: the demo fixtures folder %s is missing (%s); the demo reads the cassettes "
                "installed beside the plugin's manifest (make install puts them there): reinstall, or pass "
                "--manifest pointing at a plugin.manifest that has fixtures/hubspot/demo beside it\n",
                dir, strerror(errno ? errno : ENOTDIR));
        code = OCH_EXIT_CONFIG;
        goto out;
    }
    /* A throwaway state file, so every demo replays the same requests
     * whatever an earlier run saved. */
    if(!mkdtemp(tmpdir)) {
        fprintf(stderr, "ochost: demo: cannot create a temporary folder: %s\n", strerror(errno));
        code = OCH_EXIT_TRANSIENT;
        goto out;
    }
    have_tmp = 1;
    kit_buf_printf(&state, "%s/demo.state", tmpdir);
    dcli.fixtures = dir;
    dcli.record = NULL;
    dcli.state = kit_buf_str(&state);
    dcli.state_given = 1;
    /* The cassettes answer the demo's own options: a user's --config
     * (budgets, event_context off) would make them replay differently. */
    kit_buf_printf(&config, "%s/" DEMO_CONFIG, dir);
    if(!kit_buf_ok(&config)) {
        fprintf(stderr, "ochost: demo: out of memory\n");
        code = OCH_EXIT_TRANSIENT;
        goto out;
    }
    dcli.config = kit_buf_str(&config);
    dcli.queries = NULL;
    dcli.nqueries = 0;
    code = och_session_open(&s, &dcli, OCH_SESSION_INSTANCE);
    opened = 1;
    for(size_t i = 0; !code && i < sizeof steps / sizeof steps[0]; i++) {
        int rc = run_step(&s, &steps[i], dir, (int)i + 1);
        if(rc < 32 && (steps[i].ok_exits & OK(rc)))
            continue;
        fprintf(stderr, "ochost: demo: step %zu (%s) failed with exit code %d\n", i + 1, steps[i].argv[0], rc);
        code = rc;
    }
    s.what = "demo";
out:
    if(opened)
        code = och_session_close(&s, code);
    if(have_tmp) {
        unlink(kit_buf_str(&state));
        kit_buf_puts(&state, ".lock"); /* the session's lock on it, released by now */
        unlink(kit_buf_str(&state));
        rmdir(tmpdir);
    }
    if(!code)
        fprintf(stderr, "\nochost: demo: all steps done\n");
    kit_buf_free(&state);
    kit_buf_free(&config);
    free(dir);
    return code;
}
