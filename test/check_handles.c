/* check_handles.c - the handle table seen from outside: handle values fit
 * a double, carry a generation count, and are checked for their kind. */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "suites.h"
#include "testutil.h"

#define HANDLE_LIMIT ((polysock_handle)1 << 53)

/* ---- helpers ---- */

static polysock_handle numeric_addrinfo(void)
{
    polysock_handle list;
    ck_assert_ps_ok(polysock_getaddrinfo("127.0.0.1", "80", AF_INET, SOCK_STREAM, 0,
                                         AI_NUMERICHOST, &list));
    return list;
}

static void assert_valid_value(polysock_handle h)
{
    ck_assert_uint_ne(h, POLYSOCK_INVALID_HANDLE);
    ck_assert_uint_lt(h, HANDLE_LIMIT);
}

static void assert_badhandle_class(int rc, const char *what)
{
    ck_assert_msg(rc == POLYSOCK_EBADHANDLE || rc == POLYSOCK_EWRONGKIND,
                  "%s returned %d (%s), expected EBADHANDLE or EWRONGKIND", what, rc,
                  polysock_errname(rc));
    ck_assert_int_eq(polysock_errclass(rc), POLYSOCK_ERRCLASS_BADHANDLE);
    ck_assert_int_eq(polysock_errno(rc), EBADF);
}

static int cmp_handle(const void *a, const void *b)
{
    polysock_handle x = *(const polysock_handle *)a, y = *(const polysock_handle *)b;
    return x < y ? -1 : x > y;
}

static void assert_all_distinct(polysock_handle *h, size_t n)
{
    qsort(h, n, sizeof *h, cmp_handle);
    for (size_t i = 1; i < n; i++)
        ck_assert_msg(h[i - 1] != h[i], "handle %llu given out twice",
                      (unsigned long long)h[i]);
}

/* ---- tests ---- */

START_TEST(test_handles_of_every_kind_are_nonzero_and_below_2_pow_53)
{
    polysock_handle s, a, b, p, list, host;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &s));
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b));
    ck_assert_ps_ok(polysock_poller_new(&p));
    list = numeric_addrinfo();
    ck_assert_ps_ok(polysock_gethostbyname_ex("localhost", &host));
    polysock_handle all[] = {s, a, b, p, list, host};
    for (size_t i = 0; i < 6; i++)
        assert_valid_value(all[i]);
    /* A double (every FFI's number) carries them exactly. */
    for (size_t i = 0; i < 6; i++)
        ck_assert_uint_eq((polysock_handle)(double)all[i], all[i]);
    ck_assert_ps_ok(polysock_close(s));
    ck_assert_ps_ok(polysock_close(a));
    ck_assert_ps_ok(polysock_close(b));
    ck_assert_ps_ok(polysock_poller_close(p));
    ck_assert_ps_ok(polysock_list_free(list));
    ck_assert_ps_ok(polysock_list_free(host));
}
END_TEST

START_TEST(test_reopened_sockets_never_reuse_a_closed_handle)
{
    enum { ROUNDS = 1000 };
    polysock_handle *seen = malloc(sizeof *seen * ROUNDS);
    ck_assert_ptr_nonnull(seen);
    for (int i = 0; i < ROUNDS; i++) {
        ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_DGRAM, 0, &seen[i]));
        assert_valid_value(seen[i]);
        ck_assert_ps_ok(polysock_close(seen[i]));
    }
    assert_all_distinct(seen, ROUNDS);
    free(seen);
}
END_TEST

START_TEST(test_reopened_pollers_and_lists_never_reuse_a_closed_handle)
{
    enum { ROUNDS = 300 };
    polysock_handle *seen = malloc(sizeof *seen * 2 * ROUNDS);
    ck_assert_ptr_nonnull(seen);
    for (int i = 0; i < ROUNDS; i++) {
        ck_assert_ps_ok(polysock_poller_new(&seen[2 * i]));
        ck_assert_ps_ok(polysock_poller_close(seen[2 * i]));
        seen[2 * i + 1] = numeric_addrinfo();
        ck_assert_ps_ok(polysock_list_free(seen[2 * i + 1]));
    }
    assert_all_distinct(seen, 2 * ROUNDS);
    free(seen);
}
END_TEST

START_TEST(test_closed_handle_stays_refused_after_its_slot_is_reused)
{
    polysock_handle old, fresh[8];
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &old));
    ck_assert_ps_ok(polysock_close(old));
    for (int i = 0; i < 8; i++)
        ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &fresh[i]));
    int fd = -1;
    ck_assert_ps(polysock_fileno(old, &fd), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_close(old), POLYSOCK_EBADHANDLE);
    for (int i = 0; i < 8; i++) {
        ck_assert_uint_ne(fresh[i], old);
        ck_assert_ps_ok(polysock_fileno(fresh[i], &fd));
        ck_assert_ps_ok(polysock_close(fresh[i]));
    }
}
END_TEST

START_TEST(test_handle_of_another_kind_is_refused)
{
    polysock_handle s, p, list;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &s));
    ck_assert_ps_ok(polysock_poller_new(&p));
    list = numeric_addrinfo();
    char buf[8];
    size_t n = 0, count = 0;
    int fd = -1;
    polysock_event ev[4];
    assert_badhandle_class(polysock_recv(p, buf, sizeof buf, 0, &n), "recv(poller)");
    assert_badhandle_class(polysock_fileno(list, &fd), "fileno(list)");
    assert_badhandle_class(polysock_close(p), "close(poller)");
    assert_badhandle_class(polysock_close(list), "close(list)");
    assert_badhandle_class(polysock_poller_wait(s, ev, 4, 0.0, &count), "poller_wait(socket)");
    assert_badhandle_class(polysock_poller_add(list, s, POLYSOCK_POLLIN), "poller_add(list, s)");
    assert_badhandle_class(polysock_poller_add(p, list, POLYSOCK_POLLIN), "poller_add(p, list)");
    assert_badhandle_class(polysock_list_free(s), "list_free(socket)");
    assert_badhandle_class(polysock_list_free(p), "list_free(poller)");
    assert_badhandle_class(polysock_addrinfo_count(p, &count), "addrinfo_count(poller)");
    assert_badhandle_class(polysock_poller_close(s), "poller_close(socket)");
    /* Refusals did not close anything. */
    ck_assert_ps_ok(polysock_fileno(s, &fd));
    ck_assert_ps_ok(polysock_addrinfo_count(list, &count));
    ck_assert_uint_eq(count, 1);
    ck_assert_ps_ok(polysock_poller_wait(p, ev, 4, 0.0, &count));
    ck_assert_uint_eq(count, 0);
    ck_assert_ps_ok(polysock_close(s));
    ck_assert_ps_ok(polysock_poller_close(p));
    ck_assert_ps_ok(polysock_list_free(list));
}
END_TEST

START_TEST(test_hostent_list_given_as_addrinfo_list_is_refused)
{
    polysock_handle host, list = numeric_addrinfo();
    ck_assert_ps_ok(polysock_gethostbyname_ex("localhost", &host));
    size_t count = 0;
    char name[POLYSOCK_HOST_MAX];
    assert_badhandle_class(polysock_addrinfo_count(host, &count), "addrinfo_count(hostent)");
    assert_badhandle_class(polysock_hostent_name(list, name, sizeof name), "hostent_name(addrinfo)");
    ck_assert_ps_ok(polysock_hostent_name(host, name, sizeof name));
    ck_assert_ps_ok(polysock_list_free(host));
    ck_assert_ps_ok(polysock_list_free(list));
}
END_TEST

START_TEST(test_list_free_twice_gives_badhandle)
{
    polysock_handle list = numeric_addrinfo();
    ck_assert_ps_ok(polysock_list_free(list));
    ck_assert_ps(polysock_list_free(list), POLYSOCK_EBADHANDLE);
    size_t count = 0;
    ck_assert_ps(polysock_addrinfo_count(list, &count), POLYSOCK_EBADHANDLE);
}
END_TEST

START_TEST(test_live_handle_count_follows_opens_and_closes)
{
    polysock_stats st0, st;
    ck_assert_ps_ok(polysock_get_stats(&st0));
    polysock_handle a, b, p, list;
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b));
    ck_assert_ps_ok(polysock_poller_new(&p));
    list = numeric_addrinfo();
    ck_assert_ps_ok(polysock_get_stats(&st));
    ck_assert_int_eq(st.live_handles, st0.live_handles + 4);
    ck_assert_int_eq(st.live_sockets, st0.live_sockets + 2);
    ck_assert_ps_ok(polysock_close(a));
    ck_assert_ps_ok(polysock_get_stats(&st));
    ck_assert_int_eq(st.live_handles, st0.live_handles + 3);
    ck_assert_int_eq(st.live_sockets, st0.live_sockets + 1);
    ck_assert_ps_ok(polysock_close(b));
    ck_assert_ps_ok(polysock_poller_close(p));
    ck_assert_ps_ok(polysock_list_free(list));
    ck_assert_ps_ok(polysock_get_stats(&st));
    ck_assert_int_eq(st.live_handles, st0.live_handles);
    ck_assert_int_eq(st.live_sockets, st0.live_sockets);
}
END_TEST

START_TEST(test_null_out_params_are_refused_with_enull)
{
    polysock_handle s;
    ck_assert_ps(polysock_socket(AF_INET, SOCK_STREAM, 0, NULL), POLYSOCK_ENULL);
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &s));
    int rc = polysock_fileno(s, NULL);
    ck_assert_ps(rc, POLYSOCK_ENULL);
    ck_assert_int_eq(polysock_errclass(rc), POLYSOCK_ERRCLASS_TYPE);
    ck_assert_ps(polysock_poller_new(NULL), POLYSOCK_ENULL);
    ck_assert_ps(polysock_get_stats(NULL), POLYSOCK_ENULL);
    ck_assert_ps_ok(polysock_close(s));
}
END_TEST

Suite *handles_suite(void)
{
    Suite *s = suite_create("handles");
    TCase *tc = tcase_create("values");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_handles_of_every_kind_are_nonzero_and_below_2_pow_53);
    tcase_add_test(tc, test_reopened_sockets_never_reuse_a_closed_handle);
    tcase_add_test(tc, test_reopened_pollers_and_lists_never_reuse_a_closed_handle);
    tcase_add_test(tc, test_closed_handle_stays_refused_after_its_slot_is_reused);
    suite_add_tcase(s, tc);

    tc = tcase_create("kinds");
    tcase_add_test(tc, test_handle_of_another_kind_is_refused);
    tcase_add_test(tc, test_hostent_list_given_as_addrinfo_list_is_refused);
    tcase_add_test(tc, test_list_free_twice_gives_badhandle);
    tcase_add_test(tc, test_live_handle_count_follows_opens_and_closes);
    tcase_add_test(tc, test_null_out_params_are_refused_with_enull);
    suite_add_tcase(s, tc);
    return s;
}
