/* httpenv.c - see httpenv.h. */
#include "tests/support/httpenv.h"

#include <check.h>

#include "hubspot/transport.h"

void http_env_start(struct http_env *e, const char *name, const char *cassette)
{
    th_init(&e->th, HTTP_ENV_T0);
    char why[512] = "";
    int rc = cassette ? fx_server_start_text(name, cassette, &e->opt, &e->srv, why, sizeof why)
                      : fx_server_start(NULL, &e->opt, &e->srv, why, sizeof why);
    ck_assert_msg(rc == 0, "replay server: %s", why);
    e->cfg.base_url = fx_server_url(e->srv);
    e->cfg.token = FX_PLACEHOLDER_TOKEN;
    e->cfg.max_retries = -1;
}

void http_env_client(struct http_env *e)
{
    hs_transport_configure(&e->cfg);
    struct oc_error err = {sizeof err};
    oc_status rc = kit_http_new(&e->cfg, &e->th.host, &e->h, &err);
    ck_assert_msg(rc == OC_OK, "kit_http_new: %s", err.message);
}

void http_env_verify(struct http_env *e)
{
    struct kit_buf rep = KIT_BUF_INIT;
    int v = fx_server_verify(e->srv, &rep);
    ck_assert_msg(v == 0, "cassette not played as recorded:\n%s", kit_buf_str(&rep));
    kit_buf_free(&rep);
}

void http_env_stop(struct http_env *e)
{
    kit_http_free(e->h);
    e->h = NULL;
    fx_server_stop(e->srv);
    e->srv = NULL;
    th_free(&e->th);
}
