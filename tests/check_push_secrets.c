/* check_push_secrets.c - a push_result never carries the token, though
 * the push checks text for secrets once where it enters (an input when it
 * is read, an upsert answer's results once per answer) instead of every
 * field of every result: a stand-in HubSpot echoes the token in a record
 * id, in a per-contact error and in an address the input gave, and every
 * one reaches its push_result masked. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/push.h"
#include "plugin/json.h"
#include "plugin/redact.h"
#include "tests/support/apiver.h"
#include "tests/support/hspush.h"
#include "tests/support/scenario_check.h"

/* Split so that no token-shaped literal sits in the tree. */
#define TOKEN "pat-na1-" "00000000-0000-4000-8000-000000000000"
#define TOKEN_PART "00000000-0000-4000-8000"
#define LIST "4242"

/* HubSpot as a server that echoes the token: an address starting
 * "idecho" gets a record id holding it, one starting "errecho" a 207
 * error whose message holds it; memberships/add adds every id it gets. */
static int echoing_hubspot(void *ctx, const struct fx_request *req, struct fx_response *resp)
{
    (void)ctx;
    if(hspush_answer_plain(req, resp, "Echo"))
        return 0;
    resp->status = 200;
    kit_buf_puts(&resp->headers, "Content-Type: application/json\r\n");
    struct kit_json j = {0};
    if(kit_json_parse(&j, req->body, req->body_len, NULL, 0))
        return -1;
    struct kit_buf errs = KIT_BUF_INIT;
    int inputs = kit_json_get(&j, 0, "inputs"), nres = 0, nerr = 0;
    kit_buf_puts(&resp->body, "{\"status\":\"COMPLETE\",\"results\":[");
    for(int i = 0, t = inputs + 1; i < kit_json_size(&j, inputs); i++, t = kit_json_skip(&j, t)) {
        char *email = kit_json_strdup(&j, kit_json_get(&j, t, "id"));
        char *trace = kit_json_strdup(&j, kit_json_get(&j, t, "objectWriteTraceId"));
        ck_assert(email && trace);
        if(!strncmp(email, "errecho", 7)) {
            kit_buf_printf(&errs,
                           "%s{\"status\":\"error\",\"category\":\"VALIDATION_ERROR\",\"message\":"
                           "\"%s is invalid for " TOKEN "\",\"context\":{\"objectWriteTraceId\":[\"%s\"]}}",
                           nerr++ ? "," : "", email, trace);
        } else {
            kit_buf_printf(&resp->body, "%s{\"id\":\"%s%d\",\"objectWriteTraceId\":\"%s\",\"new\":true}",
                           nres++ ? "," : "", !strncmp(email, "idecho", 6) ? "7 " TOKEN " " : "", 500 + i,
                           trace);
        }
        free(email);
        free(trace);
    }
    kit_buf_puts(&resp->body, "],\"errors\":[");
    kit_buf_append(&resp->body, errs.data, errs.len);
    kit_buf_puts(&resp->body, "]}");
    if(nerr)
        resp->status = 207;
    kit_buf_free(&errs);
    kit_json_free(&j);
    return 0;
}

struct feed {
    const char *const *emails;
    size_t n, pos;
    char id[32];
    struct oc_field f[2];
};

static oc_status feed_next(void *ctx, struct oc_record *r)
{
    struct feed *f = ctx;
    if(f->pos >= f->n)
        return OC_E_NOT_FOUND;
    const char *email = f->emails[f->pos++];
    snprintf(f->id, sizeof f->id, "line %zu", f->pos + 1);
    f->f[0] = (struct oc_field){"email", email, OC_FIELD_STRING};
    f->f[1] = (struct oc_field){"firstname", "Echo", OC_FIELD_STRING};
    r->kind = "contact";
    r->id = f->id;
    r->fields = f->f;
    r->nfields = 2;
    return OC_OK;
}

/* The push_result line of input "line <n>". */
static const char *line_of(const char *records, int n, char *out, size_t size)
{
    char key[48];
    snprintf(key, sizeof key, "\"input\":\"line %d\"", n);
    const char *at = strstr(records, key);
    ck_assert_msg(at != NULL, "no result for line %d in: %s", n, records);
    while(at > records && at[-1] != '\n')
        at--;
    const char *nl = strchr(at, '\n');
    snprintf(out, size, "%.*s", (int)(nl ? nl - at : (long)strlen(at)), at);
    return out;
}

static void push_echoes(const char *const *emails, size_t n, struct scenario *s)
{
    static const char *const opts[] = {"cache_ttl_ms", "0", NULL};
    struct fx_options fo = {.dynamic = echoing_hubspot};
    int rc = sc_start_with(s, NULL, opts, &fo);
    ck_assert_msg(rc == 0, "%s", s->err.message);
    struct feed f = {.emails = emails, .n = n};
    struct oc_push_request req = {sizeof req, LIST, feed_next, &f};
    s->err.struct_size = sizeof s->err;
    hs_push(s->in, &req, &s->err);
    ck_assert_uint_eq(s->th.nrecords, n);
    ASSERT_LACKS(kit_buf_str(&s->th.records), TOKEN_PART);
}

/* A record id from an answer whose results hold the token: the answer is
 * checked once, found suspect, and the result is masked field by field. */
START_TEST(test_token_in_a_record_id_is_masked)
{
    static const char *const emails[] = {"ann@example.com", "idecho@example.com", "bob@example.com"};
    struct scenario s;
    push_echoes(emails, 3, &s);
    char line[1024];
    ASSERT_HAS(line_of(kit_buf_str(&s.th.records), 3, line, sizeof line), "\"id\":\"7 " KIT_REDACTED " 501\"");
    ASSERT_HAS(line, "\"status\":\"added\"");
    /* The other results of that answer are masked too (nothing to mask). */
    ASSERT_HAS(line_of(kit_buf_str(&s.th.records), 2, line, sizeof line), "\"id\":\"500\"");
    sc_stop(&s);
}
END_TEST

/* A per-contact error echoing the token: the error text is HubSpot's. */
START_TEST(test_token_in_a_contact_error_is_masked)
{
    static const char *const emails[] = {"ann@example.com", "errecho@example.com"};
    struct scenario s;
    push_echoes(emails, 2, &s);
    char line[1024];
    ASSERT_HAS(line_of(kit_buf_str(&s.th.records), 3, line, sizeof line), "is invalid for " KIT_REDACTED);
    ASSERT_HAS(line, "\"status\":\"failed\"");
    sc_stop(&s);
}
END_TEST

/* The input's own text holding a token shape reaches its result masked,
 * as before the results stopped being scanned field by field: the input
 * is checked once when read. */
START_TEST(test_token_in_the_input_is_masked)
{
    static const char *const emails[] = {"ann@example.com", TOKEN "@example.com"};
    struct scenario s;
    push_echoes(emails, 2, &s);
    char line[1024];
    ASSERT_HAS(line_of(kit_buf_str(&s.th.records), 3, line, sizeof line), "\"email\":\"" KIT_REDACTED "@example.com\"");
    ASSERT_HAS(line, "\"status\":\"added\"");
    sc_stop(&s);
}
END_TEST

Suite *make_push_secrets_suite(void);
Suite *make_push_secrets_suite(void)
{
    Suite *s = suite_create("push_secrets");
    TCase *tc = tcase_create("echoes");
    tcase_add_test(tc, test_token_in_a_record_id_is_masked);
    tcase_add_test(tc, test_token_in_a_contact_error_is_masked);
    tcase_add_test(tc, test_token_in_the_input_is_masked);
    suite_add_tcase(s, tc);
    return s;
}
