/* lookup.c - contact lookup. Not implemented yet (issue 5). */
#include "hubspot/instance.h"
#include "plugin/error.h"

oc_status hs_lookup(struct oc_instance *in, const struct oc_lookup_request *req,
                    struct oc_error *err)
{
    (void)in;
    (void)req;
    return hs_fail(err, OC_E_NOT_IMPLEMENTED, "lookup is not implemented in this build");
}

void hs_lookup_release(struct oc_instance *in) { (void)in; }
