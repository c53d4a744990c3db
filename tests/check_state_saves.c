/* check_state_saves.c - what a save of the ochost state file costs: a
 * value the file already holds is not written again, and the values
 * that did not change are written from their kept form, byte for byte
 * what a fresh serialization gives. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host-api/ochost/state.h"
#include "host-api/ochost/status.h"

static char dir[64];
static char path[128];

static void setup(void)
{
    strcpy(dir, "/tmp/check_state_saves_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/ochost.state", dir);
}

static void teardown(void)
{
    unlink(path);
    rmdir(dir);
}

static ino_t inode(void)
{
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    return sb.st_ino;
}

static char *read_all(void)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Saving what the file holds already leaves the file alone (no new file,
 * no fsync); saving anything else replaces it. */
START_TEST(unchanged_value_not_rewritten)
{
    struct och_state st = {0};
    struct oc_error err = {sizeof err};
    ck_assert_int_eq(och_state_load(&st, path, &err), OC_OK);
    ck_assert_int_eq(och_state_put(&st, "pull/x", "{\"v\":1}", 7, &err), OC_OK);
    ino_t first = inode();
    ck_assert_int_eq(och_state_put(&st, "pull/x", "{\"v\":1}", 7, &err), OC_OK);
    ck_assert_msg(inode() == first, "an unchanged value rewrote the file");
    ck_assert_int_eq(och_state_put(&st, "pull/x", "{\"v\":2}", 7, &err), OC_OK);
    ck_assert_msg(inode() != first, "a changed value was not written");
    och_state_free(&st);
}
END_TEST

/* Values with quotes, backslashes, control characters and non-ASCII, kept
 * across saves of other keys: the file is what one fresh save of the same
 * values writes, and reads back to the same values. */
START_TEST(kept_values_written_exactly)
{
    static const char *const values[] = {"{\"seen\":[[\"a\\\"b\",1]]}", "tab\there \\ back", "caf\xc3\xa9 \xe2\x82\xac",
                                         "line\nbreak"};
    struct och_state st = {0};
    struct oc_error err = {sizeof err};
    ck_assert_int_eq(och_state_load(&st, path, &err), OC_OK);
    char key[16];
    for(int round = 0; round < 3; round++)
        for(int i = 0; i < 4; i++) {
            snprintf(key, sizeof key, "k%d", i);
            char v[128];
            snprintf(v, sizeof v, "%s #%d", values[i], round);
            ck_assert_int_eq(och_state_put(&st, key, v, strlen(v), &err), OC_OK);
        }
    char *kept = strdup(read_all());
    och_state_free(&st);

    /* The same values saved once into a fresh file. */
    unlink(path);
    struct och_state fresh = {0};
    ck_assert_int_eq(och_state_load(&fresh, path, &err), OC_OK);
    for(int i = 0; i < 4; i++) {
        snprintf(key, sizeof key, "k%d", i);
        char v[128];
        snprintf(v, sizeof v, "%s #%d", values[i], 2);
        ck_assert_int_eq(och_state_put(&fresh, key, v, strlen(v), &err), OC_OK);
    }
    ck_assert_str_eq(read_all(), kept);
    och_state_free(&fresh);

    struct och_state back = {0};
    ck_assert_int_eq(och_state_load(&back, path, &err), OC_OK);
    size_t len = 0;
    const char *v = och_state_value(&back, "k1", &len);
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(v, "tab\there \\ back #2");
    och_state_free(&back);
    free(kept);
}
END_TEST

extern Suite *make_state_saves_suite(void);

Suite *make_state_saves_suite(void)
{
    Suite *s = suite_create("state_saves");
    TCase *tc = tcase_create("saves");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, unchanged_value_not_rewritten);
    tcase_add_test(tc, kept_values_written_exactly);
    suite_add_tcase(s, tc);
    return s;
}
