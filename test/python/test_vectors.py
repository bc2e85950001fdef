"""Every row of the shared bad-input vectors (test/vectors/*.json), run
through the idiomatic Python API as test/vectors/README.md describes; rows
of the handle-level TLS functions (layer "raw") run through
polysock.lowlevel, the generated layer.

One test per row (id ``file:row name``) and one per file, which checks the
table itself: an unknown function, key, parameter shape or error class
fails, so a table is never skipped silently."""

import errno
import json
import math
import os
from pathlib import Path

import pytest

from helpers import STDLIB, polysock

VECTORS = Path(__file__).resolve().parent.parent / "vectors"

TABLE_KEYS = {"function", "description", "params", "rows"}
ROW_KEYS = {"name", "args", "error", "errno", "code", "requires", "layer",
            "skip", "note"}
ERROR_CLASSES = {"none", "value", "type", "overflow", "error", "os", "gai",
                 "herror", "timeout", "badhandle", "tls"}
REQUIRES_TAGS = {"ipv6", "netdb"}

# h_errno values of <netdb.h>; Python has no table of them.
H_ERRNO = {"HOST_NOT_FOUND": 1, "TRY_AGAIN": 2, "NO_RECOVERY": 3, "NO_DATA": 4}


def _servby(func):
    """getservbyname/getservbyport: a null proto is the omitted argument."""
    return lambda m, x, proto: func(m)(x) if proto is None else func(m)(x, proto)


# function -> (parameter types, call(module, *args)); None: handle level only.
FUNCTIONS = {
    "accept": (("handle",), lambda m, s: s.accept()),
    "addrinfo_get": (("handle", "size"), None),
    "bind": (("handle", "addr"), lambda m, s, a: s.bind(a)),
    "close": (("handle",), lambda m, s: s.close()),
    "connect": (("handle", "addr"), lambda m, s, a: s.connect(a)),
    "fileno": (("handle",), lambda m, s: s.fileno()),
    "fromfd": (("int", "const", "const", "const"),
               lambda m, fd, f, t, p: m.fromfd(fd, f, t, p)),
    "getaddrinfo": (("str", "service", "const", "const", "const", "const"),
                    lambda m, *a: m.getaddrinfo(*a)),
    "gethostbyaddr": (("str",), lambda m, h: m.gethostbyaddr(h)),
    "gethostbyname": (("str",), lambda m, h: m.gethostbyname(h)),
    "gethostbyname_ex": (("str",), lambda m, h: m.gethostbyname_ex(h)),
    "getnameinfo": (("addr", "const"), lambda m, a, f: m.getnameinfo(a, f)),
    "getpeername": (("handle",), lambda m, s: s.getpeername()),
    "getprotobyname": (("str",), lambda m, n: m.getprotobyname(n)),
    "getservbyname": (("str", "str"), _servby(lambda m: m.getservbyname)),
    "getservbyport": (("int", "str"), _servby(lambda m: m.getservbyport)),
    "getsockname": (("handle",), lambda m, s: s.getsockname()),
    "getsockopt_buf": (("handle", "const", "const", "size"),
                       lambda m, s, lvl, opt, n: s.getsockopt(lvl, opt, n)),
    "getsockopt_int": (("handle", "const", "const"),
                       lambda m, s, lvl, opt: s.getsockopt(lvl, opt)),
    "htonl": (("int",), lambda m, x: m.htonl(x)),
    "htons": (("int",), lambda m, x: m.htons(x)),
    "inet_aton": (("str",), lambda m, ip: m.inet_aton(ip)),
    "inet_ntoa": (("bytes",), lambda m, p: m.inet_ntoa(p)),
    "inet_ntop": (("const", "bytes"), lambda m, f, p: m.inet_ntop(f, p)),
    "inet_pton": (("const", "str"), lambda m, f, ip: m.inet_pton(f, ip)),
    "list_free": (("handle",), None),
    "listen": (("handle", "int"), lambda m, s, n: s.listen(n)),
    "ntohl": (("int",), lambda m, x: m.ntohl(x)),
    "ntohs": (("int",), lambda m, x: m.ntohs(x)),
    "poller_add": (("handle", "handle", "const"), None),
    "recv": (("handle", "size", "const"), lambda m, s, n, f: s.recv(n, f)),
    "send": (("handle", "bytes", "const"), lambda m, s, d, f: s.send(d, f)),
    "sendto": (("handle", "bytes", "const", "addr"),
               lambda m, s, d, f, a: s.sendto(d, f, a)),
    "setdefaulttimeout": (("timeout",), lambda m, t: m.setdefaulttimeout(t)),
    "setsockopt_int": (("handle", "const", "const", "int"),
                       lambda m, s, lvl, opt, v: s.setsockopt(lvl, opt, v)),
    "settimeout": (("handle", "timeout"), lambda m, s, t: s.settimeout(t)),
    "shutdown": (("handle", "const"), lambda m, s, how: s.shutdown(how)),
    "socket": (("const", "const", "const"), lambda m, f, t, p: m.socket(f, t, p)),
    "socketpair": (("const", "const", "const"),
                   lambda m, f, t, p: m.socketpair(f, t, p)),
}

# The handle-level functions whose rows (all layer "raw") run here, through
# polysock.lowlevel (same names and arguments): parameter types, and the
# lowlevel function that frees what a successful call returned (None:
# nothing).  The other raw rows are skipped: their symbols (@stale_handle,
# @list_handle, ...) are not made here.
RAW_FUNCTIONS = {
    "tls_close": (("handle",), None),
    "tls_config_close": (("handle",), None),
    "tls_config_new": (("int",), "tls_config_close"),
    "tls_config_set_allow_unexpected_eof": (("handle", "int"), None),
    "tls_config_set_alpn": (("handle", "str"), None),
    "tls_config_set_ca": (("handle", "str", "str"), None),
    "tls_config_set_certificate": (("handle", "str", "str"), None),
    "tls_config_set_min_version": (("handle", "const"), None),
    "tls_config_set_require_client_cert": (("handle", "int"), None),
    "tls_config_set_verify": (("handle", "int"), None),
    "tls_handshake": (("handle",), None),
    "tls_info": (("handle", "const", "size"), None),
    "tls_info_len": (("handle", "const"), None),
    "tls_new": (("handle", "handle", "str"), "tls_close"),
    "tls_pending": (("handle",), None),
    "tls_read": (("handle", "size"), None),
    "tls_write": (("handle", "bytes"), None),
}
FUNCTIONS.update((name, (types, None))
                 for name, (types, _) in RAW_FUNCTIONS.items())

# Rows where CPython's own socket module deliberately differs from polysock
# (most say so in their "note").  Skipped only when the suite runs against
# the stdlib as a stand-in; against polysock every row runs.
CPYTHON_DIFFERS = {
    ("bind.json", "ipv6 scope_id 2^32"): "CPython truncates scope_id",
    ("connect.json", "ipv6 scope_id 2^32"): "CPython truncates scope_id",
    ("fileno.json", "closed socket"): "CPython 3 returns -1",
    ("fromfd.json", "descriptor 2^32"): "CPython truncates the descriptor",
    ("gethostbyname_ex.json", "name under .invalid"): "CPython raises gaierror",
    ("getnameinfo.json", "port 65536"): "CPython does not check the port",
    ("getnameinfo.json", "port -1"): "CPython does not check the port",
    ("setdefaulttimeout.json", "-infinity"): "CPython raises OverflowError",
    ("settimeout.json", "-infinity"): "CPython raises OverflowError",
    ("setsockopt_int.json", "value 2^32"): "CPython raises TypeError",
    ("socket.json", "family -1"): "CPython takes -1 as the default family",
    ("socket.json", "type -1"): "CPython takes -1 as the default type",
}


# ------------------------------------------------------------ reading

def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    dups = sorted({k for k in keys if keys.count(k) > 1})
    if dups:
        raise ValueError("duplicate keys %s" % dups)
    return dict(pairs)


def _no_constants(name):
    raise ValueError("%s is not strict JSON (use the \"nan\" strings)" % name)


def read_table(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f, object_pairs_hook=_no_duplicates,
                         parse_constant=_no_constants)


def load_tables():
    """{file name: table dict, or the exception that reading it raised}."""
    tables = {}
    for path in sorted(VECTORS.glob("*.json")):
        try:
            tables[path.name] = read_table(path)
        except (OSError, ValueError) as e:
            tables[path.name] = e
    return tables


TABLES = load_tables()


def row_params():
    params = []
    for fname, table in TABLES.items():
        rows = table.get("rows") if isinstance(table, dict) else None
        if not isinstance(rows, list) or not rows:
            params.append(pytest.param(fname, None, id="%s:<table>" % fname))
            continue
        for i, row in enumerate(rows):
            name = row.get("name", "#%d" % i) if isinstance(row, dict) else "#%d" % i
            params.append(pytest.param(fname, i, id="%s:%s" % (fname, name)))
    return params


# ----------------------------------------------------------- checking

def table_problems(table):
    """What is wrong with a table as a whole (empty list: nothing)."""
    if isinstance(table, Exception):
        return ["unreadable: %s" % table]
    problems = []
    unknown = set(table) - TABLE_KEYS
    if unknown:
        problems.append("unknown table keys %s" % sorted(unknown))
    missing = {"function", "params", "rows"} - set(table)
    if missing:
        return problems + ["missing table keys %s" % sorted(missing)]
    function = table["function"]
    if function not in FUNCTIONS:
        return problems + ["unknown function %r: teach test_vectors.py" % function]
    types = tuple(p.get("type") for p in table["params"])
    if types != FUNCTIONS[function][0]:
        problems.append("params %s, but %s takes %s"
                        % (types, function, FUNCTIONS[function][0]))
    rows = table["rows"]
    if not rows:
        problems.append("no rows")
    names = [r.get("name") for r in rows]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        problems.append("duplicate row names %s" % dups)
    return problems


def row_problems(row, n_params):
    problems = []
    unknown = set(row) - ROW_KEYS
    if unknown:
        problems.append("unknown row keys %s" % sorted(unknown))
    for key in ("name", "args", "error"):
        if key not in row:
            problems.append("missing %r" % key)
    if row.get("error") not in ERROR_CLASSES:
        problems.append("unknown error class %r" % row.get("error"))
    if len(row.get("args", ())) != n_params:
        problems.append("%d args for %d params" % (len(row.get("args", ())), n_params))
    if set(row.get("requires", ())) - REQUIRES_TAGS:
        problems.append("unknown requires tags %s" % row["requires"])
    if row.get("layer", "raw") != "raw":
        problems.append("unknown layer %r" % row["layer"])
    if "errno" in row and row["error"] not in ("os", "gai", "herror"):
        problems.append("errno given for class %r" % row["error"])
    if "code" in row and row["error"] != "tls":
        problems.append("code given for class %r" % row["error"])
    skip = row.get("skip", {})
    if not isinstance(skip, dict) or not all(isinstance(v, str) and v
                                             for v in skip.values()):
        problems.append("skip needs a reason per language")
    return problems


def netdb_available():
    try:
        with open("/etc/services") as f:
            services = f.read()
        with open("/etc/protocols") as f:
            protocols = f.read()
    except OSError:
        return False
    return "http" in services and "tcp" in protocols


def unmet_requirement(row):
    for tag in row.get("requires", ()):
        if tag == "ipv6" and not polysock.has_ipv6:
            return "requires ipv6"
        if tag == "netdb" and not netdb_available():
            return "requires netdb (/etc/services, /etc/protocols)"
    return None


# ---------------------------------------------------------- arguments

SOCKET_SYMBOLS = {
    "@tcp_socket": ("AF_INET", "SOCK_STREAM"),
    "@tcp6_socket": ("AF_INET6", "SOCK_STREAM"),
    "@udp_socket": ("AF_INET", "SOCK_DGRAM"),
    "@udp6_socket": ("AF_INET6", "SOCK_DGRAM"),
    "@unix_socket": ("AF_UNIX", "SOCK_STREAM"),
    "@closed_socket": ("AF_INET", "SOCK_STREAM"),
}


def _quietly(close, handle):
    """Close a raw handle the row may have closed already."""
    def run():
        try:
            close(handle)
        except OSError as e:
            if e.errno != errno.EBADF:
                raise
    return run


# Handle values never given out: the largest below 2^53, and 0.
HANDLE_VALUES = {"@forged_handle": 2**53 - 1, "@zero_handle": 0}


class Symbols:
    """The objects a row's handle arguments name; one object per symbol.

    raw: the row runs at the handle level, so sockets are given as their
    handles, and the TLS symbols (handles only) may be used."""

    def __init__(self, raw=False):
        self.raw = raw
        self.objects = {}
        self.closers = []  # run newest first: a connection before its socket

    def get(self, symbol):
        if symbol not in self.objects:
            self.objects[symbol] = self._make(symbol)
        obj = self.objects[symbol]
        if self.raw and isinstance(obj, polysock.SocketType):
            return obj._handle
        return obj

    def _make(self, symbol):
        if symbol in SOCKET_SYMBOLS:
            family, kind = SOCKET_SYMBOLS[symbol]
            sock = self._socket(getattr(polysock, family), getattr(polysock, kind))
            if symbol == "@closed_socket":
                sock.close()
            return sock
        if self.raw and symbol in HANDLE_VALUES:
            return HANDLE_VALUES[symbol]
        if self.raw and symbol in TLS_SYMBOLS:
            return TLS_SYMBOLS[symbol](self)
        pytest.fail("symbol %r needs the raw layer, or is unknown" % (symbol,))

    def _socket(self, family, kind):
        sock = polysock.socket(family, kind)
        self.closers.append(sock.close)
        return sock

    def _tls_config(self, server):
        cfg = polysock.lowlevel.tls_config_new(server)
        self.closers.append(_quietly(polysock.lowlevel.tls_config_close, cfg))
        return cfg

    def _closed_tls_config(self):
        cfg = polysock.lowlevel.tls_config_new(0)
        polysock.lowlevel.tls_config_close(cfg)
        return cfg

    def _unverified_tls(self):
        """A client connection, verification off (no name needed), over a
        never connected TCP socket of its own: tls_new does no I/O."""
        low = polysock.lowlevel
        sock = self._socket(polysock.AF_INET, polysock.SOCK_STREAM)
        cfg = low.tls_config_new(0)
        try:
            low.tls_config_set_verify(cfg, 0)
            return low.tls_new(sock._handle, cfg, None)
        finally:
            low.tls_config_close(cfg)  # the connection keeps its settings

    def _open_tls(self):
        tls = self._unverified_tls()
        self.closers.append(_quietly(polysock.lowlevel.tls_close, tls))
        return tls

    def _closed_tls(self):
        tls = self._unverified_tls()
        polysock.lowlevel.tls_close(tls)
        return tls

    def close(self):
        while self.closers:
            self.closers.pop()()


TLS_SYMBOLS = {
    "@tls_client_config": lambda symbols: symbols._tls_config(0),
    "@tls_server_config": lambda symbols: symbols._tls_config(1),
    "@closed_tls_config": Symbols._closed_tls_config,
    "@open_tls": Symbols._open_tls,
    "@closed_tls": Symbols._closed_tls,
}


def const_value(value):
    if isinstance(value, int):
        return value
    result = 0
    for name in value.split("|"):
        if not hasattr(polysock, name):
            pytest.fail("constant %s is not in the module" % name)
        result |= int(getattr(polysock, name))
    return result


def timeout_value(value):
    if isinstance(value, str):
        if value not in ("nan", "inf", "-inf"):
            pytest.fail("bad timeout %r" % value)
        return float(value)
    return value


def addr_value(value):
    if value is None:
        return None
    if isinstance(value, list):
        return tuple(value)
    if set(value) == {"unix"}:
        return value["unix"]
    if set(value) == {"unix_hex"}:
        return bytes.fromhex(value["unix_hex"])
    pytest.fail("bad address %r" % (value,))


def bytes_value(value):
    if value is None:
        return None
    if set(value) != {"bytes_hex"}:
        pytest.fail("bad bytes %r" % (value,))
    return bytes.fromhex(value["bytes_hex"])


CONVERTERS = {
    "const": const_value,
    "int": lambda v: v,
    "size": lambda v: v,
    "timeout": timeout_value,
    "str": lambda v: v,
    "service": lambda v: v,
    "bytes": bytes_value,
    "addr": addr_value,
}


def convert(types, args, symbols):
    return [symbols.get(a) if t == "handle" else CONVERTERS[t](a)
            for t, a in zip(types, args)]


def raw_call(function, args):
    """Call the lowlevel function; free the handle a success returned."""
    result = getattr(polysock.lowlevel, function)(*args)
    free = RAW_FUNCTIONS[function][1]
    if free is not None:
        getattr(polysock.lowlevel, free)(result)
    return result


def close_results(result):
    """Close the sockets a control row created (socket, socketpair, ...)."""
    items = result if isinstance(result, (tuple, list)) else (result,)
    for item in items:
        if isinstance(item, polysock.SocketType):
            item.close()
        elif isinstance(item, tuple):
            close_results(item)


# ---------------------------------------------------------- expectations

def errno_values(row):
    names = row.get("errno")
    if names is None:
        return None
    names = [names] if isinstance(names, str) else names
    values = set()
    for name in names:
        if row["error"] == "os":
            values.add(getattr(errno, name))
        elif row["error"] == "gai":
            values.add(getattr(polysock, name))
        else:
            values.add(H_ERRNO[name])
    return values


# The stdlib stand-in has no TLS errors (and runs no TLS rows).
SSL_ERROR = () if STDLIB else polysock.sslerror


def class_matches(expected, e):
    special = (polysock.gaierror, polysock.herror, polysock.timeout, SSL_ERROR)
    if expected == "none":
        return e is None
    if e is None:
        return False
    if expected == "value":
        # SSLCertVerificationError is also a ValueError, as in Python's ssl.
        return isinstance(e, ValueError) and not isinstance(e, SSL_ERROR)
    if expected == "type":
        return isinstance(e, TypeError)
    if expected == "overflow":
        return isinstance(e, OverflowError)
    if expected == "error":
        return isinstance(e, OSError) and e.errno is None and not isinstance(e, special)
    if expected == "os":
        # OSError(errno, ...) picks the errno's subclass: the error must be
        # an instance of it (ConnectionRefusedError for ECONNREFUSED, ...).
        return (isinstance(e, OSError) and not isinstance(e, special)
                and e.errno is not None
                and isinstance(e, type(OSError(e.errno, "x"))))
    if expected == "gai":
        return isinstance(e, polysock.gaierror)
    if expected == "herror":
        return isinstance(e, polysock.herror)
    if expected == "timeout":
        return isinstance(e, polysock.timeout)
    if expected == "badhandle":
        return isinstance(e, OSError) and e.errno == errno.EBADF
    if expected == "tls":
        return isinstance(e, SSL_ERROR)
    raise AssertionError("unknown class %r" % expected)


def tls_code_name(e):
    """The name of a TLS error's code, as the row's "code" gives it."""
    return polysock.lowlevel.errname(e.code)


def describe(e, result):
    if e is None:
        return "no exception (returned %r)" % (result,)
    if isinstance(e, SSL_ERROR):
        return "%s(code=%s): %s" % (type(e).__name__, tls_code_name(e), e)
    return "%s(errno=%r): %s" % (type(e).__name__, getattr(e, "errno", None), e)


# ---------------------------------------------------------------- tests

def test_vectors_directory_has_tables():
    assert len(TABLES) >= 30, "expected the tables in %s" % VECTORS


@pytest.mark.parametrize("fname", sorted(TABLES))
def test_vector_table_is_well_formed(fname):
    table = TABLES[fname]
    problems = table_problems(table)
    if not problems:
        n = len(table["params"])
        for row in table["rows"]:
            problems += ["row %r: %s" % (row.get("name"), p)
                         for p in row_problems(row, n)]
        if fname != table["function"] + ".json":
            problems.append("file is not named after its function")
    assert problems == [], fname


@pytest.mark.parametrize("fname,index", row_params())
def test_vector_row(fname, index):
    table = TABLES[fname]
    problems = table_problems(table)
    if problems:
        pytest.fail("%s: %s" % (fname, "; ".join(problems)))
    types, call = FUNCTIONS[table["function"]]
    row = table["rows"][index]
    problems = row_problems(row, len(types))
    if problems:
        pytest.fail("%s:%s: %s" % (fname, row.get("name"), "; ".join(problems)))

    if "python" in row.get("skip", {}):
        pytest.skip(row["skip"]["python"])
    raw = row.get("layer") == "raw" or call is None
    if raw and (STDLIB or table["function"] not in RAW_FUNCTIONS):
        pytest.skip("handle-level row (layer raw): not expressible in the "
                    "idiomatic API")
    unmet = unmet_requirement(row)
    if unmet:
        pytest.skip(unmet)
    if STDLIB and (fname, row["name"]) in CPYTHON_DIFFERS:
        pytest.skip("stand-in mode: " + CPYTHON_DIFFERS[(fname, row["name"])])

    symbols = Symbols(raw)
    result = error = None
    try:
        args = convert(types, row["args"], symbols)
        try:
            result = (raw_call(table["function"], args) if raw
                      else call(polysock, *args))
        except Exception as e:  # noqa: B902 - classified below
            error = e
        if not raw:
            close_results(result)
    finally:
        symbols.close()

    got = describe(error, result)
    where = "%s:%s" % (fname, row["name"])
    assert class_matches(row["error"], error), \
        "%s: expected %s, got %s" % (where, row["error"], got)
    wanted = errno_values(row)
    if wanted is not None:
        assert error.errno in wanted, \
            "%s: expected errno %s, got %s" % (where, row["errno"], got)
    if "code" in row:
        assert tls_code_name(error) == row["code"], \
            "%s: expected code %s, got %s" % (where, row["code"], got)


def test_unknown_function_fails():
    # The rule that protects every table: a function this runner does not
    # know is a failure, not a skip.
    assert table_problems({"function": "no_such_function", "params": [],
                           "rows": [{"name": "x", "args": [], "error": "none"}]}) \
        == ["unknown function 'no_such_function': teach test_vectors.py"]


def test_row_typo_fails():
    assert row_problems({"name": "x", "args": [], "error": "os", "erno": "EBADF"}, 0) \
        == ["unknown row keys ['erno']"]


def test_nan_timeout_conversion():
    assert math.isnan(timeout_value("nan"))
    assert timeout_value("-inf") == float("-inf")
    assert timeout_value(None) is None


def test_vectors_path_is_beside_this_suite():
    assert VECTORS == Path(os.path.dirname(os.path.abspath(__file__))).parent / "vectors"
