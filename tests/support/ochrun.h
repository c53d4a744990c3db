/*
 * ochrun.h - run the built ochost ($OC_BUILD/ochost) the way a user does:
 * a real process with real descriptors, for tests that need pipes,
 * signals, /dev/full, symlinks or a full disk.
 *
 * ochrun_setup makes a fresh folder (e->tmp) with a manifest pointing at
 * this build's plugin (e->manifest); ochrun_teardown removes the folder.
 * The environment a run gets is the test's own minus every HUBSPOT_*,
 * http_proxy-like and OCHOST_* variable, plus env_add. Everything is
 * checked with ck_assert, so these are for Check tests only.
 *
 * Under a dated OC_TEST_API_VERSION (apiver.h), a run that talks to
 * HubSpot (--fixtures, or HUBSPOT_BASE_URL in env_add) gets a copy of its
 * cassette with the table's paths moved to that version and
 * "api_version = <version>" added to its config (a copy of --config, or
 * one of its own), both under e->tmp/apiver/; so every ochost test runs
 * on either version unchanged. A config that names api_version itself,
 * and a cassette or config that cannot be read, are passed as given.
 */
#ifndef OCHRUN_H
#define OCHRUN_H

#include <stddef.h>
#include <sys/types.h>

#include "plugin/buf.h"

struct ochrun_env {
    char tmp[64];         /* the test's folder, no trailing slash */
    char ochost[4096];    /* absolute path of the binary */
    char manifest[4200];  /* tmp/plugin.manifest */
};

/* A finished run: exit code (or -1 and the signal when killed), stdout
 * and stderr as text (owned; ochrun_free releases them). */
struct ochrun {
    int code;
    int signal;
    struct kit_buf out, err;
};

/* How a run is wired. Zero means: stdin /dev/null, stdout and stderr
 * captured to files in tmp, default signal dispositions. */
struct ochrun_opts {
    const char *stdin_path;  /* a file to read as stdin */
    const char *stdout_path; /* write stdout here instead (e.g. /dev/full); not captured */
    int stdout_fd;           /* >0: use this descriptor as stdout instead (a pipe end) */
    int ignore_sigpipe;      /* start ochost with SIGPIPE ignored, as some shells do */
};

void ochrun_setup(struct ochrun_env *e);
void ochrun_teardown(struct ochrun_env *e);

/* Write text to e->tmp/name with mode; the full path goes to path_out. */
void ochrun_write_file(const struct ochrun_env *e, const char *name, const char *text, mode_t mode,
                       char *path_out, size_t size);

/* Read a whole file into b (appended, NUL-terminated beyond len). */
void ochrun_slurp(const char *path, struct kit_buf *b);

/* strace in place of ochost: *traced becomes e with strace as its
 * program, so a run's args are strace's options, then e->ochost and its
 * own; its env should carry ASAN_OPTIONS=detect_leaks=0 (LeakSanitizer
 * cannot run under ptrace; a sanitizer build's leaks are checked by every
 * other run). 0, or -1 when strace is missing or cannot trace here: a
 * line on stderr then says test `name` is skipped, and the caller
 * returns. */
int ochrun_strace(const struct ochrun_env *e, struct ochrun_env *traced, const char *name);
/* Occurrences of needle in the file at path (a trace). */
size_t ochrun_count(const char *path, const char *needle);

/* Start ochost with args (NULL-terminated, without argv[0]) and env_add
 * (NAME=value strings, NULL-terminated, may be NULL). Returns the pid;
 * finish with ochrun_wait. o may be NULL. */
pid_t ochrun_start(const struct ochrun_env *e, const char *const *args, const char *const *env_add,
                   const struct ochrun_opts *o);

/* Wait for pid started by ochrun_start and fill r (stdout is read back
 * only when it went to the capture file). */
void ochrun_wait(const struct ochrun_env *e, pid_t pid, const struct ochrun_opts *o, struct ochrun *r);

/* ochrun_start then ochrun_wait. */
void ochrun(const struct ochrun_env *e, struct ochrun *r, const char *const *args, const char *const *env_add,
            const struct ochrun_opts *o);

void ochrun_free(struct ochrun *r);

#define OCHRUN_OUT(r) kit_buf_str(&(r)->out)
#define OCHRUN_ERR(r) kit_buf_str(&(r)->err)

#endif
