/*
 * pacer.h - when may the next call to the server go out.
 *
 * Three rules, the strictest wins:
 *  1. Our own rolling window: no more than `max` sends in any `window`
 *     (max and window from the server's rate-limit headers, for example
 *     HubSpot's X-HubSpot-RateLimit-Max / -Interval-Milliseconds, once
 *     seen, else the configured burst limit).
 *  2. The server's word: after a response said Remaining R, at most R more
 *     sends until that response's window has passed.
 *  3. Search: at most KIT_PACER_SEARCH_MAX per second.
 * Plus a block set after a 429, so every request waits, not only the one
 * that was refused.
 *
 * A small guard (1% of the window) is added to every window wait: the
 * server counts a call when it arrives, we when we send, and uneven
 * latency could otherwise let the window look shorter to the server.
 *
 * Pure bookkeeping: no clock, no sleeping; times are passed in (ms).
 */
#ifndef KIT_PACER_H
#define KIT_PACER_H

#include <stddef.h>
#include <stdint.h>

#define KIT_PACER_RING 1024      /* burst limits above this are clamped */
#define KIT_PACER_SEARCH_MAX 5
#define KIT_PACER_SEARCH_WINDOW_MS 1000

struct kit_pacer {
    int cfg_max;
    int64_t cfg_window_ms;
    int64_t hdr_max;          /* -1 until a response carried it */
    int64_t hdr_window_ms;    /* -1 until a response carried it */
    int64_t hdr_remaining;    /* -1: no server word in force     */
    int64_t hdr_at_ms;        /* when that word arrived          */
    int64_t sent_since_hdr;   /* sends not reflected in it       */
    int64_t blocked_until_ms; /* after a 429                     */
    int64_t ring[KIT_PACER_RING]; /* send times, oldest overwritten */
    size_t nring, ring_head;     /* head: next slot to write       */
    int64_t search[KIT_PACER_SEARCH_MAX];
    size_t nsearch, search_head;
};

/* Set up with the configured limit (burst_max calls per window_ms; both
 * must be > 0). The struct is the caller's; nothing to free. */
void kit_pacer_init(struct kit_pacer *p, int burst_max, int64_t window_ms);
/* What makes a call wait: our own limits (burst_max per
 * burst_window_ms, the search rate), or the server's word (a window or
 * Remaining learned from headers, a block set after a 429). A caller caps
 * only the waits a server asked for: its own configured ones are the
 * user's choice. */
enum kit_pace_cause {
    KIT_PACE_NONE = 0, /* no wait                                      */
    KIT_PACE_OWN,      /* configured burst limit                       */
    KIT_PACE_HEADERS,  /* the server's rate-limit headers              */
    KIT_PACE_BLOCK,    /* kit_pacer_block (a 429's Retry-After/window)  */
    KIT_PACE_SEARCH    /* our search rate (KIT_PACER_SEARCH_MAX a second) */
};

/* Milliseconds to wait before a call at now_ms may be sent; 0: send now. */
int64_t kit_pacer_wait(const struct kit_pacer *p, int64_t now_ms, int search);
/* The same, and *cause (not NULL) says which rule asked for the longest
 * wait. */
int64_t kit_pacer_wait_why(const struct kit_pacer *p, int64_t now_ms, int search,
                          enum kit_pace_cause *cause);
/* Record a send at now_ms. */
void kit_pacer_sent(struct kit_pacer *p, int64_t now_ms, int search);
/* Learn from a response received at now_ms (-1: header absent).
 * unanswered is the number of our calls still in flight, which the
 * server's Remaining may not reflect yet. */
void kit_pacer_learn(struct kit_pacer *p, int64_t now_ms, int64_t max, int64_t remaining,
                    int64_t interval_ms, int64_t unanswered);
/* Hold every call until until_ms (a 429 said the window is full). */
void kit_pacer_block(struct kit_pacer *p, int64_t until_ms);
/* The window in force (learned, else configured). */
int64_t kit_pacer_window_ms(const struct kit_pacer *p);

#endif
