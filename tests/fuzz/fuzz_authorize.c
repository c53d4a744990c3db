/*
 * fuzz_authorize.c - HubSpot's two answers to authorize, read by
 * hubspot/authorize.c: the token-info answer (POST .../access-token-info,
 * hs_authorize_parse_token_info) and the account-info answer
 * (GET /account-info/v3/details, hs_authorize_parse_account). The input
 * is a response body; when it parses as JSON (as the HTTP client would
 * parse it) it is given to both readers, and when both accept it the
 * "authorization" record is emitted the way hs_authorize does
 * (hs_scopes_missing, then hs_authorize_emit_record) to a host that checks
 * it. One body serves both readers so the fuzzer needs one corpus.
 *
 * Checks: a reader either accepts the answer or fails with OC_E_PROTOCOL
 * and a non-empty message (never OC_E_NOMEM: these inputs are small, so an
 * "out of memory" is a misreported answer); every message and log line is
 * NUL-terminated valid UTF-8 without control bytes and without the token;
 * exactly one record, whose field names are non-empty and unique and
 * whose values (all short identifiers: ids, zone, scopes) are valid UTF-8
 * without control bytes or the token; number fields are integer literals;
 * a kept UTC offset is within usage's bounds.
 */
#include "hubspot/authorize.h"
#include "hubspot/scopes.h"
#include "plugin/error.h"
#include "plugin/json.h"
#include "plugin/redact.h"
#include "plugin/usage.h"
#include "tests/fuzz/fuzz.h"

int fuzz_authorize_one(const uint8_t *data, size_t size);

#define FAU_TOKEN "pat-na1-00000000-0000-4000-8000-000000000000"

/* NUL-terminated valid UTF-8 (no overlongs, surrogates or values past
 * U+10FFFF) with no byte below 0x20 and no DEL. */
static int fau_clean(const char *s) { return !fuzz_text_problem(s, FUZZ_CTL_NONE); }

struct fau_host {
    int records;
};

static void fau_log(void *ctx, int level, const char *msg)
{
    (void)ctx;
    (void)level;
    FUZZ_REQUIRE(msg && fau_clean(msg), "log line is not clean text: %.300s", msg ? msg : "NULL");
    FUZZ_REQUIRE(!strstr(msg, FAU_TOKEN), "log line carries the token");
}

static int fau_integer(const char *s)
{
    if(*s == '-')
        s++;
    if(!*s || (s[0] == '0' && s[1]))
        return 0;
    for(; *s; s++)
        if(*s < '0' || *s > '9')
            return 0;
    return 1;
}

static oc_status fau_emit(void *ctx, const struct oc_record *r)
{
    struct fau_host *h = ctx;
    h->records++;
    FUZZ_REQUIRE(r->kind && !strcmp(r->kind, "authorization"), "record kind %s",
                 r->kind ? r->kind : "NULL");
    FUZZ_REQUIRE(!r->id || (r->id[0] && fau_integer(r->id)), "record id '%.60s' is no portal id",
                 r->id);
    FUZZ_REQUIRE(r->nfields > 0 && r->nfields <= 16, "record has %zu fields", r->nfields);
    for(size_t i = 0; i < r->nfields; i++) {
        const struct oc_field *f = &r->fields[i];
        FUZZ_REQUIRE(f->key && f->key[0] && fau_clean(f->key), "field %zu has a bad name", i);
        FUZZ_REQUIRE(f->value, "field %s has no value", f->key);
        FUZZ_REQUIRE_TAG("authorize-control", fau_clean(f->value),
                         "field %s is not clean text: %.300s", f->key, f->value);
        FUZZ_REQUIRE_TAG("authorize-token", !strstr(f->value, FAU_TOKEN),
                         "field %s carries the token", f->key);
        FUZZ_REQUIRE(f->type != OC_FIELD_NUMBER || fau_integer(f->value),
                     "number field %s is '%.60s'", f->key, f->value);
        for(size_t m = 0; m < i; m++)
            FUZZ_REQUIRE(strcmp(r->fields[m].key, f->key) != 0, "field %s twice", f->key);
    }
    return OC_OK;
}

static void fau_check_err(oc_status rc, const struct oc_error *err, const char *what)
{
    if(rc == OC_OK)
        return;
    FUZZ_REQUIRE_TAG("authorize-nomem", rc == OC_E_PROTOCOL,
                     "%s reader failed with %d (%s) on a parsed answer", what, rc, err->message);
    FUZZ_REQUIRE(err->status == rc, "%s: err.status %d, returned %d", what, err->status, rc);
    FUZZ_REQUIRE(err->message[0], "%s failed with an empty message", what);
    FUZZ_REQUIRE(memchr(err->message, '\0', sizeof err->message) && fau_clean(err->message),
                 "%s message is not clean text: %.300s", what, err->message);
    FUZZ_REQUIRE(!strstr(err->message, FAU_TOKEN), "%s message carries the token", what);
}

int fuzz_authorize_one(const uint8_t *data, size_t size)
{
    struct kit_json j = {0};
    if(kit_json_parse(&j, (const char *)data, size, NULL, 0) != 0) {
        kit_json_free(&j);
        return 0;
    }
    char token[] = FAU_TOKEN;
    struct fau_host h = {0};
    struct oc_host host = {0};
    host.struct_size = sizeof host;
    host.ctx = &h;
    host.log = fau_log;
    host.emit = fau_emit;
    struct oc_instance in = {0};
    in.host = &host;
    in.opt.access_token = token;
    kit_redact_register(token); /* as hs_instance_new does */

    struct hs_auth_info ai = {0};
    struct kit_buf missing = KIT_BUF_INIT, blocked = KIT_BUF_INIT;
    struct oc_error err;
    memset(&err, 0, sizeof err);
    err.struct_size = sizeof err;

    oc_status rc = hs_authorize_parse_token_info(&in, &j, &ai, &err);
    fau_check_err(rc, &err, "token-info");
    if(rc == OC_OK && ai.verified) {
        FUZZ_REQUIRE(kit_buf_ok(&ai.granted), "granted scopes buffer failed");
        for(size_t i = 0; i < ai.nscopes; i++)
            FUZZ_REQUIRE(ai.scopes[i], "scope %zu is NULL", i);
    }
    oc_status rc2 = hs_authorize_parse_account(&j, &ai, &err);
    fau_check_err(rc2, &err, "account-info");
    if(rc2 == OC_OK && ai.has_offset)
        FUZZ_REQUIRE(ai.offset_ms >= -KIT_USAGE_MAX_OFFSET_MS &&
                         ai.offset_ms <= KIT_USAGE_MAX_OFFSET_MS,
                     "offset %lld kept", (long long)ai.offset_ms);
    if(rc == OC_OK && rc2 == OC_OK) {
        int nmissing = 0;
        if(ai.verified)
            nmissing = hs_scopes_missing(HS_SCOPES, (const char *const *)ai.scopes, ai.nscopes,
                                         &missing, &blocked);
        FUZZ_REQUIRE(nmissing >= 0, "scope comparison ran out of memory");
        const char *status = !ai.verified ? "scopes_unverified"
                             : nmissing   ? "missing_scopes"
                                          : "ok";
        rc = hs_authorize_emit_record(&in, &ai, status, &missing, &blocked, &err);
        FUZZ_REQUIRE(rc == OC_OK, "emitting the record failed with %d", rc);
        FUZZ_REQUIRE(h.records == 1, "%d records emitted", h.records);
    }
    hs_auth_info_free(&ai);
    kit_buf_free(&missing);
    kit_buf_free(&blocked);
    kit_redact_forget(token);
    kit_json_free(&j);
    return 0;
}

#ifdef FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_authorize_one(data, size);
}
#endif
