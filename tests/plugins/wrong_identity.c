/* wrong_identity.c - test plugin reporting name "impostor", version
 * "9.9.9": paired with a manifest for another plugin, the loader must
 * report both values. */
#include <stddef.h>

#include "onecount/connector.h"

static oc_status s_init(const struct oc_host *host, const struct oc_option *opts, size_t nopts,
                        struct oc_instance **out, struct oc_error *err)
{
    (void)host, (void)opts, (void)nopts, (void)err;
    *out = NULL;
    return OC_E_NOT_IMPLEMENTED;
}

static oc_status s_op(struct oc_instance *inst, struct oc_error *err)
{
    (void)inst, (void)err;
    return OC_E_NOT_IMPLEMENTED;
}

static oc_status s_pull(struct oc_instance *inst, const struct oc_pull_request *req,
                        struct oc_error *err)
{
    (void)inst, (void)req, (void)err;
    return OC_E_NOT_IMPLEMENTED;
}

static oc_status s_push(struct oc_instance *inst, const struct oc_push_request *req,
                        struct oc_error *err)
{
    (void)inst, (void)req, (void)err;
    return OC_E_NOT_IMPLEMENTED;
}

static oc_status s_lookup(struct oc_instance *inst, const struct oc_lookup_request *req,
                          struct oc_error *err)
{
    (void)inst, (void)req, (void)err;
    return OC_E_NOT_IMPLEMENTED;
}

static void s_release(struct oc_instance *inst)
{
    (void)inst;
}

/* Exported despite -fvisibility=hidden: the one symbol a plugin shows. */
__attribute__((visibility("default"))) oc_status
oc_connector_entry(uint32_t abi_version, struct oc_connector *out, size_t out_size,
                   struct oc_error *err);

oc_status oc_connector_entry(uint32_t abi_version, struct oc_connector *out, size_t out_size,
                             struct oc_error *err)
{
    (void)err;
    if(abi_version != OC_ABI_VERSION_1_0 || out_size < sizeof *out)
        return OC_E_NOT_IMPLEMENTED;
    struct oc_connector c = {
        .struct_size = sizeof c,
        .abi_version = abi_version,
        .name = "impostor",
        .version = "9.9.9",
        .capabilities = "pull,lookup",
        .init = s_init,
        .authorize = s_op,
        .pull = s_pull,
        .push = s_push,
        .lookup = s_lookup,
        .usage = s_op,
        .release = s_release,
    };
    *out = c;
    return OC_OK;
}
