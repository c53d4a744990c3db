/* status.c - status names and error filling for the loader. */
#include "host-api/loader/internal.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

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
