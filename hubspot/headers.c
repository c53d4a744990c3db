/* headers.c - see headers.h. */
#include "hubspot/headers.h"

#include <string.h>
#include <strings.h>

void hs_headers_line(struct kit_http_meta *m, const char *line, size_t len)
{
    if(kit_http_meta_standard(m, line, len))
        return;
    const char *name, *v;
    size_t nlen, vlen;
    if(!kit_http_header_split(line, len, &name, &nlen, &v, &vlen))
        return;
    static const struct {
        const char *name;
        size_t off;
    } nums[] = {
        {"X-HubSpot-RateLimit-Max", offsetof(struct kit_http_meta, limit_max)},
        {"X-HubSpot-RateLimit-Remaining", offsetof(struct kit_http_meta, limit_remaining)},
        {"X-HubSpot-RateLimit-Interval-Milliseconds",
         offsetof(struct kit_http_meta, limit_interval_ms)},
        {"X-HubSpot-RateLimit-Daily", offsetof(struct kit_http_meta, daily_limit)},
        {"X-HubSpot-RateLimit-Daily-Remaining", offsetof(struct kit_http_meta, daily_remaining)},
    };
    for(size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if(strlen(nums[i].name) == nlen && !strncasecmp(name, nums[i].name, nlen)) {
            *(int64_t *)(void *)((char *)m + nums[i].off) = kit_http_header_count(v, vlen);
            return;
        }
    }
    /* HubSpot sends a UUID. */
    if(nlen == 24 && !strncasecmp(name, "X-HubSpot-Correlation-Id", 24))
        kit_http_meta_set_id(m, v, vlen);
}
