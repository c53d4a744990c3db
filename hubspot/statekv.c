/* statekv.c - see statekv.h. */
#include "hubspot/statekv.h"

#include <stdlib.h>
#include <string.h>

oc_status hs_state_read(const struct oc_instance *in, const char *key, char **val, size_t *len)
{
    *val = NULL;
    *len = 0;
    const struct oc_host *h = in->host;
    if(!h || !h->state_get)
        return OC_E_NOT_FOUND;
    size_t cap = 4096;
    /* A value may grow between the two calls (another run saved): ask
     * again with the size the host names, a few times at most. */
    for(int tries = 0; tries < 4; tries++) {
        char *buf = malloc(cap + 1);
        if(!buf)
            return OC_E_NOMEM;
        size_t got = 0;
        oc_status rc = h->state_get(h->ctx, key, buf, cap, &got);
        if(rc == OC_OK && got <= cap) {
            buf[got] = '\0';
            *val = buf;
            *len = got;
            return OC_OK;
        }
        free(buf);
        if(rc != OC_E_RANGE)
            return rc ? rc : OC_E_PROTOCOL;
        cap = got > cap ? got : 2 * cap;
    }
    return OC_E_RANGE;
}

oc_status hs_state_write(const struct oc_instance *in, const char *key, const void *val, size_t len)
{
    const struct oc_host *h = in->host;
    if(!h || !h->state_put)
        return OC_OK;
    return h->state_put(h->ctx, key, val, len);
}
