/*
 * lookup.h - knobs of the lookup cache beyond the ABI (hs_lookup itself is
 * declared in instance.h).
 *
 * Lookup answers, misses included, are kept in the contact cache
 * (idcache.h) for opt.cache_ttl_ms on the host clock (0 turns caching
 * off), in the host's state when it keeps one, so a repeated lookup in a
 * later run costs no call either.
 *
 * Queries that arrive over time (oc_lookup_request.next_query, ABI 1.1)
 * are held until linger_ms has passed since the oldest one, a kind (email
 * or id) holds a full batch of 100, or max_pending are held; then they go
 * out as batch reads and each answer is emitted as its batch returns.
 * Invalid and cached queries are answered at once.
 */
#ifndef HS_LOOKUP_H
#define HS_LOOKUP_H

#include <stddef.h>
#include <stdint.h>

#include "hubspot/instance.h"
#include "hubspot/props.h"
#include "plugin/json.h"

/* Bound in's cache to max entries (1 .. HS_IDCACHE_MAX_ENTRIES), dropping
 * what it holds (hs_idcache_limit). OC_E_INVALID out of that range,
 * OC_E_NOMEM when the table cannot be made (the instance then caches
 * nothing until the next lookup recreates it). */
oc_status hs_lookup_cache_limit(struct oc_instance *in, size_t max);

/* Entries the cache holds now (expired ones count until touched). */
size_t hs_lookup_cache_count(const struct oc_instance *in);

/* ---- answer readers, declared for tests/fuzz/fuzz_lookup.c ---- */

/* One lookup result, owned (free with hs_lookup_answer_free). A found
 * contact's fields ("id" first, then properties, created_at, updated_at)
 * point into text, which holds "key\0value\0" pairs; they stay valid
 * until the answer is freed. */
struct hs_lookup_answer {
    int found;
    char *text;
    size_t nfields;
    struct oc_field *fields;
};

/* Free what a holds and zero it (a itself is the caller's). */
void hs_lookup_answer_free(struct hs_lookup_answer *a);

/* A distinct query the window must ask HubSpot about. Strings owned. */
struct hs_lookup_pend {
    char *key;  /* cache key: trimmed, emails lowercased */
    char *send; /* trimmed, as written: what HubSpot is asked */
    uint32_t hash;
    int done;   /* answer a is final (found or not) */
    size_t batch;
    struct hs_lookup_answer a;
};

struct hs_lookup_qstate; /* lookup.c only */

/* The queries of one window, owned by lookup.c's hs_lookup. */
struct hs_lookup_window {
    size_t cap;
    size_t nq;                  /* queries in q (and text) */
    struct hs_lookup_qstate *q;
    char **text;                /* held queries as the host gave them (owned) */
    struct hs_lookup_pend *p;
    size_t np;
    long *table; /* open addressing over p, -1 empty */
    size_t tsize;
};

/* Read contact object obj of j (a SimplePublicObject; j borrowed, only
 * read during the call) into a, which must be empty: "id" first, then pr's
 * properties in pr's order, then the other scalar properties (each name
 * once; names with control bytes or \u0000 left out), then created_at and
 * updated_at. Values are masked where they hold the token (redact.h).
 * Returns 0, -1 when memory ran out, -2 when obj is no object with a
 * non-empty, printable scalar id (a is left empty on failure). */
int hs_lookup_contact_answer(const struct kit_json *j, int obj, const struct hs_props *pr,
                             struct hs_lookup_answer *a);

/* Settle w->p[lo, hi) from one batch/read answer j (borrowed): results
 * are matched to queries by record id, or by the email property when by
 * is OC_LOOKUP_EMAIL, and found ones get their answer and done set;
 * queries named in the answer's errors are marked done without answer.
 * Results that match no open query add to *unmatched. OC_OK, or
 * OC_E_PROTOCOL / OC_E_NOMEM with err filled. */
oc_status hs_lookup_read_batch(const struct kit_json *j, int by, struct hs_lookup_window *w,
                               size_t lo, size_t hi, const struct hs_props *pr, int *unmatched,
                               struct oc_error *err);

#endif
