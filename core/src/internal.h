/*
 * internal.h - what the core's source files share.  Nothing here is
 * exported from libpolysock.so (names are polysock__*, built with hidden
 * visibility); tests and fuzzers reach it through libpolysock_internal.la.
 */
#ifndef POLYSOCK_INTERNAL_H
#define POLYSOCK_INTERNAL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#ifndef POLYSOCK_BUILDING
#define POLYSOCK_BUILDING
#endif

#include "config.h"
#include "polysock.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

/* ---- alloc.c: every allocation of the library goes through here, so the
 * stats can count it and tests can make it fail. ---- */
void *polysock__malloc(size_t size);
void *polysock__calloc(size_t count, size_t size);
void polysock__free(void *ptr);
/* Copy len bytes and add a NUL; NULL on ENOMEM. */
char *polysock__memdup0(const char *src, size_t len);
void polysock__stats_alloc(polysock_stats *stats);

/* ---- handles.c: the generation-counted handle table. ---- */
typedef enum polysock__kind {
    POLYSOCK__KIND_SOCKET = 1,
    POLYSOCK__KIND_HOSTENT = 2,
    POLYSOCK__KIND_ADDRINFO = 3,
    POLYSOCK__KIND_POLLER = 4,
    POLYSOCK__KIND_TLS = 5,
    POLYSOCK__KIND_TLS_CONFIG = 6
} polysock__kind;

typedef struct polysock__object polysock__object;

/* The common head of everything a handle can refer to.  Kind-specific
 * structs embed it as their first member; allocate them zeroed
 * (polysock__calloc) and set kind, fd and the hooks you need. */
struct polysock__object {
    polysock__kind kind;
    int fd;                  /* -1 when the object holds no descriptor */
    polysock_handle handle;  /* the handle that names this object */
    atomic_bool closing;     /* set by close; blocked calls check it */
    /* Frees what the kind owns, except fd (closed by the table) and the
     * object itself (freed by the table).  May be NULL. */
    void (*destroy)(polysock__object *obj);
    /* Wakes calls blocked on the object when it is closed under them
     * (shutdown() for sockets).  May be NULL. */
    void (*wake)(polysock__object *obj);
};

/* Register obj (kind and fd already set) and give out its handle. */
int polysock__handle_new(polysock__object *obj, polysock_handle *handle);
/* Find the live object of handle h and take a reference for one call.
 * POLYSOCK_EBADHANDLE if closed/stale/forged, POLYSOCK_EWRONGKIND if the
 * handle is of another kind. */
int polysock__handle_acquire(polysock_handle h, polysock__kind kind,
                             polysock__object **obj);
/* Drop the reference of one call; the last one out of a closed object
 * closes its descriptor and frees it. */
void polysock__handle_release(polysock__object *obj);
/* Close handle h: it is refused from now on; calls blocked on it are woken
 * (shutdown) and the object is freed once they have returned. */
int polysock__handle_close(polysock_handle h, polysock__kind kind);
int64_t polysock__handle_live_count(void);

/* ---- socket.c: the socket object. ---- */
typedef struct polysock__socket {
    polysock__object base;
    int family;
    int type;
    int proto;
    /* Timeout mode: -1 blocking, 0 non-blocking, > 0 timeout in ns. */
    _Atomic int64_t timeout_ns;
    /* A connect interrupted in interrupt mode: its repeat waits for the
     * pending connection instead of calling connect() again. */
    atomic_bool connect_pending;
    /* Host string of the last connect (TLS default name); guarded by the
     * socket's lock since another thread may read it. */
    char *connect_host;
} polysock__socket;

int polysock__socket_acquire(polysock_handle h, polysock__socket **sock);
/* Wrap an open descriptor (ownership passes; closed on failure). */
int polysock__socket_wrap(int fd, int family, int type, int proto,
                          polysock_handle *handle);
int64_t polysock__socket_live_count(void);
/* Remember the host string of a connect (len bytes, no NUL needed). */
int polysock__socket_set_connect_host(polysock__socket *sock, const char *host,
                                      size_t len);

/* ---- addr.c: polysock_addr <-> struct sockaddr, host resolution as the
 * reference describes. ---- */
typedef struct polysock__sockaddr {
    struct sockaddr_storage storage;
    socklen_t len;
} polysock__sockaddr;

/* family is the socket's family; addr->family must be 0 or equal to it. */
int polysock__addr_to_sockaddr(int family, const polysock_addr *addr,
                               polysock__sockaddr *out);
/* Fill *addr from a kernel address (any family the library knows; others
 * get family set and host empty). */
int polysock__sockaddr_to_addr(const struct sockaddr *sa, socklen_t len,
                               polysock_addr *addr);
/* Resolve a host string for family (AF_INET / AF_INET6) the way Python's
 * setipaddr does: "" any, "<broadcast>", numeric, else getaddrinfo. */
int polysock__resolve_host(const char *host, int family,
                           polysock__sockaddr *out);

/* ---- errors.c ---- */
static inline int polysock__from_errno(int err) { return -err; }
static inline int polysock__gai_code(int eai) { return -(POLYSOCK_GAI_BASE - eai); }
static inline int polysock__herror_code(int herr) { return -(POLYSOCK_HERROR_BASE + herr); }
/* The code of a failed getaddrinfo/getnameinfo; EAI_SYSTEM means "see
 * errno" (err), so the OS error itself is reported. */
int polysock__gai_failure(int eai, int err);

/* ---- wait.c: deadlines, timeouts and interrupted calls. ---- */
#define POLYSOCK__NO_DEADLINE INT64_MAX

/* Monotonic clock in ns. */
int64_t polysock__now_ns(void);
/* Seconds -> timeout_ns (-1 = none); POLYSOCK_ETIMEOUTVAL / ERANGE. */
int polysock__timeout_from_seconds(double seconds, int64_t *timeout_ns);
double polysock__timeout_to_seconds(int64_t timeout_ns);
int64_t polysock__default_timeout_ns(void);

/* Operation ids, so a resumed call is matched to the one interrupted. */
enum polysock__op {
    POLYSOCK__OP_ACCEPT = 1, POLYSOCK__OP_CONNECT, POLYSOCK__OP_RECV,
    POLYSOCK__OP_SEND, POLYSOCK__OP_SENDALL, POLYSOCK__OP_POLL,
    POLYSOCK__OP_TLS_HANDSHAKE, POLYSOCK__OP_TLS_READ, POLYSOCK__OP_TLS_WRITE
};
/* The deadline of a call starting now: the armed deadline of an
 * interrupted call with the same handle and op, else now + timeout_ns
 * (POLYSOCK__NO_DEADLINE when timeout_ns < 0). */
int64_t polysock__call_deadline(polysock_handle h, int op, int64_t timeout_ns);
/* A call saw EINTR: 0 to retry (default mode), or -EINTR to return it
 * (interrupt mode; the deadline is remembered for polysock_resume). */
int polysock__interrupted(polysock_handle h, int op, int64_t deadline);
/* Wait until fd is ready for events (POLLIN/POLLOUT) or the deadline:
 * 0 ready, POLYSOCK_ETIMEOUT, -EINTR (see polysock__interrupted), -errno. */
int polysock__wait_fd(int fd, short events, int64_t deadline,
                      polysock_handle h, int op);

/* One socket call under the socket's timeout mode: attempt() is called
 * until it succeeds, fails for good, or the deadline passes; EAGAIN waits
 * for `events`, EINTR retries or returns as the thread's mode says. */
typedef ssize_t (*polysock__attempt_fn)(int fd, void *ctx);
int polysock__sock_call(polysock__socket *sock, int op, short events,
                        polysock__attempt_fn attempt, void *ctx,
                        ssize_t *result);
/* The same against a deadline the caller fixed (sendall: one deadline
 * for many sends). */
int polysock__sock_call_until(polysock__socket *sock, int op, short events,
                              polysock__attempt_fn attempt, void *ctx,
                              int64_t deadline, ssize_t *result);

#endif /* POLYSOCK_INTERNAL_H */
