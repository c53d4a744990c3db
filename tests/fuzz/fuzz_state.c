/*
 * fuzz_state.c - loading the ochost state file (och_state_load in
 * host-api/ochost/state.c) from arbitrary bytes, through a memfd. Only
 * loading: a put rewrites files next to the path. Checks: a refusal
 * leaves the state empty and names the file; a loaded state is sorted
 * with unique keys, and och_state_value / och_state_get agree with it
 * (including the OC_E_RANGE answer for a short buffer).
 */
#include "host-api/ochost/state.h"
#include "tests/fuzz/fuzz.h"

int fuzz_state_one(const uint8_t *data, size_t size);

int fuzz_state_one(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if(fd < 0)
        return 0;
    struct och_state st;
    struct oc_error err;
    memset(&err, 0, sizeof err);
    err.struct_size = sizeof err;
    oc_status rc = och_state_load(&st, path, &err);
    if(rc != OC_OK) {
        FUZZ_REQUIRE(st.n == 0 && st.kv == NULL, "refused state left %zu keys", st.n);
        /* Inputs are small: "out of memory" can only be a wrong diagnosis. */
        FUZZ_REQUIRE_TAG("state-nomem", rc != OC_E_NOMEM, "a %zu-byte state file refused as out of memory: %s", size,
                     err.message);
        FUZZ_REQUIRE(err.status == rc, "err.status %d != returned %d", err.status, rc);
        FUZZ_REQUIRE(strstr(err.message, path) != NULL, "refusal does not name the file: %s",
                     err.message);
    } else {
        for(size_t i = 0; i < st.n; i++) {
            const struct och_state_kv *kv = &st.kv[i];
            FUZZ_REQUIRE(kv->key && kv->value, "entry %zu incomplete", i);
            FUZZ_REQUIRE(i == 0 || strcmp(st.kv[i - 1].key, kv->key) < 0,
                         "keys not sorted and unique at %zu", i);
            FUZZ_REQUIRE(kv->value[kv->len] == '\0' && strlen(kv->value) == kv->len,
                         "value of %s holds a NUL or is not terminated", kv->key);
            size_t len = 0;
            FUZZ_REQUIRE(och_state_value(&st, kv->key, &len) == kv->value && len == kv->len,
                         "och_state_value(%s) disagrees", kv->key);
            char small[4];
            size_t need = 0;
            oc_status g = och_state_get(&st, kv->key, small, sizeof small, &need);
            if(kv->len > sizeof small)
                FUZZ_REQUIRE(g == OC_E_RANGE && need >= kv->len,
                             "och_state_get on a short buffer: %d, need %zu", g, need);
            else
                FUZZ_REQUIRE(g == OC_OK && need == kv->len && !memcmp(small, kv->value, kv->len),
                             "och_state_get(%s) = %d", kv->key, g);
        }
        FUZZ_REQUIRE(och_state_value(&st, "\x01 not a key", NULL) == NULL, "found an absent key");
    }
    och_state_free(&st);
    close(fd);
    return 0;
}

#ifdef FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_state_one(data, size);
}
#endif
