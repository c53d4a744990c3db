/* check_strset.c - the fixed-capacity string set: keys that differ in one
 * byte anywhere (before, at and after the eighth, which the hash reads a
 * word at a time) are told apart, kit_strset_insert adds or hands back
 * what is there in one lookup, and clearing keeps the capacity. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "plugin/strset.h"

#define NKEYS 400

static char keys[NKEYS][48];

START_TEST(test_keys_differing_anywhere_are_apart)
{
    struct kit_strset s;
    ck_assert_int_eq(kit_strset_init(&s, NKEYS), 0);
    /* Lengths 0 to 39, and for each length ten keys differing in one byte
     * at a position moving through the key. */
    size_t nk = 0;
    for(size_t len = 0; len < 40; len++)
        for(int v = 0; v < 10 && nk < NKEYS; v++) {
            memset(keys[nk], 'a', len);
            if(len)
                keys[nk][(size_t)v * 7 % len] = (char)('0' + v);
            keys[nk][len] = '\0';
            void *found = NULL;
            int rc = kit_strset_insert(&s, keys[nk], len, keys[nk], &found);
            if(rc == 0) { /* the same text as an earlier key (len 0, or v's byte landing alike) */
                ck_assert_ptr_nonnull(found);
                ck_assert_str_eq(found, keys[nk]);
                continue;
            }
            ck_assert_int_eq(rc, 1);
            nk++;
        }
    ck_assert_uint_eq(s.n, nk);
    for(size_t i = 0; i < nk; i++) {
        ck_assert_ptr_eq(kit_strset_get(&s, keys[i], strlen(keys[i])), keys[i]);
        /* The same bytes at another address are the same key. */
        char copy[48];
        memcpy(copy, keys[i], sizeof copy);
        void *found = NULL;
        ck_assert_int_eq(kit_strset_insert(&s, copy, strlen(copy), copy, &found), 0);
        ck_assert_ptr_eq(found, keys[i]);
    }
    ck_assert_int_eq(kit_strset_has(&s, "aaaaaaaaab", 10), 0);
    kit_strset_clear(&s);
    ck_assert_int_eq(kit_strset_has(&s, keys[5], strlen(keys[5])), 0);
    ck_assert_int_eq(kit_strset_insert(&s, keys[5], strlen(keys[5]), NULL, NULL), 1);
    ck_assert_int_eq(kit_strset_insert(&s, keys[5], strlen(keys[5]), NULL, NULL), 0);
    kit_strset_free(&s);
}
END_TEST

START_TEST(test_insert_keeps_the_bound)
{
    struct kit_strset s;
    int v1 = 1, v2 = 2;
    void *found = &v2;
    ck_assert_int_eq(kit_strset_init(&s, 1), 0);
    ck_assert_int_eq(kit_strset_insert(&s, "id-123456789", 12, &v1, &found), 1);
    ck_assert_ptr_eq(found, &v2); /* untouched when added */
    ck_assert_int_eq(kit_strset_insert(&s, "id-123456780", 12, &v2, &found), -1);
    ck_assert_int_eq(kit_strset_insert(&s, "id-123456789", 12, &v2, &found), 0);
    ck_assert_ptr_eq(found, &v1);
    kit_strset_free(&s);
    struct kit_strset none = {0};
    ck_assert_int_eq(kit_strset_insert(&none, "x", 1, NULL, NULL), -1);
}
END_TEST

Suite *make_strset_suite(void);
Suite *make_strset_suite(void)
{
    Suite *s = suite_create("strset");
    TCase *tc = tcase_create("set");
    tcase_add_test(tc, test_keys_differing_anywhere_are_apart);
    tcase_add_test(tc, test_insert_keeps_the_bound);
    suite_add_tcase(s, tc);
    return s;
}
