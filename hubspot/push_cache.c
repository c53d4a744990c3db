/* push_cache.c - see push_cache.h.
 *
 * Why a cache at all: a web sign-up of someone the instance has already
 * pushed needs no upsert when it brings nothing but the email; the
 * membership add alone (1 call) puts the contact in the list. Why direct
 * mapped: a bulk push of 100,000 contacts must not make it grow; losing an
 * entry only costs one upsert later.
 */
#include <stdlib.h>
#include <string.h>

#include "hubspot/push_cache.h"

struct slot {
    char *key;
    char *id;
    int64_t at_ms;
};

struct hs_push_cache {
    struct slot *slot;
    size_t n;
};

static size_t index_of(const struct hs_push_cache *c, const char *key)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for(const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= UINT64_C(1099511628211);
    }
    return (size_t)(h % c->n);
}

struct hs_push_cache *hs_push_cache_new(size_t slots)
{
    struct hs_push_cache *c = calloc(1, sizeof *c);
    if(!c)
        return NULL;
    c->n = slots ? slots : 1;
    c->slot = calloc(c->n, sizeof *c->slot);
    if(!c->slot) {
        free(c);
        return NULL;
    }
    return c;
}

static void clear_slot(struct slot *s)
{
    free(s->key);
    free(s->id);
    memset(s, 0, sizeof *s);
}

void hs_push_cache_free(struct hs_push_cache *c)
{
    if(!c)
        return;
    for(size_t i = 0; i < c->n; i++)
        clear_slot(&c->slot[i]);
    free(c->slot);
    free(c);
}

const char *hs_push_cache_get(struct hs_push_cache *c, const char *key, int64_t now_ms,
                              int64_t ttl_ms)
{
    if(!c || !key)
        return NULL;
    struct slot *s = &c->slot[index_of(c, key)];
    if(!s->key || strcmp(s->key, key))
        return NULL;
    if(now_ms - s->at_ms > ttl_ms || now_ms < s->at_ms) {
        clear_slot(s);
        return NULL;
    }
    return s->id;
}

void hs_push_cache_put(struct hs_push_cache *c, const char *key, const char *id, int64_t now_ms)
{
    if(!c || !key || !id)
        return;
    struct slot *s = &c->slot[index_of(c, key)];
    if(s->key && !strcmp(s->key, key) && !strcmp(s->id, id)) {
        s->at_ms = now_ms;
        return;
    }
    char *k = strdup(key), *v = strdup(id);
    if(!k || !v) {
        free(k);
        free(v);
        return;
    }
    clear_slot(s);
    s->key = k;
    s->id = v;
    s->at_ms = now_ms;
}

void hs_push_cache_drop(struct hs_push_cache *c, const char *key)
{
    if(!c || !key)
        return;
    struct slot *s = &c->slot[index_of(c, key)];
    if(s->key && !strcmp(s->key, key))
        clear_slot(s);
}
