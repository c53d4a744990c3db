/*
 * event_context.h - email events in context: with the event_context option
 * on, each email_event record gains email_name and email_subject, the name
 * and subject of the marketing email its email_campaign_id belongs to.
 *
 * The campaign id -> email answers are kept in the host's state under one
 * key, "event_context/campaigns", written whole (JSON, compact):
 *   {"v":1,"campaigns":[["900","name","subject"],["777",until_ms],...]}
 * least recently used first, at most HS_EVENT_CONTEXT_MAX entries. An
 * entry with a time is a campaign HubSpot's marketing emails did not name,
 * remembered until then (a day) so it costs no call and no second warning.
 * A campaign is resolved by listing the marketing emails (GET
 * /marketing/v3/emails, newest update first) until one names it; each page
 * fills every campaign it names, so one call serves many campaigns. The
 * listing's position is reused for HS_EVENT_CONTEXT_LISTING_MS, so
 * campaigns missed one after the other do not list from the top again.
 * Nothing here ever fails a pull: a campaign that cannot be resolved (or a
 * listing HubSpot refused) leaves the event without context, with one
 * WARN.
 */
#ifndef HS_EVENT_CONTEXT_H
#define HS_EVENT_CONTEXT_H

#include <stddef.h>

#include "hubspot/instance.h"

#define HS_EVENT_CONTEXT_KEY "event_context/campaigns"
#define HS_EVENT_CONTEXT_MAX 500
/* Longest name or subject kept (bytes, cut on a UTF-8 boundary). */
#define HS_EVENT_CONTEXT_TEXT_MAX 256
#define HS_EVENT_CONTEXT_UNRESOLVED_MS INT64_C(86400000)
#define HS_EVENT_CONTEXT_LISTING_MS INT64_C(600000)

/* Emit an email_event record (id and fields as hs_emit takes them, all
 * borrowed for the call) through in's host, with email_name and
 * email_subject appended when event_context is on and the record's
 * email_campaign_id resolves; without them otherwise. The campaign is
 * looked up (cache in state, else the marketing emails listing, counted
 * in usage like any call) before the record goes out. Returns hs_emit's
 * status: nonzero means the host did not take the record. The appended
 * fields live in the instance (HS_SLOT_EVENT_CONTEXT) until the next
 * call; the instance frees them. */
oc_status hs_event_context_emit(struct oc_instance *in, const char *id,
                                const struct oc_field *fields, size_t n);

#endif
