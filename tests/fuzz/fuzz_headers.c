/*
 * fuzz_headers.c - response header parsing (hubspot/headers.c:
 * hs_headers_line, on the kit's plugin/httpmeta.c) on arbitrary bytes. The input is cut at each '\n' (kept,
 * as libcurl hands lines to CURLOPT_HEADERFUNCTION) and every line is
 * passed in an exact-size heap copy, so reading past it is caught. After
 * each line: every count is -1 or a plain non-negative number, Retry-After
 * is capped at a week, and the correlation id is a terminated string with
 * no control bytes (it ends up in messages and on the terminal).
 */
#include "hubspot/headers.h"
#include "tests/fuzz/fuzz.h"

int fuzz_headers_one(const uint8_t *data, size_t size);

static void fh_check(const struct kit_http_meta *h)
{
    const int64_t nums[] = {h->limit_max, h->limit_remaining, h->limit_interval_ms,
                            h->daily_limit, h->daily_remaining};
    for(size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        FUZZ_REQUIRE(nums[i] >= -1, "rate-limit count %zu is %lld", i, (long long)nums[i]);
    FUZZ_REQUIRE(h->retry_after_ms >= -1 && h->retry_after_ms <= 7LL * 86400 * 1000,
                 "retry_after_ms %lld", (long long)h->retry_after_ms);
    const char *cid = h->correlation_id;
    FUZZ_REQUIRE(memchr(cid, '\0', sizeof h->correlation_id) != NULL,
                 "correlation id not terminated");
    for(const unsigned char *p = (const unsigned char *)cid; *p; p++)
        FUZZ_REQUIRE((*p >= 0x20 || *p == '\t') && *p != 0x7f,
                     "correlation id holds control byte 0x%02x", *p);
}

int fuzz_headers_one(const uint8_t *data, size_t size)
{
    struct kit_http_meta h;
    kit_http_meta_reset(&h);
    fh_check(&h);
    size_t pos = 0;
    while(pos < size) {
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - (data + pos)) + 1 : size - pos;
        char *line = malloc(len ? len : 1);
        if(!line)
            return 0;
        memcpy(line, data + pos, len);
        hs_headers_line(&h, line, len);
        free(line);
        fh_check(&h);
        pos += len;
    }
    return 0;
}

#ifdef FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_headers_one(data, size);
}
#endif
