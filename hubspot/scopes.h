/*
 * scopes.h - which HubSpot scopes the plugin needs and what each one's
 * absence blocks, so authorize can tell a publisher exactly what to fix.
 */
#ifndef HS_SCOPES_H
#define HS_SCOPES_H

#include <stddef.h>

#include "plugin/buf.h"

/* What the plugin cannot do without scope, as a sentence fragment
 * ("push cannot add contacts to lists"). Static string, never NULL: an
 * unknown scope gets a generic sentence. */
const char *hs_scope_blocks(const char *scope);

/* Compare the granted scopes (ngranted strings, borrowed) with required
 * (comma-separated, normally HS_SCOPES). For every required scope not
 * granted, appends its name to missing (comma-separated) and
 * "<scope>: <what it blocks>" to blocked ("; "-separated); both buffers
 * are the caller's and are appended to, not reset. Alternatives HubSpot
 * accepts are honoured (crm.lists.write is satisfied by
 * cms.membership.access_groups.write together with crm.lists.read).
 * Returns the number of missing scopes, or -1 when memory ran out. */
int hs_scopes_missing(const char *required, const char *const *granted, size_t ngranted,
                      struct kit_buf *missing, struct kit_buf *blocked);

/* Streams that need any one of several scopes rather than the manifest's
 * (marketing_emails, and the event_context option that reads the same
 * emails: marketing.email.read, marketing.email.write or content). For
 * each one the granted scopes (borrowed) do not serve, appends the stream
 * to streams (comma-separated) and "<stream>: needs one of a, b or c
 * (<what it blocks>)" to blocked ("; "-separated); both buffers are the
 * caller's and are appended to. Returns the number of streams blocked, or
 * -1 when memory ran out. */
int hs_scopes_streams_blocked(const char *const *granted, size_t ngranted, struct kit_buf *streams,
                              struct kit_buf *blocked);

#endif
