/* check_socket.c - socket objects over loopback: creation, names, data
 * transfer, options, shutdown, fromfd and the errors of each. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "suites.h"
#include "testutil.h"

/* ---- helpers ---- */

static int fd_of(polysock_handle s)
{
    int fd = -1;
    ck_assert_ps_ok(polysock_fileno(s, &fd));
    ck_assert_int_ge(fd, 0);
    return fd;
}

static void assert_cloexec(polysock_handle s)
{
    int flags = fcntl(fd_of(s), F_GETFD);
    ck_assert_int_ne(flags, -1);
    ck_assert_msg(flags & FD_CLOEXEC, "descriptor %d lacks FD_CLOEXEC", fd_of(s));
}

static void assert_same_inet_addr(const polysock_addr *a, const polysock_addr *b)
{
    ck_assert_int_eq(a->family, b->family);
    ck_assert_int_eq(a->port, b->port);
    ck_assert_str_eq(a->host, b->host);
}

static void assert_unix_name(const polysock_addr *a, const char *name, size_t len)
{
    ck_assert_int_eq(a->family, AF_UNIX);
    ck_assert_uint_eq(a->host_len, len);
    ck_assert_msg(memcmp(a->host, name, len) == 0, "AF_UNIX name differs");
}

static const char *loopback(int family)
{
    return family == AF_INET6 ? "::1" : "127.0.0.1";
}

static void send_exact(polysock_handle s, const void *buf, size_t len)
{
    size_t n = 0;
    ck_assert_ps_ok(polysock_sendall(s, buf, len, 0, &n));
    ck_assert_uint_eq(n, len);
}

/* Read exactly len bytes: stream reads may be split anywhere. */
static void recv_exact(polysock_handle s, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        size_t n = 0;
        ck_assert_ps_ok(polysock_recv(s, (char *)buf + got, len - got, 0, &n));
        ck_assert_uint_gt(n, 0);
        got += n;
    }
}

static void assert_round_trip(polysock_handle from, polysock_handle to,
                              const char *msg)
{
    char buf[256];
    size_t len = strlen(msg);
    ck_assert_uint_lt(len, sizeof buf);
    send_exact(from, msg, len);
    recv_exact(to, buf, len);
    ck_assert_mem_eq(buf, msg, len);
}

/* A port on 127.0.0.1 that refuses connections: bound (so nobody else
 * takes it while the test runs) but not listening. */
static polysock_handle closed_port(int64_t *port)
{
    polysock_handle s;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &s));
    polysock_addr any = tu_addr(AF_INET, "127.0.0.1", 0);
    ck_assert_ps_ok(polysock_bind(s, &any));
    polysock_addr bound;
    ck_assert_ps_ok(polysock_getsockname(s, &bound));
    *port = bound.port;
    return s;
}

/* ---- creation ---- */

static void check_created(int family, int type, int proto)
{
    polysock_handle s;
    ck_assert_ps_ok(polysock_socket(family, type, proto, &s));
    ck_assert_uint_ne(s, POLYSOCK_INVALID_HANDLE);
    int f = -1, t = -1, p = -1;
    ck_assert_ps_ok(polysock_family(s, &f));
    ck_assert_ps_ok(polysock_type(s, &t));
    ck_assert_ps_ok(polysock_proto(s, &p));
    ck_assert_int_eq(f, family);
    ck_assert_int_eq(t, type);
    ck_assert_int_eq(p, proto);
    assert_cloexec(s);
    ck_assert_ps_ok(polysock_close(s));
}

START_TEST(test_socket_reports_family_type_and_proto_given)
{
    int families[] = {AF_INET, AF_INET6, AF_UNIX};
    for (size_t i = 0; i < 3; i++) {
        if (families[i] == AF_INET6 && !polysock_has_ipv6())
            continue;
        check_created(families[i], SOCK_STREAM, 0);
        check_created(families[i], SOCK_DGRAM, 0);
    }
    check_created(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    check_created(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
}
END_TEST

START_TEST(test_socket_with_unknown_family_is_an_os_error)
{
    polysock_handle s = 12345;
    int rc = polysock_socket(4242, SOCK_STREAM, 0, &s);
    ck_assert_ps(rc, -EAFNOSUPPORT);
    ck_assert_int_eq(polysock_errclass(rc), POLYSOCK_ERRCLASS_OS);
    ck_assert_uint_eq(s, 12345); /* out-param untouched on failure */
}
END_TEST

START_TEST(test_descriptors_of_every_origin_are_close_on_exec)
{
    polysock_handle client, server, a, b, dup;
    tu_tcp_pair(AF_INET, &client, &server);
    assert_cloexec(client);
    assert_cloexec(server); /* accepted */
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b));
    assert_cloexec(a);
    assert_cloexec(b);
    int raw[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, raw), 0);
    ck_assert_ps_ok(polysock_fromfd(raw[0], AF_UNIX, SOCK_STREAM, 0, &dup));
    assert_cloexec(dup);
    polysock_handle all[] = {client, server, a, b, dup};
    for (size_t i = 0; i < 5; i++)
        ck_assert_ps_ok(polysock_close(all[i]));
    close(raw[0]);
    close(raw[1]);
}
END_TEST

/* ---- TCP over loopback ---- */

static void check_tcp_names(int family)
{
    int64_t port;
    polysock_handle l = tu_listener(family, &port);
    polysock_handle c, conn;
    ck_assert_ps_ok(polysock_socket(family, SOCK_STREAM, 0, &c));
    polysock_addr to = tu_addr(family, loopback(family), port);
    ck_assert_ps_ok(polysock_connect(c, &to));
    polysock_addr peer, cname, cpeer, lname, sname;
    ck_assert_ps_ok(polysock_accept(l, &conn, &peer));
    ck_assert_ps_ok(polysock_getsockname(c, &cname));
    ck_assert_ps_ok(polysock_getpeername(c, &cpeer));
    ck_assert_ps_ok(polysock_getsockname(l, &lname));
    ck_assert_ps_ok(polysock_getsockname(conn, &sname));
    ck_assert_int_eq(lname.family, family);
    ck_assert_str_eq(lname.host, loopback(family));
    ck_assert_int_eq(lname.port, port);
    assert_same_inet_addr(&peer, &cname); /* accept names the client */
    assert_same_inet_addr(&cpeer, &lname);
    assert_same_inet_addr(&sname, &lname);
    assert_round_trip(c, conn, "ping");
    assert_round_trip(conn, c, "pong");
    ck_assert_ps_ok(polysock_close(c));
    ck_assert_ps_ok(polysock_close(conn));
    ck_assert_ps_ok(polysock_close(l));
}

START_TEST(test_tcp_ipv4_loopback_connect_accept_and_names_agree)
{
    check_tcp_names(AF_INET);
}
END_TEST

START_TEST(test_tcp_ipv6_loopback_connect_accept_and_names_agree)
{
    if (!polysock_has_ipv6()) {
        fprintf(stderr, "SKIP: no IPv6 on this host\n");
        return;
    }
    check_tcp_names(AF_INET6);
}
END_TEST

/* ---- UDP ---- */

static void check_udp_sender(int family)
{
    polysock_handle a, b;
    ck_assert_ps_ok(polysock_socket(family, SOCK_DGRAM, 0, &a));
    ck_assert_ps_ok(polysock_socket(family, SOCK_DGRAM, 0, &b));
    polysock_addr any = tu_addr(family, loopback(family), 0);
    ck_assert_ps_ok(polysock_bind(a, &any));
    ck_assert_ps_ok(polysock_bind(b, &any));
    polysock_addr aname, bname, from;
    ck_assert_ps_ok(polysock_getsockname(a, &aname));
    ck_assert_ps_ok(polysock_getsockname(b, &bname));
    size_t n = 0;
    ck_assert_ps_ok(polysock_sendto(a, "datagram", 8, 0, &bname, &n));
    ck_assert_uint_eq(n, 8);
    char buf[64];
    memset(&from, 0, sizeof from);
    ck_assert_ps_ok(polysock_recvfrom(b, buf, sizeof buf, 0, &n, &from));
    ck_assert_uint_eq(n, 8);
    ck_assert_mem_eq(buf, "datagram", 8);
    assert_same_inet_addr(&from, &aname);
    ck_assert_ps_ok(polysock_close(a));
    ck_assert_ps_ok(polysock_close(b));
}

START_TEST(test_udp_ipv4_recvfrom_reports_sender_address)
{
    check_udp_sender(AF_INET);
}
END_TEST

START_TEST(test_udp_ipv6_recvfrom_reports_sender_address)
{
    if (!polysock_has_ipv6()) {
        fprintf(stderr, "SKIP: no IPv6 on this host\n");
        return;
    }
    check_udp_sender(AF_INET6);
}
END_TEST

/* ---- AF_UNIX ---- */

START_TEST(test_unix_path_socket_names_round_trip)
{
    char dir[] = "/tmp/polysock-sockXXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[108];
    int len = snprintf(path, sizeof path, "%s/s", dir);
    polysock_handle l, c, conn;
    ck_assert_ps_ok(polysock_socket(AF_UNIX, SOCK_STREAM, 0, &l));
    polysock_addr where = tu_unix_addr(path, (size_t)len);
    ck_assert_ps_ok(polysock_bind(l, &where));
    ck_assert_ps_ok(polysock_listen(l, 5));
    ck_assert_ps_ok(polysock_socket(AF_UNIX, SOCK_STREAM, 0, &c));
    ck_assert_ps_ok(polysock_connect(c, &where));
    polysock_addr peer, name;
    ck_assert_ps_ok(polysock_accept(l, &conn, &peer));
    assert_unix_name(&peer, "", 0); /* the client is unbound */
    ck_assert_ps_ok(polysock_getsockname(l, &name));
    assert_unix_name(&name, path, (size_t)len);
    ck_assert_str_eq(name.host, path);
    ck_assert_ps_ok(polysock_getpeername(c, &name));
    assert_unix_name(&name, path, (size_t)len);
    assert_round_trip(c, conn, "unix path");
    ck_assert_ps_ok(polysock_close(c));
    ck_assert_ps_ok(polysock_close(conn));
    ck_assert_ps_ok(polysock_close(l));
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_unix_abstract_name_with_embedded_nuls_round_trips)
{
    char name[64];
    /* Leading NUL = abstract; the pid keeps parallel runs apart. */
    int len = snprintf(name, sizeof name, "%cpoly%csock%c%d", 0, 0, 0, (int)getpid());
    polysock_handle l, c, conn;
    ck_assert_ps_ok(polysock_socket(AF_UNIX, SOCK_STREAM, 0, &l));
    polysock_addr where = tu_unix_addr(name, (size_t)len);
    ck_assert_ps_ok(polysock_bind(l, &where));
    ck_assert_ps_ok(polysock_listen(l, 5));
    ck_assert_ps_ok(polysock_socket(AF_UNIX, SOCK_STREAM, 0, &c));
    ck_assert_ps_ok(polysock_connect(c, &where));
    polysock_addr peer, got;
    ck_assert_ps_ok(polysock_accept(l, &conn, &peer));
    ck_assert_ps_ok(polysock_getsockname(l, &got));
    assert_unix_name(&got, name, (size_t)len);
    ck_assert_ps_ok(polysock_getpeername(c, &got));
    assert_unix_name(&got, name, (size_t)len);
    ck_assert_ps_ok(polysock_getsockname(conn, &got));
    assert_unix_name(&got, name, (size_t)len);
    assert_round_trip(conn, c, "abstract");
    ck_assert_ps_ok(polysock_close(c));
    ck_assert_ps_ok(polysock_close(conn));
    ck_assert_ps_ok(polysock_close(l));
}
END_TEST

START_TEST(test_socketpair_stream_carries_bytes_both_ways)
{
    polysock_handle a, b;
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b));
    ck_assert_uint_ne(a, b);
    int type = 0;
    ck_assert_ps_ok(polysock_type(a, &type));
    ck_assert_int_eq(type, SOCK_STREAM);
    assert_round_trip(a, b, "left to right");
    assert_round_trip(b, a, "right to left");
    ck_assert_ps_ok(polysock_close(a));
    ck_assert_ps_ok(polysock_close(b));
}
END_TEST

START_TEST(test_socketpair_dgram_keeps_message_boundaries)
{
    polysock_handle a, b;
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_DGRAM, 0, &a, &b));
    size_t n = 0;
    ck_assert_ps_ok(polysock_send(a, "one", 3, 0, &n));
    ck_assert_ps_ok(polysock_send(a, "second", 6, 0, &n));
    char buf[64];
    ck_assert_ps_ok(polysock_recv(b, buf, sizeof buf, 0, &n));
    ck_assert_uint_eq(n, 3);
    ck_assert_mem_eq(buf, "one", 3);
    ck_assert_ps_ok(polysock_recv(b, buf, sizeof buf, 0, &n));
    ck_assert_uint_eq(n, 6);
    ck_assert_mem_eq(buf, "second", 6);
    ck_assert_ps_ok(polysock_close(a));
    ck_assert_ps_ok(polysock_close(b));
}
END_TEST

/* ---- data transfer ---- */

START_TEST(test_recv_returns_partial_data_and_the_rest_follows)
{
    polysock_handle c, s;
    tu_tcp_pair(AF_INET, &c, &s);
    char out[100], in[100];
    for (int i = 0; i < 100; i++)
        out[i] = (char)i;
    send_exact(c, out, 100);
    size_t n = 0;
    ck_assert_ps_ok(polysock_recv(s, in, 10, 0, &n));
    ck_assert_uint_eq(n, 10);
    ck_assert_mem_eq(in, out, 10);
    recv_exact(s, in + 10, 90);
    ck_assert_mem_eq(in, out, 100);
    ck_assert_ps_ok(polysock_close(c));
    ck_assert_ps_ok(polysock_close(s));
}
END_TEST

START_TEST(test_recv_with_msg_peek_leaves_data_queued)
{
    polysock_handle a, b;
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b));
    send_exact(a, "peek", 4);
    char buf[8];
    size_t n = 0;
    ck_assert_ps_ok(polysock_recv(b, buf, sizeof buf, MSG_PEEK, &n));
    ck_assert_uint_eq(n, 4);
    ck_assert_ps_ok(polysock_recv(b, buf, sizeof buf, 0, &n));
    ck_assert_uint_eq(n, 4);
    ck_assert_mem_eq(buf, "peek", 4);
    ck_assert_ps_ok(polysock_close(a));
    ck_assert_ps_ok(polysock_close(b));
}
END_TEST

START_TEST(test_recv_returns_zero_at_orderly_eof_after_peer_shutdown)
{
    polysock_handle c, s;
    tu_tcp_pair(AF_INET, &c, &s);
    send_exact(c, "last", 4);
    ck_assert_ps_ok(polysock_shutdown(c, SHUT_WR));
    char buf[16];
    recv_exact(s, buf, 4);
    size_t n = 99;
    ck_assert_ps_ok(polysock_recv(s, buf, sizeof buf, 0, &n));
    ck_assert_uint_eq(n, 0);
    /* Only one direction is shut: the other still carries data. */
    assert_round_trip(s, c, "reply after EOF");
    ck_assert_ps_ok(polysock_close(c));
    ck_assert_ps_ok(polysock_close(s));
}
END_TEST

#define BIG_LEN ((size_t)8 << 20)

static unsigned char pattern_byte(size_t i)
{
    return (unsigned char)((i * 7u) ^ (i >> 11));
}

struct reader {
    polysock_handle sock;
    size_t total;
    size_t bad;
    int rc;
};

/* Reads until EOF, counting bytes that differ from the pattern. */
static void *reader_main(void *arg)
{
    struct reader *r = arg;
    unsigned char buf[65536];
    for (;;) {
        size_t n = 0;
        r->rc = polysock_recv(r->sock, buf, sizeof buf, 0, &n);
        if (r->rc != 0 || n == 0)
            return NULL;
        for (size_t i = 0; i < n; i++)
            if (buf[i] != pattern_byte(r->total + i))
                r->bad++;
        r->total += n;
    }
}

START_TEST(test_sendall_8mib_reaches_concurrent_reader_intact)
{
    unsigned char *big = malloc(BIG_LEN);
    ck_assert_ptr_nonnull(big);
    for (size_t i = 0; i < BIG_LEN; i++)
        big[i] = pattern_byte(i);
    polysock_handle a, b;
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b));
    struct reader r = {.sock = b};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, reader_main, &r), 0);
    size_t nsent = 0;
    ck_assert_ps_ok(polysock_sendall(a, big, BIG_LEN, 0, &nsent));
    ck_assert_uint_eq(nsent, BIG_LEN);
    ck_assert_ps_ok(polysock_shutdown(a, SHUT_WR));
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_ps_ok(r.rc);
    ck_assert_uint_eq(r.total, BIG_LEN);
    ck_assert_uint_eq(r.bad, 0);
    ck_assert_ps_ok(polysock_close(a));
    ck_assert_ps_ok(polysock_close(b));
    free(big);
}
END_TEST

/* SIGPIPE's default action kills the process, so surviving the send is
 * the proof that the library suppressed it. */
static void default_sigpipe(void)
{
    ck_assert(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    ck_assert_int_eq(pthread_sigmask(SIG_UNBLOCK, &set, NULL), 0);
}

START_TEST(test_send_to_closed_socketpair_peer_gives_epipe_not_sigpipe)
{
    default_sigpipe();
    polysock_handle a, b;
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b));
    ck_assert_ps_ok(polysock_close(b));
    size_t n = 77;
    ck_assert_ps(polysock_send(a, "x", 1, 0, &n), -EPIPE);
    ck_assert_ps(polysock_sendall(a, "xyz", 3, 0, &n), -EPIPE);
    ck_assert_uint_eq(n, 0);
    ck_assert_ps_ok(polysock_close(a));
}
END_TEST

START_TEST(test_send_to_closed_tcp_peer_gives_epipe_or_reset_not_sigpipe)
{
    default_sigpipe();
    polysock_handle c, s;
    tu_tcp_pair(AF_INET, &c, &s);
    ck_assert_ps_ok(polysock_close(s));
    /* The first sends may still succeed until the peer's RST arrives. */
    int rc = 0;
    for (int i = 0; i < 200 && rc == 0; i++) {
        size_t n = 0;
        rc = polysock_send(c, "data", 4, 0, &n);
        if (rc == 0)
            usleep(5000);
    }
    ck_assert_msg(rc == -EPIPE || rc == -ECONNRESET, "send gave %d (%s)", rc,
                  polysock_errname(rc));
    ck_assert_ps_ok(polysock_close(c));
}
END_TEST

/* ---- connect ---- */

START_TEST(test_connect_to_closed_port_is_refused)
{
    int64_t port;
    polysock_handle blocker = closed_port(&port);
    polysock_handle c;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &c));
    polysock_addr to = tu_addr(AF_INET, "127.0.0.1", port);
    int rc = polysock_connect(c, &to);
    ck_assert_ps(rc, -ECONNREFUSED);
    ck_assert_int_eq(polysock_errclass(rc), POLYSOCK_ERRCLASS_OS);
    ck_assert_int_eq(polysock_errno(rc), ECONNREFUSED);
    ck_assert_ps_ok(polysock_close(c));
    ck_assert_ps_ok(polysock_close(blocker));
}
END_TEST

START_TEST(test_connect_ex_returns_errno_in_out_param)
{
    int64_t port, closed;
    polysock_handle l = tu_listener(AF_INET, &port);
    polysock_handle blocker = closed_port(&closed);
    polysock_handle ok, refused;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &ok));
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &refused));
    polysock_addr good = tu_addr(AF_INET, "127.0.0.1", port);
    polysock_addr bad = tu_addr(AF_INET, "127.0.0.1", closed);
    int err = -1;
    ck_assert_ps_ok(polysock_connect_ex(ok, &good, &err));
    ck_assert_int_eq(err, 0);
    err = -1;
    ck_assert_ps_ok(polysock_connect_ex(refused, &bad, &err));
    ck_assert_int_eq(err, ECONNREFUSED);
    /* A second connect on a connected socket is the OS's EISCONN. */
    err = -1;
    ck_assert_ps_ok(polysock_connect_ex(ok, &good, &err));
    ck_assert_int_eq(err, EISCONN);
    polysock_handle all[] = {l, blocker, ok, refused};
    for (size_t i = 0; i < 4; i++)
        ck_assert_ps_ok(polysock_close(all[i]));
}
END_TEST

START_TEST(test_connect_host_returns_host_string_given_to_connect)
{
    int64_t port;
    polysock_handle l = tu_listener(AF_INET, &port);
    polysock_handle c, c2;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &c));
    char host[POLYSOCK_HOST_MAX] = "garbage";
    ck_assert_ps_ok(polysock_connect_host(c, host, sizeof host));
    ck_assert_str_eq(host, ""); /* no connect yet */
    polysock_addr to = tu_addr(AF_INET, "localhost", port);
    ck_assert_ps_ok(polysock_connect(c, &to));
    ck_assert_ps_ok(polysock_connect_host(c, host, sizeof host));
    ck_assert_str_eq(host, "localhost");
    char tiny[4];
    ck_assert_ps(polysock_connect_host(c, tiny, sizeof tiny), POLYSOCK_ETOOSMALL);
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &c2));
    to = tu_addr(AF_INET, "127.0.0.1", port);
    int err = -1;
    ck_assert_ps_ok(polysock_connect_ex(c2, &to, &err));
    ck_assert_int_eq(err, 0);
    ck_assert_ps_ok(polysock_connect_host(c2, host, sizeof host));
    ck_assert_str_eq(host, "127.0.0.1");
    ck_assert_ps_ok(polysock_close(c));
    ck_assert_ps_ok(polysock_close(c2));
    ck_assert_ps_ok(polysock_close(l));
}
END_TEST

/* ---- options ---- */

START_TEST(test_sockopt_int_round_trips_reuseaddr_rcvbuf_and_type)
{
    polysock_handle s;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &s));
    int v = -1;
    ck_assert_ps_ok(polysock_setsockopt_int(s, SOL_SOCKET, SO_REUSEADDR, 1));
    ck_assert_ps_ok(polysock_getsockopt_int(s, SOL_SOCKET, SO_REUSEADDR, &v));
    ck_assert_int_ne(v, 0);
    ck_assert_ps_ok(polysock_setsockopt_int(s, SOL_SOCKET, SO_REUSEADDR, 0));
    ck_assert_ps_ok(polysock_getsockopt_int(s, SOL_SOCKET, SO_REUSEADDR, &v));
    ck_assert_int_eq(v, 0);
    ck_assert_ps_ok(polysock_setsockopt_int(s, SOL_SOCKET, SO_RCVBUF, 65536));
    ck_assert_ps_ok(polysock_getsockopt_int(s, SOL_SOCKET, SO_RCVBUF, &v));
    ck_assert_int_ge(v, 65536); /* Linux doubles it for bookkeeping */
    ck_assert_ps_ok(polysock_getsockopt_int(s, SOL_SOCKET, SO_TYPE, &v));
    ck_assert_int_eq(v, SOCK_STREAM);
    ck_assert_ps(polysock_getsockopt_int(s, SOL_SOCKET, 98765, &v), -ENOPROTOOPT);
    ck_assert_ps_ok(polysock_close(s));
}
END_TEST

START_TEST(test_sockopt_buf_round_trips_linger_struct)
{
    polysock_handle s;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &s));
    struct linger in = {.l_onoff = 1, .l_linger = 7}, out;
    ck_assert_ps_ok(polysock_setsockopt_buf(s, SOL_SOCKET, SO_LINGER, &in, sizeof in));
    memset(&out, 0, sizeof out);
    size_t outlen = 0;
    ck_assert_ps_ok(polysock_getsockopt_buf(s, SOL_SOCKET, SO_LINGER, &out,
                                            sizeof out, &outlen));
    ck_assert_uint_eq(outlen, sizeof out);
    ck_assert_int_ne(out.l_onoff, 0);
    ck_assert_int_eq(out.l_linger, 7);
    /* The buffer form also reads an int option as its raw bytes. */
    int v = 0;
    ck_assert_ps_ok(polysock_getsockopt_buf(s, SOL_SOCKET, SO_TYPE, &v, sizeof v, &outlen));
    ck_assert_uint_eq(outlen, sizeof v);
    ck_assert_int_eq(v, SOCK_STREAM);
    ck_assert_ps_ok(polysock_close(s));
}
END_TEST

START_TEST(test_getsockopt_buf_refuses_buflen_outside_1_to_1024)
{
    polysock_handle s;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &s));
    char buf[1025];
    size_t outlen = 4242;
    int rc = polysock_getsockopt_buf(s, SOL_SOCKET, SO_LINGER, buf, 0, &outlen);
    ck_assert_ps(rc, POLYSOCK_EBUFLEN);
    ck_assert_int_eq(polysock_errclass(rc), POLYSOCK_ERRCLASS_ERROR);
    ck_assert_ps(polysock_getsockopt_buf(s, SOL_SOCKET, SO_LINGER, buf, 1025, &outlen),
                 POLYSOCK_EBUFLEN);
    ck_assert_uint_eq(outlen, 4242);
    ck_assert_ps_ok(polysock_getsockopt_buf(s, SOL_SOCKET, SO_LINGER, buf, 1024, &outlen));
    ck_assert_uint_eq(outlen, sizeof(struct linger));
    ck_assert_ps_ok(polysock_close(s));
}
END_TEST

/* ---- shutdown, fromfd, misuse ---- */

START_TEST(test_shutdown_write_makes_peer_see_eof)
{
    polysock_handle a, b;
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b));
    ck_assert_ps_ok(polysock_shutdown(a, SHUT_WR));
    char buf[8];
    size_t n = 99;
    ck_assert_ps_ok(polysock_recv(b, buf, sizeof buf, 0, &n));
    ck_assert_uint_eq(n, 0);
    ck_assert_ps(polysock_send(a, "x", 1, 0, &n), -EPIPE);
    ck_assert_ps_ok(polysock_close(a));
    ck_assert_ps_ok(polysock_close(b));
}
END_TEST

START_TEST(test_shutdown_of_unconnected_tcp_socket_is_enotconn)
{
    polysock_handle s;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &s));
    ck_assert_ps(polysock_shutdown(s, SHUT_RDWR), -ENOTCONN);
    ck_assert_ps_ok(polysock_close(s));
}
END_TEST

START_TEST(test_fromfd_duplicates_and_leaves_original_usable)
{
    int raw[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, raw), 0);
    polysock_handle s;
    ck_assert_ps_ok(polysock_fromfd(raw[0], AF_UNIX, SOCK_STREAM, 0, &s));
    ck_assert_int_ne(fd_of(s), raw[0]);
    int family = 0;
    ck_assert_ps_ok(polysock_family(s, &family));
    ck_assert_int_eq(family, AF_UNIX);
    assert_cloexec(s);
    size_t n = 0;
    ck_assert_ps_ok(polysock_send(s, "via dup", 7, 0, &n));
    ck_assert_uint_eq(n, 7);
    char buf[16];
    ck_assert_int_eq(read(raw[1], buf, sizeof buf), 7);
    ck_assert_mem_eq(buf, "via dup", 7);
    ck_assert_ps_ok(polysock_close(s));
    ck_assert_int_ne(fcntl(raw[0], F_GETFD), -1);
    ck_assert_int_eq(write(raw[0], "orig", 4), 4);
    ck_assert_int_eq(read(raw[1], buf, sizeof buf), 4);
    ck_assert_mem_eq(buf, "orig", 4);
    close(raw[0]);
    close(raw[1]);
}
END_TEST

START_TEST(test_fromfd_of_closed_descriptor_is_ebadf)
{
    /* A number just freed: nothing else in this process reopens it. */
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(close(fd), 0);
    polysock_handle s = 777;
    int rc = polysock_fromfd(fd, AF_UNIX, SOCK_STREAM, 0, &s);
    ck_assert_ps(rc, -EBADF);
    ck_assert_uint_eq(s, 777);
}
END_TEST

START_TEST(test_listen_and_accept_on_udp_are_os_errors)
{
    polysock_handle u;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_DGRAM, 0, &u));
    polysock_addr any = tu_addr(AF_INET, "127.0.0.1", 0);
    ck_assert_ps_ok(polysock_bind(u, &any));
    int rc = polysock_listen(u, 5);
    ck_assert_ps(rc, -EOPNOTSUPP);
    ck_assert_int_eq(polysock_errclass(rc), POLYSOCK_ERRCLASS_OS);
    polysock_handle conn = 55;
    polysock_addr peer;
    rc = polysock_accept(u, &conn, &peer);
    ck_assert_ps(rc, -EOPNOTSUPP);
    ck_assert_uint_eq(conn, 55);
    ck_assert_ps_ok(polysock_close(u));
}
END_TEST

START_TEST(test_close_twice_gives_badhandle_the_second_time)
{
    polysock_handle s;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &s));
    int fd = fd_of(s);
    ck_assert_ps_ok(polysock_close(s));
    ck_assert_int_eq(fcntl(fd, F_GETFD), -1); /* released: nothing in flight */
    int rc = polysock_close(s);
    ck_assert_ps(rc, POLYSOCK_EBADHANDLE);
    ck_assert_int_eq(polysock_errclass(rc), POLYSOCK_ERRCLASS_BADHANDLE);
    ck_assert_int_eq(polysock_errno(rc), EBADF);
}
END_TEST

START_TEST(test_every_call_on_closed_socket_gives_badhandle)
{
    polysock_handle s;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &s));
    ck_assert_ps_ok(polysock_close(s));
    int i = 0;
    double t = 0;
    size_t n = 0;
    char buf[8];
    polysock_addr a = tu_addr(AF_INET, "127.0.0.1", 1);
    ck_assert_ps(polysock_fileno(s, &i), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_family(s, &i), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_bind(s, &a), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_listen(s, 1), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_connect(s, &a), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_connect_ex(s, &a, &i), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_recv(s, buf, sizeof buf, 0, &n), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_send(s, buf, 1, 0, &n), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_sendall(s, buf, 1, 0, &n), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_shutdown(s, SHUT_RDWR), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_settimeout(s, 1.0), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_gettimeout(s, &t), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_getsockopt_int(s, SOL_SOCKET, SO_TYPE, &i), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_getsockname(s, &a), POLYSOCK_EBADHANDLE);
}
END_TEST

Suite *socket_suite(void)
{
    Suite *s = suite_create("socket");
    TCase *tc = tcase_create("create");
    tcase_add_test(tc, test_socket_reports_family_type_and_proto_given);
    tcase_add_test(tc, test_socket_with_unknown_family_is_an_os_error);
    tcase_add_test(tc, test_descriptors_of_every_origin_are_close_on_exec);
    suite_add_tcase(s, tc);

    tc = tcase_create("names");
    tcase_add_test(tc, test_tcp_ipv4_loopback_connect_accept_and_names_agree);
    tcase_add_test(tc, test_tcp_ipv6_loopback_connect_accept_and_names_agree);
    tcase_add_test(tc, test_udp_ipv4_recvfrom_reports_sender_address);
    tcase_add_test(tc, test_udp_ipv6_recvfrom_reports_sender_address);
    tcase_add_test(tc, test_unix_path_socket_names_round_trip);
    tcase_add_test(tc, test_unix_abstract_name_with_embedded_nuls_round_trips);
    tcase_add_test(tc, test_socketpair_stream_carries_bytes_both_ways);
    tcase_add_test(tc, test_socketpair_dgram_keeps_message_boundaries);
    suite_add_tcase(s, tc);

    tc = tcase_create("data");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_recv_returns_partial_data_and_the_rest_follows);
    tcase_add_test(tc, test_recv_with_msg_peek_leaves_data_queued);
    tcase_add_test(tc, test_recv_returns_zero_at_orderly_eof_after_peer_shutdown);
    tcase_add_test(tc, test_sendall_8mib_reaches_concurrent_reader_intact);
    tcase_add_test(tc, test_send_to_closed_socketpair_peer_gives_epipe_not_sigpipe);
    tcase_add_test(tc, test_send_to_closed_tcp_peer_gives_epipe_or_reset_not_sigpipe);
    suite_add_tcase(s, tc);

    tc = tcase_create("connect");
    tcase_add_test(tc, test_connect_to_closed_port_is_refused);
    tcase_add_test(tc, test_connect_ex_returns_errno_in_out_param);
    tcase_add_test(tc, test_connect_host_returns_host_string_given_to_connect);
    suite_add_tcase(s, tc);

    tc = tcase_create("options");
    tcase_add_test(tc, test_sockopt_int_round_trips_reuseaddr_rcvbuf_and_type);
    tcase_add_test(tc, test_sockopt_buf_round_trips_linger_struct);
    tcase_add_test(tc, test_getsockopt_buf_refuses_buflen_outside_1_to_1024);
    suite_add_tcase(s, tc);

    tc = tcase_create("misc");
    tcase_add_test(tc, test_shutdown_write_makes_peer_see_eof);
    tcase_add_test(tc, test_shutdown_of_unconnected_tcp_socket_is_enotconn);
    tcase_add_test(tc, test_fromfd_duplicates_and_leaves_original_usable);
    tcase_add_test(tc, test_fromfd_of_closed_descriptor_is_ebadf);
    tcase_add_test(tc, test_listen_and_accept_on_udp_are_os_errors);
    tcase_add_test(tc, test_close_twice_gives_badhandle_the_second_time);
    tcase_add_test(tc, test_every_call_on_closed_socket_gives_badhandle);
    suite_add_tcase(s, tc);
    return s;
}
