/*
 * bench_pull.c - `make bench`: pull email events from the replay server's
 * dynamic handler, which generates realistic ~1 KB events (nested sentBy,
 * browser and location objects) 1000 to a page, newest first.
 *
 * Each size runs in a fresh child process (fork before any thread exists)
 * so that its peak RSS is its own: the figure must stay flat from 10,000
 * to 100,000 events because pages are emitted as they arrive. Records are
 * counted by the test host, not kept. CPU is measured on the client
 * thread (CLOCK_THREAD_CPUTIME_ID: the pull path only, not the server
 * generating pages in its own threads); the whole process is shown too.
 *
 *   bench_pull            the table (10,000 and 100,000 events)
 *   bench_pull N          one run of N events (a multiple of 1000)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixtures/replay.h"
#include "hubspot/instance.h"
#include "hubspot/pull_state.h"
#include "tests/support/testhost.h"

#define NOW INT64_C(1795824000000)
#define DAY INT64_C(86400000)
#define PAGE 1000
#define JQ_REFERENCE 63000.0 /* jq -c '.events[]' on the same pages */

struct gen {
    int pages;
};

struct result {
    int ok;
    uint64_t events;
    uint64_t calls_client;
    uint64_t calls_server;
    double cpu_thread_s;
    double cpu_process_s;
    double wall_s;
    long maxrss_kb;
    char why[OC_ERROR_MESSAGE_SIZE + 64];
};

static const char *const types[] = {"OPEN", "OPEN", "DELIVERED", "CLICK", "OPEN", "SENT",
                                    "OPEN", "PROCESSED", "CLICK", "BOUNCE"};

static void add_event(struct kit_buf *b, int64_t k, int64_t created)
{
    const char *type = types[k % 10];
    kit_buf_printf(b,
                  "{\"id\":\"%08" PRIx64 "-1b2c-4d3e-8f40-%012" PRIx64 "\",\"created\":%" PRId64
                  ",\"type\":\"%s\",\"recipient\":\"reader%06" PRId64 "@example.com\","
                  "\"portalId\":62515,\"appId\":113,\"appName\":\"BatchEmail\","
                  "\"emailCampaignId\":%" PRId64 ",\"emailCampaignGroupId\":157830477,"
                  "\"sentBy\":{\"id\":\"5e7b%04" PRIx64 "-0c1d-4e2f-9a3b-4c5d6e7f8091\","
                  "\"created\":%" PRId64 "},\"hmid\":\"a3c1%04" PRIx64
                  "-77de-4f0b-8e59-2d41c6b8f0aa\",\"obsoletedBy\":null,",
                  (uint64_t)k * 2654435761u, (uint64_t)k, created, type, k % 250000,
                  INT64_C(157830400) + k % 64, (uint64_t)(k % 65536), created - 3600000,
                  (uint64_t)(k % 65536));
    kit_buf_puts(b, "\"userAgent\":\"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                   "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\","
                   "\"browser\":{\"name\":\"Chrome\",\"family\":\"Chrome\",\"producer\":"
                   "\"Google Inc.\",\"producerUrl\":\"https://www.google.com/about/company/\","
                   "\"type\":\"Browser\",\"url\":\"https://www.google.com/chrome/\","
                   "\"version\":[\"120.0.0.0\"]},");
    kit_buf_printf(b,
                  "\"location\":{\"country\":\"UNITED STATES\",\"state\":\"massachusetts\","
                  "\"city\":\"cambridge\",\"latitude\":42.3736,\"longitude\":-71.1097,"
                  "\"zipcode\":\"02139\"},\"deviceType\":\"COMPUTER\",\"filteredEvent\":false,"
                  "\"ipAddress\":\"203.0.113.%d\"",
                  (int)(k % 250));
    if(!strcmp(type, "CLICK"))
        kit_buf_printf(b,
                      ",\"url\":\"https://news.example.org/2026/11/story-%" PRId64
                      "?utm_source=hs_email&utm_medium=email\",\"referer\":\"\"",
                      k % 1000);
    if(!strcmp(type, "BOUNCE"))
        kit_buf_puts(b, ",\"category\":\"MAILBOX_FULL\",\"response\":\"552 5.2.2 mailbox full\","
                       "\"status\":\"5.2.2\"");
    kit_buf_putc(b, '}');
}

/* Page p (from the offset "p<N>") of the window; events spread evenly over
 * the day before NOW, newest first. Called from server threads: reads ctx
 * only. */
static int serve(void *ctx, const struct fx_request *req, struct fx_response *resp)
{
    const struct gen *g = ctx;
    if(strcmp(req->path, "/email/public/v1/events"))
        return -1;
    int p = 0;
    const char *o = strstr(req->query, "offset=p");
    if(o)
        p = atoi(o + 8);
    int64_t total = (int64_t)g->pages * PAGE;
    int64_t step = DAY / total;
    resp->status = 200;
    kit_buf_puts(&resp->headers, "Content-Type: application/json;charset=utf-8\r\n");
    kit_buf_reserve(&resp->body, (size_t)PAGE * 1200);
    kit_buf_puts(&resp->body, "{\"events\":[");
    for(int i = 0; i < PAGE && p < g->pages; i++) {
        int64_t k = (int64_t)p * PAGE + i;
        if(i)
            kit_buf_putc(&resp->body, ',');
        add_event(&resp->body, k, NOW - 1 - k * step);
    }
    if(p + 1 < g->pages)
        kit_buf_printf(&resp->body, "],\"hasMore\":true,\"offset\":\"p%d\"}", p + 1);
    else
        kit_buf_puts(&resp->body, "],\"hasMore\":false}");
    return kit_buf_ok(&resp->body) ? 0 : -1;
}

static double ts_s(const struct timespec *t) { return (double)t->tv_sec + t->tv_nsec / 1e9; }

static double tv_s(const struct timeval *t) { return (double)t->tv_sec + t->tv_usec / 1e6; }

static void run(int events, struct result *out)
{
    memset(out, 0, sizeof *out);
    struct gen g = {events / PAGE};
    struct fx_options fo = {0};
    fo.dynamic = serve;
    fo.dynamic_ctx = &g;
    struct fx_server *srv = NULL;
    struct testhost th;
    th_init(&th, NOW);
    th.keep_records = 0;
    struct oc_instance *in = NULL;
    struct oc_error err = {sizeof err};
    if(fx_server_start(NULL, &fo, &srv, out->why, sizeof out->why))
        goto done;
    struct oc_option opts[] = {
        {"access_token", FX_PLACEHOLDER_TOKEN},
        {"base_url", fx_server_url(srv)},
        {"burst_max", "10000"},
    };
    if(hs_instance_new(&th.host, opts, sizeof opts / sizeof opts[0], &in, &err)) {
        snprintf(out->why, sizeof out->why, "init: %s", err.message);
        goto done;
    }
    struct oc_pull_request req = {sizeof req, "email_events", NOW - DAY, NULL};
    struct timespec c0, c1, w0, w1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    clock_gettime(CLOCK_MONOTONIC, &w0);
    oc_status rc = hs_pull(in, &req, &err);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    clock_gettime(CLOCK_MONOTONIC, &w1);
    if(rc) {
        snprintf(out->why, sizeof out->why, "pull: %s", err.message);
        goto done;
    }
    out->events = th.nrecords;
    out->calls_client = kit_http_calls(in->http);
    out->calls_server = fx_server_requests(srv);
    out->cpu_thread_s = ts_s(&c1) - ts_s(&c0);
    out->wall_s = ts_s(&w1) - ts_s(&w0);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    out->cpu_process_s = tv_s(&ru.ru_utime) + tv_s(&ru.ru_stime);
    out->maxrss_kb = ru.ru_maxrss;
    /* The pull must have covered everything and moved the cursor to now. */
    struct hs_stream_state st;
    const char *sv = th_state(&th, "pull/email_events");
    char why[160] = "no state saved";
    if(!sv || hs_stream_state_parse(&st, sv, strlen(sv), why, sizeof why)) {
        snprintf(out->why, sizeof out->why, "state: %s", why);
        goto done;
    }
    int cursor_ok = st.cursor == NOW && !st.in_window;
    hs_stream_state_free(&st);
    if(!cursor_ok || out->events != (uint64_t)events) {
        snprintf(out->why, sizeof out->why, "pulled %" PRIu64 " of %d events (cursor %s)",
                 out->events, events, cursor_ok ? "ok" : "wrong");
        goto done;
    }
    out->ok = 1;
done:
    hs_instance_release(in);
    fx_server_stop(srv);
    th_free(&th);
}

/* Run in a fresh child so its peak RSS is its own. */
static int run_child(int events, struct result *out)
{
    int fd[2];
    if(pipe(fd))
        return -1;
    pid_t pid = fork();
    if(pid < 0)
        return -1;
    if(pid == 0) {
        close(fd[0]);
        struct result r;
        run(events, &r);
        ssize_t w = write(fd[1], &r, sizeof r);
        _exit(w == (ssize_t)sizeof r && r.ok ? 0 : 1);
    }
    close(fd[1]);
    ssize_t n = read(fd[0], out, sizeof *out);
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if(n != (ssize_t)sizeof *out) {
        snprintf(out->why, sizeof out->why, "child died (status %d)", status);
        out->ok = 0;
    }
    return out->ok ? 0 : -1;
}

static void print_row(int events, const struct result *r)
{
    printf("  %7d events  calls %3" PRIu64 " (floor %3d)  client CPU %.3f s  "
           "%9.0f records/CPU-s  process CPU %.3f s  wall %.3f s  peak RSS %6.1f MB\n",
           events, r->calls_server, (events + PAGE - 1) / PAGE, r->cpu_thread_s,
           r->cpu_thread_s > 0 ? (double)r->events / r->cpu_thread_s : 0.0, r->cpu_process_s,
           r->wall_s, r->maxrss_kb / 1024.0);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if(argc > 1) {
        int n = atoi(argv[1]);
        if(n <= 0 || n % PAGE) {
            fprintf(stderr, "usage: %s [EVENTS, a multiple of %d]\n", argv[0], PAGE);
            return 1;
        }
        struct result r;
        run(n, &r);
        if(!r.ok) {
            fprintf(stderr, "bench_pull: %s\n", r.why);
            return 1;
        }
        print_row(n, &r);
        return 0;
    }
    static const int sizes[] = {10000, 100000};
    struct result r[2];
    printf("pull email_events from the replay server (dynamic pages of %d ~1 KB events)\n", PAGE);
    for(int i = 0; i < 2; i++) {
        if(run_child(sizes[i], &r[i])) {
            fprintf(stderr, "bench_pull: %d events: %s\n", sizes[i], r[i].why);
            return 1;
        }
        print_row(sizes[i], &r[i]);
    }
    double rate = (double)r[1].events / r[1].cpu_thread_s;
    double growth = (double)r[1].maxrss_kb / (double)r[0].maxrss_kb;
    printf("  records/CPU-s %.0f vs jq reference %.0f: %.1fx\n", rate, JQ_REFERENCE,
           rate / JQ_REFERENCE);
    printf("  peak RSS 10,000 -> 100,000 events: %.1f MB -> %.1f MB (x%.2f, flat: %s)\n",
           r[0].maxrss_kb / 1024.0, r[1].maxrss_kb / 1024.0, growth,
           growth < 1.25 ? "yes" : "NO");
    printf("  calls at 100,000 events: %" PRIu64 " (expected %d)\n", r[1].calls_server,
           100000 / PAGE);
    return growth < 1.25 && r[1].calls_server == 100000 / PAGE ? 0 : 1;
}
