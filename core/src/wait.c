/*
 * wait.c - the timeout machinery.
 *
 * Every blocking call runs against one deadline on the monotonic clock,
 * fixed when the call starts, so retries after EAGAIN or EINTR never
 * stretch the timeout.  A thread may opt in to get -EINTR back instead of a
 * retry; the deadline of that call is then kept for its repeat (see
 * polysock_resume in polysock.h).
 */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>

static _Atomic int64_t default_timeout_ns = -1;
/* Threads whose next call may resume an interrupted one.  Thread-locals of
 * a shared library cost a __tls_get_addr call, so the I/O fast path reads
 * this counter instead and looks at its thread's state only when it is
 * non-zero. */
static _Atomic int armed_threads;

/* Per thread: the interrupt mode, and the interrupted call whose deadline
 * its repeat may keep. */
static _Thread_local bool interrupt_mode;
static _Thread_local struct {
    polysock_handle handle;
    int op;
    int64_t deadline;
    bool saved; /* an interrupted call left its deadline here */
    bool armed; /* polysock_resume() was called since */
} pending;

int64_t polysock__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The largest timeout kept: about 146 years, far beyond any use, and far
 * from overflow when added to the clock. */
#define MAX_TIMEOUT_S 4.6e9

int polysock__timeout_from_seconds(double seconds, int64_t *timeout_ns)
{
    if (isnan(seconds))
        return POLYSOCK_ETIMEOUTVAL;
    if (seconds == POLYSOCK_TIMEOUT_NONE) {
        *timeout_ns = -1;
        return 0;
    }
    if (seconds < 0)
        return POLYSOCK_ETIMEOUTVAL;
    if (seconds > MAX_TIMEOUT_S)
        return POLYSOCK_ERANGE;
    /* Round up, as CPython does, so a tiny timeout still waits. */
    *timeout_ns = (int64_t)ceil(seconds * 1e9);
    return 0;
}

double polysock__timeout_to_seconds(int64_t timeout_ns)
{
    return timeout_ns < 0 ? POLYSOCK_TIMEOUT_NONE : (double)timeout_ns / 1e9;
}

int64_t polysock__default_timeout_ns(void)
{
    return atomic_load(&default_timeout_ns);
}

int polysock_getdefaulttimeout(double *seconds)
{
    if (seconds == NULL)
        return POLYSOCK_ENULL;
    *seconds = polysock__timeout_to_seconds(polysock__default_timeout_ns());
    return 0;
}

int polysock_setdefaulttimeout(double seconds)
{
    int64_t ns;
    int rc = polysock__timeout_from_seconds(seconds, &ns);
    if (rc == 0)
        atomic_store(&default_timeout_ns, ns);
    return rc;
}

/* Forget what an interrupted call left in this thread. */
static void clear_pending(void)
{
    if (pending.armed)
        atomic_fetch_sub(&armed_threads, 1);
    pending.saved = pending.armed = false;
}

int polysock_set_interrupt_mode(int on)
{
    interrupt_mode = on != 0;
    clear_pending();
    return 0;
}

int polysock_get_interrupt_mode(void)
{
    return interrupt_mode;
}

void polysock_resume(void)
{
    if (pending.saved && !pending.armed) {
        pending.armed = true;
        atomic_fetch_add(&armed_threads, 1);
    }
}

/* The kept deadline when this call repeats an interrupted one that was
 * resumed; any call clears what an interrupted call left. */
static bool resumed(polysock_handle h, int op, int64_t *kept)
{
    if (atomic_load_explicit(&armed_threads, memory_order_relaxed) == 0)
        return false;
    bool resume = pending.armed && pending.handle == h && pending.op == op;
    *kept = pending.deadline;
    clear_pending();
    return resume;
}

int64_t polysock__call_deadline(polysock_handle h, int op, int64_t timeout_ns)
{
    int64_t kept;
    if (resumed(h, op, &kept))
        return kept;
    if (timeout_ns < 0)
        return POLYSOCK__NO_DEADLINE;
    return polysock__now_ns() + timeout_ns;
}

/* A deadline not yet read from the clock: most calls never wait, so the
 * clock is read only when one first has to (sock_call). */
#define LAZY_DEADLINE INT64_MIN

int polysock__interrupted(polysock_handle h, int op, int64_t deadline)
{
    if (!interrupt_mode)
        return 0;
    clear_pending();
    pending.handle = h;
    pending.op = op;
    pending.deadline = deadline;
    pending.saved = true;
    pending.armed = false;
    return -EINTR;
}

/* wait_fd with the clock already read (now != 0) for its first round. */
static int wait_fd_at(int fd, short events, int64_t deadline,
                      polysock_handle h, int op, int64_t now)
{
    for (;; now = 0) {
        int ms = -1;
        if (deadline != POLYSOCK__NO_DEADLINE) {
            int64_t left = deadline - (now != 0 ? now : polysock__now_ns());
            if (left <= 0)
                return POLYSOCK_ETIMEOUT;
            /* Round up: waking before the deadline would only poll again. */
            int64_t left_ms = (left + 999999) / 1000000;
            ms = left_ms > INT32_MAX ? INT32_MAX : (int)left_ms;
        }
        struct pollfd pfd = {.fd = fd, .events = events};
        int n = poll(&pfd, 1, ms);
        if (n > 0)
            return 0; /* ready, or an error the next attempt will report */
        if (n == 0)
            continue; /* the loop head decides whether time is up */
        if (errno != EINTR)
            return -errno;
        int rc = polysock__interrupted(h, op, deadline);
        if (rc != 0)
            return rc;
    }
}

int polysock__wait_fd(int fd, short events, int64_t deadline,
                      polysock_handle h, int op)
{
    return wait_fd_at(fd, events, deadline, h, op, 0);
}

static bool closing(const polysock__socket *sock)
{
    return atomic_load_explicit(&sock->base.closing, memory_order_acquire);
}

int polysock__sock_call(polysock__socket *sock, int op, short events,
                        polysock__attempt_fn attempt, void *ctx,
                        ssize_t *result)
{
    int64_t timeout = atomic_load_explicit(&sock->timeout_ns, memory_order_relaxed);
    int64_t deadline;
    if (!resumed(sock->base.handle, op, &deadline))
        deadline = timeout > 0 ? LAZY_DEADLINE : POLYSOCK__NO_DEADLINE;
    return polysock__sock_call_until(sock, op, events, attempt, ctx, deadline,
                                     result);
}

int polysock__sock_call_until(polysock__socket *sock, int op, short events,
                              polysock__attempt_fn attempt, void *ctx,
                              int64_t deadline, ssize_t *result)
{
    polysock_handle h = sock->base.handle;
    int fd = sock->base.fd;
    int64_t timeout = atomic_load_explicit(&sock->timeout_ns, memory_order_relaxed);
    for (;;) {
        ssize_t n = attempt(fd, ctx);
        int err = errno;
        /* A close from another thread wakes us with some error or EOF;
         * report the close itself, whatever the call saw. */
        if (closing(sock))
            return POLYSOCK_EBADHANDLE;
        if (n >= 0) {
            *result = n;
            return 0;
        }
        int64_t now = 0;
        if (deadline == LAZY_DEADLINE) {
            now = polysock__now_ns();
            deadline = now + timeout;
        }
        int rc;
        if (err == EINTR) {
            rc = polysock__interrupted(h, op, deadline);
        } else if ((err == EAGAIN || err == EWOULDBLOCK) && timeout > 0) {
            rc = wait_fd_at(fd, events, deadline, h, op, now);
            if (closing(sock))
                return POLYSOCK_EBADHANDLE;
        } else {
            return -err;
        }
        if (rc != 0)
            return rc;
    }
}
