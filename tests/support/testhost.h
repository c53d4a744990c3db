/*
 * testhost.h - a struct oc_host for tests and benchmarks: virtual clock,
 * in-memory durable state, captured records and log lines.
 *
 * The clock starts at start_ms and only moves when the plugin sleeps (or
 * the test calls th_advance), so backoff and pacing cost no wall time.
 * Records are captured as JSON lines in `records` (one per emit) unless
 * keep_records is 0 (benchmarks count them instead). Everything is owned
 * by the struct; th_free releases it.
 */
#ifndef TESTHOST_H
#define TESTHOST_H

#include <stddef.h>
#include <stdint.h>

#include "onecount/connector.h"
#include "plugin/buf.h"

struct th_kv {
    char *key;
    char *value;
    size_t len;
};

struct testhost {
    struct oc_host host;
    int64_t now_ms;
    int64_t slept_ms;    /* total virtual sleep */
    int nsleeps;
    struct th_kv *kv;
    size_t nkv;
    int keep_records;
    struct kit_buf records; /* JSON lines */
    size_t nrecords;
    struct kit_buf logs;    /* every log line, "LEVEL message\n" */
    int stop_after;        /* emit returns nonzero after this many (0: never) */
    /* A host that cannot deliver (full disk, closed pipe): once this many
     * records were taken, every later emit is refused with OC_E_IO and the
     * record is neither kept nor counted in nrecords (0: never). */
    int refuse_after;
    size_t nrefused;       /* emits refused so far */
    /* Durable state that stops working: once puts_left more state_put
     * calls have succeeded, every later one fails with OC_E_IO and stores
     * nothing (fail_puts 0: never). With fail_key set, only puts to that
     * key count and fail (the usage counters' puts go on working). */
    int fail_puts;
    int puts_left;
    const char *fail_key;
    size_t nputs_failed;
    int cancel;            /* cancelled() answer */
};

/* Set up with the clock at start_ms (epoch ms). */
void th_init(struct testhost *t, int64_t start_ms);
void th_free(struct testhost *t);
void th_advance(struct testhost *t, int64_t ms);
/* Drop the records emitted so far (text and count), so a test sees the next
 * call's alone. */
void th_forget_records(struct testhost *t);
/* The stored value for key as a C string, or NULL. Valid until the next put. */
const char *th_state(const struct testhost *t, const char *key);
/* Format a record as one JSON object line (no newline) into out. */
void th_record_json(const struct oc_record *r, struct kit_buf *out);

#endif
