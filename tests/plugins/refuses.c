/* refuses.c - test plugin whose entry fails with OC_E_CONFIG and a message
 * (not OC_E_NOT_IMPLEMENTED): the loader must stop negotiating and pass the
 * plugin's reason on. */
#include <string.h>

#include "onecount/connector.h"

/* Exported despite -fvisibility=hidden: the one symbol a plugin shows. */
__attribute__((visibility("default"))) oc_status
oc_connector_entry(uint32_t abi_version, struct oc_connector *out, size_t out_size,
                   struct oc_error *err);

oc_status oc_connector_entry(uint32_t abi_version, struct oc_connector *out, size_t out_size,
                             struct oc_error *err)
{
    (void)abi_version, (void)out, (void)out_size;
    if(err && err->struct_size >= sizeof *err) {
        err->status = OC_E_CONFIG;
        strcpy(err->message, "libfoo 7.1 or newer required");
    }
    return OC_E_CONFIG;
}
