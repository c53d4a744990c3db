/*
 * headers.h - what the client keeps from a HubSpot response's headers.
 *
 * Header names are matched case-insensitively (HTTP/2 lower-cases them,
 * HTTP/1.1 servers use any case). Every header is optional: HubSpot omits
 * the rate-limit set when it cannot gather it, and search answers carry
 * none of it.
 */
#ifndef HS_HEADERS_H
#define HS_HEADERS_H

#include <stddef.h>
#include <stdint.h>

#include "onecount/connector.h"

/* -1 in any number means "not in this response". */
struct hs_resp_headers {
    int64_t rl_max;             /* X-HubSpot-RateLimit-Max                    */
    int64_t rl_remaining;       /* X-HubSpot-RateLimit-Remaining              */
    int64_t rl_interval_ms;     /* X-HubSpot-RateLimit-Interval-Milliseconds  */
    int64_t rl_daily;           /* X-HubSpot-RateLimit-Daily                  */
    int64_t rl_daily_remaining; /* X-HubSpot-RateLimit-Daily-Remaining        */
    int64_t retry_after_ms;     /* Retry-After in seconds, converted          */
    /* X-HubSpot-Correlation-Id, or "" (also when it held anything but
     * printable ASCII: it is echoed into messages) */
    char correlation_id[OC_ERROR_ID_SIZE];
};

/* Forget everything (all numbers -1, id ""). */
void hs_headers_reset(struct hs_resp_headers *h);
/* Feed one raw header line as libcurl hands it to CURLOPT_HEADERFUNCTION
 * (not NUL-terminated, CRLF included). A status line ("HTTP/...") starts a
 * new response, so headers of an interim 1xx answer are dropped. Lines
 * longer than the values we keep are ignored rather than truncated. */
void hs_headers_line(struct hs_resp_headers *h, const char *line, size_t len);

#endif
