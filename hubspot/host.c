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

int hs_ms_time_name(const char *key, size_t len)
{
    /* HubSpot names them "created" (an email event's own time, its
     * EventId) and "<object>_created" once flattened (sent_by_created,
     * obsoleted_by_created, caused_by_created: API-NOTES.md, email
     * events); the CRM v3 objects send ISO 8601 text already. */
    static const char suffix[] = "_created";
    const size_t slen = sizeof suffix - 1;
    if(len == 7)
        return !memcmp(key, "created", 7);
    return len > slen && !memcmp(key + len - slen, suffix, slen);
}

#define TWIN_SUFFIX "_at"

int hs_twin_suffixed(const char *key, size_t len)
{
    return len >= sizeof TWIN_SUFFIX - 1 &&
           !memcmp(key + len - (sizeof TWIN_SUFFIX - 1), TWIN_SUFFIX, sizeof TWIN_SUFFIX - 1);
}

/* Whether field f holds a time in milliseconds since the epoch: a number
 * under a name hs_ms_time_name accepts. */
static int is_ms_time(const struct oc_field *f)
{
    return f->type == OC_FIELD_NUMBER && f->key && f->value && hs_ms_time_name(f->key, strlen(f->key));
}

static int has_key(const struct oc_field *fields, size_t n, const char *key)
{
    for(size_t i = 0; i < n; i++)
        if(fields[i].key && fields[i].key[0] == key[0] && !strcmp(fields[i].key, key))
            return 1;
    return 0;
}

/* The date part of kit_iso_ms's text for the days seen last (per thread:
 * instances may run in threads). A page's times share a day or two, and
 * formatting a date costs far more than writing the time of day. */
#define ISO_MEMO 4
#define DAY_MS 86400000
static _Thread_local struct iso_day {
    int64_t day; /* -1: empty */
    char text[KIT_ISO_MS_SIZE];
} iso_memo[ISO_MEMO] = {{-1, ""}, {-1, ""}, {-1, ""}, {-1, ""}};

static void put2(char *at, unsigned v)
{
    at[0] = (char)('0' + v / 10);
    at[1] = (char)('0' + v % 10);
}

/* kit_iso_ms(ms), its date from the memo of its day when it holds it. */
static int iso_ms(int64_t ms, char out[KIT_ISO_MS_SIZE])
{
    if(ms < 0)
        return kit_iso_ms(ms, out);
    int64_t day = ms / DAY_MS;
    struct iso_day *m = &iso_memo[(uint64_t)day % ISO_MEMO];
    if(m->day != day) {
        /* kit_iso_ms's range ends at a day's end: a day whose start it
         * writes holds only times it writes. */
        if(kit_iso_ms(day * DAY_MS, m->text)) {
            m->day = -1;
            return kit_iso_ms(ms, out);
        }
        m->day = day;
    }
    /* "YYYY-MM-DDT" stays; "HH:MM:SS.mmmZ" is this time's. */
    unsigned r = (unsigned)(ms % DAY_MS);
    memcpy(out, m->text, KIT_ISO_MS_SIZE);
    put2(out + 11, r / 3600000u);
    put2(out + 14, r / 60000u % 60u);
    put2(out + 17, r / 1000u % 60u);
    out[20] = (char)('0' + r / 100u % 10u);
    put2(out + 21, r % 100u);
    return 0;
}

/* The ISO 8601 text for an ms field's value into out: 0, or -1 when the
 * value is not a whole number of ms in years 0000..9999 (no twin then).
 * Plain digits (every number a page holds) are read here; anything else
 * (a sign, spaces, 19 digits) goes to strtoll, which says what it is. */
static int ms_iso(const char *value, char out[KIT_ISO_MS_SIZE])
{
    int64_t v = 0;
    size_t i = 0;
    for(; i < 18 && value[i] >= '0' && value[i] <= '9'; i++)
        v = v * 10 + (value[i] - '0');
    if(i && !value[i])
        return iso_ms(v, out);
    char *end;
    errno = 0;
    long long ll = strtoll(value, &end, 10);
    if(errno || end == value || *end)
        return -1;
    return iso_ms((int64_t)ll, out);
}

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
    uint32_t *heap_ms;
    struct oc_field stack_f[FIT_STACK_FIELDS];
    char stack_text[FIT_STACK_TEXT];
};

/* The record fitted, known->ms naming the candidates for twins (every
 * field named as an ms time, ascending; each is checked to be a number
 * here) and known->twin_named whether a twin's name may be taken. */
static oc_status fit_known(const struct oc_instance *in, const struct oc_field *fields, size_t n,
                           const struct hs_record_known *known, struct fitted *out)
{
    int json_ok = kit_host_takes_json(in->host);
    size_t text = 0;
    for(size_t m = 0; m < known->nms; m++)
        if(known->ms[m] < n && is_ms_time(&fields[known->ms[m]]))
            text += strlen(fields[known->ms[m]].key) + sizeof TWIN_SUFFIX + KIT_ISO_MS_SIZE;
    if(!text && json_ok)
        return OC_OK;
    size_t cap = n + known->nms;
    struct oc_field *f = out->stack_f;
    char *t = out->stack_text;
    if(cap > FIT_STACK_FIELDS && !(f = out->heap_f = malloc(cap * sizeof *f)))
        return OC_E_NOMEM;
    if(text > FIT_STACK_TEXT && !(t = out->heap_text = malloc(text)))
        return OC_E_NOMEM;
    size_t k = 0, from = 0;
    for(size_t m = 0; m < known->nms; m++) {
        size_t at = known->ms[m];
        if(at < from || at >= n || !is_ms_time(&fields[at]))
            continue;
        /* The fields up to this one as they are, then its twin. */
        memcpy(f + k, fields + from, (at + 1 - from) * sizeof *f);
        k += at + 1 - from;
        from = at + 1;
        size_t klen = strlen(fields[at].key);
        char *key = t, *iso = t + klen + sizeof TWIN_SUFFIX;
        memcpy(key, fields[at].key, klen);
        memcpy(key + klen, TWIN_SUFFIX, sizeof TWIN_SUFFIX);
        if((known->twin_named && has_key(fields, n, key)) || ms_iso(fields[at].value, iso))
            continue;
        t = iso + KIT_ISO_MS_SIZE;
        f[k++] = (struct oc_field){key, iso, OC_FIELD_STRING};
    }
    memcpy(f + k, fields + from, (n - from) * sizeof *f);
    k += n - from;
    if(!json_ok)
        for(size_t i = 0; i < k; i++)
            if(f[i].type == OC_FIELD_JSON)
                f[i].type = OC_FIELD_STRING;
    out->f = f;
    out->n = k;
    return OC_OK;
}

static oc_status fit_record(const struct oc_instance *in, const struct oc_field *fields, size_t n,
                            const struct hs_record_known *known, struct fitted *out)
{
    out->f = fields;
    out->n = n;
    out->heap_f = NULL;
    out->heap_text = NULL;
    out->heap_ms = NULL;
    if(known)
        return fit_known(in, fields, n, known, out);
    /* What the maker did not say is found here: one look at each field's
     * type (most records, every push and lookup result, are all strings),
     * a name's look for each number. */
    uint32_t stack_ms[FIT_STACK_FIELDS], *ms = stack_ms;
    size_t nms = 0, json = 0;
    for(size_t i = 0; i < n; i++) {
        if(fields[i].type == OC_FIELD_STRING)
            continue;
        json += fields[i].type == OC_FIELD_JSON;
        if(!is_ms_time(&fields[i]))
            continue;
        if(nms == FIT_STACK_FIELDS) {
            if(!(out->heap_ms = malloc(n * sizeof *ms)))
                return OC_E_NOMEM;
            ms = memcpy(out->heap_ms, stack_ms, sizeof stack_ms);
        }
        ms[nms++] = (uint32_t)i;
    }
    if(!nms && (!json || kit_host_takes_json(in->host)))
        return OC_OK;
    /* Any field may be named like a twin: each twin's name is looked for. */
    struct hs_record_known found = {ms, nms, 1};
    return fit_known(in, fields, n, &found, out);
}

/* The ifs spare a call to free(NULL) per record: nearly every record
 * fits on the stack and needs no copy. */
static void fitted_free(struct fitted *fr)
{
    if(fr->heap_f)
        free(fr->heap_f);
    if(fr->heap_text)
        free(fr->heap_text);
    if(fr->heap_ms)
        free(fr->heap_ms);
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
                      const struct oc_field *fields, size_t n, int clean,
                      const struct hs_record_known *known)
{
    /* A clean record of strings only (every push and lookup result) has
     * nothing to fit and nothing to mask: it goes to the host as it is. */
    size_t strings = 0;
    while(clean && strings < n && fields[strings].type == OC_FIELD_STRING)
        strings++;
    if(clean && strings == n)
        return hs_emit_clean_strings(in, kind, id, fields, n);
    struct fitted fr;
    oc_status rc = fit_record(in, fields, n, known, &fr);
    if(!rc)
        rc = emit_masked(in, kind, id, fr.f, fr.n, clean);
    fitted_free(&fr);
    return rc;
}

oc_status hs_emit(struct oc_instance *in, const char *kind, const char *id,
                  const struct oc_field *fields, size_t n)
{
    return emit(in, kind, id, fields, n, 0, NULL);
}

oc_status hs_emit_clean(struct oc_instance *in, const char *kind, const char *id,
                        const struct oc_field *fields, size_t n)
{
    return emit(in, kind, id, fields, n, 1, NULL);
}

oc_status hs_emit_clean_known(struct oc_instance *in, const char *kind, const char *id,
                              const struct oc_field *fields, size_t n,
                              const struct hs_record_known *known)
{
    return emit(in, kind, id, fields, n, 1, known);
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
