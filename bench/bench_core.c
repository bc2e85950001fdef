/*
 * bench_core.c - the polysock core against plain syscalls, in one run.
 *
 * Both sides talk to the same peer: a thread that uses raw syscalls only,
 * so the peer costs the same whichever side it serves.  Each row measures
 *
 *   ping-pong  1-byte round trips per second (TCP_NODELAY on both ends
 *              for TCP), over loopback TCP and over AF_UNIX stream;
 *   bulk       throughput of 64 KiB writes (1 GiB by default) into a peer
 *              that discards them and acknowledges the byte count;
 *
 * in two modes:
 *
 *   blocking   core: setblocking(1) socket; raw: blocking send/recv;
 *   timeout    core: settimeout(30);  raw: O_NONBLOCK, try the call first
 *              and poll() only on EAGAIN, with the time left of one
 *              deadline per call (the loop a careful C programmer writes).
 *
 * Core and raw run back to back in every round (alternating which goes
 * first, so drift does not favour one side), and the ratio core/raw is
 * taken per round: machine noise that hits a whole round cancels out.
 * The target is a median ratio >= 0.95.
 *
 * Environment:
 *   POLYSOCK_BENCH_RUNS      rounds (default 5)
 *   POLYSOCK_BENCH_PINGPONG  round trips per ping-pong run (default 20000)
 *   POLYSOCK_BENCH_BULK_MB   MiB per bulk run (default 1024)
 *   POLYSOCK_BENCH_STRICT    1: exit 1 when a row misses its target
 *   POLYSOCK_BENCH_ROWS      only the rows whose name contains this text
 *                            (e.g. "unix", "bulk", "tcp ping-pong timeout")
 *   POLYSOCK_BENCH_PIN       same (default): the bench and its peer share
 *                            one CPU; split: one CPU each; off: no pinning
 *
 * Why pin: on a VM a wake-up across CPUs costs tens of microseconds and
 * varies run to run by 10x, which drowns a per-call cost of nanoseconds.
 * Sharing one CPU makes a round trip two context switches: steady, and
 * the library's own cost is the largest share it can ever be, so the
 * ratio is the strictest one.
 */
#define _GNU_SOURCE /* accept4, SOCK_CLOEXEC, MSG_NOSIGNAL */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"
#include "polysock.h"

#define CHUNK (64 * 1024)       /* one bulk write */
#define PEER_BUF (256 * 1024)   /* the peer reads bigger, so it keeps up */
#define WARMUP_TRIPS 200        /* untimed round trips: caches, wakeups */
#define TIMEOUT_S 30            /* the timeout mode's timeout */
#define TARGET 0.95

enum transport { T_TCP, T_UNIX };
enum kind { K_PINGPONG, K_BULK };
enum mode { M_BLOCKING, M_TIMEOUT };

/* ---- small helpers ---- */

/* ---- the raw side: what a careful C programmer writes ---- */

/* Wait until fd is ready for events.  The deadline is fixed by the first
 * wait of a call (*deadline == 0 until then), so a call that must wait
 * twice still gives up TIMEOUT_S after it started waiting, and a call that
 * never waits never reads the clock. */
static void raw_wait(int fd, short events, int64_t *deadline)
{
    int64_t now = now_ns();
    if (*deadline == 0)
        *deadline = now + (int64_t)TIMEOUT_S * 1000000000;
    for (;;) {
        int64_t left = *deadline - now;
        if (left <= 0)
            die("raw: timed out");
        struct pollfd pfd = {.fd = fd, .events = events};
        /* Round up: rounding down would spin on a sub-millisecond rest. */
        int n = poll(&pfd, 1, (int)((left + 999999) / 1000000));
        if (n > 0)
            return;
        if (n < 0 && errno != EINTR)
            die("raw: poll: %s", strerror(errno));
        now = now_ns();
    }
}

static size_t raw_recv(int fd, void *buf, size_t len, enum mode mode)
{
    int64_t deadline = 0;
    for (;;) {
        ssize_t n = recv(fd, buf, len, 0);
        if (n >= 0)
            return (size_t)n;
        if (mode == M_TIMEOUT && (errno == EAGAIN || errno == EWOULDBLOCK))
            raw_wait(fd, POLLIN, &deadline);
        else if (errno != EINTR)
            die("raw: recv: %s", strerror(errno));
    }
}

/* sendall: one deadline for the whole buffer, as the core's sendall. */
static void raw_sendall(int fd, const void *buf, size_t len, enum mode mode)
{
    const char *p = buf;
    int64_t deadline = 0;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n >= 0) {
            p += n;
            len -= (size_t)n;
        } else if (mode == M_TIMEOUT && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            raw_wait(fd, POLLOUT, &deadline);
        } else if (errno != EINTR) {
            die("raw: send: %s", strerror(errno));
        }
    }
}

/* ---- CPU pinning ---- */

static int pin_main_cpu = -1; /* -1: no pinning */
static int pin_peer_cpu = -1;

static void pin_setup(void)
{
    const char *how = getenv("POLYSOCK_BENCH_PIN");
    if (how == NULL || *how == '\0')
        how = "same";
    if (strcmp(how, "off") == 0)
        return;
    if (strcmp(how, "same") != 0 && strcmp(how, "split") != 0)
        die("POLYSOCK_BENCH_PIN must be same, split or off, not '%s'", how);
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) < 0)
        die("sched_getaffinity: %s", strerror(errno));
    /* Start from the CPU the scheduler gave us (it respects taskset). */
    int cpu = sched_getcpu();
    if (cpu < 0 || !CPU_ISSET(cpu, &allowed))
        die("sched_getcpu: %s", strerror(errno));
    pin_main_cpu = pin_peer_cpu = cpu;
    if (strcmp(how, "split") == 0) {
        pin_peer_cpu = -1;
        for (int c = 0; c < CPU_SETSIZE; c++) {
            if (c != cpu && CPU_ISSET(c, &allowed)) {
                pin_peer_cpu = c;
                break;
            }
        }
        if (pin_peer_cpu < 0)
            die("POLYSOCK_BENCH_PIN=split needs two CPUs");
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(pin_main_cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) < 0)
        die("sched_setaffinity: %s", strerror(errno));
}

/* ---- the peer: raw syscalls, blocking, one connection per thread ---- */

typedef struct peer {
    int listen_fd;
    enum transport transport;
    pthread_t thread;
} peer;

static void peer_sendall(int fd, const void *buf, size_t len)
{
    raw_sendall(fd, buf, len, M_BLOCKING);
}

static void *peer_main(void *arg)
{
    peer *p = arg;
    static char buf[PEER_BUF]; /* one peer at a time */
    int fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        die("peer: accept: %s", strerror(errno));
    if (p->transport == T_TCP) {
        int one = 1;
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
            die("peer: TCP_NODELAY: %s", strerror(errno));
    }
    /* The first byte says what to do: 'P' echo, 'B' sink. */
    char what;
    if (raw_recv(fd, &what, 1, M_BLOCKING) != 1)
        die("peer: no command");
    if (what == 'P') {
        size_t n;
        while ((n = raw_recv(fd, buf, sizeof buf, M_BLOCKING)) > 0)
            peer_sendall(fd, buf, n);
    } else {
        uint64_t total = 0;
        size_t n;
        while ((n = raw_recv(fd, buf, sizeof buf, M_BLOCKING)) > 0)
            total += n;
        /* The sender's clock stops at this acknowledgement, so it times
         * the bytes arriving, not only leaving its buffer. */
        peer_sendall(fd, &total, sizeof total);
    }
    close(fd);
    return NULL;
}

static void peer_start(peer *p)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    if (pin_peer_cpu >= 0) {
        /* Pinned from birth, so it never runs a moment elsewhere. */
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(pin_peer_cpu, &one);
        pthread_attr_setaffinity_np(&attr, sizeof one, &one);
    }
    int rc = pthread_create(&p->thread, &attr, peer_main, p);
    pthread_attr_destroy(&attr);
    if (rc != 0)
        die("pthread_create: %s", strerror(rc));
}

static void peer_join(peer *p)
{
    pthread_join(p->thread, NULL);
}

/* ---- listeners (raw, made once) and the address each side connects to ---- */

typedef struct endpoint {
    enum transport transport;
    int listen_fd;
    struct sockaddr_storage sa; /* for the raw side */
    socklen_t sa_len;
    polysock_addr addr;         /* the same address for the core side */
} endpoint;

static void endpoint_open(endpoint *ep, enum transport transport)
{
    memset(ep, 0, sizeof *ep);
    ep->transport = transport;
    if (transport == T_TCP) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ep->sa;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        in->sin_port = 0;
        ep->sa_len = sizeof *in;
        ep->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    } else {
        /* An abstract name: nothing to clean up in the file system. */
        struct sockaddr_un *un = (struct sockaddr_un *)&ep->sa;
        char name[64];
        int len = snprintf(name, sizeof name, "polysock-bench-%ld", (long)getpid());
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path + 1, name, (size_t)len);
        ep->sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len);
        ep->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        /* The record takes the leading NUL and the name as bytes. */
        ep->addr.family = AF_UNIX;
        ep->addr.host[0] = '\0';
        memcpy(ep->addr.host + 1, name, (size_t)len);
        ep->addr.host_len = (uint32_t)(1 + len);
    }
    if (ep->listen_fd < 0)
        die("socket: %s", strerror(errno));
    if (bind(ep->listen_fd, (struct sockaddr *)&ep->sa, ep->sa_len) < 0)
        die("bind: %s", strerror(errno));
    if (listen(ep->listen_fd, 16) < 0)
        die("listen: %s", strerror(errno));
    if (transport == T_TCP) {
        socklen_t len = ep->sa_len;
        if (getsockname(ep->listen_fd, (struct sockaddr *)&ep->sa, &len) < 0)
            die("getsockname: %s", strerror(errno));
        int port = ntohs(((struct sockaddr_in *)&ep->sa)->sin_port);
        check_core(polysock_addr_set(&ep->addr, AF_INET, "127.0.0.1", port),
                   "addr_set");
    }
}

/* ---- one timed run of each side ---- */

typedef struct params {
    long pingpong;      /* round trips */
    uint64_t bulk;      /* bytes, a multiple of CHUNK */
} params;

static char bulk_buf[CHUNK];

static int raw_connect(const endpoint *ep, enum kind kind, enum mode mode)
{
    int family = ep->transport == T_TCP ? AF_INET : AF_UNIX;
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("raw: socket: %s", strerror(errno));
    if (connect(fd, (const struct sockaddr *)&ep->sa, ep->sa_len) < 0)
        die("raw: connect: %s", strerror(errno));
    if (ep->transport == T_TCP && kind == K_PINGPONG) {
        int one = 1;
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
            die("raw: TCP_NODELAY: %s", strerror(errno));
    }
    if (mode == M_TIMEOUT) {
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
            die("raw: O_NONBLOCK: %s", strerror(errno));
    }
    return fd;
}

/* Returns round trips per second, or MiB per second. */
static double run_raw(const endpoint *ep, enum kind kind, enum mode mode,
                      const params *pr)
{
    peer p = {.listen_fd = ep->listen_fd, .transport = ep->transport};
    peer_start(&p);
    int fd = raw_connect(ep, kind, mode);
    double result;
    if (kind == K_PINGPONG) {
        char b = 'P';
        raw_sendall(fd, &b, 1, mode);
        for (int i = 0; i < WARMUP_TRIPS; i++) {
            raw_sendall(fd, &b, 1, mode);
            if (raw_recv(fd, &b, 1, mode) != 1)
                die("raw: short echo");
        }
        int64_t t0 = now_ns();
        for (long i = 0; i < pr->pingpong; i++) {
            raw_sendall(fd, &b, 1, mode);
            if (raw_recv(fd, &b, 1, mode) != 1)
                die("raw: short echo");
        }
        int64_t t1 = now_ns();
        result = (double)pr->pingpong / ((double)(t1 - t0) / 1e9);
    } else {
        char b = 'B';
        raw_sendall(fd, &b, 1, mode);
        int64_t t0 = now_ns();
        for (uint64_t sent = 0; sent < pr->bulk; sent += CHUNK)
            raw_sendall(fd, bulk_buf, CHUNK, mode);
        if (shutdown(fd, SHUT_WR) < 0)
            die("raw: shutdown: %s", strerror(errno));
        uint64_t ack;
        size_t got = 0;
        while (got < sizeof ack) {
            size_t n = raw_recv(fd, (char *)&ack + got, sizeof ack - got, mode);
            if (n == 0)
                die("raw: no acknowledgement");
            got += n;
        }
        int64_t t1 = now_ns();
        if (ack != pr->bulk)
            die("raw: peer got %" PRIu64 " bytes of %" PRIu64, ack, pr->bulk);
        result = (double)pr->bulk / (1024.0 * 1024.0) / ((double)(t1 - t0) / 1e9);
    }
    close(fd);
    peer_join(&p);
    return result;
}

static polysock_handle core_connect(const endpoint *ep, enum kind kind,
                                    enum mode mode)
{
    int family = ep->transport == T_TCP ? AF_INET : AF_UNIX;
    polysock_handle h;
    check_core(polysock_socket(family, SOCK_STREAM, 0, &h), "core: socket");
    check_core(polysock_connect(h, &ep->addr), "core: connect");
    if (ep->transport == T_TCP && kind == K_PINGPONG)
        check_core(polysock_setsockopt_int(h, IPPROTO_TCP, TCP_NODELAY, 1),
                   "core: TCP_NODELAY");
    if (mode == M_TIMEOUT)
        check_core(polysock_settimeout(h, TIMEOUT_S), "core: settimeout");
    else
        check_core(polysock_setblocking(h, 1), "core: setblocking");
    return h;
}

static void core_echo(polysock_handle h, char *b)
{
    size_t n;
    check_core(polysock_send(h, b, 1, 0, &n), "core: send");
    if (n != 1)
        die("core: short send");
    check_core(polysock_recv(h, b, 1, 0, &n), "core: recv");
    if (n != 1)
        die("core: short echo");
}

static double run_core(const endpoint *ep, enum kind kind, enum mode mode,
                       const params *pr)
{
    peer p = {.listen_fd = ep->listen_fd, .transport = ep->transport};
    peer_start(&p);
    polysock_handle h = core_connect(ep, kind, mode);
    double result;
    size_t n;
    if (kind == K_PINGPONG) {
        char b = 'P';
        check_core(polysock_sendall(h, &b, 1, 0, &n), "core: sendall");
        for (int i = 0; i < WARMUP_TRIPS; i++)
            core_echo(h, &b);
        int64_t t0 = now_ns();
        for (long i = 0; i < pr->pingpong; i++)
            core_echo(h, &b);
        int64_t t1 = now_ns();
        result = (double)pr->pingpong / ((double)(t1 - t0) / 1e9);
    } else {
        char b = 'B';
        check_core(polysock_sendall(h, &b, 1, 0, &n), "core: sendall");
        int64_t t0 = now_ns();
        for (uint64_t sent = 0; sent < pr->bulk; sent += CHUNK)
            check_core(polysock_sendall(h, bulk_buf, CHUNK, 0, &n), "core: sendall");
        check_core(polysock_shutdown(h, SHUT_WR), "core: shutdown");
        uint64_t ack;
        size_t got = 0;
        while (got < sizeof ack) {
            check_core(polysock_recv(h, (char *)&ack + got, sizeof ack - got, 0, &n),
                       "core: recv");
            if (n == 0)
                die("core: no acknowledgement");
            got += n;
        }
        int64_t t1 = now_ns();
        if (ack != pr->bulk)
            die("core: peer got %" PRIu64 " bytes of %" PRIu64, ack, pr->bulk);
        result = (double)pr->bulk / (1024.0 * 1024.0) / ((double)(t1 - t0) / 1e9);
    }
    check_core(polysock_close(h), "core: close");
    peer_join(&p);
    return result;
}

/* ---- rows, rounds and the table ---- */

typedef struct row {
    const char *name;
    enum transport transport;
    enum kind kind;
    enum mode mode;
    double raw[BENCH_MAX_RUNS];
    double core[BENCH_MAX_RUNS];
    double ratio[BENCH_MAX_RUNS];
} row;

static row rows[] = {
    {"tcp ping-pong blocking", T_TCP, K_PINGPONG, M_BLOCKING, {0}, {0}, {0}},
    {"tcp ping-pong timeout", T_TCP, K_PINGPONG, M_TIMEOUT, {0}, {0}, {0}},
    {"unix ping-pong blocking", T_UNIX, K_PINGPONG, M_BLOCKING, {0}, {0}, {0}},
    {"unix ping-pong timeout", T_UNIX, K_PINGPONG, M_TIMEOUT, {0}, {0}, {0}},
    {"tcp bulk 64K blocking", T_TCP, K_BULK, M_BLOCKING, {0}, {0}, {0}},
    {"tcp bulk 64K timeout", T_TCP, K_BULK, M_TIMEOUT, {0}, {0}, {0}},
    {"unix bulk 64K blocking", T_UNIX, K_BULK, M_BLOCKING, {0}, {0}, {0}},
    {"unix bulk 64K timeout", T_UNIX, K_BULK, M_TIMEOUT, {0}, {0}, {0}},
};
#define NROWS (sizeof rows / sizeof rows[0])

static void format_rate(char *out, size_t cap, double v, enum kind kind)
{
    if (kind == K_PINGPONG)
        snprintf(out, cap, "%8.0f rt/s", v);
    else
        snprintf(out, cap, "%8.0f MiB/s", v);
}

int main(void)
{
    int runs = (int)env_long("POLYSOCK_BENCH_RUNS", 5, 1, BENCH_MAX_RUNS);
    params pr = {
        .pingpong = env_long("POLYSOCK_BENCH_PINGPONG", 20000, 1, 100000000),
        .bulk = (uint64_t)env_long("POLYSOCK_BENCH_BULK_MB", 1024, 1, 1048576)
                * 1024 * 1024,
    };
    int strict = (int)env_long("POLYSOCK_BENCH_STRICT", 0, 0, 1);
    const char *only = getenv("POLYSOCK_BENCH_ROWS");
    bool chosen[NROWS];
    int nchosen = 0;
    for (size_t i = 0; i < NROWS; i++) {
        chosen[i] = only == NULL || strstr(rows[i].name, only) != NULL;
        nchosen += chosen[i];
    }
    if (nchosen == 0)
        die("POLYSOCK_BENCH_ROWS='%s' matches no row", only);
    memset(bulk_buf, 'x', sizeof bulk_buf);
    pin_setup();

    endpoint eps[2];
    endpoint_open(&eps[T_TCP], T_TCP);
    endpoint_open(&eps[T_UNIX], T_UNIX);

    printf("polysock %s core vs raw syscalls: %d rounds, %ld round trips, "
           "%" PRIu64 " MiB bulk, timeout mode = %ds\n",
           polysock_version(), runs, pr.pingpong, pr.bulk / (1024 * 1024), TIMEOUT_S);
    if (pin_main_cpu < 0)
        printf("not pinned\n");
    else
        printf("pinned: bench on CPU %d, peer on CPU %d\n", pin_main_cpu, pin_peer_cpu);
    fflush(stdout);

    int64_t start = now_ns();
    for (int r = 0; r < runs; r++) {
        for (size_t i = 0; i < NROWS; i++) {
            row *w = &rows[i];
            if (!chosen[i])
                continue;
            const endpoint *ep = &eps[w->transport];
            /* Alternate who goes first, so a trend (turbo, another load
             * starting) is not always paid by the same side. */
            if (r % 2 == 0) {
                w->raw[r] = run_raw(ep, w->kind, w->mode, &pr);
                w->core[r] = run_core(ep, w->kind, w->mode, &pr);
            } else {
                w->core[r] = run_core(ep, w->kind, w->mode, &pr);
                w->raw[r] = run_raw(ep, w->kind, w->mode, &pr);
            }
            w->ratio[r] = w->core[r] / w->raw[r];
        }
        fprintf(stderr, "  round %d/%d done (%.1f s)\n", r + 1, runs,
                (double)(now_ns() - start) / 1e9);
    }

    printf("\n%-26s %16s %16s %7s %13s  %s\n", "row", "raw median",
           "core median", "ratio", "ratio spread", "target >= 0.95");
    int misses = 0;
    for (size_t i = 0; i < NROWS; i++) {
        row *w = &rows[i];
        if (!chosen[i])
            continue;
        char raw[32], core[32];
        double lo, hi;
        format_rate(raw, sizeof raw, median(w->raw, runs, NULL, NULL), w->kind);
        format_rate(core, sizeof core, median(w->core, runs, NULL, NULL), w->kind);
        double ratio = median(w->ratio, runs, &lo, &hi);
        int pass = ratio >= TARGET;
        misses += !pass;
        printf("%-26s %16s %16s %7.3f %6.3f-%-6.3f  %s\n", w->name, raw, core,
               ratio, lo, hi, pass ? "PASS" : "FAIL");
    }
    printf("\n%s (%.1f s)\n",
           misses == 0 ? "all rows meet the target" : "some rows miss the target",
           (double)(now_ns() - start) / 1e9);
    close(eps[T_TCP].listen_fd);
    close(eps[T_UNIX].listen_fd);
    return strict && misses > 0 ? 1 : 0;
}
