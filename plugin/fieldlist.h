/*
 * fieldlist.h - a record's fields built one at a time into one reusable
 * text buffer, then pointed to as a struct oc_field array.
 *
 * Keys and values go into text as key\0value\0 and are located by
 * offsets, because text may move while it grows; fields get their key and
 * value pointers only once the record is complete (kit_fieldlist_keep).
 * Reusing one list for every record of a pull keeps the pull free of
 * per-record allocations once the list has grown to the largest record.
 *
 * Everything is static inline: connectors add fields on their hot path,
 * one call per field, and the call must cost no more than the code it
 * replaced.
 */
#ifndef KIT_FIELDLIST_H
#define KIT_FIELDLIST_H

#include <stdlib.h>
#include <string.h>

#include "onecount/connector.h"
#include "plugin/buf.h"

/* Zero-initialise (or KIT_FIELDLIST_INIT); all memory is owned by the
 * struct and freed by kit_fieldlist_free. */
struct kit_fieldlist {
    struct kit_buf text; /* keys and values, each NUL-terminated */
    size_t *off;         /* 2 offsets into text per field: key, value */
    struct oc_field *f;  /* type set by begin, key and value by keep */
    size_t n, cap;
};

#define KIT_FIELDLIST_INIT {KIT_BUF_INIT, NULL, NULL, 0, 0}

/* Empty the list for the next record, keeping its memory. */
static inline void kit_fieldlist_reset(struct kit_fieldlist *l)
{
    kit_buf_reset(&l->text);
    l->n = 0;
}

/* Start a field of this type named by key[0..klen): the caller appends
 * its value to l->text, then ends it with kit_fieldlist_end. 0, or -1
 * when memory ran out (the list stays consistent and freeable). */
static inline int kit_fieldlist_begin(struct kit_fieldlist *l, const char *key, size_t klen,
                                      int type)
{
    if(l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        size_t *off = realloc(l->off, 2 * cap * sizeof *off);
        if(!off)
            return -1;
        l->off = off;
        struct oc_field *f = realloc(l->f, cap * sizeof *f);
        if(!f)
            return -1;
        l->f = f;
        l->cap = cap;
    }
    l->off[2 * l->n] = l->text.len;
    kit_buf_append(&l->text, key, klen);
    kit_buf_putc(&l->text, '\0');
    l->off[2 * l->n + 1] = l->text.len;
    l->f[l->n].type = type;
    l->n++;
    return kit_buf_ok(&l->text) ? 0 : -1;
}

/* End the value of the field begun last. 0, or -1 when memory ran out. */
static inline int kit_fieldlist_end(struct kit_fieldlist *l)
{
    return kit_buf_putc(&l->text, '\0');
}

/* The key of field i (i < n), valid until text next grows. */
static inline const char *kit_fieldlist_key(const struct kit_fieldlist *l, size_t i)
{
    return l->text.data + l->off[2 * i];
}

/* Point f[kept] at field i's key and value and give it field i's type;
 * kept <= i, so a caller can drop fields (duplicates) while it walks the
 * list in order and then set n to the number kept. Only after the last
 * field was added: the pointers are into text, which no longer moves. */
static inline void kit_fieldlist_keep(struct kit_fieldlist *l, size_t i, size_t kept)
{
    l->f[kept].key = l->text.data + l->off[2 * i];
    l->f[kept].value = l->text.data + l->off[2 * i + 1];
    l->f[kept].type = l->f[i].type;
}

static inline void kit_fieldlist_free(struct kit_fieldlist *l)
{
    kit_buf_free(&l->text);
    free(l->off);
    free(l->f);
    memset(l, 0, sizeof *l);
}

#endif
