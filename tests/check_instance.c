/* check_instance.c - an instance frees every capability's state through
 * the slot the capability filled, without knowing the capability; and the
 * kit's fixed-capacity string set keeps its bound. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "fixtures/replay.h"
#include "hubspot/instance.h"
#include "hubspot/lookup.h"
#include "plugin/strset.h"
#include "tests/support/testhost.h"

static struct testhost th;
static struct oc_instance *in;

static void setup(void)
{
    th_init(&th, INT64_C(1795824000000));
    /* Port 9 (discard): nothing here makes a call. */
    struct oc_option o[] = {{"access_token", FX_PLACEHOLDER_TOKEN}, {"base_url", "http://127.0.0.1:9"}};
    struct oc_error err = {sizeof err};
    ck_assert_msg(hs_instance_new(&th.host, o, 2, &in, &err) == OC_OK, "%s", err.message);
}

static void teardown(void)
{
    hs_instance_release(in);
    in = NULL;
    th_free(&th);
}

static void *released[HS_SLOT_COUNT];
static size_t nreleased;

static void count_release(void *state)
{
    if(nreleased < HS_SLOT_COUNT)
        released[nreleased] = state;
    nreleased++;
}

START_TEST(release_frees_every_slot_once)
{
    static char states[HS_SLOT_COUNT];
    nreleased = 0;
    memset(released, 0, sizeof released);
    for(size_t i = 0; i < HS_SLOT_COUNT; i++)
        in->slot[i] = (struct hs_slot){&states[i], count_release};
    hs_instance_release(in);
    in = NULL;
    ck_assert_uint_eq(nreleased, HS_SLOT_COUNT);
    for(size_t i = 0; i < HS_SLOT_COUNT; i++)
        ck_assert_ptr_eq(released[i], &states[i]);
}
END_TEST

START_TEST(lookup_cache_lives_in_its_slot)
{
    ck_assert_ptr_null(in->slot[HS_SLOT_LOOKUP].state);
    ck_assert_int_eq(hs_lookup_cache_limit(in, 2), OC_OK);
    ck_assert_ptr_nonnull(in->slot[HS_SLOT_LOOKUP].state);
    ck_assert_ptr_nonnull(in->slot[HS_SLOT_LOOKUP].release);
    /* Replacing the cache frees the old one (ASan and valgrind see a leak
     * otherwise); teardown frees the new one through the slot. */
    ck_assert_int_eq(hs_lookup_cache_limit(in, 3), OC_OK);
    ck_assert_ptr_nonnull(in->slot[HS_SLOT_LOOKUP].state);
    ck_assert_uint_eq(hs_lookup_cache_count(in), 0);
}
END_TEST

START_TEST(strset_keeps_its_bound)
{
    struct kit_strset s;
    int v1, v2;
    ck_assert_int_eq(kit_strset_init(&s, 2), 0);
    ck_assert_int_eq(kit_strset_put(&s, "a@example.com", 13, &v1), 1);
    ck_assert_int_eq(kit_strset_add(&s, "a@example.com", 13), 0);
    /* Length counts, not the NUL: a prefix is another key. */
    ck_assert_int_eq(kit_strset_put(&s, "a@example.co", 12, &v2), 1);
    ck_assert_int_eq(kit_strset_add(&s, "b@example.com", 13), -1);
    ck_assert_int_eq(kit_strset_has(&s, "b@example.com", 13), 0);
    ck_assert_ptr_eq(kit_strset_get(&s, "a@example.com", 13), &v1);
    ck_assert_ptr_eq(kit_strset_get(&s, "a@example.co", 12), &v2);
    kit_strset_clear(&s);
    ck_assert_int_eq(kit_strset_has(&s, "a@example.com", 13), 0);
    ck_assert_int_eq(kit_strset_add(&s, "", 0), 1);
    ck_assert_int_eq(kit_strset_has(&s, "", 0), 1);
    kit_strset_free(&s);
    ck_assert_int_eq(kit_strset_add(&s, "a", 1), -1);
    ck_assert_int_eq(kit_strset_has(&s, "a", 1), 0);
    ck_assert_ptr_null(kit_strset_get(&s, "a", 1));
    kit_strset_free(&s);
}
END_TEST

/* Through the exported entry, as a host calls it: an instance created for
 * usage reports only (no token) answers usage and refuses, with a message
 * naming the token, every operation that would talk to HubSpot. */
START_TEST(usage_only_instance_refuses_calls)
{
    struct oc_connector c = {0};
    struct oc_error err = {sizeof err};
    ck_assert_int_eq(oc_connector_entry(OC_ABI_VERSION, &c, sizeof c, &err), OC_OK);
    struct testhost t;
    th_init(&t, INT64_C(1795824000000));
    struct oc_option o[] = {{"usage_only", "1"}};
    struct oc_instance *u = NULL;
    ck_assert_msg(c.init(&t.host, o, 1, &u, &err) == OC_OK, "%s", err.message);
    ck_assert_msg(c.usage(u, &err) == OC_OK, "%s", err.message);

    ck_assert_int_eq(c.authorize(u, &err), OC_E_CONFIG);
    ck_assert_int_eq(err.status, OC_E_CONFIG);
    ck_assert_msg(strstr(err.message, "authorize: ") && strstr(err.message, "access_token"), "%s",
                  err.message);
    struct oc_pull_request pr = {sizeof pr, NULL, 0, NULL};
    ck_assert_int_eq(c.pull(u, &pr, &err), OC_E_CONFIG);
    const char *q[] = {"ann@example.com"};
    struct oc_lookup_request lr = {sizeof lr, OC_LOOKUP_EMAIL, 1, q, NULL, NULL};
    ck_assert_int_eq(c.lookup(u, &lr, &err), OC_E_CONFIG);
    c.release(u);
    th_free(&t);
}
END_TEST

Suite *make_instance_suite(void);
Suite *make_instance_suite(void)
{
    Suite *s = suite_create("instance");
    TCase *tc = tcase_create("slots");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, release_frees_every_slot_once);
    tcase_add_test(tc, lookup_cache_lives_in_its_slot);
    tcase_add_test(tc, usage_only_instance_refuses_calls);
    suite_add_tcase(s, tc);
    TCase *ts = tcase_create("strset");
    tcase_add_test(ts, strset_keeps_its_bound);
    suite_add_tcase(s, ts);
    return s;
}
