/*
 * bench_common.h - what every C bench needs: failing loudly, the clock,
 * numbers from the environment, medians.  Static inline: each bench is one
 * program of one file and uses what it needs.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <errno.h> /* program_invocation_short_name (_GNU_SOURCE) */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "polysock.h"

#define BENCH_MAX_RUNS 101

static inline void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static inline void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", program_invocation_short_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static inline void check_core(int rc, const char *what)
{
    if (rc < 0)
        die("%s: %s", what, polysock_strerror(rc));
}

static inline int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The number in environment variable name, def when unset. */
static inline long env_long(const char *name, long def, long lo, long hi)
{
    const char *text = getenv(name);
    if (text == NULL || *text == '\0')
        return def;
    char *end;
    long v = strtol(text, &end, 10);
    if (*end != '\0' || v < lo || v > hi)
        die("%s must be a number in %ld..%ld, not '%s'", name, lo, hi, text);
    return v;
}

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of n <= BENCH_MAX_RUNS values (the mean of the middle two when n
 * is even); *lo and *hi, when given, get the extremes. */
static inline double median(const double *v, int n, double *lo, double *hi)
{
    double s[BENCH_MAX_RUNS];
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    if (lo != NULL)
        *lo = s[0];
    if (hi != NULL)
        *hi = s[n - 1];
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

#endif
