/*
 * fuzz.h - what every libFuzzer harness of test/fuzz shares: the entry
 * point's prototype and the check that turns a broken property into a
 * crash libFuzzer records.
 */
#ifndef POLYSOCK_FUZZ_H
#define POLYSOCK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libFuzzer calls this once per input; it must return 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property that does not hold is a finding: say which one and abort, so
 * libFuzzer saves the input as a crash artifact (an assert() would vanish
 * under NDEBUG). */
#define FUZZ_CHECK(cond)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__,        \
                    __LINE__, #cond);                                        \
            abort();                                                         \
        }                                                                    \
    } while (0)

/* The input as a C string (a NUL byte in it ends the string early, as it
 * would for any C caller); the caller frees it. */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    FUZZ_CHECK(s != NULL);
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif /* POLYSOCK_FUZZ_H */
