/* check_push_items.c - what a bulk push keeps of its inputs while they
 * are on their way: once an input's upsert is over (it waits for its list
 * add, or it was merged into an earlier copy's upsert) only what its
 * push_result needs stays, so the bytes of item blocks a run takes stay
 * under a bound set by what waits where; and the results of such inputs
 * still carry the right input, email, record id, status and error, for
 * merged copies, list adds refused after the upsert, a stop after the
 * upsert, and cache hits. Against the hspush stand-in on loopback. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/push.h"
#include "hubspot/push_item.h"
#include "hubspot/upsert.h"
#include "plugin/json.h"
#include "tests/support/hspush.h"
#include "tests/support/scenario_check.h"

/* ---- inputs ---- */

enum row_kind { ROW_PLAIN, ROW_COPY, ROW_INVALID };

struct feed {
    size_t n, pos;
    int email_only;      /* only the email column (a second push's cache hits) */
    size_t from, step;   /* rows from, from + step, ... (email_only pushes) */
    char name[32], email[64], first[32];
    struct oc_field f[5];
};

/* Row i's kind: every tenth is a later copy of the row before it (its
 * address in other case, its own first name), every 50th an address
 * without an @. */
static enum row_kind kind_of(size_t i)
{
    if(i % 50 == 7)
        return ROW_INVALID;
    return i % 10 == 3 ? ROW_COPY : ROW_PLAIN;
}

/* Row i's address as given. */
static void email_of(size_t i, char *out, size_t size)
{
    switch(kind_of(i)) {
    case ROW_INVALID:
        snprintf(out, size, "reader%zu.example.com", i);
        break;
    case ROW_COPY:
        snprintf(out, size, "Reader%zu@Example.COM", i - 1);
        break;
    default:
        snprintf(out, size, "reader%zu@example.com", i);
    }
}

static oc_status feed_next(void *ctx, struct oc_record *r)
{
    struct feed *f = ctx;
    if(f->pos >= f->n)
        return OC_E_NOT_FOUND;
    size_t i = f->email_only ? f->from + f->step * f->pos : f->pos;
    f->pos++;
    snprintf(f->name, sizeof f->name, "row %zu", i);
    email_of(i, f->email, sizeof f->email);
    snprintf(f->first, sizeof f->first, "Reader %zu", i);
    size_t k = 0;
    f->f[k++] = (struct oc_field){"email", f->email, OC_FIELD_STRING};
    if(!f->email_only) {
        f->f[k++] = (struct oc_field){"firstname", f->first, OC_FIELD_STRING};
        f->f[k++] = (struct oc_field){"lastname", "Memory-bound Bench-reader", OC_FIELD_STRING};
        f->f[k++] = (struct oc_field){"company", "Example Publishing International", OC_FIELD_STRING};
        f->f[k++] = (struct oc_field){"favourite_topic", "long-form investigative reporting",
                                      OC_FIELD_STRING};
    }
    r->kind = "contact";
    r->id = f->name;
    r->fields = f->f;
    r->nfields = k;
    return OC_OK;
}

/* ---- the stand-in, with memberships/add answered per call ---- */

enum add_answer { ADD_NORMAL, ADD_REFUSE, ADD_UNAUTHORIZED };

#define REFUSED_SAID "The request was refused for this test"

struct gate {
    struct hspush hp;
    pthread_mutex_t mu;
    unsigned long adds;           /* memberships/add calls seen */
    enum add_answer answer[8];    /* for add call 1..8; ADD_NORMAL after */
};

static int gate_handler(void *ctx, const struct fx_request *req, struct fx_response *resp)
{
    struct gate *g = ctx;
    if(!strcmp(req->method, "PUT") && strstr(req->path, "/memberships/add")) {
        pthread_mutex_lock(&g->mu);
        unsigned long n = ++g->adds;
        pthread_mutex_unlock(&g->mu);
        enum add_answer a = n <= 8 ? g->answer[n - 1] : ADD_NORMAL;
        if(a != ADD_NORMAL) {
            kit_buf_puts(&resp->headers, "Content-Type: application/json;charset=utf-8\r\n");
            if(a == ADD_REFUSE) {
                resp->status = 400;
                kit_buf_puts(&resp->body, "{\"status\":\"error\",\"message\":\"" REFUSED_SAID "\","
                                          "\"correlationId\":\"00000000-0000-4000-8000-0000000000aa\","
                                          "\"category\":\"VALIDATION_ERROR\"}");
            } else {
                resp->status = 401;
                kit_buf_puts(&resp->body, "{\"status\":\"error\",\"message\":\"Authentication "
                                          "credentials not found.\",\"correlationId\":"
                                          "\"00000000-0000-4000-8000-0000000000bb\",\"category\":"
                                          "\"INVALID_AUTHENTICATION\"}");
            }
            return 0;
        }
    }
    return hspush_handler(&g->hp, req, resp);
}

static void start(struct scenario *s, struct gate *g, const char *const *opts)
{
    ck_assert_int_eq(hspush_init(&g->hp), 0);
    pthread_mutex_init(&g->mu, NULL);
    struct fx_options fo = {.dynamic = gate_handler, .dynamic_ctx = g};
    int rc = sc_start_with(s, NULL, opts, &fo);
    ck_assert_msg(rc == 0, "%s", s->err.message);
}

static void stop(struct scenario *s, struct gate *g)
{
    sc_stop(s);
    hspush_free(&g->hp);
    pthread_mutex_destroy(&g->mu);
}

static oc_status push(struct scenario *s, struct feed *f)
{
    struct oc_push_request req = {sizeof req, HSPUSH_LIST, feed_next, f};
    s->err.struct_size = sizeof s->err;
    return hs_push(s->in, &req, &s->err);
}

/* The id the stand-in gave the contact of address email (any case). */
static const char *id_of(struct gate *g, const char *email, char *out, size_t size)
{
    char low[64];
    size_t n = strlen(email);
    ck_assert_uint_lt(n, sizeof low);
    for(size_t i = 0; i <= n; i++)
        low[i] = email[i] >= 'A' && email[i] <= 'Z' ? (char)(email[i] - 'A' + 'a') : email[i];
    for(size_t i = 0; i < g->hp.n; i++)
        if(!strcmp(g->hp.emails[i], low)) {
            snprintf(out, size, "%zu", 5000 + i);
            return out;
        }
    ck_abort_msg("the stand-in never saw %s", email);
    return NULL;
}

/* ---- reading the results ---- */

struct result {
    char *input, *email, *id, *status, *error;
};

static void result_free(struct result *r)
{
    free(r->input);
    free(r->email);
    free(r->id);
    free(r->status);
    free(r->error);
    memset(r, 0, sizeof *r);
}

static char *member(const struct kit_json *j, const char *name)
{
    int t = kit_json_get(j, 0, name);
    return t >= 0 ? kit_json_strdup(j, t) : NULL;
}

/* Every push_result line of records, in order, into *out (count in *n). */
static struct result *results_of(const char *records, size_t *n)
{
    size_t cap = 64, k = 0;
    struct result *v = calloc(cap, sizeof *v);
    ck_assert_ptr_nonnull(v);
    for(const char *line = records; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        struct kit_json j = {0};
        ck_assert_int_eq(kit_json_parse(&j, line, len, NULL, 0), 0);
        char *kind = member(&j, "kind");
        if(kind && !strcmp(kind, "push_result")) {
            if(k == cap) {
                cap *= 2;
                v = realloc(v, cap * sizeof *v);
                ck_assert_ptr_nonnull(v);
            }
            v[k++] = (struct result){member(&j, "input"), member(&j, "email"), member(&j, "id"),
                                     member(&j, "status"), member(&j, "error")};
        }
        free(kind);
        kit_json_free(&j);
        line += len + (nl ? 1 : 0);
    }
    *n = k;
    return v;
}

static int starts(const char *s, const char *prefix) { return s && !strncmp(s, prefix, strlen(prefix)); }

/* ---- the memory bound ---- */

static size_t rounded(size_t bytes)
{
    return (bytes + HS_PUSH_POOL_GRAIN - 1) / HS_PUSH_POOL_GRAIN * HS_PUSH_POOL_GRAIN;
}

/* The figure the run logs: the most bytes of item blocks it had. */
static size_t logged_peak(const char *logs)
{
    const char *at = strstr(logs, "the inputs on their way took at most ");
    ck_assert_msg(at != NULL, "the push logged no item memory figure: %s", logs);
    return strtoul(at + strlen("the inputs on their way took at most "), NULL, 10);
}

/* 3,000 inputs with four properties each. What may be alive at once:
 * the wave's upserts (max_concurrency batches of 100) and the carry list
 * (up to a batch) whole, item and upsert part; the membership queue (up
 * to a chunk plus a wave's batches) and the chunk in flight as items
 * only. A run that kept every upsert object until the result went out
 * holds the objects of the queue too, past the bound. */
START_TEST(test_items_alive_stay_under_the_bound)
{
    const char *opts[] = {"cache_ttl_ms", "0", NULL};
    struct scenario s;
    struct gate g = {0};
    start(&s, &g, opts);
    enum { N = 3000 };
    struct feed f = {.n = N};
    push(&s, &f);
    ck_assert_uint_eq(s.th.nrecords, N);
    size_t conc = (size_t)s.in->opt.max_concurrency, chunk = (size_t)s.in->opt.membership_chunk;
    /* the largest row's strings: "row 2999", "reader2999@example.com" */
    char email[64];
    email_of(N - 1, email, sizeof email);
    size_t item = rounded(sizeof(struct hs_push_item) + strlen("row 2999") + 1 + strlen(email) + 1);
    struct kit_buf obj = KIT_BUF_INIT;
    f.pos = N - 1;
    struct oc_record rec = {sizeof rec};
    feed_next(&f, &rec);
    int only;
    ck_assert_int_eq(hs_upsert_json_write(&obj, N, email, strlen(email), rec.fields, rec.nfields, &only),
                     0);
    size_t upsert = rounded(strlen(email) + 1 + obj.len + 1);
    kit_buf_free(&obj);
    size_t whole = conc * HS_PUSH_BATCH + HS_PUSH_BATCH;
    size_t waiting = chunk + conc * HS_PUSH_BATCH + chunk;
    size_t bound = whole * (item + upsert) + waiting * item;
    size_t peak = logged_peak(kit_buf_str(&s.th.logs));
    ck_assert_msg(peak <= bound,
                  "the items took %zu bytes at most, over the bound of %zu (%zu upserts whole of "
                  "%zu + %zu bytes, %zu waiting of %zu)",
                  peak, bound, whole, item, upsert, waiting, item);
    ck_assert_uint_gt(peak, 0);
    stop(&s, &g);
}
END_TEST

/* ---- the results of inputs whose upsert was over ---- */

/* 2,500 inputs with copies and invalid rows; the second memberships/add
 * is refused (400) and the third unauthorized (401, the run stops): every
 * input has one result with its own name and address, every id is the
 * one HubSpot gave that address, and each kind of ending is seen. Then a
 * second push of addresses the first upserted, email only: cache hits,
 * no upsert, the same ids. */
START_TEST(test_results_after_the_upsert_as_before)
{
    struct scenario s;
    struct gate g = {.answer = {ADD_NORMAL, ADD_REFUSE, ADD_UNAUTHORIZED}};
    start(&s, &g, NULL);
    enum { N = 2500 };
    struct feed f = {.n = N};
    oc_status rc = push(&s, &f);
    ck_assert_int_eq(rc, OC_E_AUTH);
    size_t n;
    struct result *r = results_of(kit_buf_str(&s.th.records), &n);
    ck_assert_uint_eq(n, N);
    unsigned char *seen = calloc(N, 1);
    size_t added = 0, already = 0, refused = 0, stopped = 0, unread = 0, invalid = 0, copies_ok = 0;
    char want_email[64], want_id[32], prefix[160];
    for(size_t k = 0; k < n; k++) {
        size_t i;
        ck_assert_msg(r[k].input && sscanf(r[k].input, "row %zu", &i) == 1 && i < N,
                      "result %zu names no input row: %s", k, r[k].input);
        ck_assert_msg(!seen[i], "row %zu has two results", i);
        seen[i] = 1;
        email_of(i, want_email, sizeof want_email);
        ck_assert_ptr_nonnull(r[k].email);
        ck_assert_str_eq(r[k].email, want_email);
        ck_assert_ptr_nonnull(r[k].status);
        if(starts(r[k].error, "not pushed: ") || starts(r[k].error, "not attempted: ")) {
            ck_assert_str_eq(r[k].status, "failed");
            ck_assert_ptr_null(r[k].id);
            unread++;
            continue;
        }
        if(kind_of(i) == ROW_INVALID) {
            ck_assert_str_eq(r[k].status, "failed");
            ck_assert_ptr_null(r[k].id);
            ck_assert_msg(starts(r[k].error, "email '"), "row %zu: %s", i, r[k].error);
            invalid++;
            continue;
        }
        id_of(&g, want_email, want_id, sizeof want_id);
        ck_assert_msg(r[k].id && !strcmp(r[k].id, want_id), "row %zu (%s): id %s, HubSpot gave %s", i,
                      want_email, r[k].id, want_id);
        if(!strcmp(r[k].status, "added")) {
            added++;
        } else if(!strcmp(r[k].status, "already_member")) {
            already++;
            copies_ok += kind_of(i) == ROW_COPY;
        } else {
            ck_assert_str_eq(r[k].status, "failed");
            snprintf(prefix, sizeof prefix, "contact %s was upserted, but adding it to list %s failed: ",
                     want_id, HSPUSH_LIST);
            if(starts(r[k].error, prefix)) {
                ASSERT_HAS(r[k].error, REFUSED_SAID);
                refused++;
                continue;
            }
            snprintf(prefix, sizeof prefix,
                     "contact %s was upserted, but the push stopped before adding it to list %s: ",
                     want_id, HSPUSH_LIST);
            ck_assert_msg(starts(r[k].error, prefix), "row %zu: %s", i, r[k].error);
            stopped++;
        }
    }
    /* every path was taken: a chunk added (with merged copies), one
     * refused, one cut off by the stop, and inputs never sent */
    ck_assert_uint_eq(added + already, 500);
    ck_assert_uint_gt(copies_ok, 0);
    ck_assert_uint_eq(refused, 500);
    ck_assert_uint_gt(stopped, 0);
    ck_assert_uint_gt(unread, 0);
    ck_assert_uint_gt(invalid, 0);
    for(size_t k = 0; k < n; k++)
        result_free(&r[k]);
    free(r);

    /* Email only, every 7th row of the first 700 that is not invalid and
     * not a copy: the cache knows each (every upserted address was kept). */
    kit_buf_reset(&s.th.records);
    s.th.nrecords = 0;
    unsigned long upserts = hspush_calls(&g.hp, HSPUSH_UPSERT);
    struct feed again = {.n = 100, .email_only = 1, .from = 1, .step = 7};
    rc = push(&s, &again);
    ck_assert_msg(rc == OC_E_PARTIAL, "%d: %s", rc, s.err.message); /* its invalid rows */
    ck_assert_uint_eq(hspush_calls(&g.hp, HSPUSH_UPSERT), upserts);
    r = results_of(kit_buf_str(&s.th.records), &n);
    ck_assert_uint_eq(n, 100);
    memset(seen, 0, N);
    for(size_t k = 0; k < n; k++) {
        size_t i;
        ck_assert_msg(r[k].input && sscanf(r[k].input, "row %zu", &i) == 1 && i < N &&
                          (i - again.from) % again.step == 0,
                      "result %zu names no input row of the second push: %s", k, r[k].input);
        ck_assert_msg(!seen[i], "row %zu has two results", i);
        seen[i] = 1;
        email_of(i, want_email, sizeof want_email);
        ck_assert_str_eq(r[k].email, want_email);
        if(kind_of(i) == ROW_INVALID) {
            ck_assert_str_eq(r[k].status, "failed");
            continue;
        }
        id_of(&g, want_email, want_id, sizeof want_id);
        ck_assert_msg(r[k].id && !strcmp(r[k].id, want_id), "row %zu: id %s, want %s", i, r[k].id,
                      want_id);
        ck_assert_msg(!strcmp(r[k].status, "added") || !strcmp(r[k].status, "already_member"),
                      "row %zu: %s", i, r[k].status);
    }
    for(size_t k = 0; k < n; k++)
        result_free(&r[k]);
    free(r);
    free(seen);
    stop(&s, &g);
}
END_TEST

extern Suite *make_push_items_suite(void);
Suite *make_push_items_suite(void)
{
    Suite *s = suite_create("push_items");
    TCase *tc = tcase_create("items on their way");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_items_alive_stay_under_the_bound);
    tcase_add_test(tc, test_results_after_the_upsert_as_before);
    suite_add_tcase(s, tc);
    return s;
}
