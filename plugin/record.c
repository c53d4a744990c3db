/* record.c - see record.h. */
#include "plugin/record.h"

#include <stddef.h>
#include <stdio.h>

uint32_t kit_host_abi(const struct oc_host *host)
{
    if(!host || !OC_HAS_MEMBER(host, struct oc_host, abi_version) || !host->abi_version)
        return OC_ABI_VERSION_1_0;
    return host->abi_version;
}

int kit_host_takes_json(const struct oc_host *host)
{
    uint32_t v = kit_host_abi(host);
    /* Another major is a contract this code was not written for: send it
     * nothing newer than 1.0 would have had. */
    return OC_ABI_MAJOR(v) == 1 && v >= OC_ABI_VERSION_1_1;
}

int kit_json_field_type(const struct oc_host *host)
{
    return kit_host_takes_json(host) ? OC_FIELD_JSON : OC_FIELD_STRING;
}

struct oc_field kit_json_field(const struct oc_host *host, const char *json_key,
                               const char *string_key, const char *json)
{
    if(kit_host_takes_json(host))
        return (struct oc_field){json_key, json, OC_FIELD_JSON};
    return (struct oc_field){string_key, json, OC_FIELD_STRING};
}

/* Days since 1970-01-01 to a civil date (H. Hinnant's algorithm): exact
 * for every year, with no dependence on time_t's width or the C library's
 * range. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int kit_iso_ms(int64_t ms, char out[KIT_ISO_MS_SIZE])
{
    /* 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z */
    static const int64_t first = INT64_C(-62167219200000), last = INT64_C(253402300799999);
    out[0] = '\0';
    if(ms < first || ms > last)
        return -1;
    int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    int64_t rest = ms - days * 86400000;
    int64_t y;
    unsigned mo, d;
    civil_from_days(days, &y, &mo, &d);
    unsigned r = (unsigned)rest; /* 0 .. 86399999 */
    /* The bounds (ms checked above, r by construction) keep every part in
     * its width; the modulo says so to the compiler as well. */
    snprintf(out, KIT_ISO_MS_SIZE, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", (unsigned)y % 10000u,
             mo % 100u, d % 100u, r / 3600000u % 100u, r / 60000u % 60u, r / 1000u % 60u,
             r % 1000u);
    return 0;
}
