/*
 * fuzz_pull.c - what the pull reads from outside: a page of
 * GET /email/public/v1/events (each event through hubspot/email_event.h:
 * hs_email_event_identity, hs_email_event_flatten, the way pull.c does)
 * and the stream state it stored earlier (hubspot/pull_state.h:
 * hs_stream_state_parse; the host's state store is outside input too).
 * The page loop itself (events/hasMore/offset) is static in pull.c and
 * only reached here through these functions.
 *
 * Checks: an event with an identity flattens to fields with non-empty
 * snake_case names ([a-z0-9_]), unique, NUL-terminated valid UTF-8 values,
 * "id" first, and what hs_email_event_known says of the names true to
 * them; a parsed stream state serializes and parses back to the same
 * state (one that does not survive a save/load would lose the cursor).
 */
#include "hubspot/email_event.h"
#include "hubspot/host.h"
#include "hubspot/pull_state.h"
#include "plugin/buf.h"
#include "plugin/json.h"
#include "tests/fuzz/fuzz.h"

int fuzz_pull_one(const uint8_t *data, size_t size);

static int fpl_utf8_ok(const char *s) { return !fuzz_text_problem(s, FUZZ_CTL_ANY); }

static void fpl_event(const struct kit_json *j, int ev, struct hs_email_event *e)
{
    struct kit_buf id = KIT_BUF_INIT;
    int64_t created = 0;
    char why[160];
    /* As pull.c does: an event without identity is never flattened. */
    if(hs_email_event_identity(j, ev, &id, &created, why, sizeof why) != 0) {
        kit_buf_free(&id);
        return;
    }
    FUZZ_REQUIRE(id.len > 0, "identity with an empty id");
    oc_status rc = hs_email_event_flatten(j, ev, e);
    if(rc == OC_OK) {
        FUZZ_REQUIRE(e->n >= 2, "flattened event has %zu fields", e->n);
        FUZZ_REQUIRE(!strcmp(e->fields[0].key, "id"), "first field is %s", e->fields[0].key);
        for(size_t i = 0; i < e->n; i++) {
            const char *k = e->fields[i].key, *v = e->fields[i].value;
            FUZZ_REQUIRE(k && v, "field %zu is NULL", i);
            FUZZ_REQUIRE_TAG("pull-emptyname", k[0], "field %zu has an empty name (value '%.40s')", i,
                             v);
            for(const char *p = k; *p; p++)
                FUZZ_REQUIRE((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_',
                             "field name '%s' is not snake_case", k);
            FUZZ_REQUIRE(fpl_utf8_ok(v), "value of %s is not valid UTF-8", k);
            for(size_t m = 0; m < i && m < 64; m++)
                FUZZ_REQUIRE_TAG("pull-dupfield", strcmp(e->fields[m].key, k) != 0,
                                 "field name %s twice", k);
        }
        /* What the flattener says it knows of the names, which hs_emit
         * trusts instead of reading them: every ms-time name listed, in
         * order, and "_at" names admitted. */
        struct hs_record_known known;
        const struct hs_record_known *kn = hs_email_event_known(e, &known);
        if(kn) {
            size_t at = 0;
            int twin = 0;
            for(size_t i = 0; i < e->n; i++) {
                size_t klen = strlen(e->fields[i].key);
                twin |= hs_twin_suffixed(e->fields[i].key, klen);
                if(!hs_ms_time_name(e->fields[i].key, klen))
                    continue;
                FUZZ_REQUIRE(at < kn->nms && kn->ms[at] == i, "ms field %s (%zu) not listed as such",
                             e->fields[i].key, i);
                at++;
            }
            FUZZ_REQUIRE(at == kn->nms, "%zu ms fields listed, %zu found", kn->nms, at);
            FUZZ_REQUIRE(!twin || kn->twin_named, "an _at name not admitted");
        }
    } else {
        FUZZ_REQUIRE(rc == OC_E_NOMEM, "flatten failed with %d after identity passed", rc);
    }
    kit_buf_free(&id);
}

static void fpl_state(const uint8_t *data, size_t size)
{
    struct hs_stream_state s, s2;
    struct kit_buf a = KIT_BUF_INIT, b = KIT_BUF_INIT;
    char why[200];
    if(hs_stream_state_parse(&s, (const char *)data, size, why, sizeof why) != 0) {
        hs_stream_state_free(&s);
        return;
    }
    if(hs_stream_state_json(&s, &a) == 0) {
        int rc = hs_stream_state_parse(&s2, a.data ? a.data : "", a.len, why, sizeof why);
        FUZZ_REQUIRE(rc == 0, "saved stream state does not load back (%s): %.300s", why, a.data);
        /* Set members are written in hash order, which may differ after
         * a reload; compare what they mean. */
        FUZZ_REQUIRE(s.cursor == s2.cursor && s.in_window == s2.in_window,
                     "cursor or window lost through save/load: %.300s", a.data);
        if(s.in_window)
            FUZZ_REQUIRE(s.start == s2.start && s.end == s2.end && s.query_end == s2.query_end &&
                             s.low == s2.low && !s.offset == !s2.offset &&
                             (!s.offset || !strcmp(s.offset, s2.offset)),
                         "window changed through save/load: %.300s", a.data);
        FUZZ_REQUIRE(s.seen.n == s2.seen.n && (!s.in_window || (s.page.n == s2.page.n &&
                                                                 s.at_low.n == s2.at_low.n)),
                     "event sets changed size through save/load: %.300s", a.data);
        if(hs_stream_state_json(&s2, &b) == 0)
            FUZZ_REQUIRE(a.len == b.len, "serialized state changed length through save/load");
        hs_stream_state_free(&s2);
    }
    hs_stream_state_free(&s);
    kit_buf_free(&a);
    kit_buf_free(&b);
}

int fuzz_pull_one(const uint8_t *data, size_t size)
{
    struct kit_json j = {0};
    if(kit_json_parse(&j, (const char *)data, size, NULL, 0) == 0) {
        struct hs_email_event e = HS_EMAIL_EVENT_INIT;
        int arr = kit_json_type(&j, 0) == KIT_JSON_ARRAY ? 0 : kit_json_get(&j, 0, "events");
        if(kit_json_type(&j, arr) == KIT_JSON_ARRAY) {
            int t = arr + 1;
            for(int i = 0; i < kit_json_size(&j, arr); i++, t = kit_json_skip(&j, t))
                fpl_event(&j, t, &e); /* one struct reused, as pull.c does */
        } else {
            fpl_event(&j, 0, &e);
        }
        hs_email_event_free(&e);
    }
    kit_json_free(&j);
    fpl_state(data, size);
    return 0;
}

#ifdef FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_pull_one(data, size);
}
#endif
