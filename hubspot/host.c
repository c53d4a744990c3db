/*
 * host.c - the host-service wrappers every capability uses (see host.h).
 * It calls nothing else in hubspot/: capabilities depend on it, never the
 * other way round.
 */
#include "hubspot/host.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin/clock.h"
#include "plugin/record.h"
#include "plugin/redact.h"

/* The host's callback m, or NULL when the host leaves it out or its
 * struct is too old to have it. */
#define HOST_FN(h, m) ((h) && OC_HAS_MEMBER((h), struct oc_host, m) ? (h)->m : NULL)

/* The host these wrappers call: the host's own. The usage watch forwards
 * every one of these services unchanged (usage_watch.h), and its hop
 * costs a look at the host's services per call: a bulk push makes one
 * cancel check per input and one emit per result. An instance made
 * without hs_instance_new (a fuzz target) has only the host. */
static const struct oc_host *own_host(const struct oc_instance *in)
{
    return in->real_host ? in->real_host : in->host;
}

void hs_log(const struct oc_instance *in, int level, const char *fmt, ...)
{
    const struct oc_host *host = in ? own_host(in) : NULL;
    void (*log)(void *, int, const char *) = HOST_FN(host, log);
    if(!log)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    kit_redact_inplace(line);
    log(host->ctx, level, line);
}

int64_t hs_now_ms(const struct oc_instance *in)
{
    const struct oc_host *host = in ? own_host(in) : NULL;
    int64_t (*now)(void *) = HOST_FN(host, now_ms);
    if(now)
        return now(host->ctx);
    return kit_wall_ms();
}

void hs_progress(const struct oc_instance *in, const char *stage, uint64_t done, uint64_t total)
{
    const struct oc_host *host = in ? own_host(in) : NULL;
    void (*progress)(void *, const char *, uint64_t, uint64_t) = HOST_FN(host, progress);
    if(progress)
        progress(host->ctx, stage, done, total);
}

int hs_cancelled(const struct oc_instance *in)
{
    const struct oc_host *host = in ? own_host(in) : NULL;
    int (*cancelled)(void *) = HOST_FN(host, cancelled);
    return cancelled && cancelled(host->ctx);
}

/* Whether text could hold this instance's token or a token-shaped string.
 * Most records hold neither, and checking is far cheaper than masking. */
static int may_hold_secret(const struct oc_instance *in, const char *text)
{
    const char *token = in->opt.access_token;
    if(!text)
        return 0;
    /* "pat-" by its dash, as in hs_json_may_hold_secret: most text has
     * none, and strchr is far cheaper than a general substring search. */
    for(const char *p = text; (p = strchr(p, '-')); p++)
        if(p - text >= 3 && !memcmp(p - 3, "pat", 3))
            return 1;
    /* A token of HubSpot's shape was found by the scan above already. */
    return token && *token &&
           !(token[0] == 'p' && token[1] == 'a' && token[2] == 't' && token[3] == '-') &&
           strstr(text, token);
}

int hs_text_may_hold_secret(const struct oc_instance *in, const char *text)
{
    return may_hold_secret(in, text);
}

int hs_json_may_hold_secret(const struct oc_instance *in, const char *text, size_t len)
{
    const char *token = in->opt.access_token;
    if(!text)
        return 0;
    if(memchr(text, '\\', len))
        return 1;
    /* "pat-" by its dash: dashes are rare beside letters (a few per event,
     * in ids), and memchr is far faster than a general substring search. */
    for(const char *p = text, *end = text + len; (p = memchr(p, '-', (size_t)(end - p))); p++)
        if(p - text >= 3 && !memcmp(p - 3, "pat", 3))
            return 1;
    return token && *token && strncmp(token, "pat-", 4) && memmem(text, len, token, strlen(token));
}

/* A copy of text with secrets masked (kit_redact_value only shortens). */
static char *masked(const char *text)
{
    char *copy = text ? strdup(text) : NULL;
    if(copy)
        kit_redact_value(copy);
    return copy;
}

/* Whether field f holds a time in milliseconds since the epoch. HubSpot
 * names them "created" (an email event's own time, its EventId) and
 * "<object>_created" once flattened (sent_by_created, obsoleted_by_created,
 * caused_by_created: API-NOTES.md, email events); the CRM v3 objects send
 * ISO 8601 text already. */
static int is_ms_time(const struct oc_field *f)
{
    static const char suffix[] = "_created";
    if(f->type != OC_FIELD_NUMBER || !f->key || !f->value)
        return 0;
    size_t len = strlen(f->key);
    return !strcmp(f->key, "created") ||
           (len > sizeof suffix - 1 && !strcmp(f->key + len - (sizeof suffix - 1), suffix));
}

static int has_key(const struct oc_field *fields, size_t n, const char *key, size_t klen)
{
    for(size_t i = 0; i < n; i++)
        if(fields[i].key && fields[i].key[0] == key[0] && !strncmp(fields[i].key, key, klen) &&
           !fields[i].key[klen])
            return 1;
    return 0;
}

/* kit_iso_ms's text for the minutes seen last (per thread: instances may
 * run in threads). Times of one page share a few minutes, and formatting
 * the date costs far more than writing seconds and milliseconds. */
#define ISO_MEMO 8
static _Thread_local struct iso_minute {
    int64_t minute; /* -1: empty */
    char text[KIT_ISO_MS_SIZE];
} iso_memo[ISO_MEMO] = {{-1, ""}, {-1, ""}, {-1, ""}, {-1, ""}, {-1, ""}, {-1, ""}, {-1, ""}, {-1, ""}};

/* kit_iso_ms(ms), from the memo of its minute when it holds it. */
static int iso_ms(int64_t ms, char out[KIT_ISO_MS_SIZE])
{
    if(ms < 0)
        return kit_iso_ms(ms, out);
    int64_t minute = ms / 60000;
    struct iso_minute *m = &iso_memo[(uint64_t)minute % ISO_MEMO];
    if(m->minute != minute) {
        if(kit_iso_ms(minute * 60000, m->text)) {
            m->minute = -1;
            return kit_iso_ms(ms, out);
        }
        m->minute = minute;
    }
    /* "YYYY-MM-DDTHH:MM:" stays; "SS.mmmZ" is this time's. */
    unsigned r = (unsigned)(ms % 60000);
    memcpy(out, m->text, KIT_ISO_MS_SIZE);
    out[17] = (char)('0' + r / 10000);
    out[18] = (char)('0' + r / 1000 % 10);
    out[20] = (char)('0' + r / 100 % 10);
    out[21] = (char)('0' + r / 10 % 10);
    out[22] = (char)('0' + r % 10);
    return 0;
}

/* The ISO 8601 text for an ms field's value into out: 0, or -1 when the
 * value is not a whole number of ms in years 0000..9999 (no twin then). */
static int ms_iso(const char *value, char out[KIT_ISO_MS_SIZE])
{
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if(errno || end == value || *end)
        return -1;
    return iso_ms((int64_t)v, out);
}

#define TWIN_SUFFIX "_at"
#define FIT_STACK_FIELDS 64
#define FIT_STACK_TEXT 1024

/* A record's fields as this host gets them: a twin "<key>_at" with ISO
 * 8601 UTC text right after every time in ms (unless the record already
 * has a field of that name: the server's own wins), and JSON fields as
 * strings for a host older than ABI 1.1. Small records live on the
 * stack; f and text move to the heap only for big ones. */
struct fitted {
    const struct oc_field *f;
    size_t n;
    struct oc_field *heap_f;
    char *heap_text;
    struct oc_field stack_f[FIT_STACK_FIELDS];
    char stack_text[FIT_STACK_TEXT];
};

static oc_status fit_record(const struct oc_instance *in, const struct oc_field *fields, size_t n,
                            struct fitted *out)
{
    size_t twins = 0, text = 0, json = 0;
    out->f = fields;
    out->n = n;
    out->heap_f = NULL;
    out->heap_text = NULL;
    /* Most records (every push and lookup result) are all strings: one
     * look at each type settles that. */
    for(size_t i = 0; i < n; i++) {
        if(fields[i].type == OC_FIELD_STRING)
            continue;
        json += fields[i].type == OC_FIELD_JSON;
        if(is_ms_time(&fields[i])) {
            twins++;
            text += strlen(fields[i].key) + sizeof TWIN_SUFFIX + KIT_ISO_MS_SIZE;
        }
    }
    int json_ok = !json || kit_host_takes_json(in->host);
    if(!twins && json_ok)
        return OC_OK;
    struct oc_field *f = out->stack_f;
    char *t = out->stack_text;
    if(n + twins > FIT_STACK_FIELDS && !(f = out->heap_f = malloc((n + twins) * sizeof *f)))
        return OC_E_NOMEM;
    if(text > FIT_STACK_TEXT && !(t = out->heap_text = malloc(text)))
        return OC_E_NOMEM;
    size_t k = 0;
    for(size_t i = 0; i < n; i++) {
        f[k] = fields[i];
        if(f[k].type == OC_FIELD_JSON && !json_ok)
            f[k].type = OC_FIELD_STRING;
        k++;
        if(!is_ms_time(&fields[i]))
            continue;
        size_t klen = strlen(fields[i].key);
        char *key = t, *iso = t + klen + sizeof TWIN_SUFFIX;
        memcpy(key, fields[i].key, klen);
        memcpy(key + klen, TWIN_SUFFIX, sizeof TWIN_SUFFIX);
        if(has_key(fields, n, key, klen + sizeof TWIN_SUFFIX - 1) || ms_iso(fields[i].value, iso))
            continue;
        t = iso + KIT_ISO_MS_SIZE;
        f[k++] = (struct oc_field){key, iso, OC_FIELD_STRING};
    }
    out->f = f;
    out->n = k;
    return OC_OK;
}

/* The ifs spare a call to free(NULL) per record: nearly every record
 * fits on the stack and needs no copy. */
static void fitted_free(struct fitted *fr)
{
    if(fr->heap_f)
        free(fr->heap_f);
    if(fr->heap_text)
        free(fr->heap_text);
}

/* Hand the record to the host, every value and key holding a secret
 * masked in a copy. */
static oc_status emit_masked(struct oc_instance *in, const char *kind, const char *id,
                             const struct oc_field *fields, size_t n, int clean)
{
    struct oc_record r = {sizeof r, kind, id, n, fields};
    const struct oc_host *host = own_host(in);
    oc_status (*emit)(void *, const struct oc_record *) = HOST_FN(host, emit);
    struct oc_field *copy = NULL;
    char *id_copy = NULL;
    oc_status rc;
    if(!emit)
        return OC_E_INVALID;
    /* Records carry server text (HubSpot's error words, event fields,
     * contact properties); a server that echoes the token must not get it
     * into the host's output, so every record passes the redactor here. */
    int suspect = !clean && may_hold_secret(in, id);
    for(size_t i = 0; i < n && !clean && !suspect; i++)
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
    rc = emit(host->ctx, &r) ? OC_E_CANCELLED : OC_OK;
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
    if(copy)
        free(copy);
    if(id_copy)
        free(id_copy);
    return rc;
}

static oc_status emit(struct oc_instance *in, const char *kind, const char *id,
                      const struct oc_field *fields, size_t n, int clean)
{
    /* A clean record of strings only (every push and lookup result) has
     * nothing to fit and nothing to mask: it goes to the host as it is. */
    size_t strings = 0;
    while(clean && strings < n && fields[strings].type == OC_FIELD_STRING)
        strings++;
    if(clean && strings == n)
        return hs_emit_clean_strings(in, kind, id, fields, n);
    struct fitted fr;
    oc_status rc = fit_record(in, fields, n, &fr);
    if(!rc)
        rc = emit_masked(in, kind, id, fr.f, fr.n, clean);
    fitted_free(&fr);
    return rc;
}

oc_status hs_emit(struct oc_instance *in, const char *kind, const char *id,
                  const struct oc_field *fields, size_t n)
{
    return emit(in, kind, id, fields, n, 0);
}

oc_status hs_emit_clean(struct oc_instance *in, const char *kind, const char *id,
                        const struct oc_field *fields, size_t n)
{
    return emit(in, kind, id, fields, n, 1);
}

oc_status hs_emit_clean_strings(struct oc_instance *in, const char *kind, const char *id,
                                const struct oc_field *fields, size_t n)
{
    const struct oc_host *host = own_host(in);
    oc_status (*host_emit)(void *, const struct oc_record *) = HOST_FN(host, emit);
    struct oc_record r = {sizeof r, kind, id, n, fields};
    if(!host_emit)
        return OC_E_INVALID;
    return host_emit(host->ctx, &r) ? OC_E_CANCELLED : OC_OK;
}
