/*
 * fuzz_apierror.c - turning a HubSpot error answer into a struct oc_error
 * (hubspot/apierror.c: hs_api_error, hs_api_field) for arbitrary bodies:
 * parsed when they are JSON (j NULL otherwise, as the HTTP client does),
 * under each status whose advice differs. The message is what a publisher
 * reads on a terminal or in a log, built from server text, so beyond "no
 * crash" it must be: non-empty, NUL-terminated, valid UTF-8 (also after
 * truncation), free of control bytes a server could use to forge log lines
 * or drive a terminal, and free of any part of the access token. Also
 * category and correlation id, which are copied out of the body.
 */
#include "hubspot/apierror.h"
#include "plugin/json.h"
#include "plugin/redact.h"
#include "tests/fuzz/fuzz.h"

int fuzz_apierror_one(const uint8_t *data, size_t size);

#define FAE_TOKEN "pat-na1-00000000-0000-4000-8000-000000000000"
/* Enough of the token to matter: the first group of its secret part. */
#define FAE_TOKEN_PREFIX "pat-na1-00000000"

/* Well-formed UTF-8 without control bytes (tab allowed). */
static const char *fae_text_problem(const char *s) { return fuzz_text_problem(s, FUZZ_CTL_TAB); }

static size_t fae_count(const char *hay, size_t len, const char *needle)
{
    size_t n = 0, nl = strlen(needle);
    for(size_t i = 0; i + nl <= len; i++)
        n += memcmp(hay + i, needle, nl) == 0;
    return n;
}

int fuzz_apierror_one(const uint8_t *data, size_t size)
{
    static int registered;
    if(!registered) {
        kit_redact_register(FAE_TOKEN);
        registered = 1;
    }
    static const long statuses[] = {400, 401, 403, 404, 429, 500, 530};
    struct kit_json j = {0};
    const char *text = (const char *)data;
    int parsed = kit_json_parse(&j, text, size, NULL, 0) == 0;
    /* The prefix check only means something when every prefix in the body
     * belongs to a whole token (which the redactor must mask). */
    int token_check = fae_count(text, size, FAE_TOKEN_PREFIX) == fae_count(text, size, FAE_TOKEN) &&
                      fae_count(text, size, "\\u") == 0; /* \u could spell one */

    for(size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        struct oc_error err;
        memset(&err, 0x5a, sizeof err);
        err.struct_size = sizeof err;
        oc_status want = hs_api_status(statuses[i]);
        oc_status rc = hs_api_error(&err, want, "GET /crm/v3/objects/contacts/1", statuses[i],
                                    parsed ? &j : NULL, "hdr-cid-1", 1 + (int)i % 3);
        FUZZ_REQUIRE(rc == want && err.status == want, "status %ld: rc %d, err.status %d",
                     statuses[i], rc, err.status);
        FUZZ_REQUIRE(memchr(err.message, '\0', sizeof err.message), "message not terminated");
        FUZZ_REQUIRE(memchr(err.category, '\0', sizeof err.category), "category not terminated");
        FUZZ_REQUIRE(memchr(err.correlation_id, '\0', sizeof err.correlation_id),
                     "correlation id not terminated");
        FUZZ_REQUIRE(!strncmp(err.message, "GET /crm/v3/objects/contacts/1", 30),
                     "message does not start with the request: %.80s", err.message);
        FUZZ_REQUIRE(err.http_status == (int)statuses[i], "http_status %d", err.http_status);
        const char *why;
        why = fae_text_problem(err.message);
        FUZZ_REQUIRE_TAG("apierror-text", !why, "HTTP %ld: message holds %s: %s", statuses[i], why,
                         err.message);
        why = fae_text_problem(err.category);
        FUZZ_REQUIRE_TAG("apierror-text", !why, "HTTP %ld: category holds %s", statuses[i], why);
        why = fae_text_problem(err.correlation_id);
        FUZZ_REQUIRE_TAG("apierror-text", !why, "HTTP %ld: correlation id holds %s", statuses[i],
                         why);
        if(token_check)
            FUZZ_REQUIRE(!strstr(err.message, FAE_TOKEN_PREFIX),
                         "HTTP %ld: message shows part of the access token: %s", statuses[i],
                         err.message);
        FUZZ_REQUIRE(!err.correlation_id[0] || parsed || !strcmp(err.correlation_id, "hdr-cid-1"),
                     "correlation id from nowhere");
    }

    char out[16];
    hs_api_field(parsed ? &j : NULL, "message", out, sizeof out);
    FUZZ_REQUIRE(memchr(out, '\0', sizeof out) != NULL, "hs_api_field output not terminated");
    hs_api_field(parsed ? &j : NULL, "message", out, 1);
    FUZZ_REQUIRE(out[0] == '\0', "hs_api_field wrote past a 1-byte buffer");
    kit_json_free(&j);
    return 0;
}

#ifdef FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_apierror_one(data, size);
}
#endif
