/*
 * push_item.c - the push's items and results, and what a request's answer
 * means for the run (see push_item.h). It calls only host.c and the kit.
 */
#include "hubspot/push_item.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubspot/host.h"
#include "plugin/error.h"

static void item_free_one(struct hs_push_item *it)
{
    free(it->input);
    free(it->email);
    free(it->key);
    free(it->json);
    free(it->record_id);
    free(it->error);
    free(it);
}

void hs_push_item_free(struct hs_push_item *it)
{
    if(!it)
        return;
    /* Copies never have copies of their own: one level. */
    for(struct hs_push_item *c = it->copies, *next; c; c = next) {
        next = c->copy_next;
        item_free_one(c);
    }
    item_free_one(it);
}

void hs_push_item_fail(struct hs_push_item *it, const char *fmt, ...)
{
    struct kit_buf b = KIT_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    kit_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    free(it->error);
    it->error = kit_buf_take(&b);
    if(!it->error)
        it->error = strdup("failed (out of memory while describing why)");
    it->status = HS_PUSH_FAILED;
}

static const char *status_name(int s)
{
    return s == HS_PUSH_ADDED ? "added" : s == HS_PUSH_ALREADY ? "already_member" : "failed";
}

oc_status hs_push_result_emit(struct oc_instance *in, const char *input, const char *email,
                              const char *id, int status, const char *error)
{
    struct oc_field f[5];
    size_t n = 0;
    f[n++] = (struct oc_field){"input", input, OC_FIELD_STRING};
    if(email)
        f[n++] = (struct oc_field){"email", email, OC_FIELD_STRING};
    if(id)
        f[n++] = (struct oc_field){"id", id, OC_FIELD_STRING};
    f[n++] = (struct oc_field){"status", status_name(status), OC_FIELD_STRING};
    if(status == HS_PUSH_FAILED)
        f[n++] = (struct oc_field){"error", error ? error : "failed", OC_FIELD_STRING};
    return hs_emit(in, "push_result", input, f, n);
}

int hs_push_is_stop(oc_status rc)
{
    /* Each of these would hit every following call too: budget or daily
     * limit used up, HubSpot unreachable past retries, token refused, TLS
     * broken, the host cancelling, or our memory gone. */
    return rc == OC_E_BUDGET || rc == OC_E_TRANSIENT || rc == OC_E_AUTH || rc == OC_E_CONFIG ||
           rc == OC_E_CANCELLED || rc == OC_E_NOMEM;
}

static oc_status req_failv(struct oc_error *err, const struct kit_http_req *r, oc_status rc,
                           const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
static oc_status req_failv(struct oc_error *err, const struct kit_http_req *r, oc_status rc,
                           const char *fmt, va_list ap)
{
    char msg[OC_ERROR_MESSAGE_SIZE];
    vsnprintf(msg, sizeof msg, fmt, ap);
    kit_fail(err, rc, "%s", msg);
    if(KIT_ERR_HAS(err, category)) {
        err->http_status = r->status ? (int)r->status : r->err.http_status;
        err->retryable = r->err.retryable;
        err->retry_after_ms = r->err.retry_after_ms;
        memcpy(err->correlation_id, r->err.correlation_id, sizeof err->correlation_id);
        memcpy(err->category, r->err.category, sizeof err->category);
    }
    return rc;
}

oc_status hs_push_req_fail(struct oc_error *err, const struct kit_http_req *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    oc_status rc = req_failv(err, r, r->rc, fmt, ap);
    va_end(ap);
    return rc;
}

oc_status hs_push_req_stop(struct oc_error *err, const struct kit_http_req *r, oc_status rc,
                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    req_failv(err, r, rc, fmt, ap);
    va_end(ap);
    return rc;
}
