/*
 * fuzz_inet.c - the inet_* conversions against the C library's own.
 *
 * polysock_inet_pton/aton must accept exactly what libc accepts and give the
 * same bytes; polysock_inet_ntop/ntoa must give libc's text; the text of
 * any packed address must parse back to the same bytes; and every output
 * buffer only needs to hold the actual result (exact-size heap buffers, so
 * AddressSanitizer sees a write past the end).
 *
 * Input: byte 0 picks the capacity of the exact-size output buffers, byte 1
 * is an address family given as is, the rest is tried both as address text
 * and as packed addresses (its first 4 and first 16 bytes).
 */
#ifdef HAVE_CONFIG_H
#include "config.h" /* first: _GNU_SOURCE for inet_aton, strnlen, open_memstream */
#endif
#include "fuzz.h"

#include "polysock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* Longer than any address text (INET6_ADDRSTRLEN is 46), so the capacities
 * span both "fits" and "too small". */
#define MAX_CAPACITY 64

static size_t packed_len(int family)
{
    return family == AF_INET ? 4 : 16;
}

/* A text result in a buffer of exactly cap bytes: the text itself when it
 * and its NUL fit, POLYSOCK_ETOOSMALL otherwise. */
static void check_text_result(int rc, const char *got, const char *want,
                              size_t cap)
{
    if (strlen(want) < cap) {
        FUZZ_CHECK(rc == 0);
        FUZZ_CHECK(strcmp(got, want) == 0);
    } else {
        FUZZ_CHECK(rc == POLYSOCK_ETOOSMALL);
    }
}

/* packed is a valid address of family: ntop (and ntoa for IPv4) give
 * libc's text, in any buffer that holds it, and the text parses back. */
static void check_packed(int family, const unsigned char *packed, size_t cap)
{
    const size_t len = packed_len(family);
    char want[INET6_ADDRSTRLEN];
    FUZZ_CHECK(inet_ntop(family, packed, want, sizeof want) != NULL);

    char text[MAX_CAPACITY];
    FUZZ_CHECK(polysock_inet_ntop(family, packed, len, text, sizeof text) == 0);
    FUZZ_CHECK(strcmp(text, want) == 0);

    char *exact = malloc(cap);
    FUZZ_CHECK(cap == 0 || exact != NULL);
    if (exact != NULL) {
        check_text_result(polysock_inet_ntop(family, packed, len, exact, cap),
                          exact, want, cap);
        if (family == AF_INET)
            check_text_result(polysock_inet_ntoa(packed, len, exact, cap),
                              exact, want, cap);
        free(exact);
    }

    if (family == AF_INET) {
        struct in_addr a;
        memcpy(&a.s_addr, packed, 4);
        FUZZ_CHECK(polysock_inet_ntoa(packed, len, text, sizeof text) == 0);
        FUZZ_CHECK(strcmp(text, inet_ntoa(a)) == 0);
    }

    unsigned char again[16];
    size_t again_len = 0;
    FUZZ_CHECK(polysock_inet_pton(family, want, again, sizeof again,
                                  &again_len) == 0);
    FUZZ_CHECK(again_len == len);
    FUZZ_CHECK(memcmp(again, packed, len) == 0);
}

/* inet_pton of one family: libc's acceptance and bytes, ETOOSMALL for a
 * buffer smaller than the family's address whatever the text. */
static void check_pton(int family, const char *text, size_t cap)
{
    unsigned char want[16];
    const int accepted = inet_pton(family, text, want) == 1;

    unsigned char got[16];
    size_t got_len = 0;
    int rc = polysock_inet_pton(family, text, got, sizeof got, &got_len);
    if (accepted) {
        FUZZ_CHECK(rc == 0);
        FUZZ_CHECK(got_len == packed_len(family));
        FUZZ_CHECK(memcmp(got, want, got_len) == 0);
        check_packed(family, got, cap);
    } else {
        FUZZ_CHECK(rc == POLYSOCK_EINETADDR);
    }

    const size_t small = cap % (packed_len(family) + 1);
    unsigned char *exact = malloc(small);
    if (exact != NULL) {
        got_len = 0;
        rc = polysock_inet_pton(family, text, exact, small, &got_len);
        if (small < packed_len(family)) {
            FUZZ_CHECK(rc == POLYSOCK_ETOOSMALL);
        } else {
            FUZZ_CHECK(rc == (accepted ? 0 : POLYSOCK_EINETADDR));
            FUZZ_CHECK(!accepted || memcmp(exact, want, small) == 0);
        }
        free(exact);
    }
}

/* inet_aton keeps glibc's lenient rules ("1", "127.1", hex, octal). */
static void check_aton(const char *text, size_t cap)
{
    struct in_addr want;
    const int accepted = inet_aton(text, &want) != 0;

    unsigned char got[4];
    int rc = polysock_inet_aton(text, got, sizeof got);
    if (accepted) {
        FUZZ_CHECK(rc == 0);
        FUZZ_CHECK(memcmp(got, &want.s_addr, 4) == 0);
        check_packed(AF_INET, got, cap);
    } else {
        FUZZ_CHECK(rc == POLYSOCK_EINETADDR);
    }
    const size_t small = cap % 5;
    unsigned char *exact = malloc(small);
    if (exact != NULL && small < 4)
        FUZZ_CHECK(polysock_inet_aton(text, exact, small) == POLYSOCK_ETOOSMALL);
    free(exact);
}

/* Lengths and families the calls refuse, with the codes the header gives. */
static void check_refusals(int family, const uint8_t *bytes, size_t len)
{
    unsigned char packed[16];
    size_t packed_len_out = 0;
    char text[MAX_CAPACITY];
    if (family != AF_INET && family != AF_INET6) {
        FUZZ_CHECK(polysock_inet_pton(family, "127.0.0.1", packed, sizeof packed,
                                      &packed_len_out) == -EAFNOSUPPORT);
        FUZZ_CHECK(polysock_inet_ntop(family, bytes, len, text, sizeof text) ==
                   POLYSOCK_EFAMILY);
    } else if (len != packed_len(family)) {
        FUZZ_CHECK(polysock_inet_ntop(family, bytes, len, text, sizeof text) ==
                   POLYSOCK_EPACKEDLEN);
    }
    if (len != 4)
        FUZZ_CHECK(polysock_inet_ntoa(bytes, len, text, sizeof text) ==
                   POLYSOCK_EPACKED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const size_t cap = data[0] % MAX_CAPACITY;
    const int family = data[1];
    const uint8_t *rest = data + 2;
    const size_t rest_len = size - 2;

    char *text = fuzz_cstring(rest, rest_len);
    check_pton(AF_INET, text, cap);
    check_pton(AF_INET6, text, cap);
    check_aton(text, cap);
    free(text);

    /* Every 4 or 16 bytes are some address. */
    if (rest_len >= 4)
        check_packed(AF_INET, rest, cap);
    if (rest_len >= 16)
        check_packed(AF_INET6, rest, cap);
    check_refusals(family, rest, rest_len);
    return 0;
}
