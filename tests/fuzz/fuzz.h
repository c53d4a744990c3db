/*
 * fuzz.h - what the fuzz targets in tests/fuzz/ share.
 *
 * Each target file defines `int fuzz_<what>_one(const uint8_t *, size_t)`
 * and, under FUZZ_MAIN (the clang/libFuzzer build of `make fuzz`), the
 * LLVMFuzzerTestOneInput that calls it. tests/check_fuzz_regress.c
 * #includes every target file so `make check` replays the corpus and the
 * regression inputs through the very same code with gcc.
 *
 * FUZZ_REQUIRE states an invariant of the code under test (not of the
 * input): under libFuzzer it aborts, which makes libFuzzer save the input;
 * in the Check build the includer defines FUZZ_FAIL to fail the test with
 * the message instead.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifdef FUZZ_MAIN
#define FUZZ_FAIL(...)                                                                             \
    do {                                                                                           \
        fprintf(stderr, "fuzz invariant broken: " __VA_ARGS__);                                    \
        fputc('\n', stderr);                                                                       \
        abort();                                                                                   \
    } while(0)
#endif

#define FUZZ_REQUIRE(cond, ...)                                                                    \
    do {                                                                                           \
        if(!(cond))                                                                                \
            FUZZ_FAIL(__VA_ARGS__);                                                                \
    } while(0)

/* An invariant that a known, reported finding breaks, named by tag. While
 * its owner fixes it, `FUZZ_IGNORE=tag1,tag2 make fuzz` lets libFuzzer get
 * past it to look for the next one; the Check replay never ignores it. */
#ifdef FUZZ_MAIN
static inline int fuzz_ignored(const char *tag)
{
    const char *list = getenv("FUZZ_IGNORE");
    size_t n = strlen(tag);
    for(const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if(len == n && !strncmp(p, tag, n))
            return 1;
        p += len + (end != NULL);
    }
    return 0;
}
#else
#define fuzz_ignored(tag) 0
#endif

#define FUZZ_REQUIRE_TAG(tag, cond, ...)                                                           \
    do {                                                                                           \
        if(!(cond) && !fuzz_ignored(tag))                                                          \
            FUZZ_FAIL("[" tag "] " __VA_ARGS__);                                                   \
    } while(0)

/* A file holding data[0..size), for parsers that only take a path. An
 * anonymous memfd: nothing touches the disk and nothing is left behind
 * when a run is killed. path gets "/proc/self/fd/N". Returns the fd (the
 * caller closes it), or -1 when the memfd cannot be made, which the
 * caller treats as "skip this input" (it says nothing about the parser). */
static inline int fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t pathsize)
{
    int fd = memfd_create("fuzz-input", 0);
    if(fd < 0)
        return -1;
    size_t off = 0;
    while(off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if(w <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    snprintf(path, pathsize, "/proc/self/fd/%d", fd);
    return fd;
}


/* What is wrong with s as text, or NULL when nothing is. Always: well-formed
 * UTF-8 (no overlongs, surrogates or values past U+10FFFF), written here
 * apart from the code under test so the check does not trust its own
 * validator. ctl says which control bytes may appear: FUZZ_CTL_ANY,
 * FUZZ_CTL_TAB (tab only) or FUZZ_CTL_NONE (nothing below 0x20, no DEL). */
enum { FUZZ_CTL_ANY, FUZZ_CTL_TAB, FUZZ_CTL_NONE };

static inline const char *fuzz_text_problem(const char *s, int ctl)
{
    const unsigned char *p = (const unsigned char *)s;
    while(*p) {
        unsigned c = *p, n, min, cp;
        if(ctl != FUZZ_CTL_ANY && (c < 0x20 || c == 0x7f) && !(ctl == FUZZ_CTL_TAB && c == '\t'))
            return "a control byte";
        if(c < 0x80) {
            p++;
            continue;
        }
        if(c >= 0xC2 && c <= 0xDF)
            n = 1, min = 0x80, cp = c & 0x1F;
        else if(c >= 0xE0 && c <= 0xEF)
            n = 2, min = 0x800, cp = c & 0x0F;
        else if(c >= 0xF0 && c <= 0xF4)
            n = 3, min = 0x10000, cp = c & 0x07;
        else
            return "invalid UTF-8";
        for(unsigned i = 1; i <= n; i++) {
            if((p[i] & 0xC0) != 0x80)
                return "invalid UTF-8";
            cp = cp << 6 | (p[i] & 0x3F);
        }
        if(cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return "invalid UTF-8";
        p += n + 1;
    }
    return NULL;
}

#endif
