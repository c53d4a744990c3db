/*
 * usage_svg.h - `ochost usage --svg FILE`: the chosen days as a standalone
 * SVG (no script, no external reference) a browser opens or a mail
 * carries: one stacked bar per day, a segment per endpoint (the busiest
 * ones by colour, the rest as "other"), the budget and HubSpot's daily
 * limit as lines (a limit far above the bars is named at the top instead,
 * so the bars stay readable), and each day with 429s marked by a red
 * triangle. Every bar segment carries data-day, data-endpoint and
 * data-calls, and a <title> a browser shows on hover.
 */
#ifndef OCH_USAGE_SVG_H
#define OCH_USAGE_SVG_H

#include <stdio.h>

#include "host-api/ochost/usage_days.h"

/* Endpoints drawn in their own colour; the rest are summed as "other". */
#define OCH_USAGE_SVG_COLOURS 8

/* Write the chart of the last `days` days of d to f. 0, or -1 when f
 * could not be written. */
int och_usage_svg(FILE *f, const struct och_usage_data *d, int days);

#endif
