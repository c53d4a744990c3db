/* check_idindex.c - the contact cache's index (open addressing, deletion by
 * backward shift) against a plain reference: every answer of ~200,000
 * random puts, gets and drops compared, with keys made to share their
 * first slot (so runs are long, overlap and wrap from the last slot to
 * the first), through growth and eviction at the bound; and deletion at
 * every position of a run that wraps. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures/replay.h"
#include "hubspot/idcache.h"
#include "tests/support/testhost.h"
#include "tests/support/xorshift.h"

#define T0 INT64_C(1795824000000)

static struct testhost th;

static void setup(void) { th_init(&th, T0); }
static void teardown(void) { th_free(&th); }

/* The clock never moves here: nothing expires, so every answer is the
 * index's and the use order's alone. */
static struct oc_instance *instance(void)
{
    struct oc_instance *in = NULL;
    struct oc_option o[] = {{"access_token", FX_PLACEHOLDER_TOKEN},
                            {"base_url", "http://127.0.0.1:9"},
                            {"cache_ttl_ms", "60000"}};
    struct oc_error err = {sizeof err};
    ck_assert_msg(hs_instance_new(&th.host, o, 3, &in, &err) == OC_OK, "%s", err.message);
    return in;
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
    return xorshift_next(&rng_state);
}

static size_t below(size_t n) { return (size_t)(rnd() % n); }

/* Slots the index has at a bound of max entries, once grown to it. */
static size_t slots_for(size_t max)
{
    size_t n = 16;
    while(n < 2 * max)
        n *= 2;
    return n;
}

/* ---- the reference: a plain array by key number, and a queue of uses
 * from which the least recently used is the first still current ---- */

struct ref_key {
    char text[40]; /* as stored: emails lowercase */
    int by;
    uint32_t hash;
    int held;
    char id[24]; /* "" with has_id 0: HubSpot has no such contact */
    int has_id;
    unsigned long used; /* the key's last use, when held */
};

struct use {
    size_t key;
    unsigned long when;
};

struct ref {
    struct ref_key *k;
    size_t nkeys, max, count;
    struct use *queue;
    size_t qhead, qlen, qcap;
    unsigned long clock;
};

static void ref_use(struct ref *r, size_t key)
{
    if(r->qlen == r->qcap) {
        /* Uses no longer current are dropped before the queue grows. */
        size_t n = 0;
        for(size_t i = r->qhead; i < r->qlen; i++) {
            struct use u = r->queue[i];
            if(r->k[u.key].held && r->k[u.key].used == u.when)
                r->queue[n++] = u;
        }
        r->qhead = 0;
        r->qlen = n;
        if(r->qlen == r->qcap) {
            r->qcap *= 2;
            r->queue = realloc(r->queue, r->qcap * sizeof *r->queue);
            ck_assert_ptr_nonnull(r->queue);
        }
    }
    r->k[key].used = ++r->clock;
    r->queue[r->qlen++] = (struct use){key, r->clock};
}

static void ref_evict_oldest(struct ref *r)
{
    for(;;) {
        ck_assert_uint_lt(r->qhead, r->qlen);
        struct use u = r->queue[r->qhead++];
        if(r->k[u.key].held && r->k[u.key].used == u.when) {
            r->k[u.key].held = 0;
            r->count--;
            return;
        }
    }
}

static void ref_put(struct ref *r, size_t key, const char *id)
{
    struct ref_key *k = &r->k[key];
    if(!k->held) {
        if(r->count == r->max)
            ref_evict_oldest(r);
        k->held = 1;
        r->count++;
    }
    k->has_id = id != NULL;
    snprintf(k->id, sizeof k->id, "%s", id ? id : "");
    ref_use(r, key);
}

static void ref_reset(struct ref *r, size_t max)
{
    for(size_t i = 0; i < r->nkeys; i++)
        r->k[i].held = 0;
    r->count = 0;
    r->max = max;
    r->qhead = r->qlen = 0;
}

/* nkeys keys, one in crowd_every made to start their probe at one of
 * a few slots of an index of nslot (two near the end, so runs wrap and
 * a deletion's shift crosses from the last slot to the first; the first;
 * one in the middle) and so at the same slots in every smaller index
 * on the way there; a tenth are record-id keys. */
static void make_keys(struct ref *r, size_t nkeys, size_t crowd_every, size_t nslot, unsigned tag)
{
    const size_t crowd[] = {nslot - 3, nslot - 1, 0, nslot / 2};
    r->nkeys = nkeys;
    r->k = calloc(nkeys, sizeof *r->k);
    ck_assert_ptr_nonnull(r->k);
    unsigned long serial = 0;
    for(size_t i = 0; i < nkeys; i++) {
        struct ref_key *k = &r->k[i];
        int crowded = i % crowd_every == 0;
        size_t target = crowd[(i / crowd_every) % 4];
        for(;;) {
            serial++;
            k->by = i % 10 == 9 ? OC_LOOKUP_ID : OC_LOOKUP_EMAIL;
            if(k->by == OC_LOOKUP_ID)
                snprintf(k->text, sizeof k->text, "%u%lu", tag + 1, serial);
            else
                snprintf(k->text, sizeof k->text, "u%u.%lu@crowd.example", tag, serial);
            k->hash = hs_idcache_key_hash(k->by, k->text);
            if(!crowded || (k->hash & (nslot - 1)) == target)
                break;
        }
    }
    r->qcap = 1024;
    r->queue = malloc(r->qcap * sizeof *r->queue);
    ck_assert_ptr_nonnull(r->queue);
}

static void ref_free(struct ref *r)
{
    free(r->k);
    free(r->queue);
}

/* The key as a caller may write it: an email with some letters upper
 * case (the cache matches emails case-insensitively). */
static const char *spelled(const struct ref_key *k, char *out, size_t size)
{
    snprintf(out, size, "%s", k->text);
    if(k->by == OC_LOOKUP_EMAIL && below(4) == 0)
        for(char *p = out; *p; p++)
            if(*p >= 'a' && *p <= 'z' && below(2))
                *p = (char)(*p - 'a' + 'A');
    return out;
}

/* The cache and the reference give the same answer for key; a hit is a
 * use in both. */
static void compare_get(struct hs_idcache *c, struct ref *r, size_t key, unsigned long op)
{
    char text[40];
    struct ref_key *k = &r->k[key];
    struct hs_idcache_hit h;
    int got = hs_idcache_get(c, k->by, spelled(k, text, sizeof text), &h);
    ck_assert_msg(got == k->held, "op %lu: %s is %s but the cache %s it", op, k->text,
                  k->held ? "held" : "not held", got ? "finds" : "does not find");
    if(!got)
        return;
    if(k->has_id) {
        ck_assert_msg(h.id && !strcmp(h.id, k->id), "op %lu: %s has id %s, the cache says %s", op,
                      k->text, k->id, h.id ? h.id : "none");
    } else {
        ck_assert_msg(!h.id, "op %lu: %s has no id, the cache says %s", op, k->text, h.id);
    }
    ref_use(r, key);
}

/* ops random operations on a cache bounded to max, restarted (empty, at
 * its small first size) every restart_every operations so it grows again. */
static void run_differential(size_t max, size_t nkeys, size_t crowd_every, unsigned long ops,
                             unsigned long restart_every, unsigned tag)
{
    struct oc_instance *in = instance();
    struct ref r = {0};
    size_t nslot = slots_for(max);
    make_keys(&r, nkeys, crowd_every, nslot, tag);
    struct hs_idcache *c = NULL;
    char text[40], id[24];
    for(unsigned long op = 0; op < ops; op++) {
        if(op % restart_every == 0) {
            ck_assert_int_eq(hs_idcache_limit(in, max), OC_OK);
            c = hs_idcache_open(in);
            ck_assert_ptr_nonnull(c);
            ref_reset(&r, max);
        }
        /* Half the time a crowded key: long shared runs are where an
         * index goes wrong. */
        size_t key = below(2) ? below(nkeys / crowd_every + 1) * crowd_every : below(nkeys);
        if(key >= nkeys)
            key = 0;
        struct ref_key *k = &r.k[key];
        size_t what = below(100);
        if(what < 50) {
            const char *give = NULL;
            if(below(10)) {
                snprintf(id, sizeof id, "%zu", 1 + below(300));
                give = id;
            }
            ck_assert_int_eq(hs_idcache_put(c, k->by, spelled(k, text, sizeof text), give, NULL, 0),
                             OC_OK);
            ref_put(&r, key, give);
        } else if(what < 88) {
            compare_get(c, &r, key, op);
        } else if(what < 98) {
            hs_idcache_drop(c, k->by, spelled(k, text, sizeof text));
            if(k->held) {
                k->held = 0;
                r.count--;
            }
        } else {
            snprintf(id, sizeof id, "%zu", 1 + below(300));
            hs_idcache_drop_id(c, id);
            for(size_t i = 0; i < nkeys; i++)
                if(r.k[i].held && r.k[i].has_id && !strcmp(r.k[i].id, id)) {
                    r.k[i].held = 0;
                    r.count--;
                }
        }
        ck_assert_msg(hs_idcache_count(c) == r.count, "op %lu: the cache holds %zu, the reference %zu",
                      op, hs_idcache_count(c), r.count);
        if(r.count == max)
            ck_assert_uint_eq(hs_idcache_index_slots(c), nslot);
        /* Now and then every key is asked for: what a random get would
         * take long to reach. */
        if(op % 4999 == 4998)
            for(size_t i = 0; i < nkeys; i++)
                compare_get(c, &r, i, op);
    }
    ref_free(&r);
    hs_instance_release(in);
}

START_TEST(test_index_matches_reference_small_bound)
{
    rng_state = UINT64_C(0x9e3779b97f4a7c15);
    /* 40 entries in 128 slots, three times as many keys: eviction on most
     * puts, the crowded runs wrapping over the last slot. */
    run_differential(40, 120, 3, 60000, 60000, 1);
}
END_TEST

START_TEST(test_index_matches_reference_through_growth)
{
    rng_state = UINT64_C(0xd1b54a32d192ed03);
    /* From 64 entries doubling to 1000 (2048 slots), restarted so it grows
     * again four times, evicting at the bound in between. */
    run_differential(1000, 1600, 3, 100000, 25000, 2);
}
END_TEST

START_TEST(test_index_matches_reference_full_size)
{
    rng_state = UINT64_C(0x2545f4914f6cdd1d);
    /* The bounded size: 8192 slots, one key in 30 crowded (each costs
     * thousands of tries to make). */
    run_differential(HS_IDCACHE_MAX_ENTRIES, 6000, 30, 40000, 40000, 3);
}
END_TEST

/* A run of keys starting three slots before the end, at the last slot,
 * at the first and the second, so it wraps, and a deletion before the
 * last slot shifts keys across the wrap: each key dropped in turn (from a fresh cache holding them all) leaves
 * every other findable, is found no more, and is found again once put
 * back. */
START_TEST(test_deletion_across_the_wrap)
{
    enum { MAX = 48, NEAR_END = 4, AT_LAST = 4, AT_FIRST = 2, AT_SECOND = 2,
           N = NEAR_END + AT_LAST + AT_FIRST + AT_SECOND };
    struct oc_instance *in = instance();
    size_t nslot = slots_for(MAX);
    char keys[N][40];
    unsigned long serial = 0;
    for(int i = 0; i < N; i++) {
        size_t want = i < NEAR_END                       ? nslot - 3
                      : i < NEAR_END + AT_LAST             ? nslot - 1
                      : i < NEAR_END + AT_LAST + AT_FIRST ? 0
                                                           : 1;
        do
            snprintf(keys[i], sizeof keys[i], "wrap%lu@crowd.example", ++serial);
        while((hs_idcache_key_hash(OC_LOOKUP_EMAIL, keys[i]) & (nslot - 1)) != want);
    }
    for(int order = 0; order < 2; order++)
        for(int d = 0; d < N; d++) {
            ck_assert_int_eq(hs_idcache_limit(in, MAX), OC_OK);
            struct hs_idcache *c = hs_idcache_open(in);
            ck_assert_ptr_nonnull(c);
            ck_assert_uint_eq(hs_idcache_index_slots(c), nslot);
            /* Put in order, then in reverse: the run's order differs. */
            for(int i = 0; i < N; i++) {
                int k = order ? N - 1 - i : i;
                char id[16];
                snprintf(id, sizeof id, "%d", k + 1);
                ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, keys[k], id, NULL, 0), OC_OK);
            }
            hs_idcache_drop(c, OC_LOOKUP_EMAIL, keys[d]);
            ck_assert_uint_eq(hs_idcache_count(c), N - 1);
            struct hs_idcache_hit h;
            for(int i = 0; i < N; i++) {
                int got = hs_idcache_get(c, OC_LOOKUP_EMAIL, keys[i], &h);
                ck_assert_msg(got == (i != d), "order %d, %s dropped: %s %s", order, keys[d], keys[i],
                              got ? "still found" : "lost");
                if(got) {
                    char id[16];
                    snprintf(id, sizeof id, "%d", i + 1);
                    ck_assert_str_eq(h.id, id);
                }
            }
            ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, keys[d], "99", NULL, 0), OC_OK);
            ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, keys[d], &h), 1);
            ck_assert_str_eq(h.id, "99");
            ck_assert_uint_eq(hs_idcache_count(c), N);
        }
    hs_instance_release(in);
}
END_TEST

Suite *make_idindex_suite(void);
Suite *make_idindex_suite(void)
{
    Suite *s = suite_create("idindex");
    TCase *tc = tcase_create("idindex");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_deletion_across_the_wrap);
    tcase_add_test(tc, test_index_matches_reference_small_bound);
    tcase_add_test(tc, test_index_matches_reference_through_growth);
    tcase_add_test(tc, test_index_matches_reference_full_size);
    suite_add_tcase(s, tc);
    return s;
}
