/*
 * http.h - the connector kit's HTTP client: one per plugin instance, every
 * call to the CRM's API goes through it.
 *
 * Return conventions of the kit (plugin/), one per kind of function:
 *  - anything that can fail for a reason a user must read returns
 *    oc_status (OC_OK == 0) and fills a caller's struct oc_error through
 *    error.h (redacted, struct_size honoured);
 *  - buffer and JSON building that can only run out of memory returns 0,
 *    or -1 on oom (buf.h, the JSON writer, kit_url_encode, usage JSON);
 *  - readers of untrusted text return 0, or -1 with the reason in a
 *    caller's `why` buffer (kit_json_parse adds -2: over a limit, the
 *    same text always fails again);
 *  - predicates ("is this ...") return nonzero for yes, 0 for no;
 *  - lookups return an index or a count, -1 for "none".
 * Each header says which one its functions follow.
 *
 * One struct kit_http per plugin instance: its own libcurl handles
 * (keep-alive, CURLOPT_NOSIGNAL, TLS verification always on), its pacer,
 * its retry policy and its usage counters. Not thread-safe: one thread at a
 * time, like the instance that owns it.
 *
 * The connector teaches the client its server through hooks in the config
 * (struct kit_http_hooks): which response headers carry the rate limits,
 * the Retry-After and the request id (httpmeta.h), and what an error
 * answer means (the message, the status, and whether and how to retry).
 * Without hooks the client reads Retry-After only and maps statuses by
 * HTTP's own meanings. The words it puts in messages (the server's name,
 * where a token comes from, the environment variables) come from the
 * config too; for example hubspot/transport.c sets HubSpot's.
 *
 * Pacing: the client waits (through the host's sleep_ms, so tests run on
 * virtual time) before a call would exceed the burst window learned from
 * the rate-limit headers (max, remaining, interval), or the configured
 * burst_max per burst_window_ms when the headers are absent; search calls
 * at most 5 per second.
 *
 * Waits a server asks for are capped at KIT_RETRY_MAX_WAIT_MS (retry.h):
 * Retry-After, a 429's window, and pacing waits that come from the
 * rate-limit headers (a hostile or broken server can announce a day-long
 * window). A request facing a longer wait is not sent (or not retried): it
 * ends OC_E_TRANSIENT, retryable, retry_after_ms set to the wait asked, and
 * a message naming the wait and the headers that asked for it. Waits that
 * come from the configuration alone (burst_max/burst_window_ms) are the
 * user's own and are waited out.
 *
 * Proxies: a plain-http base_url (loopback only) never goes through a
 * proxy, whatever http_proxy, ALL_PROXY or all_proxy say, since the proxy
 * would read the token in clear. https honours the environment's proxy as
 * libcurl does (https_proxy, ALL_PROXY, NO_PROXY): it sees only a CONNECT
 * tunnel.
 *
 * Retries: what the answer hook decides (struct kit_http_decision): wait
 * out the rate window, wait a given time, back off, stop for the day
 * (OC_E_BUDGET, no retry) or not retry. Timeouts, resets, empty and
 * truncated/malformed 2xx bodies: exponential backoff with jitter. At most
 * max_retries retries.
 *
 * Waits are never silent: every retry is logged at OC_LOG_WARN (the level
 * a host shows by default) saying what failed and when the next try is,
 * "<server> unreachable (connection refused), retry 3 of 5 in 4 s (GET
 * /x)", or for a wait the server asked for "waiting 10 s: <reason>, retry
 * 2 of 5 (GET /x)"; the full error follows at OC_LOG_INFO. A pacing wait
 * of KIT_HTTP_ANNOUNCE_WAIT_MS or more is logged at OC_LOG_WARN once
 * ("waiting 3 s: HubSpot's 10-second limit (190 calls)", the server's
 * name from server_name and the window from its headers), shorter ones at
 * OC_LOG_DEBUG: a normal run stays quiet, a waiting one says why.
 *
 * Usage: every request that reached the wire is counted by endpoint name
 * (every attempt, and each resend libcurl makes on its own when a reused
 * connection died unanswered, which also counts as a retry), with 429s,
 * retries and the last-seen limit headers, persisted through host state
 * per day; a configured daily_budget is never exceeded (OC_E_BUDGET before
 * the call, and a resend that would pass it is not made; libcurl 7.80 or
 * newer, whose pre-request hook sees resends). A request sent
 * on a connection the server was closing at that very moment is counted
 * though the server may never have read it: the count errs high, never
 * low.
 */
#ifndef KIT_HTTP_H
#define KIT_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "onecount/connector.h"
#include "plugin/buf.h"
#include "plugin/httpmeta.h"
#include "plugin/json.h"

/* The defaults of the client's settings, the one place they are defined:
 * a connector's own option table uses these. */
#define KIT_HTTP_DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define KIT_HTTP_DEFAULT_TIMEOUT_MS 30000L /* the whole transfer */
#define KIT_HTTP_DEFAULT_MAX_RETRIES 5
#define KIT_HTTP_DEFAULT_MAX_CONCURRENCY 4
#define KIT_HTTP_DEFAULT_BURST_MAX 100 /* calls per burst window; headers refine it */
#define KIT_HTTP_DEFAULT_BURST_WINDOW_MS 10000
/* Pacing waits this long or longer are announced at OC_LOG_WARN. */
#define KIT_HTTP_ANNOUNCE_WAIT_MS 1000

/* One non-2xx answer, as the answer hook sees it. All borrowed for the
 * call. */
struct kit_http_answer {
    const char *what;                 /* "POST /path" (query left out)       */
    long status;                      /* the HTTP status                     */
    const struct kit_json *body;      /* the parsed body, NULL when not JSON */
    const struct kit_http_meta *meta; /* what the headers said               */
    int attempts;                     /* calls made so far, this one included */
    int search;                       /* the request's search flag           */
};

/* What to do after an error answer. */
enum kit_http_next {
    KIT_NEXT_FINAL = 0, /* no retry: the request ends with err's status      */
    KIT_NEXT_BACKOFF,   /* retry after exponential backoff, at least wait_ms,
                           and at least Retry-After when the server sent it  */
    KIT_NEXT_WAIT,      /* retry after wait_ms                               */
    KIT_NEXT_WINDOW,    /* the rate window is full: retry after Retry-After,
                           else the window in force; every call waits        */
    KIT_NEXT_STOP_DAY   /* the day's limit is used up: the request ends
                           OC_E_BUDGET and the batch stops                   */
};

struct kit_http_decision {
    enum kit_http_next next;
    int64_t wait_ms; /* KIT_NEXT_WAIT: the wait; KIT_NEXT_BACKOFF: the least */
    int hold_all;    /* KIT_NEXT_WAIT: every call waits, not this one only  */
    /* What asked for the retry, in a few words for the line a user sees
     * at each retry, e.g. "HubSpot's 10-second limit" (static or living as
     * long as the client). NULL: "<server_name> answered HTTP <status>". */
    const char *reason;
    /* A 429's limit by the server's name for it, e.g. "DAILY", counted in
     * the usage record's 429s_by_policy (static or living as long as the
     * client; cut to KIT_USAGE_POLICY_SIZE - 1 bytes). NULL: "unknown". */
    const char *policy;
};

struct kit_http_hooks {
    void *ctx; /* passed to every hook; borrowed, must outlive the client */
    /* Read one header line of the final answer into meta (status lines are
     * not passed: the client resets meta at each). NULL:
     * kit_http_meta_standard (Retry-After only). */
    void (*header)(void *ctx, struct kit_http_meta *meta, const char *line, size_t len);
    /* Describe a non-2xx answer: fill err (through error.h: kit_fail and
     * kit_error_ids; err->status is the request's status when it ends) and
     * d (zeroed: KIT_NEXT_FINAL). NULL: kit_http_answer_default. */
    void (*answer)(void *ctx, const struct kit_http_answer *a, struct oc_error *err,
                   struct kit_http_decision *d);
};

struct kit_http_config {
    const char *base_url;     /* e.g. "https://api.example.com", no trailing '/' */
    const char *token;        /* bearer token; copied, registered for redaction */
    const char *user_agent;   /* the connector's product token, e.g.
                                 "onecount-hubspot/0.1.0"; the client adds
                                 "libcurl/<version>". NULL: "onecount-connector" */
    long connect_timeout_ms;  /* 0: KIT_HTTP_DEFAULT_CONNECT_TIMEOUT_MS */
    long timeout_ms;          /* 0: KIT_HTTP_DEFAULT_TIMEOUT_MS */
    int max_retries;          /* <0: KIT_HTTP_DEFAULT_MAX_RETRIES */
    int max_concurrency;      /* 0: KIT_HTTP_DEFAULT_MAX_CONCURRENCY; requests
                                 in flight in kit_http_run */
    int burst_max;            /* 0: KIT_HTTP_DEFAULT_BURST_MAX */
    int64_t burst_window_ms;  /* 0: KIT_HTTP_DEFAULT_BURST_WINDOW_MS */
    int64_t daily_budget;     /* 0: no budget of our own                    */
    size_t max_body;          /* 0: KIT_HTTP_MAX_BODY                        */
    struct kit_http_hooks hooks; /* the server's ways (see above)            */
    /* Words for messages; every one may be NULL. */
    const char *server_name;  /* e.g. "HubSpot"; NULL: "the server"         */
    const char *token_env;    /* environment variable for the token         */
    const char *base_url_env; /* environment variable for base_url          */
    const char *token_source; /* where a user copies a token from, e.g.
                                 "HubSpot (Settings > Integrations > ...)"  */
    /* How messages name the three rate-limit headers (max, remaining,
     * interval). NULL entries: "max", "remaining", "interval ms". */
    const char *limit_names[3];
    /* Host state key under which the connector saves the account's time
     * zone (kit_usage_zone_to_json); NULL: usage days are UTC dates. */
    const char *zone_key;
    /* A note for readers of a usage record whose day follows that zone
     * (the usage record's day_basis_note); NULL: none. */
    const char *zone_note;
};

/* Default cap on one response body (after decompression). A CRM's
 * largest answers (HubSpot's: a page of 1000 email events, a batch of 100
 * contacts) are around 1 MiB, so 16 MiB is ample, and it bounds what a
 * broken or hostile server can make us hold: body plus tokens
 * (KIT_JSON_MAX_TOKENS) stays under 56 MiB per response. */
#define KIT_HTTP_MAX_BODY (16u * 1024u * 1024u)
/* Cap on one response's header bytes (all header lines, interim 1xx
 * answers included). APIs send a few KiB; libcurl's own limits differ
 * between versions, so this one is ours. */
#define KIT_HTTP_MAX_HEADER_BYTES (64u * 1024u)

/* The answer hook used when a connector gives none (httpmeta.h): the
 * status by kit_http_status, a message "<what>: HTTP <status>" with the request id,
 * 429 waits out the window, what kit_retry_status names backs off. */
void kit_http_answer_default(void *ctx, const struct kit_http_answer *a, struct oc_error *err,
                             struct kit_http_decision *d);

struct kit_http;
struct kit_http_spares;

/* Create a client. cfg strings are copied (the words for messages and the
 * hooks' ctx are borrowed: they must outlive the client); host must
 * outlive the client.
 * On success *out is owned by the caller (kit_http_free). Refuses
 * (OC_E_CONFIG) a missing token or base_url, a base_url that is not https:// (plain
 * http:// only to 127.0.0.0/8, localhost or [::1], so the token never
 * travels in clear) or that carries user@. A token with whitespace or
 * control characters is accepted (authorize reports its shape) but never
 * sent: every request then ends OC_E_AUTH with attempts 0. The token is
 * registered for redaction until kit_http_free. Loads today's usage from host state key
 * "usage" (see plugin/usage.h for the format), today being the date in the
 * account's time zone the connector saved under cfg->zone_key (UTC, with a
 * warning when that key is unreadable, until it exists). */
oc_status kit_http_new(const struct kit_http_config *cfg, const struct oc_host *host,
                      struct kit_http **out, struct oc_error *err);
void kit_http_free(struct kit_http *h);

/* One request. The caller fills the inputs (borrowed: they must stay valid
 * until the request has run) and reads the outputs, which the request owns
 * until kit_http_req_free(). */
struct kit_http_req {
    /* inputs */
    const char *method;   /* "GET", "POST", "PUT", "DELETE"                   */
    const char *path;     /* path and query, URL-encoded, starting with '/'   */
    const char *body;     /* JSON request body or NULL                        */
    size_t body_len;
    const char *endpoint; /* usage bucket, e.g. "contacts.batch.upsert"       */
    int search;           /* nonzero: subject to the 5/s search limit         */
    size_t page_room;     /* nonzero: a page of a paged read, whose body starts
                             with room for this many bytes ("Answer memory") */
    /* outputs */
    long status;          /* final HTTP status, 0 if no response at all       */
    struct kit_buf resp;   /* final response body                              */
    struct kit_json json;  /* resp parsed, when it is non-empty JSON           */
    int attempts;         /* calls made for this request, retries included    */
    oc_status rc;         /* see kit_http_run                                  */
    struct oc_error err;  /* filled when rc != OC_OK                          */
    /* The client's own: where resp and json go back to at
     * kit_http_req_free (see "Answer memory" below). Leave it alone. */
    struct kit_http_spares *spares;
};

/* Answer memory: a request that brings no body and no token array of its
 * own (resp and json empty, as kit_http_req_init leaves them) is lent
 * ones the client kept from earlier answers, and kit_http_req_free gives
 * them back instead of freeing them, so a run of many calls neither
 * allocates nor grows an answer's memory per call:
 *  - ordinary answers (a bulk push's hundreds of upserts): the client
 *    keeps a few bodies and token arrays, none past a size bound;
 *  - pages of a paged read (page_room set): the client keeps one body and
 *    one token array for the next page whatever their size, up to a bound
 *    past which a freak page's memory is let go after it. The first
 *    page's body starts with page_room bytes reserved (room never touched
 *    costs no memory), so a read of any number of pages that fit
 *    allocates each once. kit_http_pages_end lets them go.
 * A request freed after its client frees its memory as before. A request
 * that brings its own keeps it. */

/* Times since h was created that an answer needed a new or bigger body
 * (*bodies) or token array (*token_arrays) than its request had when it
 * was sent; either pointer may be NULL. */
void kit_http_answer_allocs(const struct kit_http *h, unsigned long *bodies,
                            unsigned long *token_arrays);

/* What the pages of paged reads cost since h was created or its last
 * kit_http_pages_end. */
struct kit_http_page_memory {
    size_t body_cap;            /* bytes of the page body kept now, 0: none */
    size_t tokens_cap;          /* tokens the kept token array holds, 0: none */
    unsigned long body_allocs;  /* times a page needed a new or bigger body */
    unsigned long token_allocs; /* the same for its token array */
};
/* Fill *m (the caller's); h may be NULL (all zero). */
void kit_http_page_memory(const struct kit_http *h, struct kit_http_page_memory *m);
/* A paged read is over: the page body and token array the client kept are
 * freed and the page counts start again from zero. Call it once the
 * read's requests are freed (one freed later gives its page memory back
 * to be kept again). h may be NULL. */
void kit_http_pages_end(struct kit_http *h);

/* Set up r with its inputs; outputs cleared. */
void kit_http_req_init(struct kit_http_req *r, const char *method, const char *path,
                      const char *body, size_t body_len, const char *endpoint);
/* Free the outputs (inputs are borrowed and left alone); memory lent by
 * the client goes back to it (see "Answer memory"). */
void kit_http_req_free(struct kit_http_req *r);

/* Run n requests, up to max_concurrency at a time, each with pacing and
 * retries. Each request ends with its own rc:
 *   OC_OK            2xx (207 included) with a well-formed body (or none)
 *   (an error answer) what the answer hook said (see kit_http_status for
 *                    the default): OC_E_INVALID, OC_E_AUTH, OC_E_NOT_FOUND,
 *                    OC_E_CONFIG for a 3xx, ...
 *   OC_E_BUDGET      the hook said the day's limit is used up, or the daily
 *                    budget reached
 *   OC_E_TRANSIENT   retryable answers or network trouble still there after
 *                    retries, or a server-asked wait over KIT_RETRY_MAX_WAIT_MS
 *   OC_E_PROTOCOL    a 2xx whose body stayed malformed (or empty, other than
 *                    204/205) after retries; a body over max_body, headers
 *                    over KIT_HTTP_MAX_HEADER_BYTES, or a body over a JSON
 *                    reader limit (none retried: the same request brings
 *                    the same answer)
 *   OC_E_CONFIG      TLS verification failed (never retried, never disabled);
 *                    a 3xx (redirects are never followed: wrong base_url)
 *   OC_E_CANCELLED   the host asked to stop
 * For non-2xx answers status, resp and json stay available. The function
 * returns OC_OK when every request ran to its own end, or OC_E_BUDGET /
 * OC_E_CANCELLED (also written to err) when the batch was stopped; requests
 * not yet sent then carry that rc and status 0. */
oc_status kit_http_run(struct kit_http *h, struct kit_http_req *reqs, size_t n,
                      struct oc_error *err);
/* One request; returns r->rc and copies r->err to err when it fails. */
oc_status kit_http_call(struct kit_http *h, struct kit_http_req *r, struct oc_error *err);

/* Emit one "usage" record (kind "usage", id the day) through the host:
 * calls today, by endpoint, 429s, retries, budget, limits and remaining as
 * last seen. Fields: day (string, "YYYY-MM-DD" in the account's time zone
 * once the connector has saved it, else UTC), day_basis (which of the two,
 * in words), day_basis_note (cfg->zone_note, when the zone is known),
 * resets_at (ISO 8601 UTC: when the day, and
 * with it the budget, starts again), calls, calls_429,
 * retries (numbers); budget and budget_remaining when a daily_budget is
 * set; limit_max, limit_remaining, limit_interval_ms, daily_limit,
 * daily_remaining only when ever seen in a response; by_endpoint_json, a
 * string holding a JSON object {"name":{"calls":..,"errors":..,"429":..,
 * "retries":..}} (the record ABI is flat); calls_counted_ahead when calls
 * another client (or a run that died) counted ahead are in calls. Usage
 * counts every request that reached the wire and is persisted (host state
 * key "usage") ahead of the calls it covers: before a call that the
 * allowance of the last save does not cover (see "counted ahead" in
 * http.c), so the stored count is never below the calls made. */
oc_status kit_http_usage_emit(struct kit_http *h, struct oc_error *err);
/* Store the exact count now and take back the allowance of calls counted
 * ahead that this client did not use. A connector calls it at the end of
 * every operation, so what a finished run leaves in state is exact; a
 * process that dies without it leaves its allowance counted (a count
 * slightly high, never low). Logs a warning when the save fails. h may be
 * NULL. */
void kit_http_settle(struct kit_http *h);
struct kit_usage_zone;
/* Count days in the account's zone z from now on (z is copied; see
 * plugin/usage.h): a connector calls this after saving the zone, so the same
 * instance's usage day, budget and reset time follow at once. Counts
 * already made are stored first and taken into the new day when they fall
 * in it. kit_http_new reads the saved zone itself. */
void kit_http_set_zone(struct kit_http *h, const struct kit_usage_zone *z);
/* Calls made by this client since it was created (all attempts, libcurl's
 * resends included). */
uint64_t kit_http_calls(const struct kit_http *h);

/* Append s percent-encoded for a path segment or query value (RFC 3986
 * unreserved characters kept, everything else %XX, so '+' and '@' too).
 * 0, or -1 on oom. */
int kit_url_encode(struct kit_buf *out, const char *s);

#endif
