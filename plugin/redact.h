/*
 * redact.h - keep the access token out of every log line and message.
 *
 * Two layers: anything shaped like a HubSpot token (pat-xxN-<uuid>) is
 * masked wherever it appears, and the exact secrets registered by live
 * instances are masked whatever their shape. Registration is process-wide
 * and thread-safe because log lines can be built on any instance's thread.
 */
#ifndef KIT_REDACT_H
#define KIT_REDACT_H

#include <stddef.h>

#define KIT_REDACTED "[REDACTED]"

/* Remember secret (copied) until kit_redact_forget(secret). */
void kit_redact_register(const char *secret);
void kit_redact_forget(const char *secret);
/* Mask every secret in s, in place (the result is never longer than s).
 * For text that may have been cut to fit a buffer (messages, log lines):
 * a token-shaped fragment at the very end is masked too, whatever its
 * length. */
void kit_redact_inplace(char *s);
/* The same for a whole value that was never cut (a record field): only
 * whole secrets and whole token shapes are masked, so a value that merely
 * ends in text like "pat-summer" stays as it is. */
void kit_redact_value(char *s);

#endif
