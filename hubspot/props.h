/*
 * props.h - the lookup_properties option as a list of property names, as
 * lookup and the contacts pull stream both send and read it.
 */
#ifndef HS_PROPS_H
#define HS_PROPS_H

#include <stddef.h>

struct hs_props {
    char *text;     /* the option, split in place (owned)          */
    const char **v; /* names, pointing into text (owned array)     */
    size_t n;
};

/* Split csv (NULL: empty) on commas, names trimmed of blanks, empty names
 * and repeats dropped, order kept. 0, or -1 when memory ran out (p is then
 * empty). Free with hs_props_free. */
int hs_props_parse(const char *csv, struct hs_props *p);
void hs_props_free(struct hs_props *p);
/* Nonzero when name is one of p's names. */
int hs_props_has(const struct hs_props *p, const char *name);

#endif
