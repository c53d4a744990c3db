/* check_boundary.c - where ochost meets the operating system: stdout that
 * fails (a full disk, a reader that goes away), the state file's path,
 * its writability and modes, core dumps. Every test runs the built ochost
 * as a real process (tests/support/ochrun.h) against generated cassettes. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixtures/record.h"
#include "fixtures/replay.h"
#include "plugin/buf.h"
#include "tests/support/ochrun.h"

#define TOKEN "pat-na1-" "00000000-0000-4000-8000-000000000000"

static struct ochrun_env E;

static void setup(void) { ochrun_setup(&E); }
static void teardown(void) { ochrun_teardown(&E); }

#define OUT(r) OCHRUN_OUT(r)
#define ERR(r) OCHRUN_ERR(r)

/* ---- a paged pull, generated ------------------------------------------ */

/* The cassettes' clock (recorded_at) and the pull's --since: one window of
 * an hour, paged PAGE events at a time. */
#define NOW_MS INT64_C(1795824000000) /* 2026-11-28T00:00:00Z */
#define NOW_ISO "2026-11-28T00:00:00Z"
#define SINCE_MS INT64_C(1795820400000)
#define SINCE_ISO "2026-11-27T23:00:00Z"
#define LOOKBACK_MS INT64_C(600000)
#define PAGE 100
#define PAGES 6
#define EVENTS (PAGE * PAGES)

static void page_interaction(struct kit_buf *b, int page)
{
    kit_buf_printf(b,
                  "{\"request\": {\"method\": \"GET\", \"path\": \"/email/public/v1/events\", \"query\": "
                  "{\"startTimestamp\": \"%lld\", \"endTimestamp\": \"%lld\", \"limit\": \"1000\"",
                  (long long)SINCE_MS, (long long)NOW_MS);
    if(page)
        kit_buf_printf(b, ", \"offset\": \"o%d\"", page);
    kit_buf_puts(b, "}},\n \"response\": {\"status\": 200, \"body\": {\"events\": [\n");
    for(int j = 0; j < PAGE; j++) {
        int n = page * PAGE + j;
        /* newest first, as HubSpot pages; all inside the lookback */
        kit_buf_printf(b,
                      "%s  {\"id\": \"bnd-%04d\", \"created\": %lld, \"type\": \"OPEN\", \"recipient\": "
                      "\"u%04d@example.com\", \"emailCampaignId\": 7, \"portalId\": 62515, \"appName\": "
                      "\"BatchEmail\", \"deviceType\": \"COMPUTER\"}",
                      j ? ",\n" : "", n, (long long)(NOW_MS - 1000 - (int64_t)n * 900), n);
    }
    if(page + 1 < PAGES)
        kit_buf_printf(b, "], \"hasMore\": true, \"offset\": \"o%d\"}}, \"fault\": null}", page + 1);
    else
        kit_buf_puts(b, "], \"hasMore\": false}}, \"fault\": null}");
}

/* A cassette with the window's pages from `first` on; with_lookback adds
 * the lookback window a rerun reads once the resumed window is done. */
static void write_pull_cassette(const char *name, int first, int with_lookback, char *path, size_t size)
{
    struct kit_buf b = KIT_BUF_INIT;
    kit_buf_printf(&b, "{\"version\": 1, \"scenario\": \"boundary-pull\", \"recorded_at\": \"%s\",\n"
                      " \"interactions\": [\n", NOW_ISO);
    for(int p = first; p < PAGES; p++) {
        if(p > first)
            kit_buf_puts(&b, ",\n");
        page_interaction(&b, p);
    }
    if(with_lookback)
        kit_buf_printf(&b,
                      ",\n{\"request\": {\"method\": \"GET\", \"path\": \"/email/public/v1/events\", \"query\": "
                      "{\"startTimestamp\": \"%lld\", \"endTimestamp\": \"%lld\", \"limit\": \"1000\"}},\n"
                      " \"response\": {\"status\": 200, \"body\": {\"events\": [], \"hasMore\": false}}, "
                      "\"fault\": null}",
                      (long long)(NOW_MS - LOOKBACK_MS), (long long)NOW_MS);
    kit_buf_puts(&b, "\n]}\n");
    ck_assert(kit_buf_ok(&b));
    ochrun_write_file(&E, name, kit_buf_str(&b), 0644, path, size);
    kit_buf_free(&b);
}

/* Count each event id in text (JSON Lines) into seen[]; every line must be
 * one whole email_event record. Returns the number of lines. */
static int count_events(const char *text, int *seen)
{
    static const char head[] = "{\"kind\":\"email_event\",\"id\":\"bnd-";
    int lines = 0;
    for(const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        ck_assert_msg(nl != NULL, "a torn last line: %s", p);
        ck_assert_msg(strncmp(p, head, sizeof head - 1) == 0 && nl[-1] == '}', "not a whole record: %.*s",
                      (int)(nl - p), p);
        int n = atoi(p + sizeof head - 1);
        ck_assert_int_ge(n, 0);
        ck_assert_int_lt(n, EVENTS);
        seen[n]++;
        lines++;
        p = nl + 1;
    }
    return lines;
}

static void assert_each_once(const int *seen)
{
    for(int i = 0; i < EVENTS; i++)
        ck_assert_msg(seen[i] == 1, "event bnd-%04d came out %d times", i, seen[i]);
}

static void pull_args(const char **argv, const char *state, const char *cassette)
{
    const char *a[] = {"--manifest", E.manifest, "--state", state, "--fixtures", cassette, "pull", "--since",
                       SINCE_ISO, NULL};
    memcpy(argv, a, sizeof a);
}

/* The rerun after a stop with `written` records out: it refetches the
 * page the stop was in and must emit exactly the rest, exit 0, with every
 * interaction of its cassette used. */
static void rerun_emits_the_rest(const char *state, int written, int *seen)
{
    char cas[PATH_MAX], out[PATH_MAX];
    const char *argv[12];
    struct ochrun r;
    write_pull_cassette("rerun.json", written / PAGE, 1, cas, sizeof cas);
    snprintf(out, sizeof out, "%s/rerun.jsonl", E.tmp);
    pull_args(argv, state, cas);
    ochrun(&E, &r, argv, NULL, NULL);
    ck_assert_msg(r.code == 0, "rerun exit %d: %s", r.code, ERR(&r));
    ck_assert_int_eq(count_events(OUT(&r), seen), EVENTS - written);
    assert_each_once(seen);
    ochrun_free(&r);
}

/* The message a user sees when stdout fails: it names stdout and the
 * errno text, says how many records were written, and not the state. */
static void assert_stdout_message(const struct ochrun *r, const char *errtext, int written)
{
    char want[160];
    ck_assert_msg(r->code == 7, "exit %d (signal %d): %s", r->code, r->signal, ERR(r));
    snprintf(want, sizeof want, "ochost: pull: cannot write to stdout: %s; %d records were written and the "
             "saved state covers exactly those; rerun to emit the rest", errtext, written);
    ck_assert_msg(strstr(ERR(r), want), "want \"%s\" in: %s", want, ERR(r));
    ck_assert_msg(!strstr(ERR(r), "state file"), "the state file is not what failed: %s", ERR(r));
}

/* stdout on a full device: not one record can be written. The pull stops
 * with 7, and the state saved covers none of them: the rerun emits all. */
START_TEST(pull_to_dev_full_then_rerun)
{
    char state[PATH_MAX], cas[PATH_MAX];
    const char *argv[12];
    int seen[EVENTS] = {0};
    struct ochrun r;
    snprintf(state, sizeof state, "%s/s.state", E.tmp);
    write_pull_cassette("all.json", 0, 0, cas, sizeof cas);
    pull_args(argv, state, cas);
    struct ochrun_opts o = {.stdout_path = "/dev/full"};
    ochrun(&E, &r, argv, NULL, &o);
    assert_stdout_message(&r, "No space left on device", 0);
    ochrun_free(&r);
    rerun_emits_the_rest(state, 0, seen);
}
END_TEST

/* Run ochost with RLIMIT_FSIZE at limit bytes and SIGXFSZ ignored, so a
 * regular file past the limit fails with EFBIG the way a full disk fails
 * with ENOSPC. posix_spawn cannot set a limit in the child, so the test
 * process (a forked Check child) lowers its own around the spawn. */
static pid_t start_with_file_limit(rlim_t limit, const char *const *argv, const struct ochrun_opts *o)
{
    struct rlimit old, low;
    struct sigaction ign, oldsa;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    low = old;
    low.rlim_cur = limit;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGXFSZ, &ign, &oldsa);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &low), 0);
    pid_t pid = ochrun_start(&E, argv, NULL, o);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    sigaction(SIGXFSZ, &oldsa, NULL);
    return pid;
}

/* stdout is a regular file that fills up in the middle of the third page.
 * ochost holds a regular file's records until the save covering them
 * (batch.h), so the write that fails is the third page's, made just
 * before its save, and the file is cut back to the second page's save:
 * it holds exactly the two pages that save covers, as whole lines (one
 * write per record would leave as many records as fit, about 220), the
 * pull stops with 7 saying how many, and the rerun emits exactly the
 * rest. */
START_TEST(pull_to_full_file_then_rerun)
{
    char state[PATH_MAX], cas[PATH_MAX], out[PATH_MAX];
    const char *argv[12];
    int seen[EVENTS] = {0};
    struct ochrun r;
    struct kit_buf text = KIT_BUF_INIT;
    snprintf(state, sizeof state, "%s/s.state", E.tmp);
    snprintf(out, sizeof out, "%s/out.jsonl", E.tmp);
    write_pull_cassette("all.json", 0, 0, cas, sizeof cas);
    pull_args(argv, state, cas);
    struct ochrun_opts o = {.stdout_path = out};
    /* about 280 records of ~190 bytes; the state stays far below */
    ochrun_wait(&E, start_with_file_limit(53000, argv, &o), &o, &r);
    ochrun_slurp(out, &text);
    int written = count_events(kit_buf_str(&text), seen);
    ck_assert_msg(written == 2 * PAGE, "%d records kept, not the %d the last save covers", written, 2 * PAGE);
    assert_stdout_message(&r, "File too large", written);
    kit_buf_free(&text);
    ochrun_free(&r);
    rerun_emits_the_rest(state, written, seen);
}
END_TEST

/* The reader of a pipe goes away after a few lines. Everything ochost
 * wrote into the pipe before that is read by the test (ochost is stopped
 * while the pipe is drained, so nothing is in flight: each record is one
 * write of less than PIPE_BUF, which a pipe takes whole or not at all);
 * then the read end closes and ochost's next write fails. The records
 * received and the rerun's are every event exactly once. */
static void pull_into_pipe_closed_early(int ignore_sigpipe)
{
    char state[PATH_MAX], cas[PATH_MAX];
    const char *argv[12];
    int seen[EVENTS] = {0}, fds[2], status;
    struct ochrun r;
    struct kit_buf got = KIT_BUF_INIT;
    snprintf(state, sizeof state, "%s/s.state", E.tmp);
    write_pull_cassette("all.json", 0, 0, cas, sizeof cas);
    pull_args(argv, state, cas);
    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
    /* a small pipe: ochost blocks in the first page, not at the end */
    ck_assert_int_ge(fcntl(fds[1], F_SETPIPE_SZ, 4096), 4096);
    struct ochrun_opts o = {.stdout_fd = fds[1], .ignore_sigpipe = ignore_sigpipe};
    pid_t pid = ochrun_start(&E, argv, NULL, &o);
    close(fds[1]);
    int lines = 0;
    char chunk[512];
    while(lines < 3) {
        ssize_t n = read(fds[0], chunk, sizeof chunk);
        ck_assert_msg(n > 0, "ochost closed stdout after %d lines", lines);
        kit_buf_append(&got, chunk, (size_t)n);
        for(ssize_t i = 0; i < n; i++)
            lines += chunk[i] == '\n';
    }
    ck_assert_int_eq(kill(pid, SIGSTOP), 0);
    ck_assert_int_eq(waitpid(pid, &status, WUNTRACED), pid);
    ck_assert(WIFSTOPPED(status));
    ck_assert_int_eq(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
    for(;;) {
        ssize_t n = read(fds[0], chunk, sizeof chunk);
        if(n <= 0) {
            ck_assert_msg(n < 0 && errno == EAGAIN, "ochost ended before the reader left");
            break;
        }
        kit_buf_append(&got, chunk, (size_t)n);
    }
    close(fds[0]);
    ck_assert_int_eq(kill(pid, SIGCONT), 0);
    ochrun_wait(&E, pid, &o, &r);
    kit_buf_putc(&got, '\0');
    int written = count_events(got.data, seen);
    ck_assert_msg(written >= 3 && written < EVENTS, "%d records received", written);
    assert_stdout_message(&r, "Broken pipe", written);
    kit_buf_free(&got);
    ochrun_free(&r);
    rerun_emits_the_rest(state, written, seen);
}

/* Run the pull under strace, stdout a regular file, and count its
 * write(2) calls on stdout: about one per save (a page), not one per
 * record. Skipped when strace is missing or cannot trace here. */
START_TEST(pull_to_file_writes_per_save_not_per_record)
{
    char state[PATH_MAX], cas[PATH_MAX], out[PATH_MAX], trace[PATH_MAX];
    const char *argv[20];
    int seen[EVENTS] = {0};
    struct ochrun r;
    struct kit_buf text = KIT_BUF_INIT;
    struct ochrun_env traced;
    if(ochrun_strace(&E, &traced, "pull_to_file_writes_per_save_not_per_record"))
        return;
    snprintf(state, sizeof state, "%s/s.state", E.tmp);
    snprintf(out, sizeof out, "%s/out.jsonl", E.tmp);
    snprintf(trace, sizeof trace, "%s/trace", E.tmp);
    write_pull_cassette("all.json", 0, 0, cas, sizeof cas);
    const char *pre[] = {"-f", "-qq", "-e", "trace=write", "-o", trace, E.ochost};
    memcpy(argv, pre, sizeof pre);
    pull_args(argv + 7, state, cas);
    struct ochrun_opts o = {.stdout_path = out};
    const char *env[] = {"ASAN_OPTIONS=detect_leaks=0", NULL};
    ochrun(&traced, &r, argv, env, &o);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, ERR(&r));
    ochrun_slurp(out, &text);
    ck_assert_int_eq(count_events(kit_buf_str(&text), seen), EVENTS);
    assert_each_once(seen);
    size_t writes = ochrun_count(trace, "write(1,");
    /* one per page's save, one at the end */
    ck_assert_msg(writes >= 1 && writes <= PAGES + 1, "%zu write(2) calls on stdout for %d records over %d saves",
                  writes, EVENTS, PAGES);
    kit_buf_free(&text);
    ochrun_free(&r);
}
END_TEST

/* --format singer to a file that fills up: every message (SCHEMA, RECORD,
 * STATE) goes through the same hold, so the file is cut back to the last
 * save and holds whole lines with exactly the records that save covers;
 * the STATE telling of that save is kept with them. */
START_TEST(singer_to_full_file_cut_back_to_last_save)
{
    char state[PATH_MAX], cas[PATH_MAX], out[PATH_MAX];
    const char *argv[14];
    struct ochrun r;
    struct kit_buf text = KIT_BUF_INIT;
    snprintf(state, sizeof state, "%s/s.state", E.tmp);
    snprintf(out, sizeof out, "%s/out.jsonl", E.tmp);
    write_pull_cassette("all.json", 0, 0, cas, sizeof cas);
    pull_args(argv, state, cas);
    argv[9] = "--format";
    argv[10] = "singer";
    argv[11] = NULL;
    struct ochrun_opts o = {.stdout_path = out};
    /* a RECORD is ~380 bytes: two pages and their messages fit, the third does not */
    ochrun_wait(&E, start_with_file_limit(95000, argv, &o), &o, &r);
    ochrun_slurp(out, &text);
    int records = 0, states = 0;
    const char *last = NULL;
    for(const char *p = kit_buf_str(&text); *p;) {
        const char *nl = strchr(p, '\n');
        ck_assert_msg(nl != NULL, "a torn last line: %s", p);
        ck_assert_msg(*p == '{' && nl[-1] == '}', "not a whole message: %.*s", (int)(nl - p), p);
        records += strncmp(p, "{\"type\":\"RECORD\"", 16) == 0;
        states += strncmp(p, "{\"type\":\"STATE\"", 15) == 0;
        last = p;
        p = nl + 1;
    }
    ck_assert_msg(records == 2 * PAGE, "%d RECORDs kept (%zu bytes), want %d: %s", records, text.len, 2 * PAGE,
                  ERR(&r));
    ck_assert_msg(states >= 1 && last && strncmp(last, "{\"type\":\"STATE\"", 15) == 0,
                  "the file must end on the STATE of its last save: %s", last ? last : "(empty)");
    assert_stdout_message(&r, "File too large", 2 * PAGE);
    kit_buf_free(&text);
    ochrun_free(&r);
}
END_TEST

START_TEST(pull_into_pipe_closed_early_sigpipe_ignored) { pull_into_pipe_closed_early(1); }
END_TEST

/* With SIGPIPE at its default, ochost must not die of it in the middle of
 * a page (its state would then lag behind what the reader received, and
 * the rerun would emit those records again): it ignores SIGPIPE itself. */
START_TEST(pull_into_pipe_closed_early_sigpipe_default) { pull_into_pipe_closed_early(0); }
END_TEST

/* 0 ms means "no --since" to the plugin: the epoch (or before) must be
 * refused, not turned into the 30-day default. */
START_TEST(since_epoch_refused)
{
    static const char *const bad[] = {"1970-01-01T00:00:00Z", "1970-01-01", "1969-12-31T00:00:00Z"};
    char state[PATH_MAX];
    struct ochrun r;
    snprintf(state, sizeof state, "%s/s.state", E.tmp);
    for(size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ochrun(&E, &r,
               (const char *[]){"--manifest", E.manifest, "--state", state, "--fixtures",
                                "fixtures/hubspot/pull-empty-poll.json", "pull", "--since", bad[i], NULL},
               NULL, NULL);
        ck_assert_msg(r.code == 1, "--since %s: exit %d: %s", bad[i], r.code, ERR(&r));
        ck_assert_msg(strstr(ERR(&r), "--since") && strstr(ERR(&r), "1970-01-01T00:00:00.001Z"), "%s", ERR(&r));
        ck_assert_str_eq(OUT(&r), "");
        ochrun_free(&r);
    }
}
END_TEST

/* ---- the state file ---------------------------------------------------- */

static void assert_symlink_to(const char *link, const char *target)
{
    struct stat sb;
    char buf[PATH_MAX];
    ck_assert_int_eq(lstat(link, &sb), 0);
    ck_assert_msg(S_ISLNK(sb.st_mode), "%s is no longer a symbolic link", link);
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    ck_assert_int_gt(n, 0);
    buf[n] = '\0';
    ck_assert_str_eq(buf, target);
}

static void assert_mode_0600(const char *path)
{
    struct stat sb;
    ck_assert_msg(lstat(path, &sb) == 0, "%s: %s", path, strerror(errno));
    ck_assert_msg(S_ISREG(sb.st_mode), "%s is not a regular file", path);
    ck_assert_msg((sb.st_mode & 07777) == 0600, "%s has mode %o", path, (unsigned)(sb.st_mode & 07777));
}

/* A symlinked --state is written through: the link stays, its target gets
 * the new state (also when the target does not exist yet), and the lock
 * sits beside the target. */
START_TEST(symlinked_state_updated_through_link)
{
    char real[PATH_MAX], link[PATH_MAX], lock[PATH_MAX + 8], dir[PATH_MAX], fresh[PATH_MAX + 16];
    struct ochrun r;
    struct kit_buf text = KIT_BUF_INIT;
    ochrun_write_file(&E, "real.state", "{\n  \"keep\": \"me\"\n}\n", 0644, real, sizeof real);
    snprintf(link, sizeof link, "%s/link.state", E.tmp);
    ck_assert_int_eq(symlink("real.state", link), 0);
    ochrun(&E, &r,
           (const char *[]){"--manifest", E.manifest, "--state", link, "--fixtures",
                            "fixtures/hubspot/authorize-ok.json", "authorize", NULL},
           NULL, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, ERR(&r));
    ochrun_free(&r);
    assert_symlink_to(link, "real.state");
    ochrun_slurp(real, &text);
    ck_assert_msg(strstr(kit_buf_str(&text), "\"keep\"") && strstr(kit_buf_str(&text), "\"account\""),
                  "the target was not updated: %s", kit_buf_str(&text));
    kit_buf_free(&text);
    assert_mode_0600(real);
    snprintf(lock, sizeof lock, "%s.lock", real);
    assert_mode_0600(lock);

    /* a link to a state file that does not exist yet, in another folder */
    snprintf(dir, sizeof dir, "%s/elsewhere", E.tmp);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    snprintf(link, sizeof link, "%s/dangling.state", E.tmp);
    ck_assert_int_eq(symlink("elsewhere/new.state", link), 0);
    ochrun(&E, &r,
           (const char *[]){"--manifest", E.manifest, "--state", link, "--fixtures",
                            "fixtures/hubspot/authorize-ok.json", "authorize", NULL},
           NULL, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, ERR(&r));
    ochrun_free(&r);
    assert_symlink_to(link, "elsewhere/new.state");
    snprintf(fresh, sizeof fresh, "%s/new.state", dir);
    assert_mode_0600(fresh);
}
END_TEST

/* A cassette whose one lookup is answered after delay_ms: an ochost that
 * holds its state file's lock for that long. */
static void write_slow_cassette(char *path, size_t size)
{
    struct kit_buf text = KIT_BUF_INIT;
    ochrun_slurp("fixtures/hubspot/lookup-found.json", &text);
    char *fault = strstr(text.data, "\"fault\": null");
    ck_assert_ptr_nonnull(fault);
    struct kit_buf slow = KIT_BUF_INIT;
    kit_buf_append(&slow, text.data, (size_t)(fault - text.data));
    kit_buf_puts(&slow, "\"fault\": {\"delay_ms\": 20000}");
    kit_buf_puts(&slow, fault + strlen("\"fault\": null"));
    ochrun_write_file(&E, "slow.json", kit_buf_str(&slow), 0644, path, size);
    kit_buf_free(&slow);
    kit_buf_free(&text);
}

/* Start an ochost that stays busy holding state's lock, and return once
 * it holds it (it is killed by the caller). */
static pid_t start_busy(const char *state, const char *lock)
{
    char cas[PATH_MAX];
    write_slow_cassette(cas, sizeof cas);
    pid_t pid = ochrun_start(&E,
                             (const char *[]){"--manifest", E.manifest, "--state", state, "--fixtures", cas,
                                              "lookup", "--email", "ann@example.com", NULL},
                             NULL, NULL);
    /* Waiting for a process to start, not a backoff: up to 10 s. */
    for(int i = 0; i < 1000; i++) {
        int fd = open(lock, O_RDWR);
        if(fd >= 0) {
            int busy = flock(fd, LOCK_EX | LOCK_NB) != 0;
            close(fd);
            if(busy)
                return pid;
        }
        ck_assert_msg(waitpid(pid, NULL, WNOHANG) == 0, "the busy ochost ended early");
        struct timespec nap = {0, 10 * 1000000L};
        nanosleep(&nap, NULL);
    }
    ck_abort_msg("the busy ochost never took the lock %s", lock);
    return -1;
}

static void stop_busy(pid_t pid)
{
    int status;
    kill(pid, SIGKILL);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
}

/* Two paths to one state file (a symlink, a dir/../ detour) lock the same
 * file: while one ochost runs, the other is refused as "in use". */
START_TEST(two_paths_to_one_state_exclude_each_other)
{
    char real[PATH_MAX], lock[PATH_MAX + 8], link[PATH_MAX], detour[PATH_MAX], sub[PATH_MAX];
    struct ochrun r;
    ochrun_write_file(&E, "one.state", "{}\n", 0600, real, sizeof real);
    snprintf(lock, sizeof lock, "%s.lock", real);
    snprintf(link, sizeof link, "%s/other-name.state", E.tmp);
    ck_assert_int_eq(symlink(real, link), 0);
    snprintf(sub, sizeof sub, "%s/sub", E.tmp);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    snprintf(detour, sizeof detour, "%s/sub/../one.state", E.tmp);

    pid_t busy = start_busy(real, lock);
    const char *const paths[] = {link, detour};
    for(size_t i = 0; i < 2; i++) {
        ochrun(&E, &r,
               (const char *[]){"--manifest", E.manifest, "--state", paths[i], "--fixtures",
                                "fixtures/hubspot/authorize-ok.json", "authorize", NULL},
               (const char *[]){"OCHOST_STATE_LOCK_WAIT_MS=100", NULL}, NULL);
        ck_assert_msg(r.code == 2, "--state %s: exit %d: %s", paths[i], r.code, ERR(&r));
        ck_assert_msg(strstr(ERR(&r), "another ochost is using state file"), "%s", ERR(&r));
        ochrun_free(&r);
    }
    stop_busy(busy);
    assert_symlink_to(link, real);
}
END_TEST

/* The lock's name is predictable: a symbolic link placed there is refused,
 * and whatever it points at is neither created nor touched. */
START_TEST(lock_symlink_not_followed)
{
    char state[PATH_MAX], lock[PATH_MAX + 8], victim[PATH_MAX];
    struct ochrun r;
    snprintf(state, sizeof state, "%s/s.state", E.tmp);
    snprintf(lock, sizeof lock, "%s.lock", state);
    snprintf(victim, sizeof victim, "%s/victim", E.tmp);
    ck_assert_int_eq(symlink(victim, lock), 0);
    ochrun(&E, &r,
           (const char *[]){"--manifest", E.manifest, "--state", state, "--fixtures",
                            "fixtures/hubspot/authorize-ok.json", "authorize", NULL},
           NULL, NULL);
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "symbolic link") && strstr(ERR(&r), lock), "%s", ERR(&r));
    ck_assert_msg(access(victim, F_OK) != 0, "the lock link was followed: %s exists", victim);
    ck_assert_msg(access(state, F_OK) != 0, "nothing may be saved without the lock");
    ochrun_free(&r);
}
END_TEST

/* A state location that cannot take a save is found out before any
 * HubSpot call: exit 2, the state file and the errno text named. */
START_TEST(unwritable_state_found_before_any_call)
{
    char file[PATH_MAX], state[PATH_MAX], pad[9000];
    struct ochrun r;
    /* a folder that is a regular file */
    ochrun_write_file(&E, "plain", "x", 0600, file, sizeof file);
    snprintf(state, sizeof state, "%s/plain/s.state", E.tmp);
    ochrun(&E, &r,
           (const char *[]){"--manifest", E.manifest, "--state", state, "--fixtures",
                            "fixtures/hubspot/lookup-found.json", "lookup", "--email", "ann@example.com", NULL},
           NULL, NULL);
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(ERR(&r), state) && strstr(ERR(&r), strerror(ENOTDIR)), "%s", ERR(&r));
    ck_assert_str_eq(OUT(&r), "");
    ochrun_free(&r);

    /* a state the disk cannot hold again (a file size limit below it) */
    memset(pad, 'p', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    struct kit_buf text = KIT_BUF_INIT;
    kit_buf_printf(&text, "{\n  \"padding\": \"%s\"\n}\n", pad);
    ochrun_write_file(&E, "big.state", kit_buf_str(&text), 0600, state, sizeof state);
    kit_buf_free(&text);
    const char *argv[] = {"--manifest", E.manifest, "--state", state, "--fixtures",
                          "fixtures/hubspot/lookup-found.json", "lookup", "--email", "ann@example.com", NULL};
    struct ochrun_opts o = {0};
    ochrun_wait(&E, start_with_file_limit(4096, argv, &o), &o, &r);
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(ERR(&r), state) && strstr(ERR(&r), strerror(EFBIG)) && strstr(ERR(&r), "no HubSpot call"),
                  "%s", ERR(&r));
    ck_assert_msg(!strstr(ERR(&r), "replay"), "the replay must not even start: %s", ERR(&r));
    ck_assert_str_eq(OUT(&r), "");
    ochrun_free(&r);
}
END_TEST

/* A save that fails after the calls (the disk fills during the run) fails
 * the run: nonzero, the state file and errno named, and what it means. */
START_TEST(state_save_failing_mid_run_fails_the_run)
{
    char state[PATH_MAX];
    struct ochrun r;
    /* The state as it is fits under the limit (the check at the start
     * passes); once usage counters are added it does not. */
    const rlim_t limit = 8192;
    struct kit_buf text = KIT_BUF_INIT;
    kit_buf_puts(&text, "{\n  \"padding\": \"");
    while(text.len < limit - 40)
        kit_buf_putc(&text, 'p');
    kit_buf_puts(&text, "\"\n}\n");
    ochrun_write_file(&E, "full.state", kit_buf_str(&text), 0600, state, sizeof state);
    const char *argv[] = {"--manifest", E.manifest, "--state", state, "--fixtures",
                          "fixtures/hubspot/lookup-found.json", "lookup", "--email", "ann@example.com", NULL};
    struct ochrun_opts o = {0};
    ochrun_wait(&E, start_with_file_limit(limit, argv, &o), &o, &r);
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, ERR(&r));
    ck_assert_msg(strstr(ERR(&r), "the state could not be saved") && strstr(ERR(&r), state)
                      && strstr(ERR(&r), strerror(EFBIG)) && strstr(ERR(&r), "daily_budget"),
                  "%s", ERR(&r));
    ck_assert_msg(strstr(OUT(&r), "\"kind\":\"contact\""), "the lookup itself was answered: %s", OUT(&r));
    struct kit_buf after = KIT_BUF_INIT;
    ochrun_slurp(state, &after);
    ck_assert_str_eq(kit_buf_str(&after), kit_buf_str(&text));
    kit_buf_free(&after);
    kit_buf_free(&text);
    ochrun_free(&r);
}
END_TEST

/* A pull whose state save fails (the disk fills during the run) stops at
 * that save instead of emitting on past what no state covers, and fails
 * with 2 saying that a rerun can emit this run's records again. */
START_TEST(pull_state_save_failing_stops_the_pull)
{
    char state[PATH_MAX], cas[PATH_MAX], chunk[4096];
    const char *argv[12];
    int seen[EVENTS] = {0}, fds[2];
    struct ochrun r;
    const rlim_t limit = 16384;
    struct kit_buf text = KIT_BUF_INIT, got = KIT_BUF_INIT;
    kit_buf_puts(&text, "{\n  \"padding\": \"");
    while(text.len < limit - 600)
        kit_buf_putc(&text, 'p');
    kit_buf_puts(&text, "\"\n}\n");
    ochrun_write_file(&E, "full.state", kit_buf_str(&text), 0600, state, sizeof state);
    write_pull_cassette("all.json", 0, 0, cas, sizeof cas);
    pull_args(argv, state, cas);
    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
    struct ochrun_opts o = {.stdout_fd = fds[1]};
    pid_t pid = start_with_file_limit(limit, argv, &o);
    close(fds[1]);
    ssize_t n;
    while((n = read(fds[0], chunk, sizeof chunk)) > 0)
        kit_buf_append(&got, chunk, (size_t)n);
    close(fds[0]);
    ochrun_wait(&E, pid, &o, &r);
    kit_buf_putc(&got, '\0');
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, ERR(&r));
    ck_assert_int_eq(count_events(got.data, seen), PAGE);
    ck_assert_msg(strstr(ERR(&r), "the state could not be saved") && strstr(ERR(&r), state)
                      && strstr(ERR(&r), strerror(EFBIG)) && strstr(ERR(&r), "emit records this run already wrote"),
                  "%s", ERR(&r));
    kit_buf_free(&got);
    kit_buf_free(&text);
    ochrun_free(&r);
}
END_TEST

/* ---- secrets ------------------------------------------------------------ */

/* A running ochost cannot dump core: its limit is 0 whatever it inherited. */
START_TEST(core_dumps_off)
{
    char state[PATH_MAX], lock[PATH_MAX + 8], limits[64];
    struct rlimit core, allow;
    snprintf(state, sizeof state, "%s/s.state", E.tmp);
    snprintf(lock, sizeof lock, "%s.lock", state);
    /* inherit a core limit that allows dumps (this is a forked test) */
    ck_assert_int_eq(getrlimit(RLIMIT_CORE, &core), 0);
    allow = core;
    allow.rlim_cur = core.rlim_max;
    ck_assert_int_eq(setrlimit(RLIMIT_CORE, &allow), 0);
    ck_assert_msg(allow.rlim_cur != 0, "this test needs a hard core limit above 0");
    pid_t pid = start_busy(state, lock);
    ck_assert_int_eq(setrlimit(RLIMIT_CORE, &core), 0);
    snprintf(limits, sizeof limits, "/proc/%d/limits", (int)pid);
    struct kit_buf text = KIT_BUF_INIT;
    ochrun_slurp(limits, &text);
    stop_busy(pid);
    const char *line = strstr(kit_buf_str(&text), "Max core file size");
    ck_assert_ptr_nonnull(line);
    char soft[32] = "", hard[32] = "";
    ck_assert_int_eq(sscanf(line + strlen("Max core file size"), " %31s %31s", soft, hard), 2);
    ck_assert_msg(!strcmp(soft, "0") && !strcmp(hard, "0"), "ochost may dump core: limit %s %s", soft, hard);
    kit_buf_free(&text);
}
END_TEST

/* A recorded cassette holds contact data: mode 0600, written under a fresh
 * temporary name, so a link placed at the old fixed temporary name or at
 * the cassette's own name sends nothing anywhere else. */
START_TEST(recorded_cassette_private_and_not_through_links)
{
    /* a synthetic token the recorder accepts (it refuses the placeholder) */
    static const char secret[] = "pat-na1-" "5ec2e700-1111-4111-8111-111111111111";
    char cas[PATH_MAX], tmpname[PATH_MAX + 8], victim[PATH_MAX], victim2[PATH_MAX], why[512];
    struct fx_recorder *rec = NULL;
    snprintf(cas, sizeof cas, "%s/rec.json", E.tmp);
    snprintf(tmpname, sizeof tmpname, "%s.tmp", cas);
    snprintf(victim, sizeof victim, "%s/victim", E.tmp);
    ck_assert_int_eq(symlink(victim, tmpname), 0);
    ck_assert_int_eq(fx_recorder_start("http://127.0.0.1:1", secret, cas, "rec", NOW_MS, &rec, why, sizeof why), 0);
    ck_assert_msg(fx_recorder_stop(rec, why, sizeof why) == 0, "%s", why);
    ck_assert_msg(access(victim, F_OK) != 0, "the temporary name's link was followed");
    assert_mode_0600(cas);
    assert_symlink_to(tmpname, victim);

    /* a link at the cassette's own name is replaced, its target untouched */
    ochrun_write_file(&E, "victim2", "untouched\n", 0644, victim2, sizeof victim2);
    ck_assert_int_eq(unlink(cas), 0);
    ck_assert_int_eq(symlink(victim2, cas), 0);
    ck_assert_int_eq(fx_recorder_start("http://127.0.0.1:1", secret, cas, "rec", NOW_MS, &rec, why, sizeof why), 0);
    ck_assert_msg(fx_recorder_stop(rec, why, sizeof why) == 0, "%s", why);
    assert_mode_0600(cas);
    struct kit_buf text = KIT_BUF_INIT;
    ochrun_slurp(victim2, &text);
    ck_assert_str_eq(kit_buf_str(&text), "untouched\n");
    kit_buf_free(&text);
}
END_TEST

extern Suite *make_boundary_suite(void);
Suite *make_boundary_suite(void)
{
    Suite *s = suite_create("boundary");
    TCase *tc = tcase_create("ochost");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, pull_to_dev_full_then_rerun);
    tcase_add_test(tc, pull_to_full_file_then_rerun);
    tcase_add_test(tc, pull_to_file_writes_per_save_not_per_record);
    tcase_add_test(tc, singer_to_full_file_cut_back_to_last_save);
    tcase_add_test(tc, pull_into_pipe_closed_early_sigpipe_ignored);
    tcase_add_test(tc, pull_into_pipe_closed_early_sigpipe_default);
    tcase_add_test(tc, since_epoch_refused);
    tcase_add_test(tc, symlinked_state_updated_through_link);
    tcase_add_test(tc, two_paths_to_one_state_exclude_each_other);
    tcase_add_test(tc, lock_symlink_not_followed);
    tcase_add_test(tc, unwritable_state_found_before_any_call);
    tcase_add_test(tc, state_save_failing_mid_run_fails_the_run);
    tcase_add_test(tc, pull_state_save_failing_stops_the_pull);
    tcase_add_test(tc, core_dumps_off);
    tcase_add_test(tc, recorded_cassette_private_and_not_through_links);
    suite_add_tcase(s, tc);
    return s;
}
