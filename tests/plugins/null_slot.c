/* null_slot.c - test plugin that accepts ABI 1.0 but leaves push NULL:
 * the loader must name the slot instead of letting the host crash later. */
#include "skeleton.h"

SKELETON_ENTRY(oc_connector_entry)
{
    struct oc_connector c = skel_connector();
    c.push = NULL;
    return skel_offer(abi_version, OC_ABI_VERSION_1_0, c, out, out_size, err);
}
