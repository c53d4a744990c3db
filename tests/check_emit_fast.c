/* check_emit_fast.c - the records hs_emit hands a host (hubspot/host.c:
 * "<key>_at" twins of times in ms, a server field of the twin's name
 * winning, JSON fields as strings for a 1.0 host, masking of records not
 * known clean), on the pull's way (the flattener says which names are
 * times, hs_emit_clean_known) and the general ways (hs_emit,
 * hs_emit_clean), against the frozen reference (tests/support/emit_ref.c)
 * that read every field: the same id and fields, in the same order, with
 * the same names, types and values byte for byte. Over every email event
 * of the cassettes, generated events full of ms fields and "_at" names,
 * and generated records of every type, for a 1.0 and a 1.1 host. */
#include <check.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/email_event.h"
#include "hubspot/host.h"
#include "hubspot/instance.h"
#include "plugin/buf.h"
#include "plugin/json.h"
#include "tests/support/emit_ref.h"
#include "tests/support/cassette_events.h"
#include "tests/support/xorshift.h"

/* The placeholder token, split so no token-shaped literal sits here. */
#define TOKEN "pat-na1-" "00000000-0000-4000-8000-000000000000"

/* A host that keeps a copy of the last record it was given. */
struct capture {
    struct oc_host host;
    struct emit_ref_record got;
    unsigned emits;
};

static oc_status capture_emit(void *ctx, const struct oc_record *r)
{
    struct capture *c = ctx;
    emit_ref_record_free(&c->got);
    ck_assert_int_eq(emit_ref_copy(r, &c->got), OC_OK);
    c->emits++;
    return OC_OK;
}

/* One instance per host version, each with its capturing host. */
struct hosts {
    struct capture cap[2];
    struct oc_instance in[2];
    unsigned twins; /* twins the reference made, over all comparisons */
    unsigned known; /* records emitted with what the flattener knew */
};

static void hosts_init(struct hosts *h)
{
    static const uint32_t abi[2] = {OC_ABI_VERSION_1_0, OC_ABI_VERSION_1_1};
    memset(h, 0, sizeof *h);
    for(int v = 0; v < 2; v++) {
        struct oc_host *host = &h->cap[v].host;
        host->struct_size = sizeof *host;
        host->ctx = &h->cap[v];
        host->emit = capture_emit;
        host->abi_version = abi[v];
        h->in[v].host = host;
        h->in[v].opt.access_token = TOKEN;
    }
}

static void hosts_free(struct hosts *h)
{
    for(int v = 0; v < 2; v++)
        emit_ref_record_free(&h->cap[v].got);
}

static int same_text(const char *a, const char *b) { return a == b || (a && b && !strcmp(a, b)); }

static void assert_same_record(const char *what, const struct emit_ref_record *got,
                               const struct emit_ref_record *want)
{
    ck_assert_msg(same_text(got->kind, want->kind), "%s: kind %s, the reference's %s", what, got->kind,
                  want->kind);
    ck_assert_msg(same_text(got->id, want->id), "%s: id %s, the reference's %s", what, got->id, want->id);
    ck_assert_msg(got->n == want->n, "%s: %zu fields, the reference has %zu", what, got->n, want->n);
    for(size_t i = 0; i < got->n; i++) {
        const struct oc_field *g = &got->fields[i], *w = &want->fields[i];
        ck_assert_msg(same_text(g->key, w->key), "%s: field %zu is named %s, the reference's %s", what, i,
                      g->key, w->key);
        ck_assert_msg(g->type == w->type, "%s: field %s has type %d, the reference's %d", what, w->key,
                      g->type, w->type);
        ck_assert_msg(same_text(g->value, w->value), "%s: field %s is [%s], the reference's [%s]", what,
                      w->key, g->value, w->value);
    }
}

/* The record every way of emitting gives each host, against the
 * reference; known (may be NULL) is what the record's maker knew. */
static void compare_emits(struct hosts *h, const char *what, const char *kind, const char *id,
                          const struct oc_field *fields, size_t n, const struct hs_record_known *known)
{
    static const char *const ways[] = {"hs_emit", "hs_emit_clean", "hs_emit_clean_known"};
    for(int v = 0; v < 2; v++) {
        struct oc_instance *in = &h->in[v];
        for(int way = 0; way < 3; way++) {
            struct emit_ref_record want;
            ck_assert_int_eq(emit_ref(in, kind, id, fields, n, way != 0, &want), OC_OK);
            unsigned before = h->cap[v].emits;
            oc_status rc = way == 0   ? hs_emit(in, kind, id, fields, n)
                           : way == 1 ? hs_emit_clean(in, kind, id, fields, n)
                                      : hs_emit_clean_known(in, kind, id, fields, n, known);
            char at[400];
            snprintf(at, sizeof at, "%s, %s, ABI 1.%d host", what, ways[way], v);
            ck_assert_msg(rc == OC_OK && h->cap[v].emits == before + 1, "%s: status %d", at, (int)rc);
            assert_same_record(at, &h->cap[v].got, &want);
            h->twins += (unsigned)(want.n - n);
            emit_ref_record_free(&want);
        }
    }
}

struct page_run {
    struct hosts *h;
    struct hs_email_event *e;
    size_t emitted; /* events flattened and emitted */
};

/* One event flattened, then emitted every way. */
static void compare_one(void *ctx, const char *what, const struct kit_json *j, int ev)
{
    struct page_run *p = ctx;
    if(hs_email_event_flatten(j, ev, p->e) != OC_OK)
        return; /* the pull emits no such event */
    struct hs_record_known k;
    const struct hs_record_known *known = hs_email_event_known(p->e, &k);
    p->h->known += known != NULL;
    compare_emits(p->h, what, "email_event", p->e->fields[0].value, p->e->fields, p->e->n, known);
    p->emitted++;
}

/* Every event of every "events" array in text, flattened, then emitted;
 * how many were emitted. */
static size_t compare_page(struct hosts *h, const char *what, const char *text, size_t len,
                           struct hs_email_event *e)
{
    struct page_run p = {h, e, 0};
    ck_assert_msg(events_in_text(what, text, len, compare_one, &p) != (size_t)-1, "%s: not JSON", what);
    return p.emitted;
}

START_TEST(cassette_events_match_the_reference)
{
    struct hosts h;
    hosts_init(&h);
    struct hs_email_event e = HS_EMAIL_EVENT_INIT;
    struct page_run p = {&h, &e, 0};
    ck_assert_msg(cassette_each_event(compare_one, &p) != (size_t)-1,
                  "cannot read the cassettes in fixtures/hubspot/");
    ck_assert_uint_gt(p.emitted, 100);
    /* the flattener's knowledge was used, and twins were made */
    ck_assert_uint_gt(h.known, 100);
    ck_assert_uint_gt(h.twins, 100);
    hs_email_event_free(&e);
    hosts_free(&h);
}
END_TEST


#define PICK(s, pool) (pool[xorshift_next(s) % (sizeof pool / sizeof *pool)])

/* Names that flatten to times, to their twins' names and to other "_at"
 * names, so twins collide with the server's fields and with each other. */
static const char *const time_keys[] = {
    "created", "createdAt", "created_at", "sentBy", "obsoletedBy", "causedBy", "xCreated", "x_created",
    "x_created_at", "fooAt", "foo_at", "appId", "_created", "Created", "created_", "createdX",
};
/* Numbers of every kind an ms field could hold: times on many days (the
 * ISO text's date is kept per day), the range's ends, past its ends, more
 * digits than the quick read takes, fractions, signs. */
static const char *const odd_numbers[] = {
    "0", "-1", "-0", "1.5", "1e3", "-86400001", "253402300799999", "253402300800000",
    "999999999999999999", "9999999999999999999", "99999999999999999999", "86399999", "86400000",
    "-62167219200000", "-62167219200001",
};

static void gen_time_value(uint64_t *s, struct kit_buf *b, int depth);

static void gen_time_object(uint64_t *s, struct kit_buf *b, int depth)
{
    int n = (int)(xorshift_next(s) % 4);
    kit_buf_putc(b, '{');
    for(int i = 0; i < n; i++) {
        if(i)
            kit_buf_putc(b, ',');
        kit_buf_printf(b, "\"%s\":", PICK(s, time_keys));
        gen_time_value(s, b, depth + 1);
    }
    kit_buf_putc(b, '}');
}

static void gen_time_value(uint64_t *s, struct kit_buf *b, int depth)
{
    switch(xorshift_next(s) % (depth > 2 ? 6 : 8)) {
    case 0:
    case 1:
    case 2: /* a time in 2023..2024, on one of ~400 days */
        kit_buf_printf(b, "%" PRIu64, UINT64_C(1672531200000) + xorshift_next(s) % UINT64_C(34560000000));
        break;
    case 3:
        kit_buf_puts(b, PICK(s, odd_numbers));
        break;
    case 4:
        kit_buf_printf(b, "\"%u\"", (unsigned)(xorshift_next(s) % 100000));
        break;
    case 5:
        kit_buf_puts(b, xorshift_next(s) % 2 ? "null" : "[1,{\"b\":2}]");
        break;
    default:
        gen_time_object(s, b, depth);
        break;
    }
}

static size_t compare_events(struct hosts *h, const char *what, const char *events,
                             struct hs_email_event *e)
{
    struct kit_buf page = KIT_BUF_INIT;
    kit_buf_printf(&page, "{\"events\":[%s]}", events);
    ck_assert(kit_buf_ok(&page));
    size_t n = compare_page(h, what, page.data, page.len, e);
    kit_buf_free(&page);
    return n;
}

START_TEST(generated_events_with_times_match_the_reference)
{
    struct hosts h;
    hosts_init(&h);
    struct hs_email_event e = HS_EMAIL_EVENT_INIT;
    uint64_t seed = 0x2545F4914F6CDD1Du;
    struct kit_buf page = KIT_BUF_INIT;
    size_t events = 0;
    for(int p = 0; p < 10; p++) {
        kit_buf_reset(&page);
        for(int i = 0; i < 200; i++) {
            kit_buf_printf(&page, "%s{\"id\":\"g%d-%d\",\"created\":", i ? "," : "", p, i);
            if(xorshift_next(&seed) % 8)
                kit_buf_printf(&page, "%" PRIu64,
                               UINT64_C(1672531200000) + xorshift_next(&seed) % UINT64_C(34560000000));
            else
                kit_buf_printf(&page, "\"%u\"", (unsigned)(xorshift_next(&seed) % 1000000));
            int n = (int)(xorshift_next(&seed) % 10);
            for(int k = 0; k < n; k++) {
                kit_buf_printf(&page, ",\"%s\":", PICK(&seed, time_keys));
                gen_time_value(&seed, &page, 0);
            }
            kit_buf_putc(&page, '}');
        }
        char what[64];
        snprintf(what, sizeof what, "generated page %d", p);
        events += compare_events(&h, what, kit_buf_str(&page), &e);
    }
    ck_assert_uint_eq(events, 10 * 200);
    ck_assert_uint_gt(h.known, 1000);
    ck_assert_uint_gt(h.twins, 1000);
    kit_buf_free(&page);
    hs_email_event_free(&e);
    hosts_free(&h);
}
END_TEST

/* The server's field of a twin's name wins, before and after the time,
 * nested and not; a JSON field becomes a string for a 1.0 host; more
 * times than the flattener notes, and more fields than fit on the stack. */
static const char *const shapes[] = {
    "{\"id\":\"a\",\"created\":1700000000000,\"createdAt\":\"server's\"}",
    "{\"createdAt\":\"first\",\"id\":\"b\",\"created\":1700000000000}",
    "{\"id\":\"c\",\"created\":1700000000000,\"sentBy\":{\"id\":\"s\",\"created\":1699999996400,"
    "\"createdAt\":7},\"obsoletedBy\":{\"created\":1699999996401},\"obsoleted_by_created_at\":null}",
    "{\"id\":\"d\",\"created\":1,\"fooAt\":1,\"sentBy\":{\"created\":2},\"list\":[1,2],\"o\":{\"a\":[]}}",
    "{\"id\":\"e\",\"created\":\"1700000000000\",\"sentBy\":{\"created\":\"1699999996400\"}}",
    "{\"id\":\"f\",\"created\":0,\"x\":{\"created\":-1},\"y\":{\"created\":253402300800000},"
    "\"z\":{\"created\":1e3}}",
};

START_TEST(events_of_every_shape_match_the_reference)
{
    struct hosts h;
    hosts_init(&h);
    struct hs_email_event e = HS_EMAIL_EVENT_INIT;
    for(size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        char what[32];
        snprintf(what, sizeof what, "shape %zu", i);
        ck_assert_uint_eq(compare_events(&h, what, shapes[i], &e), 1);
    }
    /* 20 and 80 times in one event, with and without their twins' names
     * taken: past what the flattener notes, past the stack's room */
    struct kit_buf ev = KIT_BUF_INIT;
    for(int many = 20; many <= 80; many += 60)
        for(int taken = 0; taken < 2; taken++) {
            kit_buf_reset(&ev);
            kit_buf_printf(&ev, "{\"id\":\"m%d\",\"created\":1700000000000", many);
            for(int k = 0; k < many; k++) {
                kit_buf_printf(&ev, ",\"o%d\":{\"created\":%d%s}", k, 1700000000 + k * 997,
                               taken && k % 3 == 0 ? ",\"createdAt\":\"mine\"" : "");
                if(k % 5 == 0)
                    kit_buf_printf(&ev, ",\"j%d\":[%d]", k, k);
            }
            kit_buf_putc(&ev, '}');
            char what[48];
            snprintf(what, sizeof what, "%d times, names taken %d", many, taken);
            ck_assert_uint_eq(compare_events(&h, what, kit_buf_str(&ev), &e), 1);
        }
    kit_buf_free(&ev);
    hs_email_event_free(&e);
    hosts_free(&h);
}
END_TEST

/* Records as push, lookup and event context make them (no flattener),
 * fields of every type and name, some holding the token: hs_emit finds
 * the times itself, and hs_emit_clean_known is given what a maker would
 * know. */
START_TEST(generated_records_match_the_reference)
{
    static const char *const keys[] = {
        "created", "a_created", "_created", "created_at", "a_created_at", "x", "created2", "Created",
        "_at", "at", "b_created", "b_created_at", "email", NULL,
    };
    static const char *const values[] = {
        "1700000000000", "0", "-5", "+5", " 5", "5 ", "", "x", "1.5", "9223372036854775807",
        "9223372036854775808", "253402300799999", "253402300800000", "123456789012345678",
        "1234567890123456789", "0012", "[1]", "{\"a\":1}", "pat-" "na1-x", "a " TOKEN, NULL,
    };
    static const int types[] = {OC_FIELD_STRING, OC_FIELD_NUMBER, OC_FIELD_NUMBER, OC_FIELD_BOOL,
                                OC_FIELD_NULL, OC_FIELD_JSON};
    struct hosts h;
    hosts_init(&h);
    uint64_t seed = 0x9E3779B97F4A7C15u;
    struct oc_field fields[150];
    uint32_t ms[150];
    for(int r = 0; r < 1500; r++) {
        size_t n = r % 100 == 0 ? 90 + xorshift_next(&seed) % 60 : xorshift_next(&seed) % 12;
        struct hs_record_known known = {ms, 0, 0};
        for(size_t i = 0; i < n; i++) {
            fields[i].key = PICK(&seed, keys);
            fields[i].value = PICK(&seed, values);
            fields[i].type = types[xorshift_next(&seed) % (sizeof types / sizeof *types)];
            size_t len = fields[i].key ? strlen(fields[i].key) : 0;
            if(fields[i].key && hs_ms_time_name(fields[i].key, len))
                ms[known.nms++] = (uint32_t)i;
            if(fields[i].key && hs_twin_suffixed(fields[i].key, len))
                known.twin_named = 1;
        }
        const char *id = r % 7 == 0 ? NULL : r % 11 == 0 ? "id " TOKEN : "rec";
        char what[48];
        snprintf(what, sizeof what, "record %d", r);
        compare_emits(&h, what, "push_result", id, fields, n, &known);
    }
    ck_assert_uint_gt(h.twins, 300);
    hosts_free(&h);
}
END_TEST

extern Suite *make_emit_fast_suite(void);
Suite *make_emit_fast_suite(void)
{
    Suite *s = suite_create("emit_fast");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, cassette_events_match_the_reference);
    tcase_add_test(tc, generated_events_with_times_match_the_reference);
    tcase_add_test(tc, events_of_every_shape_match_the_reference);
    tcase_add_test(tc, generated_records_match_the_reference);
    suite_add_tcase(s, tc);
    return s;
}
