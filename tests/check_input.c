/* check_input.c - ochost's push input reader: JSON Lines, CSV (RFC 4180),
 * bad lines, streaming memory. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/inputreader.h"
#include "host-api/ochost/rejects.h"
#include "host-api/ochost/status.h"

static oc_status open_text(struct reader *r, const char *text, size_t len)
{
    return reader_open(r, text, len, "test-input", NULL);
}

START_TEST(json_lines)
{
    static const char text[] = "\n"
                               "{\"Email\": \"a@example.com\", \"firstname\": \"A\\u00e9\", \"age\": 42}\r\n"
                               "   \n"
                               "{\"email\":\"b@example.com\",\"company\":null,\"note\":\"x\\\"y\"}\n"
                               "{\"email\":\"c@example.com\"}";
    struct reader r;
    struct oc_record rec;
    size_t len;
    ck_assert_int_eq(open_text(&r, text, sizeof text - 1), OC_OK);
    ck_assert_int_eq(r.in.format, OCH_INPUT_JSONL);
    ck_assert_ptr_null(och_input_header(&r.in, NULL));

    next_is(&r, &rec, "contact", "line 2");
    ck_assert_uint_eq(rec.nfields, 3);
    ck_assert_str_eq(field(&rec, "email"), "a@example.com"); /* key normalised */
    ck_assert_str_eq(field(&rec, "firstname"), "A\xc3\xa9");
    ck_assert_str_eq(field(&rec, "age"), "42");
    ck_assert_str_eq(och_input_raw(&r.in, &len),
                     "{\"Email\": \"a@example.com\", \"firstname\": \"A\\u00e9\", \"age\": 42}");

    next_is(&r, &rec, "contact", "line 4");
    ck_assert_uint_eq(rec.nfields, 2); /* null left out */
    ck_assert_ptr_null(field(&rec, "company"));
    ck_assert_str_eq(field(&rec, "note"), "x\"y");

    next_is(&r, &rec, "contact", "line 5");
    ck_assert_str_eq(field(&rec, "email"), "c@example.com");
    expect_end(&r);
    close_reader(&r);
}
END_TEST

START_TEST(json_lines_bad_lines)
{
    static const char text[] = "{\"email\":\"ok@example.com\"}\n"
                               "{\"email\": \"broken@example.com\"\n"
                               "{\"name\":\"no email\"}\n"
                               "{\"email\":\"x@example.com\",\"tags\":[1,2]}\n"
                               "\"just a string\"\n"
                               "{\"email\":\"\"}\n"
                               "{\"email\":\"last@example.com\"}\n";
    struct reader r;
    struct oc_record rec;
    ck_assert_int_eq(open_text(&r, text, sizeof text - 1), OC_OK);
    next_is(&r, &rec, "contact", "line 1");

    next_is(&r, &rec, "invalid", "line 2");
    ck_assert_ptr_nonnull(field(&rec, "error"));
    ck_assert_msg(strstr(field(&rec, "error"), "line 2") && strstr(field(&rec, "error"), "JSON"), "%s",
                  field(&rec, "error"));
    ck_assert_str_eq(och_input_raw(&r.in, NULL), "{\"email\": \"broken@example.com\"");

    next_is(&r, &rec, "invalid", "line 3");
    ck_assert_msg(strstr(field(&rec, "error"), "line 3") && strstr(field(&rec, "error"), "email"), "%s",
                  field(&rec, "error"));
    next_is(&r, &rec, "invalid", "line 4");
    ck_assert_msg(strstr(field(&rec, "error"), "tags"), "%s", field(&rec, "error"));
    next_is(&r, &rec, "invalid", "line 5");
    next_is(&r, &rec, "invalid", "line 6");
    next_is(&r, &rec, "contact", "line 7"); /* a bad line never ends the run */
    expect_end(&r);
    close_reader(&r);
}
END_TEST

START_TEST(csv_rfc4180)
{
    static const char text[] = "\xef\xbb\xbf Email , First Name,Company,notes\r\n"
                               "a@example.com,Ann,\"Acme, Inc.\",\"she said \"\"hi\"\"\"\r\n"
                               "b@example.com,Bob,,\"two\nlines\nhere\"\r\n"
                               "\r\n"
                               "c@example.com, Cy ,  \"Quoted, after blanks\" ,plain\n"
                               "d@example.com,Dee,Dee Co,last-no-newline";
    struct reader r;
    struct oc_record rec;
    size_t len;
    ck_assert_int_eq(open_text(&r, text, sizeof text - 1), OC_OK);
    ck_assert_int_eq(r.in.format, OCH_INPUT_CSV);
    /* blanks before the first byte go with format detection; names are
     * trimmed anyway */
    ck_assert_str_eq(och_input_header(&r.in, &len), "Email , First Name,Company,notes");

    next_is(&r, &rec, "contact", "line 2");
    ck_assert_str_eq(field(&rec, "email"), "a@example.com");
    ck_assert_str_eq(field(&rec, "firstname"), "Ann"); /* header trimmed, common name mapped */
    ck_assert_str_eq(field(&rec, "company"), "Acme, Inc.");
    ck_assert_str_eq(field(&rec, "notes"), "she said \"hi\"");
    ck_assert_str_eq(och_input_raw(&r.in, NULL), "a@example.com,Ann,\"Acme, Inc.\",\"she said \"\"hi\"\"\"");

    next_is(&r, &rec, "contact", "line 3");
    ck_assert_ptr_null(field(&rec, "company")); /* empty cell not sent */
    ck_assert_str_eq(field(&rec, "notes"), "two\nlines\nhere");
    ck_assert_str_eq(och_input_raw(&r.in, NULL), "b@example.com,Bob,,\"two\nlines\nhere\"");

    /* the blank line 6 is skipped; line numbers count physical lines */
    next_is(&r, &rec, "contact", "line 7");
    ck_assert_str_eq(field(&rec, "firstname"), "Cy");
    ck_assert_str_eq(field(&rec, "company"), "Quoted, after blanks");
    next_is(&r, &rec, "contact", "line 8");
    ck_assert_str_eq(field(&rec, "notes"), "last-no-newline");
    expect_end(&r);
    close_reader(&r);
}
END_TEST

START_TEST(csv_bad_lines)
{
    static const char text[] = "email,name\n"
                               "a@example.com,A\n"
                               "b@example.com,B,extra\n"
                               ",no email\n"
                               "c@example.com,\"bad\"quote\n"
                               "d@example.com,\xff\xfe\n"
                               "e@example.com,E\n"
                               "f@example.com,\"never closed\n";
    struct reader r;
    struct oc_record rec;
    ck_assert_int_eq(open_text(&r, text, sizeof text - 1), OC_OK);
    next_is(&r, &rec, "contact", "line 2");
    next_is(&r, &rec, "invalid", "line 3");
    ck_assert_msg(strstr(field(&rec, "error"), "line 3") && strstr(field(&rec, "error"), "3 fields"), "%s",
                  field(&rec, "error"));
    next_is(&r, &rec, "invalid", "line 4");
    ck_assert_msg(strstr(field(&rec, "error"), "email"), "%s", field(&rec, "error"));
    next_is(&r, &rec, "invalid", "line 5");
    ck_assert_msg(strstr(field(&rec, "error"), "quote"), "%s", field(&rec, "error"));
    next_is(&r, &rec, "invalid", "line 6");
    ck_assert_msg(strstr(field(&rec, "error"), "UTF-8"), "%s", field(&rec, "error"));
    next_is(&r, &rec, "contact", "line 7");
    next_is(&r, &rec, "invalid", "line 8");
    ck_assert_msg(strstr(field(&rec, "error"), "not closed"), "%s", field(&rec, "error"));
    expect_end(&r);
    close_reader(&r);
}
END_TEST

START_TEST(header_problems_stop_before_any_record)
{
    struct reader r;
    static const char no_email[] = "mail,name\nx@example.com,X\n";
    ck_assert_int_eq(open_text(&r, no_email, sizeof no_email - 1), OC_E_CONFIG);
    ck_assert_int_eq(och_exit_code(OC_E_CONFIG), 2);
    ck_assert_msg(strstr(r.err.message, "email") && strstr(r.err.message, "test-input"), "%s", r.err.message);
    close_reader(&r);

    static const char dup[] = "email,Email\n";
    ck_assert_int_eq(open_text(&r, dup, sizeof dup - 1), OC_E_CONFIG);
    ck_assert_msg(strstr(r.err.message, "twice"), "%s", r.err.message);
    close_reader(&r);

    static const char array[] = "  [{\"email\":\"a@example.com\"}]";
    ck_assert_int_eq(open_text(&r, array, sizeof array - 1), OC_E_CONFIG);
    ck_assert_msg(strstr(r.err.message, "JSON Lines"), "%s", r.err.message);
    close_reader(&r);

    static const char empty[] = " \n\n";
    ck_assert_int_eq(open_text(&r, empty, sizeof empty - 1), OC_OK);
    expect_end(&r);
    close_reader(&r);
}
END_TEST

/* 100,000 records through the reader: its heap stays what the first few
 * records needed. */
static void stream_many(int csv)
{
    struct reader r = {0};
    struct oc_record rec;
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    if(csv)
        fputs("email,firstname,lastname,company\n", f);
    for(int i = 0; i < 100000; i++) {
        if(csv)
            fprintf(f, "user%06d@example.com,First%06d,\"Last, %06d\",Company %02d\n", i, i, i, i % 97);
        else
            fprintf(f, "{\"email\":\"user%06d@example.com\",\"firstname\":\"First%06d\",\"n\":%d}\n", i,
                    i, 100000 + i);
    }
    rewind(f);
    r.f = f;
    och_error_init(&r.err);
    ck_assert_int_eq(och_input_open(&r.in, f, "generated", &r.err), OC_OK);
    size_t after_first = 0, max = 0;
    int n = 0;
    while(och_input_next(&r.in, &rec) == OC_OK) {
        ck_assert_str_eq(rec.kind, "contact");
        n++;
        size_t fp = och_input_footprint(&r.in);
        if(n == 10)
            after_first = fp;
        if(fp > max)
            max = fp;
    }
    ck_assert_int_eq(n, 100000);
    ck_assert_str_eq(rec.id, csv ? "line 100001" : "line 100000");
    ck_assert_msg(max == after_first, "reader grew from %zu to %zu bytes", after_first, max);
    ck_assert_msg(max < 128 * 1024, "reader holds %zu bytes", max);
    close_reader(&r);
}

START_TEST(streaming_memory_is_flat)
{
    stream_many(0);
    stream_many(1);
}
END_TEST

START_TEST(overlong_record_is_invalid_not_growth)
{
    size_t big = OCH_INPUT_MAX_RECORD + 1000;
    char *text = malloc(big + 64);
    ck_assert_ptr_nonnull(text);
    size_t n = (size_t)sprintf(text, "{\"email\":\"a@example.com\",\"x\":\"");
    memset(text + n, 'x', big);
    n += big;
    n += (size_t)sprintf(text + n, "\"}\n{\"email\":\"b@example.com\"}\n");
    struct reader r;
    struct oc_record rec;
    ck_assert_int_eq(open_text(&r, text, n), OC_OK);
    next_is(&r, &rec, "invalid", "line 1");
    ck_assert_msg(strstr(field(&rec, "error"), "longer"), "%s", field(&rec, "error"));
    ck_assert_uint_lt(och_input_footprint(&r.in), 3 * OCH_INPUT_MAX_RECORD);
    next_is(&r, &rec, "contact", "line 2");
    close_reader(&r);
    free(text);
}
END_TEST

/* A 5 MB CSV record (one field, its quote never closed, as a broken
 * export makes) is one invalid record naming its line; the reader's own
 * buffers stay near the record cap (text + values + read chunk, about
 * 2 MB), not the record's size; the next record reads normally. */
static void huge_csv_record(const char *open, const char *close)
{
    size_t big = 5u * 1024u * 1024u;
    char *text = malloc(big + 128);
    ck_assert_ptr_nonnull(text);
    size_t n = (size_t)sprintf(text, "email\na@example.com\n%s", open);
    memset(text + n, 'x', big);
    n += big;
    n += (size_t)sprintf(text + n, "%s", close);
    struct reader r;
    struct oc_record rec;
    ck_assert_int_eq(open_text(&r, text, n), OC_OK);
    next_is(&r, &rec, "contact", "line 2");
    next_is(&r, &rec, "invalid", "line 3");
    ck_assert_msg(strstr(field(&rec, "error"), "line 3") && strstr(field(&rec, "error"), "longer than"), "%s",
                  field(&rec, "error"));
    size_t fp = och_input_footprint(&r.in);
    ck_assert_msg(fp < 2u * 1024u * 1024u + 128u * 1024u, "the reader holds %zu bytes for one long record", fp);
    ck_assert_uint_le(r.in.vals.cap, 1024u * 1024u);
    ck_assert_uint_le(r.in.raw.cap, 1024u * 1024u);
    if(*close) {
        next_is(&r, &rec, "contact", "line 4");
        ck_assert_str_eq(field(&rec, "email"), "b@example.com");
    }
    expect_end(&r);
    close_reader(&r);
    free(text);
}

START_TEST(huge_csv_record_memory_bounded)
{
    huge_csv_record("\"", "");                           /* unclosed quote to the end */
    huge_csv_record("", "\nb@example.com\n");           /* plain, then a good record */
    huge_csv_record("\"", "\"\nb@example.com\n");       /* quoted and closed */
}
END_TEST

/* Many fields past the header's count: counted, not stored. */
START_TEST(csv_extra_fields_not_stored)
{
    size_t nf = 200000;
    char *text = malloc(2 * nf + 64);
    ck_assert_ptr_nonnull(text);
    size_t n = (size_t)sprintf(text, "email,name\nc@example.com");
    for(size_t i = 0; i < nf; i++)
        text[n++] = ',';
    n += (size_t)sprintf(text + n, "\n");
    struct reader r;
    struct oc_record rec;
    ck_assert_int_eq(open_text(&r, text, n), OC_OK);
    next_is(&r, &rec, "invalid", "line 2");
    ck_assert_msg(strstr(field(&rec, "error"), "200001 fields, but the header has 2 columns"), "%s",
                  field(&rec, "error"));
    ck_assert_uint_le(r.in.capoffs, 16);
    ck_assert_uint_le(r.in.vals.cap, 1024);
    close_reader(&r);
    free(text);
}
END_TEST

static char *read_all(const char *path)
{
    static char buf[8192];
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* --rejects: failed inputs in the input's format, header first, in the
 * order their results arrive, each with its reason in a last column /
 * member; successes and unknown lines leave nothing. */
START_TEST(rejects_in_input_format)
{
    char path[] = "/tmp/check_rejects_XXXXXX";
    int fd = mkstemp(path);
    struct och_rejects r;
    struct oc_error err;
    ck_assert_int_ge(fd, 0);
    close(fd);
    och_error_init(&err);
    ck_assert_int_eq(och_rejects_open(&r, path, 1, "email,notes", 11, -1, &err), OC_OK);
    ck_assert_int_eq(och_rejects_keep(&r, 2, "a@example.com,x", strlen("a@example.com,x"), NULL), OC_OK);
    ck_assert_int_eq(och_rejects_keep(&r, 3, "b@example.com,\"two\nlines\"", strlen("b@example.com,\"two\nlines\""), NULL), OC_OK);
    ck_assert_int_eq(och_rejects_keep(&r, 5, "c@example.com,y", strlen("c@example.com,y"), NULL), OC_OK);
    ck_assert_int_eq(och_rejects_keep(&r, 6, "d@example.com,z", strlen("d@example.com,z"), NULL), OC_OK);
    ck_assert_int_eq(och_rejects_result(&r, 5, 1, "bad \"c\""), OC_OK); /* batches answer in any order */
    ck_assert_int_eq(och_rejects_result(&r, 2, 0, NULL), OC_OK);
    ck_assert_int_eq(och_rejects_result(&r, 3, 1, "bad b"), OC_OK);
    ck_assert_int_eq(och_rejects_result(&r, 3, 1, "bad b"), OC_OK); /* a repeat writes nothing twice */
    ck_assert_int_eq(och_rejects_result(&r, 99, 1, "x"), OC_OK);
    ck_assert_uint_eq(r.n, 1); /* only line 6 still waits */
    /* line 6 never got a result: written at the end with the reason given */
    ck_assert_int_eq(och_rejects_close(&r, "no answer", &err), OC_OK);
    ck_assert_str_eq(read_all(path), "email,notes,ochost_error\nc@example.com,y,\"bad \"\"c\"\"\"\n"
                                     "b@example.com,\"two\nlines\",\"bad b\"\nd@example.com,z,\"no answer\"\n");

    /* JSON Lines: no header; nothing failed: an empty file */
    ck_assert_int_eq(och_rejects_open(&r, path, 0, NULL, 0, -1, &err), OC_OK);
    ck_assert_int_eq(och_rejects_keep(&r, 1, "{\"email\":\"a@example.com\"}", strlen("{\"email\":\"a@example.com\"}"), NULL), OC_OK);
    ck_assert_int_eq(och_rejects_result(&r, 1, 0, NULL), OC_OK);
    ck_assert_int_eq(och_rejects_close(&r, NULL, &err), OC_OK);
    ck_assert_str_eq(read_all(path), "");

    /* JSON Lines: the reason is the object's last member */
    ck_assert_int_eq(och_rejects_open(&r, path, 0, NULL, 0, -1, &err), OC_OK);
    ck_assert_int_eq(och_rejects_write(&r, "{\"email\":\"a@x\"} ", 16, NULL, "why \"1\""), OC_OK);
    ck_assert_int_eq(och_rejects_write(&r, "{ }", 3, NULL, "why 2"), OC_OK);
    ck_assert_int_eq(och_rejects_write(&r, "[1]", 3, NULL, "why 3"), OC_OK);
    ck_assert_int_eq(och_rejects_close(&r, NULL, &err), OC_OK);
    ck_assert_str_eq(read_all(path), "{\"email\":\"a@x\",\"ochost_error\":\"why \\\"1\\\"\"} \n"
                                     "{ \"ochost_error\":\"why 2\"}\n[1]\n");

    ck_assert_int_eq(och_rejects_open(&r, "/nonexistent/dir/rejects.csv", 0, NULL, 0, -1, &err), OC_E_CONFIG);
    ck_assert_msg(strstr(err.message, "/nonexistent/dir/rejects.csv"), "%s", err.message);
    ck_assert_int_eq(och_rejects_close(&r, NULL, &err), OC_OK);
    unlink(path);
}
END_TEST

/* The pending map is bounded: past OCH_REJECTS_MAX_PENDING the oldest
 * text is dropped, and a later failure for it is counted, not lost
 * silently. */
START_TEST(rejects_pending_is_bounded)
{
    char path[] = "/tmp/check_rejects_XXXXXX";
    int fd = mkstemp(path);
    struct och_rejects r;
    struct oc_error err;
    ck_assert_int_ge(fd, 0);
    close(fd);
    och_error_init(&err);
    ck_assert_int_eq(och_rejects_open(&r, path, 0, NULL, 0, -1, &err), OC_OK);
    for(uint64_t i = 1; i <= OCH_REJECTS_MAX_PENDING + 2; i++)
        ck_assert_int_eq(och_rejects_keep(&r, i, "{}", 2, NULL), OC_OK);
    ck_assert_uint_eq(r.n, OCH_REJECTS_MAX_PENDING);
    ck_assert_uint_eq(r.evicted, 2);
    ck_assert_int_eq(och_rejects_result(&r, 1, 1, "x"), OC_OK);
    ck_assert_uint_eq(r.lost, 1);
    ck_assert_int_eq(och_rejects_result(&r, 3, 1, "x"), OC_OK);
    ck_assert_uint_eq(r.written, 1);
    /* the rest never got a result: they are written at the end */
    ck_assert_uint_eq(och_rejects_unanswered(&r), OCH_REJECTS_MAX_PENDING - 1);
    for(uint64_t i = 4; i <= OCH_REJECTS_MAX_PENDING + 2; i++)
        ck_assert_int_eq(och_rejects_result(&r, i, 0, NULL), OC_OK);
    ck_assert_int_eq(och_rejects_close(&r, NULL, &err), OC_OK);
    ck_assert_str_eq(read_all(path), "{\"ochost_error\":\"x\"}\n");
    unlink(path);
}
END_TEST

/* A rejects file pushed again: its reason column / member is no property,
 * and the text kept for the next rejects file leaves the old one out. */
START_TEST(rejects_reason_is_not_input)
{
    struct reader r;
    struct oc_record rec;
    size_t len;
    static const char csv[] = "email,ochost_error,name\n"
                              "a@example.com,\"old, reason\",Ann\n"
                              "b@example.com,,Bo\n";
    ck_assert_int_eq(open_text(&r, csv, strlen(csv)), OC_OK);
    ck_assert_str_eq(och_input_header(&r.in, &len), "email,name");
    next_is(&r, &rec, "contact", "line 2");
    ck_assert_uint_eq(rec.nfields, 2);
    ck_assert_ptr_null(field(&rec, "ochost_error"));
    ck_assert_str_eq(field(&rec, "name"), "Ann");
    ck_assert_str_eq(och_input_reject_text(&r.in, &len), "a@example.com,Ann");
    next_is(&r, &rec, "contact", "line 3");
    ck_assert_str_eq(och_input_reject_text(&r.in, &len), "b@example.com,Bo");
    expect_end(&r);
    close_reader(&r);

    static const char jsonl[] = "{\"ochost_error\":\"x\",\"email\":\"a@example.com\"}\n"
                                "{\"email\":\"b@example.com\", \"ochost_error\":\"y\", \"n\":1}\n"
                                "{\"email\":\"c@example.com\",\"ochost_error\":\"z\"}\n"
                                "{\"ochost_error\":\"only\"}\n";
    ck_assert_int_eq(open_text(&r, jsonl, strlen(jsonl)), OC_OK);
    next_is(&r, &rec, "contact", "line 1");
    ck_assert_uint_eq(rec.nfields, 1);
    ck_assert_str_eq(och_input_reject_text(&r.in, &len), "{\"email\":\"a@example.com\"}");
    next_is(&r, &rec, "contact", "line 2");
    ck_assert_ptr_null(field(&rec, "ochost_error"));
    ck_assert_str_eq(och_input_reject_text(&r.in, &len), "{\"email\":\"b@example.com\", \"n\":1}");
    next_is(&r, &rec, "contact", "line 3");
    ck_assert_str_eq(och_input_reject_text(&r.in, &len), "{\"email\":\"c@example.com\"}");
    next_is(&r, &rec, "invalid", "line 4");
    ck_assert_str_eq(och_input_reject_text(&r.in, &len), "{}");
    expect_end(&r);
    close_reader(&r);
}
END_TEST

/* The last record of a rejects file without its line end was cut by an
 * interrupted write: invalid, never a contact with a truncated value.
 * Other input without a final line end reads as before. */
START_TEST(torn_rejects_record_is_invalid)
{
    struct reader r;
    struct oc_record rec;
    static const char torn_csv[] = "email,name,ochost_error\n"
                                   "a@example.com,Ann,\"r1\"\n"
                                   "b@example.com,Bo,\"r";
    ck_assert_int_eq(open_text(&r, torn_csv, strlen(torn_csv)), OC_OK);
    next_is(&r, &rec, "contact", "line 2");
    next_is(&r, &rec, "invalid", "line 3");
    ck_assert_msg(strstr(field(&rec, "error"), "looks cut off"), "%s", field(&rec, "error"));
    expect_end(&r);
    close_reader(&r);

    /* cut right after a separator: the field count is still right */
    static const char torn_csv2[] = "email,name,ochost_error\nb@example.com,Bob,";
    ck_assert_int_eq(open_text(&r, torn_csv2, strlen(torn_csv2)), OC_OK);
    next_is(&r, &rec, "invalid", "line 2");
    ck_assert_msg(strstr(field(&rec, "error"), "looks cut off"), "%s", field(&rec, "error"));
    close_reader(&r);

    static const char plain_csv[] = "email,name\na@example.com,Ann";
    ck_assert_int_eq(open_text(&r, plain_csv, strlen(plain_csv)), OC_OK);
    next_is(&r, &rec, "contact", "line 2");
    ck_assert_str_eq(field(&rec, "name"), "Ann");
    close_reader(&r);

    static const char torn_json[] = "{\"email\":\"a@example.com\",\"ochost_error\":\"r\"}\n"
                                    "{\"email\":\"b@example.com\",\"name\":\"Bo";
    ck_assert_int_eq(open_text(&r, torn_json, strlen(torn_json)), OC_OK);
    next_is(&r, &rec, "contact", "line 1");
    next_is(&r, &rec, "invalid", "line 2");
    ck_assert_msg(strstr(field(&rec, "error"), "looks cut off"), "%s", field(&rec, "error"));
    close_reader(&r);

    /* a whole rejects line that lost only its line end is still cut */
    static const char torn_json2[] = "{\"email\":\"b@example.com\",\"ochost_error\":\"r\"}";
    ck_assert_int_eq(open_text(&r, torn_json2, strlen(torn_json2)), OC_OK);
    next_is(&r, &rec, "invalid", "line 1");
    ck_assert_msg(strstr(field(&rec, "error"), "looks cut off"), "%s", field(&rec, "error"));
    close_reader(&r);

    static const char plain_json[] = "{\"email\":\"a@example.com\"}";
    ck_assert_int_eq(open_text(&r, plain_json, strlen(plain_json)), OC_OK);
    next_is(&r, &rec, "contact", "line 1");
    close_reader(&r);
}
END_TEST

/* A record cut by the reader that cannot be read again (a pipe) goes to
 * the rejects file as far as it was kept, with a reason saying exactly
 * how much is missing. */
START_TEST(rejects_cut_record_says_so)
{
    char path[] = "/tmp/check_rejects_XXXXXX";
    int fd = mkstemp(path);
    struct och_rejects r;
    struct oc_error err;
    ck_assert_int_ge(fd, 0);
    close(fd);
    och_error_init(&err);
    struct och_reject_span cut = {0, 0, 5000000};
    ck_assert_int_eq(och_rejects_open(&r, path, 0, NULL, 0, -1, &err), OC_OK);
    ck_assert_int_eq(och_rejects_write(&r, "{\"email\":\"a", 11, &cut, "too long"), OC_OK);
    ck_assert_int_eq(och_rejects_close(&r, NULL, &err), OC_OK);
    const char *got = read_all(path);
    ck_assert_msg(!strncmp(got, "{\"ochost_error\":\"too long (this record is 5000000 bytes long and only its "
                                "first 11 bytes are here: the rest was cut",
                           100),
                  "%s", got);
    ck_assert_msg(strstr(got, ",\"ochost_cut_text\":\"{\\\"email\\\":\\\"a\"}\n"), "%s", got);

    ck_assert_int_eq(och_rejects_open(&r, path, 1, "email", 5, -1, &err), OC_OK);
    ck_assert_int_eq(och_rejects_write(&r, "a@b.c", 5, &cut, "too long"), OC_OK);
    ck_assert_int_eq(och_rejects_close(&r, NULL, &err), OC_OK);
    got = read_all(path);
    ck_assert_msg(!strncmp(got, "email,ochost_error\na@b.c,\"too long (this record is 5000000 bytes", 63), "%s", got);
    unlink(path);
}
END_TEST

extern Suite *make_input_suite(void);
Suite *make_input_suite(void)
{
    Suite *s = suite_create("input");
    TCase *tc = tcase_create("reader");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, json_lines);
    tcase_add_test(tc, json_lines_bad_lines);
    tcase_add_test(tc, csv_rfc4180);
    tcase_add_test(tc, csv_bad_lines);
    tcase_add_test(tc, huge_csv_record_memory_bounded);
    tcase_add_test(tc, csv_extra_fields_not_stored);
    tcase_add_test(tc, header_problems_stop_before_any_record);
    tcase_add_test(tc, streaming_memory_is_flat);
    tcase_add_test(tc, overlong_record_is_invalid_not_growth);
    suite_add_tcase(s, tc);
    tc = tcase_create("rejects");
    /* rejects_pending_is_bounded queues 2^18 inputs: instant in a plain
     * build, several seconds under ThreadSanitizer (past Check's 4 s). */
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, rejects_in_input_format);
    tcase_add_test(tc, rejects_pending_is_bounded);
    tcase_add_test(tc, rejects_reason_is_not_input);
    tcase_add_test(tc, torn_rejects_record_is_invalid);
    tcase_add_test(tc, rejects_cut_record_says_so);
    suite_add_tcase(s, tc);
    return s;
}
