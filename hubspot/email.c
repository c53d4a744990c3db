/* email.c - see email.h. */
#include "hubspot/email.h"

#include <string.h>

#define EMAIL_MAX 254 /* RFC 5321 path limit minus the angle brackets */
#define LOCAL_MAX 64
#define LABEL_MAX 63

/* Length of the well-formed UTF-8 sequence (2..4 bytes, no overlongs, no
 * surrogates) at p, or 0. Ill-formed bytes would be replaced on their way
 * into JSON and then match nothing at HubSpot. */
static size_t utf8_seq(const unsigned char *p)
{
    size_t n;
    unsigned min;
    unsigned cp;
    if(p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2, min = 0x80, cp = p[0] & 0x1f;
    } else if(p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3, min = 0x800, cp = p[0] & 0x0f;
    } else if(p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4, min = 0x10000, cp = p[0] & 0x07;
    } else {
        return 0;
    }
    for(size_t i = 1; i < n; i++) {
        if((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if(cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static int is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* RFC 5322 atext. */
static int is_atext(unsigned char c)
{
    return is_alnum(c) || (c && strchr("!#$%&'*+/=?^_`{|}~-", c));
}

static const char *check_local(const unsigned char *p, size_t n)
{
    if(n == 0)
        return "has nothing before the @";
    if(n > LOCAL_MAX)
        return "has more than 64 characters before the @";
    if(p[0] == '.' || p[n - 1] == '.')
        return "starts or ends the part before the @ with a dot";
    for(size_t i = 0; i < n;) {
        if(p[i] >= 0x80) {
            size_t k = utf8_seq(p + i);
            if(!k || i + k > n)
                return "is not valid UTF-8";
            i += k;
            continue;
        }
        if(p[i] == '.' && p[i + 1] == '.')
            return "has two dots in a row";
        if(p[i] != '.' && !is_atext(p[i]))
            return "contains a character not allowed in an email address (space, quote, comma, "
                   "bracket, ...)";
        i++;
    }
    return NULL;
}

static const char *check_domain(const unsigned char *p, size_t n)
{
    if(n == 0)
        return "has nothing after the @";
    if(p[0] == '[')
        return "has an IP address instead of a domain after the @";
    size_t labels = 0, start = 0;
    int tld_digits = 1;
    for(size_t i = 0; i <= n;) {
        if(i == n || p[i] == '.') {
            size_t len = i - start;
            if(len == 0)
                return "has an empty part in the domain (a dot at the start or end, or two "
                       "in a row)";
            if(len > LABEL_MAX)
                return "has a domain part longer than 63 characters";
            if(p[start] == '-' || p[i - 1] == '-')
                return "has a domain part that starts or ends with a hyphen";
            labels++;
            start = i + 1;
            if(i < n)
                tld_digits = 1;
            i++;
            continue;
        }
        if(p[i] >= 0x80) {
            size_t k = utf8_seq(p + i);
            if(!k || i + k > n)
                return "is not valid UTF-8";
            tld_digits = 0;
            i += k;
            continue;
        }
        if(!is_alnum(p[i]) && p[i] != '-')
            return "contains a character not allowed in a domain name";
        if(!(p[i] >= '0' && p[i] <= '9'))
            tld_digits = 0;
        i++;
    }
    if(labels < 2)
        return "has no dot in the domain (e.g. example.com)";
    if(tld_digits)
        return "ends in a numeric top-level domain";
    return NULL;
}

enum { LOCAL_CHAR = 1, DOMAIN_CHAR = 2 };

/* ASCII bytes allowed before the @ (atext) and after it (letters,
 * digits, hyphen), the dot apart: it has rules of its own. */
static const unsigned char char_class[256] = {
    ['a' ... 'z'] = LOCAL_CHAR | DOMAIN_CHAR,
    ['A' ... 'Z'] = LOCAL_CHAR | DOMAIN_CHAR,
    ['0' ... '9'] = LOCAL_CHAR | DOMAIN_CHAR,
    ['-'] = LOCAL_CHAR | DOMAIN_CHAR,
    ['!'] = LOCAL_CHAR, ['#'] = LOCAL_CHAR, ['$'] = LOCAL_CHAR, ['%'] = LOCAL_CHAR,
    ['&'] = LOCAL_CHAR, ['\''] = LOCAL_CHAR, ['*'] = LOCAL_CHAR, ['+'] = LOCAL_CHAR,
    ['/'] = LOCAL_CHAR, ['='] = LOCAL_CHAR, ['?'] = LOCAL_CHAR, ['^'] = LOCAL_CHAR,
    ['_'] = LOCAL_CHAR, ['`'] = LOCAL_CHAR, ['{'] = LOCAL_CHAR, ['|'] = LOCAL_CHAR,
    ['}'] = LOCAL_CHAR, ['~'] = LOCAL_CHAR,
};

/* 1 when s (non-empty) is an ASCII address that passes every rule below,
 * found in one pass over its bytes; 0 for anything else, which the rules
 * then word. A push checks every input's address, and nearly all are
 * plain and valid: the rules one by one cost several passes and a
 * character search per byte. */
static int plainly_valid(const unsigned char *p)
{
    size_t i = 0;
    for(;;) {
        size_t start = i;
        while(char_class[p[i]] & LOCAL_CHAR)
            i++;
        if(i == start)
            return 0; /* empty, a dot first or after a dot, or a byte not allowed */
        if(p[i] == '@')
            break;
        if(p[i] != '.')
            return 0;
        i++;
    }
    if(i > LOCAL_MAX)
        return 0;
    size_t labels = 0, label;
    for(i++;; i++) {
        label = i;
        while(char_class[p[i]] & DOMAIN_CHAR)
            i++;
        if(i == label || i - label > LABEL_MAX || p[label] == '-' || p[i - 1] == '-')
            return 0;
        labels++;
        if(p[i] != '.')
            break;
    }
    if(p[i] || i > EMAIL_MAX || labels < 2)
        return 0;
    for(size_t k = label; k < i; k++)
        if(p[k] < '0' || p[k] > '9')
            return 1;
    return 0; /* a numeric top-level domain */
}

const char *hs_email_problem(const char *s)
{
    if(!s || !*s)
        return "is empty";
    if(plainly_valid((const unsigned char *)s))
        return NULL;
    size_t n = strlen(s);
    if(n > EMAIL_MAX)
        return "is longer than 254 characters";
    const char *at = strchr(s, '@');
    if(!at)
        return "has no @";
    if(strchr(at + 1, '@'))
        return "has more than one @";
    const unsigned char *u = (const unsigned char *)s;
    size_t ln = (size_t)(at - s);
    const char *why = check_local(u, ln);
    if(!why)
        why = check_domain(u + ln + 1, n - ln - 1);
    return why;
}

int hs_email_valid(const char *s) { return hs_email_problem(s) == NULL; }
