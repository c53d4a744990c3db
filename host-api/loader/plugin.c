/*
 * plugin.c - loading a connector plugin: dlopen, entry lookup, ABI
 * negotiation, vtable and identity checks (the rules at the top of
 * onecount/connector.h). oc_plugin_load runs the phases in that order, each
 * a function below that refuses with OC_E_ABI and a message naming the
 * manifest, the library and what is wrong.
 *
 * The shared object is never dlclose'd, on success or on any failure after
 * a successful dlopen. The plugin links libcurl (and through it OpenSSL),
 * whose global init registers atexit handlers and thread-local destructors
 * pointing into code that an unload would unmap; the process would then
 * crash at exit or at the next thread exit. Leaking one mapping per failed
 * load is the safe price. The plugin is also linked -z nodelete, so even a
 * host that does call dlclose cannot unload it.
 */
#include "host-api/loader/internal.h"
#include "plugin/error.h"
#include "plugin/openerr.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ABI versions this host can drive, newest first. Negotiation tries each
 * in order and stops at the first the plugin accepts. A new ABI version is
 * added at the front. */
static const uint32_t host_abis[] = {
    OC_ABI_VERSION_1_1,
    OC_ABI_VERSION_1_0,
};
/* The symbol type is the low 4 bits of st_info in both ELF classes. */
#define OCL_ST_TYPE(info) ((unsigned)(info)&0xfu)

#define NHOST_ABIS (sizeof host_abis / sizeof host_abis[0])

static int host_knows(uint32_t abi)
{
    for(size_t i = 0; i < NHOST_ABIS; i++)
        if(host_abis[i] == abi)
            return 1;
    return 0;
}

/* "1.0, 0.9" into buf. */
static void format_abis(char *buf, size_t size, const uint32_t *v, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for(size_t i = 0; i < n && used < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%u.%u", i ? ", " : "",
                         OC_ABI_MAJOR(v[i]), OC_ABI_MINOR(v[i]));
        if(w < 0)
            break;
        used += (size_t)w;
    }
}

/* A member the negotiated ABI requires: non-NULL, inside struct_size. */
struct slot {
    const char *name;
    uint32_t since;  /* first ABI version (same major) that has it */
    size_t end;      /* offset just past the member: the bytes it needs */
    int filled;      /* inside the struct_size the plugin declared */
    int present;     /* not NULL */
};

#define OCL_END(m) (offsetof(struct oc_connector, m) + sizeof(((struct oc_connector *)0)->m))
#define OCL_SLOT(m, since) \
    {#m, since, OCL_END(m), OC_HAS_MEMBER(c, struct oc_connector, m), c->m != NULL}

/* Checks the vtable c the plugin filled for ABI abi. Returns the name of
 * the first bad slot, or NULL when all is well. *need is nonzero (the bytes
 * the slot needs) when the problem is that struct_size stops short of it,
 * zero when the slot is NULL. */
static const char *check_slots(const struct oc_connector *c, uint32_t abi, size_t *need)
{
    /* Minor versions only append, so a version requires every slot whose
     * `since` is not newer than it within the same major. */
    const struct slot slots[] = {
        OCL_SLOT(name, OC_ABI_VERSION_1_0),
        OCL_SLOT(version, OC_ABI_VERSION_1_0),
        OCL_SLOT(capabilities, OC_ABI_VERSION_1_0),
        OCL_SLOT(init, OC_ABI_VERSION_1_0),
        OCL_SLOT(authorize, OC_ABI_VERSION_1_0),
        OCL_SLOT(pull, OC_ABI_VERSION_1_0),
        OCL_SLOT(push, OC_ABI_VERSION_1_0),
        OCL_SLOT(lookup, OC_ABI_VERSION_1_0),
        OCL_SLOT(usage, OC_ABI_VERSION_1_0),
        OCL_SLOT(release, OC_ABI_VERSION_1_0),
    };
    *need = 0;
    for(size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
        if(OC_ABI_MAJOR(slots[i].since) != OC_ABI_MAJOR(abi) || slots[i].since > abi)
            continue;
        if(!slots[i].filled) {
            *need = slots[i].end;
            return slots[i].name;
        }
        if(!slots[i].present)
            return slots[i].name;
    }
    return NULL;
}

/* The next item of the comma-separated list at *cursor, blanks around it
 * dropped: its start (length in *len), or NULL when the list is done.
 * Moves *cursor past the item. */
static const char *next_item(const char **cursor, size_t *len)
{
    const char *p = *cursor + strspn(*cursor, " \t,");
    if(!*p)
        return NULL;
    size_t full = strcspn(p, ",");
    *cursor = p + full;
    while(full && (p[full - 1] == ' ' || p[full - 1] == '\t'))
        full--;
    *len = full;
    return p;
}

static int has_item(const char *list, const char *item, size_t len)
{
    const char *it;
    size_t n;
    while((it = next_item(&list, &n)))
        if(n == len && !memcmp(it, item, len))
            return 1;
    return 0;
}

/* Order-insensitive comparison of two comma-separated lists; blanks around
 * items are ignored. Returns 0 when both hold the same items. */
static int same_items(const char *a, const char *b)
{
    for(int pass = 0; pass < 2; pass++) {
        const char *x = pass ? b : a, *y = pass ? a : b, *it;
        size_t n;
        while((it = next_item(&x, &n)))
            if(!has_item(y, it, n))
                return -1;
    }
    return 0;
}

void oc_plugin_free(struct oc_plugin *p)
{
    if(!p)
        return;
    /* p->handle is deliberately not dlclose'd: see the top of this file. */
    oc_manifest_free(p->manifest);
    free(p);
}

/* The library must be an existing regular file. stat first: dlerror()
 * says "cannot open shared object file" for a missing file and for a file
 * it cannot use alike. */
static oc_status check_library_file(const struct oc_manifest *m, struct oc_error *err)
{
    const char *lib = m->library_path;
    struct stat st;
    if(stat(lib, &st)) {
        int e = errno;
        return kit_fail(err, OC_E_ABI,
                        "%s: library %s (library = %s) cannot be opened: %s; %s%s",
                        m->path, lib, m->library, strerror(e), kit_open_advice(e),
                        e == ENOENT ? " (build the plugin, or fix 'library': relative paths "
                                      "start at the manifest's directory)"
                                    : "");
    }
    if(!S_ISREG(st.st_mode))
        return kit_fail(err, OC_E_ABI, "%s: library %s is not a regular file; 'library' "
                        "must name the plugin's .so", m->path, lib);
    return OC_OK;
}

/* dlopen the library into *handle. A path with a '/' (resolve() in
 * manifest.c guarantees one) makes dlopen load that file, never search
 * LD_LIBRARY_PATH. NOW: unresolved symbols fail here, not mid-pull; LOCAL:
 * two versions of a plugin loaded side by side cannot bind to each other's
 * symbols. */
static oc_status open_library(const struct oc_manifest *m, void **handle, struct oc_error *err)
{
    const char *lib = m->library_path;
    dlerror();
    *handle = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if(!*handle) {
        const char *why = dlerror();
        return kit_fail(err, OC_E_ABI, "%s: library %s is not a loadable shared object: %s",
                        m->path, lib, why ? why : "unknown dlopen error");
    }
    return OC_OK;
}

/* sym (the manifest's entry, found in handle) must be a function defined
 * in the plugin itself: dlsym on a handle also searches the library's
 * dependencies, and a data symbol can carry the entry's name (the
 * unversioned-data-plugin pattern the rules in onecount/connector.h rule
 * out). */
static oc_status check_entry_symbol(const struct oc_manifest *m, void *handle, void *sym,
                                    struct oc_error *err)
{
    const char *lib = m->library_path;
    Dl_info info;
    const ElfW(Sym) *esym = NULL;
    struct link_map *own = NULL, *def = NULL;
    if(dlinfo(handle, RTLD_DI_LINKMAP, &own) ||
       !dladdr1(sym, &info, (void **)&def, RTLD_DL_LINKMAP) ||
       !dladdr1(sym, &info, (void **)&esym, RTLD_DL_SYMENT))
        return kit_fail(err, OC_E_ABI, "%s: cannot inspect entry symbol '%s' in %s",
                        m->path, m->entry, lib);
    if(def != own)
        return kit_fail(err, OC_E_ABI,
                        "%s: entry symbol '%s' is not defined by %s but by %s; the plugin "
                        "must define its own entry",
                        m->path, m->entry, lib, info.dli_fname ? info.dli_fname : "?");
    if(esym && OCL_ST_TYPE(esym->st_info) != STT_FUNC &&
       OCL_ST_TYPE(esym->st_info) != STT_GNU_IFUNC) {
        unsigned t = OCL_ST_TYPE(esym->st_info);
        return kit_fail(err, OC_E_ABI,
                        "%s: entry symbol '%s' in %s is not a function but %s (ELF symbol "
                        "type %u); the entry must be an oc_connector_entry_fn",
                        m->path, m->entry, lib,
                        t == STT_OBJECT ? "a data object" : t == STT_TLS ? "thread-local data"
                                                                         : "something else",
                        t);
    }
    return OC_OK;
}

/* Look the manifest's entry up in handle and check what it is. */
static oc_status resolve_entry(const struct oc_manifest *m, void *handle,
                               oc_connector_entry_fn *entry, struct oc_error *err)
{
    dlerror();
    void *sym = dlsym(handle, m->entry);
    if(!sym) {
        const char *why = dlerror();
        return kit_fail(err, OC_E_ABI,
                        "%s: library %s has no entry symbol '%s' (the manifest's entry): %s; "
                        "is this a onecount connector, and is the symbol exported?",
                        m->path, m->library_path, m->entry, why ? why : "symbol is NULL");
    }
    oc_status rc = check_entry_symbol(m, handle, sym, err);
    if(rc)
        return rc;
    /* POSIX guarantees a function's address survives this conversion. */
    memcpy(entry, &sym, sizeof *entry);
    return OC_OK;
}

/* Call the entry with each ABI this host speaks, newest first, until the
 * plugin accepts one; *conn is then the table it filled and *abi the
 * version asked. */
static oc_status ask_newest_first(const struct oc_manifest *m, oc_connector_entry_fn entry,
                                  struct oc_connector *conn, uint32_t *abi,
                                  struct oc_error *err)
{
    uint32_t tried[NHOST_ABIS];
    size_t ntried = 0;
    *abi = 0;
    for(size_t i = 0; i < NHOST_ABIS; i++) {
        struct oc_error perr;
        memset(&perr, 0, sizeof perr);
        perr.struct_size = sizeof perr;
        memset(conn, 0, sizeof *conn);
        tried[ntried++] = host_abis[i];
        oc_status prc = entry(host_abis[i], conn, sizeof *conn, &perr);
        if(prc == OC_E_NOT_IMPLEMENTED)
            continue;
        if(prc != OC_OK) {
            perr.message[sizeof perr.message - 1] = '\0';
            return kit_fail(err, OC_E_ABI, "%s: %s refused ABI %u.%u with %s: %s", m->path,
                            m->library_path, OC_ABI_MAJOR(host_abis[i]),
                            OC_ABI_MINOR(host_abis[i]), oc_status_name(prc),
                            perr.message[0] ? perr.message : "(no message)");
        }
        *abi = host_abis[i];
        return OC_OK;
    }
    char list[128];
    format_abis(list, sizeof list, tried, ntried);
    return kit_fail(err, OC_E_ABI,
                    "%s: %s speaks none of the ABI versions this host tried (%s) and the "
                    "manifest declares abi %s; use a plugin build for ABI %s or a newer host",
                    m->path, m->library_path, list, m->abi, list);
}

/* Negotiate: find the version the plugin accepts, then settle which one it
 * filled. A plugin may accept a newer minor and fill an older one of the
 * same major (minor versions only append, so the older table is a valid
 * prefix). The host then drives what was filled, provided it knows that
 * version; anything newer than asked, or of another major, is a broken
 * plugin. */
static oc_status negotiate(const struct oc_manifest *m, oc_connector_entry_fn entry,
                           struct oc_connector *conn, uint32_t *abi, struct oc_error *err)
{
    oc_status rc = ask_newest_first(m, entry, conn, abi, err);
    if(rc || conn->abi_version == *abi)
        return rc;
    if(OC_ABI_MAJOR(conn->abi_version) != OC_ABI_MAJOR(*abi) || conn->abi_version > *abi ||
       !host_knows(conn->abi_version))
        return kit_fail(err, OC_E_ABI,
                        "%s: %s accepted ABI %u.%u but filled the vtable for %u.%u, which "
                        "this host cannot use; the plugin is broken",
                        m->path, m->library_path, OC_ABI_MAJOR(*abi), OC_ABI_MINOR(*abi),
                        OC_ABI_MAJOR(conn->abi_version), OC_ABI_MINOR(conn->abi_version));
    *abi = conn->abi_version;
    return OC_OK;
}

/* The table the plugin filled must fit what the host passed and hold every
 * slot ABI abi requires. */
static oc_status check_table(const struct oc_manifest *m, const struct oc_connector *conn,
                             uint32_t abi, struct oc_error *err)
{
    const char *lib = m->library_path;
    if(conn->struct_size > sizeof *conn)
        return kit_fail(err, OC_E_ABI,
                        "%s: %s claims to have filled %u bytes of struct oc_connector, more "
                        "than the %zu the host passed",
                        m->path, lib, (unsigned)conn->struct_size, sizeof *conn);
    size_t need;
    const char *bad = check_slots(conn, abi, &need);
    if(bad && need)
        return kit_fail(err, OC_E_ABI,
                        "%s: %s filled %u bytes of struct oc_connector, too few for slot '%s' "
                        "which ABI %u.%u requires (%zu bytes)",
                        m->path, lib, (unsigned)conn->struct_size, bad, OC_ABI_MAJOR(abi),
                        OC_ABI_MINOR(abi), need);
    if(bad)
        return kit_fail(err, OC_E_ABI,
                        "%s: %s left required slot '%s' NULL (ABI %u.%u); an unsupported "
                        "operation must point to a function returning OC_E_NOT_IMPLEMENTED",
                        m->path, lib, bad, OC_ABI_MAJOR(abi), OC_ABI_MINOR(abi));
    return OC_OK;
}

/* The manifest's abi is the oldest ABI the plugin serves: the version a
 * host must speak at least (same major) to load it. A runtime reads it
 * to decide, without loading anything, whether a host can take the
 * plugin; so a plugin that serves 1.0 and 1.1 hosts says 1.0, and one
 * that needs 1.1 says 1.1. Checked both ways: the version negotiated must
 * not be older than it (this host is too old, or the manifest promises
 * more than the library has), and the plugin must really serve it (a
 * manifest saying 1.0 for a plugin that refuses 1.0 would send it to
 * hosts that cannot load it). */
static oc_status check_manifest_abi(const struct oc_manifest *m, oc_connector_entry_fn entry,
                                    uint32_t abi, struct oc_error *err)
{
    const char *lib = m->library_path;
    char list[128];
    format_abis(list, sizeof list, host_abis, NHOST_ABIS);
    if(OC_ABI_MAJOR(m->abi_version) != OC_ABI_MAJOR(abi) || m->abi_version > abi)
        return kit_fail(err, OC_E_ABI,
                        "%s: manifest abi %s (the oldest ABI the plugin serves) but %s "
                        "negotiated ABI %u.%u with this host (which speaks %s); %s",
                        m->path, m->abi, lib, OC_ABI_MAJOR(abi), OC_ABI_MINOR(abi), list,
                        host_knows(m->abi_version)
                            ? "the manifest does not describe this library"
                            : "use a host that speaks that ABI, or the manifest that came "
                              "with this library");
    if(m->abi_version == abi)
        return OC_OK;
    if(!host_knows(m->abi_version))
        return kit_fail(err, OC_E_ABI,
                        "%s: manifest abi %s is not an ABI this host knows (%s); the "
                        "manifest does not describe this library",
                        m->path, m->abi, list);
    struct oc_connector probe;
    struct oc_error perr;
    memset(&probe, 0, sizeof probe);
    memset(&perr, 0, sizeof perr);
    perr.struct_size = sizeof perr;
    oc_status prc = entry(m->abi_version, &probe, sizeof probe, &perr);
    if(prc != OC_OK || probe.abi_version != m->abi_version)
        return kit_fail(err, OC_E_ABI,
                        "%s: manifest abi %s says the plugin serves hosts of ABI %s and "
                        "newer, but %s %s when asked for %s; set abi to the oldest version "
                        "the library serves (%u.%u works here)",
                        m->path, m->abi, m->abi, lib,
                        prc != OC_OK ? oc_status_name(prc) : "filled another version", m->abi,
                        OC_ABI_MAJOR(abi), OC_ABI_MINOR(abi));
    return OC_OK;
}

/* The library must be the one the manifest describes: same name, version,
 * ABI and capabilities. A runtime may schedule work from the manifest
 * without loading the plugin, so a manifest promising what the library
 * lacks (or hiding what it has) is refused here rather than failing
 * mid-job. */
static oc_status check_identity(const struct oc_manifest *m, const struct oc_connector *conn,
                                oc_connector_entry_fn entry, uint32_t abi, struct oc_error *err)
{
    const char *lib = m->library_path;
    if(strcmp(conn->name, m->name))
        return kit_fail(err, OC_E_ABI,
                        "%s: manifest name '%s' but %s reports name '%s'; the manifest and "
                        "the library belong to different plugins",
                        m->path, m->name, lib, conn->name);
    if(strcmp(conn->version, m->version))
        return kit_fail(err, OC_E_ABI,
                        "%s: manifest version '%s' but %s reports version '%s'; install the "
                        "manifest that came with this build",
                        m->path, m->version, lib, conn->version);
    oc_status rc = check_manifest_abi(m, entry, abi, err);
    if(rc)
        return rc;
    if(same_items(m->capabilities, conn->capabilities))
        return kit_fail(err, OC_E_ABI, "%s: manifest capabilities '%s' but %s reports '%s'",
                        m->path, m->capabilities, lib, conn->capabilities);
    return OC_OK;
}

oc_status oc_plugin_load(struct oc_manifest *manifest, struct oc_plugin **out,
                         struct oc_error *err)
{
    oc_status rc;
    struct oc_manifest *m = manifest;
    struct oc_connector conn;
    struct oc_plugin *p = NULL;
    void *handle = NULL;
    oc_connector_entry_fn entry = NULL;
    uint32_t abi = 0;

    if(out)
        *out = NULL;
    if(!m || !out) {
        rc = kit_fail(err, OC_E_INVALID, "oc_plugin_load: manifest and out must not be NULL");
        goto fail;
    }
    kit_error_clear(err);
    rc = check_library_file(m, err);
    if(rc)
        goto fail;
    rc = open_library(m, &handle, err);
    if(rc)
        goto fail;
    rc = resolve_entry(m, handle, &entry, err);
    if(rc)
        goto fail;
    rc = negotiate(m, entry, &conn, &abi, err);
    if(rc)
        goto fail;
    rc = check_table(m, &conn, abi, err);
    if(rc)
        goto fail;
    rc = check_identity(m, &conn, entry, abi, err);
    if(rc)
        goto fail;

    p = calloc(1, sizeof *p);
    if(!p) {
        rc = kit_fail(err, OC_E_NOMEM, "out of memory loading %s", m->library_path);
        goto fail;
    }
    p->manifest = m;
    p->handle = handle;
    p->connector = conn;
    *out = p;
    return OC_OK;

fail:
    /* handle, if any, stays loaded: see the top of this file. */
    oc_manifest_free(m);
    return rc;
}
