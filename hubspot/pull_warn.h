/*
 * pull_warn.h - what a pull tells the user about a request or a saved
 * state it will not follow literally: a since before 1970, a cursor later
 * than the clock, a lookback reaching back past what the state remembers. Shared by every stream, so the
 * advice reads the same for each.
 */
#ifndef HS_PULL_WARN_H
#define HS_PULL_WARN_H

#include <stdint.h>

#include "hubspot/instance.h"

/* Warn that stream's saved position ahead_ms is later than the clock
 * now_ms; things names what the stream pulls ("events", "changes"), key
 * the state member to delete. All strings are borrowed for the call. */
void hs_pull_warn_future(struct oc_instance *in, const char *stream, const char *things, int64_t ahead_ms,
                         int64_t now_ms, const char *key);

/* Warn that lookback_ms reaches back before complete_ms, where what the
 * stream remembers delivering begins, so this run looks back only
 * cursor_ms - complete_ms and wanted_start_ms..complete_ms is not re-read. */
void hs_pull_warn_clamped(struct oc_instance *in, const char *stream, const char *things, int64_t lookback_ms,
                          int64_t cursor_ms, int64_t complete_ms, int64_t wanted_start_ms);

/* OC_E_INVALID with a message naming stream when the request's since is
 * before 1970 (0 means "not given"); OC_OK otherwise. req may be NULL. */
oc_status hs_pull_check_since(const struct oc_pull_request *req, const char *stream, struct oc_error *err);

#endif
