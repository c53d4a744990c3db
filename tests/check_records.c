/* check_records.c - what records carry for the host they go to: nested
 * values as JSON for an ABI 1.1 host and as strings for a 1.0 one, and an
 * ISO 8601 twin after every time in milliseconds; through the plugin on a
 * cassette, and through the built ochost. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/host.h"
#include "hubspot/instance.h"
#include "plugin/json.h"
#include "plugin/record.h"
#include "tests/support/ochrun.h"
#include "tests/support/scenario.h"
#include "tests/support/scenario_check.h"

#define NOW INT64_C(1795824000000) /* the cassettes' recorded_at, 2026-11-28T00:00:00Z */
#define HOUR INT64_C(3600000)
#define UNKNOWN_TYPES "fixtures/hubspot/pull-unknown-types.json"

/* Line n (0-based) of text, copied into line. */
static void nth_line(const char *text, size_t n, struct kit_buf *line)
{
    const char *p = text;
    for(size_t i = 0; i < n; i++) {
        p = strchr(p, '\n');
        ck_assert_msg(p != NULL, "fewer than %zu lines in:\n%s", n + 1, text);
        p++;
    }
    const char *nl = strchr(p, '\n');
    kit_buf_reset(line);
    kit_buf_append(line, p, nl ? (size_t)(nl - p) : strlen(p));
}

/* Field key of the JSON object in line: its type and raw text. */
static enum kit_json_type field(const struct kit_buf *line, const char *key, struct kit_buf *raw)
{
    struct kit_json j = {0};
    ck_assert_msg(kit_json_parse(&j, line->data, line->len, NULL, 0) == 0, "not JSON: %s",
                  line->data);
    int t = kit_json_get(&j, 0, key);
    enum kit_json_type ty = kit_json_type(&j, t);
    kit_buf_reset(raw);
    if(ty == KIT_JSON_STRING)
        kit_json_str(&j, t, raw);
    else if(ty != KIT_JSON_NONE) {
        size_t len;
        const char *p = kit_json_raw(&j, t, &len);
        kit_buf_append(raw, p, len);
    }
    kit_buf_putc(raw, '\0');
    kit_json_free(&j);
    return ty;
}

/* sc_start with the test host presenting host_abi: the host's struct is
 * what the plugin gets at init, so it is set before (as a real 1.0 host's
 * would be). */
static void start_with_abi(struct scenario *s, const char *cassette, uint32_t host_abi)
{
    memset(s, 0, sizeof *s);
    s->err.struct_size = sizeof s->err;
    char why[512] = "";
    ck_assert_msg(fx_server_start(cassette, NULL, &s->srv, why, sizeof why) == 0, "%s", why);
    th_init(&s->th, fx_server_recorded_at(s->srv));
    th_present_abi(&s->th, host_abi);
    const struct oc_option o[] = {{"access_token", FX_PLACEHOLDER_TOKEN},
                                  {"base_url", fx_server_url(s->srv)}};
    ck_assert_msg(hs_instance_new(&s->th.host, o, 2, &s->in, &s->err) == OC_OK, "%s",
                  s->err.message);
}

/* Pull the cassette with unknown and nested event shapes into s. */
static void pull_unknown_types(struct scenario *s, uint32_t host_abi)
{
    start_with_abi(s, UNKNOWN_TYPES, host_abi);
    struct oc_pull_request r = {sizeof r, NULL, NOW - HOUR, NULL};
    ck_assert_msg(hs_pull(s->in, &r, &s->err) == OC_OK, "%s", s->err.message);
}

START_TEST(iso_ms_text)
{
    char out[KIT_ISO_MS_SIZE];
    ck_assert_int_eq(kit_iso_ms(0, out), 0);
    ck_assert_str_eq(out, "1970-01-01T00:00:00.000Z");
    ck_assert_int_eq(kit_iso_ms(INT64_C(1793801109123), out), 0);
    ck_assert_str_eq(out, "2026-11-04T14:05:09.123Z");
    ck_assert_int_eq(kit_iso_ms(-1, out), 0);
    ck_assert_str_eq(out, "1969-12-31T23:59:59.999Z");
    ck_assert_int_eq(kit_iso_ms(INT64_C(951782400000), out), 0); /* a leap day */
    ck_assert_str_eq(out, "2000-02-29T00:00:00.000Z");
    ck_assert_int_eq(kit_iso_ms(INT64_C(253402300799999), out), 0);
    ck_assert_str_eq(out, "9999-12-31T23:59:59.999Z");
    ck_assert_int_eq(kit_iso_ms(INT64_C(253402300800000), out), -1);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(kit_iso_ms(INT64_MIN, out), -1);
}
END_TEST

START_TEST(host_abi_read_within_struct_size)
{
    struct testhost t;
    th_init(&t, 0);
    ck_assert_uint_eq(kit_host_abi(&t.host), OC_ABI_VERSION_1_1);
    ck_assert(kit_host_takes_json(&t.host));
    ck_assert_int_eq(kit_json_field_type(&t.host), OC_FIELD_JSON);
    struct oc_field f = kit_json_field(&t.host, "by_endpoint", "by_endpoint_json", "{}");
    ck_assert_str_eq(f.key, "by_endpoint");
    ck_assert_int_eq(f.type, OC_FIELD_JSON);
    th_present_abi(&t, OC_ABI_VERSION_1_0);
    /* A 1.0 host's struct ends before abi_version: never read past it. */
    t.host.abi_version = OC_ABI_VERSION_1_1;
    ck_assert_uint_eq(kit_host_abi(&t.host), OC_ABI_VERSION_1_0);
    ck_assert(!kit_host_takes_json(&t.host));
    f = kit_json_field(&t.host, "by_endpoint", "by_endpoint_json", "{}");
    ck_assert_str_eq(f.key, "by_endpoint_json");
    ck_assert_int_eq(f.type, OC_FIELD_STRING);
    /* Another major is no 1.1. */
    th_present_abi(&t, OC_ABI_MAKE(2, 0));
    ck_assert(!kit_host_takes_json(&t.host));
    ck_assert(!kit_host_takes_json(NULL));
    th_free(&t);
}
END_TEST

START_TEST(nested_values_json_for_1_1_host)
{
    struct scenario s;
    struct kit_buf line = KIT_BUF_INIT, raw = KIT_BUF_INIT;
    pull_unknown_types(&s, OC_ABI_VERSION_1_1);
    nth_line(kit_buf_str(&s.th.records), 0, &line);
    ck_assert_int_eq(field(&line, "tags", &raw), KIT_JSON_ARRAY);
    ck_assert_str_eq(raw.data, "[\"a\",\"b\"]");
    nth_line(kit_buf_str(&s.th.records), 1, &line);
    ck_assert_int_eq(field(&line, "subscriptions", &raw), KIT_JSON_ARRAY);
    ck_assert_str_eq(raw.data, "[{\"id\":4473,\"status\":\"UNSUBSCRIBED\"}]");
    kit_buf_free(&line);
    kit_buf_free(&raw);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(nested_values_strings_for_1_0_host)
{
    struct scenario s;
    struct kit_buf line = KIT_BUF_INIT, raw = KIT_BUF_INIT;
    pull_unknown_types(&s, OC_ABI_VERSION_1_0);
    nth_line(kit_buf_str(&s.th.records), 0, &line);
    ck_assert_int_eq(field(&line, "tags", &raw), KIT_JSON_STRING);
    ck_assert_str_eq(raw.data, "[\"a\",\"b\"]");
    nth_line(kit_buf_str(&s.th.records), 1, &line);
    ck_assert_int_eq(field(&line, "subscriptions", &raw), KIT_JSON_STRING);
    ck_assert_str_eq(raw.data, "[{\"id\":4473,\"status\":\"UNSUBSCRIBED\"}]");
    kit_buf_free(&line);
    kit_buf_free(&raw);
    sc_verify_stop(&s);
}
END_TEST

START_TEST(ms_times_get_iso_twins)
{
    /* Either host: a new string field is something a 1.0 host can take. */
    static const uint32_t abis[] = {OC_ABI_VERSION_1_1, OC_ABI_VERSION_1_0};
    for(size_t i = 0; i < 2; i++) {
        struct scenario s;
        struct kit_buf line = KIT_BUF_INIT;
        pull_unknown_types(&s, abis[i]);
        nth_line(kit_buf_str(&s.th.records), 0, &line);
        /* Right after the field it renders, in the order emitted. */
        ck_assert_msg(strstr(line.data, "\"created\":1795823900000,"
                                        "\"created_at\":\"2026-11-27T23:58:20.000Z\","),
                      "%s", line.data);
        ck_assert_msg(strstr(line.data, "\"sent_by_created\":1795820300000,"
                                        "\"sent_by_created_at\":\"2026-11-27T22:58:20.000Z\""),
                      "%s", line.data);
        kit_buf_free(&line);
        sc_verify_stop(&s);
    }
}
END_TEST

START_TEST(twin_yields_to_a_field_of_its_name)
{
    struct scenario s;
    sc_start_ok(&s, UNKNOWN_TYPES, NULL);
    const struct oc_field f[] = {{"created", "1000", OC_FIELD_NUMBER},
                                 {"created_at", "the server's own", OC_FIELD_STRING},
                                 {"updated_created", "not a number", OC_FIELD_NUMBER},
                                 {"other_created", "2000", OC_FIELD_STRING}};
    ck_assert_int_eq(hs_emit(s.in, "x", "1", f, 4), OC_OK);
    ck_assert_str_eq(kit_buf_str(&s.th.records),
                     "{\"kind\":\"x\",\"created\":1000,\"created_at\":\"the server's own\","
                     "\"updated_created\":not a number,\"other_created\":\"2000\"}\n");
    th_forget_records(&s.th);

    /* Many fields and many twins: past what fits on the stack. */
    struct oc_field many[100];
    char keys[100][24];
    for(int i = 0; i < 100; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d_created", i);
        many[i] = (struct oc_field){keys[i], "86400000", OC_FIELD_NUMBER};
    }
    ck_assert_int_eq(hs_emit(s.in, "x", "1", many, 100), OC_OK);
    const char *out = kit_buf_str(&s.th.records);
    ck_assert_msg(strstr(out, "\"k99_created\":86400000,\"k99_created_at\":\"1970-01-02T00:00:00.000Z\"}"),
                  "%s", out);
    size_t twins = 0;
    for(const char *p = out; (p = strstr(p, "_created_at\"")); p++)
        twins++;
    ck_assert_uint_eq(twins, 100);
    sc_stop(&s);
}
END_TEST

/* ---- through the built ochost ------------------------------------------ */

static struct ochrun_env E;
static void setup(void) { ochrun_setup(&E); }
static void teardown(void) { ochrun_teardown(&E); }

START_TEST(ochost_writes_json_fields_raw)
{
    struct ochrun r;
    struct kit_buf line = KIT_BUF_INIT, raw = KIT_BUF_INIT;
    ochrun(&E, &r,
           (const char *[]){"--manifest", E.manifest, "--fixtures", UNKNOWN_TYPES, "pull", "--since",
                            "2026-11-27T23:00:00Z", NULL},
           NULL, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    nth_line(OCHRUN_OUT(&r), 1, &line);
    ck_assert_int_eq(field(&line, "subscriptions", &raw), KIT_JSON_ARRAY);
    ck_assert_str_eq(raw.data, "[{\"id\":4473,\"status\":\"UNSUBSCRIBED\"}]");
    ck_assert_int_eq(field(&line, "created_at", &raw), KIT_JSON_STRING);
    ck_assert_str_eq(raw.data, "2026-11-27T23:56:40.000Z");
    kit_buf_free(&line);
    kit_buf_free(&raw);
    ochrun_free(&r);
}
END_TEST

extern Suite *make_records_suite(void);

Suite *make_records_suite(void)
{
    Suite *s = suite_create("records");
    TCase *tc = tcase_create("fields");
    tcase_add_test(tc, iso_ms_text);
    tcase_add_test(tc, host_abi_read_within_struct_size);
    tcase_add_test(tc, nested_values_json_for_1_1_host);
    tcase_add_test(tc, nested_values_strings_for_1_0_host);
    tcase_add_test(tc, ms_times_get_iso_twins);
    tcase_add_test(tc, twin_yields_to_a_field_of_its_name);
    suite_add_tcase(s, tc);
    tc = tcase_create("ochost");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, ochost_writes_json_fields_raw);
    suite_add_tcase(s, tc);
    return s;
}
