/*
 * poller.c - readiness of many handles at once (epoll), so that one thread
 * can serve thousands of sockets and an event loop (the Node Promise API)
 * can park every waiting call on a single waiter.
 *
 * The kernel reports events with the handle we registered (epoll_data),
 * not the descriptor, so an event can never be mistaken for a later socket
 * that reuses the descriptor number; handles closed since are dropped.
 */
#include "internal.h"

#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

_Static_assert(POLYSOCK_POLLIN == EPOLLIN && POLYSOCK_POLLOUT == EPOLLOUT &&
               POLYSOCK_POLLERR == EPOLLERR && POLYSOCK_POLLHUP == EPOLLHUP &&
               POLYSOCK_POLLONESHOT == EPOLLONESHOT,
               "poller flags are epoll's, so no translation is needed");

#define EVENT_MASK (POLYSOCK_POLLIN | POLYSOCK_POLLOUT | POLYSOCK_POLLERR | \
                    POLYSOCK_POLLHUP | POLYSOCK_POLLONESHOT)
#define WAKE_TAG 0 /* epoll_data of the wake-up eventfd: handle 0 is never valid */
#define MAX_BATCH 1024

typedef struct poller {
    polysock__object base; /* base.fd is the epoll descriptor */
    int wake_fd;           /* eventfd: poller_wake and close write to it */
} poller;

static void poller_destroy(polysock__object *obj)
{
    close(((poller *)obj)->wake_fd);
}

static void poller_wake_fd(polysock__object *obj)
{
    uint64_t one = 1;
    /* EAGAIN means the counter is already non-zero: a wake-up is pending. */
    (void)!write(((poller *)obj)->wake_fd, &one, sizeof one);
}

int polysock_poller_new(polysock_handle *handle)
{
    if (handle == NULL)
        return POLYSOCK_ENULL;
    poller *p = polysock__calloc(1, sizeof *p);
    if (p == NULL)
        return -ENOMEM;
    p->base.kind = POLYSOCK__KIND_POLLER;
    p->base.destroy = poller_destroy;
    p->base.wake = poller_wake_fd;
    p->base.fd = epoll_create1(EPOLL_CLOEXEC);
    p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int rc = 0;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = WAKE_TAG};
    if (p->base.fd < 0 || p->wake_fd < 0 ||
        epoll_ctl(p->base.fd, EPOLL_CTL_ADD, p->wake_fd, &ev) < 0)
        rc = -errno;
    if (rc == 0)
        rc = polysock__handle_new(&p->base, handle);
    if (rc != 0) {
        if (p->base.fd >= 0)
            close(p->base.fd);
        if (p->wake_fd >= 0)
            close(p->wake_fd);
        polysock__free(p);
    }
    return rc;
}

int polysock_poller_close(polysock_handle handle)
{
    return polysock__handle_close(handle, POLYSOCK__KIND_POLLER);
}

static int acquire_poller(polysock_handle h, poller **p)
{
    polysock__object *obj;
    int rc = polysock__handle_acquire(h, POLYSOCK__KIND_POLLER, &obj);
    if (rc == 0)
        *p = (poller *)obj;
    return rc;
}

static int control(polysock_handle ph, int op, polysock_handle sh, uint32_t events)
{
    if ((events & ~(uint32_t)EVENT_MASK) != 0)
        return POLYSOCK_EVALUE;
    poller *p;
    int rc = acquire_poller(ph, &p);
    if (rc != 0)
        return rc;
    polysock__socket *sock;
    if ((rc = polysock__socket_acquire(sh, &sock)) == 0) {
        struct epoll_event ev = {.events = events, .data.u64 = sh};
        if (epoll_ctl(p->base.fd, op, sock->base.fd, &ev) < 0)
            rc = -errno;
        polysock__handle_release(&sock->base);
    }
    polysock__handle_release(&p->base);
    return rc;
}

int polysock_poller_add(polysock_handle p, polysock_handle sock, uint32_t events)
{
    return control(p, EPOLL_CTL_ADD, sock, events);
}

int polysock_poller_modify(polysock_handle p, polysock_handle sock, uint32_t events)
{
    return control(p, EPOLL_CTL_MOD, sock, events);
}

int polysock_poller_remove(polysock_handle p, polysock_handle sock)
{
    return control(p, EPOLL_CTL_DEL, sock, 0);
}

int polysock_poller_wake(polysock_handle handle)
{
    poller *p;
    int rc = acquire_poller(handle, &p);
    if (rc != 0)
        return rc;
    poller_wake_fd(&p->base);
    polysock__handle_release(&p->base);
    return 0;
}

int polysock_poller_fileno(polysock_handle handle, int *fd)
{
    if (fd == NULL)
        return POLYSOCK_ENULL;
    poller *p;
    int rc = acquire_poller(handle, &p);
    if (rc != 0)
        return rc;
    *fd = p->base.fd; /* an epoll descriptor polls readable when events wait */
    polysock__handle_release(&p->base);
    return 0;
}

/* Milliseconds to the deadline for epoll_wait, rounded up so that we never
 * wake before it; -1 for none. */
static int wait_ms(int64_t deadline)
{
    if (deadline == POLYSOCK__NO_DEADLINE)
        return -1;
    int64_t left = deadline - polysock__now_ns();
    if (left <= 0)
        return 0;
    int64_t ms = (left + 999999) / 1000000;
    return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* Is h still an open socket?  Events of handles closed after the kernel
 * queued them are dropped. */
static bool still_open(polysock_handle h)
{
    polysock__socket *sock;
    if (polysock__socket_acquire(h, &sock) != 0)
        return false;
    polysock__handle_release(&sock->base);
    return true;
}

static size_t collect(poller *p, const struct epoll_event *ready, int n,
                      polysock_event *events, bool *woken)
{
    size_t count = 0;
    *woken = false;
    for (int i = 0; i < n; i++) {
        if (ready[i].data.u64 == WAKE_TAG) {
            uint64_t drained;
            (void)!read(p->wake_fd, &drained, sizeof drained);
            *woken = true;
            continue;
        }
        if (!still_open(ready[i].data.u64))
            continue;
        events[count].handle = ready[i].data.u64;
        events[count].events = ready[i].events;
        events[count].reserved = 0;
        count++;
    }
    return count;
}

int polysock_poller_wait(polysock_handle handle, polysock_event *events,
                         size_t cap, double timeout, size_t *count)
{
    if (events == NULL || count == NULL)
        return POLYSOCK_ENULL;
    if (cap == 0)
        return POLYSOCK_EBUFSIZE;
    int64_t timeout_ns;
    int rc = polysock__timeout_from_seconds(timeout, &timeout_ns);
    if (rc != 0)
        return rc;
    poller *p;
    if ((rc = acquire_poller(handle, &p)) != 0)
        return rc;
    int64_t deadline = polysock__call_deadline(handle, POLYSOCK__OP_POLL, timeout_ns);
    struct epoll_event ready[MAX_BATCH];
    int batch = cap < MAX_BATCH ? (int)cap : MAX_BATCH;
    for (;;) {
        int n = epoll_wait(p->base.fd, ready, batch, wait_ms(deadline));
        if (atomic_load(&p->base.closing)) {
            rc = POLYSOCK_EBADHANDLE;
        } else if (n >= 0) {
            bool woken;
            size_t got = collect(p, ready, n, events, &woken);
            /* A batch of stale events alone is not an answer: wait on. */
            if (got == 0 && n > 0 && !woken && wait_ms(deadline) != 0)
                continue;
            *count = got;
        } else if (errno == EINTR) {
            if ((rc = polysock__interrupted(handle, POLYSOCK__OP_POLL, deadline)) == 0)
                continue;
        } else {
            rc = -errno;
        }
        break;
    }
    polysock__handle_release(&p->base);
    return rc;
}
