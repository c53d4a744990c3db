/*
 * usage_prom.h - `ochost usage --format prometheus`: today's usage in the
 * Prometheus text exposition format (version 0.0.4), for node_exporter's
 * textfile collector (write to a temporary file and rename it into the
 * collector's folder, so a scrape never reads half a file).
 *
 * Metrics (every family with its HELP and TYPE lines, names ending in
 * _total for counters, label values escaped):
 *   onecount_hubspot_calls_total{endpoint}        counter, today's calls
 *   onecount_hubspot_rate_limited_total{endpoint} counter, today's 429s
 *   onecount_hubspot_retries_total{endpoint}      counter, today's retries
 *   onecount_hubspot_daily_limit_calls            gauge, last seen
 *   onecount_hubspot_daily_remaining_calls        gauge, last seen
 *   onecount_hubspot_budget_calls                 gauge, daily_budget
 *   onecount_hubspot_budget_remaining_calls       gauge
 *   onecount_hubspot_day_reset_timestamp_seconds  gauge, when today ends
 * The counters start again from 0 each day, which Prometheus' rate()
 * reads as a counter reset.
 */
#ifndef OCH_USAGE_PROM_H
#define OCH_USAGE_PROM_H

#include <stdio.h>

#include "host-api/ochost/usage_days.h"

/* Write today's metrics (the newest row) to f. 0, or -1 when f could not
 * be written. */
int och_usage_prometheus(FILE *f, const struct och_usage_data *d);

#endif
