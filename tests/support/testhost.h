/*
 * testhost.h - a struct oc_host for tests and benchmarks: virtual clock,
 * in-memory durable state, captured records and log lines.
 *
 * The clock starts at start_ms and only moves when the plugin sleeps (or
 * the test calls th_advance), so backoff and pacing cost no wall time.
 * Records are captured as JSON lines in `records` (one per emit; JSON
 * fields written as the JSON they hold) unless
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
    /* The host's progress callback forwards here (ctx is the testhost)
     * when set. A plugin may copy the host's struct at init, so a test
     * sets this, never host.progress, to listen after init. */
    void (*on_progress)(void *ctx, const char *stage, uint64_t done, uint64_t total);
};

/* Set up with the clock at start_ms (epoch ms), presenting an ABI 1.1
 * host (oc_host.abi_version). */
void th_init(struct testhost *t, int64_t start_ms);
/* Present the host as one speaking abi: below 1.1 the struct_size ends
 * before oc_host.abi_version, as a host built against the 1.0 header
 * passes it; otherwise the whole struct with abi_version = abi. Call
 * before the plugin's init: a plugin may keep a copy of the struct. */
void th_present_abi(struct testhost *t, uint32_t abi);
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
