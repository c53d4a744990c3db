/* check_config.c - the ochost --config file. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host-api/ochost/config.h"
#include "host-api/ochost/status.h"

#define TOKEN "pat-na1-00000000-0000-4000-8000-000000000000"
#define OPTIONS "access_token*,base_url,daily_budget,timeout_ms,client_secret *"

static char path[64];

static void setup(void)
{
    strcpy(path, "/tmp/check_config_XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
}

static void teardown(void) { unlink(path); }

static void write_cfg(const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

static char *slurp(FILE *f)
{
    static char buf[4096];
    rewind(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    return buf;
}

START_TEST(comments_and_whitespace)
{
    struct och_config cfg;
    struct oc_error err;
    write_cfg("# a comment line\n"
              "   \n"
              "  base_url   =   http://127.0.0.1:8080/x#frag   # trailing comment\n"
              "timeout_ms=5000\r\n"
              "\t# indented comment\n"
              "daily_budget = \"1000\"\n",
              0600);
    och_error_init(&err);
    ck_assert_int_eq(och_config_load(&cfg, path, OPTIONS, NULL, &err), OC_OK);
    ck_assert_uint_eq(cfg.n, 3);
    ck_assert_str_eq(och_config_get(&cfg, "base_url"), "http://127.0.0.1:8080/x#frag");
    ck_assert_str_eq(och_config_get(&cfg, "timeout_ms"), "5000");
    ck_assert_str_eq(och_config_get(&cfg, "daily_budget"), "1000");
    ck_assert_int_eq(cfg.e[1].line, 4);
    ck_assert_ptr_null(och_config_get(&cfg, "access_token"));
    och_config_free(&cfg);
}
END_TEST

START_TEST(unknown_key_lists_valid_ones)
{
    struct och_config cfg;
    struct oc_error err;
    write_cfg("base_url = http://127.0.0.1\ndialy_budget = 10\n", 0600);
    och_error_init(&err);
    ck_assert_int_eq(och_config_load(&cfg, path, OPTIONS, NULL, &err), OC_E_CONFIG);
    ck_assert_int_eq(och_exit_code(OC_E_CONFIG), 2);
    ck_assert_msg(strstr(err.message, "dialy_budget"), "names the key: %s", err.message);
    ck_assert_msg(strstr(err.message, ":2:"), "names the line: %s", err.message);
    ck_assert_msg(strstr(err.message, "daily_budget") && strstr(err.message, "base_url")
                      && strstr(err.message, "access_token"),
                  "lists the valid keys: %s", err.message);
    ck_assert_msg(!strstr(err.message, "*"), "no secret marks in the list: %s", err.message);
    ck_assert_uint_eq(cfg.n, 0);
    och_config_free(&cfg);
}
END_TEST

/* A typo gets the key it was meant to be; a word that is no near miss
 * gets no guess (a wrong guess would mislead more than none). */
START_TEST(unknown_key_suggests_the_nearest)
{
    static const struct {
        const char *line, *want;
    } cases[] = {
        {"dialy_budget = 10\n", "did you mean 'daily_budget'?"},
        {"timeout = 10\n", "did you mean 'timeout_ms'?"},
        {"Base_URL = http://127.0.0.1\n", "did you mean 'base_url'?"},
        {"client_secrte = x\n", "did you mean 'client_secret'?"},
        {"colour = blue\n", NULL},
    };
    for(size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct och_config cfg;
        struct oc_error err;
        write_cfg(cases[i].line, 0600);
        och_error_init(&err);
        ck_assert_int_eq(och_config_load(&cfg, path, OPTIONS, NULL, &err), OC_E_CONFIG);
        if(cases[i].want)
            ck_assert_msg(strstr(err.message, cases[i].want), "%s: %s", cases[i].line, err.message);
        else
            ck_assert_msg(!strstr(err.message, "did you mean"), "%s: %s", cases[i].line, err.message);
        ck_assert_msg(strstr(err.message, "alid keys: "), "still lists the valid keys: %s", err.message);
        och_config_free(&cfg);
    }
}
END_TEST

START_TEST(duplicate_and_malformed_lines)
{
    struct och_config cfg;
    struct oc_error err;
    write_cfg("timeout_ms = 1\n# x\ntimeout_ms = 2\n", 0600);
    och_error_init(&err);
    ck_assert_int_eq(och_config_load(&cfg, path, OPTIONS, NULL, &err), OC_E_CONFIG);
    ck_assert_msg(strstr(err.message, ":3:") && strstr(err.message, "line 1"), "%s", err.message);
    och_config_free(&cfg);

    write_cfg("timeout_ms 5000\n", 0600);
    ck_assert_int_eq(och_config_load(&cfg, path, OPTIONS, NULL, &err), OC_E_CONFIG);
    ck_assert_msg(strstr(err.message, ":1:") && strstr(err.message, "key = value"), "%s", err.message);
    och_config_free(&cfg);

    write_cfg(" = 5\n", 0600);
    ck_assert_int_eq(och_config_load(&cfg, path, OPTIONS, NULL, &err), OC_E_CONFIG);
    och_config_free(&cfg);

    ck_assert_int_eq(och_config_load(&cfg, "/nonexistent/ochost.conf", OPTIONS, NULL, &err), OC_E_CONFIG);
    ck_assert_msg(strstr(err.message, "/nonexistent/ochost.conf"), "%s", err.message);
    och_config_free(&cfg);
}
END_TEST

START_TEST(secrets_never_printed)
{
    struct och_config cfg;
    struct oc_error err;
    struct kit_buf dump = KIT_BUF_INIT;
    write_cfg("access_token = " TOKEN "\nclient_secret = s3cr3t-value\nbase_url = http://127.0.0.1\n", 0600);
    och_error_init(&err);
    ck_assert_int_eq(och_config_load(&cfg, path, OPTIONS, NULL, &err), OC_OK);
    ck_assert_str_eq(och_config_get(&cfg, "access_token"), TOKEN);
    ck_assert(och_option_is_secret(OPTIONS, "access_token"));
    ck_assert(och_option_is_secret(OPTIONS, "client_secret"));
    ck_assert(!och_option_is_secret(OPTIONS, "base_url"));
    /* access_token stays secret even if a manifest forgets the mark */
    ck_assert(och_option_is_secret("access_token,base_url", "access_token"));
    och_config_dump(&cfg, OPTIONS, &dump);
    ck_assert_msg(!strstr(kit_buf_str(&dump), TOKEN), "%s", kit_buf_str(&dump));
    ck_assert_msg(!strstr(kit_buf_str(&dump), "s3cr3t"), "%s", kit_buf_str(&dump));
    ck_assert_msg(strstr(kit_buf_str(&dump), "access_token = [hidden]"), "%s", kit_buf_str(&dump));
    ck_assert_msg(strstr(kit_buf_str(&dump), "base_url = http://127.0.0.1"), "%s", kit_buf_str(&dump));
    kit_buf_free(&dump);
    och_config_free(&cfg);
}
END_TEST

START_TEST(readable_secret_file_warns)
{
    struct och_config cfg;
    struct oc_error err;
    FILE *warn = tmpfile();
    ck_assert_ptr_nonnull(warn);
    write_cfg("access_token = " TOKEN "\n", 0644);
    och_error_init(&err);
    ck_assert_int_eq(och_config_load(&cfg, path, OPTIONS, warn, &err), OC_OK);
    char *w = slurp(warn);
    ck_assert_msg(strstr(w, "chmod 600") && strstr(w, path), "warns: %s", w);
    ck_assert_msg(!strstr(w, TOKEN), "the warning must not show the token");
    och_config_free(&cfg);
    fclose(warn);

    warn = tmpfile();
    write_cfg("access_token = " TOKEN "\n", 0600);
    ck_assert_int_eq(och_config_load(&cfg, path, OPTIONS, warn, &err), OC_OK);
    ck_assert_str_eq(slurp(warn), "");
    och_config_free(&cfg);
    fclose(warn);

    /* no secret in it: a readable file is fine */
    warn = tmpfile();
    write_cfg("base_url = http://127.0.0.1\n", 0644);
    ck_assert_int_eq(och_config_load(&cfg, path, OPTIONS, warn, &err), OC_OK);
    ck_assert_str_eq(slurp(warn), "");
    och_config_free(&cfg);
    fclose(warn);
}
END_TEST

/* A refusal quotes the file's text back; it goes to a terminal and logs,
 * so it is masked and cleaned like every other error message: a token
 * pasted where a key belongs does not show, nor do escape sequences. */
START_TEST(refusal_text_masked_and_clean)
{
    struct och_config cfg;
    struct oc_error err;
    write_cfg(TOKEN " = 1\n", 0600);
    och_error_init(&err);
    ck_assert_int_eq(och_config_load(&cfg, path, OPTIONS, NULL, &err), OC_E_CONFIG);
    ck_assert_msg(strstr(err.message, ":1:") && strstr(err.message, "unknown key"), "%s",
                  err.message);
    ck_assert_msg(!strstr(err.message, TOKEN), "the refusal shows the token: %s", err.message);
    och_config_free(&cfg);

    write_cfg("base_url = http://127.0.0.1\n\x1b]0;pwned\x07 = 1\n", 0600);
    ck_assert_int_eq(och_config_load(&cfg, path, OPTIONS, NULL, &err), OC_E_CONFIG);
    ck_assert_msg(strstr(err.message, ":2:") && strstr(err.message, "pwned"), "%s", err.message);
    for(const char *p = err.message; *p; p++)
        ck_assert_msg((unsigned char)*p >= 0x20 && *p != 0x7f, "control byte 0x%02x in: %s",
                      (unsigned char)*p, err.message);
    och_config_free(&cfg);
}
END_TEST

extern Suite *make_config_suite(void);
Suite *make_config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("file");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, comments_and_whitespace);
    tcase_add_test(tc, unknown_key_lists_valid_ones);
    tcase_add_test(tc, unknown_key_suggests_the_nearest);
    tcase_add_test(tc, refusal_text_masked_and_clean);
    tcase_add_test(tc, duplicate_and_malformed_lines);
    tcase_add_test(tc, secrets_never_printed);
    tcase_add_test(tc, readable_secret_file_warns);
    suite_add_tcase(s, tc);
    return s;
}
