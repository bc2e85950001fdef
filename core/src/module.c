/*
 * module.c - module-level facts: the version, IPv6 support, and the
 * accounting that tests read.
 */
#include "internal.h"
#include "polysock_fingerprint.h" /* generated from the IDL into the build tree */

#include <sys/socket.h>
#include <unistd.h>

const char *polysock_version(void)
{
    return PACKAGE_VERSION;
}

int polysock_version_number(void)
{
    return POLYSOCK_VERSION_MAJOR * 10000 + POLYSOCK_VERSION_MINOR * 100 +
           POLYSOCK_VERSION_PATCH;
}

const char *polysock_abi_fingerprint(void)
{
    return POLYSOCK_ABI_FINGERPRINT;
}

/* Asked of the kernel rather than compiled in: a kernel booted with
 * ipv6.disable=1 has the headers but no IPv6. */
int polysock_has_ipv6(void)
{
    int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

int polysock_get_stats(polysock_stats *stats)
{
    if (stats == NULL)
        return POLYSOCK_ENULL;
    polysock__stats_alloc(stats);
    stats->live_handles = polysock__handle_live_count();
    stats->live_sockets = polysock__socket_live_count();
    return 0;
}
