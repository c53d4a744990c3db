/* check_state_stream.c - ochost writes its state file through a small
 * buffer, quoting values as they go out: the bytes are those the whole-
 * text serializer wrote (frozen below), a write failing part way leaves
 * the old file, and a save needs no memory in proportion to the file. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host-api/ochost/state.h"
#include "host-api/ochost/status.h"
#include "plugin/buf.h"
#include "plugin/json.h"
#include "tests/support/xorshift.h"

static char dir[64];
static char path[128];

static void setup(void)
{
    strcpy(dir, "/tmp/check_state_stream_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/ochost.state", dir);
}

/* Every name in dir, for a message; "" when only the state file is there. */
static void others_in_dir(char *out, size_t cap)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;
    out[0] = '\0';
    ck_assert_ptr_nonnull(d);
    while((de = readdir(d))) {
        if(!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || !strcmp(de->d_name, "ochost.state"))
            continue;
        int w = snprintf(out + n, cap - n, "%s ", de->d_name);
        if(w > 0 && (size_t)w < cap - n)
            n += (size_t)w;
    }
    closedir(d);
}

static void teardown(void)
{
    char name[4096];
    DIR *d = opendir(dir);
    struct dirent *de;
    while(d && (de = readdir(d))) {
        if(!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        snprintf(name, sizeof name, "%s/%s", dir, de->d_name);
        unlink(name);
    }
    if(d)
        closedir(d);
    rmdir(dir);
}

/* The state as the test knows it: sorted keys and their values. */
struct model {
    char *key[64];
    char *val[64];
    size_t len[64];
    size_t n;
};

static void model_set(struct model *m, const char *key, const char *val, size_t len)
{
    size_t i = 0;
    while(i < m->n && strcmp(m->key[i], key) < 0)
        i++;
    int found = i < m->n && !strcmp(m->key[i], key);
    if(found) {
        free(m->val[i]);
        if(!val) {
            free(m->key[i]);
            memmove(&m->key[i], &m->key[i + 1], (m->n - i - 1) * sizeof m->key[0]);
            memmove(&m->val[i], &m->val[i + 1], (m->n - i - 1) * sizeof m->val[0]);
            memmove(&m->len[i], &m->len[i + 1], (m->n - i - 1) * sizeof m->len[0]);
            m->n--;
            return;
        }
    } else {
        if(!val)
            return;
        ck_assert_uint_lt(m->n, 64);
        memmove(&m->key[i + 1], &m->key[i], (m->n - i) * sizeof m->key[0]);
        memmove(&m->val[i + 1], &m->val[i], (m->n - i) * sizeof m->val[0]);
        memmove(&m->len[i + 1], &m->len[i], (m->n - i) * sizeof m->len[0]);
        m->key[i] = strdup(key);
        m->n++;
    }
    m->val[i] = malloc(len + 1);
    ck_assert_ptr_nonnull(m->val[i]);
    memcpy(m->val[i], val, len);
    m->val[i][len] = '\0';
    m->len[i] = len;
}

static void model_free(struct model *m)
{
    for(size_t i = 0; i < m->n; i++) {
        free(m->key[i]);
        free(m->val[i]);
    }
    m->n = 0;
}

/* The serializer ochost used before it streamed, frozen: the whole file
 * text built in one buffer, every key and value through kit_json_quote. */
static void frozen_serialize(const struct model *m, struct kit_buf *out)
{
    kit_buf_puts(out, "{");
    for(size_t i = 0; i < m->n; i++) {
        kit_buf_puts(out, i ? ",\n  " : "\n  ");
        kit_json_quote(out, m->key[i], strlen(m->key[i]));
        kit_buf_puts(out, ": ");
        kit_json_quote(out, m->val[i], m->len[i]);
    }
    kit_buf_puts(out, m->n ? "\n}\n" : "}\n");
    ck_assert(kit_buf_ok(out));
}

static void slurp(const char *p, struct kit_buf *out)
{
    char chunk[65536];
    size_t got;
    FILE *f = fopen(p, "rb");
    ck_assert_ptr_nonnull(f);
    kit_buf_reset(out);
    while((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        kit_buf_append(out, chunk, got);
    fclose(f);
    ck_assert(kit_buf_ok(out));
}

static void assert_file_is(const struct model *m, const char *what)
{
    struct kit_buf want = KIT_BUF_INIT, got = KIT_BUF_INIT;
    frozen_serialize(m, &want);
    slurp(path, &got);
    size_t at = 0;
    while(at < want.len && at < got.len && want.data[at] == got.data[at])
        at++;
    ck_assert_msg(got.len == want.len && at == want.len,
                  "%s: the file (%zu bytes) differs from the frozen serializer's (%zu bytes) at byte %zu", what,
                  got.len, want.len, at);
    kit_buf_free(&want);
    kit_buf_free(&got);
}

static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint32_t next(void)
{
    return (uint32_t)(xorshift_next(&rng) >> 11);
}

/* Text of about len bytes in one of a few flavours: plain ASCII, escapes
 * everywhere (control bytes six times longer quoted), and UTF-8 of every
 * length, so that pieces end at every kind of byte. Always valid UTF-8
 * without NUL. */
static size_t gen_text(struct kit_buf *b, size_t len, int flavour)
{
    static const char *const chars[] = {"a", "\"", "\\", "\n", "\t", "\x01", "\x1f", "\x7f", "/", "\xc3\xa9",
                                        "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xe2\x80\xa8", "{", ":"};
    kit_buf_reset(b);
    while(b->len < len) {
        const char *c;
        switch(flavour) {
        case 0: c = "abcdefghij" + next() % 10; kit_buf_append(b, c, 1); continue;
        case 1: c = (next() & 1) ? "\x01" : "\""; break;
        case 2: c = chars[9 + next() % 3]; break;
        default: c = chars[next() % (sizeof chars / sizeof chars[0])]; break;
        }
        kit_buf_puts(b, c);
    }
    ck_assert(kit_buf_ok(b));
    return b->len;
}

static void put(struct och_state *st, struct model *m, const char *key, const char *val, size_t len)
{
    struct oc_error err = {sizeof err};
    oc_status rc = och_state_put(st, key, val, len, &err);
    ck_assert_msg(rc == OC_OK, "put %s: %d %s", key, rc, err.message);
    model_set(m, key, val, len);
}

/* Generated states, each save compared with the frozen serializer: keys
 * with quotes and backslashes, values small and kept, values crossing the
 * write buffer (32 KiB) many times, values whose quoted form is six times
 * longer, the changed key first, in the middle, last and deleted, and
 * the file reloaded and saved again. */
START_TEST(saves_match_frozen_serializer)
{
    static const size_t sizes[] = {0, 1, 7, 100, 5000, 16383, 16384, 16385, 32767, 32768, 40000, 65535, 65536, 65537, 99999, 300001};
    struct och_state st = {0};
    struct oc_error err = {sizeof err};
    struct model m = {0};
    struct kit_buf val = KIT_BUF_INIT;
    char key[256], what[320];
    ck_assert_int_eq(och_state_load(&st, path, &err), OC_OK);
    for(int round = 0; round < 70; round++) {
        size_t size = sizes[next() % (sizeof sizes / sizeof sizes[0])];
        int flavour = (int)(next() % 4);
        size_t len = gen_text(&val, size, flavour);
        /* first, middle, last or a key between */
        switch(round % 4) {
        case 0: snprintf(key, sizeof key, "!first/%d", round); break;
        case 1: snprintf(key, sizeof key, "m\"id\\%d", round % 9); break;
        case 2: snprintf(key, sizeof key, "~last/%d", round % 5); break;
        default: snprintf(key, sizeof key, "%c/%0*d", 'a' + (int)(next() % 26), 1 + (int)(next() % 190), round); break;
        }
        put(&st, &m, key, val.data, len);
        snprintf(what, sizeof what, "round %d, %zu bytes (flavour %d) at key %.200s", round, len, flavour, key);
        assert_file_is(&m, what);
        if(round % 7 == 6 && m.n) {
            char *gone = strdup(m.key[next() % m.n]);
            put(&st, &m, gone, NULL, 0);
            snprintf(what, sizeof what, "round %d, key %.200s deleted", round, gone);
            assert_file_is(&m, what);
            free(gone);
        }
        if(round % 10 == 9) {
            och_state_free(&st);
            ck_assert_int_eq(och_state_load(&st, path, &err), OC_OK);
            put(&st, &m, "~~after reload", "1", 1);
            assert_file_is(&m, "saved after a reload");
        }
        if(m.n > 40)
            for(size_t i = 0; i < 10; i++)
                put(&st, &m, m.key[m.n / 2], NULL, 0);
    }
    ck_assert_int_eq(och_state_check_writable(&st, &err), OC_OK);
    assert_file_is(&m, "after the writable check");
    och_state_free(&st);
    model_free(&m);
    kit_buf_free(&val);
}
END_TEST

/* Lower this process's file size limit (a forked child's) so a write past
 * it fails with EFBIG, the way a full disk fails with ENOSPC. */
static void limit_file_size(rlim_t bytes)
{
    struct rlimit r;
    signal(SIGXFSZ, SIG_IGN);
    if(getrlimit(RLIMIT_FSIZE, &r))
        _exit(90);
    r.rlim_cur = bytes;
    if(setrlimit(RLIMIT_FSIZE, &r))
        _exit(91);
}

static void unlimit_file_size(void)
{
    struct rlimit r;
    if(getrlimit(RLIMIT_FSIZE, &r))
        _exit(92);
    r.rlim_cur = r.rlim_max;
    if(setrlimit(RLIMIT_FSIZE, &r))
        _exit(93);
}

static int wait_child(pid_t pid)
{
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status), "the child did not exit (signal %d)", WTERMSIG(status));
    return WEXITSTATUS(status);
}

/* A file that fills up after several buffers were written: the put fails
 * with the same message as before, the old file is there byte for byte,
 * no temporary file is left, and memory still holds the old values (the
 * next save, with room again, writes them and not the failed one). */
START_TEST(failed_partial_write_keeps_old_file)
{
    struct och_state st = {0};
    struct oc_error err = {sizeof err};
    struct model m = {0};
    struct kit_buf val = KIT_BUF_INIT, before = KIT_BUF_INIT, after = KIT_BUF_INIT;
    ck_assert_int_eq(och_state_load(&st, path, &err), OC_OK);
    put(&st, &m, "a/small", "{\"cursor\":1}", 12);
    size_t len = gen_text(&val, 60000, 3);
    put(&st, &m, "m/big", val.data, len);
    put(&st, &m, "z/last", "tail", 4);
    slurp(path, &before);
    ck_assert_uint_gt(before.len, 3 * 32768 / 2);
    char *old_big = strdup(val.data);

    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if(pid == 0) {
        /* room for several buffers of the new file, not for all of it */
        len = gen_text(&val, 200000, 3);
        limit_file_size(3 * 32768 + 100);
        oc_status rc = och_state_put(&st, "m/big", val.data, len, &err);
        if(rc != OC_E_IO)
            _exit(10);
        if(!strstr(err.message, "cannot write state file") || !strstr(err.message, strerror(EFBIG))
           || !strstr(err.message, "the previous state is kept"))
            _exit(11);
        size_t got = 0;
        const char *v = och_state_value(&st, "m/big", &got);
        if(!v || got != strlen(old_big) || memcmp(v, old_big, got))
            _exit(12);
        slurp(path, &after);
        if(after.len != before.len || memcmp(after.data, before.data, before.len))
            _exit(13);
        char others[1024];
        others_in_dir(others, sizeof others);
        if(strcmp(others, "ochost.state.lock ") && others[0])
            _exit(14);
        unlimit_file_size();
        if(och_state_put(&st, "z/last", "tail 2", 6, &err))
            _exit(15);
        och_state_free(&st);
        model_free(&m);
        kit_buf_free(&val);
        kit_buf_free(&before);
        kit_buf_free(&after);
        free(old_big);
        _exit(0);
    }
    int code = wait_child(pid);
    ck_assert_msg(code != 10, "the put past the file size limit did not fail with OC_E_IO");
    ck_assert_msg(code != 11, "the failed put's message changed");
    ck_assert_msg(code != 12, "memory changed although the file was not written");
    ck_assert_msg(code != 13, "the old state file was changed by a failed save");
    ck_assert_msg(code != 14, "a temporary file was left behind");
    ck_assert_msg(code == 0, "the child failed (%d)", code);
    model_set(&m, "z/last", "tail 2", 6);
    assert_file_is(&m, "the save after the failed one");
    char others[1024];
    others_in_dir(others, sizeof others);
    ck_assert_msg(!others[0], "left in the folder: %s", others);
    free(old_big);
    och_state_free(&st);
    model_free(&m);
    kit_buf_free(&val);
    kit_buf_free(&before);
    kit_buf_free(&after);
}
END_TEST

static size_t vm_bytes(void)
{
    unsigned long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if(!f || fscanf(f, "%lu", &pages) != 1)
        _exit(95);
    fclose(f);
    return pages * (size_t)sysconf(_SC_PAGESIZE);
}

static size_t heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

/* A 2 MB value of control bytes is 12 MB quoted. A save of another key
 * beside it does not keep the big value a second time in quoted form;
 * and with its address space capped 8 MB above what it holds, the process
 * saves a new big value and another key beside it: the file goes out
 * through a small buffer, not as one text. */
#define BIG_VALUE (2u * 1024u * 1024u)
START_TEST(save_memory_does_not_grow_with_the_file)
{
    struct oc_error err = {sizeof err};
    struct model m = {0};
    char *big = malloc(BIG_VALUE + 1);
    ck_assert_ptr_nonnull(big);
    memset(big, 0x01, BIG_VALUE);
    big[BIG_VALUE] = '\0';
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if(pid == 0) {
        struct och_state st = {0};
        if(och_state_load(&st, path, &err))
            _exit(20);
        if(och_state_put(&st, "a", "1", 1, &err) || och_state_put(&st, "big", big, BIG_VALUE, &err))
            _exit(21);
        size_t held = heap_bytes();
        if(och_state_put(&st, "a", "2", 1, &err))
            _exit(21);
        if(heap_bytes() > held + BIG_VALUE / 2)
            _exit(26);
        memset(big, 0x02, BIG_VALUE);
        struct rlimit r;
        if(getrlimit(RLIMIT_AS, &r))
            _exit(22);
        r.rlim_cur = vm_bytes() + 8u * 1024u * 1024u;
        if(setrlimit(RLIMIT_AS, &r))
            _exit(23);
        if(och_state_put(&st, "big", big, BIG_VALUE, &err))
            _exit(24);
        if(och_state_put(&st, "a", "3", 1, &err))
            _exit(25);
        och_state_free(&st);
        free(big);
        _exit(0);
    }
    int code = wait_child(pid);
    ck_assert_msg(code != 24, "saving a 2 MB value took more than 8 MB of address space");
    ck_assert_msg(code != 25, "saving beside a 2 MB value took more than 8 MB of address space");
    ck_assert_msg(code != 26, "a save beside a 2 MB value kept it a second time, quoted");
    ck_assert_msg(code == 0, "the child failed (%d)", code);
    memset(big, 0x02, BIG_VALUE);
    model_set(&m, "a", "3", 1);
    model_set(&m, "big", big, BIG_VALUE);
    assert_file_is(&m, "the saves under the address space cap");
    model_free(&m);
    free(big);
}
END_TEST

extern Suite *make_state_stream_suite(void);

Suite *make_state_stream_suite(void)
{
    Suite *s = suite_create("state_stream");
    TCase *tc = tcase_create("stream");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, saves_match_frozen_serializer);
    tcase_add_test(tc, failed_partial_write_keeps_old_file);
    tcase_add_test(tc, save_memory_does_not_grow_with_the_file);
    suite_add_tcase(s, tc);
    return s;
}
