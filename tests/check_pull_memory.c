/*
 * check_pull_memory.c - what a pull holds in memory does not grow with the
 * number of records: the output ochost holds for the next save stays
 * within its bound in one allocation, a page's event identities reuse one
 * table page after page, and every page of a pull is read into one body
 * buffer and parsed into one token array. Counted and inspected, never timed; the process's RSS at 10k to
 * 1M events is `make bench`'s (bench_pull).
 */
#include <check.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host-api/ochost/batch.h"
#include "hubspot/pull_contacts.h"
#include "hubspot/pull_state.h"
#include "plugin/http.h"
#include "tests/support/hsevents.h"
#include "tests/support/scenario_check.h"

#define NOW INT64_C(1795824000000)
#define HOUR INT64_C(3600000)

/* Lines of 300 and of 1500 bytes (the latter longer than the bound), each
 * distinct so the file's order can be checked. */
static size_t make_line(char *out, size_t size, int i)
{
    size_t len = i % 17 == 16 ? 1500 : 300;
    ck_assert_uint_lt(len, size);
    int head = snprintf(out, size, "{\"n\":%d,\"pad\":\"", i);
    memset(out + head, 'x', len - (size_t)head - 3);
    memcpy(out + len - 3, "\"}\n", 3);
    return len;
}

/* A regular file's held output never passes the bound, lives in one
 * allocation made once, and reaches the file whole and in order (a line
 * longer than the bound included). It used to grow by doubling past the
 * bound: 1200 bytes held for a bound of 1000. */
START_TEST(held_output_stays_within_its_bound)
{
    char path[] = "/tmp/check_pull_memory.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const size_t max = 1000;
    struct och_batch b;
    och_batch_init(&b, fd, max);
    ck_assert(b.hold);
    char line[1600];
    struct kit_buf want = KIT_BUF_INIT;
    const char *first_alloc = NULL;
    size_t cap = 0;
    for(int i = 0; i < 200; i++) {
        size_t len = make_line(line, sizeof line, i);
        kit_buf_append(&want, line, len);
        ck_assert_int_eq(och_batch_line(&b, line, len, 1), 0);
        ck_assert_msg(b.held.len <= max, "line %d: %zu bytes held, bound %zu", i, b.held.len, max);
        if(b.held.data && !first_alloc) {
            first_alloc = b.held.data;
            cap = b.held.cap;
        }
        if(first_alloc)
            ck_assert_msg(b.held.data == first_alloc && b.held.cap == cap,
                          "line %d: the held buffer was reallocated (cap %zu -> %zu)", i, cap, b.held.cap);
        if(i % 50 == 49) { /* a save: everything out, nothing left held */
            ck_assert_int_eq(och_batch_flush(&b), 0);
            och_batch_saved(&b);
            ck_assert_uint_eq(b.held.len, 0);
        }
    }
    ck_assert_ptr_nonnull(first_alloc);
    ck_assert_uint_le(cap, 2 * max);
    ck_assert_int_eq(och_batch_flush(&b), 0);
    ck_assert_uint_eq(b.written, 200);
    och_batch_free(&b);
    struct stat sb;
    ck_assert_int_eq(fstat(fd, &sb), 0);
    ck_assert_int_eq(sb.st_size, (off_t)want.len);
    char *got = malloc(want.len);
    ck_assert_ptr_nonnull(got);
    ck_assert_int_eq(pread(fd, got, want.len, 0), (ssize_t)want.len);
    ck_assert_msg(!memcmp(got, want.data, want.len), "the file differs from the lines taken");
    free(got);
    kit_buf_free(&want);
    close(fd);
    unlink(path);
}
END_TEST

/* One page of n identities "p<page>-<i>", newest first, then done. */
static void one_page(struct hs_stream_state *st, int page, int n, int64_t top)
{
    char id[32];
    hs_stream_page_begin(st);
    for(int i = 0; i < n; i++) {
        snprintf(id, sizeof id, "p%d-%04d", page, i);
        int64_t created = top - (int64_t)page * n - i;
        ck_assert(!hs_stream_processed(st, id, created));
        ck_assert_int_eq(hs_stream_mark(st, id, created, top - 60000), 0);
    }
    ck_assert_int_eq(hs_stream_page_done(st, "next"), 0);
}

/* The identities of a page go to a table that the next page fills to the
 * same size: it is kept, not freed and regrown by doubling from 16 slots
 * page after page (that churn also scattered the heap). */
START_TEST(page_identities_reuse_one_table)
{
    struct hs_stream_state st;
    hs_stream_state_init(&st);
    hs_stream_begin(&st, NOW - HOUR, NOW);
    one_page(&st, 0, 1000, NOW);
    const struct hs_event_slot *table = st.page.slot;
    size_t cap = st.page.cap;
    ck_assert_ptr_nonnull(table);
    ck_assert_uint_ge(cap, 2000);
    ck_assert_uint_eq(st.page.n, 0);
    for(int p = 1; p < 5; p++) {
        one_page(&st, p, 1000, NOW);
        ck_assert_msg(st.page.slot == table && st.page.cap == cap, "page %d: the table was reallocated", p);
    }
    /* what the pages did is still known: the low mark is the oldest */
    ck_assert_int_eq(st.low, NOW - 4 * 1000 - 999);
    ck_assert(hs_stream_processed(&st, "p4-0999", NOW - 4 * 1000 - 999));
    hs_stream_state_free(&st);
}
END_TEST

static void assert_no_page_held(struct scenario *s, const char *when)
{
    struct kit_http_page_memory m;
    kit_http_page_memory(s->in->http, &m);
    ck_assert_msg(!m.body_cap && !m.tokens_cap, "%s: the client holds a %zu-byte page body and a "
                  "%zu-token array", when, m.body_cap, m.tokens_cap);
}

/* A pull of several pages reads them all into one body buffer and one
 * token array, each allocated once (they were new per page, the buffer
 * grown by doubling to the page's size), and says so in its closing log
 * line. Both are the run's: the instance holds neither after it. */
START_TEST(pages_read_into_one_buffer)
{
    struct hse *h = hse_new();
    ck_assert_ptr_nonnull(h);
    char id[32];
    for(int i = 0; i < 3500; i++) {
        snprintf(id, sizeof id, "mem-%05d", i);
        ck_assert_int_eq(hse_add(h, id, NOW - 1 - (int64_t)i * 1000, 1), 0);
    }
    struct fx_options fo = {0};
    hse_serve(h, &fo);
    struct scenario s;
    ck_assert_msg(sc_start_with(&s, NULL, NULL, &fo) == 0, "sc_start: %s", s.err.message);
    struct oc_pull_request r = {sizeof r, NULL, NOW - 2 * HOUR, NULL};
    ck_assert_msg(hs_pull(s.in, &r, &s.err) == OC_OK, "%s", s.err.message);
    ck_assert_uint_eq(s.th.nrecords, 3500);
    ck_assert_uint_ge(hse_requests(h), 4);
    const char *logs = kit_buf_str(&s.th.logs);
    ck_assert_msg(strstr(logs, "3500 events emitted in") && strstr(logs, "pages read into one") &&
                      strstr(logs, "buffer, allocated 1 time;") &&
                      strstr(logs, "their token arrays allocated 1 time"),
                  "no closing line saying the pages shared one buffer and one token array:\n%s", logs);
    assert_no_page_held(&s, "after the pull");
    sc_stop(&s);
    hse_free(h);
}
END_TEST

/* The timestamp-cursor streams' pages are the run's too, whether it ends
 * well or stops at the day's limit halfway; and each run counts its own
 * allocations, so a second run's closing line still says 1 time. */
START_TEST(cursor_pulls_hold_no_page_after)
{
    static const char *const props[] = {"lookup_properties", "email, firstname ,email,lastmodifieddate",
                                            NULL};
    struct scenario s;
    sc_start_ok(&s, "fixtures/hubspot/pull-contacts-daily-limit.json", props);
    struct oc_pull_request r = {sizeof r, "contacts", NOW - HOUR, NULL};
    ck_assert_int_eq(hs_pull_contacts_paged(s.in, &r, 2, &s.err), OC_E_BUDGET);
    assert_no_page_held(&s, "after a stop");
    ck_assert_msg(hs_pull_contacts_paged(s.in, &r, 2, &s.err) == OC_OK, "%s", s.err.message);
    assert_no_page_held(&s, "after the resumed run");
    ASSERT_HAS(kit_buf_str(&s.th.logs), " KiB buffer, allocated 1 time; their token arrays allocated 1 time");
    sc_verify_stop(&s);
}
END_TEST

extern Suite *make_pull_memory_suite(void);
Suite *make_pull_memory_suite(void)
{
    Suite *s = suite_create("pull_memory");
    TCase *tc = tcase_create("bounded");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, held_output_stays_within_its_bound);
    tcase_add_test(tc, page_identities_reuse_one_table);
    tcase_add_test(tc, pages_read_into_one_buffer);
    tcase_add_test(tc, cursor_pulls_hold_no_page_after);
    suite_add_tcase(s, tc);
    return s;
}
