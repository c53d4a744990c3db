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
    size_t cols_hi;    /* the run's column names known when it was read (its own included) */
    /* Later inputs with this email merged into this one's upsert, in input
     * order (owned; each copy's json is dropped once merged). */
    struct hs_push_item *copies, *copies_last, *copy_next;
};

/* Free it and the copies merged into it. NULL is a no-op. */
void hs_push_item_free(struct hs_push_item *it);
/* Replace it->error with a formatted message and set status FAILED (best
 * effort on oom: the item still fails, with a fixed text). */
void hs_push_item_fail(struct hs_push_item *it, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Emit one push_result record through the host (host.h's hs_emit): input,
 * email and id when given, status (a finished enum hs_push_status, never
 * OPEN) and, for a failure, error ("failed" when NULL). Every string is
 * borrowed for the call. Returns what hs_emit returned. */
oc_status hs_push_result_emit(struct oc_instance *in, const char *input, const char *email,
                              const char *id, int status, const char *error);

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
