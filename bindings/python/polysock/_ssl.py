"""ssl(): the reference's SSL objects, on the core's TLS handles.

Hand-written because the IDL only has the flat C calls: ssl() turns Python
options into one TLS configuration (built per call and closed right after
tls_new; the core caches the engine context of equal settings, so that is
cheap), runs the handshake under the socket's timeout mode, and returns an
SSLObject.  Errors of the generated layer are re-raised with the engine's
reason for them, which only the connection knows (TLS_INFO_ERROR).  Names
are decoded from the core's FIELDS format into Python's getpeercert()
shape.

Secure by default: a client verifies the peer's chain and host name (the
host given to connect(), unless server_hostname says otherwise).
"""
import errno as _errno
import os as _os

from . import _api, _errors
# The TLS exceptions live with the others; the package takes them from here.
from ._errors import (  # noqa: F401
    SSLCertVerificationError,
    SSLEOFError,
    SSLWantReadError,
    SSLWantWriteError,
)
from ._loader import constants as _constants
from ._loader import ffi as _ffi
from ._loader import lib as _lib

__all__ = ["SSLCertVerificationError", "SSLEOFError", "SSLObject",
           "SSLWantReadError", "SSLWantWriteError", "ssl"]

_INFO_VERSION = _constants["POLYSOCK_TLS_INFO_VERSION"]
_INFO_CIPHER = _constants["POLYSOCK_TLS_INFO_CIPHER"]
_INFO_ALPN = _constants["POLYSOCK_TLS_INFO_ALPN"]
_INFO_PEER_CERT = _constants["POLYSOCK_TLS_INFO_PEER_CERT"]
_INFO_SUBJECT_ONELINE = _constants["POLYSOCK_TLS_INFO_SUBJECT_ONELINE"]
_INFO_ISSUER_ONELINE = _constants["POLYSOCK_TLS_INFO_ISSUER_ONELINE"]
_INFO_SUBJECT_RFC4514 = _constants["POLYSOCK_TLS_INFO_SUBJECT_RFC4514"]
_INFO_ISSUER_RFC4514 = _constants["POLYSOCK_TLS_INFO_ISSUER_RFC4514"]
_INFO_SUBJECT_FIELDS = _constants["POLYSOCK_TLS_INFO_SUBJECT_FIELDS"]
_INFO_ISSUER_FIELDS = _constants["POLYSOCK_TLS_INFO_ISSUER_FIELDS"]
_INFO_ERROR = _constants["POLYSOCK_TLS_INFO_ERROR"]
_INFO_SERVER_HOSTNAME = _constants["POLYSOCK_TLS_INFO_SERVER_HOSTNAME"]

# minimum_version: Python's ssl.TLSVersion names, or the library's values.
_VERSIONS = {
    "TLSv1.2": _constants["POLYSOCK_TLS_VERSION_1_2"],
    "TLSv1.3": _constants["POLYSOCK_TLS_VERSION_1_3"],
}

_READ_ALL_CHUNK = 65536
_MAX_ALPN_NAME = 255
# tls_info_len then tls_info races only with another thread's error on the
# same connection changing TLS_INFO_ERROR; a few rounds settle it.
_INFO_ATTEMPTS = 8


# ---- Options ---------------------------------------------------------------

def _flag(name, value):
    if not isinstance(value, bool):
        raise TypeError("%s must be a bool, not %s"
                        % (name, type(value).__name__))
    return value


def _path(name, value):
    """A file name as bytes (the file system's encoding, never IDNA)."""
    if value is None:
        return None
    try:
        return _os.fsencode(value)
    except TypeError:
        raise TypeError("%s must be a str, bytes or os.PathLike, not %s"
                        % (name, type(value).__name__)) from None


def _alpn_list(protocols):
    """The core's comma-separated form of a list of ALPN protocol names."""
    if isinstance(protocols, (str, bytes)) or not hasattr(protocols,
                                                          "__iter__"):
        raise TypeError("alpn_protocols must be a list of str, not %s"
                        % type(protocols).__name__)
    names = []
    for name in protocols:
        if isinstance(name, str):
            name = name.encode("utf-8")
        elif not isinstance(name, bytes):
            raise TypeError("an ALPN protocol must be a str, not %s"
                            % type(name).__name__)
        if not 1 <= len(name) <= _MAX_ALPN_NAME:
            raise ValueError("an ALPN protocol name must be 1 to %d bytes, "
                             "not %d" % (_MAX_ALPN_NAME, len(name)))
        if b"," in name or b"\0" in name:
            raise ValueError("an ALPN protocol name cannot contain ',' or "
                             "NUL: %r" % name)
        names.append(name)
    return b",".join(names)


def _version_value(version):
    if isinstance(version, str):
        try:
            return _VERSIONS[version]
        except KeyError:
            pass
    elif isinstance(version, int) and not isinstance(version, bool):
        if version in _VERSIONS.values():
            return version
    else:
        raise TypeError("minimum_version must be 'TLSv1.2', 'TLSv1.3' or a "
                        "POLYSOCK_TLS_VERSION_* constant, not %s"
                        % type(version).__name__)
    raise ValueError("minimum_version must be 'TLSv1.2' or 'TLSv1.3' (or "
                     "their POLYSOCK_TLS_VERSION_* values), not %r"
                     % (version,))


def _configure(cfg, keyfile, certfile, cafile, capath, verify,
               require_client_cert, alpn_protocols, minimum_version,
               suppress_ragged_eofs):
    if not verify:
        _api.tls_config_set_verify(cfg, 0)
    if cafile is not None or capath is not None:
        _api.tls_config_set_ca(cfg, cafile, capath)
    if certfile is not None:
        _api.tls_config_set_certificate(cfg, certfile, keyfile)
    if require_client_cert:
        _api.tls_config_set_require_client_cert(cfg, 1)
    if alpn_protocols is not None:
        _api.tls_config_set_alpn(cfg, alpn_protocols)
    if minimum_version is not None:
        _api.tls_config_set_min_version(cfg, minimum_version)
    if suppress_ragged_eofs:
        _api.tls_config_set_allow_unexpected_eof(cfg, 1)


def ssl(sock, keyfile=None, certfile=None, *, server_side=False,
        server_hostname=None, cafile=None, capath=None, verify=True,
        require_client_cert=False, alpn_protocols=None, minimum_version=None,
        suppress_ragged_eofs=False, do_handshake_on_connect=True):
    """Start TLS over the connected socket sock; returns an SSLObject.

    keyfile and certfile (PEM) are the client's certificate, or the
    server's chain and key (server_side=True; certfile required, keyfile
    may be None when the key is in certfile).  A client verifies the peer
    against the system trust store, or cafile/capath, and the host name:
    server_hostname, else the host given to sock.connect().  verify=False
    turns both checks off.  require_client_cert: a server asks for and
    verifies a client certificate.  alpn_protocols: a list of names in
    preference order.  minimum_version: 'TLSv1.2' (default) or 'TLSv1.3'.
    suppress_ragged_eofs=True reads a peer's bare TCP close as a clean EOF
    instead of SSLEOFError.  The handshake runs now, under the socket's
    timeout, unless do_handshake_on_connect=False (then do_handshake(), or
    the first read or write, runs it).
    """
    handle = getattr(sock, "_handle", None)
    if not isinstance(handle, int):
        raise TypeError("ssl() needs a polysock socket, not %s"
                        % type(sock).__name__)
    server_side = _flag("server_side", server_side)
    verify = _flag("verify", verify)
    require_client_cert = _flag("require_client_cert", require_client_cert)
    suppress_ragged_eofs = _flag("suppress_ragged_eofs", suppress_ragged_eofs)
    do_handshake_on_connect = _flag("do_handshake_on_connect",
                                    do_handshake_on_connect)
    keyfile = _path("keyfile", keyfile)
    certfile = _path("certfile", certfile)
    cafile = _path("cafile", cafile)
    capath = _path("capath", capath)
    if alpn_protocols is not None:
        alpn_protocols = _alpn_list(alpn_protocols)
    if minimum_version is not None:
        minimum_version = _version_value(minimum_version)
    if server_hostname is not None and not isinstance(server_hostname,
                                                      (str, bytes)):
        raise TypeError("server_hostname must be a str, not %s"
                        % type(server_hostname).__name__)
    if keyfile is not None and certfile is None:
        raise ValueError("keyfile needs certfile")
    if server_side:
        if certfile is None:
            raise ValueError("a server needs certfile (its certificate "
                             "chain)")
        if server_hostname is not None:
            raise ValueError("server_hostname is for client connections")
        if not verify:
            raise ValueError("verify is for client connections (a server "
                             "asks for client certificates with "
                             "require_client_cert)")
    elif require_client_cert:
        raise ValueError("require_client_cert is for server connections")
    if do_handshake_on_connect and sock.gettimeout() == 0.0:
        # As Python's ssl: a non-blocking handshake is the caller's loop.
        raise ValueError("do_handshake_on_connect must be False for a "
                         "non-blocking socket")

    cfg = _api.tls_config_new(int(server_side))
    try:
        _configure(cfg, keyfile, certfile, cafile, capath,
                   verify, require_client_cert, alpn_protocols,
                   minimum_version, suppress_ragged_eofs)
        tls = _api.tls_new(handle, cfg, server_hostname)
    finally:
        _api.tls_config_close(cfg)
    conn = SSLObject._wrap(tls, sock, server_side)
    if do_handshake_on_connect:
        try:
            conn.do_handshake()
        except BaseException:
            # Nobody else holds the connection: free it now (no
            # close_notify goes to a peer that failed the handshake).
            conn.close()
            raise
    return conn


# ---- The SSL object ----------------------------------------------------------

class SSLObject:
    """A TLS connection over a polysock socket, made by ssl().

    read()/write() move application data; server() and issuer() describe
    the peer's certificate for display, peer_subject()/peer_issuer() give
    its names in a form to program against.  close() (or unwrap()) ends
    TLS with a close_notify; the socket stays open and is the caller's to
    close, as the reference says.  A dropped SSLObject closes its TLS
    connection when garbage-collected.
    """

    __module__ = "polysock"
    __slots__ = ("_handle", "_sock", "_server_side", "__weakref__")

    def __init__(self, *args, **kwargs):
        raise TypeError("SSLObject is made by polysock.ssl()")

    @classmethod
    def _wrap(cls, handle, sock, server_side):
        self = cls.__new__(cls)
        self._handle = handle
        # The socket must outlive the connection: the core writes
        # close_notify on it when the connection closes.
        self._sock = sock
        self._server_side = server_side
        return self

    # ---- Errors with the engine's reason ----

    def _explained(self, exc, handle):
        """exc, a TLS error of this connection, with the engine's reason."""
        if isinstance(exc, (SSLWantReadError, SSLWantWriteError)):
            return exc  # control flow of non-blocking mode, not a failure
        try:
            reason = _info_bytes(handle, _INFO_ERROR)
        except OSError:  # closed by another thread meanwhile
            return exc
        if not reason:
            return exc
        return _errors.with_reason(exc, reason.decode("utf-8", "replace"))

    def _call(self, fn, *args):
        handle = self._handle
        try:
            return fn(handle, *args)
        except _errors.sslerror as e:
            raise self._explained(e, handle) from None

    # ---- The reference's methods ----

    def do_handshake(self):
        """Run the handshake (done once; later calls return at once)."""
        self._call(_api.tls_handshake)

    def read(self, n=None):
        """With n: between 1 and n bytes once any are available, b"" at the
        peer's close_notify.  Without n: everything until then."""
        if n is not None:
            return self._call(_api.tls_read, n)
        chunks = []
        while True:
            chunk = self._call(_api.tls_read, _READ_ALL_CHUNK)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)

    def write(self, data):
        """Write a bytes-like object; returns the number of bytes written:
        all of them, except on a non-blocking socket (what fit now)."""
        if isinstance(data, str):
            raise TypeError("a bytes-like object is required, not 'str'")
        if self._sock.gettimeout() == 0.0:
            return self._call(_write_what_fits, data)
        handle = self._handle
        try:
            _api.tls_write(handle, data)
        except _errors.sslerror as e:
            raise self._explained(e, handle) from None
        return len(data) if type(data) is bytes else memoryview(data).nbytes

    def server(self):
        """The peer certificate's subject, one line ("/C=../CN=.."), or None.

        For display only: the line cannot be parsed unambiguously (a value
        may contain '/' or '='); use peer_subject() or subject_rfc4514().
        """
        return self._text(_INFO_SUBJECT_ONELINE)

    def issuer(self):
        """The peer certificate issuer's name, one line, or None.

        For display only, as server(); use peer_issuer() or
        issuer_rfc4514() to program against it.
        """
        return self._text(_INFO_ISSUER_ONELINE)

    # ---- Names in forms to program against ----

    def peer_subject(self):
        """The peer certificate's subject as Python's getpeercert() gives
        it: a tuple of RDNs, each a tuple of (attribute, value) pairs, in
        certificate order (((('commonName', 'localhost'),),), ...); None
        without a peer certificate."""
        return self._name(_INFO_SUBJECT_FIELDS)

    def peer_issuer(self):
        """The peer certificate's issuer, as peer_subject()."""
        return self._name(_INFO_ISSUER_FIELDS)

    def subject_rfc4514(self):
        """The peer certificate's subject as RFC 4514 text
        ("CN=localhost,O=Example"), or None."""
        return self._text(_INFO_SUBJECT_RFC4514)

    def issuer_rfc4514(self):
        """The peer certificate's issuer as RFC 4514 text, or None."""
        return self._text(_INFO_ISSUER_RFC4514)

    # ---- What was negotiated ----

    def version(self):
        """The protocol version ("TLSv1.3"), None before the handshake."""
        return self._text(_INFO_VERSION)

    def cipher(self):
        """The cipher suite's name, None before the handshake."""
        return self._text(_INFO_CIPHER)

    def selected_alpn_protocol(self):
        """The ALPN protocol agreed on, or None."""
        return self._text(_INFO_ALPN)

    def getpeercert(self, binary_form=True):
        """The peer's certificate as DER bytes, None when it sent none.

        Only the binary form: parse it with a certificate library, or use
        peer_subject()/peer_issuer() for the names."""
        if binary_form is not True:
            raise ValueError("getpeercert() gives only binary_form=True; "
                             "peer_subject() and peer_issuer() give the "
                             "names")
        return self._info(_INFO_PEER_CERT)

    @property
    def server_side(self):
        """True for the accepting side."""
        return self._server_side

    @property
    def server_hostname(self):
        """Client: the name verified and sent as SNI; server: the name the
        client asked for.  None when there is none."""
        return self._text(_INFO_SERVER_HOSTNAME)

    def pending(self):
        """Bytes already decrypted, readable without waiting."""
        return self._call(_api.tls_pending)

    def fileno(self):
        """The socket's descriptor (for select)."""
        return self._sock.fileno()

    # ---- Closing ----

    def close(self):
        """Send close_notify (if the connection is healthy; one attempt,
        no wait) and free the connection.  The socket stays open.  Closing
        twice does nothing; read and write afterwards raise OSError
        (EBADF), as a closed socket's calls do."""
        handle = self._handle
        if not handle:
            return
        self._handle = 0
        try:
            _api.tls_close(handle)
        except OSError as e:
            # Another thread closed it at the same moment: closed it is.
            if e.errno != _errno.EBADF:
                raise

    def unwrap(self):
        """close(), then the socket, which carries on in plain text."""
        self.close()
        return self._sock

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __del__(self, _close=_api.tls_close):
        # The TLS handle only: the socket object is finalized on its own
        # (after this one, as this one refers to it).  Bound as a default:
        # module globals may be gone at interpreter shutdown.
        try:
            handle = self._handle
        except AttributeError:
            return
        if not handle:
            return
        self._handle = 0
        try:
            _close(handle)
        except Exception:
            pass

    def __repr__(self):
        state = "" if self._handle else " [closed]"
        return "<%s.%s%s fd=%i, server_side=%s>" % (
            self.__class__.__module__, self.__class__.__qualname__, state,
            self.fileno(), self._server_side)

    def __getstate__(self):
        raise TypeError("cannot pickle %r object" % self.__class__.__name__)

    # ---- Info items ----

    def _info(self, what):
        return self._call(_info_bytes, what)

    def _text(self, what):
        data = self._info(what)
        return None if data is None else data.decode("utf-8",
                                                     "surrogateescape")

    def _name(self, what):
        data = self._info(what)
        return None if data is None else parse_name_fields(data)


def _info_bytes(handle, what):
    """An info item's bytes, None when there is none."""
    for _ in range(_INFO_ATTEMPTS):
        size = _api.tls_info_len(handle, what)
        if not size:
            return None
        try:
            return _api.tls_info(handle, what, size)
        except ValueError:
            # ETOOSMALL: the item grew since tls_info_len (another thread's
            # error on this connection); anything else is a real error.
            if _api.tls_info_len(handle, what) <= size:
                raise
    raise RuntimeError("TLS info item %d kept changing size" % what)


def _write_what_fits(handle, data):
    """A non-blocking write: the number of bytes that fit now.

    Calls the C function itself because the generated tls_write (a
    `partial` fn, like sendall) reports the count only on failure.  A
    non-blocking call never waits, so it is never interrupted: no -EINTR
    loop is needed here.
    """
    buf = _ffi.from_buffer(data)
    nsent = _ffi.new("size_t *")
    rc = _lib.polysock_tls_write(handle, buf, len(buf), nsent)
    if rc:
        _errors.raise_code(rc)
    return nsent[0]


# ---- The FIELDS form of a name -------------------------------------------------

def parse_name_fields(data):
    """The core's FIELDS record bytes as Python's getpeercert() name shape.

    Records are "<rdn index> <long name> <value length>:<value>\\n"; values
    are UTF-8 and may hold any character, NUL and newline included, which
    is why each carries its length.  Consecutive records with the same
    RDN index form one multi-valued RDN.
    """
    rdns = []
    last_index = None
    pos = 0
    end = len(data)
    while pos < end:
        colon = data.find(b":", pos)
        if colon < 0:
            raise ValueError("TLS name record without ':' at byte %d" % pos)
        head = data[pos:colon].split(b" ")
        if len(head) != 3 or not head[0].isdigit() or not head[2].isdigit():
            raise ValueError("bad TLS name record header %r" % data[pos:colon])
        index, attribute, length = int(head[0]), head[1], int(head[2])
        start = colon + 1
        stop = start + length
        if data[stop:stop + 1] != b"\n":
            raise ValueError("TLS name record of %d bytes not ended by a "
                             "newline at byte %d" % (length, stop))
        pair = (attribute.decode("ascii"),
                data[start:stop].decode("utf-8", "surrogateescape"))
        if index == last_index:
            rdns[-1].append(pair)
        else:
            rdns.append([pair])
            last_index = index
        pos = stop + 1
    return tuple(tuple(rdn) for rdn in rdns)
