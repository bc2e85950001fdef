/* check_constants.c - the constants table: values match the platform
 * headers, every group of the reference is present, names are unique and
 * the iteration and lookup interfaces agree. */
#define _GNU_SOURCE
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "suites.h"
#include "testutil.h"

static int64_t lookup_ok(const char *name)
{
    int64_t v = -12345;
    int rc = polysock_constant_lookup(name, &v);
    ck_assert_msg(rc == 0, "%s missing: %s", name, polysock_errname(rc));
    return v;
}

START_TEST(test_values_match_the_platform_headers)
{
    ck_assert_int_eq(lookup_ok("AF_INET"), AF_INET);
    ck_assert_int_eq(lookup_ok("AF_INET6"), AF_INET6);
    ck_assert_int_eq(lookup_ok("AF_UNIX"), AF_UNIX);
    ck_assert_int_eq(lookup_ok("AF_NETLINK"), AF_NETLINK);
    ck_assert_int_eq(lookup_ok("SOCK_STREAM"), SOCK_STREAM);
    ck_assert_int_eq(lookup_ok("SOCK_DGRAM"), SOCK_DGRAM);
    ck_assert_int_eq(lookup_ok("SOCK_NONBLOCK"), SOCK_NONBLOCK);
    ck_assert_int_eq(lookup_ok("SOCK_CLOEXEC"), SOCK_CLOEXEC);
    ck_assert_int_eq(lookup_ok("SOL_SOCKET"), SOL_SOCKET);
    ck_assert_int_eq(lookup_ok("SO_REUSEADDR"), SO_REUSEADDR);
    ck_assert_int_eq(lookup_ok("SO_RCVTIMEO"), SO_RCVTIMEO);
    ck_assert_int_eq(lookup_ok("SOMAXCONN"), SOMAXCONN);
    ck_assert_int_eq(lookup_ok("MSG_PEEK"), MSG_PEEK);
    ck_assert_int_eq(lookup_ok("MSG_NOSIGNAL"), MSG_NOSIGNAL);
    ck_assert_int_eq(lookup_ok("IPPROTO_TCP"), IPPROTO_TCP);
    ck_assert_int_eq(lookup_ok("IPPROTO_IPV6"), IPPROTO_IPV6);
    ck_assert_int_eq(lookup_ok("IP_TTL"), IP_TTL);
    ck_assert_int_eq(lookup_ok("IPV6_V6ONLY"), IPV6_V6ONLY);
    ck_assert_int_eq(lookup_ok("TCP_NODELAY"), TCP_NODELAY);
    ck_assert_int_eq(lookup_ok("AI_PASSIVE"), AI_PASSIVE);
    ck_assert_int_eq(lookup_ok("NI_NUMERICHOST"), NI_NUMERICHOST);
    ck_assert_int_eq(lookup_ok("NI_MAXHOST"), NI_MAXHOST);
    ck_assert_int_eq(lookup_ok("SHUT_RDWR"), SHUT_RDWR);
}
END_TEST

START_TEST(test_cpython_defaults_and_special_values)
{
    ck_assert_int_eq(lookup_ok("SOL_IP"), 0);
    ck_assert_int_eq(lookup_ok("SOL_TCP"), 6);
    ck_assert_int_eq(lookup_ok("SOL_UDP"), 17);
    ck_assert_int_eq(lookup_ok("IPPORT_RESERVED"), 1024);
    ck_assert_int_eq(lookup_ok("IPPORT_USERRESERVED"), 5000);
    ck_assert_int_eq(lookup_ok("INADDR_ANY"), 0);
    ck_assert_int_eq(lookup_ok("INADDR_LOOPBACK"), 0x7f000001);
    /* Unsigned 32-bit values stay positive. */
    ck_assert_int_eq(lookup_ok("INADDR_BROADCAST"), 0xffffffffLL);
    ck_assert_int_eq(lookup_ok("INADDR_NONE"), 0xffffffffLL);
    ck_assert_int_eq(lookup_ok("INADDR_UNSPEC_GROUP"), 0xe0000000LL);
    ck_assert_int_eq(lookup_ok("INADDR_ALLHOSTS_GROUP"), 0xe0000001LL);
    ck_assert_int_eq(lookup_ok("INADDR_MAX_LOCAL_GROUP"), 0xe00000ffLL);
    /* glibc's EAI_* codes are negative; the table keeps the sign. */
    ck_assert_int_eq(lookup_ok("EAI_NONAME"), EAI_NONAME);
    ck_assert_int_lt(lookup_ok("EAI_NONAME"), 0);
    ck_assert_int_eq(lookup_ok("NETLINK_ROUTE"), 0);
}
END_TEST

START_TEST(test_polysock_poll_flags_are_exported)
{
    ck_assert_int_eq(lookup_ok("POLYSOCK_POLLIN"), POLYSOCK_POLLIN);
    ck_assert_int_eq(lookup_ok("POLYSOCK_POLLOUT"), POLYSOCK_POLLOUT);
    ck_assert_int_eq(lookup_ok("POLYSOCK_POLLERR"), POLYSOCK_POLLERR);
    ck_assert_int_eq(lookup_ok("POLYSOCK_POLLHUP"), POLYSOCK_POLLHUP);
    ck_assert_int_eq(lookup_ok("POLYSOCK_POLLONESHOT"), POLYSOCK_POLLONESHOT);
}
END_TEST

START_TEST(test_lookup_of_unknown_name_is_evalue)
{
    int64_t v = 99;
    ck_assert_ps(polysock_constant_lookup("AF_NO_SUCH_FAMILY", &v), POLYSOCK_EVALUE);
    ck_assert_ps(polysock_constant_lookup("", &v), POLYSOCK_EVALUE);
    ck_assert_ps(polysock_constant_lookup("af_inet", &v), POLYSOCK_EVALUE);
    ck_assert_ps(polysock_constant_lookup("POLYSOCK_TIMEOUT_NONE", &v), POLYSOCK_EVALUE);
    ck_assert_int_eq(v, 99);
    ck_assert_ps(polysock_constant_lookup(NULL, &v), POLYSOCK_ENULL);
    ck_assert_ps(polysock_constant_lookup("AF_INET", NULL), POLYSOCK_ENULL);
}
END_TEST

START_TEST(test_iteration_agrees_with_count_and_lookup)
{
    size_t n = polysock_constant_count();
    ck_assert_uint_gt(n, 200);
    for (size_t i = 0; i < n; i++) {
        const char *name = polysock_constant_name(i);
        ck_assert_ptr_nonnull(name);
        ck_assert_int_eq(lookup_ok(name), polysock_constant_value(i));
    }
    ck_assert_ptr_null(polysock_constant_name(n));
    ck_assert_ptr_null(polysock_constant_name(SIZE_MAX));
    ck_assert_int_eq(polysock_constant_value(n), 0);
}
END_TEST

START_TEST(test_names_are_unique_identifiers)
{
    size_t n = polysock_constant_count();
    for (size_t i = 0; i < n; i++) {
        const char *a = polysock_constant_name(i);
        ck_assert_uint_gt(strlen(a), 0);
        ck_assert_msg(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                "0123456789_") == strlen(a),
                      "bad name \"%s\"", a);
        for (size_t j = i + 1; j < n; j++)
            ck_assert_msg(strcmp(a, polysock_constant_name(j)) != 0,
                          "duplicate name %s at %zu and %zu", a, i, j);
    }
}
END_TEST

START_TEST(test_every_group_of_the_reference_is_present)
{
    const char *prefixes[] = {"AF_",     "SOCK_",   "SO_",     "SOMAXCONN", "MSG_",
                              "SOL_",    "IPPROTO_", "IPPORT_", "INADDR_",   "IP_",
                              "IPV6_",   "EAI_",    "AI_",     "NI_",       "TCP_",
                              "SHUT_",   "POLYSOCK_POLL"};
    size_t n = polysock_constant_count();
    for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++) {
        size_t len = strlen(prefixes[p]), hits = 0;
        for (size_t i = 0; i < n; i++)
            hits += strncmp(polysock_constant_name(i), prefixes[p], len) == 0;
        ck_assert_msg(hits > 0, "no constant starts with %s", prefixes[p]);
    }
}
END_TEST

Suite *constants_suite(void)
{
    Suite *s = suite_create("constants");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, test_values_match_the_platform_headers);
    tcase_add_test(tc, test_cpython_defaults_and_special_values);
    tcase_add_test(tc, test_polysock_poll_flags_are_exported);
    tcase_add_test(tc, test_lookup_of_unknown_name_is_evalue);
    tcase_add_test(tc, test_iteration_agrees_with_count_and_lookup);
    tcase_add_test(tc, test_names_are_unique_identifiers);
    tcase_add_test(tc, test_every_group_of_the_reference_is_present);
    suite_add_tcase(s, tc);
    return s;
}
