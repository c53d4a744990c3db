/* cmd_lookup.c - `ochost lookup`: one JSON line per query; with --follow,
 * queries read as they arrive and answered as soon as known. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host-api/ochost/commands.h"
#include "host-api/ochost/output.h"
#include "host-api/ochost/results.h"
#include "host-api/ochost/status.h"
#include "host-api/ochost/stdout_fail.h"
#include "plugin/clock.h"
#include "plugin/error.h"
#include "plugin/text.h"

/* Queries from --input are sent in runs of one kind (email or id), at most
 * this many per call, so a long file never sits in memory and output
 * keeps the file's order. */
#define CHUNK 1000

struct lookup_ctx {
    struct kit_buf scratch;
    unsigned long long found, missed;
    unsigned long long written; /* answers whose write(2) succeeded */
    int follow; /* each answer leaves at once, not when stdio's buffer fills */
    /* Without --follow the answers are written in batches (results.h),
     * and at the end of each run of queries: one write(2) per answer was
     * most of what ochost itself cost a bulk lookup. */
    struct och_results out;
};

static void answers_written(void *ctx, size_t n, int ok)
{
    struct lookup_ctx *l = ctx;
    if(ok)
        l->written += n;
}

static oc_status sink(void *ctx, const struct oc_record *r)
{
    struct lookup_ctx *l = ctx;
    if(r->kind && strcmp(r->kind, "lookup_miss") == 0)
        l->missed++;
    else
        l->found++;
    if(!l->follow)
        return och_results_add(&l->out, r);
    if(och_record_print(stdout, r, &l->scratch))
        return OC_E_IO;
    l->written++;
    return fflush(stdout) ? OC_E_IO : OC_OK;
}

static oc_status run(struct och_session *s, struct lookup_ctx *l, int by, const char *const *q, size_t n)
{
    struct oc_lookup_request req = {sizeof req, by, n, q};
    s->host.sink = sink;
    s->host.sink_ctx = l;
    och_error_init(&s->err);
    oc_status rc = s->conn->lookup(s->inst, &req, &s->err);
    s->host.sink = NULL;
    /* The next run's queries may still be on their way (a pipe): what
     * is known goes out first. A failure is stdout's, said at the end. */
    och_results_flush(&l->out);
    return rc;
}

static int is_id(const char *s)
{
    for(; *s; s++)
        if(!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

/* NOT_FOUND from one chunk must not hide a worse failure, nor stop the
 * remaining chunks. */
static oc_status merge(oc_status acc, oc_status rc)
{
    if(rc == OC_OK)
        return acc;
    if(rc == OC_E_NOT_FOUND)
        return acc ? acc : rc;
    return rc;
}

static oc_status from_file(struct och_session *s, struct lookup_ctx *l, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
    char *line = NULL, *q[CHUNK];
    size_t cap = 0, n = 0;
    int by = -1;
    oc_status acc = OC_OK, rc;
    unsigned long lineno = 0;

    if(!f)
        return kit_fail(&s->err, OC_E_CONFIG, "cannot read --input %s: %s", path, strerror(errno));
    for(;;) {
        ssize_t got = getline(&line, &cap, f);
        char *t = got >= 0 ? kit_trim(line, KIT_SPACES) : NULL;
        int kind = t ? is_id(t) : -1;
        lineno++;
        if(t && !*t)
            continue;
        /* Flush the pending run when the kind changes, it is full, or the
         * input ends. */
        if(n && (kind != by || n == CHUNK)) {
            rc = run(s, l, by == 1 ? OC_LOOKUP_ID : OC_LOOKUP_EMAIL, (const char *const *)q, n);
            for(size_t i = 0; i < n; i++)
                free(q[i]);
            n = 0;
            acc = merge(acc, rc);
            if(rc && rc != OC_E_NOT_FOUND)
                break;
        }
        if(!t)
            break;
        if(!kind && !strchr(t, '@')) {
            fprintf(stderr, "ochost: lookup: %s:%lu: '%s' is neither an email nor a record id; skipped\n", path,
                    lineno, t);
            acc = merge(acc, OC_E_NOT_FOUND);
            l->missed++;
            continue;
        }
        q[n] = strdup(t);
        if(!q[n]) {
            acc = kit_fail(&s->err, OC_E_NOMEM, "out of memory reading %s", path);
            break;
        }
        n++;
        by = kind;
    }
    for(size_t i = 0; i < n; i++)
        free(q[i]);
    if(ferror(f) && !acc)
        acc = kit_fail(&s->err, OC_E_IO, "cannot read %s: %s", path, strerror(errno));
    free(line);
    if(f != stdin)
        fclose(f);
    return acc;
}

/* ---- --follow ----------------------------------------------------------- */

/* The first SIGTERM/SIGINT ends the input: what was read is still
 * answered. The handler wakes the poll through a pipe (a flag alone could
 * arrive just before poll blocks). A second signal goes to the handler
 * that was there before (ochost's: stop at once). */
static volatile sig_atomic_t follow_stop;
static int wake_fd[2] = {-1, -1};
static struct sigaction old_int, old_term;

static void on_follow_signal(int sig)
{
    int saved = errno;
    if(follow_stop) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        raise(sig);
    } else {
        follow_stop = 1;
        ssize_t w = write(wake_fd[1], "x", 1);
        (void)w;
    }
    errno = saved;
}

struct follow {
    struct och_session *s;
    int fd;
    int eof;
    struct kit_buf in;   /* bytes read, not yet handed over */
    size_t start;        /* where the next line begins in in */
    char *query;         /* the query handed over last (owned) */
    int oom;
    oc_status failed;    /* a read error, reported after the run */
    int read_errno;
};

/* The next non-empty line held in f->in (the partial last one too once
 * the input ended), or NULL (f->oom set when memory ran out). */
static char *next_line(struct follow *f)
{
    while(f->start < f->in.len) {
        char *p = f->in.data + f->start;
        char *nl = memchr(p, '\n', f->in.len - f->start);
        if(!nl && !f->eof)
            break;
        size_t n = nl ? (size_t)(nl - p) : f->in.len - f->start;
        free(f->query);
        if(!(f->query = strndup(p, n))) {
            f->oom = 1;
            return NULL;
        }
        f->start += n + (nl ? 1 : 0);
        char *t = kit_trim(f->query, KIT_SPACES);
        if(*t)
            return t;
    }
    /* Everything handed over: start the buffer again so it stays about one
     * line long however long the run. */
    if(f->start == f->in.len) {
        kit_buf_reset(&f->in);
        f->start = 0;
    }
    return NULL;
}

/* Advance a virtual clock (tests, fixture runs) by the time spent waiting,
 * so linger_ms is measured on the clock the plugin reads. */
static void waited(struct follow *f, int64_t since_ms)
{
    if(f->s->host.virtual_clock)
        f->s->host.virtual_now_ms += kit_monotonic_ms() - since_ms;
}

/* next_query for the plugin: a line already read, else wait up to wait_ms
 * for one. After a signal, what is already in the pipe is read without
 * waiting, and then the input ends. */
static oc_status follow_next(void *ctx, int64_t wait_ms, int *by, const char **query)
{
    struct follow *f = ctx;
    int64_t start = kit_monotonic_ms();
    oc_status rc;
    for(;;) {
        char *t = next_line(f);
        if(t) {
            *by = is_id(t) ? OC_LOOKUP_ID : OC_LOOKUP_EMAIL;
            *query = t;
            rc = OC_OK;
            break;
        }
        if(f->oom) {
            rc = OC_E_NOMEM;
            break;
        }
        if(f->eof) {
            rc = OC_E_NOT_FOUND;
            break;
        }
        int timeout = -1;
        if(follow_stop) {
            timeout = 0;
        } else if(wait_ms >= 0) {
            int64_t left = wait_ms - (kit_monotonic_ms() - start);
            if(left <= 0) {
                rc = OC_E_AGAIN;
                break;
            }
            timeout = left > INT_MAX ? INT_MAX : (int)left;
        }
        struct pollfd pf[2] = {{f->fd, POLLIN, 0}, {wake_fd[0], POLLIN, 0}};
        int r = poll(pf, follow_stop ? 1 : 2, timeout);
        if(r < 0 && errno == EINTR)
            continue;
        if(r < 0) {
            f->read_errno = errno;
            rc = f->failed = OC_E_IO;
            break;
        }
        if(r == 0 && follow_stop) {
            f->eof = 1; /* drained: what arrived before the signal is read */
            continue;
        }
        if(!pf[0].revents)
            continue;
        /* read(2), not stdio: a FILE could sit on a line it already holds
         * while poll says the descriptor has nothing more. */
        if(kit_buf_reserve(&f->in, 4096)) {
            rc = OC_E_NOMEM;
            break;
        }
        ssize_t got = read(f->fd, f->in.data + f->in.len, 4096);
        if(got > 0) {
            f->in.len += (size_t)got;
            f->in.data[f->in.len] = '\0';
        } else if(got == 0) {
            f->eof = 1;
        } else if(errno != EINTR && errno != EAGAIN) {
            f->read_errno = errno;
            rc = f->failed = OC_E_IO;
            break;
        }
    }
    waited(f, start);
    return rc;
}

static oc_status from_follow(struct och_session *s, struct lookup_ctx *l, const char *path)
{
    struct follow f = {.s = s, .fd = STDIN_FILENO};
    struct sigaction sa;
    oc_status rc;
    l->follow = 1;
    if(path && strcmp(path, "-") && (f.fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return kit_fail(&s->err, OC_E_CONFIG, "cannot read --input %s: %s", path,
                        strerror(errno));
    if(pipe2(wake_fd, O_CLOEXEC | O_NONBLOCK)) {
        rc = kit_fail(&s->err, OC_E_IO, "lookup --follow: cannot make a pipe: %s",
                      strerror(errno));
        goto out;
    }
    follow_stop = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_follow_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    struct oc_lookup_request req = {sizeof req};
    req.next_query = follow_next;
    req.next_query_ctx = &f;
    s->host.sink = sink;
    s->host.sink_ctx = l;
    och_error_init(&s->err);
    rc = s->conn->lookup(s->inst, &req, &s->err);
    s->host.sink = NULL;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if(f.failed == OC_E_IO)
        rc = kit_fail(&s->err, OC_E_IO, "lookup --follow: reading %s failed: %s",
                      path ? path : "stdin", strerror(f.read_errno));
    else if(f.oom)
        rc = kit_fail(&s->err, OC_E_NOMEM, "lookup --follow: out of memory reading queries");
out:
    for(int i = 0; i < 2; i++)
        if(wake_fd[i] >= 0)
            close(wake_fd[i]);
    wake_fd[0] = wake_fd[1] = -1;
    if(f.fd != STDIN_FILENO)
        close(f.fd);
    kit_buf_free(&f.in);
    free(f.query);
    return rc;
}

int och_cmd_lookup(struct och_session *s, const struct och_cli *args)
{
    struct lookup_ctx l;
    oc_status rc;
    memset(&l, 0, sizeof l);
    if(!args->follow)
        och_results_begin(&l.out, &s->host, answers_written, &l);
    if(args->follow)
        rc = from_follow(s, &l, args->input);
    else if(args->input)
        rc = from_file(s, &l, args->input);
    else
        rc = run(s, &l, args->lookup_by, args->queries, args->nqueries);
    och_results_flush(&l.out);
    och_results_end(&l.out);
    kit_buf_free(&l.scratch);
    /* Answers go out in the order they are known, not the queries' order,
     * so "the rest" is the queries without an answer line. */
    int e = och_stdout_error();
    if(e)
        return och_stdout_failed(s, e,
                                 "%llu answers were written (each names its query); a lookup changes "
                                 "nothing in HubSpot, so rerun it for the queries without an answer (or "
                                 "for all of them)",
                                 l.written);
    if(rc == OC_E_NOT_FOUND || (!rc && l.missed)) {
        if(s->cli->verbosity >= 0)
            fprintf(stderr, "ochost: lookup: %llu found, %llu not found\n", l.found, l.missed);
        return OCH_EXIT_NOT_FOUND;
    }
    return rc ? och_session_report(s, rc) : 0;
}
