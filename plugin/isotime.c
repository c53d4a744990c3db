/* isotime.c - see isotime.h. */
#include "plugin/isotime.h"

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int digits(const char *s, size_t n, int *v)
{
    *v = 0;
    for(size_t i = 0; i < n; i++) {
        if(s[i] < '0' || s[i] > '9')
            return -1;
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

int kit_iso_parse_ms(const char *s, size_t len, int64_t *ms)
{
    if(!s)
        return -1;
    size_t ndig = 0;
    while(ndig < len && s[ndig] >= '0' && s[ndig] <= '9')
        ndig++;
    if(len && len <= 15 && ndig == len) {
        int64_t v = 0;
        for(size_t i = 0; i < len; i++)
            v = v * 10 + (s[i] - '0');
        *ms = v;
        return 0;
    }
    int y, mo, d, h, mi, sec;
    if(len < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
       digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
       digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
       digits(s + 17, 2, &sec))
        return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if(mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) ||
       h > 23 || mi > 59 || sec > 59)
        return -1;
    size_t i = 19;
    int frac = 0;
    if(i < len && s[i] == '.') {
        size_t k = ++i;
        while(i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if(i == k || i - k > 9)
            return -1;
        for(size_t q = 0; q < 3; q++)
            frac = frac * 10 + (k + q < i ? s[k + q] - '0' : 0);
    }
    int64_t off;
    if(i + 1 == len && (s[i] == 'Z' || s[i] == 'z')) {
        off = 0;
    } else if(i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh, om;
        if(digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return -1;
        off = (oh * 60 + om) * INT64_C(60000);
        if(s[i] == '-')
            off = -off;
    } else {
        return -1;
    }
    *ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * INT64_C(60000) + sec * INT64_C(1000) +
          frac - off;
    return 0;
}
