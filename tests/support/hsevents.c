/* hsevents.c - see hsevents.h. */
#include "tests/support/hsevents.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/json.h"
#include "tests/support/apiver.h"


struct hse_event {
    char id[48];
    int64_t created;
    unsigned from_request;
};

struct hse {
    pthread_mutex_t mu;
    struct hse_event *ev;    /* in the order added */
    size_t n, cap;
    const struct hse_event **order; /* newest first, built on the first request */
    unsigned requests;
};

struct hse *hse_new(void)
{
    struct hse *h = calloc(1, sizeof *h);
    if(h && pthread_mutex_init(&h->mu, NULL)) {
        free(h);
        return NULL;
    }
    return h;
}

void hse_free(struct hse *h)
{
    if(!h)
        return;
    pthread_mutex_destroy(&h->mu);
    free(h->ev);
    free(h->order);
    free(h);
}

int hse_add(struct hse *h, const char *id, int64_t created, unsigned from_request)
{
    if(strlen(id) >= sizeof h->ev[0].id)
        return -1;
    if(h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        struct hse_event *ev = realloc(h->ev, cap * sizeof *ev);
        if(!ev)
            return -1;
        h->ev = ev;
        h->cap = cap;
    }
    struct hse_event *e = &h->ev[h->n++];
    memcpy(e->id, id, strlen(id) + 1);
    e->created = created;
    e->from_request = from_request;
    free(h->order);
    h->order = NULL;
    return 0;
}

static int newest_first(const void *a, const void *b)
{
    const struct hse_event *x = *(const struct hse_event *const *)a;
    const struct hse_event *y = *(const struct hse_event *const *)b;
    if(x->created != y->created)
        return x->created > y->created ? -1 : 1;
    return -strcmp(x->id, y->id);
}

/* The value of query parameter name as an integer; def when absent. The
 * plugin sends only digits and '-' in these, so no decoding is needed. */
static int64_t query_int(const char *query, const char *name, int64_t def)
{
    size_t len = strlen(name);
    for(const char *p = query; p && *p; p = strchr(p, '&'), p = p ? p + 1 : NULL) {
        if(!strncmp(p, name, len) && p[len] == '=')
            return strtoll(p + len + 1, NULL, 10);
    }
    return def;
}

static int serve(void *ctx, const struct fx_request *req, struct fx_response *resp)
{
    struct hse *h = ctx;
    if(strcmp(req->method, "GET") || strcmp(req->path, apiver_path(HS_EP_EMAIL_EVENTS)))
        return -1;
    int64_t start = query_int(req->query, "startTimestamp", INT64_MIN);
    int64_t end = query_int(req->query, "endTimestamp", INT64_MAX);
    int64_t limit = query_int(req->query, "limit", 100);
    int64_t offset = query_int(req->query, "offset", 0);
    if(limit < 1 || offset < 0) {
        resp->status = 400;
        kit_buf_puts(&resp->body, "{\"status\":\"error\",\"message\":\"bad limit or offset\"}");
        return 0;
    }
    pthread_mutex_lock(&h->mu);
    unsigned now = ++h->requests;
    int rc = 0;
    if(!h->order) {
        h->order = malloc((h->n ? h->n : 1) * sizeof *h->order);
        if(!h->order) {
            rc = -1;
            goto out;
        }
        for(size_t i = 0; i < h->n; i++)
            h->order[i] = &h->ev[i];
        qsort(h->order, h->n, sizeof *h->order, newest_first);
    }
    resp->status = 200;
    kit_buf_puts(&resp->headers, "Content-Type: application/json;charset=utf-8\r\n");
    struct kit_jw w;
    kit_jw_init(&w, &resp->body);
    kit_jw_obj(&w);
    kit_jw_key(&w, "events");
    kit_jw_arr(&w);
    int64_t pos = 0, sent = 0;
    int more = 0;
    for(size_t i = 0; i < h->n; i++) {
        const struct hse_event *e = h->order[i];
        if(e->from_request > now || e->created < start || e->created > end)
            continue;
        if(pos++ < offset)
            continue;
        if(sent == limit) {
            more = 1;
            break;
        }
        sent++;
        char recipient[64];
        snprintf(recipient, sizeof recipient, "%s@example.com", e->id);
        kit_jw_obj(&w);
        kit_jw_kstr(&w, "id", e->id);
        kit_jw_kint(&w, "created", e->created);
        kit_jw_kstr(&w, "type", "OPEN");
        kit_jw_kstr(&w, "recipient", recipient);
        kit_jw_kint(&w, "portalId", 62515);
        kit_jw_kint(&w, "emailCampaignId", 157830478);
        kit_jw_obj_end(&w);
    }
    kit_jw_arr_end(&w);
    kit_jw_key(&w, "hasMore");
    kit_jw_bool(&w, more);
    if(more) {
        char next[24];
        snprintf(next, sizeof next, "%" PRId64, offset + limit);
        kit_jw_kstr(&w, "offset", next);
    }
    kit_jw_obj_end(&w);
    rc = kit_jw_error(&w) ? -1 : 0;
out:
    pthread_mutex_unlock(&h->mu);
    return rc;
}

void hse_serve(struct hse *h, struct fx_options *fo)
{
    fo->dynamic = serve;
    fo->dynamic_ctx = h;
}

unsigned hse_requests(struct hse *h)
{
    pthread_mutex_lock(&h->mu);
    unsigned n = h->requests;
    pthread_mutex_unlock(&h->mu);
    return n;
}

void hse_set_requests(struct hse *h, unsigned at)
{
    pthread_mutex_lock(&h->mu);
    h->requests = at;
    pthread_mutex_unlock(&h->mu);
}

size_t hse_count(const struct hse *h) { return h->n; }

const char *hse_id(const struct hse *h, size_t i, int64_t *created, unsigned *from_request)
{
    if(i >= h->n)
        return NULL;
    if(created)
        *created = h->ev[i].created;
    if(from_request)
        *from_request = h->ev[i].from_request;
    return h->ev[i].id;
}
