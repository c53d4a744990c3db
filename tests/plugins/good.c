/* good.c - test plugin: a minimal well-behaved connector speaking ABI 1.0.
 * Its instances count usage() calls and emit the count, so a test can see
 * that the vtable the loader returns really drives this library. */
#include <stdlib.h>
#include <stdio.h>

#include "skeleton.h"

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

SKELETON_ENTRY(oc_connector_entry)
{
    struct oc_connector c = skel_connector();
    c.init = g_init;
    c.usage = g_usage;
    c.release = g_release;
    return skel_offer(abi_version, OC_ABI_VERSION_1_0, c, out, out_size, err);
}
