/*
 * pull_state.h - the durable progress of one pull stream (email_events, or
 * email_events of one event type): cursor, the window in progress, its
 * page offset, and the event identities needed so that no event is emitted
 * twice.
 *
 * How "nothing missed, nothing twice" is kept with bounded memory:
 *  - cursor: inclusive end of the last completed window. The next run
 *    starts at cursor - lookback, so late-arriving events are caught.
 *  - seen: identities (id + created) processed with created >= cursor -
 *    lookback (for the window in progress: >= its end - lookback). They
 *    are what the overlap would re-deliver, so they are skipped; the set
 *    is bounded by the events of one lookback period, not by history.
 *  - seen_from: seen holds every identity processed with created >=
 *    seen_from. A lookback reaching further back than that (lookback_ms
 *    raised on an existing state) would re-read events that were
 *    delivered but are no longer remembered, so the pull clamps its start
 *    here instead of emitting them twice.
 *  - inside a window HubSpot pages newest first. low is the oldest created
 *    processed by the pages completed so far, at_low the identities
 *    processed at exactly low.
 *    Anything newer than low (as it stood when the page arrived, so that
 *    a page slightly out of order loses nothing) was processed by this
 *    query already: offsets are positions in a live list, so events that
 *    arrive while a window is paged push already processed ones onto
 *    later pages, and this rule skips them whatever the shift (events
 *    that land in the part already paged are not seen by this query; the
 *    next run's lookback brings them). When an offset expires the
 *    query restarts with endTimestamp = low; ties at low are skipped by
 *    at_low. This rests on HubSpot's documented reverse-chronological
 *    order; it is what keeps a 100,000-event window from having to keep
 *    100,000 ids.
 *  - page: identities processed from the page being handled. They move
 *    low only when the page is complete, so a state saved in the middle
 *    of a page (the host refused a record) keeps low where the page began
 *    and names what the page delivered: the rerun fetches the page again
 *    and emits exactly the rest, even when HubSpot sent that page
 *    slightly out of order.
 *
 * The serialized form (JSON, compact):
 *   {"v":1,"cursor":C,"seen_from":F,"seen":[["id",created],...],
 *    "window":{"start":S,"end":E,"query_end":Q,"offset":"..","low":L,
 *              "at_low":["id",...],"page":[["id",created],...]}}
 * with "cursor" absent before the first completed window, "seen_from"
 * absent while nothing was ever left out of seen, and "window" absent
 * between windows. A state with a cursor but no seen_from was written
 * before seen_from existed; it is read as covering the configured
 * lookback, which is what those versions assumed.
 */
#ifndef HS_PULL_STATE_H
#define HS_PULL_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "onecount/connector.h"
#include "plugin/buf.h"

#define HS_PULL_NONE INT64_MIN

/* A set of event identities. Zero-initialised is empty; memory is the
 * set's (hs_event_set_free). */
struct hs_event_set {
    struct hs_event_slot *slot;
    size_t cap, n;
    struct kit_buf text; /* the ids, each NUL-terminated, back to back */
    /* The set as the state's JSON array of pairs, kept while the set does
     * not change: a window's seen set stops growing after its first pages
     * (they come newest first) but is saved after every page. */
    struct kit_buf json;
    int json_ok;
};

/* 1 when (id, created) is in the set. */
int hs_event_set_has(const struct hs_event_set *s, const char *id, int64_t created);
/* Add a copy of id. 1 added, 0 already there, -1 out of memory. */
int hs_event_set_add(struct hs_event_set *s, const char *id, int64_t created);
/* Drop every identity with created < min_created. 0, or -1 on oom (the
 * set is then unchanged). */
int hs_event_set_prune(struct hs_event_set *s, int64_t min_created);
/* Empty the set (a small table stays allocated for reuse). */
void hs_event_set_clear(struct hs_event_set *s);
/* Empty the set keeping all its memory, whatever its size, for a set that
 * is filled to about the same size again (a page's ids). */
void hs_event_set_empty(struct hs_event_set *s);
/* Empty the set and release all its memory. */
void hs_event_set_free(struct hs_event_set *s);

struct hs_stream_state {
    int64_t cursor;  /* HS_PULL_NONE before the first completed window */
    struct hs_event_set seen;
    int64_t seen_from; /* seen is complete from here on; HS_PULL_NONE: all */
    int in_window;   /* a window was started and is not complete */
    int64_t start, end, query_end; /* inclusive bounds (ms) */
    char *offset;    /* next page's offset; NULL: first page of the query */
    int64_t low;     /* HS_PULL_NONE: nothing processed in the window yet */
    int64_t page_low; /* low when the page being handled was fetched (not saved) */
    struct hs_event_set at_low;
    struct hs_event_set page;
};

/* Empty state (no cursor, no window). */
void hs_stream_state_init(struct hs_stream_state *s);
void hs_stream_state_free(struct hs_stream_state *s);

/* Read key through host->state_get into s (initialised by the call). A
 * missing key, or a host without state, gives the empty state.
 * OC_E_CONFIG with a message naming the key and how to reset it when the
 * stored value is unreadable (a rerun cannot help); OC_E_IO when the host
 * could not read it. */
oc_status hs_stream_state_load(const struct oc_host *host, const char *key,
                               struct hs_stream_state *s, struct oc_error *err);
/* Serialize s (into scratch, reused) and store it under key. A host
 * without state_put keeps nothing (OC_OK). s is not changed but for the
 * JSON its sets keep of themselves. */
oc_status hs_stream_state_save(const struct oc_host *host, const char *key,
                               struct hs_stream_state *s, struct kit_buf *scratch,
                               struct oc_error *err);
/* The serialized form (appended to out). 0, or -1 on oom. s as above. */
int hs_stream_state_json(struct hs_stream_state *s, struct kit_buf *out);
/* Parse the serialized form into s (initialised by the call). 0, or -1
 * with a reason in why. */
int hs_stream_state_parse(struct hs_stream_state *s, const char *text, size_t len, char *why,
                          size_t whysize);

/* Begin window [start, end]: first page of a query ending at end. */
void hs_stream_begin(struct hs_stream_state *s, int64_t start, int64_t end);
/* A page of the query was fetched: what it brings newer than the low mark
 * as it stands now was processed before it. Measured from the page's
 * start, not from the event before, so that a page HubSpot sends slightly
 * out of order loses nothing. */
void hs_stream_page_begin(struct hs_stream_state *s);
/* 1 when (id, created) was already processed: in seen, newer than the
 * low mark at the page's start, at low, or on an interrupted page of an
 * old state. */
int hs_stream_processed(const struct hs_stream_state *s, const char *id, int64_t created);
/* Record (id, created) as processed: it joins the page's handled ids
 * (which move the window's low mark when the page is done), and is
 * remembered in seen when created >= keep_from (window end - lookback);
 * when it is not, seen_from moves past it. 0, or -1 on oom. */
int hs_stream_mark(struct hs_stream_state *s, const char *id, int64_t created, int64_t keep_from);
/* The page was fully processed: its handled ids move the low mark; next
 * is the offset of the page after it (copied; NULL when none). 0, or -1
 * on oom (s unchanged but for the low mark). */
int hs_stream_page_done(struct hs_stream_state *s, const char *next);
/* The offset expired: restart the query at its oldest processed point.
 * 0, or -1 on oom. */
int hs_stream_restart(struct hs_stream_state *s);
/* The window is complete: the cursor moves to its end, seen keeps only
 * created >= end - lookback. 0, or -1 on oom. */
int hs_stream_finish(struct hs_stream_state *s, int64_t lookback_ms);
/* Drop from seen every identity with created < min_created and move
 * seen_from up to it (streams that keep seen without windows). 0, or -1 on
 * oom (nothing changed). */
int hs_stream_forget_before(struct hs_stream_state *s, int64_t min_created);

/* Windows are sized to hold about this many events: a hundred pages, so
 * splitting a dense span costs at most one partly filled page per hundred
 * full ones, and the cursor moves (and an expired offset restarts) within
 * a hundred pages. */
#define HS_PULL_WINDOW_TARGET_EVENTS 100000
/* The shortest window (ms): what pull_window_ms allows at least. */
#define HS_PULL_WINDOW_MIN_MS 60000

/* The span (ms) of the next window after one of last_span ms whose pages
 * held last_events events: last_span scaled to hold about
 * HS_PULL_WINDOW_TARGET_EVENTS at the same rate, at least
 * HS_PULL_WINDOW_MIN_MS; INT64_MAX (the rest of the run in one window)
 * after an empty one. */
int64_t hs_pull_window_span(int64_t last_span, uint64_t last_events);

#endif
