/*
 * instance.c - creating and releasing a HubSpot plugin instance, and the
 * small host-service wrappers every capability uses.
 */
#include "hubspot/instance.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hubspot/transport.h"
#include "plugin/error.h"
#include "plugin/redact.h"

static int host_has(const struct oc_host *h, size_t end) { return h && h->struct_size >= end; }
#define HOST_FN(h, m) \
    (host_has((h), offsetof(struct oc_host, m) + sizeof((h)->m)) ? (h)->m : NULL)

oc_status hs_instance_new(const struct oc_host *host, const struct oc_option *opts, size_t n,
                          struct oc_instance **out, struct oc_error *err)
{
    kit_error_clear(err);
    if(!out)
        return kit_fail(err, OC_E_INVALID, "init: out must not be NULL");
    *out = NULL;
    if(!host || host->struct_size < offsetof(struct oc_host, cancelled) + sizeof host->cancelled)
        return kit_fail(err, OC_E_INVALID,
                       "init: struct oc_host is missing or older than ABI 1.0 (struct_size)");
    struct oc_instance *in = calloc(1, sizeof *in);
    if(!in)
        return kit_fail(err, OC_E_NOMEM, "init: out of memory");
    in->host = host;
    oc_status rc = hs_options_parse(&in->opt, opts, n, err);
    if(rc)
        goto fail;
    kit_redact_register(in->opt.access_token);
    rc = hs_transport_new(in, err);
    if(rc)
        goto fail;
    *out = in;
    return OC_OK;
fail:
    hs_instance_release(in);
    return rc;
}

void hs_instance_release(struct oc_instance *in)
{
    if(!in)
        return;
    hs_lookup_release(in);
    hs_push_release(in);
    hs_pull_release(in);
    kit_http_free(in->http);
    if(in->opt.access_token)
        kit_redact_forget(in->opt.access_token);
    hs_options_free(&in->opt);
    free(in);
}

void hs_log(const struct oc_instance *in, int level, const char *fmt, ...)
{
    void (*log)(void *, int, const char *) = in ? HOST_FN(in->host, log) : NULL;
    if(!log)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    kit_redact_inplace(line);
    log(in->host->ctx, level, line);
}

int64_t hs_now_ms(const struct oc_instance *in)
{
    int64_t (*now)(void *) = in ? HOST_FN(in->host, now_ms) : NULL;
    if(now)
        return now(in->host->ctx);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether text could hold this instance's token or a token-shaped string.
 * Most records hold neither, and checking is far cheaper than masking. */
static int may_hold_secret(const struct oc_instance *in, const char *text)
{
    const char *token = in->opt.access_token;
    if(!text)
        return 0;
    if(strstr(text, "pat-"))
        return 1;
    /* A token of HubSpot's shape was found by the scan above already. */
    return token && *token && strncmp(token, "pat-", 4) != 0 && strstr(text, token);
}

/* A copy of text with secrets masked (kit_redact_inplace only shortens). */
static char *masked(const char *text)
{
    char *copy = text ? strdup(text) : NULL;
    if(copy)
        kit_redact_inplace(copy);
    return copy;
}

oc_status hs_emit(struct oc_instance *in, const char *kind, const char *id,
                  const struct oc_field *fields, size_t n)
{
    struct oc_record r = {sizeof r, kind, id, n, fields};
    oc_status (*emit)(void *, const struct oc_record *) = HOST_FN(in->host, emit);
    struct oc_field *copy = NULL;
    char *id_copy = NULL;
    oc_status rc;
    if(!emit)
        return OC_E_INVALID;
    /* Records carry server text (HubSpot's error words, event fields,
     * contact properties); a server that echoes the token must not get it
     * into the host's output, so every record passes the redactor here. */
    int suspect = may_hold_secret(in, id);
    for(size_t i = 0; i < n && !suspect; i++)
        suspect = may_hold_secret(in, fields[i].value);
    if(suspect) {
        copy = calloc(n ? n : 1, sizeof *copy);
        if(!copy)
            return OC_E_NOMEM;
        if(id && !(id_copy = masked(id)))
            goto oom;
        for(size_t i = 0; i < n; i++) {
            copy[i] = fields[i];
            if(fields[i].value && !(copy[i].value = masked(fields[i].value)))
                goto oom;
        }
        r.id = id_copy;
        r.fields = copy;
    }
    rc = emit(in->host->ctx, &r) ? OC_E_CANCELLED : OC_OK;
    goto out;
oom:
    rc = OC_E_NOMEM;
out:
    if(copy)
        for(size_t i = 0; i < n; i++)
            if(copy[i].value != fields[i].value)
                free((char *)copy[i].value);
    free(copy);
    free(id_copy);
    return rc;
}
