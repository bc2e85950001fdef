/*
 * tls_buf.c - a growable byte buffer on the library's allocator, for the
 * info items whose length is known only once they are built.
 */
#include "tls_internal.h"

#include <stdio.h>
#include <string.h>

void polysock__buf_add(polysock__buf *b, const void *bytes, size_t len)
{
    if (b->failed || len == 0)
        return;
    if (len > SIZE_MAX / 2 - b->len) {
        b->failed = true;
        return;
    }
    if (b->len + len > b->cap) {
        size_t cap = b->cap < 64 ? 64 : b->cap;
        while (cap < b->len + len)
            cap *= 2;
        char *grown = polysock__malloc(cap);
        if (grown == NULL) {
            b->failed = true;
            return;
        }
        if (b->len > 0)
            memcpy(grown, b->data, b->len);
        polysock__free(b->data);
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, bytes, len);
    b->len += len;
}

void polysock__buf_add_str(polysock__buf *b, const char *s)
{
    polysock__buf_add(b, s, strlen(s));
}

void polysock__buf_add_char(polysock__buf *b, char c)
{
    polysock__buf_add(b, &c, 1);
}

void polysock__buf_add_size(polysock__buf *b, size_t n)
{
    char text[24];
    int len = snprintf(text, sizeof text, "%zu", n);
    polysock__buf_add(b, text, (size_t)len);
}

void polysock__buf_free(polysock__buf *b)
{
    polysock__free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = false;
}
