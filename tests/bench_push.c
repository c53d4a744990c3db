/*
 * bench_push.c - `make bench`: a bulk push of 30,000 contacts (5% invalid
 * emails) into one list against the replay server's dynamic handler
 * emulating HubSpot, with limit emulation (100 calls per 10 s, HubSpot's
 * 429 body past that) and 50 ms latency per answer, on the real clock: the
 * host's now_ms and sleep_ms are wall time, as in production.
 *
 * Half of the invalid emails are caught locally (no call spent), half are
 * only refused by "HubSpot" (a 207 error tied by objectWriteTraceId), so
 * both paths are exercised. Upsert results come back in reverse order.
 *
 * Floors printed beside the figures:
 *  - calls: ceil(30,000/100) + membership chunks + 2 (the list check and
 *    the properties check);
 *  - wall: the earliest the calls actually made can all be answered under
 *    a rolling window of 100 per 10 s: (ceil(calls/100) - 1) windows plus
 *    one latency. The sustained-rate figure (calls x 10 s / 100) is shown
 *    too; it is the looser of the two.
 * CPU is the client thread's (CLOCK_THREAD_CPUTIME_ID: the push path, HTTP
 * and JSON included) beside the whole process's (the server too). Peak
 * RSS is the whole process's.
 *
 *   bench_push              the full run (minutes: ~4 windows of 10 s)
 *   BENCH_QUICK=1           scale the window to 1 s for a quick look (then
 *                           latency, not the limit, bounds the wall time)
 *   BENCH_N=n               another input count
 *   BENCH_CONCURRENCY=c     max_concurrency (default 4, the plugin's default)
 *   BENCH_PUSH_ONLY=process only the whole-process runs (below);
 *                   =inproc  only the in-process bulk push and sign-ups
 *   BENCH_BIG_N=n           the large whole-process run's input count
 *                           (default 1,000,000; 300,000 with BENCH_QUICK)
 *   BENCH_WRAP="cmd args"   run each ochost process under a command
 *                           (strace -c, perf record ...), to look inside
 *
 * Why the wall time sits a little above the strict floor: each window's
 * burst of 100 calls takes about 100/c x 50 ms, and the pacer holds the
 * server's "Remaining 0" (which arrives at the end of the burst) for a
 * whole window from then, so every window cycle is 10 s plus the burst.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixtures/replay.h"
#include "hubspot/instance.h"
#include "plugin/json.h"
#include "tests/support/benchproc.h"
#include "tests/support/hspush.h"

#define LIST "4242"
#define LIMIT 100
#define LATENCY_MS 50
#define ID_BASE 1000000

/* ---- the emulated HubSpot ---- */

static atomic_ulong served;   /* answered by the handler (not 429'd) */
static atomic_ulong upserts, adds;

/* Input n's record id: derived from the email ("user<n>@..."), as stable
 * as HubSpot's would be for a given contact. */
static long email_number(const char *e, size_t len)
{
    if(len < 5 || memcmp(e, "user", 4))
        return -1;
    long n = 0;
    for(size_t i = 4; i < len && e[i] >= '0' && e[i] <= '9'; i++)
        n = n * 10 + (e[i] - '0');
    return n;
}

static int answer_upsert(const struct kit_json *j, struct fx_response *resp)
{
    int inputs = kit_json_get(j, 0, "inputs");
    int n = kit_json_size(j, inputs);
    struct kit_buf res = KIT_BUF_INIT, errs = KIT_BUF_INIT;
    int nres = 0, nerr = 0;
    /* Walk the inputs backwards so results come out of order. */
    int *tok = malloc(sizeof *tok * (size_t)(n ? n : 1));
    if(!tok)
        return -1;
    int t = inputs + 1;
    for(int i = 0; i < n; i++, t = kit_json_skip(j, t))
        tok[i] = t;
    for(int i = n - 1; i >= 0; i--) {
        size_t elen, tlen;
        const char *email = kit_json_raw(j, kit_json_get(j, tok[i], "id"), &elen);
        const char *trace = kit_json_raw(j, kit_json_get(j, tok[i], "objectWriteTraceId"), &tlen);
        if(!email || !trace)
            continue;
        if(hspush_refuse_invalid(&errs, &nerr, email, elen, trace, tlen))
            continue;
        long id = ID_BASE + email_number(email, elen);
        kit_buf_printf(&res,
                      "%s{\"id\":\"%ld\",\"properties\":{\"email\":\"%.*s\",\"createdate\":"
                      "\"2026-11-28T00:00:00.000Z\",\"lastmodifieddate\":\"2026-11-28T00:00:00.000Z\","
                      "\"hs_object_id\":\"%ld\"},\"createdAt\":\"2026-11-28T00:00:00.000Z\","
                      "\"updatedAt\":\"2026-11-28T00:00:00.000Z\",\"archived\":false,\"new\":true,"
                      "\"objectWriteTraceId\":\"%.*s\"}",
                      nres++ ? "," : "", id, (int)elen, email, id, (int)tlen, trace);
    }
    free(tok);
    resp->status = nerr ? 207 : 200;
    kit_buf_printf(&resp->body, "{\"status\":\"COMPLETE\",\"results\":[%s]", kit_buf_str(&res));
    if(nerr)
        kit_buf_printf(&resp->body, ",\"numErrors\":%d,\"errors\":[%s]", nerr, kit_buf_str(&errs));
    kit_buf_puts(&resp->body, ",\"startedAt\":\"2026-11-28T00:00:00.000Z\","
                             "\"completedAt\":\"2026-11-28T00:00:00.050Z\"}");
    kit_buf_free(&res);
    kit_buf_free(&errs);
    upserts++;
    return kit_buf_ok(&resp->body) ? 0 : -1;
}

static int answer_add(const struct fx_request *req, struct fx_response *resp)
{
    /* Every id is new to the list: echo the array as recordsIdsAdded. */
    kit_buf_puts(&resp->body, "{\"recordsIdsAdded\":");
    kit_buf_append(&resp->body, req->body, req->body_len);
    kit_buf_puts(&resp->body, ",\"recordIdsRemoved\":[],\"recordIdsMissing\":[]}");
    adds++;
    return kit_buf_ok(&resp->body) ? 0 : -1;
}

static int hubspot(void *ctx, const struct fx_request *req, struct fx_response *resp)
{
    (void)ctx;
    int rc = -1;
    kit_buf_puts(&resp->headers, "Content-Type: application/json;charset=utf-8\r\n");
    if(!strcmp(req->method, "GET") && !strcmp(req->path, "/crm/v3/lists/" LIST)) {
        kit_buf_puts(&resp->body, "{\"list\":{\"listId\":\"" LIST "\",\"listVersion\":1,\"name\":"
                                 "\"Bench\",\"objectTypeId\":\"0-1\",\"processingStatus\":"
                                 "\"COMPLETE\",\"processingType\":\"MANUAL\"}}");
        rc = 0;
    } else if(!strcmp(req->method, "GET") && !strcmp(req->path, "/crm/v3/properties/contacts")) {
        /* the columns the push checks before its first write */
        kit_buf_puts(&resp->body, "{\"results\":[");
        static const char *const props[] = {"email", "firstname", "lastname"};
        for(size_t i = 0; i < sizeof props / sizeof props[0]; i++)
            kit_buf_printf(&resp->body,
                           "%s{\"name\":\"%s\",\"type\":\"string\",\"hidden\":false,\"calculated\":false,"
                           "\"modificationMetadata\":{\"readOnlyValue\":false}}",
                           i ? "," : "", props[i]);
        kit_buf_puts(&resp->body, "]}");
        rc = kit_buf_ok(&resp->body) ? 0 : -1;
    } else if(!strcmp(req->method, "POST") &&
              !strcmp(req->path, "/crm/v3/objects/contacts/batch/upsert")) {
        struct kit_json j = {0};
        if(!kit_json_parse(&j, req->body, req->body_len, NULL, 0))
            rc = answer_upsert(&j, resp);
        kit_json_free(&j);
    } else if(!strcmp(req->method, "PUT") &&
              !strcmp(req->path, "/crm/v3/lists/" LIST "/memberships/add")) {
        rc = answer_add(req, resp);
    }
    if(!rc)
        served++;
    return rc;
}

/* ---- the host: real clock, counting emits ---- */

struct bench_host {
    struct oc_host host;
    uint64_t added, already, failed, dup, stray;
    unsigned char *seen; /* one bit per input position */
    size_t n;
    size_t pos;
    char email[64], first[32], id[32];
    struct oc_field fields[3];
};

static int64_t real_now(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void real_sleep(void *ctx, int64_t ms)
{
    (void)ctx;
    if(ms <= 0)
        return;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while(nanosleep(&ts, &ts))
        ;
}

/* The host's side of the run costs next to nothing (no stdio formatting
 * or scanning per record), so the push thread's CPU is the plugin's. */
static char *put_num(char *p, size_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while(v);
    while(n)
        *p++ = tmp[--n];
    return p;
}

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

static oc_status count_emit(void *ctx, const struct oc_record *r)
{
    struct bench_host *b = ctx;
    const char *status = "", *input = r->id ? r->id : "";
    for(size_t i = 0; i < r->nfields; i++)
        if(!strcmp(r->fields[i].key, "status"))
            status = r->fields[i].value;
    size_t p = 0;
    if(strncmp(input, "line ", 5) || input[5] < '0' || input[5] > '9') {
        b->stray++;
        return OC_OK;
    }
    for(const char *c = input + 5; *c >= '0' && *c <= '9'; c++)
        p = p * 10 + (size_t)(*c - '0');
    if(p < 2 || p - 2 >= b->n) {
        b->stray++;
        return OC_OK;
    }
    p -= 2;
    if(b->seen[p / 8] & (1u << (p % 8)))
        b->dup++;
    b->seen[p / 8] |= (unsigned char)(1u << (p % 8));
    if(!strcmp(status, "added"))
        b->added++;
    else if(!strcmp(status, "already_member"))
        b->already++;
    else
        b->failed++;
    return OC_OK;
}

/* Input p (1-based): every 20th email is invalid, alternately caught
 * locally (no @) and refused by HubSpot (.invalid). */
static oc_status feed(void *ctx, struct oc_record *r)
{
    struct bench_host *b = ctx;
    if(b->pos >= b->n)
        return OC_E_NOT_FOUND;
    size_t p = ++b->pos;
    char *e = put_num(put_str(b->email, "user"), p);
    *put_str(e, p % 40 == 0 ? ".example.com" : p % 20 == 0 ? "@example.invalid" : "@example.com") = 0;
    *put_num(put_str(b->first, "Reader"), p) = 0;
    *put_num(put_str(b->id, "line "), p + 1) = 0;
    b->fields[0] = (struct oc_field){"email", b->email, OC_FIELD_STRING};
    b->fields[1] = (struct oc_field){"firstname", b->first, OC_FIELD_STRING};
    b->fields[2] = (struct oc_field){"lastname", "Bench", OC_FIELD_STRING};
    r->kind = "contact";
    r->id = b->id;
    r->fields = b->fields;
    r->nfields = 3;
    return OC_OK;
}

/* One sign-up: an email, and a first name unless with_name is 0. */
struct single_feed {
    const char *email;
    int with_name, given;
    struct oc_field f[2];
};

static oc_status single_next(void *ctx, struct oc_record *r)
{
    struct single_feed *sf = ctx;
    if(sf->given++)
        return OC_E_NOT_FOUND;
    sf->f[0] = (struct oc_field){"email", sf->email, OC_FIELD_STRING};
    sf->f[1] = (struct oc_field){"firstname", "Web", OC_FIELD_STRING};
    r->kind = "contact";
    r->id = "sign-up";
    r->fields = sf->f;
    r->nfields = sf->with_name ? 2 : 1;
    return OC_OK;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double tv_s(struct timeval tv) { return (double)tv.tv_sec + tv.tv_usec / 1e6; }

/* ---- sign-ups at web rate through the real `ochost push --follow` ----
 *
 * ochost runs as a real process against the push stand-in
 * (tests/support/hspush.h) behind the replay server's limit emulation
 * (100 calls per 10 s, 50 ms per answer). Sign-ups are written to its
 * stdin pipe at a steady rate on the wall clock and each result is timed
 * from the moment its line was written to the moment its line is read
 * from ochost's stdout. Wall time on purpose: OCHOST_VIRTUAL_CLOCK_MS
 * only moves when the plugin sleeps, so the linger (measured on the
 * host's clock) would never run out between arrivals and every setting
 * would look like one batch; what is measured here is what a publisher
 * gets. */

/* The placeholder token, split so no token-shaped literal sits here. */
#define BENCH_TOKEN "pat-na1-" "00000000-0000-4000-8000-000000000000"

struct ochost_env {
    struct bench_ochost b;
    char state[PATH_MAX + 32];
};

/* A folder with the repository's manifest pointed at this build's plugin. */
static int ochost_env_init(struct ochost_env *e)
{
    if(bench_ochost_init(&e->b, "bench_push"))
        return -1;
    snprintf(e->state, sizeof e->state, "%s/shared.state", e->b.dir);
    return 0;
}

/* Start ochost with args (NULL-terminated, argv[0] excluded) against
 * base_url, stdin from in_fd, stdout to out_fd, stderr to err_path;
 * through rusage_run writing its figures to figs when figs is not NULL
 * (benchproc.h: the peak RSS is then ochost's own). */
static pid_t ochost_start(const struct ochost_env *e, const char *const *args, const char *base_url,
                          int in_fd, int out_fd, const char *err_path, const char *figs)
{
    char runner[PATH_MAX];
    if(figs && bench_runner(runner, sizeof runner))
        figs = NULL;
    pid_t pid = fork();
    if(pid != 0)
        return pid;
    int efd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if(efd < 0 || dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(efd, 2) < 0)
        _exit(127);
    bench_child_clean_env();
    setenv("HUBSPOT_ACCESS_TOKEN", BENCH_TOKEN, 1);
    setenv("HUBSPOT_BASE_URL", base_url, 1);
    /* BENCH_WRAP="strace -c -f -o FILE" (or perf record ...) runs the
     * process under a profiler: a look inside, not a figure to compare. */
    const char *argv[48];
    size_t n = 0;
    char *wrap = getenv("BENCH_WRAP") ? strdup(getenv("BENCH_WRAP")) : NULL;
    for(char *w = wrap ? strtok(wrap, " ") : NULL; w && n < 16; w = strtok(NULL, " "))
        argv[n++] = w;
    if(figs) {
        argv[n++] = runner;
        argv[n++] = figs;
    }
    argv[n++] = e->b.ochost;
    for(size_t i = 0; args[i] && n < 47; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    execvp(argv[0], (char *const *)argv);
    _exit(127);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double percentile(const double *sorted, size_t n, double p)
{
    if(!n)
        return 0;
    size_t k = (size_t)(p * (double)n + 0.999999);
    return sorted[(k ? k : 1) - 1];
}

struct follow_figures {
    unsigned long calls, requests, upserts, adds;
    size_t answered, added;
    double p50, p99, max, wall;
    int code;
};

/* Each result line's sign-up number ("user<i>@") and whether it says added. */
static void take_results(struct kit_buf *acc, const double *sent, double *latency, size_t n,
                         struct follow_figures *fig)
{
    char *line = acc->data, *nl;
    double now = mono_s();
    while(acc->len && (nl = memchr(line, '\n', acc->len - (size_t)(line - acc->data)))) {
        *nl = 0;
        const char *u = strstr(line, "\"email\":\"user");
        size_t i = u ? strtoul(u + 13, NULL, 10) : n;
        if(i < n && latency[i] < 0) {
            latency[i] = now - sent[i];
            fig->answered++;
            fig->added += strstr(line, "\"status\":\"added\"") != NULL;
        }
        line = nl + 1;
    }
    size_t rest = acc->len - (size_t)(line - acc->data);
    memmove(acc->data, line, rest);
    acc->len = rest;
}

/* n sign-ups, one every interval_ms, through `ochost push --follow` with
 * linger_ms; 0 when every sign-up got its result. */
static int follow_run(const struct ochost_env *e, size_t n, int interval_ms, int linger_ms,
                      struct follow_figures *fig)
{
    memset(fig, 0, sizeof *fig);
    struct hspush H;
    struct fx_server *srv = NULL;
    char why[512], cfg[PATH_MAX + 32], errp[PATH_MAX + 32], text[64];
    if(hspush_init(&H))
        return -1;
    struct fx_options fo = {.limit_max = LIMIT, .limit_window_ms = 10000, .latency_ms = LATENCY_MS,
                            .dynamic = hspush_handler, .dynamic_ctx = &H};
    if(fx_server_start(NULL, &fo, &srv, why, sizeof why)) {
        fprintf(stderr, "bench_push: %s\n", why);
        hspush_free(&H);
        return -1;
    }
    snprintf(cfg, sizeof cfg, "%s/follow.conf", e->b.dir);
    snprintf(errp, sizeof errp, "%s/follow.err", e->b.dir);
    snprintf(text, sizeof text, "linger_ms = %d\n", linger_ms);
    double *sent = calloc(n, sizeof *sent), *latency = malloc(n * sizeof *latency);
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    int rc = -1;
    pid_t pid = -1;
    struct kit_buf acc = KIT_BUF_INIT;
    if(!sent || !latency || bench_write_text(cfg, text) || pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
        goto fail;
    for(size_t i = 0; i < n; i++)
        latency[i] = -1;
    /* a fresh state per setting: each starts with the list unchecked */
    char state[PATH_MAX + 48];
    snprintf(state, sizeof state, "%s.linger%d", e->state, linger_ms);
    pid = ochost_start(e,
                       (const char *[]){"--manifest", e->b.manifest, "--config", cfg, "--state", state, "-q",
                                        "push", "--list", HSPUSH_LIST, "--follow", NULL},
                       fx_server_url(srv), in[0], out[1], errp, NULL);
    close(in[0]);
    close(out[1]);
    in[0] = out[1] = -1;
    if(pid < 0)
        goto fail;
    signal(SIGPIPE, SIG_IGN);
    double t0 = mono_s();
    size_t next = 0;
    while(fig->answered < n) {
        double now = mono_s();
        if(next < n && now >= t0 + (double)next * interval_ms / 1000.0) {
            char line[128];
            int len = snprintf(line, sizeof line, "{\"email\":\"user%zu@example.com\",\"firstname\":\"Reader\"}\n",
                               next);
            sent[next] = mono_s();
            if(write(in[1], line, (size_t)len) != len)
                goto fail;
            if(++next == n) {
                /* the end of the input: everything read gets its result */
                close(in[1]);
                in[1] = -1;
            }
            continue;
        }
        double due = next < n ? t0 + (double)next * interval_ms / 1000.0 - now : 30.0;
        struct pollfd p = {.fd = out[0], .events = POLLIN};
        int k = poll(&p, 1, (int)(due * 1000.0) + 1);
        if(k < 0 && errno != EINTR)
            goto fail;
        if(k == 0 && next == n)
            break; /* 30 s without a result after the last sign-up */
        if(k > 0) {
            char buf[65536];
            ssize_t got = read(out[0], buf, sizeof buf);
            if(got <= 0)
                break;
            kit_buf_append(&acc, buf, (size_t)got);
            if(!kit_buf_ok(&acc))
                goto fail;
            take_results(&acc, sent, latency, n, fig);
        }
    }
    fig->wall = mono_s() - t0;
    if(in[1] >= 0) {
        close(in[1]);
        in[1] = -1;
    }
    int status = 0;
    while(waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    pid = -1;
    fig->code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    size_t m = 0;
    for(size_t i = 0; i < n; i++)
        if(latency[i] >= 0)
            latency[m++] = latency[i];
    qsort(latency, m, sizeof *latency, cmp_double);
    fig->p50 = percentile(latency, m, 0.50);
    fig->p99 = percentile(latency, m, 0.99);
    fig->max = m ? latency[m - 1] : 0;
    fig->calls = hspush_calls(&H, HSPUSH_NENDPOINTS);
    fig->upserts = hspush_calls(&H, HSPUSH_UPSERT);
    fig->adds = hspush_calls(&H, HSPUSH_ADD);
    fig->requests = (unsigned long)fx_server_requests(srv);
    rc = fig->answered == n && fig->code == 0 ? 0 : -1;
fail:
    if(pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    for(int i = 0; i < 2; i++) {
        if(in[i] >= 0)
            close(in[i]);
        if(out[i] >= 0)
            close(out[i]);
    }
    kit_buf_free(&acc);
    free(sent);
    free(latency);
    fx_server_stop(srv);
    hspush_free(&H);
    return rc;
}

/* One `ochost push --list --input FILE` of one sign-up, the state file
 * shared with the runs before it: the calls it cost (-1 on failure). */
static long one_off(const struct ochost_env *e, struct hspush *H, struct fx_server *srv, const char *json)
{
    char input[PATH_MAX + 32], errp[PATH_MAX + 32];
    snprintf(input, sizeof input, "%s/one.jsonl", e->b.dir);
    snprintf(errp, sizeof errp, "%s/one.err", e->b.dir);
    if(bench_write_text(input, json))
        return -1;
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if(devnull < 0)
        return -1;
    unsigned long before = hspush_calls(H, HSPUSH_NENDPOINTS);
    pid_t pid = ochost_start(e,
                             (const char *[]){"--manifest", e->b.manifest, "--state", e->state, "-q", "push",
                                              "--list", HSPUSH_LIST, "--input", input, NULL},
                             fx_server_url(srv), devnull, devnull, errp, NULL);
    close(devnull);
    int status = 0;
    if(pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
        return -1;
    return (long)(hspush_calls(H, HSPUSH_NENDPOINTS) - before);
}

static int bench_follow(int is_quick)
{
    const char *nenv = getenv("BENCH_FOLLOW_N");
    size_t n = nenv && atol(nenv) > 0 ? (size_t)atol(nenv) : is_quick ? 200 : 1000;
    const int interval_ms = 50; /* 20 per second */
    const int lingers[] = {300, 2000};
    unsigned long call_goal = (unsigned long)(60 * n + 999) / 1000;
    struct ochost_env e;
    int fail = 0;
    if(ochost_env_init(&e)) {
        fprintf(stderr, "bench_push: cannot set up a folder for ochost (is it built? OC_BUILD=%s)\n",
                getenv("OC_BUILD") ? getenv("OC_BUILD") : "");
        return 1;
    }
    printf("\nbench_push: %zu sign-ups arriving at 20 per second through `ochost push --follow` "
           "(a real process, a pipe, wall clock), the push stand-in behind limit emulation "
           "(%d calls per 10 s, %d ms per answer)%s\n",
           n, LIMIT, LATENCY_MS, is_quick ? " (BENCH_QUICK: fewer sign-ups)" : "");
    printf("%-34s %14s %14s %s\n", "figure", "measured", "goal", "");
    for(size_t k = 0; k < sizeof lingers / sizeof lingers[0]; k++) {
        struct follow_figures fig;
        int rc = follow_run(&e, n, interval_ms, lingers[k], &fig);
        double p99_goal = lingers[k] / 1000.0 + 1.0;
        char name[64];
        printf("linger_ms %d:\n", lingers[k]);
        snprintf(name, sizeof name, "  API calls (unbatched %zu-%zu)", 2 * n, 3 * n);
        printf("%-34s %14lu %14lu %s   upserts %lu, list adds %lu, list+props checks %lu; "
               "requests incl. 429s %lu\n",
               name, fig.calls, call_goal, fig.calls < call_goal ? "ok" : "OVER", fig.upserts, fig.adds,
               fig.calls - fig.upserts - fig.adds, fig.requests);
        printf("%-34s %13.3fs %14s\n", "  arrival to result, p50", fig.p50, "");
        printf("%-34s %13.3fs %13.3fs %s   (max %.3f s)\n", "  arrival to result, p99", fig.p99, p99_goal,
               fig.p99 < p99_goal ? "ok" : "MISS", fig.max);
        printf("%-34s %14zu %14zu %s   (%zu added; exit %d; %.1f s)\n", "  sign-ups answered", fig.answered, n,
               rc ? "MISMATCH" : "ok", fig.added, fig.code, fig.wall);
        fail |= rc != 0 || fig.added != n;
    }

    /* One-off sign-ups, each a separate ochost run sharing a state file. */
    struct hspush H;
    struct fx_server *srv = NULL;
    char why[512];
    struct fx_options fo = {.dynamic = hspush_handler, .dynamic_ctx = &H};
    if(hspush_init(&H) || fx_server_start(NULL, &fo, &srv, why, sizeof why)) {
        fprintf(stderr, "bench_push: cannot start the stand-in\n");
        bench_ochost_free(&e.b);
        return 1;
    }
    long cold = one_off(&e, &H, srv, "{\"email\":\"first@example.com\",\"firstname\":\"Ann\"}\n");
    long fresh = one_off(&e, &H, srv, "{\"email\":\"second@example.com\",\"firstname\":\"Bob\"}\n");
    long known = one_off(&e, &H, srv, "{\"email\":\"first@example.com\"}\n");
    printf("\nbench_push: one-off sign-ups, separate `ochost push --list --input` runs sharing a state file\n");
    printf("%-34s %14ld %14s   (list check and properties check included)\n", "first run, new contact", cold,
           "");
    printf("%-34s %14ld %14d %s\n", "later run, new contact", fresh, 2, fresh == 2 ? "ok" : "OVER");
    printf("%-34s %14ld %14d %s\n", "later run, known, email only", known, 1, known == 1 ? "ok" : "OVER");
    fail |= cold < 0 || fresh != 2 || known != 1;
    fx_server_stop(srv);
    hspush_free(&H);
    bench_ochost_free(&e.b);
    return fail;
}

/* ---- the whole `ochost push --input FILE` process ----
 *
 * What a user pays for is the whole process: reading the file, the
 * plugin's push, HTTP, writing every result line, the state saves. ochost
 * runs as a real process against the push stand-in (its results go to a
 * pipe this process drains and counts); its CPU (user + sys) and peak RSS
 * come from wait4(2). The baseline is the same command pushing one
 * contact: the process with libcurl, its TLS library and the plugin
 * loaded, having made its calls; what the bulk push adds is the
 * difference. */

struct proc_figures {
    double user, sys, wall;
    long maxrss_kb, waits;
    unsigned long calls, requests;
    size_t lines, added, failed;
    int code;
};

/* n inputs as JSON Lines, numbered as feed() numbers them. */
static int write_input_file(const char *path, size_t n)
{
    FILE *f = fopen(path, "w");
    if(!f)
        return -1;
    for(size_t p = 1; p <= n; p++) {
        const char *fmt = p % 40 == 0   ? "{\"email\":\"user%zu.example.com\",\"firstname\":\"Reader%zu\",\"lastname\":\"Bench\"}\n"
                          : p % 20 == 0 ? "{\"email\":\"user%zu@example.invalid\",\"firstname\":\"Reader%zu\",\"lastname\":\"Bench\"}\n"
                                        : "{\"email\":\"user%zu@example.com\",\"firstname\":\"Reader%zu\",\"lastname\":\"Bench\"}\n";
        fprintf(f, fmt, p, p);
    }
    return fclose(f) ? -1 : 0;
}

/* Count result lines in acc (whole lines only; the rest stays). */
static void count_results(struct kit_buf *acc, struct proc_figures *fig)
{
    size_t start = 0;
    char *nl;
    while(start < acc->len && (nl = memchr(acc->data + start, '\n', acc->len - start))) {
        size_t len = (size_t)(nl - (acc->data + start));
        fig->lines++;
        if(memmem(acc->data + start, len, "\"status\":\"added\"", 16))
            fig->added++;
        else if(memmem(acc->data + start, len, "\"status\":\"failed\"", 17))
            fig->failed++;
        start += len + 1;
    }
    memmove(acc->data, acc->data + start, acc->len - start);
    acc->len -= start;
}

/* One `ochost push --list L --input input` against a fresh stand-in
 * behind fo's emulation; 0 when it ran to its end. */
static int proc_run(const struct ochost_env *e, const char *input, const struct fx_options *fo_in,
                    const char *config, const char *state, struct proc_figures *fig)
{
    memset(fig, 0, sizeof *fig);
    struct hspush H;
    struct fx_server *srv = NULL;
    char why[512], errp[PATH_MAX + 32];
    struct fx_options fo = *fo_in;
    fo.dynamic = hspush_handler;
    fo.dynamic_ctx = &H;
    if(hspush_init(&H))
        return -1;
    if(fx_server_start(NULL, &fo, &srv, why, sizeof why)) {
        fprintf(stderr, "bench_push: %s\n", why);
        hspush_free(&H);
        return -1;
    }
    snprintf(errp, sizeof errp, "%s/proc.err", e->b.dir);
    char figs[PATH_MAX + 32];
    snprintf(figs, sizeof figs, "%s/proc.rusage", e->b.dir);
    unlink(figs);
    int out[2] = {-1, -1}, devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int rc = -1;
    struct kit_buf acc = KIT_BUF_INIT;
    if(devnull < 0 || pipe2(out, O_CLOEXEC))
        goto fail;
    double t0 = mono_s();
    pid_t pid = ochost_start(e,
                             (const char *[]){"--manifest", e->b.manifest, "--config", config, "--state", state,
                                              "-q", "push", "--list", HSPUSH_LIST, "--input", input, NULL},
                             fx_server_url(srv), devnull, out[1], errp, figs);
    close(out[1]);
    out[1] = -1;
    if(pid < 0)
        goto fail;
    char buf[65536];
    ssize_t got;
    while((got = read(out[0], buf, sizeof buf)) != 0) {
        if(got < 0 && errno == EINTR)
            continue;
        if(got < 0)
            break;
        kit_buf_append(&acc, buf, (size_t)got);
        if(!kit_buf_ok(&acc))
            break;
        count_results(&acc, fig);
    }
    struct bench_usage u;
    bench_wait(pid, &u);
    /* the figures of ochost itself, when it ran through rusage_run */
    (void)bench_runner_read(figs, &u);
    fig->wall = mono_s() - t0;
    fig->user = u.user_s;
    fig->sys = u.sys_s;
    fig->maxrss_kb = u.maxrss_kb;
    fig->waits = u.waits;
    fig->code = u.code;
    fig->calls = hspush_calls(&H, HSPUSH_NENDPOINTS);
    fig->requests = (unsigned long)fx_server_requests(srv);
    /* exit 6: the run finished with some inputs failed (the invalid ones) */
    rc = fig->code == 0 || fig->code == 6 ? 0 : -1;
fail:
    if(devnull >= 0)
        close(devnull);
    for(int i = 0; i < 2; i++)
        if(out[i] >= 0)
            close(out[i]);
    kit_buf_free(&acc);
    fx_server_stop(srv);
    hspush_free(&H);
    return rc;
}

#define CPU_GOAL_30K 0.09  /* a twentieth of HubSpot's Node client on the same push */
#define RSS_GOAL_MB 10.0
#define RSS_ADDED_GOAL_MB 2.0

static void proc_print(const char *what, const struct proc_figures *f, double cpu_goal, size_t n)
{
    double cpu = f->user + f->sys;
    printf("%-34s %9.3fs %9.1fMB %8.1fs %8lu   user %.3f s, sys %.3f s; %ld waits; %zu results (%zu added, %zu "
           "failed), exit %d",
           what, cpu, f->maxrss_kb / 1024.0, f->wall, f->calls, f->user, f->sys, f->waits, f->lines, f->added,
           f->failed, f->code);
    if(cpu_goal > 0)
        printf("; CPU goal %.3f s %s", cpu_goal, cpu <= cpu_goal ? "ok" : "MISS");
    if(n)
        printf("; %.2f us per input", cpu / (double)n * 1e6);
    printf("\n");
}

/* What this machine charges for waiting: the same piece of the push's own
 * work (reading a 100-contact upsert answer) timed back to back, then each
 * time right after a wait as long as the stand-in's latency. A paced push
 * does its work in short bursts between such waits, so on a machine where
 * the second figure is a multiple of the first (a virtual machine whose
 * idle vCPU loses its caches, or a CPU clocking down), the paced run's CPU
 * is that much more than the unpaced run's for the same instructions. */
static void print_idle_cost(void)
{
    struct kit_buf page = KIT_BUF_INIT;
    kit_buf_puts(&page, "{\"status\":\"COMPLETE\",\"results\":[");
    for(int i = 0; i < 100; i++)
        kit_buf_printf(&page,
                       "%s{\"id\":\"%d\",\"properties\":{\"createdate\":\"2026-11-30T10:00:00.000Z\","
                       "\"email\":\"user%d@example.com\",\"firstname\":\"Reader%d\",\"hs_object_id\":\"%d\","
                       "\"lastmodifieddate\":\"2026-11-30T10:00:00.000Z\",\"lastname\":\"Bench\"},"
                       "\"createdAt\":\"2026-11-30T10:00:00.000Z\",\"updatedAt\":\"2026-11-30T10:00:00.000Z\","
                       "\"archived\":false,\"new\":true}",
                       i ? "," : "", 7000 + i, i, i, 7000 + i);
    kit_buf_puts(&page, "]}");
    if(!kit_buf_ok(&page)) {
        kit_buf_free(&page);
        return;
    }
    enum { ROUNDS = 60 };
    struct kit_json j;
    memset(&j, 0, sizeof j);
    int bad = kit_json_reparse(&j, page.data, page.len, NULL, 0);
    double t0 = thread_cpu_s();
    for(int i = 0; i < ROUNDS && !bad; i++)
        bad |= kit_json_reparse(&j, page.data, page.len, NULL, 0);
    double back = (thread_cpu_s() - t0) / ROUNDS;
    double after = 0;
    for(int i = 0; i < ROUNDS && !bad; i++) {
        struct timespec d = {0, LATENCY_MS * 1000000L};
        while(nanosleep(&d, &d) && errno == EINTR)
            ;
        t0 = thread_cpu_s();
        bad |= kit_json_reparse(&j, page.data, page.len, NULL, 0);
        after += thread_cpu_s() - t0;
    }
    after /= ROUNDS;
    if(!bad && back > 0)
        printf("%-34s %.3f ms back to back, %.3f ms right after a %d ms wait: %.1fx (what this machine "
               "charges for waking; the paced run's waits last that long, the unpaced run's do not)\n",
               "reading one upsert answer", back * 1e3, after * 1e3, LATENCY_MS, after / back);
    kit_json_free(&j);
    kit_buf_free(&page);
}

static int bench_process(int is_quick)
{
    struct ochost_env e;
    if(ochost_env_init(&e)) {
        fprintf(stderr, "bench_push: cannot set up a folder for ochost (is it built?)\n");
        return 1;
    }
    const char *big_env = getenv("BENCH_BIG_N");
    size_t small = 30000, big = big_env && atol(big_env) > 0 ? (size_t)atol(big_env) : is_quick ? 300000 : 1000000;
    char one[PATH_MAX + 32], in30[PATH_MAX + 32], inbig[PATH_MAX + 32], state[PATH_MAX + 48];
    snprintf(one, sizeof one, "%s/one.jsonl", e.b.dir);
    snprintf(in30, sizeof in30, "%s/30k.jsonl", e.b.dir);
    snprintf(inbig, sizeof inbig, "%s/big.jsonl", e.b.dir);
    int fail = write_input_file(one, 1) || write_input_file(in30, small) || write_input_file(inbig, big);
    if(fail) {
        fprintf(stderr, "bench_push: cannot write the input files in %s\n", e.b.dir);
        bench_ochost_free(&e.b);
        return 1;
    }
    struct fx_options limited = {.limit_max = LIMIT, .limit_window_ms = is_quick ? 1000 : 10000,
                                 .latency_ms = LATENCY_MS};
    struct fx_options open_limit = {0};
    /* Without the emulated limit the plugin's own pacing (burst_max per
     * burst_window_ms, HubSpot's default) is lifted too, so the run shows
     * CPU and memory, not waiting. */
    char paced[PATH_MAX + 32], unpaced[PATH_MAX + 32];
    snprintf(paced, sizeof paced, "%s/paced.conf", e.b.dir);
    snprintf(unpaced, sizeof unpaced, "%s/unpaced.conf", e.b.dir);
    if(bench_write_text(paced, "# the plugin's defaults\n") || bench_write_text(unpaced, getenv("BENCH_EXTRA_CONF") ? getenv("BENCH_EXTRA_CONF") : "burst_max = 10000\nburst_window_ms = 100\n")) {
        bench_ochost_free(&e.b);
        return 1;
    }
    struct proc_figures base, f30, f30open, fbig;
    printf("\nbench_push: the whole `ochost push --list --input FILE` process (JSON Lines, 5%% invalid; "
           "CPU user+sys and peak RSS from wait4)\n");
    printf("%-34s %10s %11s %9s %8s\n", "run", "CPU", "peak RSS", "wall", "calls");
    snprintf(state, sizeof state, "%s/proc1.state", e.b.dir);
    fail |= proc_run(&e, one, &limited, paced, state, &base);
    proc_print("1 contact (baseline)", &base, 0, 0);
    snprintf(state, sizeof state, "%s/proc30.state", e.b.dir);
    fail |= proc_run(&e, in30, &limited, paced, state, &f30);
    proc_print(is_quick ? "30,000, limit (1 s window)" : "30,000, limit 100/10 s, 50 ms", &f30, CPU_GOAL_30K,
               small);
    snprintf(state, sizeof state, "%s/proc30o.state", e.b.dir);
    fail |= proc_run(&e, in30, &open_limit, unpaced, state, &f30open);
    proc_print("30,000, no limit or pacing", &f30open, CPU_GOAL_30K, small);
    snprintf(state, sizeof state, "%s/procbig.state", e.b.dir);
    fail |= proc_run(&e, inbig, &open_limit, unpaced, state, &fbig);
    char name[64];
    snprintf(name, sizeof name, "%zu, no limit or pacing", big);
    proc_print(name, &fbig, CPU_GOAL_30K * (double)big / (double)small, big);
    double added = (f30.maxrss_kb - base.maxrss_kb) / 1024.0;
    double big_added = (fbig.maxrss_kb - base.maxrss_kb) / 1024.0;
    printf("%-34s %9.1fMB %9.1fMB %s   (goal: peak RSS <= %.0f MB)\n", "peak RSS, 30,000", f30.maxrss_kb / 1024.0,
           RSS_GOAL_MB, f30.maxrss_kb / 1024.0 <= RSS_GOAL_MB ? "ok" : "MISS", RSS_GOAL_MB);
    printf("%-34s %9.1fMB %9.1fMB %s   (over the 1-contact baseline of %.1f MB)\n", "RSS the push adds, 30,000",
           added, RSS_ADDED_GOAL_MB, added <= RSS_ADDED_GOAL_MB ? "ok" : "MISS", base.maxrss_kb / 1024.0);
    printf("%-34s %9.1fMB %9.1fMB %s   (flat: the same bound as 30,000)\n", "RSS the push adds, big", big_added,
           RSS_ADDED_GOAL_MB, big_added <= RSS_ADDED_GOAL_MB ? "ok" : "MISS");
    double per_small = (f30open.user + f30open.sys) / (double)small;
    double per_big = (fbig.user + fbig.sys) / (double)big;
    printf("%-34s %9.2fx %10s %s   (CPU per input, big over 30,000 unlimited; linear is 1.0)\n", "CPU growth",
           per_small > 0 ? per_big / per_small : 0.0, "<= 1.25x", per_small > 0 && per_big / per_small <= 1.25 ? "ok" : "MISS");
    print_idle_cost();
    size_t want30 = small - small / 20, wantbig = big - big / 20;
    int ok = base.lines == 1 && f30.lines == small && f30.added == want30 && f30open.lines == small &&
             f30open.added == want30 && fbig.lines == big && fbig.added == wantbig;
    printf("%-34s %s\n", "results", ok ? "every input answered, the invalid 5% failed: ok" : "MISMATCH");
    fail |= !ok;
    bench_ochost_free(&e.b);
    return fail;
}

int main(void)
{
    const char *quick = getenv("BENCH_QUICK");
    const char *nenv = getenv("BENCH_N");
    int is_quick = quick && *quick && strcmp(quick, "0");
    int64_t window = is_quick ? 1000 : 10000;
    size_t n = nenv && atol(nenv) > 0 ? (size_t)atol(nenv) : 30000;
    const char *only = getenv("BENCH_PUSH_ONLY");
    if(only && !strcmp(only, "process"))
        return bench_process(is_quick);
    const char *cenv = getenv("BENCH_CONCURRENCY");
    int conc = cenv && atoi(cenv) > 0 && atoi(cenv) <= 32 ? atoi(cenv) : 4;
    int chunk = 500;

    struct fx_options fo = {.limit_max = LIMIT, .limit_window_ms = window,
                            .latency_ms = LATENCY_MS, .dynamic = hubspot};
    struct fx_server *srv = NULL;
    char why[512];
    if(fx_server_start(NULL, &fo, &srv, why, sizeof why)) {
        fprintf(stderr, "bench_push: %s\n", why);
        return 1;
    }

    struct bench_host b;
    memset(&b, 0, sizeof b);
    b.n = n;
    b.seen = calloc(n / 8 + 1, 1);
    b.host.struct_size = sizeof b.host;
    b.host.ctx = &b;
    b.host.emit = count_emit;
    b.host.now_ms = real_now;
    b.host.sleep_ms = real_sleep;
    char wbuf[32], cbuf[16], kbuf[16], lbuf[16];
    snprintf(wbuf, sizeof wbuf, "%lld", (long long)window);
    snprintf(cbuf, sizeof cbuf, "%d", conc);
    snprintf(kbuf, sizeof kbuf, "%d", chunk);
    snprintf(lbuf, sizeof lbuf, "%d", LIMIT);
    struct oc_option opts[] = {
        {"access_token", FX_PLACEHOLDER_TOKEN}, {"base_url", fx_server_url(srv)},
        {"burst_max", lbuf}, {"burst_window_ms", wbuf},
        {"max_concurrency", cbuf}, {"membership_chunk", kbuf},
    };
    struct oc_instance *in = NULL;
    struct oc_error err = {sizeof err};
    if(!b.seen || hs_instance_new(&b.host, opts, sizeof opts / sizeof opts[0], &in, &err)) {
        fprintf(stderr, "bench_push: %s\n", err.message);
        fx_server_stop(srv);
        return 1;
    }

    printf("bench_push: %zu contacts (5%% invalid) into list %s; limit %d calls per %lld ms, "
           "%d ms latency, max_concurrency %d, membership_chunk %d%s\n",
           n, LIST, LIMIT, (long long)window, LATENCY_MS, conc, chunk,
           is_quick ? " (BENCH_QUICK: window scaled to 1 s)" : "");
    fflush(stdout);

    struct oc_push_request req = {sizeof req, LIST, feed, &b};
    double w0 = mono_s(), c0 = thread_cpu_s();
    oc_status rc = hs_push(in, &req, &err);
    double wall = mono_s() - w0, cpu = thread_cpu_s() - c0;

    uint64_t calls = kit_http_calls(in->http);
    uint64_t requests = fx_server_requests(srv);
    uint64_t ok_calls = atomic_load(&served);
    uint64_t limited = requests > ok_calls ? requests - ok_calls : 0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu_proc = tv_s(ru.ru_utime) + tv_s(ru.ru_stime);

    size_t accounted = 0;
    for(size_t p = 0; p < n; p++)
        accounted += (b.seen[p / 8] >> (p % 8)) & 1;
    uint64_t accepted = b.added + b.already;
    uint64_t chunks = (accepted + (uint64_t)chunk - 1) / (uint64_t)chunk;
    uint64_t call_floor = (n + 99) / 100 + chunks + 2;
    double strict_floor = (double)(((ok_calls + LIMIT - 1) / LIMIT) - 1) * (double)window / 1000.0 +
                          LATENCY_MS / 1000.0;
    double rate_floor = (double)ok_calls * (double)window / 1000.0 / LIMIT;

    printf("\n%-26s %14s %14s %s\n", "figure", "measured", "floor/target", "");
    printf("%-26s %14" PRIu64 " %14" PRIu64 " %s\n", "calls (client, all tries)", calls, call_floor,
           calls <= call_floor ? "ok" : "OVER");
    printf("%-26s %14" PRIu64 " %14s   list and properties checks 2, upserts %lu, membership adds %lu\n",
           "calls answered", ok_calls, "", (unsigned long)upserts, (unsigned long)adds);
    printf("%-26s %13.2fs %13.2fs   ratio %.3f (target <= 1.1) %s\n", "wall time", wall,
           strict_floor, wall / strict_floor, wall / strict_floor <= 1.1 ? "ok" : "MISS");
    printf("%-26s %14s %13.2fs   ratio %.3f (sustained rate: calls x window / limit)\n", "", "",
           rate_floor, wall / rate_floor);
    printf("%-26s %13.3fs %13.3fs %s   (goal: a twentieth of HubSpot's Node client)\n", "CPU, push thread", cpu,
           CPU_GOAL_30K, cpu <= CPU_GOAL_30K ? "ok" : "MISS");
    printf("%-26s %13.3fs %14s   (replay server and libmicrohttpd included)\n", "CPU, whole process",
           cpu_proc, "");
    printf("%-26s %12.1fMB %12.1fMB %s\n", "peak RSS (process)", ru.ru_maxrss / 1024.0, 16.0,
           ru.ru_maxrss / 1024.0 < 16.0 ? "ok" : "MISS");
    printf("%-26s %14" PRIu64 " %14d %s\n", "429s seen", limited, 0, limited ? "(some)" : "ok");
    printf("%-26s %14zu %14zu %s\n", "inputs accounted for", accounted, n,
           accounted == n && !b.dup && !b.stray ? "ok" : "MISMATCH");
    printf("%-26s added %" PRIu64 ", already members %" PRIu64 ", failed %" PRIu64
           ", duplicates %" PRIu64 "\n",
           "results", b.added, b.already, b.failed, b.dup);
    printf("%-26s %s (%s)\n", "push returned", rc == OC_E_PARTIAL ? "OC_E_PARTIAL" : "other",
           rc ? err.message : "ok");

    int fail = accounted != n || b.dup || b.stray || rc != OC_E_PARTIAL || b.failed != n / 20;

    /* Single web sign-ups on the same instance (the list already checked):
     * a new contact costs the upsert and the list add; the same address
     * again, email only, costs the add alone (its id is known). */
    uint64_t single[2];
    struct single_feed sf = {.email = "user999999@example.com"};
    for(int k = 0; k < 2; k++) {
        sf.given = 0;
        sf.with_name = k == 0;
        uint64_t before = kit_http_calls(in->http);
        struct oc_push_request one = {sizeof one, LIST, single_next, &sf};
        oc_status src = hs_push(in, &one, &err);
        single[k] = kit_http_calls(in->http) - before;
        fail |= src != OC_OK;
    }
    printf("%-26s %14" PRIu64 " %14d %s\n", "single sign-up, new", single[0], 2,
           single[0] == 2 ? "ok" : "OVER");
    printf("%-26s %14" PRIu64 " %14d %s\n", "single sign-up, known id", single[1], 1,
           single[1] == 1 ? "ok" : "OVER");
    fail |= single[0] != 2 || single[1] != 1;
    hs_instance_release(in);
    fx_server_stop(srv);
    free(b.seen);
    fflush(stdout);
    if(!only || strcmp(only, "inproc")) {
        fail |= bench_follow(is_quick);
        fail |= bench_process(is_quick);
    }
    if(fail)
        fprintf(stderr, "bench_push: the run did not account for every input as expected\n");
    return fail ? 1 : 0;
}
