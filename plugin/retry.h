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
#define KIT_RETRY_LOCKED_MS 2000  /* 423: HubSpot says locks last 2 s        */
#define KIT_RETRY_SECONDLY_MS 1000
/* A server-requested wait longer than this is not slept through, whoever
 * asks: Retry-After, a 429's window, or a wait the pacer derives from the
 * X-HubSpot-RateLimit-* headers. The request fails as transient with
 * retry_after_ms set and a message naming the wait, for the caller to
 * reschedule (477 "migration in progress" may ask for hours; a broken or
 * hostile server may announce a day-long window). */
#define KIT_RETRY_MAX_WAIT_MS (5 * 60 * 1000)

/* HubSpot's 429 policyName values. */
enum kit_rate_policy {
    KIT_POLICY_UNKNOWN = 0,
    KIT_POLICY_TEN_SECONDLY, /* TEN_SECONDLY_ROLLING: wait out the window */
    KIT_POLICY_SECONDLY,     /* SECONDLY (search): 1 s                    */
    KIT_POLICY_DAILY         /* DAILY: stop, no retry                     */
};

/* Map a policyName (NULL or unknown -> KIT_POLICY_UNKNOWN). */
enum kit_rate_policy kit_rate_policy_parse(const char *name);

/* Exponential backoff with "equal jitter" for retry number `retry`
 * (1 = first retry): a value in [d/2, d] where d = base * 2^(retry-1),
 * capped. index and retry seed the jitter. */
int64_t kit_retry_backoff_ms(size_t index, int retry);

/* Nonzero when an HTTP status may succeed if repeated: 5xx except 530
 * (malformed token), 423 Locked, 477 Migration in Progress, 429. */
int kit_retry_status(long status);

/* Nonzero when a libcurl result (a CURLcode, passed as int to keep curl.h
 * out of this header) is a network hiccup worth repeating: connect and
 * resolve failures, timeouts, resets, empty replies, truncated bodies.
 * Certificate failures, bad URLs and our own size cap are not. */
int kit_retry_curl(int curlcode);

#endif
