/*
 * bench_json.c - `make bench`: the kit's JSON reader (plugin/json.c) on
 * HubSpot-shaped documents, and the accessors callers run per field.
 *
 * Corpora, each parsed with kit_json_reparse on one reused token array as
 * the plugin does:
 *  - push answers: 300 batch upsert answers of 100 results (5% refused),
 *    the shape tests/support/hspush.c serves the push benchmark;
 *  - pull pages: 10 email events pages of 1,000 events (bench_pull's);
 *  - cassette bodies: every answer body recorded in fixtures/hubspot/,
 *    compact as the replay server sends it;
 *  - input lines: 30,000 push input lines of three fields (one document
 *    each, so what a document costs beside its bytes shows).
 *
 * Figures: instructions per byte (user space, counted by callgrind: the
 * benchmark runs itself once under valgrind when valgrind is installed;
 * exact and the same on every machine, unlike time on a shared one)
 * beside the floor of 7, and MB/s measured natively, for information.
 * Then the accessors' instructions per call.
 *
 *   bench_json                 the table
 *   BENCH_JSON_NO_VALGRIND=1   MB/s only
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#endif
#endif

#include "plugin/buf.h"
#include "plugin/json.h"
#include "tests/support/hspages.h"

#define FLOOR_IPB 7.0

/* A corpus: documents back to back in one buffer, with their lengths. */
struct corpus {
    const char *name;
    struct kit_buf text;
    size_t *len;
    size_t n, cap;
};

static void corpus_end_doc(struct corpus *c, size_t start)
{
    if(c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->len = realloc(c->len, c->cap * sizeof *c->len);
        if(!c->len) {
            fprintf(stderr, "bench_json: out of memory\n");
            exit(2);
        }
    }
    c->len[c->n++] = c->text.len - start;
}

/* The body minus the whitespace between tokens, as the replay server
 * serves a cassette's indented body. */
static void append_compact(struct kit_buf *out, const char *s, size_t n)
{
    int in_str = 0;
    for(size_t i = 0; i < n; i++) {
        char c = s[i];
        if(in_str) {
            kit_buf_putc(out, c);
            if(c == '\\' && i + 1 < n)
                kit_buf_putc(out, s[++i]);
            else if(c == '"')
                in_str = 0;
        } else if(c != ' ' && c != '\n' && c != '\r' && c != '\t') {
            kit_buf_putc(out, c);
            in_str = c == '"';
        }
    }
}

static void add_cassette_bodies(struct corpus *c, const char *dir)
{
    DIR *d = opendir(dir);
    if(!d)
        return;
    struct dirent *e;
    while((e = readdir(d))) {
        size_t nl = strlen(e->d_name);
        if(nl < 6 || strcmp(e->d_name + nl - 5, ".json"))
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if(!f)
            continue;
        struct kit_buf file = KIT_BUF_INIT;
        char chunk[8192];
        size_t got;
        while((got = fread(chunk, 1, sizeof chunk, f)) > 0)
            kit_buf_append(&file, chunk, got);
        fclose(f);
        struct kit_json j;
        if(!kit_json_parse(&j, file.data, file.len, NULL, 0)) {
            int its = kit_json_get(&j, 0, "interactions");
            for(int i = 0, t = its + 1; i < kit_json_size(&j, its); i++, t = kit_json_skip(&j, t)) {
                int body = kit_json_path(&j, t, "response.body");
                enum kit_json_type ty = kit_json_type(&j, body);
                if(ty != KIT_JSON_OBJECT && ty != KIT_JSON_ARRAY)
                    continue;
                size_t blen, start = c->text.len;
                const char *b = kit_json_raw(&j, body, &blen);
                append_compact(&c->text, b, blen);
                corpus_end_doc(c, start);
            }
            kit_json_free(&j);
        }
        kit_buf_free(&file);
    }
    closedir(d);
}

static void build(struct corpus *c, int which)
{
    memset(c, 0, sizeof *c);
    size_t start;
    switch(which) {
    case 0:
        c->name = "push answers";
        for(long a = 0; a < 300; a++) {
            start = c->text.len;
            hsp_upsert_answer(&c->text, a * 100, 100);
            corpus_end_doc(c, start);
        }
        break;
    case 1:
        c->name = "pull pages";
        for(int p = 0; p < 10; p++) {
            start = c->text.len;
            hsp_events_page(&c->text, p * 1000, 1000, p < 9);
            corpus_end_doc(c, start);
        }
        break;
    case 2:
        c->name = "cassette bodies";
        add_cassette_bodies(c, "fixtures/hubspot");
        add_cassette_bodies(c, "fixtures/hubspot/gen");
        add_cassette_bodies(c, "fixtures/hubspot/demo");
        break;
    default:
        c->name = "input lines";
        for(long k = 0; k < 30000; k++) {
            start = c->text.len;
            hsp_input_line(&c->text, k);
            corpus_end_doc(c, start);
        }
        break;
    }
    if(!kit_buf_ok(&c->text) || !c->n) {
        fprintf(stderr, "bench_json: could not build the %s corpus (run from the source tree)\n", c->name);
        exit(2);
    }
}

static void corpus_free(struct corpus *c)
{
    kit_buf_free(&c->text);
    free(c->len);
}

/* Parse every document once; 0 when all parsed (a document that does not
 * is a broken benchmark: exit 1). noinline: callgrind
 * counts exactly this. */
static __attribute__((noinline)) int parse_all(const struct corpus *c, struct kit_json *j)
{
    const char *p = c->text.data;
    for(size_t i = 0; i < c->n; p += c->len[i], i++)
        if(kit_json_reparse(j, p, c->len[i], NULL, 0))
            return -1;
    return 0;
}

/* What callers do per field: find members by name, read strings. */
static volatile size_t sink;

static __attribute__((noinline)) size_t accessors_all(const struct corpus *c, struct kit_json *j,
                                                      struct kit_buf *out, size_t *calls)
{
    const char *p = c->text.data;
    size_t n = 0;
    for(size_t i = 0; i < c->n; p += c->len[i], i++) {
        if(kit_json_reparse(j, p, c->len[i], NULL, 0))
            return 0;
        int res = kit_json_get(j, 0, "results");
        for(int r = 0, t = res + 1; r < kit_json_size(j, res); r++, t = kit_json_skip(j, t)) {
            for(int m = 0, k = t + 1; m < kit_json_size(j, t); m++, k = kit_json_skip(j, k)) {
                size_t len;
                n += 3;
                if(kit_json_type(j, k + 1) == KIT_JSON_STRING && kit_json_eqn(j, k, "objectWriteTraceId", 18)) {
                    kit_buf_reset(out);
                    kit_json_str(j, k + 1, out);
                    n++;
                }
                sink += (size_t)kit_json_raw(j, k, &len) + len;
            }
        }
    }
    *calls = n;
    return n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#ifdef HAVE_CALLGRIND
/* Inside valgrind: one parse of each corpus and one accessor run, each
 * between a zero and a dump of the counters. */
static int counted_run(void)
{
    struct kit_json j = {0};
    struct kit_buf out = KIT_BUF_INIT;
    struct corpus c;
    for(int w = 0; w < 4; w++) {
        build(&c, w);
        parse_all(&c, &j); /* the array grown, as on a long run */
        CALLGRIND_ZERO_STATS;
        parse_all(&c, &j);
        CALLGRIND_DUMP_STATS_AT(c.name);
        corpus_free(&c);
    }
    size_t calls;
    build(&c, 0);
    parse_all(&c, &j);
    CALLGRIND_ZERO_STATS;
    accessors_all(&c, &j, &out, &calls);
    CALLGRIND_DUMP_STATS_AT("accessors");
    corpus_free(&c);
    kit_buf_free(&out);
    kit_json_free(&j);
    return 0;
}

/* The "summary:" or "totals:" count of a callgrind dump file, -1 if none. */
static double dump_total(const char *path)
{
    FILE *f = fopen(path, "r");
    if(!f)
        return -1;
    char line[256];
    double v = -1;
    while(fgets(line, sizeof line, f))
        if(!strncmp(line, "summary:", 8) || !strncmp(line, "totals:", 7))
            v = strtod(strchr(line, ':') + 1, NULL);
    fclose(f);
    return v;
}

/* Run this binary under callgrind; ir[0..4] the instructions of the four
 * parses and the accessor run, 0 when it worked. */
static int count_instructions(const char *self, double ir[5])
{
    char dir[] = "/tmp/bench_json.XXXXXX", out[64];
    if(!mkdtemp(dir))
        return -1;
    snprintf(out, sizeof out, "%s/cg.out", dir);
    char outarg[96];
    snprintf(outarg, sizeof outarg, "--callgrind-out-file=%s", out);
    pid_t pid = fork();
    if(pid == 0) {
        int devnull = open("/dev/null", 1);
        if(devnull >= 0) {
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        setenv("BENCH_JSON_COUNTED", "1", 1);
        execlp("valgrind", "valgrind", "--tool=callgrind", outarg, self, (char *)NULL);
        _exit(127);
    }
    int st = 0, rc = -1;
    if(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        rc = 0;
        for(int i = 0; i < 5; i++) {
            char path[96];
            snprintf(path, sizeof path, "%s.%d", out, i + 1);
            ir[i] = dump_total(path);
            if(ir[i] < 0)
                rc = -1;
        }
    }
    for(int i = 0; i <= 5; i++) {
        char path[96];
        snprintf(path, sizeof path, i ? "%s.%d" : "%s", out, i);
        unlink(path);
    }
    rmdir(dir);
    return rc;
}
#endif

int main(int argc, char **argv)
{
    (void)argc;
#ifdef HAVE_CALLGRIND
    if(getenv("BENCH_JSON_COUNTED"))
        return counted_run();
#endif
    double ir[5] = {-1, -1, -1, -1, -1};
    int counted = -1;
#ifdef HAVE_CALLGRIND
    if(!getenv("BENCH_JSON_NO_VALGRIND"))
        counted = count_instructions(argv[0], ir);
#else
    (void)argv;
#endif
    printf("\nbench_json: the kit's JSON reader on HubSpot-shaped documents (kit_json_reparse, "
           "one reused array)\n");
    printf("%-18s %6s %10s %12s %8s %6s %9s\n", "corpus", "docs", "bytes", "instr/byte", "floor", "", "MB/s");
    struct kit_json j = {0};
    int all_ok = 1;
    for(int w = 0; w < 4; w++) {
        struct corpus c;
        build(&c, w);
        if(parse_all(&c, &j)) {
            printf("%-18s a document did not parse\n", c.name);
            all_ok = 0;
            corpus_free(&c);
            continue;
        }
        int reps = 0;
        double t0 = now_s(), t;
        do {
            parse_all(&c, &j);
            reps++;
        } while((t = now_s() - t0) < 0.3);
        double mbs = (double)c.text.len * reps / t / 1e6;
        if(counted == 0) {
            double ipb = ir[w] / (double)c.text.len;
            /* input lines are tiny documents: their figure carries the
             * cost per document and is shown for information only */
            int judged = w != 3;
            printf("%-18s %6zu %10zu %12.2f %8.1f %6s %9.0f\n", c.name, c.n, c.text.len, ipb, FLOOR_IPB,
                   !judged ? "" : ipb <= FLOOR_IPB ? "ok" : "OVER", mbs);
        } else {
            printf("%-18s %6zu %10zu %12s %8.1f %6s %9.0f\n", c.name, c.n, c.text.len, "n/a", FLOOR_IPB, "", mbs);
        }
        if(w == 0 && counted == 0) {
            size_t calls = 0;
            struct kit_buf out = KIT_BUF_INIT;
            accessors_all(&c, &j, &out, &calls);
            kit_buf_free(&out);
            printf("%-18s %zu accessor calls (get, size, skip, type, eqn, str, raw) over the push answers: "
                   "%.1f instructions per call\n",
                   "accessors", calls, (ir[4] - ir[0]) / (double)calls);
        }
        corpus_free(&c);
    }
    kit_json_free(&j);
    if(counted != 0)
        printf("(instructions not counted: valgrind %s)\n",
               getenv("BENCH_JSON_NO_VALGRIND") ? "turned off by BENCH_JSON_NO_VALGRIND" : "not available");
    return all_ok ? 0 : 1;
}
