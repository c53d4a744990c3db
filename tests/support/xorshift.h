/*
 * xorshift.h - the one pseudo-random generator of the tests and
 * benchmarks: Marsaglia's xorshift64 (shifts 13, 7, 17). Deterministic
 * from its seed, so a generated case that fails fails again; not for
 * anything that must be unpredictable. The state is the caller's and must
 * not be 0 (it would stay 0).
 */
#ifndef TESTS_SUPPORT_XORSHIFT_H
#define TESTS_SUPPORT_XORSHIFT_H

#include <stdint.h>

/* Advance *state and return its new value. */
static inline uint64_t xorshift_next(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

#endif
