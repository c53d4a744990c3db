/* input.c - streaming JSON Lines / CSV push input; see input.h. */
#include "host-api/ochost/input.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "host-api/ochost/status.h"
#include "plugin/error.h"
#include "plugin/json.h"
#include "plugin/utf8.h"

#define CHUNK_SIZE 65536
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
    size_t got = fread(in->chunk, 1, CHUNK_SIZE, in->f);
    in->pos = 0;
    in->end = got;
    if(got == 0) {
        in->eof = 1;
        in->ioerr = ferror(in->f);
        return -1;
    }
    return 0;
}

static int peek(struct och_input *in)
{
    return fill(in) ? EOF : (unsigned char)in->chunk[in->pos];
}

static int get(struct och_input *in)
{
    if(fill(in))
        return EOF;
    int c = (unsigned char)in->chunk[in->pos++];
    if(c == '\n')
        in->line++;
    return c;
}

/* Stream offset of the next unread byte (call after peek, so the chunk
 * holding it is loaded). */
static uint64_t offset_now(const struct och_input *in) { return in->chunk_off + in->pos; }

static void record_begin(struct och_input *in)
{
    kit_buf_reset(&in->raw);
    in->too_long = 0;
    in->rec_off = offset_now(in);
    in->rec_len = 0;
    in->last_c = 0;
    in->unterminated = 0;
}

/* A record's text ends before its line end; a CR kept last was the CR of
 * a CRLF and is not part of it either. */
static void record_end(struct och_input *in, int ended_by_newline)
{
    in->unterminated = !ended_by_newline;
    if(in->rec_len && in->last_c == '\r')
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

static void set_id(struct och_input *in, uint64_t line, struct oc_record *rec)
{
    snprintf(in->id, sizeof in->id, "line %llu", (unsigned long long)line);
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

/* Read one physical line into raw; 0, or -1 at end of input. */
static int read_line(struct och_input *in)
{
    int c;
    if(peek(in) == EOF)
        return -1;
    record_begin(in);
    while((c = get(in)) != EOF && c != '\n')
        keep(in, c);
    record_end(in, c == '\n');
    return 0;
}

static int blank(const char *s, size_t len)
{
    for(size_t i = 0; i < len; i++)
        if(!isspace((unsigned char)s[i]))
            return 0;
    return 1;
}

static oc_status next_jsonl(struct och_input *in, struct oc_record *rec)
{
    struct kit_json j = {0};
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
    if(kit_json_parse(&j, in->raw.data, in->raw.len, why, sizeof why)) {
        if(in->unterminated)
            return invalid(in, rec, NULL,
                           "looks cut off: not valid JSON (%s), and it is the last line with no "
                           "line end, as when a write was interrupted; take this input from the "
                           "original file",
                           why);
        return invalid(in, rec, NULL, "not valid JSON (%s)", why);
    }
    if(kit_json_type(&j, 0) != KIT_JSON_OBJECT) {
        rc = invalid(in, rec, NULL, "not a JSON object; each line must be one {...} object");
        goto out;
    }
    int n = kit_json_size(&j, 0), emailf = -1, from_rejects = 0;
    size_t nf = 0, prev_end = 0;
    /* Two passes: strings first (vals may move while growing), pointers
     * after. */
    for(int i = 0, k = 1; i < n; i++) {
        int v = k + 1;
        enum kit_json_type t = kit_json_type(&j, v);
        size_t koff = in->vals.len;
        size_t vlen, klen;
        const char *vraw = kit_json_raw(&j, v, &vlen);
        const char *kraw = kit_json_raw(&j, k, &klen);
        size_t vend = (size_t)(vraw - in->raw.data) + vlen + (t == KIT_JSON_STRING);
        if(kit_json_eq(&j, k, REJECT_COLUMN) && !from_rejects) {
            /* A rejects file's reason: not a property. Its text span is
             * remembered so the record goes back to a rejects file
             * without the old reason. */
            from_rejects = 1;
            size_t kstart = (size_t)(kraw - in->raw.data) - 1;
            int next = kit_json_skip(&j, v);
            if(i > 0) {
                in->strip_from = prev_end;
                in->strip_to = vend;
            } else if(n > 1) {
                size_t nlen;
                in->strip_from = kstart;
                in->strip_to = (size_t)(kit_json_raw(&j, next, &nlen) - in->raw.data) - 1;
            } else {
                in->strip_from = kstart;
                in->strip_to = vend;
            }
            k = next;
            continue;
        }
        prev_end = vend;
        if(kit_json_str(&j, k, &in->vals))
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
            k = kit_json_skip(&j, v);
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
        if(kit_json_str(&j, v, &in->vals))
            goto nomem_or_bad;
        if(memchr(in->vals.data + voff, '\0', in->vals.len - voff)) {
            char kc[64];
            snprintf(kc, sizeof kc, "%s", in->vals.data + koff);
            rc = invalid(in, rec, NULL, "value of \"%s\" holds \\u0000, which cannot be sent", kc);
            goto out;
        }
        field_end(in);
        k = kit_json_skip(&j, v);
    }
    if(!kit_buf_ok(&in->vals))
        goto nomem;
    nf = in->noffs / 2;
    if(fields_room(in, nf ? nf : 1))
        goto nomem;
    for(size_t i = 0; i < nf; i++) {
        const char *key = field_at(in, 2 * i);
        int is_email = strcasecmp(key, "email") == 0;
        if(is_email) {
            if(emailf >= 0) {
                rc = invalid(in, rec, NULL, "more than one email key");
                goto out;
            }
            emailf = (int)i;
        }
        /* Number literals are passed as their text; HubSpot properties are
         * strings anyway. */
        in->fields[i] = (struct oc_field){is_email ? "email" : key, field_at(in, 2 * i + 1),
                                          OC_FIELD_STRING};
    }
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
    kit_json_free(&j);
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

/* Read one CSV record (RFC 4180, lenient about spaces before a quoted
 * field and stray quotes inside unquoted ones). Fields go to vals/offs,
 * the text to raw. Returns 0, -1 at end of input, -2 on oom. *bad gets a
 * static description of a syntax error, NULL if none. */
static int read_csv_record(struct och_input *in, const char **bad)
{
    int c;
    *bad = NULL;
    fields_reset(in);
    if(peek(in) == EOF)
        return -1;
    record_begin(in);
    for(;;) {
        if(field_begin(in))
            return -2;
        /* field start: skip blanks, which also lets "a, b" work */
        while((c = peek(in)) == ' ' || c == '\t')
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
            while((c = peek(in)) == ' ' || c == '\t')
                keep(in, get(in));
            if(c != ',' && c != '\n' && c != '\r' && c != EOF) {
                if(!*bad)
                    *bad = "text after a closing quote (quotes inside a field must be doubled)";
                while((c = peek(in)) != ',' && c != '\n' && c != EOF)
                    keep(in, get(in));
            }
        } else {
            size_t start = in->vals.len;
            while((c = peek(in)) != ',' && c != '\n' && c != EOF) {
                keep(in, get(in));
                field_putc(in, c);
            }
            /* trailing blanks and the CR of a CRLF are not data */
            while(!in->skip_field && !in->too_long && in->vals.len > start && (in->vals.data[in->vals.len - 1] == ' '
                                           || in->vals.data[in->vals.len - 1] == '\t'
                                           || in->vals.data[in->vals.len - 1] == '\r'))
                in->vals.data[--in->vals.len] = '\0';
        }
        field_end(in);
        c = get(in);
        if(c == ',') {
            keep(in, c);
            continue;
        }
        if(c == '\r' && peek(in) == '\n')
            c = get(in);
        record_end(in, c == '\n');
        break; /* '\n', EOF (or a lone CR before EOF) */
    }
    return kit_buf_ok(&in->vals) && kit_buf_ok(&in->raw) ? 0 : -2;
}

static int blank_record(const struct och_input *in)
{
    return in->noffs == 1 && !*field_at(in, 0) && blank(kit_buf_str(&in->raw), in->raw.len);
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
    const char *email = complete ? field_at(in, in->email_col) : NULL;
    size_t badat;
    in->strip_from = in->strip_to = 0;
    if(in->err_col != SIZE_MAX && complete) {
        size_t k = in->err_col;
        in->strip_from = k ? in->rawoffs[k] - 1 : 0;
        in->strip_to = k + 1 < in->ncols ? in->rawoffs[k + 1] - (k ? 1 : 0) : in->raw.len;
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
        if(!*v || i == in->err_col)
            continue;
        in->fields[nf++] = (struct oc_field){i == in->email_col ? "email" : in->cols[i], v,
                                             OC_FIELD_STRING};
    }
    rec->kind = "contact";
    rec->nfields = nf;
    rec->fields = in->fields;
    return OC_OK;
}

static oc_status read_header(struct och_input *in, struct oc_error *err)
{
    const char *bad;
    uint64_t start = in->line;
    int r = read_csv_record(in, &bad);
    if(r == -2)
        return kit_fail(err, OC_E_NOMEM, "out of memory reading the header of %s", in->name);
    if(r == -1)
        return OC_OK; /* nothing at all: no records */
    if(bad || in->too_long || !kit_utf8_valid(in->raw.data, in->raw.len, 0, NULL))
        return kit_fail(err, OC_E_CONFIG, "%s: line %llu: the CSV header is malformed (%s)", in->name,
                        (unsigned long long)start,
                        bad ? bad : in->too_long ? "too long" : "not valid UTF-8");
    in->cols = calloc(in->noffs, sizeof *in->cols);
    if(!in->cols)
        return kit_fail(err, OC_E_NOMEM, "out of memory reading the header of %s", in->name);
    in->ncols = in->noffs;
    int have_email = 0;
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
        if(!len)
            return kit_fail(err, OC_E_CONFIG, "%s: line %llu: header column %zu has no name", in->name,
                            (unsigned long long)start, i + 1);
        for(size_t k = 0; k < i; k++)
            if(strcasecmp(in->cols[k], in->cols[i]) == 0)
                return kit_fail(err, OC_E_CONFIG, "%s: line %llu: header column \"%s\" appears twice",
                                in->name, (unsigned long long)start, in->cols[i]);
        if(strcasecmp(in->cols[i], "email") == 0) {
            in->email_col = i;
            have_email = 1;
        }
        if(strcasecmp(in->cols[i], REJECT_COLUMN) == 0)
            in->err_col = i;
    }
    if(!have_email)
        return kit_fail(err, OC_E_CONFIG,
                        "%s: line %llu: the CSV header has no email column; the first line must name the "
                        "columns, one of them \"email\"",
                        in->name, (unsigned long long)start);
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

oc_status och_input_open(struct och_input *in, FILE *f, const char *name, struct oc_error *err)
{
    memset(in, 0, sizeof *in);
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
        return kit_fail(err, OC_E_IO, "cannot read %s: %s", name, strerror(errno));
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
               + in->header_raw.cap + in->stripped.cap + 2 * in->capoffs * sizeof *in->offs
               + in->capfields * sizeof *in->fields;
    for(size_t i = 0; i < in->ncols; i++)
        n += in->cols[i] ? strlen(in->cols[i]) + 1 : 0;
    return n + in->ncols * sizeof *in->cols;
}

void och_input_close(struct och_input *in)
{
    if(!in)
        return;
    free(in->chunk);
    kit_buf_free(&in->raw);
    kit_buf_free(&in->vals);
    kit_buf_free(&in->errmsg);
    kit_buf_free(&in->header_raw);
    kit_buf_free(&in->stripped);
    free(in->offs);
    free(in->rawoffs);
    free(in->fields);
    if(in->cols)
        for(size_t i = 0; i < in->ncols; i++)
            free(in->cols[i]);
    free(in->cols);
    memset(in, 0, sizeof *in);
}
