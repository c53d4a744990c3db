/*
 * push_cache.h - per-instance email -> record id, so a sign-up the
 * instance already pushed needs no upsert (push_cache.c).
 */
#ifndef HS_PUSH_CACHE_H
#define HS_PUSH_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct hs_push_cache;

/* A direct-mapped cache of `slots` entries (a colliding entry replaces the
 * older one), so its memory is fixed whatever the push volume. NULL on
 * oom. Freed with hs_push_cache_free (NULL-safe). */
struct hs_push_cache *hs_push_cache_new(size_t slots);
void hs_push_cache_free(struct hs_push_cache *c);
/* The record id stored for key (lowercased email) no older than ttl_ms at
 * now_ms, or NULL. Valid until the next change to the cache. */
const char *hs_push_cache_get(struct hs_push_cache *c, const char *key, int64_t now_ms,
                              int64_t ttl_ms);
/* Remember key -> id (both copied). Best effort: on oom nothing is kept.
 * c NULL: nothing. */
void hs_push_cache_put(struct hs_push_cache *c, const char *key, const char *id, int64_t now_ms);
/* Forget key. c NULL: nothing. */
void hs_push_cache_drop(struct hs_push_cache *c, const char *key);

#endif
