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

#include "hubspot/instance.h"
#include "plugin/http.h"

#define HS_PUSH_TRACE_PREFIX "push-"

enum hs_push_status {
    HS_PUSH_OPEN = 0, /* not finished yet */
    HS_PUSH_ADDED,
    HS_PUSH_ALREADY,
    HS_PUSH_FAILED
};

/* Room for a record id kept inside the item (HubSpot's are decimal, up
 * to 20 digits): setting one then costs no allocation. */
#define HS_PUSH_ID_INLINE 24

/* One input on its way. Every string is owned by the item
 * (hs_push_item_free): each is either its own allocation or lives inside
 * the item (text[] from hs_push_item_new, id_text), so code that replaces
 * one goes through hs_push_item_set_id / _clear_id / _set_json. */
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
    size_t cols_hi;    /* the run's column names known when it was read (its own included) */
    /* Some text it carries may hold a secret (the input's own, or text of
     * a server answer not found clean): its push_result is then scanned
     * field by field. Every error set by hs_push_item_fail counts. */
    int suspect;
    /* Later inputs with this email merged into this one's upsert, in input
     * order (owned; each copy's json is dropped once merged). */
    struct hs_push_item *copies, *copies_last, *copy_next;
    struct hs_push_pool *pool;       /* where its block goes back; NULL: malloc'd alone */
    unsigned pool_class;             /* the block's size class in pool */
    char id_text[HS_PUSH_ID_INLINE]; /* record_id's bytes when it fits */
    size_t text_len;                 /* bytes of text[] */
    char text[];                     /* input, email, key, json of hs_push_item_new */
};

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
};

/* Free the blocks pool keeps and zero it. */
void hs_push_pool_free(struct hs_push_pool *pool);

/* hs_push_item_new taking its block from pool (NULL: malloc) and giving
 * it back there when freed. */
struct hs_push_item *hs_push_item_new_in(struct hs_push_pool *pool, uint64_t ord, const char *input,
                                         size_t ilen, const char *email, size_t elen, int key,
                                         const char *json, size_t jlen);

/* A new item for input number ord: one allocation holding the item and
 * copies of input (ilen bytes), email (elen bytes, NULL for none), the key
 * (email lowercased, when key is nonzero) and json (jlen bytes, NULL for
 * none), each NUL-terminated. Strings are only read; NULL on oom. */
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
