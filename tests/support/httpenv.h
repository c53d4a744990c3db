/*
 * httpenv.h - the kit's HTTP client against the replay server, on the test
 * host's virtual clock: the fixture the http and wire suites share.
 *
 *   struct http_env e = {0};
 *   http_env_start(&e, "name", cassette_text);   (NULL: e.opt's dynamic handler)
 *   http_env_client(&e);                         (configured as a HubSpot instance)
 *   ... kit_http_run(e.h, ...) ...
 *   http_env_verify(&e); http_env_stop(&e);
 *
 * Everything is owned by the struct. Asserts with Check.
 */
#ifndef HTTPENV_H
#define HTTPENV_H

#include "fixtures/replay.h"
#include "plugin/http.h"
#include "tests/support/testhost.h"

#define HTTP_ENV_T0 1795824000000LL /* 2026-11-28T00:00:00Z */

struct http_env {
    struct testhost th;
    struct fx_server *srv;
    struct kit_http *h;
    struct kit_http_config cfg;
    struct fx_options opt; /* set before http_env_start for a dynamic server */
};

/* Test host at HTTP_ENV_T0 and a server named name on cassette text (NULL:
 * dynamic only, with e->opt); the client config gets the server's URL,
 * the placeholder token and no retries. */
void http_env_start(struct http_env *e, const char *name, const char *cassette);
/* The client as a HubSpot instance configures it (hs_transport_configure). */
void http_env_client(struct http_env *e);
/* Every interaction was played as recorded. */
void http_env_verify(struct http_env *e);
/* Free the client, stop the server, free the host. */
void http_env_stop(struct http_env *e);

#endif
