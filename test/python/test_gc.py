"""A socket dropped without close() is closed by the garbage collector and
warns with ResourceWarning, as Python 3's socket does."""

import gc
import warnings

from helpers import fd_count, polysock


def collect():
    # PyPy runs finalizers of objects found dead in a later collection.
    for _ in range(3):
        gc.collect()


def drop_sockets(make):
    """Call make() (which creates sockets and drops them) and return the
    ResourceWarnings and the change in open descriptors."""
    collect()
    before = fd_count()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make()
        collect()
    resource = [w for w in caught if issubclass(w.category, ResourceWarning)]
    return resource, fd_count() - before


def test_dropped_socket_is_closed_with_a_resourcewarning():
    def make():
        s = polysock.socket()
        assert s.fileno() >= 0
        del s

    resource, leaked = drop_sockets(make)
    assert leaked == 0
    assert len(resource) == 1
    assert "unclosed" in str(resource[0].message)


def test_many_dropped_sockets_are_all_closed():
    def make():
        for _ in range(200):
            polysock.socket(polysock.AF_INET, polysock.SOCK_DGRAM)

    resource, leaked = drop_sockets(make)
    assert leaked == 0
    assert len(resource) == 200


def test_dropped_socketpair_and_accepted_sockets_are_closed():
    def make():
        a, b = polysock.socketpair()
        srv = polysock.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        cli = polysock.socket()
        cli.connect(srv.getsockname())
        conn, _ = srv.accept()
        assert fd_count() > 0

    resource, leaked = drop_sockets(make)
    assert leaked == 0
    assert len(resource) == 5


def test_closed_socket_does_not_warn():
    def make():
        s = polysock.socket()
        s.close()
        with polysock.socket():
            pass

    resource, leaked = drop_sockets(make)
    assert (resource, leaked) == ([], 0)


def test_file_keeps_a_dropped_socket_alive():
    a, b = polysock.socketpair()
    f = a.makefile("rb")
    a.close()
    del a
    collect()
    b.sendall(b"alive\n")
    assert f.readline() == b"alive\n"
    before = fd_count()
    f.close()
    assert fd_count() == before - 1
    b.close()


def test_close_releases_the_descriptor_at_once():
    before = fd_count()
    s = polysock.socket()
    assert fd_count() == before + 1
    s.close()
    assert fd_count() == before


FAILED_SENDALL_THEN_COLLECT = """
import gc, polysock
pool = bytes(1 << 16)
for i in range(200):
    a, b = polysock.socketpair()
    b.close()
    try:
        a.sendall(memoryview(pool)[i:i + 4096])
    except OSError as e:
        assert e.bytes_sent >= 0
    a.close()
gc.collect()
print("survived")
"""


def test_collecting_after_failed_sendalls_of_memoryviews():
    # A failed sendall's exception once sat in a reference cycle with the
    # frame that raised it, which kept a buffer exported from the caller's
    # memoryview; collecting the cycle made CPython clear the exported view
    # (BufferError, then a segfault).  In a child: a crash must not take
    # the suite with it.
    import subprocess
    import sys
    child = subprocess.run([sys.executable, "-c", FAILED_SENDALL_THEN_COLLECT],
                           capture_output=True, text=True, timeout=120)
    assert (child.returncode, child.stdout, "BufferError" in child.stderr) == \
        (0, "survived\n", False), child.stderr
