/* buf.c - growable byte buffer; see buf.h. */
#include "plugin/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kit_buf_init(struct kit_buf *b) { memset(b, 0, sizeof *b); }

void kit_buf_free(struct kit_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

void kit_buf_reset(struct kit_buf *b)
{
    b->len = 0;
    if(b->data)
        b->data[0] = '\0';
}

int kit_buf_reserve(struct kit_buf *b, size_t extra)
{
    if(b->oom)
        return -1;
    if(extra > ((size_t)-1) / 2 - b->len)
        goto fail;
    size_t need = b->len + extra + 1;
    if(need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while(cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if(!p)
        goto fail;
    b->data = p;
    b->cap = cap;
    return 0;
fail:
    b->oom = 1;
    return -1;
}

int kit_buf_append_grow(struct kit_buf *b, const void *data, size_t len)
{
    if(kit_buf_reserve(b, len))
        return -1;
    if(len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int kit_buf_puts(struct kit_buf *b, const char *s) { return kit_buf_append(b, s, strlen(s)); }

int kit_buf_vprintf(struct kit_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if(n < 0 || kit_buf_reserve(b, (size_t)n)) {
        b->oom = 1;
        return -1;
    }
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int kit_buf_printf(struct kit_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = kit_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

const char *kit_buf_str(const struct kit_buf *b) { return b->data ? b->data : ""; }

char *kit_buf_take(struct kit_buf *b)
{
    if(b->oom) {
        kit_buf_free(b);
        return NULL;
    }
    if(!b->data && kit_buf_reserve(b, 0))
        return NULL;
    char *p = b->data;
    memset(b, 0, sizeof *b);
    return p;
}

int kit_buf_ok(const struct kit_buf *b) { return !b->oom; }
