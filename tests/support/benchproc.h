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
    long waits;         /* voluntary context switches: times it slept waiting */
};

/* Wait for child pid (retrying on EINTR) and fill u. 0, or -1 when the
 * wait failed (u->code is then -1). The peak RSS is not the child's own
 * when it was fork(2)ed from a larger benchmark (see tests/rusage_run.c):
 * measure runs through bench_runner. */
int bench_wait(pid_t pid, struct bench_usage *u);

/* The argv words that run a program through $OC_BUILD/rusage_run, which
 * writes the program's own figures to out_path (kept by the caller):
 * words[0..2) = {runner, out_path}, then the program and its arguments.
 * runner (size bytes) receives the runner's path. 0, or -1 when it is
 * not built. */
int bench_runner(char *runner, size_t size);
/* Replace u's figures with what rusage_run wrote to path (its exit code
 * kept when the file has none). 0, or -1 when the file is missing or
 * malformed. */
int bench_runner_read(const char *path, struct bench_usage *u);

#endif
