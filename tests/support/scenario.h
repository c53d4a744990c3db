/*
 * scenario.h - one line to stand up a plugin instance against a cassette:
 * a test host (virtual clock at the cassette's recorded_at), a replay
 * server on 127.0.0.1 serving the cassette, and an instance configured with
 * the placeholder token and the server's URL.
 *
 *   struct scenario s;
 *   ck_assert_int_eq(sc_start(&s, "fixtures/hubspot/lookup-found.json", NULL), 0);
 *   ... drive s.in through hs_* or s.conn ...
 *   ck_assert_msg(sc_verify(&s) == 0, "%s", sc_report(&s));
 *   sc_stop(&s);
 *
 * Everything is owned by the struct; sc_stop frees it (safe after a failed
 * sc_start).
 */
#ifndef SCENARIO_H
#define SCENARIO_H

#include "fixtures/replay.h"
#include "hubspot/api_paths.h"
#include "hubspot/instance.h"
#include "tests/support/testhost.h"

struct scenario {
    struct testhost th;
    struct fx_server *srv;
    struct oc_instance *in;
    struct oc_error err;      /* from the last failing step */
    struct kit_buf report;     /* from sc_verify */
    enum hs_api_version api;   /* the instance's; the cassette's paths moved to it */
};

/* opts: extra plugin options as NULL-terminated key, value pairs
 * ({"daily_budget", "5", NULL}); base_url, access_token and api_version
 * (apiver.h: the cassette's v3 paths are moved to it) are set for you, and
 * opts may override them.
 * fxopt may be NULL. Returns 0, or -1 with the reason in s->err.message. */
int sc_start_with(struct scenario *s, const char *cassette, const char *const *opts,
                  const struct fx_options *fxopt);
int sc_start(struct scenario *s, const char *cassette, const char *const *opts);
/* 0 when every interaction was used and nothing was unmatched. */
int sc_verify(struct scenario *s);
const char *sc_report(const struct scenario *s);
void sc_stop(struct scenario *s);

#endif
