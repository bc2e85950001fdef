/* testutil.h - small helpers shared by the Check suites. */
#ifndef POLYSOCK_TESTUTIL_H
#define POLYSOCK_TESTUTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "polysock.h"

/* Assert that a polysock call returned `expected`, naming both codes. */
#define ck_assert_ps(call, expected)                                          \
    do {                                                                      \
        int ps_rc_ = (call);                                                  \
        int ps_ex_ = (expected);                                              \
        ck_assert_msg(ps_rc_ == ps_ex_, "%s returned %d (%s), expected %d (%s)", \
                      #call, ps_rc_, polysock_errname(ps_rc_), ps_ex_,        \
                      polysock_errname(ps_ex_));                              \
    } while (0)
#define ck_assert_ps_ok(call) ck_assert_ps((call), 0)

/* An address record for (host, port) in family. */
polysock_addr tu_addr(int family, const char *host, int64_t port);
/* An AF_UNIX address record of len path bytes (may hold NULs). */
polysock_addr tu_unix_addr(const char *path, size_t len);

/* A listening TCP socket on the loopback of family (AF_INET: 127.0.0.1,
 * AF_INET6: ::1) on an ephemeral port; *port gets the port. */
polysock_handle tu_listener(int family, int64_t *port);
/* A connected TCP pair over loopback: client and accepted server side. */
void tu_tcp_pair(int family, polysock_handle *client, polysock_handle *server);
/* An IPv4 loopback listener whose accept queue is full: the kernel drops
 * further SYNs, so a connect to it stays pending (the client retries its
 * SYN after ~1 s).  fillers[0..*nfill) are connected but not accepted. */
polysock_handle tu_full_listener(int64_t *port, polysock_handle *fillers,
                                 size_t cap, size_t *nfill);

/* Number of open descriptors of this process (counts /proc/self/fd). */
int tu_open_fds(void);
/* 1 when running under valgrind (slower: tests scale their counts down). */
int tu_under_valgrind(void);
/* Seconds on the monotonic clock. */
double tu_now(void);

/* TLS: write all of buf (asserting it all went), read exactly len bytes
 * (asserting no EOF comes first). */
void tu_tls_write_all(polysock_handle tls, const void *buf, size_t len);
void tu_tls_read_exactly(polysock_handle tls, void *buf, size_t len);

#endif
