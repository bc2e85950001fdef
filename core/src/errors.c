/*
 * errors.c - the one code space.  A code alone gives its class, native
 * number, name and message, through pure functions: nothing is kept per
 * thread, so a binding that calls from a worker thread loses nothing.
 */
#include "internal.h"

#include <errno.h>
#include <netdb.h>
#include <string.h>

typedef struct lib_error {
    int code;
    int errclass;
    const char *name;
    const char *message;
} lib_error;

/* Messages follow CPython's socket module where it has one, since users
 * of every binding will search for them. */
static const lib_error lib_errors[] = {
    {POLYSOCK_ETIMEOUT, POLYSOCK_ERRCLASS_TIMEOUT, "ETIMEDOUT", "timed out"},
    {POLYSOCK_EBADHANDLE, POLYSOCK_ERRCLASS_BADHANDLE, "POLYSOCK_EBADHANDLE",
     "bad handle: the socket is closed or the handle is invalid"},
    {POLYSOCK_ENULL, POLYSOCK_ERRCLASS_TYPE, "POLYSOCK_ENULL",
     "a required argument is missing (NULL)"},
    {POLYSOCK_EPORT, POLYSOCK_ERRCLASS_OVERFLOW, "POLYSOCK_EPORT",
     "port must be 0-65535"},
    {POLYSOCK_ERANGE, POLYSOCK_ERRCLASS_OVERFLOW, "POLYSOCK_ERANGE",
     "integer argument out of range"},
    {POLYSOCK_EVALUE, POLYSOCK_ERRCLASS_VALUE, "POLYSOCK_EVALUE",
     "invalid argument value"},
    {POLYSOCK_ETIMEOUTVAL, POLYSOCK_ERRCLASS_VALUE, "POLYSOCK_ETIMEOUTVAL",
     "Timeout value out of range"},
    {POLYSOCK_EBUFSIZE, POLYSOCK_ERRCLASS_VALUE, "POLYSOCK_EBUFSIZE",
     "buffer size negative or too large"},
    {POLYSOCK_EPACKEDLEN, POLYSOCK_ERRCLASS_VALUE, "POLYSOCK_EPACKEDLEN",
     "invalid length of packed IP address string"},
    {POLYSOCK_EFAMILY, POLYSOCK_ERRCLASS_VALUE, "POLYSOCK_EFAMILY",
     "unknown or mismatched address family"},
    {POLYSOCK_EEMBEDDEDNUL, POLYSOCK_ERRCLASS_TYPE, "POLYSOCK_EEMBEDDEDNUL",
     "host name must not contain null character"},
    {POLYSOCK_EINETADDR, POLYSOCK_ERRCLASS_ERROR, "POLYSOCK_EINETADDR",
     "illegal IP address string"},
    {POLYSOCK_EPACKED, POLYSOCK_ERRCLASS_ERROR, "POLYSOCK_EPACKED",
     "packed IP wrong length for inet_ntoa"},
    {POLYSOCK_EPATHLEN, POLYSOCK_ERRCLASS_ERROR, "POLYSOCK_EPATHLEN",
     "AF_UNIX path too long"},
    {POLYSOCK_ENOPROTO, POLYSOCK_ERRCLASS_ERROR, "POLYSOCK_ENOPROTO",
     "protocol not found"},
    {POLYSOCK_ENOSERVICE, POLYSOCK_ERRCLASS_ERROR, "POLYSOCK_ENOSERVICE",
     "service/proto not found"},
    {POLYSOCK_ENOPORTSVC, POLYSOCK_ERRCLASS_ERROR, "POLYSOCK_ENOPORTSVC",
     "port/proto not found"},
    {POLYSOCK_EBUFLEN, POLYSOCK_ERRCLASS_ERROR, "POLYSOCK_EBUFLEN",
     "getsockopt buflen out of range"},
    {POLYSOCK_ETOOSMALL, POLYSOCK_ERRCLASS_VALUE, "POLYSOCK_ETOOSMALL",
     "output buffer too small for the result"},
    {POLYSOCK_EMULTIADDR, POLYSOCK_ERRCLASS_ERROR, "POLYSOCK_EMULTIADDR",
     "sockaddr resolved to multiple addresses"},
    {POLYSOCK_EINDEX, POLYSOCK_ERRCLASS_VALUE, "POLYSOCK_EINDEX",
     "list index out of range"},
    {POLYSOCK_EWRONGKIND, POLYSOCK_ERRCLASS_BADHANDLE, "POLYSOCK_EWRONGKIND",
     "bad handle: the handle names another kind of object"},
    {POLYSOCK_EADDRTYPE, POLYSOCK_ERRCLASS_TYPE, "POLYSOCK_EADDRTYPE",
     "address does not match the socket's family"},
    {POLYSOCK_EFAMILYMISMATCH, POLYSOCK_ERRCLASS_ERROR, "POLYSOCK_EFAMILYMISMATCH",
     "address family mismatched"},
    /* TLS: short texts in the words of CPython's ssl errors; the engine's
     * own reason is per connection (POLYSOCK_TLS_INFO_ERROR). */
    {POLYSOCK_ETLS_WANTREAD, POLYSOCK_ERRCLASS_TLS, "POLYSOCK_ETLS_WANTREAD",
     "The operation did not complete (read)"},
    {POLYSOCK_ETLS_WANTWRITE, POLYSOCK_ERRCLASS_TLS, "POLYSOCK_ETLS_WANTWRITE",
     "The operation did not complete (write)"},
    {POLYSOCK_ETLS_CERT_VERIFY, POLYSOCK_ERRCLASS_TLS, "POLYSOCK_ETLS_CERT_VERIFY",
     "certificate verify failed"},
    {POLYSOCK_ETLS_CERT_UNTRUSTED, POLYSOCK_ERRCLASS_TLS, "POLYSOCK_ETLS_CERT_UNTRUSTED",
     "certificate verify failed: no trusted issuer (self-signed or unknown CA)"},
    {POLYSOCK_ETLS_CERT_EXPIRED, POLYSOCK_ERRCLASS_TLS, "POLYSOCK_ETLS_CERT_EXPIRED",
     "certificate verify failed: certificate has expired or is not yet valid"},
    {POLYSOCK_ETLS_CERT_HOSTNAME, POLYSOCK_ERRCLASS_TLS, "POLYSOCK_ETLS_CERT_HOSTNAME",
     "certificate verify failed: hostname mismatch"},
    {POLYSOCK_ETLS_HANDSHAKE, POLYSOCK_ERRCLASS_TLS, "POLYSOCK_ETLS_HANDSHAKE",
     "TLS handshake failure"},
    {POLYSOCK_ETLS_VERSION, POLYSOCK_ERRCLASS_TLS, "POLYSOCK_ETLS_VERSION",
     "unsupported protocol: no TLS version in common"},
    {POLYSOCK_ETLS_PROTOCOL, POLYSOCK_ERRCLASS_TLS, "POLYSOCK_ETLS_PROTOCOL",
     "TLS protocol violation (wrong version number, bad record)"},
    {POLYSOCK_ETLS_EOF, POLYSOCK_ERRCLASS_TLS, "POLYSOCK_ETLS_EOF",
     "EOF occurred in violation of protocol"},
    {POLYSOCK_ETLS_NONAME, POLYSOCK_ERRCLASS_TLS, "POLYSOCK_ETLS_NONAME",
     "check_hostname requires server_hostname"},
    {POLYSOCK_ETLS_CONFIG, POLYSOCK_ERRCLASS_TLS, "POLYSOCK_ETLS_CONFIG",
     "bad certificate, private key or CA file content"},
    {POLYSOCK_ETLS_CLOSED, POLYSOCK_ERRCLASS_TLS, "POLYSOCK_ETLS_CLOSED",
     "TLS connection closed (close_notify received or failed earlier)"},
};

int polysock__gai_failure(int eai, int err)
{
    if (eai == EAI_SYSTEM && err != 0)
        return polysock__from_errno(err);
    return polysock__gai_code(eai);
}

static const lib_error *find_lib_error(int code)
{
    for (size_t i = 0; i < sizeof lib_errors / sizeof lib_errors[0]; i++)
        if (lib_errors[i].code == code)
            return &lib_errors[i];
    return NULL;
}

static bool is_os(int code) { return code < 0 && code > -POLYSOCK_GAI_BASE; }
static bool is_gai(int code) { return code <= -POLYSOCK_GAI_BASE && code > -POLYSOCK_HERROR_BASE; }
static bool is_herror(int code) { return code <= -POLYSOCK_HERROR_BASE && code > -POLYSOCK_LIB_BASE; }
static bool is_tls(int code) { return code <= -POLYSOCK_TLS_BASE && code > -(POLYSOCK_TLS_BASE + 1000); }

int polysock_errclass(int code)
{
    if (code == 0)
        return POLYSOCK_ERRCLASS_NONE;
    if (is_os(code))
        return POLYSOCK_ERRCLASS_OS;
    if (is_gai(code))
        return POLYSOCK_ERRCLASS_GAI;
    if (is_herror(code))
        return POLYSOCK_ERRCLASS_HERROR;
    if (is_tls(code))
        return POLYSOCK_ERRCLASS_TLS;
    const lib_error *e = find_lib_error(code);
    return e != NULL ? e->errclass : POLYSOCK_ERRCLASS_UNKNOWN;
}

const char *polysock_errclass_name(int errclass)
{
    static const char *const names[] = {
        "none", "os", "gai", "herror", "timeout", "value", "type",
        "overflow", "badhandle", "error", "tls", "unknown",
    };
    if (errclass < 0 || (size_t)errclass >= sizeof names / sizeof names[0])
        return "unknown";
    return names[errclass];
}

int polysock_errno(int code)
{
    if (is_os(code))
        return -code;
    if (is_gai(code))
        return POLYSOCK_GAI_BASE + code; /* back to glibc's negative EAI_* */
    if (is_herror(code))
        return -code - POLYSOCK_HERROR_BASE;
    switch (polysock_errclass(code)) {
    case POLYSOCK_ERRCLASS_TIMEOUT:
        return ETIMEDOUT;
    case POLYSOCK_ERRCLASS_BADHANDLE:
        return EBADF;
    default:
        return 0;
    }
}

static const char *gai_name(int eai)
{
    switch (eai) {
    case EAI_BADFLAGS: return "EAI_BADFLAGS";
    case EAI_NONAME: return "EAI_NONAME";
    case EAI_AGAIN: return "EAI_AGAIN";
    case EAI_FAIL: return "EAI_FAIL";
    case EAI_FAMILY: return "EAI_FAMILY";
    case EAI_SOCKTYPE: return "EAI_SOCKTYPE";
    case EAI_SERVICE: return "EAI_SERVICE";
    case EAI_MEMORY: return "EAI_MEMORY";
    case EAI_SYSTEM: return "EAI_SYSTEM";
    case EAI_OVERFLOW: return "EAI_OVERFLOW";
#ifdef EAI_NODATA
    case EAI_NODATA: return "EAI_NODATA";
#endif
#ifdef EAI_ADDRFAMILY
    case EAI_ADDRFAMILY: return "EAI_ADDRFAMILY";
#endif
    default: return "EAI_UNKNOWN";
    }
}

static const char *herror_name(int herr)
{
    switch (herr) {
    case HOST_NOT_FOUND: return "HOST_NOT_FOUND";
    case TRY_AGAIN: return "TRY_AGAIN";
    case NO_RECOVERY: return "NO_RECOVERY";
    case NO_DATA: return "NO_DATA";
    default: return "HERROR_UNKNOWN";
    }
}

const char *polysock_errname(int code)
{
    if (code == 0)
        return "OK";
    if (is_os(code)) {
#ifdef HAVE_STRERRORNAME_NP
        const char *n = strerrorname_np(-code);
        if (n != NULL)
            return n;
#endif
        return "EUNKNOWN";
    }
    if (is_gai(code))
        return gai_name(polysock_errno(code));
    if (is_herror(code))
        return herror_name(polysock_errno(code));
    const lib_error *e = find_lib_error(code);
    return e != NULL ? e->name : "POLYSOCK_EUNKNOWN";
}

const char *polysock_strerror(int code)
{
    if (code == 0)
        return "Success";
    if (is_os(code)) {
        /* strerror() may use a static buffer; the descriptions are
         * constant strings and thread-safe. */
#ifdef HAVE_STRERRORDESC_NP
        const char *d = strerrordesc_np(-code);
        if (d != NULL)
            return d;
#endif
        return "Unknown error";
    }
    if (is_gai(code))
        return gai_strerror(polysock_errno(code)); /* constant strings */
    if (is_herror(code))
        return hstrerror(polysock_errno(code));    /* constant strings */
    const lib_error *e = find_lib_error(code);
    if (e != NULL)
        return e->message;
    return is_tls(code) ? "unknown TLS error" : "unknown polysock error code";
}
