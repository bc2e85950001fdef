/*
 * tls_transport.h - the byte stream under a TLS connection.
 *
 * The engine never touches a descriptor: it moves ciphertext through a
 * transport.  The socket transport does one non-blocking recv/send per
 * call (MSG_DONTWAIT whatever the socket's mode, MSG_NOSIGNAL so that a
 * TLS write never raises SIGPIPE); waiting is the generic layer's job
 * (tls.c).  The memory transport serves a fixed input and discards the
 * output, so tests and fuzzers can run an engine without a peer.
 */
#ifndef POLYSOCK_TLS_TRANSPORT_H
#define POLYSOCK_TLS_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct polysock__tls_transport polysock__tls_transport;

typedef struct polysock__tls_transport_ops {
    /* > 0: bytes moved; 0 (recv only): end of stream; -1: failed, with
     * the errno in t->last_error (EAGAIN: nothing can move now). */
    ssize_t (*recv)(polysock__tls_transport *t, void *buf, size_t len);
    ssize_t (*send)(polysock__tls_transport *t, const void *buf, size_t len);
} polysock__tls_transport_ops;

struct polysock__tls_transport {
    const polysock__tls_transport_ops *ops;
    /* errno of the last failed recv or send, 0 when none failed.  Written
     * only under the connection's lock (every engine call holds it). */
    int last_error;
    /* The peer ended the stream (recv gave 0). */
    bool at_eof;
    int fd;                     /* socket transport */
    const unsigned char *input; /* memory transport */
    size_t input_len;
    size_t input_pos;
};

/* A transport over fd, which the caller keeps open while the engine uses
 * it (tls.c holds a reference on the socket handle for every call). */
void polysock__tls_transport_socket(polysock__tls_transport *t, int fd);
/* A transport whose peer sends input[0..len) and then ends the stream;
 * what is sent to it is dropped.  input must outlive the transport. */
void polysock__tls_transport_memory(polysock__tls_transport *t,
                                    const void *input, size_t len);

#endif
