/* httpmeta.c - see httpmeta.h. */
#include "plugin/httpmeta.h"

#include <string.h>
#include <strings.h>

#define RETRY_AFTER_CAP_S (86400 * 7)

void kit_http_meta_reset(struct kit_http_meta *m)
{
    m->limit_max = m->limit_remaining = m->limit_interval_ms = -1;
    m->daily_limit = m->daily_remaining = -1;
    m->retry_after_ms = -1;
    m->correlation_id[0] = '\0';
}

int kit_http_header_split(const char *line, size_t len, const char **name, size_t *name_len,
                          const char **value, size_t *value_len)
{
    const char *colon = memchr(line, ':', len);
    if(!colon)
        return 0;
    const char *v = colon + 1;
    const char *end = line + len;
    while(v < end && (*v == ' ' || *v == '\t'))
        v++;
    while(end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *name = line;
    *name_len = (size_t)(colon - line);
    *value = v;
    *value_len = (size_t)(end - v);
    return 1;
}

int64_t kit_http_header_count(const char *v, size_t n)
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

void kit_http_meta_set_id(struct kit_http_meta *m, const char *v, size_t n)
{
    /* It is echoed into error messages and onto terminals. */
    for(size_t i = 0; i < n; i++)
        if((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
            return;
    if(n < sizeof m->correlation_id) {
        memcpy(m->correlation_id, v, n);
        m->correlation_id[n] = '\0';
    }
}

int kit_http_meta_standard(struct kit_http_meta *m, const char *line, size_t len)
{
    if(len >= 5 && !strncmp(line, "HTTP/", 5)) {
        kit_http_meta_reset(m);
        return 1;
    }
    const char *name, *v;
    size_t nlen, vlen;
    if(!kit_http_header_split(line, len, &name, &nlen, &v, &vlen))
        return 0;
    if(nlen == 11 && !strncasecmp(name, "Retry-After", 11)) {
        int64_t s = kit_http_header_count(v, vlen);
        m->retry_after_ms = s < 0 ? -1 : (s > RETRY_AFTER_CAP_S ? RETRY_AFTER_CAP_S : s) * 1000;
        return 1;
    }
    return 0;
}

oc_status kit_http_status(long s)
{
    if(s >= 200 && s < 300)
        return OC_OK;
    if(s == 401 || s == 403)
        return OC_E_AUTH;
    if(s == 404)
        return OC_E_NOT_FOUND;
    if(s >= 300 && s < 400)
        return OC_E_CONFIG; /* redirects are never followed */
    if(s >= 400 && s < 500 && s != 423 && s != 429)
        return OC_E_INVALID;
    return OC_E_TRANSIENT;
}
