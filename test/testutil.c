/* testutil.c - helpers shared by the Check suites. */
#define _GNU_SOURCE
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
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

polysock_handle tu_full_listener(int64_t *port, polysock_handle *fillers,
                                 size_t cap, size_t *nfill)
{
    polysock_handle l;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &l));
    polysock_addr any = tu_addr(AF_INET, "127.0.0.1", 0);
    ck_assert_ps_ok(polysock_bind(l, &any));
    ck_assert_ps_ok(polysock_listen(l, 0));
    polysock_addr bound;
    ck_assert_ps_ok(polysock_getsockname(l, &bound));
    *port = bound.port;
    polysock_addr to = tu_addr(AF_INET, "127.0.0.1", *port);
    for (*nfill = 0; *nfill < cap; (*nfill)++) {
        polysock_handle f;
        ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &f));
        ck_assert_ps_ok(polysock_setblocking(f, 0));
        int rc = polysock_connect(f, &to);
        ck_assert_msg(rc == 0 || rc == -EINPROGRESS, "filler connect: %s",
                      polysock_errname(rc));
        int fd = -1;
        ck_assert_ps_ok(polysock_fileno(f, &fd));
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        if (poll(&p, 1, 300) == 0) {
            ck_assert_ps_ok(polysock_close(f)); /* its SYN was dropped: full */
            return l;
        }
        fillers[*nfill] = f;
    }
    ck_abort_msg("accept queue never filled after %zu connections", cap);
    return l;
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

void tu_tls_write_all(polysock_handle tls, const void *buf, size_t len)
{
    size_t sent = 0;
    ck_assert_ps_ok(polysock_tls_write(tls, buf, len, &sent));
    ck_assert_uint_eq(sent, len);
}

void tu_tls_read_exactly(polysock_handle tls, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        size_t n = 0;
        ck_assert_ps_ok(polysock_tls_read(tls, (char *)buf + got, len - got, &n));
        ck_assert_msg(n > 0, "EOF after %zu of %zu bytes", got, len);
        got += n;
    }
}
