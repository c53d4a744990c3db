/*
 * fuzz_usage.c - the usage record the plugin keeps in host state
 * (plugin/usage.h: kit_usage_from_json), which comes back from whatever
 * store the host has, so it is outside input. Checks: an accepted record
 * serializes and parses back to the same text (a record that does not
 * survive save/load would lose or inflate the day's counts), stays within
 * KIT_USAGE_MAX_ENDPOINTS names, and adding it to another stays sane.
 */
#include "plugin/buf.h"
#include "plugin/usage.h"
#include "tests/fuzz/fuzz.h"

int fuzz_usage_one(const uint8_t *data, size_t size);

int fuzz_usage_one(const uint8_t *data, size_t size)
{
    struct kit_usage u, u2, sum;
    struct kit_buf a = KIT_BUF_INIT, b = KIT_BUF_INIT;
    char why[200];
    kit_usage_init(&u);
    kit_usage_init(&u2);
    kit_usage_init(&sum);
    if(kit_usage_from_json(&u, (const char *)data, size, why, sizeof why) != 0)
        goto out;
    /* "other" may come on top of the named ones. */
    FUZZ_REQUIRE(u.nep <= KIT_USAGE_MAX_ENDPOINTS + 1, "%zu endpoints kept", u.nep);
    if(kit_usage_to_json(&u, &a) != 0)
        goto out;
    if(kit_usage_from_json(&u2, a.data ? a.data : "", a.len, why, sizeof why) != 0) {
        FUZZ_REQUIRE_TAG("usage-reload", 0, "saved usage does not load back (%s): %.300s", why,
                         a.data);
        goto out;
    }
    if(kit_usage_to_json(&u2, &b) == 0)
        FUZZ_REQUIRE(a.len == b.len && !memcmp(a.data, b.data, a.len),
                     "usage changed through save/load:\n%.300s\n%.300s", a.data, b.data);
    if(kit_usage_add(&sum, &u) == 0 && kit_usage_add(&sum, &u) == 0)
        FUZZ_REQUIRE(sum.calls == 2 * u.calls || sum.calls < u.calls,
                     "adding a record twice gave %llu calls from %llu",
                     (unsigned long long)sum.calls, (unsigned long long)u.calls);
out:
    kit_usage_free(&u);
    kit_usage_free(&u2);
    kit_usage_free(&sum);
    kit_buf_free(&a);
    kit_buf_free(&b);
    return 0;
}

#ifdef FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_usage_one(data, size);
}
#endif
