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

/* The body through a set of the ids as strings: for a chunk holding an
 * id that is not plain decimal. */
static int body_general(struct kit_buf *out, struct hs_push_item *const *items, size_t n)
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

/* ---- the chunk's ids as numbers ---- */

/* HubSpot's record ids are decimal. One written without a leading zero
 * and in at most 19 digits (below 2^64) is its number and back, so two
 * such ids are equal exactly when their numbers are: a chunk of them is
 * deduplicated and matched to an answer by number, a multiply and a
 * compare each, instead of by hashing and comparing strings (which was
 * most of the membership work per contact). Any other id sends the chunk
 * the general way, by string. */
static int id_number(const char *s, size_t len, uint64_t *num)
{
    if(!len || len > 19 || (s[0] == '0' && len > 1))
        return 0;
    uint64_t v = 0;
    for(size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if(d > 9)
            return 0;
        v = v * 10 + d;
    }
    *num = v;
    return 1;
}

/* id_number of a NUL-terminated id, in one pass; its length in *len
 * (when it is one). */
static int id_number_z(const char *s, uint64_t *num, size_t *len)
{
    uint64_t v = 0;
    size_t n = 0;
    for(unsigned d; n < 20 && (d = (unsigned)(unsigned char)s[n] - '0') <= 9; n++)
        v = v * 10 + d;
    if(!n || n > 19 || s[n] || (s[0] == '0' && n > 1))
        return 0;
    *num = v;
    *len = n;
    return 1;
}

/* Numbers to the index of the first item holding them: open addressing
 * over a power of two at least twice the chunk, so it cannot fill. */
struct idmap {
    struct idslot {
        uint64_t num;
        size_t at; /* index + 1; 0: empty */
    } *slot;
    size_t mask;
    unsigned shift;
};

static int idmap_init(struct idmap *m, size_t n)
{
    size_t cap = 16;
    unsigned bits = 4;
    while(cap < 2 * n) {
        cap *= 2;
        bits++;
    }
    m->slot = calloc(cap, sizeof *m->slot);
    m->mask = cap - 1;
    m->shift = 64 - bits;
    return m->slot ? 0 : -1;
}

static struct idslot *idmap_find(const struct idmap *m, uint64_t num)
{
    size_t i = (size_t)((num * UINT64_C(0x9e3779b97f4a7c15)) >> m->shift);
    while(m->slot[i].at && m->slot[i].num != num)
        i = (i + 1) & m->mask;
    return &m->slot[i];
}

/* The index of the first item holding num; at is stored when num is new. */
static size_t idmap_first(struct idmap *m, uint64_t num, size_t at)
{
    struct idslot *s = idmap_find(m, num);
    if(!s->at) {
        s->num = num;
        s->at = at + 1;
    }
    return s->at - 1;
}

int hs_membership_body(struct kit_buf *out, struct hs_push_item *const *items, size_t n)
{
    struct idmap seen;
    if(idmap_init(&seen, n))
        return -1;
    kit_buf_reset(out);
    /* at most 21 bytes an id: 19 digits, two quotes; a comma each */
    if(kit_buf_reserve(out, 22 * n + 2)) {
        free(seen.slot);
        return -1;
    }
    char *d = out->data;
    *d++ = '[';
    for(size_t i = 0; i < n; i++) {
        const char *id = items[i]->record_id;
        uint64_t num;
        size_t len;
        if(!id)
            continue;
        if(!id_number_z(id, &num, &len)) {
            free(seen.slot);
            return body_general(out, items, n);
        }
        if(idmap_first(&seen, num, i) != i)
            continue; /* one contact pushed twice in a chunk is sent once */
        /* the comma before every id but the first, without a branch: the
         * first's quote overwrites it */
        *d = ',';
        d += d > out->data + 1;
        *d = '"';
        memcpy(d + 1, id, len);
        d[len + 1] = '"';
        d += len + 2;
    }
    *d++ = ']';
    *d = '\0';
    out->len = (size_t)(d - out->data);
    free(seen.slot);
    return 0;
}

enum { ID_ADDED = 2, ID_MISSING = 4 };

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

/* Mark, on the first item holding each id that array token arr of j
 * lists, what the answer says of it (bit), finding items by number. */
static void mark_listed_numbers(const struct idmap *ids, const struct kit_json *j, int arr,
                                unsigned char *mark, unsigned char bit)
{
    int n = kit_json_type(j, arr) == KIT_JSON_ARRAY ? kit_json_size(j, arr) : 0;
    int t = arr + 1;
    for(int i = 0; i < n; i++, t = kit_json_skip(j, t)) {
        size_t len;
        uint64_t num;
        const char *s = kit_json_raw(j, t, &len);
        if(!s || !id_number(s, len, &num))
            continue; /* not an id as the chunk's are written: none of them */
        const struct idslot *at = idmap_find(ids, num);
        if(at->at)
            mark[at->at - 1] |= bit;
    }
}

/* first[i] = the index of the first item with items[i]'s id, and mark[]
 * what the answer's arrays say of each first item, by number. 1 (nothing
 * done) when an id of the chunk is not plain decimal; -1 on oom. */
static int mark_numbers(struct hs_push_item **items, size_t n, const struct kit_json *j, int added,
                        int missing, unsigned char *mark, size_t *first)
{
    struct idmap ids;
    if(idmap_init(&ids, n))
        return -1;
    for(size_t i = 0; i < n; i++) {
        uint64_t num;
        size_t len;
        if(!id_number_z(items[i]->record_id, &num, &len)) {
            free(ids.slot);
            return 1;
        }
        first[i] = idmap_first(&ids, num, i);
    }
    mark_listed_numbers(&ids, j, added, mark, ID_ADDED);
    mark_listed_numbers(&ids, j, missing, mark, ID_MISSING);
    free(ids.slot);
    return 0;
}

/* mark_numbers by string, for any ids: 0, or -1 on oom. */
static int mark_strings(struct hs_push_item **items, size_t n, const struct kit_json *j, int added,
                        int missing, unsigned char *mark, size_t *first)
{
    struct kit_strset ids;
    if(kit_strset_init(&ids, n))
        return -1;
    for(size_t i = 0; i < n; i++) {
        const char *id = items[i]->record_id;
        size_t len = strlen(id);
        if(kit_strset_put(&ids, id, len, (void *)(uintptr_t)(i + 1)) == 1)
            first[i] = i;
        else
            first[i] = (uintptr_t)kit_strset_get(&ids, id, len) - 1;
    }
    mark_listed(&ids, j, added, mark, ID_ADDED);
    mark_listed(&ids, j, missing, mark, ID_MISSING);
    kit_strset_free(&ids);
    return 0;
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
    unsigned char *mark = calloc(n ? n : 1, 1);
    size_t *first = calloc(n ? n : 1, sizeof *first);
    oc_status rc = OC_OK;
    if(!mark || !first) {
        rc = kit_fail(err, OC_E_NOMEM, "out of memory reading the memberships/add answer");
        goto out;
    }
    int how = mark_numbers(items, n, j, added, missing, mark, first);
    if(how == 1)
        how = mark_strings(items, n, j, added, missing, mark, first);
    if(how < 0) {
        rc = kit_fail(err, OC_E_NOMEM, "out of memory reading the memberships/add answer");
        goto out;
    }
    for(size_t i = 0; i < n; i++) {
        struct hs_push_item *it = items[i];
        int is_first = first[i] == i;
        unsigned char said = mark[first[i]];
        if(said & ID_ADDED) {
            /* The same contact twice in one push: added once. */
            it->status = is_first ? HS_PUSH_ADDED : HS_PUSH_ALREADY;
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
            it->status = r->attempts > 1 && it->created && is_first ? HS_PUSH_ADDED : HS_PUSH_ALREADY;
        }
    }
out:
    free(first);
    free(mark);
    return rc;
}

oc_status hs_membership_settle(struct kit_http_req *r, const char *list_id,
                               struct hs_push_item **items, size_t n, struct oc_error *err)
{
    return r->rc ? settle_refused(r, list_id, items, n, err)
                 : settle_answer(r, list_id, items, n, err);
}
