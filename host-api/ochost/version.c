/* version.c - `ochost --version`; see version.h. */
#include "host-api/ochost/version.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host-api/ochost/paths.h"
#include "host-api/ochost/status.h"
#include "onecount/loader.h"

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
    if(p)
        oc_plugin_free(p);
    free(path);
}

int och_print_version(FILE *f, const struct och_cli *cli)
{
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    fprintf(f, "ochost %s\n", och_version());
    print_plugin(f, cli);
    fprintf(f, "libcurl %s%s%s%s\n", cv && cv->version ? cv->version : "(unknown)",
            cv && cv->ssl_version ? " (" : "", cv && cv->ssl_version ? cv->ssl_version : "",
            cv && cv->ssl_version ? ")" : "");
    if(fflush(f) || ferror(f)) {
        fprintf(stderr, "ochost: --version: cannot write to stdout: %s\n", strerror(errno));
        return OCH_EXIT_TRANSIENT;
    }
    return 0;
}
