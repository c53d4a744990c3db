/*
 * usage_days.h - the usage records a plugin emits (usage_day per kept
 * day, usage for today, portal_usage when asked), gathered into rows a
 * report, a chart or a metrics file is drawn from. ochost knows the
 * records, never the plugin's state.
 *
 * Field names read: day, calls, calls_429, retries, errors, budget,
 * daily_limit, daily_remaining, day_basis, resets_at, and the per-endpoint
 * table as by_endpoint (a JSON value, ABI 1.1) or by_endpoint_json (the
 * same JSON as text, ABI 1.0): {"name":{"calls":..,"429":..,"retries":..}},
 * and the 429s by the server's name of the limit as calls_429_by_policy
 * (or calls_429_by_policy_json): {"DAILY":1,...}.
 */
#ifndef OCH_USAGE_DAYS_H
#define OCH_USAGE_DAYS_H

#include <stddef.h>
#include <stdint.h>

#include "onecount/connector.h"

struct och_usage_ep {
    char *name; /* owned */
    int64_t calls, n429, retries, errors;
};

#define OCH_USAGE_POLICIES 8

struct och_usage_policy {
    char name[32]; /* the server's name of a limit, e.g. "DAILY" */
    int64_t n429;
};

struct och_usage_row {
    char day[11];
    int today; /* from the "usage" record */
    int64_t calls, n429, retries, errors;
    int64_t ahead;           /* of calls, counted ahead by a run that did not finish */
    int64_t budget;          /* 0: none that day            */
    int64_t daily_limit;     /* -1: never seen that day     */
    int64_t daily_remaining; /* -1: never seen that day     */
    struct och_usage_ep *ep; /* owned, nep entries, in the order received */
    size_t nep;
    struct och_usage_policy pol[OCH_USAGE_POLICIES]; /* in the order received */
    size_t npol;
};

struct och_usage_portal {
    int present;
    char day[11], name[80], resets_at[40], collected_at[40], fetch_status[24];
    int64_t current_usage, usage_limit, connector_calls;
};

struct och_usage_data {
    struct och_usage_row *rows; /* owned, oldest first */
    size_t nrows;
    char basis[160];            /* today's day_basis   */
    char resets_at[40];         /* today's resets_at   */
    struct och_usage_portal portal;
};

/* The struct is the caller's; och_usage_data_free releases what it owns. */
void och_usage_data_init(struct och_usage_data *d);
void och_usage_data_free(struct och_usage_data *d);

/* Take one record (borrowed for the call). Records of other kinds are
 * ignored. 0, or -1 with the reason in why (whysize bytes): out of memory,
 * or a usage record whose numbers or endpoint table are not what the
 * plugin writes. */
int och_usage_take(struct och_usage_data *d, const struct oc_record *r, char *why, size_t whysize);

/* The rows of the last `days` days ending with the newest row: index of
 * the first one into *first (rows are in date order; days with no row are
 * simply absent). */
size_t och_usage_first(const struct och_usage_data *d, int days);

/* The figure a day's calls are measured against: its budget, else the
 * daily limit seen that day, else 0. *what says which ("budget",
 * "daily limit", ""). */
int64_t och_usage_reference(const struct och_usage_row *r, const char **what);

/* The last 7 days' rate and what it makes of the month of the newest
 * row. */
struct och_usage_projection {
    int ok;                 /* 0: no rows */
    char month[8];          /* "2026-11" */
    int days_in_month, days_left; /* days after the newest row */
    int rate_days;          /* days the rate is taken over (<= 7) */
    int64_t rate;           /* calls per day, rounded */
    int64_t so_far;         /* calls in the month up to the newest row */
    int64_t projected;      /* so_far + rate * days_left */
    int64_t daily_limit, budget; /* the newest row's, -1 / 0 when unknown */
};
void och_usage_project(const struct och_usage_data *d, struct och_usage_projection *p);

/* Indexes of row r's endpoints by calls, largest first, into idx (up to
 * max); returns how many. */
size_t och_usage_top(const struct och_usage_row *r, size_t *idx, size_t max);

#endif
