/*
 * usage_report.h - the usage operation: the days kept in host state, today,
 * and (when the host asked for it at init) the portal's own count.
 *
 * Records, in this order, through the host's emit:
 *  - "usage_day" (id the day), one per kept day, oldest first: day,
 *    calls, calls_429, retries, errors, utc_offset_ms (numbers but day);
 *    budget and the limits (daily_limit, daily_remaining, limit_max) when
 *    known that day; by_endpoint, the JSON object {"name":{"calls":..,
 *    "errors":..,"429":..,"retries":..}} (OC_FIELD_JSON for a 1.1 host,
 *    else the same text as a string named by_endpoint_json);
 *  - "usage", today, as before (plugin/http.h kit_http_usage_emit);
 *  - with option usage_remote = 1, "portal_usage" (id the day): what
 *    HubSpot counts for every private app of the portal today
 *    (GET /account-info/v3/api-usage/daily/private-apps, one call):
 *    name, current_usage, usage_limit, resets_at, collected_at,
 *    fetch_status, and connector_calls (this connector's calls today).
 * The host renders reports from these records alone, never from state.
 *
 * Without a token (option usage_only = 1, which an instance made only for
 * usage may be given) the instance has no HTTP client: today's record is
 * then built from state, and the remote record is refused.
 */
#ifndef HS_USAGE_REPORT_H
#define HS_USAGE_REPORT_H

#include "hubspot/instance.h"

/* hs_usage(in, err), declared with the other capabilities in instance.h:
 * the usage operation above. in is borrowed; err filled on failure:
 * OC_E_CANCELLED when the host refused a record, OC_E_CONFIG for a remote
 * report without a token, HubSpot's error for a failed remote call. */

#endif
