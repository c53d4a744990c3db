#include "tests/support/benchproc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugin/buf.h"

int bench_write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if(!f)
        return -1;
    int rc = fputs(text, f) < 0;
    rc |= fclose(f) != 0;
    return rc ? -1 : 0;
}

int bench_ochost_init(struct bench_ochost *b, const char *name)
{
    const char *build = getenv("OC_BUILD");
    char rel[PATH_MAX], lib[PATH_MAX];
    snprintf(b->dir, sizeof b->dir, "/tmp/%.40s.XXXXXX", name);
    if(!mkdtemp(b->dir))
        return -1;
    snprintf(rel, sizeof rel, "%s/ochost", build && *build ? build : "build");
    if(!realpath(rel, b->ochost))
        return -1;
    snprintf(rel, sizeof rel, "%s/libonecount_hubspot.so", build && *build ? build : "build");
    if(!realpath(rel, lib))
        return -1;
    FILE *in = fopen("plugin.manifest", "r");
    if(!in)
        return -1;
    struct kit_buf m = KIT_BUF_INIT;
    char line[1024];
    while(fgets(line, sizeof line, in)) {
        if(!strncmp(line, "library", 7))
            kit_buf_printf(&m, "library = %s\n", lib);
        else
            kit_buf_puts(&m, line);
    }
    fclose(in);
    snprintf(b->manifest, sizeof b->manifest, "%s/plugin.manifest", b->dir);
    int rc = kit_buf_ok(&m) ? bench_write_text(b->manifest, kit_buf_str(&m)) : -1;
    kit_buf_free(&m);
    return rc;
}

void bench_ochost_free(struct bench_ochost *b)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", b->dir);
    if(system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", b->dir);
}

void bench_child_clean_env(void)
{
    static const char *const drop[] = {"OCHOST_VIRTUAL_CLOCK_MS", "OCHOST_MANIFEST", "OCHOST_STATE",
                                       "OCHOST_CONFIG", "http_proxy", "https_proxy", "HTTP_PROXY",
                                       "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "HUBSPOT_BASE_URL",
                                       "HUBSPOT_ACCESS_TOKEN"};
    for(size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
        unsetenv(drop[i]);
}

static double seconds(struct timeval tv) { return (double)tv.tv_sec + tv.tv_usec / 1e6; }

int bench_runner(char *runner, size_t size)
{
    const char *build = getenv("OC_BUILD") && *getenv("OC_BUILD") ? getenv("OC_BUILD") : "build";
    snprintf(runner, size, "%s/rusage_run", build);
    return access(runner, X_OK) == 0 ? 0 : -1;
}

int bench_runner_read(const char *path, struct bench_usage *u)
{
    FILE *f = fopen(path, "r");
    struct bench_usage got = {0};
    int n = f ? fscanf(f, "%d %lf %lf %ld %ld", &got.code, &got.user_s, &got.sys_s, &got.maxrss_kb, &got.waits) : 0;
    if(f)
        fclose(f);
    if(n != 5)
        return -1;
    *u = got;
    return 0;
}

int bench_wait(pid_t pid, struct bench_usage *u)
{
    memset(u, 0, sizeof *u);
    u->code = -1;
    int status = 0;
    struct rusage ru;
    while(wait4(pid, &status, 0, &ru) < 0)
        if(errno != EINTR)
            return -1;
    u->code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    u->user_s = seconds(ru.ru_utime);
    u->sys_s = seconds(ru.ru_stime);
    u->maxrss_kb = ru.ru_maxrss;
    u->waits = ru.ru_nvcsw;
    return 0;
}
