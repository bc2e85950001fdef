"""The socket class and the module functions that need more than one C call.

Hand-written Python sugar over the generated layer (_api.py), for what the
IDL cannot say: a socket object that caches what never changes (family,
type, protocol, descriptor) and its timeout, closes idempotently and only
when its makefile() files are closed too, warns when garbage-collected
open, and has Python's repr; getsockopt/setsockopt choosing between the int and
bytes forms; result lists (getaddrinfo, gethostbyname_ex) walked into
Python lists and freed; dup() and create_connection(), Python 3's
conveniences over several calls.
"""
import errno as _errno
import warnings as _warnings

from . import _api, _cdef, _errors, _makefile
from ._loader import constants as _constants


def _constant_name(prefix, value):
    """The first constant name with prefix for value (AF_INET), or value."""
    for name, v in _constants.items():
        if v == value and name.startswith(prefix):
            return name
    return str(value)


class socket(_api.SocketMethods):
    """A socket object: socket(family=AF_INET, type=SOCK_STREAM, proto=0).

    Its methods are those of Python 3's socket.socket: the generated ones
    (polysock._api.SocketMethods) and those below.
    """

    __module__ = "polysock"
    __slots__ = ("_handle", "_family", "_type", "_proto", "_fd", "_io_refs",
                 "_closed", "_timeout", "__weakref__")

    def __init__(self, *args, **kwargs):
        # The generated function checks the arguments and has the defaults.
        self._handle = 0
        self._adopt(_api.socket(*args, **kwargs))

    @classmethod
    def _from_handle(cls, handle):
        """Wrap a new socket handle (accept, socketpair, fromfd)."""
        self = cls.__new__(cls)
        self._handle = 0
        self._adopt(handle)
        return self

    def _adopt(self, handle):
        try:
            self._family = _api.family(handle)
            self._type = _api.type(handle)
            self._proto = _api.proto(handle)
            self._fd = _api.fileno(handle)
            # A new socket has the default timeout, accept's and fromfd's
            # whatever the library gave them: ask once, keep it current.
            self._timeout = _api.gettimeout(handle)
        except BaseException:
            _api.close(handle)
            raise
        self._io_refs = 0
        self._closed = False
        self._handle = handle

    # ---- What never changes, cached ----

    @property
    def family(self):
        """The address family (AF_INET, ...)."""
        return self._family

    @property
    def type(self):
        """The socket type (SOCK_STREAM, ...)."""
        return self._type

    @property
    def proto(self):
        """The protocol number."""
        return self._proto

    def fileno(self):
        """The descriptor, for select(); -1 once the socket is closed."""
        return self._fd

    # ---- The timeout, kept here ----
    #
    # gettimeout() is called often (getblocking, makefile, TLS, user code
    # before each call) and a library call costs ten times Python's own
    # gettimeout.  Only settimeout and setblocking change a socket's mode,
    # so they refresh the copy: from the library, which stays the one
    # source of truth (its rounding, and the last of two racing setters).

    def gettimeout(self):
        """The timeout in seconds, None in blocking mode; still known after
        close(), as in Python."""
        return self._timeout

    def settimeout(self, seconds, /):
        """Timeout mode (seconds), blocking mode (None), or non-blocking
        mode (0.0)."""
        _settimeout(self, seconds)
        self._timeout = _gettimeout(self)

    def setblocking(self, flag, /):
        """Blocking mode (true) or non-blocking mode (false)."""
        _setblocking(self, flag)
        self._timeout = _gettimeout(self)

    # ---- Closing ----

    def close(self):
        """Close the socket; with makefile() files still open, when the last
        of them is closed.  Closing twice does nothing."""
        self._closed = True
        if self._io_refs <= 0:
            self._real_close()

    def _real_close(self):
        handle = self._handle
        if not handle:
            return
        self._handle = 0
        self._fd = -1
        try:
            _api.close(handle)
        except OSError as e:
            # Another thread closed it at the same moment: closed it is.
            if e.errno != _errno.EBADF:
                raise

    def _decref_socketios(self):
        if self._io_refs > 0:
            self._io_refs -= 1
        if self._closed:
            self.close()

    def __enter__(self):
        return self

    def __exit__(self, *args):
        if not self._closed:
            self.close()

    def __del__(self, _warn=_warnings.warn, _close=_api.close):
        # Bound as defaults: at interpreter shutdown module globals may be
        # gone already.  Never raise from here.
        try:
            handle = self._handle
        except AttributeError:
            return  # __init__ failed before the handle existed
        if not handle:
            return
        try:
            _warn("unclosed %r" % (self,), ResourceWarning, source=self)
        except Exception:
            pass
        self._handle = 0
        try:
            _close(handle)
        except Exception:
            pass

    def __repr__(self):
        closed = getattr(self, "_closed", True) or not self._handle
        text = "<%s.%s%s fd=%i, family=%s, type=%s, proto=%i" % (
            self.__class__.__module__,
            self.__class__.__qualname__,
            " [closed]" if closed else "",
            getattr(self, "_fd", -1),
            _constant_name("AF_", getattr(self, "_family", -1)),
            _constant_name("SOCK_", getattr(self, "_type", -1)),
            getattr(self, "_proto", -1),
        )
        if not closed:
            for label, method in (("laddr", self.getsockname),
                                  ("raddr", self.getpeername)):
                try:
                    address = method()
                except OSError:
                    continue
                if address:
                    text += ", %s=%r" % (label, address)
        return text + ">"

    def __getstate__(self):
        raise TypeError("cannot pickle %r object" % self.__class__.__name__)

    # ---- Python's shapes of a few calls ----

    def getsockopt(self, level, optname, buflen=0, /):
        """An option as an int, or as bytes when buflen (1..1024) is given."""
        if not buflen:
            return self.getsockopt_int(level, optname)
        if buflen < 0:
            raise _errors.exception(_cdef.ERRORS["EBUFLEN"])
        return self.getsockopt_buf(level, optname, buflen)

    def setsockopt(self, level, optname, value, /):
        """Set an option from an int or a bytes-like object."""
        if isinstance(value, int):
            self.setsockopt_int(level, optname, value)
        else:
            self.setsockopt_buf(level, optname, value)

    def connect_ex(self, address, /):
        """connect() returning the errno instead of raising (0: connected)."""
        if not self._handle:
            return _errno.EBADF  # as Python's: the connect fails with EBADF
        return _api.SocketMethods.connect_ex(self, address)

    def getblocking(self):
        """False in non-blocking mode (timeout 0.0), else True."""
        return self.gettimeout() != 0.0

    def dup(self):
        """A new socket object on a duplicate of the descriptor, with the
        same timeout."""
        twin = fromfd(self.fileno(), self._family, self._type, self._proto)
        twin.settimeout(self.gettimeout())
        return twin

    def makefile(self, mode="r", buffering=None, *, encoding=None,
                 errors=None, newline=None):
        """A file object on the socket, as Python 3's socket.makefile()."""
        return _makefile.makefile(self, mode, buffering, encoding=encoding,
                                  errors=errors, newline=newline)


_gettimeout = _api.SocketMethods.gettimeout
_settimeout = _api.SocketMethods.settimeout
_setblocking = _api.SocketMethods.setblocking
SocketType = socket
_api.register_class("socket", socket)


def socketpair(*args, **kwargs):
    """socketpair(family=AF_UNIX, type=SOCK_STREAM, proto=0) -> (a, b)"""
    a, b = _api.socketpair(*args, **kwargs)
    return socket._from_handle(a), socket._from_handle(b)


def fromfd(*args, **kwargs):
    """fromfd(fd, family, type, proto=0): a socket on a duplicate of fd."""
    return socket._from_handle(_api.fromfd(*args, **kwargs))


def _walk_hostent(hostent):
    try:
        return (
            _api.hostent_name(hostent),
            [_api.hostent_alias(hostent, i)
             for i in range(_api.hostent_alias_count(hostent))],
            [_api.hostent_addr(hostent, i)
             for i in range(_api.hostent_addr_count(hostent))],
        )
    finally:
        _api.list_free(hostent)


def gethostbyname_ex(hostname):
    """(name, aliaslist, addresslist) of a host name, IPv4 only."""
    return _walk_hostent(_api.gethostbyname_ex(hostname))


def gethostbyaddr(ip_address):
    """(name, aliaslist, addresslist) of the host at an address."""
    return _walk_hostent(_api.gethostbyaddr(ip_address))


def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    """[(family, type, proto, canonname, sockaddr), ...] for host and port;
    port is a number, a service name or None."""
    if isinstance(port, int):
        port = str(port)
    elif port is not None and not isinstance(port, (str, bytes)):
        raise OSError("Int or String expected")
    results = _api.getaddrinfo(host, port, family, type, proto, flags)
    try:
        return [_api.addrinfo_get(results, i)
                for i in range(_api.addrinfo_count(results))]
    finally:
        _api.list_free(results)


def getnameinfo(sockaddr, flags):
    """(host, port) text of a (host, port[, flowinfo, scope_id]) tuple."""
    if type(sockaddr) is not tuple:
        raise TypeError("getnameinfo() argument 1 must be a tuple")
    return _api.getnameinfo(sockaddr, flags)


has_ipv6 = bool(_api.has_ipv6())

# create_connection's "no timeout given": the module default applies.
_GLOBAL_DEFAULT_TIMEOUT = object()


def create_connection(address, timeout=_GLOBAL_DEFAULT_TIMEOUT,
                      source_address=None):
    """Connect a TCP socket to (host, port), trying each address the host
    resolves to in turn, as Python 3's socket.create_connection: timeout
    (when given) is set before connecting, source_address (host, port) is
    bound first; the first address's error is raised if none connects."""
    host, port = address
    first_error = None
    for family, type_, proto, _, sockaddr in getaddrinfo(
            host, port, 0, _constants["SOCK_STREAM"]):
        sock = None
        try:
            sock = socket(family, type_, proto)
            if timeout is not _GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            if first_error is None:
                first_error = exc
            if sock is not None:
                sock.close()
    if first_error is not None:
        raise first_error
    raise OSError("getaddrinfo returns an empty list")
