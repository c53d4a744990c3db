/* strset.c - see strset.h. Fixed capacity on purpose: every set a
 * connector keeps has a known bound (a wave of inputs, a chunk, one
 * answer), and a set that cannot grow cannot turn a hostile answer into
 * memory growth. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/strset.h"

/* A byte at a time was most of a lookup. */
uint64_t kit_hash_bytes(const char *p, size_t len, uint64_t seed)
{
    uint64_t h = UINT64_C(1469598103934665603) ^ len ^ (seed << 40);
    size_t i = 0;
    for(; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * UINT64_C(1099511628211);
        h ^= h >> 32;
    }
    if(i < len && len >= 8) {
        /* The last 1 to 7 bytes as the top of the last eight (little
         * endian), the bytes already hashed shifted out: one step instead
         * of one per byte. Elsewhere the hash merely differs. */
        uint64_t w;
        memcpy(&w, p + len - 8, 8);
        w >>= 8 * (8 - (len - i));
        h = (h ^ w) * UINT64_C(1099511628211);
        h ^= h >> 32;
    } else {
        for(; i < len; i++)
            h = (h ^ (unsigned char)p[i]) * UINT64_C(1099511628211);
    }
    h ^= h >> 29;
    h *= UINT64_C(0xbf58476d1ce4e5b9);
    return h ^ (h >> 32);
}

int kit_strset_init(struct kit_strset *s, size_t expect)
{
    memset(s, 0, sizeof *s);
    size_t cap = 16;
    while(cap <= 2 * expect)
        cap *= 2;
    /* One block: keys, then lengths, then values (all 8 bytes wide). */
    s->key = calloc(cap, sizeof *s->key + sizeof *s->len + sizeof *s->val);
    if(!s->key)
        return -1;
    s->len = (size_t *)(void *)(s->key + cap);
    s->val = (void **)(void *)(s->len + cap);
    s->cap = cap;
    s->expect = expect;
    return 0;
}

void kit_strset_free(struct kit_strset *s)
{
    free(s->key);
    memset(s, 0, sizeof *s);
}

void kit_strset_clear(struct kit_strset *s)
{
    if(s->n)
        memset(s->key, 0, s->cap * sizeof *s->key);
    s->n = 0;
}

/* Slot holding key, or the empty slot where it would go. */
static size_t find(const struct kit_strset *s, const char *key, size_t len)
{
    size_t mask = s->cap - 1, i = (size_t)kit_hash_bytes(key, len, 0) & mask;
    while(s->key[i] && !(s->len[i] == len && !memcmp(s->key[i], key, len)))
        i = (i + 1) & mask;
    return i;
}

int kit_strset_add(struct kit_strset *s, const char *key, size_t len)
{
    return kit_strset_put(s, key, len, NULL);
}

int kit_strset_put(struct kit_strset *s, const char *key, size_t len, void *val)
{
    return kit_strset_insert(s, key, len, val, NULL);
}

int kit_strset_insert(struct kit_strset *s, const char *key, size_t len, void *val, void **found)
{
    if(!s->cap)
        return -1;
    size_t i = find(s, key, len);
    if(s->key[i]) {
        if(found)
            *found = s->val[i];
        return 0;
    }
    if(s->n >= s->expect)
        return -1;
    /* A zero-length key still needs a non-NULL marker. */
    s->key[i] = key ? key : "";
    s->len[i] = len;
    s->val[i] = val;
    s->n++;
    return 1;
}

int kit_strset_has(const struct kit_strset *s, const char *key, size_t len)
{
    return s->cap && s->key[find(s, key, len)] != NULL;
}

void *kit_strset_get(const struct kit_strset *s, const char *key, size_t len)
{
    if(!s->cap)
        return NULL;
    size_t i = find(s, key, len);
    return s->key[i] ? s->val[i] : NULL;
}
