"""The exception that each error class of libpolysock raises.

Hand-written because it is this binding's choice: the IDL names the error
classes (core/polysock.idl, ``errclass``), Python 3's socket module decides
what each one looks like.  A class added to the IDL without a row here
makes the import fail, so no error can go unmapped.
"""
import errno as _errno
import os as _os

from . import _cdef
from ._loader import ffi as _ffi
from ._loader import lib as _lib

error = OSError
timeout = TimeoutError


class herror(OSError):
    """A host lookup error: args are (h_errno, message)."""


class gaierror(OSError):
    """A getaddrinfo/getnameinfo error: args are (EAI_* value, message)."""


class sslerror(OSError):
    """A TLS error.

    code is the library's error code (polysock.lowlevel.errname(code) names
    it, e.g. "ETLS_HANDSHAKE"); reason is the TLS engine's own reason for it
    ("certificate has expired", "wrong version number"), or None when the
    error came without a connection to ask.  The message ends with it.
    """

    code = None
    reason = None


class SSLCertVerificationError(sslerror, ValueError):
    """The peer's certificate was refused (untrusted, expired, wrong name).

    As Python's ssl.SSLCertVerificationError: verify_message is the reason
    ("Hostname mismatch", "self-signed certificate"); verify_code is the
    library's code (ETLS_CERT_UNTRUSTED, _EXPIRED, _HOSTNAME, _VERIFY).
    """

    @property
    def verify_code(self):
        return self.code

    @property
    def verify_message(self):
        return self.reason


class SSLEOFError(sslerror):
    """The peer closed the connection without a TLS close_notify."""


class SSLWantReadError(sslerror):
    """Non-blocking: wait until the socket is readable, then repeat."""


class SSLWantWriteError(sslerror):
    """Non-blocking: wait until the socket is writable, then repeat."""


# The TLS codes with a class of their own; the others raise sslerror.
_TLS_CLASSES = {
    "ETLS_WANTREAD": SSLWantReadError,
    "ETLS_WANTWRITE": SSLWantWriteError,
    "ETLS_CERT_VERIFY": SSLCertVerificationError,
    "ETLS_CERT_UNTRUSTED": SSLCertVerificationError,
    "ETLS_CERT_EXPIRED": SSLCertVerificationError,
    "ETLS_CERT_HOSTNAME": SSLCertVerificationError,
    "ETLS_EOF": SSLEOFError,
}
_TLS_CLASS_BY_CODE = {_cdef.ERRORS[name]: cls
                      for name, cls in _TLS_CLASSES.items()}


def _tls_error(code, message, reason):
    exc = _TLS_CLASS_BY_CODE.get(code, sslerror)(message)
    exc.code = code
    exc.reason = reason
    return exc


def _bad_handle(number, message):
    # A closed socket is what Python 3 calls a bad file descriptor.
    return OSError(_errno.EBADF, _os.strerror(_errno.EBADF))


# Error class -> exception(native number, message).  OSError(errno, message)
# picks the errno's subclass (ConnectionRefusedError, BlockingIOError, ...).
_BUILDERS = {
    "none": lambda number, message: OSError(message),
    "os": OSError,
    "gai": gaierror,
    "herror": herror,
    "timeout": lambda number, message: TimeoutError(message),
    "value": lambda number, message: ValueError(message),
    "type": lambda number, message: TypeError(message),
    "overflow": lambda number, message: OverflowError(message),
    "badhandle": _bad_handle,
    "error": lambda number, message: OSError(message),
    # The class of a TLS error depends on its code: see _tls_error.
    "tls": None,
    "unknown": lambda number, message: OSError(message),
}

_missing = set(_cdef.ERRCLASSES) - set(_BUILDERS)
if _missing:
    raise ImportError(
        "polysock: no Python exception for error class(es) %s"
        % ", ".join(sorted(_missing))
    )
_BY_VALUE = {_cdef.ERRCLASSES[name]: _BUILDERS[name] for name in _cdef.ERRCLASSES}

_errclass = _lib.polysock_errclass
_errno_of = _lib.polysock_errno
_strerror = _lib.polysock_strerror


_TLS_ERRCLASS = _cdef.ERRCLASSES["tls"]


def exception(code, suffix="", reason=None):
    """The exception for a library error code (suffix ends its message;
    reason, the TLS engine's, goes before it)."""
    message = _ffi.string(_strerror(code)).decode("utf-8", "replace")
    if reason:
        message += ": " + reason
    errclass = _errclass(code)
    if errclass == _TLS_ERRCLASS:
        return _tls_error(code, message + suffix, reason)
    build = _BY_VALUE.get(errclass, _BUILDERS["unknown"])
    return build(_errno_of(code), message + suffix)


def raise_code(code):
    raise exception(code)


def _partial_suffix(count):
    return " (%d bytes sent)" % count


def raise_partial(code, count):
    """Raise for a call that failed after passing count bytes (sendall)."""
    exc = exception(code, _partial_suffix(count))
    exc.bytes_sent = count
    try:
        raise exc
    finally:
        # Break the cycle exception -> traceback -> this frame -> exc: it
        # would keep the caller's frames alive, and with them a buffer
        # exported from the caller's memoryview, which CPython's garbage
        # collector then clears while exported (BufferError, then a crash).
        del exc


def with_reason(exc, reason):
    """A TLS error exc again, its message and reason now the engine's
    reason (only the connection knows it, the generated layer does not)."""
    sent = getattr(exc, "bytes_sent", None)
    new = exception(exc.code, "" if sent is None else _partial_suffix(sent),
                    reason)
    if sent is not None:
        new.bytes_sent = sent
    return new
