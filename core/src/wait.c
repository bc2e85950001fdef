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
#include <time.h>

static _Atomic int64_t default_timeout_ns = -1;

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

int polysock_set_interrupt_mode(int on)
{
    interrupt_mode = on != 0;
    pending.saved = pending.armed = false;
    return 0;
}

int polysock_get_interrupt_mode(void)
{
    return interrupt_mode;
}

void polysock_resume(void)
{
    if (pending.saved)
        pending.armed = true;
}

/* The kept deadline when this call repeats an interrupted one that was
 * resumed; any call clears what an interrupted call left. */
static bool resumed(polysock_handle h, int op, int64_t *kept)
{
    bool resume = pending.armed && pending.handle == h && pending.op == op;
    *kept = pending.deadline;
    pending.saved = pending.armed = false;
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
    pending.handle = h;
    pending.op = op;
    pending.deadline = deadline;
    pending.saved = true;
    pending.armed = false;
    return -EINTR;
}

int polysock__wait_fd(int fd, short events, int64_t deadline,
                      polysock_handle h, int op)
{
    for (;;) {
        struct timespec ts, *tsp = NULL;
        if (deadline != POLYSOCK__NO_DEADLINE) {
            int64_t left = deadline - polysock__now_ns();
            if (left <= 0)
                return POLYSOCK_ETIMEOUT;
            ts.tv_sec = left / 1000000000;
            ts.tv_nsec = left % 1000000000;
            tsp = &ts;
        }
        struct pollfd pfd = {.fd = fd, .events = events};
        int n = ppoll(&pfd, 1, tsp, NULL);
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
        if (deadline == LAZY_DEADLINE)
            deadline = polysock__now_ns() + timeout;
        int rc;
        if (err == EINTR) {
            rc = polysock__interrupted(h, op, deadline);
        } else if ((err == EAGAIN || err == EWOULDBLOCK) && timeout > 0) {
            rc = polysock__wait_fd(fd, events, deadline, h, op);
            if (closing(sock))
                return POLYSOCK_EBADHANDLE;
        } else {
            return -err;
        }
        if (rc != 0)
            return rc;
    }
}
