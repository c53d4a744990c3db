/*
 * cassette_events.h - every email event the recorded cassettes hold, for
 * the differential suites that hold a fast path to the code it replaced
 * on real HubSpot events (flattening, emitting, writing records).
 */
#ifndef CASSETTE_EVENTS_H
#define CASSETTE_EVENTS_H

#include <stddef.h>

#include "plugin/json.h"

/* Called once per event: what names it ("fixtures/hubspot/x.json, event
 * 3"), j is the parsed text and ev the event's token (any JSON type:
 * a cassette may hold a malformed event on purpose). All three are
 * borrowed for the call. */
typedef void (*cassette_event_fn)(void *ctx, const char *what, const struct kit_json *j, int ev);

/* Call fn for each element of every "events" array, at any depth, in
 * text[0..len) (a page, a cassette); what names the text in the names fn
 * gets. Returns the number of events, or (size_t)-1 when text is not
 * JSON. */
size_t events_in_text(const char *what, const char *text, size_t len, cassette_event_fn fn, void *ctx);

/* events_in_text on every cassette of fixtures/hubspot/ (run from the
 * repository's top) that holds "events" and parses as JSON. Returns the
 * number of events, or (size_t)-1 when the folder cannot be listed or a
 * cassette cannot be read. */
size_t cassette_each_event(cassette_event_fn fn, void *ctx);

#endif
