/* tls_peer.c - start, wait for and clean up the external TLS peers of
 * test/tls/peer.py (the contract is test/tls/README.md). */
#define _GNU_SOURCE /* pipe2 */

#include "tls_peer.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#ifndef TLS_PEER_SCRIPT
#error "TLS_PEER_SCRIPT must name test/tls/peer.py (Makefile.am defines it)"
#endif

extern char **environ;

/* Bounds, in seconds: generous, the machine may be busy; a peer bounds its
 * own waits by --timeout, so these only catch a peer that is stuck. */
#define PEER_START_SECS 60.0
#define PEER_EXIT_SECS 60.0
#define PEER_TIMEOUT_ARG "20"
#define MAX_PEER_ARGS 24
#define MAX_LIVE_PEERS 8

/* Peers started and not yet reaped. */
static struct {
    pid_t pid;
    int out;
} live[MAX_LIVE_PEERS];

const char *tls_certs_dir(void)
{
    const char *dir = getenv("POLYSOCK_TEST_CERTS");
    ck_assert_msg(dir != NULL && *dir != '\0',
                  "POLYSOCK_TEST_CERTS is not set: run through make check, or set it "
                  "to the directory test/tls/make-certs.sh made (BUILDDIR/test-certs)");
    return dir;
}

void tls_cert_path(char *buf, size_t cap, const char *name)
{
    int n = snprintf(buf, cap, "%s/%s", tls_certs_dir(), name);
    ck_assert_msg(n > 0 && (size_t)n < cap, "certificate path too long: %s", name);
}

/* The interpreter: Debian's python3, whose standard library peer.py needs;
 * POLYSOCK_TEST_PYTHON overrides. */
static const char *peer_python(void)
{
    const char *python = getenv("POLYSOCK_TEST_PYTHON");
    return python != NULL && *python != '\0' ? python : "/usr/bin/python3";
}

static void remember(pid_t pid, int out)
{
    for (size_t i = 0; i < MAX_LIVE_PEERS; i++) {
        if (live[i].pid == 0) {
            live[i].pid = pid;
            live[i].out = out;
            return;
        }
    }
    ck_abort_msg("more than %d TLS peers at once", MAX_LIVE_PEERS);
}

static void forget(pid_t pid)
{
    for (size_t i = 0; i < MAX_LIVE_PEERS; i++)
        if (live[i].pid == pid)
            live[i].pid = 0;
}

/* Kill the peer's process group (peer.py and any openssl it started) and
 * reap the peer; the openssl child is reaped by init. */
static void kill_and_reap(pid_t pid)
{
    kill(-pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

void tls_peers_stop_all(void)
{
    for (size_t i = 0; i < MAX_LIVE_PEERS; i++) {
        if (live[i].pid != 0) {
            kill_and_reap(live[i].pid);
            close(live[i].out);
            live[i].pid = 0;
        }
    }
}

static void spawn(tls_peer *peer, const char *const *argv)
{
    int pipefd[2];
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    pid_t pid;

    ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
    ck_assert_int_eq(posix_spawn_file_actions_init(&actions), 0);
    ck_assert_int_eq(posix_spawn_file_actions_adddup2(&actions, pipefd[1], STDOUT_FILENO), 0);
    ck_assert_int_eq(posix_spawnattr_init(&attr), 0);
    /* Its own process group, so that killing it kills what it started. */
    ck_assert_int_eq(posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP), 0);
    ck_assert_int_eq(posix_spawnattr_setpgroup(&attr, 0), 0);
    int rc = posix_spawn(&pid, argv[0], &actions, &attr, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    close(pipefd[1]);
    if (rc != 0) {
        close(pipefd[0]);
        ck_abort_msg("cannot run %s: %s", argv[0], strerror(rc));
    }
    remember(pid, pipefd[0]);
    peer->pid = pid;
    peer->out = pipefd[0];
    peer->port = 0;
}

/* argv: python peer.py --certs DIR --timeout S MODE [--port P] ARGS... */
static void start(tls_peer *peer, const char *mode, const char *port,
                  const char *const *args)
{
    const char *argv[MAX_PEER_ARGS];
    size_t n = 0;
    argv[n++] = peer_python();
    argv[n++] = TLS_PEER_SCRIPT;
    argv[n++] = "--certs";
    argv[n++] = tls_certs_dir();
    argv[n++] = "--timeout";
    argv[n++] = PEER_TIMEOUT_ARG;
    argv[n++] = mode;
    if (port != NULL) {
        argv[n++] = "--port";
        argv[n++] = port;
    }
    for (size_t i = 0; args != NULL && args[i] != NULL; i++) {
        ck_assert_msg(n < MAX_PEER_ARGS - 1, "too many peer arguments");
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    spawn(peer, argv);
}

/* Wait up to `seconds` for out to be readable: 1 if it is, 0 if not. */
static int readable(int out, double seconds)
{
    struct pollfd p = {.fd = out, .events = POLLIN};
    int rc;
    while ((rc = poll(&p, 1, (int)(seconds * 1000))) < 0 && errno == EINTR)
        ;
    return rc > 0;
}

void tls_peer_start_server(tls_peer *peer, const char *mode, const char *const *args)
{
    char line[64];
    size_t len = 0;
    double deadline = tu_now() + PEER_START_SECS;

    start(peer, mode, NULL, args);
    /* One byte at a time: nothing after the newline may be consumed. */
    for (;;) {
        double left = deadline - tu_now();
        ck_assert_msg(left > 0 && readable(peer->out, left),
                      "peer %s did not print its port within %gs", mode, PEER_START_SECS);
        ssize_t n = read(peer->out, &line[len], 1);
        ck_assert_msg(n == 1, "peer %s exited before listening (see its stderr)", mode);
        if (line[len] == '\n')
            break;
        len++;
        ck_assert_msg(len < sizeof line - 1, "peer %s: first line too long", mode);
    }
    line[len] = '\0';
    ck_assert_msg(sscanf(line, "PORT %" SCNd64, &peer->port) == 1 && peer->port > 0,
                  "peer %s printed '%s', not 'PORT <n>'", mode, line);
}

void tls_peer_start_client(tls_peer *peer, const char *mode, int64_t port,
                           const char *const *args)
{
    char port_text[24];
    snprintf(port_text, sizeof port_text, "%" PRId64, port);
    start(peer, mode, port_text, args);
    peer->port = port;
}

int tls_peer_wait(tls_peer *peer, char *out, size_t cap)
{
    size_t len = 0;
    int status = 0;
    int exited = 0;
    int eof = 0;
    double deadline = tu_now() + PEER_EXIT_SECS;

    ck_assert_msg(peer->pid != 0, "peer already waited for");
    /* Read its output while waiting, so that it can never block on a full
     * pipe; the end of the output and the exit may come in either order. */
    while (!(exited && eof) && tu_now() < deadline) {
        if (!eof && readable(peer->out, 0.05)) {
            char chunk[256];
            ssize_t n = read(peer->out, chunk, sizeof chunk);
            if (n <= 0) {
                eof = 1;
            } else if (out != NULL && cap > 0) {
                size_t keep = (size_t)n < cap - 1 - len ? (size_t)n : cap - 1 - len;
                memcpy(out + len, chunk, keep);
                len += keep;
            }
        } else if (eof) {
            usleep(10000);
        }
        if (!exited && waitpid(peer->pid, &status, WNOHANG) == peer->pid)
            exited = 1;
    }
    if (!exited) {
        kill_and_reap(peer->pid);
        status = -1;
    }
    forget(peer->pid);
    close(peer->out);
    peer->pid = 0;
    peer->out = -1;
    if (out != NULL && cap > 0)
        out[len] = '\0';
    return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
