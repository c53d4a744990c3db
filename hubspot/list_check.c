/*
 * list_check.c - is the push's list one the API may add contacts to?
 *
 * Checked before any write, once per instance and list: HubSpot only lets
 * the API change MANUAL and SNAPSHOT lists (a DYNAMIC list's members come
 * from its filters), and ILS list ids differ from the legacy v1 ids many
 * publishers still have written down. Finding that out after 30,000
 * upserts would waste the calls and leave contacts half pushed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/list_check.h"

#include "hubspot/api_paths.h"
#include "hubspot/host.h"
#include "hubspot/statekv.h"
#include "plugin/error.h"

/* ILS list ids are decimal numbers; anything else is a typo or a list
 * name, caught without spending a call. */
static int plausible_id(const char *id)
{
    if(!id || !*id || strlen(id) > 20)
        return 0;
    for(const char *p = id; *p; p++)
        if(*p < '0' || *p > '9')
            return 0;
    return 1;
}

static int already_checked(const struct hs_list_checked *c, const char *id)
{
    for(size_t i = 0; i < c->n; i++)
        if(!strcmp(c->id[i], id))
            return 1;
    return 0;
}

static void remember(struct hs_list_checked *c, const char *id)
{
    char *copy = strdup(id);
    if(!copy)
        return; /* only costs a second check later */
    if(c->n == HS_PUSH_CHECKED_MAX) {
        free(c->id[0]);
        memmove(c->id, c->id + 1, (HS_PUSH_CHECKED_MAX - 1) * sizeof *c->id);
        c->n--;
    }
    c->id[c->n++] = copy;
}

void hs_push_list_checked_free(struct hs_list_checked *c)
{
    for(size_t i = 0; i < c->n; i++)
        free(c->id[i]);
    memset(c, 0, sizeof *c);
}

oc_status hs_push_list_judge(const struct kit_json *j, const char *id, struct oc_error *err)
{
    int list = kit_json_get(j, 0, "list");
    /* The SPEC wraps it in {"list": ...}; accept a bare object too. */
    if(list < 0 || kit_json_type(j, list) != KIT_JSON_OBJECT)
        list = 0;
    if(kit_json_type(j, list) != KIT_JSON_OBJECT)
        return kit_fail(err, OC_E_PROTOCOL,
                       "the answer for list %s has no list object; rerun later, "
                       "and report it if it persists",
                       id);
    char name[128] = "", type[32] = "", object[32] = "";
    char *s;
    if((s = kit_json_strdup(j, kit_json_get(j, list, "name")))) {
        snprintf(name, sizeof name, "%s", s);
        free(s);
    }
    if((s = kit_json_strdup(j, kit_json_get(j, list, "processingType")))) {
        snprintf(type, sizeof type, "%s", s);
        free(s);
    }
    int ot = kit_json_get(j, list, "objectTypeId");
    if((s = kit_json_strdup(j, ot))) {
        snprintf(object, sizeof object, "%s", s);
        free(s);
    } else if(ot >= 0 && kit_json_type(j, ot) != KIT_JSON_NULL) {
        /* Present but unreadable (\u0000, an object): not provably
         * contacts, so not "unstated" either. */
        snprintf(object, sizeof object, "(unreadable)");
    }
    if(object[0] && strcmp(object, "0-1"))
        return kit_fail(err, OC_E_CONFIG,
                       "list %s (\"%s\") holds records of object type %s, not contacts (0-1); "
                       "push adds contacts: give the id of a contact list",
                       id, name, object);
    if(!strcmp(type, "MANUAL") || !strcmp(type, "SNAPSHOT"))
        return OC_OK;
    if(!strcmp(type, "DYNAMIC"))
        return kit_fail(err, OC_E_CONFIG,
                       "list %s (\"%s\") is a DYNAMIC (active) list: its members come from its "
                       "filters, and HubSpot only lets the API add contacts to MANUAL and SNAPSHOT "
                       "(static) lists. Nothing was written. Use a static list, or change the "
                       "list's filters so they match the contacts instead",
                       id, name);
    if(!type[0])
        return kit_fail(err, OC_E_PROTOCOL,
                       "the answer for list %s has no processingType; cannot tell "
                       "whether contacts may be added, so nothing was written",
                       id);
    return kit_fail(err, OC_E_CONFIG,
                   "list %s (\"%s\") has processingType %s; HubSpot only lets the API add "
                   "contacts to MANUAL and SNAPSHOT lists, so nothing was written",
                   id, name, type);
}

/* The state key that says when list_id was last found usable: runs that
 * share a state file skip the check for cache_ttl_ms after it. */
static void state_key(char *key, size_t size, const char *list_id)
{
    snprintf(key, size, "push/list_ok/%s", list_id);
}

static int state_says_usable(struct oc_instance *in, const char *list_id)
{
    char key[64], *val;
    size_t len;
    if(in->opt.cache_ttl_ms <= 0)
        return 0;
    state_key(key, sizeof key, list_id);
    if(hs_state_read(in, key, &val, &len))
        return 0;
    char *end;
    long long at = strtoll(val, &end, 10);
    int ok = end != val && !*end;
    free(val);
    int64_t now = hs_now_ms(in);
    return ok && at <= now && now - at < in->opt.cache_ttl_ms;
}

static void state_remember(struct oc_instance *in, const char *list_id)
{
    char key[64], val[32];
    if(in->opt.cache_ttl_ms <= 0)
        return;
    state_key(key, sizeof key, list_id);
    int n = snprintf(val, sizeof val, "%lld", (long long)hs_now_ms(in));
    if(hs_state_write(in, key, val, (size_t)n))
        hs_log(in, OC_LOG_WARN, "push: could not save that list %s was checked; the next run checks "
                                "it again", list_id);
}

void hs_push_list_forget(struct oc_instance *in, struct hs_list_checked *c, const char *list_id)
{
    char key[64];
    state_key(key, sizeof key, list_id);
    if(in->host && in->host->state_put)
        in->host->state_put(in->host->ctx, key, NULL, 0);
    for(size_t i = 0; i < c->n; i++) {
        if(!strcmp(c->id[i], list_id)) {
            free(c->id[i]);
            memmove(c->id + i, c->id + i + 1, (c->n - i - 1) * sizeof *c->id);
            c->n--;
            return;
        }
    }
}

oc_status hs_push_list_check(struct oc_instance *in, struct hs_list_checked *checked,
                             const char *list_id, struct oc_error *err)
{
    if(!plausible_id(list_id))
        return kit_fail(err, OC_E_CONFIG,
                       "list id '%s' is not a HubSpot list id: give the number from the list's "
                       "URL in HubSpot (.../objectLists/<id>/...), not its name",
                       list_id ? list_id : "");
    if(already_checked(checked, list_id))
        return OC_OK;
    if(state_says_usable(in, list_id)) {
        remember(checked, list_id);
        return OC_OK;
    }

    struct kit_buf path = KIT_BUF_INIT;
    struct kit_http_req r;
    kit_http_req_init(&r, "GET", NULL, NULL, 0, "lists.get");
    oc_status rc = OC_OK;
    hs_api_path(&path, in->opt.api, HS_EP_LIST, list_id);
    kit_buf_puts(&path, "?includeFilters=false");
    if(!kit_buf_ok(&path)) {
        rc = kit_fail(err, OC_E_NOMEM, "out of memory checking list %s", list_id);
        goto out;
    }
    r.path = kit_buf_str(&path);
    rc = kit_http_call(in->http, &r, err);
    if(rc == OC_E_NOT_FOUND) {
        rc = kit_fail(err, OC_E_CONFIG,
                     "list %s not found in this HubSpot account; nothing was written. Note that "
                     "legacy v1 list ids (legacyListId) are not v3 (ILS) list ids: find the list "
                     "id in the list's URL in HubSpot (.../objectLists/<id>/...), or map a legacy "
                     "id with GET %s?legacyListId=<id>",
                     list_id, hs_api_template(in->opt.api, HS_EP_LIST_IDMAPPING));
    } else if(rc == OC_E_AUTH) {
        char said[OC_ERROR_MESSAGE_SIZE];
        snprintf(said, sizeof said, "%s", err->message);
        rc = kit_fail(err, OC_E_AUTH,
                     "cannot read list %s, so nothing was written: push needs the scopes "
                     "crm.lists.read and crm.lists.write (and crm.objects.contacts.write); "
                     "HubSpot said: %.300s",
                     list_id, said);
        if(KIT_ERR_HAS(err, category))
            err->http_status = (int)r.status;
    } else if(rc == OC_OK) {
        rc = hs_push_list_judge(&r.json, list_id, err);
        if(rc == OC_OK) {
            remember(checked, list_id);
            state_remember(in, list_id);
        }
    }
out:
    kit_http_req_free(&r);
    kit_buf_free(&path);
    return rc;
}
