/*
 * alloc.c - the library's allocator: counts what it holds so tests can
 * prove that nothing leaked, and can be told to fail so that every ENOMEM
 * path is exercised.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Each block carries its size in front, so free can subtract it; 16 bytes
 * keeps the payload aligned for any type. */
typedef union alloc_header {
    size_t size;
    max_align_t align;
} alloc_header;

static _Atomic int64_t live_bytes;
static _Atomic int64_t total_allocs;
static _Atomic int64_t failed_allocs;
/* Fault injection: allocations left to succeed, then how many to fail
 * (-1: all).  fail_enabled is checked first so the normal path is one load. */
static atomic_bool fail_enabled;
static _Atomic int64_t fail_after;
static _Atomic int64_t fail_count;

static bool injected_failure(void)
{
    if (!atomic_load_explicit(&fail_enabled, memory_order_relaxed))
        return false;
    if (atomic_fetch_sub(&fail_after, 1) > 0)
        return false;
    int64_t left = atomic_load(&fail_count);
    if (left < 0)
        return true;
    while (left > 0) {
        if (atomic_compare_exchange_weak(&fail_count, &left, left - 1))
            return true;
    }
    return false;
}

void *polysock__malloc(size_t size)
{
    if (size > SIZE_MAX - sizeof(alloc_header) || injected_failure()) {
        atomic_fetch_add(&failed_allocs, 1);
        errno = ENOMEM;
        return NULL;
    }
    alloc_header *h = malloc(sizeof *h + size);
    if (h == NULL) {
        atomic_fetch_add(&failed_allocs, 1);
        return NULL;
    }
    h->size = size;
    atomic_fetch_add(&live_bytes, (int64_t)size);
    atomic_fetch_add(&total_allocs, 1);
    return h + 1;
}

void *polysock__calloc(size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size) {
        atomic_fetch_add(&failed_allocs, 1);
        return NULL;
    }
    void *p = polysock__malloc(count * size);
    if (p != NULL)
        memset(p, 0, count * size);
    return p;
}

void polysock__free(void *ptr)
{
    if (ptr == NULL)
        return;
    alloc_header *h = (alloc_header *)ptr - 1;
    atomic_fetch_sub(&live_bytes, (int64_t)h->size);
    free(h);
}

char *polysock__memdup0(const char *src, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *p = polysock__malloc(len + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, src, len);
    p[len] = '\0';
    return p;
}

void polysock__stats_alloc(polysock_stats *stats)
{
    stats->live_bytes = atomic_load(&live_bytes);
    stats->total_allocs = atomic_load(&total_allocs);
    stats->failed_allocs = atomic_load(&failed_allocs);
}

int polysock_debug_fail_allocs(int64_t after, int64_t count)
{
    if (after < 0)
        return POLYSOCK_EVALUE;
    atomic_store(&fail_enabled, false);
    atomic_store(&fail_after, after);
    atomic_store(&fail_count, count);
    if (count != 0)
        atomic_store(&fail_enabled, true);
    return 0;
}
