/*
 * hspush.h - a stateful HubSpot stand-in for the list push, served through
 * the replay server's dynamic handler (fixtures/replay.h): the list check
 * (list 4242, MANUAL), the portal's contact properties, batch upsert by
 * email (ids handed out in order of first sight, "new" when created, an
 * address ending ".invalid" refused with HubSpot's 207 error tied by
 * objectWriteTraceId) and memberships/add (added, already a member, or
 * missing). It counts every call by endpoint, so tests and benchmarks
 * that run the real ochost against it can say what a run cost.
 *
 * It answers the paths of the API version the test runs under
 * (apiver.h), fixed at hspush_init: a path of another version is
 * unknown (HSPUSH_OTHER), so a run on the wrong version fails.
 *
 * Thread-safe (the server's threads call the handler). No Check
 * asserts, so benchmarks link it too.
 */
#ifndef HSPUSH_H
#define HSPUSH_H

#include <pthread.h>
#include <stddef.h>

#include "fixtures/replay.h"
#include "hubspot/api_paths.h"

#define HSPUSH_LIST "4242"

enum hspush_endpoint { HSPUSH_LIST_GET, HSPUSH_PROPS_GET, HSPUSH_UPSERT, HSPUSH_ADD, HSPUSH_OTHER,
                       HSPUSH_NENDPOINTS };

struct hspush {
    pthread_mutex_t mu;
    enum hs_api_version version;
    unsigned long calls[HSPUSH_NENDPOINTS];
    char **emails;          /* lowercased, owned; index i has id 5000 + i */
    unsigned char *member;  /* per contact: in the list */
    size_t n, cap;
    /* email -> contact index + 1 (0: empty slot), open addressing, so a
     * benchmark of a million contacts is not quadratic in the stand-in */
    size_t *index, icap;
};

/* Empty stand-in; 0, or -1 on oom. Free with hspush_free. */
int hspush_init(struct hspush *h);
void hspush_free(struct hspush *h);
/* Forget every contact and count, as a portal that never saw them; safe
 * while the server runs. */
void hspush_reset(struct hspush *h);
/* The fx_options.dynamic handler; ctx is the struct hspush. */
int hspush_handler(void *ctx, const struct fx_request *req, struct fx_response *resp);
/* Calls so far to one endpoint (e < HSPUSH_NENDPOINTS) or, e ==
 * HSPUSH_NENDPOINTS, to all of them. */
unsigned long hspush_calls(struct hspush *h, int e);

struct kit_buf;

/* The stand-in refuses an address ending ".invalid". When email[0..elen)
 * is one, append HubSpot's 207 error for it, tied to the input's
 * objectWriteTraceId trace[0..tlen), to errs (after a comma unless *nerr
 * is 0; *nerr counts up) and return 1; else append nothing and return 0.
 * For other stand-ins (benchmarks) that answer batch upserts the same way. */
int hspush_refuse_invalid(struct kit_buf *errs, int *nerr, const char *email, size_t elen,
                          const char *trace, size_t tlen);

/* For stateless stand-ins: answer what needs no state, as the list check,
 * the properties check and memberships/add see it: GET of the contact
 * properties (firstname, writable), any other GET (list HSPUSH_LIST,
 * MANUAL, named list_name), a PUT (every id in its body added). 1 when
 * answered (status 200, JSON), 0 when req is something else (an upsert)
 * and resp is untouched. */
int hspush_answer_plain(const struct fx_request *req, struct fx_response *resp, const char *list_name);

#endif
