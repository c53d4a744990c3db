/* retry.c - see retry.h. */
#include "plugin/retry.h"

#include <curl/curl.h>
#include <string.h>

enum kit_rate_policy kit_rate_policy_parse(const char *name)
{
    if(!name)
        return KIT_POLICY_UNKNOWN;
    if(!strcmp(name, "TEN_SECONDLY_ROLLING"))
        return KIT_POLICY_TEN_SECONDLY;
    if(!strcmp(name, "SECONDLY"))
        return KIT_POLICY_SECONDLY;
    if(!strcmp(name, "DAILY"))
        return KIT_POLICY_DAILY;
    return KIT_POLICY_UNKNOWN;
}

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
    /* 530: malformed token, retrying cannot help. 599 is no HubSpot status:
     * it is the replay server's "no interaction matches", and retrying it
     * would only repeat the diagnostic and hide it behind "busy". */
    if(status == 530 || status == 599)
        return 0;
    return status >= 500 || status == 423 || status == 429 || status == 477;
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
