/* lies_abi.c - test plugin that accepts ABI 1.0 but claims to have filled
 * the table for 1.7, newer than asked: the loader must not drive a layout
 * it did not negotiate. */
#include "skeleton.h"

SKELETON_ENTRY(oc_connector_entry)
{
    struct oc_connector c = skel_connector();
    c.abi_version = OC_ABI_MAKE(1, 7);
    return skel_offer(abi_version, OC_ABI_VERSION_1_0, c, out, out_size, err);
}
