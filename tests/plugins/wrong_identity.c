/* wrong_identity.c - test plugin reporting name "impostor", version
 * "9.9.9": paired with a manifest for another plugin, the loader must
 * report both values. */
#include "skeleton.h"

SKELETON_ENTRY(oc_connector_entry)
{
    struct oc_connector c = skel_connector();
    c.name = "impostor";
    c.version = "9.9.9";
    return skel_offer(abi_version, OC_ABI_VERSION_1_0, c, out, out_size, err);
}
