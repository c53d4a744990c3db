/* refuses.c - test plugin whose entry fails with OC_E_CONFIG and a message
 * (not OC_E_NOT_IMPLEMENTED): the loader must stop negotiating and pass the
 * plugin's reason on. */
#include <string.h>

#include "skeleton.h"

SKELETON_ENTRY(oc_connector_entry)
{
    (void)abi_version, (void)out, (void)out_size;
    if(err && OC_HAS_MEMBER(err, struct oc_error, message)) {
        err->status = OC_E_CONFIG;
        strcpy(err->message, "libfoo 7.1 or newer required");
    }
    return OC_E_CONFIG;
}
