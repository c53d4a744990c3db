/* cmd_push.c - `ochost push`: upsert contacts, add them to a list, one
 * JSON line per input read, and in --rejects every input that did not end
 * added or already_member, however the run ends: failed results, inputs
 * the plugin never answered, and (for a file) inputs never read because
 * the run stopped first (a signal, a refused list). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host-api/ochost/commands.h"
#include "host-api/ochost/input.h"
#include "host-api/ochost/output.h"
#include "host-api/ochost/rejects.h"
#include "host-api/ochost/results.h"
#include "host-api/ochost/status.h"
#include "plugin/clock.h"
#include "plugin/error.h"
#include "plugin/openerr.h"

struct push_ctx {
    struct och_input in;
    struct och_input_map map;
    struct och_rejects rej;
    int use_rejects;
    oc_status rej_rc;
    struct kit_buf scratch;
    unsigned long long added, already, failed, other, read, unread;
    int eof; /* the input was read to its end */
    int ended_by_signal; /* --follow: SIGINT/SIGTERM ended the input */
    /* A bulk push's result lines are gathered and written together
     * (results.h); the inputs whose line is gathered but not written and
     * that the rejects file would forget once answered wait here, so a
     * line stdout never took leaves its input in the rejects file. */
    int gather;
    struct och_results out;
    uint64_t *unwritten; /* OCH_RESULTS_LINES of them: a batch's worth */
    size_t nunwritten;
    int input_is_file; /* a read never waits for a writer */
    /* usage record probe */
    int64_t calls;
    int have_calls;
};

static uint64_t line_of(const char *id)
{
    if(!id || strncmp(id, "line ", 5) != 0)
        return 0;
    return strtoull(id + 5, NULL, 10);
}

/* The record just read as the rejects file keeps it, and where to find
 * all of it when the reader kept only its beginning. */
static const char *reject_text(struct push_ctx *p, struct och_reject_span *span, size_t *len)
{
    memset(span, 0, sizeof *span);
    if(och_input_cut(&p->in)) {
        span->reread = och_input_record_span(&p->in, &span->off, &span->len);
        return och_input_raw(&p->in, len);
    }
    return och_input_reject_text(&p->in, len);
}

/* Results come in bursts (a wave of upserts answered at once, and each
 * input the plugin refuses itself at once as it reads), and one write(2)
 * per burst still cost about one per locally refused input. So without
 * --follow the lines are gathered and written in large batches
 * (results.h: by size, by the age of the oldest, at the end); and before
 * a read that may wait for its writer (a pipe whose next line is not
 * here yet), so no line waits on the input's writer. --follow writes each
 * line at once: there a result is wanted as soon as it is known. */
static void results_written(void *ctx, size_t n, int ok)
{
    struct push_ctx *p = ctx;
    (void)n;
    /* Written: those inputs are done. Not written: they stay unanswered
     * for the rejects file, whose close gives them the reason. */
    for(size_t i = 0; i < p->nunwritten && ok; i++) {
        oc_status rc = och_rejects_result(&p->rej, p->unwritten[i], 0, NULL);
        if(rc && !p->rej_rc)
            p->rej_rc = rc;
    }
    p->nunwritten = 0;
}

static oc_status next(void *ctx, struct oc_record *rec)
{
    struct push_ctx *p = ctx;
    if(p->gather) {
        int may_wait = !p->input_is_file && och_results_pending(&p->out) && !och_input_ready(&p->in);
        if(may_wait ? och_results_flush(&p->out) : och_results_tick(&p->out))
            return OC_E_IO; /* stdout is gone: the push stops (ochost says why) */
    }
    oc_status rc = och_input_next(&p->in, rec);
    if(rc == OC_E_NOT_FOUND)
        p->eof = 1;
    if(rc)
        return rc;
    p->read++;
    if(p->use_rejects) {
        size_t len;
        struct och_reject_span span;
        const char *raw = reject_text(p, &span, &len);
        rc = raw ? och_rejects_keep(&p->rej, line_of(rec->id), raw, len, &span) : OC_E_NOMEM;
        if(rc) {
            /* The plugin will not get this input (the error stops the
             * read), so it goes to the rejects file now, or the summary
             * says the file is incomplete. */
            oc_status wrc = raw ? och_rejects_write(&p->rej, raw, len, &span,
                                                    "not pushed: out of memory keeping this input for the "
                                                    "rejects file; push it again")
                                : OC_E_NOMEM;
            if(wrc && !p->rej_rc)
                p->rej_rc = wrc;
        }
    }
    return rc;
}

/* --follow: the first SIGINT/SIGTERM ends the input instead of cancelling
 * the push, so what was read is still sent and answered; a second one
 * kills (SA_RESETHAND), as elsewhere. */
static volatile sig_atomic_t follow_end;

static void on_follow_signal(int sig)
{
    (void)sig;
    follow_end = 1;
}

static void follow_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_follow_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* The ABI's next_within for --follow: a record already buffered is
 * handed over at once; otherwise poll(2) on the input's descriptor and
 * read(2) only what it says has arrived (nothing hides in a stdio
 * buffer, and a line written in pieces never blocks past wait_ms), for
 * at most wait_ms (< 0: until a whole line or a signal). A signal ends the
 * input; an idle wait answers OC_E_AGAIN so the plugin sends what it holds. */
static oc_status next_within(void *ctx, struct oc_record *rec, int64_t wait_ms)
{
    struct push_ctx *p = ctx;
    int64_t deadline = wait_ms < 0 ? -1 : kit_monotonic_ms() + wait_ms;
    while(!och_input_ready(&p->in)) {
        if(follow_end) {
            p->eof = 1;
            p->ended_by_signal = 1;
            return OC_E_NOT_FOUND;
        }
        int64_t left = deadline < 0 ? -1 : deadline - kit_monotonic_ms();
        if(deadline >= 0 && left <= 0)
            return OC_E_AGAIN;
        struct pollfd pfd = {.fd = och_input_fd(&p->in), .events = POLLIN};
        int n = poll(&pfd, 1, left < 0 || left > 1000 ? 1000 : (int)left);
        /* Readable, at its end, or in error: take what is there, which
         * may be only part of a line; the loop waits for the rest. */
        if(n > 0)
            och_input_pull(&p->in);
        else if(n < 0 && errno != EINTR)
            break;
    }
    return next(ctx, rec);
}

/* Whether s is the literal word: the few short words a result is sorted
 * by, compared a byte at a time to constants the compiler unrolls (a call
 * to strcmp costs more than the compare). It stops at the first byte that
 * differs, so it never reads past the end of a shorter s. */
#define is_word(s, word) word_eq((s), (word), sizeof(word))
static inline int word_eq(const char *s, const char *word, size_t size)
{
#pragma GCC unroll 16
    for(size_t i = 0; i < size; i++)
        if(s[i] != word[i])
            return 0;
    return 1;
}

/* The fields of a push result the bookkeeping reads (each the first of
 * its name, as och_record_field finds it), in one pass; input and error
 * only when the rejects file needs them (all wanted). */
struct result_fields {
    const char *input, *status, *error;
};

static void result_fields(const struct oc_record *r, int all, struct result_fields *out)
{
    out->input = out->status = out->error = NULL;
    for(size_t i = 0; i < r->nfields; i++) {
        const char *k = r->fields[i].key;
        const char **slot = NULL;
        if(!k)
            continue;
        if(k[0] == 's' && is_word(k, "status")) {
            slot = &out->status;
        } else if(!all) {
            continue;
        } else if(k[0] == 'i' && is_word(k, "input")) {
            slot = &out->input;
        } else if(k[0] == 'e' && is_word(k, "error")) {
            slot = &out->error;
        }
        if(slot && !*slot)
            *slot = r->fields[i].value;
        if(!all && out->status)
            return;
    }
}

static oc_status sink(void *ctx, const struct oc_record *r)
{
    struct push_ctx *p = ctx;
    if(r->kind && is_word(r->kind, "push_result")) {
        struct result_fields rf;
        result_fields(r, p->use_rejects, &rf);
        const char *status = rf.status;
        int failed = !status || is_word(status, "failed");
        if(failed)
            p->failed++;
        else if(is_word(status, "added"))
            p->added++;
        else if(is_word(status, "already_member"))
            p->already++;
        else
            p->other++;
        /* stdout already failed: an answered input stays in the rejects
         * file (a failed one with its own reason) */
        int lost = p->gather && och_stdout_error();
        if(p->use_rejects && (!lost || failed)) {
            uint64_t line = line_of(rf.input ? rf.input : r->id);
            oc_status rc = OC_OK;
            if(p->gather && !failed) {
                /* A batch holds at most OCH_RESULTS_LINES, but a line
                 * that could not be gathered (oom) still took a slot. A
                 * failed write leaves this input unanswered. */
                if(p->nunwritten == OCH_RESULTS_LINES && och_results_flush(&p->out))
                    return OC_E_IO;
                p->unwritten[p->nunwritten++] = line;
            } else
                rc = och_rejects_result(&p->rej, line, failed, rf.error);
            if(rc && !p->rej_rc)
                p->rej_rc = rc;
        }
    }
    if(!p->gather)
        return och_record_print(stdout, r, &p->scratch) ? OC_E_IO : OC_OK;
    return och_results_add(&p->out, r);
}

/* Calls so far today from the usage record, which the plugin keeps
 * locally (no HubSpot call). Its field names belong to the plugin; we use
 * the first we recognise and leave the figure out otherwise. */
static oc_status usage_sink(void *ctx, const struct oc_record *r)
{
    static const char *const names[] = {"calls_today", "calls", "total_calls"};
    struct push_ctx *p = ctx;
    for(size_t i = 0; i < sizeof names / sizeof names[0] && !p->have_calls; i++) {
        const char *v = och_record_field(r, names[i]);
        char *end;
        if(v && *v) {
            long long n = strtoll(v, &end, 10);
            if(!*end) {
                p->calls = n;
                p->have_calls = 1;
            }
        }
    }
    return OC_OK;
}

static int probe_calls(struct och_session *s, struct push_ctx *p, int64_t *out)
{
    struct oc_error err;
    och_error_init(&err);
    p->have_calls = 0;
    s->host.sink = usage_sink;
    s->host.sink_ctx = p;
    oc_status rc = s->conn->usage(s->inst, &err);
    s->host.sink = NULL;
    if(rc || !p->have_calls)
        return -1;
    *out = p->calls;
    return 0;
}

/* --input opened close-on-exec, so no child process inherits it. A
 * directory opens without complaint and fails only at the first read:
 * it is refused here (EISDIR), so it gets the same advice as any file
 * that cannot be opened. */
static FILE *open_input(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if(fd < 0)
        return NULL;
    struct stat st;
    if(fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        errno = EISDIR;
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if(!f) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    return f;
}

/* The run stopped before the input's end: the rest of a file goes to the
 * rejects file too, so it holds everything left to do. A pipe is left
 * alone (reading it on could block, and its writer may be gone). */
static void reject_unread(struct push_ctx *p, FILE *f, const char *why)
{
    struct stat st;
    if(!p->use_rejects || p->eof || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
        return;
    struct oc_record rec;
    oc_status rc;
    while((rc = och_input_next(&p->in, &rec)) == OC_OK) {
        size_t len;
        struct och_reject_span span;
        const char *raw = reject_text(p, &span, &len);
        if(!raw || och_rejects_write(&p->rej, raw, len, &span, why)) {
            if(!p->rej_rc)
                p->rej_rc = raw ? OC_E_IO : OC_E_NOMEM;
            return;
        }
        p->unread++;
    }
    p->eof = rc == OC_E_NOT_FOUND;
}

static const char *cancelled_reason(int cancelled)
{
    if(och_stdout_error())
        return "not finished: its result could not be written to stdout; push it again (pushing an "
               "input that was already added is harmless)";
    return cancelled ? "not finished: the push was cancelled (SIGINT or SIGTERM) before this input "
                       "got a result; push it again"
                     : "no result from the plugin; push it again";
}

int och_cmd_push(struct och_session *s, const struct och_cli *args)
{
    struct push_ctx p;
    FILE *f = stdin;
    const char *name = "stdin";
    oc_status rc;
    int code = 0;
    int64_t calls0 = 0, calls1 = 0;
    int64_t t0 = kit_monotonic_ms();
    unsigned long long unanswered = 0;

    memset(&p, 0, sizeof p);
    /* A --map that cannot be read is a command-line mistake, found before
     * the input is opened. */
    if(args->map && (rc = och_input_map_parse(&p.map, args->map, &s->err))) {
        och_report(s->what, rc, &s->err);
        och_input_map_free(&p.map);
        return rc == OC_E_INVALID ? OCH_EXIT_USAGE : och_exit_code(rc);
    }
    if(args->input && strcmp(args->input, "-") != 0) {
        f = open_input(args->input);
        name = args->input;
        if(!f) {
            int e = errno;
            kit_fail(&s->err, OC_E_CONFIG, "cannot read --input %s: %s; %s", args->input, strerror(e),
                     kit_open_advice(e));
            och_input_map_free(&p.map);
            return och_session_report(s, OC_E_CONFIG);
        }
    }
    /* Before a byte is read or written: the rejects file must not be the
     * input (the natural "push my rejects again" loop names both). */
    if(args->rejects) {
        rc = och_rejects_check(args->rejects, fileno(f), name, &s->err);
        if(rc) {
            code = och_session_report(s, rc);
            goto out;
        }
    }
    /* Header and format problems end the run before any HubSpot call. */
    if(args->follow)
        follow_signals();
    rc = args->follow ? och_input_open_stream(&p.in, f, name, args->map ? &p.map : NULL, &s->err)
                      : och_input_open_mapped(&p.in, f, name, args->map ? &p.map : NULL, &s->err);
    if(rc == OC_E_INVALID) {
        /* a --map column the header does not have: the command line's fault */
        och_report(s->what, rc, &s->err);
        code = OCH_EXIT_USAGE;
        goto out;
    }
    if(rc) {
        code = och_session_report(s, rc);
        goto out;
    }
    if(args->rejects) {
        size_t hlen = 0;
        const char *h = och_input_header(&p.in, &hlen);
        rc = och_rejects_open(&p.rej, args->rejects, p.in.format == OCH_INPUT_CSV ? p.in.delim : 0, h,
                              hlen, fileno(f), &s->err);
        p.use_rejects = 1;
        if(rc) {
            code = och_session_report(s, rc);
            goto out;
        }
    }
    int have_before = probe_calls(s, &p, &calls0) == 0;
    p.gather = !args->follow;
    struct stat ist;
    p.input_is_file = fstat(fileno(f), &ist) == 0 && S_ISREG(ist.st_mode);
    if(p.gather && p.use_rejects && !(p.unwritten = calloc(OCH_RESULTS_LINES, sizeof *p.unwritten))) {
        code = och_session_report(s, kit_fail(&s->err, OC_E_NOMEM, "out of memory starting the push"));
        goto out;
    }
    struct oc_push_request req = {sizeof req, args->list, next, &p, args->follow ? next_within : NULL};
    s->host.sink = sink;
    s->host.sink_ctx = &p;
    och_host_progress_input(&s->host, fileno(f));
    och_error_init(&s->err);
    if(p.gather)
        och_results_begin(&p.out, &s->host, results_written, &p);
    rc = s->conn->push(s->inst, &req, &s->err);
    och_results_flush(&p.out);
    och_results_end(&p.out);
    s->host.sink = NULL;
    och_host_progress_done(&s->host);
    int out_errno = och_stdout_error();
    if(out_errno) {
        /* The plugin only saw the host stop taking results; say what
         * really failed. */
        kit_fail(&s->err, OC_E_IO,
                 "cannot write to stdout: %s; the push stopped there. Inputs not answered yet are in the "
                 "rejects file when --rejects is given: push them again (pushing an input that was already "
                 "added is harmless)",
                 strerror(out_errno));
        rc = OC_E_IO;
    }
    if(rc)
        code = och_session_report(s, rc);

    int cancelled = och_host_cancel_requested();
    char why[OC_ERROR_MESSAGE_SIZE + 128];
    if(cancelled)
        snprintf(why, sizeof why,
                 "not read: the push was cancelled (SIGINT or SIGTERM) before this input was read; "
                 "push it again");
    else
        snprintf(why, sizeof why, "not read: the push stopped before this input was read: %.400s; push it again",
                 rc ? s->err.message : "the plugin did not read the input to its end");
    int read_to_end = p.eof;
    reject_unread(&p, f, why);
    if(p.use_rejects)
        unanswered = och_rejects_unanswered(&p.rej);
    else if(p.read > p.added + p.already + p.failed + p.other)
        unanswered = p.read - (p.added + p.already + p.failed + p.other);

    if(s->cli->verbosity >= 0) {
        fprintf(stderr, "ochost: push: %llu added, %llu already members, %llu failed", p.added, p.already,
                p.failed);
        if(p.other)
            fprintf(stderr, ", %llu other", p.other);
        if(unanswered)
            fprintf(stderr, ", %llu read but without a result", unanswered);
        if(have_before && probe_calls(s, &p, &calls1) == 0 && calls1 >= calls0)
            fprintf(stderr, ", %lld API calls", (long long)(calls1 - calls0));
        fprintf(stderr, ", %.1f s\n", (kit_monotonic_ms() - t0) / 1000.0);
        if(p.ended_by_signal)
            fprintf(stderr, "ochost: push: --follow ended by a signal after reading %llu inputs; each "
                    "has its result above\n", p.read);
        else if(!read_to_end && p.unread)
            fprintf(stderr, "ochost: push: %s after reading %llu inputs; the %llu after them were "
                    "not read and are in the rejects file\n",
                    cancelled ? "cancelled" : "stopped", p.read, p.unread);
        else if(!p.eof)
            fprintf(stderr, "ochost: push: %s after reading %llu inputs; the rest of the input was "
                    "not read and is in no rejects file\n",
                    cancelled ? "cancelled" : "stopped", p.read);
    }
out:
    if(p.use_rejects) {
        struct oc_error rerr;
        och_error_init(&rerr);
        oc_status crc = och_rejects_close(&p.rej,
                                          cancelled_reason(och_host_cancel_requested()), &rerr);
        if(!crc && p.rej_rc)
            crc = kit_fail(&rerr, p.rej_rc, "cannot write rejects file %s", args->rejects);
        if(crc && !code)
            code = och_report(s->what, crc, &rerr);
        else if(crc)
            och_report(s->what, crc, &rerr);
        else if((p.failed || unanswered || p.unread) && s->cli->verbosity >= 0)
            fprintf(stderr,
                    "ochost: push: %llu inputs left to do (%llu failed, %llu without a result, %llu "
                    "not read) are in %s with the reason in column/field " OCH_REJECTS_COLUMN
                    "; fix them and push that file (--input %s, with a new --rejects name)\n",
                    p.failed + unanswered + p.unread, p.failed, unanswered, p.unread, args->rejects,
                    args->rejects);
    }
    och_input_close(&p.in);
    och_input_map_free(&p.map);
    kit_buf_free(&p.scratch);
    och_results_end(&p.out);
    free(p.unwritten);
    if(f != stdin)
        fclose(f);
    /* A plugin that reports success while some result says failed is
     * still a partial failure to the user; so is an input it never
     * answered. */
    if(!code && (p.failed || unanswered))
        code = OCH_EXIT_PARTIAL;
    return code;
}
