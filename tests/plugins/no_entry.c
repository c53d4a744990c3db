/* no_entry.c - test plugin exporting its entry under another name
 * (connector_entry), so a manifest saying entry = oc_connector_entry finds
 * nothing, while one naming connector_entry loads: the entry symbol is the
 * manifest's to choose. */
#include "skeleton.h"

SKELETON_ENTRY(connector_entry)
{
    struct oc_connector c = skel_connector();
    c.name = "renamed";
    c.version = "0.0.1";
    c.capabilities = "pull";
    return skel_offer(abi_version, OC_ABI_VERSION_1_0, c, out, out_size, err);
}
