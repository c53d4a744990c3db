/* progress.c - see progress.h. */
#include "host-api/ochost/progress.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host-api/ochost/timeparse.h"

void och_progress_init(struct och_progress *p, FILE *out, int tty, int quiet, int64_t now_ms)
{
    memset(p, 0, sizeof *p);
    p->out = quiet ? NULL : out;
    p->tty = tty;
    p->input_fd = -1;
    p->armed_ms = now_ms;
    p->last_out_ms = now_ms;
}

void och_progress_input(struct och_progress *p, int fd)
{
    struct stat st;
    if(fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0)
        return;
    p->input_fd = fd;
    p->input_size = (uint64_t)st.st_size;
}

/* Push reads a file whose size is known: bytes are the one measure with a
 * total (the number of inputs is known only at the end). */
static int bytes_mode(const struct och_progress *p)
{
    return p->input_size > 0 && strcmp(p->stage, "push") == 0;
}

/* Where the reader is in the input. It runs up to one buffer ahead of the
 * inputs handed to the plugin, which at these sizes does not show. */
static uint64_t input_read(const struct och_progress *p)
{
    off_t pos = lseek(p->input_fd, 0, SEEK_CUR);
    if(pos < 0)
        return 0;
    return (uint64_t)pos > p->input_size ? p->input_size : (uint64_t)pos;
}

static uint64_t amount(const struct och_progress *p, uint64_t bytes)
{
    return bytes_mode(p) ? bytes : p->done;
}

/* What the plugin counts in the stages ochost runs; n picks the form. */
static const char *unit(const char *stage, uint64_t n)
{
    if(strcmp(stage, "push") == 0)
        return n == 1 ? "input" : "inputs";
    if(strcmp(stage, "pull") == 0)
        return n == 1 ? "record" : "records";
    if(strcmp(stage, "lookup") == 0)
        return n == 1 ? "query" : "queries";
    return NULL;
}

static void bytes_text(double n, char *out, size_t size)
{
    static const char *const names[] = {"KiB", "MiB", "GiB", "TiB"};
    if(n < 1024) {
        snprintf(out, size, "%.0f B", n);
        return;
    }
    int k = -1;
    while(n >= 1024 && k < 3) {
        n /= 1024;
        k++;
    }
    snprintf(out, size, "%.1f %s", n, names[k]);
}

/* Rounded up: a user is never promised less time than it takes. */
static void left_text(double sec, char *out, size_t size)
{
    unsigned long long s = (unsigned long long)sec;
    if((double)s < sec)
        s++;
    if(s < 120)
        snprintf(out, size, "%llu s left", s);
    else if(s < 3600)
        snprintf(out, size, "%llu min left", (s + 59) / 60);
    else
        snprintf(out, size, "%llu h %llu min left", s / 3600, (s % 3600 + 59) / 60);
}

/* The plugin's text, without anything that would move the cursor. */
static void copy_clean(char *dst, size_t size, const char *src, size_t len)
{
    if(len >= size)
        len = size - 1;
    for(size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    dst[len] = '\0';
}

static void text_with(const struct och_progress *p, int64_t now_ms, uint64_t bytes, char *out, size_t size)
{
    const char *u = unit(p->stage, p->done), *per = unit(p->stage, 2);
    int bm = bytes_mode(p);
    uint64_t amt = amount(p, bytes);
    uint64_t total = bm ? p->input_size : p->total;
    size_t n = 0;
#define ADD(...)                                                                                   \
    do {                                                                                           \
        if(n < size)                                                                               \
            n += (size_t)snprintf(out + n, size - n, __VA_ARGS__);                                 \
    } while(0)
    ADD("%s%s%s: ", p->stage, p->detail[0] ? " " : "", p->detail);
    unsigned pct = total ? (unsigned)(amt >= total ? 100 : amt * 100 / total) : 0;
    if(bm) {
        char a[32], b[32];
        bytes_text((double)amt, a, sizeof a);
        bytes_text((double)total, b, sizeof b);
        ADD("%s of %s (%u%%)", a, b, pct);
        if(p->done)
            ADD(", %llu %s", (unsigned long long)p->done, u);
    } else if(total) {
        ADD("%llu of %llu%s%s (%u%%)", (unsigned long long)amt, (unsigned long long)total, per ? " " : "",
            per ? per : "", pct);
    } else {
        ADD("%llu%s%s", (unsigned long long)amt, u ? " " : "", u ? u : "");
    }
    int64_t elapsed = now_ms - p->t0_ms;
    if(elapsed >= 1000 && amt > p->d0) {
        double rate = (double)(amt - p->d0) * 1000.0 / (double)elapsed;
        if(bm) {
            char r[32];
            bytes_text(rate, r, sizeof r);
            ADD(", %s/s", r);
        } else {
            ADD(rate >= 10 ? ", %.0f%s%s/s" : ", %.1f%s%s/s", rate, per ? " " : "", per ? per : "");
        }
        if(total && amt < total) {
            char l[48];
            left_text((double)(total - amt) / rate, l, sizeof l);
            ADD(", %s", l);
        }
    }
#undef ADD
}

void och_progress_text(const struct och_progress *p, int64_t now_ms, char *out, size_t size)
{
    text_with(p, now_ms, bytes_mode(p) ? input_read(p) : 0, out, size);
}

static void draw(struct och_progress *p, int64_t now_ms)
{
    och_progress_text(p, now_ms, p->line, sizeof p->line);
    if(p->tty) {
        fprintf(p->out, "\r%s\033[K", p->line);
        p->open = 1;
    } else {
        char when[40];
        och_format_time(now_ms, when, sizeof when);
        /* to the second: "YYYY-MM-DDTHH:MM:SSZ" */
        if(strlen(when) > 19)
            strcpy(when + 19, "Z");
        fprintf(p->out, "ochost: %s %s\n", when, p->line);
    }
    fflush(p->out);
    p->last_out_ms = now_ms;
    p->shown = 1;
}

void och_progress_update(struct och_progress *p, int64_t now_ms, const char *stage, uint64_t done,
                         uint64_t total)
{
    if(!p->out)
        return;
    stage = stage ? stage : "";
    size_t wlen = strcspn(stage, " ");
    char word[sizeof p->stage], detail[sizeof p->detail];
    copy_clean(word, sizeof word, stage, wlen);
    const char *rest = stage[wlen] ? stage + wlen + 1 : "";
    copy_clean(detail, sizeof detail, rest, strlen(rest));

    int new_stage = !p->active || strcmp(word, p->stage) != 0;
    int first = p->stages == 0;
    if(new_stage) {
        p->stages++;
        och_progress_finish(p, now_ms);
        snprintf(p->stage, sizeof p->stage, "%s", word);
        p->active = 1;
    }
    int new_detail = strcmp(detail, p->detail) != 0;
    snprintf(p->detail, sizeof p->detail, "%s", detail);
    p->done = done;
    p->total = total;
    uint64_t bytes = bytes_mode(p) ? input_read(p) : 0;
    if(new_stage) {
        /* The first stage began with the run; a later one with its first
         * report, whose work was done by the stage before. */
        p->t0_ms = first ? p->armed_ms : now_ms;
        p->d0 = first ? 0 : amount(p, bytes);
    }
    p->shown = 0;
    int last = total && done >= total;
    int64_t since = now_ms - p->last_out_ms;
    int due = p->tty ? new_stage || new_detail || since >= OCH_PROGRESS_TTY_MS : since >= OCH_PROGRESS_PIPE_MS;
    if(due || last)
        draw(p, now_ms);
    if(last)
        och_progress_finish(p, now_ms);
}

void och_progress_finish(struct och_progress *p, int64_t now_ms)
{
    if(!p->out || !p->active)
        return;
    if(!p->shown)
        draw(p, now_ms);
    if(p->tty && p->open) {
        fputc('\n', p->out);
        fflush(p->out);
    }
    p->open = 0;
    p->active = 0;
    p->line[0] = '\0';
}

void och_progress_suspend(struct och_progress *p)
{
    if(!p->out || !p->tty || !p->open)
        return;
    fputs("\r\033[K", p->out);
    fflush(p->out);
    p->open = 0;
}

void och_progress_resume(struct och_progress *p)
{
    if(!p->out || !p->tty || p->open || !p->active || !p->line[0])
        return;
    fprintf(p->out, "\r%s\033[K", p->line);
    fflush(p->out);
    p->open = 1;
}
