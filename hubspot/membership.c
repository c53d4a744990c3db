/*
 * membership.c - PUT /crm/v3/lists/{id}/memberships/add for the record ids
 * of upserted contacts, and reading its answer back onto the items.
 *
 * HubSpot answers which ids it added (recordsIdsAdded, sic) and which do
 * not exist (recordIdsMissing); an id in neither was already a member
 * ("records that are already members of the list are ignored"). Adding
 * twice changes nothing, which is what makes a retry after a lost answer
 * safe. The price of that: when the first answer was lost after HubSpot
 * applied it, the retry's answer calls those contacts already members.
 * They are in the list either way. A contact this run's upsert created
 * cannot have been a member before the run, so after a retry it is
 * reported added; one that existed before stays already_member, the one
 * case where the status can be wrong (HubSpot's answer cannot tell).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hubspot/membership.h"
#include "plugin/error.h"
#include "plugin/strset.h"

/* Append id quoted: HubSpot's ids are digits, written as they are;
 * anything else goes through the JSON writer. */
static void put_id(struct kit_buf *out, const char *id, size_t len)
{
    size_t d = 0;
    while(d < len && id[d] >= '0' && id[d] <= '9')
        d++;
    if(d < len || (out->oom || !out->data || out->cap - out->len <= len + 2)) {
        kit_json_quote(out, id, len);
        return;
    }
    char *to = out->data + out->len;
    to[0] = '"';
    memcpy(to + 1, id, len);
    to[len + 1] = '"';
    out->len += len + 2;
    out->data[out->len] = '\0';
}

int hs_membership_body(struct kit_buf *out, struct hs_push_item *const *items, size_t n)
{
    struct kit_strset seen;
    if(kit_strset_init(&seen, n))
        return -1;
    kit_buf_reset(out);
    kit_buf_putc(out, '[');
    int first = 1;
    for(size_t i = 0; i < n; i++) {
        const char *id = items[i]->record_id;
        size_t idlen = id ? strlen(id) : 0;
        if(!id || kit_strset_add(&seen, id, idlen) != 1)
            continue; /* one contact pushed twice in a chunk is sent once */
        if(!first)
            kit_buf_putc(out, ',');
        first = 0;
        put_id(out, id, idlen);
    }
    kit_buf_putc(out, ']');
    kit_strset_free(&seen);
    return kit_buf_ok(out) ? 0 : -1;
}

enum { ID_FIRST = 1, ID_ADDED = 2, ID_MISSING = 4 };

/* Mark, on the first item holding each id that array token arr of j
 * lists, what the answer says of it (bit). Ids are decimal strings, so
 * the raw (still escaped) text equals the unescaped; a number item
 * (should HubSpot ever send one) reads the same. ids maps an id to its
 * first item's index + 1. */
static void mark_listed(const struct kit_strset *ids, const struct kit_json *j, int arr,
                        unsigned char *mark, unsigned char bit)
{
    int n = kit_json_type(j, arr) == KIT_JSON_ARRAY ? kit_json_size(j, arr) : 0;
    int t = arr + 1;
    for(int i = 0; i < n; i++, t = kit_json_skip(j, t)) {
        size_t len;
        const char *s = kit_json_raw(j, t, &len);
        uintptr_t first = s ? (uintptr_t)kit_strset_get(ids, s, len) : 0;
        if(first)
            mark[first - 1] |= bit;
    }
}

/* Whether a 400 is about the list's processing type. The wording is
 * UNCONFIRMED (API-NOTES.md 5.2: "probably 400"), so any mention of the
 * processing type or of its values counts. */
static int about_processing_type(const struct kit_http_req *r)
{
    static const char *const words[] = {"processingtype", "processing type", "dynamic", "manual",
                                        "snapshot"};
    char *said = r->json.ntok > 0 ? kit_json_strdup(&r->json, kit_json_get(&r->json, 0, "message"))
                                  : NULL;
    int hit = 0;
    for(size_t i = 0; i < sizeof words / sizeof words[0] && !hit; i++)
        hit = (said && strcasestr(said, words[i])) || strcasestr(r->err.message, words[i]);
    free(said);
    return hit;
}

/* A refused memberships/add (r->rc set): a stop for the whole run, or
 * every item of the chunk failed with HubSpot's words. */
static oc_status settle_refused(const struct kit_http_req *r, const char *list_id,
                                struct hs_push_item **items, size_t n, struct oc_error *err)
{
    if(r->rc == OC_E_AUTH && r->status == 403)
        return hs_push_req_fail(err, r,
                                "HubSpot refused to add contacts to list %s (HTTP 403 %s): the "
                                "token lacks the scope crm.lists.write; add it to the private app "
                                "in HubSpot (Settings > Integrations > Private Apps) and use the "
                                "token it shows after saving",
                                list_id, r->err.category);
    if(hs_push_is_stop(r->rc))
        return hs_push_req_fail(err, r, "%s", r->err.message);
    /* The list checked at the start can change under a long push. These
     * two answers are about the list, not the chunk: every later chunk
     * would fail alike while upserts went on for nothing. */
    if(r->rc == OC_E_NOT_FOUND)
        return hs_push_req_stop(err, r, OC_E_CONFIG,
                                "list %s is gone: HubSpot answered 404 to memberships/add "
                                "(%.200s); was it deleted while the push ran? The push stops. "
                                "Contacts upserted so far stay in HubSpot; check the list id, then "
                                "re-run the failed inputs (safe: upsert by email and list add are "
                                "idempotent)",
                                list_id, r->err.message);
    if(r->rc == OC_E_INVALID && r->status == 400 && about_processing_type(r))
        return hs_push_req_stop(err, r, OC_E_CONFIG,
                                "list %s no longer takes contacts from the API (%.200s): HubSpot "
                                "refused memberships/add because of its processing type (changed "
                                "while the push ran?); it only lets the API add to MANUAL and "
                                "SNAPSHOT lists, so the push stops. Use a static list, then re-run "
                                "the failed inputs",
                                list_id, r->err.message);
    for(size_t i = 0; i < n; i++) {
        hs_push_item_fail(items[i], "contact %s was upserted, but adding it to list %s failed: %s",
                          items[i]->record_id, list_id, r->err.message);
        items[i]->status = HS_PUSH_FAILED;
    }
    return OC_OK;
}

/* A 2xx memberships/add: each item's status from the ids HubSpot says it
 * added and those it says are missing. */
static oc_status settle_answer(const struct kit_http_req *r, const char *list_id,
                               struct hs_push_item **items, size_t n, struct oc_error *err)
{
    const struct kit_json *j = &r->json;
    int root = j->ntok > 0 && kit_json_type(j, 0) == KIT_JSON_OBJECT;
    int added = root ? kit_json_get(j, 0, "recordsIdsAdded") : -1;
    if(kit_json_type(j, added) != KIT_JSON_ARRAY && root) /* in case HubSpot fixes the spelling */
        added = kit_json_get(j, 0, "recordIdsAdded");
    int missing = root ? kit_json_get(j, 0, "recordIdsMissing") : -1;
    if(kit_json_type(j, added) != KIT_JSON_ARRAY && kit_json_type(j, missing) != KIT_JSON_ARRAY) {
        for(size_t i = 0; i < n; i++) {
            hs_push_item_fail(items[i],
                              "contact %s was upserted, but HubSpot's answer to memberships/add "
                              "(HTTP %ld) lists neither recordsIdsAdded nor recordIdsMissing, so "
                              "whether it is in list %s is unknown; re-run this input (safe: "
                              "adding twice changes nothing)",
                              items[i]->record_id, r->status, list_id);
            items[i]->status = HS_PUSH_FAILED;
        }
        return OC_OK;
    }
    /* One map of the chunk's own ids, looked up once per id the answer
     * lists, instead of a set per answer array and one more for the
     * chunk. */
    struct kit_strset ids;
    unsigned char *mark = calloc(n ? n : 1, 1);
    oc_status rc = OC_OK;
    if(kit_strset_init(&ids, n) || !mark) {
        rc = kit_fail(err, OC_E_NOMEM, "out of memory reading the memberships/add answer");
        goto out;
    }
    for(size_t i = 0; i < n; i++) {
        const char *id = items[i]->record_id;
        if(kit_strset_put(&ids, id, strlen(id), (void *)(uintptr_t)(i + 1)) == 1)
            mark[i] = ID_FIRST;
    }
    mark_listed(&ids, j, added, mark, ID_ADDED);
    mark_listed(&ids, j, missing, mark, ID_MISSING);
    for(size_t i = 0; i < n; i++) {
        struct hs_push_item *it = items[i];
        int first = mark[i] & ID_FIRST;
        unsigned char said = first ? mark[i]
                                   : mark[(uintptr_t)kit_strset_get(&ids, it->record_id, strlen(it->record_id)) - 1];
        if(said & ID_ADDED) {
            /* The same contact twice in one push: added once. */
            it->status = first ? HS_PUSH_ADDED : HS_PUSH_ALREADY;
        } else if(said & ID_MISSING) {
            if(it->from_cache) {
                /* Our cached id is stale (contact merged or deleted):
                 * hand it back for a fresh upsert. */
                hs_push_item_clear_id(it);
                it->status = HS_PUSH_OPEN;
            } else {
                hs_push_item_fail(it,
                                  "HubSpot says contact %s does not exist (deleted or merged "
                                  "right after the upsert), so it was not added to list %s; "
                                  "re-run this input",
                                  it->record_id, list_id);
                it->status = HS_PUSH_FAILED;
            }
        } else {
            it->status = r->attempts > 1 && it->created && first ? HS_PUSH_ADDED : HS_PUSH_ALREADY;
        }
    }
out:
    kit_strset_free(&ids);
    free(mark);
    return rc;
}

oc_status hs_membership_settle(struct kit_http_req *r, const char *list_id,
                               struct hs_push_item **items, size_t n, struct oc_error *err)
{
    return r->rc ? settle_refused(r, list_id, items, n, err)
                 : settle_answer(r, list_id, items, n, err);
}
