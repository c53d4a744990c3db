/* apierror.c - see apierror.h. */
#include "hubspot/apierror.h"

#include <stdio.h>
#include <string.h>

#include "hubspot/api_paths.h"
#include "plugin/buf.h"
#include "plugin/error.h"
#include "plugin/retry.h"

/* Room left for the advice in a 512-byte message. */
#define SAID_MAX 220

oc_status hs_api_status(long s)
{
    if(s == 530)
        return OC_E_AUTH;
    if(s == 477)
        return OC_E_TRANSIENT;
    return kit_http_status(s);
}

int hs_api_retryable(long s)
{
    return s == 477 || (s != 530 && kit_retry_status(s));
}

/* Indexed by enum hs_rate_policy. */
static const char *const policy_names[] = {"unknown", "TEN_SECONDLY_ROLLING", "SECONDLY", "DAILY"};

enum hs_rate_policy hs_rate_policy_parse(const char *name)
{
    for(int p = HS_POLICY_TEN_SECONDLY; name && p <= HS_POLICY_DAILY; p++)
        if(!strcmp(name, policy_names[p]))
            return (enum hs_rate_policy)p;
    return HS_POLICY_UNKNOWN;
}

const char *hs_rate_policy_name(enum hs_rate_policy p)
{
    return p >= HS_POLICY_UNKNOWN && p <= HS_POLICY_DAILY ? policy_names[p] : policy_names[0];
}

static int have(const struct kit_json *j) { return j && j->ntok > 0 && kit_json_type(j, 0) == KIT_JSON_OBJECT; }

const char *hs_api_field(const struct kit_json *j, const char *key, char *out, size_t size)
{
    out[0] = '\0';
    if(!have(j) || size == 0)
        return out;
    int t = kit_json_get(j, 0, key);
    if(t < 0 || kit_json_type(j, t) != KIT_JSON_STRING)
        return out;
    struct kit_buf b = KIT_BUF_INIT;
    if(!kit_json_str(j, t, &b))
        snprintf(out, size, "%s", kit_buf_str(&b));
    kit_buf_free(&b);
    kit_text_clean(out);
    return out;
}

/* Append the strings of array arr joined by ", ". */
static void join(const struct kit_json *j, int arr, struct kit_buf *out)
{
    int t = arr + 1;
    for(int i = 0; i < kit_json_size(j, arr); i++, t = kit_json_skip(j, t)) {
        if(i)
            kit_buf_puts(out, ", ");
        kit_json_str(j, t, out);
    }
}

/* "; <message> (in <field>)" for each errors[] detail, which is where a
 * validation error names the offending input. */
static void details(const struct kit_json *j, struct kit_buf *out)
{
    int arr = kit_json_get(j, 0, "errors");
    if(arr < 0 || kit_json_type(j, arr) != KIT_JSON_ARRAY)
        return;
    int t = arr + 1;
    for(int i = 0; i < kit_json_size(j, arr) && i < 5; i++, t = kit_json_skip(j, t)) {
        int m = kit_json_get(j, t, "message");
        if(m < 0)
            continue;
        kit_buf_puts(out, "; ");
        kit_json_str(j, m, out);
        int in = kit_json_get(j, t, "in");
        if(in >= 0 && kit_json_type(j, in) == KIT_JSON_STRING) {
            kit_buf_puts(out, " (in ");
            kit_json_str(j, in, out);
            kit_buf_puts(out, ")");
        }
    }
}

oc_status hs_api_error(struct oc_error *err, oc_status rc, const char *what, long status,
                       const struct kit_json *j, const char *header_cid, int attempts)
{
    char category[OC_ERROR_ID_SIZE], cid[OC_ERROR_ID_SIZE], policy[64];
    hs_api_field(j, "category", category, sizeof category);
    if(!category[0])
        hs_api_field(j, "errorType", category, sizeof category);
    hs_api_field(j, "correlationId", cid, sizeof cid);
    if(!cid[0] && header_cid)
        snprintf(cid, sizeof cid, "%s", header_cid);
    hs_api_field(j, "policyName", policy, sizeof policy);

    struct kit_buf msg = KIT_BUF_INIT;
    kit_buf_printf(&msg, "%s: HTTP %ld", what, status);
    if(category[0])
        kit_buf_printf(&msg, " %s", category);
    if(attempts > 1)
        kit_buf_printf(&msg, " after %d attempts", attempts);
    /* HubSpot's own words, trimmed so the advice below always fits. */
    struct kit_buf said = KIT_BUF_INIT;
    int mt = have(j) ? kit_json_get(j, 0, "message") : -1;
    if(mt >= 0 && kit_json_type(j, mt) == KIT_JSON_STRING)
        kit_json_str(j, mt, &said);
    int scopes = -1;
    if(have(j)) {
        scopes = kit_json_path(j, 0, "context.missingScopes");
        if(scopes >= 0 && kit_json_type(j, scopes) != KIT_JSON_ARRAY)
            scopes = -1;
        details(j, &said);
    }
    if(said.len > SAID_MAX) {
        size_t n = SAID_MAX;
        while(n > 0 && ((unsigned char)said.data[n] & 0xc0) == 0x80)
            n--; /* never cut a UTF-8 sequence */
        said.len = n;
        said.data[n] = '\0';
        kit_buf_puts(&said, "...");
    }
    if(said.len) {
        kit_buf_puts(&msg, ": ");
        kit_buf_append(&msg, said.data, said.len);
    }
    kit_buf_free(&said);

    /* What to do, by status. */
    if(status == 401) {
        kit_buf_puts(&msg, ". The access token is invalid or expired: create a new one in HubSpot "
                          "(Settings > Integrations > Private Apps, or Service Keys) and configure it");
    } else if(status == 530) {
        kit_buf_puts(&msg, ". The access token is malformed: copy the whole token again from HubSpot "
                          "(Settings > Integrations > Private Apps, or Service Keys)");
    } else if(status == 403) {
        if(scopes >= 0 && kit_json_size(j, scopes) > 0) {
            kit_buf_puts(&msg, ". Missing scopes: ");
            join(j, scopes, &msg);
            kit_buf_puts(&msg, "; add them to the private app in HubSpot (Settings > Integrations > "
                              "Private Apps) and use the token it shows after saving");
        } else {
            kit_buf_puts(&msg, ". The token is not allowed to do this: check the private app's "
                              "scopes and the account's permissions in HubSpot");
        }
    } else if(status >= 300 && status < 400) {
        kit_buf_puts(&msg, ". Redirects are not followed (the token must not be sent anywhere "
                          "else): check base_url, it should be " HS_API_ROOT_URL);
    } else if(status == 404) {
        kit_buf_puts(&msg, ". Not found: check the id or path");
    } else if(status == 429 && hs_rate_policy_parse(policy) == HS_POLICY_DAILY) {
        kit_buf_puts(&msg, ". HubSpot's daily API limit is used up; it resets at midnight in the "
                          "account's time zone: resume then (state is saved)");
    } else if(rc == OC_E_TRANSIENT) {
        kit_buf_puts(&msg, ". HubSpot is unavailable or busy: rerun later, nothing was lost");
    } else if(rc == OC_E_INVALID) {
        kit_buf_puts(&msg, ". HubSpot refused the request: fix what it names above");
    }
    if(cid[0])
        kit_buf_printf(&msg, " (correlationId %s)", cid);

    kit_fail(err, rc, "%s", kit_buf_ok(&msg) ? kit_buf_str(&msg) : what);
    kit_buf_free(&msg);
    if(KIT_ERR_HAS(err, category)) {
        err->http_status = (int)status;
        kit_error_ids(err, cid, category);
        err->retryable = rc == OC_E_TRANSIENT || rc == OC_E_BUDGET;
    }
    return rc;
}
