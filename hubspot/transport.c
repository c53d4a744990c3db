/* transport.c - see transport.h. */
#include "hubspot/transport.h"

oc_status hs_transport_new(struct oc_instance *in, struct oc_error *err)
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
    return kit_http_new(&cfg, in->host, &in->http, err);
}
