/*
 * io.c - the socket calls that can block: accept, connect, recv, send and
 * their variants.  Each runs under the socket's timeout mode through
 * polysock__sock_call (wait.c); none can raise SIGPIPE.
 */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

/* The largest buffer one call takes: what recv/send can report back. */
#define MAX_IO_LEN ((size_t)SSIZE_MAX)

static int check_buffer(const void *buf, size_t len, const size_t *count)
{
    if (len > MAX_IO_LEN)
        return POLYSOCK_EBUFSIZE;
    if (buf == NULL || count == NULL)
        return POLYSOCK_ENULL;
    return 0;
}

/* An address the kernel gave back; a connected socket's recvfrom gives
 * none (length 0), reported as family AF_UNSPEC. */
static int return_address(const polysock__sockaddr *sa, polysock_addr *addr)
{
    if (addr == NULL)
        return 0;
    if (sa->len == 0) {
        memset(addr, 0, sizeof *addr);
        addr->family = AF_UNSPEC;
        return 0;
    }
    return polysock__sockaddr_to_addr((const struct sockaddr *)&sa->storage,
                                      sa->len, addr);
}

/* ---- accept ---- */

static ssize_t attempt_accept(int fd, void *ctx)
{
    polysock__sockaddr *sa = ctx;
    sa->len = sizeof sa->storage;
    return accept4(fd, (struct sockaddr *)&sa->storage, &sa->len, SOCK_CLOEXEC);
}

int polysock_accept(polysock_handle h, polysock_handle *conn, polysock_addr *peer)
{
    if (conn == NULL)
        return POLYSOCK_ENULL;
    polysock__socket *sock;
    int rc = polysock__socket_acquire(h, &sock);
    if (rc != 0)
        return rc;
    polysock__sockaddr sa;
    memset(&sa, 0, sizeof sa);
    ssize_t fd = -1;
    rc = polysock__sock_call(sock, POLYSOCK__OP_ACCEPT, POLLIN, attempt_accept,
                             &sa, &fd);
    polysock_handle new_handle = 0;
    if (rc == 0)
        rc = polysock__socket_wrap((int)fd, sock->family, sock->type,
                                   sock->proto, &new_handle);
    polysock__handle_release(&sock->base);
    if (rc == 0 && (rc = return_address(&sa, peer)) != 0)
        polysock_close(new_handle);
    if (rc == 0)
        *conn = new_handle;
    return rc;
}

/* ---- connect ---- */

/* Wait for a connect in progress and read its outcome from SO_ERROR: a
 * connect that was interrupted goes on in the kernel, and calling connect
 * again would only say EALREADY. */
static int finish_connect(polysock__socket *sock, int64_t deadline)
{
    int fd = sock->base.fd;
    int rc = polysock__wait_fd(fd, POLLOUT, deadline, sock->base.handle,
                               POLYSOCK__OP_CONNECT);
    if (atomic_load(&sock->base.closing))
        return POLYSOCK_EBADHANDLE;
    if (rc == -EINTR) {
        atomic_store(&sock->connect_pending, true);
        return rc;
    }
    atomic_store(&sock->connect_pending, false);
    if (rc != 0)
        return rc;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return -errno;
    return err != 0 ? -err : 0;
}

static int do_connect(polysock__socket *sock, const polysock__sockaddr *sa)
{
    int64_t timeout = atomic_load(&sock->timeout_ns);
    int64_t deadline = polysock__call_deadline(sock->base.handle,
                                               POLYSOCK__OP_CONNECT, timeout);
    if (atomic_load(&sock->connect_pending))
        return finish_connect(sock, deadline);
    if (connect(sock->base.fd, (const struct sockaddr *)&sa->storage, sa->len) == 0)
        return 0;
    int err = errno;
    if (atomic_load(&sock->base.closing))
        return POLYSOCK_EBADHANDLE;
    if (err == EINTR) {
        int rc = polysock__interrupted(sock->base.handle, POLYSOCK__OP_CONNECT,
                                       deadline);
        if (rc != 0) {
            atomic_store(&sock->connect_pending, true);
            return rc;
        }
        return finish_connect(sock, deadline);
    }
    if (err == EINPROGRESS && timeout > 0)
        return finish_connect(sock, deadline);
    return -err;
}

static int connect_common(polysock_handle h, const polysock_addr *addr)
{
    if (addr == NULL)
        return POLYSOCK_ENULL;
    polysock__socket *sock;
    int rc = polysock__socket_acquire(h, &sock);
    if (rc != 0)
        return rc;
    polysock__sockaddr sa;
    rc = polysock__addr_to_sockaddr(sock->family, addr, &sa);
    if (rc == 0 && (sock->family == AF_INET || sock->family == AF_INET6))
        rc = polysock__socket_set_connect_host(sock, addr->host, addr->host_len);
    if (rc == 0)
        rc = do_connect(sock, &sa);
    polysock__handle_release(&sock->base);
    return rc;
}

int polysock_connect(polysock_handle h, const polysock_addr *addr)
{
    return connect_common(h, addr);
}

int polysock_connect_ex(polysock_handle h, const polysock_addr *addr, int *err)
{
    if (err == NULL)
        return POLYSOCK_ENULL;
    int rc = connect_common(h, addr);
    /* Only the connect itself becomes an error indicator; a bad handle,
     * a bad address or an interrupted call is still reported as such. */
    if (rc == 0 || (polysock_errclass(rc) == POLYSOCK_ERRCLASS_OS && rc != -EINTR) ||
        rc == POLYSOCK_ETIMEOUT) {
        *err = polysock_errno(rc);
        return 0;
    }
    return rc;
}

/* ---- recv ---- */

typedef struct io_ctx {
    void *buf;
    size_t len;
    int flags;
    polysock__sockaddr *sa; /* recvfrom / sendto */
} io_ctx;

static ssize_t attempt_recv(int fd, void *ctx)
{
    io_ctx *io = ctx;
    return recv(fd, io->buf, io->len, io->flags);
}

static ssize_t attempt_recvfrom(int fd, void *ctx)
{
    io_ctx *io = ctx;
    io->sa->len = sizeof io->sa->storage;
    return recvfrom(fd, io->buf, io->len, io->flags,
                    (struct sockaddr *)&io->sa->storage, &io->sa->len);
}

int polysock_recv(polysock_handle h, void *buf, size_t len, int flags,
                  size_t *nread)
{
    int rc = check_buffer(buf, len, nread);
    if (rc != 0)
        return rc;
    polysock__socket *sock;
    if ((rc = polysock__socket_acquire(h, &sock)) != 0)
        return rc;
    io_ctx io = {.buf = buf, .len = len, .flags = flags};
    ssize_t n = 0;
    rc = polysock__sock_call(sock, POLYSOCK__OP_RECV, POLLIN, attempt_recv, &io, &n);
    polysock__handle_release(&sock->base);
    if (rc == 0)
        *nread = (size_t)n;
    return rc;
}

int polysock_recvfrom(polysock_handle h, void *buf, size_t len, int flags,
                      size_t *nread, polysock_addr *from)
{
    int rc = check_buffer(buf, len, nread);
    if (rc != 0)
        return rc;
    polysock__socket *sock;
    if ((rc = polysock__socket_acquire(h, &sock)) != 0)
        return rc;
    polysock__sockaddr sa;
    memset(&sa, 0, sizeof sa);
    io_ctx io = {.buf = buf, .len = len, .flags = flags, .sa = &sa};
    ssize_t n = 0;
    rc = polysock__sock_call(sock, POLYSOCK__OP_RECV, POLLIN, attempt_recvfrom,
                             &io, &n);
    polysock__handle_release(&sock->base);
    if (rc == 0)
        rc = return_address(&sa, from);
    if (rc == 0)
        *nread = (size_t)n;
    return rc;
}

/* ---- send ---- */

static ssize_t attempt_send(int fd, void *ctx)
{
    io_ctx *io = ctx;
    return send(fd, io->buf, io->len, io->flags | MSG_NOSIGNAL);
}

static ssize_t attempt_sendto(int fd, void *ctx)
{
    io_ctx *io = ctx;
    return sendto(fd, io->buf, io->len, io->flags | MSG_NOSIGNAL,
                  (const struct sockaddr *)&io->sa->storage, io->sa->len);
}

int polysock_send(polysock_handle h, const void *buf, size_t len, int flags,
                  size_t *nsent)
{
    int rc = check_buffer(buf, len, nsent);
    if (rc != 0)
        return rc;
    polysock__socket *sock;
    if ((rc = polysock__socket_acquire(h, &sock)) != 0)
        return rc;
    io_ctx io = {.buf = (void *)buf, .len = len, .flags = flags};
    ssize_t n = 0;
    rc = polysock__sock_call(sock, POLYSOCK__OP_SEND, POLLOUT, attempt_send, &io, &n);
    polysock__handle_release(&sock->base);
    if (rc == 0)
        *nsent = (size_t)n;
    return rc;
}

int polysock_sendall(polysock_handle h, const void *buf, size_t len, int flags,
                     size_t *nsent)
{
    int rc = check_buffer(buf, len, nsent);
    if (rc != 0)
        return rc;
    polysock__socket *sock;
    if ((rc = polysock__socket_acquire(h, &sock)) != 0)
        return rc;
    int64_t deadline = polysock__call_deadline(h, POLYSOCK__OP_SENDALL,
                                               atomic_load(&sock->timeout_ns));
    size_t sent = 0;
    while (rc == 0 && sent < len) {
        io_ctx io = {.buf = (char *)buf + sent, .len = len - sent, .flags = flags};
        ssize_t n = 0;
        rc = polysock__sock_call_until(sock, POLYSOCK__OP_SENDALL, POLLOUT,
                                       attempt_send, &io, deadline, &n);
        if (rc == 0)
            sent += (size_t)n;
    }
    polysock__handle_release(&sock->base);
    *nsent = sent;
    return rc;
}

int polysock_sendto(polysock_handle h, const void *buf, size_t len, int flags,
                    const polysock_addr *to, size_t *nsent)
{
    int rc = check_buffer(buf, len, nsent);
    if (rc != 0)
        return rc;
    if (to == NULL)
        return POLYSOCK_ENULL;
    polysock__socket *sock;
    if ((rc = polysock__socket_acquire(h, &sock)) != 0)
        return rc;
    polysock__sockaddr sa;
    rc = polysock__addr_to_sockaddr(sock->family, to, &sa);
    io_ctx io = {.buf = (void *)buf, .len = len, .flags = flags, .sa = &sa};
    ssize_t n = 0;
    if (rc == 0)
        rc = polysock__sock_call(sock, POLYSOCK__OP_SEND, POLLOUT, attempt_sendto,
                                 &io, &n);
    polysock__handle_release(&sock->base);
    if (rc == 0)
        *nsent = (size_t)n;
    return rc;
}
