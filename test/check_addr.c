/* check_addr.c - the address record: parsing into a kernel sockaddr the way
 * Python's getsockaddrarg/setipaddr do, and back, including real bind +
 * getsockname round trips for AF_UNIX abstract names and AF_NETLINK. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "internal.h"
#include "suites.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------ */

static polysock__sockaddr to_sockaddr_ok(int family, const polysock_addr *a)
{
    polysock__sockaddr sa;
    ck_assert_ps_ok(polysock__addr_to_sockaddr(family, a, &sa));
    return sa;
}

static struct sockaddr_in as_in(const polysock__sockaddr *sa)
{
    struct sockaddr_in sin;
    ck_assert_uint_eq(sa->len, sizeof sin);
    memcpy(&sin, &sa->storage, sizeof sin);
    ck_assert_int_eq(sin.sin_family, AF_INET);
    return sin;
}

static struct sockaddr_in6 as_in6(const polysock__sockaddr *sa)
{
    struct sockaddr_in6 sin6;
    ck_assert_uint_eq(sa->len, sizeof sin6);
    memcpy(&sin6, &sa->storage, sizeof sin6);
    ck_assert_int_eq(sin6.sin6_family, AF_INET6);
    return sin6;
}

static const size_t SUN_OFF = offsetof(struct sockaddr_un, sun_path);
#define SUN_PATH_MAX (sizeof ((struct sockaddr_un *)0)->sun_path)

/* ---- polysock_addr_set --------------------------------------------------- */

START_TEST(test_addr_set_fills_every_field_and_terminates_host)
{
    polysock_addr a;
    memset(&a, 0x5a, sizeof a);
    ck_assert_ps_ok(polysock_addr_set(&a, AF_INET, "example.invalid", 8080));
    ck_assert_int_eq(a.family, AF_INET);
    ck_assert_int_eq(a.port, 8080);
    ck_assert_uint_eq(a.host_len, strlen("example.invalid"));
    ck_assert_str_eq(a.host, "example.invalid");
    ck_assert_uint_eq(a.flowinfo, 0);
    ck_assert_uint_eq(a.scope_id, 0);
    ck_assert_uint_eq(a.pid, 0);
    ck_assert_uint_eq(a.groups, 0);
}
END_TEST

START_TEST(test_addr_set_refuses_null_and_overlong_host)
{
    polysock_addr a;
    ck_assert_ps(polysock_addr_set(NULL, AF_INET, "x", 1), POLYSOCK_ENULL);
    ck_assert_ps(polysock_addr_set(&a, AF_INET, NULL, 1), POLYSOCK_ENULL);
    char host[POLYSOCK_HOST_MAX + 1];
    memset(host, 'a', sizeof host);
    host[POLYSOCK_HOST_MAX] = '\0';
    ck_assert_ps(polysock_addr_set(&a, AF_INET, host, 1), POLYSOCK_EVALUE);
    host[POLYSOCK_HOST_MAX - 1] = '\0';
    ck_assert_ps_ok(polysock_addr_set(&a, AF_INET, host, 1));
    ck_assert_uint_eq(a.host_len, POLYSOCK_HOST_MAX - 1);
}
END_TEST

/* ---- AF_INET / AF_INET6 -------------------------------------------------- */

START_TEST(test_port_outside_0_65535_is_eport_never_truncated)
{
    const int64_t bad[] = {-1, 65536, 1LL << 32, (1LL << 32) + 80, INT64_MIN};
    const int fams[] = {AF_INET, AF_INET6};
    polysock__sockaddr sa;
    for (size_t f = 0; f < 2; f++)
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            polysock_addr a = tu_addr(fams[f], fams[f] == AF_INET ? "127.0.0.1" : "::1",
                                      bad[i]);
            ck_assert_ps(polysock__addr_to_sockaddr(fams[f], &a, &sa), POLYSOCK_EPORT);
        }
    ck_assert_int_eq(polysock_errclass(POLYSOCK_EPORT), POLYSOCK_ERRCLASS_OVERFLOW);
}
END_TEST

START_TEST(test_port_limits_and_numeric_ipv4_in_network_order)
{
    polysock_addr a = tu_addr(AF_INET, "10.1.2.3", 65535);
    polysock__sockaddr sa = to_sockaddr_ok(AF_INET, &a);
    struct sockaddr_in sin = as_in(&sa);
    ck_assert_uint_eq(ntohs(sin.sin_port), 65535);
    ck_assert_uint_eq(ntohl(sin.sin_addr.s_addr), 0x0a010203u);
    a = tu_addr(AF_INET, "10.1.2.3", 0);
    sa = to_sockaddr_ok(AF_INET, &a);
    ck_assert_uint_eq(as_in(&sa).sin_port, 0);
}
END_TEST

START_TEST(test_empty_host_is_the_any_address)
{
    polysock_addr a = tu_addr(AF_INET, "", 80);
    polysock__sockaddr sa = to_sockaddr_ok(AF_INET, &a);
    ck_assert_uint_eq(as_in(&sa).sin_addr.s_addr, htonl(INADDR_ANY));
    a = tu_addr(AF_INET6, "", 80);
    sa = to_sockaddr_ok(AF_INET6, &a);
    struct sockaddr_in6 sin6 = as_in6(&sa);
    ck_assert_mem_eq(&sin6.sin6_addr, &in6addr_any, 16);
    ck_assert_uint_eq(ntohs(sin6.sin6_port), 80);
}
END_TEST

START_TEST(test_broadcast_name_is_inaddr_broadcast_for_ipv4_only)
{
    polysock_addr a = tu_addr(AF_INET, "<broadcast>", 9);
    polysock__sockaddr sa = to_sockaddr_ok(AF_INET, &a);
    ck_assert_uint_eq(as_in(&sa).sin_addr.s_addr, htonl(INADDR_BROADCAST));
    /* As Python: socket.error "address family mismatched". */
    a = tu_addr(AF_INET6, "<broadcast>", 9);
    ck_assert_ps(polysock__addr_to_sockaddr(AF_INET6, &a, &sa), POLYSOCK_EFAMILYMISMATCH);
}
END_TEST

START_TEST(test_ipv6_scope_syntax_gives_the_interface_index)
{
    unsigned lo = if_nametoindex("lo");
    ck_assert_uint_gt(lo, 0);
    polysock_addr a = tu_addr(AF_INET6, "fe80::1%lo", 443);
    polysock__sockaddr sa = to_sockaddr_ok(AF_INET6, &a);
    struct sockaddr_in6 sin6 = as_in6(&sa);
    ck_assert_uint_eq(sin6.sin6_scope_id, lo);
    ck_assert_uint_eq(ntohs(sin6.sin6_port), 443);
    struct in6_addr want;
    ck_assert_int_eq(inet_pton(AF_INET6, "fe80::1", &want), 1);
    ck_assert_mem_eq(&sin6.sin6_addr, &want, 16);
}
END_TEST

START_TEST(test_explicit_scope_id_wins_over_the_interface_name)
{
    polysock_addr a = tu_addr(AF_INET6, "fe80::1%lo", 1);
    a.scope_id = 4242;
    polysock__sockaddr sa = to_sockaddr_ok(AF_INET6, &a);
    ck_assert_uint_eq(as_in6(&sa).sin6_scope_id, 4242);
    a = tu_addr(AF_INET6, "fe80::2", 1);
    a.scope_id = 7;
    sa = to_sockaddr_ok(AF_INET6, &a);
    ck_assert_uint_eq(as_in6(&sa).sin6_scope_id, 7);
}
END_TEST

START_TEST(test_flowinfo_must_fit_twenty_bits)
{
    polysock_addr a = tu_addr(AF_INET6, "::1", 1);
    a.flowinfo = 0xfffff;
    polysock__sockaddr sa = to_sockaddr_ok(AF_INET6, &a);
    ck_assert_uint_eq(ntohl(as_in6(&sa).sin6_flowinfo), 0xfffff);
    a.flowinfo = 0x100000;
    ck_assert_ps(polysock__addr_to_sockaddr(AF_INET6, &a, &sa), POLYSOCK_ERANGE);
    a.flowinfo = UINT32_MAX;
    ck_assert_ps(polysock__addr_to_sockaddr(AF_INET6, &a, &sa), POLYSOCK_ERANGE);
}
END_TEST

START_TEST(test_nul_inside_an_ip_host_is_refused)
{
    polysock_addr a = tu_addr(AF_INET, "127.0.0.1", 1);
    a.host[3] = '\0'; /* "127\0.0.1", host_len still 9 */
    polysock__sockaddr sa;
    ck_assert_ps(polysock__addr_to_sockaddr(AF_INET, &a, &sa), POLYSOCK_EEMBEDDEDNUL);
    a = tu_addr(AF_INET6, "::1", 1);
    a.host_len = 4; /* includes the terminating NUL */
    ck_assert_ps(polysock__addr_to_sockaddr(AF_INET6, &a, &sa), POLYSOCK_EEMBEDDEDNUL);
}
END_TEST

START_TEST(test_host_len_is_used_not_the_nul)
{
    /* A binding may fill the record without a NUL after host_len bytes. */
    polysock_addr a = tu_addr(AF_INET, "10.0.0.1", 5);
    memcpy(a.host, "10.0.0.19999", 12);
    a.host_len = 8;
    polysock__sockaddr sa = to_sockaddr_ok(AF_INET, &a);
    ck_assert_uint_eq(ntohl(as_in(&sa).sin_addr.s_addr), 0x0a000001u);
    a.host_len = POLYSOCK_HOST_MAX;
    ck_assert_ps(polysock__addr_to_sockaddr(AF_INET, &a, &sa), POLYSOCK_EVALUE);
}
END_TEST

START_TEST(test_record_family_must_match_the_socket)
{
    polysock__sockaddr sa;
    polysock_addr a = tu_addr(AF_INET6, "::1", 1);
    ck_assert_ps(polysock__addr_to_sockaddr(AF_INET, &a, &sa), POLYSOCK_EADDRTYPE);
    a = tu_addr(0, "127.0.0.1", 1); /* 0: take the socket's */
    sa = to_sockaddr_ok(AF_INET, &a);
    ck_assert_uint_eq(ntohs(as_in(&sa).sin_port), 1);
    a = tu_addr(AF_APPLETALK, "1", 1);
    ck_assert_ps(polysock__addr_to_sockaddr(AF_APPLETALK, &a, &sa), POLYSOCK_EFAMILY);
    ck_assert_ps(polysock__addr_to_sockaddr(AF_INET, NULL, &sa), POLYSOCK_ENULL);
    ck_assert_ps(polysock__addr_to_sockaddr(AF_INET, &a, NULL), POLYSOCK_ENULL);
}
END_TEST

START_TEST(test_numeric_ipv4_is_refused_for_an_ipv6_socket)
{
    polysock_addr a = tu_addr(AF_INET6, "127.0.0.1", 1);
    polysock__sockaddr sa;
    int rc = polysock__addr_to_sockaddr(AF_INET6, &a, &sa);
    ck_assert_int_eq(polysock_errclass(rc), POLYSOCK_ERRCLASS_GAI);
}
END_TEST

START_TEST(test_localhost_resolves_and_invalid_name_is_gai_class)
{
    polysock__sockaddr sa;
    ck_assert_ps_ok(polysock__resolve_host("localhost", AF_INET, &sa));
    ck_assert_uint_eq(ntohl(as_in(&sa).sin_addr.s_addr) >> 24, 127);
    int rc = polysock__resolve_host("no-such-host.invalid", AF_INET, &sa);
    ck_assert_int_eq(polysock_errclass(rc), POLYSOCK_ERRCLASS_GAI);
    polysock_addr a = tu_addr(AF_INET, "no-such-host.invalid", 80);
    rc = polysock__addr_to_sockaddr(AF_INET, &a, &sa);
    ck_assert_int_eq(polysock_errclass(rc), POLYSOCK_ERRCLASS_GAI);
}
END_TEST

START_TEST(test_resolve_host_unspec_takes_either_family)
{
    polysock__sockaddr sa;
    ck_assert_ps_ok(polysock__resolve_host("::1", AF_UNSPEC, &sa));
    ck_assert_int_eq(sa.storage.ss_family, AF_INET6);
    ck_assert_ps_ok(polysock__resolve_host("192.0.2.7", AF_UNSPEC, &sa));
    ck_assert_int_eq(sa.storage.ss_family, AF_INET);
    ck_assert_ps_ok(polysock__resolve_host("<broadcast>", AF_UNSPEC, &sa));
    ck_assert_uint_eq(as_in(&sa).sin_addr.s_addr, htonl(INADDR_BROADCAST));
    ck_assert_ps(polysock__resolve_host("::1", AF_UNIX, &sa), POLYSOCK_EFAMILY);
    ck_assert_ps(polysock__resolve_host(NULL, AF_INET, &sa), POLYSOCK_ENULL);
}
END_TEST

/* ---- AF_UNIX ------------------------------------------------------------- */

START_TEST(test_unix_path_is_nul_terminated_in_the_length)
{
    polysock_addr a = tu_unix_addr("/tmp/sock", 9);
    polysock__sockaddr sa = to_sockaddr_ok(AF_UNIX, &a);
    ck_assert_uint_eq(sa.len, SUN_OFF + 9 + 1);
    struct sockaddr_un sun;
    memcpy(&sun, &sa.storage, sizeof sun);
    ck_assert_int_eq(sun.sun_family, AF_UNIX);
    ck_assert_str_eq(sun.sun_path, "/tmp/sock");
}
END_TEST

START_TEST(test_unix_path_too_long_is_epathlen)
{
    char path[SUN_PATH_MAX + 2];
    memset(path, 'p', sizeof path);
    polysock__sockaddr sa;
    polysock_addr a = tu_unix_addr(path, SUN_PATH_MAX); /* no room for the NUL */
    ck_assert_ps(polysock__addr_to_sockaddr(AF_UNIX, &a, &sa), POLYSOCK_EPATHLEN);
    a = tu_unix_addr(path, SUN_PATH_MAX - 1);
    sa = to_sockaddr_ok(AF_UNIX, &a);
    ck_assert_uint_eq(sa.len, sizeof(struct sockaddr_un));
    path[0] = '\0'; /* abstract: needs no NUL, may fill sun_path */
    a = tu_unix_addr(path, SUN_PATH_MAX);
    sa = to_sockaddr_ok(AF_UNIX, &a);
    ck_assert_uint_eq(sa.len, SUN_OFF + SUN_PATH_MAX);
    a = tu_unix_addr(path, SUN_PATH_MAX + 1);
    ck_assert_ps(polysock__addr_to_sockaddr(AF_UNIX, &a, &sa), POLYSOCK_EPATHLEN);
    ck_assert_int_eq(polysock_errclass(POLYSOCK_EPATHLEN), POLYSOCK_ERRCLASS_ERROR);
}
END_TEST

START_TEST(test_unix_abstract_and_empty_names_have_no_trailing_nul)
{
    polysock_addr a = tu_unix_addr("\0ab\0c", 5);
    polysock__sockaddr sa = to_sockaddr_ok(AF_UNIX, &a);
    ck_assert_uint_eq(sa.len, SUN_OFF + 5);
    ck_assert_mem_eq((const char *)&sa.storage + SUN_OFF, "\0ab\0c", 5);
    a = tu_unix_addr("", 0);
    sa = to_sockaddr_ok(AF_UNIX, &a);
    ck_assert_uint_eq(sa.len, SUN_OFF);
}
END_TEST

START_TEST(test_unix_path_with_inner_nul_is_refused)
{
    polysock_addr a = tu_unix_addr("/tmp/a\0b", 8);
    polysock__sockaddr sa;
    ck_assert_ps(polysock__addr_to_sockaddr(AF_UNIX, &a, &sa), POLYSOCK_EEMBEDDEDNUL);
}
END_TEST

static polysock_addr unix_back(const char *path, size_t n)
{
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, n);
    polysock_addr a;
    ck_assert_ps_ok(polysock__sockaddr_to_addr((struct sockaddr *)&sun,
                                               (socklen_t)(SUN_OFF + n), &a));
    ck_assert_int_eq(a.family, AF_UNIX);
    return a;
}

START_TEST(test_unix_sockaddr_back_to_record)
{
    polysock_addr a = unix_back("/tmp/x\0junk", 11);
    ck_assert_uint_eq(a.host_len, 6);
    ck_assert_str_eq(a.host, "/tmp/x");
    a = unix_back("\0abs\0x", 6);
    ck_assert_uint_eq(a.host_len, 6);
    ck_assert_mem_eq(a.host, "\0abs\0x", 6);
    a = unix_back("", 0);
    ck_assert_uint_eq(a.host_len, 0);
    ck_assert_str_eq(a.host, "");
}
END_TEST

static void bind_unix_round_trip(const char *name, size_t n)
{
    polysock_handle s;
    ck_assert_ps_ok(polysock_socket(AF_UNIX, SOCK_STREAM, 0, &s));
    polysock_addr a = tu_unix_addr(name, n);
    ck_assert_ps_ok(polysock_bind(s, &a));
    polysock_addr got;
    ck_assert_ps_ok(polysock_getsockname(s, &got));
    ck_assert_int_eq(got.family, AF_UNIX);
    ck_assert_uint_eq(got.host_len, n);
    ck_assert_mem_eq(got.host, name, n);
    ck_assert_int_eq(got.host[n], '\0');
    ck_assert_ps_ok(polysock_close(s));
}

START_TEST(test_abstract_name_with_inner_nul_round_trips_through_bind)
{
    char name[64];
    int n = snprintf(name, sizeof name, "%cpolysock%cabstract-%d", '\0', '\0',
                     (int)getpid());
    bind_unix_round_trip(name, (size_t)n);
}
END_TEST

START_TEST(test_unix_path_round_trips_through_bind)
{
    char path[64];
    int n = snprintf(path, sizeof path, "/tmp/polysock-addr-%d.sock", (int)getpid());
    unlink(path);
    bind_unix_round_trip(path, (size_t)n);
    ck_assert_int_eq(unlink(path), 0);
}
END_TEST

START_TEST(test_empty_unix_name_autobinds_an_abstract_name)
{
    polysock_handle s;
    ck_assert_ps_ok(polysock_socket(AF_UNIX, SOCK_DGRAM, 0, &s));
    polysock_addr a = tu_unix_addr("", 0);
    ck_assert_ps_ok(polysock_bind(s, &a));
    polysock_addr got;
    ck_assert_ps_ok(polysock_getsockname(s, &got));
    ck_assert_uint_gt(got.host_len, 1);
    ck_assert_int_eq(got.host[0], '\0');
    ck_assert_ps_ok(polysock_close(s));
}
END_TEST

/* ---- AF_NETLINK ---------------------------------------------------------- */

START_TEST(test_netlink_bind_with_pid_zero_gets_a_port_id)
{
    polysock_handle s;
    int rc = polysock_socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, &s);
    ck_assert_msg(rc == 0, "netlink socket: %s", polysock_strerror(rc));
    polysock_addr a;
    memset(&a, 0, sizeof a);
    a.family = AF_NETLINK;
    ck_assert_ps_ok(polysock_bind(s, &a));
    polysock_addr got;
    ck_assert_ps_ok(polysock_getsockname(s, &got));
    ck_assert_int_eq(got.family, AF_NETLINK);
    ck_assert_uint_ne(got.pid, 0);
    ck_assert_uint_eq(got.groups, 0);
    ck_assert_uint_eq(got.host_len, 0);
    ck_assert_ps_ok(polysock_close(s));
}
END_TEST

START_TEST(test_netlink_record_maps_pid_and_groups)
{
    polysock_addr a;
    memset(&a, 0, sizeof a);
    a.pid = 1234;
    a.groups = 0x5;
    polysock__sockaddr sa = to_sockaddr_ok(AF_NETLINK, &a);
    struct sockaddr_nl nl;
    ck_assert_uint_eq(sa.len, sizeof nl);
    memcpy(&nl, &sa.storage, sizeof nl);
    ck_assert_int_eq(nl.nl_family, AF_NETLINK);
    ck_assert_uint_eq(nl.nl_pid, 1234);
    ck_assert_uint_eq(nl.nl_groups, 5);
    polysock_addr back;
    ck_assert_ps_ok(polysock__sockaddr_to_addr((struct sockaddr *)&nl, sizeof nl, &back));
    ck_assert_int_eq(back.family, AF_NETLINK);
    ck_assert_uint_eq(back.pid, 1234);
    ck_assert_uint_eq(back.groups, 5);
}
END_TEST

/* ---- sockaddr -> record -------------------------------------------------- */

START_TEST(test_ipv6_sockaddr_keeps_scope_out_of_the_host_text)
{
    struct sockaddr_in6 sin6;
    memset(&sin6, 0, sizeof sin6);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(8443);
    sin6.sin6_flowinfo = htonl(0xabcde);
    sin6.sin6_scope_id = 3;
    ck_assert_int_eq(inet_pton(AF_INET6, "fe80::1", &sin6.sin6_addr), 1);
    polysock_addr a;
    ck_assert_ps_ok(polysock__sockaddr_to_addr((struct sockaddr *)&sin6, sizeof sin6, &a));
    ck_assert_int_eq(a.family, AF_INET6);
    ck_assert_str_eq(a.host, "fe80::1");
    ck_assert_uint_eq(a.host_len, 7);
    ck_assert_int_eq(a.port, 8443);
    ck_assert_uint_eq(a.flowinfo, 0xabcde);
    ck_assert_uint_eq(a.scope_id, 3);
    /* ... and converts back to the same kernel address. */
    polysock__sockaddr sa = to_sockaddr_ok(AF_INET6, &a);
    ck_assert_mem_eq(&sa.storage, &sin6, sizeof sin6);
}
END_TEST

START_TEST(test_ipv4_sockaddr_gives_numeric_host_and_port)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(53);
    sin.sin_addr.s_addr = htonl(0xc0000201);
    polysock_addr a;
    ck_assert_ps_ok(polysock__sockaddr_to_addr((struct sockaddr *)&sin, sizeof sin, &a));
    ck_assert_str_eq(a.host, "192.0.2.1");
    ck_assert_uint_eq(a.host_len, 9);
    ck_assert_int_eq(a.port, 53);
    ck_assert_ps(polysock__sockaddr_to_addr((struct sockaddr *)&sin, sizeof sin - 1, &a),
                 POLYSOCK_EVALUE);
    ck_assert_ps(polysock__sockaddr_to_addr(NULL, sizeof sin, &a), POLYSOCK_ENULL);
    ck_assert_ps(polysock__sockaddr_to_addr((struct sockaddr *)&sin, sizeof sin, NULL),
                 POLYSOCK_ENULL);
}
END_TEST

START_TEST(test_unknown_or_missing_sockaddr_gives_family_and_empty_host)
{
    struct sockaddr_storage ss;
    memset(&ss, 0x41, sizeof ss);
    ss.ss_family = AF_APPLETALK;
    polysock_addr a;
    ck_assert_ps_ok(polysock__sockaddr_to_addr((struct sockaddr *)&ss, sizeof ss, &a));
    ck_assert_int_eq(a.family, AF_APPLETALK);
    ck_assert_uint_eq(a.host_len, 0);
    ck_assert_str_eq(a.host, "");
    ck_assert_ps_ok(polysock__sockaddr_to_addr((struct sockaddr *)&ss, 0, &a));
    ck_assert_int_eq(a.family, 0);
    ck_assert_uint_eq(a.host_len, 0);
}
END_TEST

START_TEST(test_ipv6_loopback_round_trips_through_bind)
{
    if (!polysock_has_ipv6())
        return;
    polysock_handle s;
    ck_assert_ps_ok(polysock_socket(AF_INET6, SOCK_DGRAM, 0, &s));
    polysock_addr a = tu_addr(AF_INET6, "::1", 0);
    ck_assert_ps_ok(polysock_bind(s, &a));
    polysock_addr got;
    ck_assert_ps_ok(polysock_getsockname(s, &got));
    ck_assert_int_eq(got.family, AF_INET6);
    ck_assert_str_eq(got.host, "::1");
    ck_assert_int_gt(got.port, 0);
    ck_assert_uint_eq(got.scope_id, 0);
    ck_assert_ps_ok(polysock_close(s));
}
END_TEST

Suite *addr_suite(void)
{
    Suite *s = suite_create("addr");
    TCase *tc = tcase_create("record");
    tcase_add_test(tc, test_addr_set_fills_every_field_and_terminates_host);
    tcase_add_test(tc, test_addr_set_refuses_null_and_overlong_host);
    suite_add_tcase(s, tc);

    tc = tcase_create("ip");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_port_outside_0_65535_is_eport_never_truncated);
    tcase_add_test(tc, test_port_limits_and_numeric_ipv4_in_network_order);
    tcase_add_test(tc, test_empty_host_is_the_any_address);
    tcase_add_test(tc, test_broadcast_name_is_inaddr_broadcast_for_ipv4_only);
    tcase_add_test(tc, test_ipv6_scope_syntax_gives_the_interface_index);
    tcase_add_test(tc, test_explicit_scope_id_wins_over_the_interface_name);
    tcase_add_test(tc, test_flowinfo_must_fit_twenty_bits);
    tcase_add_test(tc, test_nul_inside_an_ip_host_is_refused);
    tcase_add_test(tc, test_host_len_is_used_not_the_nul);
    tcase_add_test(tc, test_record_family_must_match_the_socket);
    tcase_add_test(tc, test_numeric_ipv4_is_refused_for_an_ipv6_socket);
    tcase_add_test(tc, test_localhost_resolves_and_invalid_name_is_gai_class);
    tcase_add_test(tc, test_resolve_host_unspec_takes_either_family);
    tcase_add_test(tc, test_ipv6_sockaddr_keeps_scope_out_of_the_host_text);
    tcase_add_test(tc, test_ipv4_sockaddr_gives_numeric_host_and_port);
    tcase_add_test(tc, test_unknown_or_missing_sockaddr_gives_family_and_empty_host);
    tcase_add_test(tc, test_ipv6_loopback_round_trips_through_bind);
    suite_add_tcase(s, tc);

    tc = tcase_create("unix");
    tcase_add_test(tc, test_unix_path_is_nul_terminated_in_the_length);
    tcase_add_test(tc, test_unix_path_too_long_is_epathlen);
    tcase_add_test(tc, test_unix_abstract_and_empty_names_have_no_trailing_nul);
    tcase_add_test(tc, test_unix_path_with_inner_nul_is_refused);
    tcase_add_test(tc, test_unix_sockaddr_back_to_record);
    tcase_add_test(tc, test_abstract_name_with_inner_nul_round_trips_through_bind);
    tcase_add_test(tc, test_unix_path_round_trips_through_bind);
    tcase_add_test(tc, test_empty_unix_name_autobinds_an_abstract_name);
    suite_add_tcase(s, tc);

    tc = tcase_create("netlink");
    tcase_add_test(tc, test_netlink_bind_with_pid_zero_gets_a_port_id);
    tcase_add_test(tc, test_netlink_record_maps_pid_and_groups);
    suite_add_tcase(s, tc);
    return s;
}
