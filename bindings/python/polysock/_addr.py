"""Socket addresses: Python tuples <-> the polysock_addr record.

Hand-written because the shape of an address depends on its family, as
Python 3's socket module has it, and the IDL only knows the flat record:

  AF_INET     (host, port)                    host str, bytes or bytearray
  AF_INET6    (host, port[, flowinfo[, scope_id]]), returned as a 4-tuple
  AF_UNIX     a str path (os.fsencode) or bytes; an abstract name starts
              with b"\\0" and comes back as bytes, a path as str
  AF_NETLINK  (pid, groups)

Hosts are checked and resolved by the library; wrong shapes and types are
refused here with CPython's TypeErrors, and values a record field cannot
hold with cffi's OverflowError.
"""
import os as _os

from . import _cdef, _errors
from ._loader import constants as _constants
from ._loader import ffi as _ffi

AF_INET = _constants.get("AF_INET")
AF_INET6 = _constants.get("AF_INET6")
AF_UNIX = _constants.get("AF_UNIX")
AF_NETLINK = _constants.get("AF_NETLINK")

_new = _ffi.new
_memmove = _ffi.memmove
_unpack = _ffi.unpack
_HOST_MAX = len(_new("polysock_addr *").host)


def _tuple_of(address, name, sizes, shape):
    if type(address) is not tuple:
        raise TypeError(
            "%s address must be tuple, not %s" % (name, type(address).__name__)
        )
    if len(address) not in sizes:
        raise TypeError("%s address must be %s" % (name, shape))
    return address


def _set_host(record, host):
    # CPython's idna_converter: ASCII as is, other text through IDNA.
    if isinstance(host, str):
        try:
            host = host.encode("ascii")
        except UnicodeEncodeError:
            host = host.encode("idna")
    elif isinstance(host, (bytes, bytearray)):
        host = bytes(host)
    else:
        raise TypeError(
            "str, bytes or bytearray expected, not %s" % type(host).__name__
        )
    if len(host) >= _HOST_MAX:
        raise ValueError("host name too long")
    _memmove(record.host, host, len(host))
    record.host_len = len(host)


def _set_path(record, path):
    if isinstance(path, str):
        path = _os.fsencode(path)
    elif isinstance(path, (bytes, bytearray, memoryview)):
        path = bytes(path)
    else:
        raise TypeError(
            "a bytes-like object is required, not '%s'" % type(path).__name__
        )
    if len(path) > _HOST_MAX:
        # More than the record holds is more than sun_path holds.
        raise _errors.exception(_cdef.ERRORS["EPATHLEN"])
    _memmove(record.host, path, len(path))
    record.host_len = len(path)


def _guess_family(address):
    # Without a socket (module functions, the raw layer) the shape tells:
    # 0 means "the socket's family" to the library.
    if isinstance(address, (str, bytes, bytearray, memoryview)):
        return AF_UNIX
    if type(address) is tuple and len(address) in (3, 4):
        return AF_INET6
    if (type(address) is tuple and len(address) == 2
            and type(address[0]) is int and AF_NETLINK is not None):
        return AF_NETLINK
    if type(address) is tuple and len(address) == 2:
        return 0
    raise TypeError(
        "a socket address must be a tuple or a path, not %s"
        % type(address).__name__
    )


def to_c(address, family):
    """A new polysock_addr for address; family None: guess from its shape."""
    if family is None:
        family = _guess_family(address)
    record = _new("polysock_addr *")
    record.family = family
    if family == AF_INET or family == 0:
        host, record.port = _tuple_of(
            address, "AF_INET", (2,), "a pair (host, port)")
        _set_host(record, host)
    elif family == AF_INET6:
        address = _tuple_of(
            address, "AF_INET6", (2, 3, 4),
            "a tuple (host, port[, flowinfo[, scopeid]])")
        record.port = address[1]
        if len(address) > 2:
            record.flowinfo = address[2]
        if len(address) > 3:
            record.scope_id = address[3]
        _set_host(record, address[0])
    elif family == AF_UNIX:
        _set_path(record, address)
    elif family == AF_NETLINK:
        record.pid, record.groups = _tuple_of(
            address, "AF_NETLINK", (2,), "a pair (pid, groups)")
    # Any other family: the library refuses it (EFAMILY).
    return record


def from_c(record):
    """The Python form of a polysock_addr the library filled."""
    family = record.family
    if family == AF_INET:
        return (_unpack(record.host, record.host_len).decode("ascii"),
                record.port)
    if family == AF_INET6:
        return (_unpack(record.host, record.host_len).decode("ascii"),
                record.port, record.flowinfo, record.scope_id)
    if family == AF_UNIX:
        path = _unpack(record.host, record.host_len)
        return path if path[:1] == b"\0" else _os.fsdecode(path)
    if family == AF_NETLINK:
        return (record.pid, record.groups)
    if family == 0:
        return None  # no address (recvfrom on a connected stream)
    return (family, _unpack(record.host, record.host_len))
