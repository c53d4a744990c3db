/* push.c - list push. Not implemented yet (issue 6). */
#include "hubspot/instance.h"
#include "plugin/error.h"

oc_status hs_push(struct oc_instance *in, const struct oc_push_request *req, struct oc_error *err)
{
    (void)in;
    (void)req;
    return hs_fail(err, OC_E_NOT_IMPLEMENTED, "push is not implemented in this build");
}

void hs_push_release(struct oc_instance *in) { (void)in; }
