/*
 * error.h - filling the caller's struct oc_error.
 *
 * Every message goes through the redactor (redact.h), so even a message
 * built from server text or a URL never carries the access token.
 */
#ifndef HS_ERROR_H
#define HS_ERROR_H

#include "onecount/connector.h"

/* Clear err (if not NULL and large enough), set status and a formatted
 * message; returns status so callers can write `return hs_fail(...)`. */
oc_status hs_fail(struct oc_error *err, oc_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reset err to "no error". */
void hs_error_clear(struct oc_error *err);
/* Nonzero when err has room for member m (struct grown by size). */
#define HS_ERR_HAS(err, m) \
    ((err) && (err)->struct_size >= offsetof(struct oc_error, m) + sizeof((err)->m))

#endif
