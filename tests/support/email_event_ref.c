/*
 * email_event_ref.c - the REFERENCE email event flattener (tests only):
 * hubspot/email_event.c's hs_email_event_flatten frozen as it was before
 * its one-pass rewrite, renamed. See email_event_ref.h. Its code is left
 * as it was so that a difference is the new code's.
 */
#include "tests/support/email_event_ref.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The keys every consumer looks for first, in output order. The rest keep
 * HubSpot's order, so a line reads id, created, type, recipient, ... */
#define LEAD(s) {s, sizeof s - 1}
static const struct {
    const char *name;
    size_t len;
} lead_keys[] = {LEAD("id"),        LEAD("created"),         LEAD("type"),
                 LEAD("recipient"), LEAD("emailCampaignId"), LEAD("url")};
#define NLEAD (sizeof lead_keys / sizeof lead_keys[0])

static int is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static int is_lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

static int ref_key(struct kit_buf *out, const char *key, size_t len)
{
    /* At most one '_' per character: reserve once, write in place (this
     * runs for every field of every event). */
    if(kit_buf_reserve(out, 2 * len))
        return -1;
    char *o = out->data + out->len;
    char prev_out = out->len ? out->data[out->len - 1] : '\0';
    for(size_t i = 0; i < len; i++) {
        char c = key[i];
        if(is_upper(c)) {
            /* A word starts at an upper-case letter after a lower-case one
             * (sentBy), or at the last capital of an acronym followed by
             * lower case (HTTPServer -> http_server). */
            int boundary = i > 0 && (is_lower_or_digit(key[i - 1]) ||
                                     (is_upper(key[i - 1]) && i + 1 < len &&
                                      key[i + 1] >= 'a' && key[i + 1] <= 'z'));
            if(boundary && prev_out && prev_out != '_')
                *o++ = '_';
            c = (char)(c - 'A' + 'a');
        } else if(!is_lower_or_digit(c)) {
            c = '_';
        }
        *o++ = prev_out = c;
    }
    *o = '\0';
    out->len = (size_t)(o - out->data);
    return 0;
}

#define NNAMES 512u

/* Append the field name for HubSpot key raw to out, as ref_key
 * does (whose output does not depend on what out held before), from the
 * cache when the key was seen. */
static int put_name(struct email_event_ref *e, struct kit_buf *out, const char *raw, size_t len)
{
    if(len >= sizeof e->names->raw)
        return ref_key(out, raw, len);
    if(!e->names && !(e->names = calloc(NNAMES, sizeof *e->names)))
        return -1;
    uint32_t h = 2166136261u;
    for(size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)raw[i]) * 16777619u;
    struct email_event_ref_name *nm = &e->names[h & (NNAMES - 1)];
    if(nm->rawlen == len && !memcmp(nm->raw, raw, len))
        return kit_buf_append(out, nm->name, nm->len);
    size_t at = out->len;
    if(ref_key(out, raw, len))
        return -1;
    size_t made = out->len - at;
    if(made < sizeof nm->name) {
        memcpy(nm->raw, raw, len);
        nm->rawlen = (uint32_t)len;
        memcpy(nm->name, out->data + at, made);
        nm->len = (uint32_t)made;
    }
    return 0;
}

/* Decimal text of v appended to out. */
static int put_int64(struct kit_buf *out, int64_t v)
{
    char d[24], *p = d + sizeof d;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do
        *--p = (char)('0' + u % 10);
    while(u /= 10);
    if(v < 0)
        *--p = '-';
    return kit_buf_append(out, p, (size_t)(d + sizeof d - p));
}

/* An array as kit_json_canonical writes it. Arrays of plain scalars
 * (browser.version is ["120.0.0.0"] on every open and click) are written
 * here: their canonical text is their raw text without whitespace, and
 * kit_json_canonical allocates a scratch list as long as the whole page's
 * tokens on every call (about 280 KB per event on a full page), which
 * moved the heap's top on every event. Anything else (an object inside,
 * an escaped string) goes to kit_json_canonical. */
static int put_array(const struct kit_json *j, int t, struct kit_buf *out)
{
    size_t at = out->len;
    int n = kit_json_size(j, t);
    kit_buf_putc(out, '[');
    for(int i = 0, k = t + 1; i < n; i++, k = kit_json_skip(j, k)) {
        size_t len;
        const char *raw = kit_json_raw(j, k, &len);
        enum kit_json_type ty = kit_json_type(j, k);
        if(ty == KIT_JSON_OBJECT || ty == KIT_JSON_ARRAY ||
           (ty == KIT_JSON_STRING && memchr(raw, '\\', len))) {
            out->len = at;
            return kit_json_canonical(j, t, out);
        }
        if(i)
            kit_buf_putc(out, ',');
        if(ty == KIT_JSON_STRING)
            kit_buf_putc(out, '"');
        kit_buf_append(out, raw, len);
        if(ty == KIT_JSON_STRING)
            kit_buf_putc(out, '"');
    }
    kit_buf_putc(out, ']');
    return kit_buf_ok(out) ? 0 : -1;
}

static int begin_field(struct email_event_ref *e, const char *key, size_t klen, int type)
{
    return kit_fieldlist_begin(&e->fl, key, klen, type);
}

static int end_field(struct email_event_ref *e) { return kit_fieldlist_end(&e->fl); }

/* Flatten value token t under the key held in e->scratch (the path so far). */
static int add_value(struct email_event_ref *e, const struct kit_json *j, int t)
{
    size_t klen = e->scratch.len;
    switch(kit_json_type(j, t)) {
    case KIT_JSON_OBJECT: {
        int n = kit_json_size(j, t);
        int k = t + 1;
        for(int i = 0; i < n; i++) {
            size_t rawlen;
            const char *raw = kit_json_raw(j, k, &rawlen);
            e->scratch.len = klen;
            if(klen)
                kit_buf_putc(&e->scratch, '_');
            if(put_name(e, &e->scratch, raw, rawlen) || add_value(e, j, k + 1))
                return -1;
            k = kit_json_skip(j, k + 1);
        }
        e->scratch.len = klen;
        if(e->scratch.data)
            e->scratch.data[klen] = '\0';
        return 0;
    }
    case KIT_JSON_ARRAY:
        /* Arrays (subscriptions, ...) stay whole: their items rarely share a
         * shape, and numbering them would make unstable column names. JSON
         * for a host that takes it; hs_emit turns it into a string for one
         * that does not. */
        if(begin_field(e, e->scratch.data, klen, OC_FIELD_JSON) || put_array(j, t, &e->fl.text))
            return -1;
        return end_field(e);
    case KIT_JSON_STRING:
        if(begin_field(e, e->scratch.data, klen, OC_FIELD_STRING) ||
           kit_json_str(j, t, &e->fl.text))
            return -1;
        return end_field(e);
    case KIT_JSON_NUMBER:
    case KIT_JSON_BOOL: {
        size_t len;
        const char *raw = kit_json_raw(j, t, &len);
        int type = kit_json_type(j, t) == KIT_JSON_NUMBER ? OC_FIELD_NUMBER : OC_FIELD_BOOL;
        if(begin_field(e, e->scratch.data, klen, type) || kit_buf_append(&e->fl.text, raw, len))
            return -1;
        return end_field(e);
    }
    case KIT_JSON_NULL:
        if(begin_field(e, e->scratch.data, klen, OC_FIELD_NULL))
            return -1;
        return end_field(e);
    default:
        return 0;
    }
}

static int lead_index(const struct kit_json *j, int k)
{
    size_t len;
    const char *raw = kit_json_raw(j, k, &len);
    if(memchr(raw, '\\', len)) {
        /* An escaped key: compare unescaped (never seen from HubSpot). */
        for(size_t i = 0; i < NLEAD; i++)
            if(kit_json_eq(j, k, lead_keys[i].name))
                return (int)i;
        return -1;
    }
    for(size_t i = 0; i < NLEAD; i++)
        if(len == lead_keys[i].len && !memcmp(raw, lead_keys[i].name, len))
            return (int)i;
    return -1;
}

static int add_member(struct email_event_ref *e, const struct kit_json *j, int k)
{
    size_t rawlen;
    const char *raw = kit_json_raw(j, k, &rawlen);
    kit_buf_reset(&e->scratch);
    if(put_name(e, &e->scratch, raw, rawlen))
        return -1;
    return add_value(e, j, k + 1);
}

#define NSLOTS 1024u /* events carry a few dozen fields; more fall back to a scan */

static int begin_names(struct email_event_ref *e)
{
    if(!e->slots && !(e->slots = calloc(NSLOTS, sizeof *e->slots)))
        return -1;
    if(++e->gen == 0) { /* wrapped: old generations would look current */
        memset(e->slots, 0, NSLOTS * sizeof *e->slots);
        e->gen = 1;
    }
    return 0;
}

/* Nonzero when one of the first `kept` fields already has this name;
 * otherwise remember it as field `kept`. */
static int name_seen(struct email_event_ref *e, const char *key, size_t kept)
{
    if(kept >= NSLOTS / 2) {
        for(size_t i = 0; i < kept; i++)
            if(!strcmp(e->fl.f[i].key, key))
                return 1;
        return 0;
    }
    uint32_t h = 2166136261u;
    for(const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 16777619u;
    for(uint32_t i = h & (NSLOTS - 1);; i = (i + 1) & (NSLOTS - 1)) {
        struct email_event_ref_slot *sl = &e->slots[i];
        if(sl->gen != e->gen) {
            sl->gen = e->gen;
            sl->idx = (uint32_t)kept;
            return 0;
        }
        if(!strcmp(e->fl.f[sl->idx].key, key))
            return 1;
    }
}

oc_status email_event_ref_flatten(const struct kit_json *j, int ev, struct email_event_ref *e)
{
    kit_fieldlist_reset(&e->fl);
    e->fields = e->fl.f;
    e->n = 0;
    /* The lead keys are found with kit_json_get, as hs_email_event_identity
     * finds id and created: with a key repeated the first copy wins in
     * both, so the identity checked is the identity emitted, and the other
     * copies are dropped below rather than emitted as second fields. */
    int lead[NLEAD];
    for(size_t i = 0; i < NLEAD; i++)
        lead[i] = -1;
    if(kit_json_type(j, ev) != KIT_JSON_OBJECT)
        return OC_E_PROTOCOL;
    int n = kit_json_size(j, ev);
    /* One pass finds the lead members (the first of each name, as
     * kit_json_get finds it) and remembers which members are lead ones
     * for the pass that adds the rest. */
    signed char is_lead[64];
    for(int i = 0, k = ev + 1; i < n; i++, k = kit_json_skip(j, k + 1)) {
        int li = lead_index(j, k);
        if(i < (int)sizeof is_lead)
            is_lead[i] = (signed char)(li >= 0);
        if(li >= 0 && lead[li] < 0)
            lead[li] = k;
    }
    if(lead[0] < 0 || lead[1] < 0)
        return OC_E_PROTOCOL;

    /* id and created have fixed types whatever HubSpot sent (created may
     * come as a string holding the number). */
    int64_t created;
    if(kit_json_int64(j, lead[1] + 1, &created))
        return OC_E_PROTOCOL;
    if(begin_field(e, "id", 2, OC_FIELD_STRING) || kit_json_str(j, lead[0] + 1, &e->fl.text) ||
       end_field(e))
        goto oom;
    if(begin_field(e, "created", 7, OC_FIELD_NUMBER) ||
       put_int64(&e->fl.text, created) || end_field(e))
        goto oom;
    for(size_t i = 2; i < NLEAD; i++)
        if(lead[i] >= 0 && add_member(e, j, lead[i]))
            goto oom;
    for(int i = 0, k = ev + 1; i < n; i++, k = kit_json_skip(j, k + 1))
        if(!(i < (int)sizeof is_lead ? is_lead[i] : lead_index(j, k) >= 0) && add_member(e, j, k))
            goto oom;

    /* Pointers only now: text may have moved while it grew. The first
     * field of each name wins (the lead fields come first). */
    if(begin_names(e))
        goto oom;
    size_t kept = 0;
    for(size_t i = 0; i < e->fl.n; i++) {
        const char *key = kit_fieldlist_key(&e->fl, i);
        /* A key "" (never seen from HubSpot) has no usable column name. */
        if(!*key || name_seen(e, key, kept))
            continue;
        kit_fieldlist_keep(&e->fl, i, kept);
        kept++;
    }
    e->fl.n = kept;
    e->fields = e->fl.f;
    e->n = kept;
    return OC_OK;
oom:
    e->fl.n = 0;
    e->fields = e->fl.f;
    e->n = 0;
    return OC_E_NOMEM;
}

void email_event_ref_free(struct email_event_ref *e)
{
    kit_fieldlist_free(&e->fl);
    kit_buf_free(&e->scratch);
    free(e->slots);
    free(e->names);
    memset(e, 0, sizeof *e);
}
