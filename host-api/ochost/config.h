/*
 * config.h - the --config file: `key = value` lines, '#' comments.
 *
 * Keys are the plugin's option names (the manifest's `options`, where a
 * trailing '*' marks a secret). An unknown or repeated key is an error, not
 * a warning: a typo in daily_budget silently falling back to "no budget"
 * can cost a publisher money. Secret values are never printed; dumps show
 * them as "[hidden]".
 */
#ifndef OCH_CONFIG_H
#define OCH_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "onecount/connector.h"
#include "plugin/buf.h"

struct och_config_entry {
    char *key;   /* owned */
    char *value; /* owned */
    int line;    /* 1-based line in the file */
};

struct och_config {
    char *path; /* owned; NULL when no file was given */
    struct och_config_entry *e;
    size_t n;
};

/* Parse the file at path into cfg (zeroed first). valid_options is the
 * manifest's comma-separated option list (NULL: accept any key). A '#'
 * starts a comment at the start of a line or after whitespace (so a '#'
 * inside a value such as a URL fragment survives). Values are trimmed; an
 * optional pair of double quotes around a value is removed. On failure cfg
 * is empty (safe to free) and err names the file, the line and the fix:
 * OC_E_CONFIG for syntax, unknown or repeated keys, or an unreadable file.
 * When the file holds a secret and is readable by group or others, a
 * warning is written to warn_out (if not NULL). */
oc_status och_config_load(struct och_config *cfg, const char *path, const char *valid_options,
                          FILE *warn_out, struct oc_error *err);
void och_config_free(struct och_config *cfg);

/* Value of key or NULL; valid until och_config_free. */
const char *och_config_get(const struct och_config *cfg, const char *key);

/* Nonzero when options (manifest syntax) marks key secret with a trailing
 * '*'. access_token is always secret, whatever the manifest says. */
int och_option_is_secret(const char *options, const char *key);

/* Nonzero when key is one of options (ignoring '*' marks). */
int och_option_known(const char *options, const char *key);

/* Append "key = value\n" for every entry to out, secrets as "[hidden]". */
void och_config_dump(const struct och_config *cfg, const char *options, struct kit_buf *out);

#endif
