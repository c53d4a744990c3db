/*
 * fuzz_json.c - the JSON reader and writer (plugin/json.h) on arbitrary
 * bytes. Every HubSpot body, cassette and state file goes through this
 * reader, so beyond "no crash" it checks what callers rely on:
 *  - a rejected document leaves the struct empty;
 *  - every accessor on every token stays inside the text and agrees with
 *    the others (str/strdup/eq, get/item vs. walking with skip, int64 vs.
 *    the literal);
 *  - canonical form is a fixed point: anything accepted, canonicalized,
 *    re-parsed and canonicalized again is byte-identical;
 *  - the writer (kit_jw_*) re-emitting the tree yields the same canonical
 *    form, and kit_json_quote output of any bytes parses back.
 */
#include <inttypes.h>

#include "plugin/buf.h"
#include "plugin/json.h"
#include "tests/fuzz/fuzz.h"

int fuzz_json_one(const uint8_t *data, size_t size);

/* Canonical form of token t of j, as a malloc'd string (NULL on oom). */
static char *fj_canon(const struct kit_json *j, int t)
{
    struct kit_buf b = KIT_BUF_INIT;
    int rc = kit_json_canonical(j, t, &b);
    FUZZ_REQUIRE(rc == 0 || b.oom, "kit_json_canonical failed on accepted token %d", t);
    if(rc) {
        kit_buf_free(&b);
        return NULL;
    }
    return kit_buf_take(&b);
}

static void fj_check_int64(const struct kit_json *j, int t, const struct kit_buf *val)
{
    int64_t v = 12345;
    int rc = kit_json_int64(j, t, &v);
    enum kit_json_type ty = kit_json_type(j, t);
    if(rc != 0) {
        FUZZ_REQUIRE(rc == -1, "kit_json_int64 returned %d", rc);
        FUZZ_REQUIRE(v == 12345, "kit_json_int64 wrote *out on failure");
        return;
    }
    FUZZ_REQUIRE(ty == KIT_JSON_NUMBER || ty == KIT_JSON_STRING,
                 "kit_json_int64 accepted a token of type %d", (int)ty);
    /* The syntax is exact (no '+', no leading zeros, no fraction), so
     * printing the value must give back the text; "-0" is the one
     * spelling with two readings. */
    char txt[32];
    snprintf(txt, sizeof txt, "%" PRId64, v);
    int same = val->len == strlen(txt) && memcmp(val->data, txt, val->len) == 0;
    int negzero = v == 0 && val->len == 2 && memcmp(val->data, "-0", 2) == 0;
    FUZZ_REQUIRE(same || negzero, "kit_json_int64 read '%.*s' as %" PRId64, (int)val->len,
                 val->data ? val->data : "", v);
}

/* kit_json_quote output must parse back to exactly the bytes quoted
 * (valid UTF-8 input: the reader never hands out anything else). */
static void fj_check_quote(const char *s, size_t len)
{
    struct kit_buf q = KIT_BUF_INIT, back = KIT_BUF_INIT;
    struct kit_json jq = {0};
    char why[200];
    if(kit_json_quote(&q, s, len) != 0)
        goto out;
    int rc = kit_json_parse(&jq, q.data, q.len, why, sizeof why);
    FUZZ_REQUIRE(rc == 0, "kit_json_quote output does not parse: %s", why);
    FUZZ_REQUIRE(jq.ntok == 1 && kit_json_type(&jq, 0) == KIT_JSON_STRING,
                 "kit_json_quote output is not one string");
    if(kit_json_str(&jq, 0, &back) != 0)
        goto out;
    FUZZ_REQUIRE(back.len == len && (len == 0 || memcmp(back.data, s, len) == 0),
                 "string changed through kit_json_quote and back");
out:
    kit_json_free(&jq);
    kit_buf_free(&q);
    kit_buf_free(&back);
}

static void fj_check_object(const struct kit_json *j, int t)
{
    int n = kit_json_size(j, t);
    int k = t + 1;
    for(int i = 0; i < n; i++) {
        FUZZ_REQUIRE(kit_json_type(j, k) == KIT_JSON_STRING, "member name %d of %d is no string", i,
                     t);
        char *key = kit_json_strdup(j, k);
        if(key) {
            int g = kit_json_get(j, t, key);
            /* First wins: the match is this member or an earlier twin. */
            FUZZ_REQUIRE(g > t && g <= k + 1, "kit_json_get(\"%s\") = %d, member value at %d", key,
                         g, k + 1);
            FUZZ_REQUIRE(kit_json_eq(j, g - 1, key), "kit_json_get(\"%s\") found another name", key);
            if(key[0] && !strchr(key, '.'))
                FUZZ_REQUIRE(kit_json_path(j, t, key) == g, "kit_json_path(\"%s\") != kit_json_get",
                             key);
            free(key);
        }
        k = kit_json_skip(j, k);
        FUZZ_REQUIRE(k > t && k <= kit_json_skip(j, t), "member walk left object %d", t);
    }
    FUZZ_REQUIRE(k == kit_json_skip(j, t), "members of %d do not end where skip says", t);
    FUZZ_REQUIRE(kit_json_get(j, t, "\x01no such key\x01") == -1, "found a key not in the text");
}

static void fj_check_array(const struct kit_json *j, int t)
{
    int n = kit_json_size(j, t);
    int k = t + 1;
    for(int i = 0; i < n; i++) {
        /* kit_json_item is O(i): only the first few, or the fuzzer crawls. */
        if(i < 8)
            FUZZ_REQUIRE(kit_json_item(j, t, i) == k, "kit_json_item(%d, %d) != walk", t, i);
        k = kit_json_skip(j, k);
    }
    FUZZ_REQUIRE(k == kit_json_skip(j, t), "items of %d do not end where skip says", t);
    FUZZ_REQUIRE(kit_json_item(j, t, n) == -1, "kit_json_item past the end");
    FUZZ_REQUIRE(kit_json_item(j, t, -1) == -1, "kit_json_item(-1)");
}

static void fj_check_token(const struct kit_json *j, int t)
{
    enum kit_json_type ty = kit_json_type(j, t);
    FUZZ_REQUIRE(ty != KIT_JSON_NONE, "token %d of %d has no type", t, j->ntok);
    int nx = kit_json_skip(j, t);
    FUZZ_REQUIRE(nx > t && nx <= j->ntok, "kit_json_skip(%d) = %d of %d", t, nx, j->ntok);

    size_t rl = 0;
    const char *raw = kit_json_raw(j, t, &rl);
    FUZZ_REQUIRE(raw && raw >= j->text && rl <= j->len && (size_t)(raw - j->text) <= j->len - rl,
                 "kit_json_raw(%d) outside the text", t);

    struct kit_buf val = KIT_BUF_INIT;
    int src = kit_json_str(j, t, &val);
    if(ty == KIT_JSON_OBJECT || ty == KIT_JSON_ARRAY) {
        FUZZ_REQUIRE(src == -1, "kit_json_str accepted a container");
        FUZZ_REQUIRE(kit_json_strdup(j, t) == NULL, "kit_json_strdup accepted a container");
        FUZZ_REQUIRE(kit_json_bool(j, t) == -1, "kit_json_bool accepted a container");
        if(ty == KIT_JSON_OBJECT)
            fj_check_object(j, t);
        else
            fj_check_array(j, t);
    } else if(src == 0) {
        if(ty == KIT_JSON_STRING) {
            char *d = kit_json_strdup(j, t);
            if(d) {
                FUZZ_REQUIRE(strlen(d) == val.len && memcmp(d, val.data ? val.data : "", val.len) == 0,
                             "kit_json_strdup and kit_json_str differ on token %d", t);
                FUZZ_REQUIRE(kit_json_eq(j, t, d), "kit_json_eq false for its own value");
                free(d);
            } else {
                FUZZ_REQUIRE(memchr(val.data, 0, val.len) != NULL,
                             "kit_json_strdup failed on a string without NUL");
            }
            fj_check_quote(val.data ? val.data : "", val.len);
        } else {
            /* Literals come back as written. */
            FUZZ_REQUIRE(val.len == rl && memcmp(val.data, raw, rl) == 0,
                         "kit_json_str changed literal %d", t);
        }
        int b = kit_json_bool(j, t);
        FUZZ_REQUIRE((ty == KIT_JSON_BOOL) == (b != -1), "kit_json_bool wrong on type %d", (int)ty);
        fj_check_int64(j, t, &val);
    }
    kit_buf_free(&val);
}

/* Re-emit token t with the writer; *lossy set when a name cannot pass
 * through kit_jw_key (it holds \u0000). */
static void fj_emit(const struct kit_json *j, int t, struct kit_jw *w, int *lossy)
{
    size_t rl;
    const char *raw;
    struct kit_buf s = KIT_BUF_INIT;
    switch(kit_json_type(j, t)) {
    case KIT_JSON_OBJECT: {
        kit_jw_obj(w);
        int k = t + 1;
        for(int i = 0; i < kit_json_size(j, t); i++, k = kit_json_skip(j, k)) {
            char *key = kit_json_strdup(j, k);
            if(!key) {
                *lossy = 1;
                break;
            }
            kit_jw_key(w, key);
            free(key);
            fj_emit(j, k + 1, w, lossy);
        }
        kit_jw_obj_end(w);
        break;
    }
    case KIT_JSON_ARRAY: {
        kit_jw_arr(w);
        int k = t + 1;
        for(int i = 0; i < kit_json_size(j, t); i++, k = kit_json_skip(j, k))
            fj_emit(j, k, w, lossy);
        kit_jw_arr_end(w);
        break;
    }
    case KIT_JSON_STRING:
        if(kit_json_str(j, t, &s) == 0)
            kit_jw_strn(w, s.data ? s.data : "", s.len);
        else
            *lossy = 1;
        break;
    case KIT_JSON_NUMBER:
        raw = kit_json_raw(j, t, &rl);
        kit_jw_raw(w, raw, rl);
        break;
    case KIT_JSON_BOOL:
        kit_jw_bool(w, kit_json_bool(j, t));
        break;
    default:
        kit_jw_null(w);
        break;
    }
    kit_buf_free(&s);
}

static void fj_check_roundtrip(const struct kit_json *j)
{
    struct kit_json j2 = {0}, j3 = {0};
    struct kit_buf wb = KIT_BUF_INIT;
    char why[200];
    char *c1 = NULL, *c2 = NULL, *c3 = NULL;

    c1 = fj_canon(j, 0);
    if(!c1)
        goto out;
    int rc = kit_json_parse(&j2, c1, strlen(c1), why, sizeof why);
    FUZZ_REQUIRE(rc == 0, "canonical form does not parse (%s): %.200s", why, c1);
    c2 = fj_canon(&j2, 0);
    if(!c2)
        goto out;
    FUZZ_REQUIRE(strcmp(c1, c2) == 0, "canonical form not stable:\n%.300s\n%.300s", c1, c2);

    struct kit_jw w;
    int lossy = 0;
    kit_jw_init(&w, &wb);
    fj_emit(j, 0, &w, &lossy);
    if(lossy || kit_jw_error(&w) == KIT_JW_E_NOMEM)
        goto out;
    FUZZ_REQUIRE(kit_jw_error(&w) == 0, "writer error %d re-emitting an accepted document",
                 kit_jw_error(&w));
    rc = kit_json_parse(&j3, wb.data, wb.len, why, sizeof why);
    FUZZ_REQUIRE(rc == 0, "writer output does not parse (%s): %.200s", why, wb.data);
    c3 = fj_canon(&j3, 0);
    if(!c3)
        goto out;
    FUZZ_REQUIRE(strcmp(c1, c3) == 0, "writer changed the document:\n%.300s\n%.300s", c1, c3);
out:
    free(c1);
    free(c2);
    free(c3);
    kit_buf_free(&wb);
    kit_json_free(&j2);
    kit_json_free(&j3);
}

int fuzz_json_one(const uint8_t *data, size_t size)
{
    struct kit_json j;
    char why[256];
    const char *text = (const char *)data;

    /* Any bytes, however broken, must quote into valid JSON. */
    {
        struct kit_buf q = KIT_BUF_INIT;
        struct kit_json jq = {0};
        size_t n = size < 4096 ? size : 4096;
        if(kit_json_quote(&q, text, n) == 0) {
            FUZZ_REQUIRE(kit_json_parse(&jq, q.data, q.len, why, sizeof why) == 0,
                         "kit_json_quote of raw bytes does not parse: %s", why);
        }
        kit_json_free(&jq);
        kit_buf_free(&q);
    }

    why[0] = '\0';
    if(kit_json_parse(&j, text, size, why, sizeof why) != 0) {
        FUZZ_REQUIRE(j.tok == NULL && j.ntok == 0, "rejected document left tokens behind");
        FUZZ_REQUIRE(why[0] != '\0', "rejected document without a reason");
        FUZZ_REQUIRE(kit_json_type(&j, 0) == KIT_JSON_NONE, "token 0 of a rejected document");
        kit_json_free(&j);
        return 0;
    }
    FUZZ_REQUIRE(j.ntok >= 1, "accepted document without tokens");
    FUZZ_REQUIRE(kit_json_skip(&j, 0) == j.ntok, "root does not span the document");
    FUZZ_REQUIRE(kit_json_type(&j, j.ntok) == KIT_JSON_NONE, "token past the end has a type");
    FUZZ_REQUIRE(kit_json_type(&j, -1) == KIT_JSON_NONE, "token -1 has a type");
    for(int t = 0; t < j.ntok; t++)
        fj_check_token(&j, t);
    fj_check_roundtrip(&j);
    kit_json_free(&j);
    kit_json_free(&j); /* documented idempotent */
    return 0;
}

#ifdef FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_json_one(data, size);
}
#endif
