/*
 * pull_contacts.h - the "contacts" pull stream: contacts changed since the
 * stream's cursor, through POST /crm/v3/objects/contacts/search sorted by
 * lastmodifieddate, without ever running into search's 10,000-result cap
 * (see pull_contacts.c for how).
 *
 * Durable state, host state key "pull/contacts" (JSON, compact):
 *   {"v":1,"start":S,"cursor":C,"seen":[["id",lastmodified_ms],...]}
 * start: where the stream began (--since, or pull_start_days back); cursor:
 * every contact change with lastmodifieddate < C has been emitted (as far
 * as the search index showed it); seen: the (id, lastmodifieddate) pairs
 * emitted with lastmodifieddate >= C - lookback, which the next scan (it
 * starts at C - lookback, because search lags behind writes) skips. seen
 * is bounded by the changes of one lookback period plus the ties at C.
 */
#ifndef HS_PULL_CONTACTS_H
#define HS_PULL_CONTACTS_H

#include "hubspot/instance.h"

/* Largest page search allows (API-NOTES.md 3.2). */
#define HS_CONTACTS_PAGE_MAX 200

/* The contacts stream (hs_pull dispatches here for stream "contacts").
 * Emits one record of kind "contact" per contact change: id,
 * lastmodifieddate (HubSpot's text), the lookup_properties in their
 * configured order, the other properties HubSpot returned, created_at,
 * updated_at; all strings, nulls omitted. Records are lent to the host
 * for the emit callback only. State is saved after every page, so an
 * interruption (host cancel, DAILY limit, budget, network) loses nothing
 * and a rerun emits nothing twice. req may be NULL (defaults); req->types
 * must be NULL (event types are email_events' filter). Fills err on
 * failure; allocates nothing that outlives the call. */
oc_status hs_pull_contacts(struct oc_instance *in, const struct oc_pull_request *req,
                           struct oc_error *err);

/* The same with the page size given (1..HS_CONTACTS_PAGE_MAX), so tests
 * can page through a few contacts; hs_pull_contacts uses the maximum. */
oc_status hs_pull_contacts_paged(struct oc_instance *in, const struct oc_pull_request *req,
                                 int page_size, struct oc_error *err);

#endif
