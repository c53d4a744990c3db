/*
 * lookup.h - knobs of the lookup cache beyond the ABI (hs_lookup itself is
 * declared in instance.h).
 *
 * Each instance caches lookup answers, misses included, for
 * opt.cache_ttl_ms on the host clock (0 turns caching off), in at most
 * HS_LOOKUP_CACHE_MAX entries; when full, the oldest entry makes room.
 */
#ifndef HS_LOOKUP_H
#define HS_LOOKUP_H

#include <stddef.h>

#include "hubspot/instance.h"

#define HS_LOOKUP_CACHE_MAX 4096

/* Bound in's cache to max entries (max >= 1), dropping what it holds.
 * OC_E_INVALID for max 0, OC_E_NOMEM when the table cannot be made (the
 * instance then caches nothing until the next lookup recreates it). */
oc_status hs_lookup_cache_limit(struct oc_instance *in, size_t max);

/* Entries the cache holds now (expired ones count until touched). */
size_t hs_lookup_cache_count(const struct oc_instance *in);

#endif
