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
                                       "HTTPS_PROXY=", "ALL_PROXY=", "all_proxy=", "NO_PROXY=", "no_proxy="};
    for(size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
        if(strncmp(v, drop[i], strlen(drop[i])) == 0)
            return 0;
    return 1;
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
    argv[argc++] = (char *)e->ochost;
    for(int i = 0; args[i] && argc < 63; i++)
        argv[argc++] = (char *)args[i];
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
