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
    """A TLS error."""


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
    "tls": lambda number, message: sslerror(message),
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


def exception(code, suffix=""):
    """The exception for a library error code (suffix ends its message)."""
    build = _BY_VALUE.get(_errclass(code), _BUILDERS["unknown"])
    message = _ffi.string(_strerror(code)).decode("utf-8", "replace")
    return build(_errno_of(code), message + suffix)


def raise_code(code):
    raise exception(code)


def raise_partial(code, count):
    """Raise for a call that failed after passing count bytes (sendall)."""
    exc = exception(code, " (%d bytes sent)" % count)
    exc.bytes_sent = count
    raise exc
