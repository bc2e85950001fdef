/*
 * bench_tls.c - TLS of the polysock core against a plain OpenSSL C loop,
 * in one run, on the same OpenSSL.
 *
 * Both clients talk to the same peer: a server written on the OpenSSL API
 * alone (a thread per connection, here or in another process with --serve:
 * the Python bench uses the same peer).  Rows:
 *
 *   bulk        throughput of 64 KiB writes (1 GiB by default) that the
 *               peer reads and acknowledges with one byte at the end;
 *   handshakes  full TLS 1.3 handshakes per second: connect, handshake
 *               (chain and host name verified), close_notify, close.  The
 *               peer issues no session tickets and neither client keeps a
 *               session, so no handshake is a resumption.  Both clients
 *               reuse one context: the raw loop one SSL_CTX, the core its
 *               cache of contexts behind one configuration.
 *
 * The certificate is an EC P-256 key made at start with the openssl CLI.
 *
 * Noise: on a shared VM a stretch of a second can run at half speed.  So a
 * round opens both sides' connections at once and alternates 16 timed
 * blocks between them (who goes first alternates too): bulk blocks of
 * 1/16 of the bytes, handshake blocks of 1/16 of the handshakes.  A
 * round's ratio core/raw is the median of its 16 block ratios, and the
 * table shows the median and spread of the rounds' ratios.  Target: a
 * median ratio >= 0.95 on both rows.
 *
 * Environment:
 *   POLYSOCK_BENCH_RUNS        rounds (default 5)
 *   POLYSOCK_BENCH_BULK_MB     MiB per bulk run (default 1024)
 *   POLYSOCK_BENCH_HANDSHAKES  handshakes per run (default 500)
 *   POLYSOCK_BENCH_STRICT      1: exit 1 when a row misses its target
 *
 * bench_tls --serve prints "PORT <port> <ca file>" and serves until its
 * standard input closes.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bench_common.h"
#include "polysock.h"

#define CHUNK (64 * 1024)
#define BLOCKS 16 /* timed blocks per side and round */
#define TARGET 0.95
#define HOST "localhost"

/* An OpenSSL call failed: its error queue says why. */
static void die_ssl(const char *what) __attribute__((noreturn));

static void die_ssl(const char *what)
{
    ERR_print_errors_fp(stderr);
    die("%s failed (OpenSSL's errors above)", what);
}

/* ---- certificate: one self-signed EC P-256 leaf, its own trust anchor ---- */

static char cert_dir[] = "/tmp/polysock-bench-tls-XXXXXX";
static char cert_file[64], key_file[64];

static void remove_certs(void)
{
    unlink(cert_file);
    unlink(key_file);
    rmdir(cert_dir);
}

static void make_cert(void)
{
    if (mkdtemp(cert_dir) == NULL)
        die("mkdtemp: %s", strerror(errno));
    snprintf(cert_file, sizeof cert_file, "%s/cert.pem", cert_dir);
    snprintf(key_file, sizeof key_file, "%s/key.pem", cert_dir);
    atexit(remove_certs);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
             "-nodes -days 2 -subj /CN=" HOST " -addext subjectAltName=DNS:" HOST
             " -keyout %s -out %s 2>/dev/null", key_file, cert_file);
    if (system(cmd) != 0)
        die("could not make a certificate with: %s", cmd);
}

/* ---- the peer: OpenSSL only ---- */

/* A client opens with one byte: 'B' then an 8-byte big-endian byte count
 * (bulk), or 'H' (handshake only: it closes next). */
static SSL_CTX *peer_ctx(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL || SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1
        || SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1)
        die_ssl("peer context");
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_num_tickets(ctx, 0); /* no resumption */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return ctx;
}

static bool read_full(SSL *ssl, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        int n = SSL_read(ssl, (char *)buf + got, (int)(len - got));
        if (n <= 0)
            return false;
        got += (size_t)n;
    }
    return true;
}

typedef struct peer_conn {
    SSL_CTX *ctx;
    int fd;
} peer_conn;

static void *peer_serve_one(void *arg)
{
    peer_conn *pc = arg;
    SSL_CTX *ctx = pc->ctx;
    int fd = pc->fd;
    free(pc);
    static _Thread_local char buf[4 * CHUNK];
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    unsigned char head[9];
    if (SSL_accept(ssl) == 1 && read_full(ssl, head, 1)) {
        if (head[0] == 'B' && read_full(ssl, head + 1, 8)) {
            uint64_t left = 0;
            for (int i = 1; i < 9; i++)
                left = left << 8 | head[i];
            while (left > 0) {
                int n = SSL_read(ssl, buf, (int)(left < sizeof buf ? left : sizeof buf));
                if (n <= 0)
                    break;
                left -= (uint64_t)n;
            }
            if (left == 0)
                SSL_write(ssl, "k", 1);
        }
        /* 'H', or the end of a bulk run: wait for the client's close. */
        while (SSL_read(ssl, buf, sizeof buf) > 0) {
        }
    }
    SSL_free(ssl);
    close(fd);
    ERR_clear_error();
    return NULL;
}

static int listen_fd = -1;
static int listen_port;

static void peer_listen(void)
{
    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sin;
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sin, sizeof sin) != 0
        || listen(listen_fd, 128) != 0
        || getsockname(listen_fd, (struct sockaddr *)&sin, &len) != 0)
        die("peer listen: %s", strerror(errno));
    listen_port = ntohs(sin.sin_port);
}

static void *peer_main(void *arg)
{
    SSL_CTX *ctx = arg;
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            break; /* the listener was shut down */
        }
        /* A thread per connection: both sides' bulk connections are open
         * at once.  The context is never freed: the process ends first. */
        peer_conn *pc = malloc(sizeof *pc);
        pthread_t t;
        if (pc == NULL)
            die("out of memory");
        *pc = (peer_conn){ctx, fd};
        if (pthread_create(&t, NULL, peer_serve_one, pc) != 0)
            die("peer thread");
        pthread_detach(t);
    }
    return NULL;
}

/* ---- clients ---- */

static char bulk_buf[CHUNK];

static void bulk_header(unsigned char head[9], uint64_t bytes)
{
    head[0] = 'B';
    for (int i = 8; i >= 1; i--, bytes >>= 8)
        head[i] = (unsigned char)bytes;
}

static int raw_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)listen_port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0)
        die("raw connect: %s", strerror(errno));
    return fd;
}

static SSL *raw_handshake(SSL_CTX *ctx, int fd)
{
    SSL *ssl = SSL_new(ctx);
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1
        || SSL_set_tlsext_host_name(ssl, HOST) != 1 || SSL_set1_host(ssl, HOST) != 1
        || SSL_connect(ssl) != 1)
        die_ssl("raw handshake");
    return ssl;
}

static SSL_CTX *raw_ctx(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL || SSL_CTX_load_verify_locations(ctx, cert_file, NULL) != 1)
        die_ssl("raw client context");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return ctx;
}

/* The raw side: a bulk connection, and timed blocks on it. */
typedef struct raw_conn {
    int fd;
    SSL *ssl;
} raw_conn;

static raw_conn raw_bulk_open(SSL_CTX *ctx, uint64_t total)
{
    raw_conn c = {.fd = raw_connect()};
    c.ssl = raw_handshake(ctx, c.fd);
    unsigned char head[9];
    bulk_header(head, total);
    if (SSL_write(c.ssl, head, sizeof head) != sizeof head)
        die_ssl("raw write");
    return c;
}

static int64_t raw_bulk_block(raw_conn *c, uint64_t bytes)
{
    int64_t t0 = now_ns();
    for (uint64_t left = bytes; left > 0;) {
        int n = (int)(left < CHUNK ? left : CHUNK);
        if (SSL_write(c->ssl, bulk_buf, n) != n)
            die_ssl("raw write");
        left -= (uint64_t)n;
    }
    return now_ns() - t0;
}

static void raw_bulk_close(raw_conn *c)
{
    char ack;
    if (SSL_read(c->ssl, &ack, 1) != 1)
        die_ssl("raw read ack");
    SSL_shutdown(c->ssl);
    SSL_free(c->ssl);
    close(c->fd);
}

static int64_t raw_handshakes(SSL_CTX *ctx, long count)
{
    int64_t t0 = now_ns();
    for (long i = 0; i < count; i++) {
        int fd = raw_connect();
        SSL *ssl = raw_handshake(ctx, fd);
        if (SSL_write(ssl, "H", 1) != 1)
            die_ssl("raw write");
        SSL_shutdown(ssl);
        SSL_free(ssl);
        close(fd);
    }
    return now_ns() - t0;
}

/* The core side, the same steps. */
typedef struct core_conn {
    polysock_handle sock, tls;
} core_conn;

static polysock_handle core_config(void)
{
    polysock_handle cfg;
    check_core(polysock_tls_config_new(0, &cfg), "tls_config_new");
    check_core(polysock_tls_config_set_ca(cfg, cert_file, NULL), "tls_config_set_ca");
    return cfg;
}

static core_conn core_open(polysock_handle cfg)
{
    core_conn c;
    polysock_addr addr;
    check_core(polysock_socket(AF_INET, SOCK_STREAM, 0, &c.sock), "socket");
    check_core(polysock_addr_set(&addr, AF_INET, "127.0.0.1", listen_port), "addr_set");
    check_core(polysock_connect(c.sock, &addr), "connect");
    check_core(polysock_tls_new(c.sock, cfg, HOST, &c.tls), "tls_new");
    check_core(polysock_tls_handshake(c.tls), "tls_handshake");
    return c;
}

static void core_close(core_conn *c)
{
    polysock_tls_close(c->tls);
    polysock_close(c->sock);
}

static void core_write(polysock_handle tls, const void *buf, size_t len)
{
    size_t sent;
    check_core(polysock_tls_write(tls, buf, len, &sent), "tls_write");
}

static core_conn core_bulk_open(polysock_handle cfg, uint64_t total)
{
    core_conn c = core_open(cfg);
    unsigned char head[9];
    bulk_header(head, total);
    core_write(c.tls, head, sizeof head);
    return c;
}

static int64_t core_bulk_block(core_conn *c, uint64_t bytes)
{
    int64_t t0 = now_ns();
    for (uint64_t left = bytes; left > 0;) {
        size_t n = left < CHUNK ? (size_t)left : CHUNK;
        core_write(c->tls, bulk_buf, n);
        left -= n;
    }
    return now_ns() - t0;
}

static void core_bulk_close(core_conn *c)
{
    char ack;
    size_t got;
    check_core(polysock_tls_read(c->tls, &ack, 1, &got), "tls_read");
    if (got != 1)
        die("core: no ack");
    core_close(c);
}

static int64_t core_handshakes(polysock_handle cfg, long count)
{
    int64_t t0 = now_ns();
    for (long i = 0; i < count; i++) {
        core_conn c = core_open(cfg);
        core_write(c.tls, "H", 1);
        core_close(&c);
    }
    return now_ns() - t0;
}

/* ---- rounds and report ---- */

static int serve(void)
{
    peer_listen();
    printf("PORT %d %s\n", listen_port, cert_file);
    fflush(stdout);
    pthread_t t;
    pthread_create(&t, NULL, peer_main, peer_ctx());
    char c;
    while (read(0, &c, 1) > 0) { /* until the parent goes away */
    }
    return 0;
}

int main(int argc, char **argv)
{
    make_cert();
    if (argc > 1 && strcmp(argv[1], "--serve") == 0)
        return serve();

    int runs = (int)env_long("POLYSOCK_BENCH_RUNS", 5, 1, BENCH_MAX_RUNS);
    uint64_t bulk = (uint64_t)env_long("POLYSOCK_BENCH_BULK_MB", 1024, 1, 1048576)
                    * 1024 * 1024;
    long handshakes = env_long("POLYSOCK_BENCH_HANDSHAKES", 500, 1, 10000000);
    int strict = (int)env_long("POLYSOCK_BENCH_STRICT", 0, 0, 1);
    memset(bulk_buf, 'x', sizeof bulk_buf);

    peer_listen();
    pthread_t peer;
    pthread_create(&peer, NULL, peer_main, peer_ctx());

    SSL_CTX *rctx = raw_ctx();
    polysock_handle cfg = core_config();
    printf("polysock %s TLS vs plain OpenSSL (%s): %d rounds, %" PRIu64
           " MiB bulk in 64 KiB writes, %ld handshakes (TLS 1.3, EC P-256)\n",
           polysock_version(), OpenSSL_version(OPENSSL_VERSION), runs,
           bulk / (1024 * 1024), handshakes);
    fflush(stdout);

    /* Warm both: the first core handshake builds and caches the context. */
    (void)raw_handshakes(rctx, 5);
    (void)core_handshakes(cfg, 5);

    double raw[2][BENCH_MAX_RUNS], core[2][BENCH_MAX_RUNS], ratio[2][BENCH_MAX_RUNS];
    int64_t start = now_ns();
    uint64_t block_bytes = bulk / BLOCKS > 0 ? bulk / BLOCKS : 1;
    long block_hs = handshakes / BLOCKS > 0 ? handshakes / BLOCKS : 1;
    for (int r = 0; r < runs; r++) {
        /* Bulk: both connections open, blocks alternating. */
        raw_conn rc = raw_bulk_open(rctx, block_bytes * BLOCKS);
        core_conn cc = core_bulk_open(cfg, block_bytes * BLOCKS);
        int64_t traw = 0, tcore = 0;
        double block_ratio[BLOCKS];
        for (int b = 0; b < BLOCKS; b++) {
            int64_t tr, tc;
            if ((b + r) % 2 == 0) {
                tr = raw_bulk_block(&rc, block_bytes);
                tc = core_bulk_block(&cc, block_bytes);
            } else {
                tc = core_bulk_block(&cc, block_bytes);
                tr = raw_bulk_block(&rc, block_bytes);
            }
            block_ratio[b] = (double)tr / (double)tc; /* speed core/raw */
            traw += tr;
            tcore += tc;
        }
        raw_bulk_close(&rc);
        core_bulk_close(&cc);
        double lo, hi, mib = (double)(block_bytes * BLOCKS) / (1024.0 * 1024.0);
        raw[0][r] = mib / ((double)traw / 1e9);
        core[0][r] = mib / ((double)tcore / 1e9);
        ratio[0][r] = median(block_ratio, BLOCKS, &lo, &hi);

        /* Handshakes: blocks alternating likewise. */
        traw = tcore = 0;
        for (int b = 0; b < BLOCKS; b++) {
            int64_t tr, tc;
            if ((b + r) % 2 == 0) {
                tr = raw_handshakes(rctx, block_hs);
                tc = core_handshakes(cfg, block_hs);
            } else {
                tc = core_handshakes(cfg, block_hs);
                tr = raw_handshakes(rctx, block_hs);
            }
            block_ratio[b] = (double)tr / (double)tc;
            traw += tr;
            tcore += tc;
        }
        raw[1][r] = (double)(block_hs * BLOCKS) / ((double)traw / 1e9);
        core[1][r] = (double)(block_hs * BLOCKS) / ((double)tcore / 1e9);
        ratio[1][r] = median(block_ratio, BLOCKS, &lo, &hi);
        fprintf(stderr, "  round %d/%d done (%.1f s)\n", r + 1, runs,
                (double)(now_ns() - start) / 1e9);
    }

    static const char *const names[2] = {"tls bulk 64K", "tls handshakes"};
    static const char *const units[2] = {"MiB/s", "hs/s"};
    printf("\n%-16s %16s %16s %7s %13s  %s\n", "row", "raw median", "core median",
           "ratio", "ratio spread", "target >= 0.95");
    int misses = 0;
    for (int k = 0; k < 2; k++) {
        double lo, hi, rlo, rhi, clo, chi;
        double rm = median(raw[k], runs, &rlo, &rhi);
        double cm = median(core[k], runs, &clo, &chi);
        double q = median(ratio[k], runs, &lo, &hi);
        misses += q < TARGET;
        printf("%-16s %10.0f %-5s %10.0f %-5s %7.3f %6.3f-%-6.3f  %s\n", names[k], rm,
               units[k], cm, units[k], q, lo, hi, q >= TARGET ? "PASS" : "FAIL");
    }
    printf("\n%s (%.1f s)\n",
           misses == 0 ? "all rows meet the target" : "some rows miss the target",
           (double)(now_ns() - start) / 1e9);

    polysock_tls_config_close(cfg);
    SSL_CTX_free(rctx);
    shutdown(listen_fd, SHUT_RDWR);
    pthread_join(peer, NULL);
    close(listen_fd);
    return strict && misses > 0 ? 1 : 0;
}
