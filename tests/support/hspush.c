/* hspush.c - a stateful HubSpot stand-in for the push; see hspush.h. */
#include "tests/support/hspush.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/json.h"
#include "tests/support/apiver.h"

#define ID_BASE 5000

/* The portal's properties as GET /crm/v3/properties/contacts shows them:
 * writable ones, a read-only and a calculated one. */
static const char PROPS_BODY[] =
    "{\"results\":["
    "{\"name\":\"email\",\"label\":\"Email\",\"type\":\"string\",\"hidden\":false,"
    "\"calculated\":false,\"modificationMetadata\":{\"readOnlyValue\":false}},"
    "{\"name\":\"firstname\",\"label\":\"First Name\",\"type\":\"string\",\"hidden\":false,"
    "\"calculated\":false,\"modificationMetadata\":{\"readOnlyValue\":false}},"
    "{\"name\":\"lastname\",\"label\":\"Last Name\",\"type\":\"string\",\"hidden\":false,"
    "\"calculated\":false,\"modificationMetadata\":{\"readOnlyValue\":false}},"
    "{\"name\":\"company\",\"label\":\"Company Name\",\"type\":\"string\",\"hidden\":false,"
    "\"calculated\":false,\"modificationMetadata\":{\"readOnlyValue\":false}},"
    "{\"name\":\"favourite_topic\",\"label\":\"Favourite topic\",\"type\":\"string\","
    "\"hidden\":false,\"calculated\":false,\"modificationMetadata\":{\"readOnlyValue\":false}},"
    "{\"name\":\"hs_object_id\",\"label\":\"Record ID\",\"type\":\"number\",\"hidden\":false,"
    "\"calculated\":false,\"modificationMetadata\":{\"readOnlyValue\":true}},"
    "{\"name\":\"num_notes\",\"label\":\"Number of Sales Activities\",\"type\":\"number\","
    "\"hidden\":false,\"calculated\":true,\"modificationMetadata\":{\"readOnlyValue\":false}}"
    "]}";

int hspush_init(struct hspush *h)
{
    memset(h, 0, sizeof *h);
    h->version = apiver();
    return pthread_mutex_init(&h->mu, NULL) ? -1 : 0;
}

void hspush_reset(struct hspush *h)
{
    /* Under the lock: the server's threads last wrote these, and the
     * test knows they are done only through another process. */
    pthread_mutex_lock(&h->mu);
    for(size_t i = 0; i < h->n; i++)
        free(h->emails[i]);
    free(h->emails);
    free(h->member);
    free(h->index);
    h->emails = NULL;
    h->member = NULL;
    h->index = NULL;
    h->n = h->cap = h->icap = 0;
    memset(h->calls, 0, sizeof h->calls);
    pthread_mutex_unlock(&h->mu);
}

void hspush_free(struct hspush *h)
{
    hspush_reset(h);
    pthread_mutex_destroy(&h->mu);
    memset(h, 0, sizeof *h);
}

unsigned long hspush_calls(struct hspush *h, int e)
{
    unsigned long n = 0;
    pthread_mutex_lock(&h->mu);
    for(int i = 0; i < HSPUSH_NENDPOINTS; i++)
        if(e == HSPUSH_NENDPOINTS || e == i)
            n += h->calls[i];
    pthread_mutex_unlock(&h->mu);
    return n;
}

static size_t hash_of(const char *s)
{
    size_t x = 1469598103934665603u;
    for(; *s; s++)
        x = (x ^ (unsigned char)*s) * 1099511628211u;
    return x;
}

/* The index slot holding low, or the empty slot where it would go. */
static size_t *slot_of(struct hspush *h, const char *low)
{
    size_t i = hash_of(low) & (h->icap - 1);
    while(h->index[i] && strcmp(h->emails[h->index[i] - 1], low))
        i = (i + 1) & (h->icap - 1);
    return &h->index[i];
}

/* Keep the index at most half full: 0, or -1 on oom. */
static int index_room(struct hspush *h)
{
    if(2 * (h->n + 1) <= h->icap)
        return 0;
    size_t cap = h->icap ? 2 * h->icap : 128;
    size_t *old = h->index, ocap = h->icap;
    if(!(h->index = calloc(cap, sizeof *h->index))) {
        h->index = old;
        return -1;
    }
    h->icap = cap;
    for(size_t i = 0; i < ocap; i++)
        if(old[i])
            *slot_of(h, h->emails[old[i] - 1]) = old[i];
    free(old);
    return 0;
}

/* The contact index of email (lowercased into a copy), created when
 * absent (*created 1); -1 on oom. Under the lock. */
static long contact(struct hspush *h, const char *email, size_t len, int *created)
{
    char *low = strndup(email, len);
    if(!low || index_room(h)) {
        free(low);
        return -1;
    }
    for(char *p = low; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    *created = 0;
    size_t *slot = slot_of(h, low);
    if(*slot) {
        free(low);
        return (long)(*slot - 1);
    }
    if(h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 64;
        char **e = realloc(h->emails, cap * sizeof *e);
        if(e)
            h->emails = e;
        unsigned char *m = e ? realloc(h->member, cap) : NULL;
        if(!m) {
            free(low);
            return -1;
        }
        h->member = m;
        h->cap = cap;
    }
    h->emails[h->n] = low;
    h->member[h->n] = 0;
    *slot = h->n + 1;
    *created = 1;
    return (long)h->n++;
}

int hspush_refuse_invalid(struct kit_buf *errs, int *nerr, const char *email, size_t elen,
                          const char *trace, size_t tlen)
{
    if(elen <= 8 || memcmp(email + elen - 8, ".invalid", 8))
        return 0;
    kit_buf_printf(errs,
                   "%s{\"status\":\"error\",\"category\":\"VALIDATION_ERROR\","
                   "\"message\":\"Property values were not valid: [{\\\"isValid\\\":false,"
                   "\\\"message\\\":\\\"Email address %.*s is invalid\\\",\\\"error\\\":"
                   "\\\"INVALID_EMAIL\\\",\\\"name\\\":\\\"email\\\"}]\",\"context\":"
                   "{\"objectWriteTraceId\":[\"%.*s\"]}}",
                   (*nerr)++ ? "," : "", (int)elen, email, (int)tlen, trace);
    return 1;
}

int hspush_answer_plain(const struct fx_request *req, struct fx_response *resp, const char *list_name)
{
    int get = !strcmp(req->method, "GET"), put = !strcmp(req->method, "PUT");
    if(!get && !put)
        return 0;
    resp->status = 200;
    kit_buf_puts(&resp->headers, "Content-Type: application/json\r\n");
    if(put) {
        kit_buf_puts(&resp->body, "{\"recordsIdsAdded\":");
        kit_buf_append(&resp->body, req->body, req->body_len);
        kit_buf_puts(&resp->body, ",\"recordIdsMissing\":[]}");
    } else if(!strcmp(req->path, apiver_path(HS_EP_CONTACT_PROPERTIES))) {
        kit_buf_puts(&resp->body, "{\"results\":[{\"name\":\"firstname\",\"label\":\"First "
                                  "Name\",\"modificationMetadata\":{\"readOnlyValue\":false}}]}");
    } else {
        kit_buf_printf(&resp->body, "{\"list\":{\"listId\":\"" HSPUSH_LIST "\",\"name\":\"%s\","
                                    "\"objectTypeId\":\"0-1\",\"processingType\":\"MANUAL\"}}",
                       list_name);
    }
    return 1;
}

static int upsert(struct hspush *h, const struct kit_json *j, struct kit_buf *body, int *status)
{
    struct kit_buf res = KIT_BUF_INIT, errs = KIT_BUF_INIT;
    int inputs = kit_json_get(j, 0, "inputs"), nres = 0, nerr = 0;
    for(int i = 0, t = inputs + 1; i < kit_json_size(j, inputs); i++, t = kit_json_skip(j, t)) {
        size_t elen, tlen;
        const char *email = kit_json_raw(j, kit_json_get(j, t, "id"), &elen);
        const char *trace = kit_json_raw(j, kit_json_get(j, t, "objectWriteTraceId"), &tlen);
        if(!email || !trace)
            continue;
        if(hspush_refuse_invalid(&errs, &nerr, email, elen, trace, tlen))
            continue;
        int created;
        long k = contact(h, email, elen, &created);
        if(k < 0)
            continue;
        kit_buf_printf(&res,
                      "%s{\"id\":\"%ld\",\"properties\":{\"email\":\"%s\"},\"new\":%s,"
                      "\"objectWriteTraceId\":\"%.*s\"}",
                      nres++ ? "," : "", ID_BASE + k, h->emails[k], created ? "true" : "false",
                      (int)tlen, trace);
    }
    *status = nerr ? 207 : 200;
    kit_buf_printf(body, "{\"status\":\"COMPLETE\",\"results\":[%s]", kit_buf_str(&res));
    if(nerr)
        kit_buf_printf(body, ",\"numErrors\":%d,\"errors\":[%s]", nerr, kit_buf_str(&errs));
    kit_buf_puts(body, "}");
    int ok = kit_buf_ok(&res) && kit_buf_ok(&errs);
    kit_buf_free(&res);
    kit_buf_free(&errs);
    return ok ? 0 : -1;
}

static void add(struct hspush *h, const struct kit_json *j, struct kit_buf *body)
{
    struct kit_buf added = KIT_BUF_INIT, missing = KIT_BUF_INIT;
    for(int i = 0, t = 1; i < kit_json_size(j, 0); i++, t = kit_json_skip(j, t)) {
        int64_t id = -1;
        kit_json_int64(j, t, &id);
        struct kit_buf *to = &missing;
        if(id >= ID_BASE && (size_t)(id - ID_BASE) < h->n) {
            size_t k = (size_t)(id - ID_BASE);
            if(h->member[k])
                continue; /* already a member: named in neither list */
            h->member[k] = 1;
            to = &added;
        }
        kit_buf_printf(to, "%s\"%lld\"", to->len ? "," : "", (long long)id);
    }
    kit_buf_printf(body, "{\"recordsIdsAdded\":[%s],\"recordIdsRemoved\":[],\"recordIdsMissing\":[%s]}",
                   kit_buf_str(&added), kit_buf_str(&missing));
    kit_buf_free(&added);
    kit_buf_free(&missing);
}

int hspush_handler(void *ctx, const struct fx_request *req, struct fx_response *resp)
{
    struct hspush *h = ctx;
    int rc = 0;
    struct kit_json j = {0};
    /* Matched as its v3 twin, so the answers below are written once. */
    struct kit_buf v3 = KIT_BUF_INIT;
    const char *path = "";
    if(h->version == HS_API_V3)
        path = req->path;
    else if(!hs_api_path_translate(req->path, h->version, HS_API_V3, &v3) && kit_buf_ok(&v3))
        path = kit_buf_str(&v3);
    pthread_mutex_lock(&h->mu);
    kit_buf_puts(&resp->headers, "Content-Type: application/json;charset=utf-8\r\n");
    resp->status = 200;
    if(!strcmp(req->method, "GET") && !strcmp(path, "/crm/v3/lists/" HSPUSH_LIST)) {
        h->calls[HSPUSH_LIST_GET]++;
        kit_buf_puts(&resp->body, "{\"list\":{\"listId\":\"" HSPUSH_LIST "\",\"name\":\"Sign-ups\","
                                 "\"objectTypeId\":\"0-1\",\"processingType\":\"MANUAL\"}}");
    } else if(!strcmp(req->method, "GET") && !strcmp(path, "/crm/v3/properties/contacts")) {
        h->calls[HSPUSH_PROPS_GET]++;
        kit_buf_puts(&resp->body, PROPS_BODY);
    } else if(!strcmp(req->method, "POST") &&
              !strcmp(path, "/crm/v3/objects/contacts/batch/upsert") &&
              !kit_json_parse(&j, req->body, req->body_len, NULL, 0)) {
        h->calls[HSPUSH_UPSERT]++;
        rc = upsert(h, &j, &resp->body, &resp->status);
    } else if(!strcmp(req->method, "PUT") &&
              !strcmp(path, "/crm/v3/lists/" HSPUSH_LIST "/memberships/add") &&
              !kit_json_parse(&j, req->body, req->body_len, NULL, 0)) {
        h->calls[HSPUSH_ADD]++;
        add(h, &j, &resp->body);
    } else {
        h->calls[HSPUSH_OTHER]++;
        rc = -1;
    }
    pthread_mutex_unlock(&h->mu);
    kit_json_free(&j);
    kit_buf_free(&v3);
    return rc || !kit_buf_ok(&resp->body) ? -1 : 0;
}
