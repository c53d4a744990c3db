/* props.c - see props.h. */
#include "hubspot/props.h"

#include <stdlib.h>
#include <string.h>

void hs_props_free(struct hs_props *p)
{
    free(p->text);
    free(p->v);
    memset(p, 0, sizeof *p);
}

int hs_props_has(const struct hs_props *p, const char *name)
{
    for(size_t i = 0; i < p->n; i++)
        if(!strcmp(p->v[i], name))
            return 1;
    return 0;
}

int hs_props_parse(const char *csv, struct hs_props *p)
{
    memset(p, 0, sizeof *p);
    p->text = strdup(csv ? csv : "");
    if(!p->text)
        return -1;
    size_t max = 1;
    for(const char *c = p->text; *c; c++)
        max += *c == ',';
    p->v = calloc(max, sizeof *p->v);
    if(!p->v) {
        hs_props_free(p);
        return -1;
    }
    for(char *s = p->text; s;) {
        char *comma = strchr(s, ',');
        if(comma)
            *comma = '\0';
        while(*s == ' ' || *s == '\t')
            s++;
        size_t len = strlen(s);
        while(len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            s[--len] = '\0';
        if(len && !hs_props_has(p, s))
            p->v[p->n++] = s;
        s = comma ? comma + 1 : NULL;
    }
    return 0;
}
