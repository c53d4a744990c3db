/*
 * options.h - the plugin's options, parsed from the host's key/value list
 * (options.c: keys, defaults, limits). The instance holds one; this header
 * is apart from instance.h so that parsing needs no instance.
 */
#ifndef HS_OPTIONS_H
#define HS_OPTIONS_H

#include <stdint.h>

#include "onecount/connector.h"

/* Parsed options (see options.c for keys, defaults and limits). Strings are
 * owned by the instance. */
struct hs_options {
    char *access_token;   /* secret */
    char *base_url;
    int64_t daily_budget;
    int burst_max;
    int64_t burst_window_ms;
    long timeout_ms;
    long connect_timeout_ms;
    int max_retries;
    int max_concurrency;
    int64_t lookback_ms;
    int64_t pull_window_ms;
    int pull_start_days;
    char *lookup_properties; /* comma-separated */
    int64_t cache_ttl_ms;
    int membership_chunk;
    int64_t linger_ms; /* inputs over time: the oldest pending waits at most this */
    int max_pending;   /* inputs over time: held unanswered at most */
    int usage_remote;        /* usage also asks HubSpot for the portal's count */
    int usage_only;          /* an instance only for usage: no token needed */
    int event_context;       /* email events carry their email's name and subject */
    char *api_version;       /* as configured; NULL: the default (api_paths.h) */
    int api;                 /* enum hs_api_version read from api_version */
};

/* Fill o from opts (n of them; copied, the caller keeps its own). On
 * failure err names the key and what it accepts, and o holds nothing to
 * free. On success o owns its strings until hs_options_free. */
oc_status hs_options_parse(struct hs_options *o, const struct oc_option *opts, size_t n,
                           struct oc_error *err);
/* Free o's strings and clear it; a cleared o is a no-op. */
void hs_options_free(struct hs_options *o);

#endif
