/* check_resolver.c - the name-service functions: answers for localhost and
 * the services/protocols databases, error classes (GAI vs HERROR) for
 * names under .invalid (RFC 6761: never resolves), list handles that are
 * checked, freed and never leaked, and many threads resolving at once. */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "suites.h"
#include "testutil.h"

#define INVALID_NAME "no-such-host.polysock.invalid"

/* ---- helpers ------------------------------------------------------------ */

/* The services and protocols databases come from Debian's netbase. */
static void require_netbase(const char *path)
{
    ck_assert_msg(access(path, R_OK) == 0,
                  "%s is missing: install the package \"netbase\" to run this test",
                  path);
}

static int hostent_has_addr(polysock_handle h, const char *want)
{
    size_t n;
    ck_assert_ps_ok(polysock_hostent_addr_count(h, &n));
    for (size_t i = 0; i < n; i++) {
        char addr[64];
        ck_assert_ps_ok(polysock_hostent_addr(h, i, addr, sizeof addr));
        if (strcmp(addr, want) == 0)
            return 1;
    }
    return 0;
}

static polysock_stats stats_now(void)
{
    polysock_stats st;
    ck_assert_ps_ok(polysock_get_stats(&st));
    return st;
}

static void assert_gai_class(int rc)
{
    ck_assert_msg(polysock_errclass(rc) == POLYSOCK_ERRCLASS_GAI,
                  "code %d (%s) is not GAI-class", rc, polysock_errname(rc));
}

/* ---- host names ----------------------------------------------------------- */

START_TEST(test_gethostname_matches_libc)
{
    char want[256], got[POLYSOCK_HOST_MAX];
    ck_assert_int_eq(gethostname(want, sizeof want), 0);
    ck_assert_ps_ok(polysock_gethostname(got, sizeof got));
    ck_assert_str_eq(got, want);
    size_t n = strlen(want);
    ck_assert_ps(polysock_gethostname(got, n), POLYSOCK_ETOOSMALL);
    ck_assert_ps_ok(polysock_gethostname(got, n + 1));
    ck_assert_ps(polysock_gethostname(NULL, 10), POLYSOCK_ENULL);
}
END_TEST

START_TEST(test_gethostbyname_gives_ipv4_text)
{
    char out[16];
    ck_assert_ps_ok(polysock_gethostbyname("localhost", out, sizeof out));
    ck_assert_int_eq(strncmp(out, "127.", 4), 0);
    ck_assert_ps_ok(polysock_gethostbyname("192.0.2.33", out, sizeof out));
    ck_assert_str_eq(out, "192.0.2.33");
    ck_assert_ps_ok(polysock_gethostbyname("", out, sizeof out));
    ck_assert_str_eq(out, "0.0.0.0");
    ck_assert_ps_ok(polysock_gethostbyname("<broadcast>", out, sizeof out));
    ck_assert_str_eq(out, "255.255.255.255");
    ck_assert_ps(polysock_gethostbyname("192.0.2.33", out, 10), POLYSOCK_ETOOSMALL);
    ck_assert_ps(polysock_gethostbyname(NULL, out, sizeof out), POLYSOCK_ENULL);
}
END_TEST

START_TEST(test_gethostbyname_of_invalid_name_is_gai_class)
{
    char out[16] = "unchanged";
    assert_gai_class(polysock_gethostbyname(INVALID_NAME, out, sizeof out));
    ck_assert_str_eq(out, "unchanged");
}
END_TEST

START_TEST(test_gethostbyname_ex_of_localhost_lists_loopback)
{
    polysock_handle h;
    ck_assert_ps_ok(polysock_gethostbyname_ex("localhost", &h));
    char name[POLYSOCK_HOST_MAX];
    ck_assert_ps_ok(polysock_hostent_name(h, name, sizeof name));
    ck_assert_uint_gt(strlen(name), 0);
    ck_assert(hostent_has_addr(h, "127.0.0.1"));
    size_t aliases;
    ck_assert_ps_ok(polysock_hostent_alias_count(h, &aliases));
    for (size_t i = 0; i < aliases; i++) {
        char alias[POLYSOCK_HOST_MAX];
        ck_assert_ps_ok(polysock_hostent_alias(h, i, alias, sizeof alias));
        ck_assert_uint_gt(strlen(alias), 0);
    }
    char alias[8];
    ck_assert_ps(polysock_hostent_alias(h, aliases, alias, sizeof alias),
                 POLYSOCK_EINDEX);
    ck_assert_ps_ok(polysock_list_free(h));
}
END_TEST

START_TEST(test_gethostbyname_ex_of_invalid_name_is_herror_class)
{
    polysock_handle h = 77;
    int rc = polysock_gethostbyname_ex(INVALID_NAME, &h);
    ck_assert_msg(polysock_errclass(rc) == POLYSOCK_ERRCLASS_HERROR,
                  "code %d (%s) is not HERROR-class", rc, polysock_errname(rc));
    ck_assert_uint_eq(h, 77);
    ck_assert_ps(polysock_gethostbyname_ex(NULL, &h), POLYSOCK_ENULL);
    ck_assert_ps(polysock_gethostbyname_ex("localhost", NULL), POLYSOCK_ENULL);
}
END_TEST

START_TEST(test_gethostbyaddr_of_loopback_names_it)
{
    polysock_handle h;
    ck_assert_ps_ok(polysock_gethostbyaddr("127.0.0.1", &h));
    char name[POLYSOCK_HOST_MAX];
    ck_assert_ps_ok(polysock_hostent_name(h, name, sizeof name));
    ck_assert_uint_gt(strlen(name), 0);
    ck_assert(hostent_has_addr(h, "127.0.0.1"));
    ck_assert_ps(polysock_hostent_name(h, name, strlen(name)), POLYSOCK_ETOOSMALL);
    ck_assert_ps_ok(polysock_list_free(h));
}
END_TEST

START_TEST(test_gethostbyaddr_resolution_errors_are_gai_class)
{
    polysock_handle h;
    assert_gai_class(polysock_gethostbyaddr(INVALID_NAME, &h));
    ck_assert_ps(polysock_gethostbyaddr(NULL, &h), POLYSOCK_ENULL);
}
END_TEST

START_TEST(test_gethostbyaddr_lookup_errors_are_herror_class)
{
    /* 192.0.2.0/24 is TEST-NET-1: no hosts entry, no PTR record. */
    polysock_handle h;
    int rc = polysock_gethostbyaddr("192.0.2.254", &h);
    ck_assert_msg(polysock_errclass(rc) == POLYSOCK_ERRCLASS_HERROR,
                  "code %d (%s) is not HERROR-class", rc, polysock_errname(rc));
}
END_TEST

START_TEST(test_getfqdn_of_local_host_matches_its_hostname_lookup)
{
    char host[POLYSOCK_HOST_MAX], a[POLYSOCK_HOST_MAX], b[POLYSOCK_HOST_MAX];
    ck_assert_ps_ok(polysock_gethostname(host, sizeof host));
    ck_assert_ps_ok(polysock_getfqdn(NULL, a, sizeof a));
    ck_assert_ps_ok(polysock_getfqdn(host, b, sizeof b));
    ck_assert_str_eq(a, b);
    ck_assert_ps_ok(polysock_getfqdn("", b, sizeof b));
    ck_assert_str_eq(a, b);
    ck_assert_ps_ok(polysock_getfqdn("0.0.0.0", b, sizeof b));
    ck_assert_str_eq(a, b);
    ck_assert_uint_gt(strlen(a), 0);
}
END_TEST

START_TEST(test_getfqdn_of_unknown_name_returns_it_stripped)
{
    char out[POLYSOCK_HOST_MAX];
    ck_assert_ps_ok(polysock_getfqdn("  " INVALID_NAME "\t", out, sizeof out));
    ck_assert_str_eq(out, INVALID_NAME);
    ck_assert_ps(polysock_getfqdn(INVALID_NAME, out, 5), POLYSOCK_ETOOSMALL);
    ck_assert_ps(polysock_getfqdn(INVALID_NAME, NULL, 5), POLYSOCK_ENULL);
}
END_TEST

START_TEST(test_getfqdn_of_loopback_is_its_host_entry_name)
{
    polysock_handle h;
    ck_assert_ps_ok(polysock_gethostbyaddr("127.0.0.1", &h));
    char name[POLYSOCK_HOST_MAX], fqdn[POLYSOCK_HOST_MAX];
    ck_assert_ps_ok(polysock_hostent_name(h, name, sizeof name));
    ck_assert_ps_ok(polysock_getfqdn("127.0.0.1", fqdn, sizeof fqdn));
    /* The name itself, or the first alias with a dot when it has none. */
    if (strchr(name, '.') != NULL) {
        ck_assert_str_eq(fqdn, name);
    } else if (strcmp(fqdn, name) != 0) {
        ck_assert_ptr_nonnull(strchr(fqdn, '.'));
    }
    ck_assert_ps_ok(polysock_list_free(h));
}
END_TEST

/* ---- getaddrinfo ------------------------------------------------------------ */

START_TEST(test_getaddrinfo_passive_gives_any_address)
{
    polysock_handle l;
    ck_assert_ps_ok(polysock_getaddrinfo(NULL, "80", AF_INET, SOCK_STREAM, 0,
                                         AI_PASSIVE, &l));
    size_t n;
    ck_assert_ps_ok(polysock_addrinfo_count(l, &n));
    ck_assert_uint_eq(n, 1);
    int family, socktype, proto;
    char canon[64];
    polysock_addr a;
    ck_assert_ps_ok(polysock_addrinfo_get(l, 0, &family, &socktype, &proto, canon,
                                          sizeof canon, &a));
    ck_assert_int_eq(family, AF_INET);
    ck_assert_int_eq(socktype, SOCK_STREAM);
    ck_assert_int_eq(proto, IPPROTO_TCP);
    ck_assert_str_eq(canon, "");
    ck_assert_int_eq(a.family, AF_INET);
    ck_assert_str_eq(a.host, "0.0.0.0");
    ck_assert_int_eq(a.port, 80);
    ck_assert_ps(polysock_addrinfo_get(l, 1, &family, &socktype, &proto, canon,
                                       sizeof canon, &a),
                 POLYSOCK_EINDEX);
    ck_assert_ps_ok(polysock_list_free(l));
}
END_TEST

START_TEST(test_getaddrinfo_empty_strings_mean_null)
{
    polysock_handle l;
    ck_assert_ps_ok(polysock_getaddrinfo("", "443", AF_INET6, SOCK_DGRAM, 0,
                                         AI_PASSIVE, &l));
    int family, socktype, proto;
    char canon[8];
    polysock_addr a;
    ck_assert_ps_ok(polysock_addrinfo_get(l, 0, &family, &socktype, &proto, canon,
                                          sizeof canon, &a));
    ck_assert_int_eq(family, AF_INET6);
    ck_assert_str_eq(a.host, "::");
    ck_assert_int_eq(a.port, 443);
    ck_assert_ps_ok(polysock_list_free(l));
    /* Both missing: getaddrinfo's own EAI_NONAME. */
    int rc = polysock_getaddrinfo("", NULL, AF_UNSPEC, 0, 0, 0, &l);
    assert_gai_class(rc);
    ck_assert_int_eq(polysock_errno(rc), EAI_NONAME);
}
END_TEST

START_TEST(test_getaddrinfo_numeric_canonname_and_service_name)
{
    require_netbase("/etc/services");
    polysock_handle l;
    ck_assert_ps_ok(polysock_getaddrinfo("127.0.0.1", "http", AF_INET, SOCK_STREAM, 0,
                                         AI_CANONNAME, &l));
    int family, socktype, proto;
    char canon[64];
    polysock_addr a;
    ck_assert_ps(polysock_addrinfo_get(l, 0, &family, &socktype, &proto, canon, 9, &a),
                 POLYSOCK_ETOOSMALL);
    ck_assert_ps_ok(polysock_addrinfo_get(l, 0, &family, &socktype, &proto, canon,
                                          sizeof canon, &a));
    ck_assert_str_eq(canon, "127.0.0.1");
    ck_assert_str_eq(a.host, "127.0.0.1");
    ck_assert_int_eq(a.port, 80);
    ck_assert_ps(polysock_addrinfo_get(l, 0, NULL, &socktype, &proto, canon,
                                       sizeof canon, &a),
                 POLYSOCK_ENULL);
    ck_assert_ps_ok(polysock_list_free(l));
}
END_TEST

START_TEST(test_getaddrinfo_of_localhost_finds_loopback)
{
    polysock_handle l;
    ck_assert_ps_ok(
        polysock_getaddrinfo("localhost", NULL, AF_INET, SOCK_STREAM, 0, 0, &l));
    size_t n;
    ck_assert_ps_ok(polysock_addrinfo_count(l, &n));
    ck_assert_uint_ge(n, 1);
    int family, socktype, proto;
    char canon[POLYSOCK_HOST_MAX];
    polysock_addr a;
    ck_assert_ps_ok(polysock_addrinfo_get(l, 0, &family, &socktype, &proto, canon,
                                          sizeof canon, &a));
    ck_assert_int_eq(strncmp(a.host, "127.", 4), 0);
    ck_assert_int_eq(a.port, 0);
    ck_assert_ps_ok(polysock_list_free(l));
}
END_TEST

START_TEST(test_getaddrinfo_of_invalid_name_is_gai_class)
{
    polysock_handle l = 5;
    assert_gai_class(polysock_getaddrinfo(INVALID_NAME, "80", AF_UNSPEC, 0, 0, 0, &l));
    ck_assert_uint_eq(l, 5);
    assert_gai_class(polysock_getaddrinfo("127.0.0.1", "no-such-service", AF_INET,
                                          SOCK_STREAM, 0, 0, &l));
    ck_assert_ps(polysock_getaddrinfo("localhost", "80", 0, 0, 0, 0, NULL),
                 POLYSOCK_ENULL);
}
END_TEST

/* ---- list handles ------------------------------------------------------------ */

START_TEST(test_freed_list_handle_is_stale)
{
    polysock_handle l, h;
    ck_assert_ps_ok(polysock_getaddrinfo("127.0.0.1", "1", AF_INET, SOCK_STREAM, 0, 0, &l));
    ck_assert_ps_ok(polysock_gethostbyname_ex("localhost", &h));
    ck_assert_ps_ok(polysock_list_free(l));
    ck_assert_ps_ok(polysock_list_free(h));
    size_t n;
    char out[64];
    ck_assert_ps(polysock_addrinfo_count(l, &n), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_hostent_name(h, out, sizeof out), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_list_free(l), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_list_free(h), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_list_free(POLYSOCK_INVALID_HANDLE), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_hostent_addr_count(123456789, &n), POLYSOCK_EBADHANDLE);
}
END_TEST

START_TEST(test_list_handles_are_checked_for_their_kind)
{
    polysock_handle l, h, s;
    ck_assert_ps_ok(polysock_getaddrinfo("127.0.0.1", "1", AF_INET, SOCK_STREAM, 0, 0, &l));
    ck_assert_ps_ok(polysock_gethostbyname_ex("localhost", &h));
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &s));
    size_t n;
    char out[64];
    ck_assert_ps(polysock_addrinfo_count(h, &n), POLYSOCK_EWRONGKIND);
    ck_assert_ps(polysock_hostent_name(l, out, sizeof out), POLYSOCK_EWRONGKIND);
    ck_assert_ps(polysock_hostent_alias_count(s, &n), POLYSOCK_EWRONGKIND);
    ck_assert_ps(polysock_list_free(s), POLYSOCK_EWRONGKIND);
    ck_assert_int_eq(polysock_errclass(POLYSOCK_EWRONGKIND), POLYSOCK_ERRCLASS_BADHANDLE);
    /* The socket survived being offered as a list. */
    int family;
    ck_assert_ps_ok(polysock_family(s, &family));
    ck_assert_int_eq(family, AF_INET);
    ck_assert_ps_ok(polysock_close(s));
    ck_assert_ps_ok(polysock_list_free(l));
    ck_assert_ps_ok(polysock_list_free(h));
}
END_TEST

START_TEST(test_list_accessors_refuse_null_outputs)
{
    polysock_handle h;
    ck_assert_ps_ok(polysock_gethostbyname_ex("localhost", &h));
    ck_assert_ps(polysock_hostent_name(h, NULL, 10), POLYSOCK_ENULL);
    ck_assert_ps(polysock_hostent_alias_count(h, NULL), POLYSOCK_ENULL);
    ck_assert_ps(polysock_hostent_addr_count(h, NULL), POLYSOCK_ENULL);
    ck_assert_ps(polysock_hostent_alias(h, 0, NULL, 10), POLYSOCK_ENULL);
    ck_assert_ps(polysock_hostent_addr(h, 0, NULL, 10), POLYSOCK_ENULL);
    ck_assert_ps(polysock_addrinfo_count(h, NULL), POLYSOCK_ENULL);
    size_t n;
    ck_assert_ps_ok(polysock_hostent_addr_count(h, &n));
    char out[64];
    ck_assert_ps(polysock_hostent_addr(h, n, out, sizeof out), POLYSOCK_EINDEX);
    ck_assert_ps_ok(polysock_list_free(h));
}
END_TEST

static void make_and_free_lists(int rounds)
{
    for (int i = 0; i < rounds; i++) {
        polysock_handle l, h, a;
        ck_assert_ps_ok(polysock_getaddrinfo("localhost", "http", AF_UNSPEC, 0, 0,
                                             AI_CANONNAME, &l));
        ck_assert_ps_ok(polysock_gethostbyname_ex("localhost", &h));
        ck_assert_ps_ok(polysock_gethostbyaddr("127.0.0.1", &a));
        ck_assert_ps_ok(polysock_list_free(l));
        ck_assert_ps_ok(polysock_list_free(h));
        ck_assert_ps_ok(polysock_list_free(a));
    }
}

START_TEST(test_list_handles_leave_no_live_bytes_or_handles)
{
    require_netbase("/etc/services");
    make_and_free_lists(1); /* first use may grow the handle table for good */
    polysock_stats before = stats_now();
    make_and_free_lists(tu_under_valgrind() ? 3 : 20);
    char out[POLYSOCK_HOST_MAX];
    ck_assert_ps_ok(polysock_getfqdn(NULL, out, sizeof out));
    polysock_handle h;
    ck_assert_int_ne(polysock_gethostbyname_ex(INVALID_NAME, &h), 0);
    polysock_stats after = stats_now();
    ck_assert_int_eq(after.live_bytes, before.live_bytes);
    ck_assert_int_eq(after.live_handles, before.live_handles);
    ck_assert_int_gt(after.total_allocs, before.total_allocs);
}
END_TEST

/* Every allocation of each call fails in turn: each either succeeds or says
 * -ENOMEM, and nothing is left behind either way. */
static int alloc_failure_round(int64_t after)
{
    polysock_handle l = 0, h = 0, a = 0;
    ck_assert_ps_ok(polysock_debug_fail_allocs(after, 1));
    int rl = polysock_getaddrinfo("localhost", "80", AF_INET, 0, 0, AI_CANONNAME, &l);
    ck_assert_ps_ok(polysock_debug_fail_allocs(after, 1));
    int rh = polysock_gethostbyname_ex("localhost", &h);
    ck_assert_ps_ok(polysock_debug_fail_allocs(after, 1));
    int ra = polysock_gethostbyaddr("127.0.0.1", &a);
    ck_assert_ps_ok(polysock_debug_fail_allocs(0, 0));
    int rcs[3] = {rl, rh, ra};
    polysock_handle hs[3] = {l, h, a};
    int failures = 0;
    for (int i = 0; i < 3; i++) {
        ck_assert_msg(rcs[i] == 0 || rcs[i] == -ENOMEM, "call %d after %lld: %s", i,
                      (long long)after, polysock_errname(rcs[i]));
        if (rcs[i] == 0)
            ck_assert_ps_ok(polysock_list_free(hs[i]));
        else
            failures++;
    }
    return failures;
}

START_TEST(test_allocation_failures_give_enomem_and_leak_nothing)
{
    make_and_free_lists(1);
    polysock_stats before = stats_now();
    int64_t after = 0;
    while (alloc_failure_round(after) > 0 && after < 200)
        after++;
    ck_assert_int_lt(after, 200); /* eventually every call succeeded */
    ck_assert_int_gt(after, 0);   /* and the first allocation did fail */
    polysock_stats now = stats_now();
    ck_assert_int_eq(now.live_bytes, before.live_bytes);
    ck_assert_int_eq(now.live_handles, before.live_handles);
    ck_assert_int_gt(now.failed_allocs, before.failed_allocs);
}
END_TEST

/* ---- getnameinfo ---------------------------------------------------------------- */

START_TEST(test_getnameinfo_numeric_gives_host_and_port_text)
{
    polysock_addr a = tu_addr(AF_INET, "127.0.0.1", 80);
    char host[POLYSOCK_HOST_MAX], serv[32];
    ck_assert_ps_ok(polysock_getnameinfo(&a, NI_NUMERICHOST | NI_NUMERICSERV, host,
                                         sizeof host, serv, sizeof serv));
    ck_assert_str_eq(host, "127.0.0.1");
    ck_assert_str_eq(serv, "80");
    ck_assert_ps(polysock_getnameinfo(&a, NI_NUMERICHOST | NI_NUMERICSERV, host, 9,
                                      serv, sizeof serv),
                 POLYSOCK_ETOOSMALL);
    ck_assert_ps(polysock_getnameinfo(&a, NI_NUMERICHOST | NI_NUMERICSERV, host,
                                      sizeof host, serv, 2),
                 POLYSOCK_ETOOSMALL);
    ck_assert_ps(polysock_getnameinfo(NULL, 0, host, sizeof host, serv, sizeof serv),
                 POLYSOCK_ENULL);
}
END_TEST

START_TEST(test_getnameinfo_names_the_service)
{
    require_netbase("/etc/services");
    polysock_addr a = tu_addr(0, "127.0.0.1", 80);
    char host[POLYSOCK_HOST_MAX], serv[32];
    ck_assert_ps_ok(polysock_getnameinfo(&a, NI_NUMERICHOST, host, sizeof host, serv,
                                         sizeof serv));
    ck_assert_str_eq(serv, "http");
}
END_TEST

START_TEST(test_getnameinfo_ipv6_uses_the_record_scope_id)
{
    unsigned lo = if_nametoindex("lo");
    ck_assert_uint_gt(lo, 0);
    polysock_addr a = tu_addr(AF_INET6, "fe80::1", 8080);
    a.scope_id = lo;
    char host[POLYSOCK_HOST_MAX], serv[32];
    ck_assert_ps_ok(polysock_getnameinfo(&a, NI_NUMERICHOST | NI_NUMERICSERV, host,
                                         sizeof host, serv, sizeof serv));
    ck_assert_str_eq(host, "fe80::1%lo");
    ck_assert_str_eq(serv, "8080");
    a = tu_addr(AF_INET6, "::1", 1);
    ck_assert_ps_ok(polysock_getnameinfo(&a, NI_NUMERICHOST | NI_NUMERICSERV, host,
                                         sizeof host, serv, sizeof serv));
    ck_assert_str_eq(host, "::1");
}
END_TEST

START_TEST(test_getnameinfo_refuses_bad_records)
{
    char host[POLYSOCK_HOST_MAX], serv[32];
    const int f = NI_NUMERICHOST | NI_NUMERICSERV;
    polysock_addr a = tu_addr(AF_INET, "127.0.0.1", 65536);
    ck_assert_ps(polysock_getnameinfo(&a, f, host, sizeof host, serv, sizeof serv),
                 POLYSOCK_EPORT);
    a.port = -1;
    ck_assert_ps(polysock_getnameinfo(&a, f, host, sizeof host, serv, sizeof serv),
                 POLYSOCK_EPORT);
    a = tu_addr(AF_INET6, "::1", 1);
    a.flowinfo = 0x100000;
    ck_assert_ps(polysock_getnameinfo(&a, f, host, sizeof host, serv, sizeof serv),
                 POLYSOCK_ERANGE);
    /* Only numeric hosts: Python never resolves a name here. */
    a = tu_addr(AF_INET, "localhost", 1);
    assert_gai_class(polysock_getnameinfo(&a, f, host, sizeof host, serv, sizeof serv));
    /* An AF_INET6 record is Python's 4-tuple: an IPv4 host is refused. */
    a = tu_addr(AF_INET6, "127.0.0.1", 80);
    ck_assert_ps(polysock_getnameinfo(&a, f, host, sizeof host, serv, sizeof serv),
                 POLYSOCK_EINETADDR);
    a = tu_unix_addr("/tmp/x", 6);
    ck_assert_ps(polysock_getnameinfo(&a, f, host, sizeof host, serv, sizeof serv),
                 POLYSOCK_EFAMILY);
}
END_TEST

/* ---- protocols and services --------------------------------------------------- */

START_TEST(test_getprotobyname_finds_tcp_and_udp)
{
    require_netbase("/etc/protocols");
    int proto = -1;
    ck_assert_ps_ok(polysock_getprotobyname("tcp", &proto));
    ck_assert_int_eq(proto, IPPROTO_TCP);
    ck_assert_ps_ok(polysock_getprotobyname("udp", &proto));
    ck_assert_int_eq(proto, IPPROTO_UDP);
    ck_assert_ps_ok(polysock_getprotobyname("icmp", &proto));
    ck_assert_int_eq(proto, IPPROTO_ICMP);
}
END_TEST

START_TEST(test_getprotobyname_of_unknown_name_is_enoproto)
{
    int proto = -1;
    ck_assert_ps(polysock_getprotobyname("no-such-protocol", &proto), POLYSOCK_ENOPROTO);
    ck_assert_int_eq(proto, -1);
    ck_assert_ps(polysock_getprotobyname(NULL, &proto), POLYSOCK_ENULL);
    ck_assert_ps(polysock_getprotobyname("tcp", NULL), POLYSOCK_ENULL);
}
END_TEST

START_TEST(test_getservbyname_gives_port_in_host_order)
{
    require_netbase("/etc/services");
    int port = -1;
    ck_assert_ps_ok(polysock_getservbyname("http", "tcp", &port));
    ck_assert_int_eq(port, 80);
    ck_assert_ps_ok(polysock_getservbyname("domain", "udp", &port));
    ck_assert_int_eq(port, 53);
    ck_assert_ps_ok(polysock_getservbyname("ssh", NULL, &port));
    ck_assert_int_eq(port, 22);
    ck_assert_ps_ok(polysock_getservbyname("ssh", "", &port));
    ck_assert_int_eq(port, 22);
}
END_TEST

START_TEST(test_getservbyname_of_unknown_service_is_enoservice)
{
    int port = -1;
    ck_assert_ps(polysock_getservbyname("no-such-service", "tcp", &port),
                 POLYSOCK_ENOSERVICE);
    ck_assert_ps(polysock_getservbyname("http", "no-such-proto", &port),
                 POLYSOCK_ENOSERVICE);
    ck_assert_int_eq(port, -1);
    ck_assert_ps(polysock_getservbyname(NULL, "tcp", &port), POLYSOCK_ENULL);
    ck_assert_ps(polysock_getservbyname("http", "tcp", NULL), POLYSOCK_ENULL);
}
END_TEST

START_TEST(test_getservbyport_names_the_service)
{
    require_netbase("/etc/services");
    char out[32];
    ck_assert_ps_ok(polysock_getservbyport(80, "tcp", out, sizeof out));
    ck_assert_str_eq(out, "http");
    ck_assert_ps_ok(polysock_getservbyport(22, NULL, out, sizeof out));
    ck_assert_str_eq(out, "ssh");
    ck_assert_ps(polysock_getservbyport(80, "tcp", out, 4), POLYSOCK_ETOOSMALL);
}
END_TEST

START_TEST(test_getservbyport_refuses_out_of_range_and_unknown_ports)
{
    char out[32] = "unchanged";
    ck_assert_ps(polysock_getservbyport(-1, "tcp", out, sizeof out), POLYSOCK_EPORT);
    ck_assert_ps(polysock_getservbyport(65536, "tcp", out, sizeof out), POLYSOCK_EPORT);
    ck_assert_ps(polysock_getservbyport(1LL << 32 | 80, "tcp", out, sizeof out),
                 POLYSOCK_EPORT);
    ck_assert_ps(polysock_getservbyport(0, "tcp", out, sizeof out), POLYSOCK_ENOPORTSVC);
    ck_assert_str_eq(out, "unchanged");
    ck_assert_ps(polysock_getservbyport(80, "tcp", NULL, 32), POLYSOCK_ENULL);
}
END_TEST

/* ---- threads ------------------------------------------------------------------- */

typedef struct resolve_job {
    int rounds;
    int failures;
} resolve_job;

/* No Check assertions off the main thread: failures are counted instead. */
static int resolve_once(void)
{
    polysock_handle h, l;
    if (polysock_gethostbyname_ex("localhost", &h) != 0)
        return 1;
    char addr[64];
    int bad = polysock_hostent_addr(h, 0, addr, sizeof addr) != 0 ||
              strncmp(addr, "127.", 4) != 0;
    bad |= polysock_list_free(h) != 0;
    if (polysock_getaddrinfo("localhost", "80", AF_INET, SOCK_STREAM, 0, 0, &l) != 0)
        return 1;
    int family, socktype, proto;
    char canon[8];
    polysock_addr a;
    bad |= polysock_addrinfo_get(l, 0, &family, &socktype, &proto, canon, sizeof canon,
                                 &a) != 0 ||
           a.port != 80 || strncmp(a.host, "127.", 4) != 0;
    bad |= polysock_list_free(l) != 0;
    char ip[16];
    bad |= polysock_gethostbyname("localhost", ip, sizeof ip) != 0 ||
           strncmp(ip, "127.", 4) != 0;
    return bad;
}

static void *resolve_worker(void *arg)
{
    resolve_job *job = arg;
    for (int i = 0; i < job->rounds; i++)
        job->failures += resolve_once();
    return NULL;
}

START_TEST(test_many_threads_resolve_at_once)
{
    enum { THREADS = 8 };
    pthread_t t[THREADS];
    resolve_job jobs[THREADS];
    polysock_stats before = stats_now();
    for (int i = 0; i < THREADS; i++) {
        jobs[i].rounds = tu_under_valgrind() ? 5 : 50;
        jobs[i].failures = 0;
        ck_assert_int_eq(pthread_create(&t[i], NULL, resolve_worker, &jobs[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
        ck_assert_int_eq(jobs[i].failures, 0);
    }
    polysock_stats after = stats_now();
    ck_assert_int_eq(after.live_handles, before.live_handles);
}
END_TEST

Suite *resolver_suite(void)
{
    Suite *s = suite_create("resolver");
    TCase *tc = tcase_create("hosts");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_gethostname_matches_libc);
    tcase_add_test(tc, test_gethostbyname_gives_ipv4_text);
    tcase_add_test(tc, test_gethostbyname_of_invalid_name_is_gai_class);
    tcase_add_test(tc, test_gethostbyname_ex_of_localhost_lists_loopback);
    tcase_add_test(tc, test_gethostbyname_ex_of_invalid_name_is_herror_class);
    tcase_add_test(tc, test_gethostbyaddr_of_loopback_names_it);
    tcase_add_test(tc, test_gethostbyaddr_resolution_errors_are_gai_class);
    tcase_add_test(tc, test_gethostbyaddr_lookup_errors_are_herror_class);
    tcase_add_test(tc, test_getfqdn_of_local_host_matches_its_hostname_lookup);
    tcase_add_test(tc, test_getfqdn_of_unknown_name_returns_it_stripped);
    tcase_add_test(tc, test_getfqdn_of_loopback_is_its_host_entry_name);
    suite_add_tcase(s, tc);

    tc = tcase_create("addrinfo");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_getaddrinfo_passive_gives_any_address);
    tcase_add_test(tc, test_getaddrinfo_empty_strings_mean_null);
    tcase_add_test(tc, test_getaddrinfo_numeric_canonname_and_service_name);
    tcase_add_test(tc, test_getaddrinfo_of_localhost_finds_loopback);
    tcase_add_test(tc, test_getaddrinfo_of_invalid_name_is_gai_class);
    tcase_add_test(tc, test_getnameinfo_numeric_gives_host_and_port_text);
    tcase_add_test(tc, test_getnameinfo_names_the_service);
    tcase_add_test(tc, test_getnameinfo_ipv6_uses_the_record_scope_id);
    tcase_add_test(tc, test_getnameinfo_refuses_bad_records);
    suite_add_tcase(s, tc);

    tc = tcase_create("lists");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_freed_list_handle_is_stale);
    tcase_add_test(tc, test_list_handles_are_checked_for_their_kind);
    tcase_add_test(tc, test_list_accessors_refuse_null_outputs);
    tcase_add_test(tc, test_list_handles_leave_no_live_bytes_or_handles);
    tcase_add_test(tc, test_allocation_failures_give_enomem_and_leak_nothing);
    tcase_add_test(tc, test_many_threads_resolve_at_once);
    suite_add_tcase(s, tc);

    tc = tcase_create("services");
    tcase_add_test(tc, test_getprotobyname_finds_tcp_and_udp);
    tcase_add_test(tc, test_getprotobyname_of_unknown_name_is_enoproto);
    tcase_add_test(tc, test_getservbyname_gives_port_in_host_order);
    tcase_add_test(tc, test_getservbyname_of_unknown_service_is_enoservice);
    tcase_add_test(tc, test_getservbyport_names_the_service);
    tcase_add_test(tc, test_getservbyport_refuses_out_of_range_and_unknown_ports);
    suite_add_tcase(s, tc);
    return s;
}
