/* batch.c - output lines held and written in large pieces; see batch.h. */
#include "host-api/ochost/batch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host-api/ochost/output.h"

/* Where writes to fd land when they all land at its end: its size when
 * opened to append (the offset then says nothing until the first write),
 * else its offset when that is the end. -1: not a regular file written at
 * its end, so lines must not be held. */
static off_t append_point(int fd)
{
    struct stat sb;
    if(fstat(fd, &sb) || !S_ISREG(sb.st_mode))
        return -1;
    int fl = fcntl(fd, F_GETFL);
    if(fl < 0)
        return -1;
    if(fl & O_APPEND)
        return sb.st_size;
    off_t at = lseek(fd, 0, SEEK_CUR);
    return at == sb.st_size ? at : -1;
}

void och_batch_init(struct och_batch *b, int fd, size_t max)
{
    kit_buf_init(&b->held);
    b->fd = fd;
    b->max = max ? max : OCH_BATCH_MAX;
    b->held_records = b->written = b->saved_records = 0;
    b->saved_tail = 0;
    b->err = b->uncut = 0;
    b->end = append_point(fd);
    b->hold = b->end >= 0;
    b->saved_end = b->end;
}

void och_batch_free(struct och_batch *b) { kit_buf_free(&b->held); }

static int failed(struct och_batch *b, int e)
{
    if(!b->err) {
        b->err = e ? e : EIO;
        if(b->fd == STDOUT_FILENO)
            och_stdout_note_error(b->err);
    }
    errno = b->err;
    return -1;
}

/* stdio never holds a pull's stdout, but whatever another path left there
 * must go out first so the order holds. */
static int put(struct och_batch *b, const char *text, size_t len)
{
    if(b->fd == STDOUT_FILENO && fflush(stdout))
        return -1;
    return och_write_line(b->fd, text, len);
}

/* A write failed with e: cut the file back to the last save, so what it
 * holds is what the saved state covers, and refuse everything after. */
static int cut_back(struct och_batch *b, int e)
{
    if(ftruncate(b->fd, b->saved_end) == 0 && lseek(b->fd, b->saved_end, SEEK_SET) == b->saved_end) {
        b->end = b->saved_end;
        b->written = b->saved_records;
    } else {
        b->uncut = 1;
    }
    kit_buf_reset(&b->held);
    b->held_records = 0;
    b->saved_tail = 0;
    return failed(b, e);
}

int och_batch_flush(struct och_batch *b)
{
    if(!b->hold)
        return 0;
    if(b->err) {
        errno = b->err;
        return -1;
    }
    if(!b->held.len)
        return 0;
    /* The save's own lines first, on their own: once out they are kept
     * when what follows fails. */
    if(b->saved_tail) {
        if(put(b, b->held.data, b->saved_tail))
            return cut_back(b, errno);
        b->end += (off_t)b->saved_tail;
        b->saved_end = b->end;
    }
    size_t rest = b->held.len - b->saved_tail;
    if(rest && put(b, b->held.data + b->saved_tail, rest))
        return cut_back(b, errno);
    b->end += (off_t)rest;
    b->written += b->held_records;
    b->held_records = 0;
    b->saved_tail = 0;
    kit_buf_reset(&b->held);
    return 0;
}

int och_batch_line(struct och_batch *b, const char *text, size_t len, unsigned records)
{
    if(b->err) {
        errno = b->err;
        return -1;
    }
    if(!b->hold) {
        if(put(b, text, len))
            return failed(b, errno);
        b->written += records;
        return 0;
    }
    /* Held bytes never pass max: what is held goes out before a line that
     * would not fit and as soon as it reaches max, so the buffer is
     * allocated once, at max, and reused for the whole run (it grew by
     * doubling past max before). */
    if(b->held.len && len > b->max - b->held.len && och_batch_flush(b))
        return -1;
    if(len > b->max) {
        /* A line longer than the buffer goes out on its own, as a flush of
         * it would. */
        if(put(b, text, len))
            return cut_back(b, errno);
        b->end += (off_t)len;
        b->written += records;
        return 0;
    }
    if(!b->held.data && kit_buf_reserve(&b->held, b->max)) {
        errno = ENOMEM;
        return -1;
    }
    if(kit_buf_append(&b->held, text, len)) {
        errno = ENOMEM;
        return -1;
    }
    b->held_records += records;
    if(b->held.len == b->max && och_batch_flush(b)) {
        /* This line was cut away with the rest: not taken. */
        return -1;
    }
    return 0;
}

void och_batch_saved(struct och_batch *b)
{
    if(!b->hold || b->err)
        return;
    b->saved_end = b->end;
    b->saved_records = b->written;
    b->saved_tail = b->held.len;
}
