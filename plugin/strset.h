/*
 * strset.h - a fixed-capacity open-addressing set of byte strings, with an
 * optional value per key.
 *
 * Keys are borrowed (pointer and length): they must outlive their use in
 * the set, and so must the values of kit_strset_put. Capacity is fixed at
 * init for `expect` keys; adding more than that fails with -1 rather than
 * growing, so a set fed by a peer's answer cannot grow past what the
 * caller sized it for.
 */
#ifndef KIT_STRSET_H
#define KIT_STRSET_H

#include <stddef.h>
#include <stdint.h>

/* A hash of p[0..len) for tables of short keys (emails, ids, names):
 * FNV-1a eight bytes at a time, mixed at the end; seed separates kinds of
 * key. Not for adversarial input: the tables using it are bounded. */
uint64_t kit_hash_bytes(const char *p, size_t len, uint64_t seed);

struct kit_strset {
    const char **key;
    size_t *len;
    void **val;
    size_t cap; /* power of two, > 2 * expect */
    size_t n, expect;
};

/* Make s (caller's storage) empty, sized for expect keys: 0, or -1 on oom
 * (s then holds nothing to free, though kit_strset_free is still safe). */
int kit_strset_init(struct kit_strset *s, size_t expect);
/* Free what s holds and zero it; safe on a zeroed or freed set. */
void kit_strset_free(struct kit_strset *s);
/* Forget every key, keeping the capacity. */
void kit_strset_clear(struct kit_strset *s);
/* 1 when added, 0 when already present, -1 when full (or s not inited). */
int kit_strset_add(struct kit_strset *s, const char *key, size_t len);
int kit_strset_has(const struct kit_strset *s, const char *key, size_t len);
/* kit_strset_add that also stores val (borrowed) with a new key. */
int kit_strset_put(struct kit_strset *s, const char *key, size_t len, void *val);
/* kit_strset_put in one lookup with kit_strset_get: when key is present
 * already, 0 with its value in *found (found may be NULL). */
int kit_strset_insert(struct kit_strset *s, const char *key, size_t len, void *val, void **found);
/* The value stored with key, NULL when absent (or stored as NULL). */
void *kit_strset_get(const struct kit_strset *s, const char *key, size_t len);

#endif
