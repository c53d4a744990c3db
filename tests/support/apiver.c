/* apiver.c - see apiver.h. */
#include "tests/support/apiver.h"

#include <stdio.h>
#include <stdlib.h>

enum hs_api_version apiver(void)
{
    const char *name = getenv("OC_TEST_API_VERSION");
    enum hs_api_version v = HS_API_V3;
    if(name && *name && hs_api_version_parse(name, &v)) {
        fprintf(stderr, "OC_TEST_API_VERSION '%s' is not a version the plugin knows (%s)\n", name,
                hs_api_versions_known());
        exit(2);
    }
    return v;
}

const char *apiver_name(void) { return hs_api_version_name(apiver()); }

const char *apiver_path(enum hs_endpoint ep) { return hs_api_template(apiver(), ep); }

int apiver_rewrite(void *ctx, const char *path, struct kit_buf *out)
{
    enum hs_api_version to = ctx ? *(const enum hs_api_version *)ctx : apiver();
    if(to == HS_API_V3)
        return -1;
    return hs_api_path_translate(path, HS_API_V3, to, out);
}
