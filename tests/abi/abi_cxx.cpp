// abi_cxx.cpp - both installed headers in a C++ translation unit: a
// runtime written in C++ includes the loader's header, a plugin written in
// C++ defines the entry. `make abi-check` compiles, links and runs it.
#include "onecount/connector.h"
#include "onecount/loader.h"

#include <cstdio>
#include <cstring>
#include <type_traits>

// The entry type the header declares is the one a host calls through.
static_assert(std::is_same<decltype(&oc_connector_entry), oc_connector_entry_fn>::value,
              "oc_connector_entry is not an oc_connector_entry_fn");
static_assert(OC_ABI_MAJOR(OC_ABI_VERSION_1_0) == 1 && OC_ABI_MINOR(OC_ABI_VERSION_1_0) == 0,
              "ABI 1.0 packs as major << 16 | minor");
static_assert(OC_E_RANGE == 14, "status codes keep their numbers");

// A plugin defined in C++: extern "C" comes from the header's declaration.
OC_EXPORT oc_status oc_connector_entry(uint32_t abi_version, struct oc_connector *out,
                                       size_t out_size, struct oc_error *err)
{
    (void)err;
    if(OC_ABI_MAJOR(abi_version) != 1)
        return OC_E_NOT_IMPLEMENTED;
    struct oc_connector c = {};
    c.struct_size = static_cast<uint32_t>(sizeof c);
    c.abi_version = OC_ABI_VERSION_1_0;
    c.name = "cxx";
    size_t n = out_size < sizeof c ? out_size : sizeof c;
    std::memcpy(out, &c, n);
    out->struct_size = static_cast<uint32_t>(n);
    return OC_OK;
}

int main()
{
    oc_connector_entry_fn entry = oc_connector_entry;
    struct oc_connector c = {};
    if(entry(OC_ABI_MAKE(2, 0), &c, sizeof c, nullptr) != OC_E_NOT_IMPLEMENTED)
        return std::puts("abi_cxx: a 2.0 host was not refused"), 1;
    // A host that passes only the table up to `capabilities` gets no more.
    size_t short_size = offsetof(struct oc_connector, init);
    if(entry(OC_ABI_VERSION, &c, short_size, nullptr) != OC_OK ||
       !OC_HAS_MEMBER(&c, struct oc_connector, capabilities) ||
       OC_HAS_MEMBER(&c, struct oc_connector, init))
        return std::puts("abi_cxx: OC_HAS_MEMBER disagrees with the size filled"), 1;
    struct oc_plugin p = {};
    p.connector = c;
    if(std::strcmp(p.connector.name, "cxx") != 0 ||
       std::strcmp(oc_status_name(OC_E_NOT_FOUND), "OC_E_NOT_FOUND") != 0)
        return std::puts("abi_cxx: the loader's view of the table"), 1;
    return 0;
}
