/* scenario.c - see scenario.h. */
#include "tests/support/scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin/json.h"

int64_t sc_parse_iso(const char *s)
{
    struct tm tm = {0};
    int ms = 0, n = 0;
    if(sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
              &tm.tm_min, &tm.tm_sec, &n) != 6)
        return -1;
    s += n;
    if(*s == '.') {
        int digits = 0;
        for(s++; *s >= '0' && *s <= '9'; s++, digits++)
            if(digits < 3)
                ms = ms * 10 + (*s - '0');
        while(digits > 0 && digits < 3) {
            ms *= 10;
            digits++;
        }
    }
    if(strcmp(s, "Z"))
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

/* The cassette's recorded_at, so time-dependent requests replay exactly. */
static int64_t recorded_at(const char *path)
{
    int64_t at = -1;
    FILE *f = fopen(path, "rb");
    if(!f)
        return -1;
    struct hs_buf b = HS_BUF_INIT;
    char chunk[65536];
    size_t n;
    while((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        hs_buf_append(&b, chunk, n);
    fclose(f);
    struct hs_json j = {0};
    if(hs_json_parse(&j, hs_buf_str(&b), b.len, NULL, 0) == 0) {
        char *v = hs_json_strdup(&j, hs_json_get(&j, 0, "recorded_at"));
        if(v)
            at = sc_parse_iso(v);
        free(v);
    }
    hs_json_free(&j);
    hs_buf_free(&b);
    return at;
}

int sc_start_with(struct scenario *s, const char *cassette, const char *const *opts,
                  const struct fx_options *fxopt)
{
    memset(s, 0, sizeof *s);
    s->err.struct_size = sizeof s->err;
    int64_t at = cassette ? recorded_at(cassette) : -1;
    th_init(&s->th, at > 0 ? at : INT64_C(1795824000000)); /* 2026-11-28T00:00:00Z */
    char why[512] = "";
    if(fx_server_start(cassette, fxopt, &s->srv, why, sizeof why)) {
        snprintf(s->err.message, sizeof s->err.message, "replay server: %s", why);
        return -1;
    }
    struct oc_option o[32];
    size_t n = 0;
    o[n++] = (struct oc_option){"access_token", FX_PLACEHOLDER_TOKEN};
    o[n++] = (struct oc_option){"base_url", fx_server_url(s->srv)};
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
    hs_buf_reset(&s->report);
    return s->srv ? fx_server_verify(s->srv, &s->report) : -1;
}

const char *sc_report(const struct scenario *s) { return hs_buf_str(&s->report); }

void sc_stop(struct scenario *s)
{
    hs_instance_release(s->in);
    fx_server_stop(s->srv);
    hs_buf_free(&s->report);
    th_free(&s->th);
    memset(s, 0, sizeof *s);
}
