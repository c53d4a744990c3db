/*
 * hsevents.h - a stateful stand-in for HubSpot's email events endpoint
 * (GET /email/public/v1/events), served through the replay server's
 * dynamic handler, for tests whose data must change while a pull pages.
 *
 * It answers startTimestamp/endTimestamp (inclusive), limit and offset as
 * HubSpot does: events newest first (ties by id, descending), hasMore, and
 * an offset that is a position in the live result, so an event that
 * becomes visible between two page requests shifts every older one down,
 * as inserts do on the real endpoint. Each event is visible from a given
 * request on (1: from the start), which is how a test inserts events
 * between pages without touching the server while it runs.
 *
 *   struct hse *h = hse_new();
 *   hse_add(h, "ev-1", t1, 1);          visible from the first request
 *   hse_add(h, "late-1", t2, 3);        appears before the third request
 *   struct fx_options fo = {0};
 *   hse_serve(h, &fo);                  then sc_start_with(&s, NULL, opts, &fo)
 *   ...
 *   hse_free(h);                        after the server is stopped
 *
 * Events are recipients "<id>@example.com", type OPEN. Add every event
 * before the server starts; the server's threads only read them (under
 * the struct's lock, with the request counter).
 */
#ifndef HSEVENTS_H
#define HSEVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "fixtures/replay.h"

struct hse;

/* A stand-in with no events, or NULL when memory ran out. Owned by the
 * caller: hse_free, after the server using it has stopped. */
struct hse *hse_new(void);
void hse_free(struct hse *h);
/* Add event id (copied, at most 47 bytes) created at created, visible to
 * the events request numbered from_request and every later one (1: all).
 * 0, or -1 on oom or a too long id. Not while a server is serving h. */
int hse_add(struct hse *h, const char *id, int64_t created, unsigned from_request);
/* Point fo's dynamic handler at h (other members untouched). */
void hse_serve(struct hse *h, struct fx_options *fo);
/* Events requests answered so far. */
unsigned hse_requests(struct hse *h);
/* Make the answers to requests from now on as if `at` requests had been
 * served (events visible from request at + 1 then show), e.g. to run a
 * second pull after all inserts happened. */
void hse_set_requests(struct hse *h, unsigned at);
/* Number of events, and the i-th one's id (in the order added; NULL past
 * the end) with its created and from_request (either pointer may be
 * NULL). The id lives as long as h. */
size_t hse_count(const struct hse *h);
const char *hse_id(const struct hse *h, size_t i, int64_t *created, unsigned *from_request);

#endif
