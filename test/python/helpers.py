"""What the test modules share: the module under test and small utilities.

POLYSOCK_TEST_AGAINST_STDLIB=1 runs the suite against Python's own socket
module instead of polysock.  The tests describe Python 3 socket semantics,
so passing against the stdlib proves the tests themselves right; tests of
polysock-only behaviour carry the ``polysock_only`` marker and are skipped
in that mode only.
"""

import os
import select
import socket as stdlib_socket
import subprocess
import tempfile
import threading
import time

STDLIB = os.environ.get("POLYSOCK_TEST_AGAINST_STDLIB") == "1"

if STDLIB:
    import socket as polysock  # noqa: F401  (the stand-in)
else:
    import polysock  # noqa: F401


def fd_count():
    """Open descriptors of this process (Linux)."""
    return len(os.listdir("/proc/self/fd"))


def ipv6_loopback_usable():
    """True when an AF_INET6 socket can be bound to ::1 here."""
    if not polysock.has_ipv6:
        return False
    try:
        with stdlib_socket.socket(stdlib_socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


def recv_exactly(sock, n):
    """Read exactly n bytes (the peer may deliver them in pieces)."""
    chunks = []
    while n:
        chunk = sock.recv(n)
        if not chunk:
            raise AssertionError("EOF with %d bytes still expected" % n)
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


class Elapsed:
    """Context manager measuring wall time on the monotonic clock."""

    def __enter__(self):
        self.start = time.monotonic()
        self.seconds = None
        return self

    def __exit__(self, *exc):
        self.seconds = time.monotonic() - self.start
        return False


class Background:
    """Run a function in a daemon thread and collect its result or error.

    join() re-raises what the function raised, so a failure in the thread
    fails the test instead of vanishing into the thread's stderr.
    """

    def __init__(self, func, *args):
        self.result = None
        self.error = None
        self.finished_at = None
        self._thread = threading.Thread(target=self._run, args=(func, args),
                                        daemon=True)
        self._thread.start()

    def _run(self, func, args):
        try:
            self.result = func(*args)
        except BaseException as e:  # noqa: B902 - handed to the main thread
            self.error = e
        finally:
            self.finished_at = time.monotonic()

    def wait(self, timeout):
        """True when the function finished within timeout seconds."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def join(self, timeout):
        if not self.wait(timeout):
            raise AssertionError("background thread still running after %gs"
                                 % timeout)
        return self

    def alive(self):
        return self._thread.is_alive()

    def value(self, timeout):
        self.join(timeout)
        if self.error is not None:
            raise self.error
        return self.result


# ---- TLS: the shared certificates and external peers (test/tls/) ----

SRCDIR = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
TLS_FIXTURES = os.path.join(SRCDIR, "test", "tls")
# The peers use the system Python's ssl module (and its openssl CLI), the
# same whichever interpreter runs this suite.
PEER_PYTHON = "/usr/bin/python3"
PEER_START_SECONDS = 30


def make_test_certs(outdir):
    """Run test/tls/make-certs.sh into outdir (a local run without
    POLYSOCK_TEST_CERTS); mkcert-odd comes from the build tree when
    top_builddir says where, else it is compiled here."""
    mkcert_odd = os.path.join(os.environ.get("top_builddir", "/nonexistent"),
                              "test", "tls", "mkcert-odd")
    if not os.access(mkcert_odd, os.X_OK):
        mkcert_odd = os.path.join(outdir, "mkcert-odd")
        subprocess.run(
            [os.environ.get("CC", "cc"), "-o", mkcert_odd,
             os.path.join(TLS_FIXTURES, "mkcert-odd.c"), "-lcrypto"],
            check=True)
    certs = os.path.join(outdir, "certs")
    subprocess.run(["sh", os.path.join(TLS_FIXTURES, "make-certs.sh"), certs,
                    mkcert_odd], check=True)
    return certs


class Peer:
    """An external TLS peer, test/tls/peer.py MODE, in a child process.

    Server modes print "PORT <n>" once listening: port is then set.  Client
    modes (client-*) get --port and connect to us.  stop() kills it.
    """

    def __init__(self, certs, mode, *args):
        self.mode = mode
        self.port = None
        self._stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [PEER_PYTHON, os.path.join(TLS_FIXTURES, "peer.py"),
             "--certs", certs, mode] + [str(a) for a in args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=self._stderr)
        if not mode.startswith("client-"):
            self.port = self._read_port()

    def _read_port(self):
        deadline = time.monotonic() + PEER_START_SECONDS
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.process.stdout], [], [],
                                        max(left, 0))
            if not ready:
                self.stop()
                raise AssertionError("peer %s printed no port within %ds"
                                     % (self.mode, PEER_START_SECONDS))
            byte = os.read(self.process.stdout.fileno(), 1)
            if not byte:
                message = "peer %s exited before listening: %s" % (
                    self.mode, self.stderr())
                self.stop()
                raise AssertionError(message)
            line += byte
        word, port = line.split()
        assert word == b"PORT", line
        return int(port)

    def stderr(self):
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def finish(self, timeout=30):
        """Wait for the peer to exit: (exit status, its stdout text)."""
        out, _ = self.process.communicate(timeout=timeout)
        return self.process.returncode, out.decode("utf-8", "replace")

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.process.stdout.close()
        self._stderr.close()
