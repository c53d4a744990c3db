/*
 * push.h - the list push (push.c): upsert contacts by email, add them to
 * a list, one push_result per input. Its entry point hs_push is declared
 * with the other capabilities in instance.h.
 *
 * The files of the push, in the one direction they call:
 *   push.c        the run: reading input, waves of concurrent calls, statuses
 *   list_check.c  is the list usable (once per instance and list)
 *   upsert.c      batch upsert and its answers (upsert.h)
 *   membership.c  memberships/add and its answer (membership.h)
 *   props_check.c the input columns against the portal's properties
 *   idcache.c     email -> record id, kept in the host's state (shared with lookup)
 *   push_item.c   the items and results the others share (push_item.h)
 */
#ifndef HS_PUSH_H
#define HS_PUSH_H

#include "hubspot/instance.h"

#endif
