/*
 * push_item.h - the list push's shared model: an input on its way (struct
 * hs_push_item), the push_result it ends as, and what a finished request
 * means for the run. push.c (the run), upsert.c and membership.c (the two
 * calls) all use it; it uses none of them.
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
#ifndef HS_PUSH_ITEM_H
#define HS_PUSH_ITEM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hubspot/instance.h"
#include "plugin/http.h"

#define HS_PUSH_TRACE_PREFIX "push-"

enum hs_push_status {
    HS_PUSH_OPEN = 0, /* not finished yet */
    HS_PUSH_ADDED,
    HS_PUSH_ALREADY,
    HS_PUSH_FAILED
};

/* Room for a record id kept inside the item: HubSpot's are decimal, and
 * every one up to 19 digits fits, so setting one costs no allocation (a
 * longer one is still kept, as its own allocation). */
#define HS_PUSH_ID_INLINE 20

/* One input on its way, in two blocks: the item (this struct, its input
 * name and email in text[]) lives until its push_result is out; its
 * upsert part (key and json, in the block at upsert) only until its
 * upsert is over (hs_push_item_drop_upsert). A bulk push holds about
 * 1,400 items at once, most of them waiting for their list add, for
 * which the upsert object is dead weight; dropping it is a pool put, not
 * a copy of the item. Lengths are 32-bit and flags bytes for the same
 * reason: every byte of the struct counts that many times.
 *
 * Every string is owned by the item (hs_push_item_free), so code that
 * replaces one goes through hs_push_item_set_id / _clear_id / _set_json:
 * input and email sit in text[], key in the upsert block, json there or
 * its own allocation (json_apart), record_id in id_text or its own
 * allocation, error its own allocation. */
struct hs_push_item {
    uint64_t ord;      /* 1-based position in this run; the trace id is derived from it */
    char *input;       /* the input's name for results ("line 12") */
    char *email;       /* as given, surrounding blanks removed; NULL if none */
    char *key;         /* email lowercased: duplicate and cache key; NULL once dropped */
    char *json;        /* this input's upsert object, serialized; NULL once dropped */
    char *record_id;   /* once HubSpot (or the cache) gave one */
    char *error;       /* once it failed */
    /* Later inputs with this email merged into this one's upsert, in input
     * order (owned; each copy's upsert part is dropped once merged). */
    struct hs_push_item *copies, *copies_last, *copy_next;
    struct hs_push_pool *pool; /* where its blocks go back; NULL: malloc'd alone */
    char *upsert;              /* the block key and json live in; NULL: none */
    uint32_t json_len;
    uint32_t cols_hi;  /* the run's column names known when it was read (its own included) */
    char id_text[HS_PUSH_ID_INLINE]; /* record_id's bytes when it fits */
    _Bool email_only;  /* the input carries no property beyond email */
    _Bool from_cache;  /* record_id came from the instance cache */
    _Bool created;     /* this run's upsert created the contact (HubSpot's "new") */
    /* Some text it carries may hold a secret (the input's own, or text of
     * a server answer not found clean): its push_result is then scanned
     * field by field. Every error set by hs_push_item_fail counts. */
    _Bool suspect;
    _Bool json_apart;           /* json is its own allocation, not in upsert */
    unsigned char status;       /* enum hs_push_status */
    unsigned char pool_class;   /* the item block's size class in pool */
    unsigned char upsert_class; /* the upsert block's size class in pool */
    char text[];                /* input, then email, each NUL-terminated */
};

/* Bytes of it->key (not NULL). The json of hs_push_item_new starts
 * right after the key's NUL, so while it is there no strlen is needed. */
static inline size_t hs_push_item_key_len(const struct hs_push_item *it)
{
    return it->json && !it->json_apart ? (size_t)(it->json - it->key) - 1 : strlen(it->key);
}

/* Freed item blocks kept for reuse, by size class (HS_PUSH_POOL_GRAIN
 * bytes each step): a bulk push makes and frees an item per input while
 * only a bounded number exist at once, so after the first waves every
 * item reuses a block instead of a malloc and a free. The struct is the
 * caller's (zero it to start); the blocks it keeps are freed by
 * hs_push_pool_free, which must come after every item made from it was
 * freed. A pool serves one thread at a time. */
#define HS_PUSH_POOL_GRAIN 64
#define HS_PUSH_POOL_CLASSES 16 /* blocks up to 1 KiB; larger ones are malloc'd alone */
#define HS_PUSH_POOL_KEEP 8192  /* blocks kept per class at most; more are freed */
struct hs_push_pool {
    void *free[HS_PUSH_POOL_CLASSES]; /* each free block's first word links the next */
    size_t nfree[HS_PUSH_POOL_CLASSES];
    size_t bytes, peak; /* bytes of blocks it has from malloc; their most */
};

/* Free the blocks pool keeps and zero it. */
void hs_push_pool_free(struct hs_push_pool *pool);

/* hs_push_item_new taking its block from pool (NULL: malloc) and giving
 * it back there when freed. */
struct hs_push_item *hs_push_item_new_in(struct hs_push_pool *pool, uint64_t ord, const char *input,
                                         size_t ilen, const char *email, size_t elen, int key,
                                         const char *json, size_t jlen);

/* A new item for input number ord holding copies of input (ilen bytes)
 * and email (elen bytes, NULL for none) in its own block, and the key
 * (email lowercased, when key is nonzero) and json (jlen bytes, NULL for
 * none) in its upsert block, each NUL-terminated. Strings are only read;
 * NULL on oom. */
struct hs_push_item *hs_push_item_new(uint64_t ord, const char *input, size_t ilen, const char *email,
                                      size_t elen, int key, const char *json, size_t jlen);
/* Replace it->record_id by a copy of id[0..len) (inside the item when it
 * fits). 0, or -1 on oom (record_id then NULL). */
int hs_push_item_set_id(struct hs_push_item *it, const char *id, size_t len);
/* Free it->record_id and set it NULL. */
void hs_push_item_clear_id(struct hs_push_item *it);
/* Replace it->json (freed unless it lives in the item) by json (taken:
 * malloc'd, or NULL) of len bytes. */
void hs_push_item_set_json(struct hs_push_item *it, char *json, size_t len);

/* Free its upsert part (key and json, NULL after): for an item whose
 * upsert is over (it waits for its list add, or it is a copy merged into
 * another's upsert); what its push_result needs stays. */
void hs_push_item_drop_upsert(struct hs_push_item *it);

/* Bytes of blocks pool has from malloc now (in items or kept free),
 * and the most it had at once since it was zeroed: what the items of a
 * run add to the process, for a run to log and a test to bound. Counted
 * only where a block is malloc'd or freed, never on reuse. */
size_t hs_push_pool_bytes(const struct hs_push_pool *pool);
size_t hs_push_pool_peak_bytes(const struct hs_push_pool *pool);

/* Free it and the copies merged into it (a pooled block goes back to its
 * pool). NULL is a no-op. */
void hs_push_item_free(struct hs_push_item *it);
/* Replace it->error with a formatted message and set status FAILED (best
 * effort on oom: the item still fails, with a fixed text). */
void hs_push_item_fail(struct hs_push_item *it, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* hs_push_item_fail with the message as n pieces (part[i], len[i] bytes
 * each; only read) put end to end, without printf's cost: for messages
 * a batch can give many of. */
void hs_push_item_fail_parts(struct hs_push_item *it, const char *const *part, const size_t *len,
                             size_t n);

/* Emit one push_result record through the host (host.h's hs_emit): input,
 * email and id when given, status (a finished enum hs_push_status, never
 * OPEN) and, for a failure, error ("failed" when NULL). Every string is
 * borrowed for the call. clean nonzero says no string can hold a secret
 * (each was checked, or made by the plugin): nothing is scanned
 * (hs_emit_clean). clean 0: input, email, id and error are checked with
 * hs_text_may_hold_secret, and only a result where one may hold a secret
 * goes through hs_emit's masking. Returns what hs_emit returned. */
oc_status hs_push_result_emit(struct oc_instance *in, const char *input, const char *email,
                              const char *id, int status, const char *error, int clean);

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

#endif
