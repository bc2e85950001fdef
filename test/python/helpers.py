"""What the test modules share: the module under test and small utilities.

POLYSOCK_TEST_AGAINST_STDLIB=1 runs the suite against Python's own socket
module instead of polysock.  The tests describe Python 3 socket semantics,
so passing against the stdlib proves the tests themselves right; tests of
polysock-only behaviour carry the ``polysock_only`` marker and are skipped
in that mode only.
"""

import os
import socket as stdlib_socket
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
