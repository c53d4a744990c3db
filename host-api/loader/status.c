/* status.c - status names and error filling for the loader. */
#include "host-api/loader/internal.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Nonzero when the caller's err has room for member m. */
#define OCL_ERR_HAS(err, m) ((err) && OC_HAS_MEMBER(err, struct oc_error, m))

void ocl_error_clear(struct oc_error *err)
{
    if(!OCL_ERR_HAS(err, status))
        return;
    uint32_t size = err->struct_size;
    memset(err, 0, size < sizeof *err ? size : sizeof *err);
    err->struct_size = size;
}

oc_status ocl_fail(struct oc_error *err, oc_status status, const char *fmt, ...)
{
    if(!OCL_ERR_HAS(err, status))
        return status;
    ocl_error_clear(err);
    err->status = status;
    if(!OCL_ERR_HAS(err, message))
        return status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return status;
}

const char *oc_status_name(oc_status status)
{
    switch(status) {
    case OC_OK: return "OC_OK";
    case OC_E_INVALID: return "OC_E_INVALID";
    case OC_E_CONFIG: return "OC_E_CONFIG";
    case OC_E_NOT_FOUND: return "OC_E_NOT_FOUND";
    case OC_E_AUTH: return "OC_E_AUTH";
    case OC_E_BUDGET: return "OC_E_BUDGET";
    case OC_E_PARTIAL: return "OC_E_PARTIAL";
    case OC_E_TRANSIENT: return "OC_E_TRANSIENT";
    case OC_E_NOT_IMPLEMENTED: return "OC_E_NOT_IMPLEMENTED";
    case OC_E_NOMEM: return "OC_E_NOMEM";
    case OC_E_PROTOCOL: return "OC_E_PROTOCOL";
    case OC_E_CANCELLED: return "OC_E_CANCELLED";
    case OC_E_IO: return "OC_E_IO";
    case OC_E_ABI: return "OC_E_ABI";
    case OC_E_RANGE: return "OC_E_RANGE";
    }
    /* A newer plugin may return a status this host predates. */
    return "OC_E_UNKNOWN";
}
