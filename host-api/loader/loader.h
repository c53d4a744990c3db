/*
 * loader.h - private helpers shared by the loader's files (manifest.c,
 * plugin.c, status.c). Not installed; a runtime sees only the Loader part
 * of onecount/connector.h.
 *
 * Prefix ocl_: the loader is host-side code linked into the runtime beside
 * the plugin kit (hs_) and ochost (och_), so it gets its own namespace and
 * oc_ stays reserved for the public ABI.
 *
 * Status policy: every refusal of a manifest or plugin is OC_E_ABI (ochost
 * maps it to exit code 8, "plugin load or ABI error"), including a manifest
 * that cannot be read; OC_E_INVALID is for NULL arguments and OC_E_NOMEM
 * for allocation failures. The message always says which file and what.
 */
#ifndef OCL_LOADER_H
#define OCL_LOADER_H

#include "onecount/connector.h"

/* Write status and a formatted message into the caller's err, honouring
 * err->struct_size (a caller built against an older, shorter struct
 * oc_error is never written past its end); err may be NULL. Returns status
 * so callers can `return ocl_fail(...)`. Nothing is allocated. */
oc_status ocl_fail(struct oc_error *err, oc_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reset err to "no error" within its struct_size; err may be NULL. */
void ocl_error_clear(struct oc_error *err);

#endif
