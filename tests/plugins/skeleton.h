/* skeleton.h - the stub connector the loader's test plugins share, so each
 * plugin's file shows only the one thing it does wrong (or right). Included
 * by each tests/plugins/<name>.c, which the build turns into its own .so:
 * everything here is static or a macro, and each plugin gets its own copy. */
#ifndef TESTPLUGIN_SKELETON_H
#define TESTPLUGIN_SKELETON_H

#include <stddef.h>

#include "onecount/connector.h"

/* Declares and starts the definition of the plugin's entry point `name`,
 * an oc_connector_entry_t (parameters abi_version, out, out_size, err).
 * Exported (OC_EXPORT) despite -fvisibility=hidden: the one symbol a
 * plugin shows. Declared through the type, so a name other than
 * oc_connector_entry is held to it as connector.h holds that one. */
#define SKELETON_ENTRY(name)                                                              \
    OC_EXPORT oc_connector_entry_t name;                                                 \
    OC_EXPORT oc_status name(uint32_t abi_version, struct oc_connector *out,             \
                             size_t out_size, struct oc_error *err)

/* The stubs answer OC_E_NOT_IMPLEMENTED: the loader tests never get as far
 * as driving them, and a stub that did something could hide that. */
static oc_status skel_init(const struct oc_host *host, const struct oc_option *opts,
                           size_t nopts, struct oc_instance **out, struct oc_error *err)
{
    (void)host, (void)opts, (void)nopts, (void)err;
    *out = NULL;
    return OC_E_NOT_IMPLEMENTED;
}

static oc_status skel_op(struct oc_instance *inst, struct oc_error *err)
{
    (void)inst, (void)err;
    return OC_E_NOT_IMPLEMENTED;
}

static oc_status skel_pull(struct oc_instance *inst, const struct oc_pull_request *req,
                           struct oc_error *err)
{
    (void)inst, (void)req, (void)err;
    return OC_E_NOT_IMPLEMENTED;
}

static oc_status skel_push(struct oc_instance *inst, const struct oc_push_request *req,
                           struct oc_error *err)
{
    (void)inst, (void)req, (void)err;
    return OC_E_NOT_IMPLEMENTED;
}

static oc_status skel_lookup(struct oc_instance *inst, const struct oc_lookup_request *req,
                             struct oc_error *err)
{
    (void)inst, (void)req, (void)err;
    return OC_E_NOT_IMPLEMENTED;
}

static void skel_release(struct oc_instance *inst)
{
    (void)inst;
}

/* A complete, honest ABI 1.0 table named testgood 1.2.3 (what the tests'
 * manifests expect), every slot a stub. A plugin changes what it tests.
 * inline: a plugin that only wants SKELETON_ENTRY does not have to use it. */
static inline struct oc_connector skel_connector(void)
{
    return (struct oc_connector){
        .struct_size = sizeof(struct oc_connector),
        .abi_version = OC_ABI_VERSION_1_0,
        .name = "testgood",
        .version = "1.2.3",
        .capabilities = "pull,lookup",
        .init = skel_init,
        .authorize = skel_op,
        .pull = skel_pull,
        .push = skel_push,
        .lookup = skel_lookup,
        .usage = skel_op,
        .release = skel_release,
    };
}

/* The entry's answer for a plugin that speaks only ABI `speaks`: copies c
 * to *out when the host asked for that version and has room for the whole
 * table; otherwise OC_E_NOT_IMPLEMENTED, so the host steps down. */
static inline oc_status skel_offer(uint32_t asked, uint32_t speaks, struct oc_connector c,
                                   struct oc_connector *out, size_t out_size,
                                   struct oc_error *err)
{
    (void)err;
    if(asked != speaks || out_size < sizeof *out)
        return OC_E_NOT_IMPLEMENTED;
    *out = c;
    return OC_OK;
}

#endif
