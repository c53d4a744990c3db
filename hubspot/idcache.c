/*
 * idcache.c - contact ids and lookup answers kept in the host's state (see
 * idcache.h).
 *
 * Saved as one JSON value, oldest entry first, so a load that meets a
 * smaller bound keeps the most recent ones:
 *   {"cache":"contact-ids","v":1,"entries":[
 *     ["e","ann@example.com","51",1732090000000,["id","51","email","ann@..."]],
 *     ["e","nobody@example.com",null,1732090000000],
 *     ["i","52","52",1732090000000]]}
 * ("e" an email key, "i" a record id key; the id, null for "no such
 * contact"; when learned, epoch ms on the host clock; the lookup record as
 * key, value pairs when kept).
 *
 * In memory: a pool of entries in one list from least to most recently
 * used, and an index over them, so get, put and eviction cost O(1). The
 * index is open addressing with linear probing over slots of the key's
 * hash and the entry's number (4 bytes: a cache line holds 16), at most
 * half full: a lookup of a key not held (nearly every one in a bulk push
 * of new contacts) reads a run of slots in one or two cache lines and no
 * entry, where a chain through the entries cost a cache miss per entry;
 * an entry is read only when its slot's hash bits match. Deletion shifts the
 * run back (no tombstones), so a probe always ends at the first empty
 * slot.
 * The pool starts at INITIAL_ENTRIES and doubles as it fills, up to the
 * bound, where the least recently used entry makes room: a one-contact
 * sign-up then touches a few pages, not the whole bounded table (512 KiB,
 * each page a fault), and memory stays bounded whatever the traffic.
 */
#include "hubspot/idcache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/host.h"
#include "plugin/buf.h"
#include "plugin/json.h"
#include "plugin/strset.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define FORMAT_NAME "contact-ids"
#define FORMAT_VERSION 1
#define TEXT_OF(x) #x
#define TEXT_OF_VALUE(x) TEXT_OF(x)
/* The saved value around its entries. */
#define FRAME_OPEN "{\"cache\":\"" FORMAT_NAME "\",\"v\":" TEXT_OF_VALUE(FORMAT_VERSION) ",\"entries\":["
#define FRAME_CLOSE "]}"
/* Room a new cache has: a sign-up or a lookup puts one entry or a few. */
#define INITIAL_ENTRIES 64
#define ID_MAX_DIGITS 20
/* Longer than any address HubSpot accepts (RFC 5321: 254): not worth a
 * slot. */
#define KEY_MAX 512
/* Key and id bytes an entry holds in itself, "key\0id\0": an address of
 * up to 45 bytes with a 13-digit record id (a bulk push's keys are 20-30)
 * fits, so a bulk push (an entry per contact) allocates nothing per
 * entry, and the entry is 96 bytes. */
#define ENTRY_TEXT 60

/* Bits of entry.flags. */
#define BY_ID 1 /* an OC_LOOKUP_ID key; else OC_LOOKUP_EMAIL */
#define PLAIN 2 /* key written as itself in JSON, so the save copies it */
#define BOXED 4 /* key and id in their own block, its address in text */

/* Sizes are kept in the narrowest type that holds them: a bounded table of
 * these is most of what a bulk push adds to the process, and every byte
 * of it is a fresh page touched. Links and sizes are numbers, not
 * pointers, so a table moved by realloc needs no fix-up. */
struct entry {
    /* One allocation: nfields fields, then their "key\0value\0" text;
     * NULL without a record. */
    struct oc_field *fields;
    int64_t at_ms;
    uint32_t hash;
    int32_t older, newer; /* use order; on the free list, newer links it */
    uint16_t bytes;       /* its share of the saved value */
    uint16_t nfields;
    uint16_t klen;         /* key bytes (emails lowercased), its NUL not counted */
    uint8_t ilen;          /* id digits; 0: HubSpot has no such contact */
    uint8_t flags;         /* BY_ID, PLAIN, BOXED */
    char text[ENTRY_TEXT]; /* key\0id\0 when they fit; else the box's address */
};

/* One place in the index: the entry's number plus one in the low
 * ENTRY_BITS (0: the slot is empty), the low bits of its key's hash above
 * them. Those hold the key's home slot (the hash modulo the slot count)
 * and more: a key not held is told apart from the slots of its run with
 * few entry reads, in half the memory of a whole hash and number. */
typedef uint32_t slot_t;

#define ENTRY_BITS 13
#define ENTRY_MASK ((UINT32_C(1) << ENTRY_BITS) - 1)
#define EMPTY_SLOT 0

_Static_assert(HS_IDCACHE_MAX_ENTRIES <= ENTRY_MASK, "an entry's number plus one fits its bits");
/* The most slots a table has (twice the bound, a power of two): a slot's
 * hash bits must still name its home. */
_Static_assert(2 * HS_IDCACHE_MAX_ENTRIES <= (UINT32_C(1) << (32 - ENTRY_BITS)), "a slot holds its home");

static slot_t slot_make(uint32_t hash, long entry) { return hash << ENTRY_BITS | (uint32_t)(entry + 1); }

static long slot_entry(slot_t x) { return (long)(x & ENTRY_MASK) - 1; }

/* Whether x's hash bits are those of hash. */
static int slot_hash_is(slot_t x, uint32_t hash) { return (x & ~ENTRY_MASK) == hash << ENTRY_BITS; }

static size_t slot_home(slot_t x, size_t mask) { return (x >> ENTRY_BITS) & mask; }

/* Three entries in two cache lines on LP64, the text taking what the
 * rest leaves. */
_Static_assert(sizeof(void *) != 8 || sizeof(struct entry) == 96, "an entry is 96 bytes");
/* The widest saved entry fits bytes: a record saving to more is kept as
 * its id only, and a key's byte is written in at most 3 (U+FFFD for a
 * byte that is not UTF-8; control bytes are refused). */
_Static_assert(HS_IDCACHE_RECORD_MAX_BYTES <= UINT16_MAX && 3 * KEY_MAX + 128 <= UINT16_MAX,
               "an entry's saved bytes fit 16 bits");
_Static_assert(KEY_MAX <= UINT16_MAX && ID_MAX_DIGITS <= UINT8_MAX, "lengths fit their members");
_Static_assert(ENTRY_TEXT >= sizeof(char *), "a boxed key's address fits the text");
_Static_assert(HS_IDCACHE_MAX_ENTRIES <= INT32_MAX, "entry numbers fit 32 bits");
/* A record within HS_IDCACHE_RECORD_MAX_BYTES saves each field pair in 6
 * bytes or more ("","",), so its count fits nfields. */
_Static_assert(HS_IDCACHE_RECORD_MAX_BYTES / 6 <= UINT16_MAX, "a kept record's fields fit 16 bits");

/* by is the BY_ID bit as it is: a put stores it and a probe compares it
 * without a branch. */
_Static_assert(OC_LOOKUP_EMAIL == 0 && OC_LOOKUP_ID == BY_ID && PLAIN == 1 << 1 && BOXED == 1 << 2,
               "by is its flag bit, and the others follow it");

static int entry_by(const struct entry *e) { return e->flags & BY_ID; }

/* The entry's key, NUL-terminated: in its text, or in its own block. */
static char *entry_key(const struct entry *e)
{
    if(!(e->flags & BOXED))
        return (char *)e->text;
    char *box;
    memcpy(&box, e->text, sizeof box);
    return box;
}

/* The entry's id, NUL-terminated after the key's NUL; NULL for "no such
 * contact". */
static const char *entry_id(const struct entry *e) { return e->ilen ? entry_key(e) + e->klen + 1 : NULL; }

struct hs_idcache {
    struct oc_instance *in; /* borrowed: the cache lives in its slot */
    struct entry *e;
    size_t cap;  /* entries e has room for: grows by doubling up to max */
    size_t max;  /* the bound: at it, the least recently used makes room */
    size_t used; /* slots ever handed out; those from here on are fresh */
    size_t count, bytes;
    slot_t *slot;
    size_t nslot; /* a power of two, at least twice cap: a probe meets an empty slot soon */
    unsigned long index_moves; /* counts deletions and rebuilds: a probe position older than
                                  one may no longer be where the key goes */
    int32_t oldest, newest, free_head; /* the free list: slots below used given back */
    int dirty;
    struct kit_buf scratch; /* one entry's JSON, to measure it */
    int64_t at_ms;          /* the last time measured, and its digits (0: none yet) */
    size_t at_len;
};

/* ---- keys ------------------------------------------------------------- */

#define ONES UINT64_C(0x0101010101010101)
#define HIGH UINT64_C(0x8080808080808080)

/* The high bit of each byte of w that is zero, and maybe of bytes above
 * one that is: enough to tell whether any is. */
static uint64_t zero_bytes(uint64_t w) { return (w - ONES) & ~w & HIGH; }

/* The form an entry keeps key in, into out (KEY_MAX + 1 bytes): HubSpot
 * matches emails case-insensitively, so A@x.com and a@x.com are one entry,
 * kept lowercased. Its length, or (size_t)-1 when longer than KEY_MAX;
 * *bad set when it holds a control byte (not printable), *escaped when a
 * byte is written escaped in JSON or is not ASCII. Eight bytes at a time:
 * byte by byte this was most of a put. */
/* One word of a key into its form: flags in *ctl and *esc as key_form
 * says, A-Z lowercased for an email key. */
static inline __attribute__((always_inline)) uint64_t form_word(int by, uint64_t w, uint64_t *ctl,
                                                                uint64_t *esc)
{
    *ctl |= ((w - ONES * 0x20) & ~w & HIGH) | zero_bytes(w ^ (ONES * 0x7f));
    *esc |= (w & HIGH) | zero_bytes(w ^ (ONES * '"')) | zero_bytes(w ^ (ONES * '\\'));
    if(by == OC_LOOKUP_EMAIL) {
        /* ASCII A-Z get 0x20: bytes >= 'A' and not > 'Z', high bit clear. */
        uint64_t low7 = w & ~HIGH;
        uint64_t ge_a = low7 + ONES * (0x80 - 'A'), gt_z = low7 + ONES * (0x80 - 'Z' - 1);
        w |= (ge_a & ~gt_z & ~w & HIGH) >> 2;
    }
    return w;
}

#ifdef __SSE2__
/* key_form sixteen bytes at a time, for a key of at least sixteen (most
 * addresses): the last block overlaps bytes already done, which come out
 * the same. A signed compare with 0x20 takes control bytes and bytes of
 * 0x80 and above in one step. */
static size_t key_form_wide(int by, const char *key, size_t n, char *out, int *bad, int *escaped)
{
    const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    const __m128i before_a = _mm_set1_epi8('A' - 1), after_z = _mm_set1_epi8('Z' + 1);
    int ctl = 0, odd = 0;
    for(size_t i = 0;; i += 16) {
        if(i + 16 > n)
            i = n - 16;
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(key + i));
        int high = _mm_movemask_epi8(v);
        ctl |= (_mm_movemask_epi8(_mm_cmplt_epi8(v, space)) & ~high) |
               _mm_movemask_epi8(_mm_cmpeq_epi8(v, del));
        odd |= high | _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
        if(by == OC_LOOKUP_EMAIL) {
            __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(v, before_a), _mm_cmplt_epi8(v, after_z));
            v = _mm_or_si128(v, _mm_and_si128(upper, space));
        }
        _mm_storeu_si128((__m128i *)(void *)(out + i), v);
        if(i + 16 >= n)
            break;
    }
    out[n] = '\0';
    *bad = ctl != 0;
    *escaped = odd != 0;
    return n;
}
#endif

static size_t key_form(int by, const char *key, char *out, int *bad, int *escaped)
{
    size_t n = strnlen(key, KEY_MAX + 1);
    if(n > KEY_MAX)
        return (size_t)-1;
#ifdef __SSE2__
    if(n >= 16)
        return key_form_wide(by, key, n, out, bad, escaped);
#endif
    uint64_t ctl = 0, esc = 0, w;
    size_t i = 0;
    /* Whole words with a constant size, which the compiler turns into one
     * load and one store; the rest as the last eight bytes again
     * (overlapping ones already done: the flags and the lowercasing come
     * out the same), or padded with 'a' (plain, lowercase, printable) in a
     * key shorter than a word. Byte by byte this was most of a put. */
    for(; i + 8 <= n; i += 8) {
        memcpy(&w, key + i, 8);
        w = form_word(by, w, &ctl, &esc);
        memcpy(out + i, &w, 8);
    }
    if(i < n && n >= 8) {
        memcpy(&w, key + n - 8, 8);
        w = form_word(by, w, &ctl, &esc);
        memcpy(out + n - 8, &w, 8);
    } else if(i < n) {
        w = ONES * 'a';
        memcpy(&w, key, n);
        w = form_word(by, w, &ctl, &esc);
        memcpy(out, &w, n);
    }
    out[n] = '\0';
    *bad = ctl != 0;
    *escaped = esc != 0;
    return n;
}

static uint32_t form_hash(int by, const char *s, size_t n)
{
    return (uint32_t)kit_hash_bytes(s, n, (uint64_t)by);
}

/* A key longer than KEY_MAX is never held: any hash will do for it. */
static uint32_t key_hash(int by, const char *key)
{
    char form[KEY_MAX + 1];
    int bad, escaped;
    size_t n = key_form(by, key, form, &bad, &escaped);
    return n == (size_t)-1 ? 0 : form_hash(by, form, n);
}

static int printable(const char *s)
{
    if(!s || !*s)
        return 0;
    for(const unsigned char *p = (const unsigned char *)s; *p; p++)
        if(*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

static int digits(const char *s)
{
    size_t n = s ? strspn(s, "0123456789") : 0;
    return n && !s[n] && n <= ID_MAX_DIGITS;
}

static int by_ok(int by) { return by == OC_LOOKUP_EMAIL || by == OC_LOOKUP_ID; }

/* ---- the pool ---------------------------------------------------------- */

/* The entry held for form (a key in the form entries keep it, klen bytes;
 * hash its hash), or -1; *at is its slot, or the empty slot where the key
 * goes (valid until the index next moves). Both sides are in the kept
 * form, so the bytes compare as they are. Inlined: as a call, saving and
 * restoring the registers the key comparison may need cost more than the
 * probe of a key not held. */
static inline __attribute__((always_inline)) long probe(const struct hs_idcache *c, int by,
                                                        const char *form, size_t klen,
                                                        uint32_t hash, size_t *at)
{
    size_t mask = c->nslot - 1;
    for(size_t s = hash & mask;; s = (s + 1) & mask) {
        slot_t x = c->slot[s];
        if(x == EMPTY_SLOT) {
            *at = s;
            return -1;
        }
        const struct entry *e = &c->e[slot_entry(x)];
        if(slot_hash_is(x, hash) && e->klen == klen && entry_by(e) == by &&
           !memcmp(entry_key(e), form, klen)) {
            *at = s;
            return slot_entry(x);
        }
    }
}

/* The entry held for key (as a caller spells it), or -1. A key no put
 * would take (empty, too long, a control byte) is held by none. */
static long find(const struct hs_idcache *c, int by, const char *key)
{
    char form[KEY_MAX + 1];
    int bad, escaped;
    size_t klen = key_form(by, key, form, &bad, &escaped), at;
    if(klen == (size_t)-1 || !klen || bad)
        return -1;
    return probe(c, by, form, klen, form_hash(by, form, klen), &at);
}

/* The first empty slot of hash's run: where a key known not to be held
 * goes. Reads slots only. */
static size_t empty_slot(const struct hs_idcache *c, uint32_t hash)
{
    size_t mask = c->nslot - 1, s = hash & mask;
    while(c->slot[s] != EMPTY_SLOT)
        s = (s + 1) & mask;
    return s;
}

/* The slot holding entry i (whose key hashes to hash). Reads slots only. */
static size_t slot_of(const struct hs_idcache *c, long i, uint32_t hash)
{
    size_t mask = c->nslot - 1, s = hash & mask;
    while(slot_entry(c->slot[s]) != i)
        s = (s + 1) & mask;
    return s;
}

/* Empty slot hole and close the gap: each later slot of the run whose
 * home (its hash's first slot) is not between the hole and itself
 * (cyclically, the hole excluded) moves back into the hole, which moves
 * on to where it was. Without this a probe would stop at the hole before
 * reaching entries placed past it. */
static void unindex(struct hs_idcache *c, size_t hole)
{
    size_t mask = c->nslot - 1;
    for(size_t s = (hole + 1) & mask; c->slot[s] != EMPTY_SLOT; s = (s + 1) & mask) {
        size_t home = slot_home(c->slot[s], mask);
        if(((s - home) & mask) >= ((s - hole) & mask)) {
            c->slot[hole] = c->slot[s];
            hole = s;
        }
    }
    c->slot[hole] = EMPTY_SLOT;
    c->index_moves++;
}

static void unlink_use(struct hs_idcache *c, long i)
{
    struct entry *e = &c->e[i];
    if(e->older >= 0)
        c->e[e->older].newer = e->newer;
    else
        c->oldest = e->newer;
    if(e->newer >= 0)
        c->e[e->newer].older = e->older;
    else
        c->newest = e->older;
}

static void link_newest(struct hs_idcache *c, long i)
{
    struct entry *e = &c->e[i];
    e->older = c->newest;
    e->newer = -1;
    if(c->newest >= 0)
        c->e[c->newest].newer = (int32_t)i;
    else
        c->oldest = (int32_t)i;
    c->newest = (int32_t)i;
}

static void remove_at(struct hs_idcache *c, long i)
{
    struct entry *e = &c->e[i];
    unindex(c, slot_of(c, i, e->hash));
    unlink_use(c, i);
    c->bytes -= e->bytes;
    c->count--;
    if(e->flags & BOXED)
        free(entry_key(e)); /* the id lives in the same block */
    if(e->fields)
        free(e->fields); /* a bulk push's entries have none: no call */
    /* A put writes every member anew; these are cleared so that nothing
     * freed here can be freed again. */
    e->flags = 0;
    e->fields = NULL;
    e->nfields = 0;
    e->newer = c->free_head;
    c->free_head = (int32_t)i;
    c->dirty = 1;
}

static void clear(struct hs_idcache *c)
{
    while(c->oldest >= 0)
        remove_at(c, c->oldest);
    c->dirty = 0;
}

static void cache_free(struct hs_idcache *c)
{
    if(!c)
        return;
    if(c->e)
        clear(c);
    free(c->e);
    free(c->slot);
    kit_buf_free(&c->scratch);
    free(c);
}

/* Room for want entries (at most c->max): the entry array reallocated,
 * which keeps every index (the links are indices, the key and id places
 * in an entry's text are lengths), the index sized to match and filled
 * again. Nothing is written to the new slots: a put
 * takes them fresh from c->used. OC_OK, or OC_E_NOMEM with c as it was. */
static oc_status grow(struct hs_idcache *c, size_t want)
{
    if(want > c->max)
        want = c->max;
    if(want <= c->cap)
        return OC_OK;
    size_t nslot = 16;
    while(nslot < 2 * want)
        nslot *= 2;
    slot_t *slot = malloc(nslot * sizeof *slot);
    if(!slot)
        return OC_E_NOMEM;
    struct entry *e = realloc(c->e, want * sizeof *e);
    if(!e) {
        free(slot);
        return OC_E_NOMEM;
    }
    c->e = e;
    c->cap = want;
    free(c->slot);
    c->slot = slot;
    c->nslot = nslot;
    c->index_moves++;
    memset(slot, 0, nslot * sizeof *slot); /* EMPTY_SLOT */
    for(long i = c->oldest; i >= 0; i = e[i].newer) {
        size_t s = empty_slot(c, e[i].hash);
        slot[s] = slot_make(e[i].hash, i);
    }
    return OC_OK;
}

static struct hs_idcache *cache_new(struct oc_instance *in, size_t max)
{
    struct hs_idcache *c = calloc(1, sizeof *c);
    if(!c)
        return NULL;
    c->in = in;
    c->max = max;
    c->free_head = c->oldest = c->newest = -1;
    if(grow(c, INITIAL_ENTRIES)) {
        cache_free(c);
        return NULL;
    }
    return c;
}

static int expired(const struct hs_idcache *c, int64_t at_ms, int64_t now_ms)
{
    /* An entry from the future (the clock went back, a foreign value)
     * cannot be trusted to be young. */
    return now_ms < at_ms || now_ms - at_ms >= c->in->opt.cache_ttl_ms;
}

/* ---- saved form --------------------------------------------------------- */

/* One saved entry from its members (id NULL: no such contact; nfields
 * 0: no record). */
static void write_members(struct kit_jw *w, int by, const char *key, const char *id, int64_t at_ms,
                          const struct oc_field *fields, size_t nfields)
{
    kit_jw_arr(w);
    kit_jw_str(w, by == OC_LOOKUP_EMAIL ? "e" : "i");
    kit_jw_str(w, key);
    kit_jw_str(w, id); /* NULL writes null */
    kit_jw_int(w, at_ms);
    if(nfields) {
        kit_jw_arr(w);
        for(size_t i = 0; i < nfields; i++) {
            kit_jw_str(w, fields[i].key);
            kit_jw_str(w, fields[i].value);
        }
        kit_jw_arr_end(w);
    }
    kit_jw_arr_end(w);
}

static void write_entry(struct kit_jw *w, const struct entry *e)
{
    write_members(w, entry_by(e), entry_key(e), entry_id(e), e->at_ms, e->fields, e->nfields);
}

/* Append an id-only entry with a plain key (PLAIN, no fields) as
 * write_entry writes it, by copying: a save writes thousands of them, and
 * through the writer each cost about a thousand instructions. */
static void write_plain(struct kit_buf *out, const struct entry *e)
{
    size_t klen = e->klen, ilen = e->ilen ? e->ilen : 4;
    const char *key = entry_key(e), *id = entry_id(e);
    char num[24], *at = num + sizeof num;
    uint64_t m = e->at_ms < 0 ? (uint64_t)0 - (uint64_t)e->at_ms : (uint64_t)e->at_ms;
    do {
        *--at = (char)('0' + m % 10);
        m /= 10;
    } while(m);
    if(e->at_ms < 0)
        *--at = '-';
    size_t alen = (size_t)(num + sizeof num - at);
    if(kit_buf_reserve(out, klen + ilen + alen + 16))
        return;
    char *d = out->data + out->len;
    memcpy(d, entry_by(e) == OC_LOOKUP_ID ? "[\"i\",\"" : "[\"e\",\"", 6);
    d += 6;
    memcpy(d, key, klen);
    d += klen;
    if(id) {
        memcpy(d, "\",\"", 3);
        memcpy(d + 3, id, ilen);
        d += 3 + ilen;
        *d++ = '"';
    } else {
        memcpy(d, "\",null", 6);
        d += 6;
    }
    *d++ = ',';
    memcpy(d, at, alen);
    d += alen;
    *d++ = ']';
    *d = '\0';
    out->len = (size_t)(d - out->data);
}

/* Bytes an entry with these members takes in the saved value (its comma
 * included), written out; 0 on oom. */
static size_t measure_as(struct hs_idcache *c, int by, const char *key, const char *id,
                         const struct oc_field *fields, size_t nfields, int64_t at_ms)
{
    struct kit_jw w;
    kit_buf_reset(&c->scratch);
    kit_jw_init(&w, &c->scratch);
    write_members(&w, by, key, id, at_ms, fields, nfields);
    return kit_jw_error(&w) ? 0 : c->scratch.len + 1;
}

static size_t int_len(int64_t v)
{
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    size_t n = v < 0 ? 2 : 1;
    while(m >= 10) {
        m /= 10;
        n++;
    }
    return n;
}

/* int_len(at_ms), remembered: a batch's entries share one time. */
static size_t at_len(struct hs_idcache *c, int64_t at_ms)
{
    if(!c->at_len || c->at_ms != at_ms) {
        c->at_ms = at_ms;
        c->at_len = int_len(at_ms);
    }
    return c->at_len;
}

/* Bytes an id-only entry whose key (klen bytes) and id (ilen bytes, or
 * none) are written as themselves takes in the saved value: counted, not
 * written out (a bulk push puts one per contact), the same bytes
 * write_entry writes: ["e","KEY","ID",AT] (null for no id), then the
 * comma. */
static size_t plain_bytes(struct hs_idcache *c, size_t klen, const char *id, size_t ilen, int64_t at_ms)
{
    return 1 + 3 + 1 + (klen + 2) + 1 + (id ? ilen + 2 : 4) + 1 + at_len(c, at_ms) + 1 + 1;
}

static struct oc_field *copy_fields(const struct oc_field *f, size_t n)
{
    size_t text = 0;
    for(size_t i = 0; i < n; i++)
        text += strlen(f[i].key) + strlen(f[i].value) + 2;
    struct oc_field *out = malloc(n * sizeof *out + text);
    if(!out)
        return NULL;
    char *p = (char *)(out + n);
    for(size_t i = 0; i < n; i++) {
        size_t kl = strlen(f[i].key) + 1, vl = strlen(f[i].value) + 1;
        out[i].key = memcpy(p, f[i].key, kl);
        p += kl;
        out[i].value = memcpy(p, f[i].value, vl);
        p += vl;
        out[i].type = OC_FIELD_STRING;
    }
    return out;
}

static oc_status put_at(struct hs_idcache *c, int by, const char *key, const char *id,
                        const struct oc_field *fields, size_t n, int64_t at_ms)
{
    if(!by_ok(by) || !key)
        return OC_E_INVALID;
    /* The key's form (kept), whether it is printable, and whether it is
     * written as itself in JSON (for its size below), in one pass. */
    char low[KEY_MAX + 1];
    int bad, escaped;
    size_t klen = key_form(by, key, low, &bad, &escaped);
    if(klen == (size_t)-1 || !klen || bad)
        return OC_E_INVALID;
    int plain = !escaped;
    uint32_t hash = form_hash(by, low, klen);
    size_t ilen = 0;
    /* One compare a digit: a byte that is not one wraps past 9. */
    if(id)
        while((unsigned char)(id[ilen] - '0') <= 9)
            ilen++;
    if(id && (!ilen || id[ilen] || ilen > ID_MAX_DIGITS))
        return OC_E_INVALID;
    if(n && (!fields || !fields[0].key || strcmp(fields[0].key, "id") || !id ||
             !fields[0].value || strcmp(fields[0].value, id)))
        return OC_E_INVALID;
    for(size_t i = 0; i < n; i++)
        if(!fields[i].key || !fields[i].value)
            return OC_E_INVALID;
    /* Measured as it will be saved; the key and id still in low and id.
     * The entry is written member by member into its slot at the end: a
     * whole entry built aside, zeroed and copied in cost more than the
     * rest of an id-only put. */
    struct oc_field *copied = NULL;
    size_t nf = 0, bytes = 0;
    if(n) {
        if(!(copied = copy_fields(fields, n)))
            return OC_E_NOMEM;
        nf = n;
        bytes = measure_as(c, by, low, id, copied, nf, at_ms);
        if(!bytes)
            goto oom;
        /* An outsized record (a portal with hundreds of properties) would
         * crowd out many ids; its id alone still saves the push a call. */
        if(bytes > HS_IDCACHE_RECORD_MAX_BYTES) {
            free(copied);
            copied = NULL;
            nf = 0;
        }
    }
    if(!nf)
        bytes = plain ? plain_bytes(c, klen, id, ilen, at_ms) : measure_as(c, by, low, id, NULL, 0, at_ms);
    if(!bytes)
        goto oom;
    /* Allocated (when it does not fit an entry) before anything is
     * removed, so running out of memory leaves the old entry for key. */
    size_t need = klen + 1 + ilen + (id != NULL); /* ilen is 0 without an id */
    char *block = need > ENTRY_TEXT ? malloc(need) : NULL;
    if(need > ENTRY_TEXT && !block)
        goto oom;
    /* The probe's empty slot is where the key goes, unless a removal or a
     * rebuild below moves the index first. */
    size_t at;
    long old = probe(c, by, low, klen, hash, &at);
    unsigned long moves = c->index_moves;
    if(old >= 0)
        remove_at(c, old);
    /* A full table below the bound doubles. When that finds no memory the
     * oldest entry makes room as at the bound: the cache only saves
     * calls, and the put still succeeds. */
    else if(c->count >= c->cap && c->cap < c->max)
        (void)grow(c, c->cap * 2);
    while(c->oldest >= 0 && (c->count >= c->cap || c->bytes + bytes > HS_IDCACHE_MAX_BYTES))
        remove_at(c, c->oldest);
    /* Not worth narrowing down after a deletion (the eviction at the
     * bound): the key's run is read again from its home, in the cache
     * lines the probe just read, and no entry is. */
    if(c->index_moves != moves)
        at = empty_slot(c, hash);
    long i;
    if(c->free_head >= 0) {
        i = c->free_head;
        c->free_head = c->e[i].newer;
    } else {
        i = (long)c->used++;
    }
    c->slot[at] = slot_make(hash, i);
    struct entry *e = &c->e[i];
    char *text = block ? block : e->text;
    if(block)
        memcpy(e->text, &block, sizeof block);
    memcpy(text, low, klen + 1);
    if(id)
        memcpy(text + klen + 1, id, ilen + 1);
    e->klen = (uint16_t)klen;
    e->ilen = (uint8_t)ilen;
    e->flags = (uint8_t)((unsigned)by | (unsigned)plain << 1 | (unsigned)(block != NULL) << 2);
    e->fields = copied;
    e->nfields = (uint16_t)nf;
    e->hash = hash;
    e->at_ms = at_ms;
    e->bytes = (uint16_t)bytes;
    link_newest(c, i);
    c->count++;
    c->bytes += bytes;
    c->dirty = 1;
    return OC_OK;
oom:
    free(copied);
    return OC_E_NOMEM;
}

/* Read one saved entry t of j and keep it unless it expired at now.
 * 0 kept or expired, -1 malformed, -2 out of memory. */
static int load_entry(struct hs_idcache *c, const struct kit_json *j, int t, int64_t now)
{
    int n = kit_json_type(j, t) == KIT_JSON_ARRAY ? kit_json_size(j, t) : 0;
    if(n != 4 && n != 5)
        return -1;
    char *by = kit_json_strdup(j, kit_json_item(j, t, 0));
    char *key = kit_json_strdup(j, kit_json_item(j, t, 1));
    int idt = kit_json_item(j, t, 2);
    char *id = kit_json_type(j, idt) == KIT_JSON_NULL ? NULL : kit_json_strdup(j, idt);
    int64_t at = 0;
    int rc = -1, rt = n == 5 ? kit_json_item(j, t, 4) : -1;
    int nf = rt >= 0 && kit_json_type(j, rt) == KIT_JSON_ARRAY ? kit_json_size(j, rt) : 0;
    struct oc_field *f = nf > 0 ? calloc((size_t)nf / 2 + 1, sizeof *f) : NULL;
    if(!by || !key || (kit_json_type(j, idt) != KIT_JSON_NULL && !id) ||
       kit_json_int64(j, kit_json_item(j, t, 3), &at) || (rt >= 0 && (nf < 2 || nf % 2)))
        goto out;
    int how = !strcmp(by, "e") ? OC_LOOKUP_EMAIL : !strcmp(by, "i") ? OC_LOOKUP_ID : -1;
    if(how < 0 || (how == OC_LOOKUP_EMAIL && !strchr(key, '@')) ||
       (how == OC_LOOKUP_ID && !digits(key)))
        goto out;
    if(nf && !f) {
        rc = -2;
        goto out;
    }
    for(int i = 0, v = rt + 1; i < nf; i++, v = kit_json_skip(j, v)) {
        char *s = kit_json_type(j, v) == KIT_JSON_STRING ? kit_json_strdup(j, v) : NULL;
        /* A saved name or value with a control byte or a \u0000 cut short
         * is none this cache wrote. */
        if(!s || (i % 2 == 0 && !printable(s))) {
            free(s);
            goto fields_out;
        }
        if(i % 2)
            f[i / 2].value = s;
        else
            f[i / 2].key = s;
    }
    rc = 0;
    if(!expired(c, at, now)) {
        oc_status st = put_at(c, how, key, id, f, (size_t)nf / 2, at);
        rc = st == OC_E_NOMEM ? -2 : st ? -1 : 0;
    }
fields_out:
    for(int i = 0; f && i < nf / 2 + 1; i++) {
        free((char *)f[i].key);
        free((char *)f[i].value);
    }
out:
    free(f);
    free(by);
    free(key);
    free(id);
    return rc;
}

static void warn_ignored(struct hs_idcache *c, const char *why)
{
    hs_log(c->in, OC_LOG_WARN,
           "the contact cache in the state (key \"%s\") is not one this plugin can read (%s); "
           "going on without it, the next save replaces it",
           HS_IDCACHE_KEY, why);
}

static void load(struct hs_idcache *c)
{
    const struct oc_host *host = c->in->host;
    char small[4096], *buf = small, why[128];
    size_t len = 0;
    struct kit_json j = {0};
    clear(c);
    oc_status rc = host->state_get(host->ctx, HS_IDCACHE_KEY, small, sizeof small, &len);
    if(rc == OC_E_RANGE) {
        if(!(buf = malloc(len ? len : 1))) {
            hs_log(c->in, OC_LOG_WARN, "out of memory reading the contact cache (%zu bytes); "
                                       "going on without it", len);
            return;
        }
        size_t want = len;
        rc = host->state_get(host->ctx, HS_IDCACHE_KEY, buf, want, &len);
    }
    if(rc == OC_E_NOT_FOUND)
        goto out;
    if(rc) {
        hs_log(c->in, OC_LOG_WARN,
               "reading the contact cache from the state failed (status %d); going on without it",
               rc);
        goto out;
    }
    if(kit_json_parse(&j, buf, len, why, sizeof why)) {
        warn_ignored(c, why);
        goto out;
    }
    int64_t v = 0;
    int entries = kit_json_get(&j, 0, "entries");
    if(kit_json_type(&j, 0) != KIT_JSON_OBJECT ||
       !kit_json_eq(&j, kit_json_get(&j, 0, "cache"), FORMAT_NAME) ||
       kit_json_int64(&j, kit_json_get(&j, 0, "v"), &v) || v != FORMAT_VERSION ||
       kit_json_type(&j, entries) != KIT_JSON_ARRAY) {
        warn_ignored(c, "not a version " "1 contact-ids object");
        goto out;
    }
    int64_t now = hs_now_ms(c->in);
    size_t bad = 0;
    int n = kit_json_size(&j, entries);
    /* Sized for what was saved at once, not doubled entry by entry; short
     * of memory the puts make room as they go. */
    (void)grow(c, (size_t)n);
    for(int i = 0, t = entries + 1; i < n; i++, t = kit_json_skip(&j, t)) {
        int x = load_entry(c, &j, t, now);
        if(x == -2) {
            hs_log(c->in, OC_LOG_WARN, "out of memory loading the contact cache; going on "
                                       "with part of it");
            break;
        }
        bad += x == -1;
    }
    if(bad) {
        char what[64];
        snprintf(what, sizeof what, "%zu of %d entries malformed, left out", bad, n);
        warn_ignored(c, what);
    }
    /* Loading re-adds what was saved: nothing new to save, unless entries
     * were left out (then the next save writes the value clean). */
    c->dirty = bad > 0;
out:
    kit_json_free(&j);
    if(buf != small)
        free(buf);
}

/* ---- API ---------------------------------------------------------------- */

static void cache_release(void *c) { cache_free(c); }

struct hs_idcache *hs_idcache_of(const struct oc_instance *in)
{
    return in ? in->slot[HS_SLOT_IDCACHE].state : NULL;
}

static struct hs_idcache *cache_install(struct oc_instance *in, size_t cap)
{
    struct hs_idcache *c = cache_new(in, cap);
    if(!c)
        return NULL;
    struct hs_slot *s = &in->slot[HS_SLOT_IDCACHE];
    if(s->release)
        s->release(s->state);
    s->state = c;
    s->release = cache_release;
    return c;
}

struct hs_idcache *hs_idcache_open(struct oc_instance *in)
{
    if(!in || in->opt.cache_ttl_ms <= 0)
        return NULL;
    struct hs_idcache *c = hs_idcache_of(in);
    if(!c && !(c = cache_install(in, HS_IDCACHE_MAX_ENTRIES))) {
        hs_log(in, OC_LOG_WARN, "out of memory making the contact cache; going on without it");
        return NULL;
    }
    const struct oc_host *h = in->host;
    if(h && OC_HAS_MEMBER(h, struct oc_host, state_get) && h->state_get)
        load(c);
    return c;
}

oc_status hs_idcache_save(struct hs_idcache *c)
{
    if(!c || !c->dirty)
        return OC_OK;
    const struct oc_host *h = c->in->host;
    if(!h || !OC_HAS_MEMBER(h, struct oc_host, state_put) || !h->state_put) {
        c->dirty = 0;
        return OC_OK;
    }
    struct kit_buf out = KIT_BUF_INIT;
    int64_t now = hs_now_ms(c->in);
    int failed = 0;
    /* c->bytes is what the entries take saved, commas included (one more
     * than written): the value is allocated once at its size instead of
     * doubling through a 30,000-contact push's few hundred KB. */
    kit_buf_reserve(&out, sizeof FRAME_OPEN - 1 + c->bytes + sizeof FRAME_CLOSE - 1);
    /* The writer's compact form, the frame and the commas written here:
     * an id-only entry is copied (write_plain), any other goes through the
     * writer on its own. */
    kit_buf_append(&out, FRAME_OPEN, sizeof FRAME_OPEN - 1);
    int first = 1;
    for(long i = c->oldest; i >= 0 && !failed; i = c->e[i].newer) {
        const struct entry *e = &c->e[i];
        if(expired(c, e->at_ms, now))
            continue;
        if(!first)
            kit_buf_putc(&out, ',');
        first = 0;
        if((e->flags & PLAIN) && !e->nfields) {
            write_plain(&out, e);
        } else {
            struct kit_jw w;
            kit_jw_init(&w, &out);
            write_entry(&w, e);
            failed = kit_jw_error(&w) != 0;
        }
    }
    kit_buf_append(&out, FRAME_CLOSE, sizeof FRAME_CLOSE - 1);
    oc_status rc = OC_OK;
    if(failed || !kit_buf_ok(&out)) {
        hs_log(c->in, OC_LOG_WARN, "out of memory saving the contact cache; it is not saved");
        rc = OC_E_NOMEM;
        goto out;
    }
    rc = h->state_put(h->ctx, HS_IDCACHE_KEY, out.data, out.len);
    if(rc) {
        hs_log(c->in, OC_LOG_WARN,
               "saving the contact cache to the state failed (status %d); the next run asks "
               "HubSpot again for what it learned",
               rc);
        rc = OC_E_IO;
        goto out;
    }
    c->dirty = 0;
out:
    kit_buf_free(&out);
    return rc;
}

int hs_idcache_get(struct hs_idcache *c, int by, const char *key, struct hs_idcache_hit *hit)
{
    if(!c || !by_ok(by) || !key)
        return 0;
    long i = find(c, by, key);
    if(i < 0)
        return 0;
    if(expired(c, c->e[i].at_ms, hs_now_ms(c->in))) {
        remove_at(c, i);
        return 0;
    }
    if(c->newest != i) {
        unlink_use(c, i);
        link_newest(c, i);
        c->dirty = 1;
    }
    hit->id = entry_id(&c->e[i]);
    hit->fields = c->e[i].nfields ? c->e[i].fields : NULL;
    hit->nfields = c->e[i].nfields;
    return 1;
}

oc_status hs_idcache_put(struct hs_idcache *c, int by, const char *key, const char *id,
                         const struct oc_field *fields, size_t n)
{
    if(!c)
        return OC_OK;
    return put_at(c, by, key, id, fields, n, hs_now_ms(c->in));
}

oc_status hs_idcache_put_at(struct hs_idcache *c, int by, const char *key, const char *id,
                            const struct oc_field *fields, size_t n, int64_t now_ms)
{
    if(!c)
        return OC_OK;
    return put_at(c, by, key, id, fields, n, now_ms);
}

void hs_idcache_drop(struct hs_idcache *c, int by, const char *key)
{
    if(!c || !by_ok(by) || !key)
        return;
    long i = find(c, by, key);
    if(i >= 0)
        remove_at(c, i);
}

void hs_idcache_drop_id(struct hs_idcache *c, const char *id)
{
    if(!c || !id)
        return;
    for(long i = c->oldest, next; i >= 0; i = next) {
        next = c->e[i].newer;
        const char *held = entry_id(&c->e[i]);
        if(held && !strcmp(held, id))
            remove_at(c, i);
    }
}

size_t hs_idcache_count(const struct hs_idcache *c) { return c ? c->count : 0; }

size_t hs_idcache_bytes(const struct hs_idcache *c) { return c ? c->bytes : 0; }

size_t hs_idcache_capacity(const struct hs_idcache *c) { return c ? c->cap : 0; }

size_t hs_idcache_index_slots(const struct hs_idcache *c) { return c ? c->nslot : 0; }

uint32_t hs_idcache_key_hash(int by, const char *key) { return key ? key_hash(by, key) : 0; }

oc_status hs_idcache_limit(struct oc_instance *in, size_t max_entries)
{
    if(!in || !max_entries || max_entries > HS_IDCACHE_MAX_ENTRIES)
        return OC_E_INVALID;
    return cache_install(in, max_entries) ? OC_OK : OC_E_NOMEM;
}
