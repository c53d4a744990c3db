/*
 * entry.c - oc_connector_entry, the plugin's only exported symbol, and the
 * vtable glue between the ABI and the HubSpot code.
 *
 * The glue is where ABI rules are enforced once for every operation:
 * arguments checked, the caller's error cleared, and err->status set to the
 * returned status, so the capabilities need not repeat it.
 */
#include <string.h>

#include "hubspot/instance.h"
#include "plugin/error.h"
#include "plugin/http.h"

static oc_status finish(struct oc_error *err, oc_status rc)
{
    if(KIT_ERR_HAS(err, status))
        err->status = rc;
    return rc;
}

/* An operation that may have called HubSpot ends with the exact count of
 * its calls in state (plugin/http.h kit_http_settle). */
static oc_status settled(struct oc_instance *in, struct oc_error *err, oc_status rc)
{
    kit_http_settle(in->http);
    return finish(err, rc);
}

static oc_status v_init(const struct oc_host *host, const struct oc_option *opts, size_t n,
                        struct oc_instance **out, struct oc_error *err)
{
    return finish(err, hs_instance_new(host, opts, n, out, err));
}

#define CHECK_INST(in, err, op)                                                         \
    do {                                                                                \
        kit_error_clear(err);                                                            \
        if(!(in))                                                                       \
            return kit_fail(err, OC_E_INVALID, op ": instance is NULL (call init first)"); \
    } while(0)

/* An instance made for usage reports only (usage_only, no token) has no
 * HTTP client: every operation that talks to HubSpot refuses it. */
#define CHECK_CLIENT(in, err, op)                                                          \
    do {                                                                                   \
        CHECK_INST(in, err, op);                                                           \
        if(!(in)->http)                                                                    \
            return finish(err, kit_fail(err, OC_E_CONFIG,                                  \
                                        op ": this instance was made without an access "   \
                                           "token (usage_only), for usage reports only; "  \
                                           "set HUBSPOT_ACCESS_TOKEN or access_token"));   \
    } while(0)

static oc_status v_authorize(struct oc_instance *in, struct oc_error *err)
{
    CHECK_CLIENT(in, err, "authorize");
    return settled(in, err, hs_authorize(in, err));
}

static oc_status v_pull(struct oc_instance *in, const struct oc_pull_request *req,
                        struct oc_error *err)
{
    CHECK_CLIENT(in, err, "pull");
    if(!req || !OC_HAS_MEMBER(req, struct oc_pull_request, types))
        return kit_fail(err, OC_E_INVALID, "pull: request is NULL or too small (struct_size)");
    return settled(in, err, hs_pull(in, req, err));
}

static oc_status v_push(struct oc_instance *in, const struct oc_push_request *req,
                        struct oc_error *err)
{
    CHECK_CLIENT(in, err, "push");
    if(!req || !OC_HAS_MEMBER(req, struct oc_push_request, next_ctx) || !req->next ||
       !req->list_id || !*req->list_id)
        return kit_fail(err, OC_E_INVALID,
                       "push: request must have struct_size, a list id and a next() callback");
    return settled(in, err, hs_push(in, req, err));
}

static oc_status v_lookup(struct oc_instance *in, const struct oc_lookup_request *req,
                          struct oc_error *err)
{
    CHECK_CLIENT(in, err, "lookup");
    if(!req || !OC_HAS_MEMBER(req, struct oc_lookup_request, queries) ||
       (req->nqueries && !req->queries))
        return kit_fail(err, OC_E_INVALID, "lookup: request is NULL, too small, or has no queries");
    return settled(in, err, hs_lookup(in, req, err));
}

static oc_status v_usage(struct oc_instance *in, struct oc_error *err)
{
    CHECK_INST(in, err, "usage");
    return settled(in, err, hs_usage(in, err));
}

static void v_release(struct oc_instance *in) { hs_instance_release(in); }

/* Declared (and exported) by onecount/connector.h as an oc_connector_entry_t,
 * so the compiler holds this definition to that type. */
OC_EXPORT oc_status oc_connector_entry(uint32_t abi_version, struct oc_connector *out,
                                       size_t out_size, struct oc_error *err)
{
    kit_error_clear(err);
    /* Any 1.x host can use the 1.0 table: minor versions only append. The
     * answer is the newest version both know, so a 1.0 host sees a 1.0
     * table and a 1.1 (or newer minor) host a 1.1 one; 1.1 added no
     * vtable slot, and what this plugin sends a host is chosen by the
     * host's own oc_host.abi_version (plugin/record.h), not by this. */
    if(OC_ABI_MAJOR(abi_version) != 1)
        return finish(err, kit_fail(err, OC_E_NOT_IMPLEMENTED,
                                   "this plugin speaks connector ABI 1.x, not %u.%u",
                                   OC_ABI_MAJOR(abi_version), OC_ABI_MINOR(abi_version)));
    if(!out || out_size < offsetof(struct oc_connector, init))
        return finish(err, kit_fail(err, OC_E_INVALID,
                                   "connector struct is NULL or too small (%zu bytes)", out_size));
    struct oc_connector c = {
        .struct_size = sizeof c,
        .abi_version = abi_version >= OC_ABI_VERSION_1_1 ? OC_ABI_VERSION_1_1 : OC_ABI_VERSION_1_0,
        .name = HS_PLUGIN_NAME,
        .version = HS_PLUGIN_VERSION,
        .capabilities = HS_CAPABILITIES,
        .init = v_init,
        .authorize = v_authorize,
        .pull = v_pull,
        .push = v_push,
        .lookup = v_lookup,
        .usage = v_usage,
        .release = v_release,
    };
    size_t n = out_size < sizeof c ? out_size : sizeof c;
    c.struct_size = (uint32_t)n;
    memcpy(out, &c, n);
    return OC_OK;
}
