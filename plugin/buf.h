/*
 * buf.h - a growable byte buffer, always NUL-terminated.
 *
 * Ownership: the struct is the caller's (usually on the stack); the bytes
 * are the buffer's, freed by kit_buf_free(). A failed allocation sets
 * b->oom, makes every later append a no-op and is reported by the call
 * that failed (and by kit_buf_ok), so a long run of appends can be checked
 * once at the end.
 */
#ifndef KIT_BUF_H
#define KIT_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

struct kit_buf {
    char *data;  /* NULL until the first append; else data[len] == '\0' */
    size_t len;
    size_t cap;
    int oom;
};

#define KIT_BUF_INIT {NULL, 0, 0, 0}

void kit_buf_init(struct kit_buf *b);
void kit_buf_free(struct kit_buf *b);
/* Forget the contents, keep the allocation. */
void kit_buf_reset(struct kit_buf *b);
/* Each returns 0, or -1 (and sets oom) when memory ran out. */
int kit_buf_reserve(struct kit_buf *b, size_t extra);
int kit_buf_append_grow(struct kit_buf *b, const void *data, size_t len);
int kit_buf_puts(struct kit_buf *b, const char *s);

/* Appending is most of what serializers do, and a reused buffer nearly
 * always has room: that case is inline, growing is kit_buf_append_grow. */
static inline int kit_buf_append(struct kit_buf *b, const void *data, size_t len)
{
    if(b->oom || !b->data || len >= b->cap - b->len)
        return kit_buf_append_grow(b, data, len);
    if(len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

static inline int kit_buf_putc(struct kit_buf *b, char c)
{
    if(b->oom || !b->data || b->cap - b->len <= 1)
        return kit_buf_append_grow(b, &c, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
    return 0;
}
int kit_buf_printf(struct kit_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int kit_buf_vprintf(struct kit_buf *b, const char *fmt, va_list ap);
/* The contents as a C string: "" for an empty buffer, never NULL. Valid
 * until the next change to b. */
const char *kit_buf_str(const struct kit_buf *b);
/* Hand the bytes to the caller (free() them); b becomes empty. NULL on oom. */
char *kit_buf_take(struct kit_buf *b);
int kit_buf_ok(const struct kit_buf *b);

#endif
