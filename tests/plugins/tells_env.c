/* tells_env.c - test plugin that reads GNUTLS_NO_IMPLICIT_INIT in a library
 * constructor, where GnuTLS reads it, and refuses to load with what it saw:
 * ochost's --version prints the refusal, so a test learns what a library
 * the plugin links would have seen when it was loaded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skeleton.h"

static char seen[64] = "unset";

__attribute__((constructor)) static void read_at_load(void)
{
    const char *v = getenv("GNUTLS_NO_IMPLICIT_INIT");
    if(v)
        snprintf(seen, sizeof seen, "'%s'", v);
}

SKELETON_ENTRY(oc_connector_entry)
{
    (void)abi_version, (void)out, (void)out_size;
    if(err && OC_HAS_MEMBER(err, struct oc_error, message)) {
        err->status = OC_E_CONFIG;
        snprintf(err->message, sizeof err->message, "GNUTLS_NO_IMPLICIT_INIT at load: %s", seen);
    }
    return OC_E_CONFIG;
}
