/*
 * upsert.h - POST /crm/v3/objects/contacts/batch/upsert for a batch of
 * push items: each item's upsert object, the batch body, and reading the
 * answer back onto the items (upsert.c).
 */
#ifndef HS_UPSERT_H
#define HS_UPSERT_H

#include <stddef.h>
#include <stdint.h>

#include "hubspot/instance.h"
#include "hubspot/push_item.h"
#include "plugin/buf.h"
#include "plugin/http.h"

#define HS_PUSH_BATCH 100 /* HubSpot's batch input cap (UNCONFIRMED, widely reported) */
/* Extra upsert calls one whole-batch 400 may cost while being split: two
 * bad inputs in a batch of 100 need at most 28. */
#define HS_PUSH_SPLIT_MAX_EXTRA 30

/* Append one input's upsert object (the form below, trace id from ord)
 * to out, which is not reset: a caller reusing one buffer for every input
 * allocates nothing per input. *email_only is set as below. 0, or -1 on
 * oom. email, fields and out stay the caller's. */
int hs_upsert_json_write(struct kit_buf *out, uint64_t ord, const char *email, size_t elen,
                         const struct oc_field *fields, size_t n, int *email_only);

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

/* Settle the items of a finished upsert request r (run by the caller over
 * items[0..n)): each item gets a record_id or an error. A whole-batch 400
 * is split to isolate the bad inputs (more calls through in's HTTP
 * client, at most HS_PUSH_SPLIT_MAX_EXTRA) unless allow_split is 0 (in
 * is then not used and may be NULL). Returns OC_OK, or a stop status
 * (hs_push_is_stop, also in err) with the items that could not be
 * settled left open. r and items stay the caller's. */
oc_status hs_upsert_settle(struct oc_instance *in, struct kit_http_req *r,
                           struct hs_push_item **items, size_t n, int allow_split,
                           struct oc_error *err);

#endif
