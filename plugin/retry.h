/*
 * retry.h - which failures are worth another attempt, and how long to wait.
 *
 * Deterministic on purpose: jitter comes from a hash of the request's
 * position in its batch and the attempt number, never from rand(), so a
 * recorded cassette replays the same waits and the same requests.
 */
#ifndef KIT_RETRY_H
#define KIT_RETRY_H

#include <stddef.h>
#include <stdint.h>

#define KIT_RETRY_BASE_MS 1000    /* first backoff before jitter            */
#define KIT_RETRY_CAP_MS 32000    /* longest backoff step                   */
/* A server-requested wait longer than this is not slept through, whoever
 * asks: Retry-After, a 429's window, or a wait the pacer derives from a
 * server's rate-limit headers. The request fails as transient with
 * retry_after_ms set and a message naming the wait, for the caller to
 * reschedule (a server migrating an account may ask for hours; a broken
 * or hostile one may announce a day-long window). */
#define KIT_RETRY_MAX_WAIT_MS (5 * 60 * 1000)

/* Exponential backoff with "equal jitter" for retry number `retry`
 * (1 = first retry): a value in [d/2, d] where d = base * 2^(retry-1),
 * capped. index and retry seed the jitter. */
int64_t kit_retry_backoff_ms(size_t index, int retry);

/* Nonzero when an HTTP status may succeed if repeated, by HTTP's own
 * meanings: 5xx, 423 Locked, 429 Too Many Requests. Not 599, the replay
 * server's "no interaction matches" (fixtures/): retrying it would only
 * repeat the diagnostic and hide it behind "busy". A connector whose
 * server gives other codes their own meaning decides in its answer hook
 * (http.h). */
int kit_retry_status(long status);

/* Nonzero when a libcurl result (a CURLcode, passed as int to keep curl.h
 * out of this header) is a network hiccup worth repeating: connect and
 * resolve failures, timeouts, resets, empty replies, truncated bodies.
 * Certificate failures, bad URLs and our own size cap are not. */
int kit_retry_curl(int curlcode);

#endif
