/*
 * props_check.c - may the push write these contact properties? See
 * props_check.h.
 *
 * Why before the first write: HubSpot refuses a whole upsert batch for
 * one property it does not know (or may not write), so a bad column on
 * every row used to fail every batch after its split retries. One call
 * for the portal's properties answers it for every column at once.
 *
 * What counts as writable (API-NOTES.md, "Contact properties"): a
 * property HubSpot lists, whose modificationMetadata.readOnlyValue is not
 * true and which is not calculated. Hidden properties are only hidden
 * from HubSpot's UI and stay writable.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/props_check.h"

#include "hubspot/api_paths.h"
#include "hubspot/host.h"
#include "hubspot/statekv.h"
#include "plugin/error.h"
#include "plugin/nearest.h"

#define PROPS_ENDPOINT "properties.contacts.get"
#define NAME_MAX_NORM 64

void hs_props_catalog_free(struct hs_props_catalog *c)
{
    kit_json_free(&c->j);
    free(c->text);
    memset(c, 0, sizeof *c);
}

void hs_props_catalog_new_push(struct hs_props_catalog *c) { c->fetched = 0; }

int hs_props_writable(const struct kit_json *j, int p)
{
    int meta = kit_json_get(j, p, "modificationMetadata");
    if(meta >= 0 && kit_json_bool(j, kit_json_get(j, meta, "readOnlyValue")) == 1)
        return 0;
    return kit_json_bool(j, kit_json_get(j, p, "calculated")) != 1;
}

/* Adopt text (owned from here on) as c's catalog when it is one and no
 * older than the TTL at now. 0 adopted, -1 not (text freed). */
static int adopt(struct hs_props_catalog *c, char *text, size_t len, int64_t now)
{
    struct kit_json j = {0};
    int64_t at = 0;
    if(kit_json_parse(&j, text, len, NULL, 0) || kit_json_type(&j, 0) != KIT_JSON_OBJECT ||
       kit_json_int64(&j, kit_json_get(&j, 0, "at"), &at) ||
       kit_json_type(&j, kit_json_get(&j, 0, "p")) != KIT_JSON_ARRAY || at > now ||
       now - at >= HS_PROPS_TTL_MS) {
        kit_json_free(&j);
        free(text);
        return -1;
    }
    hs_props_catalog_free(c);
    c->text = text;
    c->len = len;
    c->j = j;
    c->at = at;
    return 0;
}

static int fresh(const struct hs_props_catalog *c, int64_t now)
{
    return c->text && c->at <= now && now - c->at < HS_PROPS_TTL_MS;
}

static void load_state(struct oc_instance *in, struct hs_props_catalog *c, int64_t now)
{
    char *text;
    size_t len;
    if(hs_state_read(in, HS_PROPS_STATE_KEY, &text, &len))
        return;
    if(adopt(c, text, len, now))
        hs_log(in, OC_LOG_DEBUG, "push: the saved contact properties (state %s) are old or "
                                 "unreadable; asking HubSpot again", HS_PROPS_STATE_KEY);
}

static oc_status fetch(struct oc_instance *in, struct hs_props_catalog *c, int64_t now,
                       struct oc_error *err)
{
    struct kit_http_req r;
    struct kit_buf out = KIT_BUF_INIT, s = KIT_BUF_INIT;
    const char *props_path = hs_api_template(in->opt.api, HS_EP_CONTACT_PROPERTIES);
    kit_http_req_init(&r, "GET", props_path, NULL, 0, PROPS_ENDPOINT);
    oc_status rc = kit_http_call(in->http, &r, err);
    if(rc == OC_E_AUTH) {
        char said[OC_ERROR_MESSAGE_SIZE];
        snprintf(said, sizeof said, "%s", err->message);
        rc = kit_fail(err, OC_E_AUTH,
                     "cannot read the portal's contact properties, so nothing was written: the "
                     "push checks its columns with GET %s (scope "
                     "crm.objects.contacts.read); HubSpot said: %.300s",
                     props_path, said);
        goto out;
    }
    if(rc)
        goto out;
    int res = kit_json_get(&r.json, 0, "results");
    if(kit_json_type(&r.json, res) != KIT_JSON_ARRAY) {
        rc = kit_fail(err, OC_E_PROTOCOL,
                     "GET %s answered without a results array; cannot check the "
                     "push's columns, so nothing was written; rerun later",
                     props_path);
        goto out;
    }
    struct kit_jw w;
    kit_jw_init(&w, &out);
    kit_jw_obj(&w);
    kit_jw_kint(&w, "at", now);
    kit_jw_key(&w, "p");
    kit_jw_arr(&w);
    for(int i = 0, p = res + 1; i < kit_json_size(&r.json, res); i++, p = kit_json_skip(&r.json, p)) {
        int name = kit_json_get(&r.json, p, "name");
        if(kit_json_type(&r.json, name) != KIT_JSON_STRING)
            continue;
        kit_jw_arr(&w);
        kit_buf_reset(&s);
        kit_json_str(&r.json, name, &s);
        kit_jw_strn(&w, kit_buf_str(&s), s.len);
        kit_buf_reset(&s);
        int label = kit_json_get(&r.json, p, "label");
        if(kit_json_type(&r.json, label) == KIT_JSON_STRING)
            kit_json_str(&r.json, label, &s);
        kit_jw_strn(&w, kit_buf_str(&s), s.len);
        kit_jw_int(&w, hs_props_writable(&r.json, p));
        kit_jw_arr_end(&w);
    }
    kit_jw_arr_end(&w);
    kit_jw_obj_end(&w);
    if(kit_jw_error(&w) || !kit_buf_ok(&out) || !kit_buf_ok(&s)) {
        rc = kit_fail(err, OC_E_NOMEM, "out of memory reading the portal's contact properties");
        goto out;
    }
    size_t len = out.len;
    char *text = kit_buf_take(&out);
    if(!text || adopt(c, text, len, now)) {
        rc = kit_fail(err, OC_E_NOMEM, "out of memory keeping the portal's contact properties");
        goto out;
    }
    c->fetched = 1;
    oc_status src = hs_state_write(in, HS_PROPS_STATE_KEY, c->text, c->len);
    if(src)
        hs_log(in, OC_LOG_WARN,
               "push: could not save the portal's contact properties in state (status %d); the "
               "next run asks HubSpot again",
               src);
out:
    kit_http_req_free(&r);
    kit_buf_free(&out);
    kit_buf_free(&s);
    return rc;
}

/* The catalog entry (an array token) for name, or -1. */
static int find(const struct hs_props_catalog *c, const char *name)
{
    int arr = kit_json_get(&c->j, 0, "p");
    for(int i = 0, e = arr + 1; i < kit_json_size(&c->j, arr); i++, e = kit_json_skip(&c->j, e))
        if(kit_json_eq(&c->j, e + 1, name))
            return e;
    return -1;
}

static int entry_writable(const struct hs_props_catalog *c, int e)
{
    int64_t w = 0;
    return kit_json_int64(&c->j, kit_json_skip(&c->j, kit_json_skip(&c->j, e + 1)), &w) == 0 && w;
}

/* Letters and digits only, lowercased: "Favourite Topic", "favourite_topic"
 * and "FavouriteTopic" all read the same. */
static size_t normalize(const char *s, size_t n, char *out)
{
    size_t k = 0;
    for(size_t i = 0; i < n && k < NAME_MAX_NORM; i++) {
        char ch = s[i];
        if(ch >= 'A' && ch <= 'Z')
            out[k++] = (char)(ch - 'A' + 'a');
        else if((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
            out[k++] = ch;
    }
    return k;
}

/* The writable property whose name or label is nearest to name and close
 * enough, into out ("" when none). */
static void nearest(const struct hs_props_catalog *c, const char *name, struct kit_buf *out)
{
    char want[NAME_MAX_NORM], have[NAME_MAX_NORM];
    size_t wl = normalize(name, strlen(name), want), best_d = SIZE_MAX;
    int best = -1;
    int arr = kit_json_get(&c->j, 0, "p");
    for(int i = 0, e = arr + 1; i < kit_json_size(&c->j, arr); i++, e = kit_json_skip(&c->j, e)) {
        if(!entry_writable(c, e))
            continue;
        int toks[2] = {e + 1, kit_json_skip(&c->j, e + 1)};
        for(int k = 0; k < 2; k++) {
            size_t len;
            const char *raw = kit_json_raw(&c->j, toks[k], &len);
            if(!raw || !len)
                continue;
            size_t hl = normalize(raw, len, have);
            size_t d = kit_edit_distance(want, wl, have, hl);
            if(d < best_d && kit_close_enough(d, hl)) {
                best_d = d;
                best = e;
            }
        }
    }
    kit_buf_reset(out);
    if(best >= 0)
        kit_json_str(&c->j, best + 1, out);
}

/* The names c says the API may not write, described into msg; how many. */
static size_t judge(const struct hs_props_catalog *c, const char *const *names, size_t n,
                    size_t *unknown, struct kit_buf *msg)
{
    size_t bad = 0, shown = 0;
    struct kit_buf near = KIT_BUF_INIT;
    *unknown = 0;
    kit_buf_reset(msg);
    for(size_t i = 0; i < n; i++) {
        int e = find(c, names[i]);
        if(e >= 0 && entry_writable(c, e))
            continue;
        bad++;
        *unknown += e < 0;
        /* The error message has room for a few; the count says the rest. */
        if(msg->len > 220)
            continue;
        shown++;
        kit_buf_printf(msg, "%s'%s' (%s", bad > 1 ? ", " : "", names[i],
                       e < 0 ? "no such contact property" : "read-only: HubSpot sets it");
        nearest(c, names[i], &near);
        if(near.len && strcmp(kit_buf_str(&near), names[i]))
            kit_buf_printf(msg, "; nearest: %s", kit_buf_str(&near));
        kit_buf_putc(msg, ')');
    }
    if(bad > shown)
        kit_buf_printf(msg, " and %zu more", bad - shown);
    kit_buf_free(&near);
    return bad;
}

oc_status hs_props_check(struct oc_instance *in, struct hs_props_catalog *c,
                         const char *const *names, size_t n, struct oc_error *err)
{
    if(!n)
        return OC_OK;
    int64_t now = hs_now_ms(in);
    oc_status rc;
    if(!fresh(c, now))
        load_state(in, c, now);
    if(!fresh(c, now) && (rc = fetch(in, c, now, err)))
        return rc;
    struct kit_buf msg = KIT_BUF_INIT;
    size_t unknown;
    size_t bad = judge(c, names, n, &unknown, &msg);
    /* An answer from an earlier run may predate a property made since. */
    if(unknown && !c->fetched) {
        if((rc = fetch(in, c, now, err))) {
            kit_buf_free(&msg);
            return rc;
        }
        bad = judge(c, names, n, &unknown, &msg);
    }
    rc = OC_OK;
    if(!kit_buf_ok(&msg))
        rc = kit_fail(err, OC_E_NOMEM, "out of memory checking the push's columns");
    else if(bad)
        rc = kit_fail(err, OC_E_CONFIG,
                     "nothing was written: %s input column%s %s no contact propert%s the API "
                     "may write: %s. Send each to a property's internal name or leave it out "
                     "(ochost: --map 'Column=property' or 'Column='), or create the property in "
                     "HubSpot (Settings > Properties)",
                     bad == 1 ? "an" : "these", bad == 1 ? "" : "s", bad == 1 ? "names" : "name",
                     bad == 1 ? "y" : "ies", kit_buf_str(&msg));
    kit_buf_free(&msg);
    return rc;
}
