/*
 * push_item.c - the push's items and results, and what a request's answer
 * means for the run (see push_item.h). It calls only host.c and the kit.
 */
#include "hubspot/push_item.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/host.h"
#include "plugin/error.h"

/* A block on a free list is poisoned under AddressSanitizer, so a use
 * of an item after its free is still caught though the block is not
 * given back to malloc. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POOL_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define POOL_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POOL_POISON(p, n) ((void)(p), (void)(n))
#define POOL_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

static inline size_t class_bytes(unsigned cls) { return ((size_t)cls + 1) * HS_PUSH_POOL_GRAIN; }

/* Inlined: a push takes and gives back two blocks per input. */
static inline __attribute__((always_inline)) void pool_put(struct hs_push_pool *pool, unsigned cls,
                                                           void *block)
{
    if(pool->nfree[cls] >= HS_PUSH_POOL_KEEP) {
        pool->bytes -= class_bytes(cls);
        free(block);
        return;
    }
    memcpy(block, &pool->free[cls], sizeof(void *));
    POOL_POISON(block, class_bytes(cls));
    pool->free[cls] = block;
    pool->nfree[cls]++;
}

static inline __attribute__((always_inline)) void *pool_take(struct hs_push_pool *pool, unsigned cls)
{
    void *block = pool->free[cls];
    if(!block) {
        block = malloc(class_bytes(cls));
        if(block) {
            pool->bytes += class_bytes(cls);
            if(pool->bytes > pool->peak)
                pool->peak = pool->bytes;
        }
        return block;
    }
    POOL_UNPOISON(block, class_bytes(cls));
    memcpy(&pool->free[cls], block, sizeof(void *));
    pool->nfree[cls]--;
    return block;
}

void hs_push_pool_free(struct hs_push_pool *pool)
{
    if(!pool)
        return;
    for(unsigned cls = 0; cls < HS_PUSH_POOL_CLASSES; cls++)
        while(pool->free[cls]) {
            void *block = pool->free[cls];
            POOL_UNPOISON(block, class_bytes(cls));
            memcpy(&pool->free[cls], block, sizeof(void *));
            free(block);
        }
    memset(pool, 0, sizeof *pool);
}

size_t hs_push_pool_bytes(const struct hs_push_pool *pool) { return pool->bytes; }

size_t hs_push_pool_peak_bytes(const struct hs_push_pool *pool) { return pool->peak; }

/* A block of class cls from pool, or malloc'd alone (pool NULL). */
static inline void block_put(struct hs_push_pool *pool, unsigned cls, void *block)
{
    if(pool)
        pool_put(pool, cls, block);
    else
        free(block);
}

static void item_free_one(struct hs_push_item *it)
{
    if(it->json_apart)
        free(it->json);
    if(it->upsert)
        block_put(it->pool, it->upsert_class, it->upsert);
    if(it->record_id && it->record_id != it->id_text)
        free(it->record_id);
    if(it->error)
        free(it->error);
    block_put(it->pool, it->pool_class, it);
}

/* Copy s[0..n) and its NUL to *p, advancing it; the copy. */
static char *put_text(char **p, const char *s, size_t n)
{
    char *at = *p;
    memcpy(at, s, n);
    at[n] = '\0';
    *p += n + 1;
    return at;
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGH UINT64_C(0x8080808080808080)

/* to[0..n) = from[0..n) with ASCII A-Z lowercased (other bytes, UTF-8
 * included, as they are), eight bytes a step: a byte at a time this was
 * a third of making an item. */
static void lower_ascii(char *to, const char *from, size_t n)
{
    size_t i = 0;
    for(; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, from + i, 8);
        /* 0x20 on the bytes >= 'A' and <= 'Z' with the high bit clear */
        uint64_t low7 = w & ~HIGH;
        uint64_t ge_a = low7 + ONES * (0x80 - 'A'), gt_z = low7 + ONES * (0x80 - 'Z' - 1);
        w |= (ge_a & ~gt_z & ~w & HIGH) >> 2;
        memcpy(to + i, &w, 8);
    }
    if(i < n && n >= 8) {
        /* the last eight again, overlapping bytes already done (they come
         * out the same): no byte loop for the rest */
        uint64_t w;
        memcpy(&w, from + n - 8, 8);
        uint64_t low7 = w & ~HIGH;
        uint64_t ge_a = low7 + ONES * (0x80 - 'A'), gt_z = low7 + ONES * (0x80 - 'Z' - 1);
        w |= (ge_a & ~gt_z & ~w & HIGH) >> 2;
        memcpy(to + n - 8, &w, 8);
        return;
    }
    for(; i < n; i++)
        to[i] = from[i] >= 'A' && from[i] <= 'Z' ? (char)(from[i] - 'A' + 'a') : from[i];
}

struct hs_push_item *hs_push_item_new(uint64_t ord, const char *input, size_t ilen, const char *email,
                                      size_t elen, int key, const char *json, size_t jlen)
{
    return hs_push_item_new_in(NULL, ord, input, ilen, email, elen, key, json, jlen);
}

static inline size_t class_of(size_t bytes) { return (bytes - 1) / HS_PUSH_POOL_GRAIN; }

struct hs_push_item *hs_push_item_new_in(struct hs_push_pool *pool, uint64_t ord, const char *input,
                                         size_t ilen, const char *email, size_t elen, int key,
                                         const char *json, size_t jlen)
{
    /* Two blocks per input whatever its strings: the item with what its
     * result needs, and the upsert part, given back on its own. */
    size_t size = sizeof(struct hs_push_item) + ilen + 1 + (email ? elen + 1 : 0);
    size_t usize = (email && key ? elen + 1 : 0) + (json ? jlen + 1 : 0);
    if(jlen > UINT32_MAX)
        return NULL; /* 4 GiB of one input's upsert object: no push takes that */
    size_t cls = class_of(size), ucls = usize ? class_of(usize) : 0;
    if(pool && (cls >= HS_PUSH_POOL_CLASSES || ucls >= HS_PUSH_POOL_CLASSES))
        pool = NULL; /* kept out of the pool whole: its blocks go back as they came */
    struct hs_push_item *it = pool ? pool_take(pool, (unsigned)cls) : malloc(size);
    if(!it)
        return NULL;
    char *u = NULL;
    if(usize && !(u = pool ? pool_take(pool, (unsigned)ucls) : malloc(usize))) {
        block_put(pool, (unsigned)cls, it);
        return NULL;
    }
    /* Stores the compiler sees the size of, not a memset call. */
    *it = (struct hs_push_item){.ord = ord, .pool = pool, .upsert = u,
                                .pool_class = (unsigned char)cls, .upsert_class = (unsigned char)ucls};
    char *p = it->text;
    it->input = put_text(&p, input, ilen);
    if(email) {
        it->email = put_text(&p, email, elen);
        if(key) {
            it->key = u;
            lower_ascii(u, email, elen);
            u[elen] = '\0';
            u += elen + 1;
        }
    }
    if(json) {
        it->json = put_text(&u, json, jlen);
        it->json_len = (uint32_t)jlen;
    }
    return it;
}

int hs_push_item_set_id(struct hs_push_item *it, const char *id, size_t len)
{
    hs_push_item_clear_id(it);
    char *to = len < sizeof it->id_text ? it->id_text : malloc(len + 1);
    if(!to)
        return -1;
    memcpy(to, id, len);
    to[len] = '\0';
    it->record_id = to;
    return 0;
}

void hs_push_item_clear_id(struct hs_push_item *it)
{
    if(it->record_id && it->record_id != it->id_text)
        free(it->record_id);
    it->record_id = NULL;
}

void hs_push_item_set_json(struct hs_push_item *it, char *json, size_t len)
{
    if(it->json_apart)
        free(it->json);
    it->json = json;
    it->json_len = json ? (uint32_t)len : 0;
    it->json_apart = json != NULL;
}

void hs_push_item_drop_upsert(struct hs_push_item *it)
{
    if(it->json_apart)
        free(it->json);
    if(it->upsert)
        block_put(it->pool, it->upsert_class, it->upsert);
    it->upsert = it->key = it->json = NULL;
    it->json_len = 0;
    it->json_apart = 0;
}

void hs_push_item_free(struct hs_push_item *it)
{
    if(!it)
        return;
    /* Copies never have copies of their own: one level. */
    for(struct hs_push_item *c = it->copies, *next; c; c = next) {
        next = c->copy_next;
        item_free_one(c);
    }
    item_free_one(it);
}

/* Make the message in b it's error (b is emptied). */
static void fail_with(struct hs_push_item *it, struct kit_buf *b)
{
    free(it->error);
    it->error = kit_buf_take(b);
    if(!it->error)
        it->error = strdup("failed (out of memory while describing why)");
    it->status = HS_PUSH_FAILED;
    /* Error texts quote HubSpot's words and the input's own: the result is
     * scanned whole (failures are few). */
    it->suspect = 1;
}

void hs_push_item_fail(struct hs_push_item *it, const char *fmt, ...)
{
    struct kit_buf b = KIT_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    kit_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    fail_with(it, &b);
}

void hs_push_item_fail_parts(struct hs_push_item *it, const char *const *part, const size_t *len,
                             size_t n)
{
    struct kit_buf b = KIT_BUF_INIT;
    size_t total = 0;
    for(size_t i = 0; i < n; i++)
        total += len[i];
    kit_buf_reserve(&b, total);
    for(size_t i = 0; i < n; i++)
        kit_buf_append(&b, part[i], len[i]);
    fail_with(it, &b);
}

static const char *status_name(int s)
{
    return s == HS_PUSH_ADDED ? "added" : s == HS_PUSH_ALREADY ? "already_member" : "failed";
}

/* Keys and status are the plugin's words: only these four strings can
 * carry an input's or HubSpot's text. Judged with the test hs_emit would
 * apply to every key and value, a result found clean (most failures: an
 * invalid address and the plugin's message about it) skips hs_emit's
 * generic pass; one that is not is masked by it. Out of line: inlined, it
 * cost every clean result more registers to save than it saves a failed
 * one. */
static __attribute__((noinline)) int texts_clean(const struct oc_instance *in, const char *input,
                                                 const char *email, const char *id,
                                                 const char *error)
{
    return !hs_text_may_hold_secret(in, input) && !hs_text_may_hold_secret(in, email) &&
           !hs_text_may_hold_secret(in, id) && !hs_text_may_hold_secret(in, error);
}

oc_status hs_push_result_emit(struct oc_instance *in, const char *input, const char *email,
                              const char *id, int status, const char *error, int clean)
{
    struct oc_field f[5];
    size_t n = 0;
    f[n++] = (struct oc_field){"input", input, OC_FIELD_STRING};
    if(email)
        f[n++] = (struct oc_field){"email", email, OC_FIELD_STRING};
    if(id)
        f[n++] = (struct oc_field){"id", id, OC_FIELD_STRING};
    f[n++] = (struct oc_field){"status", status_name(status), OC_FIELD_STRING};
    if(status == HS_PUSH_FAILED)
        f[n++] = (struct oc_field){"error", error ? error : "failed", OC_FIELD_STRING};
    if(!clean)
        clean = texts_clean(in, input, email, id, status == HS_PUSH_FAILED ? error : NULL);
    /* Every field is a string: nothing for hs_emit to fit. */
    return clean ? hs_emit_clean_strings(in, "push_result", input, f, n)
                 : hs_emit(in, "push_result", input, f, n);
}

int hs_push_is_stop(oc_status rc)
{
    /* Each of these would hit every following call too: budget or daily
     * limit used up, HubSpot unreachable past retries, token refused, TLS
     * broken, the host cancelling, or our memory gone. */
    return rc == OC_E_BUDGET || rc == OC_E_TRANSIENT || rc == OC_E_AUTH || rc == OC_E_CONFIG ||
           rc == OC_E_CANCELLED || rc == OC_E_NOMEM;
}

static oc_status req_failv(struct oc_error *err, const struct kit_http_req *r, oc_status rc,
                           const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
static oc_status req_failv(struct oc_error *err, const struct kit_http_req *r, oc_status rc,
                           const char *fmt, va_list ap)
{
    char msg[OC_ERROR_MESSAGE_SIZE];
    vsnprintf(msg, sizeof msg, fmt, ap);
    kit_fail(err, rc, "%s", msg);
    if(KIT_ERR_HAS(err, category)) {
        err->http_status = r->status ? (int)r->status : r->err.http_status;
        err->retryable = r->err.retryable;
        err->retry_after_ms = r->err.retry_after_ms;
        memcpy(err->correlation_id, r->err.correlation_id, sizeof err->correlation_id);
        memcpy(err->category, r->err.category, sizeof err->category);
    }
    return rc;
}

oc_status hs_push_req_fail(struct oc_error *err, const struct kit_http_req *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    oc_status rc = req_failv(err, r, r->rc, fmt, ap);
    va_end(ap);
    return rc;
}

oc_status hs_push_req_stop(struct oc_error *err, const struct kit_http_req *r, oc_status rc,
                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    req_failv(err, r, rc, fmt, ap);
    va_end(ap);
    return rc;
}
