/*
 * pull.c - the email_events stream: GET /email/public/v1/events, window by
 * window, page by page, so that no event is missed and none is emitted
 * twice (see pull_state.h for how that is kept with bounded state).
 *
 * A run:
 *  - takes now once (run_now) and never queries past it, so the cursor
 *    never moves past the moment the run began;
 *  - resumes the window a previous run left unfinished (its offset, or the
 *    page it stopped in), then walks windows up to run_now. The first new
 *    window of a run starts at cursor - lookback (late events), later ones
 *    at cursor + 1 (timestamps are inclusive);
 *  - sizes windows by what they hold: the first new one of a run spans
 *    pull_window_ms, each later one is sized from the events per ms of the
 *    one before (hs_pull_window_span), so a quiet month is one query and
 *    a dense day is split. Every window costs at least one call and its
 *    last page is seldom full, so fewer windows is fewer calls; splitting
 *    dense spans lets the cursor move (and an expired offset restart)
 *    within a bounded number of pages;
 *  - emits each page as it arrives and saves the stream state after each
 *    page, so memory does not grow with the number of events and an
 *    interruption costs at most the page in flight;
 *  - advances the cursor only when a window's last page has been handled.
 *
 * Events come newest first, so a window's first pages carry the events
 * that the next run's lookback will see again: those identities go to the
 * bounded seen set as they pass.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hubspot/api_paths.h"
#include "hubspot/email_event.h"
#include "hubspot/event_context.h"
#include "hubspot/host.h"
#include "hubspot/instance.h"
#include "hubspot/pull_contacts.h"
#include "hubspot/pull_marketing_emails.h"
#include "hubspot/pull_state.h"
#include "hubspot/pull_warn.h"
#include "plugin/error.h"
#include "plugin/usage.h"

#define PAGE_LIMIT 1000
#define DAY_MS INT64_C(86400000)
#define MAX_TYPE_LEN 48

/* Per-instance buffers, reused across pages and runs (the instance's
 * HS_SLOT_PULL). */
struct hs_pull_state {
    struct hs_email_event ev;
    struct kit_buf id;
    struct kit_buf path;
    struct kit_buf save;
    /* The identities check_page read from the page, for emit_page: each
     * event's id (at its offset in ids, NUL-terminated) and created. */
    struct kit_buf ids;
    struct page_event {
        size_t id_off;
        int64_t created;
    } *idents;
    size_t idents_cap;
    char key[64 + MAX_TYPE_LEN];
};

/* One stream (or one event type of it) being pulled. */
struct run {
    struct oc_instance *in;
    struct hs_pull_state *ps;
    struct hs_stream_state st;
    const char *type;    /* eventType filter, NULL for all */
    const char *label;   /* "email_events" or "email_events/OPEN", for messages */
    int64_t run_now;
    int64_t since_ms;
    uint64_t *total;     /* events emitted by the whole pull, for progress */
    uint64_t emitted;    /* by this stream in this run */
    uint64_t emitted_at_save; /* emitted when the state was last saved */
    uint64_t calls;
    int64_t last_span;        /* ms of the last window completed in this run; 0: none */
    uint64_t last_events;     /* events its pages held */
    uint64_t window_events;   /* events the pages of the window in progress held */
    int window_sized;         /* the window in progress was begun by this run: its
                                 events per ms size the next one (a resumed window's
                                 pages read by an earlier run are not counted) */
};

/* The slot's release: the instance frees the state through it. */
static void pull_state_free(void *state)
{
    struct hs_pull_state *ps = state;
    hs_email_event_free(&ps->ev);
    kit_buf_free(&ps->id);
    kit_buf_free(&ps->path);
    kit_buf_free(&ps->save);
    kit_buf_free(&ps->ids);
    free(ps->idents);
    free(ps);
}

/* The instance's pull state, made on first use; NULL on oom. */
static struct hs_pull_state *pull_state_get(struct oc_instance *in)
{
    struct hs_slot *slot = &in->slot[HS_SLOT_PULL];
    if(!slot->state && (slot->state = calloc(1, sizeof(struct hs_pull_state))))
        slot->release = pull_state_free;
    return slot->state;
}

/* Prefix err->message with the stream, keeping status and HTTP details. */
static oc_status with_context(struct run *r, oc_status rc, struct oc_error *err, const char *tail)
{
    char prefix[96];
    snprintf(prefix, sizeof prefix, "pull %s", r->label);
    return kit_error_wrap(err, rc, prefix, tail);
}

/* A state that cannot be saved stops the run: emitting on past it would
 * hand the host records that no saved state covers, which a rerun would
 * emit a second time. */
static oc_status save(struct run *r, struct oc_error *err)
{
    oc_status rc = hs_stream_state_save(r->in->host, r->ps->key, &r->st, &r->ps->save, err);
    if(!rc) {
        r->emitted_at_save = r->emitted;
        return OC_OK;
    }
    char tail[160];
    snprintf(tail, sizeof tail,
             " (stopped; the %" PRIu64 " events this run emitted since its last save may be "
             "emitted again by the rerun)",
             r->emitted - r->emitted_at_save);
    return with_context(r, rc, err, tail);
}

/* The stage carries the day being read, "pull YYYY-MM-DD" (UTC; pages
 * come newest first, so within a window it counts back from the window's
 * end): a pull that catches up on weeks shows where it is. Hosts take the
 * stage's first word as its name. */
static void progress(struct run *r)
{
    char stage[32] = "pull";
    int64_t day = r->st.low != HS_PULL_NONE ? r->st.low : r->st.end;
    time_t t = (time_t)(day / 1000);
    struct tm tm;
    if(r->st.in_window && gmtime_r(&t, &tm))
        strftime(stage, sizeof stage, "pull %Y-%m-%d", &tm);
    hs_progress(r->in, stage, *r->total, 0);
}

/* Every page is read into one body and parsed into one token array
 * (plugin/http.h, "Answer memory"): fresh ones per page, each grown by
 * doubling and freed at the page's end, left the heap with holes a page
 * long and memory creeping up with the number of pages. PAGE_BODY_START
 * is room for a full page of ~1 KB events, so a larger page grows it
 * once. */
#define PAGE_BODY_START ((size_t)PAGE_LIMIT * 1280)

static int build_path(struct run *r)
{
    struct kit_buf *p = &r->ps->path;
    kit_buf_reset(p);
    hs_api_path(p, r->in->opt.api, HS_EP_EMAIL_EVENTS, NULL);
    kit_buf_printf(p, "?startTimestamp=%" PRId64 "&endTimestamp=%" PRId64 "&limit=%d",
                  r->st.start, r->st.query_end, PAGE_LIMIT);
    if(r->type) {
        kit_buf_puts(p, "&eventType=");
        kit_url_encode(p, r->type);
    }
    if(r->st.offset) {
        kit_buf_puts(p, "&offset=");
        kit_url_encode(p, r->st.offset);
    }
    return kit_buf_ok(p) ? 0 : -1;
}

/* Check the whole page before emitting any of it, so that a malformed page
 * leaves the state exactly as after the previous page. */
static oc_status check_page(struct run *r, const struct kit_json *j, int *events, int *more,
                            char **next, struct oc_error *err)
{
    *next = NULL;
    if(kit_json_type(j, 0) != KIT_JSON_OBJECT)
        return kit_fail(err, OC_E_PROTOCOL,
                       "pull %s: HubSpot's answer is not a JSON object; nothing of this page was "
                       "emitted, rerun to retry it",
                       r->label);
    *events = kit_json_get(j, 0, "events");
    if(kit_json_type(j, *events) != KIT_JSON_ARRAY)
        return kit_fail(err, OC_E_PROTOCOL,
                       "pull %s: HubSpot's page has no events array; nothing of this page was "
                       "emitted, rerun to retry it",
                       r->label);
    *more = kit_json_bool(j, kit_json_get(j, 0, "hasMore"));
    if(*more < 0)
        return kit_fail(err, OC_E_PROTOCOL,
                       "pull %s: HubSpot's page has no true/false hasMore, so the end of the "
                       "window cannot be known; nothing of this page was emitted, rerun to retry",
                       r->label);
    if(*more) {
        int t = kit_json_get(j, 0, "offset");
        enum kit_json_type ty = kit_json_type(j, t);
        if(ty == KIT_JSON_STRING || ty == KIT_JSON_NUMBER) {
            *next = kit_json_strdup(j, t);
            if(!*next)
                return kit_fail(err, OC_E_NOMEM, "pull %s: out of memory reading the page offset",
                               r->label);
        }
        if(!*next || !**next) {
            free(*next);
            *next = NULL;
            return kit_fail(err, OC_E_PROTOCOL,
                           "pull %s: HubSpot's page says hasMore but gives no offset to the next "
                           "page; nothing of this page was emitted, rerun to retry",
                           r->label);
        }
        if(r->st.offset && !strcmp(*next, r->st.offset)) {
            free(*next);
            *next = NULL;
            return kit_fail(err, OC_E_PROTOCOL,
                           "pull %s: HubSpot's page gave back the offset it was asked for, so "
                           "paging would never end; rerun later",
                           r->label);
        }
    }
    struct hs_pull_state *ps = r->ps;
    size_t n = (size_t)kit_json_size(j, *events);
    if(n > ps->idents_cap) {
        struct page_event *grown = realloc(ps->idents, n * sizeof *grown);
        if(!grown) {
            free(*next);
            *next = NULL;
            return kit_fail(err, OC_E_NOMEM, "pull %s: out of memory reading the page's events",
                           r->label);
        }
        ps->idents = grown;
        ps->idents_cap = n;
    }
    kit_buf_reset(&ps->ids);
    int t = *events + 1;
    for(size_t i = 0; i < n; i++, t = kit_json_skip(j, t)) {
        char why[160];
        int64_t created;
        if(hs_email_event_identity(j, t, &ps->id, &created, why, sizeof why)) {
            free(*next);
            *next = NULL;
            return kit_fail(err, OC_E_PROTOCOL,
                           "pull %s: event %zu of the page %s; HubSpot events are identified by "
                           "id and created, so the page was not emitted (rerun to retry)",
                           r->label, i, why);
        }
        ps->idents[i] = (struct page_event){ps->ids.len, created};
        if(kit_buf_append(&ps->ids, ps->id.data, ps->id.len + 1)) {
            free(*next);
            *next = NULL;
            return kit_fail(err, OC_E_NOMEM, "pull %s: out of memory reading the page's events",
                           r->label);
        }
    }
    return OC_OK;
}

/* Emit the page's events that were not processed before, marking each
 * as processed only once the host has taken it. On a stop inside the page
 * (the host refused a record, a cancel, an event that cannot be
 * flattened, memory) the state is saved as it stands: the offset still
 * names this page and the low mark covers exactly the events handled, so
 * a rerun refetches the page and emits exactly the rest. */
static oc_status emit_page(struct run *r, const struct kit_json *j, int events,
                           uint64_t *fresh, struct oc_error *err)
{
    struct hs_pull_state *ps = r->ps;
    int64_t keep_from = r->st.end - r->in->opt.lookback_ms;
    int n = kit_json_size(j, events);
    oc_status why = OC_OK;
    char what[160] = "";
    /* One look at the page for secrets instead of one per field; context
     * from other answers (event_context) gets hs_emit's own look. */
    int clean = !r->in->opt.event_context && !hs_json_may_hold_secret(r->in, j->text, j->len);
    for(int i = 0, t = events + 1; i < n; i++, t = kit_json_skip(j, t)) {
        /* check_page read every event's identity; reading it again here
         * would cost two key lookups per event. */
        int64_t created = ps->idents[i].created;
        const char *id = ps->ids.data + ps->idents[i].id_off;
        if(!hs_stream_processed(&r->st, id, created)) {
            oc_status rc = hs_email_event_flatten(j, t, &ps->ev);
            if(rc) {
                why = rc;
                snprintf(what, sizeof what,
                         rc == OC_E_NOMEM ? "out of memory flattening event %.80s"
                                          : "event %.80s could not be read as an event",
                         id);
                break;
            }
            /* A refused record was not delivered (a host that cannot write
             * it says so this way): it stays unprocessed, so the saved
             * state ends just before it and a rerun starts with it. */
            struct hs_record_known known;
            if(clean ? hs_emit_clean_known(r->in, "email_event", id, ps->ev.fields, ps->ev.n,
                                           hs_email_event_known(&ps->ev, &known))
                     : hs_event_context_emit(r->in, id, ps->ev.fields, ps->ev.n)) {
                why = OC_E_CANCELLED;
                snprintf(what, sizeof what, "%.80s", id);
                break;
            }
            r->emitted++;
            (*r->total)++;
            (*fresh)++;
        }
        if(hs_stream_mark(&r->st, id, created, keep_from)) {
            why = OC_E_NOMEM;
            snprintf(what, sizeof what,
                     "out of memory recording event %.80s (it was emitted and may come again)",
                     id);
            break;
        }
    }
    if(!why)
        return OC_OK;
    oc_status src = save(r, err);
    if(src)
        return src;
    if(why == OC_E_CANCELLED)
        return kit_fail(err, OC_E_CANCELLED,
                       "pull %s: the host did not take event %s (stopped after %" PRIu64
                       " events it took); state saved up to the last event taken, a rerun "
                       "starts with the one refused and emits none twice",
                       r->label, what, r->emitted);
    return kit_fail(err, why,
                   "pull %s: %s after %" PRIu64 " events; state saved: a rerun fetches the page "
                   "again and emits only what this run did not%s",
                   r->label, what, r->emitted,
                   why == OC_E_PROTOCOL ? " (if HubSpot keeps sending this event, report it "
                                          "with the page's window from the -v log)"
                                        : "");
}

/* Where seen is complete from: states written before seen_from existed
 * were kept for the configured lookback, which is what they are taken to
 * cover. */
static int64_t seen_complete_from(const struct run *r)
{
    if(r->st.seen_from == HS_PULL_NONE && r->st.cursor != HS_PULL_NONE)
        return r->st.cursor - r->in->opt.lookback_ms;
    return r->st.seen_from;
}

/* Start the next window, or return 0 when the run has nothing left. */
static int next_window(struct run *r, int first_new)
{
    const struct hs_options *o = &r->in->opt;
    int64_t start;
    if(r->st.cursor == HS_PULL_NONE) {
        start = r->since_ms > 0 ? r->since_ms : r->run_now - (int64_t)o->pull_start_days * DAY_MS;
    } else if(first_new) {
        start = r->st.cursor - o->lookback_ms;
        /* Before seen_from the events delivered are no longer remembered
         * (lookback_ms was raised since the state was saved): re-reading
         * them would emit them twice, so this run looks back only as far
         * as is remembered. Windows closed with the new lookback remember
         * enough for it. */
        int64_t complete = seen_complete_from(r);
        if(complete != HS_PULL_NONE && start < complete) {
            hs_pull_warn_clamped(r->in, r->label, "events", o->lookback_ms, r->st.cursor, complete, start);
            start = complete;
        }
    } else {
        start = r->st.cursor + 1;
    }
    if(start > r->run_now)
        return 0;
    int64_t span = r->last_span ? hs_pull_window_span(r->last_span, r->last_events) : o->pull_window_ms;
    int64_t end = span >= r->run_now - start ? r->run_now : start + span;
    hs_stream_begin(&r->st, start, end);
    r->window_sized = 1;
    r->window_events = 0;
    hs_log(r->in, OC_LOG_INFO, "pull %s: window %" PRId64 "..%" PRId64 " ms", r->label, start, end);
    return 1;
}

/* A saved cursor (or window) later than the clock: the state was written
 * under a clock that was ahead, or this clock is behind. Either way the
 * run would quietly pull nothing, so say what happened and how to get
 * out. */
static void warn_future(const struct run *r)
{
    int64_t ahead = r->st.in_window ? r->st.end : r->st.cursor;
    if(ahead == HS_PULL_NONE || ahead <= r->run_now)
        return;
    hs_pull_warn_future(r->in, r->label, "events", ahead, r->run_now, r->ps->key);
}

static oc_status pull_stream(struct run *r, struct oc_error *err)
{
    struct oc_instance *in = r->in;
    oc_status rc = hs_stream_state_load(in->host, r->ps->key, &r->st, err);
    if(rc)
        return rc;
    warn_future(r);
    int began_new = 0;
    /* An offset that expires again before anything new was processed would
     * loop forever; one restart per bit of progress is allowed. */
    int restarted = 0;
    uint64_t fresh_since_restart = 0;
    for(;;) {
        if(!r->st.in_window) {
            if(!next_window(r, !began_new))
                break;
            began_new = 1;
        }
        if(build_path(r)) {
            rc = kit_fail(err, OC_E_NOMEM, "pull %s: out of memory building the request", r->label);
            goto out;
        }
        struct kit_http_req req;
        kit_http_req_init(&req, "GET", kit_buf_str(&r->ps->path), NULL, 0, "email.events");
        req.page_room = PAGE_BODY_START;
        rc = kit_http_call(in->http, &req, err);
        r->calls++;
        if(rc && req.status == 400 && r->st.offset) {
            /* UNCONFIRMED: HubSpot documents offsets as short-lived but not
             * how an expired one is refused; a 400 on a request carrying an
             * offset is taken to be that. Restarting is safe either way: a
             * genuinely bad request fails again without the offset. */
            kit_http_req_free(&req);
            if(restarted && !fresh_since_restart) {
                rc = with_context(r, rc, err,
                                  " (the page offset was refused twice without progress; "
                                  "state saved, rerun later)");
                goto out;
            }
            hs_log(in, OC_LOG_WARN,
                   "pull %s: HubSpot refused the page offset (expired?); restarting the "
                   "window's remaining part without emitting anything twice",
                   r->label);
            if(hs_stream_restart(&r->st)) {
                rc = kit_fail(err, OC_E_NOMEM, "pull %s: out of memory restarting the window", r->label);
                goto out;
            }
            restarted = 1;
            fresh_since_restart = 0;
            rc = save(r, err);
            if(rc)
                goto out;
            continue;
        }
        if(rc == OC_E_NOT_FOUND) {
            /* Not "found nothing" (exit 3 is lookup's): the events
             * endpoint itself is missing, which no rerun fixes. */
            kit_http_req_free(&req);
            rc = with_context(r, OC_E_CONFIG, err,
                              " (HTTP 404: HubSpot has no email events endpoint here any more; it "
                              "retires old APIs, so check its changelog for the replacement and "
                              "update the plugin; the stream's state is unchanged)");
            goto out;
        }
        if(rc) {
            kit_http_req_free(&req);
            rc = with_context(r, rc, err,
                              rc == OC_E_BUDGET || rc == OC_E_CANCELLED || rc == OC_E_TRANSIENT
                                  ? " (state saved; a rerun resumes where this one stopped)"
                                  : NULL);
            goto out;
        }
        int events = -1, more = 0;
        char *next = NULL;
        rc = check_page(r, &req.json, &events, &more, &next, err);
        if(!rc) {
            uint64_t fresh = 0;
            r->window_events += (uint64_t)kit_json_size(&req.json, events);
            hs_stream_page_begin(&r->st);
            rc = emit_page(r, &req.json, events, &fresh, err);
            fresh_since_restart += fresh;
            if(!rc && hs_stream_page_done(&r->st, next))
                rc = kit_fail(err, OC_E_NOMEM, "pull %s: out of memory keeping the offset",
                             r->label);
        }
        free(next);
        kit_http_req_free(&req);
        if(rc)
            goto out;
        progress(r);
        if(!more) {
            if(r->window_sized) {
                r->last_span = r->st.end - r->st.start + 1;
                r->last_events = r->window_events;
            }
            if(hs_stream_finish(&r->st, in->opt.lookback_ms)) {
                rc = kit_fail(err, OC_E_NOMEM, "pull %s: out of memory closing the window", r->label);
                goto out;
            }
        }
        rc = save(r, err);
        if(rc)
            goto out;
    }
    struct kit_http_page_memory mem;
    kit_http_page_memory(in->http, &mem);
    hs_log(in, OC_LOG_INFO,
           "pull %s: %" PRIu64 " events emitted in %" PRIu64 " calls; pages read into one %zu KiB "
           "buffer, allocated %lu time%s; their token arrays allocated %lu time%s",
           r->label, r->emitted, r->calls, mem.body_cap / 1024, mem.body_allocs,
           mem.body_allocs == 1 ? "" : "s", mem.token_allocs, mem.token_allocs == 1 ? "" : "s");
out:
    hs_stream_state_free(&r->st);
    return rc;
}

/* Split "open, CLICK" into upper-case names (HubSpot's eventType is
 * case-sensitive and upper-case), dropping empties and repeats. Returns the
 * count, or -1 with err filled. names points into buf. */
static int parse_types(const char *types, char *buf, size_t bufsize, const char **names,
                       int max, struct oc_error *err)
{
    if(strlen(types) >= bufsize) {
        kit_fail(err, OC_E_INVALID, "--types is too long; give at most %d event types", max);
        return -1;
    }
    memcpy(buf, types, strlen(types) + 1);
    int n = 0;
    for(char *save_ptr = NULL, *tok = strtok_r(buf, ",", &save_ptr); tok;
        tok = strtok_r(NULL, ",", &save_ptr)) {
        while(*tok == ' ' || *tok == '\t')
            tok++;
        size_t len = strlen(tok);
        while(len && (tok[len - 1] == ' ' || tok[len - 1] == '\t'))
            tok[--len] = '\0';
        if(!len)
            continue;
        for(char *c = tok; *c; c++) {
            if(*c >= 'a' && *c <= 'z')
                *c = (char)(*c - 'a' + 'A');
            if(!((*c >= 'A' && *c <= 'Z') || *c == '_') || len > MAX_TYPE_LEN) {
                kit_fail(err, OC_E_INVALID,
                        "--types: '%s' is not an event type name (letters and '_', e.g. "
                        "OPEN,CLICK,BOUNCE)",
                        tok);
                return -1;
            }
        }
        int dup = 0;
        for(int i = 0; i < n; i++)
            dup |= !strcmp(names[i], tok);
        if(dup)
            continue;
        if(n == max) {
            kit_fail(err, OC_E_INVALID, "--types names more than %d event types", max);
            return -1;
        }
        names[n++] = tok;
    }
    if(!n)
        kit_fail(err, OC_E_INVALID, "--types is empty; name event types like OPEN,CLICK");
    return n ? n : -1;
}

oc_status hs_pull(struct oc_instance *in, const struct oc_pull_request *req, struct oc_error *err)
{
    kit_error_clear(err);
    if(!in)
        return kit_fail(err, OC_E_INVALID, "pull: no instance");
    if(req && !OC_HAS_MEMBER(req, struct oc_pull_request, types))
        return kit_fail(err, OC_E_INVALID,
                       "pull: struct oc_pull_request is older than ABI 1.0 (struct_size %u)",
                       (unsigned)req->struct_size);
    const char *stream = req && req->stream ? req->stream : "email_events";
    if(!strcmp(stream, "contacts"))
        return hs_pull_contacts(in, req, err);
    if(!strcmp(stream, "marketing_emails"))
        return hs_pull_marketing_emails(in, req, err);
    if(strcmp(stream, "email_events"))
        return kit_fail(err, OC_E_INVALID,
                       "pull: unknown stream '%s'; the streams this plugin pulls are: "
                       "email_events, contacts, marketing_emails",
                       stream);
    oc_status bad = hs_pull_check_since(req, "email_events", err);
    if(bad)
        return bad;
    if(!in->host->emit)
        return kit_fail(err, OC_E_INVALID, "pull: the host gave no emit callback");
    struct hs_pull_state *ps = pull_state_get(in);
    if(!ps)
        return kit_fail(err, OC_E_NOMEM, "pull: out of memory");
    const char *names[32];
    char tbuf[32 * (MAX_TYPE_LEN + 2)];
    int ntypes = 1;
    names[0] = NULL;
    if(req && req->types) {
        ntypes = parse_types(req->types, tbuf, sizeof tbuf, names, 32, err);
        if(ntypes < 0)
            return OC_E_INVALID;
    }
    uint64_t total = 0;
    int64_t run_now = hs_now_ms(in);
    oc_status rc = OC_OK;
    for(int i = 0; i < ntypes && !rc; i++) {
        if(names[i])
            snprintf(ps->key, sizeof ps->key, "pull/email_events/%s", names[i]);
        else
            snprintf(ps->key, sizeof ps->key, "pull/email_events");
        struct run r = {
            .in = in,
            .ps = ps,
            .type = names[i],
            .label = ps->key + 5,
            .run_now = run_now,
            .since_ms = req ? req->since_ms : 0,
            .total = &total,
        };
        rc = pull_stream(&r, err);
    }
    /* The page body and tokens are a run's: an instance between runs holds
     * no page. */
    kit_http_pages_end(in->http);
    return rc;
}
