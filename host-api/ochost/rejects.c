/* rejects.c - see rejects.h. */
#include "host-api/ochost/rejects.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host-api/ochost/output.h"
#include "host-api/ochost/status.h"
#include "plugin/error.h"
#include "plugin/json.h"

#define REREAD_CHUNK 65536
#define DEFAULT_REASON "failed; see its push_result"

struct och_pending {
    uint64_t line;
    int live;  /* 0 once its result arrived */
    char *raw; /* owned; NULL for a reread entry */
    size_t len;
    struct och_reject_span span;
};

static oc_status same_file_error(struct oc_error *err, const char *path, const char *input_name)
{
    return kit_fail(err, OC_E_CONFIG,
                    "--rejects %s is the same file as the input %s: writing rejects there would "
                    "destroy the input before it is read. Give --rejects a new name (for example "
                    "%s.rejects), then push that file in the next run",
                    path, input_name, path);
}

static oc_status symlink_error(struct oc_error *err, const char *path)
{
    return kit_fail(err, OC_E_CONFIG,
                    "--rejects %s is a symbolic link; ochost does not write contact data through "
                    "one (it could point anywhere): give the path of a regular file",
                    path);
}

oc_status och_rejects_check(const char *path, int input_fd, const char *input_name,
                            struct oc_error *err)
{
    struct stat ls, ps, is;
    if(lstat(path, &ls) != 0)
        return OC_OK; /* created later; open reports what else is wrong */
    if(input_fd >= 0 && stat(path, &ps) == 0 && fstat(input_fd, &is) == 0 && ps.st_dev == is.st_dev
       && ps.st_ino == is.st_ino)
        return same_file_error(err, path, input_name);
    if(S_ISLNK(ls.st_mode))
        return symlink_error(err, path);
    return OC_OK;
}

oc_status och_rejects_open(struct och_rejects *r, const char *path, int csv, const char *header,
                           size_t header_len, int input_fd, struct oc_error *err)
{
    memset(r, 0, sizeof *r);
    r->fd = -1;
    r->input_fd = input_fd;
    r->csv = csv != 0;
    r->sep = csv == ';' || csv == '\t' ? (char)csv : ',';
    r->path = strdup(path);
    if(!r->path)
        return kit_fail(err, OC_E_NOMEM, "out of memory opening %s", path);
    if(header) {
        r->header = malloc(header_len + 1);
        if(!r->header)
            return kit_fail(err, OC_E_NOMEM, "out of memory opening %s", path);
        memcpy(r->header, header, header_len);
        r->header[header_len] = '\0';
        r->header_len = header_len;
    }
    /* Not O_TRUNC: the descriptor is checked against the input first, so
     * a file swapped in after och_rejects_check cannot be emptied. */
    r->fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if(r->fd < 0) {
        if(errno == ELOOP)
            return symlink_error(err, path);
        return kit_fail(err, OC_E_CONFIG, "cannot create rejects file %s: %s; check the --rejects path",
                        path, strerror(errno));
    }
    struct stat rs, is;
    if(fstat(r->fd, &rs) != 0)
        return kit_fail(err, OC_E_CONFIG, "cannot create rejects file %s: %s", path, strerror(errno));
    if(input_fd >= 0 && fstat(input_fd, &is) == 0 && rs.st_dev == is.st_dev && rs.st_ino == is.st_ino) {
        close(r->fd);
        r->fd = -1;
        return same_file_error(err, path, "being read");
    }
    if(S_ISREG(rs.st_mode) && ftruncate(r->fd, 0) != 0)
        return kit_fail(err, OC_E_CONFIG, "cannot empty rejects file %s: %s", path, strerror(errno));
    return OC_OK;
}

/* The header once, in the same write as the first record. */
static void put_header(struct och_rejects *r, struct kit_buf *b)
{
    if(!r->csv || r->header_done || !r->header)
        return;
    kit_buf_append(b, r->header, r->header_len);
    kit_buf_putc(b, r->sep);
    kit_buf_puts(b, OCH_REJECTS_COLUMN "\n");
}

static void csv_quote(struct kit_buf *b, const char *s)
{
    kit_buf_putc(b, '"');
    for(; *s; s++) {
        if(*s == '"')
            kit_buf_putc(b, '"');
        kit_buf_putc(b, *s);
    }
    kit_buf_putc(b, '"');
}

static void json_reason(struct kit_buf *b, const char *reason)
{
    kit_buf_puts(b, "\"" OCH_REJECTS_COLUMN "\":");
    kit_json_quote(b, reason, strlen(reason));
}

static size_t last_nonspace(const char *s, size_t len)
{
    while(len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        len--;
    return len;
}

/* A JSON line with the reason added as its last member, when it is an
 * object; else as read. */
static void json_record(struct kit_buf *b, const char *raw, size_t len, const char *reason)
{
    size_t end = last_nonspace(raw, len), first = 0;
    while(first < end && (raw[first] == ' ' || raw[first] == '\t'))
        first++;
    if(end < 2 || raw[first] != '{' || raw[end - 1] != '}') {
        kit_buf_append(b, raw, len);
        return;
    }
    int empty = last_nonspace(raw + first + 1, end - 1 - first - 1) == 0;
    kit_buf_append(b, raw, end - 1);
    if(!empty)
        kit_buf_putc(b, ',');
    json_reason(b, reason);
    kit_buf_append(b, raw + end - 1, len - (end - 1));
}

static oc_status finish_write(struct och_rejects *r)
{
    if(!kit_buf_ok(&r->line))
        return OC_E_NOMEM;
    if(och_write_line(r->fd, r->line.data, r->line.len))
        return OC_E_IO;
    r->header_done = 1;
    r->written++;
    return OC_OK;
}

/* A long record read again from the input file, in pieces; a failure on
 * the way cuts what went out off the file again, so it still ends on a
 * whole record. */
static oc_status write_reread(struct och_rejects *r, const struct och_reject_span *sp, const char *reason)
{
    struct stat st;
    int regular = fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode);
    off_t start = regular ? lseek(r->fd, 0, SEEK_CUR) : -1;
    char *chunk = malloc(REREAD_CHUNK);
    uint64_t copy = sp->len, done = 0;
    int brace = 0;
    oc_status rc = OC_OK;
    if(!chunk)
        return OC_E_NOMEM;
    if(!r->csv) {
        /* Where the object closes: the reason goes in before it. */
        size_t tail = sp->len < 256 ? (size_t)sp->len : 256;
        ssize_t got = pread(r->input_fd, chunk, tail, (off_t)(sp->off + sp->len - tail));
        if(got == (ssize_t)tail) {
            size_t e = last_nonspace(chunk, tail);
            if(e && chunk[e - 1] == '}') {
                brace = 1;
                copy = sp->len - tail + e - 1;
            }
        }
    }
    kit_buf_reset(&r->line);
    put_header(r, &r->line);
    if(!kit_buf_ok(&r->line) || (r->line.len && och_write_line(r->fd, r->line.data, r->line.len)))
        rc = OC_E_IO;
    while(!rc && done < copy) {
        size_t want = copy - done < REREAD_CHUNK ? (size_t)(copy - done) : REREAD_CHUNK;
        ssize_t got = pread(r->input_fd, chunk, want, (off_t)(sp->off + done));
        if(got <= 0 || och_write_line(r->fd, chunk, (size_t)got))
            rc = OC_E_IO;
        else
            done += (uint64_t)got;
    }
    free(chunk);
    kit_buf_reset(&r->line);
    if(r->csv) {
        kit_buf_putc(&r->line, r->sep);
        csv_quote(&r->line, reason);
    } else if(brace) {
        kit_buf_putc(&r->line, ',');
        json_reason(&r->line, reason);
        kit_buf_putc(&r->line, '}');
    }
    kit_buf_putc(&r->line, '\n');
    if(!rc && (!kit_buf_ok(&r->line) || och_write_line(r->fd, r->line.data, r->line.len)))
        rc = OC_E_IO;
    if(rc) {
        if(start >= 0 && ftruncate(r->fd, start) == 0)
            (void)lseek(r->fd, start, SEEK_SET);
        return rc;
    }
    r->header_done = 1;
    r->written++;
    return OC_OK;
}

static oc_status write_record(struct och_rejects *r, const char *raw, size_t len,
                              const struct och_reject_span *sp, const char *reason)
{
    if(r->fd < 0)
        return OC_E_IO;
    reason = reason && *reason ? reason : DEFAULT_REASON;
    if(sp && sp->reread && r->input_fd >= 0)
        return write_reread(r, sp, reason);
    struct kit_buf why = KIT_BUF_INIT;
    if(sp && sp->len > len) {
        kit_buf_printf(&why,
                      "%s (this record is %llu bytes long and only its first %zu bytes are here: "
                      "the rest was cut, because the input was not a file that can be read again; "
                      "take the record from the original input)",
                      reason, (unsigned long long)sp->len, len);
        if(!kit_buf_ok(&why))
            return OC_E_NOMEM;
        reason = why.data;
    }
    kit_buf_reset(&r->line);
    put_header(r, &r->line);
    if(r->csv) {
        kit_buf_append(&r->line, raw, len);
        kit_buf_putc(&r->line, r->sep);
        csv_quote(&r->line, reason);
    } else if(sp && sp->len > len) {
        /* What is left of a JSON line is not an object: keep it as a
         * string beside the reason. */
        kit_buf_putc(&r->line, '{');
        json_reason(&r->line, reason);
        kit_buf_puts(&r->line, ",\"ochost_cut_text\":");
        kit_json_quote(&r->line, raw, len);
        kit_buf_putc(&r->line, '}');
    } else {
        json_record(&r->line, raw, len, reason);
    }
    kit_buf_putc(&r->line, '\n');
    kit_buf_free(&why);
    return finish_write(r);
}

oc_status och_rejects_write(struct och_rejects *r, const char *raw, size_t len,
                            const struct och_reject_span *span, const char *reason)
{
    return write_record(r, raw, len, span, reason);
}

static void forget(struct och_rejects *r, struct och_pending *p)
{
    r->bytes -= p->len;
    free(p->raw);
    p->raw = NULL;
    p->len = 0;
    p->live = 0;
}

static void drop_front(struct och_rejects *r)
{
    while(r->n && !r->q[r->head].live) {
        r->head++;
        r->n--;
    }
    if(!r->n)
        r->head = 0;
}

static void evict_oldest(struct och_rejects *r)
{
    forget(r, &r->q[r->head]);
    /* Remember that it is gone: a failure for it can then be reported. */
    r->evicted++;
    drop_front(r);
}

oc_status och_rejects_keep(struct och_rejects *r, uint64_t line, const char *raw, size_t len,
                           const struct och_reject_span *span)
{
    struct och_reject_span sp = {0};
    if(span)
        sp = *span;
    if(sp.reread)
        len = 0; /* only its place is kept */
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
    char *copy = NULL;
    if(!sp.reread) {
        copy = malloc(len + 1);
        if(!copy)
            return OC_E_NOMEM;
        memcpy(copy, raw, len);
        copy[len] = '\0';
    }
    r->q[r->head + r->n++] = (struct och_pending){line, 1, copy, len, sp};
    r->bytes += len;
    return OC_OK;
}

oc_status och_rejects_result(struct och_rejects *r, uint64_t line, int failed, const char *reason)
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
    if(lo < r->head + r->n && r->q[lo].line == line && r->q[lo].live) {
        struct och_pending *p = &r->q[lo];
        if(failed)
            rc = write_record(r, p->raw, p->len, &p->span, reason);
        forget(r, p);
        drop_front(r);
    } else if(failed && r->evicted) {
        r->lost++;
        fprintf(stderr, "ochost: warning: line %llu failed but its text was no longer kept; it is not in %s\n",
                (unsigned long long)line, r->path);
    }
    return rc;
}

uint64_t och_rejects_unanswered(const struct och_rejects *r)
{
    uint64_t n = 0;
    for(size_t i = r->head; i < r->head + r->n; i++)
        n += r->q[i].live;
    return n;
}

oc_status och_rejects_close(struct och_rejects *r, const char *unanswered_reason, struct oc_error *err)
{
    oc_status rc = OC_OK;
    uint64_t unanswered = 0;
    for(size_t i = r->head; i < r->head + r->n; i++) {
        struct och_pending *p = &r->q[i];
        if(!p->live)
            continue;
        if(r->fd >= 0) {
            if(write_record(r, p->raw, p->len, &p->span,
                            unanswered_reason ? unanswered_reason : "no result from the plugin; re-run it"))
                rc = OC_E_IO;
            unanswered++;
        }
        forget(r, p);
    }
    if(unanswered)
        fprintf(stderr, "ochost: warning: %llu inputs got no result from the plugin; they are in %s\n",
                (unsigned long long)unanswered, r->path);
    int saved = errno;
    if(r->fd >= 0 && (close(r->fd) || rc))
        rc = kit_fail(err, OC_E_IO, "cannot write rejects file %s: %s", r->path,
                      strerror(rc ? saved : errno));
    free(r->q);
    free(r->header);
    free(r->path);
    kit_buf_free(&r->line);
    memset(r, 0, sizeof *r);
    r->fd = -1;
    return rc;
}
