/* emit_ref.c - see emit_ref.h. */
#include "tests/support/emit_ref.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/host.h"
#include "plugin/record.h"
#include "plugin/redact.h"

static int is_ms_time(const struct oc_field *f)
{
    static const char suffix[] = "_created";
    if(f->type != OC_FIELD_NUMBER || !f->key || !f->value)
        return 0;
    size_t len = strlen(f->key);
    return !strcmp(f->key, "created") ||
           (len > sizeof suffix - 1 && !strcmp(f->key + len - (sizeof suffix - 1), suffix));
}

static int has_key(const struct oc_field *fields, size_t n, const char *key)
{
    for(size_t i = 0; i < n; i++)
        if(fields[i].key && !strcmp(fields[i].key, key))
            return 1;
    return 0;
}

static int ms_iso(const char *value, char out[KIT_ISO_MS_SIZE])
{
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if(errno || end == value || *end)
        return -1;
    return kit_iso_ms((int64_t)v, out);
}

static char *dup_or_null(const char *s, int *oom)
{
    char *c = s ? strdup(s) : NULL;
    if(s && !c)
        *oom = 1;
    return c;
}

static char *masked(const char *s, int *oom)
{
    char *c = dup_or_null(s, oom);
    if(c)
        kit_redact_value(c);
    return c;
}

oc_status emit_ref_copy(const struct oc_record *r, struct emit_ref_record *out)
{
    int oom = 0;
    memset(out, 0, sizeof *out);
    out->kind = dup_or_null(r->kind, &oom);
    out->id = dup_or_null(r->id, &oom);
    out->fields = calloc(r->nfields ? r->nfields : 1, sizeof *out->fields);
    if(!out->fields)
        oom = 1;
    for(size_t i = 0; out->fields && i < r->nfields; i++) {
        out->fields[i].type = r->fields[i].type;
        out->fields[i].key = dup_or_null(r->fields[i].key, &oom);
        out->fields[i].value = dup_or_null(r->fields[i].value, &oom);
        out->n = i + 1;
    }
    if(oom) {
        emit_ref_record_free(out);
        return OC_E_NOMEM;
    }
    return OC_OK;
}

oc_status emit_ref(const struct oc_instance *in, const char *kind, const char *id,
                   const struct oc_field *fields, size_t n, int clean, struct emit_ref_record *out)
{
    int oom = 0;
    int json_ok = kit_host_takes_json(in->host);
    struct oc_field *f = calloc(2 * n + 1, sizeof *f);
    char **twin = calloc(2 * n + 1, sizeof *twin);
    memset(out, 0, sizeof *out);
    if(!f || !twin) {
        free(f);
        free(twin);
        return OC_E_NOMEM;
    }
    size_t k = 0, t = 0;
    for(size_t i = 0; i < n; i++) {
        f[k] = fields[i];
        if(f[k].type == OC_FIELD_JSON && !json_ok)
            f[k].type = OC_FIELD_STRING;
        k++;
        if(!is_ms_time(&fields[i]))
            continue;
        size_t klen = strlen(fields[i].key);
        char iso[KIT_ISO_MS_SIZE];
        char *key = malloc(klen + 4);
        if(!key) {
            oom = 1;
            break;
        }
        memcpy(key, fields[i].key, klen);
        memcpy(key + klen, "_at", 4);
        if(has_key(fields, n, key) || ms_iso(fields[i].value, iso)) {
            free(key);
            continue;
        }
        twin[t++] = key;
        char *value = strdup(iso);
        if(!value) {
            oom = 1;
            break;
        }
        twin[t++] = value;
        f[k++] = (struct oc_field){key, value, OC_FIELD_STRING};
    }
    int suspect = !clean && hs_text_may_hold_secret(in, id);
    for(size_t i = 0; i < k && !clean && !suspect; i++)
        suspect = hs_text_may_hold_secret(in, f[i].value) || hs_text_may_hold_secret(in, f[i].key);
    oc_status rc = OC_E_NOMEM;
    if(!oom) {
        struct oc_record r = {sizeof r, kind, id, k, f};
        rc = emit_ref_copy(&r, out);
    }
    if(!rc && suspect) {
        char *mid = masked(out->id, &oom);
        free(out->id);
        out->id = mid;
        for(size_t i = 0; i < out->n; i++) {
            char *mk = masked(out->fields[i].key, &oom), *mv = masked(out->fields[i].value, &oom);
            free((char *)out->fields[i].key);
            free((char *)out->fields[i].value);
            out->fields[i].key = mk;
            out->fields[i].value = mv;
        }
        if(oom) {
            emit_ref_record_free(out);
            rc = OC_E_NOMEM;
        }
    }
    for(size_t i = 0; i < t; i++)
        free(twin[i]);
    free(twin);
    free(f);
    return rc;
}

void emit_ref_record_free(struct emit_ref_record *out)
{
    if(!out)
        return;
    for(size_t i = 0; out->fields && i < out->n; i++) {
        free((char *)out->fields[i].key);
        free((char *)out->fields[i].value);
    }
    free(out->fields);
    free(out->kind);
    free(out->id);
    memset(out, 0, sizeof *out);
}
