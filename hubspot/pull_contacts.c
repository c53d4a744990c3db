/*
 * pull_contacts.c - the "contacts" stream: contact changes since the
 * cursor, from POST /crm/v3/objects/contacts/search (filter on
 * lastmodifieddate, sorted ascending), emitted once each.
 *
 * A run takes now once (end) and scans lastmodifieddate in [anchor, end]:
 *  - the first scan of the stream starts at its start (--since, or
 *    pull_start_days back); later runs at cursor - lookback, because search
 *    is eventually consistent (API-NOTES.md 3.2): a change written just before
 *    the last run may only have been searchable after it. What the
 *    lookback brings again is skipped by (id, lastmodifieddate) in seen.
 *  - Keyset paging, never "after": each page's query starts again at the
 *    last lastmodifieddate of the page before (GTE), the contacts already
 *    emitted at that exact time skipped through seen. Search cannot page
 *    past 10,000 results of one query; a query that always starts at the
 *    newest change handled never gets near that. It also keeps changes
 *    made while the run pages from costing records: "after" is an offset
 *    into a live result set, so a contact modified mid-run (it leaves the
 *    LTE bound) would shift every later result down by one and the result
 *    at the page boundary would be skipped for good.
 *  - Ties: when a whole page shares one lastmodifieddate T, moving the
 *    anchor cannot make progress, so the contacts at exactly T are paged
 *    by id instead (hs_object_id GT the last id, sorted by hs_object_id:
 *    a 3P-documented way past the cap, see the HubSpot community thread
 *    "CRM Record ID Sequencing and the Search API"; UNCONFIRMED in HubSpot's
 *    own docs), then the scan goes on at T + 1. Only a bulk change that
 *    stamps more than a page of contacts with one millisecond gets there.
 *  - The cursor follows the pages (ascending order: every change older than
 *    the page's last one was handled) and ends at the run's start, never
 *    later. State (cursor and seen, see pull_contacts.h) is saved after
 *    every page; an interrupted run is resumed by the next one, which scans
 *    from cursor - lookback and skips what was emitted.
 *
 * Page answers are checked whole before anything of them is emitted, so a
 * malformed page changes nothing. Search answers carry no rate-limit
 * headers (API-NOTES.md 3.2); requests are marked search, so the HTTP client
 * paces them at 5 per second.
 */
#include "hubspot/pull_contacts.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/api_paths.h"
#include "hubspot/host.h"
#include "hubspot/props.h"
#include "hubspot/pull_cursor.h"
#include "hubspot/pull_state.h"
#include "plugin/error.h"
#include "plugin/fieldlist.h"
#include "plugin/json.h"

#define STATE_KEY "pull/contacts"
#define LM "lastmodifieddate"

struct cstate {
    int64_t start;
    struct hs_stream_state s; /* cursor and seen ("created" holds lastmodifieddate) */
};

struct run {
    struct hs_cursor_run c; /* first: the callbacks get &c */
    int tie;                /* paging the contacts at anchor by id */
    struct kit_buf after_id; /* tie: hs_object_id GT this ("": first page) */
    int64_t last_lm;        /* the last page's */
    char last_id[32];       /* tie pages only: record ids are digits */
    struct cstate st;
    struct hs_props pr;
    struct kit_fieldlist rec;
    struct kit_buf body, save, tmp;
};

static struct run *run_of(struct hs_cursor_run *c) { return (struct run *)c; }

/* ---- small helpers ------------------------------------------------------ */

/* Names that are the record's own fields, never taken from a property. */
static int reserved(const char *name)
{
    return !strcmp(name, "id") || !strcmp(name, "kind") || !strcmp(name, LM) ||
           !strcmp(name, "created_at") || !strcmp(name, "updated_at");
}

static int rec_add(struct kit_fieldlist *c, const char *key, const struct kit_json *j, int t)
{
    if(kit_fieldlist_begin(c, key, strlen(key), OC_FIELD_STRING))
        return -1;
    /* A \u0000 in the value just ends it early: the offsets stay right. */
    kit_json_str(j, t, &c->text);
    return kit_fieldlist_end(c);
}

static void rec_done(struct kit_fieldlist *c)
{
    for(size_t i = 0; i < c->n; i++)
        kit_fieldlist_keep(c, i, i);
}

static int scalar(const struct kit_json *j, int t)
{
    enum kit_json_type ty = kit_json_type(j, t);
    return ty == KIT_JSON_STRING || ty == KIT_JSON_NUMBER || ty == KIT_JSON_BOOL;
}

/* ---- state -------------------------------------------------------------- */

/* The state is pull_state's serialized form (cursor and seen, never a
 * window) with the stream's start added as one more member. */

static void state_free(struct cstate *c)
{
    hs_stream_state_free(&c->s);
    c->start = HS_PULL_NONE;
}

static int state_parse(struct cstate *c, const char *text, size_t len, char *why, size_t whysize)
{
    if(hs_stream_state_parse(&c->s, text, len, why, whysize))
        return -1;
    struct kit_json j = {0};
    const char *what = "bad start or cursor";
    if(c->s.in_window) {
        what = "a window, which the contacts stream never has";
        goto bad;
    }
    if(kit_json_parse(&j, text, len, NULL, 0))
        goto bad;
    int t = kit_json_get(&j, 0, "start");
    if(kit_json_type(&j, t) != KIT_JSON_NUMBER || kit_json_int64(&j, t, &c->start) ||
       c->s.cursor == HS_PULL_NONE || c->s.cursor < c->start)
        goto bad;
    kit_json_free(&j);
    return 0;
bad:
    snprintf(why, whysize, "%s", what);
    kit_json_free(&j);
    state_free(c);
    return -1;
}

/* 1 loaded, 0 no state yet, or a status (negated) with err filled. */
static int state_load(struct run *r, struct oc_error *err)
{
    const struct oc_host *host = r->c.in->host;
    if(!host->state_get)
        return 0;
    char small[4096];
    char *buf = small;
    size_t len = 0;
    oc_status rc = host->state_get(host->ctx, STATE_KEY, small, sizeof small, &len);
    if(rc == OC_E_NOT_FOUND)
        return 0;
    if(rc == OC_E_RANGE) {
        buf = malloc(len ? len : 1);
        if(!buf)
            return -kit_fail(err, OC_E_NOMEM, "pull contacts: out of memory reading state %s",
                            STATE_KEY);
        size_t want = len;
        rc = host->state_get(host->ctx, STATE_KEY, buf, want, &len);
    }
    int out = 1;
    char why[160];
    if(rc)
        out = -kit_fail(err, OC_E_IO,
                       "pull contacts: reading state %s failed (status %d); check the state file",
                       STATE_KEY, rc);
    else if(state_parse(&r->st, buf, len, why, sizeof why))
        /* CONFIG: the same bytes fail the same way on every rerun. */
        out = -kit_fail(err, OC_E_CONFIG,
                       "pull contacts: state key \"%s\" is unreadable (%s), and a rerun will not "
                       "fix it. To start the stream over, delete the \"%s\" member from the state "
                       "file (with ochost: --state FILE, default ./ochost.state) and rerun with "
                       "--since set to where contact changes should start again; changes after "
                       "that may be emitted a second time",
                       STATE_KEY, why, STATE_KEY);
    if(buf != small)
        free(buf);
    return out;
}

static oc_status state_save(struct hs_cursor_run *c, struct oc_error *err)
{
    struct run *r = run_of(c);
    const struct oc_host *host = c->in->host;
    if(!host->state_put)
        return OC_OK;
    kit_buf_reset(&r->tmp);
    kit_buf_reset(&r->save);
    if(hs_stream_state_json(&r->st.s, &r->tmp) || r->tmp.len < 2 ||
       kit_buf_printf(&r->save, "{\"start\":%" PRId64 ",", r->st.start) ||
       kit_buf_append(&r->save, r->tmp.data + 1, r->tmp.len - 1))
        return kit_fail(err, OC_E_NOMEM, "pull contacts: out of memory saving state %s", STATE_KEY);
    oc_status rc = host->state_put(host->ctx, STATE_KEY, r->save.data, r->save.len);
    if(rc)
        return kit_fail(err, OC_E_IO,
                       "pull contacts: saving state %s failed (status %d); stopped, since "
                       "nothing saved would cover what came next (the contacts emitted since the "
                       "last save may be emitted again by the rerun); check that the state file "
                       "is writable, then rerun",
                       STATE_KEY, rc);
    return OC_OK;
}

/* ---- one page ----------------------------------------------------------- */

static void filter(struct kit_jw *w, const char *prop, const char *op, const char *value)
{
    kit_jw_obj(w);
    kit_jw_kstr(w, "propertyName", prop);
    kit_jw_kstr(w, "operator", op);
    kit_jw_kstr(w, "value", value);
    kit_jw_obj_end(w);
}

static int build_body(struct run *r)
{
    char lo[24], hi[24];
    snprintf(lo, sizeof lo, "%" PRId64, r->c.anchor);
    snprintf(hi, sizeof hi, "%" PRId64, r->tie ? r->c.anchor : r->c.end);
    kit_buf_reset(&r->body);
    struct kit_jw w;
    kit_jw_init(&w, &r->body);
    kit_jw_obj(&w);
    kit_jw_key(&w, "filterGroups");
    kit_jw_arr(&w);
    kit_jw_obj(&w);
    kit_jw_key(&w, "filters");
    kit_jw_arr(&w);
    filter(&w, LM, "GTE", lo);
    filter(&w, LM, "LTE", hi);
    if(r->tie && r->after_id.len)
        filter(&w, "hs_object_id", "GT", kit_buf_str(&r->after_id));
    kit_jw_arr_end(&w);
    kit_jw_obj_end(&w);
    kit_jw_arr_end(&w);
    kit_jw_key(&w, "sorts");
    kit_jw_arr(&w);
    kit_jw_obj(&w);
    kit_jw_kstr(&w, "propertyName", r->tie ? "hs_object_id" : LM);
    kit_jw_kstr(&w, "direction", "ASCENDING");
    kit_jw_obj_end(&w);
    kit_jw_arr_end(&w);
    kit_jw_key(&w, "properties");
    kit_jw_arr(&w);
    for(size_t i = 0; i < r->pr.n; i++)
        if(strcmp(r->pr.v[i], LM))
            kit_jw_str(&w, r->pr.v[i]);
    kit_jw_str(&w, LM);
    kit_jw_arr_end(&w);
    kit_jw_kint(&w, "limit", r->c.page_size);
    kit_jw_obj_end(&w);
    return kit_jw_error(&w) ? -1 : 0;
}

/* Digit strings as numbers: -1, 0, 1. */
static int idcmp(const char *a, size_t alen, const char *b, size_t blen)
{
    if(alen != blen)
        return alen < blen ? -1 : 1;
    int c = memcmp(a, b, alen);
    return (c > 0) - (c < 0);
}

/* What the driver does not check of a search page: paging that could
 * not end, and the order keyset paging rests on. */
static oc_status check_page(struct hs_cursor_run *c, const struct kit_json *j,
                            const struct hs_cursor_page *p, struct oc_error *err)
{
    struct run *r = run_of(c);
    const char *tail = hs_cursor_page_tail;
    if(p->more && !p->n)
        return kit_fail(err, OC_E_PROTOCOL,
                       "pull contacts: HubSpot's search answer has no results but says there "
                       "are more, so paging would never end; rerun later");
    /* A tie page must start past the id asked for, or paging would loop. */
    char *prev = r->last_id;
    size_t prevlen = r->tie ? r->after_id.len : 0;
    if(prevlen >= sizeof r->last_id)
        return kit_fail(err, OC_E_PROTOCOL, "pull contacts: record id %.40s is too long; %s",
                       kit_buf_str(&r->after_id), tail);
    memcpy(prev, kit_buf_str(&r->after_id), prevlen + 1);
    int64_t prev_lm = HS_PULL_NONE;
    for(int i = 0, t = p->results + 1; i < p->n; i++, t = kit_json_skip(j, t)) {
        const char *why = NULL;
        int64_t lm;
        if(hs_cursor_identity(c, j, t, &lm, &why))
            return kit_fail(err, OC_E_PROTOCOL, "pull contacts: contact %d of the page %s; %s", i,
                           why, tail);
        /* Keyset paging rests on the order asked for: a page out of order
         * could hide changes between its anchors, so it is refused rather
         * than trusted. */
        if(!r->tie && lm < prev_lm)
            return kit_fail(err, OC_E_PROTOCOL,
                           "pull contacts: contact %.40s of the page is out of lastmodifieddate "
                           "order (HubSpot was asked for ascending); %s",
                           c->id.data, tail);
        if(r->tie) {
            size_t len = c->id.len;
            if(len >= sizeof r->last_id || strspn(c->id.data, "0123456789") != len ||
               (prevlen && idcmp(c->id.data, len, prev, prevlen) <= 0))
                return kit_fail(err, OC_E_PROTOCOL,
                               "pull contacts: contact id %.40s is not a record id in ascending "
                               "order (HubSpot was asked to sort by hs_object_id); %s",
                               c->id.data, tail);
            memcpy(prev, c->id.data, len + 1);
            prevlen = len;
        }
        prev_lm = lm;
    }
    r->last_lm = prev_lm;
    return OC_OK;
}

static int build_record(struct hs_cursor_run *cr, const struct kit_json *j, int t, int64_t lm,
                        const struct oc_field **f, size_t *n)
{
    (void)lm;
    struct run *r = run_of(cr);
    struct kit_fieldlist *c = &r->rec;
    kit_fieldlist_reset(c);
    int po = kit_json_get(j, t, "properties");
    if(rec_add(c, "id", j, kit_json_get(j, t, "id")) || rec_add(c, LM, j, kit_json_get(j, po, LM)))
        return -1;
    /* Only the properties asked for, in the configured order: the output
     * does not depend on the order of HubSpot's answer or on the defaults
     * it adds (hs_object_id, createdate; add them to lookup_properties to
     * get them). Nulls (never set) are omitted. */
    for(size_t i = 0; i < r->pr.n; i++) {
        int v = kit_json_get(j, po, r->pr.v[i]);
        if(!reserved(r->pr.v[i]) && scalar(j, v) && rec_add(c, r->pr.v[i], j, v))
            return -1;
    }
    int v = kit_json_get(j, t, "createdAt");
    if(scalar(j, v) && rec_add(c, "created_at", j, v))
        return -1;
    v = kit_json_get(j, t, "updatedAt");
    if(scalar(j, v) && rec_add(c, "updated_at", j, v))
        return -1;
    rec_done(c);
    *f = c->f;
    *n = c->n;
    return 0;
}

/* Keyset paging at the page's last lastmodifieddate; a page that cannot
 * move the anchor is paged by id. 1: the scan is complete. */
static int advance(struct hs_cursor_run *c, const struct hs_cursor_page *p)
{
    struct run *r = run_of(c);
    if(r->tie) {
        if(p->more) {
            kit_buf_reset(&r->after_id);
            kit_buf_puts(&r->after_id, r->last_id);
            return 0;
        }
        /* Every change at the anchor is handled: on past it. */
        r->tie = 0;
        c->anchor++;
    } else if(!p->more) {
        return 1;
    } else if(r->last_lm > c->anchor) {
        c->anchor = r->last_lm;
    } else {
        /* A whole page at one lastmodifieddate: page those by id. */
        r->tie = 1;
        kit_buf_reset(&r->after_id);
        hs_log(c->in, OC_LOG_INFO,
               "pull contacts: a page of contacts share lastmodifieddate %" PRId64
               "; paging them by id",
               c->anchor);
    }
    return 0;
}

static int request(struct hs_cursor_run *c, struct kit_http_req *req)
{
    struct run *r = run_of(c);
    if(build_body(r))
        return -1;
    kit_http_req_init(req, "POST", hs_api_template(c->in->opt.api, HS_EP_CONTACTS_SEARCH),
                      r->body.data, r->body.len, "contacts.search");
    req->search = 1;
    return 0;
}

static oc_status prepare(struct hs_cursor_run *c, struct oc_error *err)
{
    if(hs_props_parse(c->in->opt.lookup_properties, &run_of(c)->pr))
        return kit_fail(err, OC_E_NOMEM, "pull contacts: out of memory");
    return OC_OK;
}

/* The scan starts no earlier than the stream's start. */
static oc_status load(struct hs_cursor_run *c, struct oc_error *err)
{
    struct run *r = run_of(c);
    int loaded = state_load(r, err);
    if(loaded < 0)
        return (oc_status)-loaded;
    if(loaded)
        c->floor = r->st.start;
    return OC_OK;
}

static void started(struct hs_cursor_run *c, int64_t start) { run_of(c)->st.start = start; }

static const struct hs_cursor_stream contacts = {
    .name = "contacts",
    .state_key = STATE_KEY,
    .kind = "contact",
    .noun = "contact",
    .nouns = "contacts",
    .things = "changes",
    .answer = "search answer",
    .not_found = " (HTTP 404: HubSpot has no contacts search endpoint here; check base_url, or "
                 "HubSpot's changelog if it retired this API; state saved, nothing is emitted "
                 "twice once it works again)",
    .time_path = "properties." LM,
    .time_missing = "has no readable properties.lastmodifieddate",
    .page_max = HS_CONTACTS_PAGE_MAX,
    .prepare = prepare,
    .load = load,
    .started = started,
    .request = request,
    .check_page = check_page,
    .build_record = build_record,
    .advance = advance,
    .save = state_save,
};

oc_status hs_pull_contacts_paged(struct oc_instance *in, const struct oc_pull_request *req,
                                 int page_size, struct oc_error *err)
{
    struct run r = {0};
    hs_stream_state_init(&r.st.s);
    r.st.start = HS_PULL_NONE;
    r.c.st = &r.st.s;
    oc_status rc = hs_cursor_pull(&r.c, &contacts, in, req, page_size, err);
    state_free(&r.st);
    hs_props_free(&r.pr);
    kit_fieldlist_free(&r.rec);
    kit_buf_free(&r.after_id);
    kit_buf_free(&r.body);
    kit_buf_free(&r.save);
    kit_buf_free(&r.tmp);
    return rc;
}

oc_status hs_pull_contacts(struct oc_instance *in, const struct oc_pull_request *req,
                           struct oc_error *err)
{
    return hs_pull_contacts_paged(in, req, HS_CONTACTS_PAGE_MAX, err);
}
