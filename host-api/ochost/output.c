/* output.c - records as JSON lines; see output.h. */
#include "host-api/ochost/output.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/json.h"
#include "plugin/utf8.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* The end of the number at p (JSON's grammar), or NULL when none starts
 * there. */
static const char *skip_number(const char *p)
{
    if(*p == '-')
        p++;
    if(*p == '0')
        p++;
    else if(*p >= '1' && *p <= '9')
        while(*p >= '0' && *p <= '9')
            p++;
    else
        return NULL;
    if(*p == '.') {
        if(!(*++p >= '0' && *p <= '9'))
            return NULL;
        while(*p >= '0' && *p <= '9')
            p++;
    }
    if(*p == 'e' || *p == 'E') {
        p++;
        if(*p == '+' || *p == '-')
            p++;
        if(!(*p >= '0' && *p <= '9'))
            return NULL;
        while(*p >= '0' && *p <= '9')
            p++;
    }
    return p;
}

/* s is one JSON number, all of it. */
static int json_number(const char *s)
{
    const char *end = s ? skip_number(s) : NULL;
    return end && !*end;
}

/* Write a JSON field's text: as is when it is one valid JSON text on one
 * line; re-serialized compactly when valid but spread over lines (a raw
 * newline would end the JSON Lines record early); as a string when not
 * JSON at all, so a plugin bug shows as text rather than breaking the
 * stream. */
static void put_json_value(struct kit_jw *w, const char *v, struct kit_buf *tmp)
{
    size_t len = strlen(v);
    struct kit_json j = {0};
    if(kit_json_parse(&j, v, len, NULL, 0)) {
        kit_jw_str(w, v);
    } else if(!memchr(v, '\n', len) && !memchr(v, '\r', len)) {
        kit_jw_raw(w, v, len);
    } else {
        kit_buf_reset(tmp);
        if(kit_json_canonical(&j, 0, tmp))
            kit_jw_str(w, v);
        else
            kit_jw_raw(w, tmp->data, tmp->len);
    }
    kit_json_free(&j);
}

int och_field_json_type(const struct oc_field *f)
{
    const char *v = f->value ? f->value : "";
    switch(f->type) {
    case OC_FIELD_NULL:
        return KIT_JSON_NULL;
    case OC_FIELD_NUMBER:
        return json_number(v) ? KIT_JSON_NUMBER : KIT_JSON_STRING;
    case OC_FIELD_BOOL:
        return strcmp(v, "true") == 0 || strcmp(v, "false") == 0 ? KIT_JSON_BOOL : KIT_JSON_STRING;
    case OC_FIELD_JSON: {
        struct kit_json j = {0};
        int t = kit_json_parse(&j, v, strlen(v), NULL, 0) ? KIT_JSON_STRING : kit_json_type(&j, 0);
        kit_json_free(&j);
        return t;
    }
    default:
        return KIT_JSON_STRING;
    }
}

void och_json_value(struct kit_jw *w, const char *json, struct kit_buf *tmp)
{
    put_json_value(w, json, tmp);
}

void och_fields_json(struct kit_jw *w, const struct oc_record *r, struct kit_buf *tmp)
{
    for(size_t i = 0; i < r->nfields; i++) {
        const struct oc_field *f = &r->fields[i];
        const char *v = f->value ? f->value : "";
        if(!f->key)
            continue;
        kit_jw_key(w, f->key);
        if(f->type == OC_FIELD_NULL)
            kit_jw_null(w);
        else if(f->type == OC_FIELD_NUMBER && json_number(v))
            kit_jw_raw(w, v, strlen(v));
        else if(f->type == OC_FIELD_BOOL && (strcmp(v, "true") == 0 || strcmp(v, "false") == 0))
            kit_jw_raw(w, v, strlen(v));
        else if(f->type == OC_FIELD_JSON)
            put_json_value(w, v, tmp);
        else
            kit_jw_str(w, v);
    }
}

/* Room every step below has after out->len: a step writes at most 32
 * bytes (sixteen copied, or a six-byte escape, or a remembered key), and
 * what follows it (a closing quote, punctuation, "null") fits in the
 * rest. */
#define STEP_ROOM 64

/* Room for need bytes after out->len (and the NUL): 0, or -1 on oom. */
static inline int room(struct kit_buf *out, size_t need)
{
    if(out->data && out->cap - out->len > need)
        return 0;
    return kit_buf_reserve(out, need);
}

#if defined(__SSE2__)
#define PLAIN_SCAN 16
/* The aligned sixteen bytes at p, which hold a byte of a string: they may
 * run before its start and past its NUL and its allocation, but never
 * into another page, so the load cannot fault, as in libc's own strlen.
 * The sanitizers would call the bytes outside an overflow, so this one
 * load is left out of their checks; what is used of it stops at the NUL.
 * (Valgrind's memcheck accepts such aligned loads.) */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PLAIN_SCAN_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define PLAIN_SCAN_SANITIZED 1
#endif
#endif
#ifdef PLAIN_SCAN_SANITIZED
__attribute__((noinline, no_sanitize_address, no_sanitize_thread))
#endif
static __m128i load_block(const char *p)
{
    return _mm_load_si128((const __m128i *)(const void *)p);
}

/* Bit i set when byte i of x is the NUL or a byte a JSON string cannot
 * hold as it is: a control (signed < 0x20 also takes 0x80..0xFF, which
 * must be checked as UTF-8), the quote, the backslash. */
static inline unsigned plain_stop(__m128i x)
{
    __m128i stop = _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)),
                                _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
                                             _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));
    return (unsigned)_mm_movemask_epi8(stop);
}
#endif

/* Copy the plain bytes of s to out (room for STEP_ROOM is there) up to
 * the first that is not plain (its NUL at the latest); returns that
 * byte's address, or NULL on oom. Sixteen bytes are looked at and copied
 * in one step, from aligned blocks; the copy may run past what is kept,
 * into room the buffer has. */
static const char *copy_plain(struct kit_buf *out, const char *s)
{
#ifdef PLAIN_SCAN
    /* The first block holds skip bytes before s: they are shifted out of
     * the mask, and out of the copy through a stack pair of the block
     * (SSE2 has no shift by a variable count of bytes). */
    unsigned skip = (unsigned)((uintptr_t)s & 15);
    const char *a = s - skip;
    __m128i x = load_block(a);
    unsigned m = plain_stop(x) >> skip;
    __m128i pair[2] = {x, x};
    _mm_storeu_si128((__m128i *)(void *)(out->data + out->len),
                     _mm_loadu_si128((const __m128i *)(const void *)((const char *)pair + skip)));
    if(m) {
        unsigned k = (unsigned)__builtin_ctz(m);
        out->len += k;
        return s + k;
    }
    out->len += PLAIN_SCAN - skip;
    for(a += PLAIN_SCAN;; a += PLAIN_SCAN) {
        if(room(out, STEP_ROOM))
            return NULL;
        x = load_block(a);
        m = plain_stop(x);
        _mm_storeu_si128((__m128i *)(void *)(out->data + out->len), x);
        if(m) {
            unsigned k = (unsigned)__builtin_ctz(m);
            out->len += k;
            return a + k;
        }
        out->len += PLAIN_SCAN;
    }
#else
    /* Bytes a JSON string holds as they are: printable ASCII but the
     * quote and the backslash. */
    static const unsigned char json_plain[256] = {
        [0x20] = 1, [0x21] = 1, [0x23 ... 0x5B] = 1, [0x5D ... 0x7E] = 1, [0x7F] = 1,
    };
    for(;;) {
        char *d = out->data + out->len;
        size_t i = 0;
        while(i < 16 && json_plain[(unsigned char)s[i]]) {
            d[i] = s[i];
            i++;
        }
        out->len += i;
        if(i < 16)
            return s + i;
        s += i;
        if(room(out, STEP_ROOM))
            return NULL;
    }
#endif
}

/* s as a JSON string literal, the bytes kit_json_quote writes for it:
 * plain runs copied a step at a time; the quote, the backslash and
 * controls escaped here; other bytes checked as UTF-8 (copied when
 * well-formed, one U+FFFD per maximal ill-formed part). Returns 0, or -1
 * on oom. */
static int put_str(struct kit_buf *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if(room(out, STEP_ROOM))
        return -1;
    out->data[out->len++] = '"';
    for(;;) {
        s = copy_plain(out, s);
        if(!s)
            return -1;
        unsigned char c = (unsigned char)*s;
        char *d = out->data + out->len;
        if(!c)
            break;
        if(c >= 0x80) {
            /* kit_utf8_seq reads no further than the sequence needs, and
             * stops at the NUL, which is no continuation byte. */
            size_t bad, n = kit_utf8_seq(s, 4, &bad);
            if(n)
                memcpy(d, s, n);
            else
                memcpy(d, "\xEF\xBF\xBD", 3);
            out->len += n ? n : 3;
            s += n ? n : bad;
        } else {
            d[0] = '\\';
            switch(c) {
            case '"': d[1] = '"'; break;
            case '\\': d[1] = '\\'; break;
            case '\b': d[1] = 'b'; break;
            case '\f': d[1] = 'f'; break;
            case '\n': d[1] = 'n'; break;
            case '\r': d[1] = 'r'; break;
            case '\t': d[1] = 't'; break;
            default:
                memcpy(d + 1, "u00", 3);
                d[4] = hex[c >> 4];
                d[5] = hex[c & 15];
                out->len += 4;
                break;
            }
            out->len += 2;
            s++;
        }
        if(room(out, STEP_ROOM))
            return -1;
    }
    out->data[out->len++] = '"';
    return 0;
}

/* v as written bare: JSON's number grammar for a number, true or false
 * for a bool; else 0 and it is written as a string. */
static int bare_literal(const struct oc_field *f, const char *v)
{
    if(f->type == OC_FIELD_NUMBER)
        return json_number(v);
    return f->type == OC_FIELD_BOOL && (strcmp(v, "true") == 0 || strcmp(v, "false") == 0);
}

#ifdef PLAIN_SCAN
/* s quoted at d when it is all plain: returns the end of what was
 * written, or NULL (nothing counts then) when s holds a byte to escape or
 * check, or when d reaches lim, which stays STEP_ROOM short of the
 * buffer's end. The common case, kept in registers: one aligned block
 * per sixteen bytes, the first shifted as in copy_plain. */
static inline char *put_plain(char *d, const char *lim, const char *s)
{
    if(d >= lim)
        return NULL;
    unsigned skip = (unsigned)((uintptr_t)s & 15);
    const char *a = s - skip;
    __m128i x = load_block(a);
    unsigned m = plain_stop(x) >> skip;
    __m128i pair[2] = {x, x};
    *d++ = '"';
    _mm_storeu_si128((__m128i *)(void *)d,
                     _mm_loadu_si128((const __m128i *)(const void *)((const char *)pair + skip)));
    if(m) {
        unsigned k = (unsigned)__builtin_ctz(m);
        if(s[k])
            return NULL;
        d[k] = '"';
        return d + k + 1;
    }
    d += PLAIN_SCAN - skip;
    for(a += PLAIN_SCAN;; a += PLAIN_SCAN) {
        if(d >= lim)
            return NULL;
        x = load_block(a);
        m = plain_stop(x);
        _mm_storeu_si128((__m128i *)(void *)d, x);
        if(m) {
            unsigned k = (unsigned)__builtin_ctz(m);
            if(a[k])
                return NULL;
            d[k] = '"';
            return d + k + 1;
        }
        d += PLAIN_SCAN;
    }
}
#else
static inline char *put_plain(char *d, const char *lim, const char *s)
{
    (void)d, (void)lim, (void)s;
    return NULL;
}
#endif

/* Keys as they were last written, by their place in the record (the
 * kind at 0), so the same keys in record after record (all of a push's
 * or lookup's) are copied as their whole text, separator, quotes and
 * colon included, instead of scanned again. A memo holds only when the
 * key's pointer is the same and the bytes of its aligned block from its
 * first byte to its NUL are too: text moved or rewritten in place is
 * written afresh. Per thread, as instances may run in threads. */
#define KEY_MEMOS 16 /* a power of two */

#ifdef PLAIN_SCAN
struct key_memo {
    const char *key;  /* NULL: empty */
    uint32_t mask;    /* the key's bytes and NUL in its (one or two) aligned blocks */
    unsigned len;     /* bytes of text */
    __m128i block[2]; /* those blocks as they were */
    __m128i text[2];  /* what was written for the key */
};

static _Thread_local struct key_memo key_memo[KEY_MEMOS];

/* The memos of this thread: looked up once per record. */
static inline struct key_memo *memo_table(void) { return key_memo; }

/* The memo's text at d when it holds for key and the room is there:
 * returns its end, else NULL (nothing written that counts). The second
 * block is read only when the first matched: the key at this address
 * then has no NUL in the first, so it reaches into the second, which is
 * therefore mapped (a shorter key there now may end before a page that
 * is gone). */
static inline char *memo_put(char *d, const char *lim, const struct key_memo *m, const char *key)
{
    if(m->key != key || d >= lim)
        return NULL;
    const char *base = (const char *)((uintptr_t)key & ~(uintptr_t)15);
    uint32_t first = m->mask & 0xFFFFu, second = m->mask >> 16;
    if(((uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(load_block(base), m->block[0])) & first) != first)
        return NULL;
    if(second &&
       ((uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(load_block(base + 16), m->block[1])) & second) != second)
        return NULL;
    _mm_storeu_si128((__m128i *)(void *)d, m->text[0]);
    _mm_storeu_si128((__m128i *)(void *)(d + 16), m->text[1]);
    return d + m->len;
}

/* Remember text (len bytes, with room for 32 after its start) as what is
 * written for key, klen bytes long; a key reaching past two aligned
 * blocks, or text over 32 bytes, is not remembered. */
static inline void memo_keep(struct key_memo *m, const char *key, size_t klen, const char *text, size_t len)
{
    unsigned skip = (unsigned)((uintptr_t)key & 15);
    if(skip + klen + 1 > 32 || len > 32) {
        m->key = NULL;
        return;
    }
    m->key = key;
    m->mask = (uint32_t)(((1ull << (klen + 1)) - 1) << skip);
    m->len = (unsigned)len;
    m->block[0] = load_block(key - skip);
    if(m->mask >> 16)
        m->block[1] = load_block(key - skip + 16);
    m->text[0] = _mm_loadu_si128((const __m128i *)(const void *)text);
    m->text[1] = _mm_loadu_si128((const __m128i *)(const void *)(text + 16));
}
#else
struct key_memo {
    int unused;
};

static inline struct key_memo *memo_table(void)
{
    static struct key_memo none[KEY_MEMOS];
    return none;
}

static inline char *memo_put(char *d, const char *lim, const struct key_memo *m, const char *key)
{
    (void)d, (void)lim, (void)m, (void)key;
    return NULL;
}

static inline void memo_keep(struct key_memo *m, const char *key, size_t klen, const char *text, size_t len)
{
    (void)m, (void)key, (void)klen, (void)text, (void)len;
}
#endif

/* The record writer's cursor: d where the next byte goes, lim as in
 * put_plain. Kept in locals so the stores of text do not make the
 * compiler reload out->len after each byte. */
#define CURSOR_LOAD() (d = out->data + out->len, lim = out->data + out->cap - STEP_ROOM)
#define CURSOR_SAVE() (out->len = (size_t)(d - out->data))

/* The end of the string whose opening quote is at p, or NULL when it
 * holds anything but printable ASCII and the short escapes: \u escapes
 * and other bytes are left to the reader, whose rules they depend on. */
static const char *skip_string(const char *p)
{
    for(p++;; p++) {
        unsigned char c = (unsigned char)*p;
        if(c == '"')
            return p + 1;
        if(c == '\\') {
            if(!p[1] || !strchr("\"\\/bfnrt", p[1]))
                return NULL;
            p++;
        } else if(c < 0x20 || c >= 0x7F) {
            return NULL;
        }
    }
}

/* Deeper containers, and longer texts, are left to the reader, whose
 * limits (KIT_JSON_MAX_DEPTH, _TOKENS) lie far beyond both. */
#define QUICK_JSON_DEPTH 32
#define QUICK_JSON_BYTES (1u << 20)

/* The length of v when it is surely one JSON text kit_json_parse takes,
 * all on one line, so put_json_value would write it as it is; else
 * SIZE_MAX, and put_json_value must decide. One pass, no tokens: a pull
 * writes a few such fields (short arrays) per record. */
static size_t quick_json_len(const char *v)
{
    uint32_t in_obj = 0; /* bit d: the container at depth d+1 is an object */
    int depth = 0;
    const char *p = v;
value:
    while(*p == ' ' || *p == '\t')
        p++;
    switch(*p) {
    case '{':
    case '[':
        if(depth == QUICK_JSON_DEPTH)
            return SIZE_MAX;
        in_obj = (in_obj & ~(1u << depth)) | (uint32_t)(*p == '{') << depth;
        depth++;
        p++;
        while(*p == ' ' || *p == '\t')
            p++;
        if(*p == (in_obj >> (depth - 1) & 1 ? '}' : ']')) {
            p++;
            depth--;
            goto after;
        }
        if(in_obj >> (depth - 1) & 1)
            goto member;
        goto value;
    case '"':
        p = skip_string(p);
        break;
    case 't':
        p = strncmp(p, "true", 4) ? NULL : p + 4;
        break;
    case 'f':
        p = strncmp(p, "false", 5) ? NULL : p + 5;
        break;
    case 'n':
        p = strncmp(p, "null", 4) ? NULL : p + 4;
        break;
    default:
        p = skip_number(p);
    }
    if(!p)
        return SIZE_MAX;
after:
    while(*p == ' ' || *p == '\t')
        p++;
    if(!depth) {
        size_t len = (size_t)(p - v);
        return *p || len > QUICK_JSON_BYTES ? SIZE_MAX : len;
    }
    if(*p == ',') {
        p++;
        if(in_obj >> (depth - 1) & 1)
            goto member;
        goto value;
    }
    if(*p != (in_obj >> (depth - 1) & 1 ? '}' : ']'))
        return SIZE_MAX;
    p++;
    depth--;
    goto after;
member:
    while(*p == ' ' || *p == '\t')
        p++;
    if(*p != '"' || !(p = skip_string(p)))
        return SIZE_MAX;
    while(*p == ' ' || *p == '\t')
        p++;
    if(*p++ != ':')
        return SIZE_MAX;
    goto value;
}

/* A JSON field's value the quick check left undecided, written by
 * put_json_value, then room for the next step. Returns 0, or -1 on oom. */
static int put_json_general(struct kit_buf *out, const char *v)
{
    struct kit_buf tmp = KIT_BUF_INIT;
    struct kit_jw w;
    kit_jw_init(&w, out);
    put_json_value(&w, v, &tmp);
    kit_buf_free(&tmp);
    return kit_jw_error(&w) || !kit_buf_ok(out) || room(out, STEP_ROOM) ? -1 : 0;
}

/* och_record_json: the same bytes as the general writer, och_fields_json
 * after the kind, written straight into the buffer, each string looked at
 * once. Returns 0, or -1 on oom (nothing of the record stays in out). */
static int record_json_quick(const struct oc_record *r, struct kit_buf *out)
{
    size_t start = out->len;
    char *d, *lim, *e;
    if(out->oom || room(out, STEP_ROOM))
        return -1;
    CURSOR_LOAD();
    const char *kind = r->kind ? r->kind : "";
    struct key_memo *memos = memo_table(), *m = memos;
    if((e = memo_put(d, lim, m, kind))) {
        d = e;
    } else if((e = put_plain(d + 8, lim, kind))) {
        memcpy(d, "{\"kind\":", 8);
        memo_keep(m, kind, (size_t)(e - d) - 10, d, (size_t)(e - d));
        d = e;
    } else {
        memcpy(d, "{\"kind\":", 8);
        d += 8;
        CURSOR_SAVE();
        if(put_str(out, kind))
            goto fail;
        CURSOR_LOAD();
    }
    for(size_t i = 0; i < r->nfields; i++) {
        const struct oc_field *f = &r->fields[i];
        if(!f->key)
            continue;
        /* Room for the comma and colon: every step leaves more than 32
         * bytes after what it writes. */
        m = &memos[(i + 1) & (KEY_MEMOS - 1)];
        if((e = memo_put(d, lim, m, f->key))) {
            d = e;
        } else if((e = put_plain(d + 1, lim, f->key))) {
            *d = ',';
            *e++ = ':';
            memo_keep(m, f->key, (size_t)(e - d) - 4, d, (size_t)(e - d));
            d = e;
        } else {
            *d++ = ',';
            CURSOR_SAVE();
            if(put_str(out, f->key))
                goto fail;
            CURSOR_LOAD();
            *d++ = ':';
        }
        const char *v = f->value ? f->value : "";
        if(f->type == OC_FIELD_JSON) {
            size_t n = quick_json_len(v);
            CURSOR_SAVE();
            if(n == SIZE_MAX ? put_json_general(out, v) : room(out, n + STEP_ROOM))
                goto fail;
            CURSOR_LOAD();
            if(n != SIZE_MAX) {
                memcpy(d, v, n);
                d += n;
            }
        } else if(f->type == OC_FIELD_STRING || !(f->type == OC_FIELD_NULL || bare_literal(f, v))) {
            if((e = put_plain(d, lim, v))) {
                d = e;
            } else {
                CURSOR_SAVE();
                if(put_str(out, v))
                    goto fail;
                CURSOR_LOAD();
            }
        } else if(f->type == OC_FIELD_NULL) {
            memcpy(d, "null", 4);
            d += 4;
        } else {
            size_t n = strlen(v);
            CURSOR_SAVE();
            if(room(out, n + STEP_ROOM))
                goto fail;
            CURSOR_LOAD();
            memcpy(d, v, n);
            d += n;
        }
    }
    *d++ = '}';
    *d = '\0';
    CURSOR_SAVE();
    return 0;
fail:
    if(out->data) {
        out->len = start;
        out->data[start] = '\0';
    }
    return -1;
}

int och_record_json(const struct oc_record *r, struct kit_buf *out) { return record_json_quick(r, out); }

static int stdout_errno;

int och_stdout_error(void) { return stdout_errno; }

void och_stdout_note_error(int e)
{
    if(!stdout_errno)
        stdout_errno = e ? e : EIO;
}

int och_write_line(int fd, const char *text, size_t len)
{
    size_t done = 0;
    while(done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if(n > 0) {
            done += (size_t)n;
            continue;
        }
        if(n < 0 && errno == EINTR)
            continue;
        int saved = n < 0 ? errno : EIO;
        /* A full disk takes part of a line and refuses the rest: cut the
         * part off again so the file still ends on a whole record. */
        struct stat sb;
        if(done && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
            off_t end = lseek(fd, 0, SEEK_CUR);
            if(end >= (off_t)done && ftruncate(fd, end - (off_t)done) == 0)
                (void)lseek(fd, end - (off_t)done, SEEK_SET);
        }
        errno = saved;
        return -1;
    }
    return 0;
}

int och_record_print(FILE *f, const struct oc_record *r, struct kit_buf *scratch)
{
    kit_buf_reset(scratch);
    if(och_record_json(r, scratch) || kit_buf_putc(scratch, '\n')) {
        errno = ENOMEM;
        return -1;
    }
    return och_print_line(f, scratch);
}

int och_print_line(FILE *f, const struct kit_buf *line)
{
    int fd = fileno(f);
    if(fd == STDOUT_FILENO && stdout_errno) {
        errno = stdout_errno;
        return -1;
    }
    if(fflush(f) || och_write_line(fd, line->data, line->len)) {
        if(fd == STDOUT_FILENO && !stdout_errno)
            stdout_errno = errno ? errno : EIO;
        return -1;
    }
    return 0;
}

const char *och_record_field(const struct oc_record *r, const char *key)
{
    for(size_t i = 0; i < r->nfields; i++)
        if(r->fields[i].key && strcmp(r->fields[i].key, key) == 0)
            return r->fields[i].value;
    return NULL;
}
