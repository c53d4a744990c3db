/*
 * inputreader.h - ochost's push input reader over text in memory, for the
 * suites that test it (input, csv): open, read a record and check it,
 * expect the end. Static inline: each suite uses its part.
 */
#ifndef TESTS_INPUTREADER_H
#define TESTS_INPUTREADER_H

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "host-api/ochost/input.h"
#include "host-api/ochost/status.h"

struct reader {
    FILE *f;
    struct och_input in;
    struct och_input_map map;
    struct oc_error err;
};

/* Open len bytes of text (borrowed until close_reader) as the input
 * called name, with --map map_text (NULL for none). */
static inline oc_status reader_open(struct reader *r, const char *text, size_t len, const char *name,
                                    const char *map_text)
{
    memset(r, 0, sizeof *r);
    r->f = fmemopen((void *)text, len, "r");
    ck_assert_ptr_nonnull(r->f);
    och_error_init(&r->err);
    if(map_text)
        ck_assert_int_eq(och_input_map_parse(&r->map, map_text, &r->err), OC_OK);
    return och_input_open_mapped(&r->in, r->f, name, map_text ? &r->map : NULL, &r->err);
}

static inline void close_reader(struct reader *r)
{
    och_input_close(&r->in);
    och_input_map_free(&r->map);
    fclose(r->f);
}

/* The value of rec's field key, NULL when it has none. */
static inline const char *field(const struct oc_record *rec, const char *key)
{
    for(size_t i = 0; i < rec->nfields; i++)
        if(strcmp(rec->fields[i].key, key) == 0)
            return rec->fields[i].value;
    return NULL;
}

static inline void next_is(struct reader *r, struct oc_record *rec, const char *kind, const char *id)
{
    ck_assert_int_eq(och_input_next(&r->in, rec), OC_OK);
    ck_assert_str_eq(rec->kind, kind);
    ck_assert_str_eq(rec->id, id);
}

static inline void expect_end(struct reader *r)
{
    struct oc_record rec;
    ck_assert_int_eq(och_input_next(&r->in, &rec), OC_E_NOT_FOUND);
}

#endif
