/*
 * fuzz_listcheck.c - HubSpot's answer to GET /crm/v3/lists/{id}, judged by
 * hubspot/list_check.c (hs_push_list_judge) before a push writes anything.
 * The input is a response body; when it parses as JSON (as the HTTP
 * client would parse it) it is judged as a 200 answer for list 4242.
 *
 * Checks: OC_OK only for a MANUAL or SNAPSHOT list of contacts (or of an
 * unstated object type), read the way judge reads it (the "list" member,
 * else the root); otherwise OC_E_CONFIG or OC_E_PROTOCOL with a non-empty
 * message that names the list id and is NUL-terminated valid UTF-8
 * without control bytes or the token, whatever the list's name holds.
 */
#include "hubspot/list_check.h"
#include "plugin/error.h"
#include "plugin/json.h"
#include "plugin/redact.h"
#include "tests/fuzz/fuzz.h"

int fuzz_listcheck_one(const uint8_t *data, size_t size);

#define FLC_TOKEN "pat-na1-00000000-0000-4000-8000-000000000000"
#define FLC_LIST "4242"

/* NUL-terminated valid UTF-8 (no overlongs, surrogates or values past
 * U+10FFFF) with no byte below 0x20 and no DEL. */
static int flc_clean(const char *s) { return !fuzz_text_problem(s, FUZZ_CTL_NONE); }

/* Whether string member key of obj equals want; an absent or non-string
 * member counts as "". */
static int flc_is(const struct kit_json *j, int obj, const char *key, const char *want)
{
    int t = kit_json_get(j, obj, key);
    if(kit_json_type(j, t) != KIT_JSON_STRING)
        return !want[0];
    return kit_json_eq(j, t, want);
}

int fuzz_listcheck_one(const uint8_t *data, size_t size)
{
    struct kit_json j = {0};
    if(kit_json_parse(&j, (const char *)data, size, NULL, 0) != 0) {
        kit_json_free(&j);
        return 0;
    }
    char token[] = FLC_TOKEN;
    kit_redact_register(token); /* as a live instance has it */
    struct oc_error err;
    memset(&err, 0, sizeof err);
    err.struct_size = sizeof err;
    oc_status rc = hs_push_list_judge(&j, FLC_LIST, &err);
    int list = kit_json_get(&j, 0, "list");
    if(kit_json_type(&j, list) != KIT_JSON_OBJECT)
        list = 0;
    if(rc == OC_OK) {
        FUZZ_REQUIRE(kit_json_type(&j, list) == KIT_JSON_OBJECT, "accepted without a list object");
        FUZZ_REQUIRE(flc_is(&j, list, "processingType", "MANUAL") ||
                         flc_is(&j, list, "processingType", "SNAPSHOT"),
                     "accepted a list that is neither MANUAL nor SNAPSHOT");
        FUZZ_REQUIRE(flc_is(&j, list, "objectTypeId", "") ||
                         flc_is(&j, list, "objectTypeId", "0-1"),
                     "accepted a list of another object type");
        FUZZ_REQUIRE(!err.message[0] && !err.status, "success left an error behind: %s",
                     err.message);
    } else {
        FUZZ_REQUIRE(rc == OC_E_CONFIG || rc == OC_E_PROTOCOL, "judge failed with %d (%s)", rc,
                     err.message);
        FUZZ_REQUIRE(err.status == rc, "err.status %d, returned %d", err.status, rc);
        FUZZ_REQUIRE(err.message[0], "judge failed with an empty message");
        FUZZ_REQUIRE(memchr(err.message, '\0', sizeof err.message) && flc_clean(err.message),
                     "message is not clean text: %.300s", err.message);
        FUZZ_REQUIRE(strstr(err.message, FLC_LIST), "message does not name the list: %.300s",
                     err.message);
        FUZZ_REQUIRE(!strstr(err.message, FLC_TOKEN), "message carries the token");
    }
    kit_redact_forget(token);
    kit_json_free(&j);
    return 0;
}

#ifdef FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_listcheck_one(data, size);
}
#endif
