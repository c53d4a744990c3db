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
#include "plugin/httpmeta.h"
#include "plugin/json.h"

/* The status an HTTP answer maps to (kit_http_status, plugin/httpmeta.h)
 * with HubSpot's own codes: 530 (a malformed token) is OC_E_AUTH, 477
 * (migration in progress) OC_E_TRANSIENT (API-NOTES.md 3.5). 429 maps to
 * OC_E_TRANSIENT; DAILY is decided by the caller, which knows the policy. */
oc_status hs_api_status(long http_status);

/* Nonzero when HubSpot means a status as "try again" (API-NOTES.md 3.5):
 * HTTP's own (kit_retry_status) less 530 (a malformed token: retrying
 * cannot help), plus 477 (migration in progress). */
int hs_api_retryable(long http_status);

/* A 429 body's policyName (API-NOTES.md 3.4). */
enum hs_rate_policy {
    HS_POLICY_UNKNOWN = 0,
    HS_POLICY_TEN_SECONDLY, /* TEN_SECONDLY_ROLLING: wait out the window */
    HS_POLICY_SECONDLY,     /* SECONDLY (search): 1 s                    */
    HS_POLICY_DAILY         /* DAILY: stop, no retry                     */
};
/* Map a policyName (NULL or unknown -> HS_POLICY_UNKNOWN). */
enum hs_rate_policy hs_rate_policy_parse(const char *name);
/* HubSpot's name of p ("TEN_SECONDLY_ROLLING", "SECONDLY", "DAILY"), or
 * "unknown": a static string, the name 429s are counted under in usage. */
const char *hs_rate_policy_name(enum hs_rate_policy p);
#define HS_SECONDLY_WAIT_MS 1000 /* SECONDLY without Retry-After          */
#define HS_LOCKED_WAIT_MS 2000   /* 423: "locks last for 2 seconds" (3.5) */

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
