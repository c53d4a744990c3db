/*
 * transport.h - the HTTP client a HubSpot instance talks through: the
 * connector kit's client (plugin/http.h) configured from the instance's
 * options, with HubSpot's answers (rate-limit headers, error bodies)
 * taught to it.
 */
#ifndef HS_TRANSPORT_H
#define HS_TRANSPORT_H

#include "hubspot/instance.h"

/* Create in->http from in->opt and in->host. On failure err says why and
 * in->http stays NULL; the instance frees the client it made
 * (kit_http_free). */
oc_status hs_transport_new(struct oc_instance *in, struct oc_error *err);

#endif
