/*
 * clock.h - the two clocks every layer reads: monotonic milliseconds for
 * elapsed time and timeouts, and wall-clock milliseconds since the Unix
 * epoch for a connector whose host lends no clock. Connector-neutral and
 * thread-safe.
 */
#ifndef KIT_CLOCK_H
#define KIT_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC: only differences mean anything. */
int64_t kit_monotonic_ms(void);

/* Milliseconds since 1970-01-01T00:00:00Z on CLOCK_REALTIME. */
int64_t kit_wall_ms(void);

#endif
