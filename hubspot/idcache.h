/*
 * idcache.h - what the connector learned about contacts, kept across runs
 * in the host's durable state: email -> record id (from upserts and
 * lookups), "HubSpot has no such contact" (lookup misses), and for lookup
 * answers the contact's record as the lookup emits it, so a repeated
 * lookup or a push of a known contact costs no call.
 *
 * Entries live cache_ttl_ms on the host clock (0 turns the cache off) and
 * the cache is bounded: at most HS_IDCACHE_MAX_ENTRIES entries and
 * HS_IDCACHE_MAX_BYTES of saved JSON, the least recently used entry out
 * first. An id-only entry is about 60 bytes saved, one with a lookup
 * record (default lookup_properties) about 500, so the state value stays
 * under 1 MiB (typically 250-600 KB when full). A record that alone would
 * save to more than HS_IDCACHE_RECORD_MAX_BYTES is kept as its id only.
 *
 * Use: hs_idcache_open() once per operation (it reloads the state, so
 * what another run learned counts), hs_idcache_get/put/drop per entry,
 * hs_idcache_save() at most once per batch (not per entry: ochost rewrites
 * and syncs its state file on each put; a bulk push saves at most once a
 * minute and when it ends).
 *
 * Sharing (text for connector.h's state rules): the cache is one key,
 * HS_IDCACHE_KEY, read once when an operation starts and written whole
 * once per batch. A host must store each value whole (a reader never sees
 * half of one); ochost does, and holds the state file under a lock for the
 * whole run, so concurrent runs take turns. Where several instances write
 * one store at the same time, the last save wins and the entries the
 * others learned are lost, which costs calls later, never a wrong answer.
 * A value that is not this cache (corrupt, foreign, a newer format) is
 * logged as a warning and ignored; the next save replaces it.
 *
 * Stale ids: a cached id HubSpot no longer knows (merged, deleted) is the
 * caller's to detect (its call answers 404); it drops the entry
 * (hs_idcache_drop, hs_idcache_drop_id) and makes the call without it.
 */
#ifndef HS_IDCACHE_H
#define HS_IDCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "hubspot/instance.h"

#define HS_IDCACHE_KEY "cache/contacts"
#define HS_IDCACHE_MAX_ENTRIES 4096
#define HS_IDCACHE_MAX_BYTES (1024 * 1024)
#define HS_IDCACHE_RECORD_MAX_BYTES 4096

struct hs_idcache;

/* A live entry, lent by hs_idcache_get: every pointer stays valid until the
 * next hs_idcache_put, _drop, _drop_id, _open or _limit on the cache. */
struct hs_idcache_hit {
    const char *id;                /* NULL: HubSpot has no such contact      */
    const struct oc_field *fields; /* the lookup record ("id" first, as the
                                      lookup emits it, without "query");
                                      NULL when only the id is known        */
    size_t nfields;
};

/* The instance's cache, for one operation: kept in in's HS_SLOT_IDCACHE
 * slot (the instance owns and frees it: never free it), reloaded from
 * HS_IDCACHE_KEY when the host keeps state (without state it lives as long
 * as the instance). Call once when an operation starts. NULL when
 * cache_ttl_ms is 0 or memory ran out (logged): the operation then works
 * without a cache. A previous pointer from this instance is invalid after
 * the call. */
struct hs_idcache *hs_idcache_open(struct oc_instance *in);

/* Write c whole to HS_IDCACHE_KEY (expired entries left out) when it
 * changed since it was loaded or last saved; a host without state_put
 * keeps nothing. Call once per batch. OC_OK, or OC_E_IO / OC_E_NOMEM
 * already logged as a warning: callers go on, the cache only saves calls.
 * c NULL: OC_OK. */
oc_status hs_idcache_save(struct hs_idcache *c);

/* Look key up: by is OC_LOOKUP_EMAIL (key is an email, matched
 * case-insensitively) or OC_LOOKUP_ID (key is a record id). 1 with *hit
 * filled (see struct hs_idcache_hit for its lifetime) when a live entry
 * exists, which becomes the most recently used; 0 otherwise (an expired
 * entry is dropped). key is borrowed for the call; c NULL: 0. */
int hs_idcache_get(struct hs_idcache *c, int by, const char *key, struct hs_idcache_hit *hit);

/* Remember key -> id as of now (id NULL: HubSpot has no such contact),
 * replacing any entry for key (its record too: a push changed the
 * contact), with fields[0..n) as the record a later lookup gives back
 * (n 0: none; fields[0] must then be "id" = id). Everything is copied.
 * Evicts the least recently used entries beyond the bounds. OC_OK,
 * OC_E_INVALID (key empty, by unknown, a record whose first field is not
 * the id), OC_E_NOMEM (c keeps its old entry for key, or none). c NULL:
 * OC_OK. */
oc_status hs_idcache_put(struct hs_idcache *c, int by, const char *key, const char *id,
                         const struct oc_field *fields, size_t n);

/* hs_idcache_put as of now_ms on the host clock (hs_now_ms): a caller
 * putting a batch of entries reads the clock once for all of them. */
oc_status hs_idcache_put_at(struct hs_idcache *c, int by, const char *key, const char *id,
                            const struct oc_field *fields, size_t n, int64_t now_ms);

/* Forget key (by as for get). c NULL: nothing. */
void hs_idcache_drop(struct hs_idcache *c, int by, const char *key);

/* Forget every entry that names record id, whatever its key: a contact
 * HubSpot no longer knows under that id. c NULL: nothing. */
void hs_idcache_drop_id(struct hs_idcache *c, const char *id);

/* Live and expired entries held now. c NULL: 0. */
size_t hs_idcache_count(const struct hs_idcache *c);

/* Bytes the entries held now take in the saved value (each with its
 * comma): what the HS_IDCACHE_MAX_BYTES bound is kept on. A save made
 * before any entry expires writes exactly the value's frame, these bytes
 * less one comma (when it holds an entry). c NULL: 0. */
size_t hs_idcache_bytes(const struct hs_idcache *c);

/* Entries c has room for now, without growing: the table starts small and
 * doubles as it fills, up to its bound (HS_IDCACHE_MAX_ENTRIES, or
 * hs_idcache_limit's), and a load is sized for what it reads at once; it
 * never shrinks while the instance lives. For tests and logs: memory held
 * is about 96 bytes an entry and 8 of index. c is borrowed; NULL: 0. */
size_t hs_idcache_capacity(const struct hs_idcache *c);

/* Slots in c's index now (a power of two, at least twice the capacity):
 * a key's probe starts at slot hs_idcache_key_hash(by, key) modulo this
 * and runs on to the first empty slot, wrapping from the last to the
 * first. For tests that make keys share slots; c borrowed, NULL: 0. */
size_t hs_idcache_index_slots(const struct hs_idcache *c);

/* The hash that places key (by as for get, email keys case-insensitively)
 * in the index. key borrowed; one longer than any key held: 0. */
uint32_t hs_idcache_key_hash(int by, const char *key);

/* Bound in's cache to max_entries (1 ..HS_IDCACHE_MAX_ENTRIES), creating
 * it if needed and dropping what it holds (tests use a small bound).
 * OC_E_INVALID for a bound out of range, OC_E_NOMEM. */
oc_status hs_idcache_limit(struct oc_instance *in, size_t max_entries);

/* The cache in's slot holds now, without loading anything; NULL if none. */
struct hs_idcache *hs_idcache_of(const struct oc_instance *in);

#endif
