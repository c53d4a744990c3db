/* cmd_push.c - `ochost push`: upsert contacts, add them to a list, one
 * JSON line per input, failed inputs to --rejects. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host-api/ochost/commands.h"
#include "host-api/ochost/input.h"
#include "host-api/ochost/output.h"
#include "host-api/ochost/rejects.h"
#include "host-api/ochost/status.h"

struct push_ctx {
    struct och_input in;
    struct och_rejects rej;
    int use_rejects;
    oc_status rej_rc;
    struct hs_buf scratch;
    unsigned long long added, already, failed, other, read;
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

static oc_status next(void *ctx, struct oc_record *rec)
{
    struct push_ctx *p = ctx;
    oc_status rc = och_input_next(&p->in, rec);
    if(rc)
        return rc;
    p->read++;
    if(p->use_rejects) {
        size_t len;
        const char *raw = och_input_raw(&p->in, &len);
        rc = och_rejects_keep(&p->rej, line_of(rec->id), raw, len);
    }
    return rc;
}

static oc_status sink(void *ctx, const struct oc_record *r)
{
    struct push_ctx *p = ctx;
    const char *kind = r->kind ? r->kind : "";
    if(strcmp(kind, "push_result") == 0) {
        const char *status = och_record_field(r, "status");
        int failed = !status || strcmp(status, "failed") == 0;
        if(failed)
            p->failed++;
        else if(strcmp(status, "added") == 0)
            p->added++;
        else if(strcmp(status, "already_member") == 0)
            p->already++;
        else
            p->other++;
        if(p->use_rejects) {
            const char *input = och_record_field(r, "input");
            oc_status rc = och_rejects_result(&p->rej, line_of(input ? input : r->id), failed);
            if(rc && !p->rej_rc)
                p->rej_rc = rc;
        }
    }
    return och_record_print(stdout, r, &p->scratch) ? OC_E_IO : OC_OK;
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

int och_cmd_push(struct och_session *s, const struct och_cli *args)
{
    struct push_ctx p;
    FILE *f = stdin;
    const char *name = "stdin";
    oc_status rc;
    int code = 0;
    int64_t calls0 = 0, calls1 = 0;
    int64_t t0 = och_monotonic_ms();

    memset(&p, 0, sizeof p);
    if(args->input && strcmp(args->input, "-") != 0) {
        f = fopen(args->input, "rb");
        name = args->input;
        if(!f) {
            och_fail(&s->err, OC_E_CONFIG, "cannot read --input %s: %s", args->input, strerror(errno));
            return och_session_report(s, OC_E_CONFIG);
        }
    }
    /* Header and format problems end the run before any HubSpot call. */
    rc = och_input_open(&p.in, f, name, &s->err);
    if(rc) {
        code = och_session_report(s, rc);
        goto out;
    }
    if(args->rejects) {
        size_t hlen;
        const char *h = och_input_header(&p.in, &hlen);
        rc = och_rejects_open(&p.rej, args->rejects, h, hlen, &s->err);
        p.use_rejects = 1;
        if(rc) {
            code = och_session_report(s, rc);
            goto out;
        }
    }
    int have_before = probe_calls(s, &p, &calls0) == 0;
    struct oc_push_request req = {sizeof req, args->list, next, &p};
    s->host.sink = sink;
    s->host.sink_ctx = &p;
    och_error_init(&s->err);
    rc = s->conn->push(s->inst, &req, &s->err);
    s->host.sink = NULL;
    och_host_progress_done(&s->host);
    if(rc)
        code = och_session_report(s, rc);
    if(s->cli->verbosity >= 0) {
        fprintf(stderr, "ochost: push: %llu added, %llu already members, %llu failed", p.added, p.already,
                p.failed);
        if(p.other)
            fprintf(stderr, ", %llu other", p.other);
        if(have_before && probe_calls(s, &p, &calls1) == 0 && calls1 >= calls0)
            fprintf(stderr, ", %lld API calls", (long long)(calls1 - calls0));
        fprintf(stderr, ", %.1f s\n", (och_monotonic_ms() - t0) / 1000.0);
    }
out:
    if(p.use_rejects) {
        struct oc_error rerr;
        och_error_init(&rerr);
        oc_status crc = och_rejects_close(&p.rej, rc == OC_OK || rc == OC_E_PARTIAL, &rerr);
        if(!crc && p.rej_rc)
            crc = och_fail(&rerr, p.rej_rc, "cannot write rejects file %s", args->rejects);
        if(crc && !code)
            code = och_report(s->what, crc, &rerr);
        else if(!crc && p.failed && s->cli->verbosity >= 0)
            fprintf(stderr, "ochost: push: failed inputs are in %s\n", args->rejects);
    }
    och_input_close(&p.in);
    hs_buf_free(&p.scratch);
    if(f != stdin)
        fclose(f);
    /* A plugin that reports success while some result says failed is
     * still a partial failure to the user. */
    if(!code && p.failed)
        code = OCH_EXIT_PARTIAL;
    return code;
}
