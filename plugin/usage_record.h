/*
 * usage_record.h - a usage count (plugin/usage.h) as the flat fields of
 * one record a host receives: today's ("usage") or a kept day's
 * ("usage_day"). One builder, so every way a connector reports usage
 * (with an HTTP client or from state alone) names the same fields alike.
 *
 * Today's fields: day, day_basis, day_basis_note (when given), resets_at,
 * calls, calls_429, calls_429_by_policy (when there were 429s), retries,
 * budget and budget_remaining (when a budget is set), the limits seen
 * (limit_max, limit_remaining, limit_interval_ms, daily_limit,
 * daily_remaining), by_endpoint.
 * A kept day's: day, calls, calls_429, calls_429_by_policy (when any),
 * retries, errors, utc_offset_ms, budget (when set), daily_limit and
 * daily_remaining (when seen), by_endpoint.
 * The two tables are JSON: fields of type OC_FIELD_JSON for a host that
 * takes them, else strings named by_endpoint_json and
 * calls_429_by_policy_json (kit_json_field).
 */
#ifndef KIT_USAGE_RECORD_H
#define KIT_USAGE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "onecount/connector.h"
#include "plugin/buf.h"
#include "plugin/usage.h"

#define KIT_USAGE_RECORD_FIELDS 24

/* The caller's struct (kit_usage_record_init); fields point into it, into
 * the strings passed (borrowed: they must outlive the record) and into
 * the counts' day and basis; kit_usage_record_free releases the tables. */
struct kit_usage_record {
    struct oc_field f[KIT_USAGE_RECORD_FIELDS];
    size_t nf;
    char num[KIT_USAGE_RECORD_FIELDS][24];
    size_t nn;
    struct kit_buf eps, pols;
};

void kit_usage_record_init(struct kit_usage_record *r);
void kit_usage_record_free(struct kit_usage_record *r);
/* Add one number or string field (key and value borrowed); fields past
 * KIT_USAGE_RECORD_FIELDS are dropped. */
void kit_usage_record_num(struct kit_usage_record *r, const char *key, int64_t v);
void kit_usage_record_str(struct kit_usage_record *r, const char *key, const char *v);
/* Today's fields for u (borrowed), the day ending at resets_at_ms, with
 * note (NULL: none) as day_basis_note, for host (its ABI picks the
 * tables' field types; NULL: strings). -1 on oom. */
int kit_usage_record_today(struct kit_usage_record *r, const struct oc_host *host,
                           const struct kit_usage *u, int64_t resets_at_ms, const char *note);
/* A kept day's fields for d (borrowed). -1 on oom. */
int kit_usage_record_day(struct kit_usage_record *r, const struct oc_host *host,
                         const struct kit_usage *d);

#endif
