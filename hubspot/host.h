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
