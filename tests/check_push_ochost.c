/* check_push_ochost.c - the push as a user runs it: the real ochost
 * against a stateful HubSpot stand-in (tests/support/hspush.h) whose
 * calls are counted per endpoint: the portal's properties checked before
 * the first write, runs sharing a state file. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plugin/json.h"
#include "tests/support/hspush.h"
#include "tests/support/ochrun.h"

#define ASSERT_HAS(hay, needle) ck_assert_msg(strstr((hay), (needle)) != NULL, "no \"%s\" in: %s", (needle), (hay))

/* The placeholder, split so no token-shaped literal sits in the source. */
#define TOKEN_ENV "HUBSPOT_ACCESS_TOKEN=pat-na1-" "00000000-0000-4000-8000-000000000000"

static struct ochrun_env E;
static struct hspush H;
static struct fx_server *S;
static char base_env[128], state[300];

static void setup(void)
{
    ochrun_setup(&E);
    ck_assert_int_eq(hspush_init(&H), 0);
    struct fx_options fo = {.dynamic = hspush_handler, .dynamic_ctx = &H};
    char why[256];
    ck_assert_msg(fx_server_start(NULL, &fo, &S, why, sizeof why) == 0, "%s", why);
    snprintf(base_env, sizeof base_env, "HUBSPOT_BASE_URL=%s", fx_server_url(S));
    snprintf(state, sizeof state, "%s/shared.state", E.tmp);
}

static void teardown(void)
{
    fx_server_stop(S);
    hspush_free(&H);
    ochrun_teardown(&E);
}

/* ochost push --list 4242 --input FILE (written from text) --state shared. */
static void push_file(struct ochrun *r, const char *name, const char *text)
{
    char input[300];
    ochrun_write_file(&E, name, text, 0644, input, sizeof input);
    ochrun(&E, r,
           (const char *[]){"--manifest", E.manifest, "--state", state, "push", "--list", HSPUSH_LIST,
                            "--input", input, NULL},
           (const char *[]){TOKEN_ENV, base_env, NULL}, NULL);
}

/* ---- the columns checked against the portal's properties ---- */

/* A Mailchimp export whose columns HubSpot does not have: the run stops
 * with exit 2 naming every bad column (and the property it likely meant)
 * before a single contact is written; the answer is kept in the state
 * file, so the next run, with good columns, pushes without asking again. */
START_TEST(unknown_columns_stop_before_any_write)
{
    struct ochrun r;
    push_file(&r, "members_export.csv",
              "\xef\xbb\xbf\"Email Address\";\"First Name\";\"Favourite Topic\";\"MEMBER_RATING\";"
              "\"hs_object_id\"\r\n"
              "ann@example.com;Ann;news;5;17\r\n"
              "bob@example.com;Bob;sport;2;18\r\n");
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ASSERT_HAS(OCHRUN_ERR(&r), "nothing was written");
    ASSERT_HAS(OCHRUN_ERR(&r), "'Favourite Topic' (no such contact property; nearest: favourite_topic)");
    ASSERT_HAS(OCHRUN_ERR(&r), "'MEMBER_RATING' (no such contact property)");
    ASSERT_HAS(OCHRUN_ERR(&r), "'hs_object_id' (read-only");
    /* the mapped common headers are fine */
    ck_assert_msg(!strstr(OCHRUN_ERR(&r), "'firstname'"), "%s", OCHRUN_ERR(&r));
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_PROPS_GET), 1);
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_UPSERT), 0);
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_ADD), 0);
    ochrun_free(&r);

    /* a valid file, the same state: the properties come from the state */
    push_file(&r, "fixed.csv",
              "\"Email Address\";\"First Name\";\"favourite_topic\"\r\n"
              "ann@example.com;Ann;news\r\n");
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ASSERT_HAS(OCHRUN_OUT(&r), "\"status\":\"added\"");
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_PROPS_GET), 1);
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_UPSERT), 1);
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_ADD), 1);
    ochrun_free(&r);

    /* emails only: nothing to check, and no properties call whatever the
     * state holds (a fresh state file here) */
    snprintf(state, sizeof state, "%s/other.state", E.tmp);
    push_file(&r, "emails.csv", "Email\ncy@example.com\n");
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_PROPS_GET), 1);
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_UPSERT), 2);
    ochrun_free(&r);
}
END_TEST

/* ---- --follow through a real pipe ---- */

struct follow {
    pid_t pid;
    int in_w, out_r;
    struct ochrun_opts o;
    char stdin_path[64];
    struct kit_buf out; /* stdout read so far */
};

/* Start ochost push --follow with the plugin's linger_ms set (config
 * file), stdin and stdout real pipes. */
static void follow_start(struct follow *f, const char *linger_ms)
{
    int in[2], out[2];
    char cfg[300], text[64];
    memset(f, 0, sizeof *f);
    ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    snprintf(text, sizeof text, "linger_ms = %s\n", linger_ms);
    ochrun_write_file(&E, "follow.conf", text, 0600, cfg, sizeof cfg);
    /* the child opens the pipe's read end by name before exec, while the
     * descriptor is still open there */
    snprintf(f->stdin_path, sizeof f->stdin_path, "/dev/fd/%d", in[0]);
    f->o.stdin_path = f->stdin_path;
    f->o.stdout_fd = out[1];
    f->pid = ochrun_start(&E,
                          (const char *[]){"--manifest", E.manifest, "--config", cfg, "--state", state,
                                           "push", "--list", HSPUSH_LIST, "--follow", NULL},
                          (const char *[]){TOKEN_ENV, base_env, NULL}, &f->o);
    close(in[0]);
    close(out[1]);
    f->in_w = in[1];
    f->out_r = out[0];
}

static void follow_write(struct follow *f, const char *text)
{
    ck_assert_int_eq(write(f->in_w, text, strlen(text)), (ssize_t)strlen(text));
}

static size_t count_lines(const struct kit_buf *b)
{
    size_t n = 0;
    for(size_t i = 0; i < b->len; i++)
        n += b->data[i] == '\n';
    return n;
}

/* Read stdout until it holds `lines` lines in all (10 s at most: a run
 * that stays silent fails the test instead of hanging it). */
static void follow_wait_lines(struct follow *f, size_t lines)
{
    while(count_lines(&f->out) < lines) {
        struct pollfd p = {.fd = f->out_r, .events = POLLIN};
        ck_assert_msg(poll(&p, 1, 10000) == 1, "no result within 10 s; stdout so far: %s",
                      kit_buf_str(&f->out));
        char buf[4096];
        ssize_t n = read(f->out_r, buf, sizeof buf);
        ck_assert_msg(n > 0, "stdout ended after: %s", kit_buf_str(&f->out));
        kit_buf_append(&f->out, buf, (size_t)n);
    }
}

static void follow_finish(struct follow *f, struct ochrun *r)
{
    if(f->in_w >= 0)
        close(f->in_w);
    char buf[4096];
    ssize_t n;
    while((n = read(f->out_r, buf, sizeof buf)) > 0)
        kit_buf_append(&f->out, buf, (size_t)n);
    close(f->out_r);
    ochrun_wait(&E, f->pid, &f->o, r);
}

/* Each sign-up gets its result while the input stays open: one alone
 * costs an upsert and an add; two arriving together share them. */
/* An --input that cannot be read says why and what to do, by errno, as
 * the config and state files do: a missing file, and a directory (which
 * opens, and would fail only at the first read, as an I/O error). Exit 2,
 * no call made. */
START_TEST(input_open_errors_say_what_to_do)
{
    struct ochrun r;
    char missing[300];
    snprintf(missing, sizeof missing, "%s/no-such-signups.csv", E.tmp);
    const char *const paths[] = {missing, E.tmp};
    const char *const advice[] = {"No such file or directory; no such file: check the path",
                                  "Is a directory; it is a directory: name a file in it instead"};
    for(size_t i = 0; i < 2; i++) {
        ochrun(&E, &r,
               (const char *[]){"--manifest", E.manifest, "--state", state, "push", "--list", HSPUSH_LIST,
                                "--input", paths[i], NULL},
               (const char *[]){TOKEN_ENV, base_env, NULL}, NULL);
        ck_assert_msg(r.code == 2, "%s: exit %d: %s", paths[i], r.code, OCHRUN_ERR(&r));
        ASSERT_HAS(OCHRUN_ERR(&r), "cannot read --input ");
        ASSERT_HAS(OCHRUN_ERR(&r), advice[i]);
        ochrun_free(&r);
    }
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_NENDPOINTS), 0);
}
END_TEST

START_TEST(follow_answers_each_input_as_it_arrives)
{
    struct follow f;
    struct ochrun r;
    follow_start(&f, "50");
    follow_write(&f, "{\"email\":\"one@example.com\"}\n");
    follow_wait_lines(&f, 1);
    ASSERT_HAS(kit_buf_str(&f.out), "\"email\":\"one@example.com\",\"id\":\"5000\",\"status\":\"added\"");
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_LIST_GET), 1);
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_UPSERT), 1);
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_ADD), 1);

    follow_write(&f, "{\"email\":\"two@example.com\"}\n{\"email\":\"three@example.com\"}\n");
    follow_wait_lines(&f, 3);
    ASSERT_HAS(kit_buf_str(&f.out), "\"email\":\"two@example.com\",\"id\":\"5001\",\"status\":\"added\"");
    ASSERT_HAS(kit_buf_str(&f.out), "\"email\":\"three@example.com\",\"id\":\"5002\",\"status\":\"added\"");
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_UPSERT), 2);
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_ADD), 2);
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_NENDPOINTS), 5);

    follow_finish(&f, &r);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ASSERT_HAS(OCHRUN_ERR(&r), "3 added");
    ochrun_free(&r);
    kit_buf_free(&f.out);
}
END_TEST

/* SIGTERM while an input is held (a linger of a minute): the input
 * read is still sent and answered, then ochost ends. The invalid line
 * after it is answered at once, which tells the test both were read. */
START_TEST(follow_sigterm_answers_everything_read)
{
    struct follow f;
    struct ochrun r;
    follow_start(&f, "60000");
    follow_write(&f, "{\"email\":\"held@example.com\",\"firstname\":\"Held\"}\n{\"email\":\"nope\"}\n");
    follow_wait_lines(&f, 1);
    ASSERT_HAS(kit_buf_str(&f.out), "\"email\":\"nope\"");
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_UPSERT), 0);
    ck_assert_int_eq(kill(f.pid, SIGTERM), 0);
    follow_wait_lines(&f, 2);
    ASSERT_HAS(kit_buf_str(&f.out), "\"email\":\"held@example.com\",\"id\":\"5000\",\"status\":\"added\"");
    follow_finish(&f, &r);
    ck_assert_msg(r.code == 6, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ASSERT_HAS(OCHRUN_ERR(&r), "ended by a signal after reading 2 inputs");
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_UPSERT), 1);
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_ADD), 1);
    ochrun_free(&r);
    kit_buf_free(&f.out);
}
END_TEST

/* A line that arrives in pieces does not hold back what is already
 * held: ochost takes only the bytes poll(2) says are there, so the held
 * input still goes out when its linger is up while the line waits for
 * its end, which then gets its own result. */
START_TEST(follow_line_in_pieces_does_not_block_the_linger)
{
    struct follow f;
    struct ochrun r;
    follow_start(&f, "1500");
    follow_write(&f, "{\"email\":\"held@example.com\"}\n{\"email\":\"nope\"}\n");
    follow_wait_lines(&f, 1); /* both read: the invalid one is answered at once */
    ASSERT_HAS(kit_buf_str(&f.out), "\"email\":\"nope\"");
    follow_write(&f, "{\"email\":\"late@exa");
    follow_wait_lines(&f, 2);
    ASSERT_HAS(kit_buf_str(&f.out), "\"email\":\"held@example.com\",\"id\":\"5000\",\"status\":\"added\"");
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_UPSERT), 1);
    follow_write(&f, "mple.com\"}\n");
    follow_wait_lines(&f, 3);
    ASSERT_HAS(kit_buf_str(&f.out), "\"email\":\"late@example.com\",\"id\":\"5001\",\"status\":\"added\"");
    follow_finish(&f, &r);
    ck_assert_msg(r.code == 6, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_UPSERT), 2);
    ochrun_free(&r);
    kit_buf_free(&f.out);
}
END_TEST

static const char MIXED[] =
    "{\"email\":\"dup@example.com\",\"firstname\":\"First\"}\n"
    "{\"email\":\"b@example.com\"}\n"
    "{\"email\":\"no-at-sign\"}\n"
    "{\"email\":\"x@example.invalid\"}\n"
    "{\"email\":\"DUP@example.com\",\"firstname\":\"Second\"}\n"
    "{\"email\":\"b@example.com\"}\n";

/* Sorted lines of text, so runs answering in another order compare. */
static void sorted_lines(const char *text, struct kit_buf *out)
{
    char *copy = strdup(text);
    char *lines[64];
    size_t n = 0;
    for(char *save = NULL, *l = strtok_r(copy, "\n", &save); l && n < 64; l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    for(size_t i = 1; i < n; i++)
        for(size_t j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0; j--) {
            char *t = lines[j];
            lines[j] = lines[j - 1];
            lines[j - 1] = t;
        }
    for(size_t i = 0; i < n; i++)
        kit_buf_printf(out, "%s\n", lines[i]);
    free(copy);
}

/* The same inputs pushed in bulk and followed (arriving in three parts)
 * end with the same results: statuses, ids, merged repeats, errors. */
START_TEST(follow_results_equal_bulk_results)
{
    struct ochrun bulk, live;
    push_file(&bulk, "mixed.jsonl", MIXED);
    ck_assert_msg(bulk.code == 6, "exit %d: %s", bulk.code, OCHRUN_ERR(&bulk));

    /* a HubSpot that has never seen them, as the bulk run's had not */
    hspush_reset(&H);
    snprintf(state, sizeof state, "%s/follow.state", E.tmp);
    struct follow f;
    follow_start(&f, "50");
    const char *third = strchr(MIXED, '\n') + 1;
    const char *two_thirds = strchr(strchr(strchr(third, '\n') + 1, '\n') + 1, '\n') + 1;
    ck_assert_int_eq(write(f.in_w, MIXED, (size_t)(third - MIXED)), third - MIXED);
    follow_wait_lines(&f, 1);
    ck_assert_int_eq(write(f.in_w, third, (size_t)(two_thirds - third)), two_thirds - third);
    follow_wait_lines(&f, 4);
    follow_write(&f, two_thirds);
    follow_finish(&f, &live);
    ck_assert_msg(live.code == 6, "exit %d: %s", live.code, OCHRUN_ERR(&live));

    struct kit_buf a = KIT_BUF_INIT, b = KIT_BUF_INIT;
    sorted_lines(OCHRUN_OUT(&bulk), &a);
    sorted_lines(kit_buf_str(&f.out), &b);
    ck_assert_uint_eq(count_lines(&a), 6);
    ck_assert_msg(!strcmp(kit_buf_str(&a), kit_buf_str(&b)), "bulk:\n%sfollow:\n%s", kit_buf_str(&a),
                  kit_buf_str(&b));
    kit_buf_free(&a);
    kit_buf_free(&b);
    kit_buf_free(&f.out);
    ochrun_free(&bulk);
    ochrun_free(&live);
}
END_TEST

/* ---- caches that outlive a run ---- */

/* One-off runs sharing a state file: the list check and the ids learned
 * from upserts are kept there, so a new sign-up costs an upsert and an
 * add, and a known contact with only an email the add alone. */
START_TEST(one_off_runs_share_the_list_check_and_ids)
{
    struct ochrun r;
    unsigned long before;
    push_file(&r, "first.csv", "email\nann@example.com\n");
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_NENDPOINTS), 3); /* list check, upsert, add */
    ochrun_free(&r);

    before = hspush_calls(&H, HSPUSH_NENDPOINTS);
    push_file(&r, "new.csv", "email\nbob@example.com\n");
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ASSERT_HAS(OCHRUN_OUT(&r), "\"status\":\"added\"");
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_NENDPOINTS) - before, 2);
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_LIST_GET), 1);
    ochrun_free(&r);

    before = hspush_calls(&H, HSPUSH_NENDPOINTS);
    push_file(&r, "known.csv", "email\nAnn@Example.com\n");
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ASSERT_HAS(OCHRUN_OUT(&r), "\"id\":\"5000\",\"status\":\"already_member\"");
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_NENDPOINTS) - before, 1);
    ck_assert_uint_eq(hspush_calls(&H, HSPUSH_UPSERT), 2);
    ochrun_free(&r);
}
END_TEST


/* ---- result lines in batches (a bulk push without --follow) ---- */

/* n inputs, one per line: "u<i>@example.com" (line i), every 20th a
 * locally invalid "bad<i>-no-at.example.com"; pad makes each line about
 * that much longer. */
static void write_bulk_input(const char *name, size_t n, size_t pad, char *path, size_t size)
{
    struct kit_buf b = KIT_BUF_INIT;
    char *filler = malloc(pad + 1);
    ck_assert_ptr_nonnull(filler);
    memset(filler, 'x', pad);
    filler[pad] = '\0';
    for(size_t i = 1; i <= n; i++)
        kit_buf_printf(&b, i % 20 == 0 ? "{\"email\":\"bad%zu-no-at.example.com\",\"firstname\":\"F%s\"}\n"
                                       : "{\"email\":\"u%zu@example.com\",\"firstname\":\"F%s\"}\n",
                       i, filler);
    ck_assert(kit_buf_ok(&b));
    ochrun_write_file(&E, name, kit_buf_str(&b), 0644, path, size);
    free(filler);
    kit_buf_free(&b);
}

/* The input line a whole result line answers (its "input", "line N"),
 * and whether it says added or already_member; fails on anything but a
 * whole push_result line. */
static size_t result_line_of(const char *line, size_t len, int *done)
{
    struct kit_json j = {0};
    ck_assert_msg(kit_json_parse(&j, line, len, NULL, 0) == 0, "not a whole JSON line: %.*s", (int)len, line);
    ck_assert(kit_json_eq(&j, kit_json_get(&j, 0, "kind"), "push_result"));
    char *input = kit_json_strdup(&j, kit_json_get(&j, 0, "input"));
    ck_assert_ptr_nonnull(input);
    ck_assert_msg(!strncmp(input, "line ", 5), "%s", input);
    size_t at = strtoul(input + 5, NULL, 10);
    *done = kit_json_eq(&j, kit_json_get(&j, 0, "status"), "added") ||
            kit_json_eq(&j, kit_json_get(&j, 0, "status"), "already_member");
    free(input);
    kit_json_free(&j);
    return at;
}

/* Mark in seen[1..n] each input answered by a whole line of text (a torn
 * last line is left alone when torn_ok); returns the lines counted.
 * done (may be NULL) gets the inputs that ended added or already_member. */
static size_t mark_results(const char *text, size_t len, size_t n, int *seen, int *done, int torn_ok)
{
    size_t lines = 0;
    for(const char *p = text; p < text + len;) {
        const char *nl = memchr(p, '\n', (size_t)(text + len - p));
        if(!nl) {
            ck_assert_msg(torn_ok, "stdout ends in a torn line: %s", p);
            break;
        }
        int ok;
        size_t at = result_line_of(p, (size_t)(nl - p), &ok);
        ck_assert_msg(at >= 1 && at <= n, "result for line %zu", at);
        ck_assert_msg(!seen[at], "two results for line %zu", at);
        seen[at] = 1;
        if(done)
            done[at] = ok;
        lines++;
        p = nl + 1;
    }
    return lines;
}

/* Read fd to its end into b. */
static void read_all(int fd, struct kit_buf *b)
{
    char buf[65536];
    ssize_t got;
    while((got = read(fd, buf, sizeof buf)) > 0 || (got < 0 && errno == EINTR))
        if(got > 0)
            kit_buf_append(b, buf, (size_t)got);
    ck_assert(kit_buf_ok(b));
}

#define BULK_N 3000

/* The end of a push whose stdout is the pipe out_fd: read it to its end
 * (into got, which the caller frees), wait for ochost (exit 6: the
 * invalid inputs failed) and check that each of the n inputs got one
 * whole result line. */
static void end_pipe_push(pid_t pid, int out_fd, const struct ochrun_opts *o, size_t n, struct kit_buf *got)
{
    read_all(out_fd, got);
    close(out_fd);
    struct ochrun r;
    ochrun_wait(&E, pid, o, &r);
    ck_assert_msg(r.code == 6, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ochrun_free(&r);
    int *seen = calloc(n + 1, sizeof *seen);
    ck_assert_ptr_nonnull(seen);
    ck_assert_uint_eq(mark_results(got->data, got->len, n, seen, NULL, 0), n);
    free(seen);
}

/* A bulk push with locally invalid emails between the good ones, stdout
 * a pipe, run under strace: the results go out in a few large write(2)
 * calls, not one per refused input (each of which also woke the reader),
 * and every result arrives as a whole line. Skipped when strace is
 * missing or cannot trace here. */
START_TEST(bulk_push_writes_results_in_large_batches)
{
    struct ochrun_env traced;
    if(ochrun_strace(&E, &traced, "bulk_push_writes_results_in_large_batches"))
        return;
    char input[300], trace[300];
    write_bulk_input("bulk.jsonl", BULK_N, 0, input, sizeof input);
    snprintf(trace, sizeof trace, "%s/trace", E.tmp);
    int out[2];
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    struct ochrun_opts o = {.stdout_fd = out[1]};
    pid_t pid = ochrun_start(&traced,
                             (const char *[]){"-f", "-qq", "-e", "trace=write", "-o", trace, E.ochost,
                                              "--manifest", E.manifest, "--state", state, "push", "--list",
                                              HSPUSH_LIST, "--input", input, NULL},
                             (const char *[]){TOKEN_ENV, base_env, "ASAN_OPTIONS=detect_leaks=0", NULL}, &o);
    close(out[1]);
    struct kit_buf got = KIT_BUF_INIT;
    end_pipe_push(pid, out[0], &o, BULK_N, &got);
    size_t writes = ochrun_count(trace, "write(1,");
    ck_assert_msg(writes >= 1 && writes <= BULK_N / 256 + 4,
                  "%zu write(2) calls on stdout for %d results (%zu bytes)", writes, BULK_N, got.len);
    kit_buf_free(&got);
}
END_TEST

/* The reader of stdout goes away mid-push (SIGPIPE ignored, so writes
 * fail with EPIPE) while result lines are gathered: the push stops with
 * exit 7, and every input is either answered added/already_member in a
 * whole line the reader got, or in the rejects file; lines gathered but
 * never taken by stdout leave their inputs there. */
START_TEST(stdout_gone_mid_push_gathered_inputs_in_rejects)
{
    char input[300], rejects[300];
    write_bulk_input("bulk.jsonl", BULK_N, 0, input, sizeof input);
    snprintf(rejects, sizeof rejects, "%s/rejects.jsonl", E.tmp);
    int out[2];
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    struct ochrun_opts o = {.stdout_fd = out[1], .ignore_sigpipe = 1};
    pid_t pid = ochrun_start(&E,
                             (const char *[]){"--manifest", E.manifest, "--state", state, "push", "--list",
                                              HSPUSH_LIST, "--input", input, "--rejects", rejects, NULL},
                             (const char *[]){TOKEN_ENV, base_env, NULL}, &o);
    close(out[1]);
    /* A line of the first batch, then the reader leaves. Everything
     * ochost's writes put into the pipe is read first, with ochost stopped
     * so nothing is in flight; what the pipe did not take fails (EPIPE)
     * once it goes on. */
    struct kit_buf got = KIT_BUF_INIT;
    char buf[4096];
    while(!memchr(got.data ? got.data : "", '\n', got.len)) {
        ssize_t n = read(out[0], buf, sizeof buf);
        ck_assert_msg(n > 0, "stdout ended before a result: %zd", n);
        kit_buf_append(&got, buf, (size_t)n);
    }
    int status;
    ck_assert_int_eq(kill(pid, SIGSTOP), 0);
    ck_assert_int_eq(waitpid(pid, &status, WUNTRACED), pid);
    ck_assert(WIFSTOPPED(status));
    ck_assert_int_eq(fcntl(out[0], F_SETFL, O_NONBLOCK), 0);
    for(;;) {
        ssize_t n = read(out[0], buf, sizeof buf);
        if(n <= 0) {
            ck_assert_msg(n < 0 && errno == EAGAIN, "ochost ended before the reader left");
            break;
        }
        kit_buf_append(&got, buf, (size_t)n);
    }
    close(out[0]);
    ck_assert_int_eq(kill(pid, SIGCONT), 0);
    struct ochrun r;
    ochrun_wait(&E, pid, &o, &r);
    ck_assert_msg(r.code == 7, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ASSERT_HAS(OCHRUN_ERR(&r), "cannot write to stdout: Broken pipe");

    int *seen = calloc(BULK_N + 1, sizeof *seen), *done = calloc(BULK_N + 1, sizeof *done);
    int *rejected = calloc(BULK_N + 1, sizeof *rejected);
    ck_assert(seen && done && rejected);
    size_t whole = mark_results(got.data, got.len, BULK_N, seen, done, 1);
    ck_assert_msg(whole >= 1 && whole < BULK_N, "%zu whole lines read", whole);

    struct kit_buf rej = KIT_BUF_INIT;
    ochrun_slurp(rejects, &rej);
    size_t never_written = 0;
    for(const char *p = kit_buf_str(&rej); *p;) {
        const char *nl = strchr(p, '\n');
        ck_assert_msg(nl != NULL, "rejects file ends in a torn line: %s", p);
        struct kit_json j = {0};
        ck_assert_int_eq(kit_json_parse(&j, p, (size_t)(nl - p), NULL, 0), 0);
        char *email = kit_json_strdup(&j, kit_json_get(&j, 0, "email"));
        char *why = kit_json_strdup(&j, kit_json_get(&j, 0, "ochost_error"));
        ck_assert(email && why);
        size_t at = strtoul(email + (email[0] == 'u' ? 1 : 3), NULL, 10);
        ck_assert_msg(at >= 1 && at <= BULK_N && !rejected[at], "%s", email);
        rejected[at] = 1;
        never_written += strstr(why, "could not be written to stdout") != NULL;
        free(email);
        free(why);
        kit_json_free(&j);
        p = nl + 1;
    }
    size_t missing = 0;
    for(size_t i = 1; i <= BULK_N; i++)
        if(!done[i] && !rejected[i])
            missing++;
    ck_assert_msg(missing == 0, "%zu inputs neither answered on stdout nor in the rejects file", missing);
    /* the path under test was taken: results gathered, then stdout failed */
    ck_assert_msg(never_written > 0, "no input left for a result stdout never took:\n%.2000s",
                  kit_buf_str(&rej));
    free(seen);
    free(done);
    free(rejected);
    kit_buf_free(&rej);
    kit_buf_free(&got);
    ochrun_free(&r);
}
END_TEST

/* A bulk push (no --follow) whose input comes through a pipe that stays
 * open: the results of what was read are written while ochost waits for
 * more input, not held until the writer closes the pipe. */
START_TEST(bulk_push_from_open_pipe_writes_results_while_waiting)
{
    int in[2], out[2];
    char stdin_path[64];
    ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    snprintf(stdin_path, sizeof stdin_path, "/dev/fd/%d", in[0]);
    struct ochrun_opts o = {.stdin_path = stdin_path, .stdout_fd = out[1]};
    pid_t pid = ochrun_start(&E,
                             (const char *[]){"--manifest", E.manifest, "--state", state, "push", "--list",
                                              HSPUSH_LIST, NULL},
                             (const char *[]){TOKEN_ENV, base_env, NULL}, &o);
    close(in[0]);
    close(out[1]);
    /* More than one read's worth (64 KiB) of long lines, all refused
     * locally, so their results are known at once and few enough to fit
     * one batch: without a write before waiting they would sit there. */
    struct kit_buf text = KIT_BUF_INIT;
    char pad[256];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    size_t n = 0;
    while(text.len < 72 * 1024)
        kit_buf_printf(&text, "{\"email\":\"bad%zu-no-at.example.com\",\"firstname\":\"%s\"}\n", ++n, pad);
    ck_assert(kit_buf_ok(&text));
    ck_assert_int_eq(write(in[1], text.data, text.len), (ssize_t)text.len);
    struct pollfd pf = {.fd = out[0], .events = POLLIN};
    ck_assert_msg(poll(&pf, 1, 10000) == 1, "no result within 10 s while the input stays open");
    close(in[1]);
    struct kit_buf got = KIT_BUF_INIT;
    end_pipe_push(pid, out[0], &o, n, &got);
    kit_buf_free(&text);
    kit_buf_free(&got);
}
END_TEST

/* A bulk push that waits on the rate limit between its calls (one call
 * per 5 s; the host's clock is virtual, so the waits pass at once): the
 * results known before a wait (inputs refused locally while reading) go
 * out before it, since the wait would carry them past a second on the
 * host's clock, not after it or all at the end. Seen in the order of write(2) on stdout and the calls'
 * sendto(2) under strace; skipped when strace cannot trace here. */
START_TEST(bulk_push_writes_results_before_waiting_on_the_rate_limit)
{
    struct ochrun_env traced;
    if(ochrun_strace(&E, &traced, "bulk_push_writes_results_before_waiting_on_the_rate_limit"))
        return;
    char input[300], trace[300], cfg[300];
    struct kit_buf text = KIT_BUF_INIT;
    for(size_t i = 1; i <= 300; i++)
        kit_buf_printf(&text, i % 20 == 0 ? "{\"email\":\"bad%zu-no-at.example.com\"}\n"
                                          : "{\"email\":\"u%zu@example.com\"}\n",
                       i);
    ochrun_write_file(&E, "paced.jsonl", kit_buf_str(&text), 0644, input, sizeof input);
    ochrun_write_file(&E, "paced.conf", "burst_max = 1\nburst_window_ms = 5000\nmax_concurrency = 1\n", 0600, cfg,
                      sizeof cfg);
    snprintf(trace, sizeof trace, "%s/trace", E.tmp);
    struct ochrun r;
    ochrun(&traced, &r,
           (const char *[]){"-f", "-qq", "-e", "trace=write,sendto", "-o", trace, E.ochost, "--manifest",
                            E.manifest, "--config", cfg, "--state", state, "push", "--list", HSPUSH_LIST,
                            "--input", input, NULL},
           (const char *[]){TOKEN_ENV, base_env, "ASAN_OPTIONS=detect_leaks=0",
                            "OCHOST_VIRTUAL_CLOCK_MS=1767225600000", NULL},
           NULL);
    ck_assert_msg(r.code == 6, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    int *seen = calloc(301, sizeof *seen);
    ck_assert_ptr_nonnull(seen);
    ck_assert_uint_eq(mark_results(r.out.data, r.out.len, 300, seen, NULL, 0), 300);
    ck_assert_uint_ge(hspush_calls(&H, HSPUSH_UPSERT), 3);
    kit_buf_reset(&text);
    ochrun_slurp(trace, &text);
    /* the list check, then the first upsert after a 5 s wait: the lines
     * gathered while reading its inputs go out before that wait */
    const char *first_write = strstr(kit_buf_str(&text), "write(1,");
    const char *second_call = strstr(kit_buf_str(&text), "sendto(");
    second_call = second_call ? strstr(second_call + 1, "sendto(") : NULL;
    ck_assert_msg(first_write && second_call, "no write(2) on stdout or fewer than two calls in the trace");
    ck_assert_msg(first_write < second_call, "results held over the wait for the rate limit:\n%.3000s",
                  kit_buf_str(&text));
    free(seen);
    kit_buf_free(&text);
    ochrun_free(&r);
}
END_TEST

/* ---- waits for the rate limit ---- */

/* ochost push of one new contact under burst_max 1 per window_ms, stdout
 * and stderr captured; args before ochost's own (a tracer) may be given. */
static pid_t paced_push_start(const struct ochrun_env *env, const char *const *pre, const char *window_ms)
{
    char input[300], cfg[300], text[128];
    ochrun_write_file(&E, "one.jsonl", "{\"email\":\"paced@example.com\"}\n", 0644, input, sizeof input);
    snprintf(text, sizeof text, "burst_max = 1\nburst_window_ms = %s\nmax_concurrency = 1\n", window_ms);
    ochrun_write_file(&E, "paced1.conf", text, 0600, cfg, sizeof cfg);
    const char *args[32];
    size_t n = 0;
    for(; pre && pre[n]; n++)
        args[n] = pre[n];
    const char *rest[] = {"--manifest", E.manifest, "--config", cfg, "--state", state, "push", "--list",
                          HSPUSH_LIST, "--input", input, NULL};
    memcpy(args + n, rest, sizeof rest);
    return ochrun_start(env, args, (const char *[]){TOKEN_ENV, base_env, "ASAN_OPTIONS=detect_leaks=0", NULL},
                        NULL);
}

/* The wait between calls is one sleep (a poll(2) a signal ends), not a
 * wake-up every 100 ms: calls two seconds apart, under strace, make no
 * clock_nanosleep at all (the slices made about twenty a second). The
 * window is long enough that a call slowed by strace, a sanitizer and a
 * loaded machine still leaves a wait after it. Skipped when strace cannot
 * trace here. */
START_TEST(rate_limit_wait_is_one_sleep)
{
    struct ochrun_env traced;
    if(ochrun_strace(&E, &traced, "rate_limit_wait_is_one_sleep"))
        return;
    char trace[300];
    snprintf(trace, sizeof trace, "%s/trace", E.tmp);
    pid_t pid = paced_push_start(
        &traced, (const char *[]){"-f", "-qq", "-e", "trace=clock_nanosleep,nanosleep", "-o", trace, E.ochost, NULL},
        "2000");
    struct ochrun r;
    ochrun_wait(&E, pid, NULL, &r);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ASSERT_HAS(OCHRUN_ERR(&r), "waiting");
    ck_assert_uint_ge(hspush_calls(&H, HSPUSH_NENDPOINTS), 3);
    size_t sleeps = ochrun_count(trace, "nanosleep(");
    ck_assert_msg(sleeps <= 2, "%zu nanosleep calls while waiting out the rate limit", sleeps);
    ochrun_free(&r);
}
END_TEST

/* SIGTERM during a ten-minute wait for the rate limit ends the run at
 * once (exit 7, nothing lost), not when the wait is over. */
START_TEST(sigterm_ends_a_long_rate_limit_wait)
{
    char errp[300];
    snprintf(errp, sizeof errp, "%s/stderr", E.tmp);
    pid_t pid = paced_push_start(&E, NULL, "600000");
    struct timespec pause = {0, 5000000L};
    for(int waited = 0; ochrun_count(errp, "waiting ") == 0 && waited < 4000; waited++)
        nanosleep(&pause, NULL);
    ck_assert_msg(ochrun_count(errp, "waiting ") > 0, "the run never said it was waiting");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    struct ochrun r;
    ochrun_wait(&E, pid, NULL, &r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_msg(r.code == 7, "exit %d (signal %d): %s", r.code, r.signal, OCHRUN_ERR(&r));
    ck_assert_msg(took < 30.0, "the run took %.1f s to end after SIGTERM", took);
    ochrun_free(&r);
}
END_TEST

extern Suite *make_push_ochost_suite(void);
Suite *make_push_ochost_suite(void)
{
    Suite *s = suite_create("push_ochost");
    TCase *tc = tcase_create("properties");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, unknown_columns_stop_before_any_write);
    tcase_add_test(tc, input_open_errors_say_what_to_do);
    suite_add_tcase(s, tc);
    tc = tcase_create("follow");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, follow_answers_each_input_as_it_arrives);
    tcase_add_test(tc, follow_sigterm_answers_everything_read);
    tcase_add_test(tc, follow_line_in_pieces_does_not_block_the_linger);
    tcase_add_test(tc, follow_results_equal_bulk_results);
    tcase_add_test(tc, one_off_runs_share_the_list_check_and_ids);
    suite_add_tcase(s, tc);
    tc = tcase_create("batches");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, bulk_push_writes_results_in_large_batches);
    tcase_add_test(tc, stdout_gone_mid_push_gathered_inputs_in_rejects);
    tcase_add_test(tc, bulk_push_from_open_pipe_writes_results_while_waiting);
    tcase_add_test(tc, bulk_push_writes_results_before_waiting_on_the_rate_limit);
    tcase_add_test(tc, rate_limit_wait_is_one_sleep);
    tcase_add_test(tc, sigterm_ends_a_long_rate_limit_wait);
    suite_add_tcase(s, tc);
    return s;
}
