/*
 * benchproc.h - the built ochost as a real child process of a benchmark:
 * a scratch folder with the repository's manifest pointed at this build's
 * plugin, a clean environment for the child, and what wait4(2) says the
 * child cost (CPU, peak RSS).
 *
 * The build is $OC_BUILD (default "build"), as for the test suites. No
 * Check asserts, so benchmarks link it.
 */
#ifndef BENCHPROC_H
#define BENCHPROC_H

#include <limits.h>
#include <sys/types.h>

/* The caller's struct; the folder on disk is removed by bench_ochost_free. */
struct bench_ochost {
    char dir[64];              /* the scratch folder, for the run's files */
    char ochost[PATH_MAX];     /* the built ochost, absolute */
    char manifest[PATH_MAX + 32]; /* dir/plugin.manifest */
};

/* Make /tmp/<name>.XXXXXX and write the manifest there. 0, or -1 (what
 * is missing: the build or plugin.manifest in the working folder). */
int bench_ochost_init(struct bench_ochost *b, const char *name);

/* Remove the scratch folder and everything in it (complaint on stderr if
 * that fails). */
void bench_ochost_free(struct bench_ochost *b);

/* Write text to path, replacing it. 0, or -1. */
int bench_write_text(const char *path, const char *text);

/* In a forked child before exec: drop the variables through which the
 * benchmark's own environment would change what ochost does (its
 * defaults, proxies, the HubSpot base URL and token, which the caller
 * sets after). */
void bench_child_clean_env(void);

/* What a finished child cost. */
struct bench_usage {
    int code;           /* exit status, -1 when killed by a signal */
    double user_s, sys_s;
    long maxrss_kb;
};

/* Wait for child pid (retrying on EINTR) and fill u. 0, or -1 when the
 * wait failed (u->code is then -1). */
int bench_wait(pid_t pid, struct bench_usage *u);

#endif
