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

/* For a test that runs the real ochost (ochrun.h), which must not know
 * the table: under a dated apiver(), a copy of the cassette file or
 * folder at path with every table path moved to that version, written
 * under dir at dir/apiver/<path> (so messages naming the cassette still
 * hold its given name). 0 with the copy's path appended to out; -1 when
 * the run should keep path as given: v3 in use, or path is not a
 * readable cassette (a test about a broken one sees it unchanged). */
int apiver_cassette_copy(const char *path, const char *dir, struct kit_buf *out);
/* Likewise for a --config file: under a dated apiver(), a copy of config
 * (NULL: none given) with "api_version = <version>" appended, same mode,
 * written under dir; 0 with its path appended to out. -1 to keep the
 * run as given: v3 in use, the config names api_version itself (the
 * test chose), or it cannot be read (a test about that sees it as is). */
int apiver_config_copy(const char *config, const char *dir, struct kit_buf *out);

#endif
