/*
 * fuzz_manifest.c - plugin.manifest parsing (oc_manifest_load in
 * host-api/loader/manifest.c) on arbitrary bytes. The loader only takes a
 * path, so the input goes through a memfd. Checks: no crash or leak; a
 * refusal sets *out to NULL and a message with the status; an accepted
 * manifest has every required key, a resolved library path and an abi
 * that matches its text.
 */
#include <inttypes.h>

#include "onecount/connector.h"
#include "onecount/loader.h"
#include "tests/fuzz/fuzz.h"

int fuzz_manifest_one(const uint8_t *data, size_t size);

int fuzz_manifest_one(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if(fd < 0)
        return 0;
    struct oc_manifest *m = (struct oc_manifest *)(uintptr_t)1;
    struct oc_error err;
    memset(&err, 0x5a, sizeof err);
    err.struct_size = sizeof err;
    oc_status rc = oc_manifest_load(path, &m, &err);
    if(rc != OC_OK) {
        FUZZ_REQUIRE(m == NULL, "refused manifest but *out is set");
        /* Inputs are small: "out of memory" can only be a wrong diagnosis. */
        FUZZ_REQUIRE(rc != OC_E_NOMEM, "manifest refused as out of memory: %s", err.message);
        FUZZ_REQUIRE(err.status == rc, "err.status %d != returned %d", err.status, rc);
        FUZZ_REQUIRE(memchr(err.message, '\0', sizeof err.message) && err.message[0],
                     "refusal without a NUL-terminated message");
        FUZZ_REQUIRE(strstr(err.message, path) != NULL, "refusal does not name the file: %s",
                     err.message);
    } else {
        FUZZ_REQUIRE(m != NULL, "accepted manifest but *out is NULL");
        FUZZ_REQUIRE(m->name && m->version && m->abi && m->library && m->entry && m->capabilities,
                     "accepted manifest lacks a required key");
        FUZZ_REQUIRE(m->name[0] && m->library[0] && m->entry[0], "accepted empty required value");
        FUZZ_REQUIRE(m->library_path && m->dir && m->path, "accepted manifest without paths");
        char abi[32];
        snprintf(abi, sizeof abi, "%u.%u", OC_ABI_MAJOR(m->abi_version),
                 OC_ABI_MINOR(m->abi_version));
        /* Leading zeros ("01.0") are allowed, so compare numerically. */
        unsigned long maj = strtoul(m->abi, NULL, 10);
        const char *dot = strchr(m->abi, '.');
        FUZZ_REQUIRE(dot && maj == OC_ABI_MAJOR(m->abi_version) &&
                         strtoul(dot + 1, NULL, 10) == OC_ABI_MINOR(m->abi_version),
                     "abi '%s' parsed as %s", m->abi, abi);
        oc_manifest_free(m);
    }
    close(fd);
    return 0;
}

#ifdef FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_manifest_one(data, size);
}
#endif
