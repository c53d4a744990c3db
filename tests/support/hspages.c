/*
 * hspages.c - HubSpot-shaped JSON answers; see hspages.h.
 */
#include "tests/support/hspages.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tests/support/hspush.h"

static const char *const event_types[] = {"OPEN", "OPEN", "DELIVERED", "CLICK", "OPEN", "SENT",
                                          "OPEN", "PROCESSED", "CLICK", "BOUNCE"};

void hsp_event(struct kit_buf *b, int64_t k, int64_t created)
{
    const char *type = event_types[k % 10];
    kit_buf_printf(b,
                   "{\"id\":\"%08" PRIx64 "-1b2c-4d3e-8f40-%012" PRIx64 "\",\"created\":%" PRId64
                   ",\"type\":\"%s\",\"recipient\":\"reader%06" PRId64 "@example.com\","
                   "\"portalId\":62515,\"appId\":113,\"appName\":\"BatchEmail\","
                   "\"emailCampaignId\":%" PRId64 ",\"emailCampaignGroupId\":157830477,"
                   "\"sentBy\":{\"id\":\"5e7b%04" PRIx64 "-0c1d-4e2f-9a3b-4c5d6e7f8091\","
                   "\"created\":%" PRId64 "},\"hmid\":\"a3c1%04" PRIx64
                   "-77de-4f0b-8e59-2d41c6b8f0aa\",\"obsoletedBy\":null,",
                   (uint64_t)k * 2654435761u, (uint64_t)k, created, type, k % 250000,
                   INT64_C(157830400) + k % 64, (uint64_t)(k % 65536), created - 3600000,
                   (uint64_t)(k % 65536));
    kit_buf_puts(b, "\"userAgent\":\"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                    "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\","
                    "\"browser\":{\"name\":\"Chrome\",\"family\":\"Chrome\",\"producer\":"
                    "\"Google Inc.\",\"producerUrl\":\"https://www.google.com/about/company/\","
                    "\"type\":\"Browser\",\"url\":\"https://www.google.com/chrome/\","
                    "\"version\":[\"120.0.0.0\"]},");
    kit_buf_printf(b,
                   "\"location\":{\"country\":\"UNITED STATES\",\"state\":\"massachusetts\","
                   "\"city\":\"cambridge\",\"latitude\":42.3736,\"longitude\":-71.1097,"
                   "\"zipcode\":\"02139\"},\"deviceType\":\"COMPUTER\",\"filteredEvent\":false,"
                   "\"ipAddress\":\"203.0.113.%d\"",
                   (int)(k % 250));
    if(!strcmp(type, "CLICK"))
        kit_buf_printf(b,
                       ",\"url\":\"https://news.example.org/2026/11/story-%" PRId64
                       "?utm_source=hs_email&utm_medium=email\",\"referer\":\"\"",
                       k % 1000);
    if(!strcmp(type, "BOUNCE"))
        kit_buf_puts(b, ",\"category\":\"MAILBOX_FULL\",\"response\":\"552 5.2.2 mailbox full\","
                        "\"status\":\"5.2.2\"");
    kit_buf_putc(b, '}');
}

void hsp_events_page(struct kit_buf *b, int64_t first, int n, int more)
{
    kit_buf_puts(b, "{\"events\":[");
    for(int i = 0; i < n; i++) {
        if(i)
            kit_buf_putc(b, ',');
        hsp_event(b, first + i, INT64_C(1795824000000) - (first + i) * 937);
    }
    if(more)
        kit_buf_printf(b, "],\"hasMore\":true,\"offset\":\"p%" PRId64 "\"}", first + n);
    else
        kit_buf_puts(b, "],\"hasMore\":false}");
}

void hsp_upsert_answer(struct kit_buf *b, long first, int n)
{
    struct kit_buf errs = KIT_BUF_INIT;
    int nres = 0, nerr = 0;
    kit_buf_puts(b, "{\"status\":\"COMPLETE\",\"results\":[");
    for(long k = first; k < first + n; k++) {
        char email[64], trace[24];
        int elen = snprintf(email, sizeof email, "user%ld@example.%s", k, k % 20 == 0 ? "invalid" : "com");
        int tlen = snprintf(trace, sizeof trace, "%ld", k);
        if(hspush_refuse_invalid(&errs, &nerr, email, (size_t)elen, trace, (size_t)tlen))
            continue;
        kit_buf_printf(b,
                       "%s{\"id\":\"%ld\",\"properties\":{\"email\":\"%s\"},\"new\":%s,"
                       "\"objectWriteTraceId\":\"%s\"}",
                       nres++ ? "," : "", 5000 + k, email, k % 3 ? "true" : "false", trace);
    }
    kit_buf_putc(b, ']');
    if(nerr)
        kit_buf_printf(b, ",\"numErrors\":%d,\"errors\":[%s]", nerr, kit_buf_str(&errs));
    kit_buf_putc(b, '}');
    kit_buf_free(&errs);
}

void hsp_members_answer(struct kit_buf *b, long first, int n)
{
    kit_buf_puts(b, "{\"recordsIdsAdded\":[");
    for(int i = 0; i < n; i++)
        kit_buf_printf(b, "%s%ld", i ? "," : "", 5000 + first + i);
    kit_buf_puts(b, "],\"recordIdsMissing\":[]}");
}

void hsp_input_line(struct kit_buf *b, long k)
{
    kit_buf_printf(b, "{\"email\":\"user%ld@example.com\",\"firstname\":\"Reader%ld\",\"lastname\":\"Bench\"}",
                   k, k);
}
