/*
 * fuzz_input.c - the push input reader (host-api/ochost/input.c: JSON
 * Lines or CSV, chosen by content) on arbitrary bytes, read through
 * fmemopen like a file. Checks what the plugin relies on for each record
 * (struct oc_push_request next() contract): kind "contact" with a
 * non-empty "email" field, or kind "invalid" with an "error" field; an id
 * "line N" whose N never goes backwards; every key and value a
 * NUL-terminated string of valid UTF-8 (so a JSON Lines string holding
 * \u0000, which a C string would silently cut short, must make the record
 * invalid); and the run always ends.
 */
#include "host-api/ochost/input.h"
#include "plugin/json.h"
#include "tests/fuzz/fuzz.h"

int fuzz_input_one(const uint8_t *data, size_t size);

/* Well-formed UTF-8 (no overlongs, surrogates or code points past
 * U+10FFFF), written here again so the check does not trust the reader's
 * own validator. */
static int fin_utf8_ok(const char *s) { return !fuzz_text_problem(s, FUZZ_CTL_ANY); }

/* Nonzero when some string of the JSON text (key or value) decodes to
 * bytes holding a NUL. */
static int fin_json_has_nul(const char *text, size_t len)
{
    struct kit_json j = {0};
    int found = 0;
    if(kit_json_parse(&j, text, len, NULL, 0) == 0)
        for(int t = 0; t < j.ntok && !found; t++) {
            if(kit_json_type(&j, t) != KIT_JSON_STRING)
                continue;
            char *d = kit_json_strdup(&j, t);
            found = !d; /* strdup refuses exactly the strings with \u0000 (or oom) */
            free(d);
        }
    kit_json_free(&j);
    return found;
}

static const char *fin_field(const struct oc_record *r, const char *key)
{
    for(size_t i = 0; i < r->nfields; i++)
        if(r->fields[i].key && !strcmp(r->fields[i].key, key))
            return r->fields[i].value;
    return NULL;
}

int fuzz_input_one(const uint8_t *data, size_t size)
{
    /* fmemopen of 0 bytes fails on older glibc; an empty file is "" then. */
    static char empty[1];
    FILE *f = fmemopen(size ? (void *)(uintptr_t)data : empty, size, "rb");
    if(!f)
        return 0;
    struct och_input in;
    struct oc_error err;
    memset(&err, 0, sizeof err);
    err.struct_size = sizeof err;
    oc_status rc = och_input_open(&in, f, "fuzz.csv", &err);
    if(rc != OC_OK) {
        FUZZ_REQUIRE(rc == OC_E_CONFIG || rc == OC_E_IO, "och_input_open returned %d: %s", rc,
                     err.message);
        FUZZ_REQUIRE(strstr(err.message, "fuzz.csv") != NULL, "refusal does not name the input: %s",
                     err.message);
        goto done;
    }
    unsigned long last_line = 0;
    /* Each record consumes at least one byte (or ends the run). */
    for(size_t n = 0;; n++) {
        FUZZ_REQUIRE(n <= size + 1, "more records than input bytes: the reader loops");
        struct oc_record r;
        memset(&r, 0, sizeof r);
        r.struct_size = sizeof r;
        rc = och_input_next(&in, &r);
        if(rc == OC_E_NOT_FOUND)
            break;
        FUZZ_REQUIRE(rc == OC_OK, "och_input_next returned %d on memory input", rc);
        FUZZ_REQUIRE(r.kind && r.id, "record without kind or id");
        unsigned long line = 0;
        FUZZ_REQUIRE(sscanf(r.id, "line %lu", &line) == 1 && line >= 1, "record id '%s'", r.id);
        FUZZ_REQUIRE(line >= last_line, "line went back from %lu to %lu", last_line, line);
        last_line = line;
        FUZZ_REQUIRE(r.nfields == 0 || r.fields, "fields NULL with nfields %zu", r.nfields);
        for(size_t i = 0; i < r.nfields; i++) {
            const struct oc_field *fl = &r.fields[i];
            FUZZ_REQUIRE(fl->key && fl->value, "field %zu of %s is NULL", i, r.id);
            FUZZ_REQUIRE(fin_utf8_ok(fl->key) && fin_utf8_ok(fl->value),
                         "field %zu of %s is not valid UTF-8", i, r.id);
        }
        if(!strcmp(r.kind, "contact")) {
            const char *email = fin_field(&r, "email");
            FUZZ_REQUIRE(email && email[0], "contact %s without email", r.id);
            if(in.format == OCH_INPUT_JSONL) {
                size_t rawlen = 0;
                const char *raw = och_input_raw(&in, &rawlen);
                FUZZ_REQUIRE_TAG("input-nul", !fin_json_has_nul(raw, rawlen),
                             "%s: a string holding \\u0000 was cut short instead of refused", r.id);
            }
        } else {
            FUZZ_REQUIRE(!strcmp(r.kind, "invalid"), "record kind '%s'", r.kind);
            const char *e = fin_field(&r, "error");
            FUZZ_REQUIRE(e && e[0], "invalid record %s without error", r.id);
        }
        size_t rl = 0;
        (void)och_input_raw(&in, &rl);
        FUZZ_REQUIRE(rl <= size, "raw record longer than the input");
    }
done:
    och_input_close(&in);
    fclose(f);
    return 0;
}

#ifdef FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_input_one(data, size);
}
#endif
