/*
 * lookup.c - "who is this unknown clicker?": contacts by email or record id.
 *
 * Calls (API-NOTES.md 4.1, 4.3; never search, which has its own 5/s limit, a
 * 10,000-result cap and lags behind writes):
 *   one query    GET  /crm/v3/objects/contacts/{email}?idProperty=email&properties=...
 *                     (or /{id}?properties=...); 404 means unknown
 *   several      POST /crm/v3/objects/contacts/batch/read, 100 inputs a call;
 *                     misses come back as 207 errors
 *
 * Queries are worked through in windows of 100 x max_concurrency so memory
 * stays bounded whatever the input size, and one window's batch calls run
 * concurrently. Within a window, duplicate queries cost one lookup; across
 * windows the cache catches them (unless cache_ttl_ms is 0). Answers, misses
 * included, are cached per instance for cache_ttl_ms on the host clock, in
 * a bounded table that evicts the oldest entry.
 *
 * A window needing exactly one lookup uses GET even when the request had
 * several queries: its 404 is an unambiguous miss, whereas batch misses rest
 * on an error shape HubSpot does not document (UNCONFIRMED, API-NOTES.md 4.3).
 */
#include "hubspot/lookup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hubspot/email.h"
#include "hubspot/api_paths.h"
#include "hubspot/host.h"
#include "hubspot/idcache.h"
#include "hubspot/props.h"
#include "plugin/error.h"
#include "plugin/json.h"
#include "plugin/redact.h"
#include "plugin/strset.h"
#include "plugin/text.h"

/* UNCONFIRMED in HubSpot's spec, widely reported (API-NOTES.md 4.3). */
#define BATCH_MAX 100
#define ID_MAX_DIGITS 20

/* ---- answers ---------------------------------------------------------- */

void hs_lookup_answer_free(struct hs_lookup_answer *a)
{
    free(a->text);
    free(a->fields);
    memset(a, 0, sizeof *a);
}

/* Take the pairs built in b as a's fields. -1 on oom (b is freed either way). */
static int answer_take(struct hs_lookup_answer *a, struct kit_buf *b, size_t n)
{
    if(!kit_buf_ok(b) || !n) {
        kit_buf_free(b);
        return -1;
    }
    a->fields = calloc(n, sizeof *a->fields);
    a->text = kit_buf_take(b);
    if(!a->fields || !a->text) {
        hs_lookup_answer_free(a);
        return -1;
    }
    const char *p = a->text;
    for(size_t i = 0; i < n; i++) {
        a->fields[i].key = p;
        p += strlen(p) + 1;
        a->fields[i].value = p;
        p += strlen(p) + 1;
        a->fields[i].type = OC_FIELD_STRING;
    }
    a->nfields = n;
    a->found = 1;
    return 0;
}

/* Append key and the text of token t as a "key\0value\0" pair. Records
 * reach hosts and their logs as they are, so a value holding the access
 * token (an answer echoing it, a property it was pasted into) is masked
 * as every message is; with clean set, control bytes become spaces too
 * (our own fields; property values keep their line breaks: they are the
 * contact's data, and hosts escape them on output). */
static void put_pair(struct kit_buf *b, const char *key, const struct kit_json *j, int t, int clean)
{
    kit_buf_append(b, key, strlen(key) + 1);
    size_t start = b->len;
    kit_json_str(j, t, b);
    /* A \u0000 in HubSpot's text would end the value early anyway; cut it
     * there so the pair walk in answer_take stays in step. */
    if(b->data && b->len > start) {
        char *nul = memchr(b->data + start, '\0', b->len - start);
        if(nul) {
            b->len = (size_t)(nul - b->data);
        }
    }
    kit_buf_putc(b, '\0');
    if(kit_buf_ok(b) && b->data) {
        char *v = b->data + start;
        kit_redact_value(v);
        if(clean)
            kit_text_clean(v);
        b->len = start + strlen(v) + 1;
        b->data[b->len] = '\0';
    }
}

static int scalar(const struct kit_json *j, int t)
{
    enum kit_json_type ty = kit_json_type(j, t);
    return ty == KIT_JSON_STRING || ty == KIT_JSON_NUMBER || ty == KIT_JSON_BOOL;
}

static int has_control(const char *s)
{
    for(const unsigned char *p = (const unsigned char *)s; *p; p++)
        if(*p < 0x20 || *p == 0x7f)
            return 1;
    return 0;
}

/* Record field names of our own, never overwritten by a property. */
static int reserved(const char *name)
{
    return !strcmp(name, "query") || !strcmp(name, "id") || !strcmp(name, "kind") ||
           !strcmp(name, "created_at") || !strcmp(name, "updated_at");
}

/* Append the scalar properties of object po that pr does not name, in
 * HubSpot's order, to b (adding to *n). A record holds each name once:
 * a name the JSON repeats counts at its first place (as kit_json_get reads
 * it), found with a set, since a hostile answer can repeat names by the
 * million. Names no HubSpot property has are left out (empty, \u0000,
 * control bytes: a host could not write them as a field); one holding
 * the token is masked like a value. 0, or -1 on oom. */
static int other_props(const struct kit_json *j, int po, const struct hs_props *pr,
                       struct kit_buf *b, size_t *n)
{
    int m = kit_json_size(j, po), rc = -1;
    char **names = calloc(m > 0 ? (size_t)m : 1, sizeof *names);
    struct kit_strset seen;
    if(!names)
        return -1;
    if(kit_strset_init(&seen, (size_t)m)) {
        free(names);
        return -1;
    }
    for(int i = 0, k = po + 1; i < m; i++, k = kit_json_skip(j, k + 1)) {
        struct kit_buf nb = KIT_BUF_INIT;
        if(kit_json_str(j, k, &nb) || !kit_buf_ok(&nb)) {
            kit_buf_free(&nb);
            goto out;
        }
        if(!nb.len || memchr(nb.data, '\0', nb.len)) {
            kit_buf_free(&nb);
            continue;
        }
        if(!(names[i] = kit_buf_take(&nb)))
            goto out;
        kit_redact_value(names[i]);
        if(has_control(names[i]) || kit_strset_add(&seen, names[i], strlen(names[i])) != 1)
            continue;
        if(scalar(j, k + 1) && !reserved(names[i]) && !hs_props_has(pr, names[i]))
            put_pair(b, names[i], j, k + 1, 0), (*n)++;
    }
    rc = 0;
out:
    for(int i = 0; i < m; i++)
        free(names[i]);
    free(names);
    kit_strset_free(&seen);
    return rc;
}

int hs_lookup_contact_answer(const struct kit_json *j, int obj, const struct hs_props *pr,
                             struct hs_lookup_answer *a)
{
    int idt = kit_json_get(j, obj, "id");
    if(kit_json_type(j, obj) != KIT_JSON_OBJECT || !scalar(j, idt))
        return -2;
    struct kit_buf b = KIT_BUF_INIT;
    size_t n = 0;
    put_pair(&b, "id", j, idt, 0), n++;
    /* The id is the record's id: an empty or unprintable one is no id. */
    if(kit_buf_ok(&b) && (!b.data[sizeof "id"] || has_control(b.data + sizeof "id"))) {
        kit_buf_free(&b);
        return -2;
    }
    int po = kit_json_get(j, obj, "properties");
    if(kit_json_type(j, po) == KIT_JSON_OBJECT) {
        /* Configured properties first, in configured order, so output is
         * stable whatever order HubSpot answers in; then whatever else it
         * returned (hs_object_id, createdate, ...). Nulls are omitted. */
        for(size_t i = 0; i < pr->n; i++) {
            int t = kit_json_get(j, po, pr->v[i]);
            if(!reserved(pr->v[i]) && scalar(j, t))
                put_pair(&b, pr->v[i], j, t, 0), n++;
        }
        if(other_props(j, po, pr, &b, &n)) {
            kit_buf_free(&b);
            return -1;
        }
    }
    int t = kit_json_get(j, obj, "createdAt");
    if(scalar(j, t))
        put_pair(&b, "created_at", j, t, 1), n++;
    t = kit_json_get(j, obj, "updatedAt");
    if(scalar(j, t))
        put_pair(&b, "updated_at", j, t, 1), n++;
    return answer_take(a, &b, n);
}

/* ---- cache --------------------------------------------------------------- */

oc_status hs_lookup_cache_limit(struct oc_instance *in, size_t max)
{
    return hs_idcache_limit(in, max);
}

size_t hs_lookup_cache_count(const struct oc_instance *in)
{
    return hs_idcache_count(hs_idcache_of(in));
}

/* ---- one window of queries --------------------------------------------- */

enum { Q_INVALID, Q_HIT, Q_PEND };

struct hs_lookup_qstate {
    int kind;
    const char *why;          /* Q_INVALID                              */
    struct hs_lookup_answer hit; /* Q_HIT: a copy, so nothing the cache
                                    does later can pull it away          */
    size_t pend;              /* Q_PEND: index into window.p            */
};

static uint32_t key_hash(const char *key)
{
    uint32_t h = 2166136261u;
    for(const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

/* Forget the newest query (answered at once, never held). */
static void window_pop(struct hs_lookup_window *w)
{
    w->nq--;
    hs_lookup_answer_free(&w->q[w->nq].hit);
    free(w->text[w->nq]);
    w->text[w->nq] = NULL;
}

static void window_reset(struct hs_lookup_window *w)
{
    while(w->nq)
        window_pop(w);
    for(size_t i = 0; i < w->np; i++) {
        free(w->p[i].key);
        free(w->p[i].send);
        hs_lookup_answer_free(&w->p[i].a);
    }
    memset(w->p, 0, w->cap * sizeof *w->p);
    w->np = 0;
    for(size_t i = 0; i < w->tsize; i++)
        w->table[i] = -1;
}

static void window_free(struct hs_lookup_window *w)
{
    if(w->p && w->q && w->text)
        window_reset(w);
    free(w->q);
    free(w->p);
    free(w->text);
    free(w->table);
    memset(w, 0, sizeof *w);
}

static int window_init(struct hs_lookup_window *w, size_t cap)
{
    memset(w, 0, sizeof *w);
    w->cap = cap;
    for(w->tsize = 16; w->tsize < 2 * cap; w->tsize *= 2)
        ;
    w->q = calloc(cap, sizeof *w->q);
    w->p = calloc(cap, sizeof *w->p);
    w->text = calloc(cap, sizeof *w->text);
    w->table = malloc(w->tsize * sizeof *w->table);
    if(!w->q || !w->p || !w->text || !w->table) {
        window_free(w);
        return -1;
    }
    window_reset(w);
    return 0;
}

static char *trimmed_dup(const char *s)
{
    size_t n;
    const char *t = kit_trim_span(s ? s : "", " \t\r\n", &n);
    return strndup(t, n);
}

static const char *id_problem(const char *s)
{
    size_t n = strspn(s, "0123456789");
    if(!*s || s[n] || n > ID_MAX_DIGITS)
        return "a HubSpot record id is digits only (e.g. 51); for an address use lookup by email";
    return NULL;
}

/* Copy a cached record into a (empty): "id" first, as HubSpot gave it. */
static int answer_from_cache(struct hs_lookup_answer *a, const struct hs_idcache_hit *h)
{
    struct kit_buf b = KIT_BUF_INIT;
    for(size_t i = 0; i < h->nfields; i++) {
        kit_buf_append(&b, h->fields[i].key, strlen(h->fields[i].key) + 1);
        kit_buf_append(&b, h->fields[i].value, strlen(h->fields[i].value) + 1);
    }
    return answer_take(a, &b, h->nfields);
}

/* Append query q to w and decide how it is answered: invalid, from the
 * cache (a miss, or a record: an id alone, learned from a push, does not
 * answer a lookup), or by a lookup shared with any identical query of the
 * window. */
static oc_status classify(struct hs_idcache *c, int by, const char *q,
                          struct hs_lookup_window *w)
{
    struct hs_lookup_qstate *qs = &w->q[w->nq];
    char *send = trimmed_dup(q), *key = NULL;
    if(!send)
        return OC_E_NOMEM;
    memset(qs, 0, sizeof *qs);
    w->nq++;
    qs->why = by == OC_LOOKUP_EMAIL ? hs_email_problem(send) : id_problem(send);
    if(qs->why) {
        qs->kind = Q_INVALID;
        free(send);
        return OC_OK;
    }
    key = strdup(send);
    if(!key) {
        free(send);
        return OC_E_NOMEM;
    }
    /* HubSpot matches emails case-insensitively (it stores them lowercased),
     * so A@x.com and a@x.com are one contact and one lookup. */
    if(by == OC_LOOKUP_EMAIL)
        for(char *p = key; *p; p++)
            if(*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
    struct hs_idcache_hit h;
    if(hs_idcache_get(c, by, key, &h) && (!h.id || h.fields)) {
        qs->kind = Q_HIT;
        if(h.id && answer_from_cache(&qs->hit, &h)) {
            free(key);
            free(send);
            return OC_E_NOMEM;
        }
        goto drop;
    }
    uint32_t hash = key_hash(key);
    qs->kind = Q_PEND;
    size_t mask = w->tsize - 1, slot = hash & mask;
    for(; w->table[slot] >= 0; slot = (slot + 1) & mask) {
        struct hs_lookup_pend *p = &w->p[w->table[slot]];
        if(p->hash == hash && !strcmp(p->key, key)) {
            qs->pend = (size_t)w->table[slot];
            goto drop;
        }
    }
    qs->pend = w->np;
    w->table[slot] = (long)w->np;
    w->p[w->np++] = (struct hs_lookup_pend){.key = key, .send = send, .hash = hash};
    return OC_OK;
drop:
    free(key);
    free(send);
    return OC_OK;
}

/* ---- fetching ------------------------------------------------------------ */

static oc_status oom(struct oc_error *err, const char *what)
{
    return kit_fail(err, OC_E_NOMEM, "lookup: out of memory %s", what);
}

static void copy_err(struct oc_error *dst, const struct oc_error *src)
{
    if(!KIT_ERR_HAS(dst, message))
        return;
    uint32_t size = dst->struct_size;
    size_t n = size < sizeof *dst ? size : sizeof *dst;
    memcpy(dst, src, n);
    dst->struct_size = size;
}

static oc_status malformed(struct oc_error *err, const char *what)
{
    return kit_fail(err, OC_E_PROTOCOL,
                   "lookup: HubSpot's %s answer has no contact id; rerun with -v and report it "
                   "with the correlation id",
                   what);
}

static oc_status get_one(struct oc_instance *in, int by, struct hs_lookup_pend *p,
                         const struct hs_props *pr, struct oc_error *err)
{
    struct kit_buf path = KIT_BUF_INIT;
    struct kit_http_req r;
    oc_status rc;
    kit_http_req_init(&r, "GET", NULL, NULL, 0, "contacts.read");
    /* The email goes in the path, percent-encoded so '+' and '@' survive
     * (practice, not documented: UNCONFIRMED, API-NOTES.md 4.1). */
    hs_api_path(&path, in->opt.api, HS_EP_CONTACT, p->send);
    int bad = 0;
    char sep = '?';
    if(by == OC_LOOKUP_EMAIL) {
        kit_buf_puts(&path, "?idProperty=email");
        sep = '&';
    }
    if(pr->n) {
        kit_buf_putc(&path, sep);
        kit_buf_puts(&path, "properties=");
        for(size_t i = 0; i < pr->n; i++) {
            if(i)
                kit_buf_putc(&path, ',');
            bad |= kit_url_encode(&path, pr->v[i]);
        }
    }
    if(bad || !kit_buf_ok(&path)) {
        rc = oom(err, "building the request");
        goto out;
    }
    r.path = path.data;
    rc = kit_http_call(in->http, &r, err);
    if(rc == OC_E_NOT_FOUND) {
        p->done = 1;
        rc = OC_OK;
        kit_error_clear(err);
    } else if(rc == OC_OK) {
        int x = hs_lookup_contact_answer(&r.json, 0, pr, &p->a);
        if(x == -1)
            rc = oom(err, "reading a contact");
        else if(x == -2)
            rc = malformed(err, "contact");
        else
            p->done = 1;
    }
out:
    kit_http_req_free(&r);
    kit_buf_free(&path);
    return rc;
}

static int key_eq(int by, const char *a, const char *b)
{
    return by == OC_LOOKUP_EMAIL ? !strcasecmp(a, b) : !strcmp(a, b);
}

/* The open query of w->p[lo, hi) matching text token t, or NULL. */
static struct hs_lookup_pend *match(const struct kit_json *j, int t, int by,
                                    struct hs_lookup_window *w, size_t lo, size_t hi)
{
    if(kit_json_type(j, t) != KIT_JSON_STRING && kit_json_type(j, t) != KIT_JSON_NUMBER)
        return NULL;
    char *s = kit_json_strdup(j, t);
    struct hs_lookup_pend *found = NULL;
    for(size_t i = lo; s && i < hi && !found; i++)
        if(!w->p[i].done && key_eq(by, w->p[i].key, s))
            found = &w->p[i];
    free(s);
    return found;
}

static void mark_missing(const struct kit_json *j, int t, int by, struct hs_lookup_window *w,
                         size_t lo, size_t hi)
{
    struct hs_lookup_pend *p = match(j, t, by, w, lo, hi);
    if(p)
        p->done = 1;
}

oc_status hs_lookup_read_batch(const struct kit_json *j, int by, struct hs_lookup_window *w,
                               size_t lo, size_t hi, const struct hs_props *pr, int *unmatched,
                               struct oc_error *err)
{
    if(kit_json_type(j, 0) != KIT_JSON_OBJECT)
        return kit_fail(err, OC_E_PROTOCOL,
                       "lookup: HubSpot's batch/read answer is not a JSON object; rerun with -v "
                       "and report it with the correlation id");
    int res = kit_json_get(j, 0, "results");
    int n = kit_json_type(j, res) == KIT_JSON_ARRAY ? kit_json_size(j, res) : 0;
    for(int i = 0, t = res + 1; i < n; i++, t = kit_json_skip(j, t)) {
        int kt = by == OC_LOOKUP_EMAIL ? kit_json_path(j, t, "properties.email")
                                       : kit_json_get(j, t, "id");
        struct hs_lookup_pend *p = match(j, kt, by, w, lo, hi);
        int x = p ? hs_lookup_contact_answer(j, t, pr, &p->a) : -2;
        if(x == -1)
            return oom(err, "reading contacts");
        if(x == -2) {
            (*unmatched)++;
            continue;
        }
        p->done = 1;
    }
    int errs = kit_json_get(j, 0, "errors");
    n = kit_json_type(j, errs) == KIT_JSON_ARRAY ? kit_json_size(j, errs) : 0;
    for(int i = 0, e = errs + 1; i < n; i++, e = kit_json_skip(j, e)) {
        mark_missing(j, kit_json_get(j, e, "id"), by, w, lo, hi);
        int ctx = kit_json_get(j, e, "context");
        if(kit_json_type(j, ctx) != KIT_JSON_OBJECT)
            continue;
        int m = kit_json_size(j, ctx);
        for(int k = 0, kt = ctx + 1; k < m; k++, kt = kit_json_skip(j, kt + 1)) {
            int arr = kt + 1;
            if(kit_json_type(j, arr) != KIT_JSON_ARRAY)
                continue;
            int na = kit_json_size(j, arr);
            for(int a = 0, v = arr + 1; a < na; a++, v = kit_json_skip(j, v))
                mark_missing(j, v, by, w, lo, hi);
        }
    }
    return OC_OK;
}

static int batch_body(struct kit_buf *b, int by, const struct hs_lookup_pend *p, size_t n,
                      const struct hs_props *pr)
{
    struct kit_jw w;
    kit_jw_init(&w, b);
    kit_jw_obj(&w);
    if(by == OC_LOOKUP_EMAIL)
        kit_jw_kstr(&w, "idProperty", "email");
    kit_jw_key(&w, "inputs");
    kit_jw_arr(&w);
    for(size_t i = 0; i < n; i++) {
        kit_jw_obj(&w);
        kit_jw_kstr(&w, "id", p[i].send);
        kit_jw_obj_end(&w);
    }
    kit_jw_arr_end(&w);
    kit_jw_key(&w, "properties");
    kit_jw_arr(&w);
    for(size_t i = 0; i < pr->n; i++)
        kit_jw_str(&w, pr->v[i]);
    /* Results are matched to email queries by their email property. */
    if(by == OC_LOOKUP_EMAIL && !hs_props_has(pr, "email"))
        kit_jw_str(&w, "email");
    kit_jw_arr_end(&w);
    kit_jw_obj_end(&w);
    return kit_jw_error(&w) ? -1 : 0;
}

static oc_status batch_read(struct oc_instance *in, int by, struct hs_lookup_window *w,
                            const struct hs_props *pr, struct oc_error *err)
{
    size_t nb = (w->np + BATCH_MAX - 1) / BATCH_MAX;
    struct kit_http_req *reqs = calloc(nb, sizeof *reqs);
    struct kit_buf *bodies = calloc(nb, sizeof *bodies);
    int *unmatched = calloc(nb, sizeof *unmatched);
    size_t ninit = 0;
    oc_status rc = OC_OK;
    if(!reqs || !bodies || !unmatched) {
        rc = oom(err, "preparing batch reads");
        goto out;
    }
    for(size_t b = 0; b < nb; b++, ninit++) {
        size_t lo = b * BATCH_MAX, hi = lo + BATCH_MAX < w->np ? lo + BATCH_MAX : w->np;
        for(size_t i = lo; i < hi; i++)
            w->p[i].batch = b;
        kit_http_req_init(&reqs[b], "POST", hs_api_template(in->opt.api, HS_EP_CONTACTS_BATCH_READ), NULL, 0,
                         "contacts.batch.read");
        if(batch_body(&bodies[b], by, &w->p[lo], hi - lo, pr)) {
            ninit++;
            rc = oom(err, "building a batch read");
            goto out;
        }
        reqs[b].body = bodies[b].data;
        reqs[b].body_len = bodies[b].len;
    }
    rc = kit_http_run(in->http, reqs, nb, err);
    if(rc)
        goto out;
    for(size_t b = 0; b < nb; b++) {
        size_t lo = b * BATCH_MAX, hi = lo + BATCH_MAX < w->np ? lo + BATCH_MAX : w->np;
        if(reqs[b].rc == OC_E_NOT_FOUND) {
            /* Not documented for batch/read; if HubSpot answers a batch of
             * unknown contacts with a plain 404, they are all misses. */
            for(size_t i = lo; i < hi; i++)
                w->p[i].done = 1;
            continue;
        }
        if(reqs[b].rc) {
            rc = reqs[b].rc;
            copy_err(err, &reqs[b].err);
            goto out;
        }
        rc = hs_lookup_read_batch(&reqs[b].json, by, w, lo, hi, pr, &unmatched[b], err);
        if(rc)
            goto out;
    }
    /* A query neither answered nor named in an error is a miss, unless its
     * batch returned a contact we could not pair with any query: then ask
     * for it alone rather than report a contact HubSpot has as unknown. */
    for(size_t i = 0; i < w->np; i++) {
        if(w->p[i].done)
            continue;
        if(!unmatched[w->p[i].batch]) {
            w->p[i].done = 1;
            continue;
        }
        rc = get_one(in, by, &w->p[i], pr, err);
        if(rc)
            goto out;
    }
out:
    for(size_t b = 0; b < ninit; b++)
        kit_http_req_free(&reqs[b]);
    for(size_t b = 0; bodies && b < nb; b++)
        kit_buf_free(&bodies[b]);
    free(reqs);
    free(bodies);
    free(unmatched);
    return rc;
}

/* ---- emitting -------------------------------------------------------------- */

struct scratch {
    struct oc_field *f;
    size_t cap;
};

static oc_status emit_query(struct oc_instance *in, int by, const char *query,
                            const struct hs_lookup_qstate *qs, const struct hs_lookup_window *w,
                            struct scratch *s, int *miss, struct oc_error *err)
{
    const char *q = query ? query : "";
    const struct hs_lookup_answer *a = qs->kind == Q_HIT ? &qs->hit
                                       : qs->kind == Q_PEND ? &w->p[qs->pend].a
                                                            : NULL;
    oc_status rc;
    *miss = !a || !a->found;
    if(a && a->found) {
        if(s->cap < a->nfields + 1) {
            struct oc_field *g = realloc(s->f, (a->nfields + 1) * sizeof *g);
            if(!g)
                return oom(err, "emitting a contact");
            s->f = g;
            s->cap = a->nfields + 1;
        }
        s->f[0] = (struct oc_field){"query", q, OC_FIELD_STRING};
        memcpy(s->f + 1, a->fields, a->nfields * sizeof *a->fields);
        rc = hs_emit(in, "contact", a->fields[0].value, s->f, a->nfields + 1);
    } else if(a) {
        struct oc_field f[] = {{"query", q, OC_FIELD_STRING},
                               {"status", "not_found", OC_FIELD_STRING}};
        rc = hs_emit(in, "lookup_miss", q, f, 2);
    } else {
        char why[256];
        snprintf(why, sizeof why, "%s%s", by == OC_LOOKUP_EMAIL ? "email address " : "",
                 qs->why);
        struct oc_field f[] = {{"query", q, OC_FIELD_STRING},
                               {"status", "invalid", OC_FIELD_STRING},
                               {"error", why, OC_FIELD_STRING}};
        rc = hs_emit(in, "lookup_miss", q, f, 3);
    }
    if(rc == OC_E_CANCELLED)
        return kit_fail(err, rc, "lookup: the host asked to stop");
    if(rc)
        return kit_fail(err, rc, "lookup: the host has no emit callback for records");
    return OC_OK;
}

/* What one lookup has answered so far, for its final status. */
struct tally {
    size_t nqueries, nmiss, ninvalid;
    int kinds; /* 1 << by for each kind of query seen */
    struct scratch s;
};

static oc_status emit_one(struct oc_instance *in, int by, const char *query,
                          const struct hs_lookup_window *w, size_t i, struct tally *t,
                          struct oc_error *err)
{
    int miss;
    oc_status rc = emit_query(in, by, query, &w->q[i], w, &t->s, &miss, err);
    t->nmiss += miss && !rc;
    t->ninvalid += w->q[i].kind == Q_INVALID && !rc;
    return rc;
}

/* Ask HubSpot about w's distinct queries: one GET for one (its 404 is an
 * unambiguous miss), batch reads of up to 100 otherwise. */
static oc_status fetch(struct oc_instance *in, int by, struct hs_lookup_window *w,
                       const struct hs_props *pr, struct oc_error *err)
{
    if(w->np == 1)
        return get_one(in, by, &w->p[0], pr, err);
    if(w->np > 1)
        return batch_read(in, by, w, pr, err);
    return OC_OK;
}

/* Keep what w's lookups learned, then save the cache: once per batch. */
static void remember(struct hs_idcache *c, int by, const struct hs_lookup_window *w)
{
    if(!c)
        return;
    for(size_t i = 0; i < w->np; i++) {
        const struct hs_lookup_pend *p = &w->p[i];
        if(p->a.found) {
            /* Best effort: an id that is no record id (a hostile answer) or
             * a failed allocation only costs a call later. */
            hs_idcache_put(c, by, p->key, p->a.fields[0].value, p->a.fields, p->a.nfields);
            continue;
        }
        /* A record id HubSpot no longer knows (merged, deleted): whatever
         * the cache says maps to it is stale too. */
        if(by == OC_LOOKUP_ID)
            hs_idcache_drop_id(c, p->key);
        hs_idcache_put(c, by, p->key, NULL, NULL, 0);
    }
    hs_idcache_save(c);
}

static oc_status final_status(const struct tally *t, int by, struct oc_error *err)
{
    if(!t->nmiss) {
        kit_error_clear(err);
        return OC_OK;
    }
    return kit_fail(err, OC_E_NOT_FOUND,
                   "lookup: %zu of %zu quer%s found no contact (%zu unknown to HubSpot, %zu "
                   "not valid %s); see the lookup_miss records",
                   t->nmiss, t->nqueries, t->nqueries == 1 ? "y" : "ies", t->nmiss - t->ninvalid,
                   t->ninvalid,
                   by == OC_LOOKUP_EMAIL ? "email addresses"
                   : by == OC_LOOKUP_ID  ? "record ids"
                                         : "email addresses or record ids");
}

/* A fixed list of queries, in windows of 100 x max_concurrency. */
static oc_status lookup_list(struct oc_instance *in, const struct oc_lookup_request *req,
                             struct hs_idcache *cache, const struct hs_props *pr,
                             struct tally *t, struct oc_error *err)
{
    struct hs_lookup_window w = {0};
    oc_status rc = OC_OK;
    size_t conc = in->opt.max_concurrency > 0 ? (size_t)in->opt.max_concurrency : 1;
    size_t wcap = BATCH_MAX * conc;
    if(wcap > req->nqueries)
        wcap = req->nqueries;
    if(window_init(&w, wcap))
        return oom(err, "preparing the lookup");
    t->nqueries = req->nqueries;
    for(size_t base = 0; base < req->nqueries; base += wcap) {
        size_t n = req->nqueries - base < wcap ? req->nqueries - base : wcap, nhit = 0;
        for(size_t i = 0; i < n; i++) {
            if(classify(cache, req->by, req->queries[base + i], &w)) {
                rc = oom(err, "reading the queries");
                goto out;
            }
            nhit += w.q[i].kind == Q_HIT;
        }
        hs_log(in, OC_LOG_DEBUG, "lookup: %zu queries, %zu answered from the cache, %zu to ask",
               n, nhit, w.np);
        if((rc = fetch(in, req->by, &w, pr, err)))
            goto out;
        for(size_t i = 0; i < n; i++)
            if((rc = emit_one(in, req->by, req->queries[base + i], &w, i, t, err)))
                goto out;
        remember(cache, req->by, &w);
        window_reset(&w);
        if(req->nqueries > wcap)
            hs_progress(in, "lookup", base + n, req->nqueries);
    }
out:
    window_free(&w);
    return rc;
}

/* ---- queries that arrive over time ---------------------------------------- */

/* The queries held, one window per kind (email and id batches are
 * separate calls), each with the arrival time of its oldest. */
struct stream {
    struct hs_lookup_window w[2];
    int64_t oldest_ms[2];
    size_t held;
};

/* Send what w holds, emit its answers in arrival order, keep what was
 * learned. */
static oc_status flush(struct oc_instance *in, struct stream *st, int by,
                       struct hs_idcache *cache, const struct hs_props *pr, struct tally *t,
                       struct oc_error *err)
{
    struct hs_lookup_window *w = &st->w[by];
    if(!w->nq)
        return OC_OK;
    hs_log(in, OC_LOG_DEBUG, "lookup: sending %zu held quer%s (%zu to ask)", w->nq,
           w->nq == 1 ? "y" : "ies", w->np);
    oc_status rc = fetch(in, by, w, pr, err);
    for(size_t i = 0; !rc && i < w->nq; i++)
        rc = emit_one(in, by, w->text[i], w, i, t, err);
    if(!rc)
        remember(cache, by, w);
    st->held -= w->nq;
    window_reset(w);
    if(!rc)
        hs_progress(in, "lookup", t->nqueries, 0);
    return rc;
}

static oc_status flush_all(struct oc_instance *in, struct stream *st, struct hs_idcache *cache,
                           const struct hs_props *pr, struct tally *t, struct oc_error *err)
{
    /* The kind whose oldest query waits longest goes first. */
    int first = st->w[OC_LOOKUP_ID].nq &&
                (!st->w[OC_LOOKUP_EMAIL].nq ||
                 st->oldest_ms[OC_LOOKUP_ID] < st->oldest_ms[OC_LOOKUP_EMAIL]);
    oc_status rc = flush(in, st, first, cache, pr, t, err);
    return rc ? rc : flush(in, st, !first, cache, pr, t, err);
}

/* Milliseconds until the oldest held query has lingered linger_ms: -1 when
 * nothing is held, 0 when its time is up. */
static int64_t wait_for(const struct oc_instance *in, const struct stream *st, int64_t now)
{
    int64_t oldest = -1;
    for(int by = 0; by < 2; by++)
        if(st->w[by].nq && (oldest < 0 || st->oldest_ms[by] < oldest))
            oldest = st->oldest_ms[by];
    if(oldest < 0)
        return -1;
    int64_t left = oldest + in->opt.linger_ms - now;
    return left > 0 ? left : 0;
}

/* Take one query that arrived: answered at once when invalid or cached,
 * else held; a kind's window holding a full batch is sent at once. */
static oc_status take(struct oc_instance *in, struct stream *st, int by, const char *query,
                      struct hs_idcache *cache, const struct hs_props *pr, struct tally *t,
                      struct oc_error *err)
{
    struct hs_lookup_window *w = &st->w[by];
    t->nqueries++;
    t->kinds |= 1 << by;
    if(classify(cache, by, query, w)) {
        if(w->nq && w->q[w->nq - 1].kind != Q_PEND)
            window_pop(w);
        return oom(err, "reading a query");
    }
    size_t i = w->nq - 1;
    if(w->q[i].kind != Q_PEND) {
        oc_status rc = emit_one(in, by, query, w, i, t, err);
        window_pop(w);
        return rc;
    }
    if(!(w->text[i] = strdup(query ? query : "")))
        return oom(err, "holding a query");
    if(w->nq == 1)
        st->oldest_ms[by] = hs_now_ms(in);
    st->held++;
    if(w->np >= BATCH_MAX)
        return flush(in, st, by, cache, pr, t, err);
    return OC_OK;
}

static oc_status lookup_stream(struct oc_instance *in, const struct oc_lookup_request *req,
                               struct hs_idcache *cache, const struct hs_props *pr,
                               struct tally *t, struct oc_error *err)
{
    struct stream st = {0};
    oc_status rc = OC_OK;
    size_t cap = in->opt.max_pending > 0 ? (size_t)in->opt.max_pending : 1;
    if(window_init(&st.w[0], cap) || window_init(&st.w[1], cap)) {
        rc = oom(err, "preparing the lookup");
        goto out;
    }
    for(;;) {
        if(hs_cancelled(in)) {
            rc = kit_fail(err, OC_E_CANCELLED,
                          "lookup: the host asked to stop; %zu held quer%s not answered",
                          st.held, st.held == 1 ? "y was" : "ies were");
            goto out;
        }
        int64_t wait = wait_for(in, &st, hs_now_ms(in));
        /* Time is up, or as much is held as may be: send before asking for
         * more, so neither the wait nor the memory grows past its bound. */
        if(wait == 0 || st.held >= cap) {
            if((rc = flush_all(in, &st, cache, pr, t, err)))
                goto out;
            continue;
        }
        int by = OC_LOOKUP_EMAIL;
        const char *q = NULL;
        oc_status got = req->next_query(req->next_query_ctx, wait, &by, &q);
        if(got == OC_OK) {
            if(by != OC_LOOKUP_EMAIL && by != OC_LOOKUP_ID) {
                rc = kit_fail(err, OC_E_INVALID,
                              "lookup: the host's next_query gave by = %d; it must be email (0) "
                              "or id (1)",
                              by);
                goto out;
            }
            if((rc = take(in, &st, by, q, cache, pr, t, err)))
                goto out;
        } else if(got == OC_E_AGAIN) {
            if((rc = flush_all(in, &st, cache, pr, t, err)))
                goto out;
        } else if(got == OC_E_NOT_FOUND) {
            rc = flush_all(in, &st, cache, pr, t, err);
            goto out;
        } else {
            rc = kit_fail(err, got,
                          "lookup: the host's next_query failed (status %d); %zu held quer%s not "
                          "answered",
                          got, st.held, st.held == 1 ? "y was" : "ies were");
            goto out;
        }
    }
out:
    window_free(&st.w[0]);
    window_free(&st.w[1]);
    return rc;
}

oc_status hs_lookup(struct oc_instance *in, const struct oc_lookup_request *req,
                    struct oc_error *err)
{
    struct hs_props pr = {0};
    struct tally t = {0};
    oc_status rc = OC_OK;
    kit_error_clear(err);
    int stream = req && OC_HAS_MEMBER(req, struct oc_lookup_request, next_query) &&
                 req->next_query;
    if(!req || (!stream && req->nqueries && !req->queries) ||
       (!stream && req->by != OC_LOOKUP_EMAIL && req->by != OC_LOOKUP_ID))
        return kit_fail(err, OC_E_INVALID,
                       "lookup: the request needs queries and by = email or id");
    if(!stream && !req->nqueries)
        return OC_OK;
    if(hs_props_parse(in->opt.lookup_properties, &pr)) {
        rc = oom(err, "preparing the lookup");
        goto out;
    }
    struct hs_idcache *cache = hs_idcache_open(in);
    rc = stream ? lookup_stream(in, req, cache, &pr, &t, err)
                : lookup_list(in, req, cache, &pr, &t, err);
    /* What was learned before a failure still saves calls next time. */
    hs_idcache_save(cache);
    if(!rc)
        rc = final_status(&t,
                          !stream                           ? req->by
                          : t.kinds == 1 << OC_LOOKUP_ID    ? OC_LOOKUP_ID
                          : t.kinds == 1 << OC_LOOKUP_EMAIL ? OC_LOOKUP_EMAIL
                                                            : -1,
                          err);
out:
    hs_props_free(&pr);
    free(t.s.f);
    return rc;
}
