/*
 * transport.h - the HTTP client a HubSpot instance talks through: the
 * connector kit's client (plugin/http.h) configured from the instance's
 * options, with HubSpot's ways taught to it through the kit's hooks: its
 * rate-limit and correlation headers (headers.c), its error bodies and
 * 429 policies (apierror.c), the words its messages use, and where the
 * account's time zone is kept.
 */
#ifndef HS_TRANSPORT_H
#define HS_TRANSPORT_H

#include "plugin/http.h"

/* Host state key of the account's time zone: written by authorize
 * (kit_usage_zone_to_json), read by the HTTP client for its usage days. */
#define HS_ACCOUNT_KEY "account"
/* For people reading a usage record whose day follows the account's zone. */
#define HS_USAGE_SNAPSHOT_NOTE                                                              \
    "the UTC offset is the one HubSpot reported at the last authorize and does not follow " \
    "daylight saving changes by itself: run authorize after a change to move the reset"

/* Fill the HubSpot part of cfg: hooks, user agent, words for messages,
 * the time-zone key. The rest (base_url, token, limits: the instance's
 * options, which instance.c fills in) is left as it was. Everything it
 * points to is static. */
void hs_transport_configure(struct kit_http_config *cfg);

#endif
