/*
 * fuzz_addr.c - the address record <-> struct sockaddr conversions of
 * core/src/addr.c, fed arbitrary records and arbitrary kernel addresses.
 *
 * Properties: nothing crashes or reads past a buffer; polysock_addr_set
 * stores what it was given; a record is refused with the code polysock.h
 * gives for its fault; a record the core accepts gives a sockaddr of the
 * socket's family (holding the address a numeric host names) that converts
 * back to an equivalent record, and that record gives the very same
 * sockaddr again; a kernel address that converts to a record the core
 * accepts comes back as the same record.
 *
 * Host names never reach DNS: the harness is linked with
 * -Wl,--wrap=getaddrinfo, and the wrapper below adds AI_NUMERICHOST, so a
 * run is fast, offline and repeatable.  Numeric hosts, "", "<broadcast>" and
 * scoped IPv6 ("fe80::1%lo", "ff02::1%1") still take their real paths.
 *
 * Input: a fixed header (struct header), then the host bytes.
 */
#ifdef HAVE_CONFIG_H
#include "config.h" /* first: _GNU_SOURCE for inet_aton, strnlen, open_memstream */
#endif
#include "fuzz.h"

#include "internal.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/un.h>
#ifdef HAVE_LINUX_NETLINK_H
#include <linux/netlink.h>
#endif

int __real_getaddrinfo(const char *node, const char *service,
                       const struct addrinfo *hints, struct addrinfo **res);
int __wrap_getaddrinfo(const char *node, const char *service,
                       const struct addrinfo *hints, struct addrinfo **res);

int __wrap_getaddrinfo(const char *node, const char *service,
                       const struct addrinfo *hints, struct addrinfo **res)
{
    struct addrinfo numeric;
    memset(&numeric, 0, sizeof numeric);
    if (hints != NULL)
        numeric = *hints;
    numeric.ai_flags |= AI_NUMERICHOST;
    return __real_getaddrinfo(node, service, &numeric, res);
}

/* How the input becomes a record, or a kernel address. */
enum origin {
    FROM_ADDR_SET,      /* polysock_addr_set with the host as a C string */
    FROM_RECORD,        /* a record filled directly, as bindings do: any
                           bytes, host_len as given (it may lie) */
    FROM_KERNEL,        /* the host bytes are a struct sockaddr */
    ORIGIN_COUNT
};

struct header {
    uint8_t socket_family; /* picks from kFamilies, else used as is */
    uint8_t record_family; /* 0: 0, 1: the socket's, else used as is */
    uint8_t origin;        /* enum origin, modulo ORIGIN_COUNT */
    uint8_t unused;
    int32_t port;          /* signed: -1 and 65536 must be refused */
    uint32_t flowinfo;
    uint32_t scope_id;
    uint32_t pid;
    uint32_t groups;
    uint32_t host_len;     /* FROM_RECORD: the record's claim */
};

static const int kFamilies[] = {AF_INET, AF_INET6, AF_UNIX,
#ifdef HAVE_LINUX_NETLINK_H
                                AF_NETLINK,
#endif
                                AF_UNSPEC};
#define NFAMILIES (sizeof kFamilies / sizeof kFamilies[0])

static int pick_family(uint8_t selector)
{
    return selector < 2 * NFAMILIES ? kFamilies[selector % NFAMILIES]
                                    : selector;
}

/* Field by field: the struct's padding is not part of a record. */
static int addr_equal(const polysock_addr *a, const polysock_addr *b)
{
    return a->family == b->family && a->port == b->port &&
           a->flowinfo == b->flowinfo && a->scope_id == b->scope_id &&
           a->pid == b->pid && a->groups == b->groups &&
           a->host_len == b->host_len &&
           memcmp(a->host, b->host, a->host_len) == 0;
}

static int sockaddr_equal(const polysock__sockaddr *a,
                          const polysock__sockaddr *b)
{
    return a->len == b->len && memcmp(&a->storage, &b->storage, a->len) == 0;
}

static sa_family_t sockaddr_family(const polysock__sockaddr *sa)
{
    sa_family_t family;
    memcpy(&family, &sa->storage, sizeof family);
    return family;
}

/* The address bytes an IP host stands for without any lookup: a numeric
 * address (no "%scope"), "" (any) or "<broadcast>"; false for others. */
static bool literal_address(int family, const polysock_addr *rec,
                            unsigned char out[16])
{
    char text[POLYSOCK_HOST_MAX];
    memcpy(text, rec->host, rec->host_len);
    text[rec->host_len] = '\0';
    memset(out, 0, 16);
    if (text[0] == '\0')
        return true; /* INADDR_ANY and in6addr_any are all zeros */
    if (family == AF_INET && strcmp(text, "<broadcast>") == 0) {
        memset(out, 0xff, 4);
        return true;
    }
    return inet_pton(family, text, out) == 1;
}

static const void *sockaddr_address(const polysock__sockaddr *sa, int family)
{
    return family == AF_INET
               ? (const void *)&((const struct sockaddr_in *)&sa->storage)->sin_addr
               : (const void *)&((const struct sockaddr_in6 *)&sa->storage)->sin6_addr;
}

/* What a record of `family` that converted to `sa` must come back as. */
static void check_record_round_trip(int family, const polysock_addr *rec,
                                    const polysock__sockaddr *sa)
{
    FUZZ_CHECK(sa->len > 0 && sa->len <= sizeof sa->storage);
    FUZZ_CHECK(sockaddr_family(sa) == family);

    polysock_addr back;
    FUZZ_CHECK(polysock__sockaddr_to_addr((const struct sockaddr *)&sa->storage,
                                          sa->len, &back) == 0);
    FUZZ_CHECK(back.family == family);
    FUZZ_CHECK(back.host_len == strnlen(back.host, sizeof back.host) ||
               family == AF_UNIX);
    switch (family) {
    case AF_INET6:
        FUZZ_CHECK(back.flowinfo == rec->flowinfo);
        /* An explicit scope id wins over one parsed from "addr%iface". */
        FUZZ_CHECK(rec->scope_id == 0 || back.scope_id == rec->scope_id);
        /* fall through */
    case AF_INET: {
        FUZZ_CHECK(back.port == rec->port);
        unsigned char want[16];
        if (literal_address(family, rec, want))
            FUZZ_CHECK(memcmp(sockaddr_address(sa, family), want,
                              family == AF_INET ? 4 : 16) == 0);
        break;
    }
    case AF_UNIX:
        /* The path (or abstract name) bytes, exactly. */
        FUZZ_CHECK(back.host_len == rec->host_len);
        FUZZ_CHECK(memcmp(back.host, rec->host, back.host_len) == 0);
        break;
#ifdef HAVE_LINUX_NETLINK_H
    case AF_NETLINK:
        FUZZ_CHECK(back.pid == rec->pid && back.groups == rec->groups);
        break;
#endif
    default:
        FUZZ_CHECK(!"a family the core does not convert was converted");
    }

    /* The record the kernel's form gave is canonical: numeric host text,
     * explicit scope id.  It converts to the same sockaddr again. */
    polysock__sockaddr again;
    FUZZ_CHECK(polysock__addr_to_sockaddr(family, &back, &again) == 0);
    FUZZ_CHECK(sockaddr_equal(sa, &again));
}

/* The code polysock__addr_to_sockaddr must refuse rec with, by the rules
 * of polysock.h that need no resolution; 0 when none applies (then an IP
 * record's fate depends on its host, any other record must convert). */
static int expected_refusal(int family, const polysock_addr *rec)
{
    const size_t path_max = sizeof ((struct sockaddr_un *)0)->sun_path;
    if (rec->family != 0 && rec->family != family)
        return POLYSOCK_EADDRTYPE;
    switch (family) {
    case AF_INET:
    case AF_INET6:
        if (rec->host_len >= POLYSOCK_HOST_MAX)
            return POLYSOCK_EVALUE;
        if (memchr(rec->host, '\0', rec->host_len) != NULL)
            return POLYSOCK_EEMBEDDEDNUL;
        if (rec->port < 0 || rec->port > 65535)
            return POLYSOCK_EPORT;
        if (family == AF_INET6 && rec->flowinfo > 0xfffff)
            return POLYSOCK_ERANGE;
        return 0;
    case AF_UNIX:
        if (rec->host_len > sizeof rec->host)
            return POLYSOCK_EVALUE;
        if (rec->host_len == 0 || rec->host[0] == '\0') /* abstract */
            return rec->host_len > path_max ? POLYSOCK_EPATHLEN : 0;
        if (memchr(rec->host, '\0', rec->host_len) != NULL)
            return POLYSOCK_EEMBEDDEDNUL;
        /* A path is passed with its NUL. */
        return rec->host_len >= path_max ? POLYSOCK_EPATHLEN : 0;
#ifdef HAVE_LINUX_NETLINK_H
    case AF_NETLINK:
        return 0;
#endif
    default:
        return POLYSOCK_EFAMILY;
    }
}

/* A record given to a call on a socket of `family`. */
static void check_record(int family, const polysock_addr *rec)
{
    const int expected = expected_refusal(family, rec);
    polysock__sockaddr sa;
    memset(&sa, 0, sizeof sa);
    const int rc = polysock__addr_to_sockaddr(family, rec, &sa);
    if (expected != 0) {
        FUZZ_CHECK(rc == expected);
        return;
    }
    if (family != AF_INET && family != AF_INET6)
        FUZZ_CHECK(rc == 0);
    if (rc == 0)
        check_record_round_trip(family, rec, &sa);
}

static void fill_ip_and_netlink_fields(polysock_addr *rec,
                                       const struct header *h)
{
    rec->flowinfo = h->flowinfo;
    rec->scope_id = h->scope_id;
    rec->pid = h->pid;
    rec->groups = h->groups;
}

static void from_addr_set(int family, int record_family, const struct header *h,
                          const uint8_t *host, size_t host_size)
{
    char *text = fuzz_cstring(host, host_size);
    const size_t len = strlen(text);
    polysock_addr rec;
    int rc = polysock_addr_set(&rec, record_family, text, h->port);
    if (len >= POLYSOCK_HOST_MAX) {
        FUZZ_CHECK(rc == POLYSOCK_EVALUE);
    } else {
        FUZZ_CHECK(rc == 0);
        FUZZ_CHECK(rec.family == record_family && rec.port == h->port);
        FUZZ_CHECK(rec.host_len == len && memcmp(rec.host, text, len) == 0);
        fill_ip_and_netlink_fields(&rec, h);
        check_record(family, &rec);
    }
    free(text);

    /* AF_UNSPEC is no socket's family, but hosts resolve for it too
     * (gethostbyname and friends): a result is IPv4 or IPv6. */
    if (family == AF_UNSPEC && len < POLYSOCK_HOST_MAX) {
        polysock__sockaddr sa;
        if (polysock__resolve_host(rec.host, AF_UNSPEC, &sa) == 0) {
            const sa_family_t got = sockaddr_family(&sa);
            FUZZ_CHECK((got == AF_INET && sa.len == sizeof(struct sockaddr_in)) ||
                       (got == AF_INET6 && sa.len == sizeof(struct sockaddr_in6)));
        }
    }
}

static void from_record(int family, int record_family, const struct header *h,
                        const uint8_t *host, size_t host_size)
{
    polysock_addr rec;
    memset(&rec, 0, sizeof rec);
    rec.family = record_family;
    rec.port = h->port;
    fill_ip_and_netlink_fields(&rec, h);
    const size_t n = host_size < sizeof rec.host ? host_size : sizeof rec.host;
    memcpy(rec.host, host, n);
    /* Mostly the truth, sometimes a lie past the array. */
    rec.host_len = h->host_len % 2 == 0 ? (uint32_t)n : h->host_len;
    check_record(family, &rec);
}

/* Whatever the kernel hands back (recvfrom, accept, getsockname). */
static void from_kernel(int family, const uint8_t *bytes, size_t size)
{
    polysock__sockaddr sa;
    memset(&sa, 0, sizeof sa);
    sa.len = (socklen_t)(size < sizeof sa.storage ? size : sizeof sa.storage);
    memcpy(&sa.storage, bytes, sa.len);
    if (sa.len >= sizeof(sa_family_t)) {
        const sa_family_t f = (sa_family_t)family;
        memcpy(&sa.storage, &f, sizeof f);
    }

    polysock_addr rec;
    int rc = polysock__sockaddr_to_addr((const struct sockaddr *)&sa.storage,
                                        sa.len, &rec);
    if (rc != 0) {
        FUZZ_CHECK(rc == POLYSOCK_EVALUE);
        return;
    }
    FUZZ_CHECK(rec.host_len < sizeof rec.host);
    polysock__sockaddr again;
    if (rec.family == 0 ||
        polysock__addr_to_sockaddr(rec.family, &rec, &again) != 0)
        return;
    polysock_addr back;
    FUZZ_CHECK(polysock__sockaddr_to_addr((const struct sockaddr *)&again.storage,
                                          again.len, &back) == 0);
    FUZZ_CHECK(addr_equal(&rec, &back));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct header h;
    if (size < sizeof h)
        return 0;
    memcpy(&h, data, sizeof h);
    const uint8_t *host = data + sizeof h;
    const size_t host_size = size - sizeof h;

    const int family = pick_family(h.socket_family);
    const int record_family = h.record_family == 0   ? 0
                              : h.record_family == 1 ? family
                                                     : h.record_family;
    switch (h.origin % ORIGIN_COUNT) {
    case FROM_ADDR_SET:
        from_addr_set(family, record_family, &h, host, host_size);
        break;
    case FROM_RECORD:
        from_record(family, record_family, &h, host, host_size);
        break;
    default:
        from_kernel(family, host, host_size);
        break;
    }
    return 0;
}
