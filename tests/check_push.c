/*
 * check_push.c - the list push (hubspot/push.c and friends) against the
 * push-*.json cassettes.
 *
 * The inputs each test feeds must be exactly the ones
 * fixtures/hubspot/gen/push_gen.py rendered into the cassette (same
 * emails, properties and order), or the requests will not match.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/idcache.h"
#include "hubspot/instance.h"
#include "host-api/ochost/rejects.h"
#include "hubspot/push.h"
#include "hubspot/upsert.h"
#include "onecount/loader.h"
#include "plugin/json.h"
#include "tests/support/apiver.h"
#include "tests/support/hspush.h"
#include "tests/support/scenario_check.h"

#define LIST "4242"

/* ---- input feed: the host's next() ---- */

#define FEED_FIELDS 8

struct feed {
    size_t n;        /* inputs to give */
    size_t pos;      /* given so far */
    int calls;       /* next() calls */
    size_t fail_at;  /* 1-based position answered with OC_E_IO (0: never) */
    /* fills fields for position p (1-based); returns the kind */
    const char *(*row)(size_t p, struct feed *f);
    const void *data;
    char id[32];
    char val[FEED_FIELDS][160];
    struct oc_field fields[FEED_FIELDS];
    size_t nfields;
};

static void put(struct feed *f, const char *key, const char *value)
{
    ck_assert_uint_lt(f->nfields, FEED_FIELDS);
    snprintf(f->val[f->nfields], sizeof f->val[0], "%s", value);
    f->fields[f->nfields] = (struct oc_field){key, f->val[f->nfields], OC_FIELD_STRING};
    f->nfields++;
}

static oc_status feed_next(void *ctx, struct oc_record *r)
{
    struct feed *f = ctx;
    f->calls++;
    if(f->pos >= f->n)
        return OC_E_NOT_FOUND;
    size_t p = ++f->pos;
    if(f->fail_at && p == f->fail_at)
        return OC_E_IO;
    f->nfields = 0;
    snprintf(f->id, sizeof f->id, "line %zu", p + 1); /* line 1 is a CSV header */
    const char *kind = f->row(p, f);
    r->kind = kind;
    r->id = f->id;
    r->fields = f->fields;
    r->nfields = f->nfields;
    return OC_OK;
}

/* A list of {email, firstname-or-NULL, lastname-or-NULL} rows. */
struct simple_row {
    const char *email, *first, *last;
};

static const char *simple_row(size_t p, struct feed *f)
{
    const struct simple_row *rows = f->data;
    const struct simple_row *r = &rows[p - 1];
    put(f, "email", r->email);
    if(r->first)
        put(f, "firstname", r->first);
    if(r->last)
        put(f, "lastname", r->last);
    return "contact";
}

static void feed_rows(struct feed *f, const struct simple_row *rows, size_t n)
{
    memset(f, 0, sizeof *f);
    f->n = n;
    f->row = simple_row;
    f->data = rows;
}

static oc_status push(struct scenario *s, struct feed *f, const char *list)
{
    struct oc_push_request req = {sizeof req, list, feed_next, f};
    s->err.struct_size = sizeof s->err;
    return hs_push(s->in, &req, &s->err);
}

/* ---- reading the emitted push_result lines ---- */

struct res {
    char kind[32], input[32], email[160], id[32], status[32], error[1024];
};

struct results {
    struct res *v;
    size_t n;
};

static void copy_field(const struct kit_json *j, const char *key, char *out, size_t size)
{
    out[0] = '\0';
    char *s = kit_json_strdup(j, kit_json_get(j, 0, key));
    if(s)
        snprintf(out, size, "%s", s);
    free(s);
}

static struct results parse_results(const struct scenario *s)
{
    struct results rs = {calloc(s->th.nrecords + 1, sizeof(struct res)), 0};
    ck_assert_ptr_nonnull(rs.v);
    const char *p = kit_buf_str(&s->th.records);
    while(*p) {
        const char *nl = strchr(p, '\n');
        ck_assert_ptr_nonnull(nl);
        struct kit_json j = {0};
        ck_assert_int_eq(kit_json_parse(&j, p, (size_t)(nl - p), NULL, 0), 0);
        struct res *r = &rs.v[rs.n++];
        copy_field(&j, "kind", r->kind, sizeof r->kind);
        copy_field(&j, "input", r->input, sizeof r->input);
        copy_field(&j, "email", r->email, sizeof r->email);
        copy_field(&j, "id", r->id, sizeof r->id);
        copy_field(&j, "status", r->status, sizeof r->status);
        copy_field(&j, "error", r->error, sizeof r->error);
        ck_assert_str_eq(r->kind, "push_result");
        if(!strcmp(r->status, "failed"))
            ck_assert_msg(r->error[0], "failed result for %s without error", r->input);
        else
            ck_assert_msg(!r->error[0] && r->id[0], "%s: %s result with error/without id",
                          r->input, r->status);
        kit_json_free(&j);
        p = nl + 1;
    }
    return rs;
}

/* The one result for input "line <p+1>"; fails the test when there is not
 * exactly one. */
static const struct res *result_for(const struct results *rs, size_t p)
{
    char name[32];
    snprintf(name, sizeof name, "line %zu", p + 1);
    const struct res *found = NULL;
    for(size_t i = 0; i < rs->n; i++) {
        if(strcmp(rs->v[i].input, name))
            continue;
        ck_assert_msg(!found, "two results for %s", name);
        found = &rs->v[i];
    }
    ck_assert_msg(found != NULL, "no result for %s", name);
    return found;
}

static size_t count_status(const struct results *rs, const char *status)
{
    size_t n = 0;
    for(size_t i = 0; i < rs->n; i++)
        n += !strcmp(rs->v[i].status, status);
    return n;
}

/* Every input 1..n has exactly one result, and there is nothing else. */
static void assert_each_once(const struct results *rs, size_t n)
{
    ck_assert_uint_eq(rs->n, n);
    for(size_t p = 1; p <= n; p++)
        result_for(rs, p);
}

static uint64_t calls(const struct scenario *s) { return kit_http_calls(s->in->http); }

/* Pushes f to LIST on s's instance, expecting status want, and returns the
 * push_result lines of this push alone (earlier records are cleared), after
 * checking that inputs 1..nresults each have exactly one. Free rs.v. */
static struct results push_checked(struct scenario *s, struct feed *f, oc_status want,
                                   size_t nresults)
{
    th_forget_records(&s->th);
    oc_status rc = push(s, f, LIST);
    ck_assert_msg(rc == want, "push: %s, expected %s: %s", oc_status_name(rc),
                  oc_status_name(want), s->err.message);
    struct results rs = parse_results(s);
    assert_each_once(&rs, nresults);
    return rs;
}

/* push_checked for rows[0..n), each input getting its one result. */
static struct results push_rows(struct scenario *s, const struct simple_row *rows, size_t n,
                                oc_status want)
{
    struct feed f;
    feed_rows(&f, rows, n);
    return push_checked(s, &f, want, n);
}

/* ---- single sign-ups and the per-instance cache ---- */

START_TEST(test_single_signup_call_counts)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/push-single.json", NULL);

    /* first sign-up: list check + the portal's properties (it carries a
     * first name) + upsert + add */
    static const struct simple_row ann[] = {{"ann@example.com", "Ann", NULL}};
    struct results rs = push_rows(&s, ann, 1, OC_OK);
    ck_assert_uint_eq(calls(&s), 4);
    ck_assert_str_eq(rs.v[0].status, "added");
    ck_assert_str_eq(rs.v[0].id, "501");
    ck_assert_str_eq(rs.v[0].email, "ann@example.com");
    free(rs.v);

    /* second sign-up on the same instance: the list is known: 2 calls */
    static const struct simple_row bob[] = {{"bob@example.com", "Bob", "Stone"}};
    rs = push_rows(&s, bob, 1, OC_OK);
    ck_assert_uint_eq(calls(&s), 6);
    ck_assert_str_eq(rs.v[0].status, "added");
    ck_assert_str_eq(rs.v[0].id, "502");
    free(rs.v);

    /* a known contact, email only (case differs): the cached id, 1 call */
    static const struct simple_row ann_again[] = {{" Ann@Example.com ", NULL, NULL}};
    rs = push_rows(&s, ann_again, 1, OC_OK);
    ck_assert_uint_eq(calls(&s), 7);
    ck_assert_str_eq(rs.v[0].status, "already_member");
    ck_assert_str_eq(rs.v[0].id, "501");
    ck_assert_str_eq(rs.v[0].email, "Ann@Example.com");
    free(rs.v);

    /* a stale cached id: HubSpot calls it missing, so upsert and add anew */
    static const struct simple_row bob_again[] = {{"bob@example.com", NULL, NULL}};
    rs = push_rows(&s, bob_again, 1, OC_OK);
    ck_assert_uint_eq(calls(&s), 10);
    ck_assert_str_eq(rs.v[0].status, "added");
    ck_assert_str_eq(rs.v[0].id, "777");
    free(rs.v);

    /* known contact with a property: the upsert is not skipped */
    static const struct simple_row annie[] = {{"ann@example.com", "Annie", NULL}};
    rs = push_rows(&s, annie, 1, OC_OK);
    ck_assert_uint_eq(calls(&s), 12);
    ck_assert_str_eq(rs.v[0].status, "already_member");
    free(rs.v);

    sc_verify_stop(&s);
}
END_TEST

/* ---- bulk ---- */

/* Mirrors BULK_* in push_gen.py. */
static int in_set(size_t p, const size_t *set, size_t n)
{
    for(size_t i = 0; i < n; i++)
        if(set[i] == p)
            return 1;
    return 0;
}

static const size_t bulk_no_at[] = {13, 77, 150, 201};
static const size_t bulk_rejected[] = {5, 64, 130, 222, 240};

static const char *bulk_row(size_t p, struct feed *f)
{
    char email[64], first[32];
    if(p == 120) {
        put(f, "error", "line 121: unterminated quoted field");
        return "invalid";
    }
    if(in_set(p, bulk_no_at, 4))
        snprintf(email, sizeof email, "user%zu.example.com", p);
    else if(p == 99)
        snprintf(email, sizeof email, "user %zu@example.com", p);
    else if(in_set(p, bulk_rejected, 5))
        snprintf(email, sizeof email, "user%zu@example.invalid", p);
    else
        snprintf(email, sizeof email, "user%zu@example.com", p);
    snprintf(first, sizeof first, "User%zu", p);
    if(p != 180)
        put(f, "email", email);
    put(f, "firstname", first);
    if(p % 3 == 0)
        put(f, "lastname", "Bulk");
    if(p % 10 == 0)
        put(f, "company", "Acme, Inc.");
    return "contact";
}

START_TEST(test_bulk_invalid_emails_shuffled_results)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/push-bulk.json", NULL);
    struct feed f = {.n = 250, .row = bulk_row};
    struct results rs = push_checked(&s, &f, OC_E_PARTIAL, 250);
    ck_assert_ptr_nonnull(strstr(s.err.message, "13 of 250 inputs failed"));
    /* list check, properties, 3 concurrent upserts of 100/100/43, one
     * membership add */
    ck_assert_uint_eq(calls(&s), 6);
    ck_assert_uint_eq(count_status(&rs, "added"), 234);
    ck_assert_uint_eq(count_status(&rs, "already_member"), 3);
    ck_assert_uint_eq(count_status(&rs, "failed"), 13);

    /* local checks: no call spent on them */
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 13)->error, "has no @"));
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 99)->error, "user 99@example.com"));
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 120)->error, "unterminated quoted field"));
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 180)->error, "no email"));
    ck_assert_str_eq(result_for(&rs, 180)->email, "");
    /* HubSpot's 207 errors, tied by trace id, by context ids and by message */
    ck_assert_ptr_nonnull(
        strstr(result_for(&rs, 5)->error, "Email address user5@example.invalid is invalid"));
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 5)->error, "VALIDATION_ERROR"));
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 64)->error, "Invalid email address"));
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 130)->error, "user130@example.invalid"));
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 240)->error, "user240@example.invalid"));
    ck_assert_str_eq(result_for(&rs, 222)->status, "failed");
    /* a result without objectWriteTraceId is matched by its email */
    ck_assert_str_eq(result_for(&rs, 33)->status, "added");
    ck_assert_str_eq(result_for(&rs, 33)->id, "10033");
    /* results came shuffled: ids still land on the right inputs */
    ck_assert_str_eq(result_for(&rs, 1)->id, "10001");
    ck_assert_str_eq(result_for(&rs, 250)->id, "10250");
    ck_assert_str_eq(result_for(&rs, 250)->email, "user250@example.com");
    /* membership answer: not in recordsIdsAdded = already there; missing = failed */
    ck_assert_str_eq(result_for(&rs, 2)->status, "already_member");
    ck_assert_str_eq(result_for(&rs, 100)->status, "failed");
    ck_assert_str_eq(result_for(&rs, 100)->id, "10100");
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 100)->error, "does not exist"));
    free(rs.v);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_already_members)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/push-already.json", NULL);
    static const struct simple_row rows[] = {
        {"ann@example.com", NULL, NULL}, {"bob@example.com", NULL, NULL}, {"cy@example.com", NULL, NULL}};
    struct results rs = push_rows(&s, rows, 3, OC_OK);
    ck_assert_uint_eq(count_status(&rs, "already_member"), 3);
    ck_assert_str_eq(result_for(&rs, 3)->id, "603");
    free(rs.v);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_duplicate_email_added_once)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/push-duplicates.json", NULL);
    static const struct simple_row rows[] = {{"dup@example.com", "First", NULL},
                                             {"other@example.com", NULL, NULL},
                                             {"DUP@example.com", "Second", NULL}};
    struct results rs = push_rows(&s, rows, 3, OC_OK);
    /* check, one upsert carrying the merged dup@ (firstname Second, as the
     * cassette's body requires), one add, and the properties */
    ck_assert_uint_eq(calls(&s), 4);
    ck_assert_str_eq(result_for(&rs, 1)->status, "added");
    ck_assert_str_eq(result_for(&rs, 2)->status, "added");
    ck_assert_str_eq(result_for(&rs, 3)->status, "already_member");
    ck_assert_str_eq(result_for(&rs, 3)->id, "901");
    ck_assert_str_eq(result_for(&rs, 3)->email, "DUP@example.com");
    free(rs.v);
    sc_verify_stop(&s);
}
END_TEST

/* Mirrors duph_row() in push_gen.py. */
static const char *duph_row(size_t p, struct feed *f)
{
    char email[64], first[32];
    if(p % 6 == 0) {
        snprintf(email, sizeof email, "u%zu@example.com", p);
        snprintf(first, sizeof first, "U%zu", p);
    } else {
        snprintf(email, sizeof email, "%s", p % 5 == 0 ? "SAME@example.com" : "same@example.com");
        snprintf(first, sizeof first, "Copy%zu", p);
    }
    put(f, "email", email);
    put(f, "firstname", first);
    if(p == 100)
        put(f, "lastname", "Middle");
    return "contact";
}

/* 250 of 300 rows are one address with a new first name each: one upsert
 * for 51 distinct addresses (the cassette's body holds the repeated
 * address once, with the last first name, Copy299, and the one last name
 * a middle copy gave), every input its own result. */
START_TEST(test_repeated_email_merged_into_one_upsert)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/push-duplicates-heavy.json", NULL);
    struct feed f = {.n = 300, .row = duph_row};
    struct results rs = push_checked(&s, &f, OC_OK, 300);
    /* at most ceil(51 distinct / 100) upserts + 1 membership chunk + 1
     * check + the properties */
    ck_assert_uint_le(calls(&s), 1 + 1 + 1 + 1);
    ck_assert_uint_eq(count_status(&rs, "added"), 51);
    ck_assert_uint_eq(count_status(&rs, "already_member"), 249);
    ck_assert_str_eq(result_for(&rs, 1)->status, "added");
    ck_assert_str_eq(result_for(&rs, 1)->id, "7000");
    for(size_t p = 2; p <= 300; p++) {
        const struct res *r = result_for(&rs, p);
        if(p % 6)
            ck_assert_msg(!strcmp(r->id, "7000") && !strcmp(r->status, "already_member"),
                          "input %zu: %s %s", p, r->status, r->id);
    }
    ck_assert_str_eq(result_for(&rs, 100)->email, "SAME@example.com");
    ck_assert_str_eq(result_for(&rs, 300)->id, "7300");
    free(rs.v);
    sc_verify_stop(&s);
}
END_TEST

/* Merging on its own: later copies win per property, the first keeps its
 * email, id and trace id, new properties are added. */
START_TEST(test_upsert_item_merge)
{
    struct hs_push_item a = {.ord = 4, .email = "x@example.com"};
    struct hs_push_item b = {.ord = 9, .email = "X@example.com"};
    struct hs_push_item c = {.ord = 11, .email = "x@example.com"};
    struct oc_field fa[] = {{"email", "x@example.com", OC_FIELD_STRING},
                            {"firstname", "A", OC_FIELD_STRING},
                            {"city", "Oslo \"old\"", OC_FIELD_STRING}};
    struct oc_field fb[] = {{"email", "X@example.com", OC_FIELD_STRING},
                            {"firstname", "B", OC_FIELD_STRING},
                            {"phone", "12", OC_FIELD_STRING}};
    struct oc_field fc[] = {{"email", "x@example.com", OC_FIELD_STRING}};
    ck_assert_int_eq(hs_upsert_item_json(&a, fa, 3), 0);
    ck_assert_int_eq(hs_upsert_item_json(&b, fb, 3), 0);
    ck_assert_int_eq(hs_upsert_item_json(&c, fc, 1), 0);
    ck_assert(c.email_only);
    ck_assert_int_eq(hs_upsert_item_merge(&a, &b), 0);
    ck_assert_int_eq(hs_upsert_item_merge(&a, &c), 0); /* email only: nothing changes */
    ck_assert_str_eq(a.json, "{\"idProperty\":\"email\",\"id\":\"x@example.com\",\"properties\":"
                             "{\"email\":\"x@example.com\",\"firstname\":\"B\",\"city\":"
                             "\"Oslo \\\"old\\\"\",\"phone\":\"12\"},\"objectWriteTraceId\":\"push-4\"}");
    ck_assert_uint_eq(a.json_len, strlen(a.json));
    ck_assert(!a.email_only);
    free(a.json);
    free(b.json);
    free(c.json);
}
END_TEST

/* ---- the list check ---- */

START_TEST(test_dynamic_list_refused_before_any_write)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/push-dynamic.json", NULL);
    static const struct simple_row rows[] = {{"ann@example.com", NULL, NULL}};
    struct feed f;
    feed_rows(&f, rows, 1);
    ck_assert_int_eq(push(&s, &f, LIST), OC_E_CONFIG);
    ck_assert_ptr_nonnull(strstr(s.err.message, "DYNAMIC"));
    ck_assert_ptr_nonnull(strstr(s.err.message, "MANUAL and SNAPSHOT"));
    ck_assert_ptr_nonnull(strstr(s.err.message, "Opened last 30 days"));
    ck_assert_int_eq(f.calls, 0); /* the input was not even read */
    ck_assert_uint_eq(s.th.nrecords, 0);
    ck_assert_uint_eq(calls(&s), 1);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_unknown_list_mentions_legacy_ids)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/push-unknown-list.json", NULL);
    static const struct simple_row rows[] = {{"ann@example.com", NULL, NULL}};
    struct feed f;
    feed_rows(&f, rows, 1);
    ck_assert_int_eq(push(&s, &f, LIST), OC_E_CONFIG);
    ck_assert_ptr_nonnull(strstr(s.err.message, "list 4242 not found"));
    ck_assert_ptr_nonnull(strstr(s.err.message, "legacy v1 list ids"));
    ck_assert_ptr_nonnull(strstr(s.err.message, "idmapping"));
    ck_assert_int_eq(f.calls, 0);
    ck_assert_uint_eq(s.th.nrecords, 0);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_list_id_checked_locally_then_once)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/push-list-only.json", NULL);
    struct feed f;
    feed_rows(&f, NULL, 0);
    ck_assert_int_eq(push(&s, &f, "Newsletter"), OC_E_CONFIG);
    ck_assert_ptr_nonnull(strstr(s.err.message, "not a HubSpot list id"));
    ck_assert_uint_eq(calls(&s), 0);
    struct oc_push_request none = {sizeof none, LIST, NULL, NULL};
    ck_assert_int_eq(hs_push(s.in, &none, &s.err), OC_E_INVALID);
    /* an empty input on a good list: one check, no write */
    ck_assert_int_eq(push(&s, &f, LIST), OC_OK);
    ck_assert_int_eq(push(&s, &f, LIST), OC_OK);
    ck_assert_uint_eq(calls(&s), 1);
    ck_assert_uint_eq(s.th.nrecords, 0);
    sc_verify_stop(&s);
}
END_TEST

/* ---- errors mid-run ---- */

START_TEST(test_missing_write_scope)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/push-missing-scope.json", NULL);
    static const struct simple_row rows[] = {{"ann@example.com", "Ann", NULL},
                                             {"bob@example.com", "Bob", NULL}};
    struct results rs = push_rows(&s, rows, 2, OC_E_AUTH);
    ck_assert_ptr_nonnull(strstr(s.err.message, "crm.lists.write"));
    ck_assert_int_eq(s.err.http_status, 403);
    ck_assert_uint_eq(count_status(&rs, "failed"), 2);
    ck_assert_str_eq(result_for(&rs, 1)->id, "501");
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 1)->error, "crm.lists.write"));
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 2)->error, "was upserted"));
    free(rs.v);
    sc_verify_stop(&s);
}
END_TEST

static const char *gone_row(size_t p, struct feed *f)
{
    char email[64];
    snprintf(email, sizeof email, "gone%zu@example.com", p);
    put(f, "email", email);
    return "contact";
}

/* The list changes under a long push (membership_chunk 100, one request at
 * a time): the first memberships/add fails for a reason every later chunk
 * would share, so the push stops there instead of upserting the rest. */
static void list_changed_mid_run(const char *cassette, const char *why, int recheck)
{
    static const char *const opts[] = {"membership_chunk", "100", "max_concurrency", "1", NULL};
    struct scenario s;
    sc_start_ok(&s, cassette, opts);
    struct feed f = {.n = 250, .row = gone_row};
    struct results rs = push_checked(&s, &f, OC_E_CONFIG, 250);
    ck_assert_msg(strstr(s.err.message, why), "%s", s.err.message);
    ck_assert_ptr_nonnull(strstr(s.err.message, "list 4242"));
    /* check, upsert 1-100, then add 1-100 beside upsert 101-200: no more */
    ck_assert_uint_eq(calls(&s), 4);
    ck_assert_uint_eq(count_status(&rs, "failed"), 250);
    ck_assert_str_eq(result_for(&rs, 1)->id, "40001");
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 1)->error, why));
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 150)->error, "before adding it to list 4242"));
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 250)->error, "not attempted"));
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 250)->error, why));
    free(rs.v);
    if(recheck) {
        /* The instance forgot the list: the next sign-up checks it again
         * and stops there, before any upsert (its input is not even read,
         * as for any list refused up front). */
        struct feed one = {.n = 1, .row = gone_row};
        rs = push_checked(&s, &one, OC_E_CONFIG, 0);
        ck_assert_ptr_nonnull(strstr(s.err.message, "not found"));
        ck_assert_uint_eq(calls(&s), 5);
        free(rs.v);
    }
    sc_verify_stop(&s);
}

START_TEST(test_list_deleted_mid_run_stops)
{
    list_changed_mid_run("fixtures/hubspot/push-list-deleted.json", "list 4242 is gone", 1);
}
END_TEST

START_TEST(test_list_turned_dynamic_mid_run_stops)
{
    list_changed_mid_run("fixtures/hubspot/push-list-now-dynamic.json", "no longer takes contacts", 0);
}
END_TEST

static const char *nf_row(size_t p, struct feed *f)
{
    char email[64];
    snprintf(email, sizeof email, "nf%zu@example.com", p);
    put(f, "email", email);
    return "contact";
}

/* A 404 from the upsert endpoint is not "found nothing" (lookup's exit 3)
 * nor a per-contact failure: it stops the push as a configuration error. */
START_TEST(test_upsert_404_stops_as_config)
{
    static const char *const opts[] = {"max_concurrency", "1", NULL};
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/push-upsert-404.json", opts);
    struct feed f = {.n = 150, .row = nf_row};
    struct results rs = push_checked(&s, &f, OC_E_CONFIG, 150);
    ck_assert_ptr_nonnull(strstr(s.err.message, "404"));
    ck_assert_ptr_nonnull(strstr(s.err.message, "base_url"));
    ck_assert_uint_eq(calls(&s), 2);
    ck_assert_uint_eq(count_status(&rs, "failed"), 150);
    free(rs.v);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_lost_response_retried_once_each)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/push-lost-response.json", NULL);
    static const struct simple_row rows[] = {{"ann@example.com", "Ann", NULL},
                                             {"bob@example.com", "Bob", NULL},
                                             {"cy@example.com", "Cy", NULL}};
    struct results rs = push_rows(&s, rows, 3, OC_OK);
    /* check, properties, upsert (reset), identical upsert, add */
    ck_assert_uint_eq(calls(&s), 5);
    ck_assert_uint_eq(count_status(&rs, "added"), 3);
    ck_assert_str_eq(result_for(&rs, 2)->id, "702");
    free(rs.v);
    /* both upsert interactions played, exactly one add: nothing twice */
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_odd_answers_are_failures)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/push-odd-answers.json", NULL);

    /* 200 with neither results nor errors: nothing proves success */
    static const struct simple_row ab[] = {{"a@example.com", NULL, NULL}, {"b@example.com", NULL, NULL}};
    struct results rs = push_rows(&s, ab, 2, OC_E_PARTIAL);
    ck_assert_uint_eq(count_status(&rs, "failed"), 2);
    ck_assert_ptr_nonnull(strstr(rs.v[0].error, "neither results nor errors"));
    free(rs.v);
    ck_assert_uint_eq(calls(&s), 2); /* nothing to add */

    /* results missing for two inputs, one error naming nobody */
    static const struct simple_row cde[] = {
        {"c@example.com", NULL, NULL}, {"d@example.com", NULL, NULL}, {"e@example.com", NULL, NULL}};
    rs = push_rows(&s, cde, 3, OC_E_PARTIAL);
    ck_assert_str_eq(result_for(&rs, 1)->status, "added");
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 2)->error, "HubSpot returned no result"));
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 3)->error, "one of the inputs"));
    free(rs.v);

    /* one loose error, one unanswered input: tied; an add answer without
     * its lists leaves the contact's membership unknown: failed */
    static const struct simple_row fg[] = {{"f@example.com", NULL, NULL}, {"g@example.com", NULL, NULL}};
    rs = push_rows(&s, fg, 2, OC_E_PARTIAL);
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 2)->error, "HubSpot rejected this contact (VALIDATION_ERROR)"));
    ck_assert_str_eq(result_for(&rs, 1)->id, "1006");
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 1)->error, "neither recordsIdsAdded"));
    free(rs.v);
    sc_verify_stop(&s);
}
END_TEST

static const char *rl_row(size_t p, struct feed *f)
{
    char email[64];
    snprintf(email, sizeof email, "rl%zu@example.com", p);
    put(f, "email", email);
    return "contact";
}

START_TEST(test_429_mid_run_then_success)
{
    static const char *const opts[] = {"max_concurrency", "1", NULL};
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/push-429.json", opts);
    struct feed f = {.n = 120, .row = rl_row};
    int64_t t0 = s.th.now_ms;
    struct results rs = push_checked(&s, &f, OC_OK, 120);
    ck_assert_uint_eq(count_status(&rs, "added"), 120);
    free(rs.v);
    /* the 429 made the client wait (virtual time), then retry */
    ck_assert_int_ge(s.th.now_ms - t0, 1000);
    ck_assert_uint_eq(calls(&s), 5);
    sc_verify_stop(&s);
}
END_TEST

static const char *split_row(size_t p, struct feed *f)
{
    char email[64], first[16];
    snprintf(email, sizeof email, "split%zu@example.com", p);
    snprintf(first, sizeof first, "S%zu", p);
    put(f, "email", email);
    put(f, "firstname", first);
    if(f->data && !strcmp(f->data, "common"))
        put(f, "favourite_colour", "teal");
    else if(p == 6)
        put(f, "hs_lead_status", "NOT_A_STATUS");
    return "contact";
}

START_TEST(test_whole_batch_400_is_split)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/push-split.json", NULL);
    struct feed f = {.n = 8, .row = split_row};
    struct results rs = push_checked(&s, &f, OC_E_PARTIAL, 8);
    /* check, properties, 1 refused batch, 6 calls of halving, 1 add */
    ck_assert_uint_eq(calls(&s), 10);
    ck_assert_uint_eq(count_status(&rs, "added"), 7);
    ck_assert_str_eq(result_for(&rs, 6)->status, "failed");
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 6)->error, "NOT_A_STATUS"));
    ck_assert_str_eq(result_for(&rs, 5)->id, "805");
    free(rs.v);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_batch_wide_400_not_split_to_the_end)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/push-split-common.json", NULL);
    struct feed f = {.n = 8, .row = split_row, .data = "common"};
    struct results rs = push_checked(&s, &f, OC_E_PARTIAL, 8);
    /* check, properties, batch, 2 halves, 4 quarters: then it is clearly
     * the batch's fault */
    ck_assert_uint_eq(calls(&s), 9);
    ck_assert_uint_eq(count_status(&rs, "failed"), 8);
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 3)->error, "favourite_colour"));
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 3)->error, "common to the batch"));
    free(rs.v);
    sc_verify_stop(&s);
}
END_TEST

static const char *budget_row(size_t p, struct feed *f)
{
    char email[64];
    snprintf(email, sizeof email, "b%zu@example.com", p);
    put(f, "email", email);
    return "contact";
}

START_TEST(test_budget_mid_run_every_input_has_a_status)
{
    static const char *const opts[] = {"daily_budget", "3", "max_concurrency", "1", NULL};
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/push-budget.json", opts);
    struct feed f = {.n = 350, .row = budget_row};
    struct results rs = push_checked(&s, &f, OC_E_BUDGET, 350);
    ck_assert_ptr_nonnull(strstr(s.err.message, "budget"));
    ck_assert_ptr_nonnull(strstr(s.err.message, "every input has a push_result"));
    ck_assert_uint_eq(calls(&s), 3);
    ck_assert_uint_eq(count_status(&rs, "failed"), 350);
    size_t with_id = 0;
    for(size_t i = 0; i < rs.n; i++) {
        with_id += rs.v[i].id[0] != 0;
        ck_assert_msg(strstr(rs.v[i].error, "budget"), "%s: %s", rs.v[i].input, rs.v[i].error);
    }
    ck_assert_uint_eq(with_id, 200); /* upserted, not yet added */
    ck_assert_str_eq(result_for(&rs, 150)->id, "30150");
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 150)->error, "before adding it to list 4242"));
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 250)->error, "not pushed"));
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 350)->error, "not attempted"));
    ck_assert_str_eq(result_for(&rs, 350)->email, "b350@example.com");
    free(rs.v);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_input_error_reports_what_was_read)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/push-list-only.json", NULL);
    static const struct simple_row rows[] = {{"ann@example.com", NULL, NULL},
                                             {"bob@example.com", NULL, NULL},
                                             {"cy@example.com", NULL, NULL}};
    struct feed f;
    feed_rows(&f, rows, 3);
    f.fail_at = 3; /* inputs 1 and 2 were read, so they get results */
    struct results rs = push_checked(&s, &f, OC_E_IO, 2);
    ck_assert_ptr_nonnull(strstr(s.err.message, "reading the push input failed"));
    ck_assert_uint_eq(calls(&s), 1);
    ck_assert_ptr_nonnull(strstr(result_for(&rs, 1)->error, "not pushed"));
    free(rs.v);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_host_cancel_stops_emitting)
{
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/push-bulk.json", NULL);
    s.th.stop_after = 5; /* the 5th result (input 150, invalid) says stop */
    struct feed f = {.n = 250, .row = bulk_row};
    ck_assert_int_eq(push(&s, &f, LIST), OC_E_CANCELLED);
    ck_assert_uint_eq(s.th.nrecords, 5);
    ck_assert_uint_eq(calls(&s), 1); /* no upsert started */
    ck_assert_uint_eq(f.pos, 150);
    sc_stop(&s);
}
END_TEST

/* ---- how many inputs the push holds at once (ochost's --rejects bound) ---- */

/* A synthetic HubSpot for volume: the list is MANUAL, every upsert input
 * gets an id derived from its email (so repeated emails share one), every
 * add adds. Runs on the server's threads: no state. */
static int synthetic_hubspot(void *ctx, const struct fx_request *req, struct fx_response *resp)
{
    (void)ctx;
    if(hspush_answer_plain(req, resp, "Volume"))
        return 0;
    resp->status = 200;
    kit_buf_puts(&resp->headers, "Content-Type: application/json\r\n");
    struct kit_json j = {0};
    if(kit_json_parse(&j, req->body, req->body_len, NULL, 0))
        return -1;
    int inputs = kit_json_get(&j, 0, "inputs");
    kit_buf_puts(&resp->body, "{\"status\":\"COMPLETE\",\"results\":[");
    for(int i = 0, t = inputs + 1; i < kit_json_size(&j, inputs); i++, t = kit_json_skip(&j, t)) {
        char *email = kit_json_strdup(&j, kit_json_get(&j, t, "id"));
        char *trace = kit_json_strdup(&j, kit_json_get(&j, t, "objectWriteTraceId"));
        uint64_t h = 1469598103934665603u;
        for(const char *c = email ? email : ""; *c; c++)
            h = (h ^ (unsigned char)(*c | 0x20)) * 1099511628211u;
        kit_buf_printf(&resp->body, "%s{\"id\":\"%llu\",\"objectWriteTraceId\":\"%s\"}", i ? "," : "",
                      (unsigned long long)(h % 1000000000u), trace ? trace : "");
        free(email);
        free(trace);
    }
    kit_buf_puts(&resp->body, "]}");
    kit_json_free(&j);
    return 0;
}

/* Rows for the volume run: one address in three repeats, in bursts. */
static const char *volume_row(size_t p, struct feed *f)
{
    char email[64];
    if(p % 3 == 0)
        snprintf(email, sizeof email, "burst%zu@example.com", p / 900);
    else
        snprintf(email, sizeof email, "v%zu@example.com", p);
    put(f, "email", email);
    put(f, "firstname", "V");
    return "contact";
}

struct watch {
    struct feed f;
    struct scenario *s;
    size_t max_open; /* inputs read whose result has not arrived, at most */
};

static oc_status watch_next(void *ctx, struct oc_record *r)
{
    struct watch *w = ctx;
    size_t open = w->f.pos - w->s->th.nrecords;
    if(open > w->max_open)
        w->max_open = open;
    return feed_next(&w->f, r);
}

/* The most inputs the push can hold unanswered, from its option values:
 * a membership chunk plus the read-ahead before it, one wave of batches
 * and as many merged copies, the carry list. */
static size_t push_max_open(size_t chunk, size_t conc)
{
    return chunk + 3 * conc * 100 + 100;
}

START_TEST(test_inputs_held_stay_under_the_rejects_bound)
{
    static const char *const opts[] = {"membership_chunk", "700", "max_concurrency", "3",
                                       "cache_ttl_ms", "0", NULL};
    struct fx_options fo = {.dynamic = synthetic_hubspot};
    struct scenario s;
    int rc = sc_start_with(&s, NULL, opts, &fo);
    ck_assert_msg(rc == 0, "%s", s.err.message);
    s.th.keep_records = 0;
    struct watch w = {.f = {.n = 6000, .row = volume_row}, .s = &s};
    struct oc_push_request req = {sizeof req, LIST, watch_next, &w};
    s.err.struct_size = sizeof s.err;
    ck_assert_msg(hs_push(s.in, &req, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_uint_eq(s.th.nrecords, 6000);
    ck_assert_msg(w.max_open <= push_max_open(700, 3), "held %zu inputs, more than %zu", w.max_open,
                  push_max_open(700, 3));
    ck_assert_uint_gt(w.max_open, 700); /* the measurement saw a chunk build up */
    /* ochost keeps every one of them at the options' limits. */
    ck_assert_uint_gt(OCH_REJECTS_MAX_PENDING, push_max_open(100000, 32));
    sc_stop(&s);
}
END_TEST

/* A bulk push learns an id per contact; the cache is written whole, so
 * writing it after every wave made a long push rewrite up to 1 MiB of
 * state per wave. 3,000 inputs in 3 batches a wave make 10 waves on a
 * clock that does not move: the cache is saved once, at the end, and holds
 * what the run learned. A second save attempt fails and is logged, so the
 * log tells how many were made. */
START_TEST(test_bulk_push_saves_contact_cache_once)
{
    static const char *const opts[] = {"max_concurrency", "3", NULL};
    struct fx_options fo = {.dynamic = synthetic_hubspot};
    struct scenario s;
    int rc = sc_start_with(&s, NULL, opts, &fo);
    ck_assert_msg(rc == 0, "%s", s.err.message);
    s.th.keep_records = 0;
    s.th.fail_puts = 1;
    s.th.fail_key = HS_IDCACHE_KEY;
    s.th.puts_left = 1;
    struct feed f = {.n = 3000, .row = volume_row};
    ck_assert_msg(push(&s, &f, LIST) == OC_OK, "%s", s.err.message);
    ck_assert_uint_eq(s.th.nrecords, 3000);
    ck_assert_uint_ge(calls(&s), 10 + 2);
    ck_assert_msg(s.th.nputs_failed == 0, "the contact cache was saved %zu times more than once:\n%s",
                  s.th.nputs_failed, kit_buf_str(&s.th.logs));
    const char *saved = th_state(&s.th, HS_IDCACHE_KEY);
    ck_assert_ptr_nonnull(saved);
    ck_assert_ptr_nonnull(strstr(saved, "\"v2999@example.com\""));
    sc_stop(&s);
}
END_TEST

extern Suite *make_push_suite(void);
Suite *make_push_suite(void)
{
    Suite *s = suite_create("push");
    TCase *tc = tcase_create("cassettes");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_single_signup_call_counts);
    tcase_add_test(tc, test_bulk_invalid_emails_shuffled_results);
    tcase_add_test(tc, test_already_members);
    tcase_add_test(tc, test_duplicate_email_added_once);
    tcase_add_test(tc, test_repeated_email_merged_into_one_upsert);
    tcase_add_test(tc, test_upsert_item_merge);
    tcase_add_test(tc, test_list_deleted_mid_run_stops);
    tcase_add_test(tc, test_list_turned_dynamic_mid_run_stops);
    tcase_add_test(tc, test_upsert_404_stops_as_config);
    tcase_add_test(tc, test_inputs_held_stay_under_the_rejects_bound);
    tcase_add_test(tc, test_bulk_push_saves_contact_cache_once);
    tcase_add_test(tc, test_dynamic_list_refused_before_any_write);
    tcase_add_test(tc, test_unknown_list_mentions_legacy_ids);
    tcase_add_test(tc, test_list_id_checked_locally_then_once);
    tcase_add_test(tc, test_missing_write_scope);
    tcase_add_test(tc, test_lost_response_retried_once_each);
    tcase_add_test(tc, test_odd_answers_are_failures);
    tcase_add_test(tc, test_429_mid_run_then_success);
    tcase_add_test(tc, test_whole_batch_400_is_split);
    tcase_add_test(tc, test_batch_wide_400_not_split_to_the_end);
    tcase_add_test(tc, test_budget_mid_run_every_input_has_a_status);
    tcase_add_test(tc, test_input_error_reports_what_was_read);
    tcase_add_test(tc, test_host_cancel_stops_emitting);
    suite_add_tcase(s, tc);
    return s;
}
