"""TLS under the socket's timeout modes: non-blocking handshake, reads and
writes (SSLWantReadError/SSLWantWriteError and the count written), a
read's timeout, and a signal handler's exception ending a blocked read."""

import hashlib
import os
import select
import signal

import pytest

from helpers import Background, Elapsed, polysock

pytestmark = pytest.mark.polysock_only


def server_conn(listener, certs):
    sock, _ = listener.accept()
    sock.settimeout(30.0)
    return sock, polysock.ssl(sock, os.path.join(certs, "good.key"),
                              os.path.join(certs, "good.pem"),
                              server_side=True)


def wait_for(conn, want):
    """select() on the SSL object (fileno) for what the error asked."""
    if isinstance(want, polysock.SSLWantReadError):
        ready = select.select([conn], [], [], 30)[0]
    else:
        ready = select.select([], [conn], [], 30)[1]
    assert ready, "socket not ready within 30s"


def non_blocking_client(socks, certs):
    """A non-blocking client connection whose handshake has asked to wait
    for reading once (the server is started only then), and its server
    side (blocking, in a thread until it is accepted)."""
    listener = socks.listener()
    sock = socks.socket()
    sock.connect(listener.getsockname())
    sock.setblocking(False)
    conn = polysock.ssl(sock, server_hostname="localhost",
                        cafile=os.path.join(certs, "ca.pem"),
                        do_handshake_on_connect=False)
    # Nobody has accepted yet: the ClientHello goes out, no answer can
    # have come back.
    with pytest.raises(polysock.SSLWantReadError) as info:
        conn.do_handshake()
    assert polysock.lowlevel.errname(info.value.code) == "POLYSOCK_ETLS_WANTREAD"
    accepting = Background(server_conn, listener, certs)
    while True:
        try:
            conn.do_handshake()
            break
        except (polysock.SSLWantReadError, polysock.SSLWantWriteError) as e:
            wait_for(conn, e)
    server_sock, server = accepting.value(30)
    socks.track(server_sock)
    return conn, server


def test_non_blocking_handshake_and_read(socks, certs):
    conn, server = non_blocking_client(socks, certs)
    assert conn.version() in ("TLSv1.2", "TLSv1.3")
    with pytest.raises(polysock.SSLWantReadError):
        while True:  # TLS 1.3 session tickets may come first
            conn.read(10)
    server.write(b"pong")
    data = b""
    while len(data) < 4:
        try:
            data += conn.read(10)
        except polysock.SSLWantReadError as e:
            wait_for(conn, e)
    assert data == b"pong"
    conn.close()
    server.close()


def test_non_blocking_write_reports_what_fit(socks, certs):
    # 8 MiB cannot fit the socket buffers at once: writes come back short
    # or with SSLWantWriteError, and the counts must add up to exactly what
    # the server receives.
    conn, server = non_blocking_client(socks, certs)
    payload = os.urandom(8 << 20)

    def receive_all():
        digest = hashlib.sha256()
        total = 0
        while total < len(payload):
            chunk = server.read(65536)
            assert chunk
            digest.update(chunk)
            total += len(chunk)
        return total, digest.digest()

    sent = 0
    waits = 0
    view = memoryview(payload)
    reader = None
    while sent < len(payload):
        try:
            count = conn.write(view[sent:])
        except polysock.SSLWantWriteError as e:
            waits += 1
            if reader is None:
                reader = Background(receive_all)
            wait_for(conn, e)
            continue
        assert 0 < count <= len(payload) - sent
        sent += count
    if reader is None:
        reader = Background(receive_all)
    assert waits > 0
    assert reader.value(60) == (len(payload),
                                hashlib.sha256(payload).digest())
    conn.close()
    server.close()


def test_read_timeout_is_socket_timeout(socks, certs):
    listener = socks.listener()
    accepting = Background(server_conn, listener, certs)
    sock = socks.socket()
    sock.settimeout(30.0)
    sock.connect(listener.getsockname())
    conn = polysock.ssl(sock, server_hostname="localhost",
                        cafile=os.path.join(certs, "ca.pem"))
    server_sock, server = accepting.value(30)
    socks.track(server_sock)
    sock.settimeout(0.3)
    with Elapsed() as elapsed:
        with pytest.raises(polysock.timeout):
            conn.read(10)
    assert 0.25 <= elapsed.seconds < 5.0
    # A timeout is no TLS failure: the connection goes on.
    sock.settimeout(30.0)
    server.write(b"late")
    assert conn.read(10) == b"late"
    conn.close()
    server.close()


class Interrupted(Exception):
    pass


def test_signal_handler_exception_ends_a_blocked_read(socks, certs):
    listener = socks.listener()
    accepting = Background(server_conn, listener, certs)
    sock = socks.socket()
    sock.connect(listener.getsockname())
    conn = polysock.ssl(sock, server_hostname="localhost",
                        cafile=os.path.join(certs, "ca.pem"))
    server_sock, server = accepting.value(30)
    socks.track(server_sock)

    def handler(signum, frame):
        raise Interrupted()

    previous = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with Elapsed() as elapsed:
            with pytest.raises(Interrupted):
                conn.read(10)  # blocking: nothing comes
        assert elapsed.seconds < 10.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    server.write(b"after")
    assert conn.read(10) == b"after"
    conn.close()
    server.close()
