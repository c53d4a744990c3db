/* timeparse.c - see timeparse.h. */
#include "host-api/ochost/timeparse.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * civil-from-days inverse, rewritten here). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for(int i = 0; i < n; i++) {
        if(!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

#define FAIL(...)                                   \
    do {                                            \
        if(why && whysize)                          \
            snprintf(why, whysize, __VA_ARGS__);    \
        return -1;                                  \
    } while(0)

int och_parse_time(const char *s, int64_t *out_ms, char *why, size_t whysize)
{
    const char *p = s;
    if(!s || !*s)
        FAIL("empty time; give ISO 8601 like 2026-11-28T00:00:00Z or epoch milliseconds");
    size_t n = strspn(s, "0123456789");
    if(n == strlen(s)) {
        if(n > 15)
            FAIL("'%s' is too large for epoch milliseconds", s);
        int64_t v = 0;
        for(size_t i = 0; i < n; i++)
            v = v * 10 + (s[i] - '0');
        if(v < INT64_C(100000000000))
            FAIL("'%s' looks like epoch seconds; epoch milliseconds are expected (append 000)", s);
        *out_ms = v;
        return 0;
    }
    int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0;
    if(digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
        FAIL("'%s' is neither epoch milliseconds nor an ISO 8601 date (YYYY-MM-DD...)", s);
    if(mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        FAIL("'%s' is not a calendar date", s);
    int64_t off_min = 0;
    if(*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if(digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
            FAIL("'%s': expected HH:MM after the date", s);
        if(*p == ':') {
            p++;
            if(digits(&p, 2, &sec))
                FAIL("'%s': expected two-digit seconds", s);
            if(*p == '.' || *p == ',') {
                p++;
                int nd = 0;
                while(isdigit((unsigned char)*p)) {
                    if(nd < 3)
                        ms = ms * 10 + (*p - '0');
                    nd++;
                    p++;
                }
                if(!nd)
                    FAIL("'%s': expected digits after the decimal point", s);
                for(; nd < 3; nd++)
                    ms *= 10;
            }
        }
        if(h > 23 || mi > 59 || sec > 60)
            FAIL("'%s' is not a time of day", s);
        if(*p == 'Z' || *p == 'z')
            p++;
        else if(*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if(digits(&p, 2, &oh))
                FAIL("'%s': bad UTC offset (use +HH:MM)", s);
            if(*p == ':')
                p++;
            if(*p && digits(&p, 2, &om))
                FAIL("'%s': bad UTC offset (use +HH:MM)", s);
            if(oh > 23 || om > 59)
                FAIL("'%s': UTC offset out of range", s);
            off_min = sign * (oh * 60 + om);
        } else if(!*p)
            FAIL("'%s' has no time zone; add Z for UTC or an offset like +01:00", s);
    }
    if(*p)
        FAIL("'%s': unexpected '%s' at the end", s, p);
    int64_t days = days_from_civil(y, mo, d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + (sec > 59 ? 59 : sec) - off_min * 60;
    *out_ms = secs * 1000 + ms;
    return 0;
}

void och_format_time(int64_t ms, char *out, size_t outsize)
{
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int msr = (int)(ms - secs * 1000);
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t rem = secs - days * 86400;
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(out, outsize, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)y, m, d,
             (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), msr);
}
