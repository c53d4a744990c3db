/* abi2.c - test plugin that speaks only ABI 2.0 and answers
 * OC_E_NOT_IMPLEMENTED to anything else, as a plugin built for a newer host
 * would. The loader must refuse it and list the versions it tried. */
#include "skeleton.h"

SKELETON_ENTRY(oc_connector_entry)
{
    struct oc_connector c = skel_connector();
    c.abi_version = OC_ABI_MAKE(2, 0);
    return skel_offer(abi_version, OC_ABI_MAKE(2, 0), c, out, out_size, err);
}
