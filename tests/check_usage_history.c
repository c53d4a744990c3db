/* check_usage_history.c - the "usage_history" suite: a month of calls on
 * the test host's virtual clock, in New York across the end of daylight
 * saving (2026-11-01) and across local midnights, against a replay server
 * that answers everything; then every day kept, the usage records the
 * plugin emits, and ochost's report, JSON Lines, SVG chart and Prometheus
 * text drawn from them, each checked against what the test itself
 * counted. Also the warnings before the bill, the portal's count
 * (--remote, a cassette in HubSpot's documented shape), the state size of
 * a full history, and ochost usage run as a process without a token. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixtures/replay.h"
#include "host-api/ochost/state.h"
#include "host-api/ochost/usage_days.h"
#include "host-api/ochost/usage_prom.h"
#include "host-api/ochost/usage_report.h"
#include "host-api/ochost/usage_svg.h"
#include "hubspot/instance.h"
#include "hubspot/transport.h"
#include "plugin/http.h"
#include "plugin/json.h"
#include "plugin/usage.h"
#include "tests/support/ochrun.h"
#include "tests/support/testhost.h"

#define ASSERT_HAS_TEXT(hay, needle) \
    ck_assert_msg(strstr((hay), (needle)) != NULL, "expected '%s' in: %s", (needle), (hay))

#define HOUR 3600000LL
#define DAY (24 * HOUR)
/* 2026-10-12T16:00:00Z: noon in New York (EDT, UTC-4) on the first day. */
#define START 1791820800000LL
#define NDAYS 31 /* 2026-10-12 .. 2026-11-11 */
#define DST_DAY 20 /* 2026-11-01: EST (UTC-5) from 06:00Z */
#define LATE_DAY 10 /* calls at 23:30 and 00:30 local: two days */
#define LIMITED_DAY 5 /* a 429 then a retry */
#define DAILY_LIMIT 250000
#define BUDGET 40
#define WEIRD "we\"ird\\name<&>"

#define ZONE(off) \
    "{\"time_zone\":\"America/New_York\",\"utc_offset_ms\":" #off ",\"portal_id\":12345678,\"at\":1791820800000}"

enum { EP_A, EP_B, EP_WEIRD, EP_LATE, EP_LIMITED, NEP };
static const char *const ep_names[NEP] = {"a.x", "b.y", WEIRD, "late.call", "limited"};

/* What the test counted: per local day and endpoint. */
struct expect {
    char day[NDAYS][11];
    int64_t calls[NDAYS][NEP];
    int64_t n429[NDAYS], retries[NDAYS];
};

/* ---- the server: 200 to everything, one 429 for "limited", the daily
 * headers counting down ---- */

struct server_state {
    int limited_seen;
    int64_t served;
};

static int answer(void *ctx, const struct fx_request *req, struct fx_response *resp)
{
    struct server_state *st = ctx;
    st->served++;
    kit_buf_printf(&resp->headers, "X-HubSpot-RateLimit-Daily: %d\r\nX-HubSpot-RateLimit-Daily-Remaining: %lld\r\n",
                   DAILY_LIMIT, (long long)(DAILY_LIMIT - st->served));
    if(!strcmp(req->path, "/limited") && st->limited_seen++ == 0) {
        resp->status = 429;
        kit_buf_puts(&resp->headers, "Retry-After: 1\r\n");
        kit_buf_puts(&resp->body, "{\"status\":\"error\",\"message\":\"You have reached your ten_secondly_rolling "
                                  "limit.\",\"errorType\":\"RATE_LIMIT\",\"correlationId\":\"c-1\","
                                  "\"policyName\":\"TEN_SECONDLY_ROLLING\"}");
        return 0;
    }
    resp->status = 200;
    kit_buf_puts(&resp->body, "{\"ok\":true}");
    return 0;
}

struct month {
    struct testhost th;
    struct fx_server *srv;
    struct server_state ss;
    struct oc_instance *in;
    struct expect ex;
    char budget[16];
};

static void new_instance(struct month *m)
{
    struct oc_error err = {sizeof err};
    const struct oc_option opts[] = {{"access_token", FX_PLACEHOLDER_TOKEN},
                                     {"base_url", fx_server_url(m->srv)},
                                     {"daily_budget", m->budget},
                                     {"max_retries", "2"}};
    ck_assert_msg(hs_instance_new(&m->th.host, opts, 4, &m->in, &err) == OC_OK, "%s", err.message);
}

static void month_start(struct month *m, int64_t start, const char *zone, int64_t budget)
{
    char why[256];
    memset(m, 0, sizeof *m);
    th_init(&m->th, start);
    if(zone)
        ck_assert_int_eq(m->th.host.state_put(&m->th, HS_ACCOUNT_KEY, zone, strlen(zone)), OC_OK);
    struct fx_options fo = {.dynamic = answer, .dynamic_ctx = &m->ss};
    ck_assert_msg(fx_server_start(NULL, &fo, &m->srv, why, sizeof why) == 0, "%s", why);
    snprintf(m->budget, sizeof m->budget, "%lld", (long long)budget);
    new_instance(m);
}

static void month_stop(struct month *m)
{
    hs_instance_release(m->in);
    fx_server_stop(m->srv);
    th_free(&m->th);
}

static void calls(struct month *m, int ep, int n)
{
    for(int i = 0; i < n; i++) {
        struct kit_http_req r;
        struct oc_error err = {sizeof err};
        char path[32];
        snprintf(path, sizeof path, "/%s", ep == EP_WEIRD ? "weird" : ep_names[ep]);
        kit_http_req_init(&r, "GET", path, NULL, 0, ep_names[ep]);
        ck_assert_msg(kit_http_call(m->in->http, &r, &err) == OC_OK, "%s", err.message);
        kit_http_req_free(&r);
    }
    /* a batch is an operation: its end stores the exact count, as the
     * plugin's entry points do (hubspot/entry.c) */
    kit_http_settle(m->in->http);
}

static void set_clock(struct month *m, int64_t at)
{
    ck_assert(at >= m->th.now_ms);
    m->th.now_ms = at;
}

/* The month: each local day at noon a few calls per endpoint; authorize's
 * new offset on the day daylight saving ends; a late evening and an early
 * morning on two local days that are one UTC day; a 429 and its retry. A
 * new instance (a new run) every few days. */
static void fill_month(struct month *m)
{
    int64_t offset = -4 * HOUR;
    for(int i = 0; i < NDAYS; i++) {
        int64_t noon_utc = START + i * DAY; /* noon EDT; noon EST is an hour later */
        if(i >= DST_DAY)
            noon_utc += HOUR;
        kit_usage_day_at(noon_utc, i >= DST_DAY ? -5 * HOUR : -4 * HOUR, m->ex.day[i]);
        if(i == DST_DAY) {
            /* authorize after the change saves the new offset */
            set_clock(m, noon_utc);
            static const char est[] = ZONE(-18000000);
            ck_assert_int_eq(m->th.host.state_put(&m->th, HS_ACCOUNT_KEY, est, sizeof est - 1), OC_OK);
            struct kit_usage_zone z;
            char why[128];
            ck_assert_int_eq(kit_usage_zone_from_json(&z, est, sizeof est - 1, why, sizeof why), 0);
            kit_http_set_zone(m->in->http, &z);
            offset = -5 * HOUR;
        }
        if(i % 4 == 3) { /* a new run */
            hs_instance_release(m->in);
            new_instance(m);
        }
        set_clock(m, noon_utc);
        int a = i % 5 + 1, b = i % 3, w = i % 7 == 0 || i == NDAYS - 1;
        calls(m, EP_A, a);
        calls(m, EP_B, b);
        calls(m, EP_WEIRD, w);
        m->ex.calls[i][EP_A] += a;
        m->ex.calls[i][EP_B] += b;
        m->ex.calls[i][EP_WEIRD] += w;
        if(i == LIMITED_DAY) {
            calls(m, EP_LIMITED, 1); /* 429, then the retry after a virtual second */
            m->ex.calls[i][EP_LIMITED] += 2;
            m->ex.n429[i]++;
            m->ex.retries[i]++;
        }
        if(i == LATE_DAY) {
            /* 23:30 local (03:30Z next UTC day), then 00:30 local (04:30Z):
             * the same UTC day, two local days */
            set_clock(m, noon_utc + 11 * HOUR + HOUR / 2);
            calls(m, EP_LATE, 2);
            set_clock(m, noon_utc + 12 * HOUR + HOUR / 2);
            calls(m, EP_LATE, 3);
            m->ex.calls[i][EP_LATE] += 2;
            m->ex.calls[i + 1][EP_LATE] += 3;
        }
    }
    (void)offset;
}

static int64_t day_total(const struct expect *ex, int i)
{
    int64_t t = 0;
    for(int e = 0; e < NEP; e++)
        t += ex->calls[i][e];
    return t;
}

/* ---- records, gathered as ochost gathers them ---- */

static struct och_usage_data *gathered;
static char gather_why[256];

static oc_status gather_emit(void *ctx, const struct oc_record *r)
{
    (void)ctx;
    return och_usage_take(gathered, r, gather_why, sizeof gather_why) ? OC_E_INVALID : OC_OK;
}

static void gather(struct month *m, struct och_usage_data *d)
{
    struct oc_error err = {sizeof err};
    och_usage_data_init(d);
    gathered = d;
    oc_status (*keep)(void *, const struct oc_record *) = m->th.host.emit;
    m->th.host.emit = gather_emit;
    oc_status rc = hs_usage(m->in, &err);
    m->th.host.emit = keep;
    ck_assert_msg(rc == OC_OK, "%s %s", err.message, gather_why);
}

static const struct och_usage_ep *find_ep(const struct och_usage_row *r, const char *name)
{
    for(size_t k = 0; k < r->nep; k++)
        if(!strcmp(r->ep[k].name, name))
            return &r->ep[k];
    return NULL;
}

/* Every kept day and today as the test counted them. */
static void check_rows(const struct och_usage_data *d, const struct expect *ex)
{
    ck_assert_uint_eq(d->nrows, NDAYS);
    for(int i = 0; i < NDAYS; i++) {
        const struct och_usage_row *r = &d->rows[i];
        ck_assert_str_eq(r->day, ex->day[i]);
        ck_assert_msg(r->calls == day_total(ex, i), "%s: %lld calls, counted %lld", r->day, (long long)r->calls,
                      (long long)day_total(ex, i));
        ck_assert_int_eq(r->n429, ex->n429[i]);
        ck_assert_int_eq(r->retries, ex->retries[i]);
        ck_assert_int_eq(r->budget, BUDGET);
        ck_assert_int_eq(r->daily_limit, DAILY_LIMIT);
        ck_assert_int_eq(r->today, i == NDAYS - 1);
        for(int e = 0; e < NEP; e++) {
            const struct och_usage_ep *p = find_ep(r, ep_names[e]);
            ck_assert_msg((p ? p->calls : 0) == ex->calls[i][e], "%s %s: %lld, counted %lld", r->day, ep_names[e],
                          (long long)(p ? p->calls : 0), (long long)ex->calls[i][e]);
        }
    }
}

START_TEST(month_across_dst_is_kept)
{
    struct month m;
    struct och_usage_data d;
    month_start(&m, START, ZONE(-14400000), BUDGET);
    fill_month(&m);
    gather(&m, &d);
    check_rows(&d, &m.ex);
    /* the days around the change and the late evening, by name */
    ck_assert_str_eq(m.ex.day[DST_DAY - 1], "2026-10-31");
    ck_assert_str_eq(m.ex.day[DST_DAY], "2026-11-01");
    ck_assert_str_eq(m.ex.day[DST_DAY + 1], "2026-11-02");
    ck_assert_int_eq(m.ex.calls[LATE_DAY][EP_LATE], 2);
    ck_assert_int_eq(m.ex.calls[LATE_DAY + 1][EP_LATE], 3);
    och_usage_data_free(&d);
    month_stop(&m);
}
END_TEST

/* ---- the text report and JSON Lines ---- */

static char *render(int (*fn)(FILE *, const struct och_usage_data *, int), const struct och_usage_data *d, int days)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fn(f, d, days), 0);
    fclose(f);
    return text;
}

static int prom_adapter(FILE *f, const struct och_usage_data *d, int days)
{
    (void)days;
    return och_usage_prometheus(f, d);
}

START_TEST(report_rows_match_the_month)
{
    struct month m;
    struct och_usage_data d;
    month_start(&m, START, ZONE(-14400000), BUDGET);
    fill_month(&m);
    gather(&m, &d);
    char *text = render(och_usage_report_text, &d, 40);
    /* one row per day, oldest first, with calls, share, 429s, retries, bar */
    const char *p = strchr(text, '\n') + 1;
    for(int i = 0; i < NDAYS; i++) {
        char day[11], share[16], of[16], bar[64];
        long long c, n4, rt;
        int at = 0;
        ck_assert_msg(sscanf(p, "%10s %lld %15s %15s %lld%n", day, &c, share, of, &n4, &at) == 5, "%s", p);
        /* the 429s by policy follow their count: "1 (10s:1)" */
        const char *rest = p + at;
        if(!strncmp(rest, " (", 2)) {
            ck_assert_msg(!strncmp(rest, " (10s:1)", 8), "%s", p);
            rest += 8;
        }
        ck_assert_msg(sscanf(rest, "%lld %63s", &rt, bar) == 2, "%s", p);
        ck_assert_str_eq(day, m.ex.day[i]);
        ck_assert_int_eq(c, day_total(&m.ex, i));
        ck_assert_int_eq(n4, m.ex.n429[i]);
        ck_assert_int_eq(rt, m.ex.retries[i]);
        ck_assert_str_eq(of, "budget");
        char want[48];
        long long tenths = (c * 1000 + BUDGET / 2) / BUDGET;
        snprintf(want, sizeof want, "%lld.%lld%%", tenths / 10, tenths % 10);
        ck_assert_str_eq(share, want);
        /* the bar: calls/budget of OCH_USAGE_BAR_WIDTH, rounded up */
        ck_assert_uint_eq(strlen(bar), OCH_USAGE_BAR_WIDTH);
        ck_assert_int_eq((long long)strspn(bar, "#"), (c * OCH_USAGE_BAR_WIDTH + BUDGET - 1) / BUDGET);
        p = strchr(p, '\n') + 1;
    }
    ck_assert_msg(strstr(text, "(today)") && strstr(text, "America/New_York (UTC-05:00"), "%s", text);
    /* the projection: the 7 whole days before today, the month so far */
    int64_t week = 0, so_far = 0;
    for(int i = NDAYS - 8; i < NDAYS - 1; i++)
        week += day_total(&m.ex, i);
    for(int i = 0; i < NDAYS; i++)
        if(!strncmp(m.ex.day[i], "2026-11", 7))
            so_far += day_total(&m.ex, i);
    int64_t rate = (week + 3) / 7;
    char want[200];
    snprintf(want, sizeof want, "projection: at %lld calls/day (the last 7 days), 2026-11 ends near %lld calls (%lld so far, 19 days left)",
             (long long)rate, (long long)(so_far + rate * 19), (long long)so_far);
    ck_assert_msg(strstr(text, want), "expected '%s' in:\n%s", want, text);
    ck_assert_msg(strstr(text, "HubSpot's daily limit 250000 allows 7500000 this month"), "%s", text);
    free(text);

    /* --days 7: the last 7 days only */
    text = render(och_usage_report_text, &d, 7);
    ck_assert_ptr_null(strstr(text, m.ex.day[NDAYS - 8]));
    ck_assert_ptr_nonnull(strstr(text, m.ex.day[NDAYS - 7]));
    free(text);

    /* JSON Lines: the same days, each line a JSON object */
    text = render(och_usage_report_json, &d, 40);
    int lines = 0;
    for(char *line = text, *nl; (nl = strchr(line, '\n')); line = nl + 1, lines++) {
        struct kit_json j = {0};
        char why[128];
        ck_assert_msg(kit_json_parse(&j, line, (size_t)(nl - line), why, sizeof why) == 0, "%s: %.*s", why,
                      (int)(nl - line), line);
        if(lines < NDAYS) {
            int64_t v;
            ck_assert(kit_json_eq(&j, kit_json_get(&j, 0, "kind"), "usage_day"));
            ck_assert(kit_json_eq(&j, kit_json_get(&j, 0, "day"), m.ex.day[lines]));
            ck_assert_int_eq(kit_json_int64(&j, kit_json_get(&j, 0, "calls"), &v), 0);
            ck_assert_int_eq(v, day_total(&m.ex, lines));
            ck_assert_int_eq(kit_json_int64(&j, kit_json_get(&j, 0, "429s"), &v), 0);
            ck_assert_int_eq(v, m.ex.n429[lines]);
        } else {
            ck_assert(kit_json_eq(&j, kit_json_get(&j, 0, "kind"), "usage_projection"));
        }
        kit_json_free(&j);
    }
    ck_assert_int_eq(lines, NDAYS + 1);
    free(text);
    och_usage_data_free(&d);
    month_stop(&m);
}
END_TEST

/* ---- the SVG: strict XML, and bars that are the data ---- */

struct xml_bar {
    char day[11];
    char endpoint[64];
    int64_t calls;
};

struct xml_seen {
    struct xml_bar bars[512];
    size_t nbars;
    char marks[64][11];
    int64_t mark429[64];
    size_t nmarks;
    int limit_line, budget_line;
};

/* Undo the five predefined entities and &#N; in s (in place); -1 on an
 * unknown or unterminated reference. */
static int unescape(char *s)
{
    static const struct { const char *ent; char c; } ents[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    char *w = s;
    for(char *r = s; *r;) {
        if(*r != '&') {
            *w++ = *r++;
            continue;
        }
        size_t k = 0;
        for(; k < 5; k++)
            if(!strncmp(r, ents[k].ent, strlen(ents[k].ent)))
                break;
        if(k < 5) {
            *w++ = ents[k].c;
            r += strlen(ents[k].ent);
        } else if(r[1] == '#') {
            char *end;
            long v = strtol(r + 2, &end, 10);
            if(*end != ';' || v <= 0 || v > 127)
                return -1;
            *w++ = (char)v;
            r = end + 1;
        } else {
            return -1;
        }
    }
    *w = '\0';
    return 0;
}

static int name_char(char c, int first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           (!first && ((c >= '0' && c <= '9') || c == '-' || c == '.'));
}

/* A strict well-formedness check of the XML subset an SVG file uses
 * (declaration, elements, attributes, character data with entity
 * references; no DTD, CDATA or comments are written by ochost, so none are
 * accepted). Fails the test naming the byte offset; fills seen with the
 * chart's bars, 429 marks and lines. */
static void xml_check(const char *doc, struct xml_seen *seen)
{
    char stack[32][32];
    int depth = 0, roots = 0;
    const char *p = doc;
    memset(seen, 0, sizeof *seen);
    if(!strncmp(p, "<?xml ", 6)) {
        const char *e = strstr(p, "?>");
        ck_assert_msg(e, "unterminated XML declaration");
        p = e + 2;
    }
    while(*p) {
        if(*p != '<') {
            const char *e = strchr(p, '<');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            char *text = strndup(p, n);
            ck_assert_msg(unescape(text) == 0, "bad entity in text at byte %ld", (long)(p - doc));
            ck_assert_msg(!strchr(text, '>') || depth > 0, "stray '>' at byte %ld", (long)(p - doc));
            if(!depth)
                ck_assert_msg(strspn(text, " \t\r\n") == n, "text outside the root at byte %ld", (long)(p - doc));
            free(text);
            p += n;
            continue;
        }
        int closing = p[1] == '/';
        const char *n0 = p + 1 + closing, *n1 = n0;
        ck_assert_msg(name_char(*n1, 1), "bad tag name at byte %ld", (long)(p - doc));
        while(name_char(*n1, 0))
            n1++;
        char name[32];
        ck_assert(n1 - n0 < 32);
        snprintf(name, sizeof name, "%.*s", (int)(n1 - n0), n0);
        p = n1;
        if(closing) {
            while(*p == ' ')
                p++;
            ck_assert_msg(*p == '>', "bad end tag at byte %ld", (long)(p - doc));
            ck_assert_msg(depth > 0 && !strcmp(stack[depth - 1], name), "</%s> does not close <%s> (byte %ld)", name,
                          depth ? stack[depth - 1] : "", (long)(p - doc));
            depth--;
            p++;
            continue;
        }
        char keys[16][32], vals[16][512];
        int nattr = 0;
        for(;;) {
            int sp = 0;
            while(*p == ' ' || *p == '\n' || *p == '\t')
                p++, sp++;
            if(*p == '>' || (p[0] == '/' && p[1] == '>'))
                break;
            ck_assert_msg(sp && name_char(*p, 1), "bad attribute at byte %ld", (long)(p - doc));
            const char *k0 = p;
            while(name_char(*p, 0))
                p++;
            ck_assert_msg(p[0] == '=' && p[1] == '"', "attribute without a quoted value at byte %ld", (long)(p - doc));
            ck_assert(nattr < 16 && p - k0 < 32);
            snprintf(keys[nattr], sizeof keys[nattr], "%.*s", (int)(p - k0), k0);
            for(int a = 0; a < nattr; a++)
                ck_assert_msg(strcmp(keys[a], keys[nattr]), "attribute %s twice at byte %ld", keys[a], (long)(p - doc));
            const char *v0 = p + 2, *v1 = strchr(v0, '"');
            ck_assert_msg(v1 && v1 - v0 < 512, "unterminated attribute at byte %ld", (long)(p - doc));
            snprintf(vals[nattr], sizeof vals[nattr], "%.*s", (int)(v1 - v0), v0);
            ck_assert_msg(!strchr(vals[nattr], '<'), "'<' in an attribute at byte %ld", (long)(p - doc));
            ck_assert_msg(unescape(vals[nattr]) == 0, "bad entity in an attribute at byte %ld", (long)(p - doc));
            nattr++;
            p = v1 + 1;
        }
        const char *cls = NULL, *day = NULL, *ep = NULL, *calls = NULL, *n429 = NULL;
        for(int a = 0; a < nattr; a++) {
            if(!strcmp(keys[a], "class"))
                cls = vals[a];
            else if(!strcmp(keys[a], "data-day"))
                day = vals[a];
            else if(!strcmp(keys[a], "data-endpoint"))
                ep = vals[a];
            else if(!strcmp(keys[a], "data-calls"))
                calls = vals[a];
            else if(!strcmp(keys[a], "data-429s"))
                n429 = vals[a];
        }
        if(cls && !strcmp(cls, "bar") && day && ep && calls && seen->nbars < 512) {
            struct xml_bar *b = &seen->bars[seen->nbars++];
            snprintf(b->day, sizeof b->day, "%.10s", day);
            snprintf(b->endpoint, sizeof b->endpoint, "%.63s", ep);
            b->calls = atoll(calls);
        }
        if(cls && !strcmp(cls, "mark429") && day && n429 && seen->nmarks < 64) {
            snprintf(seen->marks[seen->nmarks], 11, "%.10s", day);
            seen->mark429[seen->nmarks++] = atoll(n429);
        }
        if(cls && !strcmp(cls, "daily-limit"))
            seen->limit_line = 1;
        if(cls && !strcmp(cls, "budget"))
            seen->budget_line = 1;
        if(*p == '/') {
            p += 2;
            if(!depth)
                roots++;
            continue;
        }
        ck_assert(depth < 32);
        if(!depth)
            roots++;
        snprintf(stack[depth++], sizeof stack[0], "%s", name);
        p++;
    }
    ck_assert_msg(depth == 0, "<%s> never closed", depth ? stack[depth - 1] : "");
    ck_assert_int_eq(roots, 1);
}

START_TEST(svg_is_xml_and_its_bars_are_the_data)
{
    struct month m;
    struct och_usage_data d;
    struct xml_seen *seen = calloc(1, sizeof *seen);
    month_start(&m, START, ZONE(-14400000), BUDGET);
    fill_month(&m);
    gather(&m, &d);
    char *svg = render(och_usage_svg, &d, 30);
    ck_assert_msg(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""), "%.200s", svg);
    xml_check(svg, seen);
    /* --days 30: the last 30 days; each day's bars sum to its calls, each
     * endpoint's bar is its calls */
    for(int i = NDAYS - 30; i < NDAYS; i++) {
        int64_t sum = 0, per[NEP] = {0};
        for(size_t b = 0; b < seen->nbars; b++) {
            if(strcmp(seen->bars[b].day, m.ex.day[i]))
                continue;
            sum += seen->bars[b].calls;
            for(int e = 0; e < NEP; e++)
                if(!strcmp(seen->bars[b].endpoint, ep_names[e]))
                    per[e] += seen->bars[b].calls;
        }
        ck_assert_msg(sum == day_total(&m.ex, i), "%s: bars %lld, counted %lld", m.ex.day[i], (long long)sum,
                      (long long)day_total(&m.ex, i));
        for(int e = 0; e < NEP; e++)
            ck_assert_int_eq(per[e], m.ex.calls[i][e]);
    }
    for(size_t b = 0; b < seen->nbars; b++)
        ck_assert_str_ne(seen->bars[b].day, m.ex.day[0]); /* 31 days back: not drawn */
    /* the 429 day, marked once */
    ck_assert_uint_eq(seen->nmarks, 1);
    ck_assert_str_eq(seen->marks[0], m.ex.day[LIMITED_DAY]);
    ck_assert_int_eq(seen->mark429[0], 1);
    /* the budget as a line; the daily limit, 6000 times the busiest day, is
     * named instead of flattening the bars */
    ck_assert(seen->budget_line);
    ck_assert(!seen->limit_line);
    ck_assert_ptr_nonnull(strstr(svg, "class=\"daily-limit-note\" data-value=\"250000\""));
    free(svg);
    /* xmllint, when installed, agrees (the check above is the one always
     * run) */
    if(!system("command -v xmllint >/dev/null 2>&1")) {
        char path[] = "/tmp/usage-svg-XXXXXX";
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        FILE *f = fdopen(fd, "w");
        ck_assert_int_eq(och_usage_svg(f, &d, 30), 0);
        fclose(f);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "xmllint --noout %s 2>&1", path);
        ck_assert_int_eq(system(cmd), 0);
        unlink(path);
    }
    free(seen);
    och_usage_data_free(&d);
    month_stop(&m);
}
END_TEST

/* ---- Prometheus text: every line by the format's grammar ---- */

static int metric_name(const char **p)
{
    const char *s = *p;
    if(!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' || *s == ':'))
        return -1;
    while((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == ':')
        s++;
    *p = s;
    return 0;
}

/* One sample line: name{label="value",...} value. Returns the family
 * name's length and the unescaped first label value into label. */
static void prom_sample(const char *line, char *family, size_t fsize, char *label, size_t lsize, double *value)
{
    const char *p = line;
    ck_assert_msg(metric_name(&p) == 0, "bad metric name: %s", line);
    snprintf(family, fsize, "%.*s", (int)(p - line), line);
    label[0] = '\0';
    if(*p == '{') {
        p++;
        while(*p != '}') {
            const char *k = p;
            ck_assert_msg((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_', "bad label: %s", line);
            while((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_')
                p++;
            ck_assert_msg(p > k && p[0] == '=' && p[1] == '"', "bad label: %s", line);
            p += 2;
            size_t n = 0;
            while(*p != '"') {
                ck_assert_msg(*p && *p != '\n', "unterminated label value: %s", line);
                char c = *p++;
                if(c == '\\') {
                    ck_assert_msg(*p == '\\' || *p == '"' || *p == 'n', "bad escape in: %s", line);
                    c = *p == 'n' ? '\n' : *p;
                    p++;
                }
                if(n + 1 < lsize)
                    label[n++] = c;
            }
            label[n] = '\0';
            p++;
            if(*p == ',')
                p++;
            else
                ck_assert_msg(*p == '}', "bad label list: %s", line);
        }
        p++;
    }
    ck_assert_msg(*p == ' ', "no space before the value: %s", line);
    char *end;
    *value = strtod(p + 1, &end);
    ck_assert_msg(end > p + 1 && *end == '\0', "bad value: %s", line);
}

START_TEST(prometheus_lines_follow_the_format)
{
    struct month m;
    struct och_usage_data d;
    month_start(&m, START, ZONE(-14400000), BUDGET);
    fill_month(&m);
    gather(&m, &d);
    char *text = render(prom_adapter, &d, 1);
    /* the endpoint with a quote, a backslash and markup came through whole */
    ck_assert_msg(strstr(text, "{endpoint=\"we\\\"ird\\\\name<&>\"}"), "%s", text);
    char help[16][80], type[16][80];
    int nhelp = 0, ntype = 0;
    int64_t got[NEP] = {0};
    double limit = -1, remaining = -1, budget = -1, budget_left = -1;
    for(char *line = text, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        *nl = '\0';
        if(!strncmp(line, "# HELP ", 7)) {
            const char *p = line + 7;
            ck_assert_msg(metric_name(&p) == 0 && *p == ' ' && p[1], "bad HELP: %s", line);
            snprintf(help[nhelp++], 80, "%.*s", (int)(p - line - 7), line + 7);
            continue;
        }
        if(!strncmp(line, "# TYPE ", 7)) {
            const char *p = line + 7;
            ck_assert_msg(metric_name(&p) == 0 && *p == ' ', "bad TYPE: %s", line);
            ck_assert_msg(!strcmp(p + 1, "counter") || !strcmp(p + 1, "gauge"), "bad TYPE: %s", line);
            snprintf(type[ntype], 80, "%.*s", (int)(p - line - 7), line + 7);
            /* TYPE once per family, after its HELP, before its samples */
            ck_assert_str_eq(type[ntype], help[nhelp - 1]);
            for(int k = 0; k < ntype; k++)
                ck_assert_str_ne(type[k], type[ntype]);
            /* counters end in _total */
            if(!strcmp(p + 1, "counter"))
                ck_assert_msg(strlen(type[ntype]) > 6 && !strcmp(type[ntype] + strlen(type[ntype]) - 6, "_total"),
                              "%s", line);
            ntype++;
            continue;
        }
        ck_assert_msg(line[0] != '#' && line[0], "unexpected line: '%s'", line);
        char family[80], label[80];
        double v;
        prom_sample(line, family, sizeof family, label, sizeof label, &v);
        ck_assert_msg(ntype && !strcmp(family, type[ntype - 1]), "sample outside its family: %s", line);
        if(!strcmp(family, "onecount_hubspot_calls_total"))
            for(int e = 0; e < NEP; e++)
                if(!strcmp(label, ep_names[e]))
                    got[e] = (int64_t)v;
        if(!strcmp(family, "onecount_hubspot_daily_limit_calls"))
            limit = v;
        if(!strcmp(family, "onecount_hubspot_daily_remaining_calls"))
            remaining = v;
        if(!strcmp(family, "onecount_hubspot_budget_calls"))
            budget = v;
        if(!strcmp(family, "onecount_hubspot_budget_remaining_calls"))
            budget_left = v;
    }
    ck_assert_int_eq(nhelp, ntype);
    for(int e = 0; e < NEP; e++)
        ck_assert_int_eq(got[e], m.ex.calls[NDAYS - 1][e]);
    ck_assert(limit == DAILY_LIMIT);
    ck_assert(remaining == DAILY_LIMIT - m.ss.served);
    ck_assert(budget == BUDGET);
    ck_assert(budget_left == BUDGET - day_total(&m.ex, NDAYS - 1));
    free(text);
    och_usage_data_free(&d);
    month_stop(&m);
}
END_TEST

/* ---- the state stays small ---- */

static const char *const real_endpoints[] = {
    "oauth.token-info", "account-info.details", "account-info.api-usage", "email.events",
    "contacts.search", "contacts.read", "contacts.batch.read", "contacts.batch.upsert",
    "lists.get", "lists.memberships.add"};

/* The usage record after `days` finished days before 2026-11-30, each
 * with the first `neps` of this connector's endpoints used, every one
 * with `calls` calls and, when heavy, errors, 429s and retries. Its size
 * in bytes. */
static size_t history_bytes(int days, int neps, uint64_t calls, int heavy, struct kit_buf *json)
{
    struct kit_usage u;
    kit_usage_init(&u);
    kit_usage_reset(&u, "2026-11-30");
    for(int i = 0; i < days; i++) {
        struct kit_usage d;
        char day[11];
        kit_usage_init(&d);
        kit_usage_day(1795996800000LL - (int64_t)(days - i) * DAY, day);
        kit_usage_reset(&d, day);
        d.budget = 250000;
        d.offset_ms = -5 * HOUR;
        d.saved_at_ms = 1795996800000LL - (int64_t)(days - i) * DAY + 22 * HOUR;
        d.limits[KIT_LIM_DAILY] = 250000;
        d.limits[KIT_LIM_DAILY_REMAINING] = 125000;
        for(int e = 0; e < neps; e++) {
            ck_assert_int_eq(kit_usage_count(&d, real_endpoints[e], KIT_USE_CALL), 0);
            if(heavy) {
                ck_assert_int_eq(kit_usage_count(&d, real_endpoints[e], KIT_USE_429), 0);
                ck_assert_int_eq(kit_usage_count(&d, real_endpoints[e], KIT_USE_ERROR), 0);
                d.ep[e].retries = 1234;
            }
            d.ep[e].calls = calls;
        }
        d.calls = calls * (uint64_t)neps;
        if(heavy)
            kit_usage_count_policy(&d, "TEN_SECONDLY_ROLLING");
        ck_assert_int_eq(kit_usage_add(&u, &d), 0);
        kit_usage_free(&d);
    }
    json->len = 0;
    u.offset_ms = -5 * HOUR;
    ck_assert_int_eq(kit_usage_to_json(&u, json), 0);
    kit_usage_free(&u);
    return json->len;
}

START_TEST(full_history_stays_small)
{
    struct kit_buf json = KIT_BUF_INIT;
    struct kit_usage back;
    char why[128];
    size_t typical = history_bytes(90, 6, 180, 0, &json);
    size_t worst90 = history_bytes(90, 10, 123456, 1, &json);
    /* more days than are kept: the oldest go */
    size_t worst = history_bytes(130, 10, 123456, 1, &json);
    fprintf(stderr,
            "usage_history: state for 90 full days: %zu bytes typical (6 endpoints, hundreds of calls a day), "
            "%zu bytes heavy (all 10 endpoints, six-digit counts, 429s, errors, retries); bounded at %u days: "
            "%zu bytes\n",
            typical, worst90, KIT_USAGE_HISTORY_DAYS, worst);
    ck_assert_uint_lt(typical, 32 * 1024);
    ck_assert_uint_lt(worst, 80 * 1024);
    kit_usage_init(&back);
    ck_assert_msg(kit_usage_from_json(&back, json.data, json.len, why, sizeof why) == 0, "%s", why);
    ck_assert_uint_eq(back.nhist, KIT_USAGE_HISTORY_DAYS);
    ck_assert_str_eq(back.hist[0].day, "2026-08-22"); /* 100 days before the 30th */
    ck_assert_int_eq(back.hist[99].ep[9].calls, 123456);
    ck_assert_int_eq(back.hist[99].ep[9].n429, 1);
    ck_assert_int_eq(back.hist[99].ep[9].retries, 1234);
    ck_assert_int_eq(back.hist[99].budget, 250000);
    kit_usage_free(&back);
    kit_buf_free(&json);
}
END_TEST

/* ---- what a batch writes ---- */

/* Bytes and puts per usage key, counted on the way to the test host's
 * state. */
static oc_status (*real_put)(void *, const char *, const void *, size_t);
static size_t put_bytes[2];
static int put_count[2];

static oc_status counting_put(void *ctx, const char *key, const void *value, size_t len)
{
    int k = !strcmp(key, KIT_USAGE_KEY) ? 0 : !strcmp(key, KIT_USAGE_HISTORY_KEY) ? 1 : -1;
    if(k >= 0) {
        put_bytes[k] += len;
        put_count[k]++;
    }
    return real_put(ctx, key, value, len);
}

/* 2026-11-30T17:00:00Z: noon in New York (EST), the day history_bytes
 * ends on. */
#define NOV30_NOON 1796058000000LL

static int64_t row_calls(const struct och_usage_data *d, const char *day)
{
    for(size_t i = 0; i < d->nrows; i++)
        if(!strcmp(d->rows[i].day, day))
            return d->rows[i].calls;
    return -1;
}

/* A state of the earlier layout (90 days kept inside the usage record):
 * the first batch moves them under the history key, every later batch
 * writes today's record alone, a new day writes the history once, and a
 * day moved twice (its usage record's save failed) is kept once. */
START_TEST(batch_writes_todays_record_only)
{
    struct month m;
    struct kit_buf legacy = KIT_BUF_INIT;
    struct och_usage_data d;
    size_t old_record = history_bytes(90, 6, 180, 0, &legacy);
    month_start(&m, NOV30_NOON, ZONE(-18000000), 0);
    hs_instance_release(m.in);
    ck_assert_int_eq(m.th.host.state_put(&m.th, KIT_USAGE_KEY, legacy.data, legacy.len), OC_OK);
    real_put = m.th.host.state_put;
    m.th.host.state_put = counting_put;
    memset(put_bytes, 0, sizeof put_bytes);
    memset(put_count, 0, sizeof put_count);
    new_instance(&m);
    calls(&m, EP_A, 1); /* the move */
    size_t first = put_bytes[0] + put_bytes[1];
    size_t before = put_bytes[0];
    for(int i = 0; i < 10; i++)
        calls(&m, EP_B, 1);
    size_t per_batch = (put_bytes[0] - before) / 10;
    fprintf(stderr,
            "usage_history: bytes written per batch with 90 days kept: %zu in the first batch (moves the "
            "earlier layout's history, a %zu-byte usage record), then %zu per batch\n",
            first, old_record, per_batch);
    ck_assert_int_eq(put_count[1], 1);
    ck_assert_uint_lt(per_batch, 1024);
    ck_assert_ptr_null(strstr(th_state(&m.th, KIT_USAGE_KEY), "\"history\""));
    gather(&m, &d);
    ck_assert_uint_eq(d.nrows, 91);
    ck_assert_int_eq(row_calls(&d, "2026-09-01"), 6 * 180);
    ck_assert_int_eq(row_calls(&d, "2026-11-30"), 11);
    och_usage_data_free(&d);
    /* the next day: the history is written with each try of the usage
     * record's save (ahead of the call, and at the batch's end); that save
     * fails, so the day moves again at the next batch, and once only after
     * the record is stored */
    set_clock(&m, NOV30_NOON + DAY);
    m.th.fail_puts = 1;
    m.th.puts_left = 0;
    m.th.fail_key = KIT_USAGE_KEY;
    calls(&m, EP_A, 1);
    ck_assert_int_eq(put_count[1], 3);
    m.th.fail_puts = 0;
    calls(&m, EP_A, 1);
    ck_assert_int_eq(put_count[1], 4);
    calls(&m, EP_A, 1);
    ck_assert_int_eq(put_count[1], 4);
    gather(&m, &d);
    ck_assert_uint_eq(d.nrows, 92);
    ck_assert_int_eq(row_calls(&d, "2026-11-30"), 11); /* once, not twice */
    ck_assert_int_eq(row_calls(&d, "2026-12-01"), 3);
    och_usage_data_free(&d);
    kit_buf_free(&legacy);
    month_stop(&m);
}
END_TEST

/* ---- 429s by HubSpot's policy ---- */

/* The first call to each path is refused under one policy (none named
 * for /pu), then answered. */
static int policy_answer(void *ctx, const struct fx_request *req, struct fx_response *resp)
{
    int *seen = ctx;
    static const char *const paths[] = {"/p10", "/p1", "/pu", "/pd"};
    static const char *const policies[] = {"TEN_SECONDLY_ROLLING", "SECONDLY", NULL, "DAILY"};
    for(int i = 0; i < 4; i++) {
        if(strcmp(req->path, paths[i]) || (seen[i]++ && i != 3))
            continue;
        resp->status = 429;
        kit_buf_puts(&resp->headers, "Retry-After: 1\r\n");
        kit_buf_printf(&resp->body, "{\"status\":\"error\",\"message\":\"limit\",\"errorType\":\"RATE_LIMIT\"%s%s%s}",
                       policies[i] ? ",\"policyName\":\"" : "", policies[i] ? policies[i] : "", policies[i] ? "\"" : "");
        return 0;
    }
    resp->status = 200;
    kit_buf_puts(&resp->body, "{\"ok\":true}");
    return 0;
}

static oc_status call_path(struct month *m, const char *path)
{
    struct kit_http_req r;
    struct oc_error err = {sizeof err};
    kit_http_req_init(&r, "GET", path, NULL, 0, "p.x");
    oc_status rc = kit_http_call(m->in->http, &r, &err);
    kit_http_req_free(&r);
    kit_http_settle(m->in->http);
    return rc;
}

#define POLICIES_JSON "{\"TEN_SECONDLY_ROLLING\":1,\"SECONDLY\":1,\"unknown\":1,\"DAILY\":1}"

START_TEST(rate_limits_counted_by_policy)
{
    struct month m;
    struct och_usage_data d;
    int seen[4] = {0, 0, 0, 0};
    char why[256];
    memset(&m, 0, sizeof m);
    th_init(&m.th, NOV30_NOON);
    ck_assert_int_eq(m.th.host.state_put(&m.th, HS_ACCOUNT_KEY, ZONE(-18000000), strlen(ZONE(-18000000))), OC_OK);
    struct fx_options fo = {.dynamic = policy_answer, .dynamic_ctx = seen};
    ck_assert_msg(fx_server_start(NULL, &fo, &m.srv, why, sizeof why) == 0, "%s", why);
    snprintf(m.budget, sizeof m.budget, "0");
    new_instance(&m);
    ck_assert_int_eq(call_path(&m, "/p10"), OC_OK);
    ck_assert_int_eq(call_path(&m, "/p1"), OC_OK);
    ck_assert_int_eq(call_path(&m, "/pu"), OC_OK);
    ck_assert_int_eq(call_path(&m, "/pd"), OC_E_BUDGET);
    ASSERT_HAS_TEXT(th_state(&m.th, KIT_USAGE_KEY), "\"429s\":4,\"429s_by_policy\":" POLICIES_JSON);
    /* today's record, its report and its metrics */
    gather(&m, &d);
    ck_assert_uint_eq(d.nrows, 1);
    ck_assert_uint_eq(d.rows[0].npol, 4);
    char *text = render(och_usage_report_text, &d, 1);
    ASSERT_HAS_TEXT(text, " 4 (10s:1, 1s:1, unknown:1, day:1) ");
    free(text);
    text = render(och_usage_report_json, &d, 1);
    ASSERT_HAS_TEXT(text, "\"429s\":4,\"429s_by_policy\":" POLICIES_JSON);
    free(text);
    text = render(prom_adapter, &d, 1);
    ASSERT_HAS_TEXT(text, "# TYPE onecount_hubspot_rate_limited_by_policy_total counter\n");
    ASSERT_HAS_TEXT(text, "onecount_hubspot_rate_limited_by_policy_total{policy=\"TEN_SECONDLY_ROLLING\"} 1\n");
    ASSERT_HAS_TEXT(text, "onecount_hubspot_rate_limited_by_policy_total{policy=\"DAILY\"} 1\n");
    ASSERT_HAS_TEXT(text, "onecount_hubspot_rate_limited_by_policy_total{policy=\"unknown\"} 1\n");
    free(text);
    och_usage_data_free(&d);
    /* kept with the day */
    set_clock(&m, NOV30_NOON + DAY);
    hs_instance_release(m.in);
    new_instance(&m);
    ck_assert_int_eq(call_path(&m, "/ok"), OC_OK);
    ck_assert_ptr_nonnull(th_state(&m.th, KIT_USAGE_HISTORY_KEY));
    ASSERT_HAS_TEXT(th_state(&m.th, KIT_USAGE_HISTORY_KEY), "\"429s\":4,\"429s_by_policy\":" POLICIES_JSON);
    ck_assert_ptr_null(strstr(th_state(&m.th, KIT_USAGE_KEY), "429s_by_policy"));
    gather(&m, &d);
    ck_assert_uint_eq(d.nrows, 2);
    ck_assert_str_eq(d.rows[0].day, "2026-11-30");
    ck_assert_uint_eq(d.rows[0].npol, 4);
    ck_assert_str_eq(d.rows[0].pol[3].name, "DAILY");
    ck_assert_int_eq(d.rows[0].pol[3].n429, 1);
    ck_assert_uint_eq(d.rows[1].npol, 0);
    och_usage_data_free(&d);
    month_stop(&m);
}
END_TEST

/* ---- warnings before the bill ---- */

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for(const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

START_TEST(warnings_once_per_threshold_per_day)
{
    struct month m;
    month_start(&m, START, ZONE(-14400000), 10);
    calls(&m, EP_A, 4);
    ck_assert_int_eq(count_of(kit_buf_str(&m.th.logs), "of daily_budget used"), 0);
    calls(&m, EP_A, 1); /* 5 of 10 */
    ck_assert_int_eq(count_of(kit_buf_str(&m.th.logs), "WARN usage: 50% of daily_budget used: 5 of 10 calls on 2026-10-12"), 1);
    calls(&m, EP_A, 2); /* 7: nothing new */
    ck_assert_int_eq(count_of(kit_buf_str(&m.th.logs), "of daily_budget used"), 1);
    /* a new run the same day remembers what was said */
    hs_instance_release(m.in);
    new_instance(&m);
    calls(&m, EP_A, 1); /* 8 of 10 */
    ck_assert_int_eq(count_of(kit_buf_str(&m.th.logs), "50% of daily_budget"), 1);
    ck_assert_int_eq(count_of(kit_buf_str(&m.th.logs), "WARN usage: 80% of daily_budget used: 8 of 10"), 1);
    calls(&m, EP_A, 2); /* 10 of 10 */
    ck_assert_int_eq(count_of(kit_buf_str(&m.th.logs), "100% of daily_budget used: 10 of 10"), 1);
    ASSERT_HAS_TEXT(kit_buf_str(&m.th.logs), "no more HubSpot calls today");
    /* the budget stop is as before */
    struct kit_http_req r;
    struct oc_error err = {sizeof err};
    kit_http_req_init(&r, "GET", "/a.x", NULL, 0, "a.x");
    ck_assert_int_eq(kit_http_call(m.in->http, &r, &err), OC_E_BUDGET);
    kit_http_req_free(&r);
    ck_assert_int_eq(count_of(kit_buf_str(&m.th.logs), "of daily_budget used"), 3);
    /* the next day warns again */
    set_clock(&m, START + DAY);
    calls(&m, EP_A, 5);
    ck_assert_int_eq(count_of(kit_buf_str(&m.th.logs), "50% of daily_budget used: 5 of 10 calls on 2026-10-13"), 1);
    month_stop(&m);
}
END_TEST

/* HubSpot's daily limit: the portal's count (limit - remaining) decides
 * when it is higher than ours. */
START_TEST(warning_on_the_portals_daily_limit)
{
    struct kit_usage u;
    struct kit_usage_warning w[4];
    kit_usage_init(&u);
    kit_usage_reset(&u, "2026-11-28");
    u.calls = 10;
    u.limits[KIT_LIM_DAILY] = 1000;
    u.limits[KIT_LIM_DAILY_REMAINING] = 150; /* other apps used 840 */
    ck_assert_int_eq(kit_usage_warnings(&u, w, 4), 1);
    ck_assert_int_eq(w[0].figure, KIT_WARN_DAILY_LIMIT);
    ck_assert_int_eq(w[0].percent, 80);
    ck_assert_int_eq(w[0].used, 850);
    ck_assert_int_eq(kit_usage_warnings(&u, w, 4), 0); /* said */
    u.limits[KIT_LIM_DAILY_REMAINING] = 0;
    ck_assert_int_eq(kit_usage_warnings(&u, w, 4), 1);
    ck_assert_int_eq(w[0].percent, 100);
    kit_usage_free(&u);
}
END_TEST

/* ---- the portal's count: one call, HubSpot's documented answer ---- */

START_TEST(remote_shows_the_portal_beside_ours)
{
    struct testhost th;
    struct fx_server *srv;
    struct oc_instance *in;
    struct oc_error err = {sizeof err};
    struct och_usage_data d;
    char why[256];
    th_init(&th, 1795874400000LL); /* 2026-11-28T14:00:00Z, the cassette's day */
    ck_assert_msg(fx_server_start("fixtures/hubspot/usage-remote.json", NULL, &srv, why, sizeof why) == 0, "%s", why);
    const struct oc_option opts[] = {{"access_token", FX_PLACEHOLDER_TOKEN},
                                     {"base_url", fx_server_url(srv)},
                                     {"usage_remote", "1"}};
    ck_assert_msg(hs_instance_new(&th.host, opts, 3, &in, &err) == OC_OK, "%s", err.message);
    och_usage_data_init(&d);
    gathered = &d;
    th.host.emit = gather_emit;
    ck_assert_msg(hs_usage(in, &err) == OC_OK, "%s", err.message);
    ck_assert(d.portal.present);
    ck_assert_int_eq(d.portal.current_usage, 41250);
    ck_assert_int_eq(d.portal.usage_limit, 250000);
    ck_assert_int_eq(d.portal.connector_calls, 1);
    ck_assert_str_eq(d.portal.fetch_status, "SUCCESS");
    char *text = render(och_usage_report_text, &d, 1);
    ASSERT_HAS_TEXT(text, "41250 of 250000 calls today (16.5%)");
    ASSERT_HAS_TEXT(text, "this connector: 1 calls today, 0.0% of the portal's");
    ASSERT_HAS_TEXT(text, "other apps: 41249 calls today");
    free(text);
    struct kit_buf rep = KIT_BUF_INIT;
    ck_assert_msg(fx_server_verify(srv, &rep) == 0, "%s", kit_buf_str(&rep));
    kit_buf_free(&rep);
    och_usage_data_free(&d);
    hs_instance_release(in);
    fx_server_stop(srv);
    th_free(&th);
}
END_TEST

/* ---- ochost itself: the month's state, no token ---- */

static struct ochrun_env E;

START_TEST(ochost_reports_the_month_without_a_token)
{
    struct month m;
    struct och_state st;
    struct oc_error err = {sizeof err};
    char state[PATH_MAX], svg[PATH_MAX];
    month_start(&m, START, ZONE(-14400000), BUDGET);
    fill_month(&m);
    /* the plugin's state as ochost keeps it */
    snprintf(state, sizeof state, "%s/month.state", E.tmp);
    snprintf(svg, sizeof svg, "%s/month.svg", E.tmp);
    ck_assert_msg(och_state_open(&st, state, 0, NULL, &err) == OC_OK, "%s", err.message);
    for(size_t i = 0; i < m.th.nkv; i++)
        ck_assert_msg(och_state_put(&st, m.th.kv[i].key, m.th.kv[i].value, m.th.kv[i].len, &err) == OC_OK, "%s",
                      err.message);
    och_state_free(&st);
    /* the clock: ochost runs on the wall clock, so today is not the
     * month's last day; every day of the month is then a kept day and
     * the run's today is empty */
    struct ochrun r;
    char days[8];
    snprintf(days, sizeof days, "%d", 100);
    ochrun(&E, &r, (const char *[]){"--manifest", E.manifest, "--state", state, "usage", "--days", days, "--svg", svg, NULL},
           (const char *[]){"HUBSPOT_ACCESS_TOKEN=", NULL}, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    for(int i = 0; i < NDAYS; i++) {
        char want[64];
        snprintf(want, sizeof want, "%s %8lld", m.ex.day[i], (long long)day_total(&m.ex, i));
        ck_assert_msg(strstr(OCHRUN_OUT(&r), want), "expected '%s' in:\n%s", want, OCHRUN_OUT(&r));
    }
    struct kit_buf chart = KIT_BUF_INIT;
    struct xml_seen *seen = calloc(1, sizeof *seen);
    ochrun_slurp(svg, &chart);
    xml_check(kit_buf_str(&chart), seen);
    ck_assert_uint_gt(seen->nbars, 0);
    free(seen);
    kit_buf_free(&chart);
    ochrun_free(&r);
    /* any other command still wants the token */
    ochrun(&E, &r, (const char *[]){"--manifest", E.manifest, "--state", state, "pull", NULL},
           (const char *[]){"HUBSPOT_ACCESS_TOKEN=", NULL}, NULL);
    ck_assert_int_eq(r.code, 2);
    ASSERT_HAS_TEXT(OCHRUN_ERR(&r), "no access token");
    ochrun_free(&r);
    /* and so does --remote, which asks HubSpot */
    ochrun(&E, &r, (const char *[]){"--manifest", E.manifest, "--state", state, "usage", "--remote", NULL},
           (const char *[]){"HUBSPOT_ACCESS_TOKEN=", NULL}, NULL);
    ck_assert_int_eq(r.code, 2);
    ASSERT_HAS_TEXT(OCHRUN_ERR(&r), "no access token");
    ochrun_free(&r);
    month_stop(&m);
}
END_TEST

/* --remote through ochost: one call on the cassette, the portal beside
 * this connector in the report. */
START_TEST(ochost_remote_on_a_cassette)
{
    struct ochrun r;
    ochrun(&E, &r,
           (const char *[]){"--manifest", E.manifest, "--fixtures", "fixtures/hubspot/usage-remote.json", "usage",
                            "--remote", "--days", "1", NULL},
           NULL, NULL);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, OCHRUN_ERR(&r));
    ASSERT_HAS_TEXT(OCHRUN_OUT(&r), "41250 of 250000 calls today (16.5%)");
    ASSERT_HAS_TEXT(OCHRUN_OUT(&r), "this connector: 1 calls today");
    ochrun_free(&r);
}
END_TEST

static void setup(void) { ochrun_setup(&E); }
static void teardown(void) { ochrun_teardown(&E); }

Suite *make_usage_history_suite(void);
Suite *make_usage_history_suite(void)
{
    Suite *s = suite_create("usage_history");
    TCase *tc = tcase_create("history");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, month_across_dst_is_kept);
    tcase_add_test(tc, report_rows_match_the_month);
    tcase_add_test(tc, svg_is_xml_and_its_bars_are_the_data);
    tcase_add_test(tc, prometheus_lines_follow_the_format);
    tcase_add_test(tc, full_history_stays_small);
    tcase_add_test(tc, batch_writes_todays_record_only);
    tcase_add_test(tc, rate_limits_counted_by_policy);
    tcase_add_test(tc, warnings_once_per_threshold_per_day);
    tcase_add_test(tc, warning_on_the_portals_daily_limit);
    tcase_add_test(tc, remote_shows_the_portal_beside_ours);
    suite_add_tcase(s, tc);
    TCase *proc = tcase_create("ochost");
    tcase_add_checked_fixture(proc, setup, teardown);
    tcase_set_timeout(proc, 60);
    tcase_add_test(proc, ochost_reports_the_month_without_a_token);
    tcase_add_test(proc, ochost_remote_on_a_cassette);
    suite_add_tcase(s, proc);
    return s;
}
