/* text.c - see text.h. */
#include "plugin/text.h"

#include <stdlib.h>
#include <string.h>

const char *kit_trim_span(const char *s, const char *blanks, size_t *len)
{
    s += strspn(s, blanks);
    size_t n = strlen(s);
    while(n && strchr(blanks, s[n - 1]))
        n--;
    *len = n;
    return s;
}

char *kit_trim(char *s, const char *blanks)
{
    size_t n;
    char *start = (char *)kit_trim_span(s, blanks, &n);
    start[n] = '\0';
    return start;
}

char *kit_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if(!slash)
        return strdup(".");
    if(slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

int kit_hexval(int c)
{
    if(c >= '0' && c <= '9')
        return c - '0';
    if(c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if(c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
