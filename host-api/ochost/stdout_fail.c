/* stdout_fail.c - the message for a failed stdout; see stdout_fail.h. */
#include "host-api/ochost/stdout_fail.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "host-api/ochost/host.h"
#include "host-api/ochost/status.h"
#include "plugin/buf.h"

int och_stdout_failed(struct och_session *s, int e, const char *kept, ...)
{
    struct kit_buf tail = KIT_BUF_INIT;
    va_list ap;
    och_host_progress_done(&s->host);
    if(s->err.message[0])
        och_log(&s->host, OC_LOG_INFO, "%s", s->err.message);
    va_start(ap, kept);
    int oom = kit_buf_vprintf(&tail, kept, ap);
    va_end(ap);
    /* One fprintf, so the line reaches stderr in one piece. */
    fprintf(stderr, "ochost: %s: cannot write to stdout: %s; %s\n", s->what, strerror(e),
            oom ? "out of memory saying what was kept" : kit_buf_str(&tail));
    kit_buf_free(&tail);
    return OCH_EXIT_TRANSIENT;
}
