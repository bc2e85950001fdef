/*
 * util.c - checked allocation, string buffers and diagnostics.
 */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(void)
{
    fputs("polysock-gen: out of memory\n", stderr);
    exit(1);
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);

    if (p == NULL)
        out_of_memory();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (p == NULL)
        out_of_memory();
    return p;
}

void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);

    if (q == NULL)
        out_of_memory();
    return q;
}

char *xstrndup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);

    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

void *xpush(void *array, size_t *n, size_t elsize)
{
    char *a = xrealloc(array, (*n + 1) * elsize);

    /* New elements start zeroed so a half-built model can always be freed. */
    memset(a + *n * elsize, 0, elsize);
    (*n)++;
    return a;
}

void sb_init(struct sbuf *b)
{
    b->s = NULL;
    b->len = 0;
    b->cap = 0;
}

void sb_free(struct sbuf *b)
{
    free(b->s);
    sb_init(b);
}

void sb_clear(struct sbuf *b)
{
    b->len = 0;
    if (b->s != NULL)
        b->s[0] = '\0';
}

static void sb_reserve(struct sbuf *b, size_t extra)
{
    size_t need = b->len + extra + 1;

    if (need <= b->cap)
        return;
    while (b->cap < need)
        b->cap = b->cap ? b->cap * 2 : 256;
    b->s = xrealloc(b->s, b->cap);
}

void sb_putn(struct sbuf *b, const char *s, size_t n)
{
    sb_reserve(b, n);
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void sb_putc(struct sbuf *b, char c)
{
    sb_putn(b, &c, 1);
}

void sb_puts(struct sbuf *b, const char *s)
{
    sb_putn(b, s, strlen(s));
}

void sb_vprintf(struct sbuf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    sb_reserve(b, (size_t)n);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    sb_vprintf(b, fmt, ap);
    va_end(ap);
}

char *sb_take(struct sbuf *b)
{
    char *s = b->s ? b->s : xstrdup("");

    sb_init(b);
    return s;
}

void vdiag(const char *path, int line, int col, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s:%d:%d: ", path, line, col);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void diag(const char *path, int line, int col, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vdiag(path, line, col, fmt, ap);
    va_end(ap);
}

const char *path_basename(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}
