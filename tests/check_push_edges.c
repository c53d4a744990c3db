/*
 * check_push_edges.c - how a push ends at its edges, through the built
 * ochost (tests/support/ochrun.h) where signals and files are the point,
 * and in-process against a cassette where the plugin's reading of an
 * answer is: a signal mid-run, a stop at the list check, --rejects naming
 * the input, a rejects file cut short, an oversized record, a lost
 * membership reply.
 *
 * The invariant checked throughout: every input read gets exactly one
 * push_result, and the rejects file holds exactly the inputs that did not
 * end added or already_member, each in the input's own format.
 *
 * Inputs here must match fixtures/hubspot/gen/push_edge_gen.py.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host-api/ochost/input.h"
#include "host-api/ochost/status.h"
#include "hubspot/push.h"
#include "plugin/json.h"
#include "tests/support/ochrun.h"
#include "tests/support/scenario_check.h"

static struct ochrun_env E;

static void setup(void) { ochrun_setup(&E); }
static void teardown(void) { ochrun_teardown(&E); }

#define OUT(r) OCHRUN_OUT(r)
#define ERR(r) OCHRUN_ERR(r)

enum { ST_NONE = 0, ST_ADDED, ST_ALREADY, ST_FAILED };

/* The inputs of a test: lines[i] is the text of physical line i (1-based;
 * line 1 of a CSV is its header). */
struct inputs {
    char **lines;
    size_t n; /* highest line number */
};

static void inputs_free(struct inputs *in)
{
    for(size_t i = 0; i <= in->n; i++)
        free(in->lines[i]);
    free(in->lines);
}

/* Write the lines (line 1 first, each followed by a newline) to name. */
static void inputs_write(const struct inputs *in, const char *name, char *path, size_t size)
{
    struct kit_buf b = KIT_BUF_INIT;
    for(size_t i = 1; i <= in->n; i++) {
        kit_buf_puts(&b, in->lines[i]);
        kit_buf_putc(&b, '\n');
    }
    ck_assert(kit_buf_ok(&b));
    ochrun_write_file(&E, name, kit_buf_str(&b), 0644, path, size);
    kit_buf_free(&b);
}

/* The push-edge-signal rows (push_edge_gen.py signal_row). */
static struct inputs signal_inputs(size_t n)
{
    struct inputs in = {calloc(n + 2, sizeof(char *)), n + 1};
    ck_assert_ptr_nonnull(in.lines);
    in.lines[1] = strdup("email,firstname");
    for(size_t p = 1; p <= n; p++) {
        char row[96];
        if(p % 97 == 0)
            snprintf(row, sizeof row, "bad%zu-no-at.example.com,S%zu", p, p);
        else
            snprintf(row, sizeof row, "s%zu@example.com,S%zu", p, p);
        in.lines[p + 1] = strdup(row);
    }
    return in;
}

/* Status per input line from ochost's stdout; fails the test on a line
 * that is not a push_result or on a second result for one input. errors
 * (optional) gets each failed result's error text. */
static int *parse_results(const char *out, size_t nlines, char ***errors)
{
    int *st = calloc(nlines + 1, sizeof *st);
    ck_assert_ptr_nonnull(st);
    if(errors) {
        *errors = calloc(nlines + 1, sizeof **errors);
        ck_assert_ptr_nonnull(*errors);
    }
    for(const char *p = out; *p;) {
        const char *nl = strchr(p, '\n');
        ck_assert_msg(nl != NULL, "stdout ends in a torn line: %s", p);
        struct kit_json j = {0};
        ck_assert_int_eq(kit_json_parse(&j, p, (size_t)(nl - p), NULL, 0), 0);
        ck_assert(kit_json_eq(&j, kit_json_get(&j, 0, "kind"), "push_result"));
        char *input = kit_json_strdup(&j, kit_json_get(&j, 0, "input"));
        char *status = kit_json_strdup(&j, kit_json_get(&j, 0, "status"));
        ck_assert_ptr_nonnull(input);
        ck_assert_ptr_nonnull(status);
        ck_assert_msg(!strncmp(input, "line ", 5), "%s", input);
        size_t line = strtoul(input + 5, NULL, 10);
        ck_assert_msg(line >= 1 && line <= nlines, "result for %s", input);
        ck_assert_msg(st[line] == ST_NONE, "two results for %s", input);
        st[line] = !strcmp(status, "added") ? ST_ADDED : !strcmp(status, "already_member") ? ST_ALREADY
                                                                                            : ST_FAILED;
        if(st[line] == ST_FAILED && errors)
            (*errors)[line] = kit_json_strdup(&j, kit_json_get(&j, 0, "error"));
        free(input);
        free(status);
        kit_json_free(&j);
        p = nl + 1;
    }
    return st;
}

static void free_errors(char **errors, size_t nlines)
{
    for(size_t i = 0; i <= nlines; i++)
        free(errors[i]);
    free(errors);
}

/* Read a rejects file with ochost's own reader and mark, for each record,
 * the input line whose text it holds (its ochost_error aside). Fails the
 * test on a record that is no input or one seen twice. Returns how many
 * records; reasons (optional) gets each record's raw text. */
static size_t read_rejects(const char *path, const struct inputs *in, int *seen)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "no rejects file %s", path);
    struct och_input rd;
    struct oc_error err;
    och_error_init(&err);
    ck_assert_int_eq(och_input_open(&rd, f, path, &err), OC_OK);
    struct oc_record rec;
    size_t n = 0;
    while(och_input_next(&rd, &rec) == OC_OK) {
        size_t len;
        const char *text = och_input_reject_text(&rd, &len);
        ck_assert_ptr_nonnull(text);
        ck_assert_msg(strstr(och_input_raw(&rd, NULL), "ochost_error") || rd.format == OCH_INPUT_CSV,
                      "no reason in %s", och_input_raw(&rd, NULL));
        size_t line = 0;
        for(size_t i = 2; i <= in->n && !line; i++)
            if(strlen(in->lines[i]) == len && !memcmp(in->lines[i], text, len))
                line = i;
        ck_assert_msg(line, "rejects record is no input: %.*s", (int)len, text);
        ck_assert_msg(!seen[line], "input line %zu twice in the rejects file", line);
        seen[line] = 1;
        n++;
    }
    och_input_close(&rd);
    fclose(f);
    return n;
}

static void write_config(const char *text, char *path, size_t size)
{
    ochrun_write_file(&E, "ochost.conf", text, 0600, path, size);
}

static int file_has(const char *path, const char *needle)
{
    struct kit_buf b = KIT_BUF_INIT;
    ochrun_slurp(path, &b);
    int has = strstr(kit_buf_str(&b), needle) != NULL;
    kit_buf_free(&b);
    return has;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- a signal mid-push ---- */

START_TEST(sigterm_mid_push_every_input_accounted_once)
{
    enum { N = 2000 };
    char input[256], rejects[256], conf[256], outp[256];
    struct inputs in = signal_inputs(N);
    inputs_write(&in, "in.csv", input, sizeof input);
    snprintf(rejects, sizeof rejects, "%s/rejects.csv", E.tmp);
    snprintf(outp, sizeof outp, "%s/stdout", E.tmp);
    write_config("max_concurrency = 1\nmembership_chunk = 100\n", conf, sizeof conf);
    const char *args[] = {"--manifest", E.manifest, "--config", conf, "--fixtures",
                          "fixtures/hubspot/push-edge-signal.json", "push", "--list", "4242",
                          "--input", input, "--rejects", rejects, NULL};
    pid_t pid = ochrun_start(&E, args, NULL, NULL);
    /* The first results are out once the second upsert is answered; the
     * signal then lands while later calls are in flight (each answer is
     * delayed 60 ms, the whole run would take over a second). */
    int waited = 0;
    while(!file_has(outp, "\"added\"") && waited < 20000) {
        sleep_ms(5);
        waited += 5;
    }
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    struct ochrun r;
    ochrun_wait(&E, pid, NULL, &r);
    ck_assert_msg(r.code == 7, "exit %d (signal %d): %s", r.code, r.signal, ERR(&r));

    char **errors;
    int *st = parse_results(OUT(&r), in.n, &errors);
    /* Inputs are read in order: results cover lines 2..K exactly, K < N+1. */
    size_t k = 1;
    while(k + 1 <= in.n && st[k + 1] != ST_NONE)
        k++;
    for(size_t i = k + 1; i <= in.n; i++)
        ck_assert_msg(st[i] == ST_NONE, "line %zu has a result but line %zu has none", i, k + 1);
    ck_assert_msg(k > 2 && k < in.n, "read %zu lines: the signal did not land mid-run", k);
    size_t cancelled = 0, good = 0;
    for(size_t i = 2; i <= k; i++) {
        good += st[i] == ST_ADDED || st[i] == ST_ALREADY;
        cancelled += errors[i] && strstr(errors[i], "cancelled") != NULL;
    }
    ck_assert_msg(cancelled > 0, "no input read was reported cancelled: %s", ERR(&r));

    /* The rejects file: exactly the inputs not added or already members. */
    int *seen = calloc(in.n + 1, sizeof *seen);
    ck_assert_ptr_nonnull(seen);
    size_t nrej = read_rejects(rejects, &in, seen);
    for(size_t i = 2; i <= in.n; i++) {
        int done = st[i] == ST_ADDED || st[i] == ST_ALREADY;
        ck_assert_msg(seen[i] == !done, "line %zu: status %d, in rejects %d", i, st[i], seen[i]);
    }
    ck_assert_uint_eq(nrej, N - good);
    /* The summary is true: it says the run was cancelled, how far it read. */
    char said[96];
    snprintf(said, sizeof said, "cancelled after reading %zu inputs", k - 1);
    ASSERT_HAS(ERR(&r), said);
    ASSERT_LACKS(ERR(&r), "every input has a push_result");
    free(seen);
    free(st);
    free_errors(errors, in.n);
    inputs_free(&in);
    ochrun_free(&r);
}
END_TEST

/* ---- a stop at the list check ---- */

static struct inputs small_csv(void)
{
    static const char *const rows[] = {"email,firstname", "ann@example.com,Ann", "not-an-email,X",
                                       "bob@example.com,\"Bob, Jr.\"", "cy@example.com,Cy"};
    size_t n = sizeof rows / sizeof rows[0];
    struct inputs in = {calloc(n + 1, sizeof(char *)), n};
    for(size_t i = 0; i < n; i++)
        in.lines[i + 1] = strdup(rows[i]);
    return in;
}

/* Push small_csv through cassette with config text, and check that every
 * input was reported failed with a reason containing why and is in the
 * rejects file; returns the run. */
static void list_stop(const char *cassette, const char *config, const char *state, int want_code,
                      const char *why)
{
    char input[256], rejects[256], conf[256];
    struct inputs in = small_csv();
    inputs_write(&in, "in.csv", input, sizeof input);
    snprintf(rejects, sizeof rejects, "%s/rejects.csv", E.tmp);
    write_config(config, conf, sizeof conf);
    const char *args[] = {"--manifest", E.manifest, "--config", conf, "--state", state, "--fixtures",
                          cassette, "push", "--list", "4242", "--input", input, "--rejects", rejects,
                          NULL};
    struct ochrun r;
    ochrun(&E, &r, args, NULL, NULL);
    ck_assert_msg(r.code == want_code, "exit %d: %s", r.code, ERR(&r));
    char **errors;
    int *st = parse_results(OUT(&r), in.n, &errors);
    for(size_t i = 2; i <= in.n; i++) {
        ck_assert_msg(st[i] == ST_FAILED, "line %zu: status %d", i, st[i]);
        if(i != 3) /* line 3 fails for its own reason, before any call */
            ck_assert_msg(strstr(errors[i], why), "line %zu: %s", i, errors[i]);
    }
    int *seen = calloc(in.n + 1, sizeof *seen);
    ck_assert_uint_eq(read_rejects(rejects, &in, seen), in.n - 1);
    struct stat sb;
    ck_assert_int_eq(stat(rejects, &sb), 0);
    ck_assert_uint_eq(sb.st_mode & 0777, 0600); /* contact data */
    free(seen);
    free(st);
    free_errors(errors, in.n);
    inputs_free(&in);
    ochrun_free(&r);
}

START_TEST(daily_limit_at_list_check_reports_every_input)
{
    char state[256];
    snprintf(state, sizeof state, "%s/ochost.state", E.tmp);
    list_stop("fixtures/hubspot/push-edge-list-daily.json", "", state, 5, "daily limit");
}
END_TEST

START_TEST(unreachable_at_list_check_reports_every_input)
{
    char state[256];
    snprintf(state, sizeof state, "%s/ochost.state", E.tmp);
    list_stop("fixtures/hubspot/push-edge-list-unreachable.json", "max_retries = 1\n", state, 7,
              "checking list 4242 failed");
}
END_TEST

START_TEST(budget_at_list_check_reports_every_input)
{
    char state[256];
    snprintf(state, sizeof state, "%s/ochost.state", E.tmp);
    /* The first run spends today's one call (the limit answer counts). */
    list_stop("fixtures/hubspot/push-edge-list-daily.json", "", state, 5, "daily limit");
    /* The second is refused by the budget before its list check. */
    list_stop("fixtures/hubspot/push-edge-list-daily.json", "daily_budget = 1\n", state, 5, "budget");
}
END_TEST

/* ---- --rejects naming the input ---- */

static void same_file_refused(const char *rejects_arg, const char *input_arg, const char *stdin_path)
{
    char input[256], state[256];
    struct inputs in = small_csv();
    inputs_write(&in, "in.csv", input, sizeof input);
    struct kit_buf before = KIT_BUF_INIT, after = KIT_BUF_INIT;
    ochrun_slurp(input, &before);
    snprintf(state, sizeof state, "%s/ochost.state", E.tmp);
    const char *args[16];
    int a = 0;
    args[a++] = "--manifest";
    args[a++] = E.manifest;
    args[a++] = "--state";
    args[a++] = state;
    args[a++] = "--fixtures";
    args[a++] = "fixtures/hubspot/push-edge-list-daily.json";
    args[a++] = "push";
    args[a++] = "--list";
    args[a++] = "4242";
    if(input_arg) {
        args[a++] = "--input";
        args[a++] = input_arg;
    }
    args[a++] = "--rejects";
    args[a++] = rejects_arg;
    args[a] = NULL;
    struct ochrun_opts o = {.stdin_path = stdin_path};
    struct ochrun r;
    ochrun(&E, &r, args, NULL, &o);
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, ERR(&r));
    ASSERT_HAS(ERR(&r), "same file as the input");
    ASSERT_HAS(ERR(&r), rejects_arg);
    if(input_arg)
        ASSERT_HAS(ERR(&r), input_arg);
    ck_assert_str_eq(OUT(&r), "");
    ochrun_slurp(input, &after);
    ck_assert_uint_eq(after.len, before.len);
    ck_assert_msg(!memcmp(after.data, before.data, before.len), "the input changed");
    kit_buf_free(&before);
    kit_buf_free(&after);
    inputs_free(&in);
    ochrun_free(&r);
}

START_TEST(rejects_same_path_as_input_refused)
{
    char input[256];
    snprintf(input, sizeof input, "%s/in.csv", E.tmp);
    same_file_refused(input, input, NULL);
}
END_TEST

START_TEST(rejects_symlink_to_input_refused)
{
    char input[256], link[256];
    snprintf(input, sizeof input, "%s/in.csv", E.tmp);
    snprintf(link, sizeof link, "%s/link.csv", E.tmp);
    ck_assert_int_eq(symlink("in.csv", link), 0);
    same_file_refused(link, input, NULL);
}
END_TEST

START_TEST(rejects_hard_link_to_input_refused)
{
    char input[256], hard[256];
    struct inputs in = small_csv();
    inputs_write(&in, "in.csv", input, sizeof input);
    inputs_free(&in);
    snprintf(hard, sizeof hard, "%s/hard.csv", E.tmp);
    ck_assert_int_eq(link(input, hard), 0);
    same_file_refused(hard, input, NULL);
}
END_TEST

START_TEST(rejects_other_spelling_of_input_refused)
{
    char input[256], other[256], dir[256];
    snprintf(input, sizeof input, "%s/in.csv", E.tmp);
    snprintf(dir, sizeof dir, "%s/sub", E.tmp);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    snprintf(other, sizeof other, "%s/sub/../in.csv", E.tmp);
    same_file_refused(other, input, NULL);
    /* stdin redirected from the file is the same file too */
    same_file_refused(input, NULL, input);
}
END_TEST

/* A --rejects path that is a symlink elsewhere is refused, and what it
 * points at is left alone. */
START_TEST(rejects_through_symlink_refused)
{
    char input[256], target[256], link[256], state[256];
    struct inputs in = small_csv();
    inputs_write(&in, "in.csv", input, sizeof input);
    ochrun_write_file(&E, "precious.txt", "keep me\n", 0644, target, sizeof target);
    snprintf(link, sizeof link, "%s/rejects.csv", E.tmp);
    ck_assert_int_eq(symlink(target, link), 0);
    snprintf(state, sizeof state, "%s/ochost.state", E.tmp);
    const char *args[] = {"--manifest", E.manifest, "--state", state, "--fixtures",
                          "fixtures/hubspot/push-edge-list-daily.json", "push", "--list", "4242",
                          "--input", input, "--rejects", link, NULL};
    struct ochrun r;
    ochrun(&E, &r, args, NULL, NULL);
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, ERR(&r));
    ASSERT_HAS(ERR(&r), "symbolic link");
    struct kit_buf b = KIT_BUF_INIT;
    ochrun_slurp(target, &b);
    ck_assert_str_eq(kit_buf_str(&b), "keep me\n");
    kit_buf_free(&b);
    inputs_free(&in);
    ochrun_free(&r);
}
END_TEST

/* ---- a rejects file cut short, pushed again ---- */

/* Run a push of input (through the daily-limit list check, so every input
 * fails and lands in rejects) and return its stdout results. */
static void push_daily(const char *input, const char *rejects, struct ochrun *r)
{
    char state[256];
    snprintf(state, sizeof state, "%s/ochost.state", E.tmp);
    const char *args[] = {"--manifest", E.manifest, "--state", state, "--fixtures",
                          "fixtures/hubspot/push-edge-list-daily.json", "push", "--list", "4242",
                          "--input", input, "--rejects", rejects, NULL};
    ochrun(&E, r, args, NULL, NULL);
    ck_assert_msg(r->code == 5, "exit %d: %s", r->code, ERR(r));
}

/* Cut path's last record at the given distance before its end. */
static void cut_tail(const char *path, size_t back)
{
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(truncate(path, sb.st_size - (off_t)back), 0);
}

static void torn_rejects_line_is_invalid(const char *const *rows, size_t nrows, const char *ext,
                                         size_t cut_back, size_t torn_line)
{
    char input[256], rej1[256], rej2[256];
    struct inputs in = {calloc(nrows + 1, sizeof(char *)), nrows};
    for(size_t i = 0; i < nrows; i++)
        in.lines[i + 1] = strdup(rows[i]);
    char name[32];
    snprintf(name, sizeof name, "in.%s", ext);
    inputs_write(&in, name, input, sizeof input);
    snprintf(rej1, sizeof rej1, "%s/rejects1.%s", E.tmp, ext);
    snprintf(rej2, sizeof rej2, "%s/rejects2.%s", E.tmp, ext);
    struct ochrun r;
    push_daily(input, rej1, &r);
    ochrun_free(&r);
    /* kill -9 mid-write: the last record loses its tail and line end */
    cut_tail(rej1, cut_back);
    push_daily(rej1, rej2, &r);
    char **errors;
    int *st = parse_results(OUT(&r), in.n + 1, &errors);
    size_t results = 0;
    for(size_t i = 1; i <= in.n + 1; i++) {
        if(st[i] == ST_NONE)
            continue;
        results++;
        ck_assert_int_eq(st[i], ST_FAILED);
        if(i == torn_line)
            ck_assert_msg(strstr(errors[i], "looks cut off"), "line %zu: %s", i, errors[i]);
        else
            ck_assert_msg(strstr(errors[i], "daily limit") && !strstr(errors[i], "cut off"), "line %zu: %s", i,
                          errors[i]);
    }
    ck_assert_uint_eq(results, nrows - (ext[0] == 'c')); /* a CSV header is no input */
    ck_assert_int_ne(st[torn_line], ST_NONE);
    /* the emails of the whole records went through intact */
    ASSERT_HAS(OUT(&r), "\"email\":\"ann@example.com\"");
    free(st);
    free_errors(errors, in.n + 1);
    inputs_free(&in);
    ochrun_free(&r);
}

/* stdout on a full disk: the push stops saying so (not as a plugin
 * problem), and every input without a result is in the rejects file. */
START_TEST(stdout_full_named_and_rest_in_rejects)
{
    char rejects[256];
    struct ochrun r;
    struct ochrun_opts o = {.stdout_path = "/dev/full"};
    snprintf(rejects, sizeof rejects, "%s/rejects.csv", E.tmp);
    ochrun(&E, &r,
           (const char *[]){"--manifest", E.manifest, "--fixtures", "fixtures/hubspot/demo/3-push.json", "push",
                            "--list", "101", "--input", "fixtures/hubspot/demo/signups.csv", "--rejects", rejects,
                            NULL},
           NULL, &o);
    ck_assert_msg(r.code == 7, "exit %d: %.600s", r.code, OCHRUN_ERR(&r));
    ck_assert_msg(strstr(OCHRUN_ERR(&r), "ochost: push: cannot write to stdout: No space left on device"), "%.600s",
                  OCHRUN_ERR(&r));
    struct kit_buf rej = KIT_BUF_INIT;
    ochrun_slurp(rejects, &rej);
    /* Six sign-ups; none reached stdout, and none was added before the
     * stop, so all six are left to do. */
    size_t lines = 0;
    for(const char *c = kit_buf_str(&rej); *c; c++)
        lines += *c == '\n';
    ck_assert_msg(lines == 1 + 6, "header and 6 inputs expected:\n%s", kit_buf_str(&rej));
    kit_buf_free(&rej);
    ochrun_free(&r);
}
END_TEST

START_TEST(torn_csv_rejects_line_is_invalid)
{
    static const char *const rows[] = {"email,firstname", "ann@example.com,Ann", "bob@example.com,Bob",
                                       "cy@example.com,Cy"};
    /* Cut inside the reason of the last record: its field count is still
     * right, only the missing line end tells. */
    torn_rejects_line_is_invalid(rows, 4, "csv", 20, 4);
}
END_TEST

START_TEST(torn_jsonl_rejects_line_is_invalid)
{
    static const char *const rows[] = {"{\"email\":\"ann@example.com\",\"firstname\":\"Ann\"}",
                                       "{\"email\":\"bob@example.com\"}", "{\"email\":\"cy@example.com\"}"};
    torn_rejects_line_is_invalid(rows, 3, "jsonl", 20, 3);
}
END_TEST

/* ---- an oversized record keeps all its text in the rejects file ---- */

static void oversized_kept_whole(int csv)
{
    enum { BIG = 3 * 1024 * 1024 };
    char input[256], rejects[256];
    struct kit_buf big = KIT_BUF_INIT, text = KIT_BUF_INIT, rej = KIT_BUF_INIT;
    for(size_t i = 0; i < BIG; i++)
        kit_buf_putc(&big, (char)('a' + i % 26));
    if(csv) {
        kit_buf_puts(&text, "email,notes\n");
        kit_buf_printf(&text, "big@example.com,%s\n", kit_buf_str(&big));
        kit_buf_puts(&text, "small@example.com,x\n");
    } else {
        kit_buf_printf(&text, "{\"email\":\"big@example.com\",\"notes\":\"%s\"}\n", kit_buf_str(&big));
        kit_buf_puts(&text, "{\"email\":\"small@example.com\"}\n");
    }
    ck_assert(kit_buf_ok(&text));
    ochrun_write_file(&E, csv ? "in.csv" : "in.jsonl", kit_buf_str(&text), 0644, input, sizeof input);
    snprintf(rejects, sizeof rejects, "%s/rejects", E.tmp);
    struct ochrun r;
    push_daily(input, rejects, &r);
    ASSERT_HAS(OUT(&r), "longer than");
    ochrun_slurp(rejects, &rej);
    /* The big record, whole, then its reason. */
    const char *rec = strstr(kit_buf_str(&rej), "big@example.com");
    ck_assert_ptr_nonnull(rec);
    const char *nl = strchr(rec, '\n');
    ck_assert_ptr_nonnull(nl);
    ck_assert_msg(memmem(rec, (size_t)(nl - rec), big.data, big.len) != NULL, "the big value was cut");
    ck_assert_msg(memmem(rec, (size_t)(nl - rec), "ochost_error", 12) || csv, "no reason member");
    ck_assert_msg(memmem(rec, (size_t)(nl - rec), "longer than", 11) != NULL, "no reason");
    if(csv)
        ck_assert_msg(!strncmp(kit_buf_str(&rej), "email,notes,ochost_error\n", 25), "header: %.40s", rej.data);
    else
        ck_assert_msg(!memcmp(nl - 2, "\"}", 2), "the object is not closed");
    ASSERT_HAS(kit_buf_str(&rej), "small@example.com");
    kit_buf_free(&big);
    kit_buf_free(&text);
    kit_buf_free(&rej);
    ochrun_free(&r);
}

START_TEST(oversized_csv_record_kept_whole)
{
    oversized_kept_whole(1);
}
END_TEST

START_TEST(oversized_jsonl_record_kept_whole)
{
    oversized_kept_whole(0);
}
END_TEST

/* ---- a membership reply lost and retried ---- */

struct two_rows {
    size_t pos;
    char id[16];
    struct oc_field f[2];
};

static oc_status two_next(void *ctx, struct oc_record *r)
{
    static const char *const emails[] = {"new@example.com", "old@example.com"};
    static const char *const names[] = {"New", "Old"};
    struct two_rows *t = ctx;
    if(t->pos == 2)
        return OC_E_NOT_FOUND;
    snprintf(t->id, sizeof t->id, "line %zu", t->pos + 2);
    t->f[0] = (struct oc_field){"email", emails[t->pos], OC_FIELD_STRING};
    t->f[1] = (struct oc_field){"firstname", names[t->pos], OC_FIELD_STRING};
    t->pos++;
    r->kind = "contact";
    r->id = t->id;
    r->fields = t->f;
    r->nfields = 2;
    return OC_OK;
}

START_TEST(lost_membership_reply_created_contact_is_added)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/push-edge-membership-retry.json", NULL);
    struct two_rows t = {0};
    struct oc_push_request req = {sizeof req, "4242", two_next, &t};
    s.err.struct_size = sizeof s.err;
    oc_status rc = hs_push(s.in, &req, &s.err);
    ck_assert_msg(rc == OC_OK, "%s", s.err.message);
    const char *rec = kit_buf_str(&s.th.records);
    /* created by this run's upsert: it cannot have been a member before */
    ASSERT_HAS(rec, "\"email\":\"new@example.com\",\"id\":\"811\",\"status\":\"added\"");
    /* existed before: the retry's answer cannot tell (README says so) */
    ASSERT_HAS(rec, "\"email\":\"old@example.com\",\"id\":\"812\",\"status\":\"already_member\"");
    ck_assert_uint_eq(kit_http_calls(s.in->http), 5); /* with the properties */
    sc_verify_stop(&s);
}
END_TEST

/* ---- the host cancels mid-read (in-process: the plugin's side) ---- */

struct cancel_feed {
    struct scenario *s;
    size_t pos, cancel_at;
    char id[16], email[48];
    struct oc_field f[1];
};

static oc_status cancel_next(void *ctx, struct oc_record *r)
{
    struct cancel_feed *c = ctx;
    ck_assert_msg(!c->s->th.cancel, "input read after the host cancelled");
    c->pos++;
    if(c->pos == c->cancel_at)
        c->s->th.cancel = 1; /* a signal arrives while this input is handed out */
    snprintf(c->id, sizeof c->id, "line %zu", c->pos + 1);
    snprintf(c->email, sizeof c->email, "c%zu@example.com", c->pos);
    c->f[0] = (struct oc_field){"email", c->email, OC_FIELD_STRING};
    r->kind = "contact";
    r->id = c->id;
    r->fields = c->f;
    r->nfields = 1;
    return OC_OK;
}

START_TEST(host_cancel_reports_every_input_read)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/push-list-only.json", NULL);
    struct cancel_feed c = {.s = &s, .cancel_at = 150};
    struct oc_push_request req = {sizeof req, "4242", cancel_next, &c};
    s.err.struct_size = sizeof s.err;
    ck_assert_int_eq(hs_push(s.in, &req, &s.err), OC_E_CANCELLED);
    ck_assert_uint_eq(c.pos, 150); /* nothing read after the cancel */
    ck_assert_uint_eq(s.th.nrecords, 150);
    for(size_t p = 2; p <= 151; p++) {
        char want[64];
        snprintf(want, sizeof want, "\"input\":\"line %zu\",", p);
        const char *at = strstr(kit_buf_str(&s.th.records), want);
        ck_assert_msg(at != NULL, "no result for line %zu", p);
        ck_assert_msg(strstr(at + 1, want) == NULL, "two results for line %zu", p);
    }
    ASSERT_HAS(kit_buf_str(&s.th.records), "cancelled");
    ASSERT_HAS(s.err.message, "cancelled after reading 150 inputs");
    ck_assert_uint_eq(kit_http_calls(s.in->http), 1); /* the list check only */
    sc_verify_stop(&s);
}
END_TEST

extern Suite *make_push_edges_suite(void);
Suite *make_push_edges_suite(void)
{
    Suite *s = suite_create("push_edges");
    TCase *tc = tcase_create("ochost");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, sigterm_mid_push_every_input_accounted_once);
    tcase_add_test(tc, daily_limit_at_list_check_reports_every_input);
    tcase_add_test(tc, unreachable_at_list_check_reports_every_input);
    tcase_add_test(tc, budget_at_list_check_reports_every_input);
    tcase_add_test(tc, rejects_same_path_as_input_refused);
    tcase_add_test(tc, rejects_symlink_to_input_refused);
    tcase_add_test(tc, rejects_hard_link_to_input_refused);
    tcase_add_test(tc, rejects_other_spelling_of_input_refused);
    tcase_add_test(tc, rejects_through_symlink_refused);
    tcase_add_test(tc, stdout_full_named_and_rest_in_rejects);
    tcase_add_test(tc, torn_csv_rejects_line_is_invalid);
    tcase_add_test(tc, torn_jsonl_rejects_line_is_invalid);
    tcase_add_test(tc, oversized_csv_record_kept_whole);
    tcase_add_test(tc, oversized_jsonl_record_kept_whole);
    suite_add_tcase(s, tc);
    tc = tcase_create("cassettes");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, lost_membership_reply_created_contact_is_added);
    tcase_add_test(tc, host_cancel_reports_every_input_read);
    suite_add_tcase(s, tc);
    return s;
}
