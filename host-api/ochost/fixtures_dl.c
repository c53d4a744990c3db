/* fixtures_dl.c - dlopen of libocfixtures.so; see fixtures_dl.h. */
#include "host-api/ochost/fixtures_dl.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "host-api/ochost/paths.h"
#include "ochost_build.h"
#include "plugin/error.h"

/* The Debian package that ships the library (host-api/packaging/debian). */
#define FIXTURES_PACKAGE "ochost-fixtures"

static const struct fx_api *loaded;

const struct fx_api *och_fixtures_api(const char *needed_by, struct oc_error *err)
{
    if(loaded)
        return loaded;
    char *path = och_self_path(OCH_FIXTURES_LIB, FX_API_LIBRARY);
    if(!path) {
        kit_fail(err, OC_E_NOMEM, "%s: cannot tell where ochost runs from to find %s", needed_by,
                 FX_API_LIBRARY);
        return NULL;
    }
    /* RTLD_LOCAL: the library's own copy of the kit stays its own. */
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if(!lib) {
        const char *why = dlerror();
        kit_fail(err, OC_E_CONFIG,
                 "%s needs the replay server library %s, which cannot be loaded (%s); install the %s package "
                 "(apt-get install %s; it brings libmicrohttpd), or from source run make (it builds %s beside "
                 "ochost) or make install",
                 needed_by, path, why ? why : "no reason given", FIXTURES_PACKAGE, FIXTURES_PACKAGE,
                 FX_API_LIBRARY);
        free(path);
        return NULL;
    }
    const struct fx_api *api = dlsym(lib, FX_API_SYMBOL);
    if(!api || api->version != FX_API_VERSION || api->struct_size != sizeof *api) {
        kit_fail(err, OC_E_CONFIG,
                 "%s: %s is not the replay server library this ochost was built with (%s); reinstall the %s "
                 "package in the same version as ochost, or rebuild both with make",
                 needed_by, path, !api ? "no " FX_API_SYMBOL " table" : "another table version",
                 FIXTURES_PACKAGE);
        dlclose(lib);
        free(path);
        return NULL;
    }
    free(path);
    loaded = api;
    return loaded;
}
