/*
 * manifest.c - parsing plugin.manifest (the keys connector.h and README.md list).
 *
 * Format: `key = value` lines; blank lines; lines whose first non-blank
 * character is '#' are comments. Keys and values are trimmed of spaces and
 * tabs; CRLF line ends and a UTF-8 BOM are tolerated.
 *
 * Choices, all in favour of refusing early with a precise message rather
 * than loading something the author did not mean:
 *  - An unknown key is refused, not warned about: a misspelt optional key
 *    ("capabilites") would otherwise vanish silently, and a manifest is
 *    small and versioned with the plugin, so strictness costs nothing.
 *  - '#' inside a value is refused. Comments are whole lines only, so
 *    `abi = 1.0  # current` would otherwise become part of the value; no
 *    binding key has a legitimate use for '#'.
 *  - A duplicate key is refused (which one wins would be a guess).
 *  - Empty values and empty list items ("a,,b") are refused.
 */
#include "host-api/loader/loader.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* Longer lines are certainly not a manifest; refusing bounds memory. */
#define OCL_MANIFEST_MAX_LINE 65536

struct key_def {
    const char *key;
    size_t off;   /* offset of the char * member in struct oc_manifest */
    int required;
    int is_list;  /* comma-separated: no empty items */
};

static const struct key_def keys[] = {
    {"name", offsetof(struct oc_manifest, name), 1, 0},
    {"version", offsetof(struct oc_manifest, version), 1, 0},
    {"abi", offsetof(struct oc_manifest, abi), 1, 0},
    {"library", offsetof(struct oc_manifest, library), 1, 0},
    {"entry", offsetof(struct oc_manifest, entry), 1, 0},
    {"capabilities", offsetof(struct oc_manifest, capabilities), 1, 1},
    /* A connector may need no scopes or take no options. */
    {"scopes", offsetof(struct oc_manifest, scopes), 0, 1},
    {"options", offsetof(struct oc_manifest, options), 0, 1},
};
#define NKEYS (sizeof keys / sizeof keys[0])

static char **key_slot(struct oc_manifest *m, size_t i)
{
    return (char **)((char *)m + keys[i].off);
}

void oc_manifest_free(struct oc_manifest *m)
{
    if(!m)
        return;
    for(size_t i = 0; i < NKEYS; i++)
        free(*key_slot(m, i));
    free(m->path);
    free(m->dir);
    free(m->library_path);
    free(m);
}

static int is_blank(int c)
{
    return c == ' ' || c == '\t';
}

/* Trim spaces and tabs from both ends of [s, s+len), in place. */
static char *trim(char *s, size_t len)
{
    while(len && is_blank((unsigned char)s[len - 1]))
        len--;
    s[len] = '\0';
    while(is_blank((unsigned char)*s))
        s++;
    return s;
}

/* "MAJOR.MINOR", decimal, each part 0..65535 (16 bits in the packed form),
 * nothing before or after. Returns 0 and sets *out, or -1. */
static int parse_abi(const char *s, uint32_t *out)
{
    unsigned long part[2];
    for(int i = 0; i < 2; i++) {
        if(!isdigit((unsigned char)*s))
            return -1;
        unsigned long v = 0;
        while(isdigit((unsigned char)*s)) {
            v = v * 10 + (unsigned long)(*s - '0');
            if(v > 0xffffu)
                return -1;
            s++;
        }
        part[i] = v;
        if(i == 0) {
            if(*s != '.')
                return -1;
            s++;
        }
    }
    if(*s)
        return -1;
    *out = OC_ABI_MAKE((uint32_t)part[0], (uint32_t)part[1]);
    return 0;
}

static int has_empty_item(const char *v)
{
    const char *p = v;
    for(;;) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        const char *q = p;
        while(q < end && is_blank((unsigned char)*q))
            q++;
        if(q == end)
            return 1;
        if(!comma)
            return 0;
        p = comma + 1;
    }
}

/* dir = everything before the last '/', "." when there is none. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if(!slash)
        return strdup(".");
    if(slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static char *resolve(const char *dir, const char *library)
{
    if(library[0] == '/')
        return strdup(library);
    size_t dl = strlen(dir), ll = strlen(library);
    int sep = dl && dir[dl - 1] != '/';
    char *p = malloc(dl + (size_t)sep + ll + 1);
    if(!p)
        return NULL;
    memcpy(p, dir, dl);
    if(sep)
        p[dl] = '/';
    memcpy(p + dl + (size_t)sep, library, ll + 1);
    return p;
}

oc_status oc_manifest_load(const char *path, struct oc_manifest **out, struct oc_error *err)
{
    oc_status rc = OC_OK;
    FILE *f = NULL;
    char *line = NULL;
    size_t cap = 0;
    struct oc_manifest *m = NULL;
    unsigned seen[NKEYS] = {0}; /* line where each key was set, 0: unset */

    if(out)
        *out = NULL;
    if(!path || !out)
        return ocl_fail(err, OC_E_INVALID, "oc_manifest_load: path and out must not be NULL");
    ocl_error_clear(err);

    f = fopen(path, "r");
    if(!f) {
        rc = ocl_fail(err, OC_E_ABI,
                      "cannot open plugin manifest %s: %s; check the path (ochost: "
                      "--manifest FILE, default ./plugin.manifest)",
                      path, strerror(errno));
        goto fail;
    }
    m = calloc(1, sizeof *m);
    if(!m)
        goto nomem;
    m->path = strdup(path);
    m->dir = dir_of(path);
    if(!m->path || !m->dir)
        goto nomem;

    unsigned lineno = 0;
    ssize_t n;
    while((n = getline(&line, &cap, f)) != -1) {
        lineno++;
        if(n > OCL_MANIFEST_MAX_LINE) {
            rc = ocl_fail(err, OC_E_ABI, "%s:%u: line longer than %d bytes; not a manifest?",
                          path, lineno, OCL_MANIFEST_MAX_LINE);
            goto fail;
        }
        if(memchr(line, '\0', (size_t)n)) {
            rc = ocl_fail(err, OC_E_ABI, "%s:%u: NUL byte in line; a manifest is plain text",
                          path, lineno);
            goto fail;
        }
        size_t len = (size_t)n;
        while(len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        char *s = line;
        if(lineno == 1 && len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) {
            s += 3;
            len -= 3;
        }
        s = trim(s, len);
        if(!*s || *s == '#')
            continue;

        char *eq = strchr(s, '=');
        if(!eq) {
            rc = ocl_fail(err, OC_E_ABI,
                          "%s:%u: no '=' in \"%.80s\"; every line is `key = value`, "
                          "a comment (#) or blank",
                          path, lineno, s);
            goto fail;
        }
        char *key = trim(s, (size_t)(eq - s));
        char *value = trim(eq + 1, strlen(eq + 1));
        if(!*key) {
            rc = ocl_fail(err, OC_E_ABI, "%s:%u: no key before '='", path, lineno);
            goto fail;
        }
        size_t k = 0;
        while(k < NKEYS && strcmp(keys[k].key, key))
            k++;
        if(k == NKEYS) {
            rc = ocl_fail(err, OC_E_ABI,
                          "%s:%u: unknown key '%.64s' (known: name, version, abi, library, "
                          "entry, capabilities, scopes, options); fix the spelling or "
                          "remove the line",
                          path, lineno, key);
            goto fail;
        }
        if(seen[k]) {
            rc = ocl_fail(err, OC_E_ABI,
                          "%s:%u: duplicate key '%s' (first set on line %u); keep one",
                          path, lineno, key, seen[k]);
            goto fail;
        }
        if(!*value) {
            rc = ocl_fail(err, OC_E_ABI, "%s:%u: empty value for key '%s'; give a value "
                          "or remove the line", path, lineno, key);
            goto fail;
        }
        if(strchr(value, '#')) {
            rc = ocl_fail(err, OC_E_ABI,
                          "%s:%u: '#' in the value of '%s'; comments must be on a line "
                          "of their own",
                          path, lineno, key);
            goto fail;
        }
        if(keys[k].is_list && has_empty_item(value)) {
            rc = ocl_fail(err, OC_E_ABI, "%s:%u: empty item in the list '%s' (\"%.80s\")",
                          path, lineno, key, value);
            goto fail;
        }
        if(!strcmp(key, "abi") && parse_abi(value, &m->abi_version)) {
            rc = ocl_fail(err, OC_E_ABI,
                          "%s:%u: malformed abi '%.32s'; expected MAJOR.MINOR such as 1.0",
                          path, lineno, value);
            goto fail;
        }
        seen[k] = lineno;
        *key_slot(m, k) = strdup(value);
        if(!*key_slot(m, k))
            goto nomem;
    }
    if(ferror(f)) {
        rc = ocl_fail(err, OC_E_ABI, "%s: read error after line %u: %s", path, lineno,
                      strerror(errno));
        goto fail;
    }
    for(size_t k = 0; k < NKEYS; k++) {
        if(keys[k].required && !seen[k]) {
            rc = ocl_fail(err, OC_E_ABI, "%s: missing required key '%s'; add a line `%s = ...`",
                          path, keys[k].key, keys[k].key);
            goto fail;
        }
    }
    m->library_path = resolve(m->dir, m->library);
    if(!m->library_path)
        goto nomem;

    free(line);
    fclose(f);
    *out = m;
    return OC_OK;

nomem:
    rc = ocl_fail(err, OC_E_NOMEM, "out of memory reading plugin manifest %s", path);
fail:
    free(line);
    if(f)
        fclose(f);
    oc_manifest_free(m);
    return rc;
}
