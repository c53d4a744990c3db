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

/* Errors are filled with the kit's kit_fail (plugin/error.h): one rule for
 * every layer (struct_size honoured, text masked and cleaned). */

#endif
