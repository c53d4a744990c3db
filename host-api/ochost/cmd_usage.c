/* cmd_usage.c - `ochost usage`: the plugin's usage record as JSON. */
#include <stdio.h>

#include "host-api/ochost/commands.h"
#include "host-api/ochost/output.h"
#include "host-api/ochost/status.h"

static oc_status sink(void *ctx, const struct oc_record *r)
{
    return och_record_print(stdout, r, ctx) ? OC_E_IO : OC_OK;
}

int och_cmd_usage(struct och_session *s, const struct och_cli *args)
{
    (void)args;
    struct kit_buf scratch = KIT_BUF_INIT;
    s->host.sink = sink;
    s->host.sink_ctx = &scratch;
    och_error_init(&s->err);
    oc_status rc = s->conn->usage(s->inst, &s->err);
    s->host.sink = NULL;
    kit_buf_free(&scratch);
    return rc ? och_session_report(s, rc) : 0;
}
