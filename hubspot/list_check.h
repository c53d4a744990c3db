/*
 * list_check.h - is the push's list one the API may add contacts to
 * (list_check.c)? The answer is remembered per instance in a struct
 * hs_list_checked that the caller keeps (push.c, in its instance state).
 */
#ifndef HS_LIST_CHECK_H
#define HS_LIST_CHECK_H

#include <stddef.h>

#include "hubspot/instance.h"
#include "plugin/json.h"

#define HS_PUSH_CHECKED_MAX 8

/* List ids found usable, the newest last (each owned). Zero it to start;
 * free with hs_push_list_checked_free. */
struct hs_list_checked {
    char *id[HS_PUSH_CHECKED_MAX];
    size_t n;
};

/* Free the ids c holds and empty it (c itself is the caller's). */
void hs_push_list_checked_free(struct hs_list_checked *c);

/* Make sure list_id names a MANUAL or SNAPSHOT contact list before
 * anything is written: GET /crm/v3/lists/{id} once per instance and list
 * (remembered in checked) and, when cache_ttl_ms > 0, once per
 * cache_ttl_ms across runs sharing the host's state (key
 * push/list_ok/<id>: when it was found usable). OC_E_CONFIG for an unknown, DYNAMIC or
 * non-contact list, OC_E_AUTH when the token may not read lists, else
 * what the HTTP client said; err says what to do. */
oc_status hs_push_list_check(struct oc_instance *in, struct hs_list_checked *checked,
                             const char *list_id, struct oc_error *err);
/* Forget that list_id was found usable, in checked and in the host's
 * state, so the next push checks it again before writing (after the list
 * turned out gone or no longer static). */
void hs_push_list_forget(struct oc_instance *in, struct hs_list_checked *checked,
                         const char *list_id);
/* Judge the parsed body j of a 200 answer to GET /crm/v3/lists/{id}
 * (j and id borrowed, only read during the call): OC_OK for a MANUAL or
 * SNAPSHOT contact list; OC_E_CONFIG for another processing type or
 * object type, OC_E_PROTOCOL for an answer without a list object or
 * processingType, with err saying what to do. */
oc_status hs_push_list_judge(const struct kit_json *j, const char *id, struct oc_error *err);

#endif
