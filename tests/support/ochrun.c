/* ochrun.c - run the built ochost as a process; see ochrun.h. */
#include "tests/support/ochrun.h"

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/apiver.h"

extern char **environ;

void ochrun_slurp(const char *path, struct kit_buf *b)
{
    FILE *f = fopen(path, "rb");
    char chunk[4096];
    size_t n;
    ck_assert_msg(f != NULL, "cannot read %s", path);
    while((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        kit_buf_append(b, chunk, n);
    fclose(f);
    kit_buf_putc(b, '\0');
    b->len--;
}

int ochrun_strace(const struct ochrun_env *e, struct ochrun_env *traced, const char *name)
{
    if(system("strace -o /dev/null true >/dev/null 2>&1") != 0) {
        fprintf(stderr, "%s: skipped: strace is not installed or cannot trace here\n", name);
        return -1;
    }
    *traced = *e;
    snprintf(traced->ochost, sizeof traced->ochost, "%s", "/usr/bin/strace");
    if(access(traced->ochost, X_OK) != 0)
        snprintf(traced->ochost, sizeof traced->ochost, "%s", "/bin/strace");
    return 0;
}

size_t ochrun_count(const char *path, const char *needle)
{
    struct kit_buf text = KIT_BUF_INIT;
    size_t n = 0;
    ochrun_slurp(path, &text);
    for(const char *p = kit_buf_str(&text); (p = strstr(p, needle)); p++)
        n++;
    kit_buf_free(&text);
    return n;
}

void ochrun_write_file(const struct ochrun_env *e, const char *name, const char *text, mode_t mode,
                       char *path_out, size_t size)
{
    snprintf(path_out, size, "%s/%s", e->tmp, name);
    FILE *f = fopen(path_out, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    chmod(path_out, mode);
}

void ochrun_setup(struct ochrun_env *e)
{
    const char *build = getenv("OC_BUILD");
    char rel[PATH_MAX], lib[PATH_MAX];
    memset(e, 0, sizeof *e);
    strcpy(e->tmp, "/tmp/check_ochost_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(e->tmp));
    snprintf(rel, sizeof rel, "%s/ochost", build && *build ? build : "build");
    ck_assert_msg(realpath(rel, e->ochost), "%s is not built", rel);
    snprintf(rel, sizeof rel, "%s/libonecount_hubspot.so", build && *build ? build : "build");
    if(!realpath(rel, lib)) { /* not built: let the loader's message say so */
        char cwd[PATH_MAX];
        ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
        snprintf(lib, sizeof lib, "%.2000s/%.2000s", cwd, rel);
    }
    /* The repository's manifest, pointed at this build's plugin. */
    FILE *in = fopen("plugin.manifest", "r");
    ck_assert_ptr_nonnull(in);
    struct kit_buf m = KIT_BUF_INIT;
    char line[1024];
    while(fgets(line, sizeof line, in)) {
        if(strncmp(line, "library", 7) == 0)
            kit_buf_printf(&m, "library = %s\n", lib);
        else
            kit_buf_puts(&m, line);
    }
    fclose(in);
    ochrun_write_file(e, "plugin.manifest", kit_buf_str(&m), 0644, e->manifest, sizeof e->manifest);
    kit_buf_free(&m);
}

void ochrun_teardown(struct ochrun_env *e)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->tmp);
    ck_assert_int_eq(system(cmd), 0);
}

/* Variables that would point a run somewhere the test did not choose. */
static int inherited(const char *v)
{
    static const char *const drop[] = {"HUBSPOT_", "OCHOST_", "http_proxy=", "https_proxy=", "HTTP_PROXY=",
                                       "HTTPS_PROXY=", "ALL_PROXY=", "all_proxy=", "NO_PROXY=", "no_proxy=",
                                       "GNUTLS_NO_IMPLICIT_INIT="};
    for(size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
        if(strncmp(v, drop[i], strlen(drop[i])) == 0)
            return 0;
    return 1;
}

/* The value of global option name ("--fixtures") in args: its index
 * and whether it came as "--name=value" (else the next argument). */
static int find_option(const char *const *args, const char *name, int *inline_value)
{
    size_t n = strlen(name);
    for(int i = 0; args[i]; i++) {
        if(strcmp(args[i], name) == 0 && args[i + 1]) {
            *inline_value = 0;
            return i + 1;
        }
        if(strncmp(args[i], name, n) == 0 && args[i][n] == '=') {
            *inline_value = 1;
            return i;
        }
    }
    return -1;
}

static const char *option_value(const char *arg, int inline_value)
{
    return inline_value ? strchr(arg, '=') + 1 : arg;
}

/* Whether the run's manifest (ochost's default: ./plugin.manifest) lists
 * the option: a test plugin, or a manifest a test cut down, would refuse
 * it as an unknown key. */
static int manifest_takes_api_version(const char *const *args)
{
    int inl = 0;
    int m = find_option(args, "--manifest", &inl);
    const char *path = m >= 0 ? option_value(args[m], inl) : "plugin.manifest";
    char line[2048];
    int takes = 0;
    FILE *f = fopen(path, "r");
    while(f && !takes && fgets(line, sizeof line, f)) {
        const char *at = strstr(line, "api_version");
        takes = strncmp(line, "options", 7) == 0 && at && strchr(",= \t", at[-1]) &&
                strchr(",*\r\n \t", at[11]);
    }
    if(f)
        fclose(f);
    return takes;
}

/* Where a config of the run's own goes: before its first global option,
 * which is where ochost's arguments begin even when the run's binary is
 * a wrapper (strace) given ochost as an argument. */
static int first_global(const char *const *args)
{
    static const char *const globals[] = {"--manifest", "--state", "--fixtures", "-q", "-v"};
    for(int i = 0; args[i]; i++)
        for(size_t g = 0; g < sizeof globals / sizeof globals[0]; g++) {
            size_t n = strlen(globals[g]);
            if(strncmp(args[i], globals[g], n) == 0 && (args[i][n] == '\0' || args[i][n] == '='))
                return i;
        }
    return 0;
}

/* A run that talks to HubSpot (a replay, or a stand-in named by
 * HUBSPOT_BASE_URL) under a dated OC_TEST_API_VERSION: ochost may not
 * know the plugin's path table, so the test side moves the cassette's
 * paths (apiver.h) and hands the plugin api_version through the config,
 * the way a user switches. argv gets the arguments, changed or not;
 * the two buffers hold the new values until the spawn. */
static int dated_args(const struct ochrun_env *e, const char *const *args, const char *const *env_add,
                      char **argv, int cap, struct kit_buf *cassette, struct kit_buf *config)
{
    int argc = 0, fx_inline = 0, cf_inline = 0;
    int fx = find_option(args, "--fixtures", &fx_inline);
    int cf = find_option(args, "--config", &cf_inline);
    int talks = fx >= 0, own_config = -1;
    for(int i = 0; env_add && env_add[i]; i++)
        talks |= strncmp(env_add[i], "HUBSPOT_BASE_URL=", 17) == 0;
    talks = talks && apiver() != HS_API_V3 && manifest_takes_api_version(args);
    if(talks && fx >= 0) {
        if(fx_inline)
            kit_buf_puts(cassette, "--fixtures=");
        if(apiver_cassette_copy(option_value(args[fx], fx_inline), e->tmp, cassette))
            kit_buf_reset(cassette);
    }
    if(talks && cf >= 0) {
        if(cf_inline)
            kit_buf_puts(config, "--config=");
        if(apiver_config_copy(option_value(args[cf], cf_inline), e->tmp, config))
            kit_buf_reset(config);
    } else if(talks && !apiver_config_copy(NULL, e->tmp, config)) {
        own_config = first_global(args);
    }
    ck_assert_msg(kit_buf_ok(cassette) && kit_buf_ok(config), "out of memory");
    for(int i = 0; args[i] && argc < cap - 2; i++) {
        if(i == own_config) {
            argv[argc++] = "--config";
            argv[argc++] = (char *)kit_buf_str(config);
        }
        if(i == fx && cassette->len)
            argv[argc++] = (char *)kit_buf_str(cassette);
        else if(i == cf && config->len)
            argv[argc++] = (char *)kit_buf_str(config);
        else
            argv[argc++] = (char *)args[i];
    }
    return argc;
}

pid_t ochrun_start(const struct ochrun_env *e, const char *const *args, const char *const *env_add,
                   const struct ochrun_opts *o)
{
    static const struct ochrun_opts none;
    char outp[128], errp[128];
    char *argv[64], *envp[512];
    int argc = 0, envc = 0;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    pid_t pid;

    o = o ? o : &none;
    snprintf(outp, sizeof outp, "%s/stdout", e->tmp);
    snprintf(errp, sizeof errp, "%s/stderr", e->tmp);
    struct kit_buf cassette = KIT_BUF_INIT, config = KIT_BUF_INIT;
    argv[argc++] = (char *)e->ochost;
    argc += dated_args(e, args, env_add, argv + argc, 63 - argc, &cassette, &config);
    argv[argc] = NULL;
    for(char **v = environ; *v && envc < 480; v++)
        if(inherited(*v))
            envp[envc++] = *v;
    int xdg_given = getenv("XDG_STATE_HOME") != NULL;
    for(int i = 0; env_add && env_add[i] && envc < 510; i++) {
        xdg_given |= strncmp(env_add[i], "XDG_STATE_HOME=", 15) == 0;
        envp[envc++] = (char *)env_add[i];
    }
    /* A run without --state keeps its state in the test's folder, never
     * in the real home. */
    char xdg[128];
    snprintf(xdg, sizeof xdg, "XDG_STATE_HOME=%s/xdg", e->tmp);
    if(!xdg_given && envc < 510)
        envp[envc++] = xdg;
    envp[envc] = NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, o->stdin_path ? o->stdin_path : "/dev/null", O_RDONLY, 0);
    if(o->stdout_fd > 0)
        posix_spawn_file_actions_adddup2(&fa, o->stdout_fd, 1);
    else
        posix_spawn_file_actions_addopen(&fa, 1, o->stdout_path ? o->stdout_path : outp,
                                         O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    /* Start from known dispositions whatever the test runner inherited. */
    sigset_t def, empty;
    sigemptyset(&def);
    sigemptyset(&empty);
    sigaddset(&def, SIGINT);
    sigaddset(&def, SIGTERM);
    if(!o->ignore_sigpipe)
        sigaddset(&def, SIGPIPE);
    posix_spawnattr_init(&at);
    posix_spawnattr_setsigdefault(&at, &def);
    posix_spawnattr_setsigmask(&at, &empty);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    /* An ignored disposition survives exec; set it in this process only
     * for the instant of the spawn. */
    struct sigaction ign, old;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    if(o->ignore_sigpipe)
        sigaction(SIGPIPE, &ign, &old);
    int rc = posix_spawn(&pid, e->ochost, &fa, &at, argv, envp);
    if(o->ignore_sigpipe)
        sigaction(SIGPIPE, &old, NULL);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    kit_buf_free(&cassette);
    kit_buf_free(&config);
    ck_assert_int_eq(rc, 0);
    return pid;
}

void ochrun_wait(const struct ochrun_env *e, pid_t pid, const struct ochrun_opts *o, struct ochrun *r)
{
    char path[128];
    int status;
    memset(r, 0, sizeof *r);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    r->code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if(!o || (!o->stdout_path && o->stdout_fd <= 0)) {
        snprintf(path, sizeof path, "%s/stdout", e->tmp);
        ochrun_slurp(path, &r->out);
    } else
        kit_buf_puts(&r->out, "");
    snprintf(path, sizeof path, "%s/stderr", e->tmp);
    ochrun_slurp(path, &r->err);
}

void ochrun(const struct ochrun_env *e, struct ochrun *r, const char *const *args, const char *const *env_add,
            const struct ochrun_opts *o)
{
    ochrun_wait(e, ochrun_start(e, args, env_add, o), o, r);
}

void ochrun_free(struct ochrun *r)
{
    kit_buf_free(&r->out);
    kit_buf_free(&r->err);
}
