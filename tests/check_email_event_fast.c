/* check_email_event_fast.c - the pull's event flattener
 * (hubspot/email_event.c: names from a cache that predicts the next key,
 * values and compact arrays copied from the page as they are) against
 * the flattener it replaced (tests/support/email_event_ref.c), which it
 * must match field by field: the same status, the same fields in the same
 * order, with the same names, types and values byte for byte. Over every
 * email event of the cassettes, hand-written events of every shape, and
 * generated ones; one flattener struct is reused across pages, as a pull
 * reuses it, so its cache outlives the pages its keys came from. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/email_event.h"
#include "plugin/buf.h"
#include "plugin/json.h"
#include "tests/support/cassette_events.h"
#include "tests/support/email_event_ref.h"
#include "tests/support/xorshift.h"

/* Both flatteners on event ev of j; fails naming the first difference. */
static void assert_same_fields(const char *what, const struct kit_json *j, int ev,
                               struct hs_email_event *e, struct email_event_ref *r)
{
    oc_status got = hs_email_event_flatten(j, ev, e);
    oc_status want = email_event_ref_flatten(j, ev, r);
    ck_assert_msg(got == want, "%s: status %d, the reference says %d", what, (int)got, (int)want);
    ck_assert_msg(e->n == r->n, "%s: %zu fields, the reference has %zu", what, e->n, r->n);
    for(size_t i = 0; i < e->n; i++) {
        const struct oc_field *g = &e->fields[i], *w = &r->fields[i];
        ck_assert_msg(!strcmp(g->key, w->key), "%s: field %zu is named %s, the reference's %s", what, i,
                      g->key, w->key);
        ck_assert_msg(g->type == w->type, "%s: field %s has type %d, the reference's %d", what, g->key,
                      g->type, w->type);
        ck_assert_msg(!strcmp(g->value, w->value), "%s: field %s is [%s], the reference's [%s]", what,
                      g->key, g->value, w->value);
    }
}

struct both {
    struct hs_email_event *e;
    struct email_event_ref *r;
};

static void compare_one(void *ctx, const char *what, const struct kit_json *j, int ev)
{
    struct both *b = ctx;
    assert_same_fields(what, j, ev, b->e, b->r);
}

/* Every event of every "events" array in text (a page). */
static size_t compare_page(const char *what, const char *text, size_t len, struct hs_email_event *e,
                           struct email_event_ref *r)
{
    struct both b = {e, r};
    size_t n = events_in_text(what, text, len, compare_one, &b);
    ck_assert_msg(n != (size_t)-1, "%s: not JSON", what);
    return n;
}

/* A page holding the events (comma-separated objects) in a heap block of
 * its own, freed once compared: a cached key must not point into it. */
static size_t compare_events(const char *what, const char *events, struct hs_email_event *e,
                             struct email_event_ref *r)
{
    struct kit_buf page = KIT_BUF_INIT;
    kit_buf_printf(&page, "{\"events\":[%s]}", events);
    ck_assert(kit_buf_ok(&page));
    size_t len = page.len;
    char *copy = malloc(len);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, page.data, len);
    kit_buf_free(&page);
    size_t n = compare_page(what, copy, len, e, r);
    memset(copy, 'x', len);
    free(copy);
    return n;
}

START_TEST(cassette_events_match_the_reference)
{
    struct hs_email_event e = HS_EMAIL_EVENT_INIT;
    struct email_event_ref r = {0};
    struct both b = {&e, &r};
    size_t events = cassette_each_event(compare_one, &b);
    ck_assert_msg(events != (size_t)-1, "cannot read the cassettes in fixtures/hubspot/");
    ck_assert_uint_gt(events, 100);
    hs_email_event_free(&e);
    email_event_ref_free(&r);
}
END_TEST

/* Events of every shape HubSpot could send, or a hostile server could. */
static const char *const shapes[] = {
    /* the common event, compact */
    "{\"id\":\"a\",\"created\":1700000000000,\"type\":\"OPEN\",\"recipient\":\"r@example.com\","
    "\"emailCampaignId\":157830400,\"portalId\":62515,\"appId\":113,\"sentBy\":{\"id\":\"s\","
    "\"created\":1699999996400},\"obsoletedBy\":null,\"browser\":{\"name\":\"Chrome\","
    "\"version\":[\"120.0.0.0\"]},\"location\":{\"latitude\":42.3736,\"longitude\":-71.1097},"
    "\"filteredEvent\":false,\"duplicate\":true}",
    /* the same, pretty-printed, with whitespace inside every nested value */
    "{ \"id\" : \"a\" ,\n \"created\" : 1700000000000,\r\n\t\"type\": \"OPEN\",\n"
    " \"sentBy\" : { \"id\" : \"s\" , \"created\" : 5 } ,\n"
    " \"browser\": {\"version\" : [ \"120.0.0.0\" , \"121\" ] },\n"
    " \"subscriptions\": [ { \"id\": 1, \"status\": \"SUBSCRIBED\" } ,\n {\"id\":2} ],\n"
    " \"tags\" : [\n\"x\"\n] , \"empty\" : [ ] , \"emptyObj\" : { } }",
    /* arrays of every kind: scalars, nested arrays, objects sorted and not,
     * escaped strings, unicode, empty items */
    "{\"id\":\"b\",\"created\":1,\"plain\":[1,-2.5e3,true,false,null,\"x\"],\"nested\":[[1,[2]],[]],"
    "\"sorted\":[{\"a\":1,\"b\":{\"c\":[],\"d\":{}}}],\"unsorted\":[{\"b\":1,\"a\":2}],"
    "\"deepUnsorted\":[{\"a\":{\"z\":1,\"y\":2}}],\"dupKeys\":[{\"a\":1,\"a\":2}],"
    "\"prefixKeys\":[{\"ab\":1,\"a\":2}],\"prefixSorted\":[{\"a\":1,\"ab\":2}],"
    "\"escaped\":[\"tab\\there\",\"q\\\"\",\"\\u00e9\",\"\\/\",\"\\u0001\"],"
    "\"escapedKey\":[{\"k\\u0065y\":1}],\"utf8\":[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"],"
    "\"empties\":[[],{},\"\"],\"emptyArr\":[]}",
    /* strings: escapes, unicode, surrogate pairs, empty */
    "{\"id\":\"c\\u0031\",\"created\":\"1700000000000\",\"type\":\"CL\\u0049CK\",\"s1\":\"a\\nb\","
    "\"s2\":\"\\ud83d\\ude00\",\"s3\":\"\",\"s4\":\"caf\xc3\xa9\",\"s5\":\"back\\\\slash\","
    "\"nul\":\"a\\u0000b\"}",
    /* numbers of every form */
    "{\"id\":7,\"created\":0,\"a\":0,\"b\":-0,\"c\":1.5,\"d\":-1e-7,\"e\":1E+300,"
    "\"f\":123456789012345678901234567890,\"g\":0.000}",
    /* created forms: long, negative, string, too big for 18 digits */
    "{\"id\":\"d\",\"created\":-5}",
    "{\"id\":\"d\",\"created\":1234567890123456789}",
    "{\"id\":\"d\",\"created\":99999999999999999999}",
    "{\"id\":\"d\",\"created\":1.5}",
    "{\"id\":\"d\",\"created\":\"017\"}",
    "{\"id\":\"d\",\"created\":null}",
    "{\"created\":1}",
    "{\"id\":\"d\"}",
    "{\"id\":{\"x\":1},\"created\":1}",
    "{\"id\":[1],\"created\":1}",
    "{\"id\":true,\"created\":1}",
    "{\"id\":null,\"created\":1}",
    "[1,2]",
    "\"not an event\"",
    "{}",
    /* repeated keys, lead and not; names that collide after flattening */
    "{\"type\":\"first\",\"id\":\"e\",\"created\":2,\"type\":\"second\",\"id\":\"again\","
    "\"created\":3,\"url\":\"u1\",\"url\":\"u2\",\"appId\":1,\"app_id\":2,\"APP_ID\":3,\"ID\":4,"
    "\"Created\":5,\"sentBy\":{\"id\":1},\"sent_by_id\":2,\"sentBy\":{\"id\":3,\"x\":4}}",
    /* escaped keys, a lead among them; keys that flatten to "" */
    "{\"i\\u0064\":\"f\",\"created\":4,\"t\\u0079pe\":\"T\",\"type\":\"T2\",\"\":1,\"-\":2,"
    "\"\":{\"\":3,\"inner\":4},\"a\\\"b\":5,\"\\u00e9t\\u00e9\":6}",
    /* camelCase and acronyms, long keys past any short cache */
    "{\"id\":\"g\",\"created\":5,\"HTTPServer\":1,\"emailCampaignGroupId\":2,\"aB\":3,\"a1B\":4,"
    "\"ABC\":5,\"thisIsAVeryLongKeyNameThatGoesOnAndOnPastThirtyTwoBytes\":6,"
    "\"nested\":{\"anotherVeryLongKeyNameThatGoesOnAndOnPastThirtyTwoBytes\":{"
    "\"andAThirdVeryLongKeyNameThatGoesOnAndOnPastThirtyTwoBytesToo\":7}}}",
    /* deep nesting */
    "{\"id\":\"h\",\"created\":6,\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":[1]}}}}}},"
    "\"a_b\":{\"c_d\":0}}",
};

START_TEST(events_of_every_shape_match_the_reference)
{
    struct hs_email_event e = HS_EMAIL_EVENT_INIT;
    struct email_event_ref r = {0};
    /* Twice: once filling the cache, once reading from it. */
    for(int pass = 0; pass < 2; pass++)
        for(size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
            char what[64];
            snprintf(what, sizeof what, "shape %zu, pass %d", i, pass);
            ck_assert_uint_eq(compare_events(what, shapes[i], &e, &r), 1);
        }
    hs_email_event_free(&e);
    email_event_ref_free(&r);
}
END_TEST

/* An event with more members than the flattener notes on its stack. */
START_TEST(an_event_with_many_members_matches_the_reference)
{
    struct hs_email_event e = HS_EMAIL_EVENT_INIT;
    struct email_event_ref r = {0};
    struct kit_buf ev = KIT_BUF_INIT;
    kit_buf_puts(&ev, "{");
    for(int i = 0; i < 150; i++)
        kit_buf_printf(&ev, "\"k%d\":%d,", i % 97, i);
    /* the leads late, past the members noted, and repeated */
    kit_buf_puts(&ev, "\"url\":\"u\",\"created\":9,\"id\":\"m\",\"type\":\"T\",\"url\":\"v\","
                      "\"recipient\":\"x\",\"emailCampaignId\":1,\"k3\":{\"k4\":[1, 2]}}");
    for(int pass = 0; pass < 3; pass++)
        ck_assert_uint_eq(compare_events("many members", kit_buf_str(&ev), &e, &r), 1);
    kit_buf_free(&ev);
    hs_email_event_free(&e);
    email_event_ref_free(&r);
}
END_TEST


static const char *const pool_keys[] = {
    "id", "created", "type", "recipient", "emailCampaignId", "url", "sentBy", "browser", "version",
    "name", "appId", "app_id", "ID", "HTTPServer", "a", "b", "ab", "B", "deviceType", "",
    "i\\u0064", "k\\\"q", "caf\xc3\xa9", "location", "zip_code", "zipCode",
};
static const char *const pool_strings[] = {
    "", "x", "OPEN", "caf\xc3\xa9", "tab\\t", "\\u00e9", "\\ud83d\\ude00", "q\\\"", "\\/",
    "https://example.org/a?b=c", "\\u0000",
};
static const char *const pool_scalars[] = {"0", "-1", "2.5", "1e3", "true", "false", "null",
                                           "170000000000", "-0.0"};

static void ws(uint64_t *s, struct kit_buf *b, int pretty)
{
    static const char *const spaces[] = {" ", "\n", "\t", "\r\n  "};
    if(pretty && xorshift_next(s) % 3 == 0)
        kit_buf_puts(b, spaces[xorshift_next(s) % 4]);
}

static void gen_value(uint64_t *s, struct kit_buf *b, int depth, int pretty);

static void gen_object(uint64_t *s, struct kit_buf *b, int depth, int pretty, int sorted)
{
    int n = (int)(xorshift_next(s) % 5);
    kit_buf_putc(b, '{');
    for(int i = 0; i < n; i++) {
        if(i)
            kit_buf_putc(b, ',');
        ws(s, b, pretty);
        /* sorted: single letters in order, so arrays of objects are often
         * already canonical */
        if(sorted)
            kit_buf_printf(b, "\"%c\"", 'a' + i + (int)(xorshift_next(s) % 2));
        else
            kit_buf_printf(b, "\"%s\"", pool_keys[xorshift_next(s) % (sizeof pool_keys / sizeof *pool_keys)]);
        ws(s, b, pretty);
        kit_buf_putc(b, ':');
        ws(s, b, pretty);
        gen_value(s, b, depth + 1, pretty);
        ws(s, b, pretty);
    }
    kit_buf_putc(b, '}');
}

static void gen_value(uint64_t *s, struct kit_buf *b, int depth, int pretty)
{
    unsigned pick = (unsigned)(xorshift_next(s) % (depth > 3 ? 3 : 6));
    switch(pick) {
    case 0:
        kit_buf_printf(b, "\"%s\"", pool_strings[xorshift_next(s) % (sizeof pool_strings / sizeof *pool_strings)]);
        break;
    case 1:
    case 2:
        kit_buf_puts(b, pool_scalars[xorshift_next(s) % (sizeof pool_scalars / sizeof *pool_scalars)]);
        break;
    case 3:
    case 4: {
        int n = (int)(xorshift_next(s) % 4);
        kit_buf_putc(b, '[');
        for(int i = 0; i < n; i++) {
            if(i)
                kit_buf_putc(b, ',');
            ws(s, b, pretty);
            if(xorshift_next(s) % 3 == 0)
                gen_object(s, b, depth + 1, pretty, (int)(xorshift_next(s) % 2));
            else
                gen_value(s, b, depth + 1, pretty);
            ws(s, b, pretty);
        }
        kit_buf_putc(b, ']');
        break;
    }
    default:
        gen_object(s, b, depth + 1, pretty, 0);
        break;
    }
}

/* Events shaped like HubSpot's most of the time (id and created first,
 * the usual keys), with random extra members, repeats and whitespace. */
static void gen_event(uint64_t *s, struct kit_buf *b)
{
    int pretty = xorshift_next(s) % 4 == 0;
    kit_buf_printf(b, "{\"id\":\"e%u\",\"created\":%u", (unsigned)(xorshift_next(s) % 1000),
                   (unsigned)(xorshift_next(s) % 100000));
    int n = (int)(xorshift_next(s) % 12);
    for(int i = 0; i < n; i++) {
        kit_buf_putc(b, ',');
        ws(s, b, pretty);
        kit_buf_printf(b, "\"%s\":", pool_keys[xorshift_next(s) % (sizeof pool_keys / sizeof *pool_keys)]);
        ws(s, b, pretty);
        gen_value(s, b, 0, pretty);
    }
    kit_buf_putc(b, '}');
}

START_TEST(generated_events_match_the_reference)
{
    struct hs_email_event e = HS_EMAIL_EVENT_INIT;
    struct email_event_ref r = {0};
    uint64_t seed = 0x9E3779B97F4A7C15u;
    struct kit_buf page = KIT_BUF_INIT;
    size_t events = 0;
    for(int p = 0; p < 40; p++) {
        kit_buf_reset(&page);
        for(int i = 0; i < 250; i++) {
            if(i)
                kit_buf_putc(&page, ',');
            gen_event(&seed, &page);
        }
        char what[64];
        snprintf(what, sizeof what, "generated page %d", p);
        events += compare_events(what, kit_buf_str(&page), &e, &r);
    }
    ck_assert_uint_eq(events, 40 * 250);
    kit_buf_free(&page);
    hs_email_event_free(&e);
    email_event_ref_free(&r);
}
END_TEST

/* More distinct keys than the name cache holds, short and long (its
 * entries and its bytes run out): the rest are flattened the long way,
 * mixed with cached names in one event, and still match. */
START_TEST(more_keys_than_the_cache_holds_match_the_reference)
{
    struct hs_email_event e = HS_EMAIL_EVENT_INIT;
    struct email_event_ref r = {0};
    struct kit_buf ev = KIT_BUF_INIT;
    for(int round = 0; round < 30; round++) {
        kit_buf_reset(&ev);
        kit_buf_printf(&ev, "{\"id\":\"x%d\",\"created\":%d,\"appId\":1", round, round);
        for(int i = 0; i < 40; i++) {
            kit_buf_printf(&ev, ",\"key%dOf%d\":%d", i, round, i);
            kit_buf_printf(&ev, ",\"nested%d\":{\"deepKeyNumber%d%0200d\":{\"x\":[%d]},\"app_id\":2}", round,
                           i, i, i);
        }
        kit_buf_puts(&ev, ",\"APP_ID\":3,\"app_id\":4}");
        char what[64];
        snprintf(what, sizeof what, "round %d", round);
        ck_assert_uint_eq(compare_events(what, kit_buf_str(&ev), &e, &r), 1);
        /* the ordinary shape still matches once the cache is full */
        ck_assert_uint_eq(compare_events(what, shapes[0], &e, &r), 1);
    }
    kit_buf_free(&ev);
    hs_email_event_free(&e);
    email_event_ref_free(&r);
}
END_TEST

extern Suite *make_email_event_fast_suite(void);
Suite *make_email_event_fast_suite(void)
{
    Suite *s = suite_create("email_event_fast");
    TCase *tc = tcase_create("differential");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, cassette_events_match_the_reference);
    tcase_add_test(tc, events_of_every_shape_match_the_reference);
    tcase_add_test(tc, an_event_with_many_members_matches_the_reference);
    tcase_add_test(tc, generated_events_match_the_reference);
    tcase_add_test(tc, more_keys_than_the_cache_holds_match_the_reference);
    suite_add_tcase(s, tc);
    return s;
}
