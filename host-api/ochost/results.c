/* results.c - result lines written in batches; see results.h. */
#include "host-api/ochost/results.h"

#include <stdio.h>
#include <string.h>

#include "host-api/ochost/output.h"
#include "plugin/clock.h"

static int64_t host_now(const struct och_results *b)
{
    const struct oc_host *h = &b->host->host;
    return h->now_ms ? h->now_ms(h->ctx) : kit_wall_ms();
}

oc_status och_results_flush(struct och_results *b)
{
    if(!b->n)
        return och_stdout_error() ? OC_E_IO : OC_OK;
    int ok = och_print_line(stdout, &b->lines) == 0;
    size_t n = b->n;
    kit_buf_reset(&b->lines);
    b->n = 0;
    if(b->written)
        b->written(b->ctx, n, ok);
    return ok ? OC_OK : OC_E_IO;
}

static int due(const struct och_results *b, int64_t ahead_ms)
{
    return b->n && host_now(b) + ahead_ms - b->first_ms >= OCH_RESULTS_AGE_MS;
}

oc_status och_results_tick(struct och_results *b)
{
    return due(b, 0) ? och_results_flush(b) : OC_OK;
}

size_t och_results_pending(const struct och_results *b) { return b->n; }

oc_status och_results_add(struct och_results *b, const struct oc_record *r)
{
    if(och_stdout_error())
        return OC_E_IO;
    if(!b->n)
        b->first_ms = host_now(b);
    if(och_record_json(r, &b->lines) || kit_buf_putc(&b->lines, '\n'))
        return OC_E_NOMEM;
    b->n++;
    if(b->lines.len >= OCH_RESULTS_BYTES || b->n >= OCH_RESULTS_LINES)
        return och_results_flush(b);
    /* A clock read per line would cost more than the lines: every 32nd,
     * which a burst of answers passes in microseconds anyway. */
    return b->n % 32 == 0 ? och_results_tick(b) : OC_OK;
}

/* The host's waiting hook: lines go out before a wait that would carry
 * them past their age. A failed write is remembered (och_stdout_error)
 * and said by the next line gathered or read. */
static void on_waiting(void *ctx, int64_t ms)
{
    struct och_results *b = ctx;
    if(due(b, ms > 0 ? ms : 0))
        och_results_flush(b);
}

void och_results_begin(struct och_results *b, struct och_host *h, och_results_written_fn written, void *ctx)
{
    memset(b, 0, sizeof *b);
    b->host = h;
    b->written = written;
    b->ctx = ctx;
    h->waiting = on_waiting;
    h->waiting_ctx = b;
}

void och_results_end(struct och_results *b)
{
    if(b->host && b->host->waiting_ctx == b) {
        b->host->waiting = NULL;
        b->host->waiting_ctx = NULL;
    }
    kit_buf_free(&b->lines);
    b->n = 0;
    b->host = NULL;
}
