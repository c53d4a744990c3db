/* config.c - the --config file; see config.h. */
#include "host-api/ochost/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host-api/ochost/status.h"
#include "plugin/openerr.h"
#include "plugin/error.h"
#include "plugin/nearest.h"
#include "plugin/text.h"

#define LINE_MAX_BYTES 8192

/* Walk the comma-separated option list; calls back with each name (without
 * its '*'). Returns the first nonzero callback answer. */
static int each_option(const char *options, int (*fn)(void *, const char *, size_t, int), void *ctx)
{
    const char *p = options ? options : "";
    while(*p) {
        while(*p == ',' || isspace((unsigned char)*p))
            p++;
        const char *start = p;
        while(*p && *p != ',')
            p++;
        const char *end = p;
        while(end > start && isspace((unsigned char)end[-1]))
            end--;
        int secret = end > start && end[-1] == '*';
        if(secret)
            end--;
        while(end > start && isspace((unsigned char)end[-1]))
            end--;
        if(end > start) {
            int r = fn(ctx, start, (size_t)(end - start), secret);
            if(r)
                return r;
        }
    }
    return 0;
}

struct match {
    const char *key;
    int secret;
};

static int match_cb(void *ctx, const char *name, size_t len, int secret)
{
    struct match *m = ctx;
    if(strlen(m->key) == len && memcmp(m->key, name, len) == 0) {
        m->secret = secret;
        return 1;
    }
    return 0;
}

int och_option_known(const char *options, const char *key)
{
    struct match m = {key, 0};
    return each_option(options, match_cb, &m);
}

int och_option_is_secret(const char *options, const char *key)
{
    struct match m = {key, 0};
    if(strcmp(key, "access_token") == 0)
        return 1;
    return each_option(options, match_cb, &m) && m.secret;
}

static int list_cb(void *ctx, const char *name, size_t len, int secret)
{
    (void)secret;
    struct kit_buf *b = ctx;
    if(b->len)
        kit_buf_puts(b, ", ");
    kit_buf_append(b, name, len);
    return 0;
}

struct nearest {
    const char *key;
    char best[80];
    size_t best_distance;
};

static int nearest_cb(void *ctx, const char *name, size_t len, int secret)
{
    (void)secret;
    struct nearest *n = ctx;
    size_t d = kit_edit_distance(n->key, strlen(n->key), name, len);
    if(d < n->best_distance && kit_close_enough(d, len) && len < sizeof n->best) {
        n->best_distance = d;
        memcpy(n->best, name, len);
        n->best[len] = '\0';
    }
    return 0;
}

void och_config_free(struct och_config *cfg)
{
    if(!cfg)
        return;
    for(size_t i = 0; i < cfg->n; i++) {
        free(cfg->e[i].key);
        free(cfg->e[i].value);
    }
    free(cfg->e);
    free(cfg->path);
    memset(cfg, 0, sizeof *cfg);
}

const char *och_config_get(const struct och_config *cfg, const char *key)
{
    for(size_t i = 0; i < cfg->n; i++)
        if(strcmp(cfg->e[i].key, key) == 0)
            return cfg->e[i].value;
    return NULL;
}

static void strip_comment(char *s)
{
    for(char *p = s; *p; p++)
        if(*p == '#' && (p == s || isspace((unsigned char)p[-1]))) {
            *p = '\0';
            return;
        }
}

static int valid_key_syntax(const char *k)
{
    if(!*k)
        return 0;
    for(; *k; k++)
        if(!isalnum((unsigned char)*k) && *k != '_' && *k != '-' && *k != '.')
            return 0;
    return 1;
}

oc_status och_config_load(struct och_config *cfg, const char *path, const char *valid_options,
                          FILE *warn_out, struct oc_error *err)
{
    char line[LINE_MAX_BYTES];
    oc_status rc = OC_OK;
    int lineno = 0, has_secret = 0;
    size_t cap = 0;
    FILE *f = NULL;
    struct kit_buf names = KIT_BUF_INIT;

    memset(cfg, 0, sizeof *cfg);
    f = fopen(path, "re");
    if(!f)
        return kit_fail(err, OC_E_CONFIG, "cannot read config file %s: %s; %s (or name another "
                        "with --config)", path, strerror(errno), kit_open_advice(errno));
    cfg->path = strdup(path);
    if(!cfg->path)
        goto nomem;
    while(fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        if(len == sizeof line - 1 && line[len - 1] != '\n' && !feof(f)) {
            rc = kit_fail(err, OC_E_CONFIG, "%s:%d: line longer than %d bytes", path, lineno,
                          LINE_MAX_BYTES - 2);
            goto fail;
        }
        strip_comment(line);
        char *s = kit_trim(line, KIT_SPACES);
        if(!*s)
            continue;
        char *eq = strchr(s, '=');
        if(!eq) {
            rc = kit_fail(err, OC_E_CONFIG, "%s:%d: expected 'key = value'", path, lineno);
            goto fail;
        }
        *eq = '\0';
        char *key = kit_trim(s, KIT_SPACES), *val = kit_trim(eq + 1, KIT_SPACES);
        size_t vl = strlen(val);
        if(vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
            val[vl - 1] = '\0';
            val++;
        }
        if(!valid_key_syntax(key)) {
            rc = kit_fail(err, OC_E_CONFIG, "%s:%d: '%s' is not a key name (letters, digits, '_')", path,
                          lineno, key);
            goto fail;
        }
        if(valid_options && !och_option_known(valid_options, key)) {
            struct nearest near = {key, "", (size_t)-1};
            each_option(valid_options, nearest_cb, &near);
            each_option(valid_options, list_cb, &names);
            if(near.best[0])
                rc = kit_fail(err, OC_E_CONFIG, "%s:%d: unknown key '%s'; did you mean '%s'? Valid keys: %s",
                              path, lineno, key, near.best, kit_buf_str(&names));
            else
                rc = kit_fail(err, OC_E_CONFIG, "%s:%d: unknown key '%s'; valid keys: %s", path, lineno, key,
                              kit_buf_str(&names));
            goto fail;
        }
        for(size_t i = 0; i < cfg->n; i++)
            if(strcmp(cfg->e[i].key, key) == 0) {
                rc = kit_fail(err, OC_E_CONFIG, "%s:%d: key '%s' repeats line %d; keep one", path, lineno,
                              key, cfg->e[i].line);
                goto fail;
            }
        if(cfg->n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            struct och_config_entry *e = realloc(cfg->e, nc * sizeof *e);
            if(!e)
                goto nomem;
            cfg->e = e;
            cap = nc;
        }
        struct och_config_entry *e = &cfg->e[cfg->n];
        e->key = strdup(key);
        e->value = strdup(val);
        e->line = lineno;
        if(!e->key || !e->value) {
            free(e->key);
            free(e->value);
            goto nomem;
        }
        cfg->n++;
        if(och_option_is_secret(valid_options, key) && *val)
            has_secret = 1;
    }
    if(ferror(f)) {
        rc = kit_fail(err, OC_E_CONFIG, "cannot read config file %s: %s; %s", path, strerror(errno),
                      kit_open_advice(errno));
        goto fail;
    }
    struct stat sb;
    if(has_secret && warn_out && fstat(fileno(f), &sb) == 0 && (sb.st_mode & 077))
        fprintf(warn_out,
                "ochost: warning: %s holds a secret and is readable by group or others (mode %03o); "
                "run chmod 600 %s\n",
                path, (unsigned)(sb.st_mode & 0777), path);
    fclose(f);
    kit_buf_free(&names);
    return OC_OK;
nomem:
    rc = kit_fail(err, OC_E_NOMEM, "out of memory reading config file %s", path);
fail:
    fclose(f);
    kit_buf_free(&names);
    och_config_free(cfg);
    return rc;
}

void och_config_dump(const struct och_config *cfg, const char *options, struct kit_buf *out)
{
    for(size_t i = 0; i < cfg->n; i++)
        kit_buf_printf(out, "%s = %s\n", cfg->e[i].key,
                      och_option_is_secret(options, cfg->e[i].key) ? "[hidden]" : cfg->e[i].value);
}
