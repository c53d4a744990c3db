/* state.c - the JSON state file; see state.h. */
#include "host-api/ochost/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host-api/ochost/status.h"
#include "plugin/openerr.h"
#include "plugin/buf.h"
#include "plugin/error.h"
#include "plugin/json.h"
#include "plugin/text.h"
#include "plugin/utf8.h"
#include "plugin/clock.h"

/* A state file this large is not something the plugin wrote. */
#define STATE_MAX_BYTES (64u * 1024u * 1024u)

static void kv_free_all(struct och_state *st)
{
    for(size_t i = 0; i < st->n; i++) {
        free(st->kv[i].key);
        free(st->kv[i].value);
        free(st->kv[i].quoted);
    }
    free(st->kv);
    st->kv = NULL;
    st->n = st->cap = 0;
}

void och_state_free(struct och_state *st)
{
    if(!st)
        return;
    kv_free_all(st);
    free(st->path);
    st->path = NULL;
    if(st->locked)
        close(st->lock_fd); /* releases the flock */
    st->locked = 0;
}

/* Index of key, or of where it would be inserted (with *found = 0). */
static size_t find(const struct och_state *st, const char *key, int *found)
{
    size_t lo = 0, hi = st->n;
    while(lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(st->kv[mid].key, key);
        if(c == 0) {
            *found = 1;
            return mid;
        }
        if(c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

static int grow(struct och_state *st)
{
    if(st->n < st->cap)
        return 0;
    size_t cap = st->cap ? st->cap * 2 : 16;
    struct och_state_kv *kv = realloc(st->kv, cap * sizeof *kv);
    if(!kv)
        return -1;
    st->kv = kv;
    st->cap = cap;
    return 0;
}

static int valid_key(const char *key)
{
    if(!key || !*key || strlen(key) > 200)
        return 0;
    for(const char *p = key; *p; p++)
        if((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            return 0;
    return 1;
}

static int read_file(const char *path, struct kit_buf *out, int *missing)
{
    *missing = 0;
    FILE *f = fopen(path, "rbe");
    if(!f) {
        *missing = errno == ENOENT;
        return -1;
    }
    char chunk[8192];
    size_t got;
    while((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if(out->len + got > STATE_MAX_BYTES) {
            errno = EFBIG;
            goto fail;
        }
        if(kit_buf_append(out, chunk, got)) {
            errno = ENOMEM;
            goto fail;
        }
    }
    if(ferror(f))
        goto fail;
    fclose(f);
    return 0;
fail:;
    int e = errno;
    fclose(f);
    errno = e;
    return -1;
}

#define RECOVER "move it aside (mv %s %s.bad) to start from an empty state; cursors then start over"

oc_status och_state_load(struct och_state *st, const char *path, struct oc_error *err)
{
    struct kit_buf text = KIT_BUF_INIT;
    struct kit_json j = {0};
    char why[160];
    oc_status rc = OC_OK;
    int missing;

    memset(st, 0, sizeof *st);
    st->path = strdup(path);
    if(!st->path) {
        rc = kit_fail(err, OC_E_NOMEM, "out of memory loading state file %s", path);
        goto fail;
    }
    if(read_file(path, &text, &missing)) {
        if(missing)
            goto done;
        rc = kit_fail(err, OC_E_CONFIG, "cannot read state file %s: %s; %s (or name another with --state)",
                      path, strerror(errno), kit_open_advice(errno));
        goto fail;
    }
    if(kit_json_parse(&j, kit_buf_str(&text), text.len, why, sizeof why)) {
        rc = kit_fail(err, OC_E_CONFIG, "state file %s is corrupt (%s); " RECOVER, path, why, path, path);
        goto fail;
    }
    if(kit_json_type(&j, 0) != KIT_JSON_OBJECT) {
        rc = kit_fail(err, OC_E_CONFIG, "state file %s is corrupt (not a JSON object); " RECOVER, path,
                      path, path);
        goto fail;
    }
    int nmem = kit_json_size(&j, 0);
    for(int i = 0, k = 1; i < nmem; i++) {
        int v = k + 1;
        struct kit_buf kb = KIT_BUF_INIT;
        if(kit_json_str(&j, k, &kb) || memchr(kit_buf_str(&kb), '\0', kb.len)) {
            int oom = !kit_buf_ok(&kb);
            kit_buf_free(&kb);
            rc = oom ? kit_fail(err, OC_E_NOMEM, "out of memory loading state file %s", path)
                     : kit_fail(err, OC_E_CONFIG,
                                "state file %s is corrupt (member %d has a key with \\u0000); " RECOVER,
                                path, i + 1, path, path);
            goto fail;
        }
        char *key = kit_buf_take(&kb);
        struct kit_buf val = KIT_BUF_INIT;
        int found;
        if(!key) {
            rc = kit_fail(err, OC_E_NOMEM, "out of memory loading state file %s", path);
            goto fail;
        }
        if(kit_json_type(&j, v) != KIT_JSON_STRING || kit_json_str(&j, v, &val) || !valid_key(key)
           || !kit_utf8_valid(kit_buf_str(&val), val.len, 0, NULL)) {
            rc = kit_fail(err, OC_E_CONFIG,
                          "state file %s is corrupt (member %d is not a key with a text value); " RECOVER,
                          path, i + 1, path, path);
            free(key);
            kit_buf_free(&val);
            goto fail;
        }
        size_t at = find(st, key, &found);
        if(found || grow(st)) {
            if(found)
                rc = kit_fail(err, OC_E_CONFIG, "state file %s is corrupt (key \"%s\" appears twice); " RECOVER,
                              path, key, path, path);
            else
                rc = kit_fail(err, OC_E_NOMEM, "out of memory loading state file %s", path);
            free(key);
            kit_buf_free(&val);
            goto fail;
        }
        size_t vlen = val.len;
        char *vs = vlen ? kit_buf_take(&val) : strdup("");
        kit_buf_free(&val);
        if(!vs) {
            free(key);
            rc = kit_fail(err, OC_E_NOMEM, "out of memory loading state file %s", path);
            goto fail;
        }
        memmove(&st->kv[at + 1], &st->kv[at], (st->n - at) * sizeof st->kv[0]);
        st->kv[at] = (struct och_state_kv){key, vs, vlen};
        st->n++;
        k = kit_json_skip(&j, v);
    }
done:
    kit_json_free(&j);
    kit_buf_free(&text);
    return OC_OK;
fail:
    kit_json_free(&j);
    kit_buf_free(&text);
    kv_free_all(st);
    return rc;
}

const char *och_state_value(const struct och_state *st, const char *key, size_t *len)
{
    int found;
    if(!key)
        return NULL;
    size_t at = find(st, key, &found);
    if(!found)
        return NULL;
    if(len)
        *len = st->kv[at].len;
    return st->kv[at].value;
}

oc_status och_state_get(const struct och_state *st, const char *key, void *buf, size_t bufsize,
                        size_t *len)
{
    size_t n;
    const char *v = och_state_value(st, key, &n);
    if(!v)
        return OC_E_NOT_FOUND;
    if(len)
        *len = n;
    if(n > bufsize || (n && !buf))
        return OC_E_RANGE;
    if(n)
        memcpy(buf, v, n);
    return OC_OK;
}

/* A save streams the file's text to its descriptor through one buffer of
 * this size: building the whole text first held the biggest value a
 * second time, quoted, at the moment a run's memory peaks (a push saving
 * its contact cache at the end). */
#define SAVE_BUF_BYTES (32u * 1024u)
/* Values up to this long keep their quoted form between saves (cursors,
 * the usage history, under 60 KB: rewritten by every save, changed by
 * few); a longer one (a push's contact cache) is quoted again each time
 * it is written instead of being held twice. */
#define KEEP_QUOTED_MAX (64u * 1024u)
/* kit_json_escape writes at most 6 bytes per input byte (\u00XX) plus
 * its NUL: a piece of n bytes is escaped only where the buffer has
 * 6n + QUOTE_SLACK bytes free, so the buffer never grows. */
#define QUOTE_SLACK 16u
#define QUOTE_MIN_PIECE 256u

/* The file's text on its way out. After the first failed write, err
 * holds its errno and everything later is dropped. */
struct save_out {
    int fd;
    int err;
    struct kit_buf b;
};

static int write_all(int fd, const char *p, size_t n)
{
    while(n) {
        ssize_t w = write(fd, p, n);
        if(w < 0) {
            if(errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* 0, or -1 when memory for the buffer ran out. */
static int out_init(struct save_out *o)
{
    *o = (struct save_out){.fd = -1, .b = KIT_BUF_INIT};
    return kit_buf_reserve(&o->b, SAVE_BUF_BYTES - 1);
}

static void out_flush(struct save_out *o)
{
    if(!o->err && o->b.len && write_all(o->fd, o->b.data, o->b.len))
        o->err = errno;
    kit_buf_reset(&o->b);
}

static size_t out_room(const struct save_out *o) { return o->b.cap - o->b.len; }

static void out_put(struct save_out *o, const char *p, size_t n)
{
    if(n >= SAVE_BUF_BYTES / 2) {
        /* Big kept text goes out as it lies, without a copy. */
        out_flush(o);
        if(!o->err && write_all(o->fd, p, n))
            o->err = errno;
        return;
    }
    if(out_room(o) <= n)
        out_flush(o);
    kit_buf_append(&o->b, p, n);
}

/* s[0..len) as one JSON string, the bytes one kit_json_quote call
 * writes: escaped piece by piece into the buffer's free part, each piece
 * ending before a UTF-8 continuation byte, never inside a character (the
 * text is valid UTF-8, so each byte's escape is what one call gives). */
static void out_quoted(struct save_out *o, const char *s, size_t len)
{
    out_put(o, "\"", 1);
    for(size_t done = 0, n; done < len; done += n) {
        if(out_room(o) <= QUOTE_SLACK + 6 * QUOTE_MIN_PIECE)
            out_flush(o);
        n = (out_room(o) - QUOTE_SLACK) / 6;
        if(n >= len - done)
            n = len - done;
        else
            while(n > 1 && ((unsigned char)s[done + n] & 0xC0) == 0x80)
                n--;
        kit_json_escape(&o->b, s + done, n);
    }
    out_put(o, "\"", 1);
}

/* Write kv's value as the file holds it: its kept quoted form, made now
 * for a short value that has none. */
static void out_value(struct save_out *o, struct och_state_kv *kv)
{
    if(!kv->quoted && kv->len <= KEEP_QUOTED_MAX) {
        struct kit_buf q = KIT_BUF_INIT;
        if(!kit_json_quote(&q, kv->value, kv->len)) {
            kv->qlen = q.len;
            kv->quoted = kit_buf_take(&q);
        }
        kit_buf_free(&q);
    }
    if(kv->quoted)
        out_put(o, kv->quoted, kv->qlen);
    else
        out_quoted(o, kv->value, kv->len);
}

/* What a save changes: key's value becomes value (len bytes; NULL: key
 * goes); key NULL: nothing changes. */
struct change {
    const char *key;
    const char *value;
    size_t len;
};

/* The state with chg applied, one member per line (diffable by eye and by
 * tools), to o. */
static void write_state(struct och_state *st, const struct change *chg, struct save_out *o)
{
    size_t i = 0;
    int first = 1, done = chg->value == NULL;
    out_put(o, "{", 1);
    for(;;) {
        const char *k = NULL;
        struct och_state_kv *kv = NULL;
        if(!done && (i >= st->n || strcmp(chg->key, st->kv[i].key) < 0)) {
            k = chg->key, done = 1;
        } else if(i < st->n) {
            if(chg->key && strcmp(st->kv[i].key, chg->key) == 0) {
                i++;
                continue;
            }
            kv = &st->kv[i];
            k = kv->key;
            i++;
        } else
            break;
        out_put(o, first ? "\n  " : ",\n  ", first ? 3 : 4);
        first = 0;
        out_quoted(o, k, strlen(k));
        out_put(o, ": ", 2);
        if(kv)
            out_value(o, kv);
        else
            out_quoted(o, chg->value, chg->len);
    }
    out_put(o, first ? "}\n" : "\n}\n", first ? 2 : 3);
    out_flush(o);
    if(!o->err && !kit_buf_ok(&o->b))
        o->err = ENOMEM;
}

/* Write st with chg applied to a new temporary file beside st->path,
 * synced and closed, through o (made by out_init); its name goes to tmp.
 * mkostemp opens with O_CREAT|O_EXCL (mode 0600), which never follows a
 * symbolic link, and O_NOFOLLOW says so twice: a link someone placed at a
 * temporary name is refused, not written through. On failure nothing is
 * left behind. */
static oc_status write_temp(struct och_state *st, const struct change *chg, struct save_out *o,
                            struct kit_buf *tmp, struct oc_error *err)
{
    const char *path = st->path;
    int fd, e;
    kit_buf_reset(tmp);
    kit_buf_printf(tmp, "%s.tmpXXXXXX", path);
    if(!kit_buf_ok(tmp))
        return kit_fail(err, OC_E_NOMEM, "out of memory writing state file %s", path);
    fd = mkostemp(tmp->data, O_CLOEXEC | O_NOFOLLOW);
    if(fd < 0) {
        char *dir = kit_dir_of(path);
        kit_fail(err, OC_E_IO, "cannot create a temporary file beside state file %s: %s; check that %s is writable",
                 path, strerror(errno), dir ? dir : "its folder");
        free(dir);
        return OC_E_IO;
    }
    o->fd = fd;
    write_state(st, chg, o);
    e = o->err;
    if(e || fsync(fd)) {
        e = e ? e : errno;
        close(fd);
        goto fail;
    }
    if(close(fd)) {
        e = errno;
        goto fail;
    }
    return OC_OK;
fail:
    unlink(tmp->data);
    return kit_fail(err, OC_E_IO, "cannot write state file %s: %s; the previous state is kept", path, strerror(e));
}

/* Write st with chg applied as the file at st->path (temporary file,
 * fsync, rename, folder fsync). *replaced tells whether the rename
 * happened: after it the file holds the new text even when the folder's
 * fsync then fails (OC_E_IO), and the caller's memory must follow the
 * file, or the next save would write the old values back. */
static oc_status replace_file(struct och_state *st, const struct change *chg, struct save_out *o,
                              int *replaced, struct oc_error *err)
{
    const char *path = st->path;
    struct kit_buf tmp = KIT_BUF_INIT;
    char *dir = NULL;
    int dfd = -1, e;
    *replaced = 0;
    oc_status rc = write_temp(st, chg, o, &tmp, err);
    if(rc)
        goto out;
    rc = OC_E_IO;
    if(rename(tmp.data, path)) {
        e = errno;
        unlink(tmp.data);
        kit_fail(err, OC_E_IO, "cannot replace state file %s: %s; the previous state is kept", path, strerror(e));
        goto out;
    }
    *replaced = 1;
    /* The rename is durable only once the directory entry is. */
    dir = kit_dir_of(path);
    if(!dir) {
        rc = kit_fail(err, OC_E_NOMEM, "out of memory writing state file %s", path);
        goto out;
    }
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    /* Some filesystems cannot sync a folder at all (EINVAL): the rename
     * is as durable as they make anything. */
    if(dfd < 0 || (fsync(dfd) && errno != EINVAL && errno != ENOTSUP)) {
        kit_fail(err, OC_E_IO, "cannot sync directory %s of state file %s: %s", dir, path, strerror(errno));
        goto out;
    }
    rc = OC_OK;
out:
    if(dfd >= 0)
        close(dfd);
    free(dir);
    kit_buf_free(&tmp);
    return rc;
}

oc_status och_state_put(struct och_state *st, const char *key, const void *value, size_t len,
                        struct oc_error *err)
{
    struct save_out out = {.fd = -1, .b = KIT_BUF_INIT};
    char *kcopy = NULL, *vcopy = NULL;
    oc_status rc;
    int found;

    if(!valid_key(key))
        return kit_fail(err, OC_E_INVALID, "state key must be 1-200 printable ASCII characters");
    if(value && !kit_utf8_valid(value, len, 0, NULL))
        return kit_fail(err, OC_E_INVALID,
                        "state value for \"%s\" is not UTF-8 text; ochost stores text values only", key);
    size_t at = find(st, key, &found);
    if(!value && !found)
        return OC_OK;
    /* The file holds this value already: it is durable, nothing to write. */
    if(value && found && st->kv[at].len == len && !memcmp(st->kv[at].value, value, len)) {
        if(st->on_saved)
            st->on_saved(st->on_saved_ctx, st, key);
        return OC_OK;
    }
    if(value) {
        vcopy = malloc(len + 1);
        if(!found)
            kcopy = strdup(key);
        if(!vcopy || (!found && (!kcopy || grow(st)))) {
            rc = kit_fail(err, OC_E_NOMEM, "out of memory saving state key \"%s\"", key);
            goto fail;
        }
        memcpy(vcopy, value, len);
        vcopy[len] = '\0';
    }
    /* The file is written before memory changes, so a failed write leaves
     * both as they were. */
    if(out_init(&out)) {
        rc = kit_fail(err, OC_E_NOMEM, "out of memory saving state key \"%s\"", key);
        goto fail;
    }
    int replaced = 0;
    struct change chg = {key, value, len};
    rc = replace_file(st, &chg, &out, &replaced, err);
    kit_buf_free(&out.b);
    if(rc && !replaced)
        goto fail;
    /* From here memory follows the file, which now holds the new value
     * (rc still reports a folder that could not be synced). */
    if(!value) {
        free(st->kv[at].key);
        free(st->kv[at].value);
        free(st->kv[at].quoted);
        memmove(&st->kv[at], &st->kv[at + 1], (st->n - at - 1) * sizeof st->kv[0]);
        st->n--;
    } else if(found) {
        free(st->kv[at].value);
        free(st->kv[at].quoted);
        st->kv[at].value = vcopy;
        st->kv[at].len = len;
        st->kv[at].quoted = NULL;
    } else {
        memmove(&st->kv[at + 1], &st->kv[at], (st->n - at) * sizeof st->kv[0]);
        st->kv[at] = (struct och_state_kv){kcopy, vcopy, len, NULL, 0};
        st->n++;
    }
    if(!rc && st->on_saved)
        st->on_saved(st->on_saved_ctx, st, key);
    return rc;
fail:
    free(kcopy);
    free(vcopy);
    kit_buf_free(&out.b);
    return rc;
}

/* Follow the user's symlinks to the file they name, also when that file
 * does not exist yet (a dangling link is where the first save goes). The
 * lock and every rewrite then act on the target: a rename over the link
 * would replace the link and leave the target stale, and a second path to
 * the same file would take a second, unrelated lock. */
#define MAX_LINK_HOPS 40

static oc_status resolve(const char *path, char **out, struct oc_error *err)
{
    char *cur = strdup(path), *dir = NULL, *real = NULL;
    oc_status rc = OC_OK;
    struct stat sb;
    *out = NULL;
    if(!cur)
        return kit_fail(err, OC_E_NOMEM, "out of memory resolving state file %s", path);
    for(int hops = 0;; hops++) {
        if(hops > MAX_LINK_HOPS) {
            rc = kit_fail(err, OC_E_CONFIG,
                          "state file %s: too many levels of symbolic links; point --state at the file itself",
                          path);
            goto out;
        }
        if(lstat(cur, &sb)) {
            if(errno != ENOENT) {
                int e = errno;
                int via = strcmp(cur, path) != 0;
                rc = kit_fail(err, OC_E_CONFIG, "cannot use state file %s%s%s%s: %s; pass --state with a path in "
                              "a writable folder", path, via ? " (through " : "", via ? cur : "", via ? ")" : "",
                              strerror(e));
                goto out;
            }
            break; /* the file itself does not exist yet: resolve its folder */
        }
        if(!S_ISLNK(sb.st_mode)) {
            if(S_ISDIR(sb.st_mode)) {
                rc = kit_fail(err, OC_E_CONFIG, "state file %s is a folder; pass --state with a file name",
                              path);
                goto out;
            }
            real = realpath(cur, NULL);
            if(!real)
                rc = kit_fail(err, OC_E_CONFIG, "cannot resolve state file %s: %s", path, strerror(errno));
            goto out;
        }
        struct kit_buf target = KIT_BUF_INIT;
        char link[4096];
        ssize_t n = readlink(cur, link, sizeof link - 1);
        if(n < 0) {
            rc = kit_fail(err, OC_E_CONFIG, "cannot read symbolic link %s (state file %s): %s", cur, path,
                          strerror(errno));
            goto out;
        }
        link[n] = '\0';
        if(link[0] == '/')
            kit_buf_puts(&target, link);
        else {
            char *d = kit_dir_of(cur);
            kit_buf_printf(&target, "%s/%s", d ? d : ".", link);
            free(d);
        }
        free(cur);
        cur = kit_buf_take(&target);
        if(!cur) {
            rc = kit_fail(err, OC_E_NOMEM, "out of memory resolving state file %s", path);
            goto out;
        }
    }
    const char *base = strrchr(cur, '/');
    base = base ? base + 1 : cur;
    if(!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
        rc = kit_fail(err, OC_E_CONFIG, "state file %s names a folder; pass --state with a file name", path);
        goto out;
    }
    dir = kit_dir_of(cur);
    char *rdir = dir ? realpath(dir, NULL) : NULL;
    if(!rdir) {
        rc = dir ? kit_fail(err, OC_E_CONFIG,
                            "cannot use state file %s: its folder %s: %s; create the folder or pass --state with "
                            "a path in a writable folder",
                            path, dir, strerror(errno))
                 : kit_fail(err, OC_E_NOMEM, "out of memory resolving state file %s", path);
        goto out;
    }
    struct kit_buf joined = KIT_BUF_INIT;
    kit_buf_printf(&joined, "%s%s%s", rdir, strcmp(rdir, "/") ? "/" : "", base);
    free(rdir);
    real = kit_buf_take(&joined);
    if(!real)
        rc = kit_fail(err, OC_E_NOMEM, "out of memory resolving state file %s", path);
out:
    free(cur);
    free(dir);
    if(rc) {
        free(real);
        return rc;
    }
    *out = real;
    return OC_OK;
}

int och_state_lock_wait_ms(void)
{
    const char *v = getenv("OCHOST_STATE_LOCK_WAIT_MS");
    if(v && *v) {
        char *end;
        errno = 0;
        long ms = strtol(v, &end, 10);
        if(!*end && !errno && ms >= 0 && ms <= 24L * 3600 * 1000)
            return (int)ms;
    }
    return OCH_STATE_LOCK_WAIT_MS;
}

/* Take the exclusive lock on lockpath into *out (its descriptor). */
static oc_status take_lock(const char *path, const char *lockpath, int wait_ms, FILE *note, int *out,
                           struct oc_error *err)
{
    oc_status rc;
    /* The lock's name is predictable: a link someone placed there must not
     * make this run create or open a file elsewhere. */
    int fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if(fd < 0 && errno == ELOOP)
        return kit_fail(err, OC_E_CONFIG,
                        "the lock file %s of state file %s is a symbolic link, which ochost never follows "
                        "(it could redirect writes elsewhere); remove it (rm %s) if you did not place it "
                        "there on purpose, and rerun",
                        lockpath, path, lockpath);
    if(fd < 0)
        return kit_fail(err, OC_E_CONFIG,
                        "cannot create the lock file %s for state file %s: %s; check that its folder is "
                        "writable, or pass --state with a path in a writable folder",
                        lockpath, path, strerror(errno));
    int64_t deadline = kit_monotonic_ms() + wait_ms;
    int told = 0;
    for(;;) {
        if(flock(fd, LOCK_EX | LOCK_NB) == 0) {
            *out = fd;
            return OC_OK;
        }
        if(errno == EINTR)
            continue;
        if(errno != EWOULDBLOCK) {
            rc = kit_fail(err, OC_E_CONFIG, "cannot lock %s (the lock of state file %s): %s", lockpath, path,
                          strerror(errno));
            break;
        }
        int64_t left = deadline - kit_monotonic_ms();
        if(left <= 0) {
            rc = kit_fail(err, OC_E_CONFIG,
                          "another ochost is using state file %s (it holds %s); waited %d.%d s. Let that "
                          "run finish and try again, or give this run its own --state FILE",
                          path, lockpath, wait_ms / 1000, wait_ms % 1000 / 100);
            break;
        }
        if(!told && note) {
            fprintf(note, "ochost: another ochost is using state file %s; waiting up to %d s for it\n", path,
                    (wait_ms + 999) / 1000);
            told = 1;
        }
        /* Polling, not a blocking flock: the wait must end on time, and a
         * signal-based timeout would race with the run's own handlers. */
        struct timespec nap = {0, (left < 50 ? left : 50) * 1000000L};
        nanosleep(&nap, NULL);
    }
    close(fd);
    return rc;
}

oc_status och_state_check_writable(const struct och_state *st, struct oc_error *err)
{
    struct kit_buf tmp = KIT_BUF_INIT;
    struct save_out o;
    static const struct change unchanged = {NULL, NULL, 0};
    oc_status rc = OC_OK;
    if(out_init(&o)) {
        rc = kit_fail(err, OC_E_NOMEM, "out of memory checking state file %s", st->path);
        goto out;
    }
    /* Writing only fills the kept quoted forms: st is unchanged. */
    rc = write_temp((struct och_state *)st, &unchanged, &o, &tmp, err);
    if(rc) {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        rc = kit_fail(err, OC_E_CONFIG,
                      "state file %s cannot be saved, so nothing was done (no HubSpot call): %s. Free space "
                      "there or make the folder writable, or pass --state with a path in a writable folder",
                      st->path, why);
        goto out;
    }
    unlink(tmp.data);
out:
    kit_buf_free(&o.b);
    kit_buf_free(&tmp);
    return rc;
}

oc_status och_state_open(struct och_state *st, const char *path, int wait_ms, FILE *note,
                         struct oc_error *err)
{
    struct kit_buf lockpath = KIT_BUF_INIT;
    char *real = NULL;
    int fd = -1;
    memset(st, 0, sizeof *st);
    oc_status rc = resolve(path, &real, err);
    if(rc)
        return rc;
    kit_buf_printf(&lockpath, "%s.lock", real);
    if(!kit_buf_ok(&lockpath)) {
        free(real);
        return kit_fail(err, OC_E_NOMEM, "out of memory locking state file %s", path);
    }
    rc = take_lock(real, lockpath.data, wait_ms, note, &fd, err);
    kit_buf_free(&lockpath);
    if(rc)
        goto fail;
    /* Read only once the lock is ours: what the previous holder wrote last
     * is what this run starts from. */
    rc = och_state_load(st, real, err);
    if(rc)
        goto fail;
    /* A save that fails after the work (usage not counted, a cursor not
     * moved) is found out too late; whether a save can work at all is
     * known now, before anything happens. */
    rc = och_state_check_writable(st, err);
    if(rc) {
        och_state_free(st);
        goto fail;
    }
    free(real);
    st->lock_fd = fd;
    st->locked = 1;
    return OC_OK;
fail:
    if(fd >= 0)
        close(fd);
    free(real);
    return rc;
}
