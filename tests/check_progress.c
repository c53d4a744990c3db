/* check_progress.c - what a user sees on stderr while a run works: the
 * progress renderer fed reports at virtual times (in place on a terminal,
 * throttled timestamped lines on a pipe, rate and time left), and the
 * built ochost showing retries and rate-limit waits at default verbosity
 * against the replay server and a closed port, silent with -q. */
#include <arpa/inet.h>
#include <check.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host-api/ochost/progress.h"
#include "plugin/buf.h"
#include "tests/support/ochrun.h"

#define T0 1795824000000LL /* 2026-11-28T00:00:00Z */
/* The placeholder token, split so no token-shaped literal sits here. */
#define TOKEN "pat-na1-" "00000000-0000-4000-8000-000000000000"

/* A renderer writing into memory. */
struct mem {
    char *text;
    size_t len;
    FILE *f;
    struct och_progress p;
};

static void mem_open(struct mem *m, int tty, int quiet)
{
    memset(m, 0, sizeof *m);
    m->f = open_memstream(&m->text, &m->len);
    ck_assert_ptr_nonnull(m->f);
    och_progress_init(&m->p, m->f, tty, quiet, T0);
}

/* What was written so far. */
static const char *mem_text(struct mem *m)
{
    fflush(m->f);
    return m->text ? m->text : "";
}

static void mem_close(struct mem *m)
{
    fclose(m->f);
    free(m->text);
}

static int count(const char *s, const char *what)
{
    int n = 0;
    for(const char *p = s; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

START_TEST(tty_redraws_in_place)
{
    struct mem m;
    mem_open(&m, 1, 0);
    och_progress_update(&m.p, T0 + 2000, "lookup", 50, 100);
    ck_assert_str_eq(mem_text(&m), "\rlookup: 50 of 100 queries (50%), 25 queries/s, 2 s left\033[K");
    /* Within the redraw interval: nothing new on screen. */
    och_progress_update(&m.p, T0 + 2050, "lookup", 55, 100);
    ck_assert_uint_eq(m.len, strlen("\rlookup: 50 of 100 queries (50%), 25 queries/s, 2 s left\033[K"));
    och_progress_update(&m.p, T0 + 4000, "lookup", 80, 100);
    ck_assert_msg(strstr(mem_text(&m), "\033[K\rlookup: 80 of 100 queries (80%), 20 queries/s, 1 s left\033[K"),
                  "%s", mem_text(&m));
    ck_assert_msg(!strchr(mem_text(&m), '\n'), "a terminal line is redrawn, not repeated: %s", mem_text(&m));
    /* A message steps in: the line is cleared, then drawn again under it. */
    och_progress_suspend(&m.p);
    fputs("ochost: warning: something\n", m.f);
    och_progress_resume(&m.p);
    ck_assert_msg(strstr(mem_text(&m), "left\033[K\r\033[Kochost: warning: something\n\rlookup: 80 of 100"), "%s",
                  mem_text(&m));
    /* The end of the stage: final figures and the newline. */
    och_progress_update(&m.p, T0 + 5000, "lookup", 100, 100);
    const char *t = mem_text(&m);
    size_t n = strlen(t);
    const char *end = "\rlookup: 100 of 100 queries (100%), 20 queries/s\033[K\n";
    ck_assert_msg(n > strlen(end) && strcmp(t + n - strlen(end), end) == 0, "%s", t);
    och_progress_finish(&m.p, T0 + 6000);
    ck_assert_uint_eq(strlen(mem_text(&m)), n);
    mem_close(&m);
}
END_TEST

START_TEST(pipe_lines_throttled_and_timestamped)
{
    struct mem m;
    mem_open(&m, 0, 0);
    for(int s = 1; s <= 12; s++)
        och_progress_update(&m.p, T0 + s * 1000, "pull 2026-11-27", (uint64_t)s * 100, 0);
    och_progress_update(&m.p, T0 + 12500, "pull 2026-11-28", 1250, 0);
    const char *t = mem_text(&m);
    ck_assert_msg(count(t, "\n") == 2, "one line every 5 s, not one per report: %s", t);
    ck_assert_msg(strstr(t, "ochost: 2026-11-28T00:00:05Z pull 2026-11-27: 500 records, 100 records/s\n"), "%s", t);
    ck_assert_msg(strstr(t, "ochost: 2026-11-28T00:00:10Z pull 2026-11-27: 1000 records, 100 records/s\n"), "%s",
                  t);
    ck_assert_msg(!strchr(t, '\r') && !strchr(t, '\033'), "no terminal controls on a pipe: %s", t);
    och_progress_finish(&m.p, T0 + 13000);
    /* The end is always in the log, with the day last read; the rate runs
     * on across days of one pull. */
    ck_assert_msg(strstr(mem_text(&m), "ochost: 2026-11-28T00:00:13Z pull 2026-11-28: 1250 records, 96 records/s\n"),
                  "%s", mem_text(&m));
    ck_assert_int_eq(count(mem_text(&m), "\n"), 3);
    och_progress_finish(&m.p, T0 + 14000);
    ck_assert_int_eq(count(mem_text(&m), "\n"), 3);
    mem_close(&m);
}
END_TEST

START_TEST(rate_and_time_left)
{
    struct mem m;
    char text[256];
    mem_open(&m, 0, 0);
    /* Under a second: no rate yet. */
    och_progress_update(&m.p, T0 + 500, "push", 3, 0);
    och_progress_text(&m.p, T0 + 500, text, sizeof text);
    ck_assert_str_eq(text, "push: 3 inputs");
    och_progress_text(&m.p, T0 + 4000, text, sizeof text);
    ck_assert_str_eq(text, "push: 3 inputs, 0.8 inputs/s");
    mem_close(&m);

    /* Slow and long: hours and minutes, rounded up. */
    mem_open(&m, 0, 0);
    och_progress_update(&m.p, T0 + 10000, "lookup", 1, 1000);
    och_progress_text(&m.p, T0 + 10000, text, sizeof text);
    ck_assert_str_eq(text, "lookup: 1 of 1000 queries (0%), 0.1 queries/s, 2 h 47 min left");
    och_progress_text(&m.p, T0 + 10000, text, sizeof text);
    och_progress_update(&m.p, T0 + 100000, "lookup", 100, 1000);
    och_progress_text(&m.p, T0 + 100000, text, sizeof text);
    ck_assert_str_eq(text, "lookup: 100 of 1000 queries (10%), 1.0 queries/s, 15 min left");
    /* A stage of its own: unknown units, the rate from its first report. */
    och_progress_update(&m.p, T0 + 200000, "sync", 10, 0);
    och_progress_update(&m.p, T0 + 202000, "sync", 30, 0);
    och_progress_text(&m.p, T0 + 202000, text, sizeof text);
    ck_assert_str_eq(text, "sync: 30, 10/s");
    /* Nothing in a stage name moves the cursor. */
    och_progress_update(&m.p, T0 + 203000, "evil\r\033[2J day", 1, 0);
    och_progress_text(&m.p, T0 + 203000, text, sizeof text);
    ck_assert_str_eq(text, "evil??[2J day: 1");
    mem_close(&m);
}
END_TEST

/* push with an input file: bytes read of its size, then the count. */
START_TEST(push_counts_bytes_of_the_file)
{
    char path[] = "/tmp/check-progress-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    ck_assert_int_eq(ftruncate(fd, 10 * 1024 * 1024), 0);
    struct mem m;
    char text[256];
    mem_open(&m, 0, 0);
    och_progress_input(&m.p, fd);
    ck_assert_int_eq(lseek(fd, 2560 * 1024, SEEK_SET), 2560 * 1024);
    och_progress_update(&m.p, T0 + 5000, "push", 1200, 0);
    och_progress_text(&m.p, T0 + 5000, text, sizeof text);
    ck_assert_str_eq(text, "push: 2.5 MiB of 10.0 MiB (25%), 1200 inputs, 512.0 KiB/s, 15 s left");
    /* Other stages keep their own units. */
    och_progress_update(&m.p, T0 + 6000, "lookup", 1, 0);
    och_progress_text(&m.p, T0 + 6000, text, sizeof text);
    ck_assert_str_eq(text, "lookup: 1 query");
    mem_close(&m);

    /* A pipe has no size: the count stands alone. */
    int pfd[2];
    ck_assert_int_eq(pipe(pfd), 0);
    mem_open(&m, 0, 0);
    och_progress_input(&m.p, pfd[0]);
    och_progress_update(&m.p, T0 + 2000, "push", 10, 0);
    och_progress_text(&m.p, T0 + 2000, text, sizeof text);
    ck_assert_str_eq(text, "push: 10 inputs, 5.0 inputs/s");
    mem_close(&m);
    close(pfd[0]);
    close(pfd[1]);
    close(fd);
}
END_TEST

START_TEST(quiet_shows_nothing)
{
    struct mem m;
    mem_open(&m, 1, 1);
    och_progress_update(&m.p, T0 + 2000, "push", 5, 10);
    och_progress_update(&m.p, T0 + 3000, "push", 10, 10);
    och_progress_suspend(&m.p);
    och_progress_resume(&m.p);
    och_progress_finish(&m.p, T0 + 4000);
    ck_assert_str_eq(mem_text(&m), "");
    mem_close(&m);
}
END_TEST

/* ---- the built ochost ---- */

static struct ochrun_env E;

static void setup(void) { ochrun_setup(&E); }
static void teardown(void) { ochrun_teardown(&E); }

START_TEST(ochost_pull_shows_rate_limit_wait)
{
    struct ochrun r;
    char state[PATH_MAX];
    snprintf(state, sizeof state, "%s/s.state", E.tmp);
    const char *args[] = {"--manifest", E.manifest, "--state", state, "--fixtures",
                          "fixtures/hubspot/progress-pull-429.json", "pull", "--since", "2026-11-27T23:00:00Z",
                          NULL};
    ochrun(&E, &r, args, NULL, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ck_assert_msg(strstr(OCHRUN_ERR(&r), "ochost: warning: waiting 10 s: HubSpot's 10-second limit, retry 1 of 5 "
                                         "(GET /email/public/v1/events)\n"),
                  "the wait is shown at default verbosity: %s", OCHRUN_ERR(&r));
    ck_assert_msg(strstr(OCHRUN_ERR(&r), " pull 2026-11-27: 6 records"), "the final progress line: %s",
                  OCHRUN_ERR(&r));
    ochrun_free(&r);

    unlink(state);
    const char *quiet[] = {"-q", "--manifest", E.manifest, "--state", state, "--fixtures",
                           "fixtures/hubspot/progress-pull-429.json", "pull", "--since", "2026-11-27T23:00:00Z",
                           NULL};
    ochrun(&E, &r, quiet, NULL, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ck_assert_msg(strcmp(OCHRUN_ERR(&r), "") == 0, "-q: nothing on stderr: %s", OCHRUN_ERR(&r));
    ck_assert_msg(strstr(OCHRUN_OUT(&r), "e6@example.com"), "the records still come: %s", OCHRUN_OUT(&r));
    ochrun_free(&r);
}
END_TEST

/* A loopback port nothing listens on: bound, then closed. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

START_TEST(ochost_push_closed_port_says_each_retry)
{
    struct ochrun r;
    char state[PATH_MAX], input[PATH_MAX], url[96];
    snprintf(state, sizeof state, "%s/s.state", E.tmp);
    ochrun_write_file(&E, "in.csv", "email\na@example.com\n", 0644, input, sizeof input);
    snprintf(url, sizeof url, "HUBSPOT_BASE_URL=http://127.0.0.1:%d", closed_port());
    const char *args[] = {"--manifest", E.manifest, "--state", state, "push", "--list", "7", "--input", input, NULL};
    /* The virtual clock lets the backoff pass at once (23 s of it). */
    const char *env[] = {"HUBSPOT_ACCESS_TOKEN=" TOKEN, url, "OCHOST_VIRTUAL_CLOCK_MS=1795824000000", NULL};
    ochrun(&E, &r, args, env, NULL);
    ck_assert_msg(r.code == 7, "still failing after retries: exit 7, got %d: %s", r.code, OCHRUN_ERR(&r));
    for(int i = 1; i <= 5; i++) {
        char want[128];
        snprintf(want, sizeof want, "ochost: warning: HubSpot unreachable (connection refused), retry %d of 5 in ",
                 i);
        ck_assert_msg(strstr(OCHRUN_ERR(&r), want), "no \"%s\" in: %s", want, OCHRUN_ERR(&r));
    }
    ck_assert_msg(!strstr(OCHRUN_ERR(&r), "00000000-0000-4000-8000"), "%s", OCHRUN_ERR(&r));
    ochrun_free(&r);
}
END_TEST

extern Suite *make_progress_suite(void);

Suite *make_progress_suite(void)
{
    Suite *s = suite_create("progress");
    TCase *tc = tcase_create("renderer");
    tcase_add_test(tc, tty_redraws_in_place);
    tcase_add_test(tc, pipe_lines_throttled_and_timestamped);
    tcase_add_test(tc, rate_and_time_left);
    tcase_add_test(tc, push_counts_bytes_of_the_file);
    tcase_add_test(tc, quiet_shows_nothing);
    suite_add_tcase(s, tc);
    TCase *run = tcase_create("ochost");
    tcase_add_checked_fixture(run, setup, teardown);
    tcase_set_timeout(run, 30);
    tcase_add_test(run, ochost_pull_shows_rate_limit_wait);
    tcase_add_test(run, ochost_push_closed_port_says_each_retry);
    suite_add_tcase(s, run);
    return s;
}
