/* cmd_pull.c - `ochost pull`: new records on stdout, as JSON Lines or as
 * Singer messages (singer.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "host-api/ochost/commands.h"
#include "host-api/ochost/output.h"
#include "host-api/ochost/singer.h"
#include "host-api/ochost/status.h"
#include "plugin/clock.h"

struct pull_ctx {
    struct kit_buf scratch;
    unsigned long long written; /* records whose write(2) succeeded */
    struct och_singer *singer;  /* --format singer, else NULL */
    struct och_host *host;
};

static oc_status sink(void *ctx, const struct oc_record *r)
{
    struct pull_ctx *p = ctx;
    /* A record that cannot be written is refused: the plugin then keeps
     * it out of the state it saves, so the rerun starts with it. */
    int rc = p->singer ? och_singer_record(p->singer, r, p->host->host.now_ms(p->host))
                       : och_record_print(stdout, r, &p->scratch);
    if(rc)
        return OC_E_IO;
    p->written++;
    return OC_OK;
}

/* A save the plugin made is durable: a STATE message follows the records
 * it covers. Its failure is stdout's, remembered by output.c, and ends
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
    och_host_progress_done(&s->host);
    if(s->err.message[0])
        och_log(&s->host, OC_LOG_INFO, "%s", s->err.message);
    if(s->host.state_failed)
        fprintf(stderr,
                "ochost: pull: cannot write to stdout: %s; %llu records were written, but the state could "
                "not be saved either (see above), so a rerun may emit some of them again\n",
                strerror(e), p->written);
    else
        fprintf(stderr,
                "ochost: pull: cannot write to stdout: %s; %llu records were written and the saved state "
                "covers exactly those; rerun to emit the rest\n",
                strerror(e), p->written);
    return OCH_EXIT_TRANSIENT;
}

int och_cmd_pull(struct och_session *s, const struct och_cli *args)
{
    struct och_singer singer = {0};
    struct pull_ctx p = {KIT_BUF_INIT, 0, NULL, &s->host};
    struct oc_pull_request req = {sizeof req, args->stream, args->since_ms, args->types};
    int64_t t0 = kit_monotonic_ms();
    if(args->format && !strcmp(args->format, "singer")) {
        singer.out = stdout;
        p.singer = &singer;
        s->state.on_saved = state_saved;
        s->state.on_saved_ctx = &p;
    }
    s->host.sink = sink;
    s->host.sink_ctx = &p;
    och_error_init(&s->err);
    oc_status rc = s->conn->pull(s->inst, &req, &s->err);
    s->host.sink = NULL;
    s->state.on_saved = NULL;
    /* The end of the run carries the state as it stands, whatever the
     * plugin saved last, so a target always ends on a STATE. */
    if(p.singer && !och_stdout_error())
        (void)och_singer_state(p.singer, &s->state);
    och_singer_free(&singer);
    kit_buf_free(&p.scratch);
    int e = och_stdout_error();
    if(e)
        return stdout_failed(s, &p, e);
    och_host_progress_done(&s->host);
    if(s->cli->verbosity >= 0)
        fprintf(stderr, "ochost: pull: %llu records in %.1f s\n", p.written, (kit_monotonic_ms() - t0) / 1000.0);
    return rc ? och_session_report(s, rc) : 0;
}
