/* testhost.c - see testhost.h. */
#include "tests/support/testhost.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/json.h"

static void th_log(void *ctx, int level, const char *msg)
{
    struct testhost *t = ctx;
    static const char *names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
    kit_buf_printf(&t->logs, "%s %s\n", level >= 0 && level < 4 ? names[level] : "?", msg);
}

static struct th_kv *find(const struct testhost *t, const char *key)
{
    for(size_t i = 0; i < t->nkv; i++)
        if(!strcmp(t->kv[i].key, key))
            return &t->kv[i];
    return NULL;
}

static oc_status th_get(void *ctx, const char *key, void *buf, size_t bufsize, size_t *len)
{
    struct th_kv *kv = find(ctx, key);
    if(!kv)
        return OC_E_NOT_FOUND;
    *len = kv->len;
    if(bufsize < kv->len)
        return OC_E_RANGE;
    memcpy(buf, kv->value, kv->len);
    return OC_OK;
}

static oc_status th_put(void *ctx, const char *key, const void *value, size_t len)
{
    struct testhost *t = ctx;
    if(t->fail_puts && (!t->fail_key || !strcmp(t->fail_key, key)) && t->puts_left-- <= 0) {
        t->puts_left = 0;
        t->nputs_failed++;
        return OC_E_IO;
    }
    struct th_kv *kv = find(t, key);
    if(!value) {
        if(kv) {
            free(kv->key);
            free(kv->value);
            *kv = t->kv[--t->nkv];
        }
        return OC_OK;
    }
    char *copy = malloc(len + 1);
    if(!copy)
        return OC_E_NOMEM;
    memcpy(copy, value, len);
    copy[len] = '\0';
    if(!kv) {
        struct th_kv *grown = realloc(t->kv, (t->nkv + 1) * sizeof *grown);
        char *k = strdup(key);
        if(!grown || !k) {
            free(copy);
            free(k);
            if(grown)
                t->kv = grown;
            return OC_E_NOMEM;
        }
        t->kv = grown;
        kv = &t->kv[t->nkv++];
        kv->key = k;
        kv->value = NULL;
    }
    free(kv->value);
    kv->value = copy;
    kv->len = len;
    return OC_OK;
}

void th_record_json(const struct oc_record *r, struct kit_buf *out)
{
    struct kit_jw w;
    kit_jw_init(&w, out);
    kit_jw_obj(&w);
    kit_jw_kstr(&w, "kind", r->kind ? r->kind : "");
    for(size_t i = 0; i < r->nfields; i++) {
        const struct oc_field *f = &r->fields[i];
        kit_jw_key(&w, f->key);
        switch(f->type) {
        case OC_FIELD_NUMBER:
        case OC_FIELD_BOOL:
        case OC_FIELD_JSON:
            kit_jw_raw(&w, f->value, strlen(f->value));
            break;
        case OC_FIELD_NULL:
            kit_jw_null(&w);
            break;
        default:
            kit_jw_str(&w, f->value ? f->value : "");
        }
    }
    kit_jw_obj_end(&w);
}

static oc_status th_emit(void *ctx, const struct oc_record *r)
{
    struct testhost *t = ctx;
    if(t->refuse_after && t->nrecords >= (size_t)t->refuse_after) {
        t->nrefused++;
        return OC_E_IO;
    }
    t->nrecords++;
    if(t->keep_records) {
        th_record_json(r, &t->records);
        kit_buf_putc(&t->records, '\n');
    }
    return t->stop_after && (int)t->nrecords >= t->stop_after ? OC_E_CANCELLED : OC_OK;
}

static int64_t th_now(void *ctx) { return ((struct testhost *)ctx)->now_ms; }

static void th_sleep(void *ctx, int64_t ms)
{
    struct testhost *t = ctx;
    if(ms > 0) {
        t->now_ms += ms;
        t->slept_ms += ms;
    }
    t->nsleeps++;
}

static void th_progress(void *ctx, const char *stage, uint64_t done, uint64_t total)
{
    struct testhost *t = ctx;
    if(t->on_progress)
        t->on_progress(ctx, stage, done, total);
}

static int th_cancelled(void *ctx) { return ((struct testhost *)ctx)->cancel; }

void th_init(struct testhost *t, int64_t start_ms)
{
    memset(t, 0, sizeof *t);
    t->now_ms = start_ms;
    t->keep_records = 1;
    t->host.struct_size = sizeof t->host;
    t->host.ctx = t;
    t->host.log = th_log;
    t->host.state_get = th_get;
    t->host.state_put = th_put;
    t->host.emit = th_emit;
    t->host.now_ms = th_now;
    t->host.sleep_ms = th_sleep;
    t->host.cancelled = th_cancelled;
    t->host.progress = th_progress;
    t->host.abi_version = OC_ABI_VERSION_1_1;
}

void th_present_abi(struct testhost *t, uint32_t abi)
{
    if(abi < OC_ABI_VERSION_1_1) {
        /* What a host built against the 1.0 header passes: a struct that
         * ends before abi_version. The member is zeroed too, so a plugin
         * that read past struct_size would see nothing useful. */
        t->host.struct_size = (uint32_t)offsetof(struct oc_host, abi_version);
        t->host.abi_version = 0;
        return;
    }
    t->host.struct_size = sizeof t->host;
    t->host.abi_version = abi;
}

void th_free(struct testhost *t)
{
    for(size_t i = 0; i < t->nkv; i++) {
        free(t->kv[i].key);
        free(t->kv[i].value);
    }
    free(t->kv);
    kit_buf_free(&t->records);
    kit_buf_free(&t->logs);
    memset(t, 0, sizeof *t);
}

void th_advance(struct testhost *t, int64_t ms) { t->now_ms += ms; }

void th_forget_records(struct testhost *t)
{
    kit_buf_reset(&t->records);
    t->nrecords = 0;
}

const char *th_state(const struct testhost *t, const char *key)
{
    struct th_kv *kv = find(t, key);
    return kv ? kv->value : NULL;
}
