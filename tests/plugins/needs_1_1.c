/* needs_1_1.c - test plugin that speaks only ABI 1.1 (it needs what 1.1
 * added) and answers OC_E_NOT_IMPLEMENTED to 1.0. Its honest manifest
 * says abi = 1.1; one saying 1.0 would send it to hosts that cannot load
 * it, and the loader must refuse that. */
#include "skeleton.h"

SKELETON_ENTRY(oc_connector_entry)
{
    struct oc_connector c = skel_connector();
    c.abi_version = OC_ABI_VERSION_1_1;
    return skel_offer(abi_version, OC_ABI_VERSION_1_1, c, out, out_size, err);
}
