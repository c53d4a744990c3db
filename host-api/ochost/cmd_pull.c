/* cmd_pull.c - `ochost pull`: new records as JSON Lines on stdout. */
#include <stdio.h>

#include "host-api/ochost/commands.h"
#include "host-api/ochost/output.h"
#include "host-api/ochost/status.h"

struct pull_ctx {
    struct hs_buf scratch;
    unsigned long long n;
};

static oc_status sink(void *ctx, const struct oc_record *r)
{
    struct pull_ctx *p = ctx;
    p->n++;
    /* A failed write stops the pull before the cursor can pass records
     * nobody received. */
    return och_record_print(stdout, r, &p->scratch) ? OC_E_IO : OC_OK;
}

int och_cmd_pull(struct och_session *s, const struct och_cli *args)
{
    struct pull_ctx p = {HS_BUF_INIT, 0};
    struct oc_pull_request req = {sizeof req, args->stream, args->since_ms, args->types};
    int64_t t0 = och_monotonic_ms();
    s->host.sink = sink;
    s->host.sink_ctx = &p;
    och_error_init(&s->err);
    oc_status rc = s->conn->pull(s->inst, &req, &s->err);
    s->host.sink = NULL;
    hs_buf_free(&p.scratch);
    och_host_progress_done(&s->host);
    if(s->cli->verbosity >= 0)
        fprintf(stderr, "ochost: pull: %llu records in %.1f s\n", p.n, (och_monotonic_ms() - t0) / 1000.0);
    return rc ? och_session_report(s, rc) : 0;
}
