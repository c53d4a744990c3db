/* rejects.c - see rejects.h. */
#include "host-api/ochost/rejects.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host-api/ochost/status.h"

struct och_pending {
    uint64_t line;
    char *raw; /* NULL once its result arrived */
    size_t len;
};

oc_status och_rejects_open(struct och_rejects *r, const char *path, const char *header,
                           size_t header_len, struct oc_error *err)
{
    memset(r, 0, sizeof *r);
    r->path = strdup(path);
    if(!r->path)
        return och_fail(err, OC_E_NOMEM, "out of memory opening %s", path);
    if(header) {
        r->header = malloc(header_len + 1);
        if(!r->header)
            return och_fail(err, OC_E_NOMEM, "out of memory opening %s", path);
        memcpy(r->header, header, header_len);
        r->header[header_len] = '\0';
        r->header_len = header_len;
    }
    r->out = fopen(path, "w");
    if(!r->out)
        return och_fail(err, OC_E_CONFIG, "cannot create rejects file %s: %s; check the --rejects path",
                        path, strerror(errno));
    return OC_OK;
}

static oc_status write_raw(struct och_rejects *r, const char *raw, size_t len)
{
    if(r->header && !r->header_done) {
        fwrite(r->header, 1, r->header_len, r->out);
        fputc('\n', r->out);
        r->header_done = 1;
    }
    fwrite(raw, 1, len, r->out);
    if(fputc('\n', r->out) == EOF || ferror(r->out))
        return OC_E_IO;
    r->written++;
    return OC_OK;
}

static void drop_front(struct och_rejects *r)
{
    while(r->n && !r->q[r->head].raw) {
        r->head++;
        r->n--;
    }
    if(!r->n)
        r->head = 0;
}

static void evict_oldest(struct och_rejects *r)
{
    struct och_pending *p = &r->q[r->head];
    r->bytes -= p->len;
    free(p->raw);
    p->raw = NULL;
    p->len = 0;
    /* Remember that it is gone: a failure for it can then be reported. */
    r->evicted++;
    drop_front(r);
}

oc_status och_rejects_keep(struct och_rejects *r, uint64_t line, const char *raw, size_t len)
{
    while(r->n && (r->n >= OCH_REJECTS_MAX_PENDING || r->bytes + len > OCH_REJECTS_MAX_BYTES)) {
        if(!r->evicted)
            fprintf(stderr,
                    "ochost: warning: more than %u inputs (or %u MB of their text) await results; the "
                    "oldest are no longer kept for %s\n",
                    OCH_REJECTS_MAX_PENDING, OCH_REJECTS_MAX_BYTES / (1024u * 1024u), r->path);
        evict_oldest(r);
    }
    if(r->head + r->n == r->cap) {
        if(r->head > r->cap / 2) {
            memmove(r->q, r->q + r->head, r->n * sizeof *r->q);
            r->head = 0;
        } else {
            size_t nc = r->cap ? r->cap * 2 : 256;
            struct och_pending *q = realloc(r->q, nc * sizeof *q);
            if(!q)
                return OC_E_NOMEM;
            r->q = q;
            r->cap = nc;
        }
    }
    char *copy = malloc(len + 1);
    if(!copy)
        return OC_E_NOMEM;
    memcpy(copy, raw, len);
    copy[len] = '\0';
    r->q[r->head + r->n++] = (struct och_pending){line, copy, len};
    r->bytes += len;
    return OC_OK;
}

oc_status och_rejects_result(struct och_rejects *r, uint64_t line, int failed)
{
    size_t lo = r->head, hi = r->head + r->n;
    while(lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if(r->q[mid].line < line)
            lo = mid + 1;
        else
            hi = mid;
    }
    oc_status rc = OC_OK;
    if(lo < r->head + r->n && r->q[lo].line == line && r->q[lo].raw) {
        struct och_pending *p = &r->q[lo];
        if(failed)
            rc = write_raw(r, p->raw, p->len);
        r->bytes -= p->len;
        free(p->raw);
        p->raw = NULL;
        drop_front(r);
    } else if(failed && r->evicted) {
        r->lost++;
        fprintf(stderr, "ochost: warning: line %llu failed but its text was no longer kept; it is not in %s\n",
                (unsigned long long)line, r->path);
    }
    return rc;
}

oc_status och_rejects_close(struct och_rejects *r, int flush_pending, struct oc_error *err)
{
    oc_status rc = OC_OK;
    uint64_t unanswered = 0;
    for(size_t i = r->head; i < r->head + r->n; i++) {
        if(!r->q[i].raw)
            continue;
        if(flush_pending && r->out) {
            if(write_raw(r, r->q[i].raw, r->q[i].len))
                rc = OC_E_IO;
            unanswered++;
        }
        free(r->q[i].raw);
    }
    if(unanswered)
        fprintf(stderr, "ochost: warning: %llu inputs got no result from the plugin; they are in %s\n",
                (unsigned long long)unanswered, r->path);
    if(r->out && (fclose(r->out) || rc))
        rc = och_fail(err, OC_E_IO, "cannot write rejects file %s: %s", r->path, strerror(errno));
    free(r->q);
    free(r->header);
    free(r->path);
    memset(r, 0, sizeof *r);
    return rc;
}
