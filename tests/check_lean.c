/* check_lean.c - ochost runs in production without libmicrohttpd: the
 * replay server and recorder are a library (libocfixtures.so) it loads
 * only for --fixtures, --record and demo. */
#include <check.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plugin/buf.h"
#include "tests/support/ochrun.h"

static struct ochrun_env E;

static void setup(void) { ochrun_setup(&E); }

static void teardown(void) { ochrun_teardown(&E); }

static const char *build_dir(void)
{
    const char *b = getenv("OC_BUILD");
    return b && *b ? b : "build";
}

/* The DT_NEEDED entries of the ELF file at path, one per line, into
 * needed: what the dynamic loader must find before main() runs. Read
 * from the file itself (section headers, the .dynamic section and its
 * string table), so no tool's output format is involved. */
static void read_needed(const char *path, struct kit_buf *needed)
{
    struct kit_buf f = KIT_BUF_INIT;
    ochrun_slurp(path, &f);
    ck_assert_msg(f.len > sizeof(Elf64_Ehdr) && memcmp(f.data, ELFMAG, SELFMAG) == 0, "%s is not ELF", path);
    ck_assert_msg(f.data[EI_CLASS] == ELFCLASS64, "%s: only 64-bit ELF is read here", path);
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f.data;
    ck_assert(eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) <= f.len);
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(f.data + eh->e_shoff);
    int dynamics = 0;
    for(unsigned i = 0; i < eh->e_shnum; i++) {
        if(sh[i].sh_type != SHT_DYNAMIC)
            continue;
        dynamics++;
        ck_assert(sh[i].sh_link < eh->e_shnum);
        const Elf64_Shdr *strs = &sh[sh[i].sh_link];
        ck_assert(sh[i].sh_offset + sh[i].sh_size <= f.len && strs->sh_offset + strs->sh_size <= f.len);
        const Elf64_Dyn *d = (const Elf64_Dyn *)(f.data + sh[i].sh_offset);
        for(size_t k = 0; k < sh[i].sh_size / sizeof *d && d[k].d_tag != DT_NULL; k++) {
            if(d[k].d_tag != DT_NEEDED)
                continue;
            ck_assert(d[k].d_un.d_val < strs->sh_size);
            kit_buf_printf(needed, "%s\n", f.data + strs->sh_offset + d[k].d_un.d_val);
        }
    }
    ck_assert_msg(dynamics == 1, "%s: %d dynamic sections", path, dynamics);
    kit_buf_free(&f);
}

START_TEST(test_ochost_links_no_libmicrohttpd)
{
    char path[4096];
    struct kit_buf needed = KIT_BUF_INIT;
    snprintf(path, sizeof path, "%s/ochost", build_dir());
    read_needed(path, &needed);
    /* The reader works: ochost needs libc. It needs no libcurl either:
     * the plugin brings it, after ochost has set GnuTLS's environment
     * (main.c). */
    ck_assert_msg(strstr(kit_buf_str(&needed), "libc.so"), "DT_NEEDED of %s: %s", path, kit_buf_str(&needed));
    ck_assert_msg(!strstr(kit_buf_str(&needed), "libcurl"), "%s needs libcurl before main():\n%s", path,
                  kit_buf_str(&needed));
    ck_assert_msg(!strstr(kit_buf_str(&needed), "microhttpd"),
                  "%s needs libmicrohttpd before main(): a production install would need it too:\n%s", path,
                  kit_buf_str(&needed));
    kit_buf_free(&needed);

    /* It moved, not vanished: the library ochost loads for --fixtures
     * needs it. */
    snprintf(path, sizeof path, "%s/libocfixtures.so", build_dir());
    read_needed(path, &needed);
    ck_assert_msg(strstr(kit_buf_str(&needed), "libmicrohttpd"), "DT_NEEDED of %s: %s", path,
                  kit_buf_str(&needed));
    kit_buf_free(&needed);
}
END_TEST

START_TEST(test_fixtures_load_the_replay_library)
{
    struct ochrun r;
    const char *args[] = {"--manifest", E.manifest, "--fixtures", "fixtures/hubspot/authorize-ok.json",
                          "authorize", NULL};
    ochrun(&E, &r, args, NULL, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ochrun_free(&r);
}
END_TEST

/* A copy of ochost in a folder of its own: what a host without the
 * ochost-fixtures package has. */
static struct ochrun_env lone_copy(void)
{
    struct ochrun_env lone = E;
    struct kit_buf bin = KIT_BUF_INIT;
    char dir[200];
    snprintf(dir, sizeof dir, "%s/bin", E.tmp);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    ochrun_slurp(E.ochost, &bin);
    snprintf(lone.ochost, sizeof lone.ochost, "%s/ochost", dir);
    FILE *f = fopen(lone.ochost, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(bin.data, 1, bin.len, f), bin.len);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(chmod(lone.ochost, 0755), 0);
    kit_buf_free(&bin);
    return lone;
}

START_TEST(test_without_the_library_only_fixtures_fail)
{
    struct ochrun_env lone = lone_copy();
    struct ochrun r;
    char want[300];
    snprintf(want, sizeof want, "%s/bin/libocfixtures.so", E.tmp);

    const char *info[] = {"--manifest", E.manifest, "info", NULL};
    ochrun(&lone, &r, info, NULL, NULL);
    ck_assert_msg(r.code == 0, "info without libocfixtures.so: exit %d: %s", r.code, OCHRUN_ERR(&r));
    ochrun_free(&r);

    const char *replay[] = {"--manifest", E.manifest, "--fixtures", "fixtures/hubspot/authorize-ok.json",
                            "authorize", NULL};
    ochrun(&lone, &r, replay, NULL, NULL);
    ck_assert_msg(r.code == 2, "--fixtures without libocfixtures.so: exit %d: %s", r.code, OCHRUN_ERR(&r));
    ck_assert_msg(strstr(OCHRUN_ERR(&r), "ochost: authorize: --fixtures needs the replay server library ") &&
                      strstr(OCHRUN_ERR(&r), want) && strstr(OCHRUN_ERR(&r), "install the ochost-fixtures package"),
                  "%s", OCHRUN_ERR(&r));
    ochrun_free(&r);

    char cassette[300];
    snprintf(cassette, sizeof cassette, "%s/rec.json", E.tmp);
    const char *record[] = {"--manifest", E.manifest, "--record", cassette, "authorize", NULL};
    const char *env[] = {"HUBSPOT_ACCESS_TOKEN=pat-na1-" "00000000-0000-4000-8000-000000000000",
                         "HUBSPOT_BASE_URL=http://127.0.0.1:9", NULL};
    ochrun(&lone, &r, record, env, NULL);
    ck_assert_msg(r.code == 2, "--record without libocfixtures.so: exit %d: %s", r.code, OCHRUN_ERR(&r));
    ck_assert_msg(strstr(OCHRUN_ERR(&r), "--record needs the replay server library ") &&
                      strstr(OCHRUN_ERR(&r), want),
                  "%s", OCHRUN_ERR(&r));
    ochrun_free(&r);
    struct stat sb;
    ck_assert_msg(stat(cassette, &sb) != 0, "a cassette was written by a run that could not record");
}
END_TEST

extern Suite *make_lean_suite(void);
Suite *make_lean_suite(void)
{
    Suite *s = suite_create("lean");
    TCase *tc = tcase_create("ochost without libmicrohttpd");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_ochost_links_no_libmicrohttpd);
    tcase_add_test(tc, test_fixtures_load_the_replay_library);
    tcase_add_test(tc, test_without_the_library_only_fixtures_fail);
    suite_add_tcase(s, tc);
    return s;
}
