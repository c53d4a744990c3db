/* host.c - the services ochost lends the plugin; see host.h. */
#include "host-api/ochost/host.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host-api/ochost/status.h"
#include "plugin/clock.h"
#include "plugin/redact.h"

static volatile sig_atomic_t cancel_flag;
/* A cancelling signal also writes a byte here, so a sleep waits in one
 * poll(2) that the signal ends, whichever thread took it, instead of
 * waking every 100 ms to look at the flag: a push waiting out HubSpot's
 * 10-second windows spent a tenth of its CPU on those wake-ups. Without
 * the pipe (it could not be made) the sleep looks every 100 ms. */
static int wake_fd[2] = {-1, -1};

static const char *level_name(int level)
{
    switch(level) {
    case OC_LOG_ERROR: return "error";
    case OC_LOG_WARN: return "warning";
    case OC_LOG_INFO: return "info";
    default: return "debug";
    }
}

static int wanted(const struct och_host *h, int level)
{
    /* -q: errors; default: warnings; -v: info; -vv: debug */
    return level <= h->verbosity + OC_LOG_WARN;
}

static void emit_line(struct och_host *h, int level, const char *msg)
{
    char line[1024];
    if(!wanted(h, level))
        return;
    snprintf(line, sizeof line, "%s", msg);
    kit_redact_inplace(line);
    /* A terminal's progress line steps aside for the message and comes
     * back under it, so both stay readable. */
    och_progress_suspend(&h->progress);
    fprintf(stderr, "ochost: %s: %s\n", level_name(level), line);
    och_progress_resume(&h->progress);
}

void och_log(struct och_host *h, int level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    emit_line(h, level, msg);
}

static void cb_log(void *ctx, int level, const char *message)
{
    emit_line(ctx, level, message ? message : "");
}

static oc_status cb_state_get(void *ctx, const char *key, void *buf, size_t bufsize, size_t *len)
{
    struct och_host *h = ctx;
    if(!h->state)
        return OC_E_NOT_FOUND;
    return och_state_get(h->state, key, buf, bufsize, len);
}

/* When a save may cover records: a record the plugin was told is
 * delivered either went out with its own write(2) inside emit (output.c)
 * or waits in h->out, which is written out here, before the save; so it
 * is in the kernel's hands before a state covering it is saved. fflush
 * catches anything another path left in stdio's buffer. A record whose
 * write failed got OC_E_IO from emit, which tells the plugin it was not
 * delivered, and the plugin's save after that covers only the records
 * before it. So with one write per record saves stay allowed after a
 * stdout failure: refusing them would make the rerun emit a second time
 * everything delivered since the last save. Held records are different:
 * a failed write cut the file back to the last save, so every later save
 * would cover records no longer there, and h->out refuses them. That
 * refusal is stdout's failure, not the state file's: state_failed stays 0
 * and the command reports stdout. */
static oc_status cb_state_put(void *ctx, const char *key, const void *value, size_t len)
{
    struct och_host *h = ctx;
    if(!h->state)
        return OC_E_IO;
    if(h->out && och_batch_flush(h->out)) {
        och_log(h, OC_LOG_DEBUG, "state key \"%s\" not saved: the records before it could not be written to stdout (%s)",
                key, strerror(errno));
        return OC_E_IO;
    }
    if(fflush(stdout)) {
        och_log(h, OC_LOG_ERROR, "cannot write to stdout: %s; state key \"%s\" not saved", strerror(errno), key);
        return OC_E_IO;
    }
    struct oc_error e;
    och_error_init(&e);
    oc_status rc = och_state_put(h->state, key, value, len, &e);
    if(rc) {
        och_log(h, OC_LOG_ERROR, "%s", e.message);
        /* The first failure is what the user must fix; later ones repeat it. */
        if(!h->state_failed)
            h->state_err = e;
        h->state_failed = 1;
    } else if(h->out) {
        och_batch_saved(h->out);
    }
    return rc;
}

static oc_status cb_emit(void *ctx, const struct oc_record *r)
{
    struct och_host *h = ctx;
    if(!r)
        return OC_E_INVALID;
    if(!h->sink) {
        och_log(h, OC_LOG_DEBUG, "dropped a %s record: no command is listening", r->kind ? r->kind : "?");
        return OC_OK;
    }
    return h->sink(h->sink_ctx, r);
}

static void cb_progress(void *ctx, const char *stage, uint64_t done, uint64_t total)
{
    struct och_host *h = ctx;
    och_progress_update(&h->progress, kit_wall_ms(), stage, done, total);
}

void och_host_progress_done(struct och_host *h) { och_progress_finish(&h->progress, kit_wall_ms()); }

void och_host_progress_input(struct och_host *h, int fd) { och_progress_input(&h->progress, fd); }

static int64_t cb_now(void *ctx)
{
    struct och_host *h = ctx;
    if(h->virtual_clock)
        return h->virtual_now_ms;
    return kit_wall_ms();
}

static void cb_sleep(void *ctx, int64_t ms)
{
    struct och_host *h = ctx;
    if(ms <= 0)
        return;
    if(h->waiting)
        h->waiting(h->waiting_ctx, ms);
    if(h->virtual_clock) {
        h->virtual_now_ms += ms;
        return;
    }
    /* A Ctrl-C ends a long backoff promptly: it wakes the poll, or the
     * next 100 ms slice sees the flag. */
    int64_t until = kit_monotonic_ms() + ms;
    while(!cancel_flag) {
        int64_t left = until - kit_monotonic_ms();
        if(left <= 0)
            break;
        if(wake_fd[0] >= 0) {
            struct pollfd p = {.fd = wake_fd[0], .events = POLLIN};
            (void)poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
            continue;
        }
        if(left > 100)
            left = 100;
        struct timespec ts = {left / 1000, (long)(left % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static int cb_cancelled(void *ctx)
{
    struct och_host *h = ctx;
    if(h->waiting)
        h->waiting(h->waiting_ctx, 0);
    return cancel_flag != 0;
}

void och_host_init(struct och_host *h, struct och_state *state, int verbosity)
{
    memset(h, 0, sizeof *h);
    h->host.struct_size = sizeof h->host;
    h->host.ctx = h;
    h->host.log = cb_log;
    h->host.state_get = cb_state_get;
    h->host.state_put = cb_state_put;
    h->host.emit = cb_emit;
    h->host.progress = cb_progress;
    h->host.now_ms = cb_now;
    h->host.sleep_ms = cb_sleep;
    h->host.cancelled = cb_cancelled;
    h->host.abi_version = OC_ABI_VERSION;
    h->state = state;
    h->verbosity = verbosity;
    och_error_init(&h->state_err);
    och_progress_init(&h->progress, stderr, isatty(STDERR_FILENO), verbosity < 0, kit_wall_ms());
    /* For tests of a real run (no cassette) that must not sleep through
     * its backoff: waits then pass at once. Never in production: the rate
     * limits would not be waited out. */
    const char *vc = getenv(OCH_VIRTUAL_CLOCK_ENV);
    if(vc && *vc) {
        char *end = NULL;
        errno = 0;
        long long start = strtoll(vc, &end, 10);
        if(!errno && end && !*end && start > 0)
            och_host_virtual_clock(h, start);
        else
            och_log(h, OC_LOG_WARN, "%s=%s is not milliseconds since the epoch; ignored", OCH_VIRTUAL_CLOCK_ENV, vc);
    }
}

void och_host_virtual_clock(struct och_host *h, int64_t start_ms)
{
    h->virtual_clock = 1;
    h->virtual_now_ms = start_ms;
}

static void on_signal(int sig)
{
    (void)sig;
    cancel_flag = 1;
    if(wake_fd[1] >= 0) {
        int saved = errno;
        ssize_t n = write(wake_fd[1], "", 1);
        (void)n; /* full: a byte is there already, and that is enough */
        errno = saved;
    }
}

void och_host_signals(void)
{
    if(wake_fd[0] < 0 && pipe2(wake_fd, O_CLOEXEC | O_NONBLOCK))
        wake_fd[0] = wake_fd[1] = -1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int och_host_cancel_requested(void) { return cancel_flag != 0; }
