/*
 * record.h - what a record may carry for a given host: JSON-valued fields
 * only for a host that speaks ABI 1.1 or newer, and the ISO 8601 text that
 * goes beside a timestamp in milliseconds.
 *
 * Connector-neutral: any code that builds a struct oc_record (a
 * connector's records, the kit's usage record) asks here instead of
 * reading oc_host.abi_version itself, so the rule "a 1.0 host gets
 * strings" lives in one place.
 */
#ifndef KIT_RECORD_H
#define KIT_RECORD_H

#include <stdint.h>

#include "onecount/connector.h"

/* The ABI the host declares in oc_host.abi_version; OC_ABI_VERSION_1_0
 * for a host whose struct ends before that member (built against a 1.0
 * header) or that leaves it 0. host may be NULL (1.0). */
uint32_t kit_host_abi(const struct oc_host *host);

/* Nonzero when fields of type OC_FIELD_JSON may be sent to host: it
 * speaks ABI 1.1 or a newer minor of major 1. host may be NULL (0). */
int kit_host_takes_json(const struct oc_host *host);

/* The field type for a value that is one JSON text (an object, an array):
 * OC_FIELD_JSON when host takes it, else OC_FIELD_STRING, the same text
 * as a string, which is what a 1.0 host always got. */
int kit_json_field_type(const struct oc_host *host);

/* One JSON-valued field for host: named json_key with type OC_FIELD_JSON
 * for a host that takes JSON, else string_key with type OC_FIELD_STRING.
 * Two names because a field whose old name says it is text holding JSON
 * ("by_endpoint_json") should not keep that name once it is JSON; a field
 * whose name says nothing of its encoding passes the same name twice.
 * All three strings are borrowed and must outlive the record. */
struct oc_field kit_json_field(const struct oc_host *host, const char *json_key,
                               const char *string_key, const char *json);

/* "2026-11-03T14:05:09.123Z": 24 characters and the NUL. */
#define KIT_ISO_MS_SIZE 25

/* Write ms (milliseconds since the Unix epoch, UTC) as ISO 8601 with
 * milliseconds and a Z into out. Returns 0, or -1 (out then "") when ms
 * falls outside years 0000..9999, which ISO 8601's basic form cannot
 * write. */
int kit_iso_ms(int64_t ms, char out[KIT_ISO_MS_SIZE]);

#endif
