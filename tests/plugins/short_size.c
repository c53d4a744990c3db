/* short_size.c - test plugin whose struct_size claims it filled the vtable
 * only up to (not including) usage: the loader must not trust slots beyond
 * struct_size, even though the bytes are there. */
#include "skeleton.h"

SKELETON_ENTRY(oc_connector_entry)
{
    struct oc_connector c = skel_connector();
    c.struct_size = offsetof(struct oc_connector, usage);
    return skel_offer(abi_version, OC_ABI_VERSION_1_0, c, out, out_size, err);
}
