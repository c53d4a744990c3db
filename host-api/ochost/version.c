/* version.c - `ochost --version`; see version.h. */
#include "host-api/ochost/version.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host-api/ochost/paths.h"
#include "host-api/ochost/status.h"
#include "onecount/loader.h"

typedef curl_version_info_data *(*version_info_fn)(CURLversion);

/* ochost does not link libcurl (see main.c): the libcurl that carries the
 * calls is the one the plugin loaded, found among the plugin's
 * dependencies (dlsym on its handle searches them). */
static void print_libcurl(FILE *f, const struct oc_plugin *p)
{
    void *sym = p ? dlsym(p->handle, "curl_version_info") : NULL;
    version_info_fn info;
    if(!sym) {
        fprintf(f, "libcurl: not loaded (ochost uses the plugin's)\n");
        return;
    }
    memcpy(&info, &sym, sizeof info); /* POSIX: the same bytes */
    const curl_version_info_data *cv = info(CURLVERSION_NOW);
    fprintf(f, "libcurl %s%s%s%s\n", cv && cv->version ? cv->version : "(unknown)",
            cv && cv->ssl_version ? " (" : "", cv && cv->ssl_version ? cv->ssl_version : "",
            cv && cv->ssl_version ? ")" : "");
}

/* The plugin's line, then libcurl's. */
static void print_plugin(FILE *f, const struct och_cli *cli)
{
    struct oc_error err;
    struct oc_manifest *m = NULL;
    struct oc_plugin *p = NULL;
    char *path = NULL;
    const char *source = NULL;

    och_error_init(&err);
    oc_status rc = och_find_manifest(cli->manifest, &path, &source, &err);
    if(!rc)
        rc = oc_manifest_load(path, &m, &err);
    if(!rc) {
        rc = oc_plugin_load(m, &p, &err);
        m = NULL; /* the loader owns it now, in every case */
    }
    if(rc) {
        fprintf(f, "plugin: not loaded (%s)%s%s\n", err.message[0] ? err.message : oc_status_name(rc),
                source ? "; manifest chosen by " : "", source ? source : "");
        goto out;
    }
    const struct oc_connector *c = &p->connector;
    fprintf(f, "plugin: %s %s, ABI %u.%u (ochost speaks up to %u.%u), %s\n",
            c->name ? c->name : p->manifest->name, c->version ? c->version : p->manifest->version,
            OC_ABI_MAJOR(c->abi_version), OC_ABI_MINOR(c->abi_version), OC_ABI_MAJOR(OC_ABI_VERSION),
            OC_ABI_MINOR(OC_ABI_VERSION), p->manifest->library_path ? p->manifest->library_path : path);
out:
    print_libcurl(f, p);
    if(p)
        oc_plugin_free(p);
    free(path);
}

int och_print_version(FILE *f, const struct och_cli *cli)
{
    fprintf(f, "ochost %s\n", och_version());
    print_plugin(f, cli);
    if(fflush(f) || ferror(f)) {
        fprintf(stderr, "ochost: --version: cannot write to stdout: %s\n", strerror(errno));
        return OCH_EXIT_TRANSIENT;
    }
    return 0;
}
