/*
 * polysock.h - the public C API of libpolysock.
 *
 * One socket core for every language: the socket module of the reference
 * (module functions, constants, socket objects, timeouts), exposed through a
 * C API that any FFI can bind without knowing a private struct layout.
 *
 * Conventions (see docs/architecture.md):
 *  - every fallible function returns int: 0 on success, a negative
 *    POLYSOCK_E* code on failure; results come back through out-params,
 *    which are left untouched on failure (sendall's count excepted);
 *  - a NULL pointer where one is required is POLYSOCK_ENULL; an output
 *    string buffer too small for the result is POLYSOCK_ETOOSMALL;
 *  - sockets, pollers and result lists are handles: integers below 2^53
 *    carrying a generation count, so a stale or forged handle is refused
 *    with POLYSOCK_EBADHANDLE;
 *  - strings are NUL-terminated (const char *); bytes are (pointer, length);
 *  - no varargs, unions, bitfields, structs by value or callbacks.
 */
#ifndef POLYSOCK_H
#define POLYSOCK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(POLYSOCK_BUILDING) && defined(__GNUC__)
#define POLYSOCK_EXTERN __attribute__((visibility("default")))
#else
#define POLYSOCK_EXTERN
#endif

/* ------------------------------------------------------------------------
 * Version
 * ------------------------------------------------------------------------ */

#define POLYSOCK_VERSION_MAJOR 0
#define POLYSOCK_VERSION_MINOR 1
#define POLYSOCK_VERSION_PATCH 0

/* "MAJOR.MINOR.PATCH" of the library actually loaded. */
POLYSOCK_EXTERN const char *polysock_version(void);
/* MAJOR * 10000 + MINOR * 100 + PATCH of the library actually loaded. */
POLYSOCK_EXTERN int polysock_version_number(void);
/* Fingerprint of the IDL the library was built from (16 hex digits); each
 * generated binding refuses a library whose fingerprint is not its own. */
POLYSOCK_EXTERN const char *polysock_abi_fingerprint(void);

/* ------------------------------------------------------------------------
 * Handles
 * ------------------------------------------------------------------------ */

/* An opaque, generation-counted id below 2^53; 0 is never a valid handle. */
typedef uint64_t polysock_handle;

#define POLYSOCK_INVALID_HANDLE ((polysock_handle)0)

/* ------------------------------------------------------------------------
 * Errors: one code space.  A code alone tells its class, its native number
 * and its message.
 *
 *   -1 .. -4095          OS errno, negated (-ECONNREFUSED, -EAGAIN, ...)
 *   -10000 - n           getaddrinfo error, n = -EAI_xxx   (class GAI)
 *   -20000 - n           h_errno error, n = h_errno        (class HERROR)
 *   -30000 .. -30999     library codes below
 *   -40000 .. -40999     TLS codes (reserved for the TLS layer)
 * ------------------------------------------------------------------------ */

#define POLYSOCK_OK 0

#define POLYSOCK_GAI_BASE    10000
#define POLYSOCK_HERROR_BASE 20000
#define POLYSOCK_LIB_BASE    30000
#define POLYSOCK_TLS_BASE    40000

/* Library codes.  The class of each is given by polysock_errclass(). */
#define POLYSOCK_ETIMEOUT     (-30001) /* TIMEOUT:  "timed out" */
#define POLYSOCK_EBADHANDLE   (-30002) /* BADHANDLE: closed, stale or forged handle */
#define POLYSOCK_ENULL        (-30003) /* TYPE:     a required pointer was NULL */
#define POLYSOCK_EPORT        (-30004) /* OVERFLOW: port outside 0..65535 */
#define POLYSOCK_ERANGE       (-30005) /* OVERFLOW: integer argument out of range */
#define POLYSOCK_EVALUE       (-30006) /* VALUE:    argument value not allowed */
#define POLYSOCK_ETIMEOUTVAL  (-30007) /* VALUE:    timeout negative or NaN */
#define POLYSOCK_EBUFSIZE     (-30008) /* VALUE:    buffer length negative or too large */
#define POLYSOCK_EPACKEDLEN   (-30009) /* VALUE:    packed IP of the wrong length (inet_ntop) */
#define POLYSOCK_EFAMILY      (-30010) /* VALUE:    address family not supported here */
#define POLYSOCK_EEMBEDDEDNUL (-30011) /* TYPE:     a host name contains a NUL byte */
#define POLYSOCK_EINETADDR    (-30012) /* ERROR:    illegal IP address string */
#define POLYSOCK_EPACKED      (-30013) /* ERROR:    packed IP wrong length (inet_ntoa) */
#define POLYSOCK_EPATHLEN     (-30014) /* ERROR:    AF_UNIX path too long */
#define POLYSOCK_ENOPROTO     (-30015) /* ERROR:    protocol not found */
#define POLYSOCK_ENOSERVICE   (-30016) /* ERROR:    service/proto not found */
#define POLYSOCK_ENOPORTSVC   (-30017) /* ERROR:    port/proto not found */
#define POLYSOCK_EBUFLEN      (-30018) /* ERROR:    getsockopt buflen out of range */
#define POLYSOCK_ETOOSMALL    (-30019) /* VALUE:    output buffer too small for the result */
#define POLYSOCK_EMULTIADDR   (-30020) /* ERROR:    sockaddr resolved to multiple addresses */
#define POLYSOCK_EINDEX       (-30021) /* VALUE:    list index out of range */
#define POLYSOCK_EWRONGKIND   (-30022) /* BADHANDLE: handle of another kind (a list given as a socket) */
#define POLYSOCK_EADDRTYPE    (-30023) /* TYPE:     address record of another family than the socket's */
#define POLYSOCK_EFAMILYMISMATCH (-30024) /* ERROR: "<broadcast>" for a family other than AF_INET */

/* Error classes: what a binding raises (Python names in brackets). */
typedef enum polysock_errclass_t {
    POLYSOCK_ERRCLASS_NONE = 0,      /* code 0: no error */
    POLYSOCK_ERRCLASS_OS = 1,        /* OSError(errno, strerror) */
    POLYSOCK_ERRCLASS_GAI = 2,       /* gaierror(EAI_x, gai_strerror) */
    POLYSOCK_ERRCLASS_HERROR = 3,    /* herror(h_errno, hstrerror) */
    POLYSOCK_ERRCLASS_TIMEOUT = 4,   /* timeout ("timed out") */
    POLYSOCK_ERRCLASS_VALUE = 5,     /* ValueError */
    POLYSOCK_ERRCLASS_TYPE = 6,      /* TypeError */
    POLYSOCK_ERRCLASS_OVERFLOW = 7,  /* OverflowError */
    POLYSOCK_ERRCLASS_BADHANDLE = 8, /* OSError(EBADF, ...) */
    POLYSOCK_ERRCLASS_ERROR = 9,     /* socket.error with a message, no errno */
    POLYSOCK_ERRCLASS_TLS = 10,      /* sslerror */
    POLYSOCK_ERRCLASS_UNKNOWN = 11   /* not a code this library produces */
} polysock_errclass_t;

/* The class of a code (pure function). */
POLYSOCK_EXTERN int polysock_errclass(int code);
/* Class name: "os", "gai", "herror", "timeout", "value", "type",
 * "overflow", "badhandle", "error", "tls", "none", "unknown". */
POLYSOCK_EXTERN const char *polysock_errclass_name(int errclass);
/* The native number: errno for OS codes (EBADF for bad handles, ETIMEDOUT
 * for timeouts), the EAI_* value (negative on glibc) for GAI codes, h_errno
 * for HERROR codes, 0 for the rest. */
POLYSOCK_EXTERN int polysock_errno(int code);
/* Symbolic name: "ECONNREFUSED", "EAI_NONAME", "HOST_NOT_FOUND",
 * "ETIMEDOUT" (every timeout), "POLYSOCK_EBADHANDLE", ... Never NULL. */
POLYSOCK_EXTERN const char *polysock_errname(int code);
/* One-line message; static storage, thread-safe.  Never NULL. */
POLYSOCK_EXTERN const char *polysock_strerror(int code);

/* ------------------------------------------------------------------------
 * Interrupted calls
 *
 * By default a blocking call interrupted by a signal is retried with its
 * deadline kept.  A thread that opts in gets -EINTR back promptly instead,
 * so its host language can run signal handlers.  If the handler returns
 * normally, the binding calls polysock_resume() and then repeats the same
 * call on the same handle: that call keeps the deadline of the interrupted
 * one instead of starting a new timeout.
 * ------------------------------------------------------------------------ */

/* Per thread: 1 = return -EINTR on a signal, 0 = retry (the default). */
POLYSOCK_EXTERN int polysock_set_interrupt_mode(int on);
POLYSOCK_EXTERN int polysock_get_interrupt_mode(void);
/* Arm the deadline of this thread's last interrupted call for its repeat. */
POLYSOCK_EXTERN void polysock_resume(void);

/* ------------------------------------------------------------------------
 * Socket addresses: a value record.  One layout for every family.
 *
 * On input, host holds host_len bytes:
 *   AF_INET / AF_INET6: a host name or numeric address ("" = any address,
 *     "<broadcast>" = INADDR_BROADCAST for AF_INET; "fe80::1%eth0" scope
 *     syntax for AF_INET6); no NUL byte inside host_len.
 *   AF_UNIX: the path bytes; a leading NUL byte makes a Linux abstract name,
 *     which may contain further NUL bytes.
 * port is int64 so that out-of-range values (-1, 65536, 2^32) are refused
 * with POLYSOCK_EPORT instead of truncated.  flowinfo and scope_id apply to
 * AF_INET6 (0 when omitted), pid and groups to AF_NETLINK.
 * On output every field is filled for the family and host is NUL-terminated.
 * ------------------------------------------------------------------------ */

#define POLYSOCK_HOST_MAX 1025 /* NI_MAXHOST: longest host text, with NUL */

typedef struct polysock_addr {
    int64_t port;
    int32_t family;
    uint32_t flowinfo;
    uint32_t scope_id;
    uint32_t pid;
    uint32_t groups;
    uint32_t host_len;
    char host[POLYSOCK_HOST_MAX];
} polysock_addr;

/* Fill an address record from a NUL-terminated host string (a helper for
 * C callers; bindings may fill the record directly). */
POLYSOCK_EXTERN int polysock_addr_set(polysock_addr *addr, int family,
                                      const char *host, int64_t port);

/* ------------------------------------------------------------------------
 * Constants: the platform's AF_*, SOCK_*, SO_*, SOMAXCONN, MSG_*, SOL_*,
 * IPPROTO_*, IPPORT_*, INADDR_*, IP_*, IPV6_*, EAI_*, AI_*, NI_*, TCP_*,
 * SHUT_* values, and polysock's own POLYSOCK_POLL* flags.
 * ------------------------------------------------------------------------ */

/* Number of entries in the table. */
POLYSOCK_EXTERN size_t polysock_constant_count(void);
/* Name of entry i, or NULL when i is past the end. */
POLYSOCK_EXTERN const char *polysock_constant_name(size_t index);
/* Value of entry i, or 0 when i is past the end. */
POLYSOCK_EXTERN int64_t polysock_constant_value(size_t index);
/* Look a name up; POLYSOCK_EVALUE when the platform does not define it. */
POLYSOCK_EXTERN int polysock_constant_lookup(const char *name, int64_t *value);

/* ------------------------------------------------------------------------
 * Module functions
 * ------------------------------------------------------------------------ */

/* 1 when the platform can create AF_INET6 sockets. */
POLYSOCK_EXTERN int polysock_has_ipv6(void);

/* Default timeout for new sockets: seconds, or POLYSOCK_TIMEOUT_NONE. */
#define POLYSOCK_TIMEOUT_NONE (-1.0)
POLYSOCK_EXTERN int polysock_getdefaulttimeout(double *seconds);
/* seconds >= 0, or exactly POLYSOCK_TIMEOUT_NONE; anything else (another
 * negative, NaN) is POLYSOCK_ETIMEOUTVAL, and a value too large for the
 * clock is POLYSOCK_ERANGE. */
POLYSOCK_EXTERN int polysock_setdefaulttimeout(double seconds);

/* Byte order: x must fit the width (0..2^32-1 or 0..65535), else ERANGE. */
POLYSOCK_EXTERN int polysock_ntohl(int64_t x, uint32_t *out);
POLYSOCK_EXTERN int polysock_htonl(int64_t x, uint32_t *out);
POLYSOCK_EXTERN int polysock_ntohs(int64_t x, uint16_t *out);
POLYSOCK_EXTERN int polysock_htons(int64_t x, uint16_t *out);

/* inet_aton: the platform's accepting rules; packed must hold 4 bytes. */
POLYSOCK_EXTERN int polysock_inet_aton(const char *ip, void *packed,
                                       size_t packed_cap);
/* inet_ntoa: packed_len must be 4 (else POLYSOCK_EPACKED); out >= 16 bytes. */
POLYSOCK_EXTERN int polysock_inet_ntoa(const void *packed, size_t packed_len,
                                       char *out, size_t out_cap);
/* inet_pton: strict; AF_INET or AF_INET6 (else -EAFNOSUPPORT); writes 4 or
 * 16 bytes and their count. */
POLYSOCK_EXTERN int polysock_inet_pton(int family, const char *ip,
                                       void *packed, size_t packed_cap,
                                       size_t *packed_len);
/* inet_ntop: packed_len must be 4 or 16 to match family (else
 * POLYSOCK_EPACKEDLEN); an unknown family is POLYSOCK_EFAMILY. */
POLYSOCK_EXTERN int polysock_inet_ntop(int family, const void *packed,
                                       size_t packed_len, char *out,
                                       size_t out_cap);

/* Host names.  Output strings go to caller buffers; POLYSOCK_ETOOSMALL when
 * out_cap cannot hold the result (POLYSOCK_HOST_MAX always can). */
POLYSOCK_EXTERN int polysock_gethostname(char *out, size_t out_cap);
/* getfqdn: name NULL or "" means the local host. */
POLYSOCK_EXTERN int polysock_getfqdn(const char *name, char *out, size_t out_cap);
/* gethostbyname: IPv4 only; errors are GAI-class. */
POLYSOCK_EXTERN int polysock_gethostbyname(const char *name, char *out,
                                           size_t out_cap);

/* gethostbyname_ex / gethostbyaddr return a host-entry list handle
 * (errors are HERROR-class for the lookup, GAI-class for resolving the
 * address given to gethostbyaddr).  Walk it, then free it. */
POLYSOCK_EXTERN int polysock_gethostbyname_ex(const char *name,
                                              polysock_handle *hostent);
POLYSOCK_EXTERN int polysock_gethostbyaddr(const char *ip,
                                           polysock_handle *hostent);
POLYSOCK_EXTERN int polysock_hostent_name(polysock_handle hostent, char *out,
                                          size_t out_cap);
POLYSOCK_EXTERN int polysock_hostent_alias_count(polysock_handle hostent,
                                                 size_t *count);
POLYSOCK_EXTERN int polysock_hostent_alias(polysock_handle hostent, size_t index,
                                           char *out, size_t out_cap);
POLYSOCK_EXTERN int polysock_hostent_addr_count(polysock_handle hostent,
                                                size_t *count);
POLYSOCK_EXTERN int polysock_hostent_addr(polysock_handle hostent, size_t index,
                                          char *out, size_t out_cap);

/* getaddrinfo: host and port may be NULL or "" (NULL to the C API); port is
 * a service name or a decimal number.  Returns a list handle to walk. */
POLYSOCK_EXTERN int polysock_getaddrinfo(const char *host, const char *port,
                                         int family, int socktype, int proto,
                                         int flags, polysock_handle *list);
POLYSOCK_EXTERN int polysock_addrinfo_count(polysock_handle list, size_t *count);
/* Entry i: family, socktype, proto, canonname ("" when none) and address. */
POLYSOCK_EXTERN int polysock_addrinfo_get(polysock_handle list, size_t index,
                                          int *family, int *socktype, int *proto,
                                          char *canonname, size_t canonname_cap,
                                          polysock_addr *addr);

/* Free a hostent or addrinfo list handle (idempotent use is EBADHANDLE). */
POLYSOCK_EXTERN int polysock_list_free(polysock_handle list);

/* getnameinfo: sockaddr is (host, port[, flowinfo, scope_id]) with a
 * numeric host (resolved like Python does); host and service come back as
 * strings.  Errors are GAI-class. */
POLYSOCK_EXTERN int polysock_getnameinfo(const polysock_addr *sockaddr, int flags,
                                         char *host, size_t host_cap,
                                         char *service, size_t service_cap);

POLYSOCK_EXTERN int polysock_getprotobyname(const char *name, int *proto);
/* proto NULL or "" matches any protocol. */
POLYSOCK_EXTERN int polysock_getservbyname(const char *name, const char *proto,
                                           int *port);
POLYSOCK_EXTERN int polysock_getservbyport(int64_t port, const char *proto,
                                           char *out, size_t out_cap);

/* ------------------------------------------------------------------------
 * Socket objects
 * ------------------------------------------------------------------------ */

/* Create a socket; it starts in the default timeout mode, as do sockets
 * from socketpair, fromfd and accept.  family/type/proto report what was
 * passed (proto 0 stays 0). */
POLYSOCK_EXTERN int polysock_socket(int family, int type, int proto,
                                    polysock_handle *sock);
/* A connected pair (family AF_UNIX by default in bindings). */
POLYSOCK_EXTERN int polysock_socketpair(int family, int type, int proto,
                                        polysock_handle *a, polysock_handle *b);
/* Duplicate fd (close-on-exec) and wrap the copy; fd stays the caller's.
 * The copy shares the file status flags of fd, so the default timeout mode
 * is applied to both (blocking unless a default timeout is set). */
POLYSOCK_EXTERN int polysock_fromfd(int fd, int family, int type, int proto,
                                    polysock_handle *sock);

/* Close: any thread blocked on the socket wakes with POLYSOCK_EBADHANDLE;
 * the descriptor is released when the last call using it returns. */
POLYSOCK_EXTERN int polysock_close(polysock_handle sock);

POLYSOCK_EXTERN int polysock_family(polysock_handle sock, int *family);
POLYSOCK_EXTERN int polysock_type(polysock_handle sock, int *type);
POLYSOCK_EXTERN int polysock_proto(polysock_handle sock, int *proto);
POLYSOCK_EXTERN int polysock_fileno(polysock_handle sock, int *fd);

POLYSOCK_EXTERN int polysock_bind(polysock_handle sock, const polysock_addr *addr);
POLYSOCK_EXTERN int polysock_listen(polysock_handle sock, int backlog);
/* Blocking.  The new socket gets the default timeout mode. */
POLYSOCK_EXTERN int polysock_accept(polysock_handle sock, polysock_handle *conn,
                                    polysock_addr *peer);
/* Blocking.  The host string is kept with the handle (TLS verifies it). */
POLYSOCK_EXTERN int polysock_connect(polysock_handle sock, const polysock_addr *addr);
/* Blocking.  Errors of the connect itself come back as a positive errno in
 * *err (0 = connected, ETIMEDOUT on timeout); resolution and argument errors
 * are still returned as codes. */
POLYSOCK_EXTERN int polysock_connect_ex(polysock_handle sock,
                                        const polysock_addr *addr, int *err);
/* The host string given to the last connect ("" when none). */
POLYSOCK_EXTERN int polysock_connect_host(polysock_handle sock, char *out,
                                          size_t out_cap);

POLYSOCK_EXTERN int polysock_getpeername(polysock_handle sock, polysock_addr *addr);
POLYSOCK_EXTERN int polysock_getsockname(polysock_handle sock, polysock_addr *addr);

/* Blocking.  Into the caller's buffer; *nread = 0 means orderly EOF. */
POLYSOCK_EXTERN int polysock_recv(polysock_handle sock, void *buf, size_t len,
                                  int flags, size_t *nread);
POLYSOCK_EXTERN int polysock_recvfrom(polysock_handle sock, void *buf, size_t len,
                                      int flags, size_t *nread,
                                      polysock_addr *from);
/* Blocking.  Never raises SIGPIPE (EPIPE comes back instead). */
POLYSOCK_EXTERN int polysock_send(polysock_handle sock, const void *buf,
                                  size_t len, int flags, size_t *nsent);
/* Blocking.  One deadline for the whole buffer; *nsent says how much went
 * out, also when it fails part way. */
POLYSOCK_EXTERN int polysock_sendall(polysock_handle sock, const void *buf,
                                     size_t len, int flags, size_t *nsent);
POLYSOCK_EXTERN int polysock_sendto(polysock_handle sock, const void *buf,
                                    size_t len, int flags,
                                    const polysock_addr *to, size_t *nsent);

POLYSOCK_EXTERN int polysock_shutdown(polysock_handle sock, int how);

/* flag 0: non-blocking (timeout 0.0); flag != 0: blocking (no timeout). */
POLYSOCK_EXTERN int polysock_setblocking(polysock_handle sock, int flag);
/* Same rules as polysock_setdefaulttimeout. */
POLYSOCK_EXTERN int polysock_settimeout(polysock_handle sock, double seconds);
/* POLYSOCK_TIMEOUT_NONE in blocking mode. */
POLYSOCK_EXTERN int polysock_gettimeout(polysock_handle sock, double *seconds);

POLYSOCK_EXTERN int polysock_getsockopt_int(polysock_handle sock, int level,
                                            int optname, int *value);
/* buflen must be 1..1024 (else POLYSOCK_EBUFLEN); *outlen gets the length. */
POLYSOCK_EXTERN int polysock_getsockopt_buf(polysock_handle sock, int level,
                                            int optname, void *buf,
                                            size_t buflen, size_t *outlen);
POLYSOCK_EXTERN int polysock_setsockopt_int(polysock_handle sock, int level,
                                            int optname, int value);
POLYSOCK_EXTERN int polysock_setsockopt_buf(polysock_handle sock, int level,
                                            int optname, const void *buf,
                                            size_t buflen);

/* ------------------------------------------------------------------------
 * Poller: readiness of many handles at once (epoll on Linux), with a
 * wake-up that any thread may call.
 * ------------------------------------------------------------------------ */

#define POLYSOCK_POLLIN  0x001
#define POLYSOCK_POLLOUT 0x004
#define POLYSOCK_POLLERR 0x008
#define POLYSOCK_POLLHUP 0x010
/* Report once, then stay registered but disarmed until modified again. */
#define POLYSOCK_POLLONESHOT 0x40000000

typedef struct polysock_event {
    polysock_handle handle; /* 0 never appears: wake-ups are not reported */
    uint32_t events;        /* POLYSOCK_POLL* bits that are ready */
    uint32_t reserved;
} polysock_event;

/* Errors: unknown event bits are POLYSOCK_EVALUE; wait with cap 0 is
 * POLYSOCK_EBUFSIZE, with a negative timeout POLYSOCK_ETIMEOUTVAL.  Closing
 * a poller wakes a wait in progress with POLYSOCK_EBADHANDLE. */
POLYSOCK_EXTERN int polysock_poller_new(polysock_handle *poller);
POLYSOCK_EXTERN int polysock_poller_close(polysock_handle poller);
POLYSOCK_EXTERN int polysock_poller_add(polysock_handle poller,
                                        polysock_handle sock, uint32_t events);
POLYSOCK_EXTERN int polysock_poller_modify(polysock_handle poller,
                                           polysock_handle sock, uint32_t events);
POLYSOCK_EXTERN int polysock_poller_remove(polysock_handle poller,
                                           polysock_handle sock);
/* Blocking.  timeout in seconds (POLYSOCK_TIMEOUT_NONE: forever).  Returns
 * when events are ready, the timeout passes (*count = 0) or another thread
 * calls polysock_poller_wake (*count may be 0). */
POLYSOCK_EXTERN int polysock_poller_wait(polysock_handle poller,
                                         polysock_event *events, size_t cap,
                                         double timeout, size_t *count);
POLYSOCK_EXTERN int polysock_poller_wake(polysock_handle poller);
/* A descriptor that polls readable whenever poller_wait would report an
 * event, so that another event loop (libuv, asyncio) can watch the poller
 * instead of parking a thread in poller_wait.  It stays the poller's: do not
 * read or close it; it is invalid once the poller is closed. */
POLYSOCK_EXTERN int polysock_poller_fileno(polysock_handle poller, int *fd);

/* ------------------------------------------------------------------------
 * TLS (OpenSSL 3): connections are handles wrapping a connected socket
 * handle.  A configuration handle holds the settings; every connection made
 * from equal settings shares one immutable engine context (built on first
 * use, cached), so changing a setting later affects only later connections.
 *
 * Secure by default: a client verifies the peer's chain against the system
 * trust store and the host name (SNI sent for names, IP literals checked
 * against IP SANs and no SNI), with TLS 1.2 as the floor.  The socket's
 * timeout mode holds through the handshake and every read and write, with
 * one deadline per call; in non-blocking mode a call that would wait returns
 * POLYSOCK_ETLS_WANTREAD or POLYSOCK_ETLS_WANTWRITE (poll the socket's
 * descriptor for that, then repeat the call).  One thread may read while
 * another writes on the same connection; no lock is held while waiting.
 * Read from one thread at a time: a second reader may wait for the socket
 * while bytes the first one decrypted are buffered.
 * ------------------------------------------------------------------------ */

/* TLS codes, all of class TLS. */
#define POLYSOCK_ETLS_WANTREAD     (-40001) /* non-blocking: poll for reading, then repeat */
#define POLYSOCK_ETLS_WANTWRITE    (-40002) /* non-blocking: poll for writing, then repeat */
#define POLYSOCK_ETLS_CERT_VERIFY  (-40003) /* certificate verify failed (other reason) */
#define POLYSOCK_ETLS_CERT_UNTRUSTED (-40004) /* no trusted issuer: self-signed or unknown CA */
#define POLYSOCK_ETLS_CERT_EXPIRED (-40005) /* certificate expired or not yet valid */
#define POLYSOCK_ETLS_CERT_HOSTNAME (-40006) /* certificate does not match the host name */
#define POLYSOCK_ETLS_HANDSHAKE    (-40007) /* handshake failed (alert, no shared cipher, ...) */
#define POLYSOCK_ETLS_VERSION      (-40008) /* peer offered only protocol versions below the floor */
#define POLYSOCK_ETLS_PROTOCOL     (-40009) /* protocol violation (plaintext, bad record, ...) */
#define POLYSOCK_ETLS_EOF          (-40010) /* connection closed without close_notify */
#define POLYSOCK_ETLS_NONAME       (-40011) /* client wrap with verification and no host name */
#define POLYSOCK_ETLS_CONFIG       (-40012) /* bad certificate, key or CA file content */
#define POLYSOCK_ETLS_CLOSED       (-40013) /* write after close_notify, or I/O before/after a failed handshake */

/* Protocol versions (tls_config_set_min_version; TLS_INFO_VERSION text). */
#define POLYSOCK_TLS_VERSION_1_2 0x0303
#define POLYSOCK_TLS_VERSION_1_3 0x0304

/* What polysock_tls_info returns. */
#define POLYSOCK_TLS_INFO_VERSION         1  /* "TLSv1.3" */
#define POLYSOCK_TLS_INFO_CIPHER          2  /* "TLS_AES_256_GCM_SHA384" */
#define POLYSOCK_TLS_INFO_ALPN            3  /* selected protocol, empty if none */
#define POLYSOCK_TLS_INFO_PEER_CERT       4  /* peer certificate, DER; empty if none */
#define POLYSOCK_TLS_INFO_SUBJECT_ONELINE 5  /* "/C=US/ST=.../CN=..."; for display only */
#define POLYSOCK_TLS_INFO_ISSUER_ONELINE  6
#define POLYSOCK_TLS_INFO_SUBJECT_RFC4514 7  /* "CN=example.com,O=Example" */
#define POLYSOCK_TLS_INFO_ISSUER_RFC4514  8
#define POLYSOCK_TLS_INFO_SUBJECT_FIELDS  9  /* structured form, see below */
#define POLYSOCK_TLS_INFO_ISSUER_FIELDS   10
#define POLYSOCK_TLS_INFO_ERROR           11 /* the engine's reason for the last TLS error */
#define POLYSOCK_TLS_INFO_SERVER_HOSTNAME 12 /* name verified / sent as SNI; client: requested SNI on a server */

/* The FIELDS form lists every attribute of the name in certificate order,
 * one record each: "<rdn index> <attribute long name> <value length>:"
 * followed by exactly that many value bytes (UTF-8, NUL and every other
 * byte kept) and "\n".  Attributes with the same rdn index form one
 * multi-valued RDN.  Long names are those of Python's ssl module
 * ("commonName", "organizationName"; dotted OID when unknown). */

/* A configuration: server != 0 for accepting side.  Defaults: client
 * verifies (system trust store, host name), server requests no client
 * certificate, minimum TLS 1.2, no ALPN, unexpected EOF is an error. */
POLYSOCK_EXTERN int polysock_tls_config_new(int server, polysock_handle *cfg);
POLYSOCK_EXTERN int polysock_tls_config_close(polysock_handle cfg);
/* Client only (EVALUE on a server config): verify = 0 turns off both chain
 * and host-name verification. */
POLYSOCK_EXTERN int polysock_tls_config_set_verify(polysock_handle cfg, int verify);
/* Trust these instead of the system store: a PEM file, a hashed directory,
 * or both (NULL for either).  Missing files are OS errors (-ENOENT). */
POLYSOCK_EXTERN int polysock_tls_config_set_ca(polysock_handle cfg,
                                               const char *cafile,
                                               const char *capath);
/* Own certificate chain (PEM) and private key (PEM; NULL: in certfile).
 * Required for a server; a client presents it when asked.  Files are read
 * and checked now: missing files are OS errors, bad PEM or a key that does
 * not match is POLYSOCK_ETLS_CONFIG. */
POLYSOCK_EXTERN int polysock_tls_config_set_certificate(polysock_handle cfg,
                                                        const char *certfile,
                                                        const char *keyfile);
/* Server only: require (1) a client certificate verified against the CA
 * setting, or not (0, default). */
POLYSOCK_EXTERN int polysock_tls_config_set_require_client_cert(polysock_handle cfg,
                                                                int require);
/* ALPN protocols, comma-separated in preference order ("h2,http/1.1");
 * NULL or "" clears.  Each name is 1..255 bytes (else EVALUE).  A client
 * offers them, a server selects the first of its list the client offers. */
POLYSOCK_EXTERN int polysock_tls_config_set_alpn(polysock_handle cfg,
                                                 const char *protocols);
/* POLYSOCK_TLS_VERSION_1_2 (default) or _1_3; anything lower is EVALUE. */
POLYSOCK_EXTERN int polysock_tls_config_set_min_version(polysock_handle cfg,
                                                        int version);
/* allow != 0: a bare TCP FIN reads as a clean EOF instead of
 * POLYSOCK_ETLS_EOF (for peers that never send close_notify). */
POLYSOCK_EXTERN int polysock_tls_config_set_allow_unexpected_eof(polysock_handle cfg,
                                                                 int allow);

/* A connection over sock (which must stay open; it is not closed with the
 * connection).  Client: server_hostname names the peer for verification
 * and SNI; NULL uses the host string of the socket's last connect; "" is
 * EVALUE; with no name known and verification on, POLYSOCK_ETLS_NONAME.
 * Server: server_hostname must be NULL.  No I/O happens here. */
POLYSOCK_EXTERN int polysock_tls_new(polysock_handle sock, polysock_handle cfg,
                                     const char *server_hostname,
                                     polysock_handle *tls);
/* Blocking.  Run the handshake under the socket's timeout mode.  Repeat
 * after POLYSOCK_ETLS_WANTREAD/WANTWRITE in non-blocking mode.  0 when
 * already done. */
POLYSOCK_EXTERN int polysock_tls_handshake(polysock_handle tls);
/* Blocking.  Between 1 and len bytes once any are available (handshake
 * first if not done); *nread = 0 at a clean EOF (close_notify). */
POLYSOCK_EXTERN int polysock_tls_read(polysock_handle tls, void *buf, size_t len,
                                      size_t *nread);
/* Blocking.  In blocking and timeout mode writes all of buf against one
 * deadline (*nsent says how much went, also on failure); in non-blocking
 * mode as much as fits now (WANTWRITE if nothing did). */
POLYSOCK_EXTERN int polysock_tls_write(polysock_handle tls, const void *buf,
                                       size_t len, size_t *nsent);
/* Bytes already decrypted and buffered, readable without waiting. */
POLYSOCK_EXTERN int polysock_tls_pending(polysock_handle tls, size_t *count);
/* The length of an info item (see POLYSOCK_TLS_INFO_*), 0 when there is
 * none (no peer certificate, handshake not done, no error). */
POLYSOCK_EXTERN int polysock_tls_info_len(polysock_handle tls, int what,
                                          size_t *len);
/* Copy an info item (no NUL added); POLYSOCK_ETOOSMALL when cap is less
 * than its length. */
POLYSOCK_EXTERN int polysock_tls_info(polysock_handle tls, int what, void *buf,
                                      size_t cap, size_t *len);
/* Send close_notify if the connection is healthy (one attempt, no wait),
 * then free the connection.  The socket stays open; but if other threads
 * wait in calls on the connection, it is shut down (both directions) so
 * that they wake with POLYSOCK_EBADHANDLE, as closing a socket does. */
POLYSOCK_EXTERN int polysock_tls_close(polysock_handle tls);

/* ------------------------------------------------------------------------
 * Accounting: what the library holds right now, so tests can prove that
 * nothing leaked.
 * ------------------------------------------------------------------------ */

typedef struct polysock_stats {
    int64_t live_handles;    /* handles of every kind still open */
    int64_t live_sockets;    /* socket handles still open */
    int64_t live_bytes;      /* bytes the library allocated and holds */
    int64_t total_allocs;    /* allocations made since load */
    int64_t failed_allocs;   /* allocations refused (ENOMEM) since load */
} polysock_stats;

POLYSOCK_EXTERN int polysock_get_stats(polysock_stats *stats);

/* Fault injection for tests: the next `after` allocations succeed, then
 * `count` fail with ENOMEM (count < 0: all of them); (0, 0) turns it off. */
POLYSOCK_EXTERN int polysock_debug_fail_allocs(int64_t after, int64_t count);

#ifdef __cplusplus
}
#endif

#endif /* POLYSOCK_H */
