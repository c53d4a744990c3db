/*
 * httpmeta.h - what the HTTP client keeps from a response's headers, in
 * words every server shares, and the helpers a connector's header hook
 * (http.h) builds on. No libcurl here: a header parser can be tested and
 * fuzzed on its own.
 *
 * A connector teaches the client its server's rate-limit and request-id
 * headers through its hook (for example HubSpot's X-HubSpot-RateLimit-*,
 * hubspot/headers.c); Retry-After is HTTP's own and read here.
 */
#ifndef KIT_HTTPMETA_H
#define KIT_HTTPMETA_H

#include <stddef.h>
#include <stdint.h>

#include "onecount/connector.h"

/* -1 in any number means "not in this response". */
struct kit_http_meta {
    int64_t limit_max;       /* calls allowed per rate window              */
    int64_t limit_remaining; /* calls left in the current window           */
    int64_t limit_interval_ms; /* the window's length                      */
    int64_t daily_limit;     /* calls allowed per day                      */
    int64_t daily_remaining; /* calls left today                           */
    int64_t retry_after_ms;  /* Retry-After in seconds, converted          */
    /* the server's id for this request, or "" (also when it held anything
     * but printable ASCII: it is echoed into messages) */
    char correlation_id[OC_ERROR_ID_SIZE];
};

/* Forget everything (all numbers -1, id ""). */
void kit_http_meta_reset(struct kit_http_meta *m);
/* Split one raw header line (as libcurl hands it: not NUL-terminated,
 * CRLF included) into its name (as sent, not trimmed) and its value
 * (surrounding blanks and the line end removed). 0 when the line has no
 * ':' (a status line, the blank line ending the block), else 1. */
int kit_http_header_split(const char *line, size_t len, const char **name, size_t *name_len,
                          const char **value, size_t *value_len);
/* A non-negative decimal count filling v[0..n) (at most 18 digits), else
 * -1: a value that is not a plain number is unknown, never a guess. */
int64_t kit_http_header_count(const char *v, size_t n);
/* Take v[0..n) as m's correlation id when it is all printable ASCII and
 * fits; otherwise m's id is left as it was. */
void kit_http_meta_set_id(struct kit_http_meta *m, const char *v, size_t n);
/* Read the headers HTTP itself defines: a status line ("HTTP/...") starts
 * a new response (m reset, so an interim 1xx answer's headers are
 * dropped); Retry-After in seconds (an HTTP-date is unknown; capped at a
 * week so a hostile value cannot overflow). 1 when the line was one of
 * these, else 0. The client's default header hook. */
int kit_http_meta_standard(struct kit_http_meta *m, const char *line, size_t len);

/* The status an HTTP answer maps to by HTTP's own meanings: OC_OK for
 * 2xx, OC_E_AUTH for 401/403, OC_E_NOT_FOUND for 404, OC_E_CONFIG for a
 * 3xx (redirects are not followed: a wrong base_url), OC_E_INVALID for
 * other 4xx but 423 and 429, OC_E_TRANSIENT for the rest. */
oc_status kit_http_status(long http_status);

#endif
