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
#include "hubspot/pull_state.h"
#include "hubspot/pull_warn.h"
#include "plugin/error.h"
#include "plugin/json.h"
#include "plugin/usage.h"

#define STATE_KEY "pull/contacts"
#define LM "lastmodifieddate"
#define DAY_MS INT64_C(86400000)

/* One record's fields: key\0value\0 pairs in text, located by offsets
 * (text may move while it grows), pointed to by f once complete. */
struct rec {
    struct kit_buf text;
    size_t *off; /* 2 per field */
    struct oc_field *f;
    size_t n, cap;
};

struct cstate {
    int64_t start;
    struct hs_stream_state s; /* cursor and seen ("created" holds lastmodifieddate) */
};

/* What check_page learnt about a page. */
struct page {
    int results; /* token of the results array */
    int n;
    int more;
    int64_t last_lm;
    char last_id[32]; /* tie pages only: record ids are digits */
};

struct run {
    struct oc_instance *in;
    int page_size;
    int64_t end;            /* LTE of every query: the run's start */
    int64_t anchor;         /* GTE of the next query */
    int tie;                /* paging the contacts at anchor by id */
    struct kit_buf after_id; /* tie: hs_object_id GT this ("": first page) */
    struct cstate st;
    struct hs_props pr;
    struct rec rec;
    struct kit_buf body, id, save, tmp;
    uint64_t emitted, calls;
};

/* ---- small helpers ------------------------------------------------------ */

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* n decimal digits at s into *v; -1 if any is not a digit. */
static int digits(const char *s, size_t n, int *v)
{
    *v = 0;
    for(size_t i = 0; i < n; i++) {
        if(s[i] < '0' || s[i] > '9')
            return -1;
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

/* HubSpot datetime text to epoch ms: ISO 8601 as search returns it
 * ("2026-11-20T08:16:00.000Z", fraction and offset optional) or epoch ms
 * digits, which other HubSpot APIs use (API-NOTES.md 6.3). 0 or -1. */
static int parse_time(const char *s, size_t len, int64_t *ms)
{
    if(len && len <= 15 && strspn(s, "0123456789") >= len) {
        int64_t v = 0;
        for(size_t i = 0; i < len; i++)
            v = v * 10 + (s[i] - '0');
        *ms = v;
        return 0;
    }
    int y, mo, d, h, mi, sec;
    if(len < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
       digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
       digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
       digits(s + 17, 2, &sec))
        return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if(mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) ||
       h > 23 || mi > 59 || sec > 59)
        return -1;
    size_t i = 19;
    int frac = 0;
    if(i < len && s[i] == '.') {
        size_t k = ++i;
        while(i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if(i == k || i - k > 9)
            return -1;
        for(size_t q = 0; q < 3; q++)
            frac = frac * 10 + (k + q < i ? s[k + q] - '0' : 0);
    }
    int64_t off = 0;
    if(i + 1 == len && (s[i] == 'Z' || s[i] == 'z')) {
        off = 0;
    } else if(i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh, om;
        if(digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return -1;
        off = (oh * 60 + om) * INT64_C(60000);
        if(s[i] == '-')
            off = -off;
    } else {
        return -1;
    }
    *ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * INT64_C(60000) + sec * INT64_C(1000) +
          frac - off;
    return 0;
}

/* Names that are the record's own fields, never taken from a property. */
static int reserved(const char *name)
{
    return !strcmp(name, "id") || !strcmp(name, "kind") || !strcmp(name, LM) ||
           !strcmp(name, "created_at") || !strcmp(name, "updated_at");
}

static void rec_free(struct rec *c)
{
    kit_buf_free(&c->text);
    free(c->off);
    free(c->f);
    memset(c, 0, sizeof *c);
}

static int rec_add(struct rec *c, const char *key, const struct kit_json *j, int t)
{
    if(c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        size_t *off = realloc(c->off, 2 * cap * sizeof *off);
        if(!off)
            return -1;
        c->off = off;
        struct oc_field *f = realloc(c->f, cap * sizeof *f);
        if(!f)
            return -1;
        c->f = f;
        c->cap = cap;
    }
    c->off[2 * c->n] = c->text.len;
    kit_buf_append(&c->text, key, strlen(key) + 1);
    c->off[2 * c->n + 1] = c->text.len;
    /* A \u0000 in the value just ends it early: the offsets stay right. */
    kit_json_str(j, t, &c->text);
    kit_buf_putc(&c->text, '\0');
    c->n++;
    return kit_buf_ok(&c->text) ? 0 : -1;
}

static void rec_done(struct rec *c)
{
    for(size_t i = 0; i < c->n; i++) {
        c->f[i].key = c->text.data + c->off[2 * i];
        c->f[i].value = c->text.data + c->off[2 * i + 1];
        c->f[i].type = OC_FIELD_STRING;
    }
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
    const struct oc_host *host = r->in->host;
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

static oc_status state_save(struct run *r, struct oc_error *err)
{
    const struct oc_host *host = r->in->host;
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
    snprintf(lo, sizeof lo, "%" PRId64, r->anchor);
    snprintf(hi, sizeof hi, "%" PRId64, r->tie ? r->anchor : r->end);
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
    kit_jw_kint(&w, "limit", r->page_size);
    kit_jw_obj_end(&w);
    return kit_jw_error(&w) ? -1 : 0;
}

/* The contact's identity: id into r->id, lastmodifieddate as ms. 0, or -1
 * with a reason in why. */
static int identity(struct run *r, const struct kit_json *j, int t, int64_t *lm, const char **why)
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
    int lt = kit_json_path(j, t, "properties." LM);
    size_t len = 0;
    const char *raw = kit_json_raw(j, lt, &len);
    if(kit_json_type(j, lt) != KIT_JSON_STRING || parse_time(raw, len, lm)) {
        *why = "has no readable properties.lastmodifieddate";
        return -1;
    }
    return 0;
}

/* Digit strings as numbers: -1, 0, 1. */
static int idcmp(const char *a, size_t alen, const char *b, size_t blen)
{
    if(alen != blen)
        return alen < blen ? -1 : 1;
    int c = memcmp(a, b, alen);
    return (c > 0) - (c < 0);
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
                       "pull contacts: HubSpot's search answer is not a JSON object; %s", tail);
    p->results = kit_json_get(j, 0, "results");
    if(kit_json_type(j, p->results) != KIT_JSON_ARRAY)
        return kit_fail(err, OC_E_PROTOCOL,
                       "pull contacts: HubSpot's search answer has no results array; %s", tail);
    p->n = kit_json_size(j, p->results);
    p->more = kit_json_path(j, 0, "paging.next") >= 0;
    if(p->more && !p->n)
        return kit_fail(err, OC_E_PROTOCOL,
                       "pull contacts: HubSpot's search answer has no results but says there "
                       "are more, so paging would never end; rerun later");
    /* A tie page must start past the id asked for, or paging would loop. */
    char *prev = p->last_id;
    size_t prevlen = r->tie ? r->after_id.len : 0;
    if(prevlen >= sizeof p->last_id)
        return kit_fail(err, OC_E_PROTOCOL, "pull contacts: record id %.40s is too long; %s",
                       kit_buf_str(&r->after_id), tail);
    memcpy(prev, kit_buf_str(&r->after_id), prevlen + 1);
    int64_t prev_lm = HS_PULL_NONE;
    for(int i = 0, t = p->results + 1; i < p->n; i++, t = kit_json_skip(j, t)) {
        const char *why = NULL;
        int64_t lm;
        if(identity(r, j, t, &lm, &why))
            return kit_fail(err, OC_E_PROTOCOL, "pull contacts: contact %d of the page %s; %s", i,
                           why, tail);
        /* Keyset paging rests on the order asked for: a page out of order
         * could hide changes between its anchors, so it is refused rather
         * than trusted. */
        if(!r->tie && lm < prev_lm)
            return kit_fail(err, OC_E_PROTOCOL,
                           "pull contacts: contact %.40s of the page is out of lastmodifieddate "
                           "order (HubSpot was asked for ascending); %s",
                           r->id.data, tail);
        if(r->tie) {
            size_t len = r->id.len;
            if(len >= sizeof p->last_id || strspn(r->id.data, "0123456789") != len ||
               (prevlen && idcmp(r->id.data, len, prev, prevlen) <= 0))
                return kit_fail(err, OC_E_PROTOCOL,
                               "pull contacts: contact id %.40s is not a record id in ascending "
                               "order (HubSpot was asked to sort by hs_object_id); %s",
                               r->id.data, tail);
            memcpy(prev, r->id.data, len + 1);
            prevlen = len;
        }
        prev_lm = lm;
    }
    p->last_lm = prev_lm;
    return OC_OK;
}

static oc_status build_record(struct run *r, const struct kit_json *j, int t)
{
    struct rec *c = &r->rec;
    kit_buf_reset(&c->text);
    c->n = 0;
    int po = kit_json_get(j, t, "properties");
    if(rec_add(c, "id", j, kit_json_get(j, t, "id")) || rec_add(c, LM, j, kit_json_get(j, po, LM)))
        return OC_E_NOMEM;
    /* Only the properties asked for, in the configured order: the output
     * does not depend on the order of HubSpot's answer or on the defaults
     * it adds (hs_object_id, createdate; add them to lookup_properties to
     * get them). Nulls (never set) are omitted. */
    for(size_t i = 0; i < r->pr.n; i++) {
        int v = kit_json_get(j, po, r->pr.v[i]);
        if(!reserved(r->pr.v[i]) && scalar(j, v) && rec_add(c, r->pr.v[i], j, v))
            return OC_E_NOMEM;
    }
    int v = kit_json_get(j, t, "createdAt");
    if(scalar(j, v) && rec_add(c, "created_at", j, v))
        return OC_E_NOMEM;
    v = kit_json_get(j, t, "updatedAt");
    if(scalar(j, v) && rec_add(c, "updated_at", j, v))
        return OC_E_NOMEM;
    rec_done(c);
    return OC_OK;
}

/* Emit the page's contacts not emitted before. A contact counts as
 * emitted once the host has taken it: one it refused was not delivered
 * and stays out of seen, so the rerun, which scans this page again from
 * the saved cursor, emits it. On a stop in the middle the caller saves
 * what went out. */
static oc_status emit_page(struct run *r, const struct kit_json *j, const struct page *p,
                           struct oc_error *err)
{
    for(int i = 0, t = p->results + 1; i < p->n; i++, t = kit_json_skip(j, t)) {
        int64_t lm;
        const char *why;
        identity(r, j, t, &lm, &why);
        if(hs_event_set_has(&r->st.s.seen, r->id.data, lm))
            continue;
        if(build_record(r, j, t))
            return kit_fail(err, OC_E_NOMEM,
                           "pull contacts: out of memory building contact %.40s; state saved, "
                           "a rerun emits only what this run did not",
                           r->id.data);
        if(hs_emit(r->in, "contact", r->id.data, r->rec.f, r->rec.n))
            return kit_fail(err, OC_E_CANCELLED,
                           "pull contacts: the host did not take contact %.40s (stopped after "
                           "%" PRIu64 " contacts it took); state saved up to the last one taken, "
                           "a rerun starts with the one refused and emits none twice",
                           r->id.data, r->emitted);
        r->emitted++;
        if(hs_event_set_add(&r->st.s.seen, r->id.data, lm) < 0)
            return kit_fail(err, OC_E_NOMEM,
                           "pull contacts: out of memory recording contact %.40s; it may be "
                           "emitted again by a rerun",
                           r->id.data);
    }
    return OC_OK;
}

/* Move the scan on after a fully handled page. 1: the scan is complete. */
static int advance(struct run *r, const struct page *p)
{
    struct cstate *st = &r->st;
    if(r->tie) {
        if(p->more) {
            kit_buf_reset(&r->after_id);
            kit_buf_puts(&r->after_id, p->last_id);
            return 0;
        }
        /* Every change at the anchor is handled: on past it. */
        r->tie = 0;
        r->anchor++;
    } else if(!p->more) {
        st->s.cursor = r->end;
        return 1;
    } else if(p->last_lm > r->anchor) {
        r->anchor = p->last_lm;
    } else {
        /* A whole page at one lastmodifieddate: page those by id. */
        r->tie = 1;
        kit_buf_reset(&r->after_id);
        hs_log(r->in, OC_LOG_INFO,
               "pull contacts: a page of contacts share lastmodifieddate %" PRId64
               "; paging them by id",
               r->anchor);
    }
    if(r->anchor > r->end) {
        st->s.cursor = r->end;
        return 1;
    }
    if(r->anchor > st->s.cursor)
        st->s.cursor = r->anchor;
    return 0;
}

/* seen is complete only from seen_from (states written before it existed:
 * from cursor - lookback, what they kept). A lookback raised since would
 * re-read changes that were emitted but are no longer remembered, so the
 * scan starts no earlier than that, and says so. */
static void clamp_lookback(struct run *r)
{
    const struct hs_stream_state *s = &r->st.s;
    int64_t complete = s->seen_from;
    if(complete == HS_PULL_NONE)
        complete = s->cursor - r->in->opt.lookback_ms;
    if(r->anchor >= complete)
        return;
    hs_pull_warn_clamped(r->in, "contacts", "changes", r->in->opt.lookback_ms, s->cursor, complete,
                         r->anchor);
    r->anchor = complete;
}

/* A cursor later than the clock: state written under a clock that was
 * ahead, or this clock is behind. Say so, and how to get out, rather than
 * quietly pull nothing. */
static void warn_future(const struct run *r)
{
    if(r->st.s.cursor <= r->end)
        return;
    hs_pull_warn_future(r->in, "contacts", "changes", r->st.s.cursor, r->end, STATE_KEY);
}

/* Prefix HTTP errors with the stream, keeping status and HTTP details. */
static oc_status with_context(oc_status rc, struct oc_error *err, const char *tail)
{
    return kit_error_wrap(err, rc, "pull contacts", tail);
}

static oc_status scan(struct run *r, struct oc_error *err)
{
    struct oc_instance *in = r->in;
    const struct oc_host *h = in->host;
    for(;;) {
        if(build_body(r))
            return kit_fail(err, OC_E_NOMEM, "pull contacts: out of memory building the request");
        struct kit_http_req req;
        kit_http_req_init(&req, "POST", hs_api_template(in->opt.api, HS_EP_CONTACTS_SEARCH), r->body.data, r->body.len, "contacts.search");
        req.search = 1;
        oc_status rc = kit_http_call(in->http, &req, err);
        r->calls++;
        if(rc == OC_E_NOT_FOUND) {
            rc = with_context(OC_E_CONFIG, err,
                              " (HTTP 404: HubSpot has no contacts search endpoint here; check "
                              "base_url, or HubSpot's changelog if it retired this API; "
                              "state saved, nothing is emitted twice once it works again)");
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
                 * A save that fails overrides the stop's own message, which
                 * would claim the state was saved. */
                if(hs_stream_forget_before(&r->st.s, r->st.s.cursor - in->opt.lookback_ms) &&
                   !rc)
                    rc = kit_fail(err, OC_E_NOMEM, "pull contacts: out of memory");
                oc_status src = state_save(r, err);
                if(src)
                    rc = src;
                if(!rc && h->progress)
                    h->progress(h->ctx, "pull", r->emitted, 0);
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

oc_status hs_pull_contacts_paged(struct oc_instance *in, const struct oc_pull_request *req,
                                 int page_size, struct oc_error *err)
{
    kit_error_clear(err);
    if(!in)
        return kit_fail(err, OC_E_INVALID, "pull contacts: no instance");
    if(page_size < 1 || page_size > HS_CONTACTS_PAGE_MAX)
        return kit_fail(err, OC_E_INVALID, "pull contacts: page size %d is not 1..%d", page_size,
                       HS_CONTACTS_PAGE_MAX);
    if(req && req->types)
        return kit_fail(err, OC_E_INVALID,
                       "pull contacts: --types filters email event types and does not apply to "
                       "the contacts stream; leave it out");
    if(!in->host->emit)
        return kit_fail(err, OC_E_INVALID, "pull contacts: the host gave no emit callback");
    oc_status bad = hs_pull_check_since(req, "contacts", err);
    if(bad)
        return bad;
    struct run r = {.in = in, .page_size = page_size, .end = hs_now_ms(in)};
    hs_stream_state_init(&r.st.s);
    r.st.start = HS_PULL_NONE;
    oc_status rc = OC_OK;
    if(hs_props_parse(in->opt.lookup_properties, &r.pr)) {
        rc = kit_fail(err, OC_E_NOMEM, "pull contacts: out of memory");
        goto out;
    }
    int loaded = state_load(&r, err);
    if(loaded < 0) {
        rc = (oc_status)-loaded;
        goto out;
    }
    if(loaded) {
        r.anchor = r.st.s.cursor - in->opt.lookback_ms;
        if(r.anchor < r.st.start)
            r.anchor = r.st.start;
        clamp_lookback(&r);
        warn_future(&r);
    } else {
        int64_t since = req ? req->since_ms : 0;
        r.st.start = since > 0 ? since : r.end - (int64_t)in->opt.pull_start_days * DAY_MS;
        r.st.s.cursor = r.anchor = r.st.start;
    }
    if(r.anchor > r.end) {
        /* A start in the future, or a clock that went back: nothing can
         * have changed in between yet. */
        hs_log(in, OC_LOG_INFO, "pull contacts: starts at %" PRId64 ", after now; nothing to do",
               r.anchor);
        goto out;
    }
    hs_log(in, OC_LOG_INFO, "pull contacts: changes %" PRId64 "..%" PRId64 " ms", r.anchor, r.end);
    rc = scan(&r, err);
    if(!rc)
        hs_log(in, OC_LOG_INFO, "pull contacts: %" PRIu64 " contacts emitted in %" PRIu64 " calls",
               r.emitted, r.calls);
out:
    state_free(&r.st);
    hs_props_free(&r.pr);
    rec_free(&r.rec);
    kit_buf_free(&r.after_id);
    kit_buf_free(&r.body);
    kit_buf_free(&r.id);
    kit_buf_free(&r.save);
    kit_buf_free(&r.tmp);
    return rc;
}

oc_status hs_pull_contacts(struct oc_instance *in, const struct oc_pull_request *req,
                           struct oc_error *err)
{
    return hs_pull_contacts_paged(in, req, HS_CONTACTS_PAGE_MAX, err);
}
