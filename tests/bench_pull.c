/*
 * bench_pull.c - `make bench`: pull email events with the built ochost, a
 * real process writing JSON Lines to a file with its state file on disk,
 * against the replay server's dynamic handler, which generates realistic
 * ~1 KB events (nested sentBy, browser and location objects) 1000 to a
 * page, newest first, answering startTimestamp/endTimestamp and offset as
 * HubSpot does.
 *
 * The user pays for the whole ochost process (HTTP, parsing, writing
 * records, state saves), so its CPU (user + sys) and peak RSS come from
 * wait4 on the child; the server runs in this process and is not counted.
 * jq -c '.events[]' runs on the same pages (written to a file) in the same
 * run, output to a file too, because jq's rate differs from machine to
 * machine; it is skipped with a note when jq is not installed.
 *
 *   bench_pull            the table (the one-call baseline, then 10k, 100k,
 *                         1M events; a 40-day backfill)
 *   bench_pull N          one ochost run of N events (a multiple of 1000; 0
 *                         is the one-call baseline: one page, empty)
 *
 * BENCH_PULL_WRAP="perf record -g" or "valgrind --tool=callgrind" runs
 * ochost under that profiler (its figures then include the profiler).
 *
 * OC_BUILD names the build folder (ochost and the plugin); make sets it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixtures/replay.h"
#include "plugin/buf.h"
#include "tests/support/benchproc.h"
#include "tests/support/hspages.h"

#define NOW INT64_C(1795824000000)
#define DAY INT64_C(86400000)
#define PAGE 1000
#define RATIO_GOAL 5.0
#define RSS_GOAL_MB 10.0
/* What a pull may add to the process over the one-call baseline: ochost
 * with libcurl, its TLS library and the plugin loaded, having made one
 * call (a pull whose window holds no event). The baseline is the
 * libraries' and not the pull's to shrink; what the pull adds is its own
 * buffers (a page's body and parse, the records held for the next save),
 * which must not grow with the number of events. */
#define ADDED_GOAL_MB 2.0
#define FLAT_SLACK_MB 0.25
/* The placeholder token, split so no token-shaped literal sits here. */
#define BENCH_TOKEN "pat-na1-" "00000000-0000-4000-8000-000000000000"

/* The events the server holds, newest first: event k has created[k]. */
struct gen {
    int64_t *created;
    int64_t n;
};

/* The first event (newest first) created at or before t. */
static int64_t first_at_or_before(const struct gen *g, int64_t t)
{
    int64_t lo = 0, hi = g->n;
    while(lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if(g->created[mid] > t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Page `p` of the query [start, end] into body. */
static void page_body(const struct gen *g, int64_t start, int64_t end, int p, struct kit_buf *body)
{
    int64_t from = first_at_or_before(g, end), to = first_at_or_before(g, start - 1);
    int64_t k = from + (int64_t)p * PAGE;
    kit_buf_puts(body, "{\"events\":[");
    for(int i = 0; i < PAGE && k < to; i++, k++) {
        if(i)
            kit_buf_putc(body, ',');
        hsp_event(body, k, g->created[k]);
    }
    if(k < to)
        kit_buf_printf(body, "],\"hasMore\":true,\"offset\":\"p%d\"}", p + 1);
    else
        kit_buf_puts(body, "],\"hasMore\":false}");
}

static int64_t query_int(const char *query, const char *name, int64_t dflt)
{
    const char *q = strstr(query, name);
    return q ? strtoll(q + strlen(name), NULL, 10) : dflt;
}

/* Called from server threads: reads ctx only. */
static int serve(void *ctx, const struct fx_request *req, struct fx_response *resp)
{
    const struct gen *g = ctx;
    if(strcmp(req->path, "/email/public/v1/events"))
        return -1;
    int64_t start = query_int(req->query, "startTimestamp=", 0);
    int64_t end = query_int(req->query, "endTimestamp=", INT64_MAX);
    int p = (int)query_int(req->query, "offset=p", 0);
    resp->status = 200;
    kit_buf_puts(&resp->headers, "Content-Type: application/json;charset=utf-8\r\n");
    kit_buf_reserve(&resp->body, (size_t)PAGE * 1200);
    page_body(g, start, end, p, &resp->body);
    return kit_buf_ok(&resp->body) ? 0 : -1;
}

/* n events at PER_DAY a day, spread evenly over the days before NOW: one
 * rate at every size, so that what grows with the number of events is
 * told apart from what grows with their density (the seen set holds the
 * events of one lookback). */
#define PER_DAY 10000
static int64_t days_of(int64_t n) { return n > PER_DAY ? (n + PER_DAY - 1) / PER_DAY : 1; }

static int gen_days(struct gen *g, int64_t n)
{
    g->n = n;
    if(!(g->created = malloc((size_t)(n ? n : 1) * sizeof *g->created)))
        return -1;
    int64_t step = days_of(n) * DAY / (n ? n : 1);
    for(int64_t k = 0; k < n; k++)
        g->created[k] = NOW - 1 - k * step;
    return 0;
}

/* 12,345 events over the 40 days before NOW, as a newsletter sends them:
 * five send days of 2,400 events, ten days with a trickle of 30, one of
 * 45, and 24 days with nothing. */
static int gen_backfill(struct gen *g)
{
    int count[40];
    int64_t n = 0;
    for(int d = 0; d < 40; d++) {
        count[d] = d % 8 == 3 ? 2400 : d % 4 == 1 ? 30 : d == 39 ? 45 : 0;
        n += count[d];
    }
    g->n = n;
    if(!(g->created = malloc((size_t)n * sizeof *g->created)))
        return -1;
    int64_t k = 0;
    for(int d = 0; d < 40; d++) /* d days before NOW, newest day first */
        for(int i = 0; i < count[d]; i++)
            g->created[k++] = NOW - 1 - d * DAY - (int64_t)i * (DAY / (count[d] + 1));
    return 0;
}

/* ---- ochost as a real process ---- */

struct env {
    struct bench_ochost b;
    char config[PATH_MAX + 32];
};

static int env_init(struct env *e)
{
    if(bench_ochost_init(&e->b, "bench_pull"))
        return -1;
    snprintf(e->config, sizeof e->config, "%s/bench.conf", e->b.dir);
    /* No pacing: what is measured is the work, not the rate limit. */
    return bench_write_text(e->config, "burst_max = 10000\n");
}

/* Run argv (argv[0] a path) with stdout to out_path and stderr to
 * err_path, environment plus env_add, through rusage_run when it is
 * built, which reports its CPU and its own peak RSS (benchproc.h). */
static int run_proc(const char *const *argv, const char *const *env_add, const char *out_path,
                    const char *err_path, struct bench_usage *p)
{
    memset(p, 0, sizeof *p);
    char runner[PATH_MAX], figs[PATH_MAX + 16];
    const char *full[40];
    size_t n = 0;
    int through = !bench_runner(runner, sizeof runner);
    snprintf(figs, sizeof figs, "%s.rusage", err_path);
    if(through) {
        full[n++] = runner;
        full[n++] = figs;
    }
    for(size_t i = 0; argv[i] && n < 39; i++)
        full[n++] = argv[i];
    full[n] = NULL;
    pid_t pid = fork();
    if(pid < 0)
        return -1;
    if(pid == 0) {
        int ofd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int efd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int nfd = open("/dev/null", O_RDONLY);
        if(ofd < 0 || efd < 0 || nfd < 0 || dup2(nfd, 0) < 0 || dup2(ofd, 1) < 0 || dup2(efd, 2) < 0)
            _exit(127);
        bench_child_clean_env();
        for(size_t i = 0; env_add && env_add[i]; i++)
            putenv((char *)env_add[i]);
        execvp(full[0], (char *const *)full);
        _exit(127);
    }
    int rc = bench_wait(pid, p);
    if(!rc && through && bench_runner_read(figs, p))
        rc = -1;
    unlink(figs);
    return rc;
}

/* Lines in a file, or -1. */
static long long count_lines(const char *path)
{
    int fd = open(path, O_RDONLY);
    if(fd < 0)
        return -1;
    static char buf[1 << 20];
    long long n = 0;
    ssize_t got;
    while((got = read(fd, buf, sizeof buf)) > 0)
        for(char *p = buf; (p = memchr(p, '\n', (size_t)(buf + got - p))); p++)
            n++;
    close(fd);
    return got < 0 ? -1 : n;
}

static void file_text(const char *path, char *out, size_t size)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if(!f)
        return;
    size_t n = fread(out, 1, size - 1, f);
    out[n] = '\0';
    fclose(f);
}

struct figures {
    int64_t events;
    unsigned long calls;
    struct bench_usage och;
    int jq_ran;
    struct bench_usage jq;
    long long state_bytes;
    char why[600];
};

/* One first pull of everything g holds, from since_ms, by ochost; then jq
 * on the pages of that query when with_jq. 0 when ochost wrote every
 * event once and ended with the cursor at NOW. */
static int measure(const struct env *e, struct gen *g, int64_t since_ms, int with_jq, struct figures *f)
{
    memset(f, 0, sizeof *f);
    f->events = g->n;
    struct fx_options fo = {0};
    fo.dynamic = serve;
    fo.dynamic_ctx = g;
    struct fx_server *srv = NULL;
    if(fx_server_start(NULL, &fo, &srv, f->why, sizeof f->why))
        return -1;
    char state[PATH_MAX + 32], out[PATH_MAX + 32], err[PATH_MAX + 32], since[32];
    char base_env[512], clock_env[64];
    snprintf(state, sizeof state, "%s/ochost.state", e->b.dir);
    snprintf(out, sizeof out, "%s/pull.jsonl", e->b.dir);
    snprintf(err, sizeof err, "%s/pull.err", e->b.dir);
    snprintf(since, sizeof since, "%" PRId64, since_ms);
    snprintf(base_env, sizeof base_env, "HUBSPOT_BASE_URL=%s", fx_server_url(srv));
    snprintf(clock_env, sizeof clock_env, "OCHOST_VIRTUAL_CLOCK_MS=%" PRId64, NOW);
    unlink(state);
    /* BENCH_PULL_WRAP="valgrind --tool=callgrind" (words split at spaces)
     * runs ochost under a profiler. */
    const char *argv[32];
    size_t a = 0;
    char wrap[256] = "";
    snprintf(wrap, sizeof wrap, "%s", getenv("BENCH_PULL_WRAP") ? getenv("BENCH_PULL_WRAP") : "");
    for(char *sp = NULL, *w = strtok_r(wrap, " ", &sp); w && a < 20; w = strtok_r(NULL, " ", &sp))
        argv[a++] = w;
    const char *rest[] = {e->b.ochost, "--manifest", e->b.manifest, "--config", e->config, "--state", state,
                          "-q", "pull", "--since", since, NULL};
    memcpy(argv + a, rest, sizeof rest);
    const char *envs[] = {base_env, clock_env, "HUBSPOT_ACCESS_TOKEN=" BENCH_TOKEN, NULL};
    int rc = run_proc(argv, envs, out, err, &f->och);
    f->calls = (unsigned long)fx_server_requests(srv);
    fx_server_stop(srv);
    if(rc || f->och.code) {
        char text[400];
        file_text(err, text, sizeof text);
        snprintf(f->why, sizeof f->why, "ochost exit %d: %s", f->och.code, text);
        return -1;
    }
    long long lines = count_lines(out);
    struct stat sb;
    f->state_bytes = stat(state, &sb) ? -1 : (long long)sb.st_size;
    char st[4096], want[64];
    file_text(state, st, sizeof st);
    /* the stream's state is a JSON string member of the file's object */
    snprintf(want, sizeof want, "cursor\\\":%" PRId64, NOW);
    if(lines != g->n || !strstr(st, want)) {
        snprintf(f->why, sizeof f->why, "ochost wrote %lld of %" PRId64 " events (cursor at NOW: %s)",
                 lines, g->n, strstr(st, want) ? "yes" : "no");
        return -1;
    }
    unlink(out);
    if(!with_jq)
        return 0;
    /* The pages of the same query, one after the other, for jq. */
    char pages[PATH_MAX + 32];
    snprintf(pages, sizeof pages, "%s/pages.json", e->b.dir);
    FILE *pf = fopen(pages, "w");
    if(!pf)
        return -1;
    struct kit_buf body = KIT_BUF_INIT;
    int64_t from = first_at_or_before(g, NOW), to = first_at_or_before(g, since_ms - 1);
    for(int p = 0; p == 0 || from + (int64_t)p * PAGE < to; p++) {
        kit_buf_reset(&body);
        page_body(g, since_ms, NOW, p, &body);
        kit_buf_putc(&body, '\n');
        if(!kit_buf_ok(&body) || fwrite(body.data, 1, body.len, pf) != body.len)
            rc = -1;
    }
    kit_buf_free(&body);
    rc |= fclose(pf) != 0;
    const char *jq[] = {"jq", "-c", ".events[]", pages, NULL};
    if(!rc && !run_proc(jq, NULL, out, err, &f->jq) && f->jq.code == 0 && count_lines(out) == g->n)
        f->jq_ran = 1;
    else
        snprintf(f->why, sizeof f->why, "jq failed (exit %d)", f->jq.code);
    unlink(pages);
    unlink(out);
    return f->jq_ran ? 0 : -1;
}

static double cpu(const struct bench_usage *p) { return p->user_s + p->sys_s; }

static void print_row(const struct figures *f)
{
    double c = cpu(&f->och), rate = c > 0 ? (double)f->events / c : 0;
    printf("  %8" PRId64 " events  %5lu calls (floor %5" PRId64 ")  ochost CPU %6.3f s (user %.3f, sys %.3f)"
           "  %8.0f records/CPU-s  RSS %5.1f MB  state %lld B",
           f->events, f->calls, (f->events + PAGE - 1) / PAGE, c, f->och.user_s, f->och.sys_s, rate,
           f->och.maxrss_kb / 1024.0, f->state_bytes);
    if(f->jq_ran) {
        double jr = (double)f->events / cpu(&f->jq);
        printf("  | jq %6.3f s %8.0f records/CPU-s  ratio %.1fx (goal >= %.0fx)", cpu(&f->jq), jr, rate / jr,
               RATIO_GOAL);
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct env e;
    if(env_init(&e)) {
        fprintf(stderr, "bench_pull: cannot set up ochost (is OC_BUILD's ochost built?)\n");
        return 1;
    }
    int with_jq = system("command -v jq >/dev/null 2>&1") == 0;
    int ok = 1;
    struct figures f[3];
    if(argc > 1) {
        long n = atol(argv[1]);
        struct gen g = {0};
        if(n < 0 || n % PAGE || (!n && strcmp(argv[1], "0")) || gen_days(&g, n)) {
            fprintf(stderr, "usage: %s [EVENTS, a multiple of %d]\n", argv[0], PAGE);
            bench_ochost_free(&e.b);
            return 1;
        }
        if(measure(&e, &g, NOW - days_of(n) * DAY, 0, &f[0])) {
            fprintf(stderr, "bench_pull: %s\n", f[0].why);
            ok = 0;
        } else {
            print_row(&f[0]);
        }
        free(g.created);
        bench_ochost_free(&e.b);
        return ok ? 0 : 1;
    }
    static const int64_t sizes[] = {10000, 100000, 1000000};
    struct figures base;
    struct gen g0 = {0};
    if(gen_days(&g0, 0) || measure(&e, &g0, NOW - DAY, 0, &base)) {
        fprintf(stderr, "bench_pull: the one-call baseline: %s\n", base.why);
        free(g0.created);
        bench_ochost_free(&e.b);
        return 1;
    }
    free(g0.created);
    double base_mb = base.och.maxrss_kb / 1024.0;
    printf("pull email_events with ochost (a process, JSON Lines to a file, state on disk) from the replay "
           "server (pages of %d ~1 KB events, %d events a day)%s\n",
           PAGE, PER_DAY, with_jq ? ", beside jq -c '.events[]' on the same pages" : "; jq is not installed: no jq figures");
    printf("  one-call baseline (libcurl, TLS and the plugin loaded, one call answering no event): RSS %.1f MB\n",
           base_mb);
    /* The floor under it: the system's libcurl alone, initialised, in the
     * environment ochost gives the plugin's libraries (main.c). */
    char floor_bin[PATH_MAX + 16], floor_out[PATH_MAX + 32];
    const char *build = getenv("OC_BUILD") ? getenv("OC_BUILD") : "build";
    snprintf(floor_bin, sizeof floor_bin, "%s/curl_floor", build);
    snprintf(floor_out, sizeof floor_out, "%s/floor.out", e.b.dir);
    struct bench_usage fl;
    if(access(floor_bin, X_OK) == 0 &&
       !run_proc((const char *const[]){floor_bin, NULL}, (const char *const[]){"GNUTLS_NO_IMPLICIT_INIT=1", NULL},
                 floor_out, floor_out, &fl) &&
       fl.code == 0)
        printf("  floor: a process that only loads libcurl and runs curl_global_init, GnuTLS left uninitialised "
               "as ochost leaves it: RSS %.1f MB (the 10 MB "
               "goal leaves %.1f MB above it for ochost, the plugin and the work)\n",
               fl.maxrss_kb / 1024.0, 10.0 - fl.maxrss_kb / 1024.0);
    for(int i = 0; i < 3 && ok; i++) {
        struct gen g = {0};
        if(gen_days(&g, sizes[i]) || measure(&e, &g, NOW - days_of(sizes[i]) * DAY, with_jq, &f[i])) {
            fprintf(stderr, "bench_pull: %" PRId64 " events: %s\n", sizes[i], f[i].why);
            ok = 0;
        } else {
            print_row(&f[i]);
            printf("           RSS the pull adds over the one-call baseline: %5.2f MB (goal <= %.0f MB: %s)\n",
                   f[i].och.maxrss_kb / 1024.0 - base_mb, ADDED_GOAL_MB,
                   f[i].och.maxrss_kb / 1024.0 - base_mb <= ADDED_GOAL_MB ? "yes" : "NO");
        }
        free(g.created);
    }
    if(ok) {
        double r10 = cpu(&f[0].och) / 10000, r1m = cpu(&f[2].och) / 1000000;
        printf("  CPU per event 10k -> 1M: %.2f us -> %.2f us (x%.2f: linear when about 1)\n", r10 * 1e6,
               r1m * 1e6, r1m / r10);
        double lo = f[0].och.maxrss_kb / 1024.0, hi = f[2].och.maxrss_kb / 1024.0;
        printf("  peak RSS 10k -> 1M events: %.1f MB -> %.1f MB, the pull's part %.2f MB -> %.2f MB (flat, "
               "within %.2f MB: %s; whole process <= %.0f MB: %s)\n",
               lo, hi, lo - base_mb, hi - base_mb, FLAT_SLACK_MB, hi - lo <= FLAT_SLACK_MB ? "yes" : "NO",
               RSS_GOAL_MB, hi <= RSS_GOAL_MB ? "yes" : "NO");
        if(f[1].jq_ran) {
            double ratio = cpu(&f[1].jq) / cpu(&f[1].och);
            printf("  at 100k events ochost runs at %.1fx jq's rate (goal >= %.0fx: %s)\n", ratio, RATIO_GOAL,
                   ratio >= RATIO_GOAL ? "yes" : "NO");
        }
        ok = hi / lo < 1.25 && f[1].calls <= 100 + 2;
    }
    /* A first pull over a long, mostly quiet span. */
    struct gen g = {0};
    if(ok && !gen_backfill(&g)) {
        struct figures b;
        if(measure(&e, &g, NOW - 40 * DAY, 0, &b)) {
            fprintf(stderr, "bench_pull: backfill: %s\n", b.why);
            ok = 0;
        } else {
            int64_t pages = (b.events + PAGE - 1) / PAGE;
            printf("  first pull of 40 days holding %" PRId64 " events: %lu calls for %" PRId64
                   " pages (goal <= pages + 2: %s), ochost CPU %.3f s\n",
                   b.events, b.calls, pages, b.calls <= (unsigned long)pages + 2 ? "yes" : "NO", cpu(&b.och));
        }
    }
    free(g.created);
    bench_ochost_free(&e.b);
    return ok ? 0 : 1;
}
