/*
 * instance.c - creating and releasing a HubSpot plugin instance.
 *
 * It calls no capability: each one leaves its state in a slot with the
 * function that frees it (instance.h), and the host services live in
 * host.c.
 */
#include "hubspot/instance.h"

#include <stdlib.h>

#include "hubspot/transport.h"
#include "hubspot/usage_watch.h"
#include "plugin/error.h"
#include "plugin/redact.h"

/* in->http from the options and the host; the transport adds HubSpot's
 * ways. On failure err says why and in->http stays NULL. */
static oc_status new_client(struct oc_instance *in, struct oc_error *err)
{
    struct kit_http_config cfg = {
        .base_url = in->opt.base_url,
        .token = in->opt.access_token,
        .connect_timeout_ms = in->opt.connect_timeout_ms,
        .timeout_ms = in->opt.timeout_ms,
        .max_retries = in->opt.max_retries,
        .max_concurrency = in->opt.max_concurrency,
        .burst_max = in->opt.burst_max,
        .burst_window_ms = in->opt.burst_window_ms,
        .daily_budget = in->opt.daily_budget,
    };
    hs_transport_configure(&cfg);
    return kit_http_new(&cfg, in->host, &in->http, err);
}

oc_status hs_instance_new(const struct oc_host *host, const struct oc_option *opts, size_t n,
                          struct oc_instance **out, struct oc_error *err)
{
    kit_error_clear(err);
    if(!out)
        return kit_fail(err, OC_E_INVALID, "init: out must not be NULL");
    *out = NULL;
    if(!host || !OC_HAS_MEMBER(host, struct oc_host, cancelled))
        return kit_fail(err, OC_E_INVALID,
                       "init: struct oc_host is missing or older than ABI 1.0 (struct_size)");
    struct oc_instance *in = calloc(1, sizeof *in);
    if(!in)
        return kit_fail(err, OC_E_NOMEM, "init: out of memory");
    oc_status rc = OC_E_NOMEM;
    if(!(in->usage_watch = hs_usage_watch_new(host))) {
        kit_fail(err, rc, "init: out of memory");
        goto fail;
    }
    in->host = hs_usage_watch_host(in->usage_watch);
    in->real_host = host;
    rc = hs_options_parse(&in->opt, opts, n, err);
    if(rc)
        goto fail;
    /* No token is allowed with usage_only alone: that instance has no
     * HTTP client, and its usage report reads state (usage_report.h). */
    if(in->opt.access_token && *in->opt.access_token) {
        kit_redact_register(in->opt.access_token);
        rc = new_client(in, err);
        if(rc)
            goto fail;
    }
    *out = in;
    return OC_OK;
fail:
    hs_instance_release(in);
    return rc;
}

void hs_instance_release(struct oc_instance *in)
{
    if(!in)
        return;
    for(size_t i = 0; i < HS_SLOT_COUNT; i++) {
        struct hs_slot *s = &in->slot[i];
        if(s->state && s->release)
            s->release(s->state);
        s->state = NULL;
    }
    kit_http_free(in->http);
    hs_usage_watch_free(in->usage_watch);
    if(in->opt.access_token && *in->opt.access_token)
        kit_redact_forget(in->opt.access_token);
    hs_options_free(&in->opt);
    free(in);
}
