/*
 * tls.c - the TLS connection handle: the generic part of every call.
 *
 * A connection wraps a socket by its handle, not by pointer: each call
 * acquires the socket for its length, so closing the socket fails (and,
 * through the socket's wake-up, interrupts) TLS calls with EBADHANDLE,
 * and closing the connection never closes the socket.
 *
 * The engine (tls_engine.h) runs single non-blocking steps.  This file
 * waits between them under the socket's timeout mode, with one deadline
 * per call fixed when it starts (polysock__call_deadline, so an interrupted
 * call resumed by the binding keeps it) and the same interrupt rules as
 * the socket calls (polysock__wait_fd).
 *
 * Full duplex: engines are not safe for concurrent calls on one
 * connection, so each step runs under the connection's lock, which is
 * never held while waiting; one thread may read while another writes.
 */
#include "tls_engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>

/* While another call is in flight on the connection, or the handshake is
 * not done, a waiting call looks again this often: another call may have
 * consumed what it waits for (the rest of the handshake, say), and no
 * descriptor tells it so.  (Two threads reading at once: one may take
 * more than it returns, and the other then waits for the socket while
 * bytes are buffered; it sees them within a slice only while the first is
 * still in flight.  Read from one thread at a time.) */
#define SHARED_WAIT_SLICE_NS (20 * 1000000LL)

typedef struct tls_conn {
    polysock__object base;
    polysock_handle sock;        /* the socket under the connection */
    polysock__tls_context *ctx;  /* a reference */
    void *engine_conn;
    polysock__tls_transport transport;
    atomic_int calls;            /* calls in flight */
    pthread_mutex_t lock;        /* around each engine step; guards below */
    bool handshake_done;
    int failure;                 /* the first fatal error, 0 if none */
    char reason[POLYSOCK__TLS_REASON_MAX]; /* TLS_INFO_ERROR */
} tls_conn;

static const polysock__tls_engine *engine(void) { return POLYSOCK__TLS_ENGINE; }

/* ---- creation and close ---- */

static void conn_destroy(polysock__object *obj)
{
    tls_conn *c = (tls_conn *)obj;
    if (c->engine_conn != NULL)
        engine()->conn_free(c->engine_conn);
    polysock__tls_context_put(c->ctx);
    pthread_mutex_destroy(&c->lock);
}

static bool is_ip_literal(const char *host)
{
    unsigned char packed[16];
    return inet_pton(AF_INET, host, packed) == 1 ||
           inet_pton(AF_INET6, host, packed) == 1;
}

/* The name a client connection verifies: the one given, else the host of
 * the socket's last connect; "" when none is known. */
static int client_name(polysock_handle sock, const char *given, char *name)
{
    if (given != NULL) {
        size_t len = strlen(given);
        if (len >= POLYSOCK_HOST_MAX)
            return POLYSOCK_EVALUE;
        memcpy(name, given, len + 1);
        return 0;
    }
    return polysock_connect_host(sock, name, POLYSOCK_HOST_MAX);
}

/* Make the engine's connection for c over socket fd. */
static int attach_engine(tls_conn *c, const polysock__tls_settings *s, int fd,
                         const char *name)
{
    polysock__tls_transport_socket(&c->transport, fd);
    polysock__tls_peer peer = {
        .hostname = name[0] != '\0' ? name : NULL,
        .is_ip = name[0] != '\0' && is_ip_literal(name),
        .check_name = s->verify,
    };
    return engine()->conn_new(polysock__tls_context_engine(c->ctx),
                              s->server ? NULL : &peer, &c->transport,
                              &c->engine_conn);
}

int polysock_tls_new(polysock_handle sock, polysock_handle cfg,
                     const char *server_hostname, polysock_handle *tls)
{
    if (tls == NULL)
        return POLYSOCK_ENULL;
    if (server_hostname != NULL && server_hostname[0] == '\0')
        return POLYSOCK_EVALUE;
    polysock__socket *s;
    int rc = polysock__socket_acquire(sock, &s);
    if (rc != 0)
        return rc;
    polysock__tls_context *ctx = NULL;
    tls_conn *c = NULL;
    char name[POLYSOCK_HOST_MAX] = "";
    rc = polysock__tls_config_context(cfg, &ctx);
    const polysock__tls_settings *settings =
        rc == 0 ? polysock__tls_context_settings(ctx) : NULL;
    if (rc == 0 && settings->server && server_hostname != NULL)
        rc = POLYSOCK_EVALUE;
    if (rc == 0 && !settings->server)
        rc = client_name(sock, server_hostname, name);
    if (rc == 0 && !settings->server && settings->verify && name[0] == '\0')
        rc = POLYSOCK_ETLS_NONAME;
    if (rc == 0 && (c = polysock__calloc(1, sizeof *c)) == NULL)
        rc = -ENOMEM;
    if (rc == 0) {
        c->base.kind = POLYSOCK__KIND_TLS;
        c->base.fd = -1;
        c->base.destroy = conn_destroy;
        c->sock = sock;
        c->ctx = ctx;
        ctx = NULL; /* c holds the reference now */
        pthread_mutex_init(&c->lock, NULL);
        rc = attach_engine(c, settings, s->base.fd, name);
        if (rc == 0)
            rc = polysock__handle_new(&c->base, tls);
        if (rc != 0) {
            conn_destroy(&c->base);
            polysock__free(c);
        }
    }
    polysock__tls_context_put(ctx);
    polysock__handle_release(&s->base);
    return rc;
}

/* Acquire the connection and its socket for one call. */
static int begin_call(polysock_handle h, tls_conn **c, polysock__socket **sock)
{
    polysock__object *obj;
    int rc = polysock__handle_acquire(h, POLYSOCK__KIND_TLS, &obj);
    if (rc != 0)
        return rc;
    *c = (tls_conn *)obj;
    rc = polysock__socket_acquire((*c)->sock, sock);
    if (rc != 0) {
        polysock__handle_release(obj);
        return rc == POLYSOCK_EWRONGKIND ? POLYSOCK_EBADHANDLE : rc;
    }
    atomic_fetch_add(&(*c)->calls, 1);
    return 0;
}

static void end_call(tls_conn *c, polysock__socket *sock)
{
    atomic_fetch_sub(&c->calls, 1);
    polysock__handle_release(&sock->base);
    polysock__handle_release(&c->base);
}

int polysock_tls_close(polysock_handle h)
{
    polysock__object *obj;
    int rc = polysock__handle_acquire(h, POLYSOCK__KIND_TLS, &obj);
    if (rc != 0)
        return rc;
    /* Closed first, so only the thread that wins the close says goodbye;
     * our reference keeps the connection alive until then. */
    rc = polysock__handle_close(h, POLYSOCK__KIND_TLS);
    tls_conn *c = (tls_conn *)obj;
    polysock__socket *sock;
    if (rc == 0 && polysock__socket_acquire(c->sock, &sock) == 0) {
        pthread_mutex_lock(&c->lock);
        if (c->handshake_done && c->failure == 0)
            engine()->shutdown(c->engine_conn);
        pthread_mutex_unlock(&c->lock);
        /* Calls waiting on the connection in other threads wake with
         * EBADHANDLE: as closing a socket does, shut the socket down, the
         * one wake-up that needs no descriptor of its own.  The stream
         * under an abandoned TLS connection is of no further use. */
        if (atomic_load(&c->calls) > 0)
            shutdown(sock->base.fd, SHUT_RDWR);
        polysock__handle_release(&sock->base);
    }
    polysock__handle_release(obj);
    return rc;
}

/* ---- one call: engine steps and the waits between them ---- */

/* One engine step, run under c->lock. */
typedef int (*step_fn)(tls_conn *c, void *arg);

static bool is_retry(int rc)
{
    return rc == POLYSOCK_ETLS_WANTREAD || rc == POLYSOCK_ETLS_WANTWRITE;
}

/* After an engine error the connection is dead for I/O; the first error
 * and its reason are kept. */
static int note_result(tls_conn *c, int rc)
{
    if (rc != 0 && !is_retry(rc) && rc != POLYSOCK_ETLS_CLOSED && c->failure == 0)
        c->failure = rc;
    return rc;
}

static int handshake_locked(tls_conn *c)
{
    if (c->failure != 0)
        return c->failure;
    if (c->handshake_done)
        return 0;
    int rc = note_result(c, engine()->handshake(c->engine_conn, c->reason));
    if (rc == 0)
        c->handshake_done = true;
    return rc;
}

static int step_handshake(tls_conn *c, void *arg)
{
    (void)arg;
    return handshake_locked(c);
}

/* Read and write: the handshake first; after a failure, ETLS_CLOSED. */
static int io_prologue(tls_conn *c)
{
    if (c->failure != 0)
        return POLYSOCK_ETLS_CLOSED;
    return handshake_locked(c);
}

typedef struct io_args {
    void *buf;
    size_t len;
    size_t done;
} io_args;

static int step_read(tls_conn *c, void *arg)
{
    io_args *io = arg;
    int rc = io_prologue(c);
    if (rc != 0 || io->len == 0)
        return rc;
    return note_result(c, engine()->read(c->engine_conn, io->buf, io->len,
                                         &io->done, c->reason));
}

static int step_write(tls_conn *c, void *arg)
{
    io_args *io = arg;
    int rc = io_prologue(c);
    if (rc != 0 || io->len == 0)
        return rc;
    return note_result(c, engine()->write(c->engine_conn, io->buf, io->len,
                                          &io->done, c->reason));
}

static bool closing(const polysock__object *obj)
{
    return atomic_load_explicit(&obj->closing, memory_order_acquire);
}

/* Run step until it neither wants to read nor write, waiting for the
 * socket in between (not in non-blocking mode) until the deadline. */
static int run(tls_conn *c, polysock__socket *sock, int op, int64_t deadline,
               step_fn step, void *arg)
{
    int64_t timeout = atomic_load(&sock->timeout_ns);
    for (;;) {
        pthread_mutex_lock(&c->lock);
        int rc = step(c, arg);
        bool handshaking = !c->handshake_done;
        pthread_mutex_unlock(&c->lock);
        if (closing(&sock->base) || closing(&c->base))
            return POLYSOCK_EBADHANDLE;
        if (!is_retry(rc) || timeout == 0)
            return rc;
        int64_t until = deadline;
        /* Sliced also while the handshake is not done, even if no other
         * call was in flight when this one decided to wait: a call that
         * starts later may finish the handshake with the data this one
         * waits for, and after the handshake nothing may come until this
         * call (a writer, say) goes on. */
        if (handshaking || atomic_load(&c->calls) > 1) {
            int64_t slice = polysock__now_ns() + SHARED_WAIT_SLICE_NS;
            if (slice < until)
                until = slice;
        }
        short events = rc == POLYSOCK_ETLS_WANTREAD ? POLLIN : POLLOUT;
        rc = polysock__wait_fd(sock->base.fd, events, until, c->base.handle, op);
        if (closing(&sock->base) || closing(&c->base))
            return POLYSOCK_EBADHANDLE;
        if (rc == POLYSOCK_ETIMEOUT && until != deadline)
            continue; /* the slice ended, not the call's time */
        if (rc != 0)
            return rc;
    }
}

static int64_t call_deadline(tls_conn *c, polysock__socket *sock, int op)
{
    return polysock__call_deadline(c->base.handle, op, atomic_load(&sock->timeout_ns));
}

int polysock_tls_handshake(polysock_handle h)
{
    tls_conn *c;
    polysock__socket *sock;
    int rc = begin_call(h, &c, &sock);
    if (rc != 0)
        return rc;
    int64_t deadline = call_deadline(c, sock, POLYSOCK__OP_TLS_HANDSHAKE);
    rc = run(c, sock, POLYSOCK__OP_TLS_HANDSHAKE, deadline, step_handshake, NULL);
    end_call(c, sock);
    return rc;
}

/* The largest buffer one call takes, as for the socket calls. */
#define MAX_IO_LEN ((size_t)SSIZE_MAX)

int polysock_tls_read(polysock_handle h, void *buf, size_t len, size_t *nread)
{
    if (len > MAX_IO_LEN)
        return POLYSOCK_EBUFSIZE;
    if (buf == NULL || nread == NULL)
        return POLYSOCK_ENULL;
    tls_conn *c;
    polysock__socket *sock;
    int rc = begin_call(h, &c, &sock);
    if (rc != 0)
        return rc;
    int64_t deadline = call_deadline(c, sock, POLYSOCK__OP_TLS_READ);
    io_args io = {.buf = buf, .len = len};
    rc = run(c, sock, POLYSOCK__OP_TLS_READ, deadline, step_read, &io);
    end_call(c, sock);
    if (rc == 0)
        *nread = io.done;
    return rc;
}

int polysock_tls_write(polysock_handle h, const void *buf, size_t len,
                       size_t *nsent)
{
    if (len > MAX_IO_LEN)
        return POLYSOCK_EBUFSIZE;
    if (buf == NULL || nsent == NULL)
        return POLYSOCK_ENULL;
    tls_conn *c;
    polysock__socket *sock;
    int rc = begin_call(h, &c, &sock);
    if (rc != 0)
        return rc;
    bool nonblocking = atomic_load(&sock->timeout_ns) == 0;
    int64_t deadline = call_deadline(c, sock, POLYSOCK__OP_TLS_WRITE);
    size_t sent = 0;
    do {
        io_args io = {.buf = (char *)buf + sent, .len = len - sent};
        rc = run(c, sock, POLYSOCK__OP_TLS_WRITE, deadline, step_write, &io);
        sent += rc == 0 ? io.done : 0;
    } while (rc == 0 && sent < len);
    end_call(c, sock);
    /* Non-blocking: what fitted is a success; WANTWRITE only if nothing. */
    if (nonblocking && is_retry(rc) && sent > 0)
        rc = 0;
    *nsent = sent;
    return rc;
}

/* ---- state ---- */

/* Acquire the connection alone and lock it (no socket needed). */
static int lock_conn(polysock_handle h, tls_conn **c)
{
    polysock__object *obj;
    int rc = polysock__handle_acquire(h, POLYSOCK__KIND_TLS, &obj);
    if (rc != 0)
        return rc;
    *c = (tls_conn *)obj;
    pthread_mutex_lock(&(*c)->lock);
    return 0;
}

static void unlock_conn(tls_conn *c)
{
    pthread_mutex_unlock(&c->lock);
    polysock__handle_release(&c->base);
}

int polysock_tls_pending(polysock_handle h, size_t *count)
{
    if (count == NULL)
        return POLYSOCK_ENULL;
    tls_conn *c;
    int rc = lock_conn(h, &c);
    if (rc != 0)
        return rc;
    *count = c->handshake_done ? engine()->pending(c->engine_conn) : 0;
    unlock_conn(c);
    return 0;
}

/* Item `what` into out (c locked). */
static int build_info(tls_conn *c, int what, polysock__buf *out)
{
    if (what < POLYSOCK_TLS_INFO_VERSION || what > POLYSOCK_TLS_INFO_SERVER_HOSTNAME)
        return POLYSOCK_EVALUE;
    if (what == POLYSOCK_TLS_INFO_ERROR) {
        polysock__buf_add_str(out, c->reason);
        return out->failed ? -ENOMEM : 0;
    }
    /* What the handshake negotiates does not exist before it is done. */
    if (!c->handshake_done && what != POLYSOCK_TLS_INFO_SERVER_HOSTNAME)
        return 0;
    return engine()->info(c->engine_conn, what, out);
}

static int get_info(polysock_handle h, int what, polysock__buf *out)
{
    tls_conn *c;
    int rc = lock_conn(h, &c);
    if (rc != 0)
        return rc;
    rc = build_info(c, what, out);
    unlock_conn(c);
    if (rc != 0)
        polysock__buf_free(out);
    return rc;
}

int polysock_tls_info_len(polysock_handle h, int what, size_t *len)
{
    if (len == NULL)
        return POLYSOCK_ENULL;
    polysock__buf item = {0};
    int rc = get_info(h, what, &item);
    if (rc == 0)
        *len = item.len;
    polysock__buf_free(&item);
    return rc;
}

int polysock_tls_info(polysock_handle h, int what, void *buf, size_t cap,
                      size_t *len)
{
    if (len == NULL || (buf == NULL && cap > 0))
        return POLYSOCK_ENULL;
    polysock__buf item = {0};
    int rc = get_info(h, what, &item);
    if (rc == 0 && item.len > cap)
        rc = POLYSOCK_ETOOSMALL;
    if (rc == 0) {
        if (item.len > 0)
            memcpy(buf, item.data, item.len);
        *len = item.len;
    }
    polysock__buf_free(&item);
    return rc;
}
