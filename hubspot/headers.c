/* headers.c - see headers.h. */
#include "hubspot/headers.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void hs_headers_reset(struct hs_resp_headers *h)
{
    h->rl_max = h->rl_remaining = h->rl_interval_ms = -1;
    h->rl_daily = h->rl_daily_remaining = -1;
    h->retry_after_ms = -1;
    h->correlation_id[0] = '\0';
}

/* A non-negative decimal integer filling v[0..n), else -1. A value that
 * is not a plain number (an HTTP-date Retry-After, garbage) is unknown,
 * never a guess. */
static int64_t parse_count(const char *v, size_t n)
{
    if(n == 0 || n > 18)
        return -1;
    int64_t x = 0;
    for(size_t i = 0; i < n; i++) {
        if(v[i] < '0' || v[i] > '9')
            return -1;
        x = x * 10 + (v[i] - '0');
    }
    return x;
}

void hs_headers_line(struct hs_resp_headers *h, const char *line, size_t len)
{
    if(len >= 5 && !strncmp(line, "HTTP/", 5)) {
        hs_headers_reset(h);
        return;
    }
    const char *colon = memchr(line, ':', len);
    if(!colon)
        return;
    size_t nlen = (size_t)(colon - line);
    const char *v = colon + 1;
    const char *end = line + len;
    while(v < end && (*v == ' ' || *v == '\t'))
        v++;
    while(end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t vlen = (size_t)(end - v);

    static const struct {
        const char *name;
        size_t off;
    } nums[] = {
        {"X-HubSpot-RateLimit-Max", offsetof(struct hs_resp_headers, rl_max)},
        {"X-HubSpot-RateLimit-Remaining", offsetof(struct hs_resp_headers, rl_remaining)},
        {"X-HubSpot-RateLimit-Interval-Milliseconds",
         offsetof(struct hs_resp_headers, rl_interval_ms)},
        {"X-HubSpot-RateLimit-Daily", offsetof(struct hs_resp_headers, rl_daily)},
        {"X-HubSpot-RateLimit-Daily-Remaining",
         offsetof(struct hs_resp_headers, rl_daily_remaining)},
    };
    for(size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if(strlen(nums[i].name) == nlen && !strncasecmp(line, nums[i].name, nlen)) {
            *(int64_t *)(void *)((char *)h + nums[i].off) = parse_count(v, vlen);
            return;
        }
    }
    if(nlen == 11 && !strncasecmp(line, "Retry-After", 11)) {
        int64_t s = parse_count(v, vlen);
        /* Cap before converting so a hostile value cannot overflow. */
        h->retry_after_ms = s < 0 ? -1 : (s > 86400 * 7 ? 86400 * 7 : s) * 1000;
        return;
    }
    if(nlen == 24 && !strncasecmp(line, "X-HubSpot-Correlation-Id", 24)) {
        /* It is echoed into error messages and onto terminals: anything
         * but printable ASCII (HubSpot sends a UUID) makes it unknown. */
        for(size_t i = 0; i < vlen; i++)
            if((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
                return;
        if(vlen < sizeof h->correlation_id) {
            memcpy(h->correlation_id, v, vlen);
            h->correlation_id[vlen] = '\0';
        }
    }
}
