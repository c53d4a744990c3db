/*
 * usage.h - calls counted per day and endpoint, and the JSON they are
 * persisted as through host state (key HS_USAGE_KEY):
 *
 *   {"day":"YYYY-MM-DD","calls":N,
 *    "by_endpoint":{"name":{"calls":..,"errors":..,"429":..,"retries":..}},
 *    "429s":..,"retries":..,
 *    "limits":{"max":..,"remaining":..,"interval_ms":..,"daily":..,
 *              "daily_remaining":..},
 *    "budget":..}
 *
 * "calls" counts attempts (retries included: HubSpot counts every one);
 * "errors" attempts that got no 2xx; "limits" only the ones ever seen.
 *
 * The day is the UTC date of the host clock. HubSpot resets its daily
 * limit at midnight in the account's time zone (whether the Daily headers
 * are sent to private apps is UNCONFIRMED); a later issue may pass the
 * account's zone in. Until then a day here can straddle HubSpot's reset.
 */
#ifndef HS_USAGE_H
#define HS_USAGE_H

#include <stddef.h>
#include <stdint.h>

#include "plugin/buf.h"

#define HS_USAGE_KEY "usage"
#define HS_USAGE_MAX_ENDPOINTS 64 /* more names are counted under "other" */

struct hs_usage_ep {
    char *name; /* owned */
    uint64_t calls, errors, n429, retries;
};

enum hs_usage_limit {
    HS_LIM_MAX = 0,
    HS_LIM_REMAINING,
    HS_LIM_INTERVAL_MS,
    HS_LIM_DAILY,
    HS_LIM_DAILY_REMAINING,
    HS_LIM_COUNT
};

struct hs_usage {
    char day[11];                 /* "YYYY-MM-DD" or "" when unset */
    uint64_t calls, n429, retries;
    struct hs_usage_ep *ep;       /* owned, nep entries            */
    size_t nep;
    int64_t limits[HS_LIM_COUNT]; /* -1: never seen                */
    int64_t budget;               /* configured, 0: none           */
};

/* What an attempt adds to its endpoint's counters. */
enum hs_usage_what { HS_USE_CALL, HS_USE_ERROR, HS_USE_429, HS_USE_RETRY };

/* The struct is the caller's; hs_usage_free releases what it owns. */
void hs_usage_init(struct hs_usage *u);
void hs_usage_free(struct hs_usage *u);
/* Forget counts and limits, keep budget; set day. */
void hs_usage_reset(struct hs_usage *u, const char *day);
/* UTC date of epoch milliseconds into out (11 bytes). */
void hs_usage_day(int64_t now_ms, char out[11]);
/* Count one event for endpoint (NULL: "other"). -1 on oom. */
int hs_usage_count(struct hs_usage *u, const char *endpoint, enum hs_usage_what what);
/* dst += src (counts summed per endpoint; src's known limits win). */
int hs_usage_add(struct hs_usage *dst, const struct hs_usage *src);
/* Serialise as the JSON above (appended to out). -1 on oom. */
int hs_usage_to_json(const struct hs_usage *u, struct hs_buf *out);
/* Parse text (the JSON above) into u, which must be freshly initialised.
 * -1 with a reason in why when it is not a usage record. */
int hs_usage_from_json(struct hs_usage *u, const char *text, size_t len, char *why,
                       size_t whysize);
/* The by_endpoint object alone, as JSON text (appended to out). */
int hs_usage_endpoints_json(const struct hs_usage *u, struct hs_buf *out);

#endif
