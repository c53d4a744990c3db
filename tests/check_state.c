/* check_state.c - the ochost state file: atomic rewrite, escapes,
 * corruption, missing file. */
#include <check.h>
#include <dirent.h>
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
    strcpy(dir, "/tmp/check_state_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/ochost.state", dir);
}

static void teardown(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];
    while(d && (e = readdir(d))) {
        if(e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if(d)
        closedir(d);
    rmdir(dir);
}

static void write_text(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static char *read_text(const char *p)
{
    FILE *f = fopen(p, "rb");
    ck_assert_ptr_nonnull(f);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int count_entries(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    ck_assert_ptr_nonnull(d);
    while((e = readdir(d)))
        if(strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

START_TEST(missing_file_is_empty)
{
    struct och_state st;
    struct oc_error err;
    char buf[8];
    size_t len = 99;
    och_error_init(&err);
    ck_assert_int_eq(och_state_load(&st, path, &err), OC_OK);
    ck_assert_uint_eq(st.n, 0);
    ck_assert_int_eq(och_state_get(&st, "cursor", buf, sizeof buf, &len), OC_E_NOT_FOUND);
    ck_assert_int_eq(access(path, F_OK), -1); /* loading creates nothing */
    och_state_free(&st);
}
END_TEST

START_TEST(round_trip_with_escapes)
{
    static const char *const values[] = {
        "plain",
        "{\"cursor\":\"abc\",\"offset\":12}",
        "back\\slash \"quotes\" tab\t nl\n cr\r ctl\x01\x1f end",
        "utf-8: \xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80",
        "",
    };
    struct och_state st, st2;
    struct oc_error err;
    char key[16];
    och_error_init(&err);
    ck_assert_int_eq(och_state_load(&st, path, &err), OC_OK);
    for(size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        snprintf(key, sizeof key, "k%zu", i);
        ck_assert_int_eq(och_state_put(&st, key, values[i], strlen(values[i]), &err), OC_OK);
    }
    /* overwrite, delete, and a key sorting first */
    ck_assert_int_eq(och_state_put(&st, "k0", "again", 5, &err), OC_OK);
    ck_assert_int_eq(och_state_put(&st, "k4", NULL, 0, &err), OC_OK);
    ck_assert_int_eq(och_state_put(&st, "a", "first", 5, &err), OC_OK);
    ck_assert_int_eq(count_entries(), 1); /* no temporary file left behind */
    och_state_free(&st);

    ck_assert_int_eq(och_state_load(&st2, path, &err), OC_OK);
    ck_assert_uint_eq(st2.n, 5);
    size_t len;
    const char *v = och_state_value(&st2, "k0", &len);
    ck_assert_str_eq(v, "again");
    for(size_t i = 1; i < 4; i++) {
        snprintf(key, sizeof key, "k%zu", i);
        v = och_state_value(&st2, key, &len);
        ck_assert_ptr_nonnull(v);
        ck_assert_uint_eq(len, strlen(values[i]));
        ck_assert_mem_eq(v, values[i], len);
    }
    ck_assert_ptr_null(och_state_value(&st2, "k4", NULL));
    ck_assert_str_eq(och_state_value(&st2, "a", NULL), "first");
    /* state_get: exact copy, and OC_E_RANGE leaves a short buffer alone */
    char small[4] = "xyz";
    ck_assert_int_eq(och_state_get(&st2, "a", small, sizeof small, &len), OC_E_RANGE);
    ck_assert_uint_eq(len, 5);
    ck_assert_str_eq(small, "xyz");
    char big[16];
    ck_assert_int_eq(och_state_get(&st2, "a", big, sizeof big, &len), OC_OK);
    ck_assert_uint_eq(len, 5);
    ck_assert_mem_eq(big, "first", 5);
    och_state_free(&st2);
}
END_TEST

START_TEST(file_is_private_and_readable_json)
{
    struct och_state st;
    struct oc_error err;
    struct stat sb;
    och_error_init(&err);
    ck_assert_int_eq(och_state_load(&st, path, &err), OC_OK);
    ck_assert_int_eq(och_state_put(&st, "usage", "{\"calls\":3}", 11, &err), OC_OK);
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 077, 0);
    ck_assert_str_eq(read_text(path), "{\n  \"usage\": \"{\\\"calls\\\":3}\"\n}\n");
    och_state_free(&st);
}
END_TEST

static void expect_corrupt(const char *text)
{
    struct och_state st;
    struct oc_error err;
    write_text(path, text);
    och_error_init(&err);
    ck_assert_int_eq(och_state_load(&st, path, &err), OC_E_CONFIG);
    ck_assert_int_eq(och_exit_code(OC_E_CONFIG), 2);
    ck_assert_msg(strstr(err.message, path), "message names the file: %s", err.message);
    ck_assert_msg(strstr(err.message, "corrupt"), "%s", err.message);
    ck_assert_msg(strstr(err.message, "move it aside"), "message says how to recover: %s", err.message);
    ck_assert_uint_eq(st.n, 0);
    /* never reset: the file is exactly as it was, nothing else created */
    ck_assert_str_eq(read_text(path), text);
    ck_assert_int_eq(count_entries(), 1);
    och_state_free(&st);
}

START_TEST(corrupt_file_is_an_error_and_untouched)
{
    expect_corrupt("{\"cursor\": \"abc\",");
    expect_corrupt("[\"cursor\"]");
    expect_corrupt("{\"cursor\": 12}");
    expect_corrupt("{\"a\": \"1\", \"a\": \"2\"}");
    expect_corrupt("");
}
END_TEST

START_TEST(parse_error_is_named)
{
    struct och_state st;
    struct oc_error err;
    write_text(path, "{\"cursor\" \"abc\"}");
    och_error_init(&err);
    ck_assert_int_eq(och_state_load(&st, path, &err), OC_E_CONFIG);
    /* the JSON reader's reason is passed on (it names a byte offset) */
    ck_assert_msg(strstr(err.message, "byte") || strstr(err.message, "expected"), "%s", err.message);
    och_state_free(&st);
}
END_TEST

START_TEST(put_refuses_binary_and_keeps_file)
{
    struct och_state st;
    struct oc_error err;
    och_error_init(&err);
    ck_assert_int_eq(och_state_load(&st, path, &err), OC_OK);
    ck_assert_int_eq(och_state_put(&st, "k", "v", 1, &err), OC_OK);
    char *before = strdup(read_text(path));
    ck_assert_int_eq(och_state_put(&st, "k", "\xff\xfe", 2, &err), OC_E_INVALID);
    ck_assert_msg(strstr(err.message, "UTF-8"), "%s", err.message);
    ck_assert_int_eq(och_state_put(&st, "k", "a\0b", 3, &err), OC_E_INVALID);
    ck_assert_int_eq(och_state_put(&st, "", "v", 1, &err), OC_E_INVALID);
    ck_assert_str_eq(read_text(path), before);
    ck_assert_str_eq(och_state_value(&st, "k", NULL), "v");
    free(before);
    och_state_free(&st);
}
END_TEST

START_TEST(failed_write_changes_nothing)
{
    struct och_state st;
    struct oc_error err;
    char bad[256];
    snprintf(bad, sizeof bad, "%s/no-such-dir/ochost.state", dir);
    och_error_init(&err);
    ck_assert_int_eq(och_state_load(&st, bad, &err), OC_OK);
    ck_assert_int_eq(och_state_put(&st, "k", "v", 1, &err), OC_E_IO);
    ck_assert_msg(strstr(err.message, bad), "names the file: %s", err.message);
    ck_assert_ptr_null(och_state_value(&st, "k", NULL));
    och_state_free(&st);
}
END_TEST

/* Two runs on one state file: the second waits for the first's lock, then
 * gives up with CONFIG (exit 2) naming the file; once the first is done,
 * the next run starts from what the first wrote last. */
START_TEST(second_run_waits_then_refused)
{
    struct och_state a, b;
    struct oc_error err;
    och_error_init(&err);
    ck_assert_int_eq(och_state_open(&a, path, 0, NULL, &err), OC_OK);
    ck_assert_int_eq(och_state_put(&a, "pull/email_events", "{\"v\":1}", 7, &err), OC_OK);

    FILE *note = tmpfile();
    ck_assert_ptr_nonnull(note);
    ck_assert_int_eq(och_state_open(&b, path, 120, note, &err), OC_E_CONFIG);
    ck_assert_int_eq(err.status, OC_E_CONFIG);
    ck_assert_msg(strstr(err.message, "another ochost is using state file") && strstr(err.message, path),
                  "%s", err.message);
    ck_assert_msg(strstr(err.message, "--state"), "%s", err.message);
    ck_assert_uint_eq(b.n, 0);
    och_state_free(&b); /* safe after a refusal */
    char said[512] = "";
    rewind(note);
    ck_assert_ptr_nonnull(fgets(said, sizeof said, note));
    ck_assert_msg(strstr(said, "waiting up to 1 s"), "%s", said);
    fclose(note);

    /* A run that gets the lock reads the file after the holder's writes. */
    och_state_free(&a);
    ck_assert_int_eq(och_state_open(&b, path, 0, NULL, &err), OC_OK);
    ck_assert_str_eq(och_state_value(&b, "pull/email_events", NULL), "{\"v\":1}");
    /* A refused run takes nothing from the holder. */
    ck_assert_int_eq(och_state_open(&a, path, 0, NULL, &err), OC_E_CONFIG);
    och_state_free(&a);
    ck_assert_int_eq(och_state_put(&b, "usage", "{}", 2, &err), OC_OK);
    och_state_free(&b);
}
END_TEST

START_TEST(lock_wait_from_environment)
{
    unsetenv("OCHOST_STATE_LOCK_WAIT_MS");
    ck_assert_int_eq(och_state_lock_wait_ms(), OCH_STATE_LOCK_WAIT_MS);
    ck_assert_int_eq(OCH_STATE_LOCK_WAIT_MS, 30000);
    setenv("OCHOST_STATE_LOCK_WAIT_MS", "25", 1);
    ck_assert_int_eq(och_state_lock_wait_ms(), 25);
    setenv("OCHOST_STATE_LOCK_WAIT_MS", "soon", 1);
    ck_assert_int_eq(och_state_lock_wait_ms(), OCH_STATE_LOCK_WAIT_MS);
    setenv("OCHOST_STATE_LOCK_WAIT_MS", "-5", 1);
    ck_assert_int_eq(och_state_lock_wait_ms(), OCH_STATE_LOCK_WAIT_MS);
    unsetenv("OCHOST_STATE_LOCK_WAIT_MS");
}
END_TEST

/* A missing folder is named, with what to do, before any lock is tried. */
START_TEST(state_folder_missing)
{
    struct och_state st;
    struct oc_error err;
    char bad[256];
    snprintf(bad, sizeof bad, "%s/no-such-dir/ochost.state", dir);
    och_error_init(&err);
    ck_assert_int_eq(och_state_open(&st, bad, 0, NULL, &err), OC_E_CONFIG);
    ck_assert_msg(strstr(err.message, "no-such-dir") && strstr(err.message, "No such file")
                      && strstr(err.message, "writable"),
                  "%s", err.message);
    och_state_free(&st);
}
END_TEST

/* Opened through a symbolic link (a chain of two, relative), the state is
 * the link's target: saves go there and the links stay links. */
START_TEST(open_follows_symlinks_to_the_target)
{
    struct och_state st;
    struct oc_error err;
    char link1[256], link2[256], real[256];
    struct stat sb;
    snprintf(link1, sizeof link1, "%s/a.state", dir);
    snprintf(link2, sizeof link2, "%s/b.state", dir);
    ck_assert_int_eq(symlink("b.state", link1), 0);
    ck_assert_int_eq(symlink("ochost.state", link2), 0);
    ck_assert_ptr_nonnull(realpath(dir, real));
    strcat(real, "/ochost.state");
    och_error_init(&err);
    ck_assert_int_eq(och_state_open(&st, link1, 0, NULL, &err), OC_OK);
    ck_assert_str_eq(st.path, real);
    ck_assert_int_eq(och_state_put(&st, "k", "v", 1, &err), OC_OK);
    och_state_free(&st);
    ck_assert_int_eq(lstat(link1, &sb), 0);
    ck_assert(S_ISLNK(sb.st_mode));
    ck_assert_int_eq(lstat(link2, &sb), 0);
    ck_assert(S_ISLNK(sb.st_mode));
    ck_assert_int_eq(lstat(path, &sb), 0);
    ck_assert(S_ISREG(sb.st_mode));
    ck_assert_int_eq(sb.st_mode & 07777, 0600);
    ck_assert_msg(strstr(read_text(path), "\"k\": \"v\""), "%s", read_text(path));
}
END_TEST

/* A link loop is refused with a message, not followed forever. */
START_TEST(symlink_loop_refused)
{
    struct och_state st;
    struct oc_error err;
    char a[256], b[256];
    snprintf(a, sizeof a, "%s/a.state", dir);
    snprintf(b, sizeof b, "%s/b.state", dir);
    ck_assert_int_eq(symlink("b.state", a), 0);
    ck_assert_int_eq(symlink("a.state", b), 0);
    och_error_init(&err);
    ck_assert_int_eq(och_state_open(&st, a, 0, NULL, &err), OC_E_CONFIG);
    ck_assert_msg(strstr(err.message, "symbolic links"), "%s", err.message);
    och_state_free(&st);
}
END_TEST

extern Suite *make_state_suite(void);
Suite *make_state_suite(void)
{
    Suite *s = suite_create("state");
    TCase *tc = tcase_create("file");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, missing_file_is_empty);
    tcase_add_test(tc, round_trip_with_escapes);
    tcase_add_test(tc, file_is_private_and_readable_json);
    tcase_add_test(tc, corrupt_file_is_an_error_and_untouched);
    tcase_add_test(tc, parse_error_is_named);
    tcase_add_test(tc, put_refuses_binary_and_keeps_file);
    tcase_add_test(tc, failed_write_changes_nothing);
    tcase_add_test(tc, second_run_waits_then_refused);
    tcase_add_test(tc, lock_wait_from_environment);
    tcase_add_test(tc, state_folder_missing);
    tcase_add_test(tc, open_follows_symlinks_to_the_target);
    tcase_add_test(tc, symlink_loop_refused);
    suite_add_tcase(s, tc);
    return s;
}
