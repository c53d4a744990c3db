/*
 * check_hostile.c - suite "hostile": the HTTP client and the JSON reader
 * against servers that misbehave on purpose (tests/support/rawserver.h on
 * 127.0.0.1): bodies of hundreds of MB or without end, a decompression
 * bomb, headers without end, slowloris answers, a close in the middle of
 * the headers, redirects to another host, invalid UTF-8, documents of
 * millions of tiny values; and plain http to a non-loopback address,
 * refused before any connection. Each must end in a bounded time with a
 * clear error, and nothing may be sent where it was not asked for.
 *
 * Wall-clock bounds here are generous (they must hold under valgrind and
 * the sanitizers); the point is "ends on its own", not speed.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixtures/replay.h"
#include "hubspot/instance.h"
#include "hubspot/transport.h"
#include "plugin/http.h"
#include "plugin/json.h"
#include "tests/support/rawserver.h"
#include "tests/support/testhost.h"
#include "plugin/clock.h"

#define TOKEN FX_PLACEHOLDER_TOKEN
#define T0 1795824000000LL /* 2026-11-28T00:00:00Z */

#define ASSERT_HAS(hay, needle) \
    ck_assert_msg(strstr((hay), (needle)) != NULL, "expected '%s' in: %s", (needle), (hay))

/* ---- the misbehaving answers ---- */

enum mode {
    M_HUGE_DECLARED,  /* Content-Length: 800 MB, then zeros until stopped     */
    M_ENDLESS_CLOSE,  /* no length, body until close: "[0,0,0,..." forever    */
    M_ENDLESS_CHUNKED,/* chunked "[0,0,0,..." forever                         */
    M_GZIP_BOMB,      /* gzip, ~13 bytes on the wire per 2 KiB decoded, forever */
    M_ENDLESS_HEADERS,/* 200, then header lines forever                      */
    M_ENDLESS_LINE,   /* 200, then one header line that never ends            */
    M_SLOW_BODY,      /* headers, then a body byte per second                 */
    M_SLOW_HEADERS,   /* the status line itself a byte per 100 ms             */
    M_CLOSE_MID_HEADERS,
    M_CLOSE_AFTER_STATUS,
    M_CLOSE_SILENT,   /* read the request, answer nothing, close              */
    M_NOT_HTTP,       /* a line that is no HTTP status line                   */
    M_REDIRECT,       /* status rstatus, Location: the trap server            */
    M_FIXED,          /* status 200 (or rstatus) with body `fixed`            */
    M_DENSE           /* 200 with a complete "[0,0,...,0]" of dense_bytes     */
};

struct hostile {
    enum mode mode;
    int rstatus;
    char location[128];
    const char *fixed;
    size_t fixed_len;
    size_t dense_bytes;
};

/* Send the same block until the peer goes away (or the server stops). */
static void repeat(struct rs_conn *c, const char *block, size_t len)
{
    while(!rs_send(c, block, len))
        ;
}

/* A block of "0,0,0,..." (no brackets), n bytes, n even. */
static char *zeros_block(size_t n)
{
    char *b = malloc(n);
    ck_assert_ptr_nonnull(b);
    for(size_t i = 0; i < n; i += 2) {
        b[i] = '0';
        b[i + 1] = ',';
    }
    return b;
}

/* ---- a deflate stream that never ends (fixed Huffman codes) ----
 * One literal 0, then length-258/distance-1 matches forever: 13 bits per
 * 258 decoded bytes, built by hand so the test needs no zlib. */

struct bits {
    unsigned char *out;
    size_t n;
    unsigned acc, nacc;
};

static void put_bits(struct bits *b, unsigned v, unsigned n)
{
    for(unsigned i = 0; i < n; i++) {
        b->acc |= ((v >> i) & 1u) << b->nacc;
        if(++b->nacc == 8) {
            b->out[b->n++] = (unsigned char)b->acc;
            b->acc = b->nacc = 0;
        }
    }
}

/* Huffman codes go most significant bit first. */
static void put_code(struct bits *b, unsigned code, unsigned n)
{
    for(unsigned i = n; i-- > 0;)
        put_bits(b, (code >> i) & 1u, 1);
}

static void put_match258(struct bits *b)
{
    put_code(b, 0xC5, 8); /* length symbol 285 = 258 bytes */
    put_code(b, 0x00, 5); /* distance symbol 0 = 1 byte back */
}

#define GZ_WIRE_MAX (1024u * 1024u)

static void gzip_bomb(struct rs_conn *c)
{
    static const unsigned char gz[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    unsigned char start[3], unit[13];
    struct bits b = {start, 0, 0, 0};
    put_bits(&b, 0, 1);    /* BFINAL 0: the block never ends */
    put_bits(&b, 1, 2);    /* BTYPE 01: fixed codes */
    put_code(&b, 0x30, 8); /* literal 0 */
    put_match258(&b);      /* 3 + 8 + 13 = 24 bits: byte aligned */
    ck_assert_uint_eq(b.n, 3);
    b = (struct bits){unit, 0, 0, 0};
    for(int i = 0; i < 8; i++) /* 8 x 13 bits = 13 bytes, aligned again */
        put_match258(&b);
    ck_assert_uint_eq(b.n, 13);
    enum { REPS = 4096 };
    unsigned char *blk = malloc(sizeof unit * REPS);
    ck_assert_ptr_nonnull(blk);
    for(int i = 0; i < REPS; i++)
        memcpy(blk + i * sizeof unit, unit, sizeof unit);
    /* At most 1 MiB on the wire (~160 MiB decoded), then close: only the
     * decoded size can have passed the client's cap. */
    if(!rs_sends(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    "Content-Encoding: gzip\r\nConnection: close\r\n\r\n") &&
       !rs_send(c, gz, sizeof gz) && !rs_send(c, start, sizeof start))
        for(size_t sent = 0; sent < GZ_WIRE_MAX; sent += sizeof unit * REPS)
            if(rs_send(c, blk, sizeof unit * REPS))
                break;
    free(blk);
}

static void chunked_zeros(struct rs_conn *c)
{
    enum { N = 64 * 1024 };
    char *z = zeros_block(N);
    struct kit_buf chunk = KIT_BUF_INIT;
    kit_buf_printf(&chunk, "%x\r\n", N);
    kit_buf_append(&chunk, z, N);
    kit_buf_puts(&chunk, "\r\n");
    ck_assert(kit_buf_ok(&chunk));
    if(!rs_sends(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n1\r\n[\r\n"))
        repeat(c, chunk.data, chunk.len);
    kit_buf_free(&chunk);
    free(z);
}

static void dense(struct rs_conn *c, size_t total)
{
    enum { N = 64 * 1024 };
    char *z = zeros_block(N);
    /* "[" + k x "0," + "0]" = total bytes */
    size_t body = total, pairs = (total - 3) / 2;
    body = 3 + 2 * pairs;
    if(rs_sendf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n[",
                body))
        goto out;
    for(size_t left = 2 * pairs; left > 0;) {
        size_t n = left < N ? left : N;
        if(rs_send(c, z, n))
            goto out;
        left -= n;
    }
    rs_sends(c, "0]");
out:
    free(z);
}

static void on_conn(void *ctx, struct rs_conn *c)
{
    struct hostile *h = ctx;
    switch(h->mode) {
    case M_HUGE_DECLARED: {
        char *z = zeros_block(65536);
        if(!rs_sends(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        "Content-Length: 800000000\r\n\r\n["))
            repeat(c, z, 65536);
        free(z);
        break;
    }
    case M_ENDLESS_CLOSE: {
        char *z = zeros_block(65536);
        if(!rs_sends(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        "Connection: close\r\n\r\n["))
            repeat(c, z, 65536);
        free(z);
        break;
    }
    case M_ENDLESS_CHUNKED: chunked_zeros(c); break;
    case M_GZIP_BOMB: gzip_bomb(c); break;
    case M_ENDLESS_HEADERS:
        if(!rs_sends(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"))
            for(int i = 0; !rs_sendf(c, "X-Filler-%d: %0100d\r\n", i, i); i++)
                ;
        break;
    case M_ENDLESS_LINE: {
        char *z = zeros_block(4096);
        if(!rs_sends(c, "HTTP/1.1 200 OK\r\nX-Endless: "))
            repeat(c, z, 4096);
        free(z);
        break;
    }
    case M_SLOW_BODY:
        if(!rs_sends(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        "Content-Length: 64\r\n\r\n"))
            while(!rs_send(c, "[", 1) && !rs_pause(c, 1000))
                ;
        break;
    case M_SLOW_HEADERS:
        for(const char *p = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"; *p; p++)
            if(rs_send(c, p, 1) || rs_pause(c, 100))
                break;
        break;
    case M_CLOSE_MID_HEADERS:
        rs_sends(c, "HTTP/1.1 200 OK\r\nContent-Type: applic");
        break;
    case M_CLOSE_AFTER_STATUS: rs_sends(c, "HTTP/1.1 200 OK\r\n"); break;
    case M_CLOSE_SILENT: break;
    case M_NOT_HTTP: rs_sends(c, "SSH-2.0-OpenSSH_9.2\r\n\r\n"); break;
    case M_REDIRECT:
        rs_sendf(c, "HTTP/1.1 %d Moved\r\nLocation: %s\r\nContent-Length: 0\r\n"
                    "Connection: close\r\n\r\n",
                 h->rstatus, h->location);
        break;
    case M_FIXED: {
        int st = __atomic_load_n(&h->rstatus, __ATOMIC_ACQUIRE);
        if(!rs_sendf(c, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                        "Connection: close\r\n\r\n",
                     st ? st : 200, h->fixed_len))
            rs_send(c, h->fixed, h->fixed_len);
        break;
    }
    case M_DENSE: dense(c, h->dense_bytes); break;
    }
}

/* Trap: counts connections and keeps their heads (rawserver does). */
static void on_trap(void *ctx, struct rs_conn *c)
{
    (void)ctx;
    rs_sends(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
}

/* ---- a client against a rawserver ---- */

struct env {
    struct testhost th;
    struct hostile hs;
    struct rs_server *srv;
    struct kit_http_config cfg;
    struct kit_http *h;
};

/* Set up; e->hs may be changed until env_serve (the server's threads
 * read it from then on). */
static void env_start(struct env *e, enum mode m)
{
    memset(e, 0, sizeof *e);
    th_init(&e->th, T0);
    e->hs.mode = m;
    e->cfg.token = TOKEN;
    e->cfg.max_retries = 1;
    e->cfg.timeout_ms = 10000;
}

static void env_serve(struct env *e)
{
    struct rs_options o = {.handler = on_conn, .ctx = &e->hs, .conn_lifetime_ms = 8000};
    char why[256];
    ck_assert_msg(rs_start(&o, &e->srv, why, sizeof why) == 0, "%s", why);
    e->cfg.base_url = rs_url(e->srv);
}

static void env_client(struct env *e)
{
    if(!e->srv)
        env_serve(e);
    hs_transport_configure(&e->cfg); /* the client as a HubSpot instance configures it */
    struct oc_error err = {sizeof err};
    ck_assert_msg(kit_http_new(&e->cfg, &e->th.host, &e->h, &err) == OC_OK, "%s", err.message);
}

static void env_end(struct env *e)
{
    kit_http_free(e->h);
    rs_stop(e->srv);
    /* Nothing the client logged may carry the token. */
    ck_assert_msg(!strstr(kit_buf_str(&e->th.logs), TOKEN), "token in logs");
    th_free(&e->th);
}

/* One GET; returns rc and the elapsed wall time in *ms. */
static oc_status get(struct env *e, struct kit_http_req *r, int64_t *ms)
{
    struct oc_error err = {sizeof err};
    kit_http_req_init(r, "GET", "/crm/v3/objects/contacts/1", NULL, 0, "hostile");
    int64_t t0 = kit_monotonic_ms();
    oc_status rc = kit_http_call(e->h, r, &err);
    *ms = kit_monotonic_ms() - t0;
    ck_assert_int_eq(r->rc, rc);
    if(rc)
        ck_assert_str_eq(err.message, r->err.message);
    ck_assert_msg(!strstr(err.message, TOKEN), "token in: %s", err.message);
    return rc;
}

/* ---- bodies ---- */

START_TEST(t_huge_declared_length_refused_up_front)
{
    /* 800 MB announced: libcurl refuses on the Content-Length alone. */
    struct env e;
    env_start(&e, M_HUGE_DECLARED);
    env_client(&e);
    struct kit_http_req r;
    int64_t ms;
    ck_assert_int_eq(get(&e, &r, &ms), OC_E_PROTOCOL);
    ck_assert_int_eq(r.attempts, 1);
    ck_assert_int_eq(r.status, 200);
    ASSERT_HAS(r.err.message, "max_body");
    ASSERT_HAS(r.err.message, "not retried");
    ck_assert_uint_eq(r.resp.len, 0);
    ck_assert_msg(ms < 2000, "took %lld ms", (long long)ms);
    kit_http_req_free(&r);
    env_end(&e);
}
END_TEST

START_TEST(t_endless_body_small_cap)
{
    /* No length, body until close, never closing: the configured cap. */
    struct env e;
    env_start(&e, M_ENDLESS_CLOSE);
    e.cfg.max_body = 1024 * 1024;
    env_client(&e);
    struct kit_http_req r;
    int64_t ms;
    ck_assert_int_eq(get(&e, &r, &ms), OC_E_PROTOCOL);
    ck_assert_int_eq(r.attempts, 1);
    ASSERT_HAS(r.err.message, "1048576-byte limit (max_body)");
    ck_assert_uint_le(r.resp.len, 1024 * 1024);
    ck_assert_msg(ms < 2000, "took %lld ms", (long long)ms);
    kit_http_req_free(&r);
    env_end(&e);
    /* The socket buffers hold a few MB at most: the client stopped
     * reading near the cap instead of draining the stream. */
}
END_TEST

START_TEST(t_endless_chunked_default_cap)
{
    /* The default cap holds with nothing configured: "[0,0,0,..." chunked
     * forever (a 64 MB document of tiny values and more). */
    struct env e;
    env_start(&e, M_ENDLESS_CHUNKED);
    env_client(&e);
    struct kit_http_req r;
    int64_t ms;
    ck_assert_int_eq(get(&e, &r, &ms), OC_E_PROTOCOL);
    ck_assert_int_eq(r.attempts, 1);
    ASSERT_HAS(r.err.message, "16777216-byte limit (max_body)");
    ck_assert_uint_le(r.resp.len, KIT_HTTP_MAX_BODY);
    ck_assert_uint_ge(r.resp.len, KIT_HTTP_MAX_BODY - 128 * 1024);
    uint64_t sent = rs_bytes_sent(e.srv);
    ck_assert_msg(ms < 5000, "took %lld ms", (long long)ms);
    kit_http_req_free(&r);
    env_end(&e);
    ck_assert_uint_lt(sent, (uint64_t)KIT_HTTP_MAX_BODY + 32u * 1024u * 1024u);
}
END_TEST

START_TEST(t_gzip_bomb_capped_after_decoding)
{
    /* ~100 KB on the wire inflate past 16 MiB: the cap counts decoded
     * bytes, not what crossed the wire. */
    struct env e;
    env_start(&e, M_GZIP_BOMB);
    env_client(&e);
    struct kit_http_req r;
    int64_t ms;
    ck_assert_int_eq(get(&e, &r, &ms), OC_E_PROTOCOL);
    ck_assert_int_eq(r.attempts, 1);
    ASSERT_HAS(r.err.message, "max_body");
    ck_assert_uint_le(r.resp.len, KIT_HTTP_MAX_BODY);
    ck_assert_uint_ge(r.resp.len, KIT_HTTP_MAX_BODY - 64 * 1024);
    ck_assert_msg(ms < 5000, "took %lld ms", (long long)ms);
    /* The bomb was one: the cap was reached on far fewer wire bytes. */
    ck_assert_uint_le(rs_bytes_sent(e.srv), GZ_WIRE_MAX + 64 * 1024);
    kit_http_req_free(&r);
    env_end(&e);
}
END_TEST

START_TEST(t_dense_document_token_cap)
{
    /* 15 MB of tiny values fits max_body but would need 7.8M tokens
     * (150 MB): refused by the reader's token cap, not retried. */
    struct env e;
    env_start(&e, M_DENSE);
    e.hs.dense_bytes = 15u * 1024u * 1024u;
    env_client(&e);
    struct kit_http_req r;
    int64_t ms;
    ck_assert_int_eq(get(&e, &r, &ms), OC_E_PROTOCOL);
    ck_assert_int_eq(r.attempts, 1);
    ck_assert_int_eq(r.status, 200);
    ASSERT_HAS(r.err.message, "more than 2097152 tokens");
    ASSERT_HAS(r.err.message, "not retried");
    ck_assert_int_eq(r.json.ntok, 0);
    ck_assert_msg(ms < 5000, "took %lld ms", (long long)ms);
    kit_http_req_free(&r);
    env_end(&e);
}
END_TEST

START_TEST(t_token_cap_exact)
{
    /* Exactly KIT_JSON_MAX_TOKENS parses; one more is refused, as a limit
     * (-2), before any token array is allocated. */
    size_t n = KIT_JSON_MAX_TOKENS - 1; /* values, plus the array itself */
    size_t len = 2 * n + 1;
    char *doc = malloc(len + 2);
    ck_assert_ptr_nonnull(doc);
    doc[0] = '[';
    for(size_t i = 0; i < n; i++) {
        doc[1 + 2 * i] = '0';
        doc[2 + 2 * i] = ',';
    }
    doc[len - 1] = ']';
    struct kit_json j;
    char why[200];
    ck_assert_int_eq(kit_json_parse(&j, doc, len, why, sizeof why), 0);
    ck_assert_int_eq(j.ntok, (int)KIT_JSON_MAX_TOKENS);
    ck_assert_int_eq(kit_json_size(&j, 0), (int)n);
    kit_json_free(&j);
    /* one more value */
    doc[len - 1] = ',';
    doc[len] = '0';
    doc[len + 1] = ']';
    ck_assert_int_eq(kit_json_parse(&j, doc, len + 2, why, sizeof why), -2);
    ASSERT_HAS(why, "more than 2097152 tokens");
    ck_assert_ptr_null(j.tok);
    /* the other limits are limits too; bad syntax is not */
    ck_assert_int_eq(kit_json_parse(&j, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", 65,
                                   why, sizeof why),
                     -2);
    ASSERT_HAS(why, "nesting deeper");
    ck_assert_int_eq(kit_json_parse(&j, "[1,]", 4, why, sizeof why), -1);
    ck_assert_int_eq(kit_json_parse(&j, "[1", 2, why, sizeof why), -1);
    free(doc);
}
END_TEST

/* ---- headers ---- */

START_TEST(t_endless_headers)
{
    static const enum mode modes[] = {M_ENDLESS_HEADERS, M_ENDLESS_LINE};
    struct env e;
    env_start(&e, modes[_i]);
    env_client(&e);
    struct kit_http_req r;
    int64_t ms;
    oc_status rc = get(&e, &r, &ms);
    ck_assert_msg(ms < 3000, "took %lld ms", (long long)ms);
    if(modes[_i] == M_ENDLESS_HEADERS) {
        /* Ours: 64 KiB of header lines. */
        ck_assert_int_eq(rc, OC_E_PROTOCOL);
        ck_assert_int_eq(r.attempts, 1);
        ASSERT_HAS(r.err.message, "headers passed 65536 bytes");
    } else {
        /* A single line is libcurl's to refuse (it never reaches our
         * callback whole); whatever it says, it ends, is not retried as
         * if it could pass, and says what happened. */
        ck_assert_int_ne(rc, OC_OK);
        ck_assert_int_eq(rc, OC_E_PROTOCOL);
        ck_assert_int_eq(r.attempts, 1);
        ASSERT_HAS(r.err.message, "refused the response headers");
    }
    ck_assert_uint_eq(r.resp.len, 0);
    kit_http_req_free(&r);
    env_end(&e);
}
END_TEST

/* ---- slowloris ---- */

START_TEST(t_slowloris_ends_at_timeout)
{
    static const enum mode modes[] = {M_SLOW_BODY, M_SLOW_HEADERS};
    struct env e;
    env_start(&e, modes[_i]);
    e.cfg.timeout_ms = 300;
    e.cfg.max_retries = 1;
    env_client(&e);
    struct kit_http_req r;
    int64_t ms;
    ck_assert_int_eq(get(&e, &r, &ms), OC_E_TRANSIENT);
    ck_assert_int_eq(r.attempts, 2);
    ASSERT_HAS(r.err.message, "no complete answer within timeout_ms (300 ms) after 2 attempts");
    ck_assert(r.err.retryable);
    /* two attempts of 300 ms each; the backoff between them is virtual */
    ck_assert_msg(ms >= 550 && ms < 2500, "took %lld ms", (long long)ms);
    ck_assert_int_ge(e.th.slept_ms, 1);
    kit_http_req_free(&r);
    env_end(&e);
}
END_TEST

/* ---- broken connections ---- */

START_TEST(t_broken_answers)
{
    static const enum mode modes[] = {M_CLOSE_MID_HEADERS, M_CLOSE_AFTER_STATUS, M_CLOSE_SILENT,
                                      M_NOT_HTTP};
    struct env e;
    env_start(&e, modes[_i]);
    e.cfg.max_retries = 2;
    env_client(&e);
    struct kit_http_req r;
    int64_t ms;
    oc_status rc = get(&e, &r, &ms);
    ck_assert_msg(ms < 3000, "took %lld ms", (long long)ms);
    ck_assert_int_eq(rc, OC_E_TRANSIENT);
    ck_assert_uint_eq(r.resp.len, 0);
    if(modes[_i] == M_CLOSE_MID_HEADERS || modes[_i] == M_CLOSE_AFTER_STATUS)
        ASSERT_HAS(r.err.message, "closed in the middle of the response headers");
    if(modes[_i] != M_NOT_HTTP) {
        /* a dropped connection is worth retrying, within max_retries */
        ck_assert_int_eq(r.attempts, 3);
        ASSERT_HAS(r.err.message, "after 3 attempts");
        ck_assert(r.err.retryable);
        ck_assert_int_ge(rs_connections(e.srv), 3);
    } else {
        /* not HTTP at all: a wrong base_url, no retry helps */
        ck_assert_int_eq(r.attempts, 1);
        ASSERT_HAS(r.err.message, "base_url");
    }
    ASSERT_HAS(r.err.message, "GET /crm/v3/objects/contacts/1");
    kit_http_req_free(&r);
    env_end(&e);
}
END_TEST

/* ---- redirects ---- */

START_TEST(t_redirect_never_followed)
{
    static const int codes[] = {301, 302, 303, 307, 308};
    struct rs_server *trap;
    struct rs_options to = {.handler = on_trap};
    char why[256];
    ck_assert_msg(rs_start(&to, &trap, why, sizeof why) == 0, "%s", why);
    struct env e;
    env_start(&e, M_REDIRECT);
    e.hs.rstatus = codes[_i];
    /* another host name and port: exactly where a token must never go */
    snprintf(e.hs.location, sizeof e.hs.location, "http://localhost:%u/steal?from=%d",
             (unsigned)rs_port(trap), codes[_i]);
    env_client(&e);
    struct kit_http_req r;
    int64_t ms;
    ck_assert_int_eq(get(&e, &r, &ms), OC_E_CONFIG);
    ck_assert_int_eq(r.status, codes[_i]);
    ck_assert_int_eq(r.attempts, 1);
    ASSERT_HAS(r.err.message, "Redirects are not followed");
    ASSERT_HAS(r.err.message, "base_url");
    ck_assert(!r.err.retryable);
    kit_http_req_free(&r);
    /* The legitimate server got the token; the Location target got
     * nothing at all (no connection, so no Authorization either). */
    struct kit_buf head = KIT_BUF_INIT;
    ck_assert_int_eq(rs_head(e.srv, 0, &head), 0);
    ASSERT_HAS(kit_buf_str(&head), "Authorization: Bearer " TOKEN);
    kit_buf_free(&head);
    env_end(&e);
    ck_assert_int_eq(rs_connections(trap), 0);
    ck_assert_int_eq(rs_head(trap, 0, &head), -1);
    rs_stop(trap);
}
END_TEST

START_TEST(t_redirect_through_plugin)
{
    /* The same through a whole capability: authorize against a server
     * that redirects sends the token nowhere else and says why. */
    struct rs_server *trap;
    struct rs_options to = {.handler = on_trap};
    char why[256];
    ck_assert_msg(rs_start(&to, &trap, why, sizeof why) == 0, "%s", why);
    struct env e;
    env_start(&e, M_REDIRECT);
    e.hs.rstatus = 302;
    snprintf(e.hs.location, sizeof e.hs.location, "http://localhost:%u/oauth/v2/steal",
             (unsigned)rs_port(trap));
    env_serve(&e);
    struct oc_option o[] = {{"access_token", TOKEN}, {"base_url", rs_url(e.srv)}};
    struct oc_instance *in = NULL;
    struct oc_error err = {sizeof err};
    ck_assert_int_eq(hs_instance_new(&e.th.host, o, 2, &in, &err), OC_OK);
    oc_status rc = hs_authorize(in, &err);
    ck_assert_int_ne(rc, OC_OK);
    ASSERT_HAS(err.message, "Redirects are not followed");
    ck_assert_msg(!strstr(err.message, TOKEN), "token in: %s", err.message);
    hs_instance_release(in);
    env_end(&e);
    ck_assert_int_eq(rs_connections(trap), 0);
    rs_stop(trap);
}
END_TEST

/* ---- plain http outside loopback ---- */

START_TEST(t_plain_http_refused_before_connecting)
{
    /* None of these is ever contacted: the refusal comes from looking at
     * the URL. (10.0.0.1 and friends are not reachable from tests anyway;
     * the timing shows no connect was even tried.) */
    static const char *urls[] = {"http://10.0.0.1",          "http://10.0.0.1:443/",
                                 "HTTP://10.0.0.1",          "http://[::ffff:10.0.0.1]:80",
                                 "http://0x7f000001",        "http://2130706433",
                                 "http://127.1",             "http://127.0.0.1.evil.example",
                                 "http://localhost.evil.example", "http://169.254.169.254"};
    struct testhost th;
    th_init(&th, T0);
    struct kit_http_config cfg = {.base_url = urls[_i], .token = TOKEN, .max_retries = -1};
    hs_transport_configure(&cfg);
    struct kit_http *h = (struct kit_http *)&th; /* must be reset to NULL */
    struct oc_error err = {sizeof err};
    int64_t t0 = kit_monotonic_ms();
    ck_assert_int_eq(kit_http_new(&cfg, &th.host, &h, &err), OC_E_CONFIG);
    ck_assert_ptr_null(h);
    ASSERT_HAS(err.message, "base_url");
    ASSERT_HAS(err.message, "https://");
    /* through the plugin's init as well */
    struct oc_option o[] = {{"access_token", TOKEN}, {"base_url", urls[_i]}};
    struct oc_instance *in = NULL;
    ck_assert_int_eq(hs_instance_new(&th.host, o, 2, &in, &err), OC_E_CONFIG);
    ck_assert_ptr_null(in);
    ASSERT_HAS(err.message, "base_url");
    int64_t ms = kit_monotonic_ms() - t0;
    /* The proof is that no client exists to connect with; the time only
     * shows nothing waited on a network (loose: valgrind is slow). */
    ck_assert_msg(ms < 1000, "took %lld ms: was a connection tried?", (long long)ms);
    ck_assert_msg(!strstr(err.message, TOKEN), "token in: %s", err.message);
    th_free(&th);
}
END_TEST

/* ---- invalid UTF-8 ---- */

static const char *const bad_utf8[] = {
    "{\"name\":\"\xC3\x28\"}",             /* bad continuation byte        */
    "{\"name\":\"\xC0\xAF\"}",             /* overlong '/'                 */
    "{\"name\":\"\xED\xA0\x80\"}",         /* UTF-16 surrogate half        */
    "{\"name\":\"\xF4\x90\x80\x80\"}",     /* above U+10FFFF               */
    "{\"name\":\"\xFF\"}",                 /* never valid                  */
    "{\"n\xE9\":\"x\"}",                   /* Latin-1 in a member name     */
};

static int all_ascii(const char *s)
{
    for(; *s; s++)
        if((unsigned char)*s >= 0x80)
            return 0;
    return 1;
}

START_TEST(t_invalid_utf8_body)
{
    struct env e;
    env_start(&e, M_FIXED);
    e.hs.fixed = bad_utf8[_i];
    e.hs.fixed_len = strlen(bad_utf8[_i]);
    env_client(&e);
    struct kit_http_req r;
    int64_t ms;
    ck_assert_int_eq(get(&e, &r, &ms), OC_E_PROTOCOL);
    /* could be damage in transit: retried like any malformed body */
    ck_assert_int_eq(r.attempts, 2);
    ASSERT_HAS(r.err.message, "malformed JSON body (invalid UTF-8 in a string at byte");
    /* The bad bytes themselves are not echoed into the message. */
    ck_assert_msg(all_ascii(r.err.message), "non-ASCII in: %s", r.err.message);
    kit_http_req_free(&r);

    /* In an error answer: the status decides; HubSpot's words are dropped
     * rather than passed on broken. */
    __atomic_store_n(&e.hs.rstatus, 400, __ATOMIC_RELEASE);
    ck_assert_int_eq(get(&e, &r, &ms), OC_E_INVALID);
    ck_assert_int_eq(r.attempts, 1);
    ASSERT_HAS(r.err.message, "HTTP 400");
    ck_assert_msg(all_ascii(r.err.message), "non-ASCII in: %s", r.err.message);
    kit_http_req_free(&r);
    env_end(&e);
}
END_TEST

extern Suite *make_hostile_suite(void);
Suite *make_hostile_suite(void)
{
    Suite *s = suite_create("hostile");
    TCase *tc = tcase_create("servers");
    /* Generous: valgrind runs these too. */
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, t_huge_declared_length_refused_up_front);
    tcase_add_test(tc, t_endless_body_small_cap);
    tcase_add_test(tc, t_endless_chunked_default_cap);
    tcase_add_test(tc, t_gzip_bomb_capped_after_decoding);
    tcase_add_test(tc, t_dense_document_token_cap);
    tcase_add_test(tc, t_token_cap_exact);
    tcase_add_loop_test(tc, t_endless_headers, 0, 2);
    tcase_add_loop_test(tc, t_slowloris_ends_at_timeout, 0, 2);
    tcase_add_loop_test(tc, t_broken_answers, 0, 4);
    tcase_add_loop_test(tc, t_redirect_never_followed, 0, 5);
    tcase_add_test(tc, t_redirect_through_plugin);
    tcase_add_loop_test(tc, t_plain_http_refused_before_connecting, 0, 10);
    tcase_add_loop_test(tc, t_invalid_utf8_body, 0, (int)(sizeof bad_utf8 / sizeof *bad_utf8));
    suite_add_tcase(s, tc);
    return s;
}
