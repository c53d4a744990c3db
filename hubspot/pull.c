/* pull.c - engagement pull. Not implemented yet (issue 7). */
#include "hubspot/instance.h"
#include "plugin/error.h"

oc_status hs_pull(struct oc_instance *in, const struct oc_pull_request *req, struct oc_error *err)
{
    (void)in;
    (void)req;
    return hs_fail(err, OC_E_NOT_IMPLEMENTED, "pull is not implemented in this build");
}

void hs_pull_release(struct oc_instance *in) { (void)in; }
