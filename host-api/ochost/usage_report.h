/*
 * usage_report.h - `ochost usage --days N`: one row per day (date, calls,
 * share of the day's budget or daily limit, 429s, retries, top endpoints)
 * with a bar drawn in text, then the month's projection at the last 7
 * days' rate; or the same as JSON Lines.
 */
#ifndef OCH_USAGE_REPORT_H
#define OCH_USAGE_REPORT_H

#include <stdio.h>

#include "host-api/ochost/usage_days.h"

/* Width of the text bar of a day at 100% of its reference figure. */
#define OCH_USAGE_BAR_WIDTH 30

/* Write the report of the last `days` days of d to f. 0, or -1 when f
 * could not be written (errno set). */
int och_usage_report_text(FILE *f, const struct och_usage_data *d, int days);
/* The same as JSON Lines: a "usage_day" object per row ({"kind":
 * "usage_day","day":..,"today":bool,"calls":..,"share_percent":..|null,
 * "share_of":"budget"|"daily limit"|null,"429s":..,"retries":..,"errors":..,
 * "budget":..,"daily_limit":..|null,"top_endpoints":[{"name":..,"calls":..}]}),
 * then one "usage_projection" object, then "portal_usage" when present. */
int och_usage_report_json(FILE *f, const struct och_usage_data *d, int days);
/* The portal's count beside the connector's, as text lines (--remote). */
int och_usage_report_portal(FILE *f, const struct och_usage_data *d);

#endif
