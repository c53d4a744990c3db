/*
 * fixtures_dl.h - the replay server and recorder, loaded only when a run
 * asks for them (--fixtures, --record, demo).
 *
 * They live in libocfixtures.so (fixtures/api.h), which needs
 * libmicrohttpd; ochost itself does not link it, so a production install
 * runs without libmicrohttpd and without that library.
 *
 * Where the library is: an ochost installed at ROOT/BINDIR/ochost (ROOT
 * empty on a live system, a staging folder under DESTDIR) loads
 * ROOT/LIBDIR/ochost/libocfixtures.so; any other ochost (the build
 * folder) loads libocfixtures.so beside itself. One candidate, so a
 * refusal names exactly the file that was wanted.
 */
#ifndef OCH_FIXTURES_DL_H
#define OCH_FIXTURES_DL_H

#include "fixtures/api.h"
#include "onecount/connector.h"

/* The table of libocfixtures.so, loaded on the first call and kept
 * loaded until the process exits (its server threads and libcurl must
 * not be unmapped under a running session); static, never freed.
 * needed_by names what asked ("--fixtures", "--record", "demo") for the
 * message. NULL when it cannot be loaded: err (OC_E_CONFIG) names the
 * file, what the dynamic loader said, and the package that installs it;
 * OC_E_NOMEM. A failed load is retried on the next call. */
const struct fx_api *och_fixtures_api(const char *needed_by, struct oc_error *err);

#endif
