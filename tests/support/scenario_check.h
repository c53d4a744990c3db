/*
 * scenario_check.h - the Check assertions the scenario suites share: start
 * a scenario or fail the test, verify the cassette was played exactly and
 * stop, and substring checks that show the haystack. For tests/check_*.c
 * only (the benches use scenario.h without Check); everything here is a
 * macro or static inline, so nothing is linked in twice.
 */
#ifndef SCENARIO_CHECK_H
#define SCENARIO_CHECK_H

#include <check.h>
#include <string.h>

#include "tests/support/scenario.h"

#define ASSERT_HAS(hay, needle) \
    ck_assert_msg(strstr((hay), (needle)) != NULL, "expected '%s' in: %s", (needle), (hay))
#define ASSERT_LACKS(hay, needle) \
    ck_assert_msg(strstr((hay), (needle)) == NULL, "did not expect '%s' in: %s", (needle), (hay))

/* sc_start, failing the test with the reason when it fails. */
static inline void sc_start_ok(struct scenario *s, const char *cassette, const char *const *opts)
{
    int rc = sc_start(s, cassette, opts);
    ck_assert_msg(rc == 0, "sc_start(%s): %s", cassette ? cassette : "-", s->err.message);
}

/* Fails the test with the replay server's report unless every interaction
 * was used and no request went unmatched; then sc_stop. */
static inline void sc_verify_stop(struct scenario *s)
{
    ck_assert_msg(sc_verify(s) == 0, "%s", sc_report(s));
    sc_stop(s);
}

#endif
