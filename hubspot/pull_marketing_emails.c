/*
 * pull_marketing_emails.c - the "marketing_emails" stream: marketing email
 * updates since the cursor, from GET /marketing/v3/emails filtered on
 * updatedAfter/updatedBefore and sorted by updatedAt ascending
 * (API-NOTES.md, "Marketing emails as a stream"), each emitted once.
 *
 * The scan is pull_cursor.c's, as the contacts stream's is, with the
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
#include "hubspot/pull_cursor.h"
#include "hubspot/pull_state.h"
#include "plugin/error.h"
#include "plugin/fieldlist.h"
#include "plugin/isotime.h"
#include "plugin/json.h"
#include "plugin/record.h"

#define STATE_KEY "pull/marketing_emails"
#define STREAM "marketing_emails"

/* HubSpot keys that lead the record, in output order. */
static const char *const lead_keys[] = {"id",   "name",        "subject",
                                        "state", "type",       "publishDate",
                                        "primaryEmailCampaignId", "allEmailCampaignIds"};
#define NLEAD (sizeof lead_keys / sizeof lead_keys[0])

/* One record's fields, and the flattened name being built for the next. */
struct rec {
    struct kit_fieldlist fl;
    struct kit_buf key;
};

struct run {
    struct hs_cursor_run c; /* first: the callbacks get &c */
    struct kit_buf after;   /* "": first page of the query */
    char *next_after;       /* owned: the last page's paging.next.after, or NULL */
    int64_t last_updated;   /* the last page's */
    struct hs_stream_state st; /* "created" holds updatedAt */
    struct rec rec;
    struct kit_buf path, save;
};

static struct run *run_of(struct hs_cursor_run *c) { return (struct run *)c; }

/* ---- the record ---------------------------------------------------------- */

static void rec_free(struct rec *c)
{
    kit_fieldlist_free(&c->fl);
    kit_buf_free(&c->key);
}

/* Start a field named by c->key; its value is appended to fl.text by the
 * caller and ended by end_field. */
static int begin_field(struct rec *c, int type)
{
    return kit_fieldlist_begin(&c->fl, kit_buf_str(&c->key), c->key.len, type);
}

static int end_field(struct rec *c) { return kit_fieldlist_end(&c->fl); }

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
        if(begin_field(c, OC_FIELD_JSON) || kit_json_canonical(j, t, &c->fl.text))
            return -1;
        return end_field(c);
    case KIT_JSON_STRING:
        if(begin_field(c, OC_FIELD_STRING) || kit_json_str(j, t, &c->fl.text))
            return -1;
        return end_field(c);
    case KIT_JSON_NUMBER:
    case KIT_JSON_BOOL: {
        size_t len;
        const char *raw = kit_json_raw(j, t, &len);
        int type = kit_json_type(j, t) == KIT_JSON_NUMBER ? OC_FIELD_NUMBER : OC_FIELD_BOOL;
        if(begin_field(c, type) || kit_buf_append(&c->fl.text, raw, len))
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
    if(set_key(c, name) || begin_field(c, type) || kit_buf_puts(&c->fl.text, value))
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
    struct kit_fieldlist *l = &c->fl;
    for(size_t i = 0; i < l->n; i++) {
        const char *key = kit_fieldlist_key(l, i);
        int dup = !*key;
        for(size_t k = 0; k < kept && !dup; k++)
            dup = !strcmp(l->f[k].key, key);
        if(dup)
            continue;
        kit_fieldlist_keep(l, i, kept);
        kept++;
    }
    l->n = kept;
}

static int build_record(struct rec *c, const struct kit_json *j, int t, int64_t updated)
{
    kit_fieldlist_reset(&c->fl);
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

static int build_path(struct run *r)
{
    char lo[KIT_ISO_MS_SIZE], hi[KIT_ISO_MS_SIZE];
    if(kit_iso_ms(r->c.anchor - 1, lo) || kit_iso_ms(r->c.end + 1, hi))
        return -1;
    struct kit_buf *p = &r->path;
    kit_buf_reset(p);
    hs_api_path(p, r->c.in->opt.api, HS_EP_MARKETING_EMAILS, NULL);
    kit_buf_printf(p, "?limit=%d&sort=updatedAt&updatedAfter=", r->c.page_size);
    kit_url_encode(p, lo);
    kit_buf_puts(p, "&updatedBefore=");
    kit_url_encode(p, hi);
    if(r->after.len) {
        kit_buf_puts(p, "&after=");
        kit_url_encode(p, kit_buf_str(&r->after));
    }
    return kit_buf_ok(p) ? 0 : -1;
}

static int request(struct hs_cursor_run *c, struct kit_http_req *req)
{
    struct run *r = run_of(c);
    if(build_path(r))
        return -1;
    kit_http_req_init(req, "GET", kit_buf_str(&r->path), NULL, 0, "marketing.emails");
    return 0;
}

/* What the driver does not check of a listing page: a paging cursor that
 * could not end, and the order keyset paging rests on. */
static oc_status check_page(struct hs_cursor_run *c, const struct kit_json *j,
                            const struct hs_cursor_page *p, struct oc_error *err)
{
    struct run *r = run_of(c);
    const char *tail = hs_cursor_page_tail;
    free(r->next_after);
    r->next_after = NULL;
    if(p->more) {
        int next = kit_json_path(j, 0, "paging.next.after");
        r->next_after = kit_json_type(j, next) == KIT_JSON_STRING ? kit_json_strdup(j, next) : NULL;
        if(!r->next_after || !*r->next_after || !p->n ||
           (r->after.len && !strcmp(r->next_after, kit_buf_str(&r->after))))
            return kit_fail(err, OC_E_PROTOCOL,
                           "pull " STREAM ": HubSpot's answer says there are more emails but "
                           "gives no new paging.next.after (or no emails), so paging would never "
                           "end; rerun later");
    }
    int64_t prev = INT64_MIN;
    for(int i = 0, t = p->results + 1; i < p->n; i++, t = kit_json_skip(j, t)) {
        const char *why = NULL;
        int64_t updated;
        if(hs_cursor_identity(c, j, t, &updated, &why))
            return kit_fail(err, OC_E_PROTOCOL, "pull " STREAM ": email %d of the page %s; %s",
                           i, why, tail);
        /* Keyset paging rests on the order asked for: a page out of order
         * could hide updates between its anchors. */
        if(updated < prev)
            return kit_fail(err, OC_E_PROTOCOL,
                           "pull " STREAM ": email %.40s of the page is out of updatedAt order "
                           "(HubSpot was asked for sort=updatedAt); %s",
                           c->id.data, tail);
        prev = updated;
    }
    r->last_updated = prev;
    return OC_OK;
}

static int record(struct hs_cursor_run *c, const struct kit_json *j, int t, int64_t updated,
                  const struct oc_field **f, size_t *n)
{
    struct rec *rec = &run_of(c)->rec;
    if(build_record(rec, j, t, updated))
        return -1;
    *f = rec->fl.f;
    *n = rec->fl.n;
    return 0;
}

/* Keyset paging at the page's last updatedAt; only a whole page at the
 * anchor is followed by its "after" cursor. 1: the scan is complete. */
static int advance(struct hs_cursor_run *c, const struct hs_cursor_page *p)
{
    struct run *r = run_of(c);
    if(!p->more)
        return 1;
    kit_buf_reset(&r->after);
    if(r->last_updated > c->anchor)
        c->anchor = r->last_updated;
    else
        kit_buf_puts(&r->after, r->next_after);
    return 0;
}

static oc_status save(struct hs_cursor_run *c, struct oc_error *err)
{
    struct run *r = run_of(c);
    oc_status rc = hs_stream_state_save(c->in->host, STATE_KEY, &r->st, &r->save, err);
    if(rc)
        return hs_cursor_wrap(c, rc, err,
                              " (stopped: nothing saved would cover what came next; the emails "
                              "emitted since the last save may be emitted again by the rerun)");
    return OC_OK;
}

static oc_status load(struct hs_cursor_run *c, struct oc_error *err)
{
    struct run *r = run_of(c);
    oc_status rc = hs_stream_state_load(c->in->host, STATE_KEY, &r->st, err);
    if(rc)
        return rc;
    if(r->st.in_window)
        return kit_fail(err, OC_E_CONFIG,
                       "pull " STREAM ": state key \"%s\" holds a window, which this stream never "
                       "has; delete that member of the state file and rerun with --since set to "
                       "where email updates should start again",
                       STATE_KEY);
    return OC_OK;
}

static const struct hs_cursor_stream marketing_emails = {
    .name = STREAM,
    .state_key = STATE_KEY,
    .kind = "marketing_email",
    .noun = "email",
    .nouns = "emails",
    .things = "updates",
    .answer = "answer",
    .not_found = " (HTTP 404: HubSpot has no marketing emails endpoint here; check base_url, or "
                 "HubSpot's changelog if it retired this API; the stream's state is unchanged)",
    .time_path = "updatedAt",
    .time_missing = "has no readable updatedAt",
    .page_max = HS_MKT_EMAILS_PAGE_MAX,
    /* The filters' bounds are widened by a millisecond: the range is
     * enforced here. */
    .in_range_only = 1,
    .load = load,
    .request = request,
    .check_page = check_page,
    .build_record = record,
    .advance = advance,
    .save = save,
};

oc_status hs_pull_marketing_emails_paged(struct oc_instance *in,
                                         const struct oc_pull_request *req, int page_size,
                                         struct oc_error *err)
{
    struct run r = {0};
    hs_stream_state_init(&r.st);
    r.c.st = &r.st;
    oc_status rc = hs_cursor_pull(&r.c, &marketing_emails, in, req, page_size, err);
    hs_stream_state_free(&r.st);
    rec_free(&r.rec);
    kit_buf_free(&r.after);
    free(r.next_after);
    kit_buf_free(&r.path);
    kit_buf_free(&r.save);
    return rc;
}

oc_status hs_pull_marketing_emails(struct oc_instance *in, const struct oc_pull_request *req,
                                   struct oc_error *err)
{
    return hs_pull_marketing_emails_paged(in, req, HS_MKT_EMAILS_PAGE_MAX, err);
}
