/* check_singer.c - `ochost pull --format singer` against the Singer
 * specification (singer-io/getting-started, docs/SPEC.md): every line a
 * JSON object whose type is SCHEMA, RECORD or STATE with the keys its type
 * requires; every RECORD after a SCHEMA of its stream and valid against
 * the last one (each field a property, each value of a type the property
 * allows); STATE after the records and as the last message. Runs the
 * built ochost on recorded cassettes. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/json.h"
#include "tests/support/ochrun.h"

static struct ochrun_env E;
static void setup(void) { ochrun_setup(&E); }
static void teardown(void) { ochrun_teardown(&E); }

/* The last SCHEMA seen per stream: its text, kept parsed. */
struct schema_seen {
    char stream[64];
    char *text;
    struct kit_json j;
    int props;
};

struct check {
    struct schema_seen s[8];
    int ns;
    int records, states, records_since_state;
    int last_was_state;
};

static int json_type_ok(const struct kit_json *j, int types, enum kit_json_type vt, const char *raw,
                        size_t rawlen)
{
    for(int i = 0; i < kit_json_size(j, types); i++) {
        int t = kit_json_item(j, types, i);
        if((vt == KIT_JSON_STRING && kit_json_eq(j, t, "string")) ||
           (vt == KIT_JSON_NULL && kit_json_eq(j, t, "null")) ||
           (vt == KIT_JSON_BOOL && kit_json_eq(j, t, "boolean")) ||
           (vt == KIT_JSON_OBJECT && kit_json_eq(j, t, "object")) ||
           (vt == KIT_JSON_ARRAY && kit_json_eq(j, t, "array")) ||
           (vt == KIT_JSON_NUMBER && kit_json_eq(j, t, "number")) ||
           (vt == KIT_JSON_NUMBER && kit_json_eq(j, t, "integer") && !memchr(raw, '.', rawlen) &&
            !memchr(raw, 'e', rawlen) && !memchr(raw, 'E', rawlen)))
            return 1;
    }
    return 0;
}

static void check_record(struct check *c, const struct kit_json *m, const char *line)
{
    char *stream = kit_json_strdup(m, kit_json_get(m, 0, "stream"));
    int rec = kit_json_get(m, 0, "record");
    ck_assert_msg(stream && kit_json_type(m, rec) == KIT_JSON_OBJECT, "RECORD lacks stream/record: %s", line);
    struct schema_seen *sc = NULL;
    for(int i = 0; i < c->ns; i++)
        if(!strcmp(c->s[i].stream, stream))
            sc = &c->s[i];
    ck_assert_msg(sc != NULL, "RECORD of stream %s before any SCHEMA of it: %s", stream, line);
    int te = kit_json_get(m, 0, "time_extracted");
    ck_assert(te < 0 || kit_json_type(m, te) == KIT_JSON_STRING);
    for(int i = 0, k = rec + 1; i < kit_json_size(m, rec); i++, k = kit_json_skip(m, k + 1)) {
        char *key = kit_json_strdup(m, k);
        int prop = kit_json_get(&sc->j, sc->props, key);
        ck_assert_msg(prop >= 0, "field %s is not in the stream's SCHEMA: %s", key, line);
        int types = kit_json_get(&sc->j, prop, "type");
        ck_assert_int_eq(kit_json_type(&sc->j, types), KIT_JSON_ARRAY);
        size_t rawlen;
        const char *raw = kit_json_raw(m, k + 1, &rawlen);
        ck_assert_msg(json_type_ok(&sc->j, types, kit_json_type(m, k + 1), raw, rawlen),
                      "field %s (%.*s) does not fit its schema type: %s", key, (int)rawlen, raw, line);
        free(key);
    }
    free(stream);
    c->records++;
    c->records_since_state++;
}

static void check_schema(struct check *c, const struct kit_json *m, const char *line)
{
    char *stream = kit_json_strdup(m, kit_json_get(m, 0, "stream"));
    int schema = kit_json_get(m, 0, "schema");
    int keys = kit_json_get(m, 0, "key_properties");
    ck_assert_msg(stream && kit_json_type(m, schema) == KIT_JSON_OBJECT &&
                      kit_json_type(m, keys) == KIT_JSON_ARRAY,
                  "SCHEMA lacks stream/schema/key_properties: %s", line);
    int props = kit_json_get(m, schema, "properties");
    ck_assert_int_eq(kit_json_type(m, props), KIT_JSON_OBJECT);
    /* Each key property is a top-level property of the schema. */
    for(int i = 0; i < kit_json_size(m, keys); i++) {
        char *k = kit_json_strdup(m, kit_json_item(m, keys, i));
        ck_assert_msg(k && kit_json_get(m, props, k) >= 0, "key property %s not in schema", k);
        free(k);
    }
    struct schema_seen *sc = NULL;
    for(int i = 0; i < c->ns; i++)
        if(!strcmp(c->s[i].stream, stream))
            sc = &c->s[i];
    if(!sc) {
        ck_assert_int_lt(c->ns, 8);
        sc = &c->s[c->ns++];
        snprintf(sc->stream, sizeof sc->stream, "%s", stream);
    } else {
        kit_json_free(&sc->j);
        free(sc->text);
    }
    size_t len;
    const char *raw = kit_json_raw(m, schema, &len);
    sc->text = strndup(raw, len);
    ck_assert_int_eq(kit_json_parse(&sc->j, sc->text, len, NULL, 0), 0);
    sc->props = kit_json_get(&sc->j, 0, "properties");
    free(stream);
}

/* Check every message of out; returns what was seen. */
static void check_messages(const char *out, struct check *c)
{
    memset(c, 0, sizeof *c);
    const char *p = out;
    ck_assert_msg(*p, "no output");
    while(*p) {
        const char *nl = strchr(p, '\n');
        ck_assert_msg(nl != NULL, "last line has no newline: %s", p);
        char *line = strndup(p, (size_t)(nl - p));
        struct kit_json m = {0};
        ck_assert_msg(kit_json_parse(&m, line, strlen(line), NULL, 0) == 0, "not JSON: %s", line);
        ck_assert_msg(kit_json_type(&m, 0) == KIT_JSON_OBJECT, "not an object: %s", line);
        int t = kit_json_get(&m, 0, "type");
        c->last_was_state = 0;
        if(kit_json_eq(&m, t, "SCHEMA")) {
            check_schema(c, &m, line);
        } else if(kit_json_eq(&m, t, "RECORD")) {
            check_record(c, &m, line);
        } else if(kit_json_eq(&m, t, "STATE")) {
            int v = kit_json_get(&m, 0, "value");
            ck_assert_msg(kit_json_type(&m, v) == KIT_JSON_OBJECT, "STATE value: %s", line);
            c->states++;
            c->records_since_state = 0;
            c->last_was_state = 1;
        } else {
            ck_abort_msg("type is not SCHEMA, RECORD or STATE: %s", line);
        }
        kit_json_free(&m);
        free(line);
        p = nl + 1;
    }
    for(int i = 0; i < c->ns; i++) {
        kit_json_free(&c->s[i].j);
        free(c->s[i].text);
    }
}

static void pull_singer(struct ochrun *r, const char *cassette, const char *state,
                        const char *stdout_path)
{
    struct ochrun_opts o = {.stdout_path = stdout_path};
    ochrun(&E, r,
           (const char *[]){"--manifest", E.manifest, "--state", state, "--fixtures", cassette, "pull",
                            "--since", "2026-11-27T23:00:00Z", "--format", "singer", NULL},
           NULL, &o);
}

START_TEST(messages_follow_the_spec)
{
    static const char *const cassettes[] = {"fixtures/hubspot/pull-unknown-types.json",
                                            "fixtures/hubspot/pull-first-run.json"};
    static const int want[] = {3, 4};
    for(int i = 0; i < 2; i++) {
        struct ochrun r;
        struct check c;
        char state[PATH_MAX];
        snprintf(state, sizeof state, "%s/s%d.state", E.tmp, i);
        pull_singer(&r, cassettes[i], state, NULL);
        ck_assert_msg(r.code == 0, "exit %d: %s", r.code, OCHRUN_ERR(&r));
        check_messages(OCHRUN_OUT(&r), &c);
        ck_assert_msg(c.records >= want[i], "%d records", c.records);
        ck_assert_msg(c.last_was_state, "the last message is not a STATE:\n%s", OCHRUN_OUT(&r));
        /* The cursor the records moved is in the STATE, as JSON. */
        ck_assert_msg(strstr(OCHRUN_OUT(&r), "\"bookmarks\":{\"pull/email_events\":{"), "%s",
                      OCHRUN_OUT(&r));
        ochrun_free(&r);
    }
}
END_TEST

START_TEST(bad_format_is_a_usage_error)
{
    struct ochrun r;
    ochrun(&E, &r, (const char *[]){"--manifest", E.manifest, "pull", "--format", "csv", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 1);
    ck_assert_msg(strstr(OCHRUN_ERR(&r), "'csv'") && strstr(OCHRUN_ERR(&r), "singer"), "%s",
                  OCHRUN_ERR(&r));
    ochrun_free(&r);
}
END_TEST

START_TEST(full_stdout_exits_7_naming_stdout)
{
    struct ochrun r;
    char state[PATH_MAX];
    snprintf(state, sizeof state, "%s/full.state", E.tmp);
    pull_singer(&r, "fixtures/hubspot/pull-unknown-types.json", state, "/dev/full");
    ck_assert_msg(r.code == 7, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ck_assert_msg(strstr(OCHRUN_ERR(&r), "cannot write to stdout"), "%s", OCHRUN_ERR(&r));
    ochrun_free(&r);
}
END_TEST

extern Suite *make_singer_suite(void);

Suite *make_singer_suite(void)
{
    Suite *s = suite_create("singer");
    TCase *tc = tcase_create("pull");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, messages_follow_the_spec);
    tcase_add_test(tc, bad_format_is_a_usage_error);
    tcase_add_test(tc, full_stdout_exits_7_naming_stdout);
    suite_add_tcase(s, tc);
    return s;
}
