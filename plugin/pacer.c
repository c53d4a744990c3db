/* pacer.c - see pacer.h. */
#include "plugin/pacer.h"

#include <string.h>

void kit_pacer_init(struct kit_pacer *p, int burst_max, int64_t window_ms)
{
    memset(p, 0, sizeof *p);
    p->cfg_max = burst_max > 0 ? burst_max : 1;
    p->cfg_window_ms = window_ms > 0 ? window_ms : 1;
    p->hdr_max = p->hdr_window_ms = p->hdr_remaining = -1;
}

int64_t kit_pacer_window_ms(const struct kit_pacer *p)
{
    return p->hdr_window_ms > 0 ? p->hdr_window_ms : p->cfg_window_ms;
}

static int64_t guard(int64_t window) { return window / 100 + 1; }

/* When the server's window, full as of its last word, gets a free slot.
 * The server counted Max - Remaining calls in the window ending at
 * hdr_at_ms; the oldest of them leaves the window `window` after it
 * arrived. If our own ring holds that many sends inside the window, the
 * (Max - Remaining)-th most recent send is taken as that oldest call: it
 * is at least as recent as the true one (later sends only push it
 * forward), so the estimate never frees a slot early. Otherwise other
 * clients share the app's limit and only hdr_at_ms + window is safe.
 * Without this a burst that empties the window waits its own length on
 * top of every window. */
static int64_t server_frees_at(const struct kit_pacer *p, int64_t window)
{
    int64_t safe = p->hdr_at_ms + window;
    if(p->hdr_max <= 0)
        return safe;
    int64_t used = p->hdr_max - p->hdr_remaining;
    if(used <= 0 || used > (int64_t)p->nring)
        return safe;
    size_t k = (p->ring_head + KIT_PACER_RING - (size_t)used) % KIT_PACER_RING;
    int64_t oldest = p->ring[k];
    if(oldest < p->hdr_at_ms - window || oldest > p->hdr_at_ms)
        return safe;
    return oldest + window;
}

/* Raise *until to t when t is later, remembering why. */
static void stricter(int64_t *until, enum kit_pace_cause *cause, int64_t t, enum kit_pace_cause why)
{
    if(t > *until) {
        *until = t;
        *cause = why;
    }
}

int64_t kit_pacer_wait_why(const struct kit_pacer *p, int64_t now, int search,
                          enum kit_pace_cause *cause)
{
    int64_t until = p->blocked_until_ms;
    *cause = KIT_PACE_BLOCK;
    int64_t window = kit_pacer_window_ms(p);

    /* A learned Max of 0 would stop everything forever; trust config then. */
    int64_t max = p->hdr_max > 0 ? p->hdr_max : p->cfg_max;
    if(max > KIT_PACER_RING)
        max = KIT_PACER_RING;
    if((int64_t)p->nring >= max) {
        size_t k = (p->ring_head + KIT_PACER_RING - (size_t)max) % KIT_PACER_RING;
        enum kit_pace_cause why = p->hdr_max > 0 || p->hdr_window_ms > 0 ? KIT_PACE_HEADERS
                                                                          : KIT_PACE_OWN;
        stricter(&until, cause, p->ring[k] + window + guard(window), why);
    }

    if(p->hdr_remaining >= 0 && now < p->hdr_at_ms + window &&
       p->sent_since_hdr >= p->hdr_remaining)
        stricter(&until, cause, server_frees_at(p, window) + guard(window), KIT_PACE_HEADERS);

    if(search && p->nsearch >= KIT_PACER_SEARCH_MAX) {
        /* Full ring: the slot about to be overwritten is the oldest. */
        int64_t oldest = p->search[p->search_head];
        stricter(&until, cause, oldest + KIT_PACER_SEARCH_WINDOW_MS + guard(KIT_PACER_SEARCH_WINDOW_MS),
                 KIT_PACE_SEARCH);
    }
    if(until <= now) {
        *cause = KIT_PACE_NONE;
        return 0;
    }
    return until - now;
}

int64_t kit_pacer_wait(const struct kit_pacer *p, int64_t now, int search)
{
    enum kit_pace_cause cause;
    return kit_pacer_wait_why(p, now, search, &cause);
}

void kit_pacer_sent(struct kit_pacer *p, int64_t now, int search)
{
    p->ring[p->ring_head] = now;
    p->ring_head = (p->ring_head + 1) % KIT_PACER_RING;
    if(p->nring < KIT_PACER_RING)
        p->nring++;
    p->sent_since_hdr++;
    if(search) {
        p->search[p->search_head] = now;
        p->search_head = (p->search_head + 1) % KIT_PACER_SEARCH_MAX;
        if(p->nsearch < KIT_PACER_SEARCH_MAX)
            p->nsearch++;
    }
}

void kit_pacer_learn(struct kit_pacer *p, int64_t now, int64_t max, int64_t remaining,
                    int64_t interval_ms, int64_t unanswered)
{
    if(max > 0)
        p->hdr_max = max;
    if(interval_ms > 0)
        p->hdr_window_ms = interval_ms;
    if(remaining >= 0) {
        p->hdr_remaining = remaining;
        p->hdr_at_ms = now;
        p->sent_since_hdr = unanswered > 0 ? unanswered : 0;
    }
}

void kit_pacer_block(struct kit_pacer *p, int64_t until_ms)
{
    if(until_ms > p->blocked_until_ms)
        p->blocked_until_ms = until_ms;
}
