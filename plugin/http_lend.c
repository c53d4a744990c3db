/*
 * http_lend.c - one answer buffer and one token array for every page of
 * a paged read (see http_lend.h).
 */
#include "plugin/http_lend.h"

#include <string.h>

void kit_http_lender_init(struct kit_http_lender *l, size_t body_start, size_t body_keep,
                          size_t tokens_keep)
{
    memset(l, 0, sizeof *l);
    kit_buf_init(&l->body);
    l->body_start = body_start;
    l->body_keep = body_keep;
    l->tokens_keep = tokens_keep;
}

void kit_http_lend(struct kit_http_lender *l, struct kit_http_req *req)
{
    /* A body that ran out of memory keeps its oom mark, which would fail
     * every later page: it is let go. */
    if(!kit_buf_ok(&l->body))
        kit_buf_free(&l->body);
    if(!l->body.data && l->body_start && !kit_buf_reserve(&l->body, l->body_start))
        l->body_allocs++;
    req->resp = l->body;
    kit_buf_init(&l->body);
    req->json = l->tokens;
    memset(&l->tokens, 0, sizeof l->tokens);
    l->lent_body = req->resp.data;
    l->lent_tokens = req->json.tok;
}

void kit_http_take_body(struct kit_http_lender *l, struct kit_http_req *req)
{
    if(req->resp.data && req->resp.data != l->lent_body)
        l->body_allocs++;
    l->body = req->resp;
    kit_buf_init(&req->resp);
}

void kit_http_give_back(struct kit_http_lender *l, struct kit_http_req *req)
{
    if(req->json.tok && req->json.tok != l->lent_tokens)
        l->token_allocs++;
    l->tokens = req->json;
    memset(&req->json, 0, sizeof req->json);
    l->tokens.text = NULL;
    l->tokens.len = 0;
    l->tokens.ntok = 0;
    if(l->tokens_keep && (size_t)l->tokens.cap > l->tokens_keep)
        kit_json_free(&l->tokens);
    kit_http_req_free(req);
    if(l->body_keep && l->body.cap > l->body_keep)
        kit_buf_free(&l->body);
    l->lent_body = NULL;
    l->lent_tokens = NULL;
}

void kit_http_lender_free(struct kit_http_lender *l)
{
    kit_buf_free(&l->body);
    kit_json_free(&l->tokens);
    l->lent_body = NULL;
    l->lent_tokens = NULL;
}
