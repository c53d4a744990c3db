/* check_fuzz_regress.c - replays every fuzz seed (tests/fuzz/corpus/<what>/)
 * and every crash the fuzzers found (tests/fuzz/regress/<what>/) through
 * the fuzz targets' own entry functions, built with gcc like the rest of
 * the suite, so a fixed finding stays fixed without clang or libFuzzer.
 *
 * The target files are #included rather than listed in the GNUmakefile:
 * TEST_SRC only picks tests/check_*.c, and including keeps one copy of
 * each target's code, compiled with the suite's warnings, and nothing to
 * register anywhere else. Each tcase is one target; each loop iteration one
 * input file (a crash shows as "<target>:<index>"; the failure message of
 * an invariant names the file). */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Set by the replay loop so invariant failures name their input. */
static const char *fr_current = "";

static void fr_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fr_fail(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Messages quote hostile input: show control bytes, do not send them
     * to the terminal. */
    char shown[4 * sizeof msg];
    size_t o = 0;
    for(const unsigned char *p = (const unsigned char *)msg; *p && o + 5 < sizeof shown; p++) {
        if(*p < 0x20 || *p == 0x7f)
            o += (size_t)snprintf(shown + o, sizeof shown - o, "\\x%02x", *p);
        else
            shown[o++] = (char)*p;
    }
    shown[o] = '\0';
    ck_abort_msg("input %s: %s", fr_current, shown);
    abort(); /* not reached: ck_abort_msg does not return */
}
#define FUZZ_FAIL(...) fr_fail(__VA_ARGS__)

#include "tests/fuzz/fuzz_json.c"
#include "tests/fuzz/fuzz_manifest.c"
#include "tests/fuzz/fuzz_cassette.c"
#include "tests/fuzz/fuzz_config.c"
#include "tests/fuzz/fuzz_state.c"
#include "tests/fuzz/fuzz_input.c"
#include "tests/fuzz/fuzz_headers.c"
#include "tests/fuzz/fuzz_apierror.c"
#include "tests/fuzz/fuzz_pull.c"
#include "tests/fuzz/fuzz_push.c"
#include "tests/fuzz/fuzz_usage.c"
#include "tests/fuzz/fuzz_authorize.c"
#include "tests/fuzz/fuzz_lookup.c"
#include "tests/fuzz/fuzz_listcheck.c"

struct fr_target {
    const char *name;
    int (*one)(const uint8_t *, size_t);
};

static const struct fr_target fr_targets[] = {
    {"json", fuzz_json_one},
    {"manifest", fuzz_manifest_one},
    {"cassette", fuzz_cassette_one},
    {"config", fuzz_config_one},
    {"state", fuzz_state_one},
    {"input", fuzz_input_one},
    {"headers", fuzz_headers_one},
    {"apierror", fuzz_apierror_one},
    {"pull", fuzz_pull_one},
    {"push", fuzz_push_one},
    {"usage", fuzz_usage_one},
    {"authorize", fuzz_authorize_one},
    {"lookup", fuzz_lookup_one},
    {"listcheck", fuzz_listcheck_one},
};
#define FR_NTARGETS (sizeof fr_targets / sizeof fr_targets[0])

/* Input files of every target, collected when the suite is made (tests run
 * from the repository root). Kept for the life of the process: Check
 * forks per test and the list must be there in each child. */
struct fr_file {
    size_t target;
    char *path;
};
static struct fr_file *fr_files;
static size_t fr_nfiles;
static int fr_unknown_dirs; /* corpus/regress folders with no target */
static char fr_unknown_name[600];

static int fr_target_of(const char *name, size_t *out)
{
    for(size_t i = 0; i < FR_NTARGETS; i++)
        if(!strcmp(fr_targets[i].name, name)) {
            *out = i;
            return 0;
        }
    return -1;
}

static int fr_cmp(const void *a, const void *b)
{
    const struct fr_file *x = a, *y = b;
    if(x->target != y->target)
        return x->target < y->target ? -1 : 1;
    return strcmp(x->path, y->path);
}

static void fr_add(size_t target, const char *path)
{
    struct fr_file *n = realloc(fr_files, (fr_nfiles + 1) * sizeof *n);
    char *p = strdup(path);
    if(!n || !p) {
        free(p);
        if(n)
            fr_files = n;
        return; /* the count checks below then fail the suite */
    }
    fr_files = n;
    fr_files[fr_nfiles].target = target;
    fr_files[fr_nfiles].path = p;
    fr_nfiles++;
}

static void fr_scan(const char *root)
{
    DIR *d = opendir(root);
    if(!d)
        return;
    struct dirent *e;
    while((e = readdir(d))) {
        if(e->d_name[0] == '.')
            continue;
        size_t t;
        if(fr_target_of(e->d_name, &t)) {
            fr_unknown_dirs++;
            snprintf(fr_unknown_name, sizeof fr_unknown_name, "%s/%s", root, e->d_name);
            continue;
        }
        char dir[600];
        snprintf(dir, sizeof dir, "%s/%s", root, e->d_name);
        DIR *sd = opendir(dir);
        if(!sd)
            continue;
        struct dirent *f;
        while((f = readdir(sd))) {
            if(f->d_name[0] == '.')
                continue;
            char path[1024];
            struct stat st;
            snprintf(path, sizeof path, "%s/%s", dir, f->d_name);
            if(stat(path, &st) == 0 && S_ISREG(st.st_mode))
                fr_add(t, path);
        }
        closedir(sd);
    }
    closedir(d);
}

static void fr_collect(void)
{
    if(fr_files)
        return;
    fr_scan("tests/fuzz/corpus");
    fr_scan("tests/fuzz/regress");
    if(fr_nfiles)
        qsort(fr_files, fr_nfiles, sizeof *fr_files, fr_cmp);
}

static size_t fr_first(size_t target)
{
    size_t i = 0;
    while(i < fr_nfiles && fr_files[i].target < target)
        i++;
    return i;
}

static size_t fr_count(size_t target)
{
    size_t n = 0;
    for(size_t i = 0; i < fr_nfiles; i++)
        n += fr_files[i].target == target;
    return n;
}

static void fr_replay(size_t idx)
{
    ck_assert_uint_lt(idx, fr_nfiles);
    const struct fr_file *f = &fr_files[idx];
    FILE *in = fopen(f->path, "rb");
    ck_assert_msg(in != NULL, "cannot open %s: %s", f->path, strerror(errno));
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for(;;) {
        if(len == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *n = realloc(buf, cap);
            ck_assert_ptr_nonnull(n);
            buf = n;
        }
        size_t r = fread(buf + len, 1, cap - len, in);
        len += r;
        if(r == 0)
            break;
    }
    ck_assert_msg(!ferror(in), "read error on %s", f->path);
    fclose(in);
    /* An exact-size copy, so reading one byte past the input is caught by
     * ASan (SANITIZE=1) just as under libFuzzer. */
    uint8_t *exact = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(exact);
    if(len)
        memcpy(exact, buf, len);
    free(buf);
    fr_current = f->path;
    ck_assert_int_eq(fr_targets[f->target].one(exact, len), 0);
    fr_current = "";
    free(exact);
}

/* Iteration i of target T replays the i-th file of T. */
#define FR_TEST(T)                                                                                 \
    START_TEST(test_replay_##T)                                                                    \
    {                                                                                              \
        size_t t;                                                                                  \
        ck_assert_int_eq(fr_target_of(#T, &t), 0);                                                 \
        fr_replay(fr_first(t) + (size_t)_i);                                                       \
    }                                                                                              \
    END_TEST
FR_TEST(json)
FR_TEST(manifest)
FR_TEST(cassette)
FR_TEST(config)
FR_TEST(state)
FR_TEST(input)
FR_TEST(headers)
FR_TEST(apierror)
FR_TEST(pull)
FR_TEST(push)
FR_TEST(usage)
FR_TEST(authorize)
FR_TEST(lookup)
FR_TEST(listcheck)

/* Every target has seeds, and every folder under corpus/ and regress/ has
 * a target (a new target not added here would be silently skipped). */
START_TEST(test_layout)
{
    ck_assert_msg(fr_unknown_dirs == 0, "%s: no fuzz target of that name in check_fuzz_regress.c",
                  fr_unknown_name);
    for(size_t i = 0; i < FR_NTARGETS; i++)
        ck_assert_msg(fr_count(i) > 0, "no inputs in tests/fuzz/corpus/%s (run from the repo root)",
                      fr_targets[i].name);
}
END_TEST

#define FR_CASE(s, T)                                                                              \
    do {                                                                                           \
        size_t t_;                                                                                 \
        TCase *tc_ = tcase_create(#T);                                                             \
        if(fr_target_of(#T, &t_) == 0 && fr_count(t_) > 0)                                         \
            tcase_add_loop_test(tc_, test_replay_##T, 0, (int)fr_count(t_));                       \
        suite_add_tcase(s, tc_);                                                                   \
    } while(0)

extern Suite *make_fuzz_regress_suite(void);

Suite *make_fuzz_regress_suite(void)
{
    Suite *s = suite_create("fuzz_regress");
    fr_collect();
    TCase *tc = tcase_create("layout");
    tcase_add_test(tc, test_layout);
    suite_add_tcase(s, tc);
    FR_CASE(s, json);
    FR_CASE(s, manifest);
    FR_CASE(s, cassette);
    FR_CASE(s, config);
    FR_CASE(s, state);
    FR_CASE(s, input);
    FR_CASE(s, headers);
    FR_CASE(s, apierror);
    FR_CASE(s, pull);
    FR_CASE(s, push);
    FR_CASE(s, usage);
    FR_CASE(s, authorize);
    FR_CASE(s, lookup);
    FR_CASE(s, listcheck);
    return s;
}
