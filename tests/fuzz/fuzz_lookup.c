/*
 * fuzz_lookup.c - HubSpot's answers to lookup, read by hubspot/lookup.c:
 * the single contact of GET /crm/v3/objects/contacts/{id}
 * (hs_lookup_contact_answer on the root) and the batch/read answer
 * (hs_lookup_read_batch, which pairs results and errors with the open
 * queries through lookup.c's match). The input is a response body; when
 * it parses as JSON (as the HTTP client would parse it) it is read as a
 * GET answer, then as a batch answer to a window of email queries and to
 * one of record-id queries, with the cassettes' property list (plus "id",
 * which a contact record reserves).
 *
 * Checks: a reader accepts the answer or fails as documented (-2 or
 * OC_E_PROTOCOL with a non-empty, clean message; never "out of memory" on
 * these small inputs); a found contact becomes the lookup record's fields
 * (emit_query only puts "query" first): "id" first with a non-empty,
 * clean value, field names non-empty, clean, unique and never "query",
 * every value NUL-terminated valid UTF-8 without the token. Property
 * values may hold control characters (a multi-line address is data the
 * host escapes on output); ids, names and dates may not. A batch answer
 * settles only queries inside [lo, hi), a found query is done, and its
 * answer is the contact asked for (same record id, or an email property
 * equal to the query but for case).
 */
#include <strings.h>

#include "hubspot/lookup.h"
#include "hubspot/props.h"
#include "plugin/error.h"
#include "plugin/json.h"
#include "plugin/redact.h"
#include "tests/fuzz/fuzz.h"

int fuzz_lookup_one(const uint8_t *data, size_t size);

#define FLK_TOKEN "pat-na1-00000000-0000-4000-8000-000000000000"
#define FLK_PROPS                                                                                  \
    "email,firstname,lastname,company,hs_email_last_open_date,hs_email_last_click_date,"           \
    "hs_email_last_send_date,hs_email_last_email_name,id"

/* NUL-terminated valid UTF-8 (no overlongs, surrogates or values past
 * U+10FFFF); with ctl 0 also no byte below 0x20 and no DEL. */
static int flk_text_ok(const char *s, int ctl)
{
    return !fuzz_text_problem(s, ctl ? FUZZ_CTL_ANY : FUZZ_CTL_NONE);
}

static void flk_check_answer(const struct hs_lookup_answer *a)
{
    FUZZ_REQUIRE(a->found && a->nfields >= 1 && a->fields, "found answer without fields");
    FUZZ_REQUIRE(!strcmp(a->fields[0].key, "id"), "first field is %s", a->fields[0].key);
    FUZZ_REQUIRE_TAG("lookup-emptyid", a->fields[0].value[0], "contact with an empty id");
    for(size_t i = 0; i < a->nfields; i++) {
        const char *k = a->fields[i].key, *v = a->fields[i].value;
        FUZZ_REQUIRE(k && v, "field %zu is NULL", i);
        FUZZ_REQUIRE(k[0], "field %zu has an empty name", i);
        FUZZ_REQUIRE_TAG("lookup-control", flk_text_ok(k, 0),
                         "field name is not clean text: %.200s", k);
        FUZZ_REQUIRE(strcmp(k, "query") != 0, "a property named query would clash");
        int ours = i == 0 || !strcmp(k, "created_at") || !strcmp(k, "updated_at");
        FUZZ_REQUIRE_TAG("lookup-control", flk_text_ok(v, !ours),
                         "value of %s is not %s: %.200s", k, ours ? "clean text" : "UTF-8", v);
        FUZZ_REQUIRE(!strstr(v, FLK_TOKEN), "value of %s carries the token", k);
        FUZZ_REQUIRE(a->fields[i].type == OC_FIELD_STRING, "field %s has type %d", k,
                     a->fields[i].type);
        for(size_t m = 0; m < i; m++)
            FUZZ_REQUIRE_TAG("lookup-dupfield", strcmp(a->fields[m].key, k) != 0,
                             "field %s twice", k);
    }
}

static void flk_check_err(oc_status rc, const struct oc_error *err)
{
    FUZZ_REQUIRE_TAG("lookup-nomem", rc == OC_E_PROTOCOL, "batch reader failed with %d (%s)", rc,
                     err->message);
    FUZZ_REQUIRE(err->status == rc, "err.status %d, returned %d", err->status, rc);
    FUZZ_REQUIRE(err->message[0], "batch reader failed with an empty message");
    FUZZ_REQUIRE(memchr(err->message, '\0', sizeof err->message) && flk_text_ok(err->message, 0),
                 "message is not clean text: %.300s", err->message);
    FUZZ_REQUIRE(!strstr(err->message, FLK_TOKEN), "message carries the token");
}

static const char *flk_field(const struct hs_lookup_answer *a, const char *key)
{
    for(size_t i = 0; i < a->nfields; i++)
        if(!strcmp(a->fields[i].key, key))
            return a->fields[i].value;
    return NULL;
}

/* One batch answer to queries keys[0..n), of which [lo, hi) were asked. */
static void flk_batch(const struct kit_json *j, int by, const char *const *keys, size_t n,
                      size_t lo, size_t hi, const struct hs_props *pr)
{
    struct hs_lookup_pend p[8];
    struct hs_lookup_window w = {0};
    memset(p, 0, sizeof p);
    for(size_t i = 0; i < n; i++) {
        p[i].key = (char *)keys[i];
        p[i].send = (char *)keys[i];
    }
    w.cap = n;
    w.p = p;
    w.np = n;
    struct oc_error err;
    memset(&err, 0, sizeof err);
    err.struct_size = sizeof err;
    int unmatched = 0;
    oc_status rc = hs_lookup_read_batch(j, by, &w, lo, hi, pr, &unmatched, &err);
    if(rc)
        flk_check_err(rc, &err);
    FUZZ_REQUIRE(unmatched >= 0, "unmatched count %d", unmatched);
    for(size_t i = 0; i < n; i++) {
        struct hs_lookup_answer *a = &p[i].a;
        if(i < lo || i >= hi)
            FUZZ_REQUIRE(!p[i].done && !a->found, "query %zu outside the batch settled", i);
        if(!a->found) {
            FUZZ_REQUIRE(!a->text && !a->fields && !a->nfields, "missed query %zu has fields", i);
            continue;
        }
        FUZZ_REQUIRE(p[i].done, "query %zu found but not done", i);
        flk_check_answer(a);
        if(by == OC_LOOKUP_ID) {
            FUZZ_REQUIRE(!strcmp(a->fields[0].value, keys[i]),
                         "query %s answered with contact %.60s", keys[i], a->fields[0].value);
        } else {
            const char *email = flk_field(a, "email");
            FUZZ_REQUIRE(email && !strcasecmp(email, keys[i]),
                         "query %s answered with email %.60s", keys[i], email ? email : "(none)");
        }
        hs_lookup_answer_free(a);
    }
}

int fuzz_lookup_one(const uint8_t *data, size_t size)
{
    static const char *const emails[] = {"ann@example.com", "nobody@example.com",
                                         "bob@example.com", "ghost@example.com",
                                         "outside@example.com"};
    static const char *const ids[] = {"51", "52", "999", "7"};
    char token[] = FLK_TOKEN;
    struct kit_json j = {0};
    struct hs_props pr = {0};
    kit_redact_register(token); /* as a live instance has it */
    if(kit_json_parse(&j, (const char *)data, size, NULL, 0) != 0 || hs_props_parse(FLK_PROPS, &pr))
        goto out;

    struct hs_lookup_answer a = {0};
    int x = hs_lookup_contact_answer(&j, 0, &pr, &a);
    FUZZ_REQUIRE_TAG("lookup-nomem", x == 0 || x == -2, "GET answer reader returned %d", x);
    if(x == 0)
        flk_check_answer(&a);
    else
        FUZZ_REQUIRE(!a.found && !a.text && !a.fields, "rejected answer left fields behind");
    hs_lookup_answer_free(&a);

    flk_batch(&j, OC_LOOKUP_EMAIL, emails, 5, 0, 4, &pr);
    flk_batch(&j, OC_LOOKUP_ID, ids, 4, 1, 4, &pr);
out:
    kit_redact_forget(token);
    hs_props_free(&pr);
    kit_json_free(&j);
    return 0;
}

#ifdef FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_lookup_one(data, size);
}
#endif
