/*
 * hspages.h - HubSpot-shaped JSON answers made up on demand, for the JSON
 * reader's differential suite and benchmark: an email events page (the
 * shape tests/bench_pull.c's stand-in serves), a batch upsert answer and a
 * memberships/add answer (the shapes tests/support/hspush.c serves) and a
 * push input line (tests/bench_push.c's). Deterministic: the same
 * arguments give the same bytes. No Check asserts, so benchmarks link it.
 */
#ifndef HSPAGES_H
#define HSPAGES_H

#include <stdint.h>

#include "plugin/buf.h"

/* Append to b event number k (its id, recipient, type and extras follow
 * from k) created at created, as one JSON object. */
void hsp_event(struct kit_buf *b, int64_t k, int64_t created);
/* Append to b a page of n events numbered from first (newest first),
 * with hasMore and an offset when more is nonzero. */
void hsp_events_page(struct kit_buf *b, int64_t first, int n, int more);
/* Append to b a batch upsert answer for inputs first..first+n-1, every
 * 20th refused as an invalid email in an "errors" array. */
void hsp_upsert_answer(struct kit_buf *b, long first, int n);
/* Append to b a memberships/add answer naming n record ids from first. */
void hsp_members_answer(struct kit_buf *b, long first, int n);
/* Append to b push input line k (no newline). */
void hsp_input_line(struct kit_buf *b, long k);

#endif
