/*
 * apiver.h - the HubSpot API version the capability suites run under.
 *
 * OC_TEST_API_VERSION (unset or empty: v3) names it; `make check` runs the
 * capability suites once more with a dated version. Cassettes are recorded
 * once, with v3 paths: the scenario (scenario.h) hands the replay server
 * apiver_rewrite, which moves each interaction's path to the version
 * through the connector's own table (hubspot/api_paths.h), and sets the
 * instance's api_version to it. So a dated run proves the plugin sends
 * dated paths: a v3 path would match nothing.
 */
#ifndef APIVER_H
#define APIVER_H

#include "hubspot/api_paths.h"
#include "plugin/buf.h"

/* The version from OC_TEST_API_VERSION; an unknown name ends the test
 * binary with a message naming the known ones. */
enum hs_api_version apiver(void);
/* Its option spelling ("v3", "2026-03"); static. */
const char *apiver_name(void);
/* ep's path (template for one with a "{}") under apiver(); static. */
const char *apiver_path(enum hs_endpoint ep);
/* An fx_options.rewrite_path: a v3 path of the table moved to the
 * version passed as ctx (a const enum hs_api_version *; NULL: apiver()).
 * 0 with out filled, or -1 to keep the path (not the table's, or v3). */
int apiver_rewrite(void *ctx, const char *path, struct kit_buf *out);

#endif
