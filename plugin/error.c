/* error.c - see error.h. */
#include "plugin/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "plugin/buf.h"
#include "plugin/redact.h"
#include "plugin/utf8.h"

void kit_error_clear(struct oc_error *err)
{
    if(!KIT_ERR_HAS(err, status))
        return;
    uint32_t size = err->struct_size;
    memset(err, 0, size < sizeof *err ? size : sizeof *err);
    err->struct_size = size;
}

void kit_text_clean(char *s)
{
    if(!s)
        return;
    unsigned char *p = (unsigned char *)s;
    size_t left = strlen(s);
    while(*p) {
        if(*p < 0x20 || *p == 0x7f) {
            *p++ = ' ';
            left--;
            continue;
        }
        size_t n = kit_utf8_seq(p, left, NULL);
        if(n == 0) {
            *p++ = '?';
            left--;
        } else {
            p += n;
            left -= n;
        }
    }
}

/* Copy text into a field of size bytes, cut to fit (never inside what
 * kit_text_clean would keep: a cut sequence becomes '?'), masked and
 * cleaned. */
static void put_text(char *field, size_t size, const char *text, size_t len)
{
    if(len > size - 1)
        len = size - 1;
    memcpy(field, text, len);
    field[len] = '\0';
    kit_redact_inplace(field);
    kit_text_clean(field);
}

oc_status kit_fail(struct oc_error *err, oc_status status, const char *fmt, ...)
{
    /* A caller built against a header where oc_error ends before message
     * still learns the status. */
    if(!KIT_ERR_HAS(err, status))
        return status;
    kit_error_clear(err);
    err->status = status;
    if(!KIT_ERR_HAS(err, message))
        return status;
    char text[OC_ERROR_MESSAGE_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    put_text(err->message, sizeof err->message, text, strlen(text));
    return status;
}

void kit_error_ids(struct oc_error *err, const char *correlation_id, const char *category)
{
    if(!KIT_ERR_HAS(err, category))
        return;
    if(correlation_id)
        put_text(err->correlation_id, sizeof err->correlation_id, correlation_id,
                 strlen(correlation_id));
    if(category)
        put_text(err->category, sizeof err->category, category, strlen(category));
}

oc_status kit_error_wrap(struct oc_error *err, oc_status rc, const char *prefix, const char *tail)
{
    if(!KIT_ERR_HAS(err, message))
        return rc;
    struct kit_buf msg = KIT_BUF_INIT;
    kit_buf_printf(&msg, "%s: %s%s", prefix, err->message, tail ? tail : "");
    if(kit_buf_ok(&msg))
        put_text(err->message, sizeof err->message, msg.data, msg.len);
    kit_buf_free(&msg);
    err->status = rc;
    return rc;
}
