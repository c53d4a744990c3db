/* scopes.c - see scopes.h. Scope names and alternatives: API-NOTES.md section 2
 * (the security blocks of HubSpot's OpenAPI operations). */
#include "hubspot/scopes.h"

#include <string.h>

struct need {
    const char *scope;
    const char *blocks;
};

/* Kept in HS_SCOPES order so messages list scopes the way the manifest does. */
static const struct need needs[] = {
    {"crm.objects.contacts.read", "lookup cannot read contacts"},
    {"crm.objects.contacts.write", "push cannot create or update contacts"},
    {"crm.lists.read", "push cannot check the list or change its members"},
    {"crm.lists.write", "push cannot add contacts to lists"},
    {"content", "pull cannot read email events"},
};

const char *hs_scope_blocks(const char *scope)
{
    for(size_t i = 0; scope && i < sizeof needs / sizeof needs[0]; i++)
        if(!strcmp(needs[i].scope, scope))
            return needs[i].blocks;
    return "the plugin manifest requires it";
}

static int granted_has(const char *const *granted, size_t n, const char *scope, size_t len)
{
    for(size_t i = 0; i < n; i++)
        if(granted[i] && strlen(granted[i]) == len && !memcmp(granted[i], scope, len))
            return 1;
    return 0;
}

/* Lists' membership operations accept either requirement set
 * {crm.lists.read, crm.lists.write} or {cms.membership.access_groups.write,
 * crm.lists.read}; only the write half can be substituted. */
static int satisfied_otherwise(const char *const *granted, size_t n, const char *scope,
                               size_t len)
{
    static const char lw[] = "crm.lists.write";
    if(len != sizeof lw - 1 || memcmp(scope, lw, len))
        return 0;
    static const char ag[] = "cms.membership.access_groups.write";
    static const char lr[] = "crm.lists.read";
    return granted_has(granted, n, ag, sizeof ag - 1) && granted_has(granted, n, lr, sizeof lr - 1);
}

/* Any one scope of a stream's list serves it (the security blocks of
 * GET /marketing/v3/emails: API-NOTES.md, marketing emails as a stream). */
static const struct stream_need {
    const char *stream;
    const char *any[3];
    const char *blocks;
} stream_needs[] = {
    {"marketing_emails",
     {"marketing.email.read", "marketing.email.write", "content"},
     "pull --stream marketing_emails and the event_context option cannot read marketing emails"},
};

int hs_scopes_streams_blocked(const char *const *granted, size_t ngranted, struct kit_buf *streams,
                              struct kit_buf *blocked)
{
    int n = 0;
    for(size_t i = 0; i < sizeof stream_needs / sizeof stream_needs[0]; i++) {
        const struct stream_need *s = &stream_needs[i];
        int served = 0;
        for(size_t k = 0; k < 3 && !served; k++)
            served = granted_has(granted, ngranted, s->any[k], strlen(s->any[k]));
        if(served)
            continue;
        if(n) {
            kit_buf_putc(streams, ',');
            kit_buf_puts(blocked, "; ");
        }
        kit_buf_puts(streams, s->stream);
        kit_buf_printf(blocked, "%s: needs one of %s, %s or %s (%s)", s->stream, s->any[0],
                       s->any[1], s->any[2], s->blocks);
        n++;
    }
    if(!kit_buf_ok(streams) || !kit_buf_ok(blocked))
        return -1;
    return n;
}

int hs_scopes_missing(const char *required, const char *const *granted, size_t ngranted,
                      struct kit_buf *missing, struct kit_buf *blocked)
{
    int nmissing = 0;
    const char *p = required ? required : "";
    while(*p) {
        size_t len = strcspn(p, ",");
        const char *scope = p;
        p += len;
        if(*p == ',')
            p++;
        while(len && scope[0] == ' ')
            scope++, len--;
        while(len && scope[len - 1] == ' ')
            len--;
        if(!len || granted_has(granted, ngranted, scope, len) ||
           satisfied_otherwise(granted, ngranted, scope, len))
            continue;
        char name[128];
        if(len >= sizeof name)
            len = sizeof name - 1;
        memcpy(name, scope, len);
        name[len] = '\0';
        if(nmissing) {
            kit_buf_putc(missing, ',');
            kit_buf_puts(blocked, "; ");
        }
        kit_buf_puts(missing, name);
        kit_buf_printf(blocked, "%s: %s", name, hs_scope_blocks(name));
        nmissing++;
    }
    if(!kit_buf_ok(missing) || !kit_buf_ok(blocked))
        return -1;
    return nmissing;
}
