"""polysock: the socket module of the reference, for Python 3, on libpolysock.

The names and behaviour of Python 3's own socket module: socket objects
(with makefile(), recv_into, context managers), the module functions, the
platform constants and the exceptions (error is OSError, timeout is
TimeoutError, herror and gaierror derive from OSError); and the
reference's ssl(sock) returning an SSLObject (TLS, verified by default;
its errors are sslerror and the subclasses named as in Python's ssl).

polysock.__version__ is the binding's version, polysock.library_version the
C library's, polysock.mode 'api' (compiled cffi module) or 'abi' (dlopen).
polysock.lowlevel is the generated layer over raw handles.
"""
# A compiled polysock/_polysock_api*.so may live in a build directory
# elsewhere on sys.path (bindings/python/build_api.py --outdir).
from pkgutil import extend_path as _extend_path

__path__ = _extend_path(__path__, __name__)

from . import _api as lowlevel  # noqa: E402
from . import _loader  # noqa: E402
from ._api import (  # noqa: E402
    getdefaulttimeout,
    getfqdn,
    gethostbyname,
    gethostname,
    getprotobyname,
    getservbyname,
    getservbyport,
    htonl,
    htons,
    inet_aton,
    inet_ntoa,
    inet_ntop,
    inet_pton,
    ntohl,
    ntohs,
    setdefaulttimeout,
)
from ._cdef import VERSION as __version__  # noqa: E402
from ._errors import error, gaierror, herror, sslerror, timeout  # noqa: E402
from ._socket import (  # noqa: E402
    SocketType,
    create_connection,
    fromfd,
    getaddrinfo,
    gethostbyaddr,
    gethostbyname_ex,
    getnameinfo,
    has_ipv6,
    socket,
    socketpair,
)
from ._ssl import (  # noqa: E402
    SSLCertVerificationError,
    SSLEOFError,
    SSLObject,
    SSLWantReadError,
    SSLWantWriteError,
    ssl,
)

library_version = _loader.library_version
mode = _loader.mode

# The platform's constants, read from the library (only the IDL's groups).
globals().update(_loader.constants)

__all__ = [
    "SSLCertVerificationError", "SSLEOFError", "SSLObject",
    "SSLWantReadError", "SSLWantWriteError", "SocketType",
    "create_connection", "error", "fromfd", "gaierror", "getaddrinfo",
    "getdefaulttimeout", "getfqdn", "gethostbyaddr", "gethostbyname",
    "gethostbyname_ex", "gethostname", "getnameinfo", "getprotobyname",
    "getservbyname", "getservbyport", "has_ipv6", "herror", "htonl", "htons",
    "inet_aton", "inet_ntoa", "inet_ntop", "inet_pton", "ntohl", "ntohs",
    "setdefaulttimeout", "socket", "socketpair", "ssl", "sslerror",
    "timeout",
] + sorted(_loader.constants)
