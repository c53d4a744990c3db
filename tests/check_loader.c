/*
 * check_loader.c - suite "loader": manifest parsing, plugin loading and
 * every refusal the loader makes, against the test plugins in
 * tests/plugins/ and the real plugin.
 *
 * The build directory comes from OC_BUILD (set by `make check`), default
 * "build"; tests run from the repository root. Each test works in its own
 * mkdtemp directory under /tmp (see case_setup).
 */
#include <check.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "onecount/connector.h"
#include "onecount/loader.h"
#include "plugin/openerr.h"
#include "tests/support/testhost.h"

#define TOKEN "pat-na1-00000000-0000-4000-8000-000000000000"

/* basedir is made once per test case by an unchecked fixture, in the
 * parent process, and removed by its teardown there, so even a test that
 * fails (its forked child exits at the failed assertion, skipping checked
 * teardowns) leaves nothing behind. Each test gets its own tmpdir in it. */
static char basedir[64];
static char tmpdir[96];

static void case_setup(void)
{
    strcpy(basedir, "/tmp/oc-loader-XXXXXX");
    ck_assert_msg(mkdtemp(basedir) != NULL, "mkdtemp: %s", strerror(errno));
}

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/t-XXXXXX", basedir);
    ck_assert_msg(mkdtemp(tmpdir) != NULL, "mkdtemp: %s", strerror(errno));
}

/* Removes dir and everything below it. */
static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if(!d)
        return;
    struct dirent *e;
    while((e = readdir(d))) {
        if(!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if(!lstat(p, &st) && S_ISDIR(st.st_mode))
            rm_tree(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static void case_teardown(void)
{
    rm_tree(basedir);
}

static void teardown(void)
{
    rm_tree(tmpdir);
}

static const char *build_dir(void)
{
    const char *b = getenv("OC_BUILD");
    return b && *b ? b : "build";
}

/* Absolute path of a file in the build directory, into out. */
static void build_path(char *out, const char *rel)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", build_dir(), rel);
    ck_assert_msg(realpath(p, out) != NULL,
                  "%s: %s; run the suite through `make check` (it builds the plugins)", p,
                  strerror(errno));
}

static void testplugin(char *out, const char *name)
{
    char rel[128];
    snprintf(rel, sizeof rel, "testplugins/%s.so", name);
    build_path(out, rel);
}

/* Writes text to tmpdir/name; the path goes into out (PATH_MAX). */
static void write_file(char *out, const char *name, const char *text, size_t len)
{
    snprintf(out, PATH_MAX, "%s/%s", tmpdir, name);
    FILE *f = fopen(out, "wb");
    ck_assert_msg(f != NULL, "%s: %s", out, strerror(errno));
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    ck_assert_msg(in != NULL, "%s: %s", from, strerror(errno));
    FILE *o = fopen(to, "wb");
    ck_assert_msg(o != NULL, "%s: %s", to, strerror(errno));
    char buf[65536];
    size_t n;
    while((n = fread(buf, 1, sizeof buf, in)) > 0)
        ck_assert_uint_eq(fwrite(buf, 1, n, o), n);
    fclose(in);
    ck_assert_int_eq(fclose(o), 0);
}

/* A manifest with the given values (scopes/options omitted) in tmpdir. */
static void write_manifest(char *out, const char *file, const char *name, const char *version,
                           const char *abi, const char *library, const char *entry,
                           const char *caps)
{
    char text[2048];
    int n = snprintf(text, sizeof text,
                     "# test manifest\nname = %s\nversion = %s\nabi = %s\nlibrary = %s\n"
                     "entry = %s\ncapabilities = %s\n",
                     name, version, abi, library, entry, caps);
    ck_assert(n > 0 && (size_t)n < sizeof text);
    write_file(out, file, text, (size_t)n);
}

/* A manifest for what the test plugins report unless they are built to
 * differ (testgood 1.2.3, ABI 1.0, pull,lookup: skel_connector in
 * tests/plugins/skeleton.h), with the given library. */
static void write_testgood_manifest(char *out, const char *file, const char *library)
{
    write_manifest(out, file, "testgood", "1.2.3", "1.0", library, OC_CONNECTOR_ENTRY,
                   "pull,lookup");
}

#define ERR_INIT {.struct_size = sizeof(struct oc_error)}

/* The code address held in a vtable slot, for dladdr() and comparisons
 * (ISO C has no function-to-object pointer cast; POSIX makes the bytes
 * the same). */
static void *code_addr(const void *slot)
{
    void *v;
    memcpy(&v, slot, sizeof v);
    return v;
}

#define ck_has(msg, needle) \
    ck_assert_msg(strstr((msg), (needle)) != NULL, "message \"%s\" lacks \"%s\"", (msg), (needle))

/* Loads manifest file path (which must parse) and expects oc_plugin_load
 * to refuse it with OC_E_ABI; the message is copied to msg. */
static void expect_refusal(const char *path, char *msg)
{
    struct oc_manifest *m = NULL;
    struct oc_error err = ERR_INIT;
    oc_status rc = oc_manifest_load(path, &m, &err);
    ck_assert_msg(rc == OC_OK, "manifest %s: %s", path, err.message);
    struct oc_plugin *p = (struct oc_plugin *)&err; /* must be reset to NULL */
    rc = oc_plugin_load(m, &p, &err);
    ck_assert_msg(rc == OC_E_ABI, "expected OC_E_ABI, got %s: %s", oc_status_name(rc),
                  err.message);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(err.status, OC_E_ABI);
    ck_has(err.message, path);
    strcpy(msg, err.message);
}

/* Loads test plugin `plugin` (tests/plugins/<plugin>.c) through a
 * testgood manifest and expects the refusal, whose message goes to msg. */
static void refuse_testplugin(const char *plugin, char *msg)
{
    char lib[PATH_MAX], path[PATH_MAX];
    testplugin(lib, plugin);
    write_testgood_manifest(path, "m.manifest", lib);
    expect_refusal(path, msg);
}

/* ------------------------------------------------------------------ */
/* Manifest parsing                                                    */
/* ------------------------------------------------------------------ */

START_TEST(test_manifest_repo)
{
    /* The shipped manifest must parse and say what the plugin is. */
    struct oc_manifest *m = NULL;
    struct oc_error err = ERR_INIT;
    ck_assert_msg(oc_manifest_load("plugin.manifest", &m, &err) == OC_OK, "%s", err.message);
    ck_assert_str_eq(m->path, "plugin.manifest");
    ck_assert_str_eq(m->dir, ".");
    ck_assert_str_eq(m->name, "hubspot");
    ck_assert_str_eq(m->abi, "1.0");
    ck_assert_uint_eq(m->abi_version, OC_ABI_VERSION_1_0);
    ck_assert_str_eq(m->library, "build/libonecount_hubspot.so");
    ck_assert_str_eq(m->library_path, "./build/libonecount_hubspot.so");
    ck_assert_str_eq(m->entry, OC_CONNECTOR_ENTRY);
    ck_assert_str_eq(m->capabilities, "authorize,pull,push,lookup");
    ck_assert_ptr_nonnull(strstr(m->scopes, "crm.lists.write"));
    ck_assert_ptr_nonnull(strstr(m->options, "access_token*"));
    ck_assert(m->version[0] != '\0');
    oc_manifest_free(m);
}
END_TEST

START_TEST(test_manifest_format)
{
    /* BOM, CRLF, tabs, indented comments, blank lines, optional keys
     * absent, library relative to the manifest's own directory. */
    static const char text[] = "\xEF\xBB\xBF# c\r\n"
                               "\r\n"
                               "  # indented comment\n"
                               "name\t=\tdemo \r\n"
                               "version=2.0.0-rc1\n"
                               "  abi = 12.34  \n"
                               "library = sub/libdemo.so\n"
                               "entry = demo_entry\n"
                               "capabilities = pull , lookup\n";
    char path[PATH_MAX];
    write_file(path, "demo.manifest", text, sizeof text - 1);
    struct oc_manifest *m = NULL;
    struct oc_error err = ERR_INIT;
    ck_assert_msg(oc_manifest_load(path, &m, &err) == OC_OK, "%s", err.message);
    ck_assert_str_eq(m->name, "demo");
    ck_assert_str_eq(m->version, "2.0.0-rc1");
    ck_assert_str_eq(m->abi, "12.34");
    ck_assert_uint_eq(m->abi_version, OC_ABI_MAKE(12, 34));
    ck_assert_str_eq(m->entry, "demo_entry");
    ck_assert_str_eq(m->capabilities, "pull , lookup");
    ck_assert_ptr_null(m->scopes);
    ck_assert_ptr_null(m->options);
    ck_assert_str_eq(m->dir, tmpdir);
    char want[PATH_MAX];
    snprintf(want, sizeof want, "%s/sub/libdemo.so", tmpdir);
    ck_assert_str_eq(m->library_path, want);
    oc_manifest_free(m);

    /* An absolute library is taken as is. */
    static const char abs_text[] = "name = a\nversion = 1\nabi = 1.0\nlibrary = /opt/x/lib.so\n"
                                   "entry = e\ncapabilities = pull\nscopes = s1,s2\n"
                                   "options = token*,url\n";
    write_file(path, "abs.manifest", abs_text, sizeof abs_text - 1);
    ck_assert_msg(oc_manifest_load(path, &m, &err) == OC_OK, "%s", err.message);
    ck_assert_str_eq(m->library_path, "/opt/x/lib.so");
    ck_assert_str_eq(m->scopes, "s1,s2");
    ck_assert_str_eq(m->options, "token*,url");
    oc_manifest_free(m);
}
END_TEST

#define GOOD_HEAD "name = t\nversion = 1\n"
#define GOOD_TAIL "library = t.so\nentry = e\ncapabilities = pull\n"

/* Each bad manifest, the line the message must name (0: none) and a phrase
 * that must be in it. */
static const struct {
    const char *text;
    unsigned line;
    const char *needle;
} bad_manifests[] = {
    {GOOD_HEAD "abi = 1.0\nversoin = 2\n" GOOD_TAIL, 4, "unknown key 'versoin'"},
    {GOOD_HEAD "abi = 1.0\n" GOOD_TAIL "name = u\n", 7, "duplicate key 'name' (first set on line 1)"},
    {GOOD_HEAD "abi = 1.0\nlibrary = t.so\ncapabilities = pull\n", 0, "missing required key 'entry'"},
    {GOOD_HEAD GOOD_TAIL, 0, "missing required key 'abi'"},
    {"version = 1\nabi = 1.0\n" GOOD_TAIL, 0, "missing required key 'name'"},
    {GOOD_HEAD "abi = 1.0\nlibrary = t.so\nentry = e\n", 0, "missing required key 'capabilities'"},
    {GOOD_HEAD "abi = 1\n" GOOD_TAIL, 3, "malformed abi '1'"},
    {GOOD_HEAD "abi = 1.\n" GOOD_TAIL, 3, "malformed abi '1.'"},
    {GOOD_HEAD "abi = .0\n" GOOD_TAIL, 3, "malformed abi '.0'"},
    {GOOD_HEAD "abi = 1.0.0\n" GOOD_TAIL, 3, "malformed abi '1.0.0'"},
    {GOOD_HEAD "abi = v1.0\n" GOOD_TAIL, 3, "malformed abi 'v1.0'"},
    {GOOD_HEAD "abi = -1.0\n" GOOD_TAIL, 3, "malformed abi '-1.0'"},
    {GOOD_HEAD "abi = 1.0x\n" GOOD_TAIL, 3, "malformed abi '1.0x'"},
    {GOOD_HEAD "abi = 1 .0\n" GOOD_TAIL, 3, "malformed abi '1 .0'"},
    {GOOD_HEAD "abi = 65536.0\n" GOOD_TAIL, 3, "malformed abi '65536.0'"},
    {GOOD_HEAD "abi = 1.99999999999999999999\n" GOOD_TAIL, 3, "malformed abi"},
    {"name = t\nversion =   \nabi = 1.0\n" GOOD_TAIL, 2, "empty value for key 'version'"},
    {GOOD_HEAD "abi = 1.0\njust some words\n" GOOD_TAIL, 4, "no '='"},
    {GOOD_HEAD "abi = 1.0 # current\n" GOOD_TAIL, 3, "'#' in the value of 'abi'"},
    {GOOD_HEAD " = 1.0\n" GOOD_TAIL, 3, "no key before '='"},
    {GOOD_HEAD "abi = 1.0\n" GOOD_TAIL "scopes = a,,b\n", 7, "empty item in the list 'scopes'"},
    {GOOD_HEAD "abi = 1.0\n" GOOD_TAIL "options = a,\n", 7, "empty item in the list 'options'"},
    {GOOD_HEAD "abi = 1.0\nNAME = x\n" GOOD_TAIL, 4, "unknown key 'NAME'"},
};

START_TEST(test_manifest_refusals)
{
    char path[PATH_MAX];
    write_file(path, "bad.manifest", bad_manifests[_i].text, strlen(bad_manifests[_i].text));
    struct oc_manifest *m = (struct oc_manifest *)path; /* must be reset */
    struct oc_error err = ERR_INIT;
    oc_status rc = oc_manifest_load(path, &m, &err);
    ck_assert_msg(rc == OC_E_ABI, "case %d: expected OC_E_ABI, got %s", _i, oc_status_name(rc));
    ck_assert_ptr_null(m);
    ck_assert_int_eq(err.status, OC_E_ABI);
    char where[PATH_MAX + 16];
    if(bad_manifests[_i].line)
        snprintf(where, sizeof where, "%s:%u: ", path, bad_manifests[_i].line);
    else
        snprintf(where, sizeof where, "%s: ", path);
    ck_has(err.message, where);
    ck_has(err.message, bad_manifests[_i].needle);
}
END_TEST

START_TEST(test_manifest_unreadable)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/absent.manifest", tmpdir);
    struct oc_manifest *m = NULL;
    struct oc_error err = ERR_INIT;
    ck_assert_int_eq(oc_manifest_load(path, &m, &err), OC_E_ABI);
    ck_assert_ptr_null(m);
    ck_has(err.message, path);
    ck_has(err.message, "No such file");

    /* Embedded NUL: not a text manifest. */
    static const char nul[] = "name = a\0b\nversion = 1\n";
    write_file(path, "nul.manifest", nul, sizeof nul - 1);
    ck_assert_int_eq(oc_manifest_load(path, &m, &err), OC_E_ABI);
    ck_assert_ptr_null(m);
    ck_has(err.message, ":1: NUL byte");

    ck_assert_int_eq(oc_manifest_load(NULL, &m, &err), OC_E_INVALID);
    ck_assert_int_eq(oc_manifest_load(path, NULL, &err), OC_E_INVALID);
    /* A NULL err is allowed: the status alone still tells. */
    ck_assert_int_eq(oc_manifest_load(path, &m, NULL), OC_E_ABI);
    oc_manifest_free(NULL);
}
END_TEST

/* The message oc_manifest_load gives for path, loaded as the user nobody
 * (uid 65534) in a child process, so a root test run still meets
 * permission checks; "" when the test does not run as root. */
static void manifest_message_as_nobody(const char *path, char *msg, size_t size)
{
    msg[0] = '\0';
    if(geteuid() != 0)
        return;
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if(pid == 0) {
        close(fds[0]);
        struct oc_manifest *m = NULL;
        struct oc_error err = ERR_INIT;
        if(setgid(65534) || setuid(65534))
            _exit(2);
        oc_manifest_load(path, &m, &err);
        ssize_t w = write(fds[1], err.message, strlen(err.message));
        _exit(w < 0);
    }
    close(fds[1]);
    size_t used = 0;
    ssize_t n;
    while(used + 1 < size && (n = read(fds[0], msg + used, size - 1 - used)) > 0)
        used += (size_t)n;
    msg[used] = '\0';
    close(fds[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
}

START_TEST(test_manifest_open_errors_say_what_failed)
{
    char path[PATH_MAX];
    struct oc_manifest *m = NULL;
    struct oc_error err = ERR_INIT;

    snprintf(path, sizeof path, "%s/absent.manifest", tmpdir);
    ck_assert_int_eq(oc_manifest_load(path, &m, &err), OC_E_ABI);
    ck_has(err.message, "no such file: check the path");

    /* A directory where the manifest should be. */
    ck_assert_int_eq(oc_manifest_load(tmpdir, &m, &err), OC_E_ABI);
    ck_has(err.message, tmpdir);
    ck_has(err.message, "Is a directory");
    ck_has(err.message, "name a file in it");
    ck_assert_msg(!strstr(err.message, "check the path"), "%s", err.message);

    /* No permission: the message says so and what to do, not "check the
     * path". Only a non-root user meets the mode bits. */
    static const char text[] = "name = a\n";
    write_file(path, "secret.manifest", text, sizeof text - 1);
    ck_assert_int_eq(chmod(path, 0), 0);
    ck_assert_int_eq(chmod(tmpdir, 0755), 0);
    char msg[OC_ERROR_MESSAGE_SIZE];
    if(geteuid() == 0) {
        manifest_message_as_nobody(path, msg, sizeof msg);
    } else {
        ck_assert_int_eq(oc_manifest_load(path, &m, &err), OC_E_ABI);
        snprintf(msg, sizeof msg, "%s", err.message);
    }
    ck_has(msg, path);
    ck_has(msg, "Permission denied");
    ck_has(msg, "chmod, chown");
    ck_has(msg, "--manifest");
    ck_assert_msg(!strstr(msg, "check the path"), "%s", msg);

    /* The library's open errors use the same words. */
    ck_has(kit_open_advice(EACCES), "permission denied");
    ck_has(kit_open_advice(EISDIR), "directory");
}
END_TEST

START_TEST(test_error_struct_size_respected)
{
    /* A caller built against a struct oc_error that ends before message
     * must not have bytes past its struct_size written. */
    struct oc_error e;
    memset(&e, 'Z', sizeof e);
    e.struct_size = (uint32_t)offsetof(struct oc_error, message);
    struct oc_manifest *m = NULL;
    ck_assert_int_eq(oc_manifest_load("/nonexistent/plugin.manifest", &m, &e), OC_E_ABI);
    ck_assert_int_eq(e.status, OC_E_ABI);
    ck_assert_uint_eq(e.struct_size, offsetof(struct oc_error, message));
    for(size_t i = 0; i < sizeof e.message; i++)
        ck_assert_int_eq(e.message[i], 'Z');
}
END_TEST

START_TEST(test_status_name)
{
    ck_assert_str_eq(oc_status_name(OC_OK), "OC_OK");
    ck_assert_str_eq(oc_status_name(OC_E_INVALID), "OC_E_INVALID");
    ck_assert_str_eq(oc_status_name(OC_E_CONFIG), "OC_E_CONFIG");
    ck_assert_str_eq(oc_status_name(OC_E_NOT_FOUND), "OC_E_NOT_FOUND");
    ck_assert_str_eq(oc_status_name(OC_E_AUTH), "OC_E_AUTH");
    ck_assert_str_eq(oc_status_name(OC_E_BUDGET), "OC_E_BUDGET");
    ck_assert_str_eq(oc_status_name(OC_E_PARTIAL), "OC_E_PARTIAL");
    ck_assert_str_eq(oc_status_name(OC_E_TRANSIENT), "OC_E_TRANSIENT");
    ck_assert_str_eq(oc_status_name(OC_E_NOT_IMPLEMENTED), "OC_E_NOT_IMPLEMENTED");
    ck_assert_str_eq(oc_status_name(OC_E_NOMEM), "OC_E_NOMEM");
    ck_assert_str_eq(oc_status_name(OC_E_PROTOCOL), "OC_E_PROTOCOL");
    ck_assert_str_eq(oc_status_name(OC_E_CANCELLED), "OC_E_CANCELLED");
    ck_assert_str_eq(oc_status_name(OC_E_IO), "OC_E_IO");
    ck_assert_str_eq(oc_status_name(OC_E_ABI), "OC_E_ABI");
    ck_assert_str_eq(oc_status_name(OC_E_RANGE), "OC_E_RANGE");
    ck_assert_str_eq(oc_status_name(99), "OC_E_UNKNOWN");
    ck_assert_str_eq(oc_status_name(-1), "OC_E_UNKNOWN");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Loading the test plugins                                            */
/* ------------------------------------------------------------------ */

/* Loads manifest path, which must succeed. */
static struct oc_plugin *load_ok(const char *path)
{
    struct oc_manifest *m = NULL;
    struct oc_error err = ERR_INIT;
    ck_assert_msg(oc_manifest_load(path, &m, &err) == OC_OK, "%s", err.message);
    struct oc_plugin *p = NULL;
    ck_assert_msg(oc_plugin_load(m, &p, &err) == OC_OK, "%s", err.message);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_eq(p->manifest, m);
    ck_assert_ptr_nonnull(p->handle);
    return p;
}

START_TEST(test_load_good)
{
    char lib[PATH_MAX], path[PATH_MAX];
    testplugin(lib, "good");
    /* Capabilities compare as a set: order and blanks do not matter. */
    write_manifest(path, "good.manifest", "testgood", "1.2.3", "1.0", lib, OC_CONNECTOR_ENTRY,
                   "lookup, pull");
    struct oc_plugin *p = load_ok(path);
    const struct oc_connector *c = &p->connector;
    ck_assert_uint_eq(c->struct_size, sizeof *c);
    ck_assert_uint_eq(c->abi_version, OC_ABI_VERSION_1_0);
    ck_assert_str_eq(c->name, "testgood");
    ck_assert_str_eq(c->version, "1.2.3");
    ck_assert_str_eq(c->capabilities, "pull,lookup");

    /* The vtable drives the library: its instance counts usage calls. */
    struct testhost t;
    th_init(&t, 0);
    struct oc_instance *inst = NULL;
    struct oc_error err = ERR_INIT;
    ck_assert_int_eq(c->init(&t.host, NULL, 0, &inst, &err), OC_OK);
    ck_assert_int_eq(c->usage(inst, &err), OC_OK);
    ck_assert_int_eq(c->usage(inst, &err), OC_OK);
    ck_assert_int_eq(c->pull(inst, NULL, &err), OC_E_NOT_IMPLEMENTED);
    c->release(inst);
    ck_assert_uint_eq(t.nrecords, 2);
    ck_has(kit_buf_str(&t.records), "\"calls\":2");
    th_free(&t);
    oc_plugin_free(p);
    oc_plugin_free(NULL);
}
END_TEST

START_TEST(test_load_relative_library)
{
    /* library relative to the manifest's directory, not the cwd. */
    char lib[PATH_MAX], copy[PATH_MAX], path[PATH_MAX];
    testplugin(lib, "good");
    snprintf(copy, sizeof copy, "%s/plug", tmpdir);
    ck_assert_int_eq(mkdir(copy, 0700), 0);
    snprintf(copy, sizeof copy, "%s/plug/good.so", tmpdir);
    copy_file(lib, copy);
    write_testgood_manifest(path, "rel.manifest", "plug/good.so");
    struct oc_plugin *p = load_ok(path);
    ck_assert_str_eq(p->manifest->library_path, copy);
    Dl_info info;
    ck_assert(dladdr(code_addr(&p->connector.init), &info));
    ck_assert_str_eq(info.dli_fname, copy);
    oc_plugin_free(p);
}
END_TEST

START_TEST(test_refuse_missing_library)
{
    char path[PATH_MAX], msg[OC_ERROR_MESSAGE_SIZE], want[PATH_MAX];
    write_testgood_manifest(path, "m.manifest", "nothere.so");
    expect_refusal(path, msg);
    snprintf(want, sizeof want, "%s/nothere.so", tmpdir);
    ck_has(msg, want);
    ck_has(msg, "No such file");
}
END_TEST

START_TEST(test_refuse_not_shared_object)
{
    char path[PATH_MAX], txt[PATH_MAX], msg[OC_ERROR_MESSAGE_SIZE];
    static const char junk[] = "This is a text file pretending to be a plugin; it has no ELF "
                               "header at all, only words.\n";
    write_file(txt, "notes.txt", junk, sizeof junk - 1);
    write_testgood_manifest(path, "m.manifest", "notes.txt");
    expect_refusal(path, msg);
    ck_has(msg, txt);
    ck_has(msg, "not a loadable shared object");
    ck_has(msg, "invalid ELF header"); /* dlerror()'s own words */

    /* A directory is not a plugin either. */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/adir", tmpdir);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    write_testgood_manifest(path, "d.manifest", "adir");
    expect_refusal(path, msg);
    ck_has(msg, dir);
    ck_has(msg, "not a regular file");
}
END_TEST

START_TEST(test_refuse_missing_entry)
{
    char lib[PATH_MAX], path[PATH_MAX], msg[OC_ERROR_MESSAGE_SIZE];
    testplugin(lib, "no_entry");
    write_manifest(path, "m.manifest", "renamed", "0.0.1", "1.0", lib, OC_CONNECTOR_ENTRY, "pull");
    expect_refusal(path, msg);
    ck_has(msg, "no entry symbol 'oc_connector_entry'");
    ck_has(msg, lib);

    /* The manifest chooses the entry name: naming the real one loads. */
    write_manifest(path, "ok.manifest", "renamed", "0.0.1", "1.0", lib, "connector_entry",
                   "pull");
    struct oc_plugin *p = load_ok(path);
    ck_assert_str_eq(p->connector.name, "renamed");
    oc_plugin_free(p);
}
END_TEST

START_TEST(test_refuse_data_entry)
{
    char lib[PATH_MAX], path[PATH_MAX], msg[OC_ERROR_MESSAGE_SIZE];
    testplugin(lib, "data_entry");
    write_manifest(path, "m.manifest", "x", "1", "1.0", lib, OC_CONNECTOR_ENTRY, "pull");
    expect_refusal(path, msg);
    ck_has(msg, "entry symbol 'oc_connector_entry'");
    ck_has(msg, "is not a function but a data object");
}
END_TEST

START_TEST(test_refuse_unknown_abi)
{
    char lib[PATH_MAX], path[PATH_MAX], msg[OC_ERROR_MESSAGE_SIZE];
    testplugin(lib, "abi2");
    /* Honest manifest for a plugin built for a newer host. */
    write_manifest(path, "m.manifest", "testgood", "1.2.3", "2.0", lib, OC_CONNECTOR_ENTRY,
                   "pull,lookup");
    expect_refusal(path, msg);
    ck_has(msg, "speaks none of the ABI versions this host tried (1.1, 1.0)");
    ck_has(msg, "manifest declares abi 2.0");
    ck_has(msg, lib);

    /* A manifest claiming 1.0 changes nothing: the library decides. */
    write_testgood_manifest(path, "m1.manifest", lib);
    expect_refusal(path, msg);
    ck_has(msg, "tried (1.1, 1.0)");
}
END_TEST

START_TEST(test_refuse_filled_newer_abi)
{
    char msg[OC_ERROR_MESSAGE_SIZE];
    refuse_testplugin("lies_abi", msg);
    ck_has(msg, "accepted ABI 1.0 but filled the vtable for 1.7");
}
END_TEST

START_TEST(test_refuse_entry_error)
{
    char lib[PATH_MAX], path[PATH_MAX], msg[OC_ERROR_MESSAGE_SIZE];
    testplugin(lib, "refuses");
    write_manifest(path, "m.manifest", "x", "1", "1.0", lib, OC_CONNECTOR_ENTRY, "pull");
    expect_refusal(path, msg);
    /* The first version asked, the newest, is the one refused. */
    ck_has(msg, "refused ABI 1.1 with OC_E_CONFIG");
    ck_has(msg, "libfoo 7.1 or newer required");
}
END_TEST

START_TEST(test_refuse_null_slot)
{
    char msg[OC_ERROR_MESSAGE_SIZE];
    refuse_testplugin("null_slot", msg);
    ck_has(msg, "required slot 'push' NULL");
}
END_TEST

START_TEST(test_refuse_short_struct)
{
    char msg[OC_ERROR_MESSAGE_SIZE];
    refuse_testplugin("short_size", msg);
    char want[128];
    snprintf(want, sizeof want, "filled %zu bytes of struct oc_connector, too few for slot 'usage'",
             offsetof(struct oc_connector, usage));
    ck_has(msg, want);
}
END_TEST

START_TEST(test_refuse_identity)
{
    char lib[PATH_MAX], path[PATH_MAX], msg[OC_ERROR_MESSAGE_SIZE];
    testplugin(lib, "wrong_identity");
    write_manifest(path, "n.manifest", "testgood", "9.9.9", "1.0", lib, OC_CONNECTOR_ENTRY,
                   "pull,lookup");
    expect_refusal(path, msg);
    ck_has(msg, "manifest name 'testgood'");
    ck_has(msg, "reports name 'impostor'");

    write_manifest(path, "v.manifest", "impostor", "1.2.3", "1.0", lib, OC_CONNECTOR_ENTRY,
                   "pull,lookup");
    expect_refusal(path, msg);
    ck_has(msg, "manifest version '1.2.3'");
    ck_has(msg, "reports version '9.9.9'");

    /* Same library, matching identity: loads. */
    write_manifest(path, "ok.manifest", "impostor", "9.9.9", "1.0", lib, OC_CONNECTOR_ENTRY,
                   "pull,lookup");
    oc_plugin_free(load_ok(path));
}
END_TEST

START_TEST(test_refuse_manifest_abi)
{
    char lib[PATH_MAX], path[PATH_MAX], msg[OC_ERROR_MESSAGE_SIZE];
    testplugin(lib, "good");
    write_manifest(path, "m.manifest", "testgood", "1.2.3", "1.1", lib, OC_CONNECTOR_ENTRY,
                   "pull,lookup");
    expect_refusal(path, msg);
    ck_has(msg, "manifest abi 1.1");
    ck_has(msg, "negotiated ABI 1.0");
}
END_TEST

START_TEST(test_old_plugin_steps_down)
{
    /* good.c is a 1.0 plugin: it answers the loader's 1.1 with
     * OC_E_NOT_IMPLEMENTED, and the loader steps down to 1.0 and drives it
     * as before, its host services included. */
    char lib[PATH_MAX], path[PATH_MAX];
    testplugin(lib, "good");
    write_testgood_manifest(path, "m.manifest", lib);
    struct oc_plugin *p = load_ok(path);
    ck_assert_uint_eq(p->connector.abi_version, OC_ABI_VERSION_1_0);
    struct testhost t;
    th_init(&t, 0);
    struct oc_instance *inst = NULL;
    struct oc_error err = ERR_INIT;
    ck_assert_int_eq(p->connector.init(&t.host, NULL, 0, &inst, &err), OC_OK);
    ck_assert_int_eq(p->connector.usage(inst, &err), OC_OK);
    ck_assert_str_eq(t.records.data, "{\"kind\":\"usage\",\"calls\":1}\n");
    p->connector.release(inst);
    th_free(&t);
    oc_plugin_free(p);
}
END_TEST

START_TEST(test_plugin_needing_1_1)
{
    /* A 1.1-only plugin loads with the manifest that says so... */
    char lib[PATH_MAX], path[PATH_MAX], msg[OC_ERROR_MESSAGE_SIZE];
    testplugin(lib, "needs_1_1");
    write_manifest(path, "m11.manifest", "testgood", "1.2.3", "1.1", lib, OC_CONNECTOR_ENTRY,
                   "pull,lookup");
    struct oc_plugin *p = load_ok(path);
    ck_assert_uint_eq(p->connector.abi_version, OC_ABI_VERSION_1_1);
    oc_plugin_free(p);

    /* ...but a manifest saying 1.0 would tell runtimes that 1.0 hosts can
     * load it, which they cannot: refused, naming what works. */
    write_testgood_manifest(path, "m10.manifest", lib);
    expect_refusal(path, msg);
    ck_has(msg, "manifest abi 1.0 says the plugin serves hosts of ABI 1.0 and newer");
    ck_has(msg, "OC_E_NOT_IMPLEMENTED when asked for 1.0");
    ck_has(msg, "1.1 works here");
}
END_TEST

START_TEST(test_refuse_manifest_abi_newer_than_host)
{
    /* A manifest for a host newer than this one: the message says the host
     * is what is missing, not that the manifest is wrong. */
    char lib[PATH_MAX], path[PATH_MAX], msg[OC_ERROR_MESSAGE_SIZE];
    testplugin(lib, "good");
    write_manifest(path, "m.manifest", "testgood", "1.2.3", "1.2", lib, OC_CONNECTOR_ENTRY,
                   "pull,lookup");
    expect_refusal(path, msg);
    ck_has(msg, "manifest abi 1.2 (the oldest ABI the plugin serves)");
    ck_has(msg, "use a host that speaks that ABI");
}
END_TEST

START_TEST(test_refuse_capabilities)
{
    char lib[PATH_MAX], path[PATH_MAX], msg[OC_ERROR_MESSAGE_SIZE];
    testplugin(lib, "good");
    write_manifest(path, "more.manifest", "testgood", "1.2.3", "1.0", lib, OC_CONNECTOR_ENTRY,
                   "pull,lookup,push");
    expect_refusal(path, msg);
    ck_has(msg, "manifest capabilities 'pull,lookup,push'");
    ck_has(msg, "reports 'pull,lookup'");

    write_manifest(path, "less.manifest", "testgood", "1.2.3", "1.0", lib, OC_CONNECTOR_ENTRY,
                   "pull");
    expect_refusal(path, msg);
    ck_has(msg, "manifest capabilities 'pull'");
}
END_TEST

START_TEST(test_load_bad_args)
{
    struct oc_error err = ERR_INIT;
    struct oc_plugin *p = (struct oc_plugin *)&err;
    ck_assert_int_eq(oc_plugin_load(NULL, &p, &err), OC_E_INVALID);
    ck_assert_ptr_null(p);
    ck_has(err.message, "must not be NULL");

    /* Ownership is taken even on this path: the sanitizer build would
     * report the manifest as leaked otherwise. */
    struct oc_manifest *m = NULL;
    ck_assert_int_eq(oc_manifest_load("plugin.manifest", &m, &err), OC_OK);
    ck_assert_int_eq(oc_plugin_load(m, NULL, &err), OC_E_INVALID);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The real plugin                                                     */
/* ------------------------------------------------------------------ */

/* Copies the repository's plugin.manifest to tmpdir/file with library
 * pointing at lib (absolute), so the test loads this build's plugin. */
static void real_manifest(char *out, const char *file, const char *lib)
{
    FILE *in = fopen("plugin.manifest", "r");
    ck_assert_msg(in != NULL, "plugin.manifest: %s (run from the repository root)",
                  strerror(errno));
    char text[8192];
    size_t used = 0;
    char line[4096];
    while(fgets(line, sizeof line, in)) {
        const char *s = line + strspn(line, " \t");
        int n;
        if(!strncmp(s, "library", 7) && strchr(" \t=", s[7]))
            n = snprintf(text + used, sizeof text - used, "library = %s\n", lib);
        else
            n = snprintf(text + used, sizeof text - used, "%s", line);
        ck_assert(n >= 0 && (size_t)n < sizeof text - used);
        used += (size_t)n;
    }
    fclose(in);
    write_file(out, file, text, used);
}

static void assert_hubspot(const struct oc_plugin *p)
{
    const struct oc_connector *c = &p->connector;
    ck_assert_str_eq(c->name, "hubspot");
    ck_assert_str_eq(c->version, p->manifest->version);
    /* Asked 1.1 first, the plugin fills 1.1; its manifest still says 1.0,
     * the oldest ABI it serves. */
    ck_assert_uint_eq(c->abi_version, OC_ABI_VERSION_1_1);
    ck_assert_uint_eq(p->manifest->abi_version, OC_ABI_VERSION_1_0);
    ck_assert_msg(OC_HAS_MEMBER(c, struct oc_connector, release),
                  "the plugin filled %u bytes, too few for release", (unsigned)c->struct_size);
    static const char *caps[] = {"authorize", "pull", "push", "lookup"};
    for(size_t i = 0; i < 4; i++) {
        char padded[256], want[32];
        snprintf(padded, sizeof padded, ",%s,", c->capabilities);
        snprintf(want, sizeof want, ",%s,", caps[i]);
        ck_assert_msg(strstr(padded, want), "capabilities '%s' lack %s", c->capabilities,
                      caps[i]);
    }
}

START_TEST(test_real_plugin)
{
    char lib[PATH_MAX], path[PATH_MAX];
    build_path(lib, "libonecount_hubspot.so");
    real_manifest(path, "plugin.manifest", lib);
    struct oc_plugin *p = load_ok(path);
    assert_hubspot(p);
    ck_assert_str_eq(p->manifest->capabilities, "authorize,pull,push,lookup");
    oc_plugin_free(p);
}
END_TEST

START_TEST(test_real_plugin_exports)
{
    /* The only exported symbol is the entry function.
     * `nm -D --defined-only` lists the dynamic symbol table's definitions.
     * Besides functions (T/t, W/w weak, i ifunc) and data (D/d, B/b, R/r,
     * V/v, G/g, u), a version script with a *named* node adds one absolute
     * symbol (type A, value 0) carrying the node's name; it is metadata,
     * not code or data anyone can call or read, so it is the one kind
     * skipped. Everything else must be exactly oc_connector_entry as a
     * text (T) symbol: an exported data symbol fails this test too. */
    char lib[PATH_MAX], cmd[PATH_MAX + 64];
    build_path(lib, "libonecount_hubspot.so");
    snprintf(cmd, sizeof cmd, "nm -D --defined-only '%s' 2>&1", lib);
    FILE *f = popen(cmd, "r");
    ck_assert_msg(f != NULL, "popen(%s): %s", cmd, strerror(errno));
    char line[1024], others[2048] = "";
    int entries = 0, lines = 0;
    while(fgets(line, sizeof line, f)) {
        lines++;
        char addr[64], type[8], name[512];
        if(sscanf(line, "%63s %7s %511s", addr, type, name) != 3) {
            strncat(others, line, sizeof others - strlen(others) - 1);
            continue;
        }
        name[strcspn(name, "@")] = '\0'; /* drop @VERSION / @@VERSION */
        if(!strcmp(type, "A"))
            continue;
        if(!strcmp(name, OC_CONNECTOR_ENTRY) && !strcmp(type, "T"))
            entries++;
        else
            strncat(others, line, sizeof others - strlen(others) - 1);
    }
    int st = pclose(f);
    ck_assert_msg(st == 0, "`%s` failed (status %d): %s", cmd, st, others);
    ck_assert_msg(lines > 0, "nm printed nothing for %s", lib);
    ck_assert_msg(others[0] == '\0', "%s exports more than " OC_CONNECTOR_ENTRY ":\n%s", lib,
                  others);
    ck_assert_int_eq(entries, 1);
}
END_TEST

/* Options for an instance that never reaches the network: nothing listens
 * on port 9 of loopback, and these tests make no calls. */
static const struct oc_option real_opts[] = {
    {"access_token", TOKEN},
    {"base_url", "http://127.0.0.1:9"},
};

START_TEST(test_real_plugin_two_paths)
{
    /* Swapping versions means loading the new .so from its own path beside
     * the old one (never dlclose). A copy has its own inode, so the
     * dynamic loader maps it a second time: two independent images. */
    char lib[PATH_MAX], copy[PATH_MAX], m1[PATH_MAX], m2[PATH_MAX];
    build_path(lib, "libonecount_hubspot.so");
    snprintf(copy, sizeof copy, "%s/v2", tmpdir);
    ck_assert_int_eq(mkdir(copy, 0700), 0);
    snprintf(copy, sizeof copy, "%s/v2/libonecount_hubspot.so", tmpdir);
    copy_file(lib, copy);
    real_manifest(m1, "one.manifest", lib);
    real_manifest(m2, "two.manifest", copy);

    struct oc_plugin *p1 = load_ok(m1);
    struct oc_plugin *p2 = load_ok(m2);
    assert_hubspot(p1);
    assert_hubspot(p2);
    ck_assert_ptr_ne(p1->handle, p2->handle);
    ck_assert_ptr_ne(code_addr(&p1->connector.init), code_addr(&p2->connector.init));
    Dl_info i1, i2;
    ck_assert(dladdr(code_addr(&p1->connector.usage), &i1));
    ck_assert(dladdr(code_addr(&p2->connector.usage), &i2));
    ck_assert_str_eq(i1.dli_fname, lib);
    ck_assert_str_eq(i2.dli_fname, copy);

    /* Each image creates and serves its own instance, interleaved, and
     * releasing one leaves the other working. */
    struct testhost t1, t2;
    th_init(&t1, 1764288000000);
    th_init(&t2, 1764288000000);
    struct oc_instance *a = NULL, *b = NULL;
    struct oc_error err = ERR_INIT;
    ck_assert_msg(p1->connector.init(&t1.host, real_opts, 2, &a, &err) == OC_OK, "%s",
                  err.message);
    ck_assert_msg(p2->connector.init(&t2.host, real_opts, 2, &b, &err) == OC_OK, "%s",
                  err.message);
    ck_assert_msg(p1->connector.usage(a, &err) == OC_OK, "%s", err.message);
    p1->connector.release(a);
    ck_assert_msg(p2->connector.usage(b, &err) == OC_OK, "%s", err.message);
    ck_assert_msg(p2->connector.usage(b, &err) == OC_OK, "%s", err.message);
    p2->connector.release(b);
    ck_assert_uint_eq(t1.nrecords, 1);
    ck_assert_uint_eq(t2.nrecords, 2);
    ck_has(kit_buf_str(&t1.records), "usage");
    th_free(&t1);
    th_free(&t2);
    oc_plugin_free(p1);
    oc_plugin_free(p2);
}
END_TEST

/* Each test case gets the same fixtures: a base directory per case, a
 * tmpdir per test inside it. */
static TCase *loader_tcase(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_unchecked_fixture(tc, case_setup, case_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    suite_add_tcase(s, tc);
    return tc;
}

/* Declared `extern` so the build's suite scan (lines starting "Suite *")
 * sees only the definition. */
extern Suite *make_loader_suite(void);

Suite *make_loader_suite(void)
{
    Suite *s = suite_create("loader");
    TCase *tc = loader_tcase(s, "manifest");
    tcase_add_test(tc, test_manifest_repo);
    tcase_add_test(tc, test_manifest_format);
    tcase_add_loop_test(tc, test_manifest_refusals, 0,
                        (int)(sizeof bad_manifests / sizeof bad_manifests[0]));
    tcase_add_test(tc, test_manifest_unreadable);
    tcase_add_test(tc, test_manifest_open_errors_say_what_failed);
    tcase_add_test(tc, test_error_struct_size_respected);
    tcase_add_test(tc, test_status_name);

    tc = loader_tcase(s, "plugin");
    tcase_add_test(tc, test_load_good);
    tcase_add_test(tc, test_load_relative_library);
    tcase_add_test(tc, test_refuse_missing_library);
    tcase_add_test(tc, test_refuse_not_shared_object);
    tcase_add_test(tc, test_refuse_missing_entry);
    tcase_add_test(tc, test_refuse_data_entry);
    tcase_add_test(tc, test_refuse_unknown_abi);
    tcase_add_test(tc, test_refuse_filled_newer_abi);
    tcase_add_test(tc, test_refuse_entry_error);
    tcase_add_test(tc, test_refuse_null_slot);
    tcase_add_test(tc, test_refuse_short_struct);
    tcase_add_test(tc, test_refuse_identity);
    tcase_add_test(tc, test_refuse_manifest_abi);
    tcase_add_test(tc, test_old_plugin_steps_down);
    tcase_add_test(tc, test_plugin_needing_1_1);
    tcase_add_test(tc, test_refuse_manifest_abi_newer_than_host);
    tcase_add_test(tc, test_refuse_capabilities);
    tcase_add_test(tc, test_load_bad_args);

    tc = loader_tcase(s, "real");
    tcase_add_test(tc, test_real_plugin);
    tcase_add_test(tc, test_real_plugin_exports);
    tcase_add_test(tc, test_real_plugin_two_paths);
    return s;
}
