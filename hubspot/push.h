/*
 * push.h - internals of the list push , shared by push.c (the
 * run: reading input, waves of concurrent calls, statuses), list_check.c
 * (is the list usable), upsert.c (batch upsert and its answers),
 * membership.c (memberships/add and its answer), push_cache.c (email ->
 * record id) and push_set.c (a small hash set).
 *
 * An input becomes a struct hs_push_item the moment it is read (the
 * host's record is only lent until the next next()), travels through an
 * upsert batch (which gives it a record id or an error), waits in the
 * membership queue, and is emitted as one push_result and freed. At any
 * time only a bounded number of items exist: max_concurrency batches of
 * 100, as many copies merged into them (below), the carry list, and up to
 * about two membership chunks.
 *
 * Repeated emails: a copy of an email already in the wave being filled is
 * not sent again. Its properties are merged into the first copy's upsert
 * (later rows win per property) and it rides along in that item's copies
 * list; when the upsert is answered, every copy gets the same record id
 * or error and still its own push_result under its own input id.
 */
#ifndef HS_PUSH_H
#define HS_PUSH_H

#include <stddef.h>
#include <stdint.h>

#include "hubspot/instance.h"
#include "plugin/http.h"

#define HS_PUSH_BATCH 100 /* HubSpot's batch input cap (UNCONFIRMED, widely reported) */
/* Extra upsert calls one whole-batch 400 may cost while being split: two
 * bad inputs in a batch of 100 need at most 28. */
#define HS_PUSH_SPLIT_MAX_EXTRA 30
#define HS_PUSH_TRACE_PREFIX "push-"

enum hs_push_status {
    HS_PUSH_OPEN = 0, /* not finished yet */
    HS_PUSH_ADDED,
    HS_PUSH_ALREADY,
    HS_PUSH_FAILED
};

/* One input on its way. Every string is owned by the item (hs_push_item_free). */
struct hs_push_item {
    uint64_t ord;      /* 1-based position in this run; the trace id is derived from it */
    char *input;       /* the input's name for results ("line 12") */
    char *email;       /* as given, surrounding blanks removed; NULL if none */
    char *key;         /* email lowercased: duplicate and cache key */
    char *json;        /* this input's upsert object, serialized */
    size_t json_len;
    char *record_id;   /* once HubSpot (or the cache) gave one */
    char *error;       /* once it failed */
    int email_only;    /* the input carries no property beyond email */
    int from_cache;    /* record_id came from the instance cache */
    int created;       /* this run's upsert created the contact (HubSpot's "new") */
    int status;        /* enum hs_push_status */
    /* Later inputs with this email merged into this one's upsert, in input
     * order (owned; each copy's json is dropped once merged). */
    struct hs_push_item *copies, *copies_last, *copy_next;
};

/* Free it and the copies merged into it. NULL is a no-op. */
void hs_push_item_free(struct hs_push_item *it);
/* Replace it->error with a formatted message (best effort on oom: the
 * item still fails, with a fixed text). */
void hs_push_item_fail(struct hs_push_item *it, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- push_set.c: a fixed-capacity open-addressing set of byte strings ---- */

/* Keys are borrowed (pointer and length): they must outlive their use in
 * the set, and so must the values of hs_pushset_put. Capacity is fixed at
 * init for `expect` keys; adding more than that fails with -1 rather than
 * growing. */
struct hs_pushset {
    const char **key;
    size_t *len;
    void **val;
    size_t cap; /* power of two, > 2 * expect */
    size_t n, expect;
};

int hs_pushset_init(struct hs_pushset *s, size_t expect); /* 0, or -1 on oom */
void hs_pushset_free(struct hs_pushset *s);
void hs_pushset_clear(struct hs_pushset *s);
/* 1 when added, 0 when already present, -1 when full. */
int hs_pushset_add(struct hs_pushset *s, const char *key, size_t len);
int hs_pushset_has(const struct hs_pushset *s, const char *key, size_t len);
/* hs_pushset_add that also stores val (borrowed) with a new key. */
int hs_pushset_put(struct hs_pushset *s, const char *key, size_t len, void *val);
/* The value stored with key, NULL when absent (or stored as NULL). */
void *hs_pushset_get(const struct hs_pushset *s, const char *key, size_t len);

/* ---- push_cache.c: per-instance email -> record id ---- */

struct hs_push_cache;

/* A direct-mapped cache of `slots` entries (a colliding entry replaces the
 * older one), so its memory is fixed whatever the push volume. NULL on
 * oom. Freed with hs_push_cache_free (NULL-safe). */
struct hs_push_cache *hs_push_cache_new(size_t slots);
void hs_push_cache_free(struct hs_push_cache *c);
/* The record id stored for key (lowercased email) no older than ttl_ms at
 * now_ms, or NULL. Valid until the next change to the cache. */
const char *hs_push_cache_get(struct hs_push_cache *c, const char *key, int64_t now_ms,
                              int64_t ttl_ms);
/* Remember key -> id (both copied). Best effort: on oom nothing is kept. */
void hs_push_cache_put(struct hs_push_cache *c, const char *key, const char *id, int64_t now_ms);
void hs_push_cache_drop(struct hs_push_cache *c, const char *key);

/* ---- per-instance push state (in->push_state), owned by push.c ---- */

#define HS_PUSH_CHECKED_MAX 8

struct hs_push_state {
    char *checked[HS_PUSH_CHECKED_MAX]; /* list ids found usable, owned */
    size_t nchecked;
    struct hs_push_cache *cache;        /* NULL when cache_ttl_ms is 0 */
};

/* The instance's push state, created on first use; NULL on oom. */
struct hs_push_state *hs_push_state_get(struct oc_instance *in);

/* ---- list_check.c ---- */

/* Make sure list_id names a MANUAL or SNAPSHOT contact list before
 * anything is written: GET /crm/v3/lists/{id} once per instance and list
 * (remembered in st). OC_E_CONFIG for an unknown, DYNAMIC or non-contact
 * list, OC_E_AUTH when the token may not read lists, else what the HTTP
 * client said; err says what to do. */
oc_status hs_push_list_check(struct oc_instance *in, struct hs_push_state *st,
                             const char *list_id, struct oc_error *err);
/* Forget that list_id was found usable, so the next push checks it again
 * before writing (after the list turned out gone or no longer static). */
void hs_push_list_forget(struct hs_push_state *st, const char *list_id);
/* Judge the parsed body j of a 200 answer to GET /crm/v3/lists/{id}
 * (j and id borrowed, only read during the call): OC_OK for a MANUAL or
 * SNAPSHOT contact list; OC_E_CONFIG for another processing type or
 * object type, OC_E_PROTOCOL for an answer without a list object or
 * processingType, with err saying what to do. */
oc_status hs_push_list_judge(const struct kit_json *j, const char *id, struct oc_error *err);

/* ---- upsert.c ---- */

/* Serialize one input's upsert object into it->json (replacing it):
 * {"idProperty":"email","id":email,"properties":{...},"objectWriteTraceId":"push-<ord>"}.
 * fields are the host's record fields (only read during the call); empty
 * and null values are left out, so an empty CSV cell never wipes a
 * property in HubSpot. Sets it->email_only. 0, or -1 on oom. */
int hs_upsert_item_json(struct hs_push_item *it, const struct oc_field *fields, size_t n);

/* Merge copy's properties into into's upsert object (copy's win where
 * both have one; into keeps its email, id and trace id) and re-serialize
 * into->json. Both items must come from hs_upsert_item_json; copy is only
 * read. 0, or -1 on oom (into unchanged). */
int hs_upsert_item_merge(struct hs_push_item *into, const struct hs_push_item *copy);

/* Append {"inputs":[...]} for items[0..n) to out (reset first). 0 or -1. */
int hs_upsert_body(struct kit_buf *out, struct hs_push_item *const *items, size_t n);

/* Nonzero when rc means the whole run must stop (no point in more calls). */
int hs_push_is_stop(oc_status rc);

/* Fill err with r->rc and a formatted message, keeping r's HTTP status,
 * correlationId, category and retry hints. Returns r->rc. */
oc_status hs_push_req_fail(struct oc_error *err, const struct kit_http_req *r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same with status rc instead of r->rc (an answer that means the run
 * must stop, whatever the HTTP client called it). Returns rc. */
oc_status hs_push_req_stop(struct oc_error *err, const struct kit_http_req *r, oc_status rc,
                           const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Settle the items of a finished upsert request r (run by the caller over
 * items[0..n)): each item gets a record_id or an error. A whole-batch 400
 * is split to isolate the bad inputs (more calls, at most
 * HS_PUSH_SPLIT_MAX_EXTRA) unless allow_split is 0. Returns OC_OK, or a
 * stop status (hs_push_is_stop, also in err) with the items that could
 * not be settled left open. */
oc_status hs_upsert_settle(struct oc_instance *in, struct kit_http_req *r,
                           struct hs_push_item **items, size_t n, int allow_split,
                           struct oc_error *err);

/* ---- membership.c ---- */

/* Append the JSON array of the items' record ids to out (reset first),
 * each id once. 0 or -1 on oom. */
int hs_membership_body(struct kit_buf *out, struct hs_push_item *const *items, size_t n);

/* Settle the items of a finished memberships/add request r: status
 * ADDED, ALREADY or FAILED (after a retried call, a contact this run
 * created counts as ADDED whatever the retry's answer says); an item whose cached id HubSpot calls missing
 * is handed back OPEN (record_id cleared, from_cache still set) for the
 * caller to forget the cache entry and upsert it again. Returns OC_OK, or
 * a stop status (items left OPEN): among them OC_E_CONFIG when the list
 * itself went away (404) or stopped taking API adds (a 400 naming its
 * processing type), since every later chunk would fail the same way. */
oc_status hs_membership_settle(struct kit_http_req *r, const char *list_id,
                               struct hs_push_item **items, size_t n, struct oc_error *err);

#endif
