/*
 * tls_transport.c - the socket and memory transports (tls_transport.h).
 */
#include "internal.h"
#include "tls_transport.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/* ---- socket: one non-blocking attempt per call ---- */

static ssize_t socket_recv(polysock__tls_transport *t, void *buf, size_t len)
{
    ssize_t n;
    do
        n = recv(t->fd, buf, len, MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        t->last_error = errno;
    else if (n == 0)
        t->at_eof = true;
    return n < 0 ? -1 : n;
}

static ssize_t socket_send(polysock__tls_transport *t, const void *buf, size_t len)
{
    ssize_t n;
    do
        n = send(t->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        t->last_error = errno;
    return n < 0 ? -1 : n;
}

static const polysock__tls_transport_ops socket_ops = {socket_recv, socket_send};

void polysock__tls_transport_socket(polysock__tls_transport *t, int fd)
{
    memset(t, 0, sizeof *t);
    t->ops = &socket_ops;
    t->fd = fd;
}

/* ---- memory: a fixed input, output dropped ---- */

static ssize_t memory_recv(polysock__tls_transport *t, void *buf, size_t len)
{
    size_t left = t->input_len - t->input_pos;
    if (left == 0) {
        t->at_eof = true;
        return 0;
    }
    size_t n = len < left ? len : left;
    memcpy(buf, t->input + t->input_pos, n);
    t->input_pos += n;
    return (ssize_t)n;
}

static ssize_t memory_send(polysock__tls_transport *t, const void *buf, size_t len)
{
    (void)t;
    (void)buf;
    return (ssize_t)len;
}

static const polysock__tls_transport_ops memory_ops = {memory_recv, memory_send};

void polysock__tls_transport_memory(polysock__tls_transport *t,
                                    const void *input, size_t len)
{
    memset(t, 0, sizeof *t);
    t->ops = &memory_ops;
    t->fd = -1;
    t->input = input;
    t->input_len = len;
}
