/*
 * soak_client.c - the C soak client: THREADS threads open, use and close
 * connections to soak_server (half of them TLS) for SECONDS, while a chaos
 * thread closes random live connections under them and a watchdog looks
 * for calls that overrun their timeout.
 *
 *     usage: soak_client PLAIN_PORT TLS_PORT CAFILE SECONDS THREADS
 *
 * Each connection gets a random timeout mode (re-drawn before some of its
 * messages): a normal timeout, a tiny one that makes calls time out, or
 * blocking mode.  It exchanges 1 to 16 frames of 1 B .. 256 KiB and checks
 * every echo's CRC.  A timed-out connection is closed and counted; a call
 * failing with EBADHANDLE because the chaos thread closed its socket or
 * TLS connection is counted; any other failure is an unexpected error.
 * Prints one SOAK-REPORT line (soak_common.h); exit status 0 when clean.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "polysock.h"
#include "soak_common.h"

#define WHO "c"
#define MAX_THREADS 64
/* Payloads are slices of one random pool: cheap, and no two messages of a
 * run are likely to be the same bytes. */
#define POOL_SIZE (1u << 20)
#define MAX_MESSAGES 16
/* A call may run this long past its timeout before it counts as hung (a
 * shared, loaded machine). */
#define HUNG_SLACK 15.0
/* A call in blocking mode counts as hung after this long. */
#define BLOCKING_LIMIT 60.0
#define TIMEOUT_BLOCKING (-1.0)

static int64_t plain_port, tls_port;
static polysock_handle client_cfg;
static unsigned char pool[POOL_SIZE];
static soak_counts counts;
static atomic_int stop_workers, workers_running;

/* ---- The live connections, which the chaos thread may close ----
 *
 * One slot per worker.  Whoever clears `active` first owns the close: the
 * chaos thread by claiming the slot, the worker by withdrawing it.  A
 * worker whose slot was claimed expects EBADHANDLE from the handle the
 * chaos thread closed (and from its own close of it). */

typedef struct slot {
    int active;
    int claimed;
    polysock_handle sock, tls;
} slot;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static slot registry[MAX_THREADS];
static int nthreads;

static void registry_publish(int i, polysock_handle sock)
{
    pthread_mutex_lock(&registry_lock);
    registry[i] = (slot){ 1, 0, sock, 0 };
    pthread_mutex_unlock(&registry_lock);
}

static void registry_set_tls(int i, polysock_handle tls)
{
    pthread_mutex_lock(&registry_lock);
    registry[i].tls = tls;
    pthread_mutex_unlock(&registry_lock);
}

static int registry_claimed(int i)
{
    pthread_mutex_lock(&registry_lock);
    int claimed = registry[i].claimed;
    pthread_mutex_unlock(&registry_lock);
    return claimed;
}

/* The worker is done with its connection: returns whether chaos claimed it. */
static int registry_withdraw(int i)
{
    pthread_mutex_lock(&registry_lock);
    int claimed = registry[i].claimed;
    registry[i] = (slot){ 0, 0, 0, 0 };
    pthread_mutex_unlock(&registry_lock);
    return claimed;
}

/* Claims slot i if a connection is live there and nobody claimed it. */
static int registry_claim(int i, polysock_handle *sock, polysock_handle *tls)
{
    pthread_mutex_lock(&registry_lock);
    slot *s = &registry[i];
    int got = s->active && !s->claimed;
    if (got) {
        s->claimed = 1;
        *sock = s->sock;
        *tls = s->tls;
    }
    pthread_mutex_unlock(&registry_lock);
    return got;
}

/* Closes one handle of a claimed connection: the socket, or for TLS half
 * the time the TLS connection (which wakes its waiters as well). */
static void chaos_close(soak_rng *rng, polysock_handle sock, polysock_handle tls)
{
    /* Outside the lock: the worker may finish and reopen meanwhile, and a
     * handle it closed stays refused (EBADHANDLE), never another socket. */
    if (tls && soak_rng_below(rng, 2))
        polysock_tls_close(tls);
    else
        polysock_close(sock);
}

static void *chaos_main(void *arg)
{
    soak_rng rng;
    (void)arg;
    soak_rng_seed(&rng, (uint64_t)soak_now_ns() ^ 0xC4A05);
    while (!atomic_load(&stop_workers)) {
        soak_sleep_ms((int)(20 + soak_rng_below(&rng, 180)));
        polysock_handle sock, tls;
        if (registry_claim((int)soak_rng_below(&rng, (uint64_t)nthreads), &sock, &tls))
            chaos_close(&rng, sock, tls);
    }
    return NULL;
}

/* ---- One connection ---- */

typedef struct worker {
    int index;
    soak_rng rng;
    soak_watch *watch;
    unsigned char *echo; /* header + payload */
} worker;

/* The timeout mode of the next calls: normal, tiny (calls time out), or
 * blocking.  Returns the watchdog's limit for them. */
static double pick_timeout(worker *wk, const soak_conn *c, int calm, int *rc)
{
    double t;
    uint64_t dice = calm ? 0 : soak_rng_below(&wk->rng, 10);
    if (dice < 6)
        t = calm ? 30.0 : soak_rng_uniform(&wk->rng, 2.0, 10.0);
    else if (dice < 8)
        t = soak_rng_uniform(&wk->rng, 0.0002, 0.02);
    else
        t = TIMEOUT_BLOCKING;
    if (t == TIMEOUT_BLOCKING) {
        *rc = polysock_setblocking(c->sock, 1);
        return BLOCKING_LIMIT;
    }
    *rc = polysock_settimeout(c->sock, t);
    return t + HUNG_SLACK;
}

/* How the connection's failed call counts. */
static void call_failed(worker *wk, const soak_conn *c, const char *what, int rc)
{
    if (rc == POLYSOCK_ETIMEOUT)
        atomic_fetch_add(&counts.timeouts, 1);
    else if (rc == POLYSOCK_EBADHANDLE && registry_claimed(wk->index))
        atomic_fetch_add(&counts.chaos_closes, 1);
    else
        soak_unexpected(&counts, WHO, what, rc, c);
}

/* One frame out and its echo back; 0 or a code (already counted). */
static int exchange(worker *wk, const soak_conn *c, double limit)
{
    unsigned char header[SOAK_HEADER_SIZE];
    size_t size = soak_rng_payload_size(&wk->rng);
    const unsigned char *payload = pool + soak_rng_below(&wk->rng, POOL_SIZE - size + 1);
    uint32_t crc = soak_crc32(payload, size);
    soak_put_header(header, (uint32_t)size, crc);
    int rc = soak_conn_write_all(c, header, sizeof header, wk->watch, limit);
    if (rc == 0)
        rc = soak_conn_write_all(c, payload, size, wk->watch, limit);
    if (rc != 0) {
        call_failed(wk, c, "write", rc);
        return rc;
    }
    atomic_fetch_add(&counts.bytes_sent, size);
    size_t got;
    rc = soak_conn_read_exact(c, wk->echo, SOAK_HEADER_SIZE + size, &got, wk->watch, limit);
    if (rc == 1) {
        soak_unexpected(&counts, WHO, "the server ended the stream inside an echo", 0, c);
        return -1;
    }
    if (rc != 0) {
        call_failed(wk, c, "read", rc);
        return rc;
    }
    atomic_fetch_add(&counts.bytes_received, size);
    if (memcmp(wk->echo, header, sizeof header) != 0 ||
        soak_crc32(wk->echo + SOAK_HEADER_SIZE, size) != crc) {
        soak_checksum_error(&counts, WHO, size, c);
        return -1;
    }
    atomic_fetch_add(&counts.messages, 1);
    return 0;
}

/* Open, use and close one connection.  calm: the warm-up (no tiny
 * timeouts, one message). */
static void run_connection(worker *wk, int use_tls, int calm)
{
    soak_conn c = { 0, 0 };
    polysock_addr addr;
    int rc = polysock_socket(AF_INET, SOCK_STREAM, 0, &c.sock);
    if (rc < 0) {
        soak_unexpected(&counts, WHO, "socket", rc, NULL);
        return;
    }
    atomic_fetch_add(&counts.connections, 1);
    if (use_tls)
        atomic_fetch_add(&counts.tls_connections, 1);
    registry_publish(wk->index, c.sock);

    double limit = pick_timeout(wk, &c, calm, &rc);
    if (rc < 0) {
        call_failed(wk, &c, "settimeout", rc);
        goto done;
    }
    polysock_addr_set(&addr, AF_INET, "127.0.0.1", use_tls ? tls_port : plain_port);
    soak_watch_begin(wk->watch, "connect", limit);
    rc = polysock_connect(c.sock, &addr);
    soak_watch_end(wk->watch);
    if (rc < 0) {
        call_failed(wk, &c, "connect", rc);
        goto done;
    }
    if (use_tls) {
        if ((rc = polysock_tls_new(c.sock, client_cfg, "localhost", &c.tls)) < 0) {
            call_failed(wk, &c, "tls_new", rc);
            goto done;
        }
        registry_set_tls(wk->index, c.tls);
        soak_watch_begin(wk->watch, "tls_handshake", limit);
        rc = polysock_tls_handshake(c.tls);
        soak_watch_end(wk->watch);
        if (rc < 0) {
            call_failed(wk, &c, "tls_handshake", rc);
            goto done;
        }
    }
    int messages = calm ? 1 : 1 + (int)soak_rng_below(&wk->rng, MAX_MESSAGES);
    for (int i = 0; i < messages && !atomic_load(&stop_workers); i++) {
        if (i > 0 && soak_rng_below(&wk->rng, 4) == 0) {
            limit = pick_timeout(wk, &c, calm, &rc);
            if (rc < 0) {
                call_failed(wk, &c, "settimeout", rc);
                break;
            }
        }
        if (exchange(wk, &c, limit) != 0)
            break;
    }
done:;
    int claimed = registry_withdraw(wk->index);
    if (c.tls && (rc = polysock_tls_close(c.tls)) < 0 &&
        !(claimed && rc == POLYSOCK_EBADHANDLE))
        soak_unexpected(&counts, WHO, "tls_close", rc, NULL);
    if ((rc = polysock_close(c.sock)) < 0 && !(claimed && rc == POLYSOCK_EBADHANDLE))
        soak_unexpected(&counts, WHO, "close", rc, NULL);
}

static int64_t deadline_ns;

static void *worker_main(void *arg)
{
    worker *wk = arg;
    while (!atomic_load(&stop_workers) && soak_now_ns() < deadline_ns)
        run_connection(wk, (int)soak_rng_below(&wk->rng, 2), 0);
    atomic_fetch_sub(&workers_running, 1);
    return NULL;
}

static int worker_init(worker *wk, int index)
{
    wk->index = index;
    soak_rng_seed(&wk->rng, (uint64_t)soak_now_ns() * 31 + (uint64_t)index);
    wk->watch = soak_watch_acquire();
    wk->echo = malloc(SOAK_HEADER_SIZE + SOAK_MAX_PAYLOAD);
    return wk->echo != NULL;
}

static void worker_free(worker *wk)
{
    soak_watch_release(wk->watch);
    free(wk->echo);
}

/* After the deadline, a worker finishes its connection; one stuck beyond
 * that (already reported by the watchdog) is unblocked by closing its
 * connection, so that the report still comes. */
static void stop_all_workers(void)
{
    atomic_store(&stop_workers, 1);
    for (int waited = 0; atomic_load(&workers_running) > 0; waited++) {
        soak_sleep_ms(100);
        if (waited == 10 * (int)(BLOCKING_LIMIT + HUNG_SLACK)) {
            fprintf(stderr, WHO ": workers still running: closing their connections\n");
            for (int i = 0; i < nthreads; i++) {
                polysock_handle sock, tls;
                if (registry_claim(i, &sock, &tls))
                    polysock_close(sock);
            }
        }
    }
}

static long parse(const char *text, const char *what, long lo, long hi)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "soak_client: bad %s '%s'\n", what, text);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: soak_client PLAIN_PORT TLS_PORT CAFILE SECONDS THREADS\n");
        return 2;
    }
    plain_port = parse(argv[1], "port", 1, 65535);
    tls_port = parse(argv[2], "port", 1, 65535);
    long seconds = parse(argv[4], "seconds", 1, 86400);
    nthreads = (int)parse(argv[5], "thread count", 1, MAX_THREADS);
    int rc;
    if ((rc = polysock_tls_config_new(0, &client_cfg)) < 0 ||
        (rc = polysock_tls_config_set_ca(client_cfg, argv[3], NULL)) < 0) {
        fprintf(stderr, WHO ": TLS configuration: %s\n", polysock_strerror(rc));
        return 1;
    }
    soak_rng rng;
    soak_rng_seed(&rng, (uint64_t)soak_now_ns());
    for (size_t i = 0; i < POOL_SIZE; i += 8) {
        uint64_t r = soak_rng_next(&rng);
        memcpy(pool + i, &r, 8);
    }

    worker workers[MAX_THREADS];
    pthread_t threads[MAX_THREADS], chaos;
    for (int i = 0; i < nthreads; i++)
        if (!worker_init(&workers[i], i)) {
            fprintf(stderr, WHO ": out of memory\n");
            return 1;
        }
    if (soak_watchdog_start() != 0) {
        fprintf(stderr, WHO ": cannot start the watchdog\n");
        return 1;
    }

    /* Warm-up: the TLS context cache then holds the one context this
     * client's settings make, as it will until the end. */
    run_connection(&workers[0], 0, 1);
    run_connection(&workers[0], 1, 1);
    if (atomic_load(&counts.messages) != 2) {
        fprintf(stderr, WHO ": the warm-up exchanges failed\n");
        return 1;
    }
    memset(&counts, 0, sizeof counts);
    soak_snapshot before, after;
    soak_take_snapshot(&before);

    int64_t started = soak_now_ns();
    deadline_ns = started + (int64_t)seconds * 1000000000;
    atomic_store(&workers_running, nthreads);
    for (int i = 0; i < nthreads; i++)
        if (pthread_create(&threads[i], NULL, worker_main, &workers[i]) != 0) {
            fprintf(stderr, WHO ": cannot start threads\n");
            return 1;
        }
    if (pthread_create(&chaos, NULL, chaos_main, NULL) != 0) {
        fprintf(stderr, WHO ": cannot start the chaos thread\n");
        return 1;
    }
    while (soak_now_ns() < deadline_ns)
        soak_sleep_ms(100);
    stop_all_workers();
    for (int i = 0; i < nthreads; i++)
        pthread_join(threads[i], NULL);
    pthread_join(chaos, NULL);
    soak_take_snapshot(&after);
    double elapsed = (double)(soak_now_ns() - started) / 1e9;
    soak_watchdog_stop();
    for (int i = 0; i < nthreads; i++)
        worker_free(&workers[i]);
    polysock_tls_config_close(client_cfg);
    return soak_report(WHO, &counts, soak_watchdog_hung(), elapsed, &before, &after) ? 0 : 1;
}
