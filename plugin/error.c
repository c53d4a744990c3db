/* error.c - see error.h. */
#include "plugin/error.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "plugin/redact.h"

void hs_error_clear(struct oc_error *err)
{
    if(!err || err->struct_size < offsetof(struct oc_error, message))
        return;
    uint32_t size = err->struct_size;
    memset(err, 0, size < sizeof *err ? size : sizeof *err);
    err->struct_size = size;
}

oc_status hs_fail(struct oc_error *err, oc_status status, const char *fmt, ...)
{
    if(!HS_ERR_HAS(err, message))
        return status;
    hs_error_clear(err);
    err->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    hs_redact_inplace(err->message);
    return status;
}
