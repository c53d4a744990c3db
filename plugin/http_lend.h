/*
 * http_lend.h - one answer buffer and one token array lent to every
 * request of a paged read.
 *
 * Reading each page into a fresh body grows it by doubling (a realloc and
 * a copy per step) and parses it into a fresh token array; both are freed
 * at the page's end, so every page leaves the heap with holes a page long
 * and memory creeps up with the number of pages. The client resets (never
 * frees) the body and token array a request brings, so a buffer lent
 * before the call is filled in place and taken back after: a read of any
 * number of pages allocates each once.
 *
 * Use, per page:
 *
 *     kit_http_req_init(&req, ...);
 *     kit_http_lend(&l, &req);
 *     rc = kit_http_call(http, &req, err);
 *     kit_http_take_body(&l, &req);    (always, whatever rc)
 *     ... read req.json (its text is l.body) ...
 *     kit_http_give_back(&l, &req);    (frees req too)
 */
#ifndef KIT_HTTP_LEND_H
#define KIT_HTTP_LEND_H

#include <stddef.h>

#include "plugin/buf.h"
#include "plugin/http.h"
#include "plugin/json.h"

struct kit_http_lender {
    struct kit_buf body;       /* the page body between pages (owned) */
    struct kit_json tokens;    /* the token array between pages, no document (owned) */
    size_t body_start;         /* room reserved before the first page */
    size_t body_keep;          /* a body grown past this is let go after its page */
    size_t tokens_keep;        /* a token array past this many tokens is let go */
    unsigned long body_allocs; /* times a page needed a new body allocation */
    unsigned long token_allocs; /* times a parse needed a new token array */
    const char *lent_body;     /* what the current request was lent (not owned) */
    const struct kit_json_tok *lent_tokens;
};

/* Set l up empty (nothing allocated until the first page). Untouched
 * reserved room costs no memory, so body_start may be a full page's size;
 * 0 lets the first page grow its body. */
void kit_http_lender_init(struct kit_http_lender *l, size_t body_start, size_t body_keep,
                          size_t tokens_keep);

/* Lend l's body and token array to req (initialised, not yet run). They
 * are req's until kit_http_take_body. */
void kit_http_lend(struct kit_http_lender *l, struct kit_http_req *req);

/* After the call, before anything else reads or frees req: the body goes
 * back to l, which owns it from now on; req->resp is left empty and
 * req->json (which points into the body) stays valid until
 * kit_http_give_back or the next kit_http_lend. */
void kit_http_take_body(struct kit_http_lender *l, struct kit_http_req *req);

/* The page is done with (or abandoned): its token array goes back to l,
 * req is freed (kit_http_req_free), and a body or token array grown past
 * its keep bound is released. */
void kit_http_give_back(struct kit_http_lender *l, struct kit_http_req *req);

/* Free what l holds; l may be used again after kit_http_lender_init. */
void kit_http_lender_free(struct kit_http_lender *l);

#endif
