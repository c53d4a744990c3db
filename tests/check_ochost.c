/* check_ochost.c - ochost end to end: the built binary ($OC_BUILD/ochost)
 * run with posix_spawn, its exit code, stdout and stderr checked. */
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugin/buf.h"

#define TOKEN "pat-na1-00000000-0000-4000-8000-000000000000"
/* The token's distinctive middle: found even if something printed it
 * partly masked or re-wrapped. */
#define TOKEN_PART "00000000-0000-4000-8000"

extern char **environ;

static char tmp[64];
static char ochost[PATH_MAX];
static char manifest[PATH_MAX + 32];

struct run {
    int code;
    struct hs_buf out, err;
};

static void slurp(const char *path, struct hs_buf *b)
{
    FILE *f = fopen(path, "rb");
    char chunk[4096];
    size_t n;
    ck_assert_ptr_nonnull(f);
    while((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        hs_buf_append(b, chunk, n);
    fclose(f);
    hs_buf_putc(b, '\0');
    b->len--;
}

static void write_file(const char *name, const char *text, mode_t mode, char *path_out, size_t size)
{
    snprintf(path_out, size, "%s/%s", tmp, name);
    FILE *f = fopen(path_out, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    chmod(path_out, mode);
}

/* Run ochost with args (NULL-terminated, without argv[0]) and env_add
 * (NAME=value strings, NULL-terminated) on top of the environment minus
 * every HUBSPOT_* variable. stdin is stdin_path or /dev/null. */
static void run_ochost(struct run *r, const char *const *args, const char *const *env_add,
                       const char *stdin_path)
{
    char outp[128], errp[128];
    char *argv[32], *envp[512];
    int argc = 0, envc = 0;
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int status;

    memset(r, 0, sizeof *r);
    snprintf(outp, sizeof outp, "%s/stdout", tmp);
    snprintf(errp, sizeof errp, "%s/stderr", tmp);
    argv[argc++] = ochost;
    for(int i = 0; args[i]; i++)
        argv[argc++] = (char *)args[i];
    argv[argc] = NULL;
    for(char **e = environ; *e && envc < 500; e++)
        if(strncmp(*e, "HUBSPOT_", 8) != 0)
            envp[envc++] = *e;
    for(int i = 0; env_add && env_add[i]; i++)
        envp[envc++] = (char *)env_add[i];
    envp[envc] = NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, stdin_path ? stdin_path : "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_eq(posix_spawn(&pid, ochost, &fa, NULL, argv, envp), 0);
    posix_spawn_file_actions_destroy(&fa);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status), "ochost died with signal %d", WTERMSIG(status));
    r->code = WEXITSTATUS(status);
    slurp(outp, &r->out);
    slurp(errp, &r->err);
}

static void run_free(struct run *r)
{
    hs_buf_free(&r->out);
    hs_buf_free(&r->err);
}

#define OUT(r) hs_buf_str(&(r)->out)
#define ERR(r) hs_buf_str(&(r)->err)

static void setup(void)
{
    const char *build = getenv("OC_BUILD");
    char rel[PATH_MAX], lib[PATH_MAX];
    strcpy(tmp, "/tmp/check_ochost_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    snprintf(rel, sizeof rel, "%s/ochost", build && *build ? build : "build");
    ck_assert_msg(realpath(rel, ochost), "%s is not built", rel);
    snprintf(rel, sizeof rel, "%s/libonecount_hubspot.so", build && *build ? build : "build");
    if(!realpath(rel, lib)) { /* not built: let the loader's message say so */
        char cwd[PATH_MAX];
        ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
        snprintf(lib, sizeof lib, "%.2000s/%.2000s", cwd, rel);
    }
    /* The repository's manifest, pointed at this build's plugin. */
    FILE *in = fopen("plugin.manifest", "r");
    ck_assert_ptr_nonnull(in);
    struct hs_buf m = HS_BUF_INIT;
    char line[1024];
    while(fgets(line, sizeof line, in)) {
        if(strncmp(line, "library", 7) == 0)
            hs_buf_printf(&m, "library = %s\n", lib);
        else
            hs_buf_puts(&m, line);
    }
    fclose(in);
    write_file("plugin.manifest", hs_buf_str(&m), 0644, manifest, sizeof manifest);
    hs_buf_free(&m);
}

static void teardown(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(help)
{
    struct run r;
    run_ochost(&r, (const char *[]){"--help", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 0);
    const char *cmds[] = {"info", "authorize", "pull", "push", "lookup", "usage", "demo", "Exit codes"};
    for(size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        ck_assert_msg(strstr(OUT(&r), cmds[i]), "--help mentions %s", cmds[i]);
    ck_assert_str_eq(ERR(&r), "");
    run_free(&r);

    run_ochost(&r, (const char *[]){"help", "push", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 0);
    ck_assert_msg(strstr(OUT(&r), "--list ID") && strstr(OUT(&r), "--rejects"), "%s", OUT(&r));
    run_free(&r);

    run_ochost(&r, (const char *[]){"lookup", "--help", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 0);
    ck_assert_msg(strstr(OUT(&r), "--email"), "%s", OUT(&r));
    run_free(&r);
}
END_TEST

START_TEST(usage_errors_exit_1)
{
    struct run r;
    run_ochost(&r, (const char *[]){"frobnicate", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 1);
    ck_assert_msg(strstr(ERR(&r), "frobnicate") && strstr(ERR(&r), "--help"), "%s", ERR(&r));
    ck_assert_str_eq(OUT(&r), "");
    run_free(&r);

    run_ochost(&r, (const char *[]){"push", "--list", "7", "--bogus", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 1);
    ck_assert_msg(strstr(ERR(&r), "--bogus") && strstr(ERR(&r), "push --help"), "%s", ERR(&r));
    run_free(&r);

    run_ochost(&r, (const char *[]){"pull", "--list", "7", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 1);
    ck_assert_msg(strstr(ERR(&r), "--list") && strstr(ERR(&r), "pull"), "%s", ERR(&r));
    run_free(&r);

    run_ochost(&r, (const char *[]){"push", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 1);
    ck_assert_msg(strstr(ERR(&r), "--list"), "%s", ERR(&r));
    run_free(&r);

    run_ochost(&r, (const char *[]){"lookup", "--id", "12", "abc", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 1);
    ck_assert_msg(strstr(ERR(&r), "abc"), "%s", ERR(&r));
    run_free(&r);

    run_ochost(&r, (const char *[]){"--state", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 1);
    ck_assert_msg(strstr(ERR(&r), "--state"), "%s", ERR(&r));
    run_free(&r);

    run_ochost(&r, (const char *[]){NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 1);
    run_free(&r);
}
END_TEST

START_TEST(bad_since_exit_1)
{
    static const char *const bad[] = {"yesterday", "2026-02-30T00:00:00Z", "2026-11-28T10:00:00",
                                      "1732752000", "2026-11-28T25:00:00Z"};
    struct run r;
    for(size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        run_ochost(&r, (const char *[]){"--manifest", manifest, "pull", "--since", bad[i], NULL}, NULL, NULL);
        ck_assert_msg(r.code == 1, "--since %s: exit %d", bad[i], r.code);
        ck_assert_msg(strstr(ERR(&r), "--since") && strstr(ERR(&r), bad[i]), "%s", ERR(&r));
        run_free(&r);
    }
}
END_TEST

START_TEST(info)
{
    struct run r;
    run_ochost(&r, (const char *[]){"--manifest", manifest, "info", NULL}, NULL, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(OUT(&r), "name:         hubspot\n"), "%s", OUT(&r));
    ck_assert_msg(strstr(OUT(&r), "abi:          1.0\n"), "%s", OUT(&r));
    ck_assert_msg(strstr(OUT(&r), "version:      "), "%s", OUT(&r));
    ck_assert_msg(strstr(OUT(&r), "capabilities: authorize,pull,push,lookup"), "%s", OUT(&r));
    ck_assert_msg(strstr(OUT(&r), "access_token (secret)"), "%s", OUT(&r));
    ck_assert_msg(strstr(OUT(&r), "libonecount_hubspot.so"), "%s", OUT(&r));
    run_free(&r);

    /* global options after the command work too */
    run_ochost(&r, (const char *[]){"info", "-q", "--manifest", manifest, NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 0);
    run_free(&r);
}
END_TEST

START_TEST(manifest_problems_exit_8)
{
    struct run r;
    char path[PATH_MAX];
    run_ochost(&r, (const char *[]){"--manifest", "/nonexistent/plugin.manifest", "info", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 8);
    ck_assert_msg(strstr(ERR(&r), "ochost: info: ") && strstr(ERR(&r), "/nonexistent/plugin.manifest"), "%s",
                  ERR(&r));
    run_free(&r);

    write_file("bad.manifest",
               "name = hubspot\nversion = 0.1.0\nabi = 1.0\nlibrary = missing.so\nentry = oc_connector_entry\n"
               "capabilities = authorize\nscopes = x\noptions = access_token*\n",
               0644, path, sizeof path);
    run_ochost(&r, (const char *[]){"--manifest", path, "info", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 8);
    ck_assert_msg(strstr(ERR(&r), "missing.so"), "%s", ERR(&r));
    run_free(&r);
}
END_TEST

START_TEST(missing_token_exit_2)
{
    struct run r;
    char state[PATH_MAX];
    snprintf(state, sizeof state, "%s/s.state", tmp);
    run_ochost(&r, (const char *[]){"--manifest", manifest, "--state", state, "authorize", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 2);
    ck_assert_msg(strstr(ERR(&r), "HUBSPOT_ACCESS_TOKEN") && strstr(ERR(&r), "access_token"), "%s", ERR(&r));
    ck_assert_str_eq(OUT(&r), "");
    run_free(&r);

    /* an empty variable is no token either */
    run_ochost(&r, (const char *[]){"--manifest", manifest, "--state", state, "usage", NULL},
               (const char *[]){"HUBSPOT_ACCESS_TOKEN=", NULL}, NULL);
    ck_assert_int_eq(r.code, 2);
    run_free(&r);
}
END_TEST

START_TEST(token_never_printed)
{
    struct run r;
    char cfg[PATH_MAX], state[PATH_MAX];
    snprintf(state, sizeof state, "%s/s.state", tmp);
    /* A refused loopback port and no retries: the call fails at once and
     * nothing leaves the machine. */
    write_file("ochost.conf",
               "access_token = " TOKEN "\nbase_url = http://127.0.0.1:1\nmax_retries = 0\n"
               "connect_timeout_ms = 500\n",
               0644, cfg, sizeof cfg);
    run_ochost(&r, (const char *[]){"-vv", "--manifest", manifest, "--config", cfg, "--state", state,
                                    "authorize", NULL},
               NULL, NULL);
    ck_assert_msg(r.code != 0, "authorize against a closed port cannot succeed");
    ck_assert_msg(!strstr(OUT(&r), TOKEN_PART), "stdout shows the token: %s", OUT(&r));
    ck_assert_msg(!strstr(ERR(&r), TOKEN_PART), "stderr shows the token: %s", ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "access_token = [hidden]"), "-v dumps the config redacted: %s", ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "chmod 600"), "a readable secret file is warned about: %s", ERR(&r));
    run_free(&r);

    /* from the environment too */
    run_ochost(&r, (const char *[]){"-vv", "--manifest", manifest, "--state", state, "authorize", NULL},
               (const char *[]){"HUBSPOT_ACCESS_TOKEN=" TOKEN, "HUBSPOT_BASE_URL=http://127.0.0.1:1", NULL},
               NULL);
    ck_assert_msg(r.code != 0, "authorize against a closed port cannot succeed");
    ck_assert_msg(!strstr(OUT(&r), TOKEN_PART) && !strstr(ERR(&r), TOKEN_PART), "token shown: %s%s", OUT(&r),
                  ERR(&r));
    run_free(&r);
}
END_TEST

START_TEST(config_errors_exit_2)
{
    struct run r;
    char cfg[PATH_MAX];
    write_file("bad.conf", "base_url = http://127.0.0.1:1\ndialy_budget = 5\n", 0600, cfg, sizeof cfg);
    run_ochost(&r, (const char *[]){"--manifest", manifest, "--config", cfg, "usage", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 2);
    ck_assert_msg(strstr(ERR(&r), "dialy_budget") && strstr(ERR(&r), "daily_budget"), "%s", ERR(&r));
    run_free(&r);
}
END_TEST

START_TEST(corrupt_state_exit_2)
{
    struct run r;
    char state[PATH_MAX];
    write_file("bad.state", "{\"cursor\": ", 0600, state, sizeof state);
    run_ochost(&r, (const char *[]){"--manifest", manifest, "--state", state, "usage", NULL},
               (const char *[]){"HUBSPOT_ACCESS_TOKEN=" TOKEN, NULL}, NULL);
    ck_assert_int_eq(r.code, 2);
    ck_assert_msg(strstr(ERR(&r), state) && strstr(ERR(&r), "move it aside"), "%s", ERR(&r));
    struct hs_buf after = HS_BUF_INIT;
    slurp(state, &after);
    ck_assert_str_eq(hs_buf_str(&after), "{\"cursor\": ");
    hs_buf_free(&after);
    run_free(&r);
}
END_TEST

/* A cassette whose one interaction nobody asks for: the replay must fail
 * the run (exit 7) with the server's report. */
START_TEST(fixtures_unused_interaction_exit_7)
{
    struct run r;
    char cas[PATH_MAX], state[PATH_MAX];
    snprintf(state, sizeof state, "%s/s.state", tmp);
    write_file("unused.json",
               "{\"version\": 1, \"scenario\": \"unused\", \"recorded_at\": \"2026-11-28T00:00:00Z\",\n"
               " \"interactions\": [ {\"request\": {\"method\": \"GET\", \"path\": \"/never/asked\"},\n"
               "   \"response\": {\"status\": 200, \"body\": {}}, \"fault\": null} ] }\n",
               0644, cas, sizeof cas);
    run_ochost(&r, (const char *[]){"--manifest", manifest, "--state", state, "--fixtures", cas, "usage", NULL},
               NULL, NULL);
    ck_assert_msg(r.code == 7, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "/never/asked"), "the report names the unused interaction: %s", ERR(&r));
    run_free(&r);
}
END_TEST

/* In fixture mode a run that stops early keeps its own exit code (its
 * cassette is then never fully used, which is reported but is not the
 * failure): a DYNAMIC list is 2, a plugin that cannot load is 8. */
START_TEST(fixtures_keep_the_commands_exit_code)
{
    struct run r;
    char state[PATH_MAX], input[PATH_MAX], bad[PATH_MAX], dir[PATH_MAX], cas[PATH_MAX];
    snprintf(state, sizeof state, "%s/s.state", tmp);
    write_file("one.jsonl", "{\"email\":\"ann@example.com\"}\n", 0644, input, sizeof input);
    /* A folder of cassettes, as --fixtures takes: push-dynamic's list check
     * plays first (name order), push-single's interactions stay unused. */
    snprintf(dir, sizeof dir, "%s/fx", tmp);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    const char *const cassettes[] = {"push-dynamic.json", "push-single.json"};
    for(size_t i = 0; i < 2; i++) {
        struct hs_buf text = HS_BUF_INIT;
        char src[PATH_MAX];
        snprintf(src, sizeof src, "fixtures/hubspot/%s", cassettes[i]);
        slurp(src, &text);
        snprintf(src, sizeof src, "fx/%s", cassettes[i]);
        write_file(src, hs_buf_str(&text), 0644, cas, sizeof cas);
        hs_buf_free(&text);
    }
    run_ochost(&r, (const char *[]){"--manifest", manifest, "--state", state, "--fixtures", dir, "push", "--list",
                                    "4242", "--input", input, NULL},
               NULL, NULL);
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "DYNAMIC"), "the list error is printed: %s", ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "stopped early (exit 2)") && strstr(ERR(&r), "push-single"),
                  "the unused interactions are still reported: %s", ERR(&r));
    ck_assert_str_eq(OUT(&r), "");
    run_free(&r);

    /* the manifest parses, the fixtures start, then the library is missing */
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
    run_free(&r);
}
END_TEST

/* A replay without --state must not touch the real state file: fixture
 * cursors and fixture calls in usage would mislead later real runs. */
START_TEST(fixtures_leave_the_default_state_alone)
{
    struct run r;
    struct stat before, after;
    int had = stat("ochost.state", &before) == 0;
    run_ochost(&r, (const char *[]){"--manifest", manifest, "--fixtures",
                                    "fixtures/hubspot/authorize-ok.json", "authorize", NULL},
               NULL, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, ERR(&r));
    int has = stat("ochost.state", &after) == 0;
    ck_assert_msg(had == has, "ochost.state %s by a fixture run", has ? "created" : "removed");
    if(had)
        ck_assert(before.st_mtime == after.st_mtime && before.st_size == after.st_size);
    run_free(&r);
}
END_TEST

/* A request the cassette does not hold got a 599 no HubSpot sends: the
 * run's own outcome means nothing then, so it is 7 whatever it was. */
START_TEST(fixtures_unmatched_request_exit_7)
{
    struct run r;
    char state[PATH_MAX], input[PATH_MAX];
    snprintf(state, sizeof state, "%s/s.state", tmp);
    write_file("one.jsonl", "{\"email\":\"ann@example.com\"}\n", 0644, input, sizeof input);
    run_ochost(&r, (const char *[]){"--manifest", manifest, "--state", state, "--fixtures",
                                    "fixtures/hubspot/push-dynamic.json", "push", "--list", "99", "--input", input,
                                    NULL},
               NULL, NULL);
    ck_assert_msg(r.code == 7, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "did not match the fixtures") && strstr(ERR(&r), "/crm/v3/lists/99"), "%s",
                  ERR(&r));
    run_free(&r);
}
END_TEST

/* Another ochost holds the state file's lock: wait (briefly, here), then
 * exit 2 saying so, without touching the file. */
START_TEST(state_in_use_exit_2)
{
    struct run r;
    char state[PATH_MAX], lock[PATH_MAX + 8];
    write_file("busy.state", "{\"k\": \"v\"}\n", 0600, state, sizeof state);
    snprintf(lock, sizeof lock, "%s.lock", state);
    int fd = open(lock, O_RDWR | O_CREAT, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
    run_ochost(&r, (const char *[]){"--manifest", manifest, "--state", state, "usage", NULL},
               (const char *[]){"HUBSPOT_ACCESS_TOKEN=" TOKEN, "OCHOST_STATE_LOCK_WAIT_MS=150", NULL}, NULL);
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "another ochost is using state file") && strstr(ERR(&r), state), "%s",
                  ERR(&r));
    ck_assert_str_eq(OUT(&r), "");
    run_free(&r);
    close(fd); /* released: the next run goes ahead */
    run_ochost(&r, (const char *[]){"--manifest", manifest, "--state", state, "usage", NULL},
               (const char *[]){"HUBSPOT_ACCESS_TOKEN=" TOKEN, "OCHOST_STATE_LOCK_WAIT_MS=150", NULL}, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, ERR(&r));
    run_free(&r);
}
END_TEST

/* A 404 outside lookup is a configuration error (2), not "lookup found
 * nothing" (3): from the plugin's pull, and from any other plugin path
 * that reports NOT_FOUND (authorize here). */
START_TEST(not_found_outside_lookup_exit_2)
{
    struct run r;
    char state[PATH_MAX], cas[PATH_MAX];
    snprintf(state, sizeof state, "%s/s.state", tmp);
    run_ochost(&r, (const char *[]){"--manifest", manifest, "--state", state, "--fixtures",
                                    "fixtures/hubspot/pull-endpoint-gone.json", "pull", "--since",
                                    "2026-11-27T23:00:00Z", NULL},
               NULL, NULL);
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "404"), "%s", ERR(&r));
    run_free(&r);

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
    run_ochost(&r, (const char *[]){"--manifest", manifest, "--state", state, "--fixtures", cas, "authorize", NULL},
               NULL, NULL);
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, ERR(&r));
    run_free(&r);
}
END_TEST

/* No email column: exit 2 before any HubSpot call (an empty cassette
 * would turn any call into an unmatched request, exit 7). */
START_TEST(push_without_email_column_exit_2)
{
    struct run r;
    char cas[PATH_MAX], state[PATH_MAX], input[PATH_MAX];
    snprintf(state, sizeof state, "%s/s.state", tmp);
    write_file("empty.json",
               "{\"version\": 1, \"scenario\": \"empty\", \"recorded_at\": \"2026-11-28T00:00:00Z\", "
               "\"interactions\": []}\n",
               0644, cas, sizeof cas);
    write_file("people.csv", "name,mail\nAnn,a@example.com\n", 0644, input, sizeof input);
    run_ochost(&r, (const char *[]){"--manifest", manifest, "--state", state, "--fixtures", cas, "push", "--list",
                                    "7", "--input", input, NULL},
               NULL, NULL);
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "email column") && strstr(ERR(&r), "people.csv"), "%s", ERR(&r));
    ck_assert_str_eq(OUT(&r), "");
    run_free(&r);

    /* the same from stdin */
    run_ochost(&r, (const char *[]){"--manifest", manifest, "--state", state, "--fixtures", cas, "push", "--list",
                                    "7", NULL},
               NULL, input);
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "stdin"), "%s", ERR(&r));
    run_free(&r);
}
END_TEST

/* Whole runs on the bundled cassettes: output lines, summary, exit codes. */
START_TEST(replays_bundled_cassettes)
{
    struct run r;
    char state[PATH_MAX], input[PATH_MAX];
    snprintf(state, sizeof state, "%s/s.state", tmp);

    run_ochost(&r, (const char *[]){"--manifest", manifest, "--state", state, "--fixtures",
                                    "fixtures/hubspot/authorize-ok.json", "authorize", NULL},
               (const char *[]){"HUBSPOT_ACCESS_TOKEN=not-used-in-fixture-mode", NULL}, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(OUT(&r), "portal id: ") && strstr(OUT(&r), "time zone: "), "%s", OUT(&r));
    run_free(&r);

    unlink(state);
    run_ochost(&r, (const char *[]){"--manifest", manifest, "--state", state, "--fixtures",
                                    "fixtures/hubspot/lookup-not-found.json", "lookup", "--email",
                                    "nobody@example.com", NULL},
               NULL, NULL);
    ck_assert_msg(r.code == 3, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(OUT(&r), "\"query\":\"nobody@example.com\"") && strstr(OUT(&r), "\"status\":\"not_found\""),
                  "%s", OUT(&r));
    run_free(&r);

    unlink(state);
    write_file("members.jsonl",
               "{\"email\":\"ann@example.com\"}\n{\"email\":\"bob@example.com\"}\n{\"email\":\"cy@example.com\"}\n",
               0644, input, sizeof input);
    run_ochost(&r, (const char *[]){"--manifest", manifest, "--state", state, "--fixtures",
                                    "fixtures/hubspot/push-already.json", "push", "--list", "4242", NULL},
               NULL, input);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, ERR(&r));
    int lines = 0;
    for(const char *p = OUT(&r); (p = strstr(p, "\"status\":\"already_member\"")); p++)
        lines++;
    ck_assert_msg(lines == 3, "%s", OUT(&r));
    ck_assert_msg(strstr(ERR(&r), "0 added, 3 already members, 0 failed"), "summary: %s", ERR(&r));
    /* the state file now holds the plugin's usage, and stays valid JSON text */
    struct hs_buf st = HS_BUF_INIT;
    slurp(state, &st);
    ck_assert_msg(st.len && hs_buf_str(&st)[0] == '{', "%s", hs_buf_str(&st));
    hs_buf_free(&st);
    run_free(&r);
}
END_TEST

START_TEST(demo_without_fixtures_folder)
{
    struct run r;
    run_ochost(&r, (const char *[]){"--manifest", manifest, "demo", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 2);
    ck_assert_msg(strstr(ERR(&r), "fixtures/hubspot/demo") && strstr(ERR(&r), "missing"), "%s", ERR(&r));
    run_free(&r);
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
    suite_add_tcase(s, tc);
    return s;
}
