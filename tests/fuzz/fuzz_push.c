/*
 * fuzz_push.c - HubSpot's answers to the two push calls, read by
 * hubspot/upsert.c (hs_upsert_settle: POST .../contacts/batch/upsert,
 * 200/207 with results[] and errors[]) and hubspot/membership.c
 * (hs_membership_settle: PUT .../lists/{id}/memberships/add). The input
 * is the response body; when it parses it is handed over as the HTTP
 * client would (rc OC_OK, status 207, json set) to both, each over a small
 * batch with a case-duplicate email and a cached record id. No instance is
 * needed: with a 2xx answer neither settle makes a call.
 *
 * Checks the settle contracts in upsert.h and membership.h: after an upsert answer every
 * item has a non-empty record id or an error (never both, never neither);
 * after a membership answer every item is ADDED, ALREADY or FAILED (with
 * an error), or OPEN without record id when its id came from the cache.
 */
#include "hubspot/membership.h"
#include "hubspot/upsert.h"
#include "plugin/http.h"
#include "plugin/json.h"
#include "tests/fuzz/fuzz.h"

int fuzz_push_one(const uint8_t *data, size_t size);

#define FPU_N 4

static struct hs_push_item *fpu_item(uint64_t ord, const char *email, const char *record_id,
                                     int from_cache)
{
    /* Made as the push makes them (hs_push_item_new owns the strings), so
     * freeing one frees what it holds. */
    char input[32];
    int ilen = snprintf(input, sizeof input, "line %llu", (unsigned long long)ord + 1);
    struct hs_push_item *it = hs_push_item_new(ord, input, (size_t)ilen, email, strlen(email), 1, NULL, 0);
    if(!it)
        return NULL;
    struct oc_field f[2] = {{"email", email, OC_FIELD_STRING}, {"firstname", "Ann", OC_FIELD_STRING}};
    if(hs_upsert_item_json(it, f, 2) || (record_id && hs_push_item_set_id(it, record_id, strlen(record_id)))) {
        hs_push_item_free(it);
        return NULL;
    }
    it->from_cache = from_cache;
    return it;
}

static void fpu_free(struct hs_push_item **items)
{
    for(size_t i = 0; i < FPU_N; i++)
        hs_push_item_free(items[i]);
}

static void fpu_upsert(struct kit_http_req *r)
{
    static const char *emails[FPU_N] = {"a@b.io", "A@B.io", "c@d.io", "e@f.io"};
    struct hs_push_item *items[FPU_N] = {0};
    for(size_t i = 0; i < FPU_N; i++)
        if(!(items[i] = fpu_item(i + 1, emails[i], NULL, 0)))
            goto out;
    struct oc_error err;
    memset(&err, 0, sizeof err);
    err.struct_size = sizeof err;
    oc_status rc = hs_upsert_settle(NULL, r, items, FPU_N, 0, &err);
    FUZZ_REQUIRE(rc == OC_OK, "upsert settle of a 2xx answer returned %d", rc);
    for(size_t i = 0; i < FPU_N; i++) {
        const struct hs_push_item *it = items[i];
        FUZZ_REQUIRE(!it->record_id != !it->error, "upsert item %zu has %s", i,
                     it->record_id ? "both a record id and an error" : "neither id nor error");
        FUZZ_REQUIRE(!it->record_id || it->record_id[0], "upsert item %zu has an empty id", i);
        FUZZ_REQUIRE(!it->error || (it->error[0] && it->status == HS_PUSH_FAILED),
                     "upsert item %zu failed without message or status", i);
    }
out:
    fpu_free(items);
}

static void fpu_membership(struct kit_http_req *r)
{
    static const char *ids[FPU_N] = {"101", "102", "101", "104"};
    struct hs_push_item *items[FPU_N] = {0};
    for(size_t i = 0; i < FPU_N; i++)
        if(!(items[i] = fpu_item(i + 1, "x@y.io", ids[i], i == 3)))
            goto out;
    struct oc_error err;
    memset(&err, 0, sizeof err);
    err.struct_size = sizeof err;
    oc_status rc = hs_membership_settle(r, "7", items, FPU_N, &err);
    FUZZ_REQUIRE(rc == OC_OK || rc == OC_E_NOMEM, "membership settle of a 2xx answer returned %d",
                 rc);
    if(rc == OC_OK)
        for(size_t i = 0; i < FPU_N; i++) {
            const struct hs_push_item *it = items[i];
            int st = it->status;
            FUZZ_REQUIRE(st == HS_PUSH_ADDED || st == HS_PUSH_ALREADY ||
                             (st == HS_PUSH_FAILED && it->error && it->error[0]) ||
                             (st == HS_PUSH_OPEN && !it->record_id && it->from_cache),
                         "membership item %zu left in status %d", i, st);
        }
out:
    fpu_free(items);
}

int fuzz_push_one(const uint8_t *data, size_t size)
{
    struct kit_http_req r;
    kit_http_req_init(&r, "POST", "/crm/v3/objects/contacts/batch/upsert", NULL, 0,
                     "contacts.batch.upsert");
    if(kit_buf_append(&r.resp, data, size) == 0 &&
       kit_json_parse(&r.json, kit_buf_str(&r.resp), r.resp.len, NULL, 0) == 0) {
        r.status = 207;
        r.rc = OC_OK;
        r.attempts = 1;
        fpu_upsert(&r);
        r.status = 200;
        fpu_membership(&r);
    }
    kit_http_req_free(&r);
    return 0;
}

#ifdef FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_push_one(data, size);
}
#endif
