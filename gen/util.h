/*
 * util.h - the small helpers every part of polysock-gen shares: checked
 * allocation, a growable string buffer, and diagnostics in the
 * "file:line:column: message" form that editors and make understand.
 */
#ifndef POLYSOCK_GEN_UTIL_H
#define POLYSOCK_GEN_UTIL_H

#include <stdarg.h>
#include <stddef.h>

#if defined(__GNUC__)
#define GEN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define GEN_PRINTF(f, a)
#endif

/* Allocation that cannot fail: a generator that runs out of memory has
 * nothing useful left to do, so these print a message and exit(1). */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Append one element to a heap array of *n elements (realloc per push: the
 * model is small, and this keeps every array a plain pointer + count). */
void *xpush(void *array, size_t *n, size_t elsize);

/* A growable, always NUL-terminated string. */
struct sbuf {
    char *s;
    size_t len;
    size_t cap;
};

void sb_init(struct sbuf *b);
void sb_free(struct sbuf *b);
void sb_clear(struct sbuf *b);
void sb_putc(struct sbuf *b, char c);
void sb_puts(struct sbuf *b, const char *s);
void sb_putn(struct sbuf *b, const char *s, size_t n);
void sb_printf(struct sbuf *b, const char *fmt, ...) GEN_PRINTF(2, 3);
void sb_vprintf(struct sbuf *b, const char *fmt, va_list ap);
/* Hand the string over to the caller (who frees it) and reset b. */
char *sb_take(struct sbuf *b);

/* Print "path:line:col: message\n" to stderr. */
void diag(const char *path, int line, int col, const char *fmt, ...)
    GEN_PRINTF(4, 5);
void vdiag(const char *path, int line, int col, const char *fmt, va_list ap);

/* The last path component: generated files name the IDL by it, so their
 * content does not depend on where the source tree is. */
const char *path_basename(const char *path);

#endif
