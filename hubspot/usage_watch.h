/*
 * usage_watch.h - warnings before the bill: the host an instance hands its
 * HTTP client, which is the real host with one thing added. Each time the
 * client stores the day's usage record (ahead of the calls it covers and
 * at each operation's end, host state key "usage"), the watch compares
 * the day's calls (those counted ahead included, so a warning can come a
 * few calls early, never late) with the daily_budget and with HubSpot's
 * daily limit last seen, logs one WARN per threshold crossed (50%, 80%,
 * 100%) through the real host, naming the figure and what to do, and
 * stores the record with those warnings
 * marked (plugin/usage.h "warned"), so each is given once per day across
 * runs. Every other service is the real host's, forwarded unchanged.
 *
 * Why a host and not a call in the client: the client is the kit's and
 * knows nothing of HubSpot's words; the record it stores is the one place
 * where the day's count, the budget and the limit meet.
 */
#ifndef HS_USAGE_WATCH_H
#define HS_USAGE_WATCH_H

#include "onecount/connector.h"

struct hs_usage_watch;

/* A watch over real (borrowed: must outlive the watch). NULL on oom. Free
 * with hs_usage_watch_free, after everything that uses its host. */
struct hs_usage_watch *hs_usage_watch_new(const struct oc_host *real);
/* The watched host (owned by w, valid until hs_usage_watch_free). */
const struct oc_host *hs_usage_watch_host(const struct hs_usage_watch *w);
/* NULL is a no-op. */
void hs_usage_watch_free(struct hs_usage_watch *w);

#endif
