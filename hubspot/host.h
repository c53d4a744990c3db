/*
 * host.h - the host's services as the HubSpot code uses them: logging,
 * the clock, records, progress and cancellation, each safe when the host
 * left its callback out.
 *
 * A leaf: host.c reads struct oc_instance (its host and token) and calls
 * only the kit, so every capability may use these without a cycle.
 */
#ifndef HS_HOST_H
#define HS_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "hubspot/instance.h"

/* Log one line through the host, redacted (cut at 1023 bytes); nothing
 * when the host gives no log callback. in may be NULL. */
void hs_log(const struct oc_instance *in, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Milliseconds since the epoch from the host clock (tests inject virtual
 * time), the wall clock when the host gives none. in may be NULL. */
int64_t hs_now_ms(const struct oc_instance *in);

/* Emit a record of kind with n fields through the host; OC_E_CANCELLED if
 * the host did not take it, OC_E_INVALID when it gives no emit callback,
 * OC_E_NOMEM if masking or fitting failed. id and fields stay the
 * caller's; what the host gets is fitted to it in a copy freed before
 * return:
 *  - every time in milliseconds (a NUMBER field named "created" or
 *    ending "_created") is followed by a twin "<key>_at" holding the same
 *    time as ISO 8601 UTC text with milliseconds, unless the record
 *    already has a field of that name;
 *  - OC_FIELD_JSON fields go to a host older than ABI 1.1 as
 *    OC_FIELD_STRING with the same text (plugin/record.h), so builders
 *    always mark nested values OC_FIELD_JSON;
 *  - any value holding the token (or a token-shaped string) is masked. */
oc_status hs_emit(struct oc_instance *in, const char *kind, const char *id,
                  const struct oc_field *fields, size_t n);

/* Nonzero when text (NUL-terminated; NULL is clean) holds "pat-" or the
 * token: what hs_emit would mask. in and text are borrowed. */
int hs_text_may_hold_secret(const struct oc_instance *in, const char *text);

/* 0 when no text decoded from these len bytes of server JSON (a page
 * body as received, not NUL-terminated) can hold the token or a
 * token-shaped string: it has neither "pat-", nor the token, nor any
 * backslash (an escape could spell either). in and text are borrowed. */
int hs_json_may_hold_secret(const struct oc_instance *in, const char *text, size_t len);

/* hs_emit for a record whose id, keys and values all come from text that
 * hs_json_may_hold_secret found clean (or are made by the plugin): the
 * per-field scan for secrets is skipped, the rest is hs_emit's. */
oc_status hs_emit_clean(struct oc_instance *in, const char *kind, const char *id,
                        const struct oc_field *fields, size_t n);

/* Nonzero when a number field named key[0..len) (not NUL-terminated) is
 * a time in ms that hs_emit gives a twin: "created" or "*_created". A
 * record's maker that has its names' lengths asks here once per name and
 * tells hs_emit_clean_known what it found. key is borrowed. */
int hs_ms_time_name(const char *key, size_t len);

/* Nonzero when key[0..len) ends "_at", as every twin's name does: a
 * record with such a field may hold a twin's name already. key is
 * borrowed. */
int hs_twin_suffixed(const char *key, size_t len);

/* What the maker of a record knows of its fields' names, so that hs_emit
 * need not read each one: ms lists, ascending, the index of every field
 * whose name hs_ms_time_name accepts (whatever its type: hs_emit checks
 * that it is a number), and twin_named is nonzero when a field's name
 * ends "_at" (hs_twin_suffixed). Both are the caller's and borrowed. */
struct hs_record_known {
    const uint32_t *ms;
    size_t nms;
    int twin_named;
};

/* hs_emit_clean for a record described by known (NULL: nothing known,
 * hs_emit_clean itself). The record the host gets is hs_emit_clean's
 * when known is true to the fields. */
oc_status hs_emit_clean_known(struct oc_instance *in, const char *kind, const char *id,
                              const struct oc_field *fields, size_t n,
                              const struct hs_record_known *known);

/* hs_emit_clean for a record whose fields are all OC_FIELD_STRING (the
 * caller's promise: such a record has nothing to fit): handed to the host
 * as it is, without a look at each field. */
oc_status hs_emit_clean_strings(struct oc_instance *in, const char *kind, const char *id,
                                const struct oc_field *fields, size_t n);

/* Report progress of stage (a short name: "push", "pull", "lookup") to
 * the host, if it listens; stage is borrowed for the call. */
void hs_progress(const struct oc_instance *in, const char *stage, uint64_t done, uint64_t total);

/* Nonzero when the host asked to stop (a signal, in ochost); 0 when it
 * gives no cancelled callback. */
int hs_cancelled(const struct oc_instance *in);

#endif
