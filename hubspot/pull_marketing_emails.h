/*
 * pull_marketing_emails.h - the "marketing_emails" pull stream: HubSpot's
 * marketing emails changed since the stream's cursor, from
 * GET /marketing/v3/emails filtered and sorted on updatedAt, so that a host
 * can join an email event's email_campaign_id to the email it belongs to
 * (primary_email_campaign_id, all_email_campaign_ids).
 *
 * Durable state, host state key "pull/marketing_emails": pull_state's
 * serialized form without a window (pull_state.h),
 *   {"v":1,"cursor":C,"seen_from":F,"seen":[["id",updated_ms],...]}
 * cursor: every email update with updatedAt < C has been emitted (as far as
 * the listing showed it); seen: the (id, updatedAt) pairs emitted with
 * updatedAt >= C - lookback, which the next scan (it starts at C -
 * lookback) skips. Keyed by id and update time, so an email updated again
 * after it was emitted is emitted again.
 */
#ifndef HS_PULL_MARKETING_EMAILS_H
#define HS_PULL_MARKETING_EMAILS_H

#include "hubspot/instance.h"

/* Page size asked of HubSpot (its documented default, API-NOTES.md). */
#define HS_MKT_EMAILS_PAGE_MAX 100

/* The marketing_emails stream (hs_pull dispatches here). Emits one record
 * of kind "marketing_email" per email update: id, name, subject, state,
 * type, publish_date (HubSpot's text), primary_email_campaign_id,
 * all_email_campaign_ids (OC_FIELD_JSON array; a 1.0 host gets its text),
 * updated (ms) and updated_at (ISO 8601), created (ms; hs_emit adds
 * created_at), then HubSpot's other fields flattened as email events are
 * (snake_case, nested objects joined with '_', arrays whole as JSON),
 * except content (the email's body and layout). Records are lent to the
 * host for the emit callback only. State is saved after every page, so an
 * interruption loses nothing and a rerun emits nothing twice. req may be
 * NULL; req->types must be NULL. Fills err on failure; allocates nothing
 * that outlives the call. */
oc_status hs_pull_marketing_emails(struct oc_instance *in, const struct oc_pull_request *req,
                                   struct oc_error *err);

/* The same with the page size given (1..HS_MKT_EMAILS_PAGE_MAX), so tests
 * can page through a few emails. */
oc_status hs_pull_marketing_emails_paged(struct oc_instance *in,
                                         const struct oc_pull_request *req, int page_size,
                                         struct oc_error *err);

#endif
