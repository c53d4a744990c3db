/* results.c - result lines written in batches; see results.h. */
#include "host-api/ochost/results.h"

#include <stdio.h>
#include <string.h>

#include "host-api/ochost/output.h"
#include "plugin/clock.h"

/* The host callbacks reach the batch through this: they get the host's
 * own context, which knows nothing of it. Commands run one at a time. */
static struct och_results *active;

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

/* A failed write is remembered (och_stdout_error) and said by the next
 * line gathered or read; the plugin's question gets the host's answer. */
static int on_cancelled(void *ctx)
{
    if(active)
        och_results_tick(active);
    return active && active->cancelled ? active->cancelled(ctx) : 0;
}

static void on_sleep(void *ctx, int64_t ms)
{
    if(active && due(active, ms > 0 ? ms : 0))
        och_results_flush(active);
    if(active && active->sleep_ms)
        active->sleep_ms(ctx, ms);
}

void och_results_begin(struct och_results *b, struct och_host *h, och_results_written_fn written, void *ctx)
{
    memset(b, 0, sizeof *b);
    b->host = h;
    b->written = written;
    b->ctx = ctx;
    b->cancelled = h->host.cancelled;
    b->sleep_ms = h->host.sleep_ms;
    if(b->cancelled)
        h->host.cancelled = on_cancelled;
    if(b->sleep_ms)
        h->host.sleep_ms = on_sleep;
    active = b;
}

void och_results_end(struct och_results *b)
{
    if(b->host) {
        b->host->host.cancelled = b->cancelled;
        b->host->host.sleep_ms = b->sleep_ms;
    }
    if(active == b)
        active = NULL;
    kit_buf_free(&b->lines);
    b->n = 0;
    b->host = NULL;
}
