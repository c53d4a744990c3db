/*
 * upsert.c - POST /crm/v3/objects/contacts/batch/upsert for a batch of
 * push items, and reading its answer back onto the items.
 *
 * Why upsert by email: it creates or updates in one call and is
 * idempotent, so a retry after a lost answer neither duplicates a contact
 * nor loses one. Why objectWriteTraceId: HubSpot's results come in any
 * order and its 207 errors need a key to say which input they are about;
 * the trace id is derived from the input's position, so a replayed run
 * sends byte-identical requests.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hubspot/api_paths.h"
#include "hubspot/host.h"
#include "hubspot/instance.h"
#include "hubspot/upsert.h"
#include "plugin/error.h"

#define UPSERT_ENDPOINT "contacts.batch.upsert"
/* HubSpot's own words are kept to this much in a per-input error. */
#define SAID_MAX 400

/* The constant parts of an upsert object, as the JSON writer would write
 * them (compact). Written as text, with only the input's own strings
 * quoted, an input's object costs one pass over its bytes: building it
 * through the writer's state machine (13 quoted strings, 4 of them
 * constants) was a quarter of a bulk push's CPU. */
#define ITEM_HEAD "{\"idProperty\":\"email\",\"id\":"
#define ITEM_PROPS ",\"properties\":{\"email\":"
#define ITEM_TRACE "},\"objectWriteTraceId\":\"" HS_PUSH_TRACE_PREFIX

#define ONES UINT64_C(0x0101010101010101)
#define HIGH UINT64_C(0x8080808080808080)

/* The high bit of each byte of w that is zero (and maybe of bytes above
 * one that is): nonzero exactly when one is, a borrow only starting at a
 * zero byte. */
static uint64_t zero_bytes(uint64_t w) { return (w - ONES) & ~w & HIGH; }

/* Nonzero when a byte of w is written differently in a JSON string: a
 * control byte, a quote, a backslash, or non-ASCII (UTF-8 to check). */
static uint64_t special_bytes(uint64_t w)
{
    return zero_bytes(w ^ (ONES * '"')) | zero_bytes(w ^ (ONES * '\\')) |
           ((w - ONES * 0x20) & ~w & HIGH) | (w & HIGH);
}

/* 1..7 bytes of s copied to d; nonzero when one is written escaped. Two
 * overlapping four-byte words for 4 to 7 (the flags of a word's bytes come
 * out exact in its low half: borrows only travel up). */
static inline uint64_t copy_short(char *d, const char *s, size_t n)
{
    uint32_t a, b;
    if(n >= 4) {
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
        return (special_bytes(a) | special_bytes(b)) & UINT64_C(0x80808080);
    }
    uint64_t any = 0;
    for(size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        any |= c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
        d[i] = (char)c;
    }
    return any;
}

/* s[0..n) copied to d (which has n + 8 bytes of room) as it is; nonzero
 * when a byte of it is written escaped in JSON, d then not usable. */
static inline uint64_t copy_plain(char *d, const char *s, size_t n)
{
    if(n < 8)
        return copy_short(d, s, n);
    uint64_t w, any = 0;
    size_t i = 0;
    for(; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        any |= special_bytes(w);
        memcpy(d + i, &w, 8);
    }
    if(i < n) {
        memcpy(&w, s + n - 8, 8);
        any |= special_bytes(w);
        memcpy(d + n - 8, &w, 8);
    }
    return any;
}

/* Append s[0..n) quoted, as kit_json_quote does, copying it straight
 * when one scan shows nothing in it needs escaping (nearly every
 * address, name and value): eight bytes a step, copied as they are
 * checked. The general writer costs ten times that on short strings, and
 * an upsert object is five of them. */
static inline void put_quoted(struct kit_buf *out, const char *s, size_t n)
{
    if((out->oom || !out->data || out->cap - out->len <= n + 2 + 8) && kit_buf_reserve(out, n + 2 + 8))
        return; /* out is now marked out of memory */
    char *d = out->data + out->len + 1;
    uint64_t any = copy_plain(d, s, n);
    if(any) {
        kit_json_quote(out, s, n); /* nothing was counted in out yet */
        return;
    }
    d[-1] = '"';
    d[n] = '"';
    out->len += n + 2;
    out->data[out->len] = '\0';
}

/* Whether k (klen bytes) is "email" in any case. */
static inline __attribute__((always_inline)) int is_email_key(const char *k, size_t klen)
{
    /* c | 0x20 is the lowercase letter for either case of it, and no
     * other byte gives it */
    return klen == 5 && (k[0] | 0x20) == 'e' && (k[1] | 0x20) == 'm' && (k[2] | 0x20) == 'a' &&
           (k[3] | 0x20) == 'i' && (k[4] | 0x20) == 'l';
}

/* Whether field i of f is written into the object, with its key's length
 * in *klen: key and value both non-empty and not null, not the email
 * column (written first, on its own), and not a repeat of an earlier
 * column's key (the first wins: never two same keys). */
static inline __attribute__((always_inline)) int field_sent(const struct oc_field *f, size_t i,
                                                            size_t *klen)
{
    const char *k = f[i].key, *v = f[i].value;
    if(!k || !*k || f[i].type == OC_FIELD_NULL || !v || !*v)
        return 0;
    *klen = strlen(k);
    if(is_email_key(k, *klen))
        return 0;
    for(size_t p = 0; p < i; p++)
        if(f[p].key && f[p].key[0] == k[0] && !strcmp(f[p].key, k))
            return 0;
    return 1;
}

/* The object through put_quoted and the buffer's own appends: any string
 * with a byte written escaped (rare) takes this way. */
static int write_general(struct kit_buf *out, const char *ord, size_t ordlen, const char *email,
                         size_t elen, const struct oc_field *f, size_t n, int *email_only)
{
    kit_buf_append(out, ITEM_HEAD, sizeof ITEM_HEAD - 1);
    size_t at = out->len;
    put_quoted(out, email, elen);
    size_t qlen = out->len - at;
    /* Sent in properties too: whether create needs it there is
     * UNCONFIRMED (API-NOTES.md 4.4), and it costs nothing. The quoted
     * address is copied, not quoted again; room is made first, so the
     * copy reads from where it stays. */
    if(!kit_buf_reserve(out, sizeof ITEM_PROPS + qlen)) {
        kit_buf_append(out, ITEM_PROPS, sizeof ITEM_PROPS - 1);
        kit_buf_append(out, out->data + at, qlen);
    }
    *email_only = 1;
    for(size_t i = 0; i < n && f; i++) {
        size_t klen;
        if(!field_sent(f, i, &klen))
            continue;
        const char *k = f[i].key, *v = f[i].value;
        kit_buf_putc(out, ',');
        put_quoted(out, k, klen);
        kit_buf_putc(out, ':');
        put_quoted(out, v, strlen(v));
        *email_only = 0;
    }
    kit_buf_append(out, ITEM_TRACE, sizeof ITEM_TRACE - 1);
    kit_buf_append(out, ord, ordlen);
    kit_buf_append(out, "\"}", 2);
    return kit_buf_ok(out) ? 0 : -1;
}

/* Room made sure of before a field is written: its key and value, the
 * quotes and separators, eight bytes of slack for copy_plain and the
 * object's end ("}...\"}", the trace id). */
#define TAIL_ROOM (sizeof ITEM_TRACE + 24 + 2 + 8)

/* The decimal digits of v ending at end (exclusive), two a step; where
 * they start. */
static char *put_decimal(char *end, uint64_t v)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";
    while(v >= 10) {
        size_t p = (size_t)(v % 100) * 2;
        v /= 100;
        end -= 2;
        memcpy(end, pairs + p, 2);
        if(!v)
            return end[0] == '0' ? end + 1 : end;
    }
    *--end = (char)('0' + v);
    return end;
}

int hs_upsert_json_write(struct kit_buf *out, uint64_t ord_num, const char *email, size_t elen,
                         const struct oc_field *f, size_t n, int *email_only)
{
    /* the trace id's digits, without printf's cost per input */
    char digits[24], *ord = put_decimal(digits + sizeof digits, ord_num);
    size_t ordlen = (size_t)(digits + sizeof digits - ord);
    /* Written straight into the buffer with one room check per string:
     * the object's constant parts as fixed-size copies, each string copied
     * as it is checked. Appending piece by piece cost a call and a check
     * per piece, about a thousand instructions an object. A string with a
     * byte to escape sends the whole object the general way. */
    size_t start = out->len;
    size_t room = sizeof ITEM_HEAD + sizeof ITEM_PROPS + 2 * (elen + 2) + TAIL_ROOM;
    if((out->oom || !out->data || out->cap - out->len <= room) && kit_buf_reserve(out, room))
        return -1;
    char *d = out->data + out->len;
    memcpy(d, ITEM_HEAD, sizeof ITEM_HEAD - 1);
    d += sizeof ITEM_HEAD - 1;
    *d = '"';
    uint64_t any = copy_plain(d + 1, email, elen);
    d[elen + 1] = '"';
    char *quoted = d;
    d += elen + 2;
    memcpy(d, ITEM_PROPS, sizeof ITEM_PROPS - 1);
    d += sizeof ITEM_PROPS - 1;
    memcpy(d, quoted, elen + 2);
    d += elen + 2;
    int only = 1;
    for(size_t i = 0; i < n && f && !any; i++) {
        size_t klen;
        if(!field_sent(f, i, &klen))
            continue;
        const char *k = f[i].key, *v = f[i].value;
        size_t vlen = strlen(v);
        out->len = (size_t)(d - out->data);
        room = klen + vlen + 6 + TAIL_ROOM;
        if(out->cap - out->len <= room) {
            if(kit_buf_reserve(out, room))
                return -1;
            d = out->data + out->len;
        }
        d[0] = ',';
        d[1] = '"';
        any |= copy_plain(d + 2, k, klen);
        d += klen + 2;
        d[0] = '"';
        d[1] = ':';
        d[2] = '"';
        any |= copy_plain(d + 3, v, vlen);
        d += vlen + 3;
        *d++ = '"';
        only = 0;
    }
    if(any) {
        out->len = start;
        out->data[start] = '\0';
        return write_general(out, ord, ordlen, email, elen, f, n, email_only);
    }
    memcpy(d, ITEM_TRACE, sizeof ITEM_TRACE - 1);
    d += sizeof ITEM_TRACE - 1;
    memcpy(d, ord, ordlen);
    d += ordlen;
    d[0] = '"';
    d[1] = '}';
    d[2] = '\0';
    out->len = (size_t)(d + 2 - out->data);
    *email_only = only;
    return 0;
}

int hs_upsert_item_json(struct hs_push_item *it, const struct oc_field *f, size_t n)
{
    struct kit_buf b = KIT_BUF_INIT;
    int email_only;
    if(hs_upsert_json_write(&b, it->ord, it->email, strlen(it->email), f, n, &email_only)) {
        kit_buf_free(&b);
        return -1;
    }
    it->email_only = email_only;
    size_t len = b.len;
    char *json = kit_buf_take(&b);
    if(!json)
        return -1;
    hs_push_item_set_json(it, json, len);
    return 0;
}

/* Write the member whose name token is m as key: value, both unescaped
 * and requoted by the writer (k and v are scratch). */
static void put_member(struct kit_jw *w, const struct kit_json *j, int m, struct kit_buf *k,
                       struct kit_buf *v)
{
    kit_buf_reset(k);
    kit_buf_reset(v);
    if(kit_json_str(j, m, k) || kit_json_str(j, m + 1, v)) {
        k->oom = 1; /* an item's own JSON always decodes: only memory can fail */
        return;
    }
    kit_jw_key(w, kit_buf_str(k));
    kit_jw_strn(w, kit_buf_str(v), v->len);
}

int hs_upsert_item_merge(struct hs_push_item *into, const struct hs_push_item *copy)
{
    if(copy->email_only || !copy->json || !into->json)
        return 0; /* nothing to add */
    struct kit_json a = {0}, c = {0};
    struct kit_buf out = KIT_BUF_INIT, k = KIT_BUF_INIT, v = KIT_BUF_INIT;
    struct kit_jw w;
    char trace[48];
    int rc = -1;
    /* Re-reading the items' own JSON keeps one form per item (the object
     * HubSpot gets) instead of a second copy of every property. */
    if(kit_json_parse(&a, into->json, into->json_len, NULL, 0) ||
       kit_json_parse(&c, copy->json, copy->json_len, NULL, 0))
        goto out;
    int pa = kit_json_get(&a, 0, "properties"), pc = kit_json_get(&c, 0, "properties");
    if(kit_json_type(&a, pa) != KIT_JSON_OBJECT || kit_json_type(&c, pc) != KIT_JSON_OBJECT)
        goto out;
    snprintf(trace, sizeof trace, HS_PUSH_TRACE_PREFIX "%llu", (unsigned long long)into->ord);
    kit_jw_init(&w, &out);
    kit_jw_obj(&w);
    kit_jw_kstr(&w, "idProperty", "email");
    kit_jw_kstr(&w, "id", into->email);
    kit_jw_key(&w, "properties");
    kit_jw_obj(&w);
    /* into's properties in their order, the copy's value where it has one
     * (email stays into's: it is the id the upsert is keyed on)... */
    for(int i = 0, m = pa + 1; i < kit_json_size(&a, pa); i++, m = kit_json_skip(&a, m)) {
        kit_buf_reset(&k);
        if(kit_json_str(&a, m, &k))
            goto out;
        int cv = strcmp(kit_buf_str(&k), "email") ? kit_json_get(&c, pc, kit_buf_str(&k)) : -1;
        put_member(&w, cv >= 0 ? &c : &a, cv >= 0 ? cv - 1 : m, &k, &v);
    }
    /* ...then the copy's new ones. */
    for(int i = 0, m = pc + 1; i < kit_json_size(&c, pc); i++, m = kit_json_skip(&c, m)) {
        kit_buf_reset(&k);
        if(kit_json_str(&c, m, &k))
            goto out;
        if(kit_json_get(&a, pa, kit_buf_str(&k)) < 0)
            put_member(&w, &c, m, &k, &v);
    }
    kit_jw_obj_end(&w);
    kit_jw_kstr(&w, "objectWriteTraceId", trace);
    kit_jw_obj_end(&w);
    if(kit_jw_error(&w) || !kit_buf_ok(&out) || !kit_buf_ok(&k) || !kit_buf_ok(&v))
        goto out;
    size_t len = out.len;
    char *json = kit_buf_take(&out);
    if(!json)
        goto out;
    hs_push_item_set_json(into, json, len);
    into->email_only = 0;
    rc = 0;
out:
    kit_json_free(&a);
    kit_json_free(&c);
    kit_buf_free(&out);
    kit_buf_free(&k);
    kit_buf_free(&v);
    return rc;
}

int hs_upsert_body(struct kit_buf *out, struct hs_push_item *const *items, size_t n)
{
    kit_buf_reset(out);
    kit_buf_puts(out, "{\"inputs\":[");
    for(size_t i = 0; i < n; i++) {
        if(i)
            kit_buf_putc(out, ',');
        kit_buf_append(out, items[i]->json, items[i]->json_len);
    }
    kit_buf_puts(out, "]}");
    return kit_buf_ok(out) ? 0 : -1;
}

/* ---- matching answers to items ---- */

static int open_item(const struct hs_push_item *it) { return !it->record_id && !it->error; }

/* Index of the item whose trace id is string token t, or -1. */
static long find_trace(const struct kit_json *j, int t, struct hs_push_item **items, size_t n)
{
    size_t len, plen = strlen(HS_PUSH_TRACE_PREFIX);
    if(kit_json_type(j, t) != KIT_JSON_STRING)
        return -1;
    const char *s = kit_json_raw(j, t, &len);
    if(!s || len <= plen || len > plen + 20 || memcmp(s, HS_PUSH_TRACE_PREFIX, plen))
        return -1;
    uint64_t ord = 0;
    for(size_t i = plen; i < len; i++) {
        if(s[i] < '0' || s[i] > '9')
            return -1;
        ord = ord * 10 + (uint64_t)(s[i] - '0');
    }
    /* Items are placed in input order, so a batch is normally sorted
     * with few gaps (inputs finished before they were sent): the item is
     * first looked for where its position says, then stepping back over
     * the gaps. An item handed back for a second upsert can break the
     * order, hence the search over all of them last. */
    if(n && ord >= items[0]->ord) {
        size_t g = ord - items[0]->ord < n ? (size_t)(ord - items[0]->ord) : n - 1;
        for(size_t steps = 0; steps < 8 && items[g]->ord >= ord; steps++) {
            if(items[g]->ord == ord)
                return (long)g;
            if(!g--)
                break;
        }
    }
    size_t lo = 0, hi = n;
    while(lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if(items[mid]->ord == ord)
            return (long)mid;
        if(items[mid]->ord < ord)
            lo = mid + 1;
        else
            hi = mid;
    }
    for(size_t i = 0; i < n; i++)
        if(items[i]->ord == ord)
            return (long)i;
    return -1;
}

/* Index of the item whose email equals string token t ignoring case
 * (HubSpot stores emails lowercased), or -1; an item still without an
 * answer is preferred over one that has one. */
static long find_email(const struct kit_json *j, int t, struct hs_push_item **items, size_t n)
{
    if(kit_json_type(j, t) != KIT_JSON_STRING)
        return -1;
    struct kit_buf b = KIT_BUF_INIT;
    long found = -1;
    if(!kit_json_str(j, t, &b) && b.len) {
        for(size_t i = 0; i < n && found < 0; i++)
            if(items[i]->email && open_item(items[i]) && !strcasecmp(items[i]->email, b.data))
                found = (long)i;
        for(size_t i = 0; i < n && found < 0; i++)
            if(items[i]->email && !strcasecmp(items[i]->email, b.data))
                found = (long)i;
    }
    kit_buf_free(&b);
    return found;
}

static int email_char(unsigned char c)
{
    return isalnum(c) || c >= 0x80 || (c && strchr(".!#$%&'*+/=?^_`{|}~-@", c));
}

/* Nonzero when text names email as a whole address (not inside a longer
 * one: "a@b.co" is not in "xa@b.com"). */
static int mentions(const char *text, const char *email)
{
    size_t el = strlen(email);
    if(!el)
        return 0;
    for(const char *p = text; (p = strcasestr(p, email)); p++) {
        unsigned char after = (unsigned char)p[el];
        if(p > text && email_char((unsigned char)p[-1]))
            continue;
        if(after == '.' ? isalnum((unsigned char)p[el + 1]) != 0 : email_char(after))
            continue;
        return 1;
    }
    return 0;
}

/* "HubSpot rejected this contact (category): said", said cut at
 * SAID_MAX bytes (as printf's "%.*s" would). */
static void fail_said(struct hs_push_item *it, const char *category, const char *said)
{
    static const char head[] = "HubSpot rejected this contact";
    int cat = category && *category;
    const char *part[] = {head, cat ? " (" : "", cat ? category : "", cat ? "): " : ": ", said};
    size_t len[] = {sizeof head - 1, cat ? 2 : 0, cat ? strlen(category) : 0, cat ? 3 : 2,
                    strnlen(said, SAID_MAX)};
    hs_push_item_fail_parts(it, part, len, sizeof part / sizeof part[0]);
}

/* Tie string token t (a trace id or an email) to an open item. */
static long tie(const struct kit_json *j, int t, struct hs_push_item **items, size_t n)
{
    long k = find_trace(j, t, items, n);
    return k >= 0 ? k : find_email(j, t, items, n);
}

/* One errors[] entry: give its message to every input it is about.
 * UNCONFIRMED shape: HubSpot documents objectWriteTraceId as the key for
 * multi-status matching but not where in the error it is echoed, so any
 * string in context (SPEC: a map of string arrays) that is one of our
 * trace ids or emails counts, then top-level objectWriteTraceId / id, and
 * last an email of the batch quoted in the message. Returns how many
 * inputs it was tied to. */
static int apply_error(const struct kit_json *j, int e, struct hs_push_item **items, size_t n,
                       char **said_out, char **cat_out)
{
    char *said = kit_json_strdup(j, kit_json_get(j, e, "message"));
    char *cat = kit_json_strdup(j, kit_json_get(j, e, "category"));
    if(!said)
        said = strdup("(no message)");
    int hits = 0;
    long idx[2 * HS_PUSH_BATCH];
    size_t nidx = 0;
    int ctx = kit_json_get(j, e, "context");
    if(kit_json_type(j, ctx) == KIT_JSON_OBJECT) {
        int m = ctx + 1;
        for(int i = 0; i < kit_json_size(j, ctx); i++, m = kit_json_skip(j, m)) {
            int v = m + 1;
            if(kit_json_type(j, v) == KIT_JSON_ARRAY) {
                int s = v + 1;
                for(int a = 0; a < kit_json_size(j, v); a++, s = kit_json_skip(j, s)) {
                    long k = tie(j, s, items, n);
                    if(k >= 0 && nidx < sizeof idx / sizeof idx[0])
                        idx[nidx++] = k;
                }
            } else {
                long k = tie(j, v, items, n);
                if(k >= 0 && nidx < sizeof idx / sizeof idx[0])
                    idx[nidx++] = k;
            }
        }
    }
    if(!nidx) {
        static const char *const keys[] = {"objectWriteTraceId", "id"};
        for(size_t i = 0; i < 2 && !nidx; i++) {
            long k = tie(j, kit_json_get(j, e, keys[i]), items, n);
            if(k >= 0)
                idx[nidx++] = k;
        }
    }
    if(!nidx && said) {
        for(size_t i = 0; i < n && nidx < sizeof idx / sizeof idx[0]; i++)
            if(open_item(items[i]) && items[i]->email && mentions(said, items[i]->email))
                idx[nidx++] = (long)i;
    }
    for(size_t i = 0; i < nidx; i++) {
        struct hs_push_item *it = items[idx[i]];
        hits++;
        if(open_item(it))
            fail_said(it, cat, said ? said : "(out of memory reading the message)");
    }
    *said_out = said;
    *cat_out = cat;
    return hits;
}

/* Read a 2xx answer onto items[0..n). */
/* The members apply reads from result object t (-1 when absent), found in
 * one pass over it: looking each up by name was a scan of the object
 * each, three per contact. With duplicate names the first wins, as with
 * kit_json_get. */
static void result_members(const struct kit_json *j, int t, int escapes, int *trace, int *id,
                           int *created)
{
    *trace = *id = *created = -1;
    if(kit_json_type(j, t) != KIT_JSON_OBJECT)
        return;
    int n = kit_json_size(j, t);
    size_t olen;
    const char *obj = kit_json_raw(j, t, &olen);
    if(!obj || (escapes && memchr(obj, '\\', olen))) {
        /* an escape somewhere: names are compared unescaped */
        for(int i = 0, m = t + 1; i < n; i++, m = kit_json_skip(j, m)) {
            if(*trace < 0 && kit_json_eqn(j, m, "objectWriteTraceId", sizeof "objectWriteTraceId" - 1))
                *trace = m + 1;
            else if(*id < 0 && kit_json_eqn(j, m, "id", 2))
                *id = m + 1;
            else if(*created < 0 && kit_json_eqn(j, m, "new", 3))
                *created = m + 1;
        }
        return;
    }
    /* No escape in the object (one scan of it, not one per name): each
     * name is its raw text, told apart by length and first byte before
     * any comparison. */
    for(int i = 0, m = t + 1; i < n; i++, m = kit_json_skip(j, m)) {
        size_t len;
        const char *name = kit_json_raw(j, m, &len);
        if(!name)
            continue;
        if(len == 18 && name[0] == 'o' && *trace < 0 && !memcmp(name, "objectWriteTraceId", 18))
            *trace = m + 1;
        else if(len == 2 && name[0] == 'i' && name[1] == 'd' && *id < 0)
            *id = m + 1;
        else if(len == 3 && name[0] == 'n' && *created < 0 && !memcmp(name, "new", 3))
            *created = m + 1;
    }
}

/* Whether text read from token t of j (an answer's results) can hold a
 * secret: its bytes are checked once here, not every field of every
 * result when it is emitted. Only the results are checked, so an error
 * entry elsewhere in the answer (its items are scanned whole anyway: see
 * hs_push_item_fail) does not make the batch's ids suspect. Without an
 * instance to know the token by, everything counts as suspect. */
static int text_suspect(const struct oc_instance *in, const struct kit_json *j, int t)
{
    size_t len;
    const char *raw = kit_json_raw(j, t, &len);
    return !in || (raw && hs_json_may_hold_secret(in, raw, len));
}

/* it's record id from token id of j: "" when it has none usable (a
 * \u0000 in it, oom, not a string or number). */
static void take_id(struct hs_push_item *it, const struct kit_json *j, int id, int escapes)
{
    enum kit_json_type ty = kit_json_type(j, id);
    size_t len;
    const char *raw = ty == KIT_JSON_STRING || ty == KIT_JSON_NUMBER ? kit_json_raw(j, id, &len) : NULL;
    hs_push_item_clear_id(it);
    if(!raw)
        return;
    /* Ids are digits: the raw text is the value, unless escaped. */
    if(!escapes || !memchr(raw, '\\', len)) {
        hs_push_item_set_id(it, raw, len);
        return;
    }
    char *s = kit_json_strdup(j, id);
    if(s)
        hs_push_item_set_id(it, s, strlen(s));
    free(s);
}

static void apply(const struct oc_instance *in, const struct kit_http_req *r, struct hs_push_item **items,
                  size_t n)
{
    const struct kit_json *j = &r->json;
    int root = j->ntok > 0 && kit_json_type(j, 0) == KIT_JSON_OBJECT;
    int results = root ? kit_json_get(j, 0, "results") : -1;
    int errors = root ? kit_json_get(j, 0, "errors") : -1;
    int nres = kit_json_type(j, results) == KIT_JSON_ARRAY ? kit_json_size(j, results) : 0;
    int nerr = kit_json_type(j, errors) == KIT_JSON_ARRAY ? kit_json_size(j, errors) : 0;
    if(nres == 0 && nerr == 0) {
        /* A 2xx that says nothing is not a success: nothing proves the
         * contacts exist, and there is no id to add to the list. */
        for(size_t i = 0; i < n; i++)
            hs_push_item_fail(items[i],
                              "HubSpot answered HTTP %ld to the batch upsert with neither "
                              "results nor errors, so this contact's fate is unknown; re-run "
                              "this input (safe: upsert by email)",
                              r->status);
        return;
    }
    int suspect = nres && text_suspect(in, j, results);
    /* One look for a backslash over all the results, not one per result
     * and one more per id: nearly every answer has none. */
    size_t rlen = 0;
    const char *rraw = nres ? kit_json_raw(j, results, &rlen) : NULL;
    int escapes = !rraw || memchr(rraw, '\\', rlen) != NULL;
    int t = results + 1;
    for(int i = 0; i < nres; i++, t = kit_json_skip(j, t)) {
        int trace, id, created;
        result_members(j, t, escapes, &trace, &id, &created);
        long k = find_trace(j, trace, items, n);
        if(k < 0) /* no trace id echoed: fall back on the email */
            k = find_email(j, kit_json_path(j, t, "properties.email"), items, n);
        if(k < 0 || !open_item(items[k]))
            continue;
        struct hs_push_item *it = items[k];
        take_id(it, j, id, escapes);
        it->suspect |= suspect;
        /* Only "true" is trusted: after a lost answer the retry finds the
         * contact the first attempt created and calls it not new. */
        it->created = kit_json_bool(j, created) == 1;
        if(!it->record_id || !*it->record_id) {
            hs_push_item_clear_id(it);
            hs_push_item_fail(it, "HubSpot's result for this input carries no record id, so it "
                                  "cannot be added to the list; re-run it (safe: upsert by email)");
        }
    }
    char *loose = NULL, *loose_cat = NULL;
    int nloose = 0;
    t = errors + 1;
    for(int i = 0; i < nerr; i++, t = kit_json_skip(j, t)) {
        char *said = NULL, *cat = NULL;
        if(apply_error(j, t, items, n, &said, &cat) == 0) {
            if(!nloose++) {
                loose = said;
                loose_cat = cat;
                said = cat = NULL;
            }
        }
        free(said);
        free(cat);
    }
    size_t left = 0;
    long last = -1;
    for(size_t i = 0; i < n; i++)
        if(open_item(items[i])) {
            left++;
            last = (long)i;
        }
    if(left == 1 && nloose == 1) {
        /* One error no key tied to anything and one input without an
         * answer: they belong together. */
        fail_said(items[last], loose_cat, loose);
    } else {
        for(size_t i = 0; i < n; i++) {
            if(!open_item(items[i]))
                continue;
            if(nloose)
                hs_push_item_fail(items[i],
                                  "HubSpot returned no result for this input; it also reported "
                                  "%d error(s) it did not tie to an input, the first: %.*s; fix "
                                  "and re-run this input",
                                  nloose, SAID_MAX, loose);
            else
                hs_push_item_fail(items[i], "HubSpot returned no result for this input; re-run it "
                                            "(safe: upsert by email)");
        }
    }
    free(loose);
    free(loose_cat);
}

static void fail_range(struct hs_push_item **items, size_t n, const char *fmt, const char *msg)
{
    for(size_t i = 0; i < n; i++)
        if(open_item(items[i]))
            hs_push_item_fail(items[i], fmt, msg);
}

/* HubSpot's "message" of an error answer, for comparing two answers
 * (the full error text carries a different correlationId each time). */
static char *said_of(const struct kit_http_req *r)
{
    char *s = r->json.ntok > 0 ? kit_json_strdup(&r->json, kit_json_get(&r->json, 0, "message")) : NULL;
    return s ? s : strdup("");
}

struct node {
    size_t lo, hi;
    char *said;                          /* HubSpot's message, for comparing */
    char msg[OC_ERROR_MESSAGE_SIZE];     /* the whole error text, for the items */
};

/* A whole-batch 400 names no input, so halve the batch until each bad
 * input stands alone: about 2*log2(100) = 14 extra calls per bad input,
 * halves of one level sent concurrently. Two guards keep the cost
 * bounded: HS_PUSH_SPLIT_MAX_EXTRA calls per batch, and when all four
 * quarters fail with the batch's own message the fault is not one input
 * (an unknown property column, say) and the whole batch fails at once.
 * The guard can misjudge four bad inputs with identical messages, one per
 * quarter; they then fail with the batch, which is still their error.
 *
 * One level at a time: the refused ranges of this level (fail) are
 * halved, the halves sent together, and the halves refused again become
 * the next level (next, then swapped into fail). */
struct split {
    struct oc_instance *in;
    struct hs_push_item **items;
    size_t n;
    struct node *fail, *next;  /* n each: this level's refused ranges, the next's */
    size_t nfail;
    struct kit_http_req *reqs; /* n each: one level's requests and their bodies */
    struct kit_buf *bodies;
    size_t nreq;               /* requests and bodies that need freeing */
    int extra, depth;          /* calls spent, levels sent */
};

static oc_status split_oom(struct oc_error *err)
{
    return kit_fail(err, OC_E_NOMEM, "out of memory splitting a refused upsert batch");
}

/* The whole batch as the first refused range. */
static oc_status split_init(struct split *S, struct oc_instance *in, const struct kit_http_req *root,
                            struct hs_push_item **items, size_t n, struct oc_error *err)
{
    memset(S, 0, sizeof *S);
    S->in = in;
    S->items = items;
    S->n = n;
    S->fail = calloc(n, sizeof *S->fail);
    S->next = calloc(n, sizeof *S->next);
    S->reqs = calloc(n, sizeof *S->reqs);
    S->bodies = calloc(n, sizeof *S->bodies);
    char *root_said = said_of(root);
    if(!S->fail || !S->next || !S->reqs || !S->bodies || !root_said) {
        free(root_said);
        return split_oom(err);
    }
    S->fail[0].lo = 0;
    S->fail[0].hi = n;
    S->fail[0].said = root_said;
    snprintf(S->fail[0].msg, sizeof S->fail[0].msg, "%s", root->err.message);
    S->nfail = 1;
    return OC_OK;
}

static void split_free_level(struct split *S)
{
    for(size_t c = 0; c < S->nreq; c++) {
        kit_http_req_free(&S->reqs[c]);
        kit_buf_free(&S->bodies[c]);
    }
    S->nreq = 0;
}

static void split_free(struct split *S)
{
    split_free_level(S);
    if(S->fail)
        for(size_t f = 0; f < S->n; f++)
            free(S->fail[f].said);
    if(S->next)
        for(size_t f = 0; f < S->n; f++)
            free(S->next[f].said);
    free(S->fail);
    free(S->next);
    free(S->reqs);
    free(S->bodies);
}

/* Fail every item of this level's refused ranges with fmt (one %s: the
 * range's own error). */
static void split_fail_level(struct split *S, const char *fmt)
{
    for(size_t f = 0; f < S->nfail; f++)
        fail_range(S->items + S->fail[f].lo, S->fail[f].hi - S->fail[f].lo, fmt, S->fail[f].msg);
}

/* Halve every refused range and send the halves together. */
static oc_status split_send(struct split *S, struct oc_error *err)
{
    size_t nch = 2 * S->nfail;
    for(size_t f = 0; f < S->nfail; f++) {
        size_t lo = S->fail[f].lo, hi = S->fail[f].hi, mid = lo + (hi - lo) / 2;
        size_t part[3] = {lo, mid, hi};
        for(int h = 0; h < 2; h++) {
            size_t c = 2 * f + (size_t)h;
            if(hs_upsert_body(&S->bodies[c], S->items + part[h], part[h + 1] - part[h])) {
                S->nreq = c + 1;
                return split_oom(err);
            }
            kit_http_req_init(&S->reqs[c], "POST",
                              hs_api_template(S->in->opt.api, HS_EP_CONTACTS_BATCH_UPSERT),
                              S->bodies[c].data,
                              S->bodies[c].len, UPSERT_ENDPOINT);
            S->next[c].lo = part[h];
            S->next[c].hi = part[h + 1];
        }
    }
    S->nreq = nch;
    struct oc_error e = {sizeof e};
    kit_http_run(S->in->http, S->reqs, nch, &e);
    S->extra += (int)nch;
    S->depth++;
    return OC_OK;
}

/* Read the halves' answers: settled ones onto their items, refused ones
 * (of more than one input) into the next level, which then replaces this
 * one. OC_OK, or the first stop status met (in err). */
static oc_status split_read(struct split *S, struct oc_error *err)
{
    oc_status rc = OC_OK;
    size_t nnext = 0;
    /* next[] doubles as the halves' ranges; the refused ones are
     * compacted to its front as they are read. */
    for(size_t c = 0; c < S->nreq; c++) {
        struct kit_http_req *r = &S->reqs[c];
        size_t lo = S->next[c].lo, hi = S->next[c].hi;
        if(r->rc == OC_OK) {
            apply(S->in, r, S->items + lo, hi - lo);
        } else if(hs_push_is_stop(r->rc)) {
            if(!rc)
                rc = hs_push_req_fail(err, r, "%s", r->err.message);
        } else if(r->rc == OC_E_INVALID && r->status == 400 && hi - lo > 1) {
            struct node *d = &S->next[nnext++];
            d->lo = lo;
            d->hi = hi;
            d->said = said_of(r);
            snprintf(d->msg, sizeof d->msg, "%s", r->err.message);
        } else {
            fail_range(S->items + lo, hi - lo, "%s", r->err.message);
        }
    }
    split_free_level(S);
    for(size_t f = 0; f < S->nfail; f++) {
        free(S->fail[f].said);
        S->fail[f].said = NULL;
    }
    struct node *swap = S->fail;
    S->fail = S->next;
    S->next = swap;
    S->nfail = nnext;
    return rc;
}

/* Whether all four quarters were refused with the batch's own message. */
static int split_common_cause(const struct split *S, const struct kit_http_req *root)
{
    if(S->depth != 2 || S->nfail != 4)
        return 0;
    char *rs = said_of(root);
    int all = rs != NULL;
    for(size_t f = 0; f < S->nfail && all; f++)
        all = S->fail[f].said && !strcmp(rs, S->fail[f].said);
    free(rs);
    return all;
}

static oc_status split(struct oc_instance *in, const struct kit_http_req *root,
                       struct hs_push_item **items, size_t n, struct oc_error *err)
{
    struct split S;
    oc_status rc = split_init(&S, in, root, items, n, err);
    while(!rc && S.nfail) {
        if(S.extra + (int)(2 * S.nfail) > HS_PUSH_SPLIT_MAX_EXTRA) {
            split_fail_level(&S, "HubSpot refused a batch this input was in, and narrowing it "
                                 "down further would cost too many calls: %s");
            break;
        }
        rc = split_send(&S, err);
        if(rc)
            break;
        rc = split_read(&S, err);
        if(!rc && split_common_cause(&S, root)) {
            split_fail_level(&S, "HubSpot refused every part of the batch this input was in with "
                                 "the same error, so the cause is common to the batch (a property "
                                 "column, say), not one input: %s");
            break;
        }
    }
    split_free(&S);
    return rc;
}

oc_status hs_upsert_settle(struct oc_instance *in, struct kit_http_req *r,
                           struct hs_push_item **items, size_t n, int allow_split,
                           struct oc_error *err)
{
    if(r->rc == OC_OK) {
        apply(in, r, items, n);
        return OC_OK;
    }
    if(r->rc == OC_E_AUTH && r->status == 403)
        return hs_push_req_fail(err, r,
                                "HubSpot refused to upsert contacts (HTTP 403 %s): the token "
                                "lacks the scope crm.objects.contacts.write; add it to the private "
                                "app in HubSpot (Settings > Integrations > Private Apps) and use "
                                "the token it shows after saving",
                                r->err.category);
    if(hs_push_is_stop(r->rc))
        return hs_push_req_fail(err, r, "%s", r->err.message);
    if(r->rc == OC_E_NOT_FOUND)
        /* Every following batch would meet the same 404: the endpoint is
         * gone or moved, not the contacts. */
        return hs_push_req_stop(err, r, OC_E_CONFIG,
                                "HubSpot answered 404 to the batch upsert (%s): the contacts "
                                "endpoint is not there, so the push stops; check base_url, and "
                                "HubSpot's changelog for a retired API",
                                r->err.message);
    if(r->rc == OC_E_INVALID && r->status == 400 && n > 1 && allow_split)
        return split(in, r, items, n, err);
    if(r->status == 400 && n > 1)
        fail_range(items, n, "HubSpot refused the batch this input was in: %s", r->err.message);
    else
        fail_range(items, n, "%s", r->err.message);
    return OC_OK;
}
