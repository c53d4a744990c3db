/*
 * membership.h - PUT /crm/v3/lists/{id}/memberships/add for the record ids
 * of upserted push items, and reading its answer back onto them
 * (membership.c).
 */
#ifndef HS_MEMBERSHIP_H
#define HS_MEMBERSHIP_H

#include <stddef.h>

#include "hubspot/push_item.h"
#include "plugin/buf.h"
#include "plugin/http.h"

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
 * processing type), since every later chunk would fail the same way.
 * r, list_id and items stay the caller's. */
oc_status hs_membership_settle(struct kit_http_req *r, const char *list_id,
                               struct hs_push_item **items, size_t n, struct oc_error *err);

#endif
