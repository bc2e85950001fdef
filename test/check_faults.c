/* check_faults.c - fault injection: the core when the world misbehaves.
 * A peer resets the connection under a blocked call, descriptors run out,
 * each allocation of an operation fails in turn, the resolver has nothing
 * to answer with, and signals arrive in bursts during every blocking call.
 * Each test checks the exact code returned and that nothing leaked. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "suites.h"
#include "testutil.h"

/* ---- helpers ---- */

static polysock_stats stats_now(void)
{
    polysock_stats st;
    ck_assert_ps_ok(polysock_get_stats(&st));
    return st;
}

/* The live counters a failed call must leave as they were. */
static void assert_live_counts(const polysock_stats *start, const char *when)
{
    polysock_stats st = stats_now();
    ck_assert_msg(st.live_handles == start->live_handles &&
                      st.live_sockets == start->live_sockets &&
                      st.live_bytes == start->live_bytes,
                  "%s: live handles %lld -> %lld, sockets %lld -> %lld, bytes %lld -> %lld",
                  when, (long long)start->live_handles, (long long)st.live_handles,
                  (long long)start->live_sockets, (long long)st.live_sockets,
                  (long long)start->live_bytes, (long long)st.live_bytes);
}

static void sleep_s(double seconds)
{
    struct timespec ts = {(time_t)seconds,
                          (long)((seconds - (double)(time_t)seconds) * 1e9)};
    /* Signals may cut a sleep short; resume with what is left. */
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void close_all(const polysock_handle *h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_ps_ok(polysock_close(h[i]));
}

/* Install handler for sig without SA_RESTART (so a blocked syscall sees
 * EINTR), keeping the previous action in *old. */
static void catch_signal(int sig, void (*handler)(int), struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    ck_assert_int_eq(sigaction(sig, &sa, old), 0);
}

/* ---- 1. the peer resets the connection under a blocked call ---- */

/* The peer's side: optionally reads `drain` bytes (so the other side is
 * known to be sending), waits `delay` seconds (so it is blocked), then
 * closes with SO_LINGER {1, 0}, which sends RST instead of FIN.  Checks are
 * made by the test thread from `rc`. */
struct resetter {
    polysock_handle sock;
    size_t drain;
    double delay;
    size_t drained;
    int rc; /* the first failure, 0 if none */
};

static void *resetter_main(void *arg)
{
    struct resetter *r = arg;
    static char buf[65536];
    while (r->rc == 0 && r->drained < r->drain) {
        size_t want = r->drain - r->drained, n = 0;
        r->rc = polysock_recv(r->sock, buf, want < sizeof buf ? want : sizeof buf, 0, &n);
        if (r->rc == 0 && n == 0)
            r->rc = -ESHUTDOWN; /* EOF: the sender stopped early */
        r->drained += n;
    }
    sleep_s(r->delay);
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    int rc = polysock_setsockopt_buf(r->sock, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    if (r->rc == 0)
        r->rc = rc;
    rc = polysock_close(r->sock);
    if (r->rc == 0)
        r->rc = rc;
    return NULL;
}

/* Blocking mode and timeout mode wait differently (one syscall, or poll
 * against a deadline): both must report the reset. */
static const double reset_modes[] = {POLYSOCK_TIMEOUT_NONE, 10.0};

START_TEST(test_peer_reset_under_blocked_recv_gives_econnreset)
{
    for (size_t i = 0; i < sizeof reset_modes / sizeof reset_modes[0]; i++) {
        polysock_handle c, s;
        tu_tcp_pair(AF_INET, &c, &s);
        ck_assert_ps_ok(polysock_settimeout(c, reset_modes[i]));
        struct resetter r = {.sock = s, .delay = 0.2};
        pthread_t t;
        ck_assert_int_eq(pthread_create(&t, NULL, resetter_main, &r), 0);
        char buf[16];
        size_t n = 99;
        double t0 = tu_now();
        int rc = polysock_recv(c, buf, sizeof buf, 0, &n);
        double elapsed = tu_now() - t0;
        ck_assert_int_eq(pthread_join(t, NULL), 0);
        ck_assert_ps_ok(r.rc);
        ck_assert_msg(rc == -ECONNRESET, "timeout %.1f: recv gave %s", reset_modes[i],
                      polysock_errname(rc));
        ck_assert_uint_eq(n, 99); /* out-params untouched on failure */
        ck_assert_double_ge(elapsed, 0.15); /* it was blocked until the reset */
        ck_assert_ps_ok(polysock_close(c));
    }
}
END_TEST

static atomic_int sigpipes;

static void count_sigpipe(int sig)
{
    (void)sig;
    atomic_fetch_add(&sigpipes, 1);
}

START_TEST(test_peer_reset_under_sendall_reports_count_without_sigpipe)
{
    enum { BIG = 32 << 20, DRAIN = 256 << 10 };
    char *big = calloc(1, BIG);
    ck_assert_ptr_nonnull(big);
    struct sigaction old;
    atomic_store(&sigpipes, 0);
    catch_signal(SIGPIPE, count_sigpipe, &old);
    for (size_t i = 0; i < sizeof reset_modes / sizeof reset_modes[0]; i++) {
        polysock_handle c, s;
        tu_tcp_pair(AF_INET, &c, &s);
        ck_assert_ps_ok(polysock_settimeout(c, reset_modes[i]));
        struct resetter r = {.sock = s, .drain = DRAIN, .delay = 0.1};
        pthread_t t;
        ck_assert_int_eq(pthread_create(&t, NULL, resetter_main, &r), 0);
        size_t nsent = 0;
        int rc = polysock_sendall(c, big, BIG, 0, &nsent);
        ck_assert_int_eq(pthread_join(t, NULL), 0);
        ck_assert_ps_ok(r.rc);
        ck_assert_uint_eq(r.drained, DRAIN);
        ck_assert_msg(rc == -EPIPE || rc == -ECONNRESET, "timeout %.1f: sendall gave %s",
                      reset_modes[i], polysock_errname(rc));
        /* What the peer read was sent; the reset cut the rest off. */
        ck_assert_uint_ge(nsent, DRAIN);
        ck_assert_uint_lt(nsent, BIG);
        /* The connection stays dead, and still raises no signal. */
        size_t n = 77;
        rc = polysock_send(c, "x", 1, 0, &n);
        ck_assert_msg(rc == -EPIPE || rc == -ECONNRESET, "send after reset gave %s",
                      polysock_errname(rc));
        ck_assert_uint_eq(n, 77);
        ck_assert_ps_ok(polysock_close(c));
    }
    free(big);
    int raised = atomic_load(&sigpipes);
    ck_assert_msg(raised == 0, "%d SIGPIPE raised", raised);
    ck_assert_int_eq(sigaction(SIGPIPE, &old, NULL), 0);
    struct sigaction now;
    ck_assert_int_eq(sigaction(SIGPIPE, NULL, &now), 0);
    ck_assert_ptr_eq((void *)now.sa_handler, (void *)SIG_DFL);
}
END_TEST

/* ---- 2. descriptors run out ---- */

/* The highest descriptor below `limit` (valgrind keeps its own above the
 * soft limit it shows the process). */
static int highest_open_fd(rlim_t limit)
{
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    int high = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && atoi(e->d_name) > high && (rlim_t)atoi(e->d_name) < limit)
            high = atoi(e->d_name);
    closedir(d);
    return high;
}

/* The lowest free descriptor number: a leaked descriptor would take it. */
static int lowest_free_fd(void)
{
    int fd = dup(2);
    ck_assert_msg(fd >= 0, "no descriptor left: %s (one leaked?)", strerror(errno));
    close(fd);
    return fd;
}

/* Every descriptor the process may still open, taken by dup(): the soft
 * RLIMIT_NOFILE is lowered first so that only a few are left to take.
 * Check forks each test, so a failure cannot leave the limit lowered for
 * the next test (with CK_FORK=no, hog_release restores it). */
struct fd_hog {
    struct rlimit saved;
    int *fds;
    int n;
};

static void hog_take_all(struct fd_hog *hog)
{
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &hog->saved), 0);
    struct rlimit low = hog->saved;
    /* The limit bounds descriptor numbers, not their count. */
    low.rlim_cur = (rlim_t)highest_open_fd(hog->saved.rlim_cur) + 16;
    if (low.rlim_cur > hog->saved.rlim_cur)
        low.rlim_cur = hog->saved.rlim_cur;
    hog->fds = malloc(sizeof *hog->fds * low.rlim_cur);
    ck_assert_ptr_nonnull(hog->fds);
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
    hog->n = 0;
    int fd;
    while ((fd = dup(2)) >= 0) {
        ck_assert_uint_lt((rlim_t)hog->n, low.rlim_cur);
        hog->fds[hog->n++] = fd;
    }
    ck_assert_int_eq(errno, EMFILE);
    ck_assert_int_gt(hog->n, 0);
}

static void hog_give_back_one(struct fd_hog *hog)
{
    ck_assert_int_gt(hog->n, 0);
    ck_assert_int_eq(close(hog->fds[--hog->n]), 0);
}

static void hog_release(struct fd_hog *hog)
{
    while (hog->n > 0)
        hog_give_back_one(hog);
    free(hog->fds);
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &hog->saved), 0);
}

START_TEST(test_descriptor_exhaustion_gives_emfile_then_recovers)
{
    if (tu_under_valgrind()) {
        /* Valgrind does not lower the kernel's limit: it closes what the
         * syscall made above its own one (so a refused accept has taken
         * the connection off the queue) and may say EBADF. */
        fprintf(stderr, "SKIP descriptor exhaustion: valgrind emulates RLIMIT_NOFILE\n");
        return;
    }
    int64_t port;
    polysock_handle l = tu_listener(AF_INET, &port), c, conn;
    ck_assert_ps_ok(polysock_settimeout(l, 5.0)); /* never hang on accept */
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &c));
    polysock_addr to = tu_addr(AF_INET, "127.0.0.1", port), peer, mine;
    ck_assert_ps_ok(polysock_connect(c, &to)); /* now pending in l's backlog */
    int raw[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, raw), 0);
    polysock_stats start = stats_now();

    struct fd_hog hog;
    hog_take_all(&hog);
    const polysock_handle sentinel = 4242;
    polysock_handle h = sentinel, h2 = sentinel;
    ck_assert_ps(polysock_socket(AF_INET, SOCK_STREAM, 0, &h), -EMFILE);
    ck_assert_ps(polysock_accept(l, &h, &peer), -EMFILE);
    ck_assert_ps(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &h, &h2), -EMFILE);
    ck_assert_ps(polysock_fromfd(raw[0], AF_UNIX, SOCK_STREAM, 0, &h), -EMFILE);
    ck_assert_ps(polysock_poller_new(&h), -EMFILE);
    assert_live_counts(&start, "with no descriptor left");

    /* One left: a poller needs two (epoll and eventfd), so the first one it
     * got must be given back when the second is refused. */
    hog_give_back_one(&hog);
    int low = lowest_free_fd();
    ck_assert_ps(polysock_poller_new(&h), -EMFILE);
    ck_assert_ps(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &h, &h2), -EMFILE);
    ck_assert_int_eq(lowest_free_fd(), low);
    assert_live_counts(&start, "with one descriptor left");
    ck_assert_uint_eq(h, sentinel);
    ck_assert_uint_eq(h2, sentinel);
    ck_assert_int_ne(fcntl(raw[0], F_GETFD), -1); /* fromfd left it alone */

    /* Descriptors back: the refused accept left the connection queued. */
    hog_release(&hog);
    ck_assert_ps_ok(polysock_accept(l, &conn, &peer));
    ck_assert_ps_ok(polysock_getsockname(c, &mine));
    ck_assert_int_eq(peer.port, mine.port);
    size_t n = 0;
    char buf[4] = {0};
    ck_assert_ps_ok(polysock_settimeout(conn, 5.0));
    ck_assert_ps_ok(polysock_sendall(c, "back", 4, 0, &n));
    ck_assert_ps_ok(polysock_recv(conn, buf, sizeof buf, MSG_WAITALL, &n));
    ck_assert_uint_eq(n, 4);
    ck_assert_int_eq(memcmp(buf, "back", 4), 0);
    ck_assert_ps_ok(polysock_poller_new(&h));
    ck_assert_ps_ok(polysock_poller_close(h));
    polysock_handle all[] = {conn, c, l};
    close_all(all, 3);
    close(raw[0]);
    close(raw[1]);
}
END_TEST

/* ---- 3. every allocation of every allocating operation fails in turn ---- */

/* What an operation works on: made by setup with allocations allowed. */
struct op_ctx {
    polysock_handle l, c;
    polysock_handle a, b;
    int64_t port;
    int raw[2];
    char expected[POLYSOCK_HOST_MAX];
};

/* One public operation that allocates.  run() makes the call under test;
 * when it succeeds, run() checks the results and frees what the call
 * made, so that each round ends where it started. */
struct alloc_op {
    const char *name;
    int min_sites; /* allocations it is known to make, at least */
    void (*setup)(struct op_ctx *cx);
    int (*run)(struct op_ctx *cx);
    void (*teardown)(struct op_ctx *cx);
};

static void no_setup(struct op_ctx *cx) { (void)cx; }

static int op_socket(struct op_ctx *cx)
{
    polysock_handle s;
    int rc = polysock_socket(AF_INET6, SOCK_DGRAM, 0, &s);
    if (rc != 0)
        return rc;
    int family = 0;
    ck_assert_ps_ok(polysock_family(s, &family));
    ck_assert_int_eq(family, AF_INET6);
    return polysock_close(s);
}

static int op_socketpair(struct op_ctx *cx)
{
    polysock_handle a, b;
    int rc = polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b);
    if (rc != 0)
        return rc;
    size_t n = 0;
    char byte = 0;
    ck_assert_ps_ok(polysock_send(a, "p", 1, 0, &n));
    ck_assert_ps_ok(polysock_recv(b, &byte, 1, 0, &n));
    ck_assert_int_eq(byte, 'p');
    ck_assert_ps_ok(polysock_close(a));
    return polysock_close(b);
}

static void raw_pair(struct op_ctx *cx)
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, cx->raw), 0);
}

static void close_raw_pair(struct op_ctx *cx)
{
    /* Both still open: a refused fromfd must not close the caller's fd. */
    ck_assert_int_eq(close(cx->raw[0]), 0);
    ck_assert_int_eq(close(cx->raw[1]), 0);
}

static int op_fromfd(struct op_ctx *cx)
{
    polysock_handle s;
    int rc = polysock_fromfd(cx->raw[0], AF_UNIX, SOCK_STREAM, 0, &s);
    if (rc != 0)
        return rc;
    int fd = -1;
    ck_assert_ps_ok(polysock_fileno(s, &fd));
    ck_assert_int_ne(fd, cx->raw[0]);
    return polysock_close(s);
}

/* A listener with one connection waiting in its backlog. */
static void pending_connection(struct op_ctx *cx)
{
    cx->l = tu_listener(AF_INET, &cx->port);
    ck_assert_ps_ok(polysock_settimeout(cx->l, 5.0));
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &cx->c));
    polysock_addr to = tu_addr(AF_INET, "127.0.0.1", cx->port);
    ck_assert_ps_ok(polysock_connect(cx->c, &to));
}

/* A listener and a socket not yet connected to it. */
static void listener_and_client(struct op_ctx *cx)
{
    cx->l = tu_listener(AF_INET, &cx->port);
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &cx->c));
    ck_assert_ps_ok(polysock_settimeout(cx->c, 5.0));
}

static void close_listener_and_client(struct op_ctx *cx)
{
    polysock_handle all[] = {cx->c, cx->l};
    close_all(all, 2);
}

static int op_accept(struct op_ctx *cx)
{
    polysock_handle conn;
    polysock_addr peer, mine;
    int rc = polysock_accept(cx->l, &conn, &peer);
    if (rc != 0)
        return rc;
    ck_assert_ps_ok(polysock_getsockname(cx->c, &mine));
    ck_assert_int_eq(peer.port, mine.port);
    return polysock_close(conn);
}

/* connect keeps a copy of the host string (TLS verifies it). */
static int op_connect(struct op_ctx *cx)
{
    polysock_addr to = tu_addr(AF_INET, "localhost", cx->port), peer;
    int rc = polysock_connect(cx->c, &to);
    char host[64];
    ck_assert_ps_ok(polysock_connect_host(cx->c, host, sizeof host));
    if (rc != 0) {
        /* Refused before connecting: nothing changed. */
        ck_assert_str_eq(host, "");
        ck_assert_ps(polysock_getpeername(cx->c, &peer), -ENOTCONN);
        return rc;
    }
    ck_assert_str_eq(host, "localhost");
    ck_assert_ps_ok(polysock_getpeername(cx->c, &peer));
    ck_assert_int_eq(peer.port, cx->port);
    return 0;
}

/* getaddrinfo with every socket type: three entries, each a canonname. */
static int op_getaddrinfo(struct op_ctx *cx)
{
    polysock_handle list;
    int rc = polysock_getaddrinfo("localhost", "80", AF_INET, 0, 0, AI_CANONNAME, &list);
    if (rc != 0)
        return rc;
    size_t count = 0;
    ck_assert_ps_ok(polysock_addrinfo_count(list, &count));
    ck_assert_uint_ge(count, 1);
    for (size_t i = 0; i < count; i++) {
        int family, socktype, proto;
        char canon[POLYSOCK_HOST_MAX];
        polysock_addr addr;
        ck_assert_ps_ok(polysock_addrinfo_get(list, i, &family, &socktype, &proto, canon,
                                              sizeof canon, &addr));
        ck_assert_int_eq(family, AF_INET);
        ck_assert_str_eq(addr.host, "127.0.0.1");
        ck_assert_int_eq(addr.port, 80);
    }
    return polysock_list_free(list);
}

/* Walk a host entry: its name is expected, its first address is 127.0.0.1. */
static void check_hostent(polysock_handle h, const char *name)
{
    char out[POLYSOCK_HOST_MAX];
    size_t count = 0;
    ck_assert_ps_ok(polysock_hostent_name(h, out, sizeof out));
    ck_assert_str_eq(out, name);
    ck_assert_ps_ok(polysock_hostent_alias_count(h, &count));
    for (size_t i = 0; i < count; i++) {
        ck_assert_ps_ok(polysock_hostent_alias(h, i, out, sizeof out));
        ck_assert_uint_gt(strlen(out), 0);
    }
    ck_assert_ps_ok(polysock_hostent_addr_count(h, &count));
    ck_assert_uint_ge(count, 1);
    ck_assert_ps_ok(polysock_hostent_addr(h, 0, out, sizeof out));
    ck_assert_str_eq(out, "127.0.0.1");
}

/* The expected answers come from the same call made without failures. */
static void expect_name_of_loopback(struct op_ctx *cx)
{
    polysock_handle h;
    ck_assert_ps_ok(polysock_gethostbyaddr("127.0.0.1", &h));
    ck_assert_ps_ok(polysock_hostent_name(h, cx->expected, sizeof cx->expected));
    ck_assert_ps_ok(polysock_list_free(h));
}

static int op_gethostbyname_ex(struct op_ctx *cx)
{
    polysock_handle h;
    int rc = polysock_gethostbyname_ex("localhost", &h);
    if (rc != 0)
        return rc;
    check_hostent(h, "localhost");
    return polysock_list_free(h);
}

static int op_gethostbyaddr(struct op_ctx *cx)
{
    polysock_handle h;
    int rc = polysock_gethostbyaddr("127.0.0.1", &h);
    if (rc != 0)
        return rc;
    check_hostent(h, cx->expected);
    return polysock_list_free(h);
}

static void expect_fqdn_of_loopback(struct op_ctx *cx)
{
    ck_assert_ps_ok(polysock_getfqdn("127.0.0.1", cx->expected, sizeof cx->expected));
}

static int op_getfqdn(struct op_ctx *cx)
{
    char out[POLYSOCK_HOST_MAX];
    int rc = polysock_getfqdn("127.0.0.1", out, sizeof out);
    if (rc == 0)
        ck_assert_str_eq(out, cx->expected);
    return rc;
}

/* A socket pair whose first end has a byte to read. */
static void readable_pair(struct op_ctx *cx)
{
    size_t n = 0;
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &cx->a, &cx->b));
    ck_assert_ps_ok(polysock_send(cx->b, "e", 1, 0, &n));
}

static void close_pair(struct op_ctx *cx)
{
    polysock_handle all[] = {cx->a, cx->b};
    close_all(all, 2);
}

/* poller_new, then add and wait, which must not allocate at all. */
static int op_poller(struct op_ctx *cx)
{
    polysock_handle p;
    int rc = polysock_poller_new(&p);
    if (rc != 0)
        return rc;
    polysock_event ev[2];
    size_t n = 0;
    if ((rc = polysock_poller_add(p, cx->a, POLYSOCK_POLLIN)) == 0 &&
        (rc = polysock_poller_wait(p, ev, 2, 5.0, &n)) == 0) {
        ck_assert_uint_eq(n, 1);
        ck_assert_uint_eq(ev[0].handle, cx->a);
        ck_assert_uint_eq(ev[0].events, POLYSOCK_POLLIN);
    }
    ck_assert_ps_ok(polysock_poller_close(p));
    return rc;
}

static const struct alloc_op alloc_ops[] = {
    {"socket", 1, no_setup, op_socket, no_setup},
    {"socketpair", 2, no_setup, op_socketpair, no_setup},
    {"fromfd", 1, raw_pair, op_fromfd, close_raw_pair},
    {"accept", 1, pending_connection, op_accept, close_listener_and_client},
    {"connect", 1, listener_and_client, op_connect, close_listener_and_client},
    /* list, entry array, one canonname per entry */
    {"getaddrinfo", 3, no_setup, op_getaddrinfo, no_setup},
    /* list, lookup buffer, name, alias array, address array, one address */
    {"gethostbyname_ex", 6, no_setup, op_gethostbyname_ex, no_setup},
    {"gethostbyaddr", 6, expect_name_of_loopback, op_gethostbyaddr, no_setup},
    /* lookup buffer, name, alias array, address array, one address */
    {"getfqdn", 5, expect_fqdn_of_loopback, op_getfqdn, no_setup},
    {"poller", 1, readable_pair, op_poller, close_pair},
};

/* Fail allocation k of the operation for k = 0, 1, ... until a round
 * fails none: every failing round must return exactly -ENOMEM, and every
 * round, set up and torn down, must leave the live counts and the
 * descriptors as they were. */
START_TEST(test_each_allocation_of_each_operation_fails_cleanly_in_turn)
{
    const struct alloc_op *op = &alloc_ops[_i];
    struct op_ctx cx;
    /* One round without failures first, so that lasting lazy allocations
     * (the handle table) are not mistaken for leaks. */
    op->setup(&cx);
    ck_assert_ps_ok(op->run(&cx));
    op->teardown(&cx);
    int k;
    for (k = 0; k < 1000; k++) {
        polysock_stats before = stats_now();
        int fds = tu_open_fds();
        memset(&cx, 0, sizeof cx);
        op->setup(&cx);
        ck_assert_ps_ok(polysock_debug_fail_allocs(k, 1));
        int rc = op->run(&cx);
        ck_assert_ps_ok(polysock_debug_fail_allocs(0, 0));
        op->teardown(&cx);
        int64_t injected = stats_now().failed_allocs - before.failed_allocs;
        char when[96];
        snprintf(when, sizeof when, "%s failing allocation %d", op->name, k);
        assert_live_counts(&before, when);
        ck_assert_msg(tu_open_fds() == fds, "%s: %d descriptors open, expected %d", when,
                      tu_open_fds(), fds);
        if (injected == 0) {
            ck_assert_msg(rc == 0, "%s: nothing failed but the call gave %s", when,
                          polysock_errname(rc));
            break;
        }
        ck_assert_msg(rc == -ENOMEM, "%s: gave %s, expected -ENOMEM", when,
                      polysock_errname(rc));
    }
    ck_assert_msg(k >= op->min_sites, "%s: only %d allocation sites, expected %d or more",
                  op->name, k, op->min_sites);
    ck_assert_int_lt(k, 1000);
}
END_TEST

/* ---- 4. a resolver with nothing to answer ---- */

#define INVALID_NAME "no-such-host.polysock.invalid"

START_TEST(test_name_under_invalid_tld_is_eai_noname)
{
    polysock_handle l = 5;
    char out[64];
    int rc = polysock_getaddrinfo(INVALID_NAME, "80", AF_UNSPEC, SOCK_STREAM, 0, 0, &l);
    ck_assert_int_eq(polysock_errclass(rc), POLYSOCK_ERRCLASS_GAI);
    ck_assert_msg(polysock_errno(rc) == EAI_NONAME, "getaddrinfo gave %s", polysock_errname(rc));
    ck_assert_uint_eq(l, 5);
    rc = polysock_gethostbyname(INVALID_NAME, out, sizeof out);
    ck_assert_msg(polysock_errno(rc) == EAI_NONAME, "gethostbyname gave %s",
                  polysock_errname(rc));
    ck_assert_int_eq(polysock_errclass(rc), POLYSOCK_ERRCLASS_GAI);
}
END_TEST

/* One lookup the broken resolver must refuse, and how. */
enum lookup { LOOKUP_GETADDRINFO, LOOKUP_GETHOSTBYNAME, LOOKUP_GETHOSTBYNAME_EX, LOOKUP_CONNECT };

struct failing_lookup {
    enum lookup how;
    const char *name;
};

/* Failures found in the child, sent to the parent through a pipe. */
struct report {
    int fd;
    int failures;
};

static void report_failure(struct report *r, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (n > (int)sizeof msg - 1)
        n = (int)sizeof msg - 1; /* the message was cut: keep room for the newline */
    msg[n++] = '\n';
    (void)!write(r->fd, msg, (size_t)n);
    r->failures++;
}

/* A failed resolution: what the resolver may say when it has no answer. */
static bool unresolved_gai(int rc)
{
    int e = polysock_errno(rc);
    return polysock_errclass(rc) == POLYSOCK_ERRCLASS_GAI &&
           (e == EAI_NONAME || e == EAI_AGAIN || e == EAI_FAIL || e == EAI_NODATA);
}

static bool unresolved_herror(int rc)
{
    int e = polysock_errno(rc);
    return polysock_errclass(rc) == POLYSOCK_ERRCLASS_HERROR &&
           (e == HOST_NOT_FOUND || e == TRY_AGAIN || e == NO_RECOVERY || e == NO_DATA);
}

static void check_lookup_fails(struct report *r, const struct failing_lookup *f)
{
    polysock_handle h = 5;
    char out[64];
    int rc;
    bool ok;
    switch (f->how) {
    case LOOKUP_GETADDRINFO:
        rc = polysock_getaddrinfo(f->name, "80", AF_UNSPEC, SOCK_STREAM, 0, 0, &h);
        ok = unresolved_gai(rc) && h == 5;
        break;
    case LOOKUP_GETHOSTBYNAME:
        rc = polysock_gethostbyname(f->name, out, sizeof out);
        ok = unresolved_gai(rc);
        break;
    case LOOKUP_GETHOSTBYNAME_EX:
        rc = polysock_gethostbyname_ex(f->name, &h);
        ok = unresolved_herror(rc) && h == 5;
        break;
    default: {
        polysock_addr to;
        polysock_addr_set(&to, AF_INET, f->name, 80);
        if ((rc = polysock_socket(AF_INET, SOCK_STREAM, 0, &h)) == 0) {
            rc = polysock_connect(h, &to);
            polysock_close(h);
        }
        ok = unresolved_gai(rc);
    }
    }
    if (!ok)
        report_failure(r, "lookup %d of \"%s\" gave %s (%d)", (int)f->how, f->name,
                       polysock_errname(rc), rc);
}

/* Replace path by a bind mount of a file holding text. */
static int mount_file_over(const char *dir, const char *name, const char *text,
                           const char *path)
{
    char file[256];
    snprintf(file, sizeof file, "%s/%s", dir, name);
    FILE *f = fopen(file, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
        return -1;
    return mount(file, path, "none", MS_BIND, NULL);
}

/* Exit codes of the child. */
enum { CHILD_OK = 0, CHILD_FAILED = 1, CHILD_NOT_PERMITTED = 2 };

/* In the child: a private mount namespace where /etc/hosts is empty,
 * /etc/resolv.conf holds `resolv`, and nsswitch asks only files and DNS
 * (no myhostname or mDNS that would answer "localhost" anyway). */
static int run_without_names(struct report *r, const char *dir, const char *resolv,
                             const struct failing_lookup *lookups, size_t n)
{
    if (unshare(CLONE_NEWNS) != 0) {
        report_failure(r, "unshare(CLONE_NEWNS): %s", strerror(errno));
        return CHILD_NOT_PERMITTED;
    }
    if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", dir, "tmpfs", 0, "size=64k") != 0 ||
        mount_file_over(dir, "hosts", "", "/etc/hosts") != 0 ||
        mount_file_over(dir, "resolv.conf", resolv, "/etc/resolv.conf") != 0 ||
        mount_file_over(dir, "nsswitch.conf", "hosts: files dns\n", "/etc/nsswitch.conf") != 0) {
        report_failure(r, "mount: %s", strerror(errno));
        return CHILD_NOT_PERMITTED;
    }
    /* Numeric addresses need no resolver: the module still works.  (This
     * also grows the handle table, which is not a leak of what follows.) */
    polysock_handle list;
    int rc = polysock_getaddrinfo("127.0.0.1", "80", AF_INET, SOCK_STREAM, 0, 0, &list);
    if (rc != 0)
        report_failure(r, "numeric getaddrinfo gave %s", polysock_errname(rc));
    else
        polysock_list_free(list);
    polysock_stats start;
    polysock_get_stats(&start);
    for (size_t i = 0; i < n; i++)
        check_lookup_fails(r, &lookups[i]);
    polysock_stats end;
    polysock_get_stats(&end);
    if (end.live_handles != start.live_handles || end.live_bytes != start.live_bytes)
        report_failure(r, "failed lookups leaked: handles %lld -> %lld, bytes %lld -> %lld",
                       (long long)start.live_handles, (long long)end.live_handles,
                       (long long)start.live_bytes, (long long)end.live_bytes);
    return r->failures == 0 ? CHILD_OK : CHILD_FAILED;
}

/* Run the lookups in a child with the name service taken away.  Mount
 * namespaces need CAP_SYS_ADMIN: without it the test is skipped (logged),
 * unless POLYSOCK_REQUIRE_ALL=1 makes that a failure. */
static void expect_lookups_to_fail(const char *resolv, const struct failing_lookup *lookups,
                                   size_t n)
{
    char dir[] = "/tmp/polysock-faults-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(p[0]);
        struct report r = {.fd = p[1], .failures = 0};
        _exit(run_without_names(&r, dir, resolv, lookups, n));
    }
    close(p[1]);
    char msg[2048];
    size_t len = 0;
    ssize_t got;
    while (len < sizeof msg - 1 && (got = read(p[0], msg + len, sizeof msg - 1 - len)) != 0) {
        ck_assert_msg(got > 0 || errno == EINTR, "reading the child's report: %s",
                      strerror(errno));
        len += got > 0 ? (size_t)got : 0;
    }
    while (len > 0 && msg[len - 1] == '\n')
        len--;
    msg[len] = '\0';
    close(p[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    rmdir(dir);
    ck_assert_msg(WIFEXITED(status), "resolver child died (status %#x)", status);
    if (WEXITSTATUS(status) == CHILD_NOT_PERMITTED) {
        const char *require = getenv("POLYSOCK_REQUIRE_ALL");
        ck_assert_msg(require == NULL || strcmp(require, "1") != 0,
                      "cannot take the resolver away: %s (POLYSOCK_REQUIRE_ALL=1)", msg);
        fprintf(stderr, "SKIP resolver fault test: %s (needs CAP_SYS_ADMIN)\n", msg);
        return;
    }
    ck_assert_msg(WEXITSTATUS(status) == CHILD_OK, "with no name service (exit %d): %s",
                  WEXITSTATUS(status), msg);
}

static const struct failing_lookup every_lookup[] = {
    {LOOKUP_GETADDRINFO, "localhost"},
    {LOOKUP_GETADDRINFO, "made-up-host-name"},
    {LOOKUP_GETHOSTBYNAME, "localhost"},
    {LOOKUP_GETHOSTBYNAME, "made-up-host-name"},
    {LOOKUP_GETHOSTBYNAME_EX, "localhost"},
    {LOOKUP_GETHOSTBYNAME_EX, "made-up-host-name"},
    {LOOKUP_CONNECT, "localhost"},
};

START_TEST(test_without_hosts_file_or_nameserver_lookups_fail_with_their_class)
{
    expect_lookups_to_fail("", every_lookup, sizeof every_lookup / sizeof every_lookup[0]);
}
END_TEST

/* A nameserver that never answers (TEST-NET-1): one short attempt each. */
START_TEST(test_unanswering_nameserver_makes_lookups_fail_with_their_class)
{
    static const struct failing_lookup some[] = {
        {LOOKUP_GETADDRINFO, "made-up-host-name"},
        {LOOKUP_GETHOSTBYNAME_EX, "localhost"},
    };
    expect_lookups_to_fail("nameserver 192.0.2.1\noptions timeout:1 attempts:1\n", some,
                           sizeof some / sizeof some[0]);
}
END_TEST

/* ---- 5. signals in bursts during every blocking call ---- */

/* A helper thread sends SIGUSR1 to the thread under test in bursts (a few
 * at once, then a short pause) until told to stop.  The handler returns,
 * and is installed without SA_RESTART, so the blocked syscall sees EINTR. */
static atomic_int signals_caught;

static void count_signal(int sig)
{
    (void)sig;
    atomic_fetch_add(&signals_caught, 1);
}

struct burster {
    pthread_t target;
    atomic_bool stop;
    pthread_t thread;
    struct sigaction old;
};

static void *burster_main(void *arg)
{
    struct burster *b = arg;
    while (!atomic_load(&b->stop)) {
        for (int i = 0; i < 5; i++)
            pthread_kill(b->target, SIGUSR1);
        sleep_s(0.01);
    }
    return NULL;
}

static void bursts_start(struct burster *b)
{
    catch_signal(SIGUSR1, count_signal, &b->old);
    atomic_store(&signals_caught, 0);
    atomic_store(&b->stop, false);
    b->target = pthread_self();
    ck_assert_int_eq(pthread_create(&b->thread, NULL, burster_main, b), 0);
}

static void bursts_stop(struct burster *b)
{
    atomic_store(&b->stop, true);
    ck_assert_int_eq(pthread_join(b->thread, NULL), 0);
    /* A signal of the last burst may still be pending: take it while the
     * handler is ours, since SIGUSR1's default action ends the process. */
    sigset_t usr1, mask;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &usr1, &mask), 0);
    struct timespec now = {0, 0};
    while (sigtimedwait(&usr1, NULL, &now) == SIGUSR1)
        ;
    ck_assert_int_eq(sigaction(SIGUSR1, &b->old, NULL), 0);
    ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, &mask, NULL), 0);
}

#define CALL_TIMEOUT 0.5

/* What the blocking calls below work on: every one of them waits. */
struct blocked {
    polysock_handle c, s;     /* a connected pair: nothing to read, no room to send */
    polysock_handle l;        /* a listener, nothing pending */
    polysock_handle full;     /* a listener with a full backlog */
    polysock_handle fillers[16];
    size_t nfill;
    int64_t full_port;
    polysock_handle connecting; /* a socket to connect to `full` */
    polysock_handle poller;   /* watches c, which never becomes readable */
    char *big;
};

enum blocking_call { CALL_RECV, CALL_ACCEPT, CALL_CONNECT, CALL_SENDALL, CALL_POLLER_WAIT,
                     CALL_GETADDRINFO, CALL_COUNT };
static const char *const call_names[] = {"recv", "accept", "connect", "sendall",
                                          "poller_wait", "getaddrinfo"};

#define BIG_SEND ((size_t)64 << 20)

/* Send from s until the kernel takes no more, so that the next send must
 * wait (peer never reads).  Fixed small buffers: an auto-tuned receive
 * buffer would keep taking data from a slow (valgrind) sender. */
static void fill_send_buffers(polysock_handle s, polysock_handle peer)
{
    static char chunk[65536];
    size_t n = 0;
    int rc;
    ck_assert_ps_ok(polysock_setsockopt_int(s, SOL_SOCKET, SO_SNDBUF, 65536));
    ck_assert_ps_ok(polysock_setsockopt_int(peer, SOL_SOCKET, SO_RCVBUF, 65536));
    ck_assert_ps_ok(polysock_setblocking(s, 0));
    while ((rc = polysock_send(s, chunk, sizeof chunk, 0, &n)) == 0)
        ;
    ck_assert_ps(rc, -EAGAIN);
}

static void blocked_setup(struct blocked *b)
{
    int64_t port;
    tu_tcp_pair(AF_INET, &b->c, &b->s);
    b->l = tu_listener(AF_INET, &port);
    b->full = tu_full_listener(&b->full_port, b->fillers, 16, &b->nfill);
    fill_send_buffers(b->c, b->s);
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &b->connecting));
    ck_assert_ps_ok(polysock_poller_new(&b->poller));
    ck_assert_ps_ok(polysock_poller_add(b->poller, b->c, POLYSOCK_POLLIN));
    polysock_handle timed[] = {b->c, b->l, b->connecting};
    for (size_t i = 0; i < 3; i++)
        ck_assert_ps_ok(polysock_settimeout(timed[i], CALL_TIMEOUT));
    b->big = calloc(1, BIG_SEND);
    ck_assert_ptr_nonnull(b->big);
}

static void blocked_teardown(struct blocked *b)
{
    free(b->big);
    ck_assert_ps_ok(polysock_poller_close(b->poller));
    close_all(b->fillers, b->nfill);
    polysock_handle all[] = {b->c, b->s, b->l, b->full, b->connecting};
    close_all(all, 5);
}

/* Make one call; *progress gets what it reports besides its code (bytes
 * sent, events or entries found). */
static int make_call(struct blocked *b, enum blocking_call call, size_t *progress)
{
    char buf[16];
    polysock_handle h = 0;
    polysock_addr addr;
    polysock_event ev[4];
    int rc;
    *progress = 0;
    switch (call) {
    case CALL_RECV:
        return polysock_recv(b->c, buf, sizeof buf, 0, progress);
    case CALL_ACCEPT:
        rc = polysock_accept(b->l, &h, &addr);
        if (rc == 0)
            polysock_close(h);
        return rc;
    case CALL_CONNECT:
        addr = tu_addr(AF_INET, "127.0.0.1", b->full_port);
        return polysock_connect(b->connecting, &addr);
    case CALL_SENDALL:
        return polysock_sendall(b->c, b->big, BIG_SEND, 0, progress);
    case CALL_POLLER_WAIT:
        return polysock_poller_wait(b->poller, ev, 4, CALL_TIMEOUT, progress);
    default:
        rc = polysock_getaddrinfo("localhost", "80", AF_INET, SOCK_STREAM, 0, 0, &h);
        if (rc == 0) {
            ck_assert_ps_ok(polysock_addrinfo_count(h, progress));
            ck_assert_ps_ok(polysock_list_free(h));
        }
        return rc;
    }
}

/* Retry mode: each call ends at its deadline as if no signal had come (the
 * poller reports a timeout as no events); getaddrinfo just answers. */
START_TEST(test_signal_bursts_neither_cut_nor_extend_a_timeout)
{
    enum blocking_call call = (enum blocking_call)_i;
    struct blocked b;
    blocked_setup(&b);
    struct burster burst;
    bursts_start(&burst);
    size_t progress = 0;
    double t0 = tu_now();
    int rc = make_call(&b, call, &progress);
    double elapsed = tu_now() - t0;
    int caught = atomic_load(&signals_caught);
    bursts_stop(&burst);
    const char *name = call_names[call];
    if (call == CALL_GETADDRINFO) {
        ck_assert_msg(rc == 0, "getaddrinfo under signals gave %s", polysock_errname(rc));
        ck_assert_uint_ge(progress, 1);
    } else if (call == CALL_POLLER_WAIT) {
        ck_assert_ps_ok(rc);
        ck_assert_uint_eq(progress, 0);
    } else {
        ck_assert_msg(rc == POLYSOCK_ETIMEOUT, "%s under signals gave %s", name,
                      polysock_errname(rc));
    }
    if (call == CALL_SENDALL) /* the peer's buffers were full already */
        ck_assert_uint_lt(progress, BIG_SEND);
    if (call != CALL_GETADDRINFO) {
        /* The deadline held: not cut short by a signal, not restarted by
         * one (bursts every 10 ms would push a restarted timeout far out). */
        double late = tu_under_valgrind() ? 5.0 : 1.5;
        ck_assert_msg(elapsed >= CALL_TIMEOUT - 0.05 && elapsed <= late,
                      "%s took %.3f s for a %.1f s timeout", name, elapsed, CALL_TIMEOUT);
        ck_assert_msg(caught >= 5, "%s: only %d signals landed", name, caught);
    }
    blocked_teardown(&b);
}
END_TEST

/* Interrupt mode: the first signal ends the call with -EINTR, well before
 * its deadline. */
START_TEST(test_signal_bursts_in_interrupt_mode_give_eintr_promptly)
{
    enum blocking_call call = (enum blocking_call)_i;
    struct blocked b;
    blocked_setup(&b);
    ck_assert_ps_ok(polysock_set_interrupt_mode(1));
    struct burster burst;
    bursts_start(&burst);
    size_t progress = 0;
    double t0 = tu_now();
    int rc = make_call(&b, call, &progress);
    double elapsed = tu_now() - t0;
    bursts_stop(&burst);
    ck_assert_ps_ok(polysock_set_interrupt_mode(0));
    const char *name = call_names[call];
    if (call == CALL_GETADDRINFO) {
        /* The libc resolver retries internally: it just answers. */
        ck_assert_msg(rc == 0, "getaddrinfo under signals gave %s", polysock_errname(rc));
        ck_assert_uint_ge(progress, 1);
    } else if (call == CALL_SENDALL && tu_under_valgrind() && rc == POLYSOCK_ETIMEOUT) {
        /* Under valgrind the kernel keeps taking a few bytes at a time and
         * signals land between the sends rather than in poll; the normal
         * and sanitizer builds hold this case to -EINTR. */
        fprintf(stderr, "SKIP sendall in interrupt mode under valgrind: no signal hit poll\n");
    } else {
        ck_assert_msg(rc == -EINTR, "%s in interrupt mode gave %s after %.3f s (progress %zu)",
                      name, polysock_errname(rc), elapsed, progress);
        ck_assert_msg(elapsed < CALL_TIMEOUT - 0.1, "%s returned EINTR after %.3f s", name,
                      elapsed);
    }
    blocked_teardown(&b);
}
END_TEST

Suite *faults_suite(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("reset");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_peer_reset_under_blocked_recv_gives_econnreset);
    tcase_add_test(tc, test_peer_reset_under_sendall_reports_count_without_sigpipe);
    suite_add_tcase(s, tc);

    tc = tcase_create("descriptors");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_descriptor_exhaustion_gives_emfile_then_recovers);
    suite_add_tcase(s, tc);

    tc = tcase_create("alloc");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_each_allocation_of_each_operation_fails_cleanly_in_turn, 0,
                        (int)(sizeof alloc_ops / sizeof alloc_ops[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("resolver");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_name_under_invalid_tld_is_eai_noname);
    tcase_add_test(tc, test_without_hosts_file_or_nameserver_lookups_fail_with_their_class);
    tcase_add_test(tc, test_unanswering_nameserver_makes_lookups_fail_with_their_class);
    suite_add_tcase(s, tc);

    tc = tcase_create("signals");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_signal_bursts_neither_cut_nor_extend_a_timeout, 0, CALL_COUNT);
    tcase_add_loop_test(tc, test_signal_bursts_in_interrupt_mode_give_eintr_promptly, 0,
                        CALL_COUNT);
    suite_add_tcase(s, tc);
    return s;
}
