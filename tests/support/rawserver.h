/*
 * rawserver.h - a tiny raw-socket HTTP/1.1 server on 127.0.0.1 for tests
 * that need answers no well-behaved server library would send: bodies that
 * never end, headers that never end, a byte a second, a close in the middle
 * of the headers, redirects, invalid UTF-8.
 *
 * Each accepted connection gets its own thread, which reads the request
 * head (and a Content-Length body, if any), records the head, then calls
 * the test's handler with the connection. The handler writes whatever
 * bytes it likes with rs_send() and returns; the connection is then
 * closed. One request per connection, unless the handler reads the next
 * one itself with rs_next_request() (keep-alive tests).
 *
 * Bounded and self-stopping, so a broken test cannot hang the suite or
 * flood the machine: at most max_conns connections are served (later ones
 * are closed unanswered, and counted); every connection ends at its
 * conn_lifetime_ms deadline, and the whole server stops accepting at
 * server_lifetime_ms. After a deadline, or once rs_stop() has begun,
 * rs_send() and rs_pause() fail, so handler loops such as
 * `while(!rs_send(c, ...))` always end.
 *
 *   struct rs_server *srv;
 *   struct rs_options o = {.handler = my_handler, .ctx = &state};
 *   char why[256];
 *   ck_assert_msg(!rs_start(&o, &srv, why, sizeof why), "%s", why);
 *   ... point a client at rs_url(srv) ...
 *   rs_stop(srv);
 *
 * Thread rules: rs_start, rs_stop and the rs_server accessors are called
 * from the controlling thread; rs_conn functions only from inside the
 * handler, on the connection's thread. The handler runs on several
 * threads at once when several connections are open: ctx must be
 * thread-safe.
 */
#ifndef RAWSERVER_H
#define RAWSERVER_H

#include <stddef.h>
#include <stdint.h>

#include "plugin/buf.h"

struct rs_server;
struct rs_conn;

/* Called on the connection's thread with the request read. */
typedef void (*rs_handler)(void *ctx, struct rs_conn *c);

struct rs_options {
    rs_handler handler;     /* required */
    void *ctx;              /* passed to handler; borrowed */
    int max_conns;          /* 0: 16; more are accepted and closed at once */
    int conn_lifetime_ms;   /* 0: 5000; the connection's hard deadline     */
    int server_lifetime_ms; /* 0: 30000; no accepts after this            */
};

/* Start listening on 127.0.0.1 (ephemeral port). Returns 0 and *out (the
 * caller's, freed by rs_stop), or -1 with a reason in why. */
int rs_start(const struct rs_options *o, struct rs_server **out, char *why, size_t whysize);
/* Wake every handler (their rs_send/rs_pause fail), close every socket,
 * join every thread, free. NULL is a no-op. */
void rs_stop(struct rs_server *s);

/* "http://127.0.0.1:PORT" (no trailing '/'), valid until rs_stop. */
const char *rs_url(const struct rs_server *s);
unsigned short rs_port(const struct rs_server *s);
/* Connections accepted so far, those refused over max_conns included. */
int rs_connections(struct rs_server *s);
/* Body bytes and header bytes handed to the kernel so far, all
 * connections together. */
uint64_t rs_bytes_sent(struct rs_server *s);
/* Request heads read so far, all connections together (a keep-alive
 * connection's later requests included). */
int rs_requests(struct rs_server *s);
/* Append the i-th request head read (0-based, in the order heads were
 * read; request line and headers, CRLFs kept, without the blank line) to
 * out. -1 when there is no such request. */
int rs_head(struct rs_server *s, int i, struct kit_buf *out);

/* ---- inside a handler ---- */

/* The request head, NUL-terminated; valid during the handler. */
const char *rs_conn_head(const struct rs_conn *c);
/* The request body (Content-Length bytes, at most 1 MiB), valid during the
 * handler; *len gets its length. */
const char *rs_conn_body(const struct rs_conn *c, size_t *len);
/* Send len bytes, waiting while the socket buffer is full. 0 when all were
 * sent; -1 when the peer closed or reset, the connection's deadline passed
 * or the server is stopping. */
int rs_send(struct rs_conn *c, const void *data, size_t len);
int rs_sends(struct rs_conn *c, const char *s);
int rs_sendf(struct rs_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Read the next request on the same connection (the client kept it
 * alive) and record it; rs_conn_head/rs_conn_body then describe it. 0 when
 * one came; -1 when the peer closed, the deadline passed or the server is
 * stopping. */
int rs_next_request(struct rs_conn *c);
/* Reset the connection now (TCP RST: SO_LINGER 0, then close), as a
 * crashed server or a middlebox does; later rs_conn calls fail. */
void rs_reset(struct rs_conn *c);
/* Wait ms wall-clock milliseconds; -1 early if the server stops, the
 * deadline passes or the peer closes first. */
int rs_pause(struct rs_conn *c, int ms);

#endif
