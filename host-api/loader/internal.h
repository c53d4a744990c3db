/*
 * internal.h - private helpers shared by the loader's files (manifest.c,
 * plugin.c, status.c). Not installed; a runtime sees only
 * onecount/loader.h.
 *
 * Prefix ocl_: the loader is host-side code linked into the runtime beside
 * the connector kit (kit_) and ochost (och_), so it gets its own namespace
 * and oc_ stays reserved for the public headers.
 */
#ifndef OCL_INTERNAL_H
#define OCL_INTERNAL_H

#include "onecount/connector.h"
#include "onecount/loader.h"

/* Write status and a formatted message into the caller's err, honouring
 * err->struct_size (a caller built against an older, shorter struct
 * oc_error is never written past its end); err may be NULL. Returns status
 * so callers can `return ocl_fail(...)`. Nothing is allocated. */
oc_status ocl_fail(struct oc_error *err, oc_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reset err to "no error" within its struct_size; err may be NULL. */
void ocl_error_clear(struct oc_error *err);

#endif
