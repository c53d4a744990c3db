/* fixtures_dl.c - dlopen of libocfixtures.so; see fixtures_dl.h. */
#include "host-api/ochost/fixtures_dl.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ochost_build.h"
#include "plugin/buf.h"
#include "plugin/error.h"
#include "plugin/text.h"

/* The Debian package that ships the library (host-api/packaging/debian). */
#define FIXTURES_PACKAGE "ochost-fixtures"

static const struct fx_api *loaded;

/* The one file this binary loads (see fixtures_dl.h), malloc'd; NULL on
 * oom or when /proc/self/exe cannot be read. */
static char *library_path(void)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if(n <= 0 || (size_t)n >= sizeof exe - 1)
        return NULL;
    exe[n] = '\0';
    char *dir = kit_dir_of(exe);
    if(!dir)
        return NULL;
    size_t dl = strlen(dir), bl = strlen(OCH_BINDIR);
    struct kit_buf b = KIT_BUF_INIT;
    if(OCH_BINDIR[0] == '/' && dl >= bl && strcmp(dir + dl - bl, OCH_BINDIR) == 0)
        kit_buf_printf(&b, "%.*s%s", (int)(dl - bl), dir, OCH_FIXTURES_LIB);
    else
        kit_buf_printf(&b, "%s/%s", dir, FX_API_LIBRARY);
    free(dir);
    return kit_buf_take(&b);
}

const struct fx_api *och_fixtures_api(const char *needed_by, struct oc_error *err)
{
    if(loaded)
        return loaded;
    char *path = library_path();
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
