/* output.c - records as JSON lines; see output.h. */
#include "host-api/ochost/output.h"

#include <ctype.h>
#include <string.h>

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

int och_record_json(const struct oc_record *r, struct hs_buf *out)
{
    struct hs_jw w;
    hs_jw_init(&w, out);
    hs_jw_obj(&w);
    hs_jw_kstr(&w, "kind", r->kind ? r->kind : "");
    for(size_t i = 0; i < r->nfields; i++) {
        const struct oc_field *f = &r->fields[i];
        const char *v = f->value ? f->value : "";
        if(!f->key)
            continue;
        hs_jw_key(&w, f->key);
        if(f->type == OC_FIELD_NULL)
            hs_jw_null(&w);
        else if(f->type == OC_FIELD_NUMBER && json_number(v))
            hs_jw_raw(&w, v, strlen(v));
        else if(f->type == OC_FIELD_BOOL && (strcmp(v, "true") == 0 || strcmp(v, "false") == 0))
            hs_jw_raw(&w, v, strlen(v));
        else
            hs_jw_str(&w, v);
    }
    hs_jw_obj_end(&w);
    return hs_jw_error(&w) || !hs_buf_ok(out) ? -1 : 0;
}

int och_record_print(FILE *f, const struct oc_record *r, struct hs_buf *scratch)
{
    hs_buf_reset(scratch);
    if(och_record_json(r, scratch) || hs_buf_putc(scratch, '\n'))
        return -1;
    if(fwrite(scratch->data, 1, scratch->len, f) != scratch->len)
        return -1;
    return 0;
}

const char *och_record_field(const struct oc_record *r, const char *key)
{
    for(size_t i = 0; i < r->nfields; i++)
        if(r->fields[i].key && strcmp(r->fields[i].key, key) == 0)
            return r->fields[i].value;
    return NULL;
}
