/*
 * pull_cursor.c - the driver of the timestamp-cursor streams (see
 * pull_cursor.h; the streams' files say why the scan works as it does).
 */
#include "hubspot/pull_cursor.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hubspot/host.h"
#include "hubspot/pull_warn.h"
#include "plugin/error.h"
#include "plugin/isotime.h"
#include "plugin/usage.h"

#define DAY_MS INT64_C(86400000)
/* Pages are read into one body and token array (plugin/http.h, "Answer
 * memory"). PAGE_BODY_START is room for a page of a hundred records with
 * a few properties each (a larger page grows it once). */
#define PAGE_BODY_START ((size_t)64 << 10)

const char hs_cursor_page_tail[] = "nothing of this page was emitted, rerun to retry it";

oc_status hs_cursor_wrap(const struct hs_cursor_run *c, oc_status rc, struct oc_error *err,
                         const char *tail)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "pull %s", c->s->name);
    return kit_error_wrap(err, rc, prefix, tail);
}

int hs_cursor_identity(struct hs_cursor_run *c, const struct kit_json *j, int t, int64_t *ms,
                       const char **why)
{
    if(kit_json_type(j, t) != KIT_JSON_OBJECT) {
        *why = "is not an object";
        return -1;
    }
    int idt = kit_json_get(j, t, "id");
    kit_buf_reset(&c->id);
    if((kit_json_type(j, idt) != KIT_JSON_STRING && kit_json_type(j, idt) != KIT_JSON_NUMBER) ||
       kit_json_str(j, idt, &c->id) || !c->id.len || strlen(c->id.data) != c->id.len) {
        *why = kit_buf_ok(&c->id) ? "has no id" : "could not be read (out of memory)";
        return -1;
    }
    int tt = kit_json_path(j, t, c->s->time_path);
    size_t len = 0;
    const char *raw = kit_json_raw(j, tt, &len);
    if(kit_json_type(j, tt) != KIT_JSON_STRING || kit_iso_parse_ms(raw, len, ms)) {
        *why = c->s->time_missing;
        return -1;
    }
    return 0;
}

/* The shape every page has; then the stream's own check. */
static oc_status check_page(struct hs_cursor_run *c, const struct kit_json *j,
                            struct hs_cursor_page *p, struct oc_error *err)
{
    const struct hs_cursor_stream *s = c->s;
    memset(p, 0, sizeof *p);
    if(kit_json_type(j, 0) != KIT_JSON_OBJECT)
        return kit_fail(err, OC_E_PROTOCOL, "pull %s: HubSpot's %s is not a JSON object; %s",
                       s->name, s->answer, hs_cursor_page_tail);
    p->results = kit_json_get(j, 0, "results");
    if(kit_json_type(j, p->results) != KIT_JSON_ARRAY)
        return kit_fail(err, OC_E_PROTOCOL, "pull %s: HubSpot's %s has no results array; %s",
                       s->name, s->answer, hs_cursor_page_tail);
    p->n = kit_json_size(j, p->results);
    p->more = kit_json_path(j, 0, "paging.next") >= 0;
    return s->check_page(c, j, p, err);
}

/* Emit the page's records not emitted before. A record counts as emitted
 * once the host has taken it: one it refused was not delivered and stays
 * out of seen, so the rerun, which scans this page again from the saved
 * cursor, emits it. On a stop in the middle the caller saves what went
 * out. */
static oc_status emit_page(struct hs_cursor_run *c, const struct kit_json *j,
                           const struct hs_cursor_page *p, struct oc_error *err)
{
    const struct hs_cursor_stream *s = c->s;
    for(int i = 0, t = p->results + 1; i < p->n; i++, t = kit_json_skip(j, t)) {
        int64_t ms;
        const char *why;
        const struct oc_field *f;
        size_t n;
        hs_cursor_identity(c, j, t, &ms, &why);
        if(s->in_range_only && (ms < c->anchor || ms > c->end))
            continue;
        if(hs_event_set_has(&c->st->seen, c->id.data, ms))
            continue;
        if(s->build_record(c, j, t, ms, &f, &n))
            return kit_fail(err, OC_E_NOMEM,
                           "pull %s: out of memory building %s %.40s; state saved, a rerun emits "
                           "only what this run did not",
                           s->name, s->noun, c->id.data);
        if(hs_emit(c->in, s->kind, c->id.data, f, n))
            return kit_fail(err, OC_E_CANCELLED,
                           "pull %s: the host did not take %s %.40s (stopped after %" PRIu64
                           " %s it took); state saved up to the last one taken, a rerun starts "
                           "with the one refused and emits none twice",
                           s->name, s->noun, c->id.data, c->emitted, s->nouns);
        c->emitted++;
        if(hs_event_set_add(&c->st->seen, c->id.data, ms) < 0)
            return kit_fail(err, OC_E_NOMEM,
                           "pull %s: out of memory recording %s %.40s; it may be emitted again "
                           "by a rerun",
                           s->name, s->noun, c->id.data);
    }
    return OC_OK;
}

/* The cursor follows the anchor and ends at the run's end. 1: complete. */
static int advance(struct hs_cursor_run *c, const struct hs_cursor_page *p)
{
    if(c->s->advance(c, p) || c->anchor > c->end) {
        c->st->cursor = c->end;
        return 1;
    }
    if(c->anchor > c->st->cursor)
        c->st->cursor = c->anchor;
    return 0;
}

/* One fetched page: check, emit, advance, save. 1 when the scan is done. */
static int handle_page(struct hs_cursor_run *c, const struct kit_json *j, oc_status *rcp,
                       struct oc_error *err)
{
    struct hs_cursor_page p;
    oc_status rc = check_page(c, j, &p, err);
    if(rc) {
        *rcp = rc;
        return 0;
    }
    rc = emit_page(c, j, &p, err);
    int done = rc ? 0 : advance(c, &p);
    /* Even after a stop in the page: what went out is in seen. A save that
     * fails overrides the stop's own message, which would claim the state
     * was saved. */
    if(hs_stream_forget_before(c->st, c->st->cursor - c->in->opt.lookback_ms) && !rc)
        rc = kit_fail(err, OC_E_NOMEM, "pull %s: out of memory", c->s->name);
    oc_status src = c->s->save(c, err);
    if(src)
        rc = src;
    if(!rc)
        hs_progress(c->in, "pull", c->emitted, 0);
    *rcp = rc;
    return !rc && done;
}

static oc_status scan(struct hs_cursor_run *c, struct oc_error *err)
{
    for(;;) {
        struct kit_http_req req;
        if(c->s->request(c, &req))
            return kit_fail(err, OC_E_NOMEM, "pull %s: out of memory building the request",
                           c->s->name);
        req.page_room = PAGE_BODY_START;
        oc_status rc = kit_http_call(c->in->http, &req, err);
        c->calls++;
        int done = 0;
        if(rc == OC_E_NOT_FOUND)
            rc = hs_cursor_wrap(c, OC_E_CONFIG, err, c->s->not_found);
        else if(rc)
            rc = hs_cursor_wrap(c, rc, err,
                                rc == OC_E_BUDGET || rc == OC_E_CANCELLED || rc == OC_E_TRANSIENT
                                    ? " (state saved; a rerun resumes where this one stopped)"
                                    : NULL);
        else
            done = handle_page(c, &req.json, &rc, err);
        kit_http_req_free(&req);
        if(rc || done)
            return rc;
    }
}

/* seen is complete only from seen_from (states written before it existed:
 * from cursor - lookback, what they kept). A lookback raised since would
 * re-read what was emitted but is no longer remembered, so the scan starts
 * no earlier than that, and says so. */
static void clamp_lookback(struct hs_cursor_run *c)
{
    const struct hs_stream_state *st = c->st;
    int64_t complete = st->seen_from;
    if(complete == HS_PULL_NONE)
        complete = st->cursor - c->in->opt.lookback_ms;
    if(c->anchor >= complete)
        return;
    hs_pull_warn_clamped(c->in, c->s->name, c->s->things, c->in->opt.lookback_ms, st->cursor,
                         complete, c->anchor);
    c->anchor = complete;
}

static oc_status check_request(const struct hs_cursor_stream *s, struct oc_instance *in,
                               const struct oc_pull_request *req, int page_size,
                               struct oc_error *err)
{
    if(!in)
        return kit_fail(err, OC_E_INVALID, "pull %s: no instance", s->name);
    if(page_size < 1 || page_size > s->page_max)
        return kit_fail(err, OC_E_INVALID, "pull %s: page size %d is not 1..%d", s->name,
                       page_size, s->page_max);
    if(req && req->types)
        return kit_fail(err, OC_E_INVALID,
                       "pull %s: --types filters email event types and does not apply to the "
                       "%s stream; leave it out",
                       s->name, s->name);
    if(!in->host->emit)
        return kit_fail(err, OC_E_INVALID, "pull %s: the host gave no emit callback", s->name);
    return hs_pull_check_since(req, s->name, err);
}

oc_status hs_cursor_pull(struct hs_cursor_run *c, const struct hs_cursor_stream *s,
                         struct oc_instance *in, const struct oc_pull_request *req, int page_size,
                         struct oc_error *err)
{
    kit_error_clear(err);
    c->s = s;
    oc_status rc = check_request(s, in, req, page_size, err);
    if(rc)
        goto out;
    c->in = in;
    c->page_size = page_size;
    c->end = hs_now_ms(in);
    c->floor = INT64_MIN;
    rc = s->prepare ? s->prepare(c, err) : OC_OK;
    if(!rc)
        rc = s->load(c, err);
    if(rc)
        goto out;
    if(c->st->cursor != HS_PULL_NONE) {
        /* search and listings lag behind writes: look back. */
        c->anchor = c->st->cursor - in->opt.lookback_ms;
        if(c->anchor < c->floor)
            c->anchor = c->floor;
        clamp_lookback(c);
        /* A cursor later than the clock: state written under a clock that
         * was ahead, or this clock is behind. Say so, and how to get out,
         * rather than quietly pull nothing. */
        if(c->st->cursor > c->end)
            hs_pull_warn_future(in, s->name, s->things, c->st->cursor, c->end, s->state_key);
    } else {
        int64_t since = req ? req->since_ms : 0;
        c->anchor = since > 0 ? since : c->end - (int64_t)in->opt.pull_start_days * DAY_MS;
        c->st->cursor = c->anchor;
        if(s->started)
            s->started(c, c->anchor);
    }
    if(c->anchor > c->end) {
        /* A start in the future, or a clock that went back: nothing can
         * have changed in between yet. */
        hs_log(in, OC_LOG_INFO, "pull %s: starts at %" PRId64 ", after now; nothing to do",
               s->name, c->anchor);
        goto out;
    }
    hs_log(in, OC_LOG_INFO, "pull %s: %s %" PRId64 "..%" PRId64 " ms", s->name, s->things,
           c->anchor, c->end);
    rc = scan(c, err);
    struct kit_http_page_memory mem;
    kit_http_page_memory(in->http, &mem);
    if(!rc)
        hs_log(in, OC_LOG_INFO,
               "pull %s: %" PRIu64 " %s emitted in %" PRIu64 " calls; pages read into one %zu KiB "
               "buffer, allocated %lu time%s; their token arrays allocated %lu time%s",
               s->name, c->emitted, s->nouns, c->calls, mem.body_cap / 1024, mem.body_allocs,
               mem.body_allocs == 1 ? "" : "s", mem.token_allocs, mem.token_allocs == 1 ? "" : "s");
out:
    if(c->in)
        kit_http_pages_end(c->in->http);
    kit_buf_free(&c->id);
    return rc;
}
