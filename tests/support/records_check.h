/*
 * records_check.h - what the pull suites read back from the test host's
 * captured records: one short text per record (an id, "id@minutes", ...)
 * from some index on, comma-joined, so a test states the whole sequence
 * it expects in one string. For tests/check_*.c only; static inline, so
 * nothing is linked in twice.
 */
#ifndef RECORDS_CHECK_H
#define RECORDS_CHECK_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/json.h"
#include "tests/support/testhost.h"

/* Writes record j's text into one (size bytes, NUL-terminated). */
typedef void (*rc_text_fn)(const struct kit_json *j, char *one, size_t size);

/* The texts of th's records from index from on, comma-joined, in a static
 * buffer overwritten by the next call. Fails the test if a record is not
 * JSON, or (kind non-NULL) not of that kind, or the texts do not fit. */
static inline const char *rc_joined(const struct testhost *th, size_t from, const char *kind,
                                    rc_text_fn text)
{
    static char out[2048];
    out[0] = '\0';
    const char *p = kit_buf_str(&th->records);
    for(size_t i = 0; *p; i++) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if(i >= from) {
            struct kit_json j = {0};
            ck_assert_int_eq(kit_json_parse(&j, p, len, NULL, 0), 0);
            if(kind)
                ck_assert(kit_json_eq(&j, kit_json_get(&j, 0, "kind"), kind));
            char one[256];
            one[0] = '\0';
            text(&j, one, sizeof one);
            kit_json_free(&j);
            size_t have = strlen(out);
            ck_assert_msg(have + 1 + strlen(one) < sizeof out, "records do not fit: %s", out);
            if(have)
                strcat(out, ",");
            strcat(out, one);
        }
        p += len + (nl ? 1 : 0);
    }
    return out;
}

/* rc_text_fn: the record's id. */
static inline void rc_id(const struct kit_json *j, char *one, size_t size)
{
    char *id = kit_json_strdup(j, kit_json_get(j, 0, "id"));
    ck_assert_ptr_nonnull(id);
    snprintf(one, size, "%s", id);
    free(id);
}

#endif
