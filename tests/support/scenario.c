/* scenario.c - see scenario.h. */
#include "tests/support/scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/apiver.h"

int sc_start_with(struct scenario *s, const char *cassette, const char *const *opts,
                  const struct fx_options *fxopt)
{
    memset(s, 0, sizeof *s);
    s->err.struct_size = sizeof s->err;
    char why[512] = "";
    /* Cassettes hold v3 paths; under a dated OC_TEST_API_VERSION the
     * server matches them moved to that version, and the instance below is
     * set to it, unless the caller chose either itself. */
    s->api = apiver();
    for(size_t i = 0; opts && opts[i] && opts[i + 1]; i += 2)
        if(!strcmp(opts[i], "api_version"))
            (void)hs_api_version_parse(opts[i + 1], &s->api);
    struct fx_options fo = fxopt ? *fxopt : (struct fx_options){0};
    if(!fo.rewrite_path) {
        fo.rewrite_path = apiver_rewrite;
        fo.rewrite_ctx = &s->api;
    }
    int rc = fx_server_start(cassette, &fo, &s->srv, why, sizeof why);
    /* The clock starts at the cassette's recorded_at, so time-dependent
     * requests replay exactly. */
    int64_t at = s->srv ? fx_server_recorded_at(s->srv) : 0;
    th_init(&s->th, at > 0 ? at : INT64_C(1795824000000)); /* 2026-11-28T00:00:00Z */
    if(rc) {
        snprintf(s->err.message, sizeof s->err.message, "replay server: %s", why);
        return -1;
    }
    struct oc_option o[32];
    size_t n = 0;
    o[n++] = (struct oc_option){"access_token", FX_PLACEHOLDER_TOKEN};
    o[n++] = (struct oc_option){"base_url", fx_server_url(s->srv)};
    o[n++] = (struct oc_option){"api_version", hs_api_version_name(s->api)};
    for(size_t i = 0; opts && opts[i] && opts[i + 1] && n < 32; i += 2)
        o[n++] = (struct oc_option){opts[i], opts[i + 1]};
    return hs_instance_new(&s->th.host, o, n, &s->in, &s->err) ? -1 : 0;
}

int sc_start(struct scenario *s, const char *cassette, const char *const *opts)
{
    return sc_start_with(s, cassette, opts, NULL);
}

int sc_verify(struct scenario *s)
{
    kit_buf_reset(&s->report);
    return s->srv ? fx_server_verify(s->srv, &s->report) : -1;
}

const char *sc_report(const struct scenario *s) { return kit_buf_str(&s->report); }

void sc_stop(struct scenario *s)
{
    hs_instance_release(s->in);
    fx_server_stop(s->srv);
    kit_buf_free(&s->report);
    th_free(&s->th);
    memset(s, 0, sizeof *s);
}
