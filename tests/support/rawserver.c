/* rawserver.c - see rawserver.h.
 *
 * Every wait (accept, read, send, pause) is a poll() of at most SLICE_MS,
 * after which the stop flag and the deadline are looked at again: no
 * signal, no self-pipe, and rs_stop() is done within a slice. */
#include "tests/support/rawserver.h"
#include "plugin/clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLICE_MS 50
#define HEAD_MAX (16 * 1024)
#define BODY_MAX (1024 * 1024)

struct rs_conn {
    struct rs_server *s;
    pthread_t thread;
    int fd;
    int64_t deadline;
    char head[HEAD_MAX + 1];
    char *body;
    size_t body_len;
};

struct rs_server {
    struct rs_options o;
    int lfd;
    unsigned short port;
    char url[64];
    pthread_t acceptor;
    int64_t deadline;
    int stopping; /* atomic */
    uint64_t sent; /* atomic */
    pthread_mutex_t mu;
    int accepted;        /* under mu */
    struct rs_conn **conns; /* max_conns slots; only the acceptor writes */
    int nconns;
    char **heads; /* under mu; grows with every request read */
    int nheads, cap_heads;
    int nrequests; /* under mu; heads read, kept or not (out of memory) */
};

static int stopping(const struct rs_server *s) { return __atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE); }

/* The next poll slice for c, or -1 when the connection must end now. */
static int slice(const struct rs_conn *c)
{
    if(c->fd < 0 || stopping(c->s))
        return -1;
    int64_t left = c->deadline - kit_monotonic_ms();
    if(left <= 0)
        return -1;
    return left < SLICE_MS ? (int)left : SLICE_MS;
}

/* Wait until fd is ready for events or the slice passes: 1 ready, 0 not
 * yet, -1 the connection must end. */
static int wait_fd(struct rs_conn *c, short events)
{
    int t = slice(c);
    if(t < 0)
        return -1;
    struct pollfd p = {c->fd, events, 0};
    int r = poll(&p, 1, t);
    if(r < 0)
        return errno == EINTR ? 0 : -1;
    if(r == 0)
        return 0;
    if(p.revents & (POLLERR | POLLNVAL))
        return -1;
    return 1;
}

/* Read into buf (up to cap bytes from *have on) once; 1 progress, 0 peer
 * closed, -1 error/deadline. */
static int read_some(struct rs_conn *c, char *buf, size_t *have, size_t cap)
{
    for(;;) {
        int w = wait_fd(c, POLLIN);
        if(w < 0)
            return -1;
        if(w == 0)
            continue;
        ssize_t n = recv(c->fd, buf + *have, cap - *have, MSG_DONTWAIT);
        if(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            continue;
        if(n <= 0)
            return n == 0 ? 0 : -1;
        *have += (size_t)n;
        return 1;
    }
}

static size_t content_length(const char *head)
{
    for(const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
        if(!strncasecmp(p + 2, "Content-Length:", 15))
            return (size_t)strtoull(p + 17, NULL, 10);
    }
    return 0;
}

/* Read the head (and body) of one request; 0 when complete. */
static int read_request(struct rs_conn *c)
{
    size_t have = 0;
    free(c->body);
    c->body = NULL;
    c->body_len = 0;
    char *end;
    for(;;) {
        c->head[have] = '\0';
        if((end = strstr(c->head, "\r\n\r\n")))
            break;
        if(have == HEAD_MAX || read_some(c, c->head, &have, HEAD_MAX) <= 0)
            return -1;
    }
    size_t head_len = (size_t)(end - c->head);
    size_t extra = have - head_len - 4;
    c->head[head_len] = '\0';
    size_t cl = content_length(c->head);
    if(cl > BODY_MAX)
        cl = BODY_MAX;
    if(!(c->body = malloc(cl + 1)))
        return -1;
    if(extra > cl)
        extra = cl;
    memcpy(c->body, end + 4, extra);
    c->body_len = extra;
    while(c->body_len < cl)
        if(read_some(c, c->body, &c->body_len, cl) <= 0)
            return -1;
    c->body[c->body_len] = '\0';
    return 0;
}

/* Keep a copy of the head just read, for rs_head. */
static void record_head(struct rs_conn *c)
{
    struct rs_server *s = c->s;
    pthread_mutex_lock(&s->mu);
    s->nrequests++;
    if(s->nheads == s->cap_heads) {
        int cap = s->cap_heads ? s->cap_heads * 2 : 16;
        char **grown = realloc(s->heads, (size_t)cap * sizeof *grown);
        if(grown) {
            s->heads = grown;
            s->cap_heads = cap;
        }
    }
    if(s->nheads < s->cap_heads && (s->heads[s->nheads] = strdup(c->head)))
        s->nheads++;
    pthread_mutex_unlock(&s->mu);
}

static void *conn_main(void *arg)
{
    struct rs_conn *c = arg;
    struct rs_server *s = c->s;
    if(!read_request(c)) {
        record_head(c);
        s->o.handler(s->o.ctx, c);
    }
    /* Half-close first so a client still reading sees an orderly end. */
    if(c->fd >= 0) {
        shutdown(c->fd, SHUT_WR);
        close(c->fd);
        c->fd = -1;
    }
    free(c->body);
    c->body = NULL;
    return NULL;
}

static void *accept_main(void *arg)
{
    struct rs_server *s = arg;
    while(!stopping(s) && kit_monotonic_ms() < s->deadline) {
        struct pollfd p = {s->lfd, POLLIN, 0};
        if(poll(&p, 1, SLICE_MS) <= 0)
            continue;
        int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
        if(fd < 0)
            continue;
        pthread_mutex_lock(&s->mu);
        s->accepted++;
        pthread_mutex_unlock(&s->mu);
        struct rs_conn *c = NULL;
        if(s->nconns >= s->o.max_conns || !(c = calloc(1, sizeof *c))) {
            close(fd);
            continue;
        }
        c->s = s;
        c->fd = fd;
        c->deadline = kit_monotonic_ms() + s->o.conn_lifetime_ms;
        if(pthread_create(&c->thread, NULL, conn_main, c)) {
            close(fd);
            free(c);
            continue;
        }
        s->conns[s->nconns++] = c;
    }
    return NULL;
}

int rs_start(const struct rs_options *o, struct rs_server **out, char *why, size_t whysize)
{
    struct rs_server *s = NULL;
    const char *what = "out of memory";
    *out = NULL;
    if(!o || !o->handler) {
        what = "no handler given";
        goto fail;
    }
    if(!(s = calloc(1, sizeof *s)))
        goto fail;
    s->o = *o;
    s->lfd = -1;
    if(s->o.max_conns <= 0)
        s->o.max_conns = 16;
    if(s->o.conn_lifetime_ms <= 0)
        s->o.conn_lifetime_ms = 5000;
    if(s->o.server_lifetime_ms <= 0)
        s->o.server_lifetime_ms = 30000;
    pthread_mutex_init(&s->mu, NULL);
    s->conns = calloc((size_t)s->o.max_conns, sizeof *s->conns);
    if(!s->conns)
        goto fail;
    what = "socket/bind/listen on 127.0.0.1 failed";
    if((s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        goto fail;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if(bind(s->lfd, (struct sockaddr *)&a, sizeof a) || listen(s->lfd, 64) ||
       getsockname(s->lfd, (struct sockaddr *)&a, &al))
        goto fail;
    s->port = ntohs(a.sin_port);
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%u", (unsigned)s->port);
    s->deadline = kit_monotonic_ms() + s->o.server_lifetime_ms;
    what = "could not start the accept thread";
    if(pthread_create(&s->acceptor, NULL, accept_main, s))
        goto fail;
    *out = s;
    return 0;
fail:
    if(why && whysize)
        snprintf(why, whysize, "rawserver: %s (%s)", what, errno ? strerror(errno) : "-");
    if(s) {
        if(s->lfd >= 0)
            close(s->lfd);
        free(s->conns);
        free(s->heads);
        pthread_mutex_destroy(&s->mu);
        free(s);
    }
    return -1;
}

void rs_stop(struct rs_server *s)
{
    if(!s)
        return;
    __atomic_store_n(&s->stopping, 1, __ATOMIC_RELEASE);
    pthread_join(s->acceptor, NULL);
    close(s->lfd);
    for(int i = 0; i < s->nconns; i++) {
        pthread_join(s->conns[i]->thread, NULL);
        free(s->conns[i]);
    }
    for(int i = 0; i < s->nheads; i++)
        free(s->heads[i]);
    free(s->conns);
    free(s->heads);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

const char *rs_url(const struct rs_server *s) { return s->url; }
unsigned short rs_port(const struct rs_server *s) { return s->port; }

int rs_connections(struct rs_server *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->accepted;
    pthread_mutex_unlock(&s->mu);
    return n;
}

uint64_t rs_bytes_sent(struct rs_server *s) { return __atomic_load_n(&s->sent, __ATOMIC_ACQUIRE); }

int rs_requests(struct rs_server *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->nrequests;
    pthread_mutex_unlock(&s->mu);
    return n;
}

int rs_head(struct rs_server *s, int i, struct kit_buf *out)
{
    int rc = -1;
    pthread_mutex_lock(&s->mu);
    if(i >= 0 && i < s->nheads) {
        kit_buf_puts(out, s->heads[i]);
        rc = kit_buf_ok(out) ? 0 : -1;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

const char *rs_conn_head(const struct rs_conn *c) { return c->head; }

const char *rs_conn_body(const struct rs_conn *c, size_t *len)
{
    *len = c->body_len;
    return c->body ? c->body : "";
}

int rs_next_request(struct rs_conn *c)
{
    if(read_request(c))
        return -1;
    record_head(c);
    return 0;
}

void rs_reset(struct rs_conn *c)
{
    if(c->fd < 0)
        return;
    struct linger l = {1, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(c->fd);
    c->fd = -1;
}

int rs_send(struct rs_conn *c, const void *data, size_t len)
{
    const char *p = data;
    while(len > 0) {
        int w = wait_fd(c, POLLOUT);
        if(w < 0)
            return -1;
        if(w == 0)
            continue;
        ssize_t n = send(c->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            continue;
        if(n <= 0)
            return -1;
        __atomic_add_fetch(&c->s->sent, (uint64_t)n, __ATOMIC_RELEASE);
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int rs_sends(struct rs_conn *c, const char *s) { return rs_send(c, s, strlen(s)); }

int rs_sendf(struct rs_conn *c, const char *fmt, ...)
{
    struct kit_buf b = KIT_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    kit_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    int rc = kit_buf_ok(&b) ? rs_send(c, b.data, b.len) : -1;
    kit_buf_free(&b);
    return rc;
}

int rs_pause(struct rs_conn *c, int ms)
{
    int64_t until = kit_monotonic_ms() + ms;
    for(;;) {
        int64_t left = until - kit_monotonic_ms();
        if(left <= 0)
            return 0;
        if(slice(c) < 0)
            return -1;
        struct pollfd p = {c->fd, POLLIN | POLLRDHUP, 0};
        int t = slice(c);
        if(t > left)
            t = (int)left;
        if(poll(&p, 1, t > 0 ? t : 1) > 0) {
            /* The client closed (or reset): nobody is listening any more.
             * Pending request bytes are not a reason to stop. */
            if(p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))
                return -1;
            char sink[512];
            ssize_t n = recv(c->fd, sink, sizeof sink, MSG_DONTWAIT);
            if(n == 0)
                return -1;
        }
    }
}
