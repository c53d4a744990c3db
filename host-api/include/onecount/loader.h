/*
 * onecount/loader.h - the loader a connector runtime links (liboc_loader.a)
 * to find, load and negotiate with connector plugins: plugin.manifest
 * parsing, dlopen, ABI negotiation, and the checks that the library is the
 * one the manifest describes.
 *
 * The ABI itself (what a plugin implements) is onecount/connector.h; this
 * header is host-side only, and a plugin never includes it. Unlike the
 * ABI's structs, the structs here are the loader's own: they are built by
 * the loader linked into the same program, never exchanged with a plugin,
 * so they carry no struct_size.
 *
 * Status policy: every refusal of a manifest or plugin is OC_E_ABI (ochost
 * maps it to exit code 8, "plugin load or ABI error"), including a manifest
 * that cannot be read; OC_E_INVALID is for NULL arguments and OC_E_NOMEM
 * for allocation failures. The message always says which file and what.
 *
 * Thread rules: every function may be called from any thread; a
 * struct oc_manifest or struct oc_plugin is used by one thread at a time.
 */
#ifndef ONECOUNT_LOADER_H
#define ONECOUNT_LOADER_H

#include "onecount/connector.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A parsed plugin.manifest. Strings are owned by the manifest. */
struct oc_manifest {
    char *path;         /* the manifest file as given                         */
    char *dir;          /* its directory, base of relative library paths      */
    char *name;
    char *version;
    char *abi;          /* as written, e.g. "1.0": the oldest ABI the plugin
                           serves (a host must speak at least that)          */
    uint32_t abi_version;
    char *library;      /* as written                                        */
    char *library_path; /* resolved against dir                              */
    char *entry;
    char *capabilities;
    char *scopes;
    char *options;      /* comma-separated; a trailing '*' marks a secret     */
};

/* Parse a manifest file. On success *out is allocated and owned by the
 * caller (free with oc_manifest_free). On failure *out is NULL and err
 * names the file, the line and what is wrong. */
oc_status oc_manifest_load(const char *path, struct oc_manifest **out, struct oc_error *err);

/* Free a manifest and its strings. NULL is a no-op. */
void oc_manifest_free(struct oc_manifest *m);

/* A loaded plugin, owned by the caller (oc_plugin_free). The shared object
 * is never unloaded (the libraries a plugin links, libcurl among them,
 * must not be), so the function and string pointers in connector stay
 * valid for the life of the process, even after oc_plugin_free.
 * connector is the loader's copy of the table the plugin filled (its
 * struct_size bytes; the rest zero). It is the last member so that a
 * newer, longer struct oc_connector moves nothing else. */
struct oc_plugin {
    struct oc_manifest *manifest; /* owned */
    void *handle;                 /* dlopen handle, never dlclose'd */
    struct oc_connector connector;
};

/* Load the plugin the manifest describes: dlopen(RTLD_NOW|RTLD_LOCAL),
 * resolve the entry, negotiate the ABI newest-first (down to the
 * manifest's abi, which the plugin must also accept), check that required
 * slots are present and that name/version agree with the manifest.
 * Takes ownership of manifest in every case. On success *out is owned by
 * the caller; on failure it is NULL. Failures return OC_E_ABI with err
 * naming the mismatch. */
oc_status oc_plugin_load(struct oc_manifest *manifest, struct oc_plugin **out,
                         struct oc_error *err);

/* Free what oc_plugin_load returned, manifest included, without unloading
 * the library. NULL is a no-op. */
void oc_plugin_free(struct oc_plugin *p);

/* A short constant name for a status ("OC_E_AUTH"), "OC_E_UNKNOWN" for a
 * code this loader predates. Never NULL; the string is static. */
const char *oc_status_name(oc_status status);

#ifdef __cplusplus
}
#endif

#endif /* ONECOUNT_LOADER_H */
