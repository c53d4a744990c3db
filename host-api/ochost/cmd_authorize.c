/* cmd_authorize.c - `ochost authorize`: token and scope check. */
#include <stdio.h>
#include <string.h>

#include "host-api/ochost/commands.h"
#include "host-api/ochost/output.h"
#include "host-api/ochost/status.h"

/* Labels for the fields we know; any other field prints as its key with
 * spaces, so new fields from the plugin show up without a change here. */
static const struct {
    const char *key, *label;
} labels[] = {
    {"portal_id", "portal id"},         {"hub_id", "hub id"},
    {"time_zone", "time zone"},         {"timezone", "time zone"},
    {"scopes", "granted scopes"},       {"granted_scopes", "granted scopes"},
    {"scopes_granted", "granted scopes"}, {"scopes_missing", "missing scopes"},
    {"missing_scopes", "missing scopes"}, {"app_id", "app id"},
    {"blocked", "blocked capabilities"},
    {"user", "user"},
};

struct auth_ctx {
    int json;
    int seen;
    struct kit_buf scratch;
};

static void print_human(const struct oc_record *r)
{
    for(size_t i = 0; i < r->nfields; i++) {
        const struct oc_field *f = &r->fields[i];
        const char *label = NULL;
        if(!f->key)
            continue;
        for(size_t k = 0; k < sizeof labels / sizeof labels[0]; k++)
            if(strcmp(labels[k].key, f->key) == 0)
                label = labels[k].label;
        if(label)
            printf("%s: ", label);
        else {
            for(const char *p = f->key; *p; p++)
                putchar(*p == '_' ? ' ' : *p);
            printf(": ");
        }
        const char *v = f->type == OC_FIELD_NULL || !f->value ? "" : f->value;
        printf("%s\n", *v ? v : "(none)");
    }
}

static oc_status sink(void *ctx, const struct oc_record *r)
{
    struct auth_ctx *a = ctx;
    if(!r->kind || strcmp(r->kind, "authorization") != 0)
        return OC_OK;
    a->seen++;
    if(a->json)
        return och_record_print(stdout, r, &a->scratch) ? OC_E_IO : OC_OK;
    print_human(r);
    return OC_OK;
}

int och_cmd_authorize(struct och_session *s, const struct och_cli *args)
{
    struct auth_ctx a = {args->json, 0, KIT_BUF_INIT};
    s->host.sink = sink;
    s->host.sink_ctx = &a;
    och_error_init(&s->err);
    oc_status rc = s->conn->authorize(s->inst, &s->err);
    s->host.sink = NULL;
    kit_buf_free(&a.scratch);
    if(rc)
        return och_session_report(s, rc);
    if(!a.seen)
        fprintf(stderr, "ochost: authorize: the token is valid, but the plugin sent no details\n");
    return 0;
}
