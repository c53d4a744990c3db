/*
 * emit_ref.h - the REFERENCE record fitting and masking (tests only): a
 * frozen copy of what hs_emit handed the host before the flattener told
 * it which names are times (every field's type and name read, a twin
 * "<key>_at" looked for among all keys, the ISO text straight from
 * kit_iso_ms). tests/check_emit_fast.c holds hubspot/host.c to it: the
 * same id and the same fields in the same order, names, types and values
 * byte for byte.
 */
#ifndef EMIT_REF_H
#define EMIT_REF_H

#include <stddef.h>

#include "hubspot/instance.h"
#include "onecount/connector.h"

/* A record as a host received it, every text copied: owned by the struct,
 * freed by emit_ref_record_free. */
struct emit_ref_record {
    char *kind, *id;
    size_t n;
    struct oc_field *fields;
};

/* The record hs_emit (clean 0) or hs_emit_clean (clean 1) gave a host
 * whose struct is in->host, into *out (zeroed first). in and the fields
 * are borrowed. OC_OK, or OC_E_NOMEM. */
oc_status emit_ref(const struct oc_instance *in, const char *kind, const char *id,
                   const struct oc_field *fields, size_t n, int clean, struct emit_ref_record *out);

/* A deep copy of r into *out (zeroed first): what a capturing host keeps.
 * OC_OK, or OC_E_NOMEM. */
oc_status emit_ref_copy(const struct oc_record *r, struct emit_ref_record *out);

/* Frees what out holds and zeroes it. NULL is a no-op. */
void emit_ref_record_free(struct emit_ref_record *out);

#endif
