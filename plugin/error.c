/* error.c - see error.h. */
#include "plugin/error.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "plugin/buf.h"
#include "plugin/redact.h"

void kit_error_clear(struct oc_error *err)
{
    if(!err || err->struct_size < offsetof(struct oc_error, message))
        return;
    uint32_t size = err->struct_size;
    memset(err, 0, size < sizeof *err ? size : sizeof *err);
    err->struct_size = size;
}

/* Length of the well-formed UTF-8 sequence at p (1..4), 0 if malformed. */
static size_t utf8_len(const unsigned char *p)
{
    unsigned c = p[0], n, min, cp;
    if(c < 0x80)
        return 1;
    if(c >= 0xC2 && c <= 0xDF)
        n = 1, min = 0x80, cp = c & 0x1F;
    else if(c >= 0xE0 && c <= 0xEF)
        n = 2, min = 0x800, cp = c & 0x0F;
    else if(c >= 0xF0 && c <= 0xF4)
        n = 3, min = 0x10000, cp = c & 0x07;
    else
        return 0;
    for(unsigned i = 1; i <= n; i++) {
        if((p[i] & 0xC0) != 0x80) /* also stops at the terminating NUL */
            return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if(cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n + 1;
}

void kit_text_clean(char *s)
{
    if(!s)
        return;
    unsigned char *p = (unsigned char *)s;
    while(*p) {
        if(*p < 0x20 || *p == 0x7f) {
            *p++ = ' ';
            continue;
        }
        size_t n = utf8_len(p);
        if(n == 0)
            *p++ = '?';
        else
            p += n;
    }
}

oc_status kit_fail(struct oc_error *err, oc_status status, const char *fmt, ...)
{
    if(!KIT_ERR_HAS(err, message))
        return status;
    kit_error_clear(err);
    err->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    kit_redact_inplace(err->message);
    kit_text_clean(err->message);
    return status;
}

void kit_error_ids(struct oc_error *err, const char *correlation_id, const char *category)
{
    if(!KIT_ERR_HAS(err, category))
        return;
    if(correlation_id) {
        snprintf(err->correlation_id, sizeof err->correlation_id, "%s", correlation_id);
        kit_redact_inplace(err->correlation_id);
        kit_text_clean(err->correlation_id);
    }
    if(category) {
        snprintf(err->category, sizeof err->category, "%s", category);
        kit_redact_inplace(err->category);
        kit_text_clean(err->category);
    }
}

oc_status kit_error_wrap(struct oc_error *err, oc_status rc, const char *prefix, const char *tail)
{
    if(!KIT_ERR_HAS(err, message))
        return rc;
    struct kit_buf msg = KIT_BUF_INIT;
    kit_buf_printf(&msg, "%s: %s%s", prefix, err->message, tail ? tail : "");
    if(kit_buf_ok(&msg)) {
        size_t n = msg.len < sizeof err->message - 1 ? msg.len : sizeof err->message - 1;
        memcpy(err->message, msg.data, n);
        err->message[n] = '\0';
        kit_redact_inplace(err->message);
        kit_text_clean(err->message);
    }
    kit_buf_free(&msg);
    err->status = rc;
    return rc;
}
