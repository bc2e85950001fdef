/*
 * soak_server.c - the one server every soak client talks to: an echo of
 * checksummed frames (soak_common.h) on a plain port and a TLS port of
 * 127.0.0.1, one thread per connection.
 *
 *     usage: soak_server CERTDIR
 *
 * CERTDIR holds the test certificates (test/tls/make-certs.sh): the server
 * presents good.pem, and its own warm-up client trusts ca.pem.  Once
 * listening, it makes one plain and one TLS connection to itself (so that
 * the TLS context cache holds what it will hold for the rest of the run),
 * takes its "before" snapshot and prints
 *
 *     READY <plain port> <tls port>
 *
 * It serves until SIGTERM or SIGINT, then waits for its connections to
 * end, takes the "after" snapshot (listeners still open, as before) and
 * prints its SOAK-REPORT line.  Exit status 0 when the report is clean.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "polysock.h"
#include "soak_common.h"

#define WHO "server"
/* A client that stops talking is dropped after this long.  Clients always
 * close their connections, so it only ends connections of a client that
 * died or hung (which that client's own report shows). */
#define IDLE_TIMEOUT 60.0
/* How far past its timeout a call may run before it counts as hung: the
 * machine is shared and loaded, so generous. */
#define HUNG_SLACK 30.0
#define DRAIN_SECONDS 30

static soak_counts counts;
static polysock_handle server_cfg;

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t live_cond = PTHREAD_COND_INITIALIZER;
static int live_connections;

static void die(const char *what, int rc)
{
    fprintf(stderr, WHO ": %s: %s (%s)\n", what, polysock_strerror(rc), polysock_errname(rc));
    exit(1);
}

static void live_add(int delta)
{
    pthread_mutex_lock(&live_lock);
    live_connections += delta;
    pthread_cond_broadcast(&live_cond);
    pthread_mutex_unlock(&live_lock);
}

/* Waits until no connection is live or the time is up; returns how many
 * are left. */
static int live_wait_zero(int seconds)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += seconds;
    pthread_mutex_lock(&live_lock);
    while (live_connections > 0)
        if (pthread_cond_timedwait(&live_cond, &live_lock, &until) != 0)
            break;
    int left = live_connections;
    pthread_mutex_unlock(&live_lock);
    return left;
}

/* ---- One connection ---- */

typedef struct conn_args {
    polysock_handle sock;
    int tls;
} conn_args;

/* A failure the client's chaos or timeouts cause: the peer vanished. */
static int peer_dropped(int rc)
{
    return rc == -ECONNRESET || rc == -EPIPE || rc == POLYSOCK_ETLS_EOF;
}

/* Counts how a connection ended on a failed call (rc 1: the stream ended
 * inside a frame). */
static void conn_failed(const soak_conn *c, const char *what, int rc)
{
    if (rc == POLYSOCK_ETIMEOUT)
        atomic_fetch_add(&counts.timeouts, 1);
    else if (rc == 1 || peer_dropped(rc))
        atomic_fetch_add(&counts.aborted, 1);
    else
        soak_unexpected(&counts, WHO, what, rc, c);
}

/* Echo frames until the client closes at a frame boundary. */
static void serve(const soak_conn *c, soak_watch *w, unsigned char *buf)
{
    const double limit = IDLE_TIMEOUT + HUNG_SLACK;
    if (c->tls) {
        soak_watch_begin(w, "tls_handshake", limit);
        int rc = polysock_tls_handshake(c->tls);
        soak_watch_end(w);
        if (rc < 0) {
            conn_failed(c, "tls_handshake", rc);
            return;
        }
    }
    for (;;) {
        size_t got;
        int rc = soak_conn_read_exact(c, buf, SOAK_HEADER_SIZE, &got, w, limit);
        if (rc == 1 && got == 0)
            return; /* the client's orderly close */
        if (rc != 0) {
            conn_failed(c, "read header", rc);
            return;
        }
        uint32_t len, crc;
        soak_get_header(buf, &len, &crc);
        if (len == 0 || len > SOAK_MAX_PAYLOAD) {
            fprintf(stderr, WHO ": frame length %u out of range\n", (unsigned)len);
            atomic_fetch_add(&counts.checksum_errors, 1);
            return;
        }
        rc = soak_conn_read_exact(c, buf + SOAK_HEADER_SIZE, len, &got, w, limit);
        if (rc != 0) {
            conn_failed(c, "read payload", rc);
            return;
        }
        atomic_fetch_add(&counts.bytes_received, len);
        if (soak_crc32(buf + SOAK_HEADER_SIZE, len) != crc) {
            soak_checksum_error(&counts, WHO, len, c);
            return;
        }
        rc = soak_conn_write_all(c, buf, SOAK_HEADER_SIZE + len, w, limit);
        if (rc != 0) {
            conn_failed(c, "write echo", rc);
            return;
        }
        atomic_fetch_add(&counts.bytes_sent, len);
        atomic_fetch_add(&counts.messages, 1);
    }
}

static void *conn_main(void *arg)
{
    conn_args args = *(conn_args *)arg;
    free(arg);
    soak_conn c = { args.sock, 0 };
    soak_watch *w = soak_watch_acquire();
    unsigned char *buf = malloc(SOAK_HEADER_SIZE + SOAK_MAX_PAYLOAD);
    int rc = polysock_settimeout(c.sock, IDLE_TIMEOUT);
    if (rc < 0)
        soak_unexpected(&counts, WHO, "settimeout", rc, NULL);
    else if (args.tls && (rc = polysock_tls_new(c.sock, server_cfg, NULL, &c.tls)) < 0)
        soak_unexpected(&counts, WHO, "tls_new", rc, NULL);
    else if (buf == NULL)
        soak_unexpected(&counts, WHO, "malloc", -ENOMEM, NULL);
    else
        serve(&c, w, buf);
    if (c.tls && (rc = polysock_tls_close(c.tls)) < 0)
        soak_unexpected(&counts, WHO, "tls_close", rc, NULL);
    if ((rc = polysock_close(c.sock)) < 0)
        soak_unexpected(&counts, WHO, "close", rc, NULL);
    free(buf);
    soak_watch_release(w);
    live_add(-1);
    return NULL;
}

/* ---- Listening ---- */

typedef struct listener {
    polysock_handle sock;
    int tls;
    int64_t port;
    pthread_t thread;
} listener;

static atomic_int stopping;

static void listener_open(listener *l, int tls)
{
    polysock_addr addr;
    int rc;
    l->tls = tls;
    if ((rc = polysock_socket(AF_INET, SOCK_STREAM, 0, &l->sock)) < 0)
        die("socket", rc);
    polysock_setsockopt_int(l->sock, SOL_SOCKET, SO_REUSEADDR, 1);
    polysock_addr_set(&addr, AF_INET, "127.0.0.1", 0);
    if ((rc = polysock_bind(l->sock, &addr)) < 0)
        die("bind", rc);
    if ((rc = polysock_listen(l->sock, 256)) < 0)
        die("listen", rc);
    if ((rc = polysock_getsockname(l->sock, &addr)) < 0)
        die("getsockname", rc);
    l->port = addr.port;
}

static void *accept_main(void *arg)
{
    listener *l = arg;
    for (;;) {
        polysock_handle conn;
        polysock_addr peer;
        int rc = polysock_accept(l->sock, &conn, &peer);
        if (rc < 0) {
            if (atomic_load(&stopping) && rc == POLYSOCK_EBADHANDLE)
                return NULL; /* closed by main at shutdown */
            soak_unexpected(&counts, WHO, "accept", rc, NULL);
            soak_sleep_ms(10);
            continue;
        }
        atomic_fetch_add(&counts.connections, 1);
        if (l->tls)
            atomic_fetch_add(&counts.tls_connections, 1);
        conn_args *args = malloc(sizeof *args);
        pthread_t t;
        live_add(1);
        if (args != NULL) {
            args->sock = conn;
            args->tls = l->tls;
        }
        if (args == NULL || pthread_create(&t, NULL, conn_main, args) != 0) {
            soak_unexpected(&counts, WHO, "thread for a connection", -ENOMEM, NULL);
            free(args);
            polysock_close(conn);
            live_add(-1);
            continue;
        }
        pthread_detach(t);
    }
}

/* ---- Warm-up: one exchange with itself over each port ---- */

static void warm_up(int64_t port, polysock_handle client_cfg)
{
    soak_conn c = { 0, 0 };
    polysock_addr addr;
    unsigned char frame[SOAK_HEADER_SIZE + 1000], echo[sizeof frame];
    size_t got;
    int rc;
    for (size_t i = SOAK_HEADER_SIZE; i < sizeof frame; i++)
        frame[i] = (unsigned char)(i * 7);
    soak_put_header(frame, 1000, soak_crc32(frame + SOAK_HEADER_SIZE, 1000));
    if ((rc = polysock_socket(AF_INET, SOCK_STREAM, 0, &c.sock)) < 0)
        die("warm-up socket", rc);
    polysock_settimeout(c.sock, 30.0);
    polysock_addr_set(&addr, AF_INET, "127.0.0.1", port);
    if ((rc = polysock_connect(c.sock, &addr)) < 0)
        die("warm-up connect", rc);
    if (client_cfg && (rc = polysock_tls_new(c.sock, client_cfg, "localhost", &c.tls)) < 0)
        die("warm-up tls_new", rc);
    if ((rc = soak_conn_write_all(&c, frame, sizeof frame, NULL, 0)) < 0)
        die("warm-up write", rc);
    if ((rc = soak_conn_read_exact(&c, echo, sizeof echo, &got, NULL, 0)) != 0)
        die("warm-up read", rc);
    if (memcmp(frame, echo, sizeof frame) != 0) {
        fprintf(stderr, WHO ": warm-up echo differs\n");
        exit(1);
    }
    if (c.tls)
        polysock_tls_close(c.tls);
    polysock_close(c.sock);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: soak_server CERTDIR\n");
        return 2;
    }
    char cert[4096], key[4096], ca[4096];
    snprintf(cert, sizeof cert, "%s/good.pem", argv[1]);
    snprintf(key, sizeof key, "%s/good.key", argv[1]);
    snprintf(ca, sizeof ca, "%s/ca.pem", argv[1]);

    /* Every thread inherits the mask: only sigwait below sees these. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

    int64_t started = soak_now_ns();
    polysock_handle client_cfg;
    int rc;
    if ((rc = polysock_tls_config_new(1, &server_cfg)) < 0 ||
        (rc = polysock_tls_config_set_certificate(server_cfg, cert, key)) < 0)
        die("server TLS configuration", rc);
    if ((rc = polysock_tls_config_new(0, &client_cfg)) < 0 ||
        (rc = polysock_tls_config_set_ca(client_cfg, ca, NULL)) < 0)
        die("warm-up TLS configuration", rc);

    listener plain, tls;
    listener_open(&plain, 0);
    listener_open(&tls, 1);
    if (soak_watchdog_start() != 0 || pthread_create(&plain.thread, NULL, accept_main, &plain) != 0 ||
        pthread_create(&tls.thread, NULL, accept_main, &tls) != 0) {
        fprintf(stderr, WHO ": cannot start threads\n");
        return 1;
    }

    warm_up(plain.port, 0);
    warm_up(tls.port, client_cfg);
    polysock_tls_config_close(client_cfg);
    if (live_wait_zero(DRAIN_SECONDS) != 0) {
        fprintf(stderr, WHO ": warm-up connections did not end\n");
        return 1;
    }
    /* The warm-up is not part of the counts. */
    memset(&counts, 0, sizeof counts);
    soak_snapshot before, after;
    soak_take_snapshot(&before);
    printf("READY %lld %lld\n", (long long)plain.port, (long long)tls.port);
    fflush(stdout);

    int sig;
    sigwait(&stop_signals, &sig);

    int left = live_wait_zero(DRAIN_SECONDS);
    if (left > 0)
        fprintf(stderr, WHO ": %d connections still open %d s after the stop\n", left,
                DRAIN_SECONDS);
    soak_take_snapshot(&after);
    atomic_store(&stopping, 1);
    polysock_close(plain.sock);
    polysock_close(tls.sock);
    pthread_join(plain.thread, NULL);
    pthread_join(tls.thread, NULL);
    soak_watchdog_stop();
    polysock_tls_config_close(server_cfg);
    int ok = soak_report(WHO, &counts, soak_watchdog_hung() + left,
                         (double)(soak_now_ns() - started) / 1e9, &before, &after);
    return ok ? 0 : 1;
}
