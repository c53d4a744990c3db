/*
 * check_threads.c - suite "threads": 8 plugin instances in 8 threads at
 * once, each against its own replay server and cassette, pulling, pushing,
 * looking up and authorizing together; each thread checks its records and
 * its server (every interaction used, nothing unmatched) and its usage
 * record against what its server saw. Run twice: through the kit linked
 * into this binary, and through the real plugin .so loaded by the loader
 * (oc_manifest_load + oc_plugin_load in every thread) and driven only
 * through the vtable, as a runtime would; there half the threads load a
 * copy of the .so from a second path (the version swap: a new build
 * beside the old one, both live in one process).
 *
 * Meant for `make check SANITIZE=thread`: any state shared between
 * instances (libcurl's global init, the redaction registry, the loader)
 * is exercised from 8 threads here. Check's assertions are not
 * thread-safe, so threads write what went wrong into their job and the
 * test thread asserts after joining.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixtures/replay.h"
#include "hubspot/instance.h"
#include "onecount/loader.h"
#include "tests/support/testhost.h"

#define NTHREADS 8
#define ROUNDS 2
#define HOUR INT64_C(3600000)

enum op { OP_AUTHORIZE, OP_LOOKUP_EMAIL, OP_LOOKUP_ID, OP_PULL, OP_PUSH };

struct row {
    const char *email, *first;
};

struct job {
    const char *cassette;
    enum op op;
    const char *const *q; /* lookup queries, or NULL */
    size_t nq;
    const struct row *rows; /* push inputs */
    size_t nrows;
    oc_status want_rc;
    size_t want_records; /* the usage record not counted */
    const char *want[7]; /* substrings the records hold, in this order */
};

static const char *const q_ann[] = {"ann@example.com"};
static const char *const q_misses[] = {"ann@example.com", "nobody@example.com", "Bob@Example.com",
                                       "ghost@example.com", "ANN@example.com"};
static const char *const q_ids[] = {"51", "52", "999", "51"};
static const struct row r_already[] = {{"ann@example.com", NULL}, {"bob@example.com", NULL},
                                       {"cy@example.com", NULL}};
static const struct row r_dups[] = {{"dup@example.com", "First"}, {"other@example.com", NULL},
                                    {"DUP@example.com", "Second"}};

#define CASS(n) "fixtures/hubspot/" n ".json"

static const struct job jobs[NTHREADS] = {
    {CASS("pull-first-run"), OP_PULL, NULL, 0, NULL, 0, OC_OK, 6,
     {"\"recipient\":\"e1@example.com\"", "\"recipient\":\"e2@example.com\"",
      "\"recipient\":\"e3@example.com\"", "\"recipient\":\"e4@example.com\"",
      "\"recipient\":\"e5@example.com\"", "\"recipient\":\"e6@example.com\""}},
    {CASS("push-already"), OP_PUSH, NULL, 0, r_already, 3, OC_OK, 3,
     {"\"input\":\"line 2\"", "\"status\":\"already_member\"", "\"input\":\"line 3\"",
      "\"status\":\"already_member\"", "\"input\":\"line 4\"", "\"id\":\"603\"",
      "\"status\":\"already_member\""}},
    {CASS("lookup-found"), OP_LOOKUP_EMAIL, q_ann, 1, NULL, 0, OC_OK, 1,
     {"\"kind\":\"contact\",\"query\":\"ann@example.com\",\"id\":\"51\"", "\"firstname\":\"Ann\""}},
    {CASS("authorize-ok"), OP_AUTHORIZE, NULL, 0, NULL, 0, OC_OK, 1,
     {"\"kind\":\"authorization\"", "\"portal_id\":12345678", "\"scopes_missing\":\"\"",
      "\"status\":\"ok\""}},
    {CASS("push-duplicates"), OP_PUSH, NULL, 0, r_dups, 3, OC_OK, 3,
     {"\"kind\":\"push_result\"", "\"kind\":\"push_result\"", "\"kind\":\"push_result\""}},
    {CASS("lookup-batch-misses"), OP_LOOKUP_EMAIL, q_misses, 5, NULL, 0, OC_E_NOT_FOUND, 5,
     {"\"query\":\"ann@example.com\",\"id\":\"51\"",
      "\"query\":\"nobody@example.com\",\"status\":\"not_found\"",
      "\"query\":\"Bob@Example.com\",\"id\":\"52\"",
      "\"query\":\"ghost@example.com\",\"status\":\"not_found\"",
      "\"query\":\"ANN@example.com\",\"id\":\"51\""}},
    {CASS("pull-first-run"), OP_PULL, NULL, 0, NULL, 0, OC_OK, 6,
     {"\"kind\":\"email_event\"", "\"type\":\"CLICK\"", "\"recipient\":\"e6@example.com\""}},
    {CASS("lookup-batch-ids"), OP_LOOKUP_ID, q_ids, 4, NULL, 0, OC_E_NOT_FOUND, 4,
     {"\"query\":\"51\",\"id\":\"51\"", "\"query\":\"52\",\"id\":\"52\"",
      "\"query\":\"999\",\"status\":\"not_found\"", "\"query\":\"51\",\"id\":\"51\""}},
};

/* ---- push input ---- */

struct feed {
    const struct row *rows;
    size_t n, pos;
    char id[32];
    struct oc_field f[2];
};

static oc_status feed_next(void *ctx, struct oc_record *r)
{
    struct feed *fd = ctx;
    if(fd->pos >= fd->n)
        return OC_E_NOT_FOUND;
    const struct row *row = &fd->rows[fd->pos++];
    snprintf(fd->id, sizeof fd->id, "line %zu", fd->pos + 1); /* line 1: a CSV header */
    size_t nf = 0;
    fd->f[nf++] = (struct oc_field){"email", row->email, OC_FIELD_STRING};
    if(row->first)
        fd->f[nf++] = (struct oc_field){"firstname", row->first, OC_FIELD_STRING};
    *r = (struct oc_record){sizeof *r, "contact", fd->id, nf, fd->f};
    return OC_OK;
}

/* ---- the kit linked in, behind a vtable of the same shape ---- */

static oc_status kit_usage(struct oc_instance *in, struct oc_error *err)
{
    return kit_http_usage_emit(in->http, err);
}

static const struct oc_connector kit = {
    .struct_size = sizeof(struct oc_connector),
    .abi_version = OC_ABI_VERSION,
    .name = HS_PLUGIN_NAME,
    .version = HS_PLUGIN_VERSION,
    .capabilities = HS_CAPABILITIES,
    .init = hs_instance_new,
    .authorize = hs_authorize,
    .pull = hs_pull,
    .push = hs_push,
    .lookup = hs_lookup,
    .usage = kit_usage,
    .release = hs_instance_release,
};

/* ---- one thread ---- */

struct worker {
    const struct job *job;
    const char *manifest; /* load the plugin through the loader; NULL: kit */
    pthread_barrier_t *start;
    const void *init_fn;  /* the init the thread used, compared afterwards */
    char fail[2048];      /* "" when everything held */
};

__attribute__((format(printf, 2, 3))) static void wfail(struct worker *w, const char *fmt, ...)
{
    if(w->fail[0])
        return; /* the first failure is the one worth reading */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->fail, sizeof w->fail, fmt, ap);
    va_end(ap);
}

static oc_status run_op(const struct oc_connector *c, struct oc_instance *in, const struct job *j,
                        int64_t now, struct oc_error *err)
{
    switch(j->op) {
    case OP_AUTHORIZE: return c->authorize(in, err);
    case OP_LOOKUP_EMAIL:
    case OP_LOOKUP_ID: {
        struct oc_lookup_request q = {sizeof q, j->op == OP_LOOKUP_ID ? OC_LOOKUP_ID : OC_LOOKUP_EMAIL,
                                      j->nq, j->q};
        return c->lookup(in, &q, err);
    }
    case OP_PULL: {
        struct oc_pull_request p = {sizeof p, NULL, now - HOUR, NULL};
        return c->pull(in, &p, err);
    }
    case OP_PUSH: {
        struct feed fd = {j->rows, j->nrows, 0, "", {{0}}};
        struct oc_push_request p = {sizeof p, "4242", feed_next, &fd};
        oc_status rc = c->push(in, &p, err);
        if(fd.pos != j->nrows)
            return OC_E_IO; /* not every input was read */
        return rc;
    }
    }
    return OC_E_INVALID;
}

/* One instance, start to end, on its own server. */
static void one_round(struct worker *w, const struct oc_connector *c)
{
    const struct job *j = w->job;
    struct testhost th;
    struct fx_server *srv = NULL;
    struct oc_instance *in = NULL;
    struct oc_error err = {sizeof err};
    struct kit_buf rep = KIT_BUF_INIT;
    char why[512] = "";
    th_init(&th, 0);
    if(fx_server_start(j->cassette, NULL, &srv, why, sizeof why)) {
        wfail(w, "%s: replay server: %s", j->cassette, why);
        goto out;
    }
    th.now_ms = fx_server_recorded_at(srv);
    struct oc_option o[] = {{"access_token", FX_PLACEHOLDER_TOKEN},
                            {"base_url", fx_server_url(srv)}};
    if(c->init(&th.host, o, 2, &in, &err)) {
        wfail(w, "%s: init: %s", j->cassette, err.message);
        goto out;
    }
    oc_status rc = run_op(c, in, j, th.now_ms, &err);
    if(rc != j->want_rc) {
        wfail(w, "%s: status %d (%s), want %d: %s", j->cassette, rc, oc_status_name(rc),
              j->want_rc, err.message);
        goto out;
    }
    if(th.nrecords != j->want_records) {
        wfail(w, "%s: %zu records, want %zu:\n%s", j->cassette, th.nrecords, j->want_records,
              kit_buf_str(&th.records));
        goto out;
    }
    const char *at = kit_buf_str(&th.records);
    for(size_t k = 0; k < sizeof j->want / sizeof *j->want && j->want[k]; k++) {
        const char *hit = strstr(at, j->want[k]);
        if(!hit) {
            wfail(w, "%s: no '%s' (in order) in:\n%s", j->cassette, j->want[k],
                  kit_buf_str(&th.records));
            goto out;
        }
        at = hit + strlen(j->want[k]);
    }
    /* The instance's own count of calls is what its server saw. */
    size_t before = th.records.len;
    if(c->usage(in, &err)) {
        wfail(w, "%s: usage: %s", j->cassette, err.message);
        goto out;
    }
    char calls[48];
    snprintf(calls, sizeof calls, "\"calls\":%llu,", (unsigned long long)fx_server_requests(srv));
    if(!strstr(kit_buf_str(&th.records) + before, calls)) {
        wfail(w, "%s: usage record lacks %s: %s", j->cassette, calls,
              kit_buf_str(&th.records) + before);
        goto out;
    }
    if(strstr(kit_buf_str(&th.records), FX_PLACEHOLDER_TOKEN) ||
       strstr(kit_buf_str(&th.logs), FX_PLACEHOLDER_TOKEN)) {
        wfail(w, "%s: the token appears in records or logs", j->cassette);
        goto out;
    }
    c->release(in);
    in = NULL;
    if(fx_server_verify(srv, &rep))
        wfail(w, "%s: cassette not played as recorded:\n%s", j->cassette, kit_buf_str(&rep));
out:
    if(in)
        c->release(in);
    fx_server_stop(srv);
    kit_buf_free(&rep);
    th_free(&th);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct oc_plugin *p = NULL;
    const struct oc_connector *c = &kit;
    /* Every thread starts (and, with a manifest, loads the plugin) at the
     * same moment, to give races their chance. */
    pthread_barrier_wait(w->start);
    if(w->manifest) {
        struct oc_manifest *m = NULL;
        struct oc_error err = {sizeof err};
        if(oc_manifest_load(w->manifest, &m, &err) || oc_plugin_load(m, &p, &err)) {
            wfail(w, "loading %s: %s", w->manifest, err.message);
            return NULL;
        }
        c = &p->connector;
    }
    w->init_fn = (const void *)c->init;
    for(int i = 0; i < ROUNDS && !w->fail[0]; i++)
        one_round(w, c);
    oc_plugin_free(p);
    return NULL;
}

/* manifests: NULL for the kit, else one per thread. */
static void run_all(const char *const *manifests, const void **init_fns)
{
    pthread_t t[NTHREADS];
    pthread_barrier_t start;
    static struct worker w[NTHREADS];
    ck_assert_int_eq(pthread_barrier_init(&start, NULL, NTHREADS), 0);
    for(int i = 0; i < NTHREADS; i++) {
        w[i] = (struct worker){&jobs[i], manifests ? manifests[i] : NULL, &start, NULL, ""};
        ck_assert_int_eq(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    for(int i = 0; i < NTHREADS; i++)
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
    pthread_barrier_destroy(&start);
    for(int i = 0; i < NTHREADS; i++) {
        ck_assert_msg(!w[i].fail[0], "thread %d: %s", i, w[i].fail);
        init_fns[i] = w[i].init_fn;
    }
}

START_TEST(t_eight_instances_kit)
{
    const void *fns[NTHREADS];
    run_all(NULL, fns);
    ck_assert_ptr_eq(fns[0], (const void *)hs_instance_new);
}
END_TEST

/* ---- through the real .so ---- */

static char tmpdir[64];
static char manifest[2][PATH_MAX]; /* this build's .so, and a copy of it */
static char libcopy[PATH_MAX];

/* The shipped plugin.manifest with library = lib, written to path. */
static void write_manifest(const char *path, const char *lib)
{
    FILE *in = fopen("plugin.manifest", "r");
    ck_assert_msg(in != NULL, "plugin.manifest: %s (run from the repository root)", strerror(errno));
    FILE *out = fopen(path, "w");
    ck_assert_ptr_nonnull(out);
    char line[4096];
    while(fgets(line, sizeof line, in)) {
        if(!strncmp(line, "library", 7))
            fprintf(out, "library = %s\n", lib);
        else
            fputs(line, out);
    }
    fclose(in);
    ck_assert_int_eq(fclose(out), 0);
}

/* Manifests for this build's .so (OC_BUILD, as `make check` sets it) and
 * for a copy of it at another path: its own inode, so mapped again. */
static void write_manifests(void)
{
    const char *b = getenv("OC_BUILD");
    char rel[PATH_MAX], lib[PATH_MAX];
    snprintf(rel, sizeof rel, "%s/libonecount_hubspot.so", b && *b ? b : "build");
    ck_assert_msg(realpath(rel, lib) != NULL,
                  "%s: %s; run the suite through `make check` (it builds the plugin)", rel,
                  strerror(errno));
    snprintf(tmpdir, sizeof tmpdir, "/tmp/check_threads_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(libcopy, sizeof libcopy, "%s/libonecount_hubspot_v2.so", tmpdir);
    FILE *from = fopen(lib, "rb"), *to = fopen(libcopy, "wb");
    ck_assert(from && to);
    char buf[65536];
    size_t n;
    while((n = fread(buf, 1, sizeof buf, from)) > 0)
        ck_assert_uint_eq(fwrite(buf, 1, n, to), n);
    fclose(from);
    ck_assert_int_eq(fclose(to), 0);
    snprintf(manifest[0], sizeof manifest[0], "%s/one.manifest", tmpdir);
    snprintf(manifest[1], sizeof manifest[1], "%s/two.manifest", tmpdir);
    write_manifest(manifest[0], lib);
    write_manifest(manifest[1], libcopy);
}

static void remove_manifests(void)
{
    for(int i = 0; i < 2; i++)
        if(manifest[i][0])
            unlink(manifest[i]);
    if(libcopy[0])
        unlink(libcopy);
    if(tmpdir[0])
        rmdir(tmpdir);
    manifest[0][0] = manifest[1][0] = libcopy[0] = tmpdir[0] = '\0';
}

START_TEST(t_eight_instances_through_abi)
{
    write_manifests();
    const char *m[NTHREADS];
    for(int i = 0; i < NTHREADS; i++)
        m[i] = manifest[i % 2];
    const void *fns[NTHREADS];
    run_all(m, fns);
    /* One mapping per path, shared by the threads that loaded it; two
     * images side by side; neither is the kit linked into this binary. */
    for(int i = 2; i < NTHREADS; i++)
        ck_assert_ptr_eq(fns[i], fns[i % 2]);
    ck_assert_ptr_ne(fns[0], fns[1]);
    ck_assert_ptr_ne(fns[0], (const void *)hs_instance_new);
    ck_assert_ptr_ne(fns[1], (const void *)hs_instance_new);
}
END_TEST

extern Suite *make_threads_suite(void);
Suite *make_threads_suite(void)
{
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("parallel");
    /* 8 x 2 instances, each with its own server: generous for valgrind. */
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, NULL, remove_manifests);
    tcase_add_test(tc, t_eight_instances_kit);
    tcase_add_test(tc, t_eight_instances_through_abi);
    suite_add_tcase(s, tc);
    return s;
}
