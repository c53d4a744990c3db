/*
 * pull_marketing_emails.c - the "marketing_emails" stream: marketing email
 * updates since the cursor, from GET /marketing/v3/emails filtered on
 * updatedAfter/updatedBefore and sorted by updatedAt ascending
 * (API-NOTES.md, "Marketing emails as a stream"), each emitted once.
 *
 * The scan works as the contacts stream's does (pull_contacts.c), with the
 * same state (pull_state.h: cursor and seen, no window):
 *  - a run takes now once (end) and reads updatedAt in [anchor, end]; the
 *    first run starts at --since or pull_start_days back, later ones at
 *    cursor - lookback, what the lookback brings again skipped by (id,
 *    updatedAt) in seen;
 *  - keyset paging: each page's query starts again at the last updatedAt
 *    of the page before, because "after" is a position in a live list (an
 *    email updated while the run pages leaves the range and would shift
 *    the one at the page boundary out of sight). Only a page whose emails
 *    all share one updatedAt is followed by its "after" cursor, since
 *    re-anchoring there could not make progress;
 *  - the filters' bounds are widened by a millisecond and the range is
 *    enforced here, so the stream does not depend on whether HubSpot reads
 *    updatedAfter/updatedBefore as exclusive (UNCONFIRMED either way);
 *  - the cursor follows the pages and ends at the run's start; state is
 *    saved after every page, and a page is checked whole before any of it
 *    is emitted.
 * An email deleted in HubSpot simply stops appearing: the stream emits
 * changes, not deletions.
 */
#include "hubspot/pull_marketing_emails.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/api_paths.h"
#include "hubspot/email_event.h"
#include "hubspot/host.h"
#include "hubspot/pull_state.h"
#include "hubspot/pull_warn.h"
#include "plugin/error.h"
#include "plugin/isotime.h"
#include "plugin/json.h"
#include "plugin/record.h"
#include "plugin/usage.h"

#define STATE_KEY "pull/marketing_emails"
#define STREAM "marketing_emails"
#define DAY_MS INT64_C(86400000)

/* HubSpot keys that lead the record, in output order. */
static const char *const lead_keys[] = {"id",   "name",        "subject",
                                        "state", "type",       "publishDate",
                                        "primaryEmailCampaignId", "allEmailCampaignIds"};
#define NLEAD (sizeof lead_keys / sizeof lead_keys[0])

/* One record's fields: names and values NUL-terminated in text, located by
 * offsets (text moves while it grows), pointed to by f once complete. */
struct rec {
    struct kit_buf text;
    struct kit_buf key; /* the flattened name being built */
    size_t *off;        /* 2 per field */
    int *type;
    struct oc_field *f;
    size_t n, cap;
};

struct page {
    int results;
    int n;
    int more;
    int64_t last_updated;
    char *next_after; /* owned; NULL without paging.next */
};

struct run {
    struct oc_instance *in;
    int page_size;
    int64_t end;    /* the run's start: no update after it is read */
    int64_t anchor; /* lowest updatedAt of the next query */
    struct kit_buf after; /* "": first page of the query */
    struct hs_stream_state st; /* "created" holds updatedAt */
    struct rec rec;
    struct kit_buf path, id, save;
    uint64_t emitted, calls;
};

/* ---- the record ---------------------------------------------------------- */

static void rec_free(struct rec *c)
{
    kit_buf_free(&c->text);
    kit_buf_free(&c->key);
    free(c->off);
    free(c->type);
    free(c->f);
    memset(c, 0, sizeof *c);
}

/* Start a field named by c->key; its value is appended to text by the
 * caller and ended by end_field. */
static int begin_field(struct rec *c, int type)
{
    if(c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        size_t *off = realloc(c->off, 2 * cap * sizeof *off);
        if(!off)
            return -1;
        c->off = off;
        int *ty = realloc(c->type, cap * sizeof *ty);
        if(!ty)
            return -1;
        c->type = ty;
        struct oc_field *f = realloc(c->f, cap * sizeof *f);
        if(!f)
            return -1;
        c->f = f;
        c->cap = cap;
    }
    c->off[2 * c->n] = c->text.len;
    kit_buf_append(&c->text, kit_buf_str(&c->key), c->key.len);
    kit_buf_putc(&c->text, '\0');
    c->off[2 * c->n + 1] = c->text.len;
    c->type[c->n] = type;
    c->n++;
    return kit_buf_ok(&c->text) ? 0 : -1;
}

static int end_field(struct rec *c) { return kit_buf_putc(&c->text, '\0'); }

static int set_key(struct rec *c, const char *name)
{
    kit_buf_reset(&c->key);
    return kit_buf_puts(&c->key, name);
}

/* Flatten value t under the name in c->key, as email events are flattened
 * (email_event.h): objects joined with '_', arrays whole as JSON. */
static int add_value(struct rec *c, const struct kit_json *j, int t)
{
    size_t klen = c->key.len;
    switch(kit_json_type(j, t)) {
    case KIT_JSON_OBJECT: {
        int n = kit_json_size(j, t);
        for(int i = 0, k = t + 1; i < n; i++, k = kit_json_skip(j, k)) {
            size_t rawlen;
            const char *raw = kit_json_raw(j, k, &rawlen);
            c->key.len = klen;
            if(klen && kit_buf_putc(&c->key, '_'))
                return -1;
            if(hs_email_event_key(&c->key, raw, rawlen) || add_value(c, j, k + 1))
                return -1;
        }
        c->key.len = klen;
        if(c->key.data)
            c->key.data[klen] = '\0';
        return 0;
    }
    case KIT_JSON_ARRAY:
        if(begin_field(c, OC_FIELD_JSON) || kit_json_canonical(j, t, &c->text))
            return -1;
        return end_field(c);
    case KIT_JSON_STRING:
        if(begin_field(c, OC_FIELD_STRING) || kit_json_str(j, t, &c->text))
            return -1;
        return end_field(c);
    case KIT_JSON_NUMBER:
    case KIT_JSON_BOOL: {
        size_t len;
        const char *raw = kit_json_raw(j, t, &len);
        int type = kit_json_type(j, t) == KIT_JSON_NUMBER ? OC_FIELD_NUMBER : OC_FIELD_BOOL;
        if(begin_field(c, type) || kit_buf_append(&c->text, raw, len))
            return -1;
        return end_field(c);
    }
    case KIT_JSON_NULL:
        if(begin_field(c, OC_FIELD_NULL))
            return -1;
        return end_field(c);
    default:
        return 0;
    }
}

static int add_member(struct rec *c, const struct kit_json *j, int name_tok)
{
    size_t len;
    const char *raw = kit_json_raw(j, name_tok, &len);
    kit_buf_reset(&c->key);
    if(hs_email_event_key(&c->key, raw, len))
        return -1;
    return add_value(c, j, name_tok + 1);
}

static int add_text(struct rec *c, const char *name, int type, const char *value)
{
    if(set_key(c, name) || begin_field(c, type) || kit_buf_puts(&c->text, value))
        return -1;
    return end_field(c);
}

/* Keys that are not flattened with the rest: the lead keys, the times
 * (emitted as updated/created), and content, the email's body and layout
 * (widget trees whose keys are per-layout names: no stable columns). */
static int skipped(const struct kit_json *j, int name_tok)
{
    for(size_t i = 0; i < NLEAD; i++)
        if(kit_json_eq(j, name_tok, lead_keys[i]))
            return 1;
    return kit_json_eq(j, name_tok, "updatedAt") || kit_json_eq(j, name_tok, "createdAt") ||
           kit_json_eq(j, name_tok, "content");
}

/* Points the fields into text; the first field of a name wins (different
 * HubSpot keys can flatten to one name). */
static void rec_done(struct rec *c)
{
    size_t kept = 0;
    for(size_t i = 0; i < c->n; i++) {
        const char *key = c->text.data + c->off[2 * i];
        int dup = !*key;
        for(size_t k = 0; k < kept && !dup; k++)
            dup = !strcmp(c->f[k].key, key);
        if(dup)
            continue;
        c->f[kept].key = key;
        c->f[kept].value = c->text.data + c->off[2 * i + 1];
        c->f[kept].type = c->type[i];
        kept++;
    }
    c->n = kept;
}

static int build_record(struct rec *c, const struct kit_json *j, int t, int64_t updated)
{
    kit_buf_reset(&c->text);
    c->n = 0;
    for(size_t i = 0; i < NLEAD; i++) {
        int v = kit_json_get(j, t, lead_keys[i]);
        if(v > 0 && add_member(c, j, v - 1))
            return -1;
    }
    char num[24], iso[KIT_ISO_MS_SIZE];
    snprintf(num, sizeof num, "%" PRId64, updated);
    if(add_text(c, "updated", OC_FIELD_NUMBER, num))
        return -1;
    /* hs_emit gives a twin only to times named created: this one is the
     * same ISO text it would write. */
    if(!kit_iso_ms(updated, iso) && add_text(c, "updated_at", OC_FIELD_STRING, iso))
        return -1;
    int64_t created;
    size_t len;
    int ct = kit_json_get(j, t, "createdAt");
    const char *raw = kit_json_raw(j, ct, &len);
    if(kit_json_type(j, ct) == KIT_JSON_STRING && !kit_iso_parse_ms(raw, len, &created)) {
        snprintf(num, sizeof num, "%" PRId64, created);
        if(add_text(c, "created", OC_FIELD_NUMBER, num))
            return -1;
    }
    int n = kit_json_size(j, t);
    for(int i = 0, k = t + 1; i < n; i++, k = kit_json_skip(j, k))
        if(!skipped(j, k) && add_member(c, j, k))
            return -1;
    rec_done(c);
    return 0;
}

/* ---- one page ------------------------------------------------------------ */

static oc_status with_context(oc_status rc, struct oc_error *err, const char *tail)
{
    return kit_error_wrap(err, rc, "pull " STREAM, tail);
}

static int build_path(struct run *r)
{
    char lo[KIT_ISO_MS_SIZE], hi[KIT_ISO_MS_SIZE];
    if(kit_iso_ms(r->anchor - 1, lo) || kit_iso_ms(r->end + 1, hi))
        return -1;
    struct kit_buf *p = &r->path;
    kit_buf_reset(p);
    hs_api_path(p, r->in->opt.api, HS_EP_MARKETING_EMAILS, NULL);
    kit_buf_printf(p, "?limit=%d&sort=updatedAt&updatedAfter=", r->page_size);
    kit_url_encode(p, lo);
    kit_buf_puts(p, "&updatedBefore=");
    kit_url_encode(p, hi);
    if(r->after.len) {
        kit_buf_puts(p, "&after=");
        kit_url_encode(p, kit_buf_str(&r->after));
    }
    return kit_buf_ok(p) ? 0 : -1;
}

/* The email's identity: id into r->id, updatedAt as ms. 0, or -1 with a
 * reason in why. */
static int identity(struct run *r, const struct kit_json *j, int t, int64_t *updated,
                    const char **why)
{
    if(kit_json_type(j, t) != KIT_JSON_OBJECT) {
        *why = "is not an object";
        return -1;
    }
    int idt = kit_json_get(j, t, "id");
    kit_buf_reset(&r->id);
    if((kit_json_type(j, idt) != KIT_JSON_STRING && kit_json_type(j, idt) != KIT_JSON_NUMBER) ||
       kit_json_str(j, idt, &r->id) || !r->id.len || strlen(r->id.data) != r->id.len) {
        *why = kit_buf_ok(&r->id) ? "has no id" : "could not be read (out of memory)";
        return -1;
    }
    int ut = kit_json_get(j, t, "updatedAt");
    size_t len = 0;
    const char *raw = kit_json_raw(j, ut, &len);
    if(kit_json_type(j, ut) != KIT_JSON_STRING || kit_iso_parse_ms(raw, len, updated)) {
        *why = "has no readable updatedAt";
        return -1;
    }
    return 0;
}

static int in_range(const struct run *r, int64_t updated)
{
    return updated >= r->anchor && updated <= r->end;
}

static void page_free(struct page *p)
{
    free(p->next_after);
    p->next_after = NULL;
}

/* Check the whole page before emitting any of it, so that a malformed page
 * leaves the state as it was after the previous one. */
static oc_status check_page(struct run *r, const struct kit_json *j, struct page *p,
                            struct oc_error *err)
{
    static const char tail[] = "nothing of this page was emitted, rerun to retry it";
    memset(p, 0, sizeof *p);
    if(kit_json_type(j, 0) != KIT_JSON_OBJECT)
        return kit_fail(err, OC_E_PROTOCOL,
                       "pull " STREAM ": HubSpot's answer is not a JSON object; %s", tail);
    p->results = kit_json_get(j, 0, "results");
    if(kit_json_type(j, p->results) != KIT_JSON_ARRAY)
        return kit_fail(err, OC_E_PROTOCOL,
                       "pull " STREAM ": HubSpot's answer has no results array; %s", tail);
    p->n = kit_json_size(j, p->results);
    int next = kit_json_path(j, 0, "paging.next.after");
    p->more = kit_json_path(j, 0, "paging.next") >= 0;
    if(p->more) {
        p->next_after = kit_json_type(j, next) == KIT_JSON_STRING ? kit_json_strdup(j, next) : NULL;
        if(!p->next_after || !*p->next_after || !p->n ||
           (r->after.len && !strcmp(p->next_after, kit_buf_str(&r->after)))) {
            page_free(p);
            return kit_fail(err, OC_E_PROTOCOL,
                           "pull " STREAM ": HubSpot's answer says there are more emails but "
                           "gives no new paging.next.after (or no emails), so paging would never "
                           "end; rerun later");
        }
    }
    int64_t prev = INT64_MIN;
    for(int i = 0, t = p->results + 1; i < p->n; i++, t = kit_json_skip(j, t)) {
        const char *why = NULL;
        int64_t updated;
        if(identity(r, j, t, &updated, &why)) {
            page_free(p);
            return kit_fail(err, OC_E_PROTOCOL, "pull " STREAM ": email %d of the page %s; %s",
                           i, why, tail);
        }
        /* Keyset paging rests on the order asked for: a page out of order
         * could hide updates between its anchors. */
        if(updated < prev) {
            page_free(p);
            return kit_fail(err, OC_E_PROTOCOL,
                           "pull " STREAM ": email %.40s of the page is out of updatedAt order "
                           "(HubSpot was asked for sort=updatedAt); %s",
                           r->id.data, tail);
        }
        prev = updated;
    }
    p->last_updated = prev;
    return OC_OK;
}

/* Emit the page's emails in range not emitted before. One the host
 * refused was not delivered: it stays out of seen, so the rerun emits it. */
static oc_status emit_page(struct run *r, const struct kit_json *j, const struct page *p,
                           struct oc_error *err)
{
    for(int i = 0, t = p->results + 1; i < p->n; i++, t = kit_json_skip(j, t)) {
        int64_t updated;
        const char *why;
        identity(r, j, t, &updated, &why);
        if(!in_range(r, updated) || hs_event_set_has(&r->st.seen, r->id.data, updated))
            continue;
        if(build_record(&r->rec, j, t, updated))
            return kit_fail(err, OC_E_NOMEM,
                           "pull " STREAM ": out of memory building email %.40s; state saved, "
                           "a rerun emits only what this run did not",
                           r->id.data);
        if(hs_emit(r->in, "marketing_email", r->id.data, r->rec.f, r->rec.n))
            return kit_fail(err, OC_E_CANCELLED,
                           "pull " STREAM ": the host did not take email %.40s (stopped after "
                           "%" PRIu64 " emails it took); state saved up to the last one taken, a "
                           "rerun starts with the one refused and emits none twice",
                           r->id.data, r->emitted);
        r->emitted++;
        if(hs_event_set_add(&r->st.seen, r->id.data, updated) < 0)
            return kit_fail(err, OC_E_NOMEM,
                           "pull " STREAM ": out of memory recording email %.40s; it may be "
                           "emitted again by a rerun",
                           r->id.data);
    }
    return OC_OK;
}

/* Move the scan on after a fully handled page. 1: the scan is complete. */
static int advance(struct run *r, const struct page *p)
{
    if(!p->more) {
        r->st.cursor = r->end;
        return 1;
    }
    kit_buf_reset(&r->after);
    if(p->last_updated > r->anchor) {
        r->anchor = p->last_updated;
    } else {
        /* A whole page at the anchor: follow the cursor of this query. */
        kit_buf_puts(&r->after, p->next_after);
    }
    if(r->anchor > r->end) {
        r->st.cursor = r->end;
        return 1;
    }
    if(r->anchor > r->st.cursor)
        r->st.cursor = r->anchor;
    return 0;
}

static oc_status save(struct run *r, struct oc_error *err)
{
    oc_status rc = hs_stream_state_save(r->in->host, STATE_KEY, &r->st, &r->save, err);
    if(rc)
        return with_context(rc, err,
                            " (stopped: nothing saved would cover what came next; the emails "
                            "emitted since the last save may be emitted again by the rerun)");
    return OC_OK;
}

static oc_status scan(struct run *r, struct oc_error *err)
{
    struct oc_instance *in = r->in;
    for(;;) {
        if(build_path(r))
            return kit_fail(err, OC_E_NOMEM, "pull " STREAM ": out of memory building the request");
        struct kit_http_req req;
        kit_http_req_init(&req, "GET", kit_buf_str(&r->path), NULL, 0, "marketing.emails");
        oc_status rc = kit_http_call(in->http, &req, err);
        r->calls++;
        if(rc == OC_E_NOT_FOUND) {
            rc = with_context(OC_E_CONFIG, err,
                              " (HTTP 404: HubSpot has no marketing emails endpoint here; check "
                              "base_url, or HubSpot's changelog if it retired this API; the "
                              "stream's state is unchanged)");
        } else if(rc) {
            rc = with_context(rc, err,
                              rc == OC_E_BUDGET || rc == OC_E_CANCELLED || rc == OC_E_TRANSIENT
                                  ? " (state saved; a rerun resumes where this one stopped)"
                                  : NULL);
        } else {
            struct page p;
            rc = check_page(r, &req.json, &p, err);
            if(!rc) {
                rc = emit_page(r, &req.json, &p, err);
                int done = rc ? 0 : advance(r, &p);
                /* Even after a stop in the page: what went out is in seen.
                 * A save that fails overrides the stop's message, which
                 * would claim the state was saved. */
                if(hs_stream_forget_before(&r->st, r->st.cursor - in->opt.lookback_ms) && !rc)
                    rc = kit_fail(err, OC_E_NOMEM, "pull " STREAM ": out of memory");
                oc_status src = save(r, err);
                if(src)
                    rc = src;
                page_free(&p);
                if(!rc)
                    hs_progress(in, "pull", r->emitted, 0);
                if(!rc && done) {
                    kit_http_req_free(&req);
                    return OC_OK;
                }
            }
        }
        kit_http_req_free(&req);
        if(rc)
            return rc;
    }
}

/* The lookback may reach only as far back as seen is complete (a raised
 * lookback_ms would otherwise re-read updates emitted but forgotten). */
static void clamp_lookback(struct run *r)
{
    int64_t complete = r->st.seen_from;
    if(complete == HS_PULL_NONE)
        complete = r->st.cursor - r->in->opt.lookback_ms;
    if(r->anchor >= complete)
        return;
    hs_pull_warn_clamped(r->in, STREAM, "updates", r->in->opt.lookback_ms, r->st.cursor, complete,
                         r->anchor);
    r->anchor = complete;
}

oc_status hs_pull_marketing_emails_paged(struct oc_instance *in,
                                         const struct oc_pull_request *req, int page_size,
                                         struct oc_error *err)
{
    kit_error_clear(err);
    if(!in)
        return kit_fail(err, OC_E_INVALID, "pull " STREAM ": no instance");
    if(page_size < 1 || page_size > HS_MKT_EMAILS_PAGE_MAX)
        return kit_fail(err, OC_E_INVALID, "pull " STREAM ": page size %d is not 1..%d",
                       page_size, HS_MKT_EMAILS_PAGE_MAX);
    if(req && req->types)
        return kit_fail(err, OC_E_INVALID,
                       "pull " STREAM ": --types filters email event types and does not apply "
                       "to the marketing_emails stream; leave it out");
    if(!in->host->emit)
        return kit_fail(err, OC_E_INVALID, "pull " STREAM ": the host gave no emit callback");
    oc_status rc = hs_pull_check_since(req, STREAM, err);
    if(rc)
        return rc;
    struct run r = {.in = in, .page_size = page_size, .end = hs_now_ms(in)};
    rc = hs_stream_state_load(in->host, STATE_KEY, &r.st, err);
    if(rc)
        goto out;
    if(r.st.in_window) {
        rc = kit_fail(err, OC_E_CONFIG,
                     "pull " STREAM ": state key \"%s\" holds a window, which this stream never "
                     "has; delete that member of the state file and rerun with --since set to "
                     "where email updates should start again",
                     STATE_KEY);
        goto out;
    }
    if(r.st.cursor != HS_PULL_NONE) {
        r.anchor = r.st.cursor - in->opt.lookback_ms;
        clamp_lookback(&r);
        if(r.st.cursor > r.end)
            hs_pull_warn_future(in, STREAM, "updates", r.st.cursor, r.end, STATE_KEY);
    } else {
        int64_t since = req ? req->since_ms : 0;
        r.anchor = since > 0 ? since : r.end - (int64_t)in->opt.pull_start_days * DAY_MS;
        r.st.cursor = r.anchor;
    }
    if(r.anchor > r.end) {
        hs_log(in, OC_LOG_INFO, "pull " STREAM ": starts at %" PRId64 ", after now; nothing to do",
               r.anchor);
        goto out;
    }
    hs_log(in, OC_LOG_INFO, "pull " STREAM ": updates %" PRId64 "..%" PRId64 " ms", r.anchor, r.end);
    rc = scan(&r, err);
    if(!rc)
        hs_log(in, OC_LOG_INFO, "pull " STREAM ": %" PRIu64 " emails emitted in %" PRIu64 " calls",
               r.emitted, r.calls);
out:
    hs_stream_state_free(&r.st);
    rec_free(&r.rec);
    kit_buf_free(&r.after);
    kit_buf_free(&r.path);
    kit_buf_free(&r.id);
    kit_buf_free(&r.save);
    return rc;
}

oc_status hs_pull_marketing_emails(struct oc_instance *in, const struct oc_pull_request *req,
                                   struct oc_error *err)
{
    return hs_pull_marketing_emails_paged(in, req, HS_MKT_EMAILS_PAGE_MAX, err);
}
