/*
 * headers.h - what HubSpot's response headers say, for the HTTP client's
 * header hook (hubspot/transport.c): the X-HubSpot-RateLimit-* set and
 * X-HubSpot-Correlation-Id (API-NOTES.md 3.3), plus HTTP's own Retry-After.
 *
 * Header names are matched case-insensitively (HTTP/2 lower-cases them,
 * HTTP/1.1 servers use any case). Every header is optional: HubSpot omits
 * the rate-limit set when it cannot gather it, and search answers carry
 * none of it.
 */
#ifndef HS_HEADERS_H
#define HS_HEADERS_H

#include <stddef.h>

#include "plugin/httpmeta.h"

/* Feed one raw header line as libcurl hands it to CURLOPT_HEADERFUNCTION
 * (not NUL-terminated, CRLF included) into m (the caller's). A status line
 * ("HTTP/...") starts a new response, so headers of an interim 1xx answer
 * are dropped. Lines longer than the values we keep are ignored rather
 * than truncated. */
void hs_headers_line(struct kit_http_meta *m, const char *line, size_t len);

#endif
