/* email_event.c - see email_event.h. */
#include "hubspot/email_event.h"

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

int hs_email_event_key(struct kit_buf *out, const char *key, size_t len)
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

int hs_email_event_identity(const struct kit_json *j, int ev, struct kit_buf *id, int64_t *created,
                            char *why, size_t whysize)
{
    kit_buf_reset(id);
    if(kit_json_type(j, ev) != KIT_JSON_OBJECT) {
        snprintf(why, whysize, "is not a JSON object");
        return -1;
    }
    int t = kit_json_get(j, ev, "id");
    enum kit_json_type ty = kit_json_type(j, t);
    if((ty != KIT_JSON_STRING && ty != KIT_JSON_NUMBER) || kit_json_str(j, t, id) || !id->len) {
        snprintf(why, whysize, "has no id");
        return -1;
    }
    t = kit_json_get(j, ev, "created");
    if(kit_json_type(j, t) == KIT_JSON_NONE || kit_json_type(j, t) == KIT_JSON_NULL) {
        snprintf(why, whysize, "(id %.80s) has no created timestamp", kit_buf_str(id));
        return -1;
    }
    if(kit_json_int64(j, t, created) || *created < 0) {
        snprintf(why, whysize, "(id %.80s) has a created value that is not a timestamp in ms",
                 kit_buf_str(id));
        return -1;
    }
    return 0;
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

#define NSLOTS 1024u /* events carry a few dozen fields; more fall back to a scan */

static int begin_names(struct hs_email_event *e)
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
static int name_seen(struct hs_email_event *e, const char *key, size_t kept)
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
        struct hs_email_event_slot *sl = &e->slots[i];
        if(sl->gen != e->gen) {
            sl->gen = e->gen;
            sl->idx = (uint32_t)kept;
            return 0;
        }
        if(!strcmp(e->fl.f[sl->idx].key, key))
            return 1;
    }
}

#define NENT 512u          /* names cached; a pull sees a few dozen */
#define NTABLE 1024u       /* twice NENT: probes stay short */
#define ARENA_MAX 65536u   /* bytes of keys and names cached */
#define ENT_ID 1u          /* the entries made first, so that the fixed */
#define ENT_CREATED 2u     /* id and created fields have their name ids */

static uint32_t key_hash(uint32_t parent, const char *raw, size_t len)
{
    uint32_t h = 2166136261u ^ (parent * 0x9E3779B1u);
    for(size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)raw[i]) * 16777619u;
    return h;
}

static const char *ent_name(const struct hs_email_event *e, uint32_t i)
{
    return e->arena.data + e->names[i].name_off;
}

/* The name of key raw[0..len) under entry parent into e->scratch: the
 * parent's name, '_', and the key's (the parent's alone when it flattened
 * to ""). 0, or -1 when memory ran out. */
static int name_in_scratch(struct hs_email_event *e, uint32_t parent, const char *raw, size_t len)
{
    kit_buf_reset(&e->scratch);
    size_t plen = e->names[parent].name_len;
    if(plen && (kit_buf_append(&e->scratch, ent_name(e, parent), plen) || kit_buf_putc(&e->scratch, '_')))
        return -1;
    return hs_email_event_key(&e->scratch, raw, len) ? -1 : 0;
}

/* Cache entry for key raw[0..len) under parent whose name is in
 * e->scratch (made by the caller, NUL-terminated): 0 when the cache is
 * full (the caller flattens the long way), the entry otherwise; -1 on
 * oom. */
static long new_entry(struct hs_email_event *e, uint32_t parent, const char *raw, size_t len,
                      int lead)
{
    size_t name_len = e->scratch.len;
    if(e->nnames >= NENT || e->arena.len + len + name_len + 2 > ARENA_MAX)
        return 0;
    if(kit_buf_reserve(&e->arena, len + name_len + 2))
        return -1;
    uint32_t idx = e->nnames++;
    struct hs_email_event_name *nm = &e->names[idx];
    nm->parent = parent;
    nm->raw_off = (uint32_t)e->arena.len;
    nm->rawlen = (uint32_t)len;
    kit_buf_append(&e->arena, raw, len);
    nm->name_off = (uint32_t)e->arena.len;
    nm->name_len = (uint32_t)name_len;
    kit_buf_append(&e->arena, e->scratch.data ? e->scratch.data : "", name_len);
    kit_buf_putc(&e->arena, '\0');
    nm->first = nm->next = 0;
    nm->lead = lead;
    nm->ms_time = (unsigned char)hs_ms_time_name(ent_name(e, idx), name_len);
    nm->twin_named = (unsigned char)hs_twin_suffixed(ent_name(e, idx), name_len);
    /* Distinct keys can make one name (appId, app_id): they share the id
     * the duplicate check goes by. Runs once per entry, at most NENT. */
    nm->name_id = idx;
    for(uint32_t i = 0; i < idx; i++)
        if(e->names[i].name_len == name_len && !memcmp(ent_name(e, i), ent_name(e, idx), name_len)) {
            nm->name_id = i;
            break;
        }
    uint32_t h = key_hash(parent, raw, len);
    for(uint32_t s = h & (NTABLE - 1);; s = (s + 1) & (NTABLE - 1))
        if(!e->table[s]) {
            e->table[s] = (uint16_t)idx;
            break;
        }
    return idx;
}

static int begin_cache(struct hs_email_event *e)
{
    if(e->names)
        return 0;
    e->names = calloc(NENT, sizeof *e->names);
    e->table = calloc(NTABLE, sizeof *e->table);
    e->stamp = calloc(NENT, sizeof *e->stamp);
    if(!e->names || !e->table || !e->stamp)
        goto fail;
    e->nnames = 1; /* entry 0: the event, parent of its members, named "" */
    if(kit_buf_reserve(&e->arena, 64))
        goto fail;
    kit_buf_putc(&e->arena, '\0');
    kit_buf_reset(&e->scratch);
    if(kit_buf_append(&e->scratch, "id", 2) || new_entry(e, 0, "id", 2, 0) != ENT_ID)
        goto fail;
    kit_buf_reset(&e->scratch);
    if(kit_buf_append(&e->scratch, "created", 7) || new_entry(e, 0, "created", 7, 1) != ENT_CREATED)
        goto fail;
    return 0;
fail:
    free(e->names);
    free(e->table);
    free(e->stamp);
    e->names = NULL;
    e->table = NULL;
    e->stamp = NULL;
    e->nnames = 0;
    kit_buf_free(&e->arena);
    return -1;
}

/* find_entry's way when the sibling that followed last time is not this
 * key: the hash, then a new entry. */
static int find_entry_hashed(struct hs_email_event *e, const struct kit_json *j, uint32_t parent,
                             int k, uint32_t *prev, uint32_t *ent)
{
    size_t len;
    const char *raw = kit_json_raw(j, k, &len);
    uint32_t *hint = *prev ? &e->names[*prev].next : &e->names[parent].first;
    uint32_t h = key_hash(parent, raw, len);
    for(uint32_t s = h & (NTABLE - 1); e->table[s]; s = (s + 1) & (NTABLE - 1)) {
        const struct hs_email_event_name *nm = &e->names[e->table[s]];
        if(nm->parent == parent && nm->rawlen == len && !memcmp(e->arena.data + nm->raw_off, raw, len)) {
            *hint = *prev = *ent = e->table[s];
            return 0;
        }
    }
    /* New: its name as the path is built the long way. */
    if(name_in_scratch(e, parent, raw, len))
        return -1;
    long made = new_entry(e, parent, raw, len, parent ? -1 : lead_index(j, k));
    if(made < 0)
        return -1;
    *ent = (uint32_t)made;
    if(made)
        *hint = (uint32_t)made;
    *prev = (uint32_t)made;
    return 0;
}

/* The entry for member name token k of an object whose entry is parent,
 * into *ent (0: not cached, flatten it the long way). *prev is the entry
 * of the member before (0 for the first) and becomes this one: the
 * sibling that followed last time is tried before the hash. 0, or -1 on
 * oom. */
static inline int find_entry(struct hs_email_event *e, const struct kit_json *j, uint32_t parent, int k,
                             uint32_t *prev, uint32_t *ent)
{
    const struct kit_json_tok *key = &j->tok[k];
    uint32_t hint = *prev ? e->names[*prev].next : e->names[parent].first;
    const struct hs_email_event_name *g = &e->names[hint];
    size_t len = (size_t)(key->end - key->start);
    if(hint && g->rawlen == len && !memcmp(e->arena.data + g->raw_off, j->text + key->start, len)) {
        *prev = *ent = hint;
        return 0;
    }
    return find_entry_hashed(e, j, parent, k, prev, ent);
}

/* Start a field named name[0..nlen) of this type with room for vlen more
 * bytes of value: the caller appends the value to e->fl.text and ends it
 * with kit_fieldlist_end, or calls put_field. 0, or -1 on oom. */
static int open_field(struct hs_email_event *e, const char *name, size_t nlen, int type, size_t vlen)
{
    struct kit_fieldlist *l = &e->fl;
    struct kit_buf *b = &l->text;
    if(l->n == l->cap || b->oom || !b->data || b->cap - b->len <= nlen + vlen + 2) {
        /* Growing is rare once the buffers fit the largest event. */
        if(kit_fieldlist_begin(l, name, nlen, type) || kit_buf_reserve(b, vlen + 1))
            return -1;
        return 0;
    }
    l->off[2 * l->n] = b->len;
    memcpy(b->data + b->len, name, nlen);
    b->len += nlen;
    b->data[b->len++] = '\0';
    l->off[2 * l->n + 1] = b->len;
    l->f[l->n].type = type;
    l->n++;
    return 0;
}

/* A field whose value is v[0..vlen) as it is: one copy of the name, one
 * of the value, into room made once. */
static int put_field(struct hs_email_event *e, const char *name, size_t nlen, int type,
                     const char *v, size_t vlen)
{
    if(open_field(e, name, nlen, type, vlen))
        return -1;
    struct kit_buf *b = &e->fl.text;
    if(vlen)
        memcpy(b->data + b->len, v, vlen);
    b->len += vlen;
    b->data[b->len++] = '\0';
    b->data[b->len] = '\0';
    return 0;
}

/* Nonzero when the members of object token o have their names in the
 * order kit_json_canonical sorts them (bytewise; equal names keep their
 * order) and none is escaped. */
static int keys_sorted(const struct kit_json *j, int o)
{
    const struct kit_json_tok *t = j->tok;
    int n = t[o].size;
    for(int i = 0, k = o + 1, prev = -1; i < n; i++, prev = k, k = t[k].next) {
        if(t[k].esc)
            return 0;
        if(prev < 0)
            continue;
        size_t la = (size_t)(t[prev].end - t[prev].start), lb = (size_t)(t[k].end - t[k].start);
        int r = memcmp(j->text + t[prev].start, j->text + t[k].start, la < lb ? la : lb);
        if(r > 0 || (!r && la > lb))
            return 0;
    }
    return 1;
}

/* Nonzero when array token a's text is already what put_array writes for
 * it: no whitespace between tokens (the text is exactly as long as its
 * tokens, brackets and separators), no escaped string (those are
 * re-escaped minimally), objects' names in canonical order. Counting
 * lengths from the tokens reads none of the text's bytes. */
static int array_is_compact(const struct kit_json *j, int a)
{
    const struct kit_json_tok *t = j->tok;
    size_t want = 0;
    for(int i = a; i < t[a].next; i++) {
        const struct kit_json_tok *k = &t[i];
        switch(k->type) {
        case KIT_JSON_STRING:
            if(k->esc)
                return 0;
            want += (size_t)(k->end - k->start) + 2;
            break;
        case KIT_JSON_OBJECT: /* braces, a colon per member, commas between */
            if(!keys_sorted(j, i))
                return 0;
            want += 2 + (k->size ? 2 * (size_t)k->size - 1 : 0);
            break;
        case KIT_JSON_ARRAY:
            want += 2 + (k->size ? (size_t)k->size - 1 : 0);
            break;
        default:
            want += (size_t)(k->end - k->start);
            break;
        }
    }
    return want == (size_t)(t[a].end - t[a].start);
}

/* Value token t as the field named name[0..nlen) (cached or not). Arrays
 * (subscriptions, ...) stay whole: their items rarely share a shape, and
 * numbering them would make unstable column names. JSON for a host that
 * takes it; hs_emit turns it into a string for one that does not. */
static int put_value(struct hs_email_event *e, const struct kit_json *j, int t, const char *name,
                     size_t nlen)
{
    const struct kit_json_tok *k = &j->tok[t];
    const char *raw = j->text + k->start;
    size_t len = (size_t)(k->end - k->start);
    switch(k->type) {
    case KIT_JSON_ARRAY:
        if(array_is_compact(j, t))
            return put_field(e, name, nlen, OC_FIELD_JSON, raw, len);
        if(open_field(e, name, nlen, OC_FIELD_JSON, 0) || put_array(j, t, &e->fl.text))
            return -1;
        return kit_fieldlist_end(&e->fl);
    case KIT_JSON_STRING:
        if(!k->esc)
            return put_field(e, name, nlen, OC_FIELD_STRING, raw, len);
        if(open_field(e, name, nlen, OC_FIELD_STRING, len) || kit_json_str_escaped(j, k, &e->fl.text))
            return -1;
        return kit_fieldlist_end(&e->fl);
    case KIT_JSON_NUMBER:
        return put_field(e, name, nlen, OC_FIELD_NUMBER, raw, len);
    case KIT_JSON_BOOL:
        return put_field(e, name, nlen, OC_FIELD_BOOL, raw, len);
    case KIT_JSON_NULL:
        return put_field(e, name, nlen, OC_FIELD_NULL, "", 0);
    default:
        return 0;
    }
}

/* Flatten value token t under the key held in e->scratch (the path so
 * far): the long way, for keys the cache does not hold. */
static int add_value_uncached(struct hs_email_event *e, const struct kit_json *j, int t)
{
    size_t klen = e->scratch.len;
    if(kit_json_type(j, t) != KIT_JSON_OBJECT) {
        e->uncached = 1;
        return put_value(e, j, t, e->scratch.data ? e->scratch.data : "", klen);
    }
    int n = kit_json_size(j, t);
    for(int i = 0, k = t + 1; i < n; i++, k = kit_json_skip(j, k + 1)) {
        size_t rawlen;
        const char *raw = kit_json_raw(j, k, &rawlen);
        e->scratch.len = klen;
        if(klen && kit_buf_putc(&e->scratch, '_'))
            return -1;
        if(hs_email_event_key(&e->scratch, raw, rawlen) || add_value_uncached(e, j, k + 1))
            return -1;
    }
    e->scratch.len = klen;
    if(e->scratch.data)
        e->scratch.data[klen] = '\0';
    return 0;
}

/* Member name token k of the object whose entry is parent, with its
 * value, flattened the long way: the cache has no room for its name. */
static int add_member_uncached(struct hs_email_event *e, const struct kit_json *j, int k,
                               uint32_t parent)
{
    size_t rawlen;
    const char *raw = kit_json_raw(j, k, &rawlen);
    if(name_in_scratch(e, parent, raw, rawlen))
        return -1;
    return add_value_uncached(e, j, k + 1);
}

/* Note field idx, just made under entry nm's name, for hs_emit. */
static inline void note_name(struct hs_email_event *e, const struct hs_email_event_name *nm, size_t idx)
{
    e->twin_named |= nm->twin_named;
    if(!nm->ms_time)
        return;
    if(e->nms < sizeof e->ms / sizeof e->ms[0])
        e->ms[e->nms] = (uint32_t)idx;
    e->nms++;
}

/* Flatten value token t named by cache entry ent. A name given before in
 * this event is not added again (the first field of each name wins), nor
 * is "" (no usable column name). */
static int add_value(struct hs_email_event *e, const struct kit_json *j, int t, uint32_t ent)
{
    const struct kit_json_tok *k = &j->tok[t];
    if(k->type != KIT_JSON_OBJECT) {
        const struct hs_email_event_name *nm = &e->names[ent];
        if(!nm->name_len || e->stamp[nm->name_id] == e->stamp_gen)
            return 0;
        e->stamp[nm->name_id] = e->stamp_gen;
        /* Most fields (a string without escapes, a number, a bool, null)
         * are their name and their page bytes: two copies into room
         * checked once, here, where nearly every field of a pull goes.
         * The rest go to put_value. */
        static const signed char plain_type[16] = {
            -1, -1, -1, OC_FIELD_STRING, OC_FIELD_NUMBER, OC_FIELD_BOOL, OC_FIELD_NULL,
            -1, -1, -1, -1, -1, -1, -1, -1, -1};
        struct kit_fieldlist *l = &e->fl;
        struct kit_buf *b = &l->text;
        size_t nlen = nm->name_len;
        size_t vlen = k->type == KIT_JSON_NULL ? 0 : (size_t)(k->end - k->start);
        int type = plain_type[k->type];
        if(type < 0 || k->esc || l->n == l->cap || b->oom || !b->data ||
           b->cap - b->len <= nlen + vlen + 2) {
            size_t at = l->n;
            if(put_value(e, j, t, ent_name(e, ent), nlen))
                return -1;
            if(l->n > at)
                note_name(e, nm, at);
            return 0;
        }
        char *d = b->data + b->len;
        l->off[2 * l->n] = b->len;
        l->off[2 * l->n + 1] = b->len + nlen + 1;
        memcpy(d, ent_name(e, ent), nlen + 1); /* with its NUL */
        memcpy(d + nlen + 1, j->text + k->start, vlen);
        d[nlen + 1 + vlen] = '\0';
        d[nlen + 2 + vlen] = '\0';
        b->len += nlen + vlen + 2;
        l->f[l->n].type = type;
        note_name(e, nm, l->n++);
        return 0;
    }
    int n = k->size;
    uint32_t prev = 0;
    for(int i = 0, m = t + 1; i < n; i++, m = j->tok[m + 1].next) {
        uint32_t child;
        if(find_entry(e, j, ent, m, &prev, &child))
            return -1;
        if(child ? add_value(e, j, m + 1, child) : add_member_uncached(e, j, m, ent))
            return -1;
    }
    return 0;
}

static int add_member(struct hs_email_event *e, const struct kit_json *j, int k, uint32_t ent)
{
    return ent ? add_value(e, j, k + 1, ent) : add_member_uncached(e, j, k, 0);
}

/* The fixed id or created field, unless a field of that name came first
 * (never: they are added first; kept for the rule's sake). */
static int claim_name(struct hs_email_event *e, uint32_t ent)
{
    uint32_t id = e->names[ent].name_id;
    if(e->stamp[id] == e->stamp_gen)
        return 0;
    e->stamp[id] = e->stamp_gen;
    return 1;
}

/* Nonzero when number token t is plain digits that put_int64 would write
 * back unchanged: JSON allows no leading zero, and 18 digits fit int64. */
static int plain_ms(const struct kit_json *j, int t, const char **raw, size_t *len)
{
    const struct kit_json_tok *k = kit_json_token(j, t);
    if(!k || k->type != KIT_JSON_NUMBER || k->end - k->start > 18)
        return 0;
    *raw = j->text + k->start;
    *len = (size_t)(k->end - k->start);
    for(size_t i = 0; i < *len; i++)
        if((*raw)[i] < '0' || (*raw)[i] > '9')
            return 0;
    return 1;
}

/* Keep the fields whose name no earlier field has (the long way, for an
 * event with a name the cache did not hold; the cached names were
 * checked as they came, which keeps the same fields: the first of each). */
static int keep_first_names(struct hs_email_event *e)
{
    if(begin_names(e))
        return -1;
    size_t kept = 0;
    for(size_t i = 0; i < e->fl.n; i++) {
        const char *key = kit_fieldlist_key(&e->fl, i);
        if(!*key || name_seen(e, key, kept))
            continue;
        kit_fieldlist_keep(&e->fl, i, kept);
        kept++;
    }
    e->fl.n = kept;
    return 0;
}

oc_status hs_email_event_flatten(const struct kit_json *j, int ev, struct hs_email_event *e)
{
    kit_fieldlist_reset(&e->fl);
    e->fields = e->fl.f;
    e->n = 0;
    e->nms = 0;
    e->twin_named = 0;
    if(kit_json_type(j, ev) != KIT_JSON_OBJECT)
        return OC_E_PROTOCOL;
    if(begin_cache(e))
        goto oom;
    if(++e->stamp_gen == 0) { /* wrapped: old stamps would look current */
        memset(e->stamp, 0, NENT * sizeof *e->stamp);
        e->stamp_gen = 1;
    }
    e->uncached = 0;
    /* The lead keys are found as hs_email_event_identity finds id and
     * created (kit_json_get: with a key repeated the first copy wins), so
     * the identity checked is the identity emitted; the other copies are
     * dropped as names given before. One pass finds them and each
     * member's cache entry, for the pass that adds the rest. */
    int lead[NLEAD];
    uint32_t lead_ent[NLEAD];
    for(size_t i = 0; i < NLEAD; i++)
        lead[i] = -1;
    int n = j->tok[ev].size;
    uint32_t ents[64], prev = 0;
    for(int i = 0, k = ev + 1; i < n; i++, k = j->tok[k + 1].next) {
        uint32_t ent;
        if(find_entry(e, j, 0, k, &prev, &ent))
            goto oom;
        if(i < 64)
            ents[i] = ent;
        int li = ent ? e->names[ent].lead : lead_index(j, k);
        if(li >= 0 && lead[li] < 0) {
            lead[li] = k;
            lead_ent[li] = ent;
        }
    }
    if(lead[0] < 0 || lead[1] < 0)
        return OC_E_PROTOCOL;

    /* id and created have fixed types whatever HubSpot sent (created may
     * come as a string holding the number). */
    const char *raw;
    size_t len;
    int64_t created = 0;
    int plain = plain_ms(j, lead[1] + 1, &raw, &len);
    if(!plain && kit_json_int64(j, lead[1] + 1, &created))
        return OC_E_PROTOCOL;
    if(claim_name(e, ENT_ID) &&
       (open_field(e, "id", 2, OC_FIELD_STRING, 0) || kit_json_str(j, lead[0] + 1, &e->fl.text) ||
        kit_fieldlist_end(&e->fl)))
        goto oom;
    if(claim_name(e, ENT_CREATED)) {
        size_t at = e->fl.n;
        if(plain ? put_field(e, "created", 7, OC_FIELD_NUMBER, raw, len)
                 : open_field(e, "created", 7, OC_FIELD_NUMBER, 0) ||
                       put_int64(&e->fl.text, created) || kit_fieldlist_end(&e->fl))
            goto oom;
        note_name(e, &e->names[ENT_CREATED], at);
    }
    for(size_t i = 2; i < NLEAD; i++)
        if(lead[i] >= 0 && add_member(e, j, lead[i], lead_ent[i]))
            goto oom;
    prev = 0;
    for(int i = 0, k = ev + 1; i < n; i++, k = j->tok[k + 1].next) {
        uint32_t ent = 0;
        if(i < 64)
            ent = ents[i];
        else if(find_entry(e, j, 0, k, &prev, &ent))
            goto oom;
        int li = ent ? e->names[ent].lead : lead_index(j, k);
        if(li < 0 && add_member(e, j, k, ent))
            goto oom;
    }

    /* Pointers only now: text may have moved while it grew. */
    if(e->uncached) {
        if(keep_first_names(e))
            goto oom;
    } else {
        for(size_t i = 0; i < e->fl.n; i++)
            kit_fieldlist_keep(&e->fl, i, i);
    }
    e->fields = e->fl.f;
    e->n = e->fl.n;
    return OC_OK;
oom:
    e->fl.n = 0;
    e->fields = e->fl.f;
    e->n = 0;
    return OC_E_NOMEM;
}

const struct hs_record_known *hs_email_event_known(const struct hs_email_event *e,
                                                   struct hs_record_known *out)
{
    if(e->uncached || e->nms > sizeof e->ms / sizeof e->ms[0])
        return NULL;
    *out = (struct hs_record_known){e->ms, e->nms, e->twin_named};
    return out;
}

void hs_email_event_free(struct hs_email_event *e)
{
    kit_fieldlist_free(&e->fl);
    kit_buf_free(&e->scratch);
    free(e->slots);
    free(e->names);
    free(e->table);
    free(e->stamp);
    kit_buf_free(&e->arena);
    memset(e, 0, sizeof *e);
}
