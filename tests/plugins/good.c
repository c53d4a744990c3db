/* good.c - test plugin: a minimal well-behaved connector speaking ABI 1.0.
 * Its instances count usage() calls and emit the count, so a test can see
 * that the vtable the loader returns really drives this library. */
#include <stdlib.h>
#include <stdio.h>

#include "onecount/connector.h"

struct oc_instance {
    const struct oc_host *host;
    int calls;
};

static oc_status g_init(const struct oc_host *host, const struct oc_option *opts, size_t nopts,
                        struct oc_instance **out, struct oc_error *err)
{
    (void)opts, (void)nopts, (void)err;
    *out = calloc(1, sizeof **out);
    if(!*out)
        return OC_E_NOMEM;
    (*out)->host = host;
    return OC_OK;
}

static oc_status g_authorize(struct oc_instance *inst, struct oc_error *err)
{
    (void)inst, (void)err;
    return OC_E_NOT_IMPLEMENTED;
}

static oc_status g_pull(struct oc_instance *inst, const struct oc_pull_request *req,
                        struct oc_error *err)
{
    (void)inst, (void)req, (void)err;
    return OC_E_NOT_IMPLEMENTED;
}

static oc_status g_push(struct oc_instance *inst, const struct oc_push_request *req,
                        struct oc_error *err)
{
    (void)inst, (void)req, (void)err;
    return OC_E_NOT_IMPLEMENTED;
}

static oc_status g_lookup(struct oc_instance *inst, const struct oc_lookup_request *req,
                          struct oc_error *err)
{
    (void)inst, (void)req, (void)err;
    return OC_E_NOT_IMPLEMENTED;
}

static oc_status g_usage(struct oc_instance *inst, struct oc_error *err)
{
    (void)err;
    char n[16];
    snprintf(n, sizeof n, "%d", ++inst->calls);
    struct oc_field f = {"calls", n, OC_FIELD_NUMBER};
    struct oc_record r = {sizeof r, "usage", NULL, 1, &f};
    return inst->host->emit(inst->host->ctx, &r);
}

static void g_release(struct oc_instance *inst)
{
    free(inst);
}

/* Exported despite -fvisibility=hidden: the one symbol a plugin shows. */
__attribute__((visibility("default"))) oc_status
oc_connector_entry(uint32_t abi_version, struct oc_connector *out, size_t out_size,
                   struct oc_error *err);

oc_status oc_connector_entry(uint32_t abi_version, struct oc_connector *out, size_t out_size,
                             struct oc_error *err)
{
    (void)err;
    if(abi_version != OC_ABI_VERSION_1_0)
        return OC_E_NOT_IMPLEMENTED;
    struct oc_connector c = {
        .struct_size = sizeof c,
        .abi_version = OC_ABI_VERSION_1_0,
        .name = "testgood",
        .version = "1.2.3",
        .capabilities = "pull,lookup",
        .init = g_init,
        .authorize = g_authorize,
        .pull = g_pull,
        .push = g_push,
        .lookup = g_lookup,
        .usage = g_usage,
        .release = g_release,
    };
    if(out_size < sizeof c)
        return OC_E_NOT_IMPLEMENTED;
    *out = c;
    return OC_OK;
}
