/* status.c - exit-code table and error reporting; see status.h. */
#include "host-api/ochost/status.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "onecount/loader.h"
#include "plugin/redact.h"

static const struct {
    oc_status status;
    int exit_code;
} exit_table[] = {
    {OC_OK, OCH_EXIT_OK},
    {OC_E_INVALID, OCH_EXIT_CONFIG},
    {OC_E_CONFIG, OCH_EXIT_CONFIG},
    {OC_E_NOT_FOUND, OCH_EXIT_NOT_FOUND},
    {OC_E_AUTH, OCH_EXIT_AUTH},
    {OC_E_BUDGET, OCH_EXIT_BUDGET},
    {OC_E_PARTIAL, OCH_EXIT_PARTIAL},
    {OC_E_TRANSIENT, OCH_EXIT_TRANSIENT},
    {OC_E_PROTOCOL, OCH_EXIT_TRANSIENT},
    {OC_E_IO, OCH_EXIT_TRANSIENT},
    {OC_E_NOMEM, OCH_EXIT_TRANSIENT},
    {OC_E_CANCELLED, OCH_EXIT_TRANSIENT},
    /* RANGE never should escape a plugin operation; if it does, the
     * run can be retried like any other local failure. */
    {OC_E_RANGE, OCH_EXIT_TRANSIENT},
    {OC_E_ABI, OCH_EXIT_PLUGIN},
    {OC_E_NOT_IMPLEMENTED, OCH_EXIT_PLUGIN},
};

int och_exit_code(oc_status status)
{
    for(size_t i = 0; i < sizeof exit_table / sizeof exit_table[0]; i++)
        if(exit_table[i].status == status)
            return exit_table[i].exit_code;
    return OCH_EXIT_PLUGIN;
}

void och_error_init(struct oc_error *err)
{
    memset(err, 0, sizeof *err);
    err->struct_size = sizeof *err;
}

int och_report(const char *what, oc_status status, const struct oc_error *err)
{
    char msg[OC_ERROR_MESSAGE_SIZE];
    const char *cid = "";
    msg[0] = '\0';
    if(err && OC_HAS_MEMBER(err, struct oc_error, message)) {
        memcpy(msg, err->message, sizeof msg);
        msg[sizeof msg - 1] = '\0';
    }
    char cid_buf[sizeof err->correlation_id];
    if(err && OC_HAS_MEMBER(err, struct oc_error, correlation_id) &&
       memchr(err->correlation_id, '\0', sizeof err->correlation_id)) {
        /* Server text: masked like the message, whatever the plugin did. */
        memcpy(cid_buf, err->correlation_id, sizeof cid_buf);
        kit_redact_inplace(cid_buf);
        cid = cid_buf;
    }
    if(!msg[0])
        snprintf(msg, sizeof msg, "failed with %s", oc_status_name(status));
    /* The plugin promises token-free messages; masking again costs nothing
     * and protects against a plugin that forgets. */
    kit_redact_inplace(msg);
    /* Plugins often quote the id in the message already; say it once. */
    if(cid[0] && !strstr(msg, cid))
        fprintf(stderr, "ochost: %s: %s (HubSpot correlation id %s)\n", what, msg, cid);
    else
        fprintf(stderr, "ochost: %s: %s\n", what, msg);
    return och_exit_code(status);
}
