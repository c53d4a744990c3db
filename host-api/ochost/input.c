/* input.c - streaming JSON Lines / CSV push input; see input.h. */
#include "host-api/ochost/input.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "host-api/ochost/status.h"
#include "plugin/error.h"
#include "plugin/json.h"
#include "plugin/openerr.h"
#include "plugin/utf8.h"

#define CHUNK_SIZE 65536
/* What a parsed token costs (json.h), for och_input_footprint. */
#define JSON_TOKEN_BYTES 20
/* The column (CSV) or key (JSON Lines) a rejects file carries its reason
 * in; input never sends it to HubSpot. */
#define REJECT_COLUMN "ochost_error"

/* ---- byte source ---- */

static int fill(struct och_input *in)
{
    if(in->pos < in->end)
        return 0;
    if(in->eof)
        return -1;
    in->chunk_off += in->end;
    size_t got;
    if(in->stream) {
        /* fread would wait for a whole chunk; read(2) hands over what has
         * arrived, so a line is parsed as soon as it is there. */
        ssize_t n;
        while((n = read(fileno(in->f), in->chunk, CHUNK_SIZE)) < 0 && errno == EINTR)
            ;
        got = n > 0 ? (size_t)n : 0;
        in->ioerr = n < 0;
    } else {
        got = fread(in->chunk, 1, CHUNK_SIZE, in->f);
        in->ioerr = got == 0 && ferror(in->f);
    }
    if(in->ioerr)
        in->ioerrno = errno;
    in->pos = 0;
    in->end = got;
    if(got == 0) {
        in->eof = 1;
        return -1;
    }
    return 0;
}

/* The lines after a swallowing quote are read again (see input.h): from
 * replay first, then the stream. */
static int replaying(const struct och_input *in) { return in->replay_pos < in->replay.len; }

static int peek(struct och_input *in)
{
    if(replaying(in))
        return (unsigned char)in->replay.data[in->replay_pos];
    return fill(in) ? EOF : (unsigned char)in->chunk[in->pos];
}

static int get(struct och_input *in)
{
    int c;
    if(replaying(in)) {
        c = (unsigned char)in->replay.data[in->replay_pos++];
        if(!replaying(in)) {
            kit_buf_reset(&in->replay);
            in->replay_pos = 0;
        }
    } else {
        if(fill(in))
            return EOF;
        c = (unsigned char)in->chunk[in->pos++];
    }
    if(c == '\n')
        in->line++;
    return c;
}

/* Stream offset of the next unread byte (call after peek, so the chunk
 * holding it is loaded). */
static uint64_t offset_now(const struct och_input *in)
{
    return replaying(in) ? in->replay_off + in->replay_pos : in->chunk_off + in->pos;
}

static void record_begin(struct och_input *in)
{
    kit_buf_reset(&in->raw);
    in->too_long = 0;
    in->rec_off = offset_now(in);
    in->rec_len = 0;
    in->last_c = 0;
    in->unterminated = 0;
    in->cr_stripped = 0;
    in->quote_nl_field = SIZE_MAX;
}

/* A record's text ends before its line end; a CR kept last was the CR of
 * a CRLF and is not part of it either. */
static void record_end(struct och_input *in, int ended_by_newline)
{
    in->unterminated = !ended_by_newline;
    in->cr_stripped = in->rec_len && in->last_c == '\r';
    if(in->cr_stripped)
        in->rec_len--;
    if(in->raw.len && in->raw.data[in->raw.len - 1] == '\r')
        in->raw.data[--in->raw.len] = '\0';
}

/* Keep the record's text, up to the cap; past it only remember that it
 * was too long, so a runaway line cannot grow memory. Its full length is
 * counted either way, so the text can be read again from a file. */
static void keep(struct och_input *in, int c)
{
    in->rec_len++;
    in->last_c = c;
    if(in->too_long || in->raw.len >= OCH_INPUT_MAX_RECORD) {
        in->too_long = 1;
        return;
    }
    kit_buf_putc(&in->raw, (char)c);
}

/* ---- field storage ---- */

static void fields_reset(struct och_input *in)
{
    kit_buf_reset(&in->vals);
    in->noffs = 0;
    in->nextra = 0;
    in->skip_field = 0;
}

/* Values are stored only while they can still be used: not once the
 * record is known too long (it becomes an invalid record whatever its
 * values), nor past the header's column count (it is invalid anyway, only
 * the count matters). So vals and offs stay within the record cap however
 * long a runaway record (an unclosed quote, say) goes on. */
static int field_begin(struct och_input *in)
{
    in->skip_field = in->too_long || (in->ncols && in->noffs > in->ncols);
    if(in->skip_field) {
        in->nextra++;
        return 0;
    }
    if(in->noffs == in->capoffs) {
        size_t nc = in->capoffs ? in->capoffs * 2 : 16;
        size_t *o = realloc(in->offs, nc * sizeof *o);
        if(!o)
            return -1;
        in->offs = o;
        o = realloc(in->rawoffs, nc * sizeof *o);
        if(!o)
            return -1;
        in->rawoffs = o;
        in->capoffs = nc;
    }
    in->rawoffs[in->noffs] = in->raw.len;
    in->offs[in->noffs++] = in->vals.len;
    return 0;
}

static void field_end(struct och_input *in)
{
    if(!in->skip_field && !in->too_long)
        kit_buf_putc(&in->vals, '\0');
}

/* One byte of the current field's value. */
static void field_putc(struct och_input *in, int c)
{
    if(!in->skip_field && !in->too_long)
        kit_buf_putc(&in->vals, (char)c);
}

static const char *field_at(const struct och_input *in, size_t i) { return in->vals.data + in->offs[i]; }

static int fields_room(struct och_input *in, size_t n)
{
    if(n <= in->capfields)
        return 0;
    struct oc_field *f = realloc(in->fields, n * sizeof *f);
    if(!f)
        return -1;
    in->fields = f;
    in->capfields = n;
    return 0;
}

/* ---- records ---- */

/* "line N" after "line N-1" by adding one to the digits in place: records
 * mostly follow each other line by line, and the division per digit of
 * writing the number anew cost more than the rest of a short JSON line's
 * reading. */
static int id_step(struct och_input *in, uint64_t line)
{
    if(!in->id_line || line != in->id_line + 1)
        return 0;
    size_t i = in->id_len;
    while(i > 5 && in->id[i - 1] == '9')
        in->id[--i] = '0';
    if(i == 5)
        return 0; /* 99 -> 100: one digit more */
    in->id[i - 1]++;
    return 1;
}

static void set_id(struct och_input *in, uint64_t line, struct oc_record *rec)
{
    if(!id_step(in, line)) {
        /* "line N" without snprintf, which cost more than the rest of a
         * short record's reading */
        char digits[24], *d = digits + sizeof digits;
        uint64_t n = line;
        do {
            *--d = (char)('0' + n % 10);
            n /= 10;
        } while(n);
        size_t nd = (size_t)(digits + sizeof digits - d);
        memcpy(in->id, "line ", 5);
        memcpy(in->id + 5, d, nd);
        in->id[5 + nd] = '\0';
        in->id_len = 5 + nd;
    }
    in->id_line = line;
    memset(rec, 0, sizeof *rec);
    rec->struct_size = sizeof *rec;
    rec->id = in->id;
}

static oc_status invalid(struct och_input *in, struct oc_record *rec, const char *email,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static oc_status invalid(struct och_input *in, struct oc_record *rec, const char *email,
                         const char *fmt, ...)
{
    va_list ap;
    kit_buf_reset(&in->errmsg);
    kit_buf_printf(&in->errmsg, "%s: ", in->id);
    va_start(ap, fmt);
    kit_buf_vprintf(&in->errmsg, fmt, ap);
    va_end(ap);
    if(!kit_buf_ok(&in->errmsg) || fields_room(in, 2))
        return OC_E_NOMEM;
    rec->kind = "invalid";
    in->fields[0] = (struct oc_field){"error", in->errmsg.data, OC_FIELD_STRING};
    rec->nfields = 1;
    if(email && *email) {
        in->fields[1] = (struct oc_field){"email", email, OC_FIELD_STRING};
        rec->nfields = 2;
    }
    rec->fields = in->fields;
    return OC_OK;
}

/* keep() for a run of bytes without a line end: the same text, length
 * and cap, taken at once. */
static void keep_run(struct och_input *in, const char *s, size_t n)
{
    if(!n)
        return;
    in->rec_len += n;
    in->last_c = (unsigned char)s[n - 1];
    if(in->too_long)
        return;
    size_t room = in->raw.len < OCH_INPUT_MAX_RECORD ? OCH_INPUT_MAX_RECORD - in->raw.len : 0;
    kit_buf_append(&in->raw, s, n < room ? n : room);
    in->too_long = n > room;
}

/* Read one physical line into raw; 0, or -1 at end of input. The bytes
 * up to the line end are found with memchr and taken as one run per
 * buffer, not one call per byte: this is most of the work of reading
 * JSON Lines. */
static int read_line(struct och_input *in)
{
    if(peek(in) == EOF)
        return -1;
    record_begin(in);
    for(;;) {
        const char *src;
        size_t avail;
        int from_replay = replaying(in);
        if(from_replay) {
            src = in->replay.data + in->replay_pos;
            avail = in->replay.len - in->replay_pos;
        } else if(fill(in)) {
            record_end(in, 0);
            return 0;
        } else {
            src = in->chunk + in->pos;
            avail = in->end - in->pos;
        }
        const char *nl = memchr(src, '\n', avail);
        size_t n = nl ? (size_t)(nl - src) : avail;
        keep_run(in, src, n);
        size_t used = n + (nl != NULL);
        if(from_replay) {
            in->replay_pos += used;
            if(!replaying(in)) {
                kit_buf_reset(&in->replay);
                in->replay_pos = 0;
            }
        } else {
            in->pos += used;
        }
        if(nl) {
            in->line++;
            record_end(in, 1);
            return 0;
        }
    }
}

static int blank(const char *s, size_t len)
{
    for(size_t i = 0; i < len; i++)
        if(!isspace((unsigned char)s[i]))
            return 0;
    return 1;
}

static const char *property_of(const struct och_input *in, const char *name);

/* property_of for a JSON key, remembered for the keys seen last. */
static const char *key_property(struct och_input *in, const char *key)
{
    size_t n = in->nkeys < sizeof in->keys / sizeof in->keys[0] ? in->nkeys : sizeof in->keys / sizeof in->keys[0];
    for(size_t i = 0; i < n; i++)
        if(!strcmp(in->keys[i].key, key))
            return in->keys[i].self ? key : in->keys[i].prop;
    const char *prop = property_of(in, key);
    size_t len = strlen(key);
    if(len < sizeof in->keys[0].key) {
        size_t at = in->nkeys++ % (sizeof in->keys / sizeof in->keys[0]);
        memcpy(in->keys[at].key, key, len + 1);
        in->keys[at].self = prop == key;
        in->keys[at].prop = prop == key ? NULL : prop;
    }
    return prop;
}

/* ---- JSON Lines: the quick reader ----
 *
 * Most lines are a flat object of plain strings, and the general parser
 * costs several times what reading such a line needs: a token tree, then
 * each key and value decoded and compared again. The quick reader takes
 * those lines in one pass and leaves everything else to the parser, so
 * every message still comes from one place. It accepts no text the
 * parser refuses: strings without backslashes or control characters,
 * bytes from 0x80 well-formed UTF-8 (the parser's own check), JSON
 * whitespace only. */

static int json_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* The closing quote of the string whose text starts at p, or SIZE_MAX
 * when the string is one for the parser: an escape, a control character,
 * malformed UTF-8, no closing quote on the line. */
static size_t plain_string_end_slow(const char *s, size_t p, size_t len)
{
    for(;;) {
        p = kit_json_plain_run(s, p, len);
        if(p >= len)
            return SIZE_MAX;
        unsigned char c = (unsigned char)s[p];
        if(c == '"')
            return p;
        if(c < 0x80)
            return SIZE_MAX;
        size_t n = kit_utf8_seq(s + p, len - p, NULL);
        if(!n)
            return SIZE_MAX;
        p += n;
    }
}

/* plain_string_end_slow, with the common case in line: a short ASCII
 * string whose closing quote is among the next sixteen bytes. */
static inline size_t plain_string_end(const char *s, size_t p, size_t len)
{
#ifdef __SSE2__
    if(p + 16 <= len) {
        unsigned m = kit_json_special16(s + p);
        if(m && s[p + (size_t)__builtin_ctz(m)] == '"')
            return p + (size_t)__builtin_ctz(m);
    }
#endif
    return plain_string_end_slow(s, p, len);
}

/* Nonzero when the n bytes at a and b are equal; a's buffer has 16
 * readable bytes from a (layout_bytes keeps the slack). */
static inline int same_key(const char *a, const char *b, size_t n, size_t b_room)
{
#ifdef __SSE2__
    if(n <= 16 && b_room >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)a);
        __m128i y = _mm_loadu_si128((const __m128i *)(const void *)b);
        unsigned eq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y)), want = (1u << n) - 1;
        return (eq & want) == want;
    }
#else
    (void)b_room;
#endif
    return !memcmp(a, b, n);
}

/* Just past the c expected at p after optional whitespace, or SIZE_MAX.
 * s[len] is the buffer's NUL, which is neither whitespace nor anything
 * expected, so the end of the line needs no test of its own. */
static inline size_t expect(const char *s, size_t p, char c)
{
    if(s[p] != c) {
        while(json_ws((unsigned char)s[p]))
            p++;
        if(s[p] != c)
            return SIZE_MAX;
    }
    return p + 1;
}

/* Remember key (klen bytes and a NUL) and its property at member i of the
 * layout; what followed i is dropped, as a line with other keys starts a
 * new layout. */
static void layout_learn(struct och_input *in, size_t i, const char *key, size_t klen, const char *prop,
                         int email)
{
    if(i > in->nlayout)
        return;
    in->nlayout = i;
    size_t off = i ? (size_t)in->layout[i - 1].off + in->layout[i - 1].len + 1 : 0;
    /* 16 bytes kept free at the end: same_key reads 16 from any key */
    if(i >= sizeof in->layout / sizeof in->layout[0] || klen + 16 >= sizeof in->layout_bytes - off)
        return;
    memcpy(in->layout_bytes + off, key, klen + 1);
    in->layout[i].off = (uint16_t)off;
    in->layout[i].len = (uint16_t)klen;
    in->layout[i].self = prop == key;
    in->layout[i].email = (unsigned char)email;
    in->layout[i].prop = prop == key ? NULL : prop;
    in->nlayout = i + 1;
}

/* Read the line in raw as a contact if it is a flat object of plain
 * strings with one non-empty email and no ochost_error key: 1 with rec
 * filled, 0 to leave the line to the parser (vals then holds scraps), -1
 * out of memory. A line that would be invalid is always left to the
 * parser, which words the message. */
static int fast_jsonl(struct och_input *in, struct oc_record *rec)
{
    const char *s = in->raw.data;
    size_t len = in->raw.len, p = 0, nf = 0, kept = 0;
    const char *email = NULL;
    /* Each value with its NUL takes no more room than it did in the line
     * with its quotes, so vals never moves while being filled; 16 more let
     * a short value be copied in one 16-byte step. */
    if(in->vals.cap <= len + 16 && kit_buf_reserve(&in->vals, len + 16))
        return -1;
    char *o = in->vals.data;
    if((p = expect(s, 0, '{')) == SIZE_MAX)
        return 0;
    for(;;) {
        if((p = expect(s, p, '"')) == SIZE_MAX)
            return 0;
        size_t ks = p, ke = plain_string_end(s, ks, len);
        if(ke == SIZE_MAX || ke == ks)
            return 0;
        if((p = expect(s, ke + 1, ':')) == SIZE_MAX || (p = expect(s, p, '"')) == SIZE_MAX)
            return 0;
        size_t vs = p, ve = plain_string_end(s, vs, len);
        if(ve == SIZE_MAX)
            return 0;
        size_t klen = ke - ks, vlen = ve - vs;
        const char *key, *prop;
        int is_email;
        if(nf < in->nlayout && in->layout[nf].len == klen
           && same_key(in->layout_bytes + in->layout[nf].off, s + ks, klen, len - ks)) {
            key = in->layout_bytes + in->layout[nf].off;
            prop = in->layout[nf].self ? key : in->layout[nf].prop;
            is_email = in->layout[nf].email;
        } else {
            if(klen == sizeof REJECT_COLUMN - 1 && !memcmp(s + ks, REJECT_COLUMN, klen))
                return 0;
            memcpy(o, s + ks, klen);
            o[klen] = '\0';
            key = o;
            o += klen + 1;
            prop = key_property(in, key);
            is_email = prop && !strcmp(prop, "email");
            layout_learn(in, nf, key, klen, prop, is_email);
        }
        nf++;
        char *value = o;
#ifdef __SSE2__
        if(vlen < 16 && vs + 16 <= len)
            _mm_storeu_si128((__m128i *)(void *)o, _mm_loadu_si128((const __m128i *)(const void *)(s + vs)));
        else
#endif
            memcpy(o, s + vs, vlen);
        o[vlen] = '\0';
        o += vlen + 1;
        if(prop) {
            if(is_email) {
                if(email)
                    return 0;
                email = value;
            }
            if(fields_room(in, kept + 1))
                return -1;
            in->fields[kept++] = (struct oc_field){prop, value, OC_FIELD_STRING};
        }
        p = ve + 1;
        if(s[p] != ',' && s[p] != '}')
            while(json_ws((unsigned char)s[p]))
                p++;
        if(s[p] == '}')
            break;
        if(s[p++] != ',')
            return 0;
    }
    p++;
    while(json_ws((unsigned char)s[p]))
        p++;
    if(p != len || !email || !*email)
        return 0;
    in->vals.len = (size_t)(o - in->vals.data);
    in->vals.data[in->vals.len] = '\0';
    rec->kind = "contact";
    rec->nfields = kept;
    rec->fields = in->fields;
    in->fast_lines++;
    return 1;
}

void och_input_set_fast(struct och_input *in, int on) { in->general_only = !on; }

static oc_status next_jsonl(struct och_input *in, struct oc_record *rec)
{
    /* One token array for every line: reparsing into it allocates only
     * for the longest line. */
    struct kit_json *const jp = &in->json;
    char why[128];
    oc_status rc = OC_OK;
    uint64_t start;
    const char *email = NULL;

    for(;;) {
        start = in->line;
        if(read_line(in))
            return in->ioerr ? OC_E_IO : OC_E_NOT_FOUND;
        if(!kit_buf_ok(&in->raw))
            return OC_E_NOMEM;
        if(!blank(kit_buf_str(&in->raw), in->raw.len))
            break;
    }
    set_id(in, start, rec);
    fields_reset(in);
    in->strip_from = in->strip_to = 0;
    if(in->too_long)
        return invalid(in, rec, NULL, "longer than %u bytes (%llu)", OCH_INPUT_MAX_RECORD,
                       (unsigned long long)in->rec_len);
    if(!in->general_only) {
        int fast = fast_jsonl(in, rec);
        if(fast)
            return fast > 0 ? OC_OK : OC_E_NOMEM;
        kit_buf_reset(&in->vals);
    }
    if(kit_json_reparse(jp, in->raw.data, in->raw.len, why, sizeof why)) {
        if(in->unterminated)
            return invalid(in, rec, NULL,
                           "looks cut off: not valid JSON (%s), and it is the last line with no "
                           "line end, as when a write was interrupted; take this input from the "
                           "original file",
                           why);
        return invalid(in, rec, NULL, "not valid JSON (%s)", why);
    }
    if(kit_json_type(jp, 0) != KIT_JSON_OBJECT) {
        rc = invalid(in, rec, NULL, "not a JSON object; each line must be one {...} object");
        goto out;
    }
    int n = kit_json_size(jp, 0), emailf = -1, from_rejects = 0;
    size_t nf = 0, prev_end = 0;
    /* Two passes: strings first (vals may move while growing), pointers
     * after. */
    for(int i = 0, k = 1; i < n; i++) {
        int v = k + 1;
        enum kit_json_type t = kit_json_type(jp, v);
        size_t koff = in->vals.len;
        size_t vlen, klen;
        const char *vraw = kit_json_raw(jp, v, &vlen);
        const char *kraw = kit_json_raw(jp, k, &klen);
        size_t vend = (size_t)(vraw - in->raw.data) + vlen + (t == KIT_JSON_STRING);
        if(kit_json_eq(jp, k, REJECT_COLUMN) && !from_rejects) {
            /* A rejects file's reason: not a property. Its text span is
             * remembered so the record goes back to a rejects file
             * without the old reason. */
            from_rejects = 1;
            size_t kstart = (size_t)(kraw - in->raw.data) - 1;
            int next = kit_json_skip(jp, v);
            if(i > 0) {
                in->strip_from = prev_end;
                in->strip_to = vend;
            } else if(n > 1) {
                size_t nlen;
                in->strip_from = kstart;
                in->strip_to = (size_t)(kit_json_raw(jp, next, &nlen) - in->raw.data) - 1;
            } else {
                in->strip_from = kstart;
                in->strip_to = vend;
            }
            k = next;
            continue;
        }
        prev_end = vend;
        if(kit_json_str(jp, k, &in->vals))
            goto nomem_or_bad;
        /* Fields are NUL-terminated C strings: a \u0000 would cut one short
         * and send HubSpot something other than what the line says. */
        if(memchr(in->vals.data + koff, '\0', in->vals.len - koff)) {
            rc = invalid(in, rec, NULL, "a key holds \\u0000, which cannot be sent");
            goto out;
        }
        field_end(in);
        const char *key = in->vals.data + koff;
        if(!*key) {
            rc = invalid(in, rec, NULL, "a key is empty");
            goto out;
        }
        if(t == KIT_JSON_NULL) {
            in->vals.len = koff; /* null: no value, field left out */
            in->vals.data[koff] = '\0';
            k = kit_json_skip(jp, v);
            continue;
        }
        if(t != KIT_JSON_STRING && t != KIT_JSON_NUMBER) {
            char kc[64];
            snprintf(kc, sizeof kc, "%s", key);
            rc = invalid(in, rec, NULL, "value of \"%s\" must be a string or a number", kc);
            goto out;
        }
        if(field_begin(in))
            goto nomem;
        in->offs[in->noffs - 1] = koff; /* the key, already stored */
        if(field_begin(in))
            goto nomem;
        size_t voff = in->vals.len;
        if(kit_json_str(jp, v, &in->vals))
            goto nomem_or_bad;
        if(memchr(in->vals.data + voff, '\0', in->vals.len - voff)) {
            char kc[64];
            snprintf(kc, sizeof kc, "%s", in->vals.data + koff);
            rc = invalid(in, rec, NULL, "value of \"%s\" holds \\u0000, which cannot be sent", kc);
            goto out;
        }
        field_end(in);
        k = kit_json_skip(jp, v);
    }
    if(!kit_buf_ok(&in->vals))
        goto nomem;
    nf = in->noffs / 2;
    if(fields_room(in, nf ? nf : 1))
        goto nomem;
    size_t kept = 0;
    for(size_t i = 0; i < nf; i++) {
        const char *prop = key_property(in, field_at(in, 2 * i));
        if(!prop)
            continue;
        if(!strcmp(prop, "email")) {
            if(emailf >= 0) {
                rc = invalid(in, rec, NULL, "more than one email key (\"%.60s\" is a second one)",
                             field_at(in, 2 * i));
                goto out;
            }
            emailf = (int)kept;
        }
        /* Number literals are passed as their text; HubSpot properties are
         * strings anyway. */
        in->fields[kept++] = (struct oc_field){prop, field_at(in, 2 * i + 1), OC_FIELD_STRING};
    }
    nf = kept;
    email = emailf >= 0 ? in->fields[emailf].value : NULL;
    if(from_rejects && in->unterminated) {
        rc = invalid(in, rec, email,
                     "looks cut off: a line of a rejects file (it has \"" REJECT_COLUMN "\") "
                     "that is the last one and has no line end, as when a write was "
                     "interrupted; take this input from the original file");
        goto out;
    }
    if(!email || !*email) {
        rc = invalid(in, rec, NULL, "no \"email\" value");
        goto out;
    }
    rec->kind = "contact";
    rec->nfields = nf;
    rec->fields = in->fields;
out:
    return rc;
nomem_or_bad:
    if(kit_buf_ok(&in->vals)) {
        rc = invalid(in, rec, NULL, "a key or value could not be decoded");
        goto out;
    }
nomem:
    rc = OC_E_NOMEM;
    goto out;
}

/* Blanks around a field are not data; a tab is the delimiter in a
 * tab-separated file. */
static int csv_blank(const struct och_input *in, int c)
{
    return c == ' ' || (c == '\t' && in->delim != '\t');
}

/* Read one CSV record (RFC 4180 with in->delim, lenient about blanks
 * before a quoted field and stray quotes inside unquoted ones). Fields go
 * to vals/offs, the text to raw. Returns 0, -1 at end of input, -2 on
 * oom. *bad gets a static description of a syntax error, NULL if none. */
static int read_csv_record(struct och_input *in, const char **bad)
{
    int c;
    const int d = in->delim;
    *bad = NULL;
    fields_reset(in);
    if(peek(in) == EOF)
        return -1;
    record_begin(in);
    for(size_t field = 0;; field++) {
        if(field_begin(in))
            return -2;
        /* field start: skip blanks, which also lets "a, b" work */
        while(csv_blank(in, c = peek(in)))
            keep(in, get(in));
        if(c == '"') {
            keep(in, get(in));
            for(;;) {
                c = get(in);
                if(c == EOF) {
                    *bad = "a quoted field is not closed before the end of the input";
                    field_end(in);
                    record_end(in, 0);
                    return kit_buf_ok(&in->vals) && kit_buf_ok(&in->raw) ? 0 : -2;
                }
                keep(in, c);
                if(c == '\n' && in->quote_nl_field == SIZE_MAX)
                    in->quote_nl_field = field;
                if(c == '"') {
                    if(peek(in) == '"') {
                        keep(in, get(in));
                        field_putc(in, '"');
                        continue;
                    }
                    break;
                }
                field_putc(in, c);
            }
            /* after the closing quote: blanks, then separator or line end */
            while(csv_blank(in, c = peek(in)))
                keep(in, get(in));
            if(c != d && c != '\n' && c != '\r' && c != EOF) {
                if(!*bad)
                    *bad = "text after a closing quote (quotes inside a field must be doubled)";
                while((c = peek(in)) != d && c != '\n' && c != EOF)
                    keep(in, get(in));
            }
        } else {
            size_t start = in->vals.len;
            while((c = peek(in)) != d && c != '\n' && c != EOF) {
                keep(in, get(in));
                field_putc(in, c);
            }
            /* trailing blanks and the CR of a CRLF are not data */
            while(!in->skip_field && !in->too_long && in->vals.len > start
                  && (csv_blank(in, in->vals.data[in->vals.len - 1])
                      || in->vals.data[in->vals.len - 1] == '\r'))
                in->vals.data[--in->vals.len] = '\0';
        }
        field_end(in);
        c = get(in);
        if(c == d) {
            keep(in, c);
            continue;
        }
        if(c == '\r' && peek(in) == '\n') {
            keep(in, c); /* so the record's length counts it, as for unquoted fields */
            c = get(in);
        }
        record_end(in, c == '\n');
        break; /* '\n', EOF (or a lone CR before EOF) */
    }
    return kit_buf_ok(&in->vals) && kit_buf_ok(&in->raw) ? 0 : -2;
}

static int blank_record(const struct och_input *in)
{
    return in->noffs == 1 && !*field_at(in, 0) && blank(kit_buf_str(&in->raw), in->raw.len);
}

/* Lines after the first of the current record go back to be read again
 * (the quote that swallowed them is reported on the first alone); raw is
 * cut to that first line. 0, or -1 out of memory. */
static int replay_after_first_line(struct och_input *in, uint64_t start)
{
    const char *nl = memchr(in->raw.data, '\n', in->raw.len);
    if(!nl)
        return 0;
    size_t first = (size_t)(nl - in->raw.data);
    struct kit_buf again = KIT_BUF_INIT;
    kit_buf_append(&again, nl + 1, in->raw.len - first - 1);
    if(in->cr_stripped)
        kit_buf_putc(&again, '\r');
    if(!in->unterminated)
        kit_buf_putc(&again, '\n');
    if(replaying(in))
        kit_buf_append(&again, in->replay.data + in->replay_pos, in->replay.len - in->replay_pos);
    if(!kit_buf_ok(&again)) {
        kit_buf_free(&again);
        return -1;
    }
    kit_buf_free(&in->replay);
    in->replay = again;
    in->replay_pos = 0;
    in->replay_off = in->rec_off + first + 1;
    in->line = start + 1;
    in->raw.len = first;
    if(in->raw.len && in->raw.data[in->raw.len - 1] == '\r')
        in->raw.len--;
    in->raw.data[in->raw.len] = '\0';
    in->rec_len = in->raw.len;
    in->unterminated = 0;
    return 0;
}

static const char *column_name(const struct och_input *in, size_t i)
{
    return i < in->ncols ? in->cols[i] : "?";
}

static oc_status next_csv(struct och_input *in, struct oc_record *rec)
{
    const char *bad;
    uint64_t start;
    int r;
    for(;;) {
        start = in->line;
        r = read_csv_record(in, &bad);
        if(r == -1)
            return in->ioerr ? OC_E_IO : OC_E_NOT_FOUND;
        if(r == -2)
            return OC_E_NOMEM;
        if(!blank_record(in))
            break;
    }
    set_id(in, start, rec);
    int complete = in->noffs == in->ncols && !in->nextra && !in->too_long;
    int swallowed = in->quote_nl_field != SIZE_MAX && (bad || !complete);
    const char *email = complete ? field_at(in, in->email_col) : NULL;
    size_t badat;
    /* the last line the record took */
    uint64_t last = in->line - (in->unterminated ? 0 : 1);
    in->strip_from = in->strip_to = 0;
    if(in->err_col != SIZE_MAX && complete) {
        size_t k = in->err_col;
        in->strip_from = k ? in->rawoffs[k] - 1 : 0;
        in->strip_to = k + 1 < in->ncols ? in->rawoffs[k + 1] - (k ? 1 : 0) : in->raw.len;
    }
    if(swallowed && in->too_long)
        return invalid(in, rec, NULL,
                       "a quote opened in column '%s' is not closed: it swallowed lines %llu to "
                       "%llu (more than %u bytes), so none of them was pushed; close the quote (a "
                       "quote inside a value is written \"\") and push lines %llu to %llu again",
                       column_name(in, in->quote_nl_field), (unsigned long long)start,
                       (unsigned long long)last, OCH_INPUT_MAX_RECORD, (unsigned long long)start,
                       (unsigned long long)last);
    if(swallowed) {
        const char *nl = memchr(in->raw.data, '\n', in->raw.len);
        const char *tail = nl ? nl + 1 : in->raw.data + in->raw.len;
        size_t tail_len = in->raw.len - (size_t)(tail - in->raw.data);
        if(blank(tail, tail_len))
            return invalid(in, rec, NULL, "a quote opened in column '%s' is not closed (%s); close it "
                           "(a quote inside a value is written \"\") and push this line again",
                           column_name(in, in->quote_nl_field),
                           bad ? bad : "the record does not fit the header");
        last = start;
        for(const char *p = in->raw.data; (p = memchr(p, '\n', in->raw.len - (size_t)(p - in->raw.data)));
            p++)
            last++;
        if(in->raw.len && in->raw.data[in->raw.len - 1] == '\n')
            last--;
        char why[96];
        if(bad)
            snprintf(why, sizeof why, "%s", bad);
        else
            snprintf(why, sizeof why, "%zu fields where the header has %zu columns", in->noffs + in->nextra,
                     in->ncols);
        size_t col = in->quote_nl_field;
        if(replay_after_first_line(in, start))
            return OC_E_NOMEM;
        return invalid(in, rec, NULL,
                       "a quote opened in column '%s' is not closed on this line: it swallowed "
                       "lines %llu to %llu and the record it made does not fit the header (%s), so "
                       "this line is not pushed and lines %llu to %llu are read again as rows of "
                       "their own; close the quote (a quote inside a value is written \"\") and "
                       "push this line again",
                       column_name(in, col), (unsigned long long)start + 1, (unsigned long long)last,
                       why, (unsigned long long)start + 1, (unsigned long long)last);
    }
    /* A rejects file ends every record with a line end, written in the
     * same write as the record: a last record without one was cut short
     * and its values cannot be trusted. */
    if(in->err_col != SIZE_MAX && in->unterminated)
        return invalid(in, rec, email,
                       "looks cut off: the last record of a rejects file (its header has "
                       REJECT_COLUMN ") with no line end, as when a write was interrupted; take "
                       "this input from the original file");
    if(in->too_long)
        return invalid(in, rec, NULL, "record longer than %u bytes (%llu)", OCH_INPUT_MAX_RECORD,
                       (unsigned long long)in->rec_len);
    if(bad)
        return invalid(in, rec, NULL, "%s", bad);
    if(!kit_utf8_valid(in->raw.data, in->raw.len, 0, &badat))
        return invalid(in, rec, NULL, "not valid UTF-8 (byte %zu of the record); save the file as UTF-8",
                       badat + 1);
    if(in->noffs != in->ncols || in->nextra)
        return invalid(in, rec, NULL, "%zu fields, but the header has %zu columns", in->noffs + in->nextra,
                       in->ncols);
    if(!*email)
        return invalid(in, rec, NULL, "the email column is empty");
    if(fields_room(in, in->ncols))
        return OC_E_NOMEM;
    size_t nf = 0;
    for(size_t i = 0; i < in->ncols; i++) {
        const char *v = field_at(in, i);
        /* An empty cell leaves the HubSpot property alone instead of
         * erasing it. */
        if(!*v || i == in->err_col || !in->props[i])
            continue;
        in->fields[nf++] = (struct oc_field){in->props[i], v, OC_FIELD_STRING};
    }
    rec->kind = "contact";
    rec->nfields = nf;
    rec->fields = in->fields;
    return OC_OK;
}

/* ---- column names and properties ---- */

static const struct {
    const char *header; /* lowercase letters and digits only */
    const char *property;
} common_headers[] = {
    {"email", "email"},           {"emailaddress", "email"},    {"firstname", "firstname"},
    {"givenname", "firstname"},   {"lastname", "lastname"},     {"surname", "lastname"},
    {"familyname", "lastname"},   {"company", "company"},       {"companyname", "company"},
    {"organization", "company"},  {"organisation", "company"},  {"phone", "phone"},
    {"phonenumber", "phone"},     {"mobilephone", "mobilephone"}, {"mobilephonenumber", "mobilephone"},
    {"jobtitle", "jobtitle"},     {"title", "jobtitle"},        {"address", "address"},
    {"streetaddress", "address"}, {"city", "city"},             {"state", "state"},
    {"stateregion", "state"},     {"zip", "zip"},               {"zipcode", "zip"},
    {"postalcode", "zip"},        {"postcode", "zip"},          {"country", "country"},
    {"countryregion", "country"}, {"website", "website"},       {"websiteurl", "website"},
};

const char *och_input_common_property(const char *header)
{
    char norm[32];
    size_t n = 0;
    for(const unsigned char *p = (const unsigned char *)header; *p; p++) {
        if(*p >= 0x80)
            return NULL;
        if(!isalnum(*p))
            continue;
        if(n + 1 == sizeof norm)
            return NULL;
        norm[n++] = (char)tolower(*p);
    }
    norm[n] = '\0';
    for(size_t i = 0; i < sizeof common_headers / sizeof common_headers[0]; i++)
        if(!strcmp(norm, common_headers[i].header))
            return common_headers[i].property;
    return NULL;
}

/* The property a column or key goes to: --map, the common headers, else
 * its own name. NULL: --map leaves it out. */
static const char *property_of(const struct och_input *in, const char *name)
{
    if(in->map)
        for(size_t i = 0; i < in->map->n; i++)
            if(!strcasecmp(in->map->column[i], name))
                return *in->map->property[i] ? in->map->property[i] : NULL;
    const char *common = och_input_common_property(name);
    return common ? common : name;
}

static const char *delim_name(char d)
{
    return d == ';' ? "semicolon-separated" : d == '\t' ? "tab-separated" : "comma-separated";
}

/* "'A', 'B', 'C'" for a header message, kept short enough to leave room
 * for the advice after it. */
static void columns_found(const struct och_input *in, struct kit_buf *b)
{
    size_t n = in->cols ? in->ncols : in->noffs;
    for(size_t i = 0; i < n; i++) {
        if(b->len > 200) {
            kit_buf_printf(b, " and %zu more", n - i);
            break;
        }
        const char *c = in->cols ? in->cols[i] : field_at(in, i);
        kit_buf_printf(b, "%s'%.60s'", i ? ", " : "", c ? c : "");
    }
    if(!n)
        kit_buf_puts(b, "none");
    kit_buf_printf(b, " (read as %s)", delim_name(in->delim));
}

static oc_status header_fail(struct och_input *in, struct oc_error *err, oc_status rc, uint64_t line,
                             const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A header problem: what is wrong, then the columns found, then the
 * advice that follows a '|' in fmt's output. */
static oc_status header_fail(struct och_input *in, struct oc_error *err, oc_status rc, uint64_t line,
                             const char *fmt, ...)
{
    struct kit_buf what = KIT_BUF_INIT, cols = KIT_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    kit_buf_vprintf(&what, fmt, ap);
    va_end(ap);
    columns_found(in, &cols);
    if(!kit_buf_ok(&what) || !kit_buf_ok(&cols)) {
        kit_buf_free(&what);
        kit_buf_free(&cols);
        return kit_fail(err, OC_E_NOMEM, "out of memory reading the header of %s", in->name);
    }
    char *advice = strchr(what.data, '|');
    if(advice)
        *advice++ = '\0';
    kit_fail(err, rc, "%s: line %llu: %s; columns found: %s%s%s", in->name, (unsigned long long)line,
             what.data, cols.data, advice ? "; " : "", advice ? advice : "");
    kit_buf_free(&what);
    kit_buf_free(&cols);
    return rc;
}

/* The delimiter of a CSV is the one of comma, semicolon and tab its
 * header line holds most of outside quotes. Only the bytes already read
 * are looked at (a header longer than a chunk counts its beginning). */
static char detect_delim(const struct och_input *in)
{
    size_t comma = 0, semi = 0, tab = 0;
    int quoted = 0;
    for(size_t i = in->pos; i < in->end; i++) {
        char c = in->chunk[i];
        if(c == '"')
            quoted = !quoted;
        else if(quoted)
            continue;
        else if(c == '\n')
            break;
        else if(c == ',')
            comma++;
        else if(c == ';')
            semi++;
        else if(c == '\t')
            tab++;
    }
    if(semi > comma && semi >= tab)
        return ';';
    if(tab > comma && tab > semi)
        return '\t';
    return ',';
}

/* Which column the user most likely meant as the email, for the advice. */
static const char *email_guess(const struct och_input *in)
{
    for(size_t i = 0; i < in->ncols; i++)
        for(const char *p = in->cols[i]; *p; p++)
            if(!strncasecmp(p, "mail", 4))
                return in->cols[i];
    return in->ncols ? in->cols[0] : "";
}

static oc_status read_header(struct och_input *in, struct oc_error *err)
{
    const char *bad;
    uint64_t start = in->line;
    in->delim = detect_delim(in);
    int r = read_csv_record(in, &bad);
    if(r == -2)
        return kit_fail(err, OC_E_NOMEM, "out of memory reading the header of %s", in->name);
    if(r == -1)
        return OC_OK; /* nothing at all: no records */
    if(bad || in->too_long || !kit_utf8_valid(in->raw.data, in->raw.len, 0, NULL))
        return header_fail(in, err, OC_E_CONFIG, start,
                           "the CSV header is malformed (%s)|the first line must name the columns",
                           bad ? bad : in->too_long ? "too long" : "not valid UTF-8; save the file as UTF-8");
    in->cols = calloc(in->noffs, sizeof *in->cols);
    in->props = calloc(in->noffs, sizeof *in->props);
    if(!in->cols || !in->props)
        return kit_fail(err, OC_E_NOMEM, "out of memory reading the header of %s", in->name);
    in->ncols = in->noffs;
    for(size_t i = 0; i < in->ncols; i++) {
        const char *s = field_at(in, i);
        while(isspace((unsigned char)*s))
            s++;
        size_t len = strlen(s);
        while(len && isspace((unsigned char)s[len - 1]))
            len--;
        in->cols[i] = strndup(s, len);
        if(!in->cols[i])
            return kit_fail(err, OC_E_NOMEM, "out of memory reading the header of %s", in->name);
    }
    int have_email = 0;
    for(size_t i = 0; i < in->ncols; i++) {
        if(!*in->cols[i])
            return header_fail(in, err, OC_E_CONFIG, start,
                               "header column %zu has no name|name every column on the first line", i + 1);
        for(size_t k = 0; k < i; k++)
            if(strcasecmp(in->cols[k], in->cols[i]) == 0)
                return header_fail(in, err, OC_E_CONFIG, start,
                                   "header column '%.60s' appears twice|rename one of them", in->cols[i]);
        if(strcasecmp(in->cols[i], REJECT_COLUMN) == 0) {
            in->err_col = i;
            continue;
        }
        in->props[i] = property_of(in, in->cols[i]);
        if(!in->props[i])
            continue;
        for(size_t k = 0; k < i; k++)
            if(in->props[k] && !strcmp(in->props[k], in->props[i]))
                return header_fail(in, err, OC_E_CONFIG, start,
                                   "columns '%.60s' and '%.60s' both go to HubSpot property %.60s|leave "
                                   "one out with --map '%.60s=' or send it elsewhere with --map "
                                   "'%.60s=property'",
                                   in->cols[k], in->cols[i], in->props[i], in->cols[i], in->cols[i]);
        if(!strcmp(in->props[i], "email")) {
            in->email_col = i;
            have_email = 1;
        }
    }
    for(size_t m = 0; in->map && m < in->map->n; m++) {
        size_t i = 0;
        while(i < in->ncols && strcasecmp(in->cols[i], in->map->column[m]))
            i++;
        if(i == in->ncols)
            return header_fail(in, err, OC_E_INVALID, start,
                               "--map names column '%.60s', which the header does not have|spell it as "
                               "the header does (case does not matter)",
                               in->map->column[m]);
    }
    if(!have_email)
        return header_fail(in, err, OC_E_CONFIG, start,
                           "the CSV header has no email column|name it \"email\" or use --map "
                           "'%.60s=email'",
                           email_guess(in));
    /* The header a rejects file gets: without an old reason column (it
     * appends its own). */
    size_t from = 0, to = 0;
    if(in->err_col != SIZE_MAX) {
        size_t k = in->err_col;
        from = k ? in->rawoffs[k] - 1 : 0;
        to = k + 1 < in->ncols ? in->rawoffs[k + 1] - (k ? 1 : 0) : in->raw.len;
    }
    if(kit_buf_append(&in->header_raw, in->raw.data, from)
       || kit_buf_append(&in->header_raw, in->raw.data + to, in->raw.len - to))
        return kit_fail(err, OC_E_NOMEM, "out of memory reading the header of %s", in->name);
    return OC_OK;
}

/* ---- --map ---- */

static char *trimmed_dup(const char *s, size_t len)
{
    while(len && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while(len && isspace((unsigned char)s[len - 1]))
        len--;
    return strndup(s, len);
}

static int internal_name(const char *s)
{
    for(; *s; s++)
        if(!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

oc_status och_input_map_parse(struct och_input_map *map, const char *text, struct oc_error *err)
{
    memset(map, 0, sizeof *map);
    size_t cap = 1;
    for(const char *p = text; *p; p++)
        cap += *p == ',';
    map->column = calloc(cap, sizeof *map->column);
    map->property = calloc(cap, sizeof *map->property);
    if(!map->column || !map->property)
        return kit_fail(err, OC_E_NOMEM, "out of memory reading --map");
    if(!*text)
        return kit_fail(err, OC_E_INVALID,
                        "--map is empty; give --map 'Column A=prop_a,Column B=prop_b'");
    for(const char *p = text;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if(!eq)
            return kit_fail(err, OC_E_INVALID,
                            "--map part '%.*s' has no '='; each part is 'Column=property', parts "
                            "separated by commas",
                            (int)(len > 80 ? 80 : len), p);
        char *col = trimmed_dup(p, (size_t)(eq - p));
        char *prop = trimmed_dup(eq + 1, len - (size_t)(eq - p) - 1);
        map->column[map->n] = col;
        map->property[map->n++] = prop;
        if(!col || !prop)
            return kit_fail(err, OC_E_NOMEM, "out of memory reading --map");
        if(!*col)
            return kit_fail(err, OC_E_INVALID, "--map part '%.*s' names no column before its '='",
                            (int)(len > 80 ? 80 : len), p);
        if(!internal_name(prop))
            return kit_fail(err, OC_E_INVALID,
                            "--map part '%.*s': '%.60s' is not a HubSpot property's internal name "
                            "(lowercase letters, digits and _, as in Settings > Properties); leave "
                            "it empty ('%.60s=') to leave the column out",
                            (int)(len > 80 ? 80 : len), p, prop, col);
        for(size_t k = 0; k + 1 < map->n; k++)
            if(!strcasecmp(map->column[k], col))
                return kit_fail(err, OC_E_INVALID, "--map names column '%.60s' twice", col);
        if(!end)
            break;
        p = end + 1;
    }
    return OC_OK;
}

void och_input_map_free(struct och_input_map *map)
{
    if(!map)
        return;
    for(size_t i = 0; i < map->n; i++) {
        free(map->column[i]);
        free(map->property[i]);
    }
    free(map->column);
    free(map->property);
    memset(map, 0, sizeof *map);
}

oc_status och_input_open(struct och_input *in, FILE *f, const char *name, struct oc_error *err)
{
    return och_input_open_mapped(in, f, name, NULL, err);
}

static oc_status open_input(struct och_input *in, FILE *f, const char *name,
                            const struct och_input_map *map, int stream, struct oc_error *err);

oc_status och_input_open_mapped(struct och_input *in, FILE *f, const char *name,
                                const struct och_input_map *map, struct oc_error *err)
{
    return open_input(in, f, name, map, 0, err);
}

oc_status och_input_open_stream(struct och_input *in, FILE *f, const char *name,
                                const struct och_input_map *map, struct oc_error *err)
{
    return open_input(in, f, name, map, 1, err);
}

int och_input_ready(const struct och_input *in)
{
    /* A full buffer without a line end is a record past the cap: the
     * parser reads on (it keeps only the beginning) rather than wait. */
    return in->eof || replaying(in) ||
           (in->chunk && (memchr(in->chunk + in->pos, '\n', in->end - in->pos) != NULL ||
                          (in->pos == 0 && in->end == CHUNK_SIZE)));
}

int och_input_pull(struct och_input *in)
{
    if(!in->stream || !in->chunk || in->eof || och_input_ready(in))
        return 0;
    /* The part of a line already here moves to the front, so the bytes
     * that complete it land right after it. */
    if(in->pos > 0) {
        memmove(in->chunk, in->chunk + in->pos, in->end - in->pos);
        in->chunk_off += in->pos;
        in->end -= in->pos;
        in->pos = 0;
    }
    ssize_t n;
    while((n = read(fileno(in->f), in->chunk + in->end, CHUNK_SIZE - in->end)) < 0 && errno == EINTR)
        ;
    if(n > 0) {
        in->end += (size_t)n;
        return 0;
    }
    if(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 0;
    /* The end (or an error): what is buffered is the last of it, and the
     * parser takes it and then sees the end as fill() reports it. */
    in->ioerr = n < 0;
    if(in->ioerr)
        in->ioerrno = errno;
    in->eof = 1;
    return -1;
}

static oc_status open_input(struct och_input *in, FILE *f, const char *name,
                            const struct och_input_map *map, int stream, struct oc_error *err)
{
    memset(in, 0, sizeof *in);
    in->stream = stream;
    in->map = map;
    in->delim = ',';
    in->quote_nl_field = SIZE_MAX;
    in->f = f;
    in->name = name;
    in->line = 1;
    in->err_col = SIZE_MAX;
    struct stat st;
    off_t at = ftello(f);
    in->seekable = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && at >= 0;
    in->base = in->seekable ? (uint64_t)at : 0;
    in->chunk = malloc(CHUNK_SIZE);
    if(!in->chunk)
        return kit_fail(err, OC_E_NOMEM, "out of memory opening %s", name);
    /* A UTF-8 BOM, then whitespace, then the first byte decides. */
    if(peek(in) == 0xef) {
        if(in->end - in->pos >= 3 && (unsigned char)in->chunk[in->pos + 1] == 0xbb
           && (unsigned char)in->chunk[in->pos + 2] == 0xbf)
            in->pos += 3;
    }
    int c;
    while((c = peek(in)) != EOF && isspace(c))
        get(in);
    if(in->ioerr)
        return kit_fail(err, OC_E_IO, "cannot read %s: %s; %s", name, strerror(in->ioerrno),
                        kit_open_advice(in->ioerrno));
    if(c == '[')
        return kit_fail(err, OC_E_CONFIG,
                        "%s looks like a JSON array; give JSON Lines (one {...} object per line) or CSV", name);
    if(c == '{' || c == EOF) {
        in->format = OCH_INPUT_JSONL;
        return OC_OK;
    }
    in->format = OCH_INPUT_CSV;
    return read_header(in, err);
}

oc_status och_input_next(void *ctx, struct oc_record *rec)
{
    struct och_input *in = ctx;
    return in->format == OCH_INPUT_CSV ? next_csv(in, rec) : next_jsonl(in, rec);
}

const char *och_input_raw(const struct och_input *in, size_t *len)
{
    if(len)
        *len = in->raw.len;
    return kit_buf_str(&in->raw);
}

const char *och_input_reject_text(struct och_input *in, size_t *len)
{
    if(in->strip_to <= in->strip_from) {
        *len = in->raw.len;
        return kit_buf_str(&in->raw);
    }
    kit_buf_reset(&in->stripped);
    kit_buf_append(&in->stripped, in->raw.data, in->strip_from);
    kit_buf_append(&in->stripped, in->raw.data + in->strip_to, in->raw.len - in->strip_to);
    if(!kit_buf_ok(&in->stripped))
        return NULL;
    *len = in->stripped.len;
    return kit_buf_str(&in->stripped);
}

int och_input_record_span(const struct och_input *in, uint64_t *off, uint64_t *len)
{
    *off = in->base + in->rec_off;
    *len = in->rec_len;
    return in->seekable;
}

int och_input_cut(const struct och_input *in) { return in->too_long; }

int och_input_fd(const struct och_input *in) { return fileno(in->f); }

const char *och_input_header(const struct och_input *in, size_t *len)
{
    if(in->format != OCH_INPUT_CSV)
        return NULL;
    if(len)
        *len = in->header_raw.len;
    return kit_buf_str(&in->header_raw);
}

size_t och_input_footprint(const struct och_input *in)
{
    size_t n = (in->chunk ? CHUNK_SIZE : 0) + in->raw.cap + in->vals.cap + in->errmsg.cap
               + in->header_raw.cap + in->stripped.cap + in->replay.cap + 2 * in->capoffs * sizeof *in->offs
               + in->capfields * sizeof *in->fields + in->json.cap * JSON_TOKEN_BYTES;
    for(size_t i = 0; i < in->ncols; i++)
        n += in->cols[i] ? strlen(in->cols[i]) + 1 : 0;
    return n + in->ncols * (sizeof *in->cols + sizeof *in->props);
}

void och_input_close(struct och_input *in)
{
    if(!in)
        return;
    free(in->chunk);
    kit_json_free(&in->json);
    kit_buf_free(&in->raw);
    kit_buf_free(&in->vals);
    kit_buf_free(&in->errmsg);
    kit_buf_free(&in->header_raw);
    kit_buf_free(&in->stripped);
    kit_buf_free(&in->replay);
    free(in->props);
    free(in->offs);
    free(in->rawoffs);
    free(in->fields);
    if(in->cols)
        for(size_t i = 0; i < in->ncols; i++)
            free(in->cols[i]);
    free(in->cols);
    memset(in, 0, sizeof *in);
}
