/* check_idcache.c - the contact cache kept in the host's state: what one
 * instance learned another finds (emails case-insensitively, misses and
 * lookup records included), the TTL on the virtual clock, the least
 * recently used entry out at the bounds, one save per batch, and a
 * corrupt or foreign state value ignored with a warning. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures/replay.h"
#include "hubspot/idcache.h"
#include "plugin/buf.h"
#include "plugin/json.h"
#include "tests/support/scenario_check.h"
#include "tests/support/testhost.h"
#include "tests/support/xorshift.h"

#define T0 INT64_C(1795824000000)
#define TTL 60000

static struct testhost th;

static void setup(void) { th_init(&th, T0); }
static void teardown(void) { th_free(&th); }

/* A new instance on th (so on th's state), as a second run would be. */
static struct oc_instance *instance(const char *ttl)
{
    struct oc_instance *in = NULL;
    struct oc_option o[] = {{"access_token", FX_PLACEHOLDER_TOKEN},
                            {"base_url", "http://127.0.0.1:9"},
                            {"cache_ttl_ms", ttl}};
    struct oc_error err = {sizeof err};
    ck_assert_msg(hs_instance_new(&th.host, o, 3, &in, &err) == OC_OK, "%s", err.message);
    return in;
}

static struct oc_instance *instance_ttl(void) { return instance("60000"); }

static void put_state(const char *value)
{
    ck_assert_int_eq(th.host.state_put(th.host.ctx, HS_IDCACHE_KEY, value, strlen(value)), OC_OK);
}

static const struct oc_field ann[] = {{"id", "51", OC_FIELD_STRING},
                                      {"email", "ann@example.com", OC_FIELD_STRING},
                                      {"firstname", "Ann \"Quoted\"\nLine", OC_FIELD_STRING}};

START_TEST(test_second_instance_finds_what_the_first_learned)
{
    struct oc_instance *a = instance_ttl();
    struct hs_idcache *c = hs_idcache_open(a);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, "Ann@Example.COM", "51", ann, 3), OC_OK);
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, "nobody@example.com", NULL, NULL, 0),
                     OC_OK);
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, "bob@example.com", "52", NULL, 0), OC_OK);
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_ID, "404", NULL, NULL, 0), OC_OK);
    /* Puts alone write nothing: the state is written once per batch. */
    ck_assert_ptr_null(th_state(&th, HS_IDCACHE_KEY));
    ck_assert_int_eq(hs_idcache_save(c), OC_OK);
    ck_assert_ptr_nonnull(th_state(&th, HS_IDCACHE_KEY));
    hs_instance_release(a);

    th_advance(&th, TTL - 1);
    struct oc_instance *b = instance_ttl();
    c = hs_idcache_open(b);
    struct hs_idcache_hit h;
    ck_assert_uint_eq(hs_idcache_count(c), 4);
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "aNN@example.com", &h), 1);
    ck_assert_str_eq(h.id, "51");
    ck_assert_uint_eq(h.nfields, 3);
    for(size_t i = 0; i < 3; i++) {
        ck_assert_str_eq(h.fields[i].key, ann[i].key);
        ck_assert_str_eq(h.fields[i].value, ann[i].value);
        ck_assert_int_eq(h.fields[i].type, OC_FIELD_STRING);
    }
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "nobody@example.com", &h), 1);
    ck_assert_ptr_null(h.id);
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "bob@example.com", &h), 1);
    ck_assert_str_eq(h.id, "52");
    ck_assert_ptr_null(h.fields);
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_ID, "404", &h), 1);
    ck_assert_ptr_null(h.id);
    /* An id key is not an email key. */
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_ID, "nobody@example.com", &h), 0);
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "carl@example.com", &h), 0);

    /* The TTL is over on the virtual clock: gone, and dropped. */
    th_advance(&th, 1);
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "ann@example.com", &h), 0);
    ck_assert_uint_eq(hs_idcache_count(c), 3);
    hs_instance_release(b);
}
END_TEST

START_TEST(test_expired_entries_are_neither_loaded_nor_saved)
{
    struct oc_instance *a = instance_ttl();
    struct hs_idcache *c = hs_idcache_open(a);
    hs_idcache_put(c, OC_LOOKUP_EMAIL, "old@example.com", "1", NULL, 0);
    th_advance(&th, TTL / 2);
    hs_idcache_put(c, OC_LOOKUP_EMAIL, "new@example.com", "2", NULL, 0);
    ck_assert_int_eq(hs_idcache_save(c), OC_OK);
    th_advance(&th, TTL / 2);
    /* old expired now: a reload leaves it out, a save writes it no more. */
    c = hs_idcache_open(a);
    ck_assert_uint_eq(hs_idcache_count(c), 1);
    hs_idcache_put(c, OC_LOOKUP_EMAIL, "third@example.com", "3", NULL, 0);
    ck_assert_int_eq(hs_idcache_save(c), OC_OK);
    ASSERT_LACKS(th_state(&th, HS_IDCACHE_KEY), "old@");
    ASSERT_HAS(th_state(&th, HS_IDCACHE_KEY), "new@");
    hs_instance_release(a);
}
END_TEST

START_TEST(test_least_recently_used_out)
{
    struct oc_instance *a = instance_ttl();
    struct hs_idcache_hit h;
    ck_assert_int_eq(hs_idcache_limit(a, 0), OC_E_INVALID);
    ck_assert_int_eq(hs_idcache_limit(a, HS_IDCACHE_MAX_ENTRIES + 1), OC_E_INVALID);
    ck_assert_int_eq(hs_idcache_limit(a, 3), OC_OK);
    struct hs_idcache *c = hs_idcache_open(a);
    hs_idcache_put(c, OC_LOOKUP_EMAIL, "a@example.com", "1", NULL, 0);
    hs_idcache_put(c, OC_LOOKUP_EMAIL, "b@example.com", "2", NULL, 0);
    hs_idcache_put(c, OC_LOOKUP_EMAIL, "c@example.com", "3", NULL, 0);
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "a@example.com", &h), 1); /* used */
    hs_idcache_put(c, OC_LOOKUP_EMAIL, "d@example.com", "4", NULL, 0);
    ck_assert_uint_eq(hs_idcache_count(c), 3);
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "b@example.com", &h), 0);
    /* Replacing an entry does not grow the cache. */
    hs_idcache_put(c, OC_LOOKUP_EMAIL, "D@example.com", "44", NULL, 0);
    ck_assert_uint_eq(hs_idcache_count(c), 3);
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "d@example.com", &h), 1);
    ck_assert_str_eq(h.id, "44");
    ck_assert_int_eq(hs_idcache_save(c), OC_OK); /* order now c, a, d */
    hs_instance_release(a);

    /* A run with a smaller bound keeps the most recently used. */
    struct oc_instance *b = instance_ttl();
    ck_assert_int_eq(hs_idcache_limit(b, 2), OC_OK);
    c = hs_idcache_open(b);
    ck_assert_uint_eq(hs_idcache_count(c), 2);
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "c@example.com", &h), 0);
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "a@example.com", &h), 1);
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "d@example.com", &h), 1);
    hs_instance_release(b);
}
END_TEST

START_TEST(test_state_size_bounded)
{
    struct oc_instance *a = instance_ttl();
    struct hs_idcache *c = hs_idcache_open(a);
    static char big[3500];
    memset(big, 'x', sizeof big - 1);
    char email[64], id[16];
    for(int i = 0; i < 600; i++) {
        snprintf(email, sizeof email, "user%d@example.com", i);
        snprintf(id, sizeof id, "%d", 1000 + i);
        struct oc_field f[] = {{"id", id, OC_FIELD_STRING}, {"notes", big, OC_FIELD_STRING}};
        ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, email, id, f, 2), OC_OK);
    }
    ck_assert_int_eq(hs_idcache_save(c), OC_OK);
    size_t len = strlen(th_state(&th, HS_IDCACHE_KEY));
    ck_assert_uint_le(len, HS_IDCACHE_MAX_BYTES + 64);
    ck_assert_uint_gt(len, HS_IDCACHE_MAX_BYTES - 8192);
    struct hs_idcache_hit h;
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "user599@example.com", &h), 1);
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "user0@example.com", &h), 0);

    /* A record too large for the cache: its id is still worth keeping. */
    static char huge[HS_IDCACHE_RECORD_MAX_BYTES + 10];
    memset(huge, 'y', sizeof huge - 1);
    struct oc_field f[] = {{"id", "7", OC_FIELD_STRING}, {"notes", huge, OC_FIELD_STRING}};
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, "huge@example.com", "7", f, 2), OC_OK);
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "huge@example.com", &h), 1);
    ck_assert_str_eq(h.id, "7");
    ck_assert_ptr_null(h.fields);
    hs_instance_release(a);
}
END_TEST

/* The byte count the bounds are kept on is the saved value's size, for
 * every kind of entry: plain and escaped keys, no id, id keys, records,
 * a record cut to its id, keys short enough to sit in an entry and too
 * long for it, and a key put again. A wrong count would let the value
 * outgrow HS_IDCACHE_MAX_BYTES, or evict for nothing. */
START_TEST(test_bytes_match_the_saved_value)
{
    struct oc_instance *a = instance_ttl();
    struct hs_idcache *c = hs_idcache_open(a);
    static char huge[HS_IDCACHE_RECORD_MAX_BYTES + 10];
    memset(huge, 'y', sizeof huge - 1);
    char at_edge[64], past_edge[64];
    /* 60 bytes with the id "12345678" and both NULs: the most an entry
     * holds in itself; one more and the key has its own block. */
    static const char letters[] = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz";
    snprintf(at_edge, sizeof at_edge, "%.*s@example.com", 60 - 2 - 8 - 12, letters);
    snprintf(past_edge, sizeof past_edge, "%.*s@example.com", 60 - 2 - 8 - 11, letters);
    struct oc_field rec[] = {{"id", "51", OC_FIELD_STRING}, {"firstname", "Ann \"Q\"\n\xc3\xa9", OC_FIELD_STRING}};
    struct oc_field big[] = {{"id", "7", OC_FIELD_STRING}, {"notes", huge, OC_FIELD_STRING}};
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, "Plain@Example.com", "123", NULL, 0), OC_OK);
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, "nobody@example.com", NULL, NULL, 0), OC_OK);
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, "q\"uote\\d@example.com", "9", NULL, 0), OC_OK);
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, "j\xc3\xb6rg@example.com", "10", NULL, 0), OC_OK);
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_ID, "404", NULL, NULL, 0), OC_OK);
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, "ann@example.com", "51", rec, 2), OC_OK);
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, "huge@example.com", "7", big, 2), OC_OK);
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, at_edge, "12345678", NULL, 0), OC_OK);
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, past_edge, "12345678", NULL, 0), OC_OK);
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, "PLAIN@example.com", "1234567890123", NULL, 0), OC_OK);
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, "AbCdEfGh.IJKLMNOP.QrS@[EXAMPLE].Z", "5", NULL, 0), OC_OK);
    ck_assert_uint_eq(hs_idcache_count(c), 10);
    ck_assert_int_eq(hs_idcache_save(c), OC_OK);
    static const char frame[] = "{\"cache\":\"contact-ids\",\"v\":1,\"entries\":[]}";
    ck_assert_uint_eq(strlen(th_state(&th, HS_IDCACHE_KEY)), sizeof frame - 1 + hs_idcache_bytes(c) - 1);
    hs_instance_release(a);

    /* What was kept reads back whole, on either side of the edge. */
    struct oc_instance *b = instance_ttl();
    c = hs_idcache_open(b);
    struct hs_idcache_hit h;
    ck_assert_uint_eq(hs_idcache_count(c), 10);
    /* Letters are folded wherever they sit; '@', '[' and ']' (beside 'A'
     * and 'Z' in ASCII) are not. */
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "abcdefgh.ijklmnop.qrs@[example].z", &h), 1);
    ck_assert_str_eq(h.id, "5");
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "abcdefgh.ijklmnop.qrs`{example}.z", &h), 0);
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, at_edge, &h), 1);
    ck_assert_str_eq(h.id, "12345678");
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, past_edge, &h), 1);
    ck_assert_str_eq(h.id, "12345678");
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "plain@EXAMPLE.com", &h), 1);
    ck_assert_str_eq(h.id, "1234567890123");
    ck_assert_int_eq(hs_idcache_save(c), OC_OK); /* the gets moved entries: saved again, same size */
    ck_assert_uint_eq(strlen(th_state(&th, HS_IDCACHE_KEY)), sizeof frame - 1 + hs_idcache_bytes(c) - 1);
    hs_instance_release(b);
}
END_TEST

/* The saved value byte for byte as the JSON writer writes it, whichever
 * way each entry is written: plain and awkward keys (quote, backslash,
 * UTF-8, '/'), email and id keys, no such contact, lookup records, times
 * of different lengths. */
/* Save c and require the saved value to be want byte for byte (whose
 * names where want came from in the message); the saved value, owned by
 * the test host until the next save. */
static const char *saved_as(struct hs_idcache *c, const char *want, const char *whose)
{
    ck_assert_int_eq(hs_idcache_save(c), OC_OK);
    const char *got = th_state(&th, HS_IDCACHE_KEY);
    ck_assert_ptr_nonnull(got);
    size_t at = 0;
    while(got[at] && got[at] == want[at])
        at++;
    ck_assert_msg(!got[at] && !want[at], "the saved value differs at byte %zu: %.80s, %s %.80s", at, got + at,
                  whose, want + at);
    return got;
}

START_TEST(test_saved_value_as_the_json_writer)
{
    static const char *const shapes[] = {"User%d@Example.COM", "q\"%d\\x@example.com", "j\xc3\xb6rg%d@example.com",
                                         "a/b%d@example.com", "%d", "Very.Long.Address.Number.%d@Some-Company.Example.org"};
    static const struct oc_field rec[] = {{"id", "51", OC_FIELD_STRING},
                                          {"firstname", "Ann \"Q\"\n\xc3\xa9", OC_FIELD_STRING}};
    enum { N = 300 };
    struct oc_instance *a = instance_ttl();
    struct hs_idcache *c = hs_idcache_open(a);
    struct kit_buf want = KIT_BUF_INIT;
    struct kit_jw w;
    kit_jw_init(&w, &want);
    kit_jw_obj(&w);
    kit_jw_kstr(&w, "cache", "contact-ids");
    kit_jw_kint(&w, "v", 1);
    kit_jw_key(&w, "entries");
    kit_jw_arr(&w);
    for(int i = 0; i < N; i++) {
        int shape = i % 6, by = shape == 4 ? OC_LOOKUP_ID : OC_LOOKUP_EMAIL;
        char key[96], low[96], id[24];
        snprintf(key, sizeof key, shapes[shape], i);
        for(size_t k = 0; k <= strlen(key); k++)
            low[k] = key[k] >= 'A' && key[k] <= 'Z' ? (char)(key[k] - 'A' + 'a') : key[k];
        snprintf(id, sizeof id, "%d", 1000 + i * 7919);
        int with_rec = i % 11 == 0, none = i % 7 == 3 && !with_rec;
        int64_t at = i % 5 == 0 ? T0 - 59000 + i : T0 - i;
        if(with_rec)
            id[0] = '5', id[1] = '1', id[2] = '\0';
        ck_assert_int_eq(hs_idcache_put_at(c, by, key, none ? NULL : id, with_rec ? rec : NULL,
                                           with_rec ? 2 : 0, at),
                         OC_OK);
        kit_jw_arr(&w);
        kit_jw_str(&w, by == OC_LOOKUP_EMAIL ? "e" : "i");
        kit_jw_str(&w, low);
        kit_jw_str(&w, none ? NULL : id);
        kit_jw_int(&w, at);
        if(with_rec) {
            kit_jw_arr(&w);
            for(size_t f = 0; f < 2; f++) {
                kit_jw_str(&w, rec[f].key);
                kit_jw_str(&w, rec[f].value);
            }
            kit_jw_arr_end(&w);
        }
        kit_jw_arr_end(&w);
    }
    kit_jw_arr_end(&w);
    kit_jw_obj_end(&w);
    ck_assert_int_eq(kit_jw_error(&w), 0);
    const char *got = saved_as(c, want.data, "the writer's");
    ck_assert_uint_eq(strlen(got), strlen("{\"cache\":\"contact-ids\",\"v\":1,\"entries\":[]}") +
                                       hs_idcache_bytes(c) - 1);
    kit_buf_free(&want);
    hs_instance_release(a);
}
END_TEST

/* Keys of every length up to 48 with one odd byte at every position: a
 * control byte or DEL is refused wherever it sits (a UTF-8 byte elsewhere
 * in the key or not), a capital letter is folded, and the bytes beside
 * 'A' and 'Z' ('@', '[') are kept as they are. */
START_TEST(test_key_bytes_judged_at_every_position)
{
    struct oc_instance *a = instance_ttl();
    struct hs_idcache *c = hs_idcache_open(a);
    static const unsigned char refused[] = {0x01, 0x1f, 0x7f};
    struct hs_idcache_hit h;
    for(size_t len = 1; len <= 48; len++) {
        for(size_t pos = 0; pos < len; pos++) {
            char key[64], low[64];
            for(size_t r = 0; r < sizeof refused; r++) {
                memset(key, 'a', len);
                key[len] = '\0';
                key[pos] = (char)refused[r];
                ck_assert_msg(hs_idcache_put(c, OC_LOOKUP_EMAIL, key, "1", NULL, 0) == OC_E_INVALID,
                              "length %zu: byte 0x%02x at %zu was taken", len, refused[r], pos);
                if(len > 1) {
                    key[(pos + 1 + len / 2) % len == pos ? (pos + 1) % len : (pos + 1 + len / 2) % len] =
                        (char)0xc3;
                    ck_assert_msg(hs_idcache_put(c, OC_LOOKUP_EMAIL, key, "1", NULL, 0) == OC_E_INVALID,
                                  "length %zu: byte 0x%02x at %zu beside UTF-8 was taken", len,
                                  refused[r], pos);
                }
            }
            memset(key, 'q', len);
            key[len] = '\0';
            key[pos] = (char)('A' + pos % 26);
            memcpy(low, key, len + 1);
            low[pos] = (char)('a' + pos % 26);
            ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, key, "2", NULL, 0), OC_OK);
            ck_assert_msg(hs_idcache_get(c, OC_LOOKUP_EMAIL, low, &h) == 1,
                          "length %zu: the capital at %zu was not folded", len, pos);
            key[pos] = pos % 2 ? '@' : '[';
            ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, key, "3", NULL, 0), OC_OK);
            key[pos] = pos % 2 ? '`' : '{';
            ck_assert_msg(hs_idcache_get(c, OC_LOOKUP_EMAIL, key, &h) == 0,
                          "length %zu: a byte beside the capitals at %zu was folded", len, pos);
            key[pos] = pos % 2 ? '@' : '[';
            ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, key, &h), 1);
            ck_assert_str_eq(h.id, "3");
        }
    }
    hs_instance_release(a);
}
END_TEST

/* Entries put at times of different lengths (the clock crossing a power
 * of ten): each is sized with its own time's digits, though a batch's
 * size is worked out once per time. */
START_TEST(test_bytes_follow_the_time_of_each_put)
{
    th_free(&th);
    th_init(&th, INT64_C(10000000002000));
    struct oc_instance *a = instance_ttl();
    struct hs_idcache *c = hs_idcache_open(a);
    static const int64_t at[] = {INT64_C(9999999999000), INT64_C(9999999999500), INT64_C(10000000000000),
                                 INT64_C(9999999999999), INT64_C(10000000001000)};
    for(size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        char key[32];
        snprintf(key, sizeof key, "t%zu@example.com", i);
        ck_assert_int_eq(hs_idcache_put_at(c, OC_LOOKUP_EMAIL, key, "77", NULL, 0, at[i]), OC_OK);
    }
    ck_assert_int_eq(hs_idcache_save(c), OC_OK);
    static const char frame[] = "{\"cache\":\"contact-ids\",\"v\":1,\"entries\":[]}";
    ck_assert_uint_eq(strlen(th_state(&th, HS_IDCACHE_KEY)), sizeof frame - 1 + hs_idcache_bytes(c) - 1);
    hs_instance_release(a);
}
END_TEST

START_TEST(test_bad_puts_refused)
{
    struct oc_instance *a = instance_ttl();
    struct hs_idcache *c = hs_idcache_open(a);
    struct oc_field wrong[] = {{"email", "x@example.com", OC_FIELD_STRING}};
    struct oc_field other[] = {{"id", "9", OC_FIELD_STRING}};
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, "", "1", NULL, 0), OC_E_INVALID);
    ck_assert_int_eq(hs_idcache_put(c, 7, "x@example.com", "1", NULL, 0), OC_E_INVALID);
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, "x@example.com", "1a", NULL, 0),
                     OC_E_INVALID);
    /* An id is digits only, 1 to 20 of them: the bytes beside '0' and '9'
     * and one with the high bit set are none. */
    static const char *const bad_ids[] = {"", "12/", "/1", "1:", ":", "1\xb0", "\xb0", "123456789012345678901"};
    for(size_t i = 0; i < sizeof bad_ids / sizeof *bad_ids; i++)
        ck_assert_msg(hs_idcache_put(c, OC_LOOKUP_EMAIL, "x@example.com", bad_ids[i], NULL, 0) == OC_E_INVALID,
                      "id %zu taken", i);
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, "x@example.com", "1", wrong, 1),
                     OC_E_INVALID);
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, "x@example.com", "1", other, 1),
                     OC_E_INVALID);
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, "x\n@example.com", "1", NULL, 0),
                     OC_E_INVALID);
    /* A control byte past the first eight, and DEL in the last few. */
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, "abcdefghij\x1f@example.com", "1", NULL, 0),
                     OC_E_INVALID);
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, "abcdefghij@example.co\x7f", "1", NULL, 0),
                     OC_E_INVALID);
    ck_assert_uint_eq(hs_idcache_count(c), 0);
    ck_assert_int_eq(hs_idcache_put(NULL, OC_LOOKUP_EMAIL, "x@example.com", "1", NULL, 0), OC_OK);
    hs_instance_release(a);
}
END_TEST

START_TEST(test_drop_and_drop_id)
{
    struct oc_instance *a = instance_ttl();
    struct hs_idcache *c = hs_idcache_open(a);
    struct hs_idcache_hit h;
    hs_idcache_put(c, OC_LOOKUP_EMAIL, "a@example.com", "51", NULL, 0);
    hs_idcache_put(c, OC_LOOKUP_EMAIL, "alias@example.com", "51", NULL, 0);
    hs_idcache_put(c, OC_LOOKUP_ID, "51", "51", NULL, 0);
    hs_idcache_put(c, OC_LOOKUP_EMAIL, "b@example.com", "52", NULL, 0);
    hs_idcache_drop(c, OC_LOOKUP_EMAIL, "B@EXAMPLE.com");
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "b@example.com", &h), 0);
    /* Merged or deleted: every entry naming 51 goes. */
    hs_idcache_drop_id(c, "51");
    ck_assert_uint_eq(hs_idcache_count(c), 0);
    ck_assert_int_eq(hs_idcache_save(c), OC_OK);
    hs_instance_release(a);
    struct oc_instance *b = instance_ttl();
    ck_assert_uint_eq(hs_idcache_count(hs_idcache_open(b)), 0);
    hs_instance_release(b);
}
END_TEST

/* Values a cache never wrote: each is ignored with a warning naming the
 * key, the run goes on with what is usable, and the next save is clean. */
START_TEST(test_corrupt_or_foreign_value_ignored)
{
    static const char *const bad[] = {
        "not json at all",
        "[1,2,3]",
        "{\"cache\":\"contact-ids\",\"v\":2,\"entries\":[]}",
        "{\"cache\":\"something-else\",\"v\":1,\"entries\":[]}",
        "{\"cache\":\"contact-ids\",\"v\":1,\"entries\":{}}",
    };
    for(size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        th_forget_records(&th);
        kit_buf_reset(&th.logs);
        put_state(bad[i]);
        struct oc_instance *a = instance_ttl();
        struct hs_idcache *c = hs_idcache_open(a);
        ck_assert_ptr_nonnull(c);
        ck_assert_uint_eq(hs_idcache_count(c), 0);
        ASSERT_HAS(kit_buf_str(&th.logs), "WARN the contact cache in the state (key \"cache/contacts\")");
        hs_instance_release(a);
    }
    char good[1024];
    snprintf(good, sizeof good,
             "{\"cache\":\"contact-ids\",\"v\":1,\"entries\":["
             "[\"e\",\"ok@example.com\",\"5\",%lld],"
             "[\"x\",\"what@example.com\",\"5\",%lld],"
             "[\"e\",\"noat.example.com\",\"5\",%lld],"
             "[\"i\",\"12a\",null,%lld],"
             "[\"e\",\"badid@example.com\",\"5x\",%lld],"
             "[\"e\",\"rec@example.com\",\"6\",%lld,[\"email\",\"rec@example.com\"]],"
             "[\"e\",\"odd@example.com\",\"6\",%lld,[\"id\"]],"
             "[\"e\",\"ctl@example.com\",\"6\",%lld,[\"id\",\"6\",\"a\\u0001\",\"v\"]],"
             "[\"e\",\"time@example.com\",\"6\",\"soon\"],"
             "\"junk\","
             "[\"e\",\"rec2@example.com\",\"8\",%lld,[\"id\",\"8\",\"firstname\",\"Eve\"]]]}",
             (long long)T0, (long long)T0, (long long)T0, (long long)T0, (long long)T0,
             (long long)T0, (long long)T0, (long long)T0, (long long)T0);
    kit_buf_reset(&th.logs);
    put_state(good);
    struct oc_instance *a = instance_ttl();
    struct hs_idcache *c = hs_idcache_open(a);
    struct hs_idcache_hit h;
    ck_assert_uint_eq(hs_idcache_count(c), 2);
    ASSERT_HAS(kit_buf_str(&th.logs), "9 of 11 entries malformed, left out");
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "ok@example.com", &h), 1);
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "rec2@example.com", &h), 1);
    ck_assert_str_eq(h.fields[1].value, "Eve");
    /* Rewritten clean even though nothing new was learned. */
    ck_assert_int_eq(hs_idcache_save(c), OC_OK);
    ASSERT_LACKS(th_state(&th, HS_IDCACHE_KEY), "junk");
    hs_instance_release(a);
}
END_TEST

START_TEST(test_save_failure_is_a_warning)
{
    struct oc_instance *a = instance_ttl();
    struct hs_idcache *c = hs_idcache_open(a);
    hs_idcache_put(c, OC_LOOKUP_EMAIL, "a@example.com", "1", NULL, 0);
    th.fail_puts = 1;
    th.puts_left = 0;
    ck_assert_int_eq(hs_idcache_save(c), OC_E_IO);
    ASSERT_HAS(kit_buf_str(&th.logs), "WARN saving the contact cache to the state failed");
    /* Still usable in memory for the rest of the operation. */
    struct hs_idcache_hit h;
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "a@example.com", &h), 1);
    /* What the failed save could not keep goes out with the next one. */
    th.fail_puts = 0;
    ck_assert_int_eq(hs_idcache_save(c), OC_OK);
    ck_assert_ptr_nonnull(th_state(&th, HS_IDCACHE_KEY));
    ASSERT_HAS(th_state(&th, HS_IDCACHE_KEY), "\"a@example.com\",\"1\"");
    hs_instance_release(a);
}
END_TEST

START_TEST(test_off_and_stateless)
{
    struct oc_instance *a = instance("0");
    ck_assert_ptr_null(hs_idcache_open(a));
    ck_assert_int_eq(hs_idcache_save(NULL), OC_OK);
    hs_instance_release(a);

    /* A host without state: the cache lives as long as the instance. */
    th.host.state_get = NULL;
    th.host.state_put = NULL;
    a = instance_ttl();
    struct hs_idcache *c = hs_idcache_open(a);
    hs_idcache_put(c, OC_LOOKUP_EMAIL, "a@example.com", "1", NULL, 0);
    ck_assert_int_eq(hs_idcache_save(c), OC_OK);
    c = hs_idcache_open(a);
    struct hs_idcache_hit h;
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "a@example.com", &h), 1);
    hs_instance_release(a);
}
END_TEST

/* The key put i-th in the growth tests: short keys held in the entry,
 * long ones in their own block (past the 48 bytes an entry holds), and
 * record-id keys, so a table that moves keeps every kind findable. */
static int grow_key(int i, char *key, size_t size)
{
    if(i % 7 == 3) {
        snprintf(key, size, "%d", 900000 + i);
        return OC_LOOKUP_ID;
    }
    if(i % 5 == 1)
        snprintf(key, size, "Long.Address.Of.Reader.Number.%d@Some-Company.Example.org", i);
    else
        snprintf(key, size, "User%d@Example.com", i);
    return OC_LOOKUP_EMAIL;
}

/* A cache that took a few entries holds a small table, not the bounded
 * one: a one-contact sign-up touches a few pages of it, not 512 KiB. */
START_TEST(test_small_cache_small_table)
{
    struct oc_instance *a = instance_ttl();
    struct hs_idcache *c = hs_idcache_open(a);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_le(hs_idcache_capacity(c), 128);
    char key[96];
    for(int i = 0; i < 10; i++) {
        int by = grow_key(i, key, sizeof key);
        ck_assert_int_eq(hs_idcache_put(c, by, key, "5", NULL, 0), OC_OK);
    }
    ck_assert_uint_eq(hs_idcache_count(c), 10);
    ck_assert_uint_ge(hs_idcache_capacity(c), 10);
    ck_assert_uint_le(hs_idcache_capacity(c), 128);
    ck_assert_uint_eq(hs_idcache_capacity(NULL), 0);
    hs_instance_release(a);
}
END_TEST

/* Filled past the bound: the table doubles up to HS_IDCACHE_MAX_ENTRIES
 * and no further, every entry stays findable with its id and record
 * across each move (keys in the entry and in their own block, email and
 * id keys), and at the bound the least recently used go: the entries
 * read back now and then survive, the oldest unread ones are evicted,
 * and the save writes them from least to most recently used. */
START_TEST(test_growth_keeps_entries_and_use_order)
{
    enum { N = HS_IDCACHE_MAX_ENTRIES + 904, KEPT = 50 };
    struct oc_instance *a = instance_ttl();
    struct hs_idcache *c = hs_idcache_open(a);
    struct hs_idcache_hit h;
    char key[96], id[24];
    size_t last_cap = hs_idcache_capacity(c), grew = 0;
    struct oc_field rec[] = {{"id", "", OC_FIELD_STRING}, {"firstname", "Reader", OC_FIELD_STRING}};
    for(int i = 0; i < N; i++) {
        int by = grow_key(i, key, sizeof key);
        snprintf(id, sizeof id, "%d", 1000 + i);
        rec[0].value = id;
        int with_rec = i % 13 == 0, none = i % 11 == 5 && !with_rec;
        ck_assert_int_eq(hs_idcache_put(c, by, key, none ? NULL : id, with_rec ? rec : NULL, with_rec ? 2 : 0),
                         OC_OK);
        /* The first KEPT entries are read back after every 64 puts: the
         * most recently used when the bound is reached, so they stay. */
        if(i % 64 == 63)
            for(int k = 0; k < KEPT; k++) {
                int kb = grow_key(k, key, sizeof key);
                ck_assert_msg(hs_idcache_get(c, kb, key, &h) == 1, "entry %d lost after put %d", k, i);
            }
        size_t cap = hs_idcache_capacity(c);
        if(cap != last_cap) {
            ck_assert_uint_eq(cap, last_cap * 2); /* doubles, only when full */
            ck_assert_uint_eq(hs_idcache_count(c), last_cap + 1);
            last_cap = cap;
            grew++;
        }
        ck_assert_uint_ge(cap, hs_idcache_count(c));
    }
    ck_assert_uint_ge(grew, 4);
    ck_assert_uint_eq(hs_idcache_capacity(c), HS_IDCACHE_MAX_ENTRIES);
    ck_assert_uint_eq(hs_idcache_count(c), HS_IDCACHE_MAX_ENTRIES);
    /* Kept: the KEPT read back, and the newest entries; evicted: the
     * oldest unread, exactly N - MAX of them. */
    int first_kept = N - (HS_IDCACHE_MAX_ENTRIES - KEPT);
    for(int i = 0; i < N; i++) {
        int by = grow_key(i, key, sizeof key);
        int want = i < KEPT || i >= first_kept;
        ck_assert_msg(hs_idcache_get(c, by, key, &h) == want, "entry %d: %s", i,
                      want ? "lost" : "kept past the bound");
        if(!want)
            continue;
        snprintf(id, sizeof id, "%d", 1000 + i);
        if(i % 11 == 5 && i % 13) {
            ck_assert_ptr_null(h.id);
        } else {
            ck_assert_str_eq(h.id, id);
        }
        ck_assert_uint_eq(h.nfields, i % 13 == 0 ? 2 : 0);
        if(h.nfields)
            ck_assert_str_eq(h.fields[1].value, "Reader");
    }
    /* The gets above used every kept entry in index order: the save lists
     * them that way, and the byte count still matches. */
    ck_assert_int_eq(hs_idcache_save(c), OC_OK);
    const char *saved = th_state(&th, HS_IDCACHE_KEY);
    ck_assert_ptr_nonnull(saved);
    static const char frame[] = "{\"cache\":\"contact-ids\",\"v\":1,\"entries\":[]}";
    ck_assert_uint_eq(strlen(saved), sizeof frame - 1 + hs_idcache_bytes(c) - 1);
    const char *prev = saved;
    for(int i = 0; i < N; i++) {
        if(!(i < KEPT || i >= first_kept))
            continue;
        char low[96];
        grow_key(i, key, sizeof key);
        for(size_t k = 0; k <= strlen(key); k++)
            low[k] = key[k] >= 'A' && key[k] <= 'Z' ? (char)(key[k] - 'A' + 'a') : key[k];
        char quoted[104];
        snprintf(quoted, sizeof quoted, "\"%s\",", low);
        const char *at = strstr(prev, quoted);
        ck_assert_msg(at != NULL, "entry %d not saved after the one before it", i);
        prev = at;
    }
    hs_instance_release(a);
}
END_TEST

/* A run that loads a saved cache of 3,000 entries sizes its table for
 * them at once (no doubling through 64, 128 ... on the way) and finds
 * every one. */
START_TEST(test_load_sized_for_what_was_saved)
{
    enum { N = 3000 };
    struct oc_instance *a = instance_ttl();
    struct hs_idcache *c = hs_idcache_open(a);
    char key[96], id[24];
    for(int i = 0; i < N; i++) {
        int by = grow_key(i, key, sizeof key);
        snprintf(id, sizeof id, "%d", 1000 + i);
        ck_assert_int_eq(hs_idcache_put(c, by, key, id, NULL, 0), OC_OK);
    }
    ck_assert_int_eq(hs_idcache_save(c), OC_OK);
    hs_instance_release(a);

    struct oc_instance *b = instance_ttl();
    c = hs_idcache_open(b);
    ck_assert_uint_eq(hs_idcache_count(c), N);
    ck_assert_uint_eq(hs_idcache_capacity(c), N);
    struct hs_idcache_hit h;
    for(int i = 0; i < N; i++) {
        int by = grow_key(i, key, sizeof key);
        snprintf(id, sizeof id, "%d", 1000 + i);
        ck_assert_msg(hs_idcache_get(c, by, key, &h) == 1, "saved entry %d not loaded", i);
        ck_assert_str_eq(h.id, id);
    }
    /* Reopened in the same instance: loaded again into the table it has. */
    c = hs_idcache_open(b);
    ck_assert_uint_eq(hs_idcache_count(c), N);
    ck_assert_uint_eq(hs_idcache_capacity(c), N);
    ck_assert_int_eq(hs_idcache_put(c, OC_LOOKUP_EMAIL, "one.more@example.com", "7", NULL, 0), OC_OK);
    ck_assert_uint_eq(hs_idcache_capacity(c), HS_IDCACHE_MAX_ENTRIES);
    ck_assert_uint_eq(hs_idcache_count(c), N + 1);
    hs_instance_release(b);
}
END_TEST

/* ---- against a model ------------------------------------------------------
 * The cache beside a plain list kept here in use order: what each get
 * answers, what the bounds evict, and the saved value byte for byte as
 * the kit JSON writer writes the list. Keys sit at and past the most an
 * entry holds in itself (60 bytes of "key\0id\0"), ids have 1 to 20
 * digits, some keys are boxed, escaped or record ids, some entries have
 * a lookup record. */

#define MODEL_KEY 520

struct model_entry {
    int by;
    char key[MODEL_KEY], low[MODEL_KEY], id[24]; /* id "": no such contact */
    int with_rec;
    char first[32]; /* the record's second field */
    int64_t at;
    size_t bytes; /* its share of the saved value, comma included */
};

struct model {
    struct model_entry *e; /* oldest first */
    size_t n, bytes;
};

static void lower_ascii(const char *key, char *low)
{
    size_t k = 0;
    for(; key[k]; k++)
        low[k] = key[k] >= 'A' && key[k] <= 'Z' ? (char)(key[k] - 'A' + 'a') : key[k];
    low[k] = '\0';
}

static void model_write(struct kit_jw *w, const struct model_entry *m)
{
    kit_jw_arr(w);
    kit_jw_str(w, m->by == OC_LOOKUP_EMAIL ? "e" : "i");
    kit_jw_str(w, m->low);
    kit_jw_str(w, m->id[0] ? m->id : NULL);
    kit_jw_int(w, m->at);
    if(m->with_rec) {
        kit_jw_arr(w);
        kit_jw_str(w, "id");
        kit_jw_str(w, m->id);
        kit_jw_str(w, "firstname");
        kit_jw_str(w, m->first);
        kit_jw_arr_end(w);
    }
    kit_jw_arr_end(w);
}

/* The saved value the model stands for; the caller frees *out. */
static void model_saved(const struct model *md, struct kit_buf *out)
{
    struct kit_jw w;
    kit_jw_init(&w, out);
    kit_jw_obj(&w);
    kit_jw_kstr(&w, "cache", "contact-ids");
    kit_jw_kint(&w, "v", 1);
    kit_jw_key(&w, "entries");
    kit_jw_arr(&w);
    for(size_t i = 0; i < md->n; i++)
        model_write(&w, &md->e[i]);
    kit_jw_arr_end(&w);
    kit_jw_obj_end(&w);
    ck_assert_int_eq(kit_jw_error(&w), 0);
}

static long model_find(const struct model *md, int by, const char *low)
{
    for(size_t i = 0; i < md->n; i++)
        if(md->e[i].by == by && !strcmp(md->e[i].low, low))
            return (long)i;
    return -1;
}

static void model_remove(struct model *md, size_t i)
{
    md->bytes -= md->e[i].bytes;
    memmove(&md->e[i], &md->e[i + 1], (md->n - i - 1) * sizeof *md->e);
    md->n--;
}

/* m as the newest entry, evicting as the cache does: the oldest while the
 * table is at its bound or the saved bytes would pass theirs. */
static void model_put(struct model *md, const struct model_entry *m)
{
    struct kit_buf one = KIT_BUF_INIT;
    struct kit_jw w;
    kit_jw_init(&w, &one);
    model_write(&w, m);
    size_t bytes = one.len + 1;
    kit_buf_free(&one);
    long old = model_find(md, m->by, m->low);
    if(old >= 0)
        model_remove(md, (size_t)old);
    while(md->n && (md->n >= HS_IDCACHE_MAX_ENTRIES || md->bytes + bytes > HS_IDCACHE_MAX_BYTES))
        model_remove(md, 0);
    md->e[md->n] = *m;
    md->e[md->n].bytes = bytes;
    md->bytes += bytes;
    md->n++;
}

static void model_use(struct model *md, size_t i)
{
    struct model_entry m = md->e[i];
    memmove(&md->e[i], &md->e[i + 1], (md->n - i - 1) * sizeof *md->e);
    md->e[md->n - 1] = m;
}

/* Entry i of the model tests: shapes at and around the inline edge. */
static void model_make(int i, struct model_entry *m)
{
    memset(m, 0, sizeof *m);
    size_t ilen = 1 + (size_t)(i % 20);
    for(size_t d = 0; d < ilen; d++)
        m->id[d] = (char)('0' + (i + (int)d * 7) % 10);
    m->id[0] = (char)('1' + i % 9); /* HubSpot's ids have no leading zero */
    m->by = OC_LOOKUP_EMAIL;
    size_t klen;
    switch(i % 7) {
    case 0: klen = 60 - 2 - ilen; break;     /* fills the text exactly */
    case 1: klen = 60 - 2 - ilen + 1; break; /* one byte over: boxed */
    case 2: klen = 60 - 2 - ilen - 1; break;
    case 3: /* no such contact: the key alone, with its NUL, fills it or not */
        m->id[0] = '\0';
        klen = i % 2 ? 59 : 60;
        break;
    case 4: klen = 100 + (size_t)(i % 400); break; /* well past it */
    case 5:
        m->by = OC_LOOKUP_ID;
        klen = 0;
        break;
    default: klen = 0; break; /* a short address with a quote: not plain */
    }
    if(m->by == OC_LOOKUP_ID)
        snprintf(m->key, sizeof m->key, "%d%.13s", 7000000 + i, m->id); /* 20 digits at most */
    else if(!klen)
        snprintf(m->key, sizeof m->key, "Q\"%d\\@x.CO", i);
    else {
        int p = snprintf(m->key, sizeof m->key, "Reader%d.", i);
        static const char tail[] = "@Example.COM";
        ck_assert_uint_ge(klen, (size_t)p + sizeof tail - 1);
        memset(m->key + p, 'X', klen - (size_t)p - (sizeof tail - 1));
        memcpy(m->key + klen - (sizeof tail - 1), tail, sizeof tail);
        ck_assert_uint_eq(strlen(m->key), klen);
    }
    lower_ascii(m->key, m->low);
    m->with_rec = m->id[0] && i % 5 == 2;
    snprintf(m->first, sizeof m->first, "Reader \"%d\"", i);
    m->at = T0 - i % 1000;
}

static void cache_put_model(struct hs_idcache *c, const struct model_entry *m)
{
    struct oc_field rec[] = {{"id", m->id, OC_FIELD_STRING}, {"firstname", m->first, OC_FIELD_STRING}};
    ck_assert_int_eq(hs_idcache_put_at(c, m->by, m->key, m->id[0] ? m->id : NULL, m->with_rec ? rec : NULL,
                                       m->with_rec ? 2 : 0, m->at),
                     OC_OK);
}

/* A get of m's key answers m: its id (or none) and its record. */
static void check_hit(struct hs_idcache *c, const struct model_entry *m)
{
    struct hs_idcache_hit h;
    ck_assert_msg(hs_idcache_get(c, m->by, m->key, &h) == 1, "%s not found", m->key);
    if(m->id[0])
        ck_assert_str_eq(h.id, m->id);
    else
        ck_assert_ptr_null(h.id);
    ck_assert_uint_eq(h.nfields, m->with_rec ? 2 : 0);
    if(m->with_rec) {
        ck_assert_str_eq(h.fields[0].key, "id");
        ck_assert_str_eq(h.fields[0].value, m->id);
        ck_assert_str_eq(h.fields[1].key, "firstname");
        ck_assert_str_eq(h.fields[1].value, m->first);
    }
}

static void check_saved_as_model(struct hs_idcache *c, const struct model *md)
{
    struct kit_buf want = KIT_BUF_INIT;
    model_saved(md, &want);
    saved_as(c, want.data, "the model's");
    ck_assert_uint_eq(hs_idcache_count(c), md->n);
    ck_assert_uint_eq(hs_idcache_bytes(c), md->bytes);
    kit_buf_free(&want);
}

/* Every shape one by one, each read back at once and after all the others,
 * and the whole saved as the writer writes it. */
START_TEST(test_keys_at_the_inline_edge)
{
    enum { N = 140 }; /* each of the 7 shapes with ids of all 20 lengths */
    struct model md = {calloc(N + 1, sizeof(struct model_entry)), 0, 0};
    struct oc_instance *a = instance_ttl();
    struct hs_idcache *c = hs_idcache_open(a);
    for(int i = 0; i < N; i++) {
        struct model_entry m;
        model_make(i, &m);
        cache_put_model(c, &m);
        model_put(&md, &m);
        ck_assert_uint_eq(hs_idcache_bytes(c), md.bytes);
        check_hit(c, &m); /* the newest already: the order stays */
    }
    for(size_t i = 0; i < md.n; i++) {
        check_hit(c, &md.e[i]);
    }
    /* The gets above went oldest first: the order is as it was. */
    check_saved_as_model(c, &md);
    hs_instance_release(a);
    free(md.e);
}
END_TEST

/* Through every doubling to the bound and past it, with gets moving
 * entries up, keys put again with another id and entries dropped: after
 * each doubling and at the end every entry the model holds is found as
 * the model has it, those it evicted are not, and the saved value is the
 * model's byte for byte. Loaded by another instance, the same cache:
 * its save (after one more put) is the model's again. */
START_TEST(test_growth_matches_the_model)
{
    enum { N = HS_IDCACHE_MAX_ENTRIES + 700 };
    struct model md = {calloc(HS_IDCACHE_MAX_ENTRIES + 1, sizeof(struct model_entry)), 0, 0};
    struct oc_instance *a = instance_ttl();
    struct hs_idcache *c = hs_idcache_open(a);
    struct hs_idcache_hit h;
    uint64_t rng = 0x9e3779b97f4a7c15u;
    size_t last_cap = hs_idcache_capacity(c), grew = 0;
    for(int i = 0; i < N; i++) {
        struct model_entry m;
        model_make(i, &m);
        cache_put_model(c, &m);
        model_put(&md, &m);
        xorshift_next(&rng);
        if(i % 3 == 0 && md.n > 1) { /* a get moves an older entry up */
            size_t k = (size_t)(rng % md.n);
            check_hit(c, &md.e[k]);
            model_use(&md, k);
        }
        if(i % 17 == 0 && md.n > 2) { /* an older key put again, its id changed */
            struct model_entry again = md.e[(rng >> 20) % (md.n - 1)];
            if(!again.id[0] || !again.id[1])
                strcpy(again.id, again.id[0] == '1' ? "98765432109876543210" : "12345678901234567890");
            else
                again.id[0] = again.id[0] == '9' ? '1' : (char)(again.id[0] + 1);
            cache_put_model(c, &again);
            model_put(&md, &again);
        }
        if(i % 29 == 0 && md.n > 2) { /* dropped */
            size_t k = (size_t)((rng >> 32) % md.n);
            hs_idcache_drop(c, md.e[k].by, md.e[k].key);
            ck_assert_int_eq(hs_idcache_get(c, md.e[k].by, md.e[k].key, &h), 0);
            model_remove(&md, k);
        }
        ck_assert_uint_eq(hs_idcache_count(c), md.n);
        ck_assert_uint_eq(hs_idcache_bytes(c), md.bytes);
        if(hs_idcache_capacity(c) != last_cap) {
            last_cap = hs_idcache_capacity(c);
            grew++;
            /* Right after the move: every entry, oldest first (so the
             * order stays the model's). */
            for(size_t k = 0; k < md.n; k++)
                check_hit(c, &md.e[k]);
        }
    }
    ck_assert_uint_ge(grew, 6);
    ck_assert_uint_eq(hs_idcache_capacity(c), HS_IDCACHE_MAX_ENTRIES);
    for(int i = 0; i < N; i++) {
        struct model_entry m;
        model_make(i, &m);
        if(model_find(&md, m.by, m.low) < 0)
            ck_assert_msg(hs_idcache_get(c, m.by, m.key, &h) == 0, "%s kept, the model evicted or dropped it",
                          m.key);
    }
    check_saved_as_model(c, &md);
    hs_instance_release(a);

    struct oc_instance *b = instance_ttl();
    c = hs_idcache_open(b);
    ck_assert_uint_eq(hs_idcache_count(c), md.n);
    struct model_entry last;
    model_make(N + 1, &last);
    cache_put_model(c, &last);
    model_put(&md, &last);
    check_saved_as_model(c, &md);
    hs_instance_release(b);
    free(md.e);
}
END_TEST

/* A value saved before entries were laid out as now reads back as the
 * same cache: the same answers, and saved again (after one more put) the
 * same bytes in the same order. */
START_TEST(test_old_saved_value_reads_the_same)
{
    static const char old[] =
        "{\"cache\":\"contact-ids\",\"v\":1,\"entries\":["
        "[\"e\",\"reader.one.xxxxxxxxxxxxxxxxxxxxxxxxxxx@example.com\",\"1234567890123\",1795823999000],"
        "[\"e\",\"reader.two.xxxxxxxxxxxxxxxxxxxxxxxxxxxx@example.com\",\"1234567890123\",1795823999001],"
        "[\"e\",\"q\\\"uote\\\\d@example.com\",\"9\",1795823999002],"
        "[\"i\",\"404\",null,1795823999003],"
        "[\"e\",\"nobody.at.all.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx@example.com\",null,1795823999004],"
        "[\"e\",\"ann@example.com\",\"51\",1795823999005,[\"id\",\"51\",\"firstname\",\"Ann \\\"Q\\\"\\n\"]],"
        "[\"i\",\"12345678901234567890\",\"12345678901234567890\",1795823999006],"
        "[\"e\",\"j\xc3\xb6rg@example.com\",\"10\",1795823999007]"
        "]}";
    put_state(old);
    struct oc_instance *a = instance_ttl();
    struct hs_idcache *c = hs_idcache_open(a);
    ck_assert_uint_eq(hs_idcache_count(c), 8);
    struct hs_idcache_hit h;
    /* Gets of the newest only, so the order is as saved. */
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "J\xc3\xb6RG@example.com", &h), 1);
    ck_assert_str_eq(h.id, "10");
    ck_assert_int_eq(hs_idcache_put_at(c, OC_LOOKUP_EMAIL, "Last@Example.com", "7", NULL, 0, T0), OC_OK);
    ck_assert_int_eq(hs_idcache_save(c), OC_OK);
    char want[sizeof old + 64];
    snprintf(want, sizeof want, "%.*s,[\"e\",\"last@example.com\",\"7\",%lld]]}", (int)(sizeof old - 1 - 2), old,
             (long long)T0);
    ck_assert_str_eq(th_state(&th, HS_IDCACHE_KEY), want);
    ck_assert_uint_eq(strlen(want), strlen("{\"cache\":\"contact-ids\",\"v\":1,\"entries\":[]}") +
                                        hs_idcache_bytes(c) - 1);
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "READER.ONE.xxxxxxxxxxxxxxxxxxxxxxxxxxx@example.com", &h), 1);
    ck_assert_str_eq(h.id, "1234567890123");
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "reader.two.xxxxxxxxxxxxxxxxxxxxxxxxxxxx@EXAMPLE.com", &h), 1);
    ck_assert_str_eq(h.id, "1234567890123");
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "Q\"UOTE\\D@example.com", &h), 1);
    ck_assert_str_eq(h.id, "9");
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_ID, "404", &h), 1);
    ck_assert_ptr_null(h.id);
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "nobody.at.all.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx@example.com", &h), 1);
    ck_assert_ptr_null(h.id);
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "ann@example.com", &h), 1);
    ck_assert_str_eq(h.id, "51");
    ck_assert_uint_eq(h.nfields, 2);
    ck_assert_str_eq(h.fields[1].value, "Ann \"Q\"\n");
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_ID, "12345678901234567890", &h), 1);
    ck_assert_str_eq(h.id, "12345678901234567890");
    /* drop_id matches the whole id, not a prefix of it. */
    hs_idcache_drop_id(c, "123456789012");
    ck_assert_uint_eq(hs_idcache_count(c), 9);
    hs_idcache_drop_id(c, "1234567890123");
    ck_assert_uint_eq(hs_idcache_count(c), 7);
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "reader.one.xxxxxxxxxxxxxxxxxxxxxxxxxxx@example.com", &h), 0);
    /* Keys no put takes are held by none. */
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "", &h), 0);
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_EMAIL, "ann@example.com\x01", &h), 0);
    ck_assert_int_eq(hs_idcache_get(c, OC_LOOKUP_ID, "51", &h), 0);
    hs_instance_release(a);
}
END_TEST

Suite *make_idcache_suite(void);
Suite *make_idcache_suite(void)
{
    Suite *s = suite_create("idcache");
    TCase *tc = tcase_create("idcache");
    /* The growth model checks every entry after thousands of puts: under
     * ThreadSanitizer on a busy machine that takes seconds. */
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_second_instance_finds_what_the_first_learned);
    tcase_add_test(tc, test_expired_entries_are_neither_loaded_nor_saved);
    tcase_add_test(tc, test_least_recently_used_out);
    tcase_add_test(tc, test_bytes_match_the_saved_value);
    tcase_add_test(tc, test_state_size_bounded);
    tcase_add_test(tc, test_bytes_follow_the_time_of_each_put);
    tcase_add_test(tc, test_saved_value_as_the_json_writer);
    tcase_add_test(tc, test_key_bytes_judged_at_every_position);
    tcase_add_test(tc, test_bad_puts_refused);
    tcase_add_test(tc, test_drop_and_drop_id);
    tcase_add_test(tc, test_corrupt_or_foreign_value_ignored);
    tcase_add_test(tc, test_save_failure_is_a_warning);
    tcase_add_test(tc, test_off_and_stateless);
    tcase_add_test(tc, test_small_cache_small_table);
    tcase_add_test(tc, test_growth_keeps_entries_and_use_order);
    tcase_add_test(tc, test_load_sized_for_what_was_saved);
    tcase_add_test(tc, test_keys_at_the_inline_edge);
    tcase_add_test(tc, test_growth_matches_the_model);
    tcase_add_test(tc, test_old_saved_value_reads_the_same);
    suite_add_tcase(s, tc);
    return s;
}
