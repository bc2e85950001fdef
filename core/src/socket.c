/*
 * socket.c - the socket object: creation, close, timeout modes, options
 * and names.  The I/O calls that can block live in io.c.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

static _Atomic int64_t live_sockets;
/* Guards connect_host, which connect writes while TLS may read it. */
static pthread_mutex_t host_lock = PTHREAD_MUTEX_INITIALIZER;

int64_t polysock__socket_live_count(void)
{
    return atomic_load(&live_sockets);
}

static void socket_destroy(polysock__object *obj)
{
    polysock__socket *sock = (polysock__socket *)obj;
    polysock__free(sock->connect_host);
    atomic_fetch_sub(&live_sockets, 1);
}

/* Wakes every call blocked on the socket: recv sees EOF, accept EINVAL,
 * poll POLLHUP; sock_call then reports the close. */
static void socket_wake(polysock__object *obj)
{
    shutdown(obj->fd, SHUT_RDWR);
}

/* Timeout and non-blocking modes run on an O_NONBLOCK descriptor (waiting
 * is done by poll against the deadline); blocking mode on a blocking one,
 * so a blocking call is exactly one syscall. */
static int set_nonblocking(int fd, bool on)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return -errno;
    int want = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    if (want != flags && fcntl(fd, F_SETFL, want) < 0)
        return -errno;
    return 0;
}

int polysock__socket_wrap(int fd, int family, int type, int proto,
                          polysock_handle *handle)
{
    polysock__socket *sock = polysock__calloc(1, sizeof *sock);
    if (sock == NULL) {
        close(fd);
        return -ENOMEM;
    }
    int64_t timeout = (type & SOCK_NONBLOCK) ? 0 : polysock__default_timeout_ns();
    int rc = set_nonblocking(fd, timeout >= 0);
    sock->base.kind = POLYSOCK__KIND_SOCKET;
    sock->base.fd = fd;
    sock->base.destroy = socket_destroy;
    sock->base.wake = socket_wake;
    sock->family = family;
    sock->type = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    sock->proto = proto;
    atomic_init(&sock->timeout_ns, timeout);
    if (rc == 0)
        rc = polysock__handle_new(&sock->base, handle);
    if (rc != 0) {
        close(fd);
        polysock__free(sock);
        return rc;
    }
    atomic_fetch_add(&live_sockets, 1);
    return 0;
}

int polysock__socket_acquire(polysock_handle h, polysock__socket **sock)
{
    polysock__object *obj;
    int rc = polysock__handle_acquire(h, POLYSOCK__KIND_SOCKET, &obj);
    if (rc == 0)
        *sock = (polysock__socket *)obj;
    return rc;
}

int polysock_socket(int family, int type, int proto, polysock_handle *handle)
{
    if (handle == NULL)
        return POLYSOCK_ENULL;
    int fd = socket(family, type | SOCK_CLOEXEC, proto);
    if (fd < 0)
        return -errno;
    return polysock__socket_wrap(fd, family, type, proto, handle);
}

int polysock_socketpair(int family, int type, int proto, polysock_handle *a,
                        polysock_handle *b)
{
    if (a == NULL || b == NULL)
        return POLYSOCK_ENULL;
    int fds[2];
    if (socketpair(family, type | SOCK_CLOEXEC, proto, fds) < 0)
        return -errno;
    polysock_handle ha;
    int rc = polysock__socket_wrap(fds[0], family, type, proto, &ha);
    if (rc != 0) {
        close(fds[1]);
        return rc;
    }
    rc = polysock__socket_wrap(fds[1], family, type, proto, b);
    if (rc != 0) {
        polysock_close(ha);
        return rc;
    }
    *a = ha;
    return 0;
}

int polysock_fromfd(int fd, int family, int type, int proto,
                    polysock_handle *handle)
{
    if (handle == NULL)
        return POLYSOCK_ENULL;
    if (fd < 0)
        return -EBADF;
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0)
        return -errno;
    return polysock__socket_wrap(copy, family, type, proto, handle);
}

int polysock_close(polysock_handle handle)
{
    return polysock__handle_close(handle, POLYSOCK__KIND_SOCKET);
}

/* ---- attributes ---- */

enum attribute { ATTR_FAMILY, ATTR_TYPE, ATTR_PROTO, ATTR_FILENO };

static int get_attribute(polysock_handle h, enum attribute which, int *out)
{
    if (out == NULL)
        return POLYSOCK_ENULL;
    polysock__socket *sock;
    int rc = polysock__socket_acquire(h, &sock);
    if (rc != 0)
        return rc;
    switch (which) {
    case ATTR_FAMILY: *out = sock->family; break;
    case ATTR_TYPE: *out = sock->type; break;
    case ATTR_PROTO: *out = sock->proto; break;
    case ATTR_FILENO: *out = sock->base.fd; break;
    }
    polysock__handle_release(&sock->base);
    return 0;
}

int polysock_family(polysock_handle h, int *family) { return get_attribute(h, ATTR_FAMILY, family); }
int polysock_type(polysock_handle h, int *type) { return get_attribute(h, ATTR_TYPE, type); }
int polysock_proto(polysock_handle h, int *proto) { return get_attribute(h, ATTR_PROTO, proto); }
int polysock_fileno(polysock_handle h, int *fd) { return get_attribute(h, ATTR_FILENO, fd); }

/* ---- timeout modes ---- */

static int set_timeout_ns(polysock_handle h, int64_t ns)
{
    polysock__socket *sock;
    int rc = polysock__socket_acquire(h, &sock);
    if (rc != 0)
        return rc;
    rc = set_nonblocking(sock->base.fd, ns >= 0);
    if (rc == 0)
        atomic_store(&sock->timeout_ns, ns);
    polysock__handle_release(&sock->base);
    return rc;
}

int polysock_setblocking(polysock_handle h, int flag)
{
    return set_timeout_ns(h, flag ? -1 : 0);
}

int polysock_settimeout(polysock_handle h, double seconds)
{
    int64_t ns;
    int rc = polysock__timeout_from_seconds(seconds, &ns);
    return rc != 0 ? rc : set_timeout_ns(h, ns);
}

int polysock_gettimeout(polysock_handle h, double *seconds)
{
    if (seconds == NULL)
        return POLYSOCK_ENULL;
    polysock__socket *sock;
    int rc = polysock__socket_acquire(h, &sock);
    if (rc != 0)
        return rc;
    *seconds = polysock__timeout_to_seconds(atomic_load(&sock->timeout_ns));
    polysock__handle_release(&sock->base);
    return 0;
}

/* ---- options ---- */

#define MAX_GETSOCKOPT_BUFLEN 1024 /* CPython's limit */
#define MAX_SETSOCKOPT_BUFLEN (1 << 20)

int polysock_getsockopt_int(polysock_handle h, int level, int optname, int *value)
{
    if (value == NULL)
        return POLYSOCK_ENULL;
    polysock__socket *sock;
    int rc = polysock__socket_acquire(h, &sock);
    if (rc != 0)
        return rc;
    int v = 0;
    socklen_t len = sizeof v;
    if (getsockopt(sock->base.fd, level, optname, &v, &len) < 0)
        rc = -errno;
    else
        *value = v;
    polysock__handle_release(&sock->base);
    return rc;
}

int polysock_getsockopt_buf(polysock_handle h, int level, int optname,
                            void *buf, size_t buflen, size_t *outlen)
{
    if (buflen == 0 || buflen > MAX_GETSOCKOPT_BUFLEN)
        return POLYSOCK_EBUFLEN;
    if (buf == NULL || outlen == NULL)
        return POLYSOCK_ENULL;
    polysock__socket *sock;
    int rc = polysock__socket_acquire(h, &sock);
    if (rc != 0)
        return rc;
    socklen_t len = (socklen_t)buflen;
    if (getsockopt(sock->base.fd, level, optname, buf, &len) < 0)
        rc = -errno;
    else
        *outlen = len;
    polysock__handle_release(&sock->base);
    return rc;
}

int polysock_setsockopt_int(polysock_handle h, int level, int optname, int value)
{
    polysock__socket *sock;
    int rc = polysock__socket_acquire(h, &sock);
    if (rc != 0)
        return rc;
    if (setsockopt(sock->base.fd, level, optname, &value, sizeof value) < 0)
        rc = -errno;
    polysock__handle_release(&sock->base);
    return rc;
}

int polysock_setsockopt_buf(polysock_handle h, int level, int optname,
                            const void *buf, size_t buflen)
{
    if (buflen > MAX_SETSOCKOPT_BUFLEN)
        return POLYSOCK_EBUFSIZE;
    if (buf == NULL && buflen > 0)
        return POLYSOCK_ENULL;
    polysock__socket *sock;
    int rc = polysock__socket_acquire(h, &sock);
    if (rc != 0)
        return rc;
    if (setsockopt(sock->base.fd, level, optname, buf, (socklen_t)buflen) < 0)
        rc = -errno;
    polysock__handle_release(&sock->base);
    return rc;
}

/* ---- bind, listen, shutdown, names ---- */

int polysock_bind(polysock_handle h, const polysock_addr *addr)
{
    if (addr == NULL)
        return POLYSOCK_ENULL;
    polysock__socket *sock;
    int rc = polysock__socket_acquire(h, &sock);
    if (rc != 0)
        return rc;
    polysock__sockaddr sa;
    rc = polysock__addr_to_sockaddr(sock->family, addr, &sa);
    if (rc == 0 && bind(sock->base.fd, (struct sockaddr *)&sa.storage, sa.len) < 0)
        rc = -errno;
    polysock__handle_release(&sock->base);
    return rc;
}

int polysock_listen(polysock_handle h, int backlog)
{
    polysock__socket *sock;
    int rc = polysock__socket_acquire(h, &sock);
    if (rc != 0)
        return rc;
    /* As CPython: a negative backlog means 0 (the kernel's minimum). */
    if (listen(sock->base.fd, backlog < 0 ? 0 : backlog) < 0)
        rc = -errno;
    polysock__handle_release(&sock->base);
    return rc;
}

int polysock_shutdown(polysock_handle h, int how)
{
    polysock__socket *sock;
    int rc = polysock__socket_acquire(h, &sock);
    if (rc != 0)
        return rc;
    if (shutdown(sock->base.fd, how) < 0)
        rc = -errno;
    polysock__handle_release(&sock->base);
    return rc;
}

typedef int (*name_fn)(int, struct sockaddr *, socklen_t *);

static int get_name(polysock_handle h, name_fn fn, polysock_addr *addr)
{
    if (addr == NULL)
        return POLYSOCK_ENULL;
    polysock__socket *sock;
    int rc = polysock__socket_acquire(h, &sock);
    if (rc != 0)
        return rc;
    polysock__sockaddr sa;
    memset(&sa, 0, sizeof sa);
    sa.len = sizeof sa.storage;
    if (fn(sock->base.fd, (struct sockaddr *)&sa.storage, &sa.len) < 0)
        rc = -errno;
    else
        rc = polysock__sockaddr_to_addr((struct sockaddr *)&sa.storage, sa.len, addr);
    polysock__handle_release(&sock->base);
    return rc;
}

int polysock_getsockname(polysock_handle h, polysock_addr *addr)
{
    return get_name(h, getsockname, addr);
}

int polysock_getpeername(polysock_handle h, polysock_addr *addr)
{
    return get_name(h, getpeername, addr);
}

/* ---- the host given to connect (TLS verifies it by default) ---- */

int polysock__socket_set_connect_host(polysock__socket *sock, const char *host,
                                      size_t len)
{
    char *copy = polysock__memdup0(host, len);
    if (copy == NULL)
        return -ENOMEM;
    pthread_mutex_lock(&host_lock);
    char *old = sock->connect_host;
    sock->connect_host = copy;
    pthread_mutex_unlock(&host_lock);
    polysock__free(old);
    return 0;
}

int polysock_connect_host(polysock_handle h, char *out, size_t out_cap)
{
    if (out == NULL)
        return POLYSOCK_ENULL;
    polysock__socket *sock;
    int rc = polysock__socket_acquire(h, &sock);
    if (rc != 0)
        return rc;
    pthread_mutex_lock(&host_lock);
    const char *host = sock->connect_host != NULL ? sock->connect_host : "";
    size_t len = strlen(host);
    if (len >= out_cap)
        rc = POLYSOCK_ETOOSMALL;
    else
        memcpy(out, host, len + 1);
    pthread_mutex_unlock(&host_lock);
    polysock__handle_release(&sock->base);
    return rc;
}
