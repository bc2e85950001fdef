"""Fixtures of the polysock Python suite (see helpers.py for the module choice)."""

import faulthandler
import os
import tempfile

import pytest

from helpers import STDLIB, Peer, make_test_certs, polysock

# A hung test (a blocking call a binding bug never wakes) must not hang
# `make check`: dump every thread's stack and end the run instead.
WATCHDOG_SECONDS = 60


def pytest_report_header(config):
    if STDLIB:
        return "polysock suite against Python's own socket module (stand-in)"
    return "polysock %s (library %s, %s mode) from %s" % (
        polysock.__version__, polysock.library_version, polysock.mode,
        os.path.dirname(polysock.__file__))


def pytest_collection_modifyitems(config, items):
    if not STDLIB:
        return
    skip = pytest.mark.skip(reason="polysock-only behaviour; running against "
                                   "Python's socket module")
    for item in items:
        if item.get_closest_marker("polysock_only"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _watchdog():
    faulthandler.dump_traceback_later(WATCHDOG_SECONDS, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(autouse=True)
def _default_timeout_restored():
    """Tests that change the module default must not leak it to the next."""
    yield
    polysock.setdefaulttimeout(None)


class SocketCloser:
    """Creates sockets for a test and closes them all at teardown."""

    def __init__(self):
        self._sockets = []

    def track(self, sock):
        self._sockets.append(sock)
        return sock

    def socket(self, *args):
        return self.track(polysock.socket(*args))

    def pair(self, *args):
        a, b = polysock.socketpair(*args)
        return self.track(a), self.track(b)

    def listener(self, family=None, host="127.0.0.1"):
        family = polysock.AF_INET if family is None else family
        srv = self.socket(family, polysock.SOCK_STREAM)
        srv.bind((host, 0))
        srv.listen()
        return srv

    def tcp_pair(self, family=None, host="127.0.0.1"):
        """(client, server side) of one accepted loopback TCP connection."""
        srv = self.listener(family, host)
        cli = self.socket(srv.family, polysock.SOCK_STREAM)
        cli.connect(srv.getsockname())
        conn, _ = srv.accept()
        return cli, self.track(conn)

    def close_all(self):
        for sock in self._sockets:
            sock.close()


@pytest.fixture
def socks():
    closer = SocketCloser()
    yield closer
    closer.close_all()


@pytest.fixture
def pair(socks):
    """A connected AF_UNIX stream pair."""
    return socks.pair()


@pytest.fixture
def tcp_pair(socks):
    return socks.tcp_pair()


@pytest.fixture
def refusing_address(socks):
    """A loopback address where nothing listens: the port is held by a
    bound, non-listening socket for the test, so no one else can take it
    and a connection is refused."""
    holder = socks.socket()
    holder.bind(("127.0.0.1", 0))
    return holder.getsockname()


@pytest.fixture
def short_tmpdir():
    """A directory with a short path: sun_path holds 108 bytes, and
    pytest's tmp_path can exceed that."""
    with tempfile.TemporaryDirectory(prefix="ps-") as d:
        yield d


# ---- TLS ----

@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    """The directory of test/tls/make-certs.sh's certificates: make check's
    (POLYSOCK_TEST_CERTS), else made for this run."""
    given = os.environ.get("POLYSOCK_TEST_CERTS")
    if given:
        return given
    return make_test_certs(str(tmp_path_factory.mktemp("tls")))


@pytest.fixture
def peer(certs):
    """peer(MODE, *args) starts test/tls/peer.py; all are killed at
    teardown."""
    started = []

    def start(mode, *args):
        started.append(Peer(certs, mode, *args))
        return started[-1]

    yield start
    for p in started:
        p.stop()
