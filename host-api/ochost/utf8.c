/* utf8.c - see utf8.h. */
#include "host-api/ochost/utf8.h"

int och_utf8_valid(const char *s, size_t len, int allow_nul, size_t *bad)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while(i < len) {
        unsigned c = p[i];
        size_t n;
        unsigned lo = 0x80, hi = 0xbf;
        if(c < 0x80) {
            if(c == 0 && !allow_nul)
                goto fail;
            i++;
            continue;
        }
        if(c >= 0xc2 && c <= 0xdf)
            n = 1;
        else if(c >= 0xe0 && c <= 0xef) {
            n = 2;
            if(c == 0xe0)
                lo = 0xa0; /* overlong */
            else if(c == 0xed)
                hi = 0x9f; /* surrogates */
        } else if(c >= 0xf0 && c <= 0xf4) {
            n = 3;
            if(c == 0xf0)
                lo = 0x90;
            else if(c == 0xf4)
                hi = 0x8f; /* above U+10FFFF */
        } else
            goto fail;
        if(len - i - 1 < n)
            goto fail;
        if(p[i + 1] < lo || p[i + 1] > hi)
            goto fail;
        for(size_t k = 2; k <= n; k++)
            if(p[i + k] < 0x80 || p[i + k] > 0xbf)
                goto fail;
        i += n + 1;
    }
    return 1;
fail:
    if(bad)
        *bad = i;
    return 0;
}
