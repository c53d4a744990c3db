/*
 * usage.h - calls counted per day and endpoint, and the JSON they are
 * persisted as through host state (key KIT_USAGE_KEY):
 *
 *   {"day":"YYYY-MM-DD","calls":N,
 *    "by_endpoint":{"name":{"calls":..,"errors":..,"429":..,"retries":..}},
 *    "429s":..,"retries":..,
 *    "limits":{"max":..,"remaining":..,"interval_ms":..,"daily":..,
 *              "daily_remaining":..},
 *    "budget":..}
 *
 * "calls" counts attempts (retries included: servers count every one);
 * "errors" attempts that got no 2xx; "limits" only the ones ever seen.
 *
 * When the day basis is known (kit_usage_set_zone) the record also carries
 *    "day_basis":"US/Eastern (UTC-05:00, as of 2026-11-28)",
 *    "utc_offset_ms":-18000000,"resets_at":"2026-11-28T05:00:00Z"
 * and, once stored, "saved_at" (epoch ms). resets_at is derived from day
 * and utc_offset_ms (never read back).
 *
 * and "warned":N, the warnings already given today (kit_usage_warnings).
 *
 * "ahead":N (only when N > 0): calls counted before they were made. A
 * client stores an allowance of calls ahead of making them, so the stored
 * record never counts fewer calls than were made, whenever the process
 * dies, without a save per call (plugin/http.c says when). A client that
 * finishes cleanly takes its unused allowance back; one that died leaves
 * it, and it stays counted for the day: a count slightly high, never low.
 * Every figure that decides or reports use (budgets, warnings, records)
 * counts calls + ahead; a day kept in the history has it folded into its
 * calls.
 * 429 answers are also counted by the server's name for the limit that
 * refused them (the answer hook's kit_http_decision.policy; "unknown"
 * when it named none):
 *    "429s_by_policy":{"TEN_SECONDLY_ROLLING":2,"DAILY":1}
 *
 * History: a day that ends is kept, not overwritten, under its own host
 * state key (KIT_USAGE_HISTORY_KEY), so the record above, rewritten a few
 * times per run, stays today's few hundred bytes:
 *    {"history":[{"day":"2026-11-27","calls":N,"429s":N,"retries":N,
 *                 "errors":N,"budget":N,"utc_offset_ms":N,"limits":{..},
 *                 "429s_by_policy":{..},
 *                 "by_endpoint":{"name":[calls,errors,429,retries]}}, ...]}
 * oldest first, each a day on the basis it was counted in, members that
 * would be 0 left out. At most KIT_USAGE_HISTORY_DAYS days are kept, so it
 * stays bounded (about 30 KB for 90 busy days, see
 * tests/check_usage_history.c). It is written only when a day moves into
 * it. An older layout kept the same "history" array inside the usage
 * record: kit_usage_from_json still reads it there, and the next save
 * moves it under the history key. Struct kit_usage holds both (hist).
 * The kit never writes state itself: a client stores what kit_usage_add
 * builds, and the add is where a finished day moves into the history
 * (kit_usage_belongs says when the saved record must be added).
 *
 * The day: a CRM's daily limit resets at midnight in the account's time
 * zone (for example HubSpot's, hubspot/API-NOTES.md 1.4, 3.1), so "today"
 * is the date of now + utc_offset_ms, the offset the connector learnt
 * from its server and saved under a host state key of its choosing (the
 * zone record below). Until it has, the day is the UTC date and the
 * record says so. The offset is a snapshot: a daylight saving change
 * moves the account's real offset by an hour and ours only follows when
 * the connector learns it again (every authorize refreshes it). The IANA
 * name ("US/Eastern") is not read through the C library's zone database
 * on purpose: the host's zoneinfo may be missing or differ, and the same
 * state must count the same everywhere.
 */
#ifndef KIT_USAGE_H
#define KIT_USAGE_H

#include <stddef.h>
#include <stdint.h>

#include "onecount/connector.h"
#include "plugin/buf.h"

#define KIT_USAGE_KEY "usage"
#define KIT_USAGE_HISTORY_KEY "usage_history"
#define KIT_USAGE_BASIS_SIZE 160
/* Offsets beyond this are not a real zone's (real ones span -12h..+14h). */
#define KIT_USAGE_MAX_OFFSET_MS (18LL * 3600 * 1000)
#define KIT_USAGE_DAY_MS 86400000LL
#define KIT_USAGE_MAX_ENDPOINTS 64 /* more names are counted under "other" */
/* Past days kept. 90 are promised to users; the margin lets a report of
 * the last 90 days still show them after a few idle days. */
#define KIT_USAGE_HISTORY_DAYS 100
/* Warnings: thresholds 50%, 80%, 100% of two figures, a bit each. */
#define KIT_USAGE_WARN_STEPS 3
#define KIT_USAGE_WARNED_ALL 0x3fu
/* 429s by policy: a server has a handful of limits; more names than this
 * are counted under "other", longer names are cut. */
#define KIT_USAGE_MAX_POLICIES 8
#define KIT_USAGE_POLICY_SIZE 32
#define KIT_USAGE_POLICY_UNKNOWN "unknown"

struct kit_usage_ep {
    char *name; /* owned */
    uint64_t calls, errors, n429, retries;
};

struct kit_usage_policy {
    char name[KIT_USAGE_POLICY_SIZE]; /* the server's name for the limit */
    uint64_t n429;
};

enum kit_usage_limit {
    KIT_LIM_MAX = 0,
    KIT_LIM_REMAINING,
    KIT_LIM_INTERVAL_MS,
    KIT_LIM_DAILY,
    KIT_LIM_DAILY_REMAINING,
    KIT_LIM_COUNT
};

struct kit_usage {
    char day[11];                 /* "YYYY-MM-DD" or "" when unset */
    uint64_t calls, n429, retries;
    uint64_t ahead;               /* calls counted ahead (see above) */
    struct kit_usage_ep *ep;       /* owned, nep entries            */
    size_t nep;
    int64_t limits[KIT_LIM_COUNT]; /* -1: never seen                */
    int64_t budget;               /* configured, 0: none           */
    int64_t offset_ms;            /* day = date of now + offset_ms  */
    int64_t saved_at_ms;          /* last stored (epoch ms), -1: unknown */
    char basis[KIT_USAGE_BASIS_SIZE]; /* "" until kit_usage_set_zone  */
    uint32_t warned;              /* warnings given on day (bits)  */
    struct kit_usage_policy pol[KIT_USAGE_MAX_POLICIES]; /* npol used */
    size_t npol;
    struct kit_usage *hist;       /* owned: nhist past days, oldest
                                     first, none with a history    */
    size_t nhist;
};

/* A threshold of the day's calls crossed (kit_usage_warnings). */
enum kit_usage_figure { KIT_WARN_BUDGET, KIT_WARN_DAILY_LIMIT };
struct kit_usage_warning {
    enum kit_usage_figure figure; /* the configured budget or the server's daily limit */
    int percent;                  /* 50, 80 or 100 */
    int64_t used, limit;          /* calls used on the day, and the figure */
};

/* The account's time zone as the connector last learnt it. Plain data, no
 * allocation. Its record in host state (kit_usage_zone_to_json):
 *   {"time_zone":"US/Eastern","utc_offset_ms":-18000000,"portal_id":N,"at":ms}
 * ("portal_id": the account's id, kept under the name the first connector
 * stored it by). */
struct kit_usage_zone {
    int known;           /* 0: never learnt, days are UTC dates          */
    char name[64];       /* IANA name, e.g. "US/Eastern" ("" if none)    */
    int64_t offset_ms;   /* utcOffsetMilliseconds when it was learnt     */
    int64_t at_ms;       /* when authorize learnt it, -1: unknown        */
    int64_t portal_id;   /* the account's id, -1: unknown                */
};

/* What an attempt adds to its endpoint's counters. */
enum kit_usage_what { KIT_USE_CALL, KIT_USE_ERROR, KIT_USE_429, KIT_USE_RETRY };

/* The struct is the caller's; kit_usage_free releases what it owns. */
void kit_usage_init(struct kit_usage *u);
void kit_usage_free(struct kit_usage *u);
/* Forget counts, limits, warnings, history (and saved_at), keep budget and
 * day basis; set day. */
void kit_usage_reset(struct kit_usage *u, const char *day);
/* UTC date of epoch milliseconds into out (11 bytes). */
void kit_usage_day(int64_t now_ms, char out[11]);
/* The date at now_ms in a zone offset_ms from UTC into out (11 bytes). */
void kit_usage_day_at(int64_t now_ms, int64_t offset_ms, char out[11]);
/* Epoch ms of the first midnight after now_ms in a zone offset_ms from
 * UTC: when the day of kit_usage_day_at ends. */
int64_t kit_usage_next_reset(int64_t now_ms, int64_t offset_ms);
/* Epoch ms as "YYYY-MM-DDTHH:MM:SSZ" into out (21 bytes). */
void kit_usage_iso(int64_t ms, char out[21]);

/* A zone meaning "not learnt": UTC days. */
void kit_usage_zone_utc(struct kit_usage_zone *z);
/* Human description of the day basis into out (size bytes, always
 * terminated): "UTC (run authorize to learn the account's time zone)" or
 * "US/Eastern (UTC-05:00, as of 2026-11-28)" (the date is the account's
 * date when authorize learnt the offset). */
void kit_usage_zone_basis(const struct kit_usage_zone *z, char *out, size_t size);
/* Use z's offset and description as u's day basis (u->day is left alone). */
void kit_usage_set_zone(struct kit_usage *u, const struct kit_usage_zone *z);
/* The zone record JSON for z (appended to out). -1 on oom. */
int kit_usage_zone_to_json(const struct kit_usage_zone *z, struct kit_buf *out);
/* Parse a zone record into z. On failure z is UTC (unknown) and
 * -1 comes back with the reason in why (whysize bytes). */
int kit_usage_zone_from_json(struct kit_usage_zone *z, const char *text, size_t len, char *why,
                            size_t whysize);
/* Read the zone record under host state key `key` through
 * host->state_get (key NULL, host NULL or without state_get: z is UTC and
 * 0 comes back). 0 with z filled (known or, when the key is absent, UTC);
 * -1 with z UTC and the reason in why when the key cannot be read or is
 * not a zone record. host and key are borrowed for the call only. */
int kit_usage_zone_load(const struct oc_host *host, const char *key, struct kit_usage_zone *z,
                        char *why, size_t whysize);
/* Nonzero when saved (a record read back from state) must be added
 * (kit_usage_add) into a record of the day `day` of a zone offset_ms from
 * UTC: its counts are that day's, or it holds days before it to keep.
 * Counts are the day's on the same basis when the date is the same. A
 * record kept on another basis (UTC before the first authorize, or an
 * offset since changed by daylight saving) is the day's when the span in
 * which its calls were made, from its day's start to when it was saved
 * (or its day's end if unknown), overlaps that day: when that is
 * ambiguous its calls are counted, because the server's limit is what
 * costs fees and undercounting is the expensive mistake. */
int kit_usage_belongs(const struct kit_usage *saved, const char *day, int64_t offset_ms);
/* Count one event for endpoint (NULL: "other"). -1 on oom. */
int kit_usage_count(struct kit_usage *u, const char *endpoint, enum kit_usage_what what);
/* Count one 429 under the server's name for the limit (NULL or "":
 * KIT_USAGE_POLICY_UNKNOWN). Only the by-policy table: the 429 itself is
 * counted by kit_usage_count(KIT_USE_429). */
void kit_usage_count_policy(struct kit_usage *u, const char *policy);
/* The 429s_by_policy object alone, as JSON text (appended to out). -1 on
 * oom. */
int kit_usage_policies_json(const struct kit_usage *u, struct kit_buf *out);
/* dst += src: when src's counts are dst's day (see kit_usage_belongs),
 * summed per endpoint, src's known limits winning and its warnings kept;
 * when they are of an earlier day, kept in dst's history as that day (on
 * dst's basis). src's own history joins dst's (a kept day of dst's date
 * is summed into its counts; later days are dropped). History beyond
 * KIT_USAGE_HISTORY_DAYS is dropped. -1 on oom. */
int kit_usage_add(struct kit_usage *dst, const struct kit_usage *src);
/* Serialise as the JSON above (appended to out). -1 on oom. */
int kit_usage_to_json(const struct kit_usage *u, struct kit_buf *out);
/* Parse text (the JSON above) into u, which must be freshly initialised.
 * -1 with a reason in why when it is not a usage record. */
int kit_usage_from_json(struct kit_usage *u, const char *text, size_t len, char *why,
                       size_t whysize);
/* The by_endpoint object alone, as JSON text (appended to out). */
int kit_usage_endpoints_json(const struct kit_usage *u, struct kit_buf *out);
/* One kept day as the history entry above (appended to out). -1 on oom. */
int kit_usage_day_json(const struct kit_usage *d, struct kit_buf *out);
/* The history record above for u's kept days (appended to out). -1 on
 * oom. */
int kit_usage_history_to_json(const struct kit_usage *u, struct kit_buf *out);
/* Keep the days of a history record (text) in u's history, as
 * kit_usage_keep_days does. -1 with a reason in why when it is not a
 * history record (u then holds what it held). */
int kit_usage_history_from_json(struct kit_usage *u, const char *text, size_t len, char *why,
                                size_t whysize);
/* Keep src's kept days before dst->day in dst's history. Each place a day
 * is stored holds the day whole, so a day dst already keeps is the same
 * day seen twice (a move into the history key whose usage record could
 * not be rewritten after it), not more calls: the entry with more calls
 * stays. History beyond KIT_USAGE_HISTORY_DAYS is dropped. -1 on oom. */
int kit_usage_keep_days(struct kit_usage *dst, const struct kit_usage *src);
/* Forget u's kept days (the rest of u is left alone). */
void kit_usage_drop_history(struct kit_usage *u);

/* The thresholds (50%, 80%, 100% of u->budget and of the daily limit last
 * seen, limits[KIT_LIM_DAILY]) the day's calls have crossed that were not
 * warned about yet (u->warned): up to max of them into out, the highest
 * crossed per figure; all crossed ones are then marked in u->warned, so
 * each is reported once a day. The calls used against the daily limit are
 * the server's count (daily - daily_remaining) when that is higher than
 * u->calls. Returns how many were written. */
int kit_usage_warnings(struct kit_usage *u, struct kit_usage_warning *out, int max);

#endif
