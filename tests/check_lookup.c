/* check_lookup.c - the "lookup" suite: GET by email and id, batch/read with
 * misses, syntax checks before any call, the cache (hits, misses, TTL on
 * the virtual clock, eviction), URL encoding, and no token in any output. */
#include <check.h>
#include <ctype.h>
#include <pthread.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/email.h"
#include "hubspot/lookup.h"
#include "plugin/json.h"
#include "tests/support/ochrun.h"
#include "tests/support/apiver.h"
#include "tests/support/scenario_check.h"

#define CASS(name) "fixtures/hubspot/lookup-" name ".json"

static oc_status lookup(struct scenario *s, int by, const char *const *q, size_t n)
{
    struct oc_lookup_request req = {sizeof req, by, n, q};
    return hs_lookup(s->in, &req, &s->err);
}

/* Line i (0-based) of the captured records, copied into out. */
static const char *line(const struct scenario *s, size_t i, char *out, size_t outsize)
{
    const char *p = kit_buf_str(&s->th.records);
    while(i-- && p)
        if((p = strchr(p, '\n')))
            p++;
    ck_assert_msg(p && *p, "no record line %zu in: %s", i, kit_buf_str(&s->th.records));
    size_t n = strcspn(p, "\n");
    ck_assert_uint_lt(n, outsize);
    memcpy(out, p, n);
    out[n] = '\0';
    return out;
}

#define ANN_RECORD                                                                           \
    "\"id\":\"51\",\"email\":\"ann@example.com\",\"firstname\":\"Ann\",\"lastname\":\"Lee\","  \
    "\"company\":\"Acme\",\"hs_email_last_open_date\":\"2026-11-20T08:15:00.000Z\","           \
    "\"hs_email_last_send_date\":\"2026-11-19T12:00:00.000Z\","                                \
    "\"hs_email_last_email_name\":\"November newsletter\","                                    \
    "\"createdate\":\"2025-03-04T10:00:00.000Z\",\"hs_object_id\":\"51\","                      \
    "\"lastmodifieddate\":\"2026-11-20T08:16:00.000Z\","                                       \
    "\"created_at\":\"2025-03-04T10:00:00.000Z\",\"updated_at\":\"2026-11-20T08:16:00.000Z\"}"

START_TEST(test_found)
{
    struct scenario s;
    char l[2048];
    sc_start_ok(&s, CASS("found"), NULL);
    const char *q[] = {"ann@example.com"};
    ck_assert_int_eq(lookup(&s, OC_LOOKUP_EMAIL, q, 1), OC_OK);
    ck_assert_str_eq(s.err.message, "");
    ck_assert_uint_eq(s.th.nrecords, 1);
    /* Configured properties first in configured order, nulls omitted
     * (hs_email_last_click_date), then what else HubSpot returned. */
    ck_assert_str_eq(line(&s, 0, l, sizeof l),
                     "{\"kind\":\"contact\",\"query\":\"ann@example.com\"," ANN_RECORD);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_not_found)
{
    struct scenario s;
    char l[512];
    sc_start_ok(&s, CASS("not-found"), NULL);
    const char *q[] = {"nobody@example.com"};
    ck_assert_int_eq(lookup(&s, OC_LOOKUP_EMAIL, q, 1), OC_E_NOT_FOUND);
    ASSERT_HAS(s.err.message, "1 of 1 query found no contact");
    ck_assert_str_eq(line(&s, 0, l, sizeof l),
                     "{\"kind\":\"lookup_miss\",\"query\":\"nobody@example.com\","
                     "\"status\":\"not_found\"}");
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_by_id)
{
    struct scenario s;
    char l[2048];
    sc_start_ok(&s, CASS("by-id"), NULL);
    const char *q[] = {" 51 "};
    ck_assert_int_eq(lookup(&s, OC_LOOKUP_ID, q, 1), OC_OK);
    ck_assert_str_eq(line(&s, 0, l, sizeof l),
                     "{\"kind\":\"contact\",\"query\":\" 51 \"," ANN_RECORD);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_batch_misses)
{
    struct scenario s;
    char l[2048];
    sc_start_ok(&s, CASS("batch-misses"), NULL);
    /* ANN@ repeats ann@ (emails are case-insensitive): one input for both. */
    const char *q[] = {"ann@example.com", "nobody@example.com", "Bob@Example.com",
                       "ghost@example.com", "ANN@example.com"};
    ck_assert_int_eq(lookup(&s, OC_LOOKUP_EMAIL, q, 5), OC_E_NOT_FOUND);
    ASSERT_HAS(s.err.message, "2 of 5 queries found no contact (2 unknown to HubSpot, 0 not valid");
    ck_assert_uint_eq(s.th.nrecords, 5);
    ck_assert_uint_eq(fx_server_requests(s.srv), 1);
    /* In query order, whatever order HubSpot answered in. */
    ASSERT_HAS(line(&s, 0, l, sizeof l), "\"kind\":\"contact\",\"query\":\"ann@example.com\",\"id\":\"51\"");
    ck_assert_str_eq(line(&s, 1, l, sizeof l),
                     "{\"kind\":\"lookup_miss\",\"query\":\"nobody@example.com\","
                     "\"status\":\"not_found\"}");
    ASSERT_HAS(line(&s, 2, l, sizeof l),
               "\"kind\":\"contact\",\"query\":\"Bob@Example.com\",\"id\":\"52\","
               "\"email\":\"bob@example.com\",\"firstname\":\"Bob\",\"lastname\":\"Ray\",");
    ASSERT_LACKS(l, "company"); /* null in HubSpot's answer */
    /* Named in no error and in no result: still a miss. */
    ck_assert_str_eq(line(&s, 3, l, sizeof l),
                     "{\"kind\":\"lookup_miss\",\"query\":\"ghost@example.com\","
                     "\"status\":\"not_found\"}");
    ck_assert_str_eq(line(&s, 4, l, sizeof l),
                     "{\"kind\":\"contact\",\"query\":\"ANN@example.com\"," ANN_RECORD);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_batch_ids)
{
    struct scenario s;
    char l[2048];
    sc_start_ok(&s, CASS("batch-ids"), NULL);
    const char *q[] = {"51", "52", "999", "51"};
    ck_assert_int_eq(lookup(&s, OC_LOOKUP_ID, q, 4), OC_E_NOT_FOUND);
    ck_assert_uint_eq(s.th.nrecords, 4);
    ASSERT_HAS(line(&s, 0, l, sizeof l), "\"query\":\"51\",\"id\":\"51\"");
    ASSERT_HAS(line(&s, 1, l, sizeof l), "\"query\":\"52\",\"id\":\"52\"");
    ck_assert_str_eq(line(&s, 2, l, sizeof l),
                     "{\"kind\":\"lookup_miss\",\"query\":\"999\",\"status\":\"not_found\"}");
    ASSERT_HAS(line(&s, 3, l, sizeof l), "\"query\":\"51\",\"id\":\"51\"");
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_batch_secondary_email)
{
    struct scenario s;
    char l[2048];
    sc_start_ok(&s, CASS("batch-secondary"), NULL);
    const char *q[] = {"ann.old@example.com", "nobody@example.com"};
    ck_assert_int_eq(lookup(&s, OC_LOOKUP_EMAIL, q, 2), OC_E_NOT_FOUND);
    ASSERT_HAS(line(&s, 0, l, sizeof l),
               "\"kind\":\"contact\",\"query\":\"ann.old@example.com\",\"id\":\"51\"");
    ASSERT_HAS(line(&s, 1, l, sizeof l), "\"query\":\"nobody@example.com\",\"status\":\"not_found\"");
    ck_assert_uint_eq(fx_server_requests(s.srv), 2);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_invalid_email_no_call)
{
    struct scenario s;
    char l[512];
    sc_start_ok(&s, CASS("invalid"), NULL);
    const char *q[] = {"not-an-email", "a@@example.com", "jo@example", "", NULL};
    ck_assert_int_eq(lookup(&s, OC_LOOKUP_EMAIL, q, 5), OC_E_NOT_FOUND);
    ASSERT_HAS(s.err.message, "5 of 5 queries found no contact (0 unknown to HubSpot, 5 not valid "
                              "email addresses)");
    ck_assert_uint_eq(s.th.nrecords, 5);
    ck_assert_str_eq(line(&s, 0, l, sizeof l),
                     "{\"kind\":\"lookup_miss\",\"query\":\"not-an-email\",\"status\":\"invalid\","
                     "\"error\":\"email address has no @\"}");
    ASSERT_HAS(line(&s, 1, l, sizeof l), "\"error\":\"email address has more than one @\"");
    ASSERT_HAS(line(&s, 2, l, sizeof l), "\"error\":\"email address has no dot in the domain");
    ASSERT_HAS(line(&s, 3, l, sizeof l), "\"query\":\"\",\"status\":\"invalid\"");
    ASSERT_HAS(line(&s, 4, l, sizeof l), "\"query\":\"\",\"status\":\"invalid\"");
    ck_assert_uint_eq(fx_server_requests(s.srv), 0);

    th_forget_records(&s.th);
    const char *ids[] = {"12ab", "-5", "123456789012345678901"};
    ck_assert_int_eq(lookup(&s, OC_LOOKUP_ID, ids, 3), OC_E_NOT_FOUND);
    ck_assert_uint_eq(s.th.nrecords, 3);
    ASSERT_HAS(line(&s, 0, l, sizeof l), "\"error\":\"a HubSpot record id is digits only");
    ck_assert_uint_eq(fx_server_requests(s.srv), 0);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_invalid_mixed_with_valid)
{
    struct scenario s;
    char l[2048];
    sc_start_ok(&s, CASS("found"), NULL);
    /* The invalid one costs nothing; the valid one is a plain GET. */
    const char *q[] = {"ann@@example.com", "ann@example.com"};
    ck_assert_int_eq(lookup(&s, OC_LOOKUP_EMAIL, q, 2), OC_E_NOT_FOUND);
    ASSERT_HAS(line(&s, 0, l, sizeof l), "\"status\":\"invalid\"");
    ASSERT_HAS(line(&s, 1, l, sizeof l), "\"kind\":\"contact\",\"query\":\"ann@example.com\"");
    ck_assert_uint_eq(fx_server_requests(s.srv), 1);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_cache_saves_calls)
{
    struct scenario s;
    char l[2048];
    const char *opts[] = {"cache_ttl_ms", "60000", NULL};
    sc_start_ok(&s, CASS("cache"), opts);
    const char *ann[] = {"ann@example.com"}, *nobody[] = {"nobody@example.com"};
    ck_assert_int_eq(lookup(&s, OC_LOOKUP_EMAIL, ann, 1), OC_OK);
    ck_assert_int_eq(lookup(&s, OC_LOOKUP_EMAIL, nobody, 1), OC_E_NOT_FOUND);
    ck_assert_uint_eq(fx_server_requests(s.srv), 2);
    ck_assert_uint_eq(hs_lookup_cache_count(s.in), 2);

    /* Answer and miss again, just inside the TTL: no request at all. */
    th_advance(&s.th, 59999);
    th_forget_records(&s.th);
    const char *again[] = {"ann@example.com", "nobody@example.com", "Ann@Example.COM"};
    ck_assert_int_eq(lookup(&s, OC_LOOKUP_EMAIL, again, 3), OC_E_NOT_FOUND);
    ck_assert_uint_eq(fx_server_requests(s.srv), 2);
    ck_assert_str_eq(line(&s, 0, l, sizeof l),
                     "{\"kind\":\"contact\",\"query\":\"ann@example.com\"," ANN_RECORD);
    ck_assert_str_eq(line(&s, 1, l, sizeof l),
                     "{\"kind\":\"lookup_miss\",\"query\":\"nobody@example.com\","
                     "\"status\":\"not_found\"}");
    ASSERT_HAS(line(&s, 2, l, sizeof l), "\"query\":\"Ann@Example.COM\",\"id\":\"51\"");

    /* TTL over on the virtual clock: HubSpot is asked again. */
    th_advance(&s.th, 1);
    ck_assert_int_eq(lookup(&s, OC_LOOKUP_EMAIL, ann, 1), OC_OK);
    ck_assert_uint_eq(fx_server_requests(s.srv), 3);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_cache_off)
{
    struct scenario s;
    const char *opts[] = {"cache_ttl_ms", "0", NULL};
    sc_start_ok(&s, CASS("cache"), opts);
    const char *ann[] = {"ann@example.com"}, *nobody[] = {"nobody@example.com"};
    ck_assert_int_eq(lookup(&s, OC_LOOKUP_EMAIL, ann, 1), OC_OK);
    ck_assert_int_eq(lookup(&s, OC_LOOKUP_EMAIL, nobody, 1), OC_E_NOT_FOUND);
    ck_assert_int_eq(lookup(&s, OC_LOOKUP_EMAIL, ann, 1), OC_OK);
    ck_assert_uint_eq(fx_server_requests(s.srv), 3);
    ck_assert_uint_eq(hs_lookup_cache_count(s.in), 0);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_http_error_passed_on)
{
    struct scenario s;
    sc_start_ok(&s, CASS("forbidden"), NULL);
    const char *q[] = {"ann@example.com"};
    ck_assert_int_eq(lookup(&s, OC_LOOKUP_EMAIL, q, 1), OC_E_AUTH);
    ASSERT_HAS(s.err.message, "crm.objects.contacts.read");
    ck_assert_int_eq(s.err.http_status, 403);
    ck_assert_uint_eq(s.th.nrecords, 0);
    ck_assert_uint_eq(hs_lookup_cache_count(s.in), 0);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_host_stops)
{
    struct scenario s;
    sc_start_ok(&s, CASS("batch-misses"), NULL);
    s.th.stop_after = 2;
    const char *q[] = {"ann@example.com", "nobody@example.com", "Bob@Example.com",
                       "ghost@example.com", "ANN@example.com"};
    ck_assert_int_eq(lookup(&s, OC_LOOKUP_EMAIL, q, 5), OC_E_CANCELLED);
    ck_assert_uint_eq(s.th.nrecords, 2);
    sc_verify_stop(&s);
}
END_TEST

/* ---- a programmable server for what cassettes cannot show ---- */

struct fake {
    pthread_mutex_t mu;
    int calls, batch_calls, max_inputs;
    char last_path[512];
    char last_query[1024];
};

/* GET: 404 for everything (the raw target is kept). batch/read: every input
 * found, except those starting with "miss", named in a 207 error. */
static int fake_handler(void *ctx, const struct fx_request *req, struct fx_response *resp)
{
    struct fake *f = ctx;
    pthread_mutex_lock(&f->mu);
    f->calls++;
    snprintf(f->last_path, sizeof f->last_path, "%s", req->path);
    snprintf(f->last_query, sizeof f->last_query, "%s", req->query);
    pthread_mutex_unlock(&f->mu);
    kit_buf_puts(&resp->headers, "Content-Type: application/json\r\n");
    if(strcmp(req->method, "POST")) {
        resp->status = 404;
        kit_buf_puts(&resp->body, "{\"status\":\"error\",\"message\":\"Object not found.\","
                                 "\"correlationId\":\"x\",\"category\":\"OBJECT_NOT_FOUND\"}");
        return 0;
    }
    struct kit_json j = {0};
    if(kit_json_parse(&j, req->body, req->body_len, NULL, 0))
        return -1;
    int inputs = kit_json_get(&j, 0, "inputs");
    int n = kit_json_size(&j, inputs);
    pthread_mutex_lock(&f->mu);
    f->batch_calls++;
    if(n > f->max_inputs)
        f->max_inputs = n;
    pthread_mutex_unlock(&f->mu);
    struct kit_buf results = KIT_BUF_INIT, misses = KIT_BUF_INIT;
    for(int i = 0, t = inputs + 1; i < n; i++, t = kit_json_skip(&j, t)) {
        char *id = kit_json_strdup(&j, kit_json_get(&j, t, "id"));
        if(!id)
            continue;
        /* HubSpot keeps emails lowercased, whatever case was asked. */
        for(char *c = id; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        if(!strncmp(id, "miss", 4)) {
            kit_buf_printf(&misses, "%s\"%s\"", misses.len ? "," : "", id);
        } else {
            kit_buf_printf(&results,
                          "%s{\"id\":\"%d\",\"properties\":{\"email\":\"%s\"},"
                          "\"createdAt\":\"2025-01-01T00:00:00Z\",\"updatedAt\":\"2025-01-01T00:00:00Z\"}",
                          results.len ? "," : "", 1000 + atoi(id + 4), id);
        }
        free(id);
    }
    kit_json_free(&j);
    resp->status = misses.len ? 207 : 200;
    kit_buf_printf(&resp->body, "{\"status\":\"COMPLETE\",\"results\":[%s]", kit_buf_str(&results));
    if(misses.len)
        kit_buf_printf(&resp->body,
                      ",\"numErrors\":1,\"errors\":[{\"status\":\"error\",\"category\":"
                      "\"OBJECT_NOT_FOUND\",\"message\":\"Could not get some CONTACT objects\","
                      "\"context\":{\"ids\":[%s]}}]",
                      kit_buf_str(&misses));
    kit_buf_puts(&resp->body, "}");
    kit_buf_free(&results);
    kit_buf_free(&misses);
    return 0;
}

static void start_fake(struct scenario *s, struct fake *f, const char *const *opts)
{
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    struct fx_options fo = {.dynamic = fake_handler, .dynamic_ctx = f};
    int rc = sc_start_with(s, NULL, opts, &fo);
    ck_assert_msg(rc == 0, "sc_start_with: %s", s->err.message);
}

static void stop_fake(struct scenario *s, struct fake *f)
{
    sc_stop(s);
    pthread_mutex_destroy(&f->mu);
}

START_TEST(test_plus_encoded)
{
    struct scenario s;
    struct fake f;
    const char *opts[] = {"lookup_properties", "email, firstname ,hs_email_last_open_date", NULL};
    start_fake(&s, &f, opts);
    const char *q[] = {"jo+news@example.com"};
    ck_assert_int_eq(lookup(&s, OC_LOOKUP_EMAIL, q, 1), OC_E_NOT_FOUND);
    ck_assert_int_eq(f.calls, 1);
    /* '+' would read as a space to many servers, so it travels as %2B. */
    char want[120];
    snprintf(want, sizeof want, "%s", apiver_path(HS_EP_CONTACT));
    strcpy(strstr(want, "{}"), "jo%2Bnews%40example.com");
    ck_assert_str_eq(f.last_path, want);
    ck_assert_str_eq(f.last_query,
                     "idProperty=email&properties=email,firstname,hs_email_last_open_date");
    ASSERT_HAS(kit_buf_str(&s.th.records), "\"query\":\"jo+news@example.com\",\"status\":\"not_found\"");
    stop_fake(&s, &f);
}
END_TEST

START_TEST(test_batches_of_100)
{
    struct scenario s;
    struct fake f;
    char l[512], want[128];
    start_fake(&s, &f, NULL);
    enum { N = 250 };
    static char buf[N + 10][48];
    const char *q[N + 10];
    for(int i = 0; i < N; i++) {
        snprintf(buf[i], sizeof buf[i], "%s%03d@example.com", i % 10 == 3 ? "miss" : "user", i);
        q[i] = buf[i];
    }
    for(int i = 0; i < 10; i++) /* duplicates cost nothing */
        q[N + i] = buf[i * 7];
    ck_assert_int_eq(lookup(&s, OC_LOOKUP_EMAIL, q, N + 10), OC_E_NOT_FOUND);
    ck_assert_int_eq(f.batch_calls, 3);
    ck_assert_int_eq(f.calls, 3);
    ck_assert_int_eq(f.max_inputs, 100);
    ck_assert_uint_eq(s.th.nrecords, N + 10);
    for(int i = 0; i < N + 10; i++) {
        const char *src = q[i];
        line(&s, (size_t)i, l, sizeof l);
        snprintf(want, sizeof want, "\"query\":\"%s\"", src);
        ASSERT_HAS(l, want);
        ASSERT_HAS(l, strncmp(src, "miss", 4) ? "\"kind\":\"contact\"" : "\"status\":\"not_found\"");
    }
    stop_fake(&s, &f);
}
END_TEST

START_TEST(test_cache_evicts_oldest)
{
    struct scenario s;
    struct fake f;
    start_fake(&s, &f, NULL);
    ck_assert_int_eq(hs_lookup_cache_limit(s.in, 2), OC_OK);
    ck_assert_int_eq(hs_lookup_cache_limit(s.in, 0), OC_E_INVALID);
    ck_assert_int_eq(hs_lookup_cache_limit(s.in, 2), OC_OK);
    const char *a[] = {"a@example.com"}, *b[] = {"b@example.com"}, *c[] = {"c@example.com"};
    lookup(&s, OC_LOOKUP_EMAIL, a, 1);
    lookup(&s, OC_LOOKUP_EMAIL, b, 1);
    lookup(&s, OC_LOOKUP_EMAIL, c, 1);
    ck_assert_int_eq(f.calls, 3);
    ck_assert_uint_eq(hs_lookup_cache_count(s.in), 2);
    lookup(&s, OC_LOOKUP_EMAIL, c, 1); /* newest: kept */
    lookup(&s, OC_LOOKUP_EMAIL, b, 1);
    ck_assert_int_eq(f.calls, 3);
    lookup(&s, OC_LOOKUP_EMAIL, a, 1); /* oldest: was evicted */
    ck_assert_int_eq(f.calls, 4);
    ck_assert_uint_eq(hs_lookup_cache_count(s.in), 2);
    stop_fake(&s, &f);
}
END_TEST

/* ---- queries that arrive over time (next_query) ---- */

/* A scripted stream on the test host's virtual clock: query i arrives at
 * at[i] ms after the start; the stream ends at end_ms. Each call notes the
 * wait the plugin asked for and how many answers were out by then. */
struct script {
    struct scenario *s;
    int64_t t0, end_ms;
    const char *const *q;
    const int *by;       /* NULL: all emails */
    const int64_t *at;   /* NULL: all at once */
    size_t n, next;
    int ncalls;
    int64_t waits[64];
    size_t answered[64]; /* records out when call i was made */
    int fail_with;       /* nonzero: the next call after all queries fails */
};

static oc_status script_next(void *ctx, int64_t wait_ms, int *by, const char **query)
{
    struct script *sc = ctx;
    struct testhost *th = &sc->s->th;
    if(sc->ncalls < 64) {
        sc->waits[sc->ncalls] = wait_ms;
        sc->answered[sc->ncalls] = th->nrecords;
    }
    sc->ncalls++;
    int64_t now = th->now_ms - sc->t0;
    int64_t due = sc->next < sc->n ? (sc->at ? sc->at[sc->next] : 0) : sc->end_ms;
    if(due > now) {
        if(wait_ms >= 0 && due - now > wait_ms) {
            th_advance(th, wait_ms);
            return OC_E_AGAIN;
        }
        th_advance(th, due - now);
    }
    if(sc->next >= sc->n)
        return sc->fail_with ? sc->fail_with : OC_E_NOT_FOUND;
    *by = sc->by ? sc->by[sc->next] : OC_LOOKUP_EMAIL;
    *query = sc->q[sc->next++];
    return OC_OK;
}

static oc_status stream(struct scenario *s, struct script *sc)
{
    struct oc_lookup_request req = {sizeof req};
    sc->s = s;
    sc->t0 = s->th.now_ms;
    req.next_query = script_next;
    req.next_query_ctx = sc;
    return hs_lookup(s->in, &req, &s->err);
}

/* The record lines of s, sorted, so two runs' answers compare as sets. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *sorted_records(const struct scenario *s)
{
    char *text = strdup(kit_buf_str(&s->th.records)), *save = NULL;
    char *lines[512];
    size_t n = 0;
    for(char *l = strtok_r(text, "\n", &save); l && n < 512; l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    qsort(lines, n, sizeof *lines, cmp_str);
    struct kit_buf out = KIT_BUF_INIT;
    for(size_t i = 0; i < n; i++)
        kit_buf_printf(&out, "%s\n", lines[i]);
    free(text);
    return kit_buf_take(&out);
}

START_TEST(test_stream_same_as_bulk)
{
    enum { N = 230 };
    static char buf[N][48];
    const char *q[N];
    for(int i = 0; i < N; i++) {
        /* Misses, invalid addresses and repeats (some in another case). */
        if(i % 17 == 5)
            snprintf(buf[i], sizeof buf[i], "not-an-address-%d", i);
        else if(i % 11 == 4)
            snprintf(buf[i], sizeof buf[i], "USER%03d@example.com", i / 2);
        else
            snprintf(buf[i], sizeof buf[i], "%s%03d@example.com", i % 10 == 3 ? "miss" : "user",
                     i % 9 == 8 ? i - 8 : i);
        q[i] = buf[i];
    }
    const char *opts[] = {"cache_ttl_ms", "0", "linger_ms", "60000", NULL};
    struct scenario a, b;
    struct fake fa, fb;
    start_fake(&a, &fa, opts);
    oc_status bulk = lookup(&a, OC_LOOKUP_EMAIL, q, N);
    start_fake(&b, &fb, opts);
    struct script sc = {.q = q, .n = N};
    oc_status st = stream(&b, &sc);
    ck_assert_int_eq(bulk, OC_E_NOT_FOUND);
    ck_assert_int_eq(st, bulk);
    ck_assert_str_eq(b.err.message, a.err.message);
    ck_assert_uint_eq(b.th.nrecords, N);
    char *ra = sorted_records(&a), *rb = sorted_records(&b);
    ck_assert_msg(!strcmp(rb, ra), "stream and bulk answered differently");
    free(ra);
    free(rb);
    /* Full batches of 100 distinct queries, as the bulk lookup sends. */
    ck_assert_int_eq(fb.max_inputs, 100);
    ck_assert_int_le(fb.calls, fa.calls + 1);
    stop_fake(&a, &fa);
    stop_fake(&b, &fb);
}
END_TEST

START_TEST(test_stream_lingers_on_the_virtual_clock)
{
    struct scenario s;
    struct fake f;
    const char *opts[] = {"linger_ms", "300", NULL};
    start_fake(&s, &f, opts);
    const char *q[] = {"user001@example.com", "miss002@example.com", "user003@example.com"};
    const int64_t at[] = {0, 100, 1000};
    struct script sc = {.q = q, .at = at, .n = 3, .end_ms = 5000};
    ck_assert_int_eq(stream(&s, &sc), OC_E_NOT_FOUND);
    /* The fake answers every GET with 404: the lone third is a miss too. */
    ASSERT_HAS(s.err.message, "2 of 3 queries found no contact");
    /* Nothing held: wait for a query; then the oldest's linger left. */
    ck_assert_int_eq(sc.ncalls, 6);
    const int64_t waits[] = {-1, 300, 200, -1, 300, -1};
    for(int i = 0; i < 6; i++)
        ck_assert_msg(sc.waits[i] == waits[i], "call %d waited %lld, not %lld", i,
                      (long long)sc.waits[i], (long long)waits[i]);
    /* The first two went out together at 300 ms and were answered before
     * the third arrived; the third alone (a GET) at 1300 ms. */
    ck_assert_uint_eq(sc.answered[3], 2);
    ck_assert_uint_eq(sc.answered[4], 2);
    ck_assert_uint_eq(sc.answered[5], 3);
    ck_assert_int_eq(f.batch_calls, 1);
    ck_assert_int_eq(f.calls, 2);
    ck_assert_int_eq((int)(s.th.now_ms - sc.t0), 5000);
    stop_fake(&s, &f);
}
END_TEST

START_TEST(test_stream_full_batch_and_max_pending_go_at_once)
{
    struct scenario s;
    struct fake f;
    enum { N = 250 };
    static char buf[N][48];
    const char *q[N];
    for(int i = 0; i < N; i++) {
        snprintf(buf[i], sizeof buf[i], "user%03d@example.com", i);
        q[i] = buf[i];
    }
    const char *opts[] = {"linger_ms", "60000", NULL};
    start_fake(&s, &f, opts);
    struct script sc = {.q = q, .n = N, .end_ms = 1};
    ck_assert_int_eq(stream(&s, &sc), OC_OK);
    ck_assert_int_eq(f.batch_calls, 3);
    ck_assert_int_eq(f.max_inputs, 100);
    /* The 100th distinct query sent its batch before the 101st was asked. */
    ck_assert_uint_eq(sc.answered[60], 0);
    stop_fake(&s, &f);

    const char *small[] = {"linger_ms", "60000", "max_pending", "5", NULL};
    start_fake(&s, &f, small);
    struct script sc2 = {.q = q, .n = 12, .end_ms = 1};
    ck_assert_int_eq(stream(&s, &sc2), OC_OK);
    ck_assert_int_eq(f.batch_calls, 3); /* 5, 5, then the last 2 at the end */
    ck_assert_int_eq(f.calls, 3);
    /* Five held: sent before a sixth is asked for. */
    ck_assert_uint_eq(sc2.answered[4], 0);
    ck_assert_uint_eq(sc2.answered[5], 5);
    stop_fake(&s, &f);
}
END_TEST

START_TEST(test_stream_cache_hits_answer_at_once)
{
    struct scenario s;
    struct fake f;
    const char *opts[] = {"linger_ms", "300", NULL};
    start_fake(&s, &f, opts);
    const char *q[] = {"user001@example.com", "miss002@example.com"};
    struct script sc = {.q = q, .n = 2, .end_ms = 1000};
    ck_assert_int_eq(stream(&s, &sc), OC_E_NOT_FOUND);
    ck_assert_int_eq(f.calls, 1);
    th_forget_records(&s.th);
    const char *again[] = {"USER001@example.com", "miss002@example.com", "bad address"};
    struct script sc2 = {.q = again, .n = 3, .end_ms = 1000};
    ck_assert_int_eq(stream(&s, &sc2), OC_E_NOT_FOUND);
    ck_assert_int_eq(f.calls, 1);
    /* Each answered before the next query was asked for, with nothing held. */
    ck_assert_uint_eq(sc2.answered[1], 1);
    ck_assert_uint_eq(sc2.answered[2], 2);
    ck_assert_int_eq(sc2.waits[3], -1);
    ASSERT_HAS(kit_buf_str(&s.th.records), "\"query\":\"USER001@example.com\",\"id\":\"1001\"");
    ASSERT_HAS(s.err.message, "2 of 3 queries found no contact (1 unknown to HubSpot, 1 not valid");
    stop_fake(&s, &f);
}
END_TEST

START_TEST(test_stream_mixed_kinds_from_cassette)
{
    /* Ids and emails in one stream go out as their own calls: the ids as
     * one batch read (as the bulk lookup of lookup-batch-ids does), the
     * email as its own GET (lookup-found). */
    struct scenario s;
    sc_start_ok(&s, CASS("batch-ids"), NULL);
    const char *q[] = {"51", "52", "999"};
    const int by[] = {OC_LOOKUP_ID, OC_LOOKUP_ID, OC_LOOKUP_ID};
    struct script sc = {.q = q, .by = by, .n = 3, .end_ms = 10};
    ck_assert_int_eq(stream(&s, &sc), OC_E_NOT_FOUND);
    ASSERT_HAS(s.err.message, "1 of 3 queries found no contact (1 unknown to HubSpot, 0 not valid "
                              "record ids)");
    ck_assert_uint_eq(s.th.nrecords, 3);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(test_stream_host_failure_aborts)
{
    struct scenario s;
    struct fake f;
    start_fake(&s, &f, NULL);
    const char *q[] = {"user001@example.com"};
    struct script sc = {.q = q, .n = 1, .end_ms = 0, .fail_with = OC_E_IO};
    ck_assert_int_eq(stream(&s, &sc), OC_E_IO);
    ASSERT_HAS(s.err.message, "next_query failed (status 12); 1 held query was not answered");
    ck_assert_int_eq(f.calls, 0);
    stop_fake(&s, &f);
}
END_TEST

static oc_status never_called(void *ctx, int64_t wait_ms, int *by, const char **query)
{
    (void)ctx, (void)wait_ms, (void)by, (void)query;
    ck_abort_msg("next_query read beyond a 1.0 request's struct_size");
    return OC_E_IO;
}

START_TEST(test_abi_1_0_request_ignores_next_query)
{
    struct scenario s;
    sc_start_ok(&s, CASS("found"), NULL);
    const char *q[] = {"ann@example.com"};
    struct oc_lookup_request req = {offsetof(struct oc_lookup_request, next_query),
                                    OC_LOOKUP_EMAIL, 1, q};
    req.next_query = never_called; /* beyond what a 1.0 host wrote */
    ck_assert_int_eq(hs_lookup(s.in, &req, &s.err), OC_OK);
    ck_assert_uint_eq(s.th.nrecords, 1);
    sc_verify_stop(&s);
}
END_TEST

/* ---- ochost lookup --follow, a real process on a real pipe ---- */

struct live {
    struct ochrun_env e;
    struct fx_server *srv;
    struct fake f;
    char cfg[4300], state[4300], fifo[4300];
    int out;       /* ochost's stdout, read end */
    int in;        /* the FIFO, write end */
    pid_t pid;
    char pending[8192];
    size_t npending;
};

static void live_server(struct live *l, const char *extra_config)
{
    char why[256], text[1024];
    memset(&l->f, 0, sizeof l->f);
    pthread_mutex_init(&l->f.mu, NULL);
    struct fx_options fo = {.dynamic = fake_handler, .dynamic_ctx = &l->f};
    ck_assert_msg(fx_server_start(NULL, &fo, &l->srv, why, sizeof why) == 0, "%s", why);
    snprintf(text, sizeof text, "access_token = %s\nbase_url = %s\n%s", FX_PLACEHOLDER_TOKEN,
             fx_server_url(l->srv), extra_config);
    ochrun_write_file(&l->e, "ochost.conf", text, 0600, l->cfg, sizeof l->cfg);
    snprintf(l->state, sizeof l->state, "%s/ochost.state", l->e.tmp);
}

static void live_start(struct live *l, const char *extra_config)
{
    int p[2];
    ochrun_setup(&l->e);
    live_server(l, extra_config);
    snprintf(l->fifo, sizeof l->fifo, "%s/queries", l->e.tmp);
    ck_assert_int_eq(mkfifo(l->fifo, 0600), 0);
    ck_assert_int_eq(pipe(p), 0);
    struct ochrun_opts o = {.stdout_fd = p[1]};
    l->pid = ochrun_start(&l->e,
                          (const char *[]){"--manifest", l->e.manifest, "--config", l->cfg,
                                           "--state", l->state, "lookup", "--follow", "--input",
                                           l->fifo, NULL},
                          NULL, &o);
    close(p[1]);
    l->out = p[0];
    l->in = open(l->fifo, O_WRONLY | O_CLOEXEC); /* once ochost opened it */
    ck_assert_int_ge(l->in, 0);
    l->npending = 0;
}

static void live_write(struct live *l, const char *text)
{
    ck_assert_int_eq(write(l->in, text, strlen(text)), (ssize_t)strlen(text));
}

/* The next line ochost printed (without its newline), or "" at end of
 * output. A stuck ochost fails the test after 20 s instead of hanging. */
static const char *live_line(struct live *l, char *line, size_t size)
{
    for(;;) {
        char *nl = memchr(l->pending, '\n', l->npending);
        if(nl) {
            size_t n = (size_t)(nl - l->pending);
            ck_assert_uint_lt(n, size);
            memcpy(line, l->pending, n);
            line[n] = '\0';
            memmove(l->pending, nl + 1, l->npending - n - 1);
            l->npending -= n + 1;
            return line;
        }
        struct pollfd pf = {l->out, POLLIN, 0};
        ck_assert_msg(poll(&pf, 1, 20000) == 1, "ochost printed no answer within 20 s");
        ck_assert_uint_lt(l->npending, sizeof l->pending);
        ssize_t got = read(l->out, l->pending + l->npending, sizeof l->pending - l->npending);
        ck_assert_int_ge(got, 0);
        if(got == 0) {
            line[0] = '\0';
            return line;
        }
        l->npending += (size_t)got;
    }
}

/* The next line ochost printed must hold needle. (Not ASSERT_HAS on
 * live_line: the macro evaluates its text again for the message, which
 * would wait for another line and report a timeout instead.) */
static void live_expect(struct live *l, const char *needle)
{
    char line[2048];
    const char *got = live_line(l, line, sizeof line);
    ASSERT_HAS(got, needle);
}

static int live_calls(struct live *l)
{
    pthread_mutex_lock(&l->f.mu);
    int n = l->f.calls;
    pthread_mutex_unlock(&l->f.mu);
    return n;
}

static void live_finish(struct live *l, struct ochrun *r)
{
    if(l->in >= 0)
        close(l->in);
    struct ochrun_opts o = {.stdout_fd = 1};
    ochrun_wait(&l->e, l->pid, &o, r);
    close(l->out);
    fx_server_stop(l->srv);
    pthread_mutex_destroy(&l->f.mu);
}

START_TEST(test_follow_answers_each_as_it_arrives)
{
    struct live l;
    struct ochrun r;
    char line[2048];
    live_start(&l, "linger_ms = 20\n");
    /* Two in one write: held together, one batch read, answered in order
     * (the fake finds contacts only through batch reads). */
    live_write(&l, "user001@example.com\nmiss003@example.com\n");
    live_expect(&l, "\"query\":\"user001@example.com\",\"id\":\"1001\"");
    live_expect(&l, "\"kind\":\"lookup_miss\",\"query\":\"miss003@example.com\"");
    ck_assert_int_eq(live_calls(&l), 1);
    /* Written after those were answered: a call of its own. */
    live_write(&l, "user002@example.com\n12345\n");
    live_expect(&l, "\"query\":\"user002@example.com\"");
    live_expect(&l, "\"query\":\"12345\"");
    ck_assert_int_eq(live_calls(&l), 3); /* an email and an id: two calls */
    /* Known now: answered from the cache, no call. */
    live_write(&l, "USER001@example.com\n");
    live_expect(&l, "\"query\":\"USER001@example.com\",\"id\":\"1001\"");
    ck_assert_int_eq(live_calls(&l), 3);
    close(l.in);
    l.in = -1;
    ck_assert_str_eq(live_line(&l, line, sizeof line), "");
    live_finish(&l, &r);
    ck_assert_int_eq(r.code, 3); /* miss003 found nothing */
    ASSERT_HAS(OCHRUN_ERR(&r), "found, ");
    ochrun_free(&r);
    ochrun_teardown(&l.e);
}
END_TEST

START_TEST(test_follow_sigterm_answers_what_was_read)
{
    struct live l;
    struct ochrun r;
    char line[2048];
    /* Nothing would go out for a minute but for the signal. */
    live_start(&l, "linger_ms = 60000\n");
    /* An invalid query is answered at once: ochost is following now. */
    live_write(&l, "not an address\n");
    live_expect(&l, "\"status\":\"invalid\"");
    live_write(&l, "user004@example.com\nuser005@example.com\n");
    kill(l.pid, SIGTERM);
    live_expect(&l, "\"query\":\"user004@example.com\"");
    live_expect(&l, "\"query\":\"user005@example.com\"");
    ck_assert_str_eq(live_line(&l, line, sizeof line), "");
    live_finish(&l, &r);
    ck_assert_int_eq(r.code, 3);
    ck_assert_int_eq(l.f.calls, 1);
    ochrun_free(&r);
    ochrun_teardown(&l.e);
}
END_TEST

/* A query that arrives in pieces does not hold back the ones already
 * held: ochost takes only the bytes poll(2) says are there, so the held
 * queries are answered when their linger is up while the next line still
 * waits for its end, which then gets its own answer. */
START_TEST(test_follow_line_in_pieces_does_not_block_the_linger)
{
    struct live l;
    struct ochrun r;
    char line[2048];
    live_start(&l, "linger_ms = 1000\n");
    /* All read at once: the invalid one is answered at once, the two
     * addresses are held for one batch read. */
    live_write(&l, "user001@example.com\nuser003@example.com\nnot an address\n");
    live_expect(&l, "\"status\":\"invalid\"");
    live_write(&l, "user002@exa");
    live_expect(&l, "\"query\":\"user001@example.com\",\"id\":\"1001\"");
    live_expect(&l, "\"query\":\"user003@example.com\",\"id\":\"1003\"");
    ck_assert_int_eq(live_calls(&l), 1);
    live_write(&l, "mple.com\n");
    close(l.in);
    l.in = -1;
    live_expect(&l, "\"query\":\"user002@example.com\"");
    ck_assert_str_eq(live_line(&l, line, sizeof line), "");
    live_finish(&l, &r);
    ck_assert_msg(r.code == 3, "exit %d: %s", r.code, OCHRUN_ERR(&r)); /* the invalid query */
    ck_assert_int_eq(l.f.calls, 2);
    ochrun_free(&r);
    ochrun_teardown(&l.e);
}
END_TEST

/* The cache in the state file: a second run within the TTL asks nothing,
 * a run after it asks again (each run's clock set by the test). */
START_TEST(test_second_run_uses_the_state_cache)
{
    struct live l;
    struct ochrun r;
    char clock[64];
    ochrun_setup(&l.e);
    live_server(&l, "cache_ttl_ms = 60000\n");
    const int64_t at[] = {0, 59999, 60000};
    const int calls[] = {1, 1, 2};
    for(int i = 0; i < 3; i++) {
        snprintf(clock, sizeof clock, "OCHOST_VIRTUAL_CLOCK_MS=%lld",
                 (long long)(INT64_C(1795824000000) + at[i]));
        ochrun(&l.e, &r,
               (const char *[]){"--manifest", l.e.manifest, "--config", l.cfg, "--state", l.state,
                                "lookup", "--email", i == 1 ? "User001@Example.com"
                                                            : "user001@example.com",
                                "user002@example.com", NULL},
               (const char *[]){clock, NULL}, NULL);
        ck_assert_msg(r.code == 0, "run %d: %s", i, OCHRUN_ERR(&r));
        ASSERT_HAS(OCHRUN_OUT(&r), "\"id\":\"1001\"");
        ck_assert_int_eq(live_calls(&l), calls[i]);
        ochrun_free(&r);
    }
    fx_server_stop(l.srv);
    pthread_mutex_destroy(&l.f.mu);
    ochrun_teardown(&l.e);
}
END_TEST

START_TEST(test_token_never_shown)
{
    static const struct {
        const char *cassette;
        int by;
        const char *q[3];
        size_t n;
    } runs[] = {
        {CASS("found"), OC_LOOKUP_EMAIL, {"ann@example.com"}, 1},
        {CASS("not-found"), OC_LOOKUP_EMAIL, {"nobody@example.com"}, 1},
        {CASS("forbidden"), OC_LOOKUP_EMAIL, {"ann@example.com"}, 1},
        {CASS("batch-ids"), OC_LOOKUP_ID, {"51", "52", "999"}, 3},
    };
    for(size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        struct scenario s;
        sc_start_ok(&s, runs[i].cassette, NULL);
        lookup(&s, runs[i].by, runs[i].q, runs[i].n);
        const char *where[] = {kit_buf_str(&s.th.records), kit_buf_str(&s.th.logs), s.err.message};
        for(size_t k = 0; k < 3; k++) {
            ck_assert_msg(strstr(where[k], "pat-na1-") == NULL, "token in %s", where[k]);
            ck_assert_msg(strstr(where[k], "00000000-0000-4000-8000") == NULL, "token in %s",
                          where[k]);
        }
        sc_verify_stop(&s);
    }
}
END_TEST

START_TEST(test_email_syntax)
{
    static const char *const good[] = {
        "ann@example.com", "jo+news@example.com", "a.b-c_d@sub.example.co.uk",
        "x@xn--bcher-kva.example", "o'brien@example.ie", "user@\xc3\xa9xample.fr",
        "\xe7\x94\xa8\xe6\x88\xb7@example.cn", "1@example.com",
    };
    static const char *const bad[] = {
        "", "plain", "@example.com", "ann@", "ann@@example.com", "a@b@example.com",
        "ann@example", ".ann@example.com", "ann.@example.com", "an..n@example.com",
        "ann smith@example.com", "ann@exa mple.com", "ann@-example.com", "ann@example-.com",
        "ann@example..com", "ann@.example.com", "ann@example.com.", "ann@[127.0.0.1]",
        "ann@example.123", "\"ann\"@example.com", "ann,bob@example.com", "ann@exa_mple.com",
        "ann\xff@example.com", "ann@example.c\xc3", "ann\r@example.com",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com",
    };
    for(size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ck_assert_msg(hs_email_valid(good[i]), "'%s' rejected: %s", good[i],
                      hs_email_problem(good[i]));
    for(size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!hs_email_valid(bad[i]), "'%s' accepted", bad[i]);
    ck_assert(!hs_email_valid(NULL));
    ck_assert_str_eq(hs_email_problem("plain"), "has no @");
    char longest[300];
    memset(longest, 'a', sizeof longest);
    memcpy(longest + 240, "@example.com", 13);
    ck_assert_str_eq(hs_email_problem(longest), "has more than 64 characters before the @");
    memset(longest, 'a', sizeof longest);
    longest[299] = '\0';
    longest[10] = '@';
    ck_assert_str_eq(hs_email_problem(longest), "is longer than 254 characters");
}
END_TEST

extern Suite *make_lookup_suite(void);
Suite *make_lookup_suite(void)
{
    Suite *s = suite_create("lookup");
    TCase *tc = tcase_create("lookup");
    tcase_add_test(tc, test_found);
    tcase_add_test(tc, test_not_found);
    tcase_add_test(tc, test_by_id);
    tcase_add_test(tc, test_batch_misses);
    tcase_add_test(tc, test_batch_ids);
    tcase_add_test(tc, test_batch_secondary_email);
    tcase_add_test(tc, test_invalid_email_no_call);
    tcase_add_test(tc, test_invalid_mixed_with_valid);
    tcase_add_test(tc, test_cache_saves_calls);
    tcase_add_test(tc, test_cache_off);
    tcase_add_test(tc, test_http_error_passed_on);
    tcase_add_test(tc, test_host_stops);
    tcase_add_test(tc, test_plus_encoded);
    tcase_add_test(tc, test_batches_of_100);
    tcase_add_test(tc, test_cache_evicts_oldest);
    tcase_add_test(tc, test_token_never_shown);
    tcase_add_test(tc, test_email_syntax);
    tcase_add_test(tc, test_stream_same_as_bulk);
    tcase_add_test(tc, test_stream_lingers_on_the_virtual_clock);
    tcase_add_test(tc, test_stream_full_batch_and_max_pending_go_at_once);
    tcase_add_test(tc, test_stream_cache_hits_answer_at_once);
    tcase_add_test(tc, test_stream_mixed_kinds_from_cassette);
    tcase_add_test(tc, test_stream_host_failure_aborts);
    tcase_add_test(tc, test_abi_1_0_request_ignores_next_query);
    tcase_add_test(tc, test_follow_answers_each_as_it_arrives);
    tcase_add_test(tc, test_follow_sigterm_answers_what_was_read);
    tcase_add_test(tc, test_follow_line_in_pieces_does_not_block_the_linger);
    tcase_add_test(tc, test_second_run_uses_the_state_cache);
    suite_add_tcase(s, tc);
    return s;
}
