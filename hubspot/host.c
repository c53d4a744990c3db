/*
 * host.c - the host-service wrappers every capability uses (see host.h).
 * It calls nothing else in hubspot/: capabilities depend on it, never the
 * other way round.
 */
#include "hubspot/host.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin/clock.h"
#include "plugin/redact.h"

/* The host's callback m, or NULL when the host leaves it out or its
 * struct is too old to have it. */
#define HOST_FN(h, m) ((h) && OC_HAS_MEMBER((h), struct oc_host, m) ? (h)->m : NULL)

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
    return kit_wall_ms();
}

void hs_progress(const struct oc_instance *in, const char *stage, uint64_t done, uint64_t total)
{
    void (*progress)(void *, const char *, uint64_t, uint64_t) =
        in ? HOST_FN(in->host, progress) : NULL;
    if(progress)
        progress(in->host->ctx, stage, done, total);
}

int hs_cancelled(const struct oc_instance *in)
{
    int (*cancelled)(void *) = in ? HOST_FN(in->host, cancelled) : NULL;
    return cancelled && cancelled(in->host->ctx);
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

/* A copy of text with secrets masked (kit_redact_value only shortens). */
static char *masked(const char *text)
{
    char *copy = text ? strdup(text) : NULL;
    if(copy)
        kit_redact_value(copy);
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
        suspect = may_hold_secret(in, fields[i].value) || may_hold_secret(in, fields[i].key);
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
            /* Field names come from the server's JSON keys too. */
            if(fields[i].key && !(copy[i].key = masked(fields[i].key)))
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
        for(size_t i = 0; i < n; i++) {
            if(copy[i].value != fields[i].value)
                free((char *)copy[i].value);
            if(copy[i].key != fields[i].key)
                free((char *)copy[i].key);
        }
    free(copy);
    free(id_copy);
    return rc;
}
