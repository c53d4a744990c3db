/* push_set.c - see push.h. Fixed capacity on purpose: every set in the push
 * has a known bound (a wave, a membership chunk, one answer), and a set
 * that cannot grow cannot turn a hostile answer into memory growth. */
#include <stdlib.h>
#include <string.h>

#include "hubspot/push.h"

/* FNV-1a: short keys (emails, record ids), no adversarial worry since
 * capacity is bounded anyway. */
static size_t hash(const char *p, size_t len)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for(size_t i = 0; i < len; i++) {
        h ^= (unsigned char)p[i];
        h *= UINT64_C(1099511628211);
    }
    return (size_t)(h ^ (h >> 29));
}

int hs_pushset_init(struct hs_pushset *s, size_t expect)
{
    memset(s, 0, sizeof *s);
    size_t cap = 16;
    while(cap <= 2 * expect)
        cap *= 2;
    s->key = calloc(cap, sizeof *s->key);
    s->len = calloc(cap, sizeof *s->len);
    s->val = calloc(cap, sizeof *s->val);
    if(!s->key || !s->len || !s->val) {
        hs_pushset_free(s);
        return -1;
    }
    s->cap = cap;
    s->expect = expect;
    return 0;
}

void hs_pushset_free(struct hs_pushset *s)
{
    free(s->key);
    free(s->len);
    free(s->val);
    memset(s, 0, sizeof *s);
}

void hs_pushset_clear(struct hs_pushset *s)
{
    if(s->n)
        memset(s->key, 0, s->cap * sizeof *s->key);
    s->n = 0;
}

/* Slot holding key, or the empty slot where it would go. */
static size_t find(const struct hs_pushset *s, const char *key, size_t len)
{
    size_t mask = s->cap - 1, i = hash(key, len) & mask;
    while(s->key[i] && !(s->len[i] == len && !memcmp(s->key[i], key, len)))
        i = (i + 1) & mask;
    return i;
}

int hs_pushset_add(struct hs_pushset *s, const char *key, size_t len)
{
    return hs_pushset_put(s, key, len, NULL);
}

int hs_pushset_put(struct hs_pushset *s, const char *key, size_t len, void *val)
{
    if(!s->cap)
        return -1;
    size_t i = find(s, key, len);
    if(s->key[i])
        return 0;
    if(s->n >= s->expect)
        return -1;
    /* A zero-length key still needs a non-NULL marker. */
    s->key[i] = key ? key : "";
    s->len[i] = len;
    s->val[i] = val;
    s->n++;
    return 1;
}

int hs_pushset_has(const struct hs_pushset *s, const char *key, size_t len)
{
    return s->cap && s->key[find(s, key, len)] != NULL;
}

void *hs_pushset_get(const struct hs_pushset *s, const char *key, size_t len)
{
    if(!s->cap)
        return NULL;
    size_t i = find(s, key, len);
    return s->key[i] ? s->val[i] : NULL;
}
