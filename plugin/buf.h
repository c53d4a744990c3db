/*
 * buf.h - a growable byte buffer, always NUL-terminated.
 *
 * Ownership: the struct is the caller's (usually on the stack); the bytes
 * are the buffer's, freed by hs_buf_free(). A failed allocation sets
 * b->oom, makes every later append a no-op and is reported by the call
 * that failed (and by hs_buf_ok), so a long run of appends can be checked
 * once at the end.
 */
#ifndef HS_BUF_H
#define HS_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct hs_buf {
    char *data;  /* NULL until the first append; else data[len] == '\0' */
    size_t len;
    size_t cap;
    int oom;
};

#define HS_BUF_INIT {NULL, 0, 0, 0}

void hs_buf_init(struct hs_buf *b);
void hs_buf_free(struct hs_buf *b);
/* Forget the contents, keep the allocation. */
void hs_buf_reset(struct hs_buf *b);
/* Each returns 0, or -1 (and sets oom) when memory ran out. */
int hs_buf_reserve(struct hs_buf *b, size_t extra);
int hs_buf_append(struct hs_buf *b, const void *data, size_t len);
int hs_buf_puts(struct hs_buf *b, const char *s);
int hs_buf_putc(struct hs_buf *b, char c);
int hs_buf_printf(struct hs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int hs_buf_vprintf(struct hs_buf *b, const char *fmt, va_list ap);
/* The contents as a C string: "" for an empty buffer, never NULL. Valid
 * until the next change to b. */
const char *hs_buf_str(const struct hs_buf *b);
/* Hand the bytes to the caller (free() them); b becomes empty. NULL on oom. */
char *hs_buf_take(struct hs_buf *b);
int hs_buf_ok(const struct hs_buf *b);

#endif
