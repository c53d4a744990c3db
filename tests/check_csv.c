/* check_csv.c - the files publishers have: delimiters read from the
 * header, common export headers and --map turned into HubSpot property
 * names, header errors that list the columns, an unclosed quote reported
 * on its own line. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/inputreader.h"
#include "tests/support/ochrun.h"

/* Open text with --map map_text (NULL for none). */
static oc_status open_mapped(struct reader *r, const char *text, const char *map_text)
{
    return reader_open(r, text, strlen(text), "export.csv", map_text);
}

#define ASSERT_HAS(hay, needle) ck_assert_msg(strstr((hay), (needle)) != NULL, "no \"%s\" in: %s", (needle), (hay))

/* ---- the real ochost against a cassette ---- */

static struct ochrun_env E;
static void setup(void) { ochrun_setup(&E); }
static void teardown(void) { ochrun_teardown(&E); }

/* A Mailchimp export: BOM, semicolons, quoted headers, CRLF, a value with
 * a semicolon inside quotes. The cassette's upsert body has email,
 * firstname, lastname (and company): the replay server answers nothing
 * else, so a header sent verbatim fails the run. */
START_TEST(mailchimp_semicolon_export_pushes_mapped_properties)
{
    char input[256], state[256];
    ochrun_write_file(&E, "members_export.csv",
                      "\xef\xbb\xbf\"Email Address\";\"First Name\";\"Last Name\";\"Company\"\r\n"
                      "ann@example.com;Ann;Lee;\r\n"
                      "bob@example.com;Bob;Stone;\"Acme; Inc.\"\r\n",
                      0644, input, sizeof input);
    snprintf(state, sizeof state, "%s/ochost.state", E.tmp);
    struct ochrun r;
    ochrun(&E, &r,
           (const char *[]){"--manifest", E.manifest, "--state", state, "--fixtures",
                            "fixtures/hubspot/push-csv-mailchimp.json", "push", "--list", "4242", "--input",
                            input, NULL},
           NULL, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ASSERT_HAS(OCHRUN_OUT(&r), "\"input\":\"line 2\"");
    ASSERT_HAS(OCHRUN_OUT(&r), "\"input\":\"line 3\"");
    ck_assert_msg(!strstr(OCHRUN_OUT(&r), "failed"), "%s", OCHRUN_OUT(&r));
    ASSERT_HAS(OCHRUN_ERR(&r), "2 added");
    ochrun_free(&r);
}
END_TEST

START_TEST(bad_map_is_exit_1_naming_the_part)
{
    char input[256];
    ochrun_write_file(&E, "in.csv", "email\na@example.com\n", 0644, input, sizeof input);
    struct ochrun r;
    ochrun(&E, &r,
           (const char *[]){"--manifest", E.manifest, "--fixtures", "fixtures/hubspot/push-list-only.json",
                            "push", "--list", "4242", "--input", input, "--map", "First Name", NULL},
           NULL, NULL);
    ck_assert_msg(r.code == 1, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ASSERT_HAS(OCHRUN_ERR(&r), "'First Name' has no '='");
    ochrun_free(&r);

    /* a column the header does not have: also the command line's fault */
    ochrun(&E, &r,
           (const char *[]){"--manifest", E.manifest, "--fixtures", "fixtures/hubspot/push-list-only.json",
                            "push", "--list", "4242", "--input", input, "--map", "Nickname=nickname", NULL},
           NULL, NULL);
    ck_assert_msg(r.code == 1, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ASSERT_HAS(OCHRUN_ERR(&r), "'Nickname'");
    ASSERT_HAS(OCHRUN_ERR(&r), "columns found: 'email'");
    ochrun_free(&r);
}
END_TEST

/* ---- the reader ---- */

START_TEST(tab_separated_with_map)
{
    struct reader r;
    struct oc_record rec;
    ck_assert_int_eq(open_mapped(&r,
                                 "E-mail\tGiven Name\tTitle\tMember Rating\tNotes, free text\n"
                                 "a@example.com\tAnn Lee\tDr\t5\tsaid \"hi\", twice\n",
                                 "Title=salutation, member rating = "),
                     OC_OK);
    ck_assert_int_eq(r.in.delim, '\t');
    next_is(&r, &rec, "contact", "line 2");
    ck_assert_str_eq(field(&rec, "email"), "a@example.com");
    ck_assert_str_eq(field(&rec, "firstname"), "Ann Lee");
    ck_assert_str_eq(field(&rec, "salutation"), "Dr"); /* --map beats the common "Title" */
    ck_assert_ptr_null(field(&rec, "jobtitle"));
    ck_assert_ptr_null(field(&rec, "Member Rating")); /* left out by an empty property */
    ck_assert_str_eq(field(&rec, "Notes, free text"), "said \"hi\", twice"); /* not a delimiter here */
    ck_assert_uint_eq(rec.nfields, 4);
    expect_end(&r);
    close_reader(&r);
}
END_TEST

START_TEST(delimiter_is_read_from_the_header)
{
    struct reader r;
    struct oc_record rec;
    /* commas inside quoted headers do not count */
    ck_assert_int_eq(open_mapped(&r, "\"Notes, a,b,c\";email;Surname\n\"x, y\";a@example.com;\"Lee, Jr\"\n", NULL),
                     OC_OK);
    ck_assert_int_eq(r.in.delim, ';');
    next_is(&r, &rec, "contact", "line 2");
    ck_assert_str_eq(field(&rec, "Notes, a,b,c"), "x, y");
    close_reader(&r);
    ck_assert_int_eq(open_mapped(&r, "email;\"Surname, family\"\na@example.com;Lee, Jr\n", NULL), OC_OK);
    ck_assert_int_eq(r.in.delim, ';');
    next_is(&r, &rec, "contact", "line 2");
    ck_assert_str_eq(field(&rec, "Surname, family"), "Lee, Jr");
    close_reader(&r);
    ck_assert_int_eq(open_mapped(&r, "EMAIL\nA@example.com\n", NULL), OC_OK);
    ck_assert_int_eq(r.in.delim, ',');
    next_is(&r, &rec, "contact", "line 2");
    ck_assert_str_eq(field(&rec, "email"), "A@example.com");
    close_reader(&r);
}
END_TEST

START_TEST(map_parse_errors_name_the_part)
{
    static const struct {
        const char *text, *says;
    } cases[] = {
        {"", "--map is empty"},
        {"First Name=firstname,Last Name", "'Last Name' has no '='"},
        {"=firstname", "names no column"},
        {"First Name=First Name", "'First Name' is not a HubSpot property's internal name"},
        {"A=x,a=y", "column 'a' twice"},
    };
    for(size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct och_input_map m;
        struct oc_error err;
        och_error_init(&err);
        ck_assert_int_eq(och_input_map_parse(&m, cases[i].text, &err), OC_E_INVALID);
        ASSERT_HAS(err.message, cases[i].says);
        och_input_map_free(&m);
    }
}
END_TEST

START_TEST(common_headers_are_hubspot_names)
{
    static const char *const pairs[][2] = {
        {"Email", "email"},         {"E-mail", "email"},          {"Email Address", "email"},
        {"E-Mail Address", "email"}, {"EMAIL", "email"},          {"First Name", "firstname"},
        {"FirstName", "firstname"}, {"Given Name", "firstname"},  {"Last Name", "lastname"},
        {"LastName", "lastname"},   {"Surname", "lastname"},      {"Family Name", "lastname"},
        {"Company", "company"},     {"Company Name", "company"},  {"Organization", "company"},
        {"Phone", "phone"},         {"Phone Number", "phone"},    {"Job Title", "jobtitle"},
        {"Title", "jobtitle"},      {"City", "city"},             {"State", "state"},
        {"State/Region", "state"},  {"Zip", "zip"},               {"Postal Code", "zip"},
        {"Country", "country"},     {"Country/Region", "country"}, {"Website", "website"},
        {"Website URL", "website"}, {"Mobile Phone", "mobilephone"}, {"Street Address", "address"},
    };
    for(size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        const char *got = och_input_common_property(pairs[i][0]);
        ck_assert_msg(got && !strcmp(got, pairs[i][1]), "%s -> %s", pairs[i][0], got ? got : "(none)");
    }
    ck_assert_ptr_null(och_input_common_property("MEMBER_RATING"));
    ck_assert_ptr_null(och_input_common_property("Émail"));
}
END_TEST

START_TEST(header_errors_list_the_columns)
{
    struct reader r;
    ck_assert_int_eq(open_mapped(&r, "\xef\xbb\xbf\"Mail Address\";\"First Name\"\nx@example.com;X\n", NULL),
                     OC_E_CONFIG);
    ASSERT_HAS(r.err.message, "no email column");
    ASSERT_HAS(r.err.message, "columns found: 'Mail Address', 'First Name' (read as semicolon-separated)");
    ASSERT_HAS(r.err.message, "--map 'Mail Address=email'");
    close_reader(&r);

    ck_assert_int_eq(open_mapped(&r, "Email,E-mail\n", NULL), OC_E_CONFIG);
    ASSERT_HAS(r.err.message, "columns 'Email' and 'E-mail' both go to HubSpot property email");
    ASSERT_HAS(r.err.message, "columns found: 'Email', 'E-mail'");
    ASSERT_HAS(r.err.message, "--map 'E-mail='");
    close_reader(&r);

    ck_assert_int_eq(open_mapped(&r, "email,,name\n", NULL), OC_E_CONFIG);
    ASSERT_HAS(r.err.message, "column 2 has no name");
    ASSERT_HAS(r.err.message, "columns found: 'email', '', 'name'");
    close_reader(&r);

    ck_assert_int_eq(open_mapped(&r, "email\t\"name\tx\n", NULL), OC_E_CONFIG);
    ASSERT_HAS(r.err.message, "malformed");
    ASSERT_HAS(r.err.message, "columns found: 'email'");
    close_reader(&r);
}
END_TEST

START_TEST(jsonl_keys_are_mapped_too)
{
    struct reader r;
    struct oc_record rec;
    ck_assert_int_eq(open_mapped(&r, "{\"Email Address\":\"a@example.com\",\"First Name\":\"A\",\"LEID\":\"9\"}\n",
                                 "LEID="),
                     OC_OK);
    next_is(&r, &rec, "contact", "line 1");
    ck_assert_str_eq(field(&rec, "email"), "a@example.com");
    ck_assert_str_eq(field(&rec, "firstname"), "A");
    ck_assert_uint_eq(rec.nfields, 2);
    close_reader(&r);
}
END_TEST

/* The quote on line 2 runs to the end of the input: line 2 is reported
 * with the lines it swallowed, and those lines are pushed as their own. */
START_TEST(unclosed_quote_is_its_own_failed_input)
{
    struct reader r;
    struct oc_record rec;
    ck_assert_int_eq(open_mapped(&r,
                                 "email,name\n"
                                 "a@example.com,\"Ann\n"
                                 "b@example.com,Bob\n"
                                 "c@example.com,Cy\n",
                                 NULL),
                     OC_OK);
    next_is(&r, &rec, "invalid", "line 2");
    ASSERT_HAS(field(&rec, "error"), "line 2: a quote opened in column 'name' is not closed on this line");
    ASSERT_HAS(field(&rec, "error"), "swallowed lines 3 to 4");
    ASSERT_HAS(field(&rec, "error"), "lines 3 to 4 are read again");
    ck_assert_str_eq(och_input_raw(&r.in, NULL), "a@example.com,\"Ann"); /* what --rejects keeps */
    next_is(&r, &rec, "contact", "line 3");
    ck_assert_str_eq(field(&rec, "email"), "b@example.com");
    next_is(&r, &rec, "contact", "line 4");
    ck_assert_str_eq(field(&rec, "firstname") ? field(&rec, "firstname") : field(&rec, "name"), "Cy");
    expect_end(&r);
    close_reader(&r);

    /* closed by a later line's quote, the record then broken: same */
    ck_assert_int_eq(open_mapped(&r,
                                 "email;name\r\n"
                                 "a@example.com;\"Ann\r\n"
                                 "b@example.com;\"Bob\"\r\n"
                                 "c@example.com;Cy\r\n",
                                 NULL),
                     OC_OK);
    next_is(&r, &rec, "invalid", "line 2");
    ASSERT_HAS(field(&rec, "error"), "swallowed lines 3 to 3");
    next_is(&r, &rec, "contact", "line 3");
    ck_assert_str_eq(field(&rec, "name"), "Bob");
    next_is(&r, &rec, "contact", "line 4");
    expect_end(&r);
    close_reader(&r);

    /* a legitimate value with a line break is still one record */
    ck_assert_int_eq(open_mapped(&r, "email,notes\na@example.com,\"two\nlines\"\nb@example.com,x\n", NULL), OC_OK);
    next_is(&r, &rec, "contact", "line 2");
    ck_assert_str_eq(field(&rec, "notes"), "two\nlines");
    next_is(&r, &rec, "contact", "line 4");
    expect_end(&r);
    close_reader(&r);
}
END_TEST

extern Suite *make_csv_suite(void);
Suite *make_csv_suite(void)
{
    Suite *s = suite_create("csv");
    TCase *tc = tcase_create("reader");
    tcase_add_test(tc, tab_separated_with_map);
    tcase_add_test(tc, delimiter_is_read_from_the_header);
    tcase_add_test(tc, map_parse_errors_name_the_part);
    tcase_add_test(tc, common_headers_are_hubspot_names);
    tcase_add_test(tc, header_errors_list_the_columns);
    tcase_add_test(tc, jsonl_keys_are_mapped_too);
    tcase_add_test(tc, unclosed_quote_is_its_own_failed_input);
    suite_add_tcase(s, tc);
    tc = tcase_create("ochost");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, mailchimp_semicolon_export_pushes_mapped_properties);
    tcase_add_test(tc, bad_map_is_exit_1_naming_the_part);
    suite_add_tcase(s, tc);
    return s;
}
