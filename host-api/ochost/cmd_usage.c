/* cmd_usage.c - `ochost usage`: today's usage record as JSON, or (with
 * --days, --svg, --format) a report, chart or metrics drawn from the
 * records the plugin emits: a usage_day per kept day, today's usage, and
 * with --remote the portal's count. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "host-api/ochost/commands.h"
#include "host-api/ochost/output.h"
#include "host-api/ochost/status.h"
#include "host-api/ochost/usage_days.h"
#include "host-api/ochost/usage_prom.h"
#include "host-api/ochost/usage_report.h"
#include "host-api/ochost/usage_svg.h"

/* The days a chart shows without --days: the month the issue is about. */
#define SVG_DEFAULT_DAYS 30

struct gather {
    struct och_usage_data data;
    struct kit_buf scratch;
    int raw;  /* print today's record (and the portal's) as JSON, as before */
    char why[256];
};

static oc_status sink(void *ctx, const struct oc_record *r)
{
    struct gather *g = ctx;
    if(g->raw && r->kind && (!strcmp(r->kind, "usage") || !strcmp(r->kind, "portal_usage")) &&
       och_record_print(stdout, r, &g->scratch))
        return OC_E_IO;
    return och_usage_take(&g->data, r, g->why, sizeof g->why) ? OC_E_INVALID : OC_OK;
}

static int write_svg(const struct och_cli *args, const struct och_usage_data *d)
{
    FILE *f = fopen(args->svg, "we");
    if(!f) {
        fprintf(stderr, "ochost: usage: cannot create --svg %s: %s\n", args->svg, strerror(errno));
        return OCH_EXIT_CONFIG;
    }
    int bad = och_usage_svg(f, d, args->days ? args->days : SVG_DEFAULT_DAYS);
    int err = errno;
    if(fclose(f) && !bad) {
        bad = 1;
        err = errno;
    }
    if(bad) {
        fprintf(stderr, "ochost: usage: cannot write --svg %s: %s\n", args->svg, strerror(err));
        return OCH_EXIT_TRANSIENT;
    }
    return 0;
}

int och_cmd_usage(struct och_session *s, const struct och_cli *args)
{
    struct gather g = {.scratch = KIT_BUF_INIT};
    const char *format = args->json ? "json" : args->format;
    if(!format && args->days)
        format = "text";
    g.raw = !format;
    och_usage_data_init(&g.data);
    s->host.sink = sink;
    s->host.sink_ctx = &g;
    och_error_init(&s->err);
    oc_status rc = s->conn->usage(s->inst, &s->err);
    s->host.sink = NULL;
    int code = 0, out_errno = och_stdout_error();
    if(out_errno) {
        /* The records are in the state still: nothing is lost. */
        fprintf(stderr, "ochost: usage: cannot write to stdout: %s; rerun with room for the output\n",
                strerror(out_errno));
        code = OCH_EXIT_TRANSIENT;
    } else if(rc && g.why[0]) {
        fprintf(stderr, "ochost: usage: the plugin's usage records are not what ochost reads: %s\n", g.why);
        code = OCH_EXIT_PLUGIN;
    } else if(rc) {
        code = och_session_report(s, rc);
    }
    if(!code && args->svg)
        code = write_svg(args, &g.data);
    int days = args->days ? args->days : 1;
    int bad = 0;
    if(!code && format && !strcmp(format, "text"))
        bad = och_usage_report_text(stdout, &g.data, days);
    else if(!code && format && !strcmp(format, "json"))
        bad = och_usage_report_json(stdout, &g.data, days);
    else if(!code && format && !strcmp(format, "prometheus"))
        bad = och_usage_prometheus(stdout, &g.data);
    else if(!code && !format && args->remote)
        bad = och_usage_report_portal(stderr, &g.data);
    if(bad) {
        fprintf(stderr, "ochost: usage: cannot write to stdout: %s\n", strerror(errno));
        code = OCH_EXIT_TRANSIENT;
    }
    och_usage_data_free(&g.data);
    kit_buf_free(&g.scratch);
    return code;
}
