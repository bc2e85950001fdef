/* testutil.c - helpers shared by the Check suites. */
#define _GNU_SOURCE
#include "testutil.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

polysock_addr tu_addr(int family, const char *host, int64_t port)
{
    polysock_addr addr;
    ck_assert_ps_ok(polysock_addr_set(&addr, family, host, port));
    return addr;
}

polysock_addr tu_unix_addr(const char *path, size_t len)
{
    polysock_addr addr;
    memset(&addr, 0, sizeof addr);
    addr.family = AF_UNIX;
    ck_assert(len < sizeof addr.host);
    memcpy(addr.host, path, len);
    addr.host_len = (uint32_t)len;
    return addr;
}

polysock_handle tu_listener(int family, int64_t *port)
{
    polysock_handle s;
    ck_assert_ps_ok(polysock_socket(family, SOCK_STREAM, 0, &s));
    ck_assert_ps_ok(polysock_setsockopt_int(s, SOL_SOCKET, SO_REUSEADDR, 1));
    polysock_addr addr = tu_addr(family, family == AF_INET6 ? "::1" : "127.0.0.1", 0);
    ck_assert_ps_ok(polysock_bind(s, &addr));
    ck_assert_ps_ok(polysock_listen(s, 128));
    polysock_addr bound;
    ck_assert_ps_ok(polysock_getsockname(s, &bound));
    ck_assert_int_gt(bound.port, 0);
    *port = bound.port;
    return s;
}

void tu_tcp_pair(int family, polysock_handle *client, polysock_handle *server)
{
    int64_t port;
    polysock_handle l = tu_listener(family, &port);
    ck_assert_ps_ok(polysock_socket(family, SOCK_STREAM, 0, client));
    polysock_addr to = tu_addr(family, family == AF_INET6 ? "::1" : "127.0.0.1", port);
    ck_assert_ps_ok(polysock_connect(*client, &to));
    polysock_addr peer;
    ck_assert_ps_ok(polysock_accept(l, server, &peer));
    ck_assert_ps_ok(polysock_close(l));
}

int tu_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

int tu_under_valgrind(void)
{
    const char *v = getenv("POLYSOCK_UNDER_VALGRIND");
    return v != NULL && v[0] == '1';
}

double tu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
