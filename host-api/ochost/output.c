/* output.c - records as JSON lines; see output.h. */
#include "host-api/ochost/output.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/json.h"

/* JSON number grammar: -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)? */
static int json_number(const char *s)
{
    if(!s)
        return 0;
    if(*s == '-')
        s++;
    if(*s == '0')
        s++;
    else if(*s >= '1' && *s <= '9')
        while(isdigit((unsigned char)*s))
            s++;
    else
        return 0;
    if(*s == '.') {
        s++;
        if(!isdigit((unsigned char)*s))
            return 0;
        while(isdigit((unsigned char)*s))
            s++;
    }
    if(*s == 'e' || *s == 'E') {
        s++;
        if(*s == '+' || *s == '-')
            s++;
        if(!isdigit((unsigned char)*s))
            return 0;
        while(isdigit((unsigned char)*s))
            s++;
    }
    return *s == '\0';
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

/* Bytes a JSON string holds as they are: printable ASCII but the quote
 * and the backslash. */
static const unsigned char json_plain[256] = {
    [0x20] = 1, [0x21] = 1, [0x23 ... 0x5B] = 1, [0x5D ... 0x7E] = 1, [0x7F] = 1,
};

/* s as a JSON string literal. Text that needs no escaping (nearly all a
 * result holds) is copied as it is after one look at each byte; the rest
 * goes through kit_json_quote, which writes the same bytes for such
 * text. */
static void put_str(struct kit_buf *out, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while(json_plain[u[i]])
        i++;
    if(s[i]) {
        kit_json_quote(out, s, i + strlen(s + i));
        return;
    }
    if(out->oom || !out->data || out->cap - out->len <= i + 2) {
        kit_buf_putc(out, '"');
        kit_buf_append(out, s, i);
        kit_buf_putc(out, '"');
        return;
    }
    char *d = out->data + out->len;
    d[0] = '"';
    memcpy(d + 1, s, i);
    d[i + 1] = '"';
    d[i + 2] = '\0';
    out->len += i + 2;
}

/* och_record_json for records without JSON fields (all a push or lookup
 * emits): the same bytes as the writer below, without its bookkeeping
 * per key and value, which cost more than the text. */
static int record_json_plain(const struct oc_record *r, struct kit_buf *out)
{
    kit_buf_append(out, "{\"kind\":", 8);
    put_str(out, r->kind ? r->kind : "");
    for(size_t i = 0; i < r->nfields; i++) {
        const struct oc_field *f = &r->fields[i];
        const char *v = f->value ? f->value : "";
        if(!f->key)
            continue;
        kit_buf_putc(out, ',');
        put_str(out, f->key);
        kit_buf_putc(out, ':');
        if(f->type == OC_FIELD_NULL)
            kit_buf_append(out, "null", 4);
        else if((f->type == OC_FIELD_NUMBER && json_number(v)) ||
                (f->type == OC_FIELD_BOOL && (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)))
            kit_buf_append(out, v, strlen(v));
        else
            put_str(out, v);
    }
    kit_buf_putc(out, '}');
    return kit_buf_ok(out) ? 0 : -1;
}

int och_record_json(const struct oc_record *r, struct kit_buf *out)
{
    size_t i = 0;
    while(i < r->nfields && !(r->fields[i].key && r->fields[i].type == OC_FIELD_JSON))
        i++;
    if(i == r->nfields)
        return record_json_plain(r, out);
    struct kit_buf tmp = KIT_BUF_INIT;
    struct kit_jw w;
    kit_jw_init(&w, out);
    kit_jw_obj(&w);
    kit_jw_kstr(&w, "kind", r->kind ? r->kind : "");
    och_fields_json(&w, r, &tmp);
    kit_jw_obj_end(&w);
    kit_buf_free(&tmp);
    return kit_jw_error(&w) || !kit_buf_ok(out) ? -1 : 0;
}

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
