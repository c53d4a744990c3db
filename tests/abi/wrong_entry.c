/* wrong_entry.c - a plugin whose entry takes an int where the ABI says
 * size_t. It must NOT compile: connector.h declares the entry through
 * oc_connector_entry_t so that such a plugin fails at build time instead
 * of misreading its arguments at run time. `make abi-check` fails if it
 * compiles. */
#include "onecount/connector.h"

oc_status oc_connector_entry(uint32_t abi_version, struct oc_connector *out, int out_size,
                             struct oc_error *err)
{
    (void)abi_version, (void)out, (void)out_size, (void)err;
    return OC_E_NOT_IMPLEMENTED;
}
