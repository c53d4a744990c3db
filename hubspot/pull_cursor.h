/*
 * pull_cursor.h - one driver for the pull streams that read "what changed
 * since the cursor" from a listing paged by a timestamp (contacts,
 * marketing_emails): the run's range (first run from --since or
 * pull_start_days back, later ones from cursor - lookback, clamped to what
 * seen covers), the page loop (request, check the page whole, emit what is
 * in range and not in seen, advance, forget what the lookback no longer
 * reaches, save after every page) and the messages around it.
 *
 * What belongs to a stream (its request, its page check beyond the common
 * shape, its record, its advance rule, its state's load and save) comes in
 * as the callbacks of struct hs_cursor_stream. A stream embeds struct
 * hs_cursor_run as the first member of its own run, so each callback can
 * reach the stream's part from the pointer it is given.
 */
#ifndef HS_PULL_CURSOR_H
#define HS_PULL_CURSOR_H

#include "hubspot/instance.h"
#include "hubspot/pull_state.h"
#include "plugin/buf.h"
#include "plugin/http.h"
#include "plugin/json.h"

struct hs_cursor_run;

/* The common shape of a page: the results array's token, its size, and
 * whether the answer says there are more. */
struct hs_cursor_page {
    int results;
    int n;
    int more;
};

/* A stream's own parts. Strings are static; messages read
 * "pull <name>: ..." and name records "<noun> <id>", counts "<n> <nouns>". */
struct hs_cursor_stream {
    const char *name;        /* stream name, also in warnings */
    const char *state_key;   /* host state key */
    const char *kind;        /* record kind handed to hs_emit */
    const char *noun, *nouns; /* "contact", "contacts" */
    const char *things;      /* what the range counts: "changes", "updates" */
    const char *answer;      /* "search answer" or "answer", in page messages */
    const char *not_found;   /* the tail of the HTTP 404 message */
    const char *time_path;   /* the record's time, ISO 8601 text: "updatedAt" */
    const char *time_missing; /* why a record without it is refused */
    int page_max;            /* largest page size the stream accepts */
    int in_range_only;       /* skip records outside [anchor, end] */
    /* Called once before the state is loaded, for the stream's own
     * resources. 0, or a status with err filled. */
    oc_status (*prepare)(struct hs_cursor_run *c, struct oc_error *err);
    /* Load the state into *c->st (and the stream's own members); the
     * stream is new when the cursor stays HS_PULL_NONE. c->floor may be
     * raised: no scan starts before it. */
    oc_status (*load)(struct hs_cursor_run *c, struct oc_error *err);
    /* A new stream starts at start (optional). */
    void (*started)(struct hs_cursor_run *c, int64_t start);
    /* Start the request for the next page in req (kit_http_req_init
     * included). 0, or -1 out of memory (req not to be freed). */
    int (*request)(struct hs_cursor_run *c, struct kit_http_req *req);
    /* The page check beyond the common shape, before anything is emitted. */
    oc_status (*check_page)(struct hs_cursor_run *c, const struct kit_json *j,
                            const struct hs_cursor_page *p, struct oc_error *err);
    /* Build record t (time ms) into *f and *n, lent until the next call. 0, or
     * -1 out of memory. */
    int (*build_record)(struct hs_cursor_run *c, const struct kit_json *j, int t, int64_t ms,
                        const struct oc_field **f, size_t *n);
    /* After a page was handled whole: 1 when the scan is complete, else 0
     * with c->anchor moved as the stream's rule says (the driver keeps the
     * cursor with it and ends the scan past the run's end). */
    int (*advance)(struct hs_cursor_run *c, const struct hs_cursor_page *p);
    /* Save the state. OC_OK, or a status with err filled. */
    oc_status (*save)(struct hs_cursor_run *c, struct oc_error *err);
};

/* The driver's part of a run, first member of the stream's run. */
struct hs_cursor_run {
    const struct hs_cursor_stream *s;
    struct oc_instance *in;
    struct hs_stream_state *st; /* the stream's state ("created" holds the time) */
    int page_size;
    int64_t end;    /* the run's start: nothing later is read */
    int64_t anchor; /* lowest time of the next query */
    int64_t floor;  /* no scan starts before it (INT64_MIN: none) */
    struct kit_buf id; /* the record being looked at */
    uint64_t emitted, calls;
};

/* Run stream s over c (zeroed by the caller but for c->st, which points
 * to an initialised state the caller frees; the stream's own members set
 * up as it needs). Checks in, req (may be NULL; req->types must be NULL)
 * and page_size (1..s->page_max) first. Frees the driver's own buffers;
 * the caller frees its own. Fills err on failure. */
oc_status hs_cursor_pull(struct hs_cursor_run *c, const struct hs_cursor_stream *s,
                         struct oc_instance *in, const struct oc_pull_request *req, int page_size,
                         struct oc_error *err);

/* kit_error_wrap with the stream's prefix ("pull <name>"); tail may be
 * NULL. Returns rc. */
oc_status hs_cursor_wrap(const struct hs_cursor_run *c, oc_status rc, struct oc_error *err,
                         const char *tail);

/* Record t's identity: its id (string or number, non-empty) into c->id,
 * its time (s->time_path) into *ms. 0, or -1 with a reason in why. */
int hs_cursor_identity(struct hs_cursor_run *c, const struct kit_json *j, int t, int64_t *ms,
                       const char **why);

/* The tail of page messages that nothing was emitted. */
extern const char hs_cursor_page_tail[];

#endif
