/* singer.c - Singer messages; see singer.h. */
#include "host-api/ochost/singer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host-api/ochost/output.h"
#include "plugin/json.h"
#include "plugin/record.h"

/* JSON Schema type names by bit, in the order a schema lists them. */
enum { T_NULL = 1, T_STRING = 2, T_INTEGER = 4, T_NUMBER = 8, T_BOOLEAN = 16, T_OBJECT = 32, T_ARRAY = 64 };
static const char *const type_names[] = {"null", "string", "integer", "number", "boolean", "object", "array"};

struct prop {
    char *name;
    unsigned types;
    int datetime; /* every string value so far was ISO 8601 date-time */
};

struct och_singer_stream {
    char *name;
    struct prop *props;
    size_t n, cap;
    int key_id;
};

/* YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM] (RFC 3339), what a target parses
 * as date-time. */
static int is_datetime(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    for(size_t i = 0; shape[i]; i++, s++)
        if(shape[i] == 'd' ? !(*s >= '0' && *s <= '9') : *s != shape[i])
            return 0;
    if(*s == '.') {
        if(!(*++s >= '0' && *s <= '9'))
            return 0;
        while(*s >= '0' && *s <= '9')
            s++;
    }
    if(*s == 'Z')
        return s[1] == '\0';
    return (*s == '+' || *s == '-') && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' &&
           s[3] == ':' && s[4] >= '0' && s[4] <= '9' && s[5] >= '0' && s[5] <= '9' && !s[6];
}

static unsigned type_bit(const struct oc_field *f)
{
    switch(och_field_json_type(f)) {
    case KIT_JSON_NULL: return T_NULL;
    case KIT_JSON_BOOL: return T_BOOLEAN;
    case KIT_JSON_OBJECT: return T_OBJECT;
    case KIT_JSON_ARRAY: return T_ARRAY;
    case KIT_JSON_NUMBER: {
        const char *v = f->value;
        /* A JSON field's number is checked by its text as well. */
        return strpbrk(v, ".eE") ? T_NUMBER : T_INTEGER;
    }
    default: return T_STRING;
    }
}

static struct och_singer_stream *find_stream(struct och_singer *sg, const char *name, int *isnew)
{
    *isnew = 0;
    for(size_t i = 0; i < sg->nstreams; i++)
        if(!strcmp(sg->streams[i].name, name))
            return &sg->streams[i];
    struct och_singer_stream *grown = realloc(sg->streams, (sg->nstreams + 1) * sizeof *grown);
    if(!grown)
        return NULL;
    sg->streams = grown;
    struct och_singer_stream *st = &sg->streams[sg->nstreams];
    memset(st, 0, sizeof *st);
    if(!(st->name = strdup(name)))
        return NULL;
    sg->nstreams++;
    *isnew = 1;
    return st;
}

/* Take r's fields into the stream's schema. 1 when the schema changed, 0
 * when not, -1 on oom. */
static int widen(struct och_singer_stream *st, const struct oc_record *r)
{
    int changed = 0;
    for(size_t i = 0; i < r->nfields; i++) {
        const struct oc_field *f = &r->fields[i];
        if(!f->key)
            continue;
        unsigned bit = type_bit(f);
        int dt = bit == T_STRING && f->value && is_datetime(f->value);
        struct prop *p = NULL;
        for(size_t k = 0; k < st->n && !p; k++)
            if(!strcmp(st->props[k].name, f->key))
                p = &st->props[k];
        if(!p) {
            if(st->n == st->cap) {
                size_t cap = st->cap ? 2 * st->cap : 32;
                struct prop *g = realloc(st->props, cap * sizeof *g);
                if(!g)
                    return -1;
                st->props = g;
                st->cap = cap;
            }
            p = &st->props[st->n];
            if(!(p->name = strdup(f->key)))
                return -1;
            st->n++;
            p->types = T_NULL | bit;
            p->datetime = dt;
            changed = 1;
            continue;
        }
        if(!(p->types & bit)) {
            p->types |= bit;
            changed = 1;
        }
        if(p->datetime && bit == T_STRING && !dt) {
            p->datetime = 0;
            changed = 1;
        }
    }
    return changed;
}

static int finish_line(struct och_singer *sg, struct kit_jw *w, unsigned records)
{
    if(kit_jw_error(w) || kit_buf_putc(&sg->line, '\n') || !kit_buf_ok(&sg->line)) {
        errno = ENOMEM;
        return -1;
    }
    return och_batch_line(sg->out, sg->line.data, sg->line.len, records);
}

static int write_schema(struct och_singer *sg, const struct och_singer_stream *st)
{
    struct kit_jw w;
    kit_buf_reset(&sg->line);
    kit_jw_init(&w, &sg->line);
    kit_jw_obj(&w);
    kit_jw_kstr(&w, "type", "SCHEMA");
    kit_jw_kstr(&w, "stream", st->name);
    kit_jw_key(&w, "schema");
    kit_jw_obj(&w);
    kit_jw_kstr(&w, "type", "object");
    kit_jw_key(&w, "properties");
    kit_jw_obj(&w);
    for(size_t i = 0; i < st->n; i++) {
        kit_jw_key(&w, st->props[i].name);
        kit_jw_obj(&w);
        kit_jw_key(&w, "type");
        kit_jw_arr(&w);
        for(size_t b = 0; b < sizeof type_names / sizeof type_names[0]; b++)
            if(st->props[i].types & (1u << b))
                kit_jw_str(&w, type_names[b]);
        kit_jw_arr_end(&w);
        if(st->props[i].datetime)
            kit_jw_kstr(&w, "format", "date-time");
        kit_jw_obj_end(&w);
    }
    kit_jw_obj_end(&w);
    kit_jw_obj_end(&w);
    kit_jw_key(&w, "key_properties");
    kit_jw_arr(&w);
    if(st->key_id)
        kit_jw_str(&w, "id");
    kit_jw_arr_end(&w);
    kit_jw_obj_end(&w);
    return finish_line(sg, &w, 0);
}

int och_singer_record(struct och_singer *sg, const struct oc_record *r, int64_t now_ms)
{
    int isnew;
    struct och_singer_stream *st = find_stream(sg, r->kind && *r->kind ? r->kind : "records", &isnew);
    int changed = st ? widen(st, r) : -1;
    if(changed < 0) {
        errno = ENOMEM;
        return -1;
    }
    if(isnew)
        st->key_id = och_record_field(r, "id") != NULL;
    if((isnew || changed) && write_schema(sg, st))
        return -1;
    char at[KIT_ISO_MS_SIZE];
    struct kit_jw w;
    kit_buf_reset(&sg->line);
    kit_jw_init(&w, &sg->line);
    kit_jw_obj(&w);
    kit_jw_kstr(&w, "type", "RECORD");
    kit_jw_kstr(&w, "stream", st->name);
    kit_jw_key(&w, "record");
    kit_jw_obj(&w);
    och_fields_json(&w, r, &sg->tmp);
    kit_jw_obj_end(&w);
    if(!kit_iso_ms(now_ms, at))
        kit_jw_kstr(&w, "time_extracted", at);
    kit_jw_obj_end(&w);
    return finish_line(sg, &w, 1);
}

int och_singer_state(struct och_singer *sg, const struct och_state *state)
{
    struct kit_jw w;
    kit_buf_reset(&sg->line);
    kit_jw_init(&w, &sg->line);
    kit_jw_obj(&w);
    kit_jw_kstr(&w, "type", "STATE");
    kit_jw_key(&w, "value");
    kit_jw_obj(&w);
    kit_jw_key(&w, "bookmarks");
    kit_jw_obj(&w);
    for(size_t i = 0; i < state->n; i++) {
        kit_jw_key(&w, state->kv[i].key);
        och_json_value(&w, state->kv[i].value, &sg->tmp);
    }
    kit_jw_obj_end(&w);
    kit_jw_obj_end(&w);
    kit_jw_obj_end(&w);
    int rc = finish_line(sg, &w, 0);
    sg->states += !rc;
    return rc;
}

void och_singer_free(struct och_singer *sg)
{
    for(size_t i = 0; i < sg->nstreams; i++) {
        for(size_t k = 0; k < sg->streams[i].n; k++)
            free(sg->streams[i].props[k].name);
        free(sg->streams[i].props);
        free(sg->streams[i].name);
    }
    free(sg->streams);
    kit_buf_free(&sg->line);
    kit_buf_free(&sg->tmp);
    memset(sg, 0, sizeof *sg);
}
