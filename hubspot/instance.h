/*
 * instance.h - struct oc_instance, the HubSpot plugin's per-instance state.
 *
 * One instance is used by one thread at a time (ABI rule), so nothing here
 * is locked. Each capability keeps its own state in its own slot, created
 * lazily by that capability's file together with the function that frees
 * it; hs_instance_release() runs whatever the slots name, so the instance
 * knows no capability's state.
 */
#ifndef HS_INSTANCE_H
#define HS_INSTANCE_H

#include <stdint.h>

#include "hubspot/identity.h"
#include "hubspot/options.h"
#include "onecount/connector.h"
#include "plugin/http.h"

/* One slot per capability that keeps state across calls. */
enum hs_slot_id {
    HS_SLOT_LOOKUP, /* idcache.c: contact ids and lookup answers, shared by
                       lookup and push (alias HS_SLOT_IDCACHE) */
    HS_SLOT_PUSH,   /* push.c: lists found usable, the email -> id cache */
    HS_SLOT_PULL,   /* pull.c: buffers reused across pages and runs */
    HS_SLOT_EVENT_CONTEXT, /* event_context.c: campaign id -> email cache */
    HS_SLOT_COUNT
};
#define HS_SLOT_IDCACHE HS_SLOT_LOOKUP

/* A capability's state: owned by the instance once set. The capability
 * sets state and release together when it first makes the state (and may
 * free and replace it later); release(state) frees it at instance
 * release. state NULL: nothing to free. */
struct hs_slot {
    void *state;
    void (*release)(void *state);
};

struct hs_usage_watch;

struct oc_instance {
    /* The host's services as the instance uses them: the host's own,
     * watched for the usage warnings (usage_watch.h). */
    const struct oc_host *host;
    struct hs_usage_watch *usage_watch; /* owned: what host points into */
    /* The host as given to init (borrowed), for the services the watch
     * forwards unchanged: host.c calls them without the watch's hop. */
    const struct oc_host *real_host;
    struct hs_options opt;
    struct kit_http *http;
    struct hs_slot slot[HS_SLOT_COUNT];
};

/* Create an instance (the ABI's init): options parsed, HTTP client made.
 * On success *out is owned by the caller, freed with hs_instance_release. */
oc_status hs_instance_new(const struct oc_host *host, const struct oc_option *opts, size_t n,
                          struct oc_instance **out, struct oc_error *err);
/* Free in: every slot's state (through its release), the HTTP client, the
 * options. NULL is a no-op. */
void hs_instance_release(struct oc_instance *in);

/* The capabilities, one file each, called by entry.c. They fill err on
 * failure. The host services they use are in host.h. */
oc_status hs_authorize(struct oc_instance *in, struct oc_error *err);
oc_status hs_pull(struct oc_instance *in, const struct oc_pull_request *req, struct oc_error *err);
oc_status hs_push(struct oc_instance *in, const struct oc_push_request *req, struct oc_error *err);
oc_status hs_lookup(struct oc_instance *in, const struct oc_lookup_request *req,
                    struct oc_error *err);
/* usage_report.c: kept days, today, and the portal's count when asked. */
oc_status hs_usage(struct oc_instance *in, struct oc_error *err);
#endif
