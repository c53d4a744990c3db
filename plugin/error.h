/*
 * error.h - filling the caller's struct oc_error: the one rule.
 *
 * Every writer here honours err->struct_size (OC_HAS_MEMBER: a member
 * beyond it is never touched, a NULL err is ignored) and puts every text
 * through the redactor (redact.h) and kit_text_clean, so even a message
 * built from server text or a URL never carries the access token nor
 * drives a terminal. Nothing else in the kit writes err->message.
 */
#ifndef KIT_ERROR_H
#define KIT_ERROR_H

#include <stddef.h>

#include "onecount/connector.h"

/* Nonzero when err is not NULL and has room for member m. */
#define KIT_ERR_HAS(err, m) ((err) && OC_HAS_MEMBER(err, struct oc_error, m))

/* Clear err, set status and a formatted message; returns status so
 * callers can write `return kit_fail(...)`. */
oc_status kit_fail(struct oc_error *err, oc_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Make s safe to print on a terminal or in a log line, in place: control
 * bytes become spaces (server text must not forge log lines or drive a
 * terminal) and bytes that are not well-formed UTF-8, including a sequence
 * cut short by truncation, become '?'. The length never changes. */
void kit_text_clean(char *s);
/* Rewrite err->message as "<prefix>: <message><tail>" (tail may be NULL),
 * cut to fit, keeping HTTP status, correlation id and the rest; sets
 * err->status = rc and returns rc. */
oc_status kit_error_wrap(struct oc_error *err, oc_status rc, const char *prefix, const char *tail);
/* Set err's correlation_id and category (either may be NULL: left as
 * is) from server text, cut to fit, masked and cleaned like a message:
 * the host prints them beside the message. */
void kit_error_ids(struct oc_error *err, const char *correlation_id, const char *category);
/* Reset err to "no error" (struct_size kept). */
void kit_error_clear(struct oc_error *err);

#endif
