/* abi_c99.c - both installed headers under -std=c99 -pedantic -Werror: the
 * oldest C a runtime or plugin may be written in. `make abi-check`
 * compiles, links and runs it. */
#include "onecount/connector.h"
#include "onecount/loader.h"

#include <stdio.h>
#include <string.h>

/* C99 has no _Static_assert: a negative array size stops the build. */
#define ABI_ASSERT(name, cond) typedef char name[(cond) ? 1 : -1]
ABI_ASSERT(abi_1_0_packs, OC_ABI_VERSION_1_0 == 0x10000u);
ABI_ASSERT(ok_is_zero, OC_OK == 0);
ABI_ASSERT(error_starts_with_size, offsetof(struct oc_error, struct_size) == 0);

/* The definition must match the header's oc_connector_entry_t. */
OC_EXPORT oc_status oc_connector_entry(uint32_t abi_version, struct oc_connector *out,
                                       size_t out_size, struct oc_error *err)
{
    struct oc_connector c;
    size_t n;
    (void)err;
    if(OC_ABI_MAJOR(abi_version) != 1)
        return OC_E_NOT_IMPLEMENTED;
    memset(&c, 0, sizeof c);
    c.struct_size = (uint32_t)sizeof c;
    c.abi_version = OC_ABI_VERSION_1_0;
    c.name = "c99";
    n = out_size < sizeof c ? out_size : sizeof c;
    memcpy(out, &c, n);
    out->struct_size = (uint32_t)n;
    return OC_OK;
}

int main(void)
{
    oc_connector_entry_fn entry = oc_connector_entry;
    struct oc_connector c;
    struct oc_error e;
    memset(&c, 0, sizeof c);
    memset(&e, 0, sizeof e);
    e.struct_size = (uint32_t)offsetof(struct oc_error, message);
    if(OC_HAS_MEMBER(&e, struct oc_error, message) ||
       !OC_HAS_MEMBER(&e, struct oc_error, retry_after_ms)) {
        puts("abi_c99: OC_HAS_MEMBER misreads a short struct oc_error");
        return 1;
    }
    if(entry(OC_ABI_VERSION, &c, sizeof c, &e) != OC_OK ||
       !OC_HAS_MEMBER(&c, struct oc_connector, release) || strcmp(c.name, "c99") != 0) {
        puts("abi_c99: the entry did not fill the whole table");
        return 1;
    }
    if(strcmp(oc_status_name(OC_E_ABI), "OC_E_ABI") != 0) {
        puts("abi_c99: oc_status_name");
        return 1;
    }
    return 0;
}
