/*
 * addr.c - polysock_addr <-> struct sockaddr, and host resolution, following
 * Python's setipaddr(), getsockaddrarg() and makesockaddr().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/un.h>
#ifdef HAVE_LINUX_NETLINK_H
#include <linux/netlink.h>
#endif

int polysock_addr_set(polysock_addr *addr, int family, const char *host,
                      int64_t port)
{
    if (addr == NULL || host == NULL)
        return POLYSOCK_ENULL;
    size_t len = strnlen(host, POLYSOCK_HOST_MAX);
    if (len >= POLYSOCK_HOST_MAX)
        return POLYSOCK_EVALUE;
    /* The port is stored as given: range errors belong to the call that
     * uses the record, as in Python. */
    memset(addr, 0, sizeof *addr);
    addr->family = family;
    addr->port = port;
    memcpy(addr->host, host, len);
    addr->host_len = (uint32_t)len;
    return 0;
}

/* ---- host resolution ---------------------------------------------------- */

static void set_inet(polysock__sockaddr *out, in_addr_t network_order)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = network_order;
    memset(out, 0, sizeof *out);
    memcpy(&out->storage, &sin, sizeof sin);
    out->len = sizeof sin;
}

static void set_inet6(polysock__sockaddr *out, const struct in6_addr *a)
{
    struct sockaddr_in6 sin6;
    memset(&sin6, 0, sizeof sin6);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_addr = *a;
    memset(out, 0, sizeof *out);
    memcpy(&out->storage, &sin6, sizeof sin6);
    out->len = sizeof sin6;
}

/* Keep the first answer, as Python does ("nondeterministic" for names with
 * several addresses, as the reference warns). */
static int copy_first(const struct addrinfo *res, polysock__sockaddr *out)
{
    if (res->ai_family != AF_INET && res->ai_family != AF_INET6)
        return POLYSOCK_EFAMILY;
    if (res->ai_addrlen > sizeof out->storage)
        return POLYSOCK_EFAMILY;
    memset(out, 0, sizeof *out);
    memcpy(&out->storage, res->ai_addr, res->ai_addrlen);
    out->len = res->ai_addrlen;
    return 0;
}

static int lookup_first(const char *host, int family, int flags,
                        polysock__sockaddr *out)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = family;
    hints.ai_flags = flags;
    int eai = getaddrinfo(host, NULL, &hints, &res);
    if (eai != 0)
        return polysock__gai_failure(eai, errno);
    int rc = copy_first(res, out);
    freeaddrinfo(res);
    return rc;
}

/* "" with AF_UNSPEC: Python asks getaddrinfo for the passive address and
 * refuses an answer that is not unique (Linux gives both 0.0.0.0 and ::). */
static int wildcard_unspec(polysock__sockaddr *out)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_PASSIVE;
    int eai = getaddrinfo(NULL, "0", &hints, &res);
    if (eai != 0)
        return polysock__gai_failure(eai, errno);
    int rc = res->ai_next != NULL ? POLYSOCK_EMULTIADDR : copy_first(res, out);
    freeaddrinfo(res);
    return rc;
}

static int resolve_wildcard(int family, polysock__sockaddr *out)
{
    if (family == AF_INET)
        set_inet(out, htonl(INADDR_ANY));
    else if (family == AF_INET6)
        set_inet6(out, &in6addr_any);
    else
        return wildcard_unspec(out);
    return 0;
}

/* Python refuses "<broadcast>" for IPv6 with socket.error("address family
 * mismatched"). */
static int resolve_broadcast(int family, polysock__sockaddr *out)
{
    if (family != AF_INET && family != AF_UNSPEC) {
        return POLYSOCK_EFAMILYMISMATCH;
    }
    set_inet(out, htonl(INADDR_BROADCAST));
    return 0;
}

/* Numeric forms skip the resolver.  Returns 1 when host was numeric. */
static int resolve_numeric(const char *host, int family, polysock__sockaddr *out)
{
    if (family == AF_INET || family == AF_UNSPEC) {
        struct in_addr a;
        if (inet_pton(AF_INET, host, &a) == 1) {
            set_inet(out, a.s_addr);
            return 1;
        }
    }
    if (family == AF_INET6 || family == AF_UNSPEC) {
        struct in6_addr a6;
        if (strchr(host, '%') == NULL) {
            if (inet_pton(AF_INET6, host, &a6) == 1) {
                set_inet6(out, &a6);
                return 1;
            }
        } else if (lookup_first(host, AF_INET6, AI_NUMERICHOST, out) == 0) {
            /* "fe80::1%lo": getaddrinfo turns the interface into a scope id. */
            return 1;
        }
    }
    return 0;
}

int polysock__resolve_host(const char *host, int family, polysock__sockaddr *out)
{
    if (host == NULL || out == NULL)
        return POLYSOCK_ENULL;
    if (family != AF_INET && family != AF_INET6 && family != AF_UNSPEC)
        return POLYSOCK_EFAMILY;
    polysock__sockaddr tmp;
    int rc;
    if (host[0] == '\0')
        rc = resolve_wildcard(family, &tmp);
    else if (strcmp(host, "<broadcast>") == 0)
        rc = resolve_broadcast(family, &tmp);
    else if (resolve_numeric(host, family, &tmp))
        rc = 0;
    else
        rc = lookup_first(host, family, 0, &tmp);
    if (rc == 0)
        *out = tmp;
    return rc;
}

/* ---- record -> sockaddr ------------------------------------------------- */

/* The host of an IP record as a C string: host_len bytes, no NUL inside. */
static int ip_host_text(const polysock_addr *addr, char text[POLYSOCK_HOST_MAX])
{
    if (addr->host_len >= POLYSOCK_HOST_MAX)
        return POLYSOCK_EVALUE;
    if (memchr(addr->host, '\0', addr->host_len) != NULL)
        return POLYSOCK_EEMBEDDEDNUL;
    memcpy(text, addr->host, addr->host_len);
    text[addr->host_len] = '\0';
    return 0;
}

/* Checks come before resolution (unlike CPython, which resolves first) so a
 * bad argument never costs a DNS round trip; the codes are the same. */
static int ip_to_sockaddr(int family, const polysock_addr *addr,
                          polysock__sockaddr *out)
{
    char text[POLYSOCK_HOST_MAX];
    int rc = ip_host_text(addr, text);
    if (rc != 0)
        return rc;
    if (addr->port < 0 || addr->port > 65535)
        return POLYSOCK_EPORT;
    if (family == AF_INET6 && addr->flowinfo > 0xfffff)
        return POLYSOCK_ERANGE;
    rc = polysock__resolve_host(text, family, out);
    if (rc != 0)
        return rc;
    uint16_t port = htons((uint16_t)addr->port);
    if (family == AF_INET) {
        ((struct sockaddr_in *)&out->storage)->sin_port = port;
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->storage;
        sin6->sin6_port = port;
        sin6->sin6_flowinfo = htonl(addr->flowinfo);
        /* An explicit scope id wins over one parsed from "addr%iface". */
        if (addr->scope_id != 0)
            sin6->sin6_scope_id = addr->scope_id;
    }
    return 0;
}

/* Linux: an empty path asks bind() for an autobind abstract name and a
 * leading NUL makes an abstract name; both are passed without a trailing
 * NUL.  A normal path is NUL-terminated, so it may not hold a NUL itself. */
static int unix_to_sockaddr(const polysock_addr *addr, polysock__sockaddr *out)
{
    struct sockaddr_un sun;
    size_t n = addr->host_len;
    if (n > sizeof addr->host)
        return POLYSOCK_EVALUE;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    socklen_t len;
    if (n == 0 || addr->host[0] == '\0') {
        if (n > sizeof sun.sun_path)
            return POLYSOCK_EPATHLEN;
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    } else {
        if (memchr(addr->host, '\0', n) != NULL)
            return POLYSOCK_EEMBEDDEDNUL;
        if (n >= sizeof sun.sun_path)
            return POLYSOCK_EPATHLEN;
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    }
    memcpy(sun.sun_path, addr->host, n);
    memset(out, 0, sizeof *out);
    memcpy(&out->storage, &sun, sizeof sun);
    out->len = len;
    return 0;
}

#ifdef HAVE_LINUX_NETLINK_H
static int netlink_to_sockaddr(const polysock_addr *addr, polysock__sockaddr *out)
{
    struct sockaddr_nl nl;
    memset(&nl, 0, sizeof nl);
    nl.nl_family = AF_NETLINK;
    nl.nl_pid = addr->pid;
    nl.nl_groups = addr->groups;
    memset(out, 0, sizeof *out);
    memcpy(&out->storage, &nl, sizeof nl);
    out->len = sizeof nl;
    return 0;
}
#endif

int polysock__addr_to_sockaddr(int family, const polysock_addr *addr,
                               polysock__sockaddr *out)
{
    if (addr == NULL || out == NULL)
        return POLYSOCK_ENULL;
    if (addr->family != 0 && addr->family != family)
        return POLYSOCK_EADDRTYPE;
    polysock__sockaddr tmp;
    int rc;
    switch (family) {
    case AF_INET:
    case AF_INET6:
        rc = ip_to_sockaddr(family, addr, &tmp);
        break;
    case AF_UNIX:
        rc = unix_to_sockaddr(addr, &tmp);
        break;
#ifdef HAVE_LINUX_NETLINK_H
    case AF_NETLINK:
        rc = netlink_to_sockaddr(addr, &tmp);
        break;
#endif
    default:
        rc = POLYSOCK_EFAMILY;
        break;
    }
    if (rc == 0)
        *out = tmp;
    return rc;
}

/* ---- sockaddr -> record ------------------------------------------------- */

static int inet_to_addr(const struct sockaddr *sa, socklen_t len, polysock_addr *a)
{
    struct sockaddr_in sin;
    if (len < sizeof sin)
        return POLYSOCK_EVALUE;
    memcpy(&sin, sa, sizeof sin);
    if (inet_ntop(AF_INET, &sin.sin_addr, a->host, sizeof a->host) == NULL)
        return polysock__from_errno(errno);
    a->port = ntohs(sin.sin_port);
    return 0;
}

/* The scope id goes to its own field, never as "%scope" into the host, so
 * the record round-trips through addr_to_sockaddr unchanged. */
static int inet6_to_addr(const struct sockaddr *sa, socklen_t len, polysock_addr *a)
{
    struct sockaddr_in6 sin6;
    if (len < sizeof sin6)
        return POLYSOCK_EVALUE;
    memcpy(&sin6, sa, sizeof sin6);
    if (inet_ntop(AF_INET6, &sin6.sin6_addr, a->host, sizeof a->host) == NULL)
        return polysock__from_errno(errno);
    a->port = ntohs(sin6.sin6_port);
    a->flowinfo = ntohl(sin6.sin6_flowinfo);
    a->scope_id = sin6.sin6_scope_id;
    return 0;
}

/* An abstract name keeps every byte the kernel gave (NULs included); a
 * normal path ends at its NUL; an unnamed socket has no path bytes. */
static void unix_to_addr(const struct sockaddr *sa, socklen_t len, polysock_addr *a)
{
    const size_t off = offsetof(struct sockaddr_un, sun_path);
    const char *path = (const char *)sa + off;
    size_t n = len > off ? (size_t)len - off : 0;
    if (n > sizeof ((struct sockaddr_un *)0)->sun_path)
        n = sizeof ((struct sockaddr_un *)0)->sun_path;
    if (n > 0 && path[0] != '\0')
        n = strnlen(path, n);
    memcpy(a->host, path, n);
    a->host_len = (uint32_t)n;
}

#ifdef HAVE_LINUX_NETLINK_H
static int netlink_to_addr(const struct sockaddr *sa, socklen_t len,
                           polysock_addr *a)
{
    struct sockaddr_nl nl;
    if (len < sizeof nl)
        return POLYSOCK_EVALUE;
    memcpy(&nl, sa, sizeof nl);
    a->pid = nl.nl_pid;
    a->groups = nl.nl_groups;
    return 0;
}
#endif

int polysock__sockaddr_to_addr(const struct sockaddr *sa, socklen_t len,
                               polysock_addr *addr)
{
    if (sa == NULL || addr == NULL)
        return POLYSOCK_ENULL;
    polysock_addr tmp;
    memset(&tmp, 0, sizeof tmp);
    /* No address at all (recvfrom on a connected stream): family 0. */
    if (len < sizeof(sa_family_t)) {
        *addr = tmp;
        return 0;
    }
    sa_family_t family;
    memcpy(&family, sa, sizeof family);
    tmp.family = family;
    int rc = 0;
    switch (family) {
    case AF_INET:
        rc = inet_to_addr(sa, len, &tmp);
        break;
    case AF_INET6:
        rc = inet6_to_addr(sa, len, &tmp);
        break;
    case AF_UNIX:
        unix_to_addr(sa, len, &tmp);
        break;
#ifdef HAVE_LINUX_NETLINK_H
    case AF_NETLINK:
        rc = netlink_to_addr(sa, len, &tmp);
        break;
#endif
    default:
        break;
    }
    if (rc != 0)
        return rc;
    if (family == AF_INET || family == AF_INET6)
        tmp.host_len = (uint32_t)strlen(tmp.host);
    *addr = tmp;
    return 0;
}
