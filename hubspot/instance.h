/*
 * instance.h - struct oc_instance, the HubSpot plugin's per-instance state.
 *
 * One instance is used by one thread at a time (ABI rule), so nothing here
 * is locked. Each capability keeps its own state behind its own pointer,
 * created lazily by that capability's file and released by it from
 * hs_instance_release().
 */
#ifndef HS_INSTANCE_H
#define HS_INSTANCE_H

#include <stdint.h>

#include "onecount/connector.h"
#include "plugin/http.h"

#define HS_PLUGIN_NAME "hubspot"
#define HS_PLUGIN_VERSION "0.1.0"
#define HS_CAPABILITIES "authorize,pull,push,lookup"
/* The scopes the plugin needs; kept equal to plugin.manifest's scopes. */
#define HS_SCOPES "crm.objects.contacts.read,crm.objects.contacts.write,crm.lists.read,crm.lists.write,content"

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
};

struct hs_lookup_cache;
struct hs_push_state;
struct hs_pull_state;

struct oc_instance {
    const struct oc_host *host;
    struct hs_options opt;
    struct kit_http *http;
    struct hs_lookup_cache *lookup_cache; /* lookup.c */
    struct hs_push_state *push_state;     /* push.c   */
    struct hs_pull_state *pull_state;     /* pull.c   */
};

/* Create an instance (the ABI's init): options parsed, HTTP client made.
 * On success *out is owned by the caller, freed with hs_instance_release. */
oc_status hs_instance_new(const struct oc_host *host, const struct oc_option *opts, size_t n,
                          struct oc_instance **out, struct oc_error *err);
void hs_instance_release(struct oc_instance *in);

/* options.c */
oc_status hs_options_parse(struct hs_options *o, const struct oc_option *opts, size_t n,
                           struct oc_error *err);
void hs_options_free(struct hs_options *o);

/* Log through the host, redacted. */
void hs_log(const struct oc_instance *in, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Host clock (wall clock when the host gives none). */
int64_t hs_now_ms(const struct oc_instance *in);

/* The capabilities, one file each. They fill err on failure. */
oc_status hs_authorize(struct oc_instance *in, struct oc_error *err);
oc_status hs_pull(struct oc_instance *in, const struct oc_pull_request *req, struct oc_error *err);
oc_status hs_push(struct oc_instance *in, const struct oc_push_request *req, struct oc_error *err);
oc_status hs_lookup(struct oc_instance *in, const struct oc_lookup_request *req,
                    struct oc_error *err);
/* Each frees its own state in the instance; NULL-safe. */
void hs_lookup_release(struct oc_instance *in);
void hs_push_release(struct oc_instance *in);
void hs_pull_release(struct oc_instance *in);

/* Emit a record of kind with n fields through the host; OC_E_CANCELLED if
 * the host did not take it, OC_E_NOMEM if masking failed. id and fields
 * stay the caller's; any value holding the token (or a token-shaped
 * string) reaches the host masked, in a copy freed before return. */
oc_status hs_emit(struct oc_instance *in, const char *kind, const char *id,
                  const struct oc_field *fields, size_t n);

#endif
