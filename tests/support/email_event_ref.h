/*
 * email_event_ref.h - the REFERENCE email event flattener (tests only): a
 * frozen copy of hs_email_event_flatten as it was before its one-pass
 * rewrite (names from a hashed cache, values copied token by token,
 * arrays rebuilt item by item or through kit_json_canonical). The
 * differential suite (tests/check_email_event_fast.c) holds
 * hubspot/email_event.c to it: the same status, the same fields in the
 * same order, with the same names, types and values byte for byte.
 */
#ifndef EMAIL_EVENT_REF_H
#define EMAIL_EVENT_REF_H

#include <stddef.h>
#include <stdint.h>

#include "onecount/connector.h"
#include "plugin/buf.h"
#include "plugin/fieldlist.h"
#include "plugin/json.h"

/* The flattener's buffers as they were. Zero-initialise; all memory is
 * owned by the struct and freed by email_event_ref_free(). */
struct email_event_ref {
    struct kit_fieldlist fl;
    struct oc_field *fields; /* the result: fl.f */
    size_t n;
    struct kit_buf scratch;
    struct email_event_ref_slot { uint32_t gen, idx; } *slots;
    uint32_t gen;
    struct email_event_ref_name { uint32_t rawlen, len; char raw[32]; char name[48]; } *names;
};

/* Flatten event ev of j into e->fields[0..e->n), as hs_email_event_flatten
 * did: OC_OK, OC_E_NOMEM or OC_E_PROTOCOL. The fields point into e and
 * stay valid until the next call or email_event_ref_free. */
oc_status email_event_ref_flatten(const struct kit_json *j, int ev, struct email_event_ref *e);

void email_event_ref_free(struct email_event_ref *e);

#endif
