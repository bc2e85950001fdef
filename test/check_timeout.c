/* check_timeout.c - the three socket modes (blocking, non-blocking,
 * timeout), the default timeout, deadlines of sendall, and calls
 * interrupted by signals (retried, or returned in interrupt mode and
 * resumed with their deadline kept). */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "suites.h"
#include "testutil.h"

/* ---- helpers ---- */

static double timeout_of(polysock_handle s)
{
    double t = -99.0;
    ck_assert_ps_ok(polysock_gettimeout(s, &t));
    return t;
}

static void sleep_s(double seconds)
{
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    /* Signals may cut a sleep short; resume with what is left. */
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void close_all(const polysock_handle *h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_ps_ok(polysock_close(h[i]));
}

/* Signals: SIGALRM without SA_RESTART, so every blocking syscall in the
 * library sees EINTR when one lands. */
static volatile sig_atomic_t alarms;
static volatile double first_alarm_at;

static void on_alarm(int sig)
{
    if (alarms == 0)
        first_alarm_at = tu_now();
    alarms++;
}

static void start_alarms(double first, double interval)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
    alarms = 0;
    first_alarm_at = 0;
    struct itimerval it;
    it.it_value.tv_sec = (time_t)first;
    it.it_value.tv_usec = (suseconds_t)((first - (double)(time_t)first) * 1e6);
    it.it_interval.tv_sec = 0;
    it.it_interval.tv_usec = (suseconds_t)(interval * 1e6);
    ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
}

static void stop_alarms(void)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
    ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
}

/* Helper threads block SIGALRM so that every alarm lands on the thread
 * under test. */
static pthread_t spawn_without_alarms(void *(*fn)(void *), void *arg)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &block, &old), 0);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, fn, arg), 0);
    ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
    return t;
}

struct late_sender {
    polysock_handle sock;
    double delay;
    int rc;
};

static void *late_sender_main(void *arg)
{
    struct late_sender *ls = arg;
    sleep_s(ls->delay);
    size_t n = 0;
    ls->rc = polysock_sendall(ls->sock, "late", 4, 0, &n);
    return NULL;
}

/* ---- default timeout and modes ---- */

START_TEST(test_default_timeout_starts_none_and_applies_to_new_sockets)
{
    double t = 0;
    ck_assert_ps_ok(polysock_getdefaulttimeout(&t));
    ck_assert(t == POLYSOCK_TIMEOUT_NONE);
    int64_t port;
    polysock_handle l = tu_listener(AF_INET, &port);
    ck_assert(timeout_of(l) == POLYSOCK_TIMEOUT_NONE);
    ck_assert_ps_ok(polysock_setdefaulttimeout(0.5));
    ck_assert_ps_ok(polysock_getdefaulttimeout(&t));
    ck_assert_double_eq_tol(t, 0.5, 1e-9);
    polysock_handle s, conn;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &s));
    ck_assert_double_eq_tol(timeout_of(s), 0.5, 1e-9);
    ck_assert(timeout_of(l) == POLYSOCK_TIMEOUT_NONE); /* existing: unchanged */
    polysock_addr to = tu_addr(AF_INET, "127.0.0.1", port), peer;
    ck_assert_ps_ok(polysock_connect(s, &to));
    ck_assert_ps_ok(polysock_accept(l, &conn, &peer));
    ck_assert_double_eq_tol(timeout_of(conn), 0.5, 1e-9); /* accepted: default */
    ck_assert_ps_ok(polysock_setdefaulttimeout(POLYSOCK_TIMEOUT_NONE));
    ck_assert_ps_ok(polysock_getdefaulttimeout(&t));
    ck_assert(t == POLYSOCK_TIMEOUT_NONE);
    polysock_handle s2;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &s2));
    ck_assert(timeout_of(s2) == POLYSOCK_TIMEOUT_NONE);
    polysock_handle all[] = {l, s, conn, s2};
    close_all(all, 4);
}
END_TEST

START_TEST(test_setdefaulttimeout_refuses_negative_nan_and_huge_values)
{
    int rc = polysock_setdefaulttimeout(-0.5);
    ck_assert_ps(rc, POLYSOCK_ETIMEOUTVAL);
    ck_assert_int_eq(polysock_errclass(rc), POLYSOCK_ERRCLASS_VALUE);
    ck_assert_ps(polysock_setdefaulttimeout(NAN), POLYSOCK_ETIMEOUTVAL);
    ck_assert_ps(polysock_setdefaulttimeout(1e300), POLYSOCK_ERANGE);
    double t = 0;
    ck_assert_ps_ok(polysock_getdefaulttimeout(&t));
    ck_assert(t == POLYSOCK_TIMEOUT_NONE); /* refused values change nothing */
}
END_TEST

START_TEST(test_setblocking_equals_settimeout_zero_and_none)
{
    polysock_handle s;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &s));
    ck_assert_ps_ok(polysock_setblocking(s, 0));
    ck_assert(timeout_of(s) == 0.0);
    ck_assert_ps_ok(polysock_setblocking(s, 1));
    ck_assert(timeout_of(s) == POLYSOCK_TIMEOUT_NONE);
    ck_assert_ps_ok(polysock_settimeout(s, 0.0));
    ck_assert(timeout_of(s) == 0.0);
    ck_assert_ps_ok(polysock_settimeout(s, 2.5));
    ck_assert_double_eq_tol(timeout_of(s), 2.5, 1e-9);
    ck_assert_ps_ok(polysock_setblocking(s, 7)); /* any nonzero flag */
    ck_assert(timeout_of(s) == POLYSOCK_TIMEOUT_NONE);
    ck_assert_ps_ok(polysock_settimeout(s, POLYSOCK_TIMEOUT_NONE));
    ck_assert(timeout_of(s) == POLYSOCK_TIMEOUT_NONE);
    ck_assert_ps_ok(polysock_close(s));
}
END_TEST

START_TEST(test_settimeout_refuses_negative_and_nan)
{
    polysock_handle s;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &s));
    ck_assert_ps_ok(polysock_settimeout(s, 1.5));
    int rc = polysock_settimeout(s, -0.5);
    ck_assert_ps(rc, POLYSOCK_ETIMEOUTVAL);
    ck_assert_int_eq(polysock_errclass(rc), POLYSOCK_ERRCLASS_VALUE);
    ck_assert_ps(polysock_settimeout(s, NAN), POLYSOCK_ETIMEOUTVAL);
    ck_assert_ps(polysock_settimeout(s, -2.0), POLYSOCK_ETIMEOUTVAL);
    ck_assert_ps(polysock_settimeout(s, 1e300), POLYSOCK_ERANGE);
    ck_assert_double_eq_tol(timeout_of(s), 1.5, 1e-9);
    ck_assert_ps_ok(polysock_close(s));
}
END_TEST

/* ---- non-blocking mode ---- */

START_TEST(test_nonblocking_recv_without_data_returns_eagain_immediately)
{
    polysock_handle a, b;
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b));
    ck_assert_ps_ok(polysock_setblocking(a, 0));
    char buf[8];
    size_t n = 42;
    double t0 = tu_now();
    int rc = polysock_recv(a, buf, sizeof buf, 0, &n);
    ck_assert_ps(rc, -EAGAIN);
    ck_assert_int_eq(polysock_errclass(rc), POLYSOCK_ERRCLASS_OS);
    ck_assert_double_lt(tu_now() - t0, 0.5);
    ck_assert_uint_eq(n, 42);
    polysock_handle conn;
    polysock_addr peer;
    int64_t port;
    polysock_handle l = tu_listener(AF_INET, &port);
    ck_assert_ps_ok(polysock_setblocking(l, 0));
    ck_assert_ps(polysock_accept(l, &conn, &peer), -EAGAIN);
    polysock_handle all[] = {a, b, l};
    close_all(all, 3);
}
END_TEST

START_TEST(test_nonblocking_connect_returns_einprogress_then_connects)
{
    int64_t port;
    polysock_handle l = tu_listener(AF_INET, &port);
    polysock_handle c, conn;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &c));
    ck_assert_ps_ok(polysock_setblocking(c, 0));
    polysock_addr to = tu_addr(AF_INET, "127.0.0.1", port), peer, name;
    ck_assert_ps(polysock_connect(c, &to), -EINPROGRESS);
    int fd = -1;
    ck_assert_ps_ok(polysock_fileno(c, &fd));
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    ck_assert_int_eq(poll(&p, 1, 5000), 1);
    ck_assert(p.revents & POLLOUT);
    int soerr = -1;
    ck_assert_ps_ok(polysock_getsockopt_int(c, SOL_SOCKET, SO_ERROR, &soerr));
    ck_assert_int_eq(soerr, 0);
    ck_assert_ps_ok(polysock_getpeername(c, &name));
    ck_assert_int_eq(name.port, port);
    /* Linux: the first connect after completion reports it (0), later
     * ones say EISCONN. */
    int err = -1;
    ck_assert_ps_ok(polysock_connect_ex(c, &to, &err));
    ck_assert_msg(err == 0 || err == EISCONN, "connect_ex gave errno %d", err);
    ck_assert_ps_ok(polysock_connect_ex(c, &to, &err));
    ck_assert_int_eq(err, EISCONN);
    ck_assert_ps_ok(polysock_accept(l, &conn, &peer));
    polysock_handle all[] = {l, c, conn};
    close_all(all, 3);
}
END_TEST

/* ---- timeout mode ---- */

START_TEST(test_timeout_recv_fails_with_timeout_after_deadline)
{
    polysock_handle a, b;
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b));
    ck_assert_ps_ok(polysock_settimeout(a, 0.2));
    char buf[8];
    size_t n = 42;
    double t0 = tu_now();
    int rc = polysock_recv(a, buf, sizeof buf, 0, &n);
    double elapsed = tu_now() - t0;
    ck_assert_ps(rc, POLYSOCK_ETIMEOUT);
    ck_assert_double_ge(elapsed, 0.19);
    ck_assert_double_lt(elapsed, 5.0);
    ck_assert_uint_eq(n, 42);
    ck_assert_int_eq(polysock_errclass(rc), POLYSOCK_ERRCLASS_TIMEOUT);
    ck_assert_str_eq(polysock_errname(rc), "ETIMEDOUT");
    ck_assert_int_eq(polysock_errno(rc), ETIMEDOUT);
    polysock_handle all[] = {a, b};
    close_all(all, 2);
}
END_TEST

START_TEST(test_timeout_recv_returns_data_arriving_before_deadline)
{
    polysock_handle a, b;
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b));
    ck_assert_ps_ok(polysock_settimeout(a, 3.0));
    struct late_sender ls = {.sock = b, .delay = 0.1};
    pthread_t t = spawn_without_alarms(late_sender_main, &ls);
    char buf[8];
    size_t n = 0;
    ck_assert_ps_ok(polysock_recv(a, buf, sizeof buf, 0, &n));
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_ps_ok(ls.rc);
    ck_assert_uint_eq(n, 4);
    ck_assert_mem_eq(buf, "late", 4);
    polysock_handle all[] = {a, b};
    close_all(all, 2);
}
END_TEST

START_TEST(test_timeout_accept_fails_with_timeout_after_deadline)
{
    int64_t port;
    polysock_handle l = tu_listener(AF_INET, &port);
    ck_assert_ps_ok(polysock_settimeout(l, 0.2));
    polysock_handle conn = 99;
    polysock_addr peer;
    double t0 = tu_now();
    ck_assert_ps(polysock_accept(l, &conn, &peer), POLYSOCK_ETIMEOUT);
    double elapsed = tu_now() - t0;
    ck_assert_double_ge(elapsed, 0.19);
    ck_assert_double_lt(elapsed, 5.0);
    ck_assert_uint_eq(conn, 99);
    ck_assert_ps_ok(polysock_close(l));
}
END_TEST

START_TEST(test_timeout_connect_to_full_backlog_times_out)
{
    int64_t port;
    polysock_handle fillers[16];
    size_t nfill = 0;
    polysock_handle l = tu_full_listener(&port, fillers, 16, &nfill);
    polysock_addr to = tu_addr(AF_INET, "127.0.0.1", port);
    polysock_handle c, c2;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &c));
    ck_assert_ps_ok(polysock_settimeout(c, 0.3));
    double t0 = tu_now();
    ck_assert_ps(polysock_connect(c, &to), POLYSOCK_ETIMEOUT);
    double elapsed = tu_now() - t0;
    ck_assert_double_ge(elapsed, 0.29);
    ck_assert_double_lt(elapsed, 5.0);
    /* connect_ex reports the same timeout as errno ETIMEDOUT. */
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &c2));
    ck_assert_ps_ok(polysock_settimeout(c2, 0.3));
    int err = -1;
    ck_assert_ps_ok(polysock_connect_ex(c2, &to, &err));
    ck_assert_int_eq(err, ETIMEDOUT);
    close_all(fillers, nfill);
    polysock_handle all[] = {l, c, c2};
    close_all(all, 3);
}
END_TEST

/* ---- sendall: one deadline for the whole buffer ---- */

#define HUGE_LEN ((size_t)64 << 20)

static void check_sendall_timeout(polysock_handle c, const char *what)
{
    char *big = calloc(1, HUGE_LEN);
    ck_assert_ptr_nonnull(big);
    ck_assert_ps_ok(polysock_settimeout(c, 0.5));
    size_t nsent = 0;
    double t0 = tu_now();
    int rc = polysock_sendall(c, big, HUGE_LEN, 0, &nsent);
    double elapsed = tu_now() - t0;
    free(big);
    ck_assert_msg(rc == POLYSOCK_ETIMEOUT, "%s: sendall gave %s", what,
                  polysock_errname(rc));
    ck_assert_uint_gt(nsent, 0);
    ck_assert_uint_lt(nsent, HUGE_LEN);
    ck_assert_double_ge(elapsed, 0.49);
    ck_assert_msg(elapsed < 2.0, "%s: sendall took %.2f s for a 0.5 s timeout",
                  what, elapsed);
}

START_TEST(test_sendall_timeout_against_idle_peer_reports_partial_count)
{
    polysock_handle c, s;
    tu_tcp_pair(AF_INET, &c, &s);
    check_sendall_timeout(c, "idle peer");
    polysock_handle all[] = {c, s};
    close_all(all, 2);
}
END_TEST

struct slow_reader {
    polysock_handle sock;
    atomic_int stop;
    size_t total;
};

/* Drains a little at a time, so a sender whose timeout restarted with
 * every chunk would never time out. */
static void *slow_reader_main(void *arg)
{
    struct slow_reader *r = arg;
    static char buf[256 * 1024];
    while (!atomic_load(&r->stop)) {
        size_t n = 0;
        if (polysock_recv(r->sock, buf, sizeof buf, 0, &n) == 0)
            r->total += n;
        sleep_s(0.05);
    }
    return NULL;
}

START_TEST(test_sendall_timeout_is_one_deadline_not_one_per_chunk)
{
    polysock_handle c, s;
    tu_tcp_pair(AF_INET, &c, &s);
    ck_assert_ps_ok(polysock_settimeout(s, 0.05));
    struct slow_reader r = {.sock = s};
    atomic_init(&r.stop, 0);
    pthread_t t = spawn_without_alarms(slow_reader_main, &r);
    check_sendall_timeout(c, "slow reader");
    atomic_store(&r.stop, 1);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_uint_gt(r.total, 0);
    polysock_handle all[] = {c, s};
    close_all(all, 2);
}
END_TEST

/* ---- interrupted calls, default mode: retried, deadline kept ---- */

START_TEST(test_blocking_recv_is_retried_across_signals_and_gets_late_data)
{
    polysock_handle a, b;
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b));
    ck_assert_int_eq(polysock_get_interrupt_mode(), 0);
    struct late_sender ls = {.sock = b, .delay = 0.3};
    pthread_t t = spawn_without_alarms(late_sender_main, &ls);
    start_alarms(0.02, 0.02);
    char buf[8];
    size_t n = 0;
    double t0 = tu_now();
    int rc = polysock_recv(a, buf, sizeof buf, 0, &n);
    double elapsed = tu_now() - t0;
    stop_alarms();
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_ps_ok(rc);
    ck_assert_uint_eq(n, 4);
    ck_assert_mem_eq(buf, "late", 4);
    ck_assert_double_ge(elapsed, 0.25);
    ck_assert_int_ge(alarms, 3); /* the call really was interrupted */
    polysock_handle all[] = {a, b};
    close_all(all, 2);
}
END_TEST

START_TEST(test_timeout_recv_keeps_deadline_across_signals)
{
    polysock_handle a, b;
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b));
    ck_assert_ps_ok(polysock_settimeout(a, 0.5));
    start_alarms(0.02, 0.02);
    char buf[8];
    size_t n = 0;
    double t0 = tu_now();
    int rc = polysock_recv(a, buf, sizeof buf, 0, &n);
    double elapsed = tu_now() - t0;
    stop_alarms();
    ck_assert_ps(rc, POLYSOCK_ETIMEOUT);
    ck_assert_double_ge(elapsed, 0.49);
    ck_assert_double_lt(elapsed, 2.0);
    ck_assert_int_ge(alarms, 5);
    polysock_handle all[] = {a, b};
    close_all(all, 2);
}
END_TEST

struct delayed_accept {
    polysock_handle listener;
    double delay;
    int rc;
};

static void *delayed_accept_main(void *arg)
{
    struct delayed_accept *d = arg;
    sleep_s(d->delay);
    polysock_handle conn;
    polysock_addr peer;
    d->rc = polysock_accept(d->listener, &conn, &peer);
    if (d->rc == 0)
        d->rc = polysock_close(conn);
    return NULL;
}

START_TEST(test_blocking_connect_survives_signals_until_connected)
{
    int64_t port;
    polysock_handle fillers[16];
    size_t nfill = 0;
    polysock_handle l = tu_full_listener(&port, fillers, 16, &nfill);
    /* Freeing one slot lets the client's retried SYN in (~1 s later). */
    struct delayed_accept d = {.listener = l, .delay = 0.3};
    pthread_t t = spawn_without_alarms(delayed_accept_main, &d);
    polysock_handle c;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &c));
    polysock_addr to = tu_addr(AF_INET, "127.0.0.1", port);
    start_alarms(0.02, 0.02);
    int rc = polysock_connect(c, &to);
    stop_alarms();
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_ps_ok(d.rc);
    ck_assert_ps_ok(rc);
    ck_assert_int_ge(alarms, 3);
    polysock_addr name;
    ck_assert_ps_ok(polysock_getpeername(c, &name));
    ck_assert_int_eq(name.port, port);
    close_all(fillers, nfill);
    polysock_handle all[] = {l, c};
    close_all(all, 2);
}
END_TEST

/* ---- interrupt mode: -EINTR promptly, resume keeps the deadline ---- */

START_TEST(test_interrupt_mode_recv_returns_eintr_promptly)
{
    polysock_handle a, b;
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b));
    ck_assert_ps_ok(polysock_set_interrupt_mode(1));
    ck_assert_int_eq(polysock_get_interrupt_mode(), 1);
    start_alarms(0.02, 0.02);
    char buf[8];
    size_t n = 42;
    int rc = polysock_recv(a, buf, sizeof buf, 0, &n);
    double returned = tu_now();
    stop_alarms();
    ck_assert_ps(rc, -EINTR);
    ck_assert_uint_eq(n, 42);
    ck_assert_int_ge(alarms, 1);
    ck_assert_double_lt(returned - first_alarm_at, 0.2);
    /* The repeat after resume (blocking mode: no deadline) gets data. */
    polysock_resume();
    ck_assert_ps_ok(polysock_send(b, "data", 4, 0, &n));
    ck_assert_ps_ok(polysock_recv(a, buf, sizeof buf, 0, &n));
    ck_assert_uint_eq(n, 4);
    ck_assert_ps_ok(polysock_set_interrupt_mode(0));
    ck_assert_int_eq(polysock_get_interrupt_mode(), 0);
    polysock_handle all[] = {a, b};
    close_all(all, 2);
}
END_TEST

static void *report_mode_main(void *arg)
{
    *(int *)arg = polysock_get_interrupt_mode();
    return NULL;
}

START_TEST(test_interrupt_mode_is_per_thread)
{
    ck_assert_ps_ok(polysock_set_interrupt_mode(1));
    int other = -1;
    pthread_t t = spawn_without_alarms(report_mode_main, &other);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_int_eq(other, 0); /* a new thread starts in the default mode */
    ck_assert_int_eq(polysock_get_interrupt_mode(), 1);
}
END_TEST

/* Timeout 1.0 s, one signal at 0.6 s: a repeat that kept the deadline
 * times out at ~1.0 s in total, one that restarted it at ~1.6 s. */
START_TEST(test_resumed_recv_keeps_original_deadline)
{
    polysock_handle a, b;
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b));
    ck_assert_ps_ok(polysock_settimeout(a, 1.0));
    ck_assert_ps_ok(polysock_set_interrupt_mode(1));
    start_alarms(0.6, 0.0);
    char buf[8];
    size_t n = 0;
    double t0 = tu_now();
    ck_assert_ps(polysock_recv(a, buf, sizeof buf, 0, &n), -EINTR);
    double first = tu_now() - t0;
    ck_assert_double_ge(first, 0.55);
    ck_assert_double_lt(first, 0.95);
    polysock_resume();
    ck_assert_ps(polysock_recv(a, buf, sizeof buf, 0, &n), POLYSOCK_ETIMEOUT);
    double total = tu_now() - t0;
    stop_alarms();
    ck_assert_double_ge(total, 0.99);
    ck_assert_msg(total < 1.4, "total %.2f s: the repeat restarted the timeout", total);
    polysock_handle all[] = {a, b};
    close_all(all, 2);
}
END_TEST

START_TEST(test_resumed_deadline_applies_only_to_the_same_handle)
{
    polysock_handle a, b, c, d;
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b));
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &c, &d));
    ck_assert_ps_ok(polysock_settimeout(a, 1.0));
    ck_assert_ps_ok(polysock_settimeout(c, 0.5));
    ck_assert_ps_ok(polysock_set_interrupt_mode(1));
    start_alarms(0.6, 0.0);
    char buf[8];
    size_t n = 0;
    ck_assert_ps(polysock_recv(a, buf, sizeof buf, 0, &n), -EINTR);
    stop_alarms();
    polysock_resume();
    /* Another socket's call gets its own full timeout. */
    double t0 = tu_now();
    ck_assert_ps(polysock_recv(c, buf, sizeof buf, 0, &n), POLYSOCK_ETIMEOUT);
    double elapsed = tu_now() - t0;
    ck_assert_double_ge(elapsed, 0.49);
    ck_assert_double_lt(elapsed, 2.0);
    polysock_handle all[] = {a, b, c, d};
    close_all(all, 4);
}
END_TEST

START_TEST(test_interrupted_connect_repeat_completes_connection)
{
    int64_t port;
    polysock_handle fillers[16];
    size_t nfill = 0;
    polysock_handle l = tu_full_listener(&port, fillers, 16, &nfill);
    polysock_handle c, conn;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &c));
    polysock_addr to = tu_addr(AF_INET, "127.0.0.1", port), peer;
    ck_assert_ps_ok(polysock_set_interrupt_mode(1));
    start_alarms(0.1, 0.0);
    double t0 = tu_now();
    ck_assert_ps(polysock_connect(c, &to), -EINTR);
    ck_assert_double_lt(tu_now() - t0, 1.0);
    stop_alarms();
    /* Free one slot so the pending SYN's retry gets in. */
    ck_assert_ps_ok(polysock_accept(l, &conn, &peer));
    ck_assert_ps_ok(polysock_close(conn));
    polysock_resume();
    ck_assert_ps_ok(polysock_connect(c, &to)); /* not EALREADY / EISCONN */
    polysock_addr name;
    ck_assert_ps_ok(polysock_getpeername(c, &name));
    ck_assert_int_eq(name.port, port);
    close_all(fillers, nfill);
    polysock_handle all[] = {l, c};
    close_all(all, 2);
}
END_TEST

Suite *timeout_suite(void)
{
    Suite *s = suite_create("timeout");
    TCase *tc = tcase_create("modes");
    tcase_add_test(tc, test_default_timeout_starts_none_and_applies_to_new_sockets);
    tcase_add_test(tc, test_setdefaulttimeout_refuses_negative_nan_and_huge_values);
    tcase_add_test(tc, test_setblocking_equals_settimeout_zero_and_none);
    tcase_add_test(tc, test_settimeout_refuses_negative_and_nan);
    tcase_add_test(tc, test_nonblocking_recv_without_data_returns_eagain_immediately);
    tcase_add_test(tc, test_nonblocking_connect_returns_einprogress_then_connects);
    suite_add_tcase(s, tc);

    tc = tcase_create("deadlines");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_timeout_recv_fails_with_timeout_after_deadline);
    tcase_add_test(tc, test_timeout_recv_returns_data_arriving_before_deadline);
    tcase_add_test(tc, test_timeout_accept_fails_with_timeout_after_deadline);
    tcase_add_test(tc, test_timeout_connect_to_full_backlog_times_out);
    tcase_add_test(tc, test_sendall_timeout_against_idle_peer_reports_partial_count);
    tcase_add_test(tc, test_sendall_timeout_is_one_deadline_not_one_per_chunk);
    suite_add_tcase(s, tc);

    tc = tcase_create("signals");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_blocking_recv_is_retried_across_signals_and_gets_late_data);
    tcase_add_test(tc, test_timeout_recv_keeps_deadline_across_signals);
    tcase_add_test(tc, test_blocking_connect_survives_signals_until_connected);
    tcase_add_test(tc, test_interrupt_mode_recv_returns_eintr_promptly);
    tcase_add_test(tc, test_interrupt_mode_is_per_thread);
    tcase_add_test(tc, test_resumed_recv_keeps_original_deadline);
    tcase_add_test(tc, test_resumed_deadline_applies_only_to_the_same_handle);
    tcase_add_test(tc, test_interrupted_connect_repeat_completes_connection);
    suite_add_tcase(s, tc);
    return s;
}
