/*
 * inet.c - byte order and the inet_* address conversions of the module.
 * Output buffers only need to hold the actual result (plus NUL for text):
 * POLYSOCK_ETOOSMALL otherwise.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

/* Python passes an arbitrary integer; one that does not fit the width is an
 * OverflowError, never silently truncated. */
static int fits(int64_t x, int64_t max)
{
    return x >= 0 && x <= max;
}

int polysock_ntohl(int64_t x, uint32_t *out)
{
    if (out == NULL)
        return POLYSOCK_ENULL;
    if (!fits(x, UINT32_MAX))
        return POLYSOCK_ERANGE;
    *out = ntohl((uint32_t)x);
    return 0;
}

int polysock_htonl(int64_t x, uint32_t *out)
{
    if (out == NULL)
        return POLYSOCK_ENULL;
    if (!fits(x, UINT32_MAX))
        return POLYSOCK_ERANGE;
    *out = htonl((uint32_t)x);
    return 0;
}

int polysock_ntohs(int64_t x, uint16_t *out)
{
    if (out == NULL)
        return POLYSOCK_ENULL;
    if (!fits(x, UINT16_MAX))
        return POLYSOCK_ERANGE;
    *out = ntohs((uint16_t)x);
    return 0;
}

int polysock_htons(int64_t x, uint16_t *out)
{
    if (out == NULL)
        return POLYSOCK_ENULL;
    if (!fits(x, UINT16_MAX))
        return POLYSOCK_ERANGE;
    *out = htons((uint16_t)x);
    return 0;
}

/* Text result into a caller buffer, or ETOOSMALL. */
static int copy_text(const char *text, char *out, size_t out_cap)
{
    size_t n = strlen(text);
    if (n >= out_cap)
        return POLYSOCK_ETOOSMALL;
    memcpy(out, text, n + 1);
    return 0;
}

/* The reference leaves validity to the platform: glibc accepts "1",
 * "127.1", hex and octal parts, and trailing whitespace. */
int polysock_inet_aton(const char *ip, void *packed, size_t packed_cap)
{
    if (ip == NULL || packed == NULL)
        return POLYSOCK_ENULL;
    if (packed_cap < 4)
        return POLYSOCK_ETOOSMALL;
    struct in_addr a;
    if (inet_aton(ip, &a) == 0)
        return POLYSOCK_EINETADDR;
    memcpy(packed, &a.s_addr, 4);
    return 0;
}

int polysock_inet_ntoa(const void *packed, size_t packed_len, char *out,
                       size_t out_cap)
{
    if (packed == NULL || out == NULL)
        return POLYSOCK_ENULL;
    if (packed_len != 4)
        return POLYSOCK_EPACKED;
    char text[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, packed, text, sizeof text) == NULL)
        return polysock__from_errno(errno);
    return copy_text(text, out, out_cap);
}

static size_t packed_size(int family)
{
    return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

int polysock_inet_pton(int family, const char *ip, void *packed,
                       size_t packed_cap, size_t *packed_len)
{
    if (ip == NULL || packed == NULL || packed_len == NULL)
        return POLYSOCK_ENULL;
    size_t need = packed_size(family);
    /* Python reports what libc inet_pton says: errno EAFNOSUPPORT. */
    if (need == 0)
        return -EAFNOSUPPORT;
    if (packed_cap < need)
        return POLYSOCK_ETOOSMALL;
    unsigned char buf[16];
    if (inet_pton(family, ip, buf) != 1)
        return POLYSOCK_EINETADDR;
    memcpy(packed, buf, need);
    *packed_len = need;
    return 0;
}

int polysock_inet_ntop(int family, const void *packed, size_t packed_len,
                       char *out, size_t out_cap)
{
    if (packed == NULL || out == NULL)
        return POLYSOCK_ENULL;
    size_t need = packed_size(family);
    if (need == 0)
        return POLYSOCK_EFAMILY;
    if (packed_len != need)
        return POLYSOCK_EPACKEDLEN;
    char text[INET6_ADDRSTRLEN];
    if (inet_ntop(family, packed, text, sizeof text) == NULL)
        return polysock__from_errno(errno);
    return copy_text(text, out, out_cap);
}
