/* cmd_lookup.c - `ochost lookup`: one JSON line per query. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host-api/ochost/commands.h"
#include "host-api/ochost/output.h"
#include "host-api/ochost/status.h"
#include "plugin/error.h"
#include "plugin/text.h"

/* Queries from --input are sent in runs of one kind (email or id), at most
 * this many per call, so a long file never sits in memory and output
 * keeps the file's order. */
#define CHUNK 1000

struct lookup_ctx {
    struct kit_buf scratch;
    unsigned long long found, missed;
};

static oc_status sink(void *ctx, const struct oc_record *r)
{
    struct lookup_ctx *l = ctx;
    if(r->kind && strcmp(r->kind, "lookup_miss") == 0)
        l->missed++;
    else
        l->found++;
    return och_record_print(stdout, r, &l->scratch) ? OC_E_IO : OC_OK;
}

static oc_status run(struct och_session *s, struct lookup_ctx *l, int by, const char *const *q, size_t n)
{
    struct oc_lookup_request req = {sizeof req, by, n, q};
    s->host.sink = sink;
    s->host.sink_ctx = l;
    och_error_init(&s->err);
    oc_status rc = s->conn->lookup(s->inst, &req, &s->err);
    s->host.sink = NULL;
    return rc;
}

static int is_id(const char *s)
{
    for(; *s; s++)
        if(!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

/* NOT_FOUND from one chunk must not hide a worse failure, nor stop the
 * remaining chunks. */
static oc_status merge(oc_status acc, oc_status rc)
{
    if(rc == OC_OK)
        return acc;
    if(rc == OC_E_NOT_FOUND)
        return acc ? acc : rc;
    return rc;
}

static oc_status from_file(struct och_session *s, struct lookup_ctx *l, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
    char *line = NULL, *q[CHUNK];
    size_t cap = 0, n = 0;
    int by = -1;
    oc_status acc = OC_OK, rc;
    unsigned long lineno = 0;

    if(!f)
        return kit_fail(&s->err, OC_E_CONFIG, "cannot read --input %s: %s", path, strerror(errno));
    for(;;) {
        ssize_t got = getline(&line, &cap, f);
        char *t = got >= 0 ? kit_trim(line, KIT_SPACES) : NULL;
        int kind = t ? is_id(t) : -1;
        lineno++;
        if(t && !*t)
            continue;
        /* Flush the pending run when the kind changes, it is full, or the
         * input ends. */
        if(n && (kind != by || n == CHUNK)) {
            rc = run(s, l, by == 1 ? OC_LOOKUP_ID : OC_LOOKUP_EMAIL, (const char *const *)q, n);
            for(size_t i = 0; i < n; i++)
                free(q[i]);
            n = 0;
            acc = merge(acc, rc);
            if(rc && rc != OC_E_NOT_FOUND)
                break;
        }
        if(!t)
            break;
        if(!kind && !strchr(t, '@')) {
            fprintf(stderr, "ochost: lookup: %s:%lu: '%s' is neither an email nor a record id; skipped\n", path,
                    lineno, t);
            acc = merge(acc, OC_E_NOT_FOUND);
            l->missed++;
            continue;
        }
        q[n] = strdup(t);
        if(!q[n]) {
            acc = kit_fail(&s->err, OC_E_NOMEM, "out of memory reading %s", path);
            break;
        }
        n++;
        by = kind;
    }
    for(size_t i = 0; i < n; i++)
        free(q[i]);
    if(ferror(f) && !acc)
        acc = kit_fail(&s->err, OC_E_IO, "cannot read %s: %s", path, strerror(errno));
    free(line);
    if(f != stdin)
        fclose(f);
    return acc;
}

int och_cmd_lookup(struct och_session *s, const struct och_cli *args)
{
    struct lookup_ctx l = {KIT_BUF_INIT, 0, 0};
    oc_status rc;
    if(args->input)
        rc = from_file(s, &l, args->input);
    else
        rc = run(s, &l, args->lookup_by, args->queries, args->nqueries);
    kit_buf_free(&l.scratch);
    if(rc == OC_E_NOT_FOUND || (!rc && l.missed)) {
        if(s->cli->verbosity >= 0)
            fprintf(stderr, "ochost: lookup: %llu found, %llu not found\n", l.found, l.missed);
        return OCH_EXIT_NOT_FOUND;
    }
    return rc ? och_session_report(s, rc) : 0;
}
