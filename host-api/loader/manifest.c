/*
 * manifest.c - parsing plugin.manifest (the keys struct oc_manifest in
 * onecount/loader.h and README.md list).
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
#include "host-api/loader/internal.h"
#include "plugin/error.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "plugin/openerr.h"
#include "plugin/text.h"

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

static oc_status out_of_memory(const char *path, struct oc_error *err)
{
    return kit_fail(err, OC_E_NOMEM, "out of memory reading plugin manifest %s", path);
}

/* The text of line lineno (n bytes as getline read it) without its line
 * end, a first line's BOM and surrounding blanks, in place: "" for a
 * blank line. Refuses what cannot be a manifest line. */
static oc_status line_text(const char *path, unsigned lineno, char *line, ssize_t n,
                           char **text, struct oc_error *err)
{
    if(n > OCL_MANIFEST_MAX_LINE)
        return kit_fail(err, OC_E_ABI, "%s:%u: line longer than %d bytes; not a manifest?",
                        path, lineno, OCL_MANIFEST_MAX_LINE);
    if(memchr(line, '\0', (size_t)n))
        return kit_fail(err, OC_E_ABI, "%s:%u: NUL byte in line; a manifest is plain text",
                        path, lineno);
    size_t len = (size_t)n;
    while(len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    char *s = line;
    if(lineno == 1 && len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) {
        s += 3;
        len -= 3;
    }
    s[len] = '\0';
    *text = kit_trim(s, KIT_BLANKS);
    return OC_OK;
}

/* Split `key = value` (s, trimmed, not blank) in place into the index of
 * a known key not set before and its trimmed value. */
static oc_status split_key_value(const char *path, unsigned lineno, char *s,
                                 const unsigned *seen, size_t *k, char **value,
                                 struct oc_error *err)
{
    char *eq = strchr(s, '=');
    if(!eq)
        return kit_fail(err, OC_E_ABI,
                        "%s:%u: no '=' in \"%.80s\"; every line is `key = value`, "
                        "a comment (#) or blank",
                        path, lineno, s);
    *eq = '\0';
    char *key = kit_trim(s, KIT_BLANKS);
    *value = kit_trim(eq + 1, KIT_BLANKS);
    if(!*key)
        return kit_fail(err, OC_E_ABI, "%s:%u: no key before '='", path, lineno);
    *k = 0;
    while(*k < NKEYS && strcmp(keys[*k].key, key))
        (*k)++;
    if(*k == NKEYS)
        return kit_fail(err, OC_E_ABI,
                        "%s:%u: unknown key '%.64s' (known: name, version, abi, library, "
                        "entry, capabilities, scopes, options); fix the spelling or "
                        "remove the line",
                        path, lineno, key);
    if(seen[*k])
        return kit_fail(err, OC_E_ABI,
                        "%s:%u: duplicate key '%s' (first set on line %u); keep one",
                        path, lineno, key, seen[*k]);
    return OC_OK;
}

/* Check value for key k and store a copy in m (the abi also as a number). */
static oc_status set_value(struct oc_manifest *m, const char *path, unsigned lineno, size_t k,
                           const char *value, struct oc_error *err)
{
    const char *key = keys[k].key;
    if(!*value)
        return kit_fail(err, OC_E_ABI, "%s:%u: empty value for key '%s'; give a value "
                        "or remove the line", path, lineno, key);
    if(strchr(value, '#'))
        return kit_fail(err, OC_E_ABI,
                        "%s:%u: '#' in the value of '%s'; comments must be on a line "
                        "of their own",
                        path, lineno, key);
    if(keys[k].is_list && has_empty_item(value))
        return kit_fail(err, OC_E_ABI, "%s:%u: empty item in the list '%s' (\"%.80s\")",
                        path, lineno, key, value);
    if(!strcmp(key, "abi") && parse_abi(value, &m->abi_version))
        return kit_fail(err, OC_E_ABI,
                        "%s:%u: malformed abi '%.32s'; expected MAJOR.MINOR such as 1.0",
                        path, lineno, value);
    *key_slot(m, k) = strdup(value);
    return *key_slot(m, k) ? OC_OK : out_of_memory(path, err);
}

/* Read every line of f into m, then check that the required keys came. */
static oc_status read_lines(FILE *f, const char *path, struct oc_manifest *m,
                            struct oc_error *err)
{
    oc_status rc = OC_OK;
    char *line = NULL;
    size_t cap = 0;
    unsigned seen[NKEYS] = {0}; /* line where each key was set, 0: unset */
    unsigned lineno = 0;
    ssize_t n;
    while((n = getline(&line, &cap, f)) != -1) {
        lineno++;
        char *s = NULL, *value = NULL;
        size_t k = 0;
        rc = line_text(path, lineno, line, n, &s, err);
        if(rc)
            goto done;
        if(!*s || *s == '#')
            continue;
        rc = split_key_value(path, lineno, s, seen, &k, &value, err);
        if(rc)
            goto done;
        rc = set_value(m, path, lineno, k, value, err);
        if(rc)
            goto done;
        seen[k] = lineno;
    }
    if(ferror(f)) {
        rc = kit_fail(err, OC_E_ABI, "%s: read error after line %u: %s", path, lineno,
                      strerror(errno));
        goto done;
    }
    for(size_t k = 0; k < NKEYS; k++) {
        if(keys[k].required && !seen[k]) {
            rc = kit_fail(err, OC_E_ABI, "%s: missing required key '%s'; add a line `%s = ...`",
                          path, keys[k].key, keys[k].key);
            goto done;
        }
    }
done:
    free(line);
    return rc;
}

oc_status oc_manifest_load(const char *path, struct oc_manifest **out, struct oc_error *err)
{
    oc_status rc;
    FILE *f = NULL;
    struct oc_manifest *m = NULL;

    if(out)
        *out = NULL;
    if(!path || !out)
        return kit_fail(err, OC_E_INVALID, "oc_manifest_load: path and out must not be NULL");
    kit_error_clear(err);

    f = fopen(path, "re");
    struct stat st;
    int e = !f ? errno : fstat(fileno(f), &st) ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
    if(e) {
        rc = kit_fail(err, OC_E_ABI,
                      "cannot open plugin manifest %s: %s; %s (ochost: --manifest FILE or "
                      "OCHOST_MANIFEST name another)",
                      path, strerror(e), kit_open_advice(e));
        goto fail;
    }
    m = calloc(1, sizeof *m);
    if(!m || !(m->path = strdup(path)) || !(m->dir = kit_dir_of(path))) {
        rc = out_of_memory(path, err);
        goto fail;
    }
    rc = read_lines(f, path, m, err);
    if(rc)
        goto fail;
    m->library_path = resolve(m->dir, m->library);
    if(!m->library_path) {
        rc = out_of_memory(path, err);
        goto fail;
    }
    fclose(f);
    *out = m;
    return OC_OK;

fail:
    if(f)
        fclose(f);
    oc_manifest_free(m);
    return rc;
}
