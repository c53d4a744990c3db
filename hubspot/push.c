/*
 * push.c - the list push : upsert contacts by email, add them to
 * a list, one push_result per input.
 *
 * The run works in waves. A wave reads inputs into up to max_concurrency
 * upsert batches of 100 (plus, when a chunk of record ids is ready, one
 * memberships/add), sends them together through kit_http_run (which paces
 * them under the rate limit), and settles every item the answers decide.
 * Memory stays bounded whatever the input size: a wave's batches, the
 * copies merged into them (at most as many as the batches hold), a carry
 * list (inputs handed back for another upsert), and the membership queue,
 * which is drained a chunk per wave while it holds a chunk.
 *
 * A repeated email joins the upsert of its first copy in the wave instead
 * of a later wave (two concurrent upserts of one email could race at
 * HubSpot, and one upsert per copy made a file of 1,000 rows of one
 * address cost 1,000 calls): properties are merged, later rows winning
 * per property, and every copy is answered from that one result with its
 * own push_result. A copy read in a later wave is upserted again, unless
 * it carries only the email and the instance already knows its id.
 *
 * Call count: 1 list check per instance and list, ceil(valid/100) upserts
 * at most (repeated emails within a wave count once; more only when a
 * whole batch is refused and split), ceil(ids/chunk) membership adds. A single sign-up after the check is 2 calls; 1 when the
 * instance already knows the contact's id AND the input carries nothing
 * but the email (with other properties the upsert is what updates them, so
 * it cannot be skipped). The cache is the contact cache lookup shares
 * (idcache.h), kept in the host's state for cache_ttl_ms, so separate runs
 * sharing a state file learn from each other; cache_ttl_ms = 0 turns it
 * off. The list check is kept there too (list_check.c). A cached id HubSpot no longer knows (merged, deleted) is
 * dropped and the input upserted after all.
 *
 * Every input ends with exactly one push_result. When the run has to stop
 * (budget or daily limit, HubSpot unreachable past retries, token
 * refused), the inputs not finished and those not yet read are reported
 * failed with the reason, so the rejects file holds everything left to do.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hubspot/push.h"

#include "hubspot/api_paths.h"
#include "hubspot/email.h"
#include "hubspot/host.h"
#include "hubspot/list_check.h"
#include "hubspot/membership.h"
#include "hubspot/idcache.h"
#include "hubspot/props_check.h"
#include "hubspot/push_item.h"
#include "hubspot/upsert.h"
#include "plugin/error.h"
#include "plugin/strset.h"

#define MAX_CONC 32 /* options.c caps max_concurrency there too */
/* The contact cache is written whole (up to 1 MiB) and the host rewrites
 * its state to keep it, so a save after every wave made a 30,000-contact
 * push write the cache 75 times. What it holds only saves calls (a lost
 * entry costs one call later, never a wrong answer), so during a run it is
 * saved at most this often, and always when the run ends. */
#define IDCACHE_SAVE_EVERY_MS 60000
#define MEMBERSHIP_ENDPOINT "lists.memberships.add"

/* ---- state ---- */

/* What an instance keeps between pushes (its HS_SLOT_PUSH). */
struct hs_push_state {
    struct hs_list_checked checked;
    struct hs_props_catalog props;
};

/* The slot's release: the instance frees the state through it. */
static void push_state_free(void *state)
{
    struct hs_push_state *st = state;
    hs_push_list_checked_free(&st->checked);
    hs_props_catalog_free(&st->props);
    free(st);
}

/* The instance's push state, created on first use; NULL on oom. */
static struct hs_push_state *push_state_get(struct oc_instance *in)
{
    struct hs_slot *slot = &in->slot[HS_SLOT_PUSH];
    if(slot->state)
        return slot->state;
    struct hs_push_state *st = calloc(1, sizeof *st);
    if(!st)
        return NULL;
    slot->state = st;
    slot->release = push_state_free;
    return st;
}

/* ---- item queues ---- */

struct itemq {
    struct hs_push_item **v;
    size_t n, cap;
};

static int q_push(struct itemq *q, struct hs_push_item *it)
{
    if(q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 128;
        struct hs_push_item **v = realloc(q->v, cap * sizeof *v);
        if(!v)
            return -1;
        q->v = v;
        q->cap = cap;
    }
    q->v[q->n++] = it;
    return 0;
}

static void q_free(struct itemq *q)
{
    for(size_t i = 0; i < q->n; i++)
        hs_push_item_free(q->v[i]);
    free(q->v);
    memset(q, 0, sizeof *q);
}

/* ---- the run ---- */

struct run {
    struct oc_instance *in;
    const struct oc_push_request *req;
    struct hs_push_state *st;
    size_t conc, chunk;
    size_t active;               /* batches this wave may fill */
    struct hs_push_item **slots; /* conc batches of HS_PUSH_BATCH */
    size_t *nb;
    struct kit_buf *body;         /* conc upsert bodies + 1 membership body */
    struct kit_http_req *reqs;    /* conc + 1 */
    size_t nreqs_live;           /* requests whose outputs need freeing */
    struct kit_strset wave;       /* key (lowercased email) -> its item in this wave */
    size_t ncopies, copies_max;   /* copies merged into this wave's items */
    struct itemq carry, pending, inflight;
    struct kit_buf mpath;
    uint64_t ord, done, added, already, failed;
    int eof, input_broken;
    int emit_broken; /* the host's emit refused a result: it takes no more */
    /* Property names the inputs carry, in the order first seen (owned);
     * the first ncols_checked were found writable. */
    char **cols;
    size_t ncols, capcols, ncols_checked;
    int props_stop; /* the stop is a column the portal refuses */
    /* Inputs over time (the request's next_within): what is held goes out
     * once linger_ms passed since the oldest of it arrived, or once
     * max_pending inputs are held. */
    int follow;
    int again;          /* the last read found no input within its wait */
    int64_t oldest_ms;  /* when the oldest input held was read */
    size_t max_pending;
    struct hs_idcache *ids; /* the instance's contact cache; NULL when off */
    struct kit_buf scratch; /* the input being read's upsert object, reused */
    struct hs_push_pool pool; /* the items' blocks, reused; freed after the items */
    int64_t ids_saved_ms;   /* when the cache was last saved (or the run began) */
    oc_status stop;
    struct oc_error stop_err;
};

static void progress(struct run *R) { hs_progress(R->in, "push", R->done, 0); }

static void set_stop(struct run *R, oc_status rc, const struct oc_error *why)
{
    if(R->stop)
        return;
    R->stop = rc;
    R->stop_err = *why;
    R->stop_err.struct_size = sizeof R->stop_err;
    R->stop_err.status = rc;
}

static void set_stopf(struct run *R, oc_status rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_stopf(struct run *R, oc_status rc, const char *fmt, ...)
{
    if(R->stop)
        return;
    struct oc_error e = {sizeof e};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.message, sizeof e.message, fmt, ap);
    va_end(ap);
    set_stop(R, rc, &e);
}

/* One push_result. Once the host's emit refused one, nothing more is
 * emitted: it said it cannot take them. */
static void emit_result(struct run *R, const char *input, const char *email, const char *id,
                        int status, const char *error, int clean)
{
    if(R->emit_broken)
        return;
    R->done++;
    if(status == HS_PUSH_ADDED)
        R->added++;
    else if(status == HS_PUSH_ALREADY)
        R->already++;
    else
        R->failed++;
    if(hs_push_result_emit(R->in, input, email, id, status, error, clean)) {
        R->emit_broken = 1;
        set_stopf(R, OC_E_CANCELLED, "the host asked to stop while receiving push results");
    }
}

/* Emit it with its status and free it. */
static void finish(struct run *R, struct hs_push_item *it)
{
    if(it->status == HS_PUSH_OPEN)
        it->status = HS_PUSH_FAILED;
    emit_result(R, it->input, it->email, it->record_id, it->status, it->error, !it->suspect);
    hs_push_item_free(it);
}

/* Whether k is "email" in any case: c | 0x20 is the lowercase letter for
 * either case of it, and no other byte gives it. Per input and per column,
 * strcasecmp cost a call and a locale lookup each time. */
static inline __attribute__((always_inline)) int is_email_name(const char *k)
{
    return (k[0] | 0x20) == 'e' && (k[1] | 0x20) == 'm' && (k[2] | 0x20) == 'a' &&
           (k[3] | 0x20) == 'i' && (k[4] | 0x20) == 'l' && !k[5];
}

/* The record's email value, as field(r, "email") finds it. */
static const char *email_field(const struct oc_record *r)
{
    for(size_t i = 0; i < r->nfields && r->fields; i++)
        if(r->fields[i].key && is_email_name(r->fields[i].key) && r->fields[i].type != OC_FIELD_NULL)
            return r->fields[i].value;
    return NULL;
}

/* s without the blanks (space, tab, CR, LF) around it, its length in
 * *len: kit_trim_span's answer without its calls for the usual address
 * that has none. */
static const char *trim_blanks(const char *s, size_t *len)
{
    while(*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    size_t n = strlen(s);
    while(n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    *len = n;
    return s;
}

static const char *field(const struct oc_record *r, const char *key)
{
    for(size_t i = 0; i < r->nfields && r->fields; i++)
        if(r->fields[i].key && !strcasecmp(r->fields[i].key, key) &&
           r->fields[i].type != OC_FIELD_NULL)
            return r->fields[i].value;
    return NULL;
}

/* Add the property names rec sends (as hs_upsert_item_json picks them)
 * that the run has not seen yet. 0, or -1 on oom. */
static int note_columns(struct run *R, const struct oc_record *rec)
{
    for(size_t i = 0; i < rec->nfields && rec->fields; i++) {
        const struct oc_field *f = &rec->fields[i];
        if(!f->key || !*f->key || is_email_name(f->key) ||
           f->type == OC_FIELD_NULL || !f->value || !*f->value)
            continue;
        size_t k = 0;
        while(k < R->ncols && (R->cols[k][0] != f->key[0] || strcmp(R->cols[k], f->key)))
            k++;
        if(k < R->ncols)
            continue;
        if(R->ncols == R->capcols) {
            size_t cap = R->capcols ? 2 * R->capcols : 16;
            char **v = realloc(R->cols, cap * sizeof *v);
            if(!v)
                return -1;
            R->cols = v;
            R->capcols = cap;
        }
        if(!(R->cols[R->ncols] = strdup(f->key)))
            return -1;
        R->ncols++;
    }
    return 0;
}

/* Read the next input into a new item. *out stays NULL at the end of the
 * input, when the input was finished at once (invalid), or on a stop. */
static oc_status read_input(struct run *R, struct oc_record *rec, int64_t wait_ms)
{
    if(R->follow)
        return R->req->next_within(R->req->next_ctx, rec, wait_ms);
    return R->req->next(R->req->next_ctx, rec);
}

static void read_item(struct run *R, struct hs_push_item **out, int64_t wait_ms)
{
    *out = NULL;
    struct oc_record rec;
    memset(&rec, 0, sizeof rec);
    rec.struct_size = sizeof rec;
    oc_status rc = read_input(R, &rec, wait_ms);
    if(rc == OC_E_AGAIN && R->follow) {
        R->again = 1;
        return;
    }
    if(rc == OC_E_NOT_FOUND) {
        R->eof = 1;
        return;
    }
    if(rc) {
        R->input_broken = 1;
        set_stopf(R, rc, "reading the push input failed (status %d) after %llu inputs", rc,
                  (unsigned long long)R->ord);
        return;
    }
    uint64_t ord = ++R->ord;
    char name[48];
    const char *input = rec.id && *rec.id ? rec.id : NULL;
    size_t ilen = input ? strlen(input) : 0;
    if(!input) {
        int k = snprintf(name, sizeof name, "input %llu", (unsigned long long)ord);
        input = name;
        ilen = k > 0 ? (size_t)k : 0;
    }
    const char *email = email_field(&rec);
    size_t elen = 0;
    const char *trimmed = email ? trim_blanks(email, &elen) : NULL;
    if(!elen)
        trimmed = NULL;
    /* The address is checked before the item is made, so a valid input's
     * item is made once with its upsert object: one allocation. */
    int invalid = rec.kind && rec.kind[0] == 'i' && !strcmp(rec.kind, "invalid");
    const char *problem = NULL, *z = trimmed;
    char tmp[320];
    if(trimmed && trimmed[elen]) {
        z = NULL; /* too long to copy here: checked on the item's copy below */
        if(elen < sizeof tmp) {
            memcpy(tmp, trimmed, elen);
            tmp[elen] = '\0';
            z = tmp;
        }
    }
    int valid = !invalid && z && !(problem = hs_email_problem(z));
    int email_only = 0;
    struct hs_push_item *it = NULL;
    if(valid) {
        kit_buf_reset(&R->scratch);
        if(!hs_upsert_json_write(&R->scratch, ord, trimmed, elen, rec.fields, rec.nfields, &email_only))
            it = hs_push_item_new_in(&R->pool, ord, input, ilen, trimmed, elen, 1, R->scratch.data,
                                     R->scratch.len);
    } else {
        it = hs_push_item_new_in(&R->pool, ord, input, ilen, trimmed, elen, 0, NULL, 0);
    }
    if(!it) {
        /* Still give the input its status before stopping. */
        emit_result(R, input, email, NULL, HS_PUSH_FAILED, "out of memory reading this input", 0);
        set_stopf(R, OC_E_NOMEM, "out of memory reading the push input");
        return;
    }
    it->email_only = email_only;
    /* The input's own text goes into its result: checked here once, so
     * the result need not be scanned field by field. */
    it->suspect = hs_text_may_hold_secret(R->in, it->input) ||
                  (it->email && hs_text_may_hold_secret(R->in, it->email));
    if(invalid) {
        const char *why = field(&rec, "error");
        hs_push_item_fail(it, "%s", why && *why ? why : "the input could not be read");
    } else if(!it->email) {
        hs_push_item_fail(it, "no email: every input needs an email field (in CSV, an 'email' "
                              "column); add it and re-run this input");
    } else if(!valid) {
        if(!problem)
            problem = hs_email_problem(it->email);
        hs_push_item_fail(it, "email '%s' %s; fix the address and re-run this input", it->email,
                          problem);
    } else {
        if(note_columns(R, &rec)) {
            hs_push_item_fail(it, "out of memory noting this input's columns");
            finish(R, it);
            set_stopf(R, OC_E_NOMEM, "out of memory noting the push input's columns");
            return;
        }
        it->cols_hi = R->ncols;
        *out = it;
        return;
    }
    finish(R, it);
}

/* Put it into this wave's first batch with room, or, when its email is
 * already in the wave, merge it into that input's upsert. 1 when placed,
 * 0 when it has to wait for another wave, -1 out of memory. */
static int place(struct run *R, struct hs_push_item *it)
{
    size_t klen = hs_push_item_key_len(it), b = 0;
    while(b < R->active && R->nb[b] == HS_PUSH_BATCH)
        b++;
    /* One lookup: it joins the batch with room unless its email is in
     * the wave already. */
    void *found = NULL;
    if(b < R->active) {
        int added = kit_strset_insert(&R->wave, it->key, klen, it, &found);
        if(added == 1) {
            R->slots[b * HS_PUSH_BATCH + R->nb[b]++] = it;
            return 1;
        }
    } else {
        found = kit_strset_get(&R->wave, it->key, klen);
    }
    struct hs_push_item *first = found;
    if(!first || R->ncopies >= R->copies_max)
        return 0;
    if(hs_upsert_item_merge(first, it))
        return -1;
    hs_push_item_drop_upsert(it); /* merged: only its own name and result are left */
    if(first->copies_last)
        first->copies_last->copy_next = it;
    else
        first->copies = it;
    first->copies_last = it;
    R->ncopies++;
    return 1;
}

static int wave_full(const struct run *R)
{
    return R->nb[R->active - 1] == HS_PUSH_BATCH;
}

/* Queue an item, or (out of memory) finish it failed and stop. */
static void enqueue(struct run *R, struct itemq *q, struct hs_push_item *it)
{
    if(!q_push(q, it))
        return;
    hs_push_item_fail(it, "out of memory queueing this input");
    finish(R, it);
    set_stopf(R, OC_E_NOMEM, "out of memory queueing push inputs");
}

/* Inputs read and not answered yet (merged copies included). */
static size_t held(const struct run *R)
{
    size_t n = R->carry.n + R->pending.n + R->ncopies;
    for(size_t b = 0; b < R->conc; b++)
        n += R->nb[b];
    return n;
}

/* How long the next read may wait for input in a push that follows its
 * input: until linger_ms after the oldest input held; -1 (until one
 * arrives) when none is held; 0 when what is held must go out now. */
static int64_t read_wait(struct run *R)
{
    if(!R->follow)
        return -1;
    size_t h = held(R);
    if(!h)
        return -1;
    if(h >= R->max_pending || R->pending.n)
        return 0;
    int64_t left = R->oldest_ms + R->in->opt.linger_ms - hs_now_ms(R->in);
    return left > 0 ? left : 0;
}

static void fill(struct run *R)
{
    /* When a membership chunk is due it takes one of the wave's slots, so
     * the wave still runs in one round trip: kit_http_run returns only
     * when its slowest request is done, and a 5th request behind 4 would
     * double the wave's time while the rate window sits idle. */
    R->active = R->conc > 1 && R->pending.n >= R->chunk ? R->conc - 1 : R->conc;
    size_t keep = 0;
    for(size_t i = 0; i < R->carry.n; i++) {
        struct hs_push_item *it = R->carry.v[i];
        int placed = R->stop ? 0 : place(R, it);
        if(placed < 0) {
            hs_push_item_fail(it, "out of memory merging this input with an earlier one");
            finish(R, it);
            set_stopf(R, OC_E_NOMEM, "out of memory merging repeated push inputs");
        } else if(!placed) {
            R->carry.v[keep++] = it;
        }
    }
    R->carry.n = keep;
    struct hs_idcache_hit hit;
    /* The copies bound is checked before each read, so whatever is read
     * next can still be merged. */
    while(!R->eof && !R->stop && !wave_full(R) && R->carry.n < HS_PUSH_BATCH &&
          R->ncopies < R->copies_max && R->pending.n < R->chunk + R->conc * HS_PUSH_BATCH) {
        /* Checked before each read: after a cancel nothing more is taken
         * from the input, so what was not read stays the host's to
         * account for. Results still go out after that: the host is
         * listening, it only wants no more work. */
        if(hs_cancelled(R->in)) {
            set_stopf(R, OC_E_CANCELLED, "cancelled: the host asked to stop");
            break;
        }
        /* Following: ids waiting for their list add go out before more is
         * read, and what is held goes out once its time or room is up. */
        if(R->follow && (R->pending.n || held(R) >= R->max_pending))
            break;
        int was_empty = held(R) == 0;
        struct hs_push_item *it;
        R->again = 0;
        read_item(R, &it, read_wait(R));
        if(R->again)
            break;
        if(!it)
            continue;
        if(was_empty)
            R->oldest_ms = hs_now_ms(R->in);
        if(it->email_only && R->ids && hs_idcache_get(R->ids, OC_LOOKUP_EMAIL, it->key, &hit) &&
           hit.id) {
            it->from_cache = !hs_push_item_set_id(it, hit.id, strlen(hit.id));
            if(it->from_cache) {
                it->suspect |= hs_text_may_hold_secret(R->in, it->record_id);
                enqueue(R, &R->pending, it);
                continue;
            }
        }
        int placed = place(R, it);
        if(placed < 0) {
            hs_push_item_fail(it, "out of memory merging this input with an earlier one");
            finish(R, it);
            set_stopf(R, OC_E_NOMEM, "out of memory merging repeated push inputs");
        } else if(!placed) {
            enqueue(R, &R->carry, it);
        }
    }
}

/* Settle the membership chunk in flight: finished items are emitted,
 * stale cache hits go back to the carry list, the rest stay for the stop
 * handler. */
static void settle_membership(struct run *R, struct kit_http_req *r)
{
    struct oc_error e = {sizeof e};
    oc_status rc = hs_membership_settle(r, R->req->list_id, R->inflight.v, R->inflight.n, &e);
    if(rc) {
        set_stop(R, rc, &e);
        return;
    }
    size_t keep = 0;
    for(size_t i = 0; i < R->inflight.n; i++) {
        struct hs_push_item *it = R->inflight.v[i];
        if(it->status != HS_PUSH_OPEN) {
            finish(R, it);
        } else if(it->from_cache && !it->record_id) {
            hs_idcache_drop(R->ids, OC_LOOKUP_EMAIL, it->key);
            it->from_cache = 0;
            enqueue(R, &R->carry, it);
        } else {
            R->inflight.v[keep++] = it;
        }
    }
    R->inflight.n = keep;
}

/* An upserted (or failed, or unsettled) item goes where its state says. */
static void route(struct run *R, struct hs_push_item *it)
{
    if(it->error)
        finish(R, it);
    else if(it->record_id) {
        /* Its upsert is over: the object and key are dead weight while it
         * waits for the list add, and most items alive wait there. */
        hs_push_item_drop_upsert(it);
        enqueue(R, &R->pending, it);
    }
    else
        enqueue(R, &R->carry, it); /* unsettled: the stop handler reports it */
}

/* Hand the outcome of first's upsert to every copy merged into it, and
 * route them after it (so first is the one a membership answer calls
 * added). Before first is routed: finishing it frees it. */
static struct hs_push_item *detach_copies(struct hs_push_item *first)
{
    struct hs_push_item *c = first->copies;
    first->copies = first->copies_last = NULL;
    for(struct hs_push_item *k = c; k; k = k->copy_next) {
        k->suspect |= first->suspect;
        if(first->error)
            hs_push_item_fail(k, "%s", first->error);
        else if(first->record_id && hs_push_item_set_id(k, first->record_id, strlen(first->record_id)))
            hs_push_item_fail(k, "out of memory copying the record id of %s", first->input);
    }
    return c;
}

static void route_copies(struct run *R, struct hs_push_item *c)
{
    while(c) {
        struct hs_push_item *next = c->copy_next;
        c->copy_next = NULL;
        route(R, c);
        c = next;
    }
}

static void settle_batch(struct run *R, struct kit_http_req *r, size_t b)
{
    struct hs_push_item **items = &R->slots[b * HS_PUSH_BATCH];
    size_t n = R->nb[b];
    struct oc_error e = {sizeof e};
    oc_status rc = hs_upsert_settle(R->in, r, items, n, R->stop == OC_OK, &e);
    if(rc)
        set_stop(R, rc, &e);
    int64_t now = R->ids ? hs_now_ms(R->in) : 0;
    for(size_t i = 0; i < n; i++) {
        struct hs_push_item *it = items[i];
        struct hs_push_item *copies = detach_copies(it);
        if(!it->error && it->record_id)
            hs_idcache_put_at(R->ids, OC_LOOKUP_EMAIL, it->key, it->record_id, NULL, 0, now);
        route(R, it);
        route_copies(R, copies);
    }
    R->nb[b] = 0;
}

static void free_reqs(struct run *R)
{
    for(size_t i = 0; i < R->nreqs_live; i++)
        kit_http_req_free(&R->reqs[i]);
    R->nreqs_live = 0;
}

/* Before a wave's upserts go out: the columns its items bring that no
 * earlier wave sent must be properties the portal lets the API write.
 * Nonzero (the run stopped, nothing of this wave sent) when one is not. */
static int check_columns(struct run *R)
{
    size_t hi = R->ncols_checked;
    for(size_t b = 0; b < R->conc; b++)
        for(size_t i = 0; i < R->nb[b]; i++)
            for(const struct hs_push_item *it = R->slots[b * HS_PUSH_BATCH + i]; it;
                it = it == R->slots[b * HS_PUSH_BATCH + i] ? it->copies : it->copy_next)
                if(it->cols_hi > hi)
                    hi = it->cols_hi;
    if(hi == R->ncols_checked)
        return 0;
    struct oc_error e = {sizeof e};
    oc_status rc = hs_props_check(R->in, &R->st->props, (const char *const *)R->cols + R->ncols_checked,
                                  hi - R->ncols_checked, &e);
    if(rc) {
        R->props_stop = rc == OC_E_CONFIG;
        set_stop(R, rc, &e);
        return 1;
    }
    R->ncols_checked = hi;
    return 0;
}

/* One wave: returns 0 when there was nothing left to do. */
static int wave(struct run *R)
{
    fill(R);
    if(R->stop)
        return 0;
    size_t nbatches = 0;
    for(size_t b = 0; b < R->conc; b++)
        nbatches += R->nb[b] > 0;
    if(nbatches && check_columns(R))
        return 0;
    int want_m = R->pending.n >= R->chunk ||
                 (R->pending.n && !nbatches && (R->eof || R->follow) && !R->carry.n);
    if(!nbatches && !want_m)
        return !R->eof || R->carry.n || R->pending.n;

    size_t nreq = 0;
    if(want_m) {
        size_t k = R->pending.n < R->chunk ? R->pending.n : R->chunk;
        for(size_t i = 0; i < k; i++)
            if(q_push(&R->inflight, R->pending.v[i])) {
                /* inflight was sized for a chunk up front; cannot happen */
                set_stopf(R, OC_E_NOMEM, "out of memory sending a membership chunk");
                return 0;
            }
        memmove(R->pending.v, R->pending.v + k, (R->pending.n - k) * sizeof *R->pending.v);
        R->pending.n -= k;
        struct kit_buf *body = &R->body[R->conc];
        if(hs_membership_body(body, R->inflight.v, R->inflight.n)) {
            set_stopf(R, OC_E_NOMEM, "out of memory building a memberships/add body");
            return 0;
        }
        kit_http_req_init(&R->reqs[nreq++], "PUT", kit_buf_str(&R->mpath), body->data, body->len,
                         MEMBERSHIP_ENDPOINT);
        R->nreqs_live = nreq;
    }
    size_t which[MAX_CONC + 1];
    for(size_t b = 0; b < R->conc; b++) {
        if(!R->nb[b])
            continue;
        if(hs_upsert_body(&R->body[b], &R->slots[b * HS_PUSH_BATCH], R->nb[b])) {
            set_stopf(R, OC_E_NOMEM, "out of memory building an upsert body");
            return 0;
        }
        which[nreq] = b;
        kit_http_req_init(&R->reqs[nreq++], "POST",
                          hs_api_template(R->in->opt.api, HS_EP_CONTACTS_BATCH_UPSERT),
                         R->body[b].data, R->body[b].len, "contacts.batch.upsert");
        R->nreqs_live = nreq;
    }

    struct oc_error e = {sizeof e};
    oc_status rc = kit_http_run(R->in->http, R->reqs, nreq, &e);
    if(rc)
        set_stop(R, rc, &e);
    size_t first = 0;
    if(want_m)
        settle_membership(R, &R->reqs[first++]);
    for(size_t i = first; i < nreq; i++)
        settle_batch(R, &R->reqs[i], which[i]);
    free_reqs(R);
    kit_strset_clear(&R->wave);
    R->ncopies = 0;
    int64_t now = hs_now_ms(R->in);
    if(now - R->ids_saved_ms >= IDCACHE_SAVE_EVERY_MS || now < R->ids_saved_ms) {
        hs_idcache_save(R->ids);
        R->ids_saved_ms = now;
    }
    progress(R);
    return !R->stop;
}

/* The run cannot go on: every input not finished, and every input not yet
 * read, gets a failed result saying why. */
static void stop_all(struct run *R)
{
    char why[340];
    /* The HTTP client words a cancel its own way; the result says
     * "cancelled" whoever noticed it first. */
    if(R->stop == OC_E_CANCELLED && !strstr(R->stop_err.message, "cancelled"))
        snprintf(why, sizeof why, "cancelled: %.300s", R->stop_err.message);
    else
        snprintf(why, sizeof why, "%.300s", R->stop_err.message);
    /* Items still in this wave's batches (the input broke while a wave
     * was being filled) join the carry list first. */
    for(size_t b = 0; b < R->conc; b++) {
        for(size_t i = 0; i < R->nb[b]; i++) {
            struct hs_push_item *it = R->slots[b * HS_PUSH_BATCH + i];
            struct hs_push_item *copies = detach_copies(it);
            route(R, it); /* unsettled: to the carry list, reported below */
            route_copies(R, copies);
        }
        R->nb[b] = 0;
    }
    R->ncopies = 0;
    struct itemq *qs[] = {&R->inflight, &R->pending, &R->carry};
    for(size_t q = 0; q < sizeof qs / sizeof qs[0]; q++) {
        for(size_t i = 0; i < qs[q]->n; i++) {
            struct hs_push_item *it = qs[q]->v[i];
            if(it->record_id)
                hs_push_item_fail(it,
                                  "contact %s was upserted, but the push stopped before adding it "
                                  "to list %s: %s; re-run this input (safe: upsert by email and "
                                  "list add are idempotent)",
                                  it->record_id, R->req->list_id, why);
            else
                hs_push_item_fail(it,
                                  "not pushed: the push stopped before this input was finished: "
                                  "%s; re-run it (safe: upsert by email is idempotent)",
                                  why);
            finish(R, it);
        }
        qs[q]->n = 0;
    }
    /* After a cancel the input is not read on: the host knows where it
     * stopped (the last input it handed out) and accounts for the rest. */
    if(R->input_broken || R->stop == OC_E_CANCELLED)
        return;
    char msg[512];
    snprintf(msg, sizeof msg,
             "not attempted: the push stopped before reaching this input: %s; re-run it", why);
    while(R->stop != OC_E_CANCELLED && !R->emit_broken) {
        struct oc_record rec;
        memset(&rec, 0, sizeof rec);
        rec.struct_size = sizeof rec;
        oc_status rc = read_input(R, &rec, -1);
        if(rc)
            break; /* the end, or the input broke: nothing more to report */
        char name[48];
        snprintf(name, sizeof name, "input %llu", (unsigned long long)++R->ord);
        const char *email = field(&rec, "email");
        /* An input the host could not read says so: fixing it is the
         * first thing the user has to do with it. */
        const char *own = rec.kind && !strcmp(rec.kind, "invalid") ? field(&rec, "error") : NULL;
        emit_result(R, rec.id && *rec.id ? rec.id : name, email, NULL, HS_PUSH_FAILED,
                    own && *own ? own : msg, 0);
    }
}

static oc_status run_init(struct run *R, struct oc_instance *in, const struct oc_push_request *req,
                          struct hs_push_state *st)
{
    memset(R, 0, sizeof *R);
    R->in = in;
    R->req = req;
    R->st = st;
    R->conc = in->opt.max_concurrency > 0 ? (size_t)in->opt.max_concurrency : 1;
    if(R->conc > MAX_CONC)
        R->conc = MAX_CONC;
    R->chunk = in->opt.membership_chunk > 0 ? (size_t)in->opt.membership_chunk : 500;
    R->follow = OC_HAS_MEMBER(req, struct oc_push_request, next_within) && req->next_within;
    R->max_pending = in->opt.max_pending > 0 ? (size_t)in->opt.max_pending : 1;
    R->ids = hs_idcache_open(in);
    R->ids_saved_ms = hs_now_ms(in);
    /* As many copies as batch slots: memory of the same order as the
     * batches, and ochost's --rejects bound counts on it. */
    R->copies_max = R->conc * HS_PUSH_BATCH;
    R->slots = calloc(R->conc * HS_PUSH_BATCH, sizeof *R->slots);
    R->nb = calloc(R->conc, sizeof *R->nb);
    R->body = calloc(R->conc + 1, sizeof *R->body);
    R->reqs = calloc(R->conc + 1, sizeof *R->reqs);
    R->inflight.v = calloc(R->chunk, sizeof *R->inflight.v);
    R->inflight.cap = R->chunk;
    if(!R->slots || !R->nb || !R->body || !R->reqs || !R->inflight.v ||
       kit_strset_init(&R->wave, R->conc * HS_PUSH_BATCH))
        return OC_E_NOMEM;
    hs_api_path(&R->mpath, in->opt.api, HS_EP_LIST_MEMBERSHIPS_ADD, req->list_id);
    return kit_buf_ok(&R->mpath) ? OC_OK : OC_E_NOMEM;
}

static void run_free(struct run *R)
{
    free_reqs(R);
    if(R->slots)
        for(size_t b = 0; b < R->conc; b++)
            for(size_t i = 0; i < R->nb[b]; i++)
                hs_push_item_free(R->slots[b * HS_PUSH_BATCH + i]);
    q_free(&R->carry);
    q_free(&R->pending);
    q_free(&R->inflight);
    hs_push_pool_free(&R->pool);
    if(R->body)
        for(size_t i = 0; i <= R->conc; i++)
            kit_buf_free(&R->body[i]);
    kit_strset_free(&R->wave);
    kit_buf_free(&R->mpath);
    kit_buf_free(&R->scratch);
    for(size_t i = 0; i < R->ncols; i++)
        free(R->cols[i]);
    free(R->cols);
    free(R->slots);
    free(R->nb);
    free(R->body);
    free(R->reqs);
}

oc_status hs_push(struct oc_instance *in, const struct oc_push_request *req, struct oc_error *err)
{
    kit_error_clear(err);
    if(!in || !req || !OC_HAS_MEMBER(req, struct oc_push_request, next_ctx) ||
       (!req->next && !(OC_HAS_MEMBER(req, struct oc_push_request, next_within) && req->next_within)))
        return kit_fail(err, OC_E_INVALID,
                       "push: the request is missing or has no next() input callback");
    if(!in->host || !in->host->emit)
        return kit_fail(err, OC_E_INVALID,
                       "push: the host gives no emit() callback to receive push results");
    struct hs_push_state *st = push_state_get(in);
    if(!st)
        return kit_fail(err, OC_E_NOMEM, "push: out of memory");
    hs_props_catalog_new_push(&st->props);
    oc_status rc = hs_push_list_check(in, &st->checked, req->list_id, err);
    /* A list refused for what it is (unknown, DYNAMIC, no scope) is the
     * caller's to fix before any input matters. A check that could not be
     * made (limit, budget, HubSpot unreachable, cancel) says nothing about
     * the inputs: each still gets its failed result below. */
    if(rc == OC_E_CONFIG || rc == OC_E_AUTH || rc == OC_E_INVALID)
        return rc;

    struct run R;
    oc_status check_rc = rc;
    rc = run_init(&R, in, req, st);
    if(rc) {
        run_free(&R);
        return kit_fail(err, rc, "push: out of memory setting up the run");
    }
    if(check_rc) {
        set_stopf(&R, check_rc, "checking list %s failed before anything was written: %.300s",
                  req->list_id, err->message);
        if(KIT_ERR_HAS(err, category)) {
            R.stop_err.http_status = err->http_status;
            R.stop_err.retryable = err->retryable;
            R.stop_err.retry_after_ms = err->retry_after_ms;
            memcpy(R.stop_err.correlation_id, err->correlation_id, sizeof err->correlation_id);
            memcpy(R.stop_err.category, err->category, sizeof err->category);
        }
    }
    while(!R.stop && wave(&R))
        ;
    if(R.stop)
        stop_all(&R);
    hs_idcache_save(R.ids);
    progress(&R);
    if(R.stop) {
        rc = R.stop;
        /* A configuration stop mid-run is about the list: check it again
         * before the next write instead of trusting the old answer. */
        if(rc == OC_E_CONFIG && !R.props_stop)
            hs_push_list_forget(in, &st->checked, req->list_id);
        if(R.props_stop && !R.emit_broken)
            kit_fail(err, rc, "push to list %s: %s", req->list_id, R.stop_err.message);
        else if(R.emit_broken)
            kit_fail(err, rc,
                    "push to list %s stopped after %llu results: the host stopped taking "
                    "push_result records, so the inputs it was not told about have none: %.300s",
                    req->list_id, (unsigned long long)R.done, R.stop_err.message);
        else if(rc == OC_E_CANCELLED)
            kit_fail(err, rc,
                    "push to list %s cancelled after reading %llu inputs (%llu added, %llu already "
                    "members, %llu failed; every input read has a push_result, the input was not "
                    "read further): %.300s",
                    req->list_id, (unsigned long long)R.ord, (unsigned long long)R.added,
                    (unsigned long long)R.already, (unsigned long long)R.failed, R.stop_err.message);
        else
            kit_fail(err, rc,
                    "push to list %s stopped after %llu inputs (%llu added, %llu already members, "
                    "%llu failed; every input has a push_result): %.300s",
                    req->list_id, (unsigned long long)R.done, (unsigned long long)R.added,
                    (unsigned long long)R.already, (unsigned long long)R.failed, R.stop_err.message);
        if(KIT_ERR_HAS(err, category)) {
            err->http_status = R.stop_err.http_status;
            err->retryable = R.stop_err.retryable || rc == OC_E_TRANSIENT || rc == OC_E_BUDGET;
            err->retry_after_ms = R.stop_err.retry_after_ms;
            memcpy(err->correlation_id, R.stop_err.correlation_id, sizeof err->correlation_id);
            memcpy(err->category, R.stop_err.category, sizeof err->category);
        }
    } else if(R.failed) {
        rc = kit_fail(err, OC_E_PARTIAL,
                     "push to list %s: %llu of %llu inputs failed (%llu added, %llu already "
                     "members); see the failed push_result records for why, fix them and re-run "
                     "them (safe: upsert by email and list add are idempotent)",
                     req->list_id, (unsigned long long)R.failed, (unsigned long long)R.done,
                     (unsigned long long)R.added, (unsigned long long)R.already);
    }
    hs_log(in, OC_LOG_INFO, "push to list %s: %llu inputs, %llu added, %llu already members, %llu failed",
           req->list_id, (unsigned long long)R.done, (unsigned long long)R.added,
           (unsigned long long)R.already, (unsigned long long)R.failed);
    hs_log(in, OC_LOG_DEBUG, "push to list %s: the inputs on their way took at most %zu bytes of item blocks",
           req->list_id, hs_push_pool_peak_bytes(&R.pool));
    run_free(&R);
    return rc;
}
