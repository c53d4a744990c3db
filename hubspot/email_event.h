/*
 * email_event.h - one HubSpot email event (an object of the events array
 * of GET /email/public/v1/events) turned into a flat record.
 *
 * Field names are stable snake_case: camelCase keys are split at word
 * boundaries (emailCampaignId -> email_campaign_id), nested objects are
 * joined with '_' (browser.name -> browser_name, sentBy.created ->
 * sent_by_created), arrays are kept whole as one compact JSON text
 * (OC_FIELD_JSON: a 1.0 host gets it as a string, see hs_emit). id, created,
 * type, recipient, email_campaign_id and url come first when present; the
 * rest follow in the order HubSpot sent them. Unknown keys and unknown
 * event types are kept as they are: HubSpot adds fields and types over
 * time, and dropping them would lose data silently.
 */
#ifndef HS_EMAIL_EVENT_H
#define HS_EMAIL_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "hubspot/host.h"
#include "onecount/connector.h"
#include "plugin/buf.h"
#include "plugin/fieldlist.h"
#include "plugin/json.h"

/* Reusable flattening buffers. Zero-initialise (or HS_EMAIL_EVENT_INIT);
 * all memory is owned by the struct and freed by hs_email_event_free().
 * Reusing one struct for every event of a pull keeps the pull free of
 * per-event allocations once the buffers have grown to the largest event. */
struct hs_email_event {
    struct kit_fieldlist fl;  /* the fields as they are added */
    struct oc_field *fields;  /* the result of hs_email_event_flatten: fl.f */
    size_t n;
    struct kit_buf scratch;    /* names being made; the path of a key not cached */
    /* Names already given in the current event, for an event with a key
     * the cache below does not hold: different HubSpot keys can flatten
     * to one name (appId and app_id), and a record must not carry a field
     * twice. Open addressing, reset per event by bumping gen. */
    struct hs_email_event_slot { uint32_t gen, idx; } *slots;
    uint32_t gen;
    /* Field names by (enclosing key, HubSpot key): every event repeats
     * the same few dozen keys in nearly the same order, so each entry
     * remembers which sibling followed it last time and most keys are
     * found with one compare. Filled as keys come, never evicted (a pull
     * that brings more distinct keys than fit flattens the rest the long
     * way). Entry 0 is the event itself. */
    struct hs_email_event_name {
        uint32_t parent, raw_off, rawlen, name_off, name_len;
        uint32_t name_id;     /* the first entry with this name */
        uint32_t first, next; /* the first child, the next sibling last seen */
        int lead;             /* index among the lead keys, or -1 */
        unsigned char ms_time;    /* hs_ms_time_name(name) */
        unsigned char twin_named; /* hs_twin_suffixed(name) */
    } *names;
    uint32_t nnames;
    uint16_t *table;          /* hash of (parent, key) -> entry, 0 empty */
    uint32_t *stamp;          /* by name_id: the event that gave the name */
    uint32_t stamp_gen;
    int uncached;             /* the current event has a field not cached */
    struct kit_buf arena;     /* the entries' keys and names (NUL-terminated) */
    /* What hs_emit would look for in every name, noted as the cached
     * names are given (hs_email_event_known). */
    uint32_t ms[16];          /* fields named as times in ms */
    uint32_t nms;             /* how many; more than fit: not known */
    int twin_named;
};

#define HS_EMAIL_EVENT_INIT {KIT_FIELDLIST_INIT, NULL, 0, KIT_BUF_INIT}

/* Read an event's identity (id + created, HubSpot's EventId). id (a string
 * or a number in the JSON) is appended, unescaped, to the reset buffer id.
 * Returns 0, or -1 with a reason in why (e.g. "has no id") when the event
 * is not an object, has no non-empty id or no integer created. */
int hs_email_event_identity(const struct kit_json *j, int ev, struct kit_buf *id, int64_t *created,
                            char *why, size_t whysize);

/* Flatten event ev (identity already checked) into e->fields[0..e->n).
 * The fields point into e and stay valid until the next flatten or
 * hs_email_event_free. A key HubSpot repeats is read as
 * hs_email_event_identity reads it (the first copy, kit_json_get's rule);
 * later copies of id, created, type, recipient, emailCampaignId and url
 * are dropped. OC_E_NOMEM when memory ran out; OC_E_PROTOCOL when the
 * identity is missing (never after hs_email_event_identity accepted ev). */
oc_status hs_email_event_flatten(const struct kit_json *j, int ev, struct hs_email_event *e);

/* What the flattener knows of the names of the fields it made last, for
 * hs_emit_clean_known: into *out (pointing into e, valid until the next
 * flatten), or NULL when it does not know (an event with a name its cache
 * did not hold, more ms fields than it notes): then hs_emit finds out. */
const struct hs_record_known *hs_email_event_known(const struct hs_email_event *e,
                                                   struct hs_record_known *out);

void hs_email_event_free(struct hs_email_event *e);

/* Append the stable field name for a HubSpot key (camelCase to
 * snake_case, anything but [a-z0-9] to '_') to out. 0, or -1 on oom. */
int hs_email_event_key(struct kit_buf *out, const char *key, size_t len);

#endif
