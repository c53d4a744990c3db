/*
 * fuzz_cassette.c - the cassette reader (fixtures/cassette.h:
 * fx_cassettes_load_text) and the URL/query/time helpers the replay
 * server applies to what a client sends. Checks beyond "no crash, no
 * leak": a loaded table is what the replay server relies on (strings set,
 * header lines that cannot split a response, a JSON body that is still
 * JSON after compaction, sorted queries equal to themselves, a recorded
 * request body in canonical form); a refusal names the cassette; a time
 * that parses formats back to the same instant and the same text.
 */
#include <inttypes.h>

#include "fixtures/cassette.h"
#include "plugin/buf.h"
#include "plugin/json.h"
#include "tests/fuzz/fuzz.h"

int fuzz_cassette_one(const uint8_t *data, size_t size);

static void fc_check_interaction(const struct fx_interaction *x)
{
    FUZZ_REQUIRE(x->method && x->method[0], "interaction %d without method", x->index);
    FUZZ_REQUIRE(x->path, "interaction %d without path", x->index);
    FUZZ_REQUIRE(x->status >= 100 && x->status <= 599, "status %d", x->status);
    FUZZ_REQUIRE(x->resp_body, "resp_body is NULL (documented never NULL)");
    FUZZ_REQUIRE(x->resp_body[x->resp_body_len] == '\0', "resp_body not NUL-terminated at len");
    for(size_t i = 0; i < x->nheaders; i++) {
        const char *k = x->headers[i].key, *v = x->headers[i].value;
        FUZZ_REQUIRE(k && v && k[0], "header %zu empty", i);
        FUZZ_REQUIRE(!strpbrk(k, ":\r\n") && !strpbrk(v, "\r\n"),
                     "header %zu could split the response: %s", i, k);
    }
    FUZZ_REQUIRE(fx_query_equal(&x->query, &x->query), "query not equal to itself");
    for(size_t i = 1; i < x->query.n; i++) {
        int c = strcmp(x->query.v[i - 1].key, x->query.v[i].key);
        FUZZ_REQUIRE(c < 0 || (c == 0 && strcmp(x->query.v[i - 1].value, x->query.v[i].value) <= 0),
                     "query not sorted at %zu", i);
    }
    struct kit_buf b = KIT_BUF_INIT;
    fx_query_format(&x->query, &b);
    kit_buf_free(&b);

    struct kit_json j = {0};
    char why[200];
    if(x->resp_json) {
        /* What the replay server sends must be the JSON that was written. */
        FUZZ_REQUIRE(kit_json_parse(&j, x->resp_body, x->resp_body_len, why, sizeof why) == 0,
                     "compacted response body is no longer JSON: %s", why);
        kit_json_free(&j);
    }
    FUZZ_REQUIRE(!x->has_body || x->body_canon, "has_body without body_canon");
    if(x->body_canon) {
        FUZZ_REQUIRE(kit_json_parse(&j, x->body_canon, strlen(x->body_canon), why, sizeof why) == 0,
                     "body_canon is not JSON: %s", why);
        struct kit_buf c = KIT_BUF_INIT;
        if(kit_json_canonical(&j, 0, &c) == 0)
            FUZZ_REQUIRE(strcmp(kit_buf_str(&c), x->body_canon) == 0, "body_canon is not canonical");
        kit_buf_free(&c);
        kit_json_free(&j);
    }
}

/* The helpers take C strings: feed them the input up to its first NUL. */
static void fc_helpers(const char *s)
{
    struct fx_query q;
    if(fx_query_parse(s, &q) == 0) {
        FUZZ_REQUIRE(fx_query_equal(&q, &q), "parsed query not equal to itself");
        fx_query_free(&q);
    }
    char *d = fx_url_decode(s, strlen(s), 1);
    if(d)
        FUZZ_REQUIRE(strlen(d) <= strlen(s), "url decoding grew the string");
    free(d);

    int64_t ms, ms2;
    if(fx_time_parse(s, &ms) == 0) {
        char out[40];
        fx_time_format(ms, out);
        FUZZ_REQUIRE(fx_time_parse(out, &ms2) == 0 && ms2 == ms,
                     "time '%.60s' = %" PRId64 " formats as '%s', which does not read back", s, ms,
                     out);
        /* Accepted means it was a real time as written: formatting gives
         * the same date and time back (a leap second aside), not a
         * normalized neighbour of an impossible one. */
        FUZZ_REQUIRE_TAG("cassette-time", !strncmp(s + 17, "60", 2) || !strncmp(out, s, 19),
                     "time '%.60s' was accepted but means %s", s, out);
    }
}

int fuzz_cassette_one(const uint8_t *data, size_t size)
{
    struct fx_cassettes c;
    char why[512];
    memset(&c, 0, sizeof c);
    why[0] = '\0';
    int rc = fx_cassettes_load_text(&c, "fuzz.json", (const char *)data, size, why, sizeof why);
    if(rc != 0) {
        FUZZ_REQUIRE(rc == -1, "fx_cassettes_load_text returned %d", rc);
        FUZZ_REQUIRE(strstr(why, "fuzz.json") != NULL, "refusal does not name the cassette: %s",
                     why);
    } else {
        FUZZ_REQUIRE(c.nnames == 1, "one cassette loaded, %zu names", c.nnames);
        for(size_t i = 0; i < c.n; i++) {
            FUZZ_REQUIRE(c.it[i].index == (int)i, "interaction %zu has index %d", i,
                         c.it[i].index);
            fc_check_interaction(&c.it[i]);
        }
    }
    fx_cassettes_free(&c);

    size_t n = size < 512 ? size : 512;
    char *s = malloc(n + 1);
    if(s) {
        memcpy(s, data, n);
        s[n] = '\0';
        fc_helpers(s);
        free(s);
    }
    return 0;
}

#ifdef FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_cassette_one(data, size);
}
#endif
