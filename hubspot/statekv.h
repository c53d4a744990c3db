/*
 * statekv.h - one value of the host's durable state read whole into the
 * heap and written back, for the small caches the push keeps across runs
 * (the list check, the portal's contact properties). A host without state
 * callbacks has nothing stored and keeps nothing.
 */
#ifndef HS_STATEKV_H
#define HS_STATEKV_H

#include <stddef.h>

#include "hubspot/instance.h"

/* Read key (borrowed) into *val (owned by the caller, free(); NUL added
 * after *len bytes). OC_OK; OC_E_NOT_FOUND when absent or the host keeps
 * no state; OC_E_NOMEM; or what the host's state_get said. */
oc_status hs_state_read(const struct oc_instance *in, const char *key, char **val, size_t *len);

/* Store val[0..len) under key (both borrowed). OC_OK also when the host
 * keeps no state; else what state_put said. */
oc_status hs_state_write(const struct oc_instance *in, const char *key, const void *val, size_t len);

#endif
