/* pull_warn.c - see pull_warn.h. */
#include "hubspot/pull_warn.h"

#include <inttypes.h>

#include "hubspot/host.h"
#include "plugin/error.h"
#include "plugin/usage.h"

void hs_pull_warn_future(struct oc_instance *in, const char *stream, const char *things, int64_t ahead_ms,
                         int64_t now_ms, const char *key)
{
    char at[21], now[21];
    kit_usage_iso(ahead_ms, at);
    kit_usage_iso(now_ms, now);
    hs_log(in, OC_LOG_WARN,
           "pull %s: the saved cursor is %s (%" PRId64 " ms), later than this machine's clock "
           "%s (%" PRId64 " ms), so %s after %s are not pulled until the clock passes it. "
           "If the clock is right, the state was written under a wrong clock: delete the "
           "\"%s\" member of the state file (ochost: --state FILE, default ./ochost.state) and "
           "rerun with --since set to where %s should start again (%s after it may "
           "be emitted a second time)",
           stream, at, ahead_ms, now, now_ms, things, now, key, things, things);
}

void hs_pull_warn_clamped(struct oc_instance *in, const char *stream, const char *things, int64_t lookback_ms,
                          int64_t cursor_ms, int64_t complete_ms, int64_t wanted_start_ms)
{
    char at[21];
    kit_usage_iso(complete_ms, at);
    hs_log(in, OC_LOG_WARN,
           "pull %s: lookback_ms %" PRId64 " reaches back further than the %s "
           "this stream remembers delivering (from %s, %" PRId64 " ms); this run looks "
           "back %" PRId64 " ms only, so that nothing is emitted twice. %s that "
           "arrived late in the %" PRId64 " ms before that are not re-read; the full "
           "lookback applies once the stream has remembered that far",
           stream, lookback_ms, things, at, complete_ms, cursor_ms - complete_ms,
           things[0] == 'e' ? "Events" : "Changes", complete_ms - wanted_start_ms);
}

oc_status hs_pull_check_since(const struct oc_pull_request *req, const char *stream, struct oc_error *err)
{
    if(!req || req->since_ms >= 0)
        return OC_OK;
    return kit_fail(err, OC_E_INVALID,
                    "pull %s: since %" PRId64 " ms is before 1970; give a time after "
                    "1970-01-01T00:00:00Z (or leave --since out for the last "
                    "pull_start_days days)",
                    stream, req->since_ms);
}
