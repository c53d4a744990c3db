/*
 * options.c - the plugin's configuration keys, their defaults and limits.
 *
 * Unknown keys are refused rather than ignored: a typo in a budget or a
 * timeout would otherwise silently fall back to a default that can cost a
 * publisher money.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/api_paths.h"
#include "hubspot/options.h"
#include "plugin/error.h"
#include "plugin/http.h"

#define DEFAULT_LOOKUP_PROPERTIES                                                     \
    "email,firstname,lastname,company,hs_email_last_open_date,hs_email_last_click_date," \
    "hs_email_last_send_date,hs_email_last_email_name"

enum kind { STR, INT };

struct key {
    const char *name;
    enum kind kind;
    size_t offset;   /* into struct hs_options */
    size_t size;     /* of the int member      */
    int64_t min, max;
};

#define S(n) {#n, STR, offsetof(struct hs_options, n), 0, 0, 0}
#define I(n, lo, hi) {#n, INT, offsetof(struct hs_options, n), sizeof(((struct hs_options *)0)->n), lo, hi}

static const struct key keys[] = {
    S(access_token),
    S(base_url),
    I(daily_budget, 0, INT64_C(100000000)),
    I(burst_max, 1, 10000),
    I(burst_window_ms, 100, 3600000),
    I(timeout_ms, 100, 3600000),
    I(connect_timeout_ms, 100, 600000),
    I(max_retries, 0, 20),
    I(max_concurrency, 1, 32),
    I(lookback_ms, 0, INT64_C(7) * 86400000),
    I(pull_window_ms, 60000, INT64_C(31) * 86400000),
    I(pull_start_days, 1, 3650),
    S(lookup_properties),
    I(cache_ttl_ms, 0, INT64_C(30) * 86400000),
    I(membership_chunk, 1, 100000),
    I(linger_ms, 0, 3600000),
    I(max_pending, 1, 100000),
    I(usage_remote, 0, 1),
    I(usage_only, 0, 1),
    I(event_context, 0, 1),
    S(api_version),
};

static void set_int(struct hs_options *o, const struct key *k, int64_t v)
{
    char *p = (char *)o + k->offset;
    if(k->size == sizeof(int64_t))
        *(int64_t *)(void *)p = v;
    else if(k->size == sizeof(long))
        *(long *)(void *)p = (long)v;
    else
        *(int *)(void *)p = (int)v;
}

static char **str_member(struct hs_options *o, const struct key *k)
{
    return (char **)(void *)((char *)o + k->offset);
}

static oc_status set_defaults(struct hs_options *o)
{
    memset(o, 0, sizeof *o);
    /* The HTTP client's defaults; its burst default is HubSpot's
     * Free/Starter private-app burst, and the headers refine it. */
    o->burst_max = KIT_HTTP_DEFAULT_BURST_MAX;
    o->burst_window_ms = KIT_HTTP_DEFAULT_BURST_WINDOW_MS;
    o->timeout_ms = KIT_HTTP_DEFAULT_TIMEOUT_MS;
    o->connect_timeout_ms = KIT_HTTP_DEFAULT_CONNECT_TIMEOUT_MS;
    o->max_retries = KIT_HTTP_DEFAULT_MAX_RETRIES;
    o->max_concurrency = KIT_HTTP_DEFAULT_MAX_CONCURRENCY;
    o->lookback_ms = 10 * 60 * 1000;
    o->pull_window_ms = 86400000;
    o->pull_start_days = 30;
    o->cache_ttl_ms = 15 * 60 * 1000;
    /* UNCONFIRMED: HubSpot documents no cap for memberships/add; v1 allowed
     * 500 ids per call, so that is the safe default. */
    o->membership_chunk = 500;
    /* Long enough to gather a web burst into one call, short enough that a
     * sign-up or a click is answered while the visitor is still there. */
    o->linger_ms = 300;
    /* Bounds memory when HubSpot is slow or the daily limit is reached. */
    o->max_pending = 1000;
    o->base_url = strdup(HS_API_ROOT_URL);
    o->lookup_properties = strdup(DEFAULT_LOOKUP_PROPERTIES);
    return o->base_url && o->lookup_properties ? OC_OK : OC_E_NOMEM;
}

static oc_status parse_one(struct hs_options *o, const struct oc_option *opt,
                           struct oc_error *err)
{
    for(size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const struct key *k = &keys[i];
        if(strcmp(opt->key, k->name))
            continue;
        if(k->kind == STR) {
            char **dst = str_member(o, k);
            char *copy = strdup(opt->value);
            if(!copy)
                return kit_fail(err, OC_E_NOMEM, "out of memory reading option %s", k->name);
            free(*dst);
            *dst = copy;
            return OC_OK;
        }
        char *end;
        errno = 0;
        long long v = strtoll(opt->value, &end, 10);
        if(errno || end == opt->value || *end || v < k->min || v > k->max)
            return kit_fail(err, OC_E_CONFIG,
                           "option %s = '%s' is not a whole number between %lld and %lld",
                           k->name, opt->value, (long long)k->min, (long long)k->max);
        set_int(o, k, v);
        return OC_OK;
    }
    return kit_fail(err, OC_E_CONFIG,
                   "unknown option '%s'; see the README for the options this plugin accepts",
                   opt->key);
}

oc_status hs_options_parse(struct hs_options *o, const struct oc_option *opts, size_t n,
                           struct oc_error *err)
{
    oc_status rc = set_defaults(o);
    if(rc) {
        kit_fail(err, rc, "out of memory setting default options");
        goto fail;
    }
    for(size_t i = 0; i < n; i++) {
        if(!opts[i].key || !opts[i].value) {
            rc = kit_fail(err, OC_E_CONFIG, "option %zu has no key or no value", i);
            goto fail;
        }
        rc = parse_one(o, &opts[i], err);
        if(rc)
            goto fail;
    }
    /* An instance made only to report usage reads state: no token. */
    if((!o->access_token || !*o->access_token) && !o->usage_only) {
        rc = kit_fail(err, OC_E_CONFIG,
                     "no access token: set HUBSPOT_ACCESS_TOKEN or access_token in the config "
                     "file to the private app or service key token");
        goto fail;
    }
    enum hs_api_version api = HS_API_V3;
    if(o->api_version && hs_api_version_parse(o->api_version, &api)) {
        rc = kit_fail(err, OC_E_CONFIG,
                     "api_version '%s' is not a HubSpot API version this plugin knows; use one "
                     "of: %s",
                     o->api_version, hs_api_versions_known());
        goto fail;
    }
    o->api = (int)api;
    size_t blen = strlen(o->base_url);
    while(blen && o->base_url[blen - 1] == '/')
        o->base_url[--blen] = '\0';
    if(strncmp(o->base_url, "https://", 8) && strncmp(o->base_url, "http://", 7)) {
        rc = kit_fail(err, OC_E_CONFIG, "base_url '%s' must start with https://", o->base_url);
        goto fail;
    }
    return OC_OK;
fail:
    hs_options_free(o);
    return rc;
}

void hs_options_free(struct hs_options *o)
{
    if(o->access_token) {
        /* Do not leave the secret lying around in freed heap memory. */
        volatile char *p = o->access_token;
        while(*p)
            *p++ = 0;
    }
    free(o->access_token);
    free(o->base_url);
    free(o->lookup_properties);
    free(o->api_version);
    memset(o, 0, sizeof *o);
}
