/* check_manpage.c - ochost(1) documents every command and option that
 * ochost's own help lists: the help texts are read from the built binary
 * (ochost --help, ochost COMMAND --help) and each command, --long and -s
 * option in them must appear in host-api/ochost/ochost.1. */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "plugin/buf.h"
#include "tests/support/ochrun.h"

#define MANPAGE "host-api/ochost/ochost.1"

static struct ochrun_env E;

static void setup(void) { ochrun_setup(&E); }
static void teardown(void) { ochrun_teardown(&E); }

/* The page as text a reader sees for option names: roff's "\-" is "-"
 * and font escapes (\fB, \fI, \fR, \fP) are dropped. */
static void man_text(struct kit_buf *out)
{
    struct kit_buf raw = KIT_BUF_INIT;
    ochrun_slurp(MANPAGE, &raw);
    ck_assert_msg(raw.len > 0, "cannot read %s", MANPAGE);
    const char *s = kit_buf_str(&raw);
    for(size_t i = 0; i < raw.len; i++) {
        if(s[i] == '\\' && s[i + 1] == '-') {
            kit_buf_putc(out, '-');
            i++;
        } else if(s[i] == '\\' && s[i + 1] == 'f' && s[i + 2]) {
            i += 2;
        } else
            kit_buf_putc(out, s[i]);
    }
    kit_buf_free(&raw);
}

/* Each option token of help (--word or -x at a word start) that the page
 * does not hold goes to missing. */
static void missing_options(const char *help, const char *page, const char *where, struct kit_buf *missing)
{
    for(const char *p = help; *p; p++) {
        if(*p != '-' || (p > help && !strchr(" [|(,'\n", p[-1])))
            continue;
        size_t n = 1 + (p[1] == '-');
        while(islower((unsigned char)p[n]) || (p[n] == '-' && islower((unsigned char)p[n + 1])))
            n++;
        if(n < 2 || (n == 2 && p[1] == '-'))
            continue;
        if(n == 2 && isalpha((unsigned char)p[1]) && isalpha((unsigned char)p[2]))
            continue; /* a hyphenated word, not -x */
        char opt[64];
        snprintf(opt, sizeof opt, "%.*s", (int)n, p);
        /* the option as a whole word of the page */
        int found = 0;
        for(const char *q = strstr(page, opt); q && !found; q = strstr(q + 1, opt))
            found = !islower((unsigned char)q[n]) && q[n] != '-' && (q == page || !isalnum((unsigned char)q[-1]));
        if(!found)
            kit_buf_printf(missing, "%s (from %s) ", opt, where);
        p += n - 1;
    }
}

START_TEST(every_help_option_is_in_the_man_page)
{
    struct kit_buf page = KIT_BUF_INIT, missing = KIT_BUF_INIT;
    struct ochrun r;
    man_text(&page);

    ochrun(&E, &r, (const char *[]){"--help", NULL}, NULL, NULL);
    ck_assert_int_eq(r.code, 0);
    missing_options(OCHRUN_OUT(&r), kit_buf_str(&page), "ochost --help", &missing);

    /* The commands: the indented words under "Commands:". */
    char commands[16][32];
    int ncommands = 0;
    const char *c = strstr(OCHRUN_OUT(&r), "Commands:\n");
    ck_assert_ptr_nonnull(c);
    for(c = strchr(c, '\n') + 1; c[0] == ' ' && c[1] == ' ' && ncommands < 16; c = strchr(c, '\n') + 1) {
        size_t n = strcspn(c + 2, " \n");
        snprintf(commands[ncommands++], sizeof commands[0], "%.*s", (int)n, c + 2);
    }
    ck_assert_int_ge(ncommands, 7);
    ochrun_free(&r);

    for(int i = 0; i < ncommands; i++) {
        char want[48], where[64];
        snprintf(want, sizeof want, ".B %.31s", commands[i]);
        if(!strstr(kit_buf_str(&page), want)) {
            snprintf(want, sizeof want, ".BR %.31s ", commands[i]);
            if(!strstr(kit_buf_str(&page), want)) {
                snprintf(want, sizeof want, "\"%.31s ", commands[i]);
                if(!strstr(kit_buf_str(&page), want))
                    kit_buf_printf(&missing, "command %s ", commands[i]);
            }
        }
        ochrun(&E, &r, (const char *[]){commands[i], "--help", NULL}, NULL, NULL);
        ck_assert_msg(r.code == 0, "%s --help: exit %d", commands[i], r.code);
        snprintf(where, sizeof where, "ochost %.31s --help", commands[i]);
        missing_options(OCHRUN_OUT(&r), kit_buf_str(&page), where, &missing);
        ochrun_free(&r);
    }
    ck_assert_msg(missing.len == 0, "%s lacks: %s", MANPAGE, kit_buf_str(&missing));
    kit_buf_free(&missing);
    kit_buf_free(&page);
}
END_TEST

extern Suite *make_manpage_suite(void);
Suite *make_manpage_suite(void)
{
    Suite *s = suite_create("manpage");
    TCase *tc = tcase_create("ochost.1");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, every_help_option_is_in_the_man_page);
    suite_add_tcase(s, tc);
    return s;
}
