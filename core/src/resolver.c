/*
 * resolver.c - the module's name-service functions, and the two list
 * objects (host entries, addrinfo results) that carry their multi-valued
 * answers across the C API as handles.
 *
 * Only reentrant libc calls are used (getaddrinfo, getnameinfo and the
 * *_r lookups), so any number of threads may resolve at once.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- small helpers ------------------------------------------------------ */

static int copy_out(const char *s, char *out, size_t out_cap)
{
    if (out == NULL)
        return POLYSOCK_ENULL;
    size_t n = strlen(s);
    if (n >= out_cap)
        return POLYSOCK_ETOOSMALL;
    memcpy(out, s, n + 1);
    return 0;
}

/* NULL and "" both mean "not given" to the C API, as the reference says. */
static const char *null_if_empty(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : NULL;
}

/* ---- reentrant NSS lookups with a growing scratch buffer ---------------- */

/* Hosts files and NSS answers have no size bound, so the buffer grows
 * until the call stops saying ERANGE, up to a sanity limit. */
#define NSS_BUF_START 1024
#define NSS_BUF_MAX (64u << 20)

typedef struct nss_call nss_call;
struct nss_call {
    int (*run)(nss_call *c, char *buf, size_t len);
    void *result; /* the entry, NULL when not found */
    int rc;       /* what the *_r function returned */
    int herr;     /* h_errno of host lookups */
};

/* 0 with c->rc / c->result / c->herr filled and *buf owned by the caller
 * (it backs the result), or -ENOMEM. */
static int nss_run(nss_call *c, char **buf)
{
    for (size_t len = NSS_BUF_START; len <= NSS_BUF_MAX; len *= 2) {
        char *b = polysock__malloc(len);
        if (b == NULL)
            return -ENOMEM;
        c->result = NULL;
        c->herr = 0;
        c->rc = c->run(c, b, len);
        if (c->rc == ERANGE && c->result == NULL) {
            polysock__free(b);
            continue;
        }
        *buf = b;
        return 0;
    }
    return -ENOMEM;
}

/* A failed host lookup: h_errno when the resolver set a real one, else the
 * errno-style return value. */
static int host_lookup_error(const nss_call *c)
{
    if (c->herr > 0)
        return polysock__herror_code(c->herr);
    if (c->rc != 0)
        return polysock__from_errno(c->rc);
    return polysock__herror_code(HOST_NOT_FOUND);
}

typedef struct byname_call {
    nss_call c;
    const char *name;
    struct hostent he;
} byname_call;

static int run_byname(nss_call *c, char *buf, size_t len)
{
    byname_call *b = (byname_call *)c;
    struct hostent *res = NULL;
    int rc = gethostbyname_r(b->name, &b->he, buf, len, &res, &c->herr);
    c->result = res;
    return rc;
}

typedef struct byaddr_call {
    nss_call c;
    const void *addr;
    socklen_t addr_len;
    int family;
    struct hostent he;
} byaddr_call;

static int run_byaddr(nss_call *c, char *buf, size_t len)
{
    byaddr_call *b = (byaddr_call *)c;
    struct hostent *res = NULL;
    int rc = gethostbyaddr_r(b->addr, b->addr_len, b->family, &b->he, buf, len,
                             &res, &c->herr);
    c->result = res;
    return rc;
}

/* ---- the host-entry list object ------------------------------------------ */

typedef struct hostent_list {
    polysock__object base;
    char *name;
    char **aliases;
    size_t alias_count;
    char **addrs;
    size_t addr_count;
} hostent_list;

static void free_strings(char **v, size_t n)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        polysock__free(v[i]);
    polysock__free(v);
}

/* Tolerates a partly filled entry (arrays are zeroed when allocated). */
static void hostent_clear(hostent_list *l)
{
    polysock__free(l->name);
    free_strings(l->aliases, l->alias_count);
    free_strings(l->addrs, l->addr_count);
    l->name = NULL;
    l->aliases = l->addrs = NULL;
    l->alias_count = l->addr_count = 0;
}

static void hostent_destroy(polysock__object *obj)
{
    hostent_clear((hostent_list *)obj);
}

static char *dup_str(const char *s)
{
    return polysock__memdup0(s, strlen(s));
}

static int copy_aliases(hostent_list *l, char *const *aliases)
{
    size_t n = 0;
    while (aliases != NULL && aliases[n] != NULL)
        n++;
    l->aliases = polysock__calloc(n + 1, sizeof *l->aliases);
    if (l->aliases == NULL)
        return -ENOMEM;
    l->alias_count = n;
    for (size_t i = 0; i < n; i++)
        if ((l->aliases[i] = dup_str(aliases[i])) == NULL)
            return -ENOMEM;
    return 0;
}

/* Addresses come back as text of their family (dotted quad or IPv6). */
static int copy_addrs(hostent_list *l, const struct hostent *h)
{
    size_t n = 0;
    while (h->h_addr_list != NULL && h->h_addr_list[n] != NULL)
        n++;
    l->addrs = polysock__calloc(n + 1, sizeof *l->addrs);
    if (l->addrs == NULL)
        return -ENOMEM;
    l->addr_count = n;
    for (size_t i = 0; i < n; i++) {
        char text[INET6_ADDRSTRLEN];
        if (inet_ntop(h->h_addrtype, h->h_addr_list[i], text, sizeof text) == NULL)
            return polysock__from_errno(errno);
        if ((l->addrs[i] = dup_str(text)) == NULL)
            return -ENOMEM;
    }
    return 0;
}

/* Python's gethost_common(): an entry of another family than asked for is
 * EAFNOSUPPORT. */
static int hostent_fill(hostent_list *l, const struct hostent *h, int family)
{
    if (h->h_addrtype != family)
        return -EAFNOSUPPORT;
    if ((family == AF_INET && h->h_length != 4) ||
        (family == AF_INET6 && h->h_length != 16))
        return -EAFNOSUPPORT;
    l->name = dup_str(h->h_name != NULL ? h->h_name : "");
    if (l->name == NULL)
        return -ENOMEM;
    int rc = copy_aliases(l, h->h_aliases);
    if (rc == 0)
        rc = copy_addrs(l, h);
    if (rc != 0)
        hostent_clear(l);
    return rc;
}

/* Run a host lookup and copy its answer into l (not yet a handle). */
static int hostent_lookup(nss_call *c, int family, hostent_list *l)
{
    char *buf = NULL;
    int rc = nss_run(c, &buf);
    if (rc != 0)
        return rc;
    if (c->result == NULL)
        rc = host_lookup_error(c);
    else
        rc = hostent_fill(l, c->result, family);
    polysock__free(buf);
    return rc;
}

static int lookup_byname(const char *name, hostent_list *l)
{
    byname_call b;
    memset(&b, 0, sizeof b);
    b.c.run = run_byname;
    b.name = name;
    return hostent_lookup(&b.c, AF_INET, l);
}

/* gethostbyaddr resolves its argument first (any family, GAI errors), then
 * asks for the entry of that address, as Python does. */
static int lookup_byaddr(const char *ip, hostent_list *l)
{
    polysock__sockaddr sa;
    int rc = polysock__resolve_host(ip, AF_UNSPEC, &sa);
    if (rc != 0)
        return rc;
    byaddr_call b;
    memset(&b, 0, sizeof b);
    b.c.run = run_byaddr;
    b.family = sa.storage.ss_family;
    if (b.family == AF_INET) {
        b.addr = &((const struct sockaddr_in *)&sa.storage)->sin_addr;
        b.addr_len = sizeof(struct in_addr);
    } else if (b.family == AF_INET6) {
        b.addr = &((const struct sockaddr_in6 *)&sa.storage)->sin6_addr;
        b.addr_len = sizeof(struct in6_addr);
    } else {
        return POLYSOCK_EFAMILY;
    }
    return hostent_lookup(&b.c, b.family, l);
}

static hostent_list *hostent_new(void)
{
    hostent_list *l = polysock__calloc(1, sizeof *l);
    if (l == NULL)
        return NULL;
    l->base.kind = POLYSOCK__KIND_HOSTENT;
    l->base.fd = -1;
    atomic_init(&l->base.closing, false);
    l->base.destroy = hostent_destroy;
    return l;
}

/* Register a finished object; on failure it is freed here. */
static int publish(polysock__object *obj, polysock_handle *out)
{
    polysock_handle h;
    int rc = polysock__handle_new(obj, &h);
    if (rc != 0) {
        obj->destroy(obj);
        polysock__free(obj);
        return rc;
    }
    *out = h;
    return 0;
}

typedef int (*hostent_lookup_fn)(const char *key, hostent_list *l);

static int hostent_handle(hostent_lookup_fn fn, const char *key,
                          polysock_handle *hostent)
{
    if (key == NULL || hostent == NULL)
        return POLYSOCK_ENULL;
    hostent_list *l = hostent_new();
    if (l == NULL)
        return -ENOMEM;
    int rc = fn(key, l);
    if (rc != 0) {
        hostent_clear(l);
        polysock__free(l);
        return rc;
    }
    return publish(&l->base, hostent);
}

/* Python 2.5 resolved the name with getaddrinfo first (so an unknown name
 * was a gaierror); the header asks for HERROR-class lookup errors, so the
 * name goes straight to gethostbyname_r. */
int polysock_gethostbyname_ex(const char *name, polysock_handle *hostent)
{
    return hostent_handle(lookup_byname, name, hostent);
}

int polysock_gethostbyaddr(const char *ip, polysock_handle *hostent)
{
    return hostent_handle(lookup_byaddr, ip, hostent);
}

static int hostent_acquire(polysock_handle h, hostent_list **l)
{
    polysock__object *obj;
    int rc = polysock__handle_acquire(h, POLYSOCK__KIND_HOSTENT, &obj);
    if (rc == 0)
        *l = (hostent_list *)obj;
    return rc;
}

int polysock_hostent_name(polysock_handle hostent, char *out, size_t out_cap)
{
    if (out == NULL)
        return POLYSOCK_ENULL;
    hostent_list *l;
    int rc = hostent_acquire(hostent, &l);
    if (rc != 0)
        return rc;
    rc = copy_out(l->name, out, out_cap);
    polysock__handle_release(&l->base);
    return rc;
}

/* which: 0 aliases, 1 addresses. */
static int hostent_count(polysock_handle hostent, int which, size_t *count)
{
    if (count == NULL)
        return POLYSOCK_ENULL;
    hostent_list *l;
    int rc = hostent_acquire(hostent, &l);
    if (rc != 0)
        return rc;
    *count = which == 0 ? l->alias_count : l->addr_count;
    polysock__handle_release(&l->base);
    return 0;
}

static int hostent_item(polysock_handle hostent, int which, size_t index,
                        char *out, size_t out_cap)
{
    if (out == NULL)
        return POLYSOCK_ENULL;
    hostent_list *l;
    int rc = hostent_acquire(hostent, &l);
    if (rc != 0)
        return rc;
    size_t n = which == 0 ? l->alias_count : l->addr_count;
    char **v = which == 0 ? l->aliases : l->addrs;
    rc = index < n ? copy_out(v[index], out, out_cap) : POLYSOCK_EINDEX;
    polysock__handle_release(&l->base);
    return rc;
}

int polysock_hostent_alias_count(polysock_handle hostent, size_t *count)
{
    return hostent_count(hostent, 0, count);
}

int polysock_hostent_alias(polysock_handle hostent, size_t index, char *out,
                           size_t out_cap)
{
    return hostent_item(hostent, 0, index, out, out_cap);
}

int polysock_hostent_addr_count(polysock_handle hostent, size_t *count)
{
    return hostent_count(hostent, 1, count);
}

int polysock_hostent_addr(polysock_handle hostent, size_t index, char *out,
                          size_t out_cap)
{
    return hostent_item(hostent, 1, index, out, out_cap);
}

/* ---- host names ------------------------------------------------------- */

int polysock_gethostname(char *out, size_t out_cap)
{
    if (out == NULL)
        return POLYSOCK_ENULL;
    char buf[POLYSOCK_HOST_MAX + 1];
    if (gethostname(buf, sizeof buf - 1) != 0)
        return polysock__from_errno(errno);
    buf[sizeof buf - 1] = '\0'; /* gethostname may truncate without NUL */
    return copy_out(buf, out, out_cap);
}

/* Python's getfqdn(): the entry's name, then its aliases; the first with a
 * '.' wins, else the entry's name.  A failed lookup leaves the name as is. */
static int fqdn_of(const char *name, char *out, size_t out_cap)
{
    hostent_list l;
    memset(&l, 0, sizeof l);
    int rc = lookup_byaddr(name, &l);
    if (rc == -ENOMEM)
        return rc; /* a MemoryError in Python, not a socket.error */
    if (rc != 0)
        return copy_out(name, out, out_cap);
    const char *pick = l.name;
    if (strchr(l.name, '.') == NULL)
        for (size_t i = 0; i < l.alias_count; i++)
            if (strchr(l.aliases[i], '.') != NULL) {
                pick = l.aliases[i];
                break;
            }
    rc = copy_out(pick, out, out_cap);
    hostent_clear(&l);
    return rc;
}

/* Python 3's getfqdn: the name is stripped, and "", "0.0.0.0" and "::"
 * mean the local host. */
int polysock_getfqdn(const char *name, char *out, size_t out_cap)
{
    if (out == NULL)
        return POLYSOCK_ENULL;
    if (name == NULL)
        name = "";
    while (isspace((unsigned char)*name))
        name++;
    size_t n = strlen(name);
    while (n > 0 && isspace((unsigned char)name[n - 1]))
        n--;
    char buf[POLYSOCK_HOST_MAX];
    if (n >= sizeof buf) {
        /* Longer than any host name: no entry can match, Python returns it. */
        if (n >= out_cap)
            return POLYSOCK_ETOOSMALL;
        memcpy(out, name, n);
        out[n] = '\0';
        return 0;
    }
    memcpy(buf, name, n);
    buf[n] = '\0';
    if (n == 0 || strcmp(buf, "0.0.0.0") == 0 || strcmp(buf, "::") == 0) {
        int rc = polysock_gethostname(buf, sizeof buf);
        if (rc != 0)
            return rc;
    }
    return fqdn_of(buf, out, out_cap);
}

int polysock_gethostbyname(const char *name, char *out, size_t out_cap)
{
    if (name == NULL || out == NULL)
        return POLYSOCK_ENULL;
    polysock__sockaddr sa;
    int rc = polysock__resolve_host(name, AF_INET, &sa);
    if (rc != 0)
        return rc;
    char text[INET_ADDRSTRLEN];
    const struct sockaddr_in *sin = (const struct sockaddr_in *)&sa.storage;
    if (inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text) == NULL)
        return polysock__from_errno(errno);
    return copy_out(text, out, out_cap);
}

/* ---- getaddrinfo and its list object ------------------------------------ */

typedef struct ai_entry {
    int family;
    int socktype;
    int proto;
    char *canonname; /* "" when the resolver gave none */
    polysock_addr addr;
} ai_entry;

typedef struct addrinfo_list {
    polysock__object base;
    ai_entry *entries;
    size_t count;
} addrinfo_list;

static void addrinfo_destroy(polysock__object *obj)
{
    addrinfo_list *l = (addrinfo_list *)obj;
    for (size_t i = 0; i < l->count; i++)
        polysock__free(l->entries[i].canonname);
    polysock__free(l->entries);
    l->entries = NULL;
    l->count = 0;
}

static int ai_entry_fill(ai_entry *e, const struct addrinfo *ai)
{
    e->family = ai->ai_family;
    e->socktype = ai->ai_socktype;
    e->proto = ai->ai_protocol;
    e->canonname = dup_str(ai->ai_canonname != NULL ? ai->ai_canonname : "");
    if (e->canonname == NULL)
        return -ENOMEM;
    return polysock__sockaddr_to_addr(ai->ai_addr, ai->ai_addrlen, &e->addr);
}

static int addrinfo_fill(addrinfo_list *l, const struct addrinfo *res)
{
    size_t n = 0;
    for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
        n++;
    l->entries = polysock__calloc(n + 1, sizeof *l->entries);
    if (l->entries == NULL)
        return -ENOMEM;
    for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        /* Counted before filling, so destroy frees a partial entry too. */
        int rc = ai_entry_fill(&l->entries[l->count++], ai);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static addrinfo_list *addrinfo_new(void)
{
    addrinfo_list *l = polysock__calloc(1, sizeof *l);
    if (l == NULL)
        return NULL;
    l->base.kind = POLYSOCK__KIND_ADDRINFO;
    l->base.fd = -1;
    atomic_init(&l->base.closing, false);
    l->base.destroy = addrinfo_destroy;
    return l;
}

int polysock_getaddrinfo(const char *host, const char *port, int family,
                         int socktype, int proto, int flags,
                         polysock_handle *list)
{
    if (list == NULL)
        return POLYSOCK_ENULL;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = family;
    hints.ai_socktype = socktype;
    hints.ai_protocol = proto;
    hints.ai_flags = flags;
    int eai = getaddrinfo(null_if_empty(host), null_if_empty(port), &hints, &res);
    if (eai != 0)
        return polysock__gai_failure(eai, errno);
    addrinfo_list *l = addrinfo_new();
    int rc = l != NULL ? addrinfo_fill(l, res) : -ENOMEM;
    freeaddrinfo(res);
    if (rc != 0) {
        if (l != NULL) {
            addrinfo_destroy(&l->base);
            polysock__free(l);
        }
        return rc;
    }
    return publish(&l->base, list);
}

static int addrinfo_acquire(polysock_handle h, addrinfo_list **l)
{
    polysock__object *obj;
    int rc = polysock__handle_acquire(h, POLYSOCK__KIND_ADDRINFO, &obj);
    if (rc == 0)
        *l = (addrinfo_list *)obj;
    return rc;
}

int polysock_addrinfo_count(polysock_handle list, size_t *count)
{
    if (count == NULL)
        return POLYSOCK_ENULL;
    addrinfo_list *l;
    int rc = addrinfo_acquire(list, &l);
    if (rc != 0)
        return rc;
    *count = l->count;
    polysock__handle_release(&l->base);
    return 0;
}

static int ai_entry_get(const ai_entry *e, int *family, int *socktype,
                        int *proto, char *canonname, size_t canonname_cap,
                        polysock_addr *addr)
{
    /* The one output that can fail goes first: nothing is written on error. */
    int rc = copy_out(e->canonname, canonname, canonname_cap);
    if (rc != 0)
        return rc;
    *family = e->family;
    *socktype = e->socktype;
    *proto = e->proto;
    *addr = e->addr;
    return 0;
}

int polysock_addrinfo_get(polysock_handle list, size_t index, int *family,
                          int *socktype, int *proto, char *canonname,
                          size_t canonname_cap, polysock_addr *addr)
{
    if (family == NULL || socktype == NULL || proto == NULL ||
        canonname == NULL || addr == NULL)
        return POLYSOCK_ENULL;
    addrinfo_list *l;
    int rc = addrinfo_acquire(list, &l);
    if (rc != 0)
        return rc;
    rc = index < l->count ? ai_entry_get(&l->entries[index], family, socktype,
                                         proto, canonname, canonname_cap, addr)
                          : POLYSOCK_EINDEX;
    polysock__handle_release(&l->base);
    return rc;
}

/* Either list kind; a handle of a third kind stays EWRONGKIND. */
int polysock_list_free(polysock_handle list)
{
    int rc = polysock__handle_close(list, POLYSOCK__KIND_HOSTENT);
    if (rc == POLYSOCK_EWRONGKIND)
        rc = polysock__handle_close(list, POLYSOCK__KIND_ADDRINFO);
    return rc;
}

/* ---- getnameinfo -------------------------------------------------------- */

/* Python's getnameinfo(): the host must be numeric and unique; it is
 * resolved (AF_UNSPEC, SOCK_DGRAM, AI_NUMERICHOST) into a sockaddr that
 * then gets the flowinfo and scope id of the record.  A record marked
 * AF_INET6 is Python's 4-tuple, and an IPv4 host in it is CPython's
 * socket.error "IPv4 sockaddr must be 2 tuple": no library code says that,
 * so it is the nearest ERROR-class one, EINETADDR (not a legal IPv6
 * address).  Family 0 or AF_INET is the 2-tuple, for either family. */
static int nameinfo_sockaddr(const polysock_addr *sa, struct addrinfo **res)
{
    if (sa->family != 0 && sa->family != AF_INET && sa->family != AF_INET6)
        return POLYSOCK_EFAMILY;
    if (sa->host_len >= POLYSOCK_HOST_MAX)
        return POLYSOCK_EVALUE;
    /* CPython parses this host with "s": ValueError, not the TypeError of
     * a socket address. */
    if (memchr(sa->host, '\0', sa->host_len) != NULL)
        return POLYSOCK_EVALUE;
    if (sa->port < 0 || sa->port > 65535)
        return POLYSOCK_EPORT;
    if (sa->flowinfo > 0xfffff)
        return POLYSOCK_ERANGE;
    char host[POLYSOCK_HOST_MAX];
    memcpy(host, sa->host, sa->host_len);
    host[sa->host_len] = '\0';
    char port[8];
    snprintf(port, sizeof port, "%d", (int)sa->port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST;
    int eai = getaddrinfo(host, port, &hints, res);
    if (eai != 0)
        return polysock__gai_failure(eai, errno);
    int rc = 0;
    if ((*res)->ai_next != NULL)
        rc = POLYSOCK_EMULTIADDR;
    else if ((*res)->ai_family == AF_INET && sa->family == AF_INET6)
        rc = POLYSOCK_EINETADDR; /* see the comment above */
    if (rc != 0)
        freeaddrinfo(*res);
    return rc;
}

/* Like the sockaddr conversion, an explicit scope id wins over "%iface";
 * CPython would overwrite it even with 0. */
static void nameinfo_apply_v6(const polysock_addr *sa, struct addrinfo *ai)
{
    if (ai->ai_family != AF_INET6)
        return;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ai->ai_addr;
    sin6->sin6_flowinfo = htonl(sa->flowinfo);
    if (sa->scope_id != 0)
        sin6->sin6_scope_id = sa->scope_id;
}

int polysock_getnameinfo(const polysock_addr *sockaddr, int flags, char *host,
                         size_t host_cap, char *service, size_t service_cap)
{
    if (sockaddr == NULL || host == NULL || service == NULL)
        return POLYSOCK_ENULL;
    struct addrinfo *res;
    int rc = nameinfo_sockaddr(sockaddr, &res);
    if (rc != 0)
        return rc;
    nameinfo_apply_v6(sockaddr, res);
    char hbuf[NI_MAXHOST], sbuf[NI_MAXSERV];
    int eai = getnameinfo(res->ai_addr, res->ai_addrlen, hbuf, sizeof hbuf,
                          sbuf, sizeof sbuf, flags);
    int err = errno;
    freeaddrinfo(res);
    if (eai != 0)
        return polysock__gai_failure(eai, err);
    if (strlen(hbuf) >= host_cap || strlen(sbuf) >= service_cap)
        return POLYSOCK_ETOOSMALL;
    copy_out(hbuf, host, host_cap);
    copy_out(sbuf, service, service_cap);
    return 0;
}

/* ---- protocols and services --------------------------------------------- */

typedef struct proto_call {
    nss_call c;
    const char *name;
    struct protoent pe;
} proto_call;

static int run_proto(nss_call *c, char *buf, size_t len)
{
    proto_call *p = (proto_call *)c;
    struct protoent *res = NULL;
    int rc = getprotobyname_r(p->name, &p->pe, buf, len, &res);
    c->result = res;
    return rc;
}

typedef struct serv_call {
    nss_call c;
    const char *name; /* by name, or NULL to look up by port */
    int port;         /* network byte order */
    const char *proto;
    struct servent se;
} serv_call;

static int run_serv(nss_call *c, char *buf, size_t len)
{
    serv_call *s = (serv_call *)c;
    struct servent *res = NULL;
    int rc = s->name != NULL
                 ? getservbyname_r(s->name, s->proto, &s->se, buf, len, &res)
                 : getservbyport_r(s->port, s->proto, &s->se, buf, len, &res);
    c->result = res;
    return rc;
}

/* Not found (also when the database file is missing: ENOENT) is the
 * function's own "not found" message; other failures are OS errors. */
static int lookup_miss(const nss_call *c, int not_found)
{
    if (c->rc == 0 || c->rc == ENOENT)
        return not_found;
    return polysock__from_errno(c->rc);
}

int polysock_getprotobyname(const char *name, int *proto)
{
    if (name == NULL || proto == NULL)
        return POLYSOCK_ENULL;
    proto_call p;
    memset(&p, 0, sizeof p);
    p.c.run = run_proto;
    p.name = name;
    char *buf = NULL;
    int rc = nss_run(&p.c, &buf);
    if (rc != 0)
        return rc;
    if (p.c.result == NULL)
        rc = lookup_miss(&p.c, POLYSOCK_ENOPROTO);
    else
        *proto = p.pe.p_proto;
    polysock__free(buf);
    return rc;
}

int polysock_getservbyname(const char *name, const char *proto, int *port)
{
    if (name == NULL || port == NULL)
        return POLYSOCK_ENULL;
    serv_call s;
    memset(&s, 0, sizeof s);
    s.c.run = run_serv;
    s.name = name;
    s.proto = null_if_empty(proto);
    char *buf = NULL;
    int rc = nss_run(&s.c, &buf);
    if (rc != 0)
        return rc;
    if (s.c.result == NULL)
        rc = lookup_miss(&s.c, POLYSOCK_ENOSERVICE);
    else
        *port = ntohs((uint16_t)s.se.s_port);
    polysock__free(buf);
    return rc;
}

int polysock_getservbyport(int64_t port, const char *proto, char *out,
                           size_t out_cap)
{
    if (out == NULL)
        return POLYSOCK_ENULL;
    if (port < 0 || port > 65535)
        return POLYSOCK_EPORT;
    serv_call s;
    memset(&s, 0, sizeof s);
    s.c.run = run_serv;
    s.port = htons((uint16_t)port);
    s.proto = null_if_empty(proto);
    char *buf = NULL;
    int rc = nss_run(&s.c, &buf);
    if (rc != 0)
        return rc;
    if (s.c.result == NULL)
        rc = lookup_miss(&s.c, POLYSOCK_ENOPORTSVC);
    else
        rc = copy_out(s.se.s_name, out, out_cap);
    polysock__free(buf);
    return rc;
}
