/*
 * apierror.h - turning a HubSpot error answer into a struct oc_error that
 * says what failed and what to do.
 *
 * HubSpot error bodies ({"status":"error","message":..,"category":..,
 * "correlationId":..,"context":{"missingScopes":[..]},"errors":[..],
 * "policyName":..}) are all-optional: any field may be missing, and the
 * body may not be JSON at all (a proxy's HTML page).
 */
#ifndef HS_APIERROR_H
#define HS_APIERROR_H

#include "onecount/connector.h"
#include "plugin/json.h"

/* The status an HTTP answer maps to (see kit_http_run in http.h):
 * OC_OK for 2xx, else OC_E_INVALID / OC_E_AUTH / OC_E_NOT_FOUND /
 * OC_E_TRANSIENT, and OC_E_CONFIG for a 3xx (redirects are not followed:
 * a wrong base_url). 429 maps to OC_E_TRANSIENT; DAILY is decided by the
 * caller, which knows the policy. */
oc_status hs_api_status(long http_status);

/* Fill err for a non-2xx answer to `what` (e.g. "POST /crm/v3/..."), with
 * rc as its status. j is the parsed body (NULL or empty when not JSON);
 * header_cid is the X-HubSpot-Correlation-Id header ("" if none), used
 * when the body has no correlationId. attempts > 1 is mentioned. The
 * message is redacted (kit_fail). Returns rc. */
oc_status hs_api_error(struct oc_error *err, oc_status rc, const char *what, long http_status,
                       const struct kit_json *j, const char *header_cid, int attempts);

/* Copy the string member key of the root object of j into out (size
 * bytes, truncated), or "" when absent. Returns out. */
const char *hs_api_field(const struct kit_json *j, const char *key, char *out, size_t size);

#endif
