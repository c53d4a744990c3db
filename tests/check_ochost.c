/* check_ochost.c - ochost end to end: the built binary ($OC_BUILD/ochost)
 * run with posix_spawn, its exit code, stdout and stderr checked. */
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host-api/ochost/batch.h"
#include "plugin/buf.h"
#include "tests/support/apiver.h"
#include "tests/support/ochrun.h"

#define TOKEN "pat-na1-00000000-0000-4000-8000-000000000000"
/* The token's distinctive middle: found even if something printed it
 * partly masked or re-wrapped. */
#define TOKEN_PART "00000000-0000-4000-8000"

static struct ochrun_env E;

/* Run ochost with args and env_add (see ochrun.h); stdin is stdin_path or
 * /dev/null. */
static void run_ochost(struct ochrun *r, const char *const *args, const char *const *env_add,
                       const char *stdin_path)
{
    struct ochrun_opts o = {.stdin_path = stdin_path};
    ochrun(&E, r, args, env_add, &o);
}

static void write_file(const char *name, const char *text, mode_t mode, char *path_out, size_t size)
{
    ochrun_write_file(&E, name, text, mode, path_out, size);
}

#define OUT(r) OCHRUN_OUT(r)
#define ERR(r) OCHRUN_ERR(r)

static void setup(void) { ochrun_setup(&E); }

static void teardown(void) { ochrun_teardown(&E); }

/* ochrun passes the test's own environment on, and the first of two
 * equal names wins, so HOME and XDG_STATE_HOME are changed here (value
 * NULL: unset) for one run and put back by restore_env (suites may run
 * in one process). */
static struct {
    const char *name;
    char *old;
    int had;
} saved_env[4];
static size_t nsaved;

static void set_env_for_run(const char *name, const char *value)
{
    ck_assert_uint_lt(nsaved, sizeof saved_env / sizeof saved_env[0]);
    const char *old = getenv(name);
    saved_env[nsaved].name = name;
    saved_env[nsaved].had = old != NULL;
    saved_env[nsaved].old = old ? strdup(old) : NULL;
    nsaved++;
    if(value)
        setenv(name, value, 1);
    else
        unsetenv(name);
}

static void restore_env(void)
{
    while(nsaved) {
        nsaved--;
        if(saved_env[nsaved].had)
            setenv(saved_env[nsaved].name, saved_env[nsaved].old, 1);
        else
            unsetenv(saved_env[nsaved].name);
        free(saved_env[nsaved].old);
    }
}

START_TEST(help)
{
    struct ochrun r;
    run_ochost(&r, (const char *[]){"--help", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 0);
    const char *cmds[] = {"info", "authorize", "pull", "push", "lookup", "usage", "demo", "Exit codes"};
    for(size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        ck_assert_msg(strstr(OUT(&r), cmds[i]), "--help mentions %s", cmds[i]);
    ck_assert_str_eq(ERR(&r), "");
    ochrun_free(&r);

    run_ochost(&r, (const char *[]){"help", "push", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 0);
    ck_assert_msg(strstr(OUT(&r), "--list ID") && strstr(OUT(&r), "--rejects"), "%s", OUT(&r));
    ochrun_free(&r);

    run_ochost(&r, (const char *[]){"lookup", "--help", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 0);
    ck_assert_msg(strstr(OUT(&r), "--email"), "%s", OUT(&r));
    ochrun_free(&r);
}
END_TEST

START_TEST(usage_errors_exit_1)
{
    struct ochrun r;
    run_ochost(&r, (const char *[]){"frobnicate", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 1);
    ck_assert_msg(strstr(ERR(&r), "frobnicate") && strstr(ERR(&r), "--help"), "%s", ERR(&r));
    ck_assert_str_eq(OUT(&r), "");
    ochrun_free(&r);

    run_ochost(&r, (const char *[]){"push", "--list", "7", "--bogus", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 1);
    ck_assert_msg(strstr(ERR(&r), "--bogus") && strstr(ERR(&r), "push --help"), "%s", ERR(&r));
    ochrun_free(&r);

    run_ochost(&r, (const char *[]){"pull", "--list", "7", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 1);
    ck_assert_msg(strstr(ERR(&r), "--list") && strstr(ERR(&r), "pull"), "%s", ERR(&r));
    ochrun_free(&r);

    run_ochost(&r, (const char *[]){"push", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 1);
    ck_assert_msg(strstr(ERR(&r), "--list"), "%s", ERR(&r));
    ochrun_free(&r);

    run_ochost(&r, (const char *[]){"lookup", "--id", "12", "abc", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 1);
    ck_assert_msg(strstr(ERR(&r), "abc"), "%s", ERR(&r));
    ochrun_free(&r);

    run_ochost(&r, (const char *[]){"--state", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 1);
    ck_assert_msg(strstr(ERR(&r), "--state"), "%s", ERR(&r));
    ochrun_free(&r);

    run_ochost(&r, (const char *[]){NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 1);
    ochrun_free(&r);
}
END_TEST

START_TEST(bad_since_exit_1)
{
    static const char *const bad[] = {"yesterday", "2026-02-30T00:00:00Z", "2026-11-28T10:00:00",
                                      "1732752000", "2026-11-28T25:00:00Z"};
    struct ochrun r;
    for(size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        run_ochost(&r, (const char *[]){"--manifest", E.manifest, "pull", "--since", bad[i], NULL}, NULL, NULL);
        ck_assert_msg(r.code == 1, "--since %s: exit %d", bad[i], r.code);
        ck_assert_msg(strstr(ERR(&r), "--since") && strstr(ERR(&r), bad[i]), "%s", ERR(&r));
        ochrun_free(&r);
    }
}
END_TEST

START_TEST(info)
{
    struct ochrun r;
    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "info", NULL}, NULL, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(OUT(&r), "name:         hubspot\n"), "%s", OUT(&r));
    ck_assert_msg(strstr(OUT(&r), "abi:          1.1 (the plugin serves hosts of 1.0 and newer)\n"),
                  "%s", OUT(&r));
    ck_assert_msg(strstr(OUT(&r), "version:      "), "%s", OUT(&r));
    ck_assert_msg(strstr(OUT(&r), "capabilities: authorize,pull,push,lookup"), "%s", OUT(&r));
    ck_assert_msg(strstr(OUT(&r), "access_token (secret)"), "%s", OUT(&r));
    ck_assert_msg(strstr(OUT(&r), "libonecount_hubspot.so"), "%s", OUT(&r));
    ochrun_free(&r);

    /* global options after the command work too */
    run_ochost(&r, (const char *[]){"info", "-q", "--manifest", E.manifest, NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 0);
    ochrun_free(&r);
}
END_TEST

START_TEST(manifest_problems_exit_8)
{
    struct ochrun r;
    char path[PATH_MAX];
    run_ochost(&r, (const char *[]){"--manifest", "/nonexistent/plugin.manifest", "info", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 8);
    ck_assert_msg(strstr(ERR(&r), "ochost: info: ") && strstr(ERR(&r), "/nonexistent/plugin.manifest"), "%s",
                  ERR(&r));
    ochrun_free(&r);

    write_file("bad.manifest",
               "name = hubspot\nversion = 0.1.0\nabi = 1.0\nlibrary = missing.so\nentry = oc_connector_entry\n"
               "capabilities = authorize\nscopes = x\noptions = access_token*\n",
               0644, path, sizeof path);
    run_ochost(&r, (const char *[]){"--manifest", path, "info", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 8);
    ck_assert_msg(strstr(ERR(&r), "missing.so"), "%s", ERR(&r));
    ochrun_free(&r);
}
END_TEST

START_TEST(missing_token_exit_2)
{
    struct ochrun r;
    char state[PATH_MAX];
    snprintf(state, sizeof state, "%s/s.state", E.tmp);
    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "--state", state, "authorize", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 2);
    ck_assert_msg(strstr(ERR(&r), "HUBSPOT_ACCESS_TOKEN") && strstr(ERR(&r), "access_token"), "%s", ERR(&r));
    ck_assert_str_eq(OUT(&r), "");
    ochrun_free(&r);

    /* an empty variable is no token either (usage needs none: pull does) */
    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "--state", state, "pull", NULL},
               (const char *[]){"HUBSPOT_ACCESS_TOKEN=", NULL}, NULL);
    ck_assert_int_eq(r.code, 2);
    ochrun_free(&r);
}
END_TEST

START_TEST(token_never_printed)
{
    struct ochrun r;
    char cfg[PATH_MAX], state[PATH_MAX];
    snprintf(state, sizeof state, "%s/s.state", E.tmp);
    /* A refused loopback port and no retries: the call fails at once and
     * nothing leaves the machine. */
    write_file("ochost.conf",
               "access_token = " TOKEN "\nbase_url = http://127.0.0.1:1\nmax_retries = 0\n"
               "connect_timeout_ms = 500\n",
               0644, cfg, sizeof cfg);
    run_ochost(&r, (const char *[]){"-vv", "--manifest", E.manifest, "--config", cfg, "--state", state,
                                    "authorize", NULL},
               NULL, NULL);
    ck_assert_msg(r.code != 0, "authorize against a closed port cannot succeed");
    ck_assert_msg(!strstr(OUT(&r), TOKEN_PART), "stdout shows the token: %s", OUT(&r));
    ck_assert_msg(!strstr(ERR(&r), TOKEN_PART), "stderr shows the token: %s", ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "access_token = [hidden]"), "-v dumps the config redacted: %s", ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "chmod 600"), "a readable secret file is warned about: %s", ERR(&r));
    ochrun_free(&r);

    /* from the environment too */
    run_ochost(&r, (const char *[]){"-vv", "--manifest", E.manifest, "--state", state, "authorize", NULL},
               (const char *[]){"HUBSPOT_ACCESS_TOKEN=" TOKEN, "HUBSPOT_BASE_URL=http://127.0.0.1:1", NULL},
               NULL);
    ck_assert_msg(r.code != 0, "authorize against a closed port cannot succeed");
    ck_assert_msg(!strstr(OUT(&r), TOKEN_PART) && !strstr(ERR(&r), TOKEN_PART), "token shown: %s%s", OUT(&r),
                  ERR(&r));
    ochrun_free(&r);
}
END_TEST

START_TEST(config_errors_exit_2)
{
    struct ochrun r;
    char cfg[PATH_MAX];
    write_file("bad.conf", "base_url = http://127.0.0.1:1\ndialy_budget = 5\n", 0600, cfg, sizeof cfg);
    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "--config", cfg, "usage", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 2);
    ck_assert_msg(strstr(ERR(&r), "dialy_budget") && strstr(ERR(&r), "daily_budget"), "%s", ERR(&r));
    ochrun_free(&r);
}
END_TEST

START_TEST(corrupt_state_exit_2)
{
    struct ochrun r;
    char state[PATH_MAX];
    write_file("bad.state", "{\"cursor\": ", 0600, state, sizeof state);
    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "--state", state, "usage", NULL},
               (const char *[]){"HUBSPOT_ACCESS_TOKEN=" TOKEN, NULL}, NULL);
    ck_assert_int_eq(r.code, 2);
    ck_assert_msg(strstr(ERR(&r), state) && strstr(ERR(&r), "move it aside"), "%s", ERR(&r));
    struct kit_buf after = KIT_BUF_INIT;
    ochrun_slurp(state, &after);
    ck_assert_str_eq(kit_buf_str(&after), "{\"cursor\": ");
    kit_buf_free(&after);
    ochrun_free(&r);
}
END_TEST

/* A cassette whose one interaction nobody asks for: the replay must fail
 * the run (exit 7) with the server's report. */
START_TEST(fixtures_unused_interaction_exit_7)
{
    struct ochrun r;
    char cas[PATH_MAX], state[PATH_MAX];
    snprintf(state, sizeof state, "%s/s.state", E.tmp);
    write_file("unused.json",
               "{\"version\": 1, \"scenario\": \"unused\", \"recorded_at\": \"2026-11-28T00:00:00Z\",\n"
               " \"interactions\": [ {\"request\": {\"method\": \"GET\", \"path\": \"/never/asked\"},\n"
               "   \"response\": {\"status\": 200, \"body\": {}}, \"fault\": null} ] }\n",
               0644, cas, sizeof cas);
    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "--state", state, "--fixtures", cas, "usage", NULL},
               NULL, NULL);
    ck_assert_msg(r.code == 7, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "/never/asked"), "the report names the unused interaction: %s", ERR(&r));
    ochrun_free(&r);
}
END_TEST

/* In fixture mode a run that stops early keeps its own exit code (its
 * cassette is then never fully used, which is reported but is not the
 * failure): a DYNAMIC list is 2, a plugin that cannot load is 8. */
START_TEST(fixtures_keep_the_commands_exit_code)
{
    struct ochrun r;
    char state[PATH_MAX], input[PATH_MAX], bad[PATH_MAX], dir[PATH_MAX], cas[PATH_MAX];
    snprintf(state, sizeof state, "%s/s.state", E.tmp);
    write_file("one.jsonl", "{\"email\":\"ann@example.com\"}\n", 0644, input, sizeof input);
    /* A folder of cassettes, as --fixtures takes: push-dynamic's list check
     * plays first (name order), push-single's interactions stay unused. */
    snprintf(dir, sizeof dir, "%s/fx", E.tmp);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    const char *const cassettes[] = {"push-dynamic.json", "push-single.json"};
    for(size_t i = 0; i < 2; i++) {
        struct kit_buf text = KIT_BUF_INIT;
        char src[PATH_MAX];
        snprintf(src, sizeof src, "fixtures/hubspot/%s", cassettes[i]);
        ochrun_slurp(src, &text);
        snprintf(src, sizeof src, "fx/%s", cassettes[i]);
        write_file(src, kit_buf_str(&text), 0644, cas, sizeof cas);
        kit_buf_free(&text);
    }
    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "--state", state, "--fixtures", dir, "push", "--list",
                                    "4242", "--input", input, NULL},
               NULL, NULL);
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "DYNAMIC"), "the list error is printed: %s", ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "stopped early (exit 2)") && strstr(ERR(&r), "push-single"),
                  "the unused interactions are still reported: %s", ERR(&r));
    ck_assert_str_eq(OUT(&r), "");
    ochrun_free(&r);

    /* the E.manifest parses, the fixtures start, then the library is missing */
    write_file("bad.manifest",
               "name = hubspot\nversion = 0.1.0\nabi = 1.0\nlibrary = missing.so\nentry = oc_connector_entry\n"
               "capabilities = authorize\nscopes = x\noptions = access_token*\n",
               0644, bad, sizeof bad);
    run_ochost(&r, (const char *[]){"--manifest", bad, "--state", state, "--fixtures",
                                    "fixtures/hubspot/authorize-ok.json", "authorize", NULL},
               NULL, NULL);
    ck_assert_msg(r.code == 8, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "missing.so"), "%s", ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "stopped early (exit 8)") && strstr(ERR(&r), "access-token-info"),
                  "the unused interactions are still reported: %s", ERR(&r));
    ochrun_free(&r);
}
END_TEST

/* A replay without --state must not touch the real state file: fixture
 * cursors and fixture calls in usage would mislead later real runs. */
START_TEST(fixtures_leave_the_default_state_alone)
{
    struct ochrun r;
    struct stat sb;
    char xdg[PATH_MAX], folder[PATH_MAX + 16];
    snprintf(xdg, sizeof xdg, "%s/xdg", E.tmp);
    snprintf(folder, sizeof folder, "%s/ochost", xdg);
    set_env_for_run("XDG_STATE_HOME", xdg);
    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "--fixtures",
                                    "fixtures/hubspot/authorize-ok.json", "authorize", NULL},
               NULL, NULL);
    restore_env();
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(stat(folder, &sb) != 0, "a fixture run made the default state folder %s", folder);
    ck_assert_msg(stat("ochost.state", &sb) != 0, "a fixture run made ./ochost.state");
    ochrun_free(&r);
}
END_TEST

/* A request the cassette does not hold got a 599 no HubSpot sends: the
 * run's own outcome means nothing then, so it is 7 whatever it was. */
START_TEST(fixtures_unmatched_request_exit_7)
{
    struct ochrun r;
    char state[PATH_MAX], input[PATH_MAX];
    snprintf(state, sizeof state, "%s/s.state", E.tmp);
    write_file("one.jsonl", "{\"email\":\"ann@example.com\"}\n", 0644, input, sizeof input);
    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "--state", state, "--fixtures",
                                    "fixtures/hubspot/push-dynamic.json", "push", "--list", "99", "--input", input,
                                    NULL},
               NULL, NULL);
    ck_assert_msg(r.code == 7, "exit %d: %s", r.code, ERR(&r));
    /* the list's path under the API version in use, with its id */
    char want[128];
    const char *tmpl = apiver_path(HS_EP_LIST), *hole = strstr(tmpl, "{}");
    ck_assert_ptr_nonnull(hole);
    snprintf(want, sizeof want, "%.*s99%s", (int)(hole - tmpl), tmpl, hole + 2);
    ck_assert_msg(strstr(ERR(&r), "did not match the fixtures") && strstr(ERR(&r), want), "wanted %s in: %s",
                  want, ERR(&r));
    ochrun_free(&r);
}
END_TEST

/* Another ochost holds the state file's lock: wait (briefly, here), then
 * exit 2 saying so, without touching the file. */
START_TEST(state_in_use_exit_2)
{
    struct ochrun r;
    char state[PATH_MAX], lock[PATH_MAX + 8];
    write_file("busy.state", "{\"k\": \"v\"}\n", 0600, state, sizeof state);
    snprintf(lock, sizeof lock, "%s.lock", state);
    int fd = open(lock, O_RDWR | O_CREAT, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "--state", state, "usage", NULL},
               (const char *[]){"HUBSPOT_ACCESS_TOKEN=" TOKEN, "OCHOST_STATE_LOCK_WAIT_MS=150", NULL}, NULL);
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "another ochost is using state file") && strstr(ERR(&r), state), "%s",
                  ERR(&r));
    ck_assert_str_eq(OUT(&r), "");
    ochrun_free(&r);
    close(fd); /* released: the next run goes ahead */
    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "--state", state, "usage", NULL},
               (const char *[]){"HUBSPOT_ACCESS_TOKEN=" TOKEN, "OCHOST_STATE_LOCK_WAIT_MS=150", NULL}, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, ERR(&r));
    ochrun_free(&r);
}
END_TEST

/* A 404 outside lookup is a configuration error (2), not "lookup found
 * nothing" (3): from the plugin's pull, and from any other plugin path
 * that reports NOT_FOUND (authorize here). */
START_TEST(not_found_outside_lookup_exit_2)
{
    struct ochrun r;
    char state[PATH_MAX], cas[PATH_MAX];
    snprintf(state, sizeof state, "%s/s.state", E.tmp);
    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "--state", state, "--fixtures",
                                    "fixtures/hubspot/pull-endpoint-gone.json", "pull", "--since",
                                    "2026-11-27T23:00:00Z", NULL},
               NULL, NULL);
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "404"), "%s", ERR(&r));
    ochrun_free(&r);

    write_file("account-404.json",
               "{\"version\": 1, \"scenario\": \"account-404\", \"recorded_at\": \"2026-11-28T00:00:00Z\",\n"
               " \"interactions\": [\n"
               "  {\"request\": {\"method\": \"POST\", \"path\": \"/oauth/v2/private-apps/get/access-token-info\",\n"
               "               \"body\": {\"tokenKey\": \"" TOKEN "\"}},\n"
               "   \"response\": {\"status\": 200, \"body\": {\"hubId\": 12345678, \"appId\": 3456789,\n"
               "     \"scopes\": [\"crm.objects.contacts.read\", \"crm.objects.contacts.write\", \"crm.lists.read\",\n"
               "                \"crm.lists.write\", \"content\"]}}, \"fault\": null},\n"
               "  {\"request\": {\"method\": \"GET\", \"path\": \"/account-info/v3/details\"},\n"
               "   \"response\": {\"status\": 404, \"body\": {\"status\": \"error\", \"message\": \"Not found\",\n"
               "     \"category\": \"OBJECT_NOT_FOUND\"}}, \"fault\": null} ] }\n",
               0644, cas, sizeof cas);
    unlink(state);
    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "--state", state, "--fixtures", cas, "authorize", NULL},
               NULL, NULL);
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, ERR(&r));
    ochrun_free(&r);
}
END_TEST

/* No email column: exit 2 before any HubSpot call (an empty cassette
 * would turn any call into an unmatched request, exit 7). */
START_TEST(push_without_email_column_exit_2)
{
    struct ochrun r;
    char cas[PATH_MAX], state[PATH_MAX], input[PATH_MAX];
    snprintf(state, sizeof state, "%s/s.state", E.tmp);
    write_file("empty.json",
               "{\"version\": 1, \"scenario\": \"empty\", \"recorded_at\": \"2026-11-28T00:00:00Z\", "
               "\"interactions\": []}\n",
               0644, cas, sizeof cas);
    write_file("people.csv", "name,mail\nAnn,a@example.com\n", 0644, input, sizeof input);
    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "--state", state, "--fixtures", cas, "push", "--list",
                                    "7", "--input", input, NULL},
               NULL, NULL);
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "email column") && strstr(ERR(&r), "people.csv"), "%s", ERR(&r));
    ck_assert_str_eq(OUT(&r), "");
    ochrun_free(&r);

    /* the same from stdin */
    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "--state", state, "--fixtures", cas, "push", "--list",
                                    "7", NULL},
               NULL, input);
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "stdin"), "%s", ERR(&r));
    ochrun_free(&r);
}
END_TEST

/* Whole runs on the bundled cassettes: output lines, summary, exit codes. */
START_TEST(replays_bundled_cassettes)
{
    struct ochrun r;
    char state[PATH_MAX], input[PATH_MAX];
    snprintf(state, sizeof state, "%s/s.state", E.tmp);

    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "--state", state, "--fixtures",
                                    "fixtures/hubspot/authorize-ok.json", "authorize", NULL},
               (const char *[]){"HUBSPOT_ACCESS_TOKEN=not-used-in-fixture-mode", NULL}, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(OUT(&r), "portal id: ") && strstr(OUT(&r), "time zone: "), "%s", OUT(&r));
    ochrun_free(&r);

    unlink(state);
    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "--state", state, "--fixtures",
                                    "fixtures/hubspot/lookup-not-found.json", "lookup", "--email",
                                    "nobody@example.com", NULL},
               NULL, NULL);
    ck_assert_msg(r.code == 3, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(OUT(&r), "\"query\":\"nobody@example.com\"") && strstr(OUT(&r), "\"status\":\"not_found\""),
                  "%s", OUT(&r));
    ochrun_free(&r);

    unlink(state);
    write_file("members.jsonl",
               "{\"email\":\"ann@example.com\"}\n{\"email\":\"bob@example.com\"}\n{\"email\":\"cy@example.com\"}\n",
               0644, input, sizeof input);
    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "--state", state, "--fixtures",
                                    "fixtures/hubspot/push-already.json", "push", "--list", "4242", NULL},
               NULL, input);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, ERR(&r));
    int lines = 0;
    for(const char *p = OUT(&r); (p = strstr(p, "\"status\":\"already_member\"")); p++)
        lines++;
    ck_assert_msg(lines == 3, "%s", OUT(&r));
    ck_assert_msg(strstr(ERR(&r), "0 added, 3 already members, 0 failed"), "summary: %s", ERR(&r));
    /* the state file now holds the plugin's usage, and stays valid JSON text */
    struct kit_buf st = KIT_BUF_INIT;
    ochrun_slurp(state, &st);
    ck_assert_msg(st.len && kit_buf_str(&st)[0] == '{', "%s", kit_buf_str(&st));
    kit_buf_free(&st);
    ochrun_free(&r);
}
END_TEST

START_TEST(demo_without_fixtures_folder)
{
    struct ochrun r;
    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "demo", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 2);
    ck_assert_msg(strstr(ERR(&r), "fixtures/hubspot/demo") && strstr(ERR(&r), "missing"), "%s", ERR(&r));
    ochrun_free(&r);
}
END_TEST

START_TEST(no_command_says_so_once)
{
    struct ochrun r;
    run_ochost(&r, (const char *[]){NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 1);
    ck_assert_msg(strncmp(ERR(&r), "ochost: no command given; ", 26) == 0, "%s", ERR(&r));
    ck_assert_msg(!strstr(ERR(&r), "ochost: ochost:"), "one prefix: %s", ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "push") && strstr(ERR(&r), "--help"), "%s", ERR(&r));
    ochrun_free(&r);
}
END_TEST

/* Typos get the nearest valid word; a word near nothing gets no guess. */
START_TEST(typos_suggest_the_nearest)
{
    static const struct {
        const char *args[5];
        const char *want;
    } cases[] = {
        {{"psuh", NULL}, "unknown command 'psuh'; did you mean 'push'?"},
        {{"lokup", "--email", "a@b.c", NULL}, "did you mean 'lookup'?"},
        {{"authorise", NULL}, "did you mean 'authorize'?"},
        {{"push", "--list", "7", "--rejcts", NULL}, "did you mean '--rejects'?"},
        {{"pull", "--sinse", "2026-01-01", NULL}, "did you mean '--since'?"},
        {{"--manfest", "x", "info", NULL}, "did you mean '--manifest'?"},
    };
    struct ochrun r;
    for(size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_ochost(&r, cases[i].args, NULL, NULL);
        ck_assert_msg(r.code == 1, "%s: exit %d", cases[i].args[0], r.code);
        ck_assert_msg(strstr(ERR(&r), cases[i].want), "%s: %s", cases[i].want, ERR(&r));
        ck_assert_msg(strstr(ERR(&r), "--help"), "%s", ERR(&r));
        ochrun_free(&r);
    }
    run_ochost(&r, (const char *[]){"frobnicate", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 1);
    ck_assert_msg(!strstr(ERR(&r), "did you mean"), "%s", ERR(&r));
    ochrun_free(&r);
}
END_TEST

/* Commands with stdout on a full disk: the message names stdout, never
 * the state file, and a command that lost output exits 7. */
START_TEST(full_stdout_blamed_on_stdout)
{
    static const struct {
        const char *args[12];
        int code;
        const char *kept; /* what the message says was written, if anything */
    } runs[] = {
        {{"info", NULL}, 7, NULL},
        {{"--fixtures", "fixtures/hubspot/authorize-ok.json", "authorize", NULL}, 7, NULL},
        {{"--fixtures", "fixtures/hubspot/pull-first-run.json", "pull", "--since", "2026-11-27T23:00:00Z", NULL},
         7, "0 records were written"},
        {{"--fixtures", "fixtures/hubspot/lookup-found.json", "lookup", "--email", "ann@example.com", NULL}, 7,
         "0 answers were written"},
        {{"usage", NULL}, 7, NULL},
        {{"usage", "--days", "3", NULL}, 7, NULL},
        {{"usage", "--format", "prometheus", NULL}, 7, NULL},
    };
    for(size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        const char *args[20] = {"--manifest", E.manifest, "--state", NULL};
        char state[PATH_MAX];
        snprintf(state, sizeof state, "%s/full%zu.state", E.tmp, i);
        args[3] = state;
        size_t n = 4;
        for(size_t k = 0; runs[i].args[k]; k++)
            args[n++] = runs[i].args[k];
        args[n] = NULL;
        struct ochrun r;
        struct ochrun_opts o = {.stdout_path = "/dev/full"};
        ochrun(&E, &r, args, NULL, &o);
        ck_assert_msg(r.code == runs[i].code, "%s: exit %d: %s", runs[i].args[0], r.code, ERR(&r));
        ck_assert_msg(strstr(ERR(&r), "stdout"), "%s: message does not name stdout: %s", runs[i].args[0],
                      ERR(&r));
        ck_assert_msg(!strstr(ERR(&r), "state file"), "%s: blames the state file: %s", runs[i].args[0],
                      ERR(&r));
        ck_assert_msg(!runs[i].kept || strstr(ERR(&r), runs[i].kept), "%s: does not say '%s': %s",
                      runs[i].args[0], runs[i].kept, ERR(&r));
        ochrun_free(&r);
    }
}
END_TEST

START_TEST(version_names_ochost_plugin_and_libcurl)
{
    struct ochrun r;
    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "--version", NULL}, NULL, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strncmp(OUT(&r), "ochost 0.", 9) == 0, "%s", OUT(&r));
    ck_assert_msg(strstr(OUT(&r), "\nplugin: hubspot 0.") && strstr(OUT(&r), ", ABI 1.1 ("), "%s", OUT(&r));
    ck_assert_msg(strstr(OUT(&r), "libonecount_hubspot.so"), "%s", OUT(&r));
    ck_assert_msg(strstr(OUT(&r), "\nlibcurl 7.") || strstr(OUT(&r), "\nlibcurl 8."), "%s", OUT(&r));
    ochrun_free(&r);

    /* No plugin: say so and why, and that libcurl comes with it. */
    run_ochost(&r, (const char *[]){"-V", "--manifest", "/nonexistent/plugin.manifest", NULL}, NULL, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strncmp(OUT(&r), "ochost 0.", 9) == 0, "%s", OUT(&r));
    ck_assert_msg(strstr(OUT(&r), "\nplugin: not loaded (") && strstr(OUT(&r), "/nonexistent/plugin.manifest"),
                  "%s", OUT(&r));
    ck_assert_msg(strstr(OUT(&r), "\nlibcurl: not loaded (ochost uses the plugin's)\n"), "%s", OUT(&r));
    ochrun_free(&r);
}
END_TEST

/* GnuTLS (which Debian's libcurl links) reads GNUTLS_NO_IMPLICIT_INIT in
 * its library constructor. ochost sets it before the plugin, and so its
 * libraries, is loaded, keeping a value the user chose; and ochost itself
 * loads no libcurl, or the constructor would have run before main. */
START_TEST(gnutls_waits_for_first_use)
{
    const char *build = getenv("OC_BUILD");
    char rel[PATH_MAX], lib[PATH_MAX], text[PATH_MAX + 256], manifest[PATH_MAX];
    snprintf(rel, sizeof rel, "%s/testplugins/tells_env.so", build && *build ? build : "build");
    ck_assert_msg(realpath(rel, lib), "%s is not built: run through make check", rel);
    snprintf(text, sizeof text,
             "name = tellsenv\nversion = 1.0.0\nabi = 1.0\nlibrary = %s\nentry = oc_connector_entry\n"
             "capabilities = pull\n",
             lib);
    write_file("tells_env.manifest", text, 0644, manifest, sizeof manifest);

    struct ochrun r;
    run_ochost(&r, (const char *[]){"--manifest", manifest, "--version", NULL}, NULL, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(OUT(&r), "OC_E_CONFIG: GNUTLS_NO_IMPLICIT_INIT at load: '1')"), "%s", OUT(&r));
    ochrun_free(&r);

    run_ochost(&r, (const char *[]){"--manifest", manifest, "--version", NULL},
               (const char *[]){"GNUTLS_NO_IMPLICIT_INIT=0", NULL}, NULL);
    ck_assert_msg(strstr(OUT(&r), "OC_E_CONFIG: GNUTLS_NO_IMPLICIT_INIT at load: '0')"), "%s", OUT(&r));
    ochrun_free(&r);

    /* No plugin loaded, so no libcurl (glibc's loader lists every
     * library it loads under LD_DEBUG=libs). */
    run_ochost(&r, (const char *[]){"-V", "--manifest", "/nonexistent/plugin.manifest", NULL},
               (const char *[]){"LD_DEBUG=libs", NULL}, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "libc.so.6"), "LD_DEBUG listed nothing: %s", ERR(&r));
    ck_assert_msg(!strstr(ERR(&r), "libcurl") && !strstr(ERR(&r), "libgnutls"), "%s", ERR(&r));
    ck_assert_msg(strstr(OUT(&r), "\nlibcurl: not loaded (ochost uses the plugin's)\n"), "%s", OUT(&r));
    ochrun_free(&r);
}
END_TEST

/* Without --manifest, OCHOST_MANIFEST names it: an installed ochost is
 * not tied to the current directory. */
START_TEST(manifest_from_the_environment)
{
    struct ochrun r;
    char env[sizeof E.manifest + 32], want[sizeof E.manifest + 32];
    snprintf(env, sizeof env, "OCHOST_MANIFEST=%s", E.manifest);
    run_ochost(&r, (const char *[]){"info", NULL}, (const char *[]){env, NULL}, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, ERR(&r));
    snprintf(want, sizeof want, "manifest:     %s\n", E.manifest);
    ck_assert_msg(strstr(OUT(&r), want), "%s", OUT(&r));
    ochrun_free(&r);

    run_ochost(&r, (const char *[]){"info", NULL}, (const char *[]){"OCHOST_MANIFEST=/nonexistent/p.manifest", NULL},
               NULL);
    ck_assert_int_eq(r.code, 8);
    ck_assert_msg(strstr(ERR(&r), "/nonexistent/p.manifest") && strstr(ERR(&r), "chosen by OCHOST_MANIFEST"), "%s",
                  ERR(&r));
    ochrun_free(&r);

    /* --manifest still comes first */
    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "info", NULL},
               (const char *[]){"OCHOST_MANIFEST=/nonexistent/p.manifest", NULL}, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, ERR(&r));
    ochrun_free(&r);
}
END_TEST

/* Cron starts jobs in $HOME: the default state lives under
 * $XDG_STATE_HOME/ochost (else ~/.local/state/ochost), made 0700, never
 * in the current directory; --help says where. */
START_TEST(default_state_follows_xdg)
{
    struct ochrun r;
    struct stat sb;
    char xdg[PATH_MAX], home[PATH_MAX], path[PATH_MAX + 64];
    const char *tok = "HUBSPOT_ACCESS_TOKEN=pat-na1-" "00000000-0000-4000-8000-000000000000";
    snprintf(xdg, sizeof xdg, "%s/xdg/deeper", E.tmp);
    snprintf(home, sizeof home, "%s/home", E.tmp);
    ck_assert_int_eq(mkdir(home, 0755), 0);

    set_env_for_run("XDG_STATE_HOME", xdg);
    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "usage", NULL}, (const char *[]){tok, NULL}, NULL);
    restore_env();
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, ERR(&r));
    snprintf(path, sizeof path, "%s/ochost", xdg);
    ck_assert_msg(stat(path, &sb) == 0 && S_ISDIR(sb.st_mode) && (sb.st_mode & 0777) == 0700,
                  "%s is a 0700 folder", path);
    /* usage saves nothing, but the state file's lock sits beside it */
    snprintf(path, sizeof path, "%s/ochost/ochost.state.lock", xdg);
    ck_assert_msg(stat(path, &sb) == 0, "the state was opened in %s/ochost", xdg);
    ochrun_free(&r);

    /* XDG_STATE_HOME unset (or relative, which the spec says to ignore):
     * ~/.local/state/ochost. */
    set_env_for_run("XDG_STATE_HOME", "relative/ignored");
    set_env_for_run("HOME", home);
    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "usage", NULL}, (const char *[]){tok, NULL}, NULL);
    struct ochrun helped;
    run_ochost(&helped, (const char *[]){"--help", NULL}, NULL, NULL);
    restore_env();
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, ERR(&r));
    snprintf(path, sizeof path, "%s/.local/state/ochost", home);
    ck_assert_msg(stat(path, &sb) == 0 && S_ISDIR(sb.st_mode) && (sb.st_mode & 0777) == 0700,
                  "%s is a 0700 folder", path);
    ck_assert_msg(stat("relative", &sb) != 0, "a relative XDG_STATE_HOME was used");
    snprintf(path, sizeof path, "%s/.local/state/ochost/ochost.state\n", home);
    ck_assert_msg(strstr(OUT(&helped), path), "--help names the default state file %s: %s", path, OUT(&helped));
    ck_assert_msg(strstr(OUT(&helped), "$XDG_STATE_HOME/ochost/ochost.state"), "%s", OUT(&helped));
    ochrun_free(&helped);
    ochrun_free(&r);

    /* A home folder that does not exist is not ochost's to create. */
    snprintf(path, sizeof path, "%s/nothere", E.tmp);
    set_env_for_run("XDG_STATE_HOME", "relative/ignored");
    set_env_for_run("HOME", path);
    run_ochost(&r, (const char *[]){"--manifest", E.manifest, "usage", NULL}, (const char *[]){tok, NULL}, NULL);
    restore_env();
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "cannot create the state folder"), "%s", ERR(&r));
    ck_assert_msg(stat(path, &sb) != 0, "ochost created the missing home folder %s", path);
    ochrun_free(&r);
}
END_TEST

/* The held-output rule on a regular file that fills up between saves: a
 * write forced by the size bound fails, the file is cut back to the last
 * save (not to the last good write), the line that forced it is refused,
 * and so is every later flush, so no save can follow that would cover
 * records cut away. In-process, on its own file (not stdout). */
START_TEST(batch_failure_cuts_back_to_last_save_and_refuses_saves)
{
    char path[PATH_MAX];
    static const char line[] = "{\"kind\":\"r\",\"pad\":\"0123456789012345678901234567890123456789\"}\n";
    const size_t len = sizeof line - 1;
    struct och_batch b;
    struct stat sb;
    struct rlimit lim = {20 * len, RLIM_INFINITY}, was;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &lim) == 0 && lim.rlim_max >= 20 * len, 1);
    was = lim;
    lim.rlim_cur = 20 * len - len / 2; /* 19.5 lines fit */
    /* The limit and the ignored signal are the whole process's: put both
     * back, since without CK_FORK (valgrind) later suites run here. */
    void (*old_xfsz)(int) = signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    snprintf(path, sizeof path, "%s/held.jsonl", E.tmp);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    och_batch_init(&b, fd, 8 * len);
    ck_assert(b.hold);
    for(int i = 0; i < 3; i++)
        ck_assert_int_eq(och_batch_line(&b, line, len, 1), 0);
    ck_assert_int_eq(fstat(fd, &sb), 0);
    ck_assert_int_eq(sb.st_size, 0); /* held, not written */
    ck_assert_int_eq(och_batch_flush(&b), 0);
    och_batch_saved(&b);
    /* after the save: 8 lines force a write (11 in the file), 8 more
     * another (19); the next 8 would pass the limit */
    int taken = 0, rc = 0;
    while(taken < 40 && (rc = och_batch_line(&b, line, len, 1)) == 0)
        taken++;
    ck_assert_int_eq(rc, -1);
    ck_assert_int_eq(errno, EFBIG);
    ck_assert_int_eq(taken, 23); /* the 24th forced the write that failed */
    ck_assert_int_eq(fstat(fd, &sb), 0);
    ck_assert_int_eq(sb.st_size, (off_t)(3 * len)); /* back to the save, not to the 19 written */
    ck_assert_int_eq(b.written, 3);
    ck_assert_int_eq(och_batch_flush(&b), -1); /* a save now would cover records cut away */
    ck_assert_int_eq(och_batch_line(&b, line, len, 1), -1);
    och_batch_free(&b);
    close(fd);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &was), 0);
    signal(SIGXFSZ, old_xfsz);
}
END_TEST

extern Suite *make_ochost_suite(void);
Suite *make_ochost_suite(void)
{
    Suite *s = suite_create("ochost");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, help);
    tcase_add_test(tc, usage_errors_exit_1);
    tcase_add_test(tc, bad_since_exit_1);
    tcase_add_test(tc, info);
    tcase_add_test(tc, manifest_problems_exit_8);
    tcase_add_test(tc, missing_token_exit_2);
    tcase_add_test(tc, token_never_printed);
    tcase_add_test(tc, full_stdout_blamed_on_stdout);
    tcase_add_test(tc, config_errors_exit_2);
    tcase_add_test(tc, corrupt_state_exit_2);
    tcase_add_test(tc, fixtures_unused_interaction_exit_7);
    tcase_add_test(tc, push_without_email_column_exit_2);
    tcase_add_test(tc, fixtures_keep_the_commands_exit_code);
    tcase_add_test(tc, fixtures_unmatched_request_exit_7);
    tcase_add_test(tc, fixtures_leave_the_default_state_alone);
    tcase_add_test(tc, state_in_use_exit_2);
    tcase_add_test(tc, not_found_outside_lookup_exit_2);
    tcase_add_test(tc, replays_bundled_cassettes);
    tcase_add_test(tc, demo_without_fixtures_folder);
    tcase_add_test(tc, no_command_says_so_once);
    tcase_add_test(tc, typos_suggest_the_nearest);
    tcase_add_test(tc, version_names_ochost_plugin_and_libcurl);
    tcase_add_test(tc, gnutls_waits_for_first_use);
    tcase_add_test(tc, manifest_from_the_environment);
    tcase_add_test(tc, default_state_follows_xdg);
    tcase_add_test(tc, batch_failure_cuts_back_to_last_save_and_refuses_saves);
    suite_add_tcase(s, tc);
    return s;
}
