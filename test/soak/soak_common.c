/*
 * soak_common.c - the soak server's and C client's shared parts (see
 * soak_common.h).
 */
#define _POSIX_C_SOURCE 200809L

#include "soak_common.h"

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- Time, randomness, checksums ---- */

int64_t soak_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void soak_sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0) {
    }
}

void soak_rng_seed(soak_rng *rng, uint64_t seed)
{
    rng->state = seed ? seed : 0x9E3779B97F4A7C15ull;
}

uint64_t soak_rng_next(soak_rng *rng)
{
    uint64_t x = rng->state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng->state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

uint64_t soak_rng_below(soak_rng *rng, uint64_t n)
{
    return n ? soak_rng_next(rng) % n : 0;
}

double soak_rng_uniform(soak_rng *rng, double lo, double hi)
{
    return lo + (hi - lo) * ((double)(soak_rng_next(rng) >> 11) / 9007199254740992.0);
}

size_t soak_rng_payload_size(soak_rng *rng)
{
    /* 2^0 .. 2^18 bytes, uniform in the exponent. */
    double size = exp2(soak_rng_uniform(rng, 0.0, 18.0));
    size_t n = (size_t)size;
    if (n < 1)
        n = 1;
    return n > SOAK_MAX_PAYLOAD ? SOAK_MAX_PAYLOAD : n;
}

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_table_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

uint32_t soak_crc32(const void *data, size_t len)
{
    pthread_once(&crc_once, crc_table_init);
    const unsigned char *p = data;
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++)
        c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void soak_put_header(unsigned char header[SOAK_HEADER_SIZE], uint32_t len, uint32_t crc)
{
    put_u32(header, len);
    put_u32(header + 4, crc);
}

void soak_get_header(const unsigned char header[SOAK_HEADER_SIZE], uint32_t *len, uint32_t *crc)
{
    *len = get_u32(header);
    *crc = get_u32(header + 4);
}

/* ---- One connection ---- */

int soak_conn_read(const soak_conn *conn, void *buf, size_t len, size_t *n)
{
    if (conn->tls)
        return polysock_tls_read(conn->tls, buf, len, n);
    return polysock_recv(conn->sock, buf, len, 0, n);
}

int soak_conn_read_exact(const soak_conn *conn, void *buf, size_t len, size_t *got,
                         soak_watch *w, double limit_seconds)
{
    *got = 0;
    while (*got < len) {
        size_t n = 0;
        soak_watch_begin(w, conn->tls ? "tls_read" : "recv", limit_seconds);
        int rc = soak_conn_read(conn, (char *)buf + *got, len - *got, &n);
        soak_watch_end(w);
        if (rc < 0)
            return rc;
        if (n == 0)
            return 1;
        *got += n;
    }
    return 0;
}

int soak_conn_write_all(const soak_conn *conn, const void *buf, size_t len, soak_watch *w,
                        double limit_seconds)
{
    size_t sent = 0;
    int rc;
    soak_watch_begin(w, conn->tls ? "tls_write" : "sendall", limit_seconds);
    if (conn->tls)
        rc = polysock_tls_write(conn->tls, buf, len, &sent);
    else
        rc = polysock_sendall(conn->sock, buf, len, 0, &sent);
    soak_watch_end(w);
    return rc;
}

void soak_conn_reason(const soak_conn *conn, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    if (conn == NULL || !conn->tls || cap < 2)
        return;
    if (polysock_tls_info(conn->tls, POLYSOCK_TLS_INFO_ERROR, out, cap - 1, &len) == 0)
        out[len] = '\0';
    else
        out[0] = '\0';
}

/* ---- Watchdog ---- */

static soak_watch watch_table[SOAK_WATCH_SLOTS];
static _Atomic int64_t watch_hung;
static atomic_int watch_stopping;
static pthread_t watch_thread;

static void watch_scan(void)
{
    int64_t now = soak_now_ns();
    for (size_t i = 0; i < SOAK_WATCH_SLOTS; i++) {
        soak_watch *w = &watch_table[i];
        int64_t started = atomic_load(&w->started_ns);
        if (started == 0 || now - started <= atomic_load(&w->limit_ns))
            continue;
        if (atomic_exchange(&w->reported, 1) == 0) {
            atomic_fetch_add(&watch_hung, 1);
            fprintf(stderr, "soak: HUNG: %s running for %.1f s (limit %.1f s)\n",
                    atomic_load(&w->what), (double)(now - started) / 1e9,
                    (double)atomic_load(&w->limit_ns) / 1e9);
        }
    }
}

static void *watch_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&watch_stopping)) {
        soak_sleep_ms(100);
        watch_scan();
    }
    watch_scan();
    return NULL;
}

int soak_watchdog_start(void)
{
    return pthread_create(&watch_thread, NULL, watch_main, NULL);
}

void soak_watchdog_stop(void)
{
    atomic_store(&watch_stopping, 1);
    pthread_join(watch_thread, NULL);
}

soak_watch *soak_watch_acquire(void)
{
    for (size_t i = 0; i < SOAK_WATCH_SLOTS; i++) {
        int free_slot = 0;
        if (atomic_compare_exchange_strong(&watch_table[i].in_use, &free_slot, 1))
            return &watch_table[i];
    }
    atomic_fetch_add(&watch_hung, 1);
    fprintf(stderr, "soak: watchdog table full: a thread runs unwatched\n");
    return NULL;
}

void soak_watch_release(soak_watch *w)
{
    if (w == NULL)
        return;
    soak_watch_end(w);
    atomic_store(&w->in_use, 0);
}

void soak_watch_begin(soak_watch *w, const char *what, double limit_seconds)
{
    if (w == NULL)
        return;
    atomic_store(&w->what, what);
    atomic_store(&w->limit_ns, (int64_t)(limit_seconds * 1e9));
    atomic_store(&w->reported, 0);
    atomic_store(&w->started_ns, soak_now_ns());
}

void soak_watch_end(soak_watch *w)
{
    if (w != NULL)
        atomic_store(&w->started_ns, 0);
}

int64_t soak_watchdog_hung(void)
{
    return atomic_load(&watch_hung);
}

/* ---- Leak accounting ---- */

int64_t soak_count_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    if (dir == NULL)
        return -1;
    int64_t n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(dir);
    return n - 1; /* the directory's own descriptor */
}

void soak_take_snapshot(soak_snapshot *snap)
{
    polysock_stats stats;
    memset(&stats, 0, sizeof stats);
    polysock_get_stats(&stats);
    snap->fds = soak_count_fds();
    snap->live_handles = stats.live_handles;
    snap->live_sockets = stats.live_sockets;
    snap->live_bytes = stats.live_bytes;
}

int soak_snapshots_equal(const soak_snapshot *a, const soak_snapshot *b)
{
    return a->fds == b->fds && a->live_handles == b->live_handles &&
           a->live_sockets == b->live_sockets && a->live_bytes == b->live_bytes;
}

/* ---- Reports ---- */

int soak_report(const char *who, const soak_counts *c, int64_t hung, double seconds,
                const soak_snapshot *before, const soak_snapshot *after)
{
    int ok = atomic_load(&c->checksum_errors) == 0 && atomic_load(&c->unexpected_errors) == 0 &&
             hung == 0 && soak_snapshots_equal(before, after) && atomic_load(&c->messages) > 0;
    printf("SOAK-REPORT {\"client\": \"%s\", \"connections\": %lld, \"tls_connections\": %lld, "
           "\"messages\": %lld, \"bytes_sent\": %lld, \"bytes_received\": %lld, "
           "\"timeouts\": %lld, \"chaos_closes\": %lld, \"aborted\": %lld, "
           "\"checksum_errors\": %lld, \"unexpected_errors\": %lld, \"hung_calls\": %lld, "
           "\"seconds\": %.1f, "
           "\"fds\": [%lld, %lld], \"live_handles\": [%lld, %lld], "
           "\"live_sockets\": [%lld, %lld], \"live_bytes\": [%lld, %lld], \"ok\": %s}\n",
           who, atomic_load(&c->connections), atomic_load(&c->tls_connections),
           atomic_load(&c->messages), atomic_load(&c->bytes_sent),
           atomic_load(&c->bytes_received), atomic_load(&c->timeouts),
           atomic_load(&c->chaos_closes), atomic_load(&c->aborted),
           atomic_load(&c->checksum_errors), atomic_load(&c->unexpected_errors),
           (long long)hung, seconds, (long long)before->fds, (long long)after->fds,
           (long long)before->live_handles, (long long)after->live_handles,
           (long long)before->live_sockets, (long long)after->live_sockets,
           (long long)before->live_bytes, (long long)after->live_bytes, ok ? "true" : "false");
    fflush(stdout);
    return ok;
}

/* Enough to see what went wrong without flooding the log. */
#define SOAK_ERRORS_SHOWN 20

void soak_checksum_error(soak_counts *c, const char *who, size_t size, const soak_conn *conn)
{
    if (atomic_fetch_add(&c->checksum_errors, 1) < SOAK_ERRORS_SHOWN)
        fprintf(stderr, "%s: CHECKSUM MISMATCH on a %zu-byte frame (%s)\n", who, size,
                conn->tls ? "TLS" : "plain");
}

void soak_unexpected(soak_counts *c, const char *who, const char *what, int rc,
                     const soak_conn *conn)
{
    long long n = atomic_fetch_add(&c->unexpected_errors, 1);
    if (n >= SOAK_ERRORS_SHOWN)
        return;
    char reason[256];
    soak_conn_reason(conn, reason, sizeof reason);
    fprintf(stderr, "%s: UNEXPECTED: %s: %s (%s)%s%s\n", who, what, polysock_strerror(rc),
            polysock_errname(rc), reason[0] ? ": " : "", reason);
}
