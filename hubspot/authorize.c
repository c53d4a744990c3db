/* authorize.c - token and scope check. Not implemented yet (issue 5). */
#include "hubspot/instance.h"
#include "plugin/error.h"

oc_status hs_authorize(struct oc_instance *in, struct oc_error *err)
{
    (void)in;
    return hs_fail(err, OC_E_NOT_IMPLEMENTED, "authorize is not implemented in this build");
}
