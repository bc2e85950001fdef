/* tls_peer.h - external TLS peers for the Check suites: test/tls/peer.py
 * (Python's ssl module, openssl s_server / s_client) run as a child
 * process, and the test certificates of test/tls/make-certs.sh.
 *
 * Every peer started is remembered until it is waited for;
 * tls_peers_stop_all() kills and reaps the rest: the suite's teardown
 * calls it.  A forked test that fails ends with _exit(), skipping the
 * teardown; its peers then notice that their parent is gone and exit
 * (peer.py watches for that), so no test leaves a process behind. */
#ifndef POLYSOCK_TEST_TLS_PEER_H
#define POLYSOCK_TEST_TLS_PEER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct tls_peer {
    pid_t pid;     /* 0 once reaped */
    int out;       /* read end of its stdout; -1 once closed */
    int64_t port;  /* server modes: where it listens */
} tls_peer;

/* POLYSOCK_TEST_CERTS (set by make check); the test fails when unset. */
const char *tls_certs_dir(void);
/* DIR/name into buf (cap bytes); the test fails if it does not fit. */
void tls_cert_path(char *buf, size_t cap, const char *name);

/* Start `peer.py --certs DIR MODE ARGS...` (args: NULL-terminated, or
 * NULL) and wait, bounded, for its "PORT <n>" line. */
void tls_peer_start_server(tls_peer *peer, const char *mode, const char *const *args);
/* Start a client mode of peer.py against 127.0.0.1:port. */
void tls_peer_start_client(tls_peer *peer, const char *mode, int64_t port,
                           const char *const *args);
/* Wait, bounded, for the peer to exit and return its exit status (-1 if
 * it had to be killed).  What it printed after the PORT line goes into
 * out (NUL-terminated, truncated to cap) unless out is NULL. */
int tls_peer_wait(tls_peer *peer, char *out, size_t cap);
/* Kill (with everything it started) and reap every peer not waited for. */
void tls_peers_stop_all(void);

#endif
