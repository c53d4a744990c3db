/* cmd_pull.c - `ochost pull`: new records on stdout, as JSON Lines or as
 * Singer messages (singer.h), through a batch (batch.h) that holds them
 * until the state covering them is saved when stdout is a regular file. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host-api/ochost/batch.h"
#include "host-api/ochost/commands.h"
#include "host-api/ochost/output.h"
#include "host-api/ochost/singer.h"
#include "host-api/ochost/status.h"
#include "host-api/ochost/stdout_fail.h"
#include "plugin/clock.h"

struct pull_ctx {
    struct kit_buf scratch;
    struct och_batch out;       /* stdout; out.written: records in it */
    struct och_singer *singer;  /* --format singer, else NULL */
    struct och_host *host;
};

static oc_status sink(void *ctx, const struct oc_record *r)
{
    struct pull_ctx *p = ctx;
    /* A record that cannot be written is refused: the plugin then keeps
     * it out of the state it saves, so the rerun starts with it. */
    if(p->singer)
        return och_singer_record(p->singer, r, p->host->host.now_ms(p->host)) ? OC_E_IO : OC_OK;
    kit_buf_reset(&p->scratch);
    if(och_record_json(r, &p->scratch) || kit_buf_putc(&p->scratch, '\n'))
        return OC_E_IO;
    return och_batch_line(&p->out, p->scratch.data, p->scratch.len, 1) ? OC_E_IO : OC_OK;
}

/* A save the plugin made is durable: a STATE message follows the records
 * it covers. Its failure is stdout's, remembered by the batch, and ends
 * the run with exit 7 like a failed record. */
static void state_saved(void *ctx, const struct och_state *st, const char *key)
{
    (void)key;
    struct pull_ctx *p = ctx;
    (void)och_singer_state(p->singer, st);
}

/* stdout failed: that, not the plugin's "stopped by the host", is what the
 * user must hear, with what was kept. Exit 7: nothing is lost, a rerun
 * emits exactly the records not written. */
static int stdout_failed(struct och_session *s, const struct pull_ctx *p, int e)
{
    if(p->out.uncut)
        return och_stdout_failed(s, e,
                                 "%llu records were written, but stdout could not be cut back to what the saved "
                                 "state covers, so a rerun emits some of them again",
                                 p->out.written);
    return och_stdout_failed(s, e,
                             s->host.state_failed
                                 ? "%llu records were written, but the state could not be saved either (see "
                                   "above), so a rerun may emit some of them again"
                                 : "%llu records were written and the saved state covers exactly those; rerun "
                                   "to emit the rest",
                             p->out.written);
}

int och_cmd_pull(struct och_session *s, const struct och_cli *args)
{
    struct och_singer singer = {0};
    struct pull_ctx p = {KIT_BUF_INIT, {0}, NULL, &s->host};
    struct oc_pull_request req = {sizeof req, args->stream, args->since_ms, args->types};
    int64_t t0 = kit_monotonic_ms();
    och_batch_init(&p.out, STDOUT_FILENO, 0);
    if(args->format && !strcmp(args->format, "singer")) {
        singer.out = &p.out;
        p.singer = &singer;
        s->state.on_saved = state_saved;
        s->state.on_saved_ctx = &p;
    }
    s->host.sink = sink;
    s->host.sink_ctx = &p;
    s->host.out = &p.out;
    och_error_init(&s->err);
    oc_status rc = s->conn->pull(s->inst, &req, &s->err);
    s->host.sink = NULL;
    s->host.out = NULL;
    s->state.on_saved = NULL;
    /* The end of the run carries the state as it stands, whatever the
     * plugin saved last, so a target always ends on a STATE. */
    if(p.singer && !och_stdout_error())
        (void)och_singer_state(p.singer, &s->state);
    /* What is still held was taken after the last save; it goes out now,
     * and when that fails the file is cut back to that save. */
    (void)och_batch_flush(&p.out);
    och_singer_free(&singer);
    och_batch_free(&p.out);
    kit_buf_free(&p.scratch);
    int e = och_stdout_error();
    if(e)
        return stdout_failed(s, &p, e);
    och_host_progress_done(&s->host);
    if(s->cli->verbosity >= 0)
        fprintf(stderr, "ochost: pull: %llu records in %.1f s\n", p.out.written, (kit_monotonic_ms() - t0) / 1000.0);
    return rc ? och_session_report(s, rc) : 0;
}
