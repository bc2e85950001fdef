/* check_threads.c - handles shared between threads and processes: close
 * while another thread is blocked, stale and forged handles, many threads
 * at once, 10,000 open sockets, and fork. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "suites.h"
#include "testutil.h"

/* ---- helpers ---- */

static void sleep_s(double seconds)
{
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int fd_of(polysock_handle s)
{
    int fd = -1;
    ck_assert_ps_ok(polysock_fileno(s, &fd));
    return fd;
}

static int fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

static int64_t live_handles(void)
{
    polysock_stats st;
    ck_assert_ps_ok(polysock_get_stats(&st));
    return st.live_handles;
}

/* ---- close while another thread is blocked ---- */

enum blocked_op { BLOCK_RECV, BLOCK_ACCEPT };

struct blocked {
    polysock_handle sock;
    enum blocked_op op;
    int rc;
    double returned_at;
};

static void *blocked_main(void *arg)
{
    struct blocked *b = arg;
    if (b->op == BLOCK_RECV) {
        char buf[16];
        size_t n = 0;
        b->rc = polysock_recv(b->sock, buf, sizeof buf, 0, &n);
    } else {
        polysock_handle conn;
        polysock_addr peer;
        b->rc = polysock_accept(b->sock, &conn, &peer);
    }
    b->returned_at = tu_now();
    return NULL;
}

/* Block a thread in op on sock, close sock from here, and check that the
 * call woke with EBADHANDLE and that the descriptor is gone afterwards. */
static void check_close_wakes(polysock_handle sock, enum blocked_op op, double timeout)
{
    ck_assert_ps_ok(polysock_settimeout(sock, timeout));
    int fd = fd_of(sock);
    struct blocked b = {.sock = sock, .op = op, .rc = 1};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, blocked_main, &b), 0);
    sleep_s(0.2); /* let it block; if it is late it sees EBADHANDLE anyway */
    double closed_at = tu_now();
    ck_assert_ps_ok(polysock_close(sock));
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_ps(b.rc, POLYSOCK_EBADHANDLE);
    ck_assert_double_lt(b.returned_at - closed_at, 1.0);
    ck_assert_msg(!fd_is_open(fd), "descriptor %d still open after the call returned", fd);
}

START_TEST(test_close_wakes_blocked_recv_in_blocking_mode)
{
    polysock_handle a, b;
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b));
    check_close_wakes(a, BLOCK_RECV, POLYSOCK_TIMEOUT_NONE);
    ck_assert_ps_ok(polysock_close(b));
}
END_TEST

START_TEST(test_close_wakes_blocked_recv_in_timeout_mode)
{
    polysock_handle c, s;
    tu_tcp_pair(AF_INET, &c, &s);
    check_close_wakes(s, BLOCK_RECV, 30.0);
    ck_assert_ps_ok(polysock_close(c));
}
END_TEST

START_TEST(test_close_wakes_blocked_accept_in_blocking_mode)
{
    int64_t port;
    check_close_wakes(tu_listener(AF_INET, &port), BLOCK_ACCEPT, POLYSOCK_TIMEOUT_NONE);
}
END_TEST

START_TEST(test_close_wakes_blocked_accept_in_timeout_mode)
{
    int64_t port;
    check_close_wakes(tu_listener(AF_INET, &port), BLOCK_ACCEPT, 30.0);
}
END_TEST

struct hammer {
    polysock_handle sock;
    atomic_int started;
    int rc;
    long sent;
};

static void *hammer_main(void *arg)
{
    struct hammer *h = arg;
    atomic_store(&h->started, 1);
    size_t n = 0;
    while ((h->rc = polysock_send(h->sock, "X", 1, 0, &n)) == 0)
        h->sent++;
    return NULL;
}

/* If close released the descriptor while a send was in flight, the new
 * pair could get the same number and the stale send would write into it. */
START_TEST(test_close_racing_with_use_never_touches_a_reused_descriptor)
{
    int rounds = tu_under_valgrind() ? 20 : 200;
    unsigned seed = 12345;
    for (int i = 0; i < rounds; i++) {
        polysock_handle a, b, c, d;
        ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b));
        struct hammer h = {.sock = a};
        atomic_init(&h.started, 0);
        pthread_t t;
        ck_assert_int_eq(pthread_create(&t, NULL, hammer_main, &h), 0);
        while (!atomic_load(&h.started))
            sched_yield();
        usleep((useconds_t)(rand_r(&seed) % 2000));
        ck_assert_ps_ok(polysock_close(a));
        ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &c, &d));
        ck_assert_int_eq(pthread_join(t, NULL), 0);
        ck_assert_ps(h.rc, POLYSOCK_EBADHANDLE);
        ck_assert_ps_ok(polysock_setblocking(d, 0));
        char buf[8];
        size_t n = 0;
        ck_assert_ps(polysock_recv(d, buf, sizeof buf, 0, &n), -EAGAIN);
        ck_assert_ps_ok(polysock_close(b));
        ck_assert_ps_ok(polysock_close(c));
        ck_assert_ps_ok(polysock_close(d));
    }
}
END_TEST

/* ---- many threads ---- */

struct worker {
    int id;
    int rounds;
    int errors;
    int done;
    int first_rc;
};

static void note(struct worker *w, int rc)
{
    if (rc != 0 && w->errors++ == 0)
        w->first_rc = rc;
}

static void exchange(struct worker *w, polysock_handle from, polysock_handle to, int round)
{
    unsigned char out[200], in[200];
    size_t len = 1 + (size_t)(round % 200), n = 0, got = 0;
    for (size_t i = 0; i < len; i++)
        out[i] = (unsigned char)(w->id * 31 + round + (int)i);
    note(w, polysock_sendall(from, out, len, 0, &n));
    while (got < len && w->errors == 0) {
        note(w, polysock_recv(to, in + got, len - got, 0, &n));
        if (n == 0)
            note(w, -EPIPE);
        got += n;
    }
    if (w->errors == 0 && memcmp(in, out, len) != 0)
        note(w, POLYSOCK_EVALUE);
}

static void tcp_round(struct worker *w, int round)
{
    polysock_handle l, c, s;
    polysock_addr any, bound, peer;
    note(w, polysock_socket(AF_INET, SOCK_STREAM, 0, &l));
    if (w->errors)
        return;
    note(w, polysock_addr_set(&any, AF_INET, "127.0.0.1", 0));
    note(w, polysock_bind(l, &any));
    note(w, polysock_listen(l, 4));
    note(w, polysock_getsockname(l, &bound));
    note(w, polysock_socket(AF_INET, SOCK_STREAM, 0, &c));
    if (w->errors == 0) {
        note(w, polysock_connect(c, &bound));
        note(w, polysock_accept(l, &s, &peer));
        if (w->errors == 0) {
            exchange(w, c, s, round);
            note(w, polysock_close(s));
        }
        note(w, polysock_close(c));
    }
    note(w, polysock_close(l));
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (int r = 0; r < w->rounds && w->errors == 0; r++) {
        if (r % 10 == 0) {
            tcp_round(w, r);
        } else {
            polysock_handle a, b;
            note(w, polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b));
            if (w->errors)
                break;
            note(w, polysock_settimeout(a, 5.0));
            exchange(w, a, b, r);
            exchange(w, b, a, r);
            note(w, polysock_close(a));
            note(w, polysock_close(b));
        }
        w->done++;
    }
    return NULL;
}

START_TEST(test_eight_threads_open_use_and_close_sockets_concurrently)
{
    int64_t start = live_handles();
    int fds = tu_open_fds();
    struct worker w[8];
    pthread_t t[8];
    int rounds = tu_under_valgrind() ? 30 : 300;
    for (int i = 0; i < 8; i++) {
        w[i] = (struct worker){.id = i, .rounds = rounds};
        ck_assert_int_eq(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
        ck_assert_msg(w[i].errors == 0, "thread %d: %d errors, first %s", i,
                      w[i].errors, polysock_errname(w[i].first_rc));
        ck_assert_int_eq(w[i].done, rounds);
    }
    ck_assert_int_eq(live_handles(), start);
    ck_assert_int_eq(tu_open_fds(), fds);
}
END_TEST

/* ---- stale and forged handles ---- */

START_TEST(test_stale_handle_is_refused_after_its_descriptor_is_reused)
{
    polysock_handle a, b;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &a));
    int fd = fd_of(a);
    ck_assert_ps_ok(polysock_close(a));
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_DGRAM, 0, &b));
    ck_assert_int_eq(fd_of(b), fd); /* lowest free number: the same one */
    ck_assert_uint_ne(a, b);
    int v = 0;
    double t = 0;
    char buf[4];
    size_t n = 0;
    ck_assert_ps(polysock_fileno(a, &v), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_type(a, &v), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_settimeout(a, 1.0), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_setsockopt_int(a, SOL_SOCKET, SO_RCVBUF, 4096), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_recv(a, buf, sizeof buf, 0, &n), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_shutdown(a, SHUT_RDWR), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_close(a), POLYSOCK_EBADHANDLE);
    /* b is untouched by all of that. */
    ck_assert_int_eq(fd_of(b), fd);
    ck_assert(fd_is_open(fd));
    ck_assert_ps_ok(polysock_type(b, &v));
    ck_assert_int_eq(v, SOCK_DGRAM);
    ck_assert_ps_ok(polysock_gettimeout(b, &t));
    ck_assert(t == POLYSOCK_TIMEOUT_NONE);
    polysock_addr any = tu_addr(AF_INET, "127.0.0.1", 0), name;
    ck_assert_ps_ok(polysock_bind(b, &any));
    ck_assert_ps_ok(polysock_getsockname(b, &name));
    ck_assert_ps_ok(polysock_sendto(b, "me", 2, 0, &name, &n));
    ck_assert_ps_ok(polysock_recv(b, buf, sizeof buf, 0, &n));
    ck_assert_uint_eq(n, 2);
    ck_assert_ps_ok(polysock_close(b));
}
END_TEST

START_TEST(test_forged_handles_are_refused)
{
    const polysock_handle forged[] = {
        0, 1, ((polysock_handle)1 << 52) + 5, UINT64_MAX,
        (polysock_handle)1 << 53, ((polysock_handle)1 << 53) - 1,
    };
    polysock_handle real;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &real));
    for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        polysock_handle h = forged[i];
        if (h == real)
            continue;
        int v = 0;
        char buf[4];
        size_t n = 0;
        int rc = polysock_fileno(h, &v);
        ck_assert_ps(rc, POLYSOCK_EBADHANDLE);
        ck_assert_int_eq(polysock_errclass(rc), POLYSOCK_ERRCLASS_BADHANDLE);
        ck_assert_ps(polysock_recv(h, buf, sizeof buf, 0, &n), POLYSOCK_EBADHANDLE);
        ck_assert_ps(polysock_close(h), POLYSOCK_EBADHANDLE);
    }
    /* Flipping bits of a real handle forges one too. */
    int v = 0;
    ck_assert_ps(polysock_fileno(real ^ ((polysock_handle)1 << 40), &v), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_fileno(real + 1, &v), POLYSOCK_EBADHANDLE);
    ck_assert_ps_ok(polysock_fileno(real, &v));
    ck_assert_ps_ok(polysock_close(real));
}
END_TEST

/* ---- 10,000 sockets ---- */

static int cmp_handle(const void *a, const void *b)
{
    polysock_handle x = *(const polysock_handle *)a, y = *(const polysock_handle *)b;
    return x < y ? -1 : x > y;
}

#define PAIRS 5000

START_TEST(test_ten_thousand_sockets_open_at_once_are_usable)
{
    struct rlimit rl;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 2 * PAIRS + 50) {
        fprintf(stderr, "SKIP test_ten_thousand_sockets: RLIMIT_NOFILE hard limit %lu < %d\n",
                (unsigned long)rl.rlim_max, 2 * PAIRS + 50);
        return;
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 2 * PAIRS + 50) {
        rl.rlim_cur = rl.rlim_max;
        ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    }
    int64_t start = live_handles();
    int fds = tu_open_fds();
    polysock_handle *h = malloc(sizeof *h * 2 * PAIRS);
    ck_assert_ptr_nonnull(h);
    for (int i = 0; i < PAIRS; i++) {
        int rc = polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &h[2 * i], &h[2 * i + 1]);
        ck_assert_msg(rc == 0, "socketpair %d: %s", i, polysock_errname(rc));
    }
    ck_assert_int_eq(live_handles(), start + 2 * PAIRS);
    for (int i = 0; i < PAIRS; i += 37) {
        unsigned char out = (unsigned char)i, in = 0;
        size_t n = 0;
        ck_assert_ps_ok(polysock_send(h[2 * i], &out, 1, 0, &n));
        ck_assert_ps_ok(polysock_recv(h[2 * i + 1], &in, 1, 0, &n));
        ck_assert_uint_eq(n, 1);
        ck_assert_uint_eq(in, out);
    }
    polysock_handle *sorted = malloc(sizeof *h * 2 * PAIRS);
    ck_assert_ptr_nonnull(sorted);
    memcpy(sorted, h, sizeof *h * 2 * PAIRS);
    qsort(sorted, 2 * PAIRS, sizeof *sorted, cmp_handle);
    for (int i = 1; i < 2 * PAIRS; i++)
        ck_assert_uint_ne(sorted[i - 1], sorted[i]);
    free(sorted);
    for (int i = 0; i < 2 * PAIRS; i++)
        ck_assert_ps_ok(polysock_close(h[i]));
    free(h);
    ck_assert_int_eq(live_handles(), start);
    ck_assert_int_eq(tu_open_fds(), fds);
}
END_TEST

/* ---- fork ---- */

/* Child side of the pre-fork echo server: exit codes name the step that
 * failed (the child must not return into Check). */
static void echo_child(polysock_handle l, int64_t handles_before)
{
    polysock_stats st;
    if (polysock_get_stats(&st) != 0)
        _exit(10);
    if (st.live_handles != handles_before)
        _exit(11);
    polysock_handle conn, extra;
    polysock_addr peer;
    if (polysock_accept(l, &conn, &peer) != 0)
        _exit(12);
    char buf[64];
    size_t n = 0, m = 0;
    if (polysock_recv(conn, buf, sizeof buf, 0, &n) != 0 || n == 0)
        _exit(13);
    if (polysock_sendall(conn, buf, n, 0, &m) != 0 || m != n)
        _exit(14);
    if (polysock_close(conn) != 0)
        _exit(15);
    /* The table takes new entries after fork. */
    if (polysock_socket(AF_INET, SOCK_STREAM, 0, &extra) != 0 || polysock_close(extra) != 0)
        _exit(16);
    if (polysock_get_stats(&st) != 0 || st.live_handles != handles_before)
        _exit(17);
    _exit(0);
}

static void assert_children_exit_zero(const pid_t *pids, int count)
{
    for (int i = 0; i < count; i++) {
        int status = -1;
        ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "child %d: status 0x%x (exit code = failed step)", i, status);
    }
}

START_TEST(test_forked_children_serve_inherited_listener)
{
    int64_t port;
    polysock_handle l = tu_listener(AF_INET, &port);
    ck_assert_ps_ok(polysock_settimeout(l, 20.0)); /* a lost child cannot hang */
    int64_t before = live_handles();
    pid_t pids[3];
    for (int i = 0; i < 3; i++) {
        pids[i] = fork();
        ck_assert_int_ge(pids[i], 0);
        if (pids[i] == 0)
            echo_child(l, before);
    }
    for (int i = 0; i < 3; i++) {
        polysock_handle c;
        ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &c));
        ck_assert_ps_ok(polysock_settimeout(c, 20.0));
        polysock_addr to = tu_addr(AF_INET, "127.0.0.1", port);
        ck_assert_ps_ok(polysock_connect(c, &to));
        char msg[32], back[32];
        int len = snprintf(msg, sizeof msg, "hello %d", i);
        size_t n = 0, got = 0;
        ck_assert_ps_ok(polysock_sendall(c, msg, (size_t)len, 0, &n));
        while (got < (size_t)len) {
            ck_assert_ps_ok(polysock_recv(c, back + got, sizeof back - got, 0, &n));
            ck_assert_uint_gt(n, 0);
            got += n;
        }
        ck_assert_uint_eq(got, (size_t)len);
        ck_assert_mem_eq(back, msg, (size_t)len);
        ck_assert_ps_ok(polysock_close(c));
    }
    assert_children_exit_zero(pids, 3);
    ck_assert_ps_ok(polysock_close(l));
}
END_TEST

/* A forking server's child closes the sockets it does not need; that must
 * not shut down the parent's (shared) sockets. */
START_TEST(test_child_closing_inherited_sockets_leaves_parent_sockets_working)
{
    int64_t port;
    polysock_handle l = tu_listener(AF_INET, &port);
    polysock_handle c, s;
    tu_tcp_pair(AF_INET, &c, &s);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int bad = polysock_close(l) != 0 || polysock_close(c) != 0 || polysock_close(s) != 0;
        _exit(bad ? 20 : 0);
    }
    assert_children_exit_zero(&pid, 1);
    char buf[8];
    size_t n = 0;
    ck_assert_ps_ok(polysock_sendall(c, "still", 5, 0, &n));
    ck_assert_ps_ok(polysock_settimeout(s, 5.0));
    ck_assert_ps_ok(polysock_recv(s, buf, sizeof buf, 0, &n));
    ck_assert_uint_eq(n, 5);
    ck_assert_mem_eq(buf, "still", 5);
    polysock_handle c2, conn;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &c2));
    polysock_addr to = tu_addr(AF_INET, "127.0.0.1", port), peer;
    ck_assert_ps_ok(polysock_connect(c2, &to));
    ck_assert_ps_ok(polysock_settimeout(l, 5.0));
    ck_assert_ps_ok(polysock_accept(l, &conn, &peer));
    polysock_handle all[] = {l, c, s, c2, conn};
    for (size_t i = 0; i < 5; i++)
        ck_assert_ps_ok(polysock_close(all[i]));
}
END_TEST

struct churner {
    atomic_int stop;
    int errors;
};

/* Keeps the handle table busy so that some forks happen while it is
 * locked. */
static void *churner_main(void *arg)
{
    struct churner *c = arg;
    while (!atomic_load(&c->stop)) {
        polysock_handle s;
        if (polysock_socket(AF_INET, SOCK_DGRAM, 0, &s) != 0 || polysock_close(s) != 0)
            c->errors++;
    }
    return NULL;
}

/* In the child only the forking thread exists: a handle that another
 * thread was blocked on is no longer in use there, so closing it releases
 * its descriptor at once (and must not shut down the parent's socket). */
static void fork_child_check(polysock_handle blocked, int blocked_fd, int64_t handles)
{
    alarm(10); /* a deadlocked child dies instead of hanging the test */
    polysock_stats st;
    polysock_handle s;
    if (polysock_get_stats(&st) != 0)
        _exit(30);
    if (polysock_socket(AF_INET, SOCK_STREAM, 0, &s) != 0 || polysock_close(s) != 0)
        _exit(31);
    if (polysock_close(blocked) != 0)
        _exit(32);
    if (fd_is_open(blocked_fd))
        _exit(33);
    if (polysock_get_stats(&st) != 0 || st.live_handles > handles)
        _exit(34);
    _exit(0);
}

START_TEST(test_fork_while_threads_use_the_library_leaves_child_consistent)
{
    polysock_handle x, y;
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &x, &y));
    int xfd = fd_of(x);
    struct blocked b = {.sock = x, .op = BLOCK_RECV, .rc = 1};
    struct churner ch = {.errors = 0};
    atomic_init(&ch.stop, 0);
    pthread_t tb, tc[2];
    ck_assert_int_eq(pthread_create(&tb, NULL, blocked_main, &b), 0);
    /* Under valgrind a child would report the object a churner had
     * allocated at the instant of fork as lost: no churners there. */
    int churners = tu_under_valgrind() ? 0 : 2;
    for (int i = 0; i < churners; i++)
        ck_assert_int_eq(pthread_create(&tc[i], NULL, churner_main, &ch), 0);
    sleep_s(0.1);
    int forks = tu_under_valgrind() ? 4 : 20;
    for (int i = 0; i < forks; i++) {
        /* Each churner may hold a socket at this instant. */
        int64_t handles = live_handles() + churners;
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0)
            fork_child_check(x, xfd, handles);
        int status = -1;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "fork %d: child status 0x%x (exit code = failed step)", i, status);
    }
    atomic_store(&ch.stop, 1);
    for (int i = 0; i < churners; i++)
        ck_assert_int_eq(pthread_join(tc[i], NULL), 0);
    ck_assert_int_eq(ch.errors, 0);
    /* The parent's blocked recv still works: it gets the data. */
    size_t n = 0;
    ck_assert_ps_ok(polysock_send(y, "data", 4, 0, &n));
    ck_assert_int_eq(pthread_join(tb, NULL), 0);
    ck_assert_ps_ok(b.rc);
    ck_assert_ps_ok(polysock_close(x));
    ck_assert_ps_ok(polysock_close(y));
}
END_TEST

Suite *threads_suite(void)
{
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("close");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_close_wakes_blocked_recv_in_blocking_mode);
    tcase_add_test(tc, test_close_wakes_blocked_recv_in_timeout_mode);
    tcase_add_test(tc, test_close_wakes_blocked_accept_in_blocking_mode);
    tcase_add_test(tc, test_close_wakes_blocked_accept_in_timeout_mode);
    tcase_add_test(tc, test_close_racing_with_use_never_touches_a_reused_descriptor);
    suite_add_tcase(s, tc);

    tc = tcase_create("handles");
    tcase_add_test(tc, test_stale_handle_is_refused_after_its_descriptor_is_reused);
    tcase_add_test(tc, test_forged_handles_are_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("load");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_eight_threads_open_use_and_close_sockets_concurrently);
    tcase_add_test(tc, test_ten_thousand_sockets_open_at_once_are_usable);
    suite_add_tcase(s, tc);

    tc = tcase_create("fork");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_forked_children_serve_inherited_listener);
    tcase_add_test(tc, test_child_closing_inherited_sockets_leaves_parent_sockets_working);
    tcase_add_test(tc, test_fork_while_threads_use_the_library_leaves_child_consistent);
    suite_add_tcase(s, tc);
    return s;
}
