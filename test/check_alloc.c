/* check_alloc.c - accounting and fault injection: every allocation the
 * library makes is counted, given back, and may fail without leaking
 * memory, handles or descriptors. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

/* What must come back after a workload: totals only ever grow. */
static void assert_back_to(const polysock_stats *start, int fds, const char *when)
{
    polysock_stats st = stats_now();
    ck_assert_msg(st.live_bytes == start->live_bytes, "%s: live_bytes %lld, expected %lld",
                  when, (long long)st.live_bytes, (long long)start->live_bytes);
    ck_assert_msg(st.live_handles == start->live_handles, "%s: live_handles %lld, expected %lld",
                  when, (long long)st.live_handles, (long long)start->live_handles);
    ck_assert_msg(st.live_sockets == start->live_sockets, "%s: live_sockets %lld, expected %lld",
                  when, (long long)st.live_sockets, (long long)start->live_sockets);
    int now = tu_open_fds();
    ck_assert_msg(now == fds, "%s: %d descriptors open, expected %d", when, now, fds);
}

/* The workload below stops at its first failure, then closes whatever it
 * opened; closing must succeed whatever happened before. */
struct work {
    polysock_handle h[8];
    int n;
    int rc;
    int close_failed;
};

static int step(struct work *w, int rc)
{
    if (w->rc == 0)
        w->rc = rc;
    return w->rc == 0;
}

static void keep(struct work *w, polysock_handle h)
{
    w->h[w->n++] = h;
}

static void release_all(struct work *w)
{
    for (int i = w->n - 1; i >= 0; i--) {
        int rc = polysock_close(w->h[i]);
        if (rc == POLYSOCK_EWRONGKIND || rc == POLYSOCK_EBADHANDLE)
            rc = polysock_poller_close(w->h[i]);
        if (rc == POLYSOCK_EWRONGKIND || rc == POLYSOCK_EBADHANDLE)
            rc = polysock_list_free(w->h[i]);
        if (rc != 0)
            w->close_failed++;
    }
}

static void tcp_steps(struct work *w)
{
    polysock_handle l = 0, c = 0, s = 0;
    polysock_addr any, bound, to, peer;
    memset(&bound, 0, sizeof bound);
    size_t n = 0;
    char byte = 0;
    if (step(w, polysock_socket(AF_INET, SOCK_STREAM, 0, &l)))
        keep(w, l);
    if (w->rc == 0 && step(w, polysock_addr_set(&any, AF_INET, "127.0.0.1", 0)) &&
        step(w, polysock_bind(l, &any)) && step(w, polysock_listen(l, 4)) &&
        step(w, polysock_getsockname(l, &bound)) &&
        step(w, polysock_socket(AF_INET, SOCK_STREAM, 0, &c)))
        keep(w, c);
    if (w->rc == 0 && step(w, polysock_addr_set(&to, AF_INET, "localhost", bound.port)) &&
        step(w, polysock_connect(c, &to)) && step(w, polysock_accept(l, &s, &peer)))
        keep(w, s);
    if (w->rc == 0 && step(w, polysock_send(c, "x", 1, 0, &n)))
        step(w, polysock_recv(s, &byte, 1, 0, &n));
}

static void lookup_steps(struct work *w)
{
    polysock_handle list = 0, host = 0;
    size_t count = 0;
    int family, socktype, proto;
    char canon[64];
    polysock_addr addr;
    if (step(w, polysock_getaddrinfo("127.0.0.1", "80", AF_INET, SOCK_STREAM, 0,
                                     AI_NUMERICHOST, &list)))
        keep(w, list);
    if (w->rc == 0 && step(w, polysock_addrinfo_count(list, &count)))
        step(w, polysock_addrinfo_get(list, 0, &family, &socktype, &proto, canon,
                                      sizeof canon, &addr));
    if (w->rc == 0 && step(w, polysock_gethostbyname_ex("localhost", &host)))
        keep(w, host);
}

static void poller_steps(struct work *w)
{
    polysock_handle p = 0, a = 0, b = 0;
    polysock_event ev[2];
    size_t count = 0;
    if (step(w, polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b))) {
        keep(w, a);
        keep(w, b);
    }
    if (w->rc == 0 && step(w, polysock_poller_new(&p)))
        keep(w, p);
    if (w->rc == 0 && step(w, polysock_poller_add(p, a, POLYSOCK_POLLIN)))
        step(w, polysock_poller_wait(p, ev, 2, 0.0, &count));
}

static int workload(int *close_failed)
{
    struct work w = {.n = 0, .rc = 0, .close_failed = 0};
    tcp_steps(&w);
    if (w.rc == 0)
        lookup_steps(&w);
    if (w.rc == 0)
        poller_steps(&w);
    release_all(&w);
    *close_failed = w.close_failed;
    return w.rc;
}

/* Run the workload once so that lasting lazy allocations (tables grown to
 * size) are made before the start values are taken. */
static void warm_up(void)
{
    int close_failed = 0;
    ck_assert_ps_ok(workload(&close_failed));
    ck_assert_int_eq(close_failed, 0);
}

/* ---- tests ---- */

START_TEST(test_live_counts_return_to_start_after_workload)
{
    warm_up();
    polysock_stats start = stats_now();
    int fds = tu_open_fds();
    int close_failed = 0;
    for (int i = 0; i < 3; i++) {
        ck_assert_ps_ok(workload(&close_failed));
        ck_assert_int_eq(close_failed, 0);
        assert_back_to(&start, fds, "after workload");
    }
    polysock_stats end = stats_now();
    ck_assert_int_gt(end.total_allocs, start.total_allocs);
    ck_assert_int_eq(end.failed_allocs, start.failed_allocs);
}
END_TEST

START_TEST(test_live_counts_rise_while_objects_are_open)
{
    polysock_stats start = stats_now();
    polysock_handle s, list;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &s));
    ck_assert_ps_ok(polysock_getaddrinfo("127.0.0.1", "80", AF_INET, SOCK_STREAM, 0,
                                         AI_NUMERICHOST, &list));
    polysock_stats mid = stats_now();
    ck_assert_int_gt(mid.live_bytes, start.live_bytes);
    ck_assert_int_eq(mid.live_handles, start.live_handles + 2);
    ck_assert_int_eq(mid.live_sockets, start.live_sockets + 1);
    ck_assert_int_gt(mid.total_allocs, start.total_allocs);
    ck_assert_ps_ok(polysock_close(s));
    ck_assert_ps_ok(polysock_list_free(list));
    polysock_stats end = stats_now();
    ck_assert_int_eq(end.live_handles, start.live_handles);
    ck_assert_int_eq(end.live_sockets, start.live_sockets);
}
END_TEST

static void assert_enomem(int rc, const char *what)
{
    ck_assert_msg(rc == -ENOMEM, "%s returned %d (%s), expected -ENOMEM", what, rc,
                  polysock_errname(rc));
    ck_assert_int_eq(polysock_errclass(rc), POLYSOCK_ERRCLASS_OS);
}

START_TEST(test_failing_allocations_make_constructors_return_enomem_without_leaks)
{
    warm_up();
    int raw[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, raw), 0);
    polysock_stats start = stats_now();
    int fds = tu_open_fds();
    const polysock_handle sentinel = 424242;
    polysock_handle h = sentinel, h2 = sentinel;
    ck_assert_ps_ok(polysock_debug_fail_allocs(0, -1));
    assert_enomem(polysock_socket(AF_INET, SOCK_STREAM, 0, &h), "socket");
    assert_enomem(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &h, &h2), "socketpair");
    assert_enomem(polysock_fromfd(raw[0], AF_UNIX, SOCK_STREAM, 0, &h), "fromfd");
    assert_enomem(polysock_getaddrinfo("127.0.0.1", "80", AF_INET, SOCK_STREAM, 0,
                                       AI_NUMERICHOST, &h), "getaddrinfo");
    assert_enomem(polysock_poller_new(&h), "poller_new");
    assert_enomem(polysock_gethostbyname_ex("localhost", &h), "gethostbyname_ex");
    ck_assert_ps_ok(polysock_debug_fail_allocs(0, 0));
    ck_assert_uint_eq(h, sentinel);
    ck_assert_uint_eq(h2, sentinel);
    assert_back_to(&start, fds, "after refused constructors");
    ck_assert_int_ge(stats_now().failed_allocs, start.failed_allocs + 6);
    ck_assert_int_ne(fcntl(raw[0], F_GETFD), -1); /* fromfd left it alone */
    /* Turned off, everything works again. */
    int close_failed = 0;
    ck_assert_ps_ok(workload(&close_failed));
    ck_assert_int_eq(close_failed, 0);
    assert_back_to(&start, fds, "after recovery");
    close(raw[0]);
    close(raw[1]);
}
END_TEST

START_TEST(test_failing_accept_allocation_closes_the_accepted_descriptor)
{
    warm_up();
    int64_t port;
    polysock_handle l = tu_listener(AF_INET, &port), c, conn = 7;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &c));
    polysock_addr to = tu_addr(AF_INET, "127.0.0.1", port), peer;
    ck_assert_ps_ok(polysock_connect(c, &to));
    polysock_stats start = stats_now();
    int fds = tu_open_fds();
    ck_assert_ps_ok(polysock_debug_fail_allocs(0, -1));
    assert_enomem(polysock_accept(l, &conn, &peer), "accept");
    ck_assert_ps_ok(polysock_debug_fail_allocs(0, 0));
    ck_assert_uint_eq(conn, 7);
    assert_back_to(&start, fds, "after refused accept");
    /* The connection was taken off the queue and closed: the client sees EOF. */
    char buf[4];
    size_t n = 99;
    ck_assert_ps_ok(polysock_settimeout(c, 5.0));
    int rc = polysock_recv(c, buf, sizeof buf, 0, &n);
    ck_assert_msg(rc == -ECONNRESET || (rc == 0 && n == 0), "client recv: %s, n=%zu",
                  polysock_errname(rc), n);
    ck_assert_ps_ok(polysock_close(c));
    ck_assert_ps_ok(polysock_close(l));
}
END_TEST

/* Fail the n-th allocation of the workload for n = 0, 1, ... until a run
 * makes no allocation fail: every allocation site is then proven to clean
 * up after itself. */
START_TEST(test_failing_each_allocation_in_turn_leaks_nothing)
{
    warm_up();
    polysock_stats start = stats_now();
    int fds = tu_open_fds();
    int n;
    for (n = 0; n < 5000; n++) {
        int64_t failed_before = stats_now().failed_allocs;
        ck_assert_ps_ok(polysock_debug_fail_allocs(n, 1));
        int close_failed = 0;
        int rc = workload(&close_failed);
        ck_assert_ps_ok(polysock_debug_fail_allocs(0, 0));
        int64_t injected = stats_now().failed_allocs - failed_before;
        char when[64];
        snprintf(when, sizeof when, "failing allocation %d", n);
        ck_assert_msg(close_failed == 0, "%s: %d closes failed", when, close_failed);
        assert_back_to(&start, fds, when);
        if (injected == 0) {
            ck_assert_msg(rc == 0, "%s: no failure injected but %s", when, polysock_errname(rc));
            break;
        }
        ck_assert_msg(rc == -ENOMEM || rc == 0, "%s: workload gave %s", when,
                      polysock_errname(rc));
    }
    ck_assert_int_gt(n, 0);
    ck_assert_int_lt(n, 5000);
}
END_TEST

/* ---- growth of the handle table ---- */

enum ctor { CTOR_SOCKET, CTOR_SOCKETPAIR, CTOR_POLLER, CTOR_ADDRINFO, CTOR_HOSTENT, CTOR_COUNT };

static int construct(enum ctor c, polysock_handle *h, polysock_handle *h2)
{
    switch (c) {
    case CTOR_SOCKET:
        return polysock_socket(AF_INET, SOCK_DGRAM, 0, h);
    case CTOR_SOCKETPAIR:
        return polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, h, h2);
    case CTOR_POLLER:
        return polysock_poller_new(h);
    case CTOR_ADDRINFO:
        return polysock_getaddrinfo("127.0.0.1", "80", AF_INET, SOCK_STREAM, 0,
                                    AI_NUMERICHOST, h);
    default:
        return polysock_gethostbyname_ex("localhost", h);
    }
}

static void destroy(enum ctor c, polysock_handle h, polysock_handle h2)
{
    if (c == CTOR_POLLER)
        ck_assert_ps_ok(polysock_poller_close(h));
    else if (c == CTOR_ADDRINFO || c == CTOR_HOSTENT)
        ck_assert_ps_ok(polysock_list_free(h));
    else
        ck_assert_ps_ok(polysock_close(h));
    if (c == CTOR_SOCKETPAIR)
        ck_assert_ps_ok(polysock_close(h2));
}

/* The lowest free descriptor number: a leaked descriptor takes it, so this
 * sees a leak in O(1) even with thousands of descriptors open. */
static int lowest_free_fd(void)
{
    int fd = dup(2);
    ck_assert_int_ge(fd, 0);
    close(fd);
    return fd;
}

/* Fail allocation `after` of one constructor; a refusal must leave
 * exactly what was there.  Returns 1 when the constructor succeeded, and
 * sets *grew when that success left memory behind (the table grew). */
static int try_failing(enum ctor c, int after, int held, int *grew)
{
    polysock_stats before = stats_now();
    int low = lowest_free_fd();
    polysock_handle h = 0, h2 = 0;
    ck_assert_ps_ok(polysock_debug_fail_allocs(after, 1));
    int rc = construct(c, &h, &h2);
    ck_assert_ps_ok(polysock_debug_fail_allocs(0, 0));
    if (rc == 0) {
        destroy(c, h, h2);
        *grew = stats_now().live_bytes > before.live_bytes;
        return 1;
    }
    polysock_stats st = stats_now();
    ck_assert_msg(rc == -ENOMEM, "constructor %d, %d held: %s", (int)c, held,
                  polysock_errname(rc));
    ck_assert_msg(st.live_bytes == before.live_bytes && st.live_handles == before.live_handles &&
                      st.live_sockets == before.live_sockets,
                  "constructor %d failing allocation %d with %d held: live bytes %lld -> %lld, "
                  "handles %lld -> %lld", (int)c, after, held, (long long)before.live_bytes,
                  (long long)st.live_bytes, (long long)before.live_handles,
                  (long long)st.live_handles);
    ck_assert_int_eq(lowest_free_fd(), low);
    return 0;
}

/* The table grows when a construction finds it full.  Holding one more
 * handle at a time, fail each allocation of the constructor under test in
 * turn until it succeeds; once a success grew the table (its failures
 * just ran into the growth), move on to the next constructor, which will
 * meet the next growth. */
START_TEST(test_failing_table_growth_leaks_nothing)
{
    enum { HELD_MAX = 12000 };
    warm_up();
    polysock_handle *held = malloc(sizeof *held * HELD_MAX);
    ck_assert_ptr_nonnull(held);
    int c = 0, n = 0;
    for (; n < HELD_MAX && c < CTOR_COUNT; n++) {
        int grew = 0, after = 0;
        while (!try_failing((enum ctor)c, after, n, &grew))
            ck_assert_int_lt(++after, 64);
        if (grew)
            c++;
        ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_DGRAM, 0, &held[n]));
    }
    ck_assert_msg(c == CTOR_COUNT, "only %d constructors met a table growth in %d handles", c, n);
    for (int i = 0; i < n; i++)
        ck_assert_ps_ok(polysock_close(held[i]));
    free(held);
}
END_TEST

Suite *alloc_suite(void)
{
    Suite *s = suite_create("alloc");
    TCase *tc = tcase_create("stats");
    tcase_add_test(tc, test_live_counts_return_to_start_after_workload);
    tcase_add_test(tc, test_live_counts_rise_while_objects_are_open);
    suite_add_tcase(s, tc);

    tc = tcase_create("inject");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_failing_allocations_make_constructors_return_enomem_without_leaks);
    tcase_add_test(tc, test_failing_accept_allocation_closes_the_accepted_descriptor);
    tcase_add_test(tc, test_failing_each_allocation_in_turn_leaks_nothing);
    tcase_add_test(tc, test_failing_table_growth_leaks_nothing);
    suite_add_tcase(s, tc);
    return s;
}
