/* event_context.c - see event_context.h. API-NOTES.md, "Marketing emails
 * as a stream", for the listing it reads. */
#include "hubspot/event_context.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/api_paths.h"
#include "hubspot/host.h"
#include "plugin/error.h"
#include "plugin/json.h"
#include "plugin/usage.h"
#include "plugin/utf8.h"

#define PAGE_LIMIT 100

struct entry {
    char *campaign;
    char *name, *subject; /* NULL when unresolved */
    int64_t until;        /* unresolved: ask again after this */
    int primary;          /* filled from the email whose primary it is (this run) */
    uint64_t used;        /* recency: larger is more recent */
};

struct ectx {
    int loaded;
    struct entry *e;
    size_t n, cap;
    uint64_t tick;
    /* The listing in progress: its next page (after), when it began, and
     * whether it reached its end or failed. */
    int64_t listing_at; /* 0: none */
    struct kit_buf after;
    int listing_done, listing_failed;
    struct oc_field *f; /* the enriched record's fields */
    size_t fcap;
    struct kit_buf save;
};

static void entry_free(struct entry *x)
{
    free(x->campaign);
    free(x->name);
    free(x->subject);
}

static void ectx_free(void *p)
{
    struct ectx *c = p;
    for(size_t i = 0; i < c->n; i++)
        entry_free(&c->e[i]);
    free(c->e);
    free(c->f);
    kit_buf_free(&c->after);
    kit_buf_free(&c->save);
    free(c);
}

static struct ectx *ectx_get(struct oc_instance *in)
{
    struct hs_slot *slot = &in->slot[HS_SLOT_EVENT_CONTEXT];
    if(!slot->state && (slot->state = calloc(1, sizeof(struct ectx))))
        slot->release = ectx_free;
    return slot->state;
}

/* A copy of s cut to HS_EVENT_CONTEXT_TEXT_MAX bytes without splitting a
 * UTF-8 sequence. NULL on oom. */
static char *bounded_dup(const char *s)
{
    size_t len = strlen(s), keep = 0;
    while(keep < len) {
        size_t bad = 0;
        size_t step = kit_utf8_seq(s + keep, len - keep, &bad);
        if(!step)
            step = 1;
        if(keep + step > HS_EVENT_CONTEXT_TEXT_MAX)
            break;
        keep += step;
    }
    char *out = malloc(keep + 1);
    if(out) {
        memcpy(out, s, keep);
        out[keep] = '\0';
    }
    return out;
}

static struct entry *find(struct ectx *c, const char *campaign)
{
    for(size_t i = 0; i < c->n; i++)
        if(!strcmp(c->e[i].campaign, campaign))
            return &c->e[i];
    return NULL;
}

static void drop(struct ectx *c, struct entry *x)
{
    entry_free(x);
    *x = c->e[--c->n];
}

/* Keep the cache within bounds: the least recently used go first. */
static void evict(struct ectx *c)
{
    while(c->n > HS_EVENT_CONTEXT_MAX) {
        size_t old = 0;
        for(size_t i = 1; i < c->n; i++)
            if(c->e[i].used < c->e[old].used)
                old = i;
        drop(c, &c->e[old]);
    }
}

/* Set campaign's entry (made when missing): resolved with name and subject
 * (NULL: unresolved until `until`). -1 on oom, the cache unchanged but for
 * a half-made entry's removal. */
static int put(struct ectx *c, const char *campaign, const char *name, const char *subject,
               int64_t until, uint64_t used)
{
    struct entry *x = find(c, campaign);
    if(!x) {
        if(c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 32;
            struct entry *e = realloc(c->e, cap * sizeof *e);
            if(!e)
                return -1;
            c->e = e;
            c->cap = cap;
        }
        x = &c->e[c->n++];
        memset(x, 0, sizeof *x);
        if(!(x->campaign = bounded_dup(campaign))) {
            c->n--;
            return -1;
        }
    }
    char *nn = name ? bounded_dup(name) : NULL, *ns = subject ? bounded_dup(subject) : NULL;
    if((name && !nn) || (subject && !ns)) {
        free(nn);
        free(ns);
        return -1;
    }
    free(x->name);
    free(x->subject);
    x->name = nn;
    x->subject = ns;
    x->until = until;
    if(used > x->used)
        x->used = used;
    return 0;
}

/* ---- state --------------------------------------------------------------- */

/* The cache only saves calls, so a state that cannot be read or written
 * is said once and worked around, never a failed pull. */
static void load(struct oc_instance *in, struct ectx *c)
{
    c->loaded = 1;
    const struct oc_host *h = in->host;
    if(!h->state_get)
        return;
    char small[4096];
    char *buf = small;
    size_t len = 0;
    oc_status rc = h->state_get(h->ctx, HS_EVENT_CONTEXT_KEY, small, sizeof small, &len);
    if(rc == OC_E_RANGE && (buf = malloc(len ? len : 1))) {
        size_t want = len;
        rc = h->state_get(h->ctx, HS_EVENT_CONTEXT_KEY, buf, want, &len);
    } else if(rc == OC_E_RANGE) {
        buf = small;
        rc = OC_E_NOMEM;
    }
    struct kit_json j = {0};
    if(rc == OC_E_NOT_FOUND)
        goto out;
    int bad = rc || kit_json_parse(&j, buf, len, NULL, 0);
    int arr = bad ? -1 : kit_json_get(&j, 0, "campaigns");
    if(!bad && kit_json_type(&j, arr) != KIT_JSON_ARRAY)
        bad = 1;
    for(int i = 0, t = arr + 1; !bad && i < kit_json_size(&j, arr); i++, t = kit_json_skip(&j, t)) {
        int n = kit_json_size(&j, t);
        char *campaign = kit_json_strdup(&j, kit_json_item(&j, t, 0));
        char *name = n == 3 ? kit_json_strdup(&j, kit_json_item(&j, t, 1)) : NULL;
        char *subject = n == 3 ? kit_json_strdup(&j, kit_json_item(&j, t, 2)) : NULL;
        int64_t until = 0;
        if(kit_json_type(&j, t) != KIT_JSON_ARRAY || !campaign ||
           (n == 3 ? !name || !subject
                   : n != 2 || kit_json_int64(&j, kit_json_item(&j, t, 1), &until)) ||
           put(c, campaign, name, subject, until, ++c->tick))
            bad = 1;
        free(campaign);
        free(name);
        free(subject);
    }
    if(bad)
        hs_log(in, OC_LOG_WARN,
               "event_context: the cached campaigns in state key \"%s\" could not be read; "
               "starting an empty cache (events still get their context, at the cost of a few "
               "calls)",
               HS_EVENT_CONTEXT_KEY);
out:
    kit_json_free(&j);
    if(buf != small)
        free(buf);
}

static int by_use(const void *a, const void *b)
{
    const struct entry *x = *(const struct entry *const *)a, *y = *(const struct entry *const *)b;
    return (x->used > y->used) - (x->used < y->used);
}

static void save(struct oc_instance *in, struct ectx *c)
{
    const struct oc_host *h = in->host;
    if(!h->state_put)
        return;
    struct entry **order = malloc((c->n ? c->n : 1) * sizeof *order);
    if(!order)
        return;
    for(size_t i = 0; i < c->n; i++)
        order[i] = &c->e[i];
    qsort(order, c->n, sizeof *order, by_use);
    kit_buf_reset(&c->save);
    struct kit_jw w;
    kit_jw_init(&w, &c->save);
    kit_jw_obj(&w);
    kit_jw_kint(&w, "v", 1);
    kit_jw_key(&w, "campaigns");
    kit_jw_arr(&w);
    for(size_t i = 0; i < c->n; i++) {
        kit_jw_arr(&w);
        kit_jw_str(&w, order[i]->campaign);
        if(order[i]->name) {
            kit_jw_str(&w, order[i]->name);
            kit_jw_str(&w, order[i]->subject);
        } else {
            kit_jw_int(&w, order[i]->until);
        }
        kit_jw_arr_end(&w);
    }
    kit_jw_arr_end(&w);
    kit_jw_obj_end(&w);
    free(order);
    oc_status rc = kit_jw_error(&w) ? OC_E_NOMEM
                                   : h->state_put(h->ctx, HS_EVENT_CONTEXT_KEY, c->save.data,
                                                  c->save.len);
    if(rc)
        hs_log(in, OC_LOG_WARN,
               "event_context: saving the campaign cache (state key \"%s\") failed (status %d); "
               "the next run may look campaigns up again",
               HS_EVENT_CONTEXT_KEY, rc);
}

/* ---- the listing --------------------------------------------------------- */

/* One email of a listing page: its name and subject for every campaign it
 * names. -1 on oom. */
static int fill_from(struct ectx *c, const struct kit_json *j, int t)
{
    char *name = kit_json_strdup(j, kit_json_get(j, t, "name"));
    char *subject = kit_json_strdup(j, kit_json_get(j, t, "subject"));
    int rc = 0;
    struct kit_buf id = KIT_BUF_INIT;
    int all = kit_json_get(j, t, "allEmailCampaignIds");
    int n = kit_json_type(j, all) == KIT_JSON_ARRAY ? kit_json_size(j, all) : 0;
    for(int i = -1, k = all + 1; i < n && !rc; i++) {
        int v = i < 0 ? kit_json_get(j, t, "primaryEmailCampaignId") : k;
        if(i >= 0)
            k = kit_json_skip(j, k);
        enum kit_json_type ty = kit_json_type(j, v);
        kit_buf_reset(&id);
        if((ty != KIT_JSON_STRING && ty != KIT_JSON_NUMBER) || kit_json_str(j, v, &id) || !id.len)
            continue;
        /* A campaign several emails name (an A/B test's) belongs to the
         * one whose primary it is, whatever the listing's order. Filled
         * entries are older than the one asked for, touched after. */
        struct entry *x = find(c, kit_buf_str(&id));
        if(i >= 0 && x && x->name && x->primary)
            continue;
        rc = put(c, kit_buf_str(&id), name ? name : "", subject ? subject : "", 0, c->tick);
        if(!rc)
            find(c, kit_buf_str(&id))->primary = i < 0;
    }
    kit_buf_free(&id);
    free(name);
    free(subject);
    return rc;
}

/* Read the listing's next page into the cache. 0, or -1 when the listing
 * cannot go on (said once, through a WARN). */
static int list_page(struct oc_instance *in, struct ectx *c)
{
    struct kit_buf path = KIT_BUF_INIT;
    hs_api_path(&path, in->opt.api, HS_EP_MARKETING_EMAILS, NULL);
    kit_buf_printf(&path, "?limit=%d&sort=-updatedAt", PAGE_LIMIT);
    if(c->after.len) {
        kit_buf_puts(&path, "&after=");
        kit_url_encode(&path, kit_buf_str(&c->after));
    }
    struct kit_http_req req;
    struct oc_error err = {.struct_size = sizeof err};
    kit_http_req_init(&req, "GET", kit_buf_str(&path), NULL, 0, "marketing.emails");
    oc_status rc = kit_buf_ok(&path) ? kit_http_call(in->http, &req, &err) : OC_E_NOMEM;
    const char *what = rc ? err.message : NULL;
    int results = -1;
    const struct kit_json *j = &req.json;
    if(!rc) {
        results = kit_json_get(j, 0, "results");
        if(kit_json_type(j, results) != KIT_JSON_ARRAY)
            what = "HubSpot's answer has no results array";
    }
    for(int i = 0, t = results + 1; !what && i < kit_json_size(j, results);
        i++, t = kit_json_skip(j, t))
        if(kit_json_type(j, t) == KIT_JSON_OBJECT && fill_from(c, j, t))
            what = "out of memory";
    if(!what) {
        int next = kit_json_path(j, 0, "paging.next.after");
        char *after = kit_json_type(j, next) == KIT_JSON_STRING ? kit_json_strdup(j, next) : NULL;
        if(!after || !*after || (c->after.len && !strcmp(after, kit_buf_str(&c->after)))) {
            c->listing_done = 1;
        } else {
            kit_buf_reset(&c->after);
            kit_buf_puts(&c->after, after);
        }
        free(after);
    }
    if(what) {
        c->listing_failed = 1;
        hs_log(in, OC_LOG_WARN,
               "event_context: reading HubSpot's marketing emails failed (%s); email events go "
               "on without email_name and email_subject until a later run can read them",
               what[0] ? what : "no details");
    }
    kit_http_req_free(&req);
    kit_buf_free(&path);
    return what ? -1 : 0;
}

/* The entry for campaign, resolving it when needed; NULL when it has no
 * context to give. */
static struct entry *resolve(struct oc_instance *in, struct ectx *c, const char *campaign)
{
    int64_t now = hs_now_ms(in);
    struct entry *x = find(c, campaign);
    if(x && !x->name && now >= x->until) {
        drop(c, x);
        x = NULL;
    }
    if(x) {
        x->used = ++c->tick;
        return x->name ? x : NULL;
    }
    if(c->listing_at && now - c->listing_at >= HS_EVENT_CONTEXT_LISTING_MS) {
        c->listing_at = 0;
        c->listing_done = c->listing_failed = 0;
        kit_buf_reset(&c->after);
    }
    if(c->listing_failed)
        return NULL;
    if(!c->listing_at)
        c->listing_at = now;
    int changed = 0;
    while(!(x = find(c, campaign)) && !c->listing_done && !c->listing_failed) {
        if(list_page(in, c))
            break;
        changed = 1;
    }
    if(!x && c->listing_done) {
        if(put(c, campaign, NULL, NULL, now + HS_EVENT_CONTEXT_UNRESOLVED_MS, ++c->tick) == 0) {
            changed = 1;
            hs_log(in, OC_LOG_WARN,
                   "event_context: email campaign %.40s is not named by any of HubSpot's "
                   "marketing emails (the email was deleted, or is not a marketing email); its "
                   "events are emitted without email_name and email_subject, and it is looked up "
                   "again after a day",
                   campaign);
        }
    }
    if(x)
        x->used = ++c->tick;
    if(changed) {
        evict(c);
        x = find(c, campaign);
        save(in, c);
    }
    return x && x->name ? x : NULL;
}

oc_status hs_event_context_emit(struct oc_instance *in, const char *id,
                                const struct oc_field *fields, size_t n)
{
    if(!in->opt.event_context)
        return hs_emit(in, "email_event", id, fields, n);
    const char *campaign = NULL;
    for(size_t i = 0; i < n && !campaign; i++)
        if(fields[i].key && !strcmp(fields[i].key, "email_campaign_id") && fields[i].value &&
           fields[i].type != OC_FIELD_NULL && *fields[i].value)
            campaign = fields[i].value;
    struct ectx *c = campaign ? ectx_get(in) : NULL;
    if(c && !c->loaded)
        load(in, c);
    struct entry *x = c ? resolve(in, c, campaign) : NULL;
    if(x && n + 2 > c->fcap) {
        struct oc_field *f = realloc(c->f, (n + 2) * sizeof *f);
        if(f) {
            c->f = f;
            c->fcap = n + 2;
        }
    }
    if(!x || n + 2 > c->fcap)
        return hs_emit(in, "email_event", id, fields, n);
    memcpy(c->f, fields, n * sizeof *fields);
    c->f[n] = (struct oc_field){"email_name", x->name, OC_FIELD_STRING};
    c->f[n + 1] = (struct oc_field){"email_subject", x->subject, OC_FIELD_STRING};
    return hs_emit(in, "email_event", id, c->f, n + 2);
}
