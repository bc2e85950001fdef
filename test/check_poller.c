/* check_poller.c - readiness of many handles at once: exact reports,
 * timeouts, wake-ups from other threads, one-shot, remove and close. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

static void pair(polysock_handle *a, polysock_handle *b)
{
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, a, b));
}

static void poke(polysock_handle s)
{
    size_t n = 0;
    ck_assert_ps_ok(polysock_send(s, "!", 1, 0, &n));
    ck_assert_uint_eq(n, 1);
}

static size_t wait_events(polysock_handle p, polysock_event *ev, size_t cap, double timeout)
{
    size_t count = 9999;
    ck_assert_ps_ok(polysock_poller_wait(p, ev, cap, timeout, &count));
    ck_assert_uint_le(count, cap);
    for (size_t i = 0; i < count; i++)
        ck_assert_uint_ne(ev[i].handle, POLYSOCK_INVALID_HANDLE);
    return count;
}

/* The poller reports nothing within a short wait. */
static void assert_quiet(polysock_handle p)
{
    polysock_event ev[4];
    size_t count = wait_events(p, ev, 4, 0.1);
    ck_assert_msg(count == 0, "expected no events, got %zu (first handle %llu)", count,
                  (unsigned long long)ev[0].handle);
}

static void assert_single(polysock_handle p, polysock_handle h, uint32_t bit)
{
    polysock_event ev[4];
    size_t count = wait_events(p, ev, 4, 5.0);
    ck_assert_uint_eq(count, 1);
    ck_assert_uint_eq(ev[0].handle, h);
    ck_assert_msg(ev[0].events & bit, "events 0x%x lack 0x%x", ev[0].events, bit);
}

/* ---- tests ---- */

START_TEST(test_poller_reports_exactly_the_handles_with_data)
{
    size_t pairs = tu_under_valgrind() ? 200 : 2000, ready = 50;
    polysock_handle *a = malloc(sizeof *a * pairs), *b = malloc(sizeof *b * pairs);
    char *chosen = calloc(pairs, 1);
    ck_assert(a && b && chosen);
    polysock_handle p;
    ck_assert_ps_ok(polysock_poller_new(&p));
    for (size_t i = 0; i < pairs; i++) {
        pair(&a[i], &b[i]);
        ck_assert_ps_ok(polysock_poller_add(p, a[i], POLYSOCK_POLLIN));
    }
    unsigned seed = 4242;
    for (size_t k = 0; k < ready;) {
        size_t i = (size_t)rand_r(&seed) % pairs;
        if (!chosen[i]) {
            chosen[i] = 1;
            poke(b[i]);
            k++;
        }
    }
    polysock_event *ev = calloc(pairs, sizeof *ev);
    ck_assert_ptr_nonnull(ev);
    size_t count = wait_events(p, ev, pairs, 5.0);
    ck_assert_uint_eq(count, ready);
    for (size_t e = 0; e < count; e++) {
        size_t i = 0;
        while (i < pairs && a[i] != ev[e].handle)
            i++;
        ck_assert_msg(i < pairs, "unknown handle %llu reported", (unsigned long long)ev[e].handle);
        ck_assert_msg(chosen[i] == 1, "handle %zu reported twice or without data", i);
        chosen[i] = 2;
        ck_assert_uint_eq(ev[e].events & (POLYSOCK_POLLIN | POLYSOCK_POLLOUT), POLYSOCK_POLLIN);
    }
    for (size_t i = 0; i < pairs; i++) {
        ck_assert_ps_ok(polysock_close(a[i]));
        ck_assert_ps_ok(polysock_close(b[i]));
    }
    ck_assert_ps_ok(polysock_poller_close(p));
    free(ev);
    free(chosen);
    free(a);
    free(b);
}
END_TEST

START_TEST(test_poller_reports_writable_socket_with_pollout)
{
    polysock_handle p, a, b;
    ck_assert_ps_ok(polysock_poller_new(&p));
    pair(&a, &b);
    ck_assert_ps_ok(polysock_poller_add(p, a, POLYSOCK_POLLOUT));
    assert_single(p, a, POLYSOCK_POLLOUT);
    ck_assert_ps_ok(polysock_close(a));
    ck_assert_ps_ok(polysock_close(b));
    ck_assert_ps_ok(polysock_poller_close(p));
}
END_TEST

START_TEST(test_poller_reports_hangup_when_peer_closes)
{
    polysock_handle p, a, b;
    ck_assert_ps_ok(polysock_poller_new(&p));
    pair(&a, &b);
    ck_assert_ps_ok(polysock_poller_add(p, a, POLYSOCK_POLLIN));
    ck_assert_ps_ok(polysock_close(b));
    polysock_event ev[2];
    ck_assert_uint_eq(wait_events(p, ev, 2, 5.0), 1);
    ck_assert_uint_eq(ev[0].handle, a);
    ck_assert(ev[0].events & (POLYSOCK_POLLIN | POLYSOCK_POLLHUP));
    ck_assert_ps_ok(polysock_close(a));
    ck_assert_ps_ok(polysock_poller_close(p));
}
END_TEST

START_TEST(test_poller_wait_times_out_with_zero_count)
{
    polysock_handle p, a, b;
    ck_assert_ps_ok(polysock_poller_new(&p));
    pair(&a, &b);
    ck_assert_ps_ok(polysock_poller_add(p, a, POLYSOCK_POLLIN));
    polysock_event ev[2];
    double t0 = tu_now();
    size_t count = wait_events(p, ev, 2, 0.1);
    double elapsed = tu_now() - t0;
    ck_assert_uint_eq(count, 0);
    ck_assert_double_ge(elapsed, 0.09);
    ck_assert_double_lt(elapsed, 5.0);
    ck_assert_ps_ok(polysock_close(a));
    ck_assert_ps_ok(polysock_close(b));
    ck_assert_ps_ok(polysock_poller_close(p));
}
END_TEST

struct waker {
    polysock_handle poller;
    double delay;
    double woke_at;
    int rc;
};

static void *waker_main(void *arg)
{
    struct waker *w = arg;
    sleep_s(w->delay);
    w->woke_at = tu_now();
    w->rc = polysock_poller_wake(w->poller);
    return NULL;
}

START_TEST(test_poller_wake_from_another_thread_ends_endless_wait)
{
    polysock_handle p;
    ck_assert_ps_ok(polysock_poller_new(&p));
    struct waker w = {.poller = p, .delay = 0.2};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, waker_main, &w), 0);
    polysock_event ev[2];
    double t0 = tu_now();
    size_t count = wait_events(p, ev, 2, POLYSOCK_TIMEOUT_NONE);
    double returned = tu_now();
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_ps_ok(w.rc);
    ck_assert_uint_eq(count, 0); /* wake-ups are not reported as events */
    ck_assert_double_ge(returned - t0, 0.15);
    ck_assert_double_lt(returned - w.woke_at, 1.0);
    ck_assert_ps_ok(polysock_poller_close(p));
}
END_TEST

START_TEST(test_oneshot_reports_once_until_modify_rearms)
{
    polysock_handle p, a, b;
    ck_assert_ps_ok(polysock_poller_new(&p));
    pair(&a, &b);
    ck_assert_ps_ok(polysock_poller_add(p, a, POLYSOCK_POLLIN | POLYSOCK_POLLONESHOT));
    poke(b);
    assert_single(p, a, POLYSOCK_POLLIN);
    assert_quiet(p); /* data still unread, but disarmed */
    ck_assert_ps_ok(polysock_poller_modify(p, a, POLYSOCK_POLLIN | POLYSOCK_POLLONESHOT));
    assert_single(p, a, POLYSOCK_POLLIN);
    assert_quiet(p);
    ck_assert_ps_ok(polysock_poller_modify(p, a, POLYSOCK_POLLIN)); /* level again */
    assert_single(p, a, POLYSOCK_POLLIN);
    assert_single(p, a, POLYSOCK_POLLIN);
    ck_assert_ps_ok(polysock_close(a));
    ck_assert_ps_ok(polysock_close(b));
    ck_assert_ps_ok(polysock_poller_close(p));
}
END_TEST

START_TEST(test_removed_handle_is_no_longer_reported)
{
    polysock_handle p, a, b, c, d;
    ck_assert_ps_ok(polysock_poller_new(&p));
    pair(&a, &b);
    pair(&c, &d);
    ck_assert_ps_ok(polysock_poller_add(p, a, POLYSOCK_POLLIN));
    ck_assert_ps_ok(polysock_poller_add(p, c, POLYSOCK_POLLIN));
    poke(b);
    poke(d);
    ck_assert_ps_ok(polysock_poller_remove(p, a));
    assert_single(p, c, POLYSOCK_POLLIN);
    ck_assert_ps_ok(polysock_poller_remove(p, c));
    assert_quiet(p);
    /* Removing what is not registered is the OS's ENOENT. */
    ck_assert_ps(polysock_poller_remove(p, a), -ENOENT);
    polysock_handle all[] = {a, b, c, d};
    for (size_t i = 0; i < 4; i++)
        ck_assert_ps_ok(polysock_close(all[i]));
    ck_assert_ps_ok(polysock_poller_close(p));
}
END_TEST

START_TEST(test_closed_socket_is_not_reported_and_cannot_be_added)
{
    polysock_handle p, a, b, c, d;
    ck_assert_ps_ok(polysock_poller_new(&p));
    pair(&a, &b);
    ck_assert_ps_ok(polysock_poller_add(p, a, POLYSOCK_POLLIN));
    poke(b);
    ck_assert_ps_ok(polysock_close(a));
    assert_quiet(p);
    ck_assert_ps(polysock_poller_add(p, a, POLYSOCK_POLLIN), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_poller_modify(p, a, POLYSOCK_POLLIN), POLYSOCK_EBADHANDLE);
    /* A new socket on the reused descriptor is reported under its own handle. */
    pair(&c, &d);
    ck_assert_ps_ok(polysock_poller_add(p, c, POLYSOCK_POLLIN));
    poke(d);
    assert_single(p, c, POLYSOCK_POLLIN);
    polysock_handle all[] = {b, c, d};
    for (size_t i = 0; i < 3; i++)
        ck_assert_ps_ok(polysock_close(all[i]));
    ck_assert_ps_ok(polysock_poller_close(p));
}
END_TEST

/* epoll forgets a descriptor only when its last duplicate closes: with a
 * duplicate alive, the poller itself must drop the closed handle. */
START_TEST(test_closed_socket_is_not_reported_while_a_duplicate_lives_on)
{
    polysock_handle p, a, b;
    ck_assert_ps_ok(polysock_poller_new(&p));
    pair(&a, &b);
    int fd = -1;
    ck_assert_ps_ok(polysock_fileno(a, &fd));
    int dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    ck_assert_int_ge(dupfd, 0);
    ck_assert_ps_ok(polysock_poller_add(p, a, POLYSOCK_POLLIN));
    ck_assert_ps_ok(polysock_close(a));
    poke(b);
    assert_quiet(p);
    ck_assert_int_eq(close(dupfd), 0);
    ck_assert_ps_ok(polysock_close(b));
    ck_assert_ps_ok(polysock_poller_close(p));
}
END_TEST

/* More ready than fit: each wait fills the buffer, and successive waits
 * go round the ready set (epoll's documented round robin). */
START_TEST(test_poller_wait_fills_capacity_and_rotates_through_ready_set)
{
    enum { PAIRS = 50, CAP = 16 };
    polysock_handle p, a[PAIRS], b[PAIRS];
    ck_assert_ps_ok(polysock_poller_new(&p));
    for (int i = 0; i < PAIRS; i++) {
        pair(&a[i], &b[i]);
        ck_assert_ps_ok(polysock_poller_add(p, a[i], POLYSOCK_POLLIN));
        poke(b[i]);
    }
    char seen[PAIRS] = {0};
    polysock_event ev[CAP];
    for (int round = 0; round < (PAIRS + CAP - 1) / CAP; round++) {
        ck_assert_uint_eq(wait_events(p, ev, CAP, 5.0), CAP);
        for (int e = 0; e < CAP; e++) {
            int i = 0;
            while (i < PAIRS && a[i] != ev[e].handle)
                i++;
            ck_assert_int_lt(i, PAIRS);
            seen[i] = 1;
        }
    }
    for (int i = 0; i < PAIRS; i++)
        ck_assert_msg(seen[i], "ready handle %d never reported", i);
    for (int i = 0; i < PAIRS; i++) {
        ck_assert_ps_ok(polysock_close(a[i]));
        ck_assert_ps_ok(polysock_close(b[i]));
    }
    ck_assert_ps_ok(polysock_poller_close(p));
}
END_TEST

START_TEST(test_poller_refuses_unknown_event_bits_and_bad_timeouts)
{
    polysock_handle p, a, b;
    ck_assert_ps_ok(polysock_poller_new(&p));
    pair(&a, &b);
    ck_assert_ps(polysock_poller_add(p, a, 0x100000), POLYSOCK_EVALUE);
    polysock_event ev[2];
    size_t count = 0;
    ck_assert_ps(polysock_poller_wait(p, ev, 2, -0.5, &count), POLYSOCK_ETIMEOUTVAL);
    ck_assert_ps(polysock_poller_wait(p, ev, 0, 0.0, &count), POLYSOCK_EBUFSIZE);
    ck_assert_ps(polysock_poller_wait(p, NULL, 2, 0.0, &count), POLYSOCK_ENULL);
    ck_assert_ps_ok(polysock_close(a));
    ck_assert_ps_ok(polysock_close(b));
    ck_assert_ps_ok(polysock_poller_close(p));
}
END_TEST

START_TEST(test_closed_poller_is_refused)
{
    polysock_handle p, a, b;
    ck_assert_ps_ok(polysock_poller_new(&p));
    pair(&a, &b);
    ck_assert_ps_ok(polysock_poller_add(p, a, POLYSOCK_POLLIN));
    ck_assert_ps_ok(polysock_poller_close(p));
    polysock_event ev[2];
    size_t count = 77;
    ck_assert_ps(polysock_poller_wait(p, ev, 2, 0.0, &count), POLYSOCK_EBADHANDLE);
    ck_assert_uint_eq(count, 77);
    ck_assert_ps(polysock_poller_add(p, b, POLYSOCK_POLLIN), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_poller_modify(p, a, POLYSOCK_POLLOUT), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_poller_remove(p, a), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_poller_wake(p), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_poller_close(p), POLYSOCK_EBADHANDLE);
    /* Sockets that were registered outlive their poller. */
    poke(b);
    char c;
    size_t n = 0;
    ck_assert_ps_ok(polysock_recv(a, &c, 1, 0, &n));
    ck_assert_uint_eq(n, 1);
    ck_assert_ps_ok(polysock_close(a));
    ck_assert_ps_ok(polysock_close(b));
}
END_TEST

struct closer {
    polysock_handle poller;
    int rc;
};

static void *closer_main(void *arg)
{
    struct closer *c = arg;
    sleep_s(0.2);
    c->rc = polysock_poller_close(c->poller);
    return NULL;
}

START_TEST(test_poller_close_wakes_a_blocked_wait_with_badhandle)
{
    polysock_handle p;
    ck_assert_ps_ok(polysock_poller_new(&p));
    struct closer c = {.poller = p};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, closer_main, &c), 0);
    polysock_event ev[2];
    size_t count = 0;
    double t0 = tu_now();
    int rc = polysock_poller_wait(p, ev, 2, 30.0, &count);
    double elapsed = tu_now() - t0;
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_ps_ok(c.rc);
    ck_assert_ps(rc, POLYSOCK_EBADHANDLE);
    ck_assert_double_lt(elapsed, 2.0);
}
END_TEST

/* An event loop that watches descriptors can watch the poller: its fd
 * polls readable exactly while poller_wait has something to report. */
START_TEST(test_poller_fileno_polls_readable_when_events_wait)
{
    polysock_handle p, a, b;
    ck_assert_ps_ok(polysock_poller_new(&p));
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b));
    ck_assert_ps_ok(polysock_poller_add(p, a, POLYSOCK_POLLIN));
    int fd = -1;
    ck_assert_ps_ok(polysock_poller_fileno(p, &fd));
    ck_assert_int_ge(fd, 0);
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    ck_assert_int_eq(poll(&pfd, 1, 0), 0); /* nothing to report yet */
    size_t n = 0;
    ck_assert_ps_ok(polysock_send(b, "x", 1, 0, &n));
    ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
    ck_assert(pfd.revents & POLLIN);
    polysock_event ev[4];
    size_t count = 0;
    ck_assert_ps_ok(polysock_poller_wait(p, ev, 4, 0.0, &count));
    ck_assert_uint_eq(count, 1);
    ck_assert(ev[0].handle == a);
    ck_assert_ps_ok(polysock_poller_close(p));
    ck_assert_ps(polysock_poller_fileno(p, &fd), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_poller_fileno(a, &fd), POLYSOCK_EWRONGKIND);
    ck_assert_ps_ok(polysock_close(a));
    ck_assert_ps_ok(polysock_close(b));
}
END_TEST

Suite *poller_suite(void)
{
    Suite *s = suite_create("poller");
    TCase *tc = tcase_create("readiness");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_poller_reports_exactly_the_handles_with_data);
    tcase_add_test(tc, test_poller_reports_writable_socket_with_pollout);
    tcase_add_test(tc, test_poller_reports_hangup_when_peer_closes);
    tcase_add_test(tc, test_poller_wait_fills_capacity_and_rotates_through_ready_set);
    suite_add_tcase(s, tc);

    tc = tcase_create("waiting");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_poller_wait_times_out_with_zero_count);
    tcase_add_test(tc, test_poller_wake_from_another_thread_ends_endless_wait);
    tcase_add_test(tc, test_poller_close_wakes_a_blocked_wait_with_badhandle);
    suite_add_tcase(s, tc);

    tc = tcase_create("registration");
    tcase_add_test(tc, test_oneshot_reports_once_until_modify_rearms);
    tcase_add_test(tc, test_removed_handle_is_no_longer_reported);
    tcase_add_test(tc, test_closed_socket_is_not_reported_and_cannot_be_added);
    tcase_add_test(tc, test_closed_socket_is_not_reported_while_a_duplicate_lives_on);
    tcase_add_test(tc, test_closed_poller_is_refused);
    tcase_add_test(tc, test_poller_fileno_polls_readable_when_events_wait);
    tcase_add_test(tc, test_poller_refuses_unknown_event_bits_and_bad_timeouts);
    suite_add_tcase(s, tc);
    return s;
}
