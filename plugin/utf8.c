/* utf8.c - see utf8.h. */
#include "plugin/utf8.h"

size_t kit_utf8_seq(const void *p, size_t avail, size_t *bad)
{
    const unsigned char *s = p;
    unsigned c = s[0], lo = 0x80, hi = 0xBF;
    size_t need, dummy;
    if(!bad)
        bad = &dummy;
    if(c < 0x80)
        return 1;
    if(c >= 0xC2 && c <= 0xDF)
        need = 1;
    else if(c == 0xE0) {
        need = 2;
        lo = 0xA0; /* overlong below */
    } else if((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF)
        need = 2;
    else if(c == 0xED) {
        need = 2;
        hi = 0x9F; /* surrogates above */
    } else if(c == 0xF0) {
        need = 3;
        lo = 0x90; /* overlong below */
    } else if(c >= 0xF1 && c <= 0xF3)
        need = 3;
    else if(c == 0xF4) {
        need = 3;
        hi = 0x8F; /* above U+10FFFF */
    } else {
        *bad = 1;
        return 0;
    }
    for(size_t i = 1; i <= need; i++) {
        if(i >= avail || s[i] < lo || s[i] > hi) {
            *bad = i;
            return 0;
        }
        lo = 0x80;
        hi = 0xBF;
    }
    return need + 1;
}

int kit_utf8_valid(const char *s, size_t len, int allow_nul, size_t *bad)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while(i < len) {
        if(p[i] < 0x80) {
            if(p[i] == 0 && !allow_nul)
                goto fail;
            i++;
            continue;
        }
        size_t n = kit_utf8_seq(p + i, len - i, NULL);
        if(!n)
            goto fail;
        i += n;
    }
    return 1;
fail:
    if(bad)
        *bad = i;
    return 0;
}
