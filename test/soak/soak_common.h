/*
 * soak_common.h - what the soak server and the C soak client share: the
 * wire format, one connection's I/O (plain or TLS), the watchdog that
 * catches hung calls, the leak snapshot, and the report line.
 *
 * The wire format (every client language speaks it; README.md):
 *
 *     [length: u32 big-endian][crc32 of payload: u32 big-endian][payload]
 *
 * The server reads a whole frame, checks the CRC, and sends the same frame
 * back; the client checks the CRC of what came back against the one it
 * sent.  A connection ends with the client's close (and close_notify over
 * TLS) at a frame boundary.
 */
#ifndef SOAK_COMMON_H
#define SOAK_COMMON_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "polysock.h"

#define SOAK_HEADER_SIZE 8
#define SOAK_MAX_PAYLOAD (256u * 1024u)

/* ---- Time, randomness, checksums ---- */

int64_t soak_now_ns(void);
void soak_sleep_ms(int ms);
/* xorshift64*: one per thread, no locking. */
typedef struct soak_rng {
    uint64_t state;
} soak_rng;
void soak_rng_seed(soak_rng *rng, uint64_t seed);
uint64_t soak_rng_next(soak_rng *rng);
/* Uniform in [0, n). */
uint64_t soak_rng_below(soak_rng *rng, uint64_t n);
/* Uniform in [lo, hi). */
double soak_rng_uniform(soak_rng *rng, double lo, double hi);
/* A payload size from 1 to SOAK_MAX_PAYLOAD, log-uniform, so that tiny and
 * huge messages are both common. */
size_t soak_rng_payload_size(soak_rng *rng);
/* CRC-32 (the zlib polynomial, as Python's zlib.crc32, Ruby's Zlib.crc32
 * and Node's zlib.crc32 compute it). */
uint32_t soak_crc32(const void *data, size_t len);

void soak_put_header(unsigned char header[SOAK_HEADER_SIZE], uint32_t len, uint32_t crc);
void soak_get_header(const unsigned char header[SOAK_HEADER_SIZE], uint32_t *len, uint32_t *crc);

/* ---- One connection: a socket, and a TLS connection over it or 0 ---- */

typedef struct soak_conn {
    polysock_handle sock;
    polysock_handle tls;
} soak_conn;

/* Read up to len bytes; *n = 0 at a clean end of stream. */
int soak_conn_read(const soak_conn *conn, void *buf, size_t len, size_t *n);
struct soak_watch;
/* Exactly len bytes: 0, a code, or 1 when the stream ended first (*got
 * says how much came: 0 means it ended at the boundary).  Each call it
 * makes is watched by w (may be NULL) with the given limit. */
int soak_conn_read_exact(const soak_conn *conn, void *buf, size_t len, size_t *got,
                         struct soak_watch *w, double limit_seconds);
/* All of len bytes in one call (sendall or tls_write), watched by w. */
int soak_conn_write_all(const soak_conn *conn, const void *buf, size_t len,
                        struct soak_watch *w, double limit_seconds);
/* The engine's reason for a TLS error (empty when none), for messages. */
void soak_conn_reason(const soak_conn *conn, char *out, size_t cap);

/* ---- Watchdog: every blocking call is bracketed by watch_begin/end; a
 * call still running past its limit is counted (once) as hung. ---- */

typedef struct soak_watch {
    _Atomic int64_t started_ns; /* 0: no call running */
    _Atomic int64_t limit_ns;
    _Atomic(const char *) what;
    atomic_int in_use;
    atomic_int reported;
} soak_watch;

#define SOAK_WATCH_SLOTS 1024

/* Starts the watchdog thread over a table of SOAK_WATCH_SLOTS slots. */
int soak_watchdog_start(void);
void soak_watchdog_stop(void);
/* A slot for the calling thread (NULL when the table is full: the caller
 * then runs unwatched, which soak_watchdog_hung() reports as hung). */
soak_watch *soak_watch_acquire(void);
void soak_watch_release(soak_watch *w);
void soak_watch_begin(soak_watch *w, const char *what, double limit_seconds);
void soak_watch_end(soak_watch *w);
/* Calls that overran their limit so far. */
int64_t soak_watchdog_hung(void);

/* ---- Leak accounting ---- */

typedef struct soak_snapshot {
    int64_t fds;
    int64_t live_handles;
    int64_t live_sockets;
    int64_t live_bytes;
} soak_snapshot;

/* Open descriptors of this process (entries of /proc/self/fd). */
int64_t soak_count_fds(void);
void soak_take_snapshot(soak_snapshot *snap);
int soak_snapshots_equal(const soak_snapshot *a, const soak_snapshot *b);

/* ---- Counters and the report line ---- */

typedef struct soak_counts {
    atomic_llong connections;     /* opened (client) or accepted (server) */
    atomic_llong tls_connections; /* of which TLS */
    atomic_llong messages;        /* frames echoed and verified */
    atomic_llong bytes_sent;      /* payload bytes */
    atomic_llong bytes_received;
    atomic_llong timeouts;        /* connections ended by a timeout */
    atomic_llong chaos_closes;    /* connections closed under it by another thread */
    atomic_llong aborted;         /* server: connections the peer dropped mid-frame */
    atomic_llong checksum_errors;
    atomic_llong unexpected_errors;
} soak_counts;

/* One line "SOAK-REPORT {json}" on stdout; the driver collects it.  Also
 * decides ok (no checksum error, no unexpected error, no hung call,
 * snapshots equal) and returns it. */
int soak_report(const char *who, const soak_counts *c, int64_t hung, double seconds,
                const soak_snapshot *before, const soak_snapshot *after);

/* A frame whose CRC does not match: counted, the first few described. */
void soak_checksum_error(soak_counts *c, const char *who, size_t size, const soak_conn *conn);

/* An unexpected error: counted, and the first few are described on stderr. */
void soak_unexpected(soak_counts *c, const char *who, const char *what, int rc,
                     const soak_conn *conn);

#endif /* SOAK_COMMON_H */
