/* retry.c - see retry.h. */
#include "plugin/retry.h"

#include <curl/curl.h>

/* splitmix64 finaliser: a good spread from consecutive inputs. */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

int64_t kit_retry_backoff_ms(size_t index, int retry)
{
    if(retry < 1)
        retry = 1;
    int64_t d = KIT_RETRY_BASE_MS;
    for(int i = 1; i < retry && d < KIT_RETRY_CAP_MS; i++)
        d *= 2;
    if(d > KIT_RETRY_CAP_MS)
        d = KIT_RETRY_CAP_MS;
    uint64_t h = mix(((uint64_t)index << 16) ^ (uint64_t)retry);
    return d / 2 + (int64_t)(h % (uint64_t)(d / 2 + 1));
}

int kit_retry_status(long status)
{
    if(status == 599)
        return 0;
    return status >= 500 || status == 423 || status == 429;
}

int kit_retry_curl(int code)
{
    switch((CURLcode)code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
        return 1;
    default:
        return 0;
    }
}
