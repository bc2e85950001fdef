"""The reference's three modes (blocking, non-blocking, timeout) and the
timeouts of recv, accept, connect and send.  Bounds are generous: a timeout
must not fire early, and must fire well within a second of its due time."""

import errno
import time

import pytest

from helpers import Background, Elapsed, polysock

SLACK = 1.0  # how late a timeout may fire on a loaded machine


def assert_timed_out_after(elapsed, timeout):
    assert timeout * 0.9 <= elapsed.seconds < timeout + SLACK, elapsed.seconds


# ------------------------------------------------------------------ modes

def test_new_socket_is_blocking(socks):
    assert socks.socket().gettimeout() is None


def test_settimeout_and_gettimeout(socks):
    s = socks.socket()
    s.settimeout(2.5)
    assert s.gettimeout() == 2.5
    s.settimeout(3)
    assert s.gettimeout() == 3.0 and isinstance(s.gettimeout(), float)
    s.settimeout(None)
    assert s.gettimeout() is None
    s.settimeout(0)
    assert s.gettimeout() == 0.0


def test_setblocking_is_settimeout_none_or_zero(socks):
    s = socks.socket()
    s.setblocking(False)
    assert s.gettimeout() == 0.0
    s.setblocking(True)
    assert s.gettimeout() is None
    s.setblocking(0)
    assert s.gettimeout() == 0.0
    s.setblocking(1)
    assert s.gettimeout() is None


def test_setblocking_zero_equals_settimeout_zero(pair):
    a, b = pair
    a.setblocking(0)
    with pytest.raises(BlockingIOError):
        a.recv(1)
    a.settimeout(0.0)
    with pytest.raises(BlockingIOError):
        a.recv(1)


def test_timeout_mode_reads_available_data_at_once(pair):
    a, b = pair
    a.settimeout(5)
    b.sendall(b"ready")
    with Elapsed() as elapsed:
        assert a.recv(5) == b"ready"
    assert elapsed.seconds < 1


def test_blocking_recv_waits_for_data(pair):
    a, b = pair
    def send_later():
        time.sleep(0.2)
        b.sendall(b"late")

    sender = Background(send_later)
    with Elapsed() as elapsed:
        assert a.recv(4) == b"late"
    sender.value(5)
    assert elapsed.seconds >= 0.15


def test_nonblocking_send_on_a_full_buffer_is_blockingioerror(pair):
    a, b = pair
    a.setblocking(False)
    with pytest.raises(BlockingIOError):
        for _ in range(100000):
            a.send(b"x" * 65536)


# --------------------------------------------------------------- timeouts

def test_recv_timeout(pair):
    a, b = pair
    a.settimeout(0.3)
    with Elapsed() as elapsed:
        with pytest.raises(polysock.timeout) as info:
            a.recv(10)
    assert_timed_out_after(elapsed, 0.3)
    assert isinstance(info.value, TimeoutError)
    assert str(info.value) == "timed out"


def test_recv_timeout_from_the_default_timeout(socks):
    polysock.setdefaulttimeout(0.3)
    a, b = socks.pair()
    assert a.gettimeout() == 0.3
    with Elapsed() as elapsed:
        with pytest.raises(polysock.timeout):
            a.recv(10)
    assert_timed_out_after(elapsed, 0.3)


def test_socket_usable_after_a_timeout(pair):
    a, b = pair
    a.settimeout(0.2)
    with pytest.raises(polysock.timeout):
        a.recv(10)
    b.sendall(b"after")
    assert a.recv(5) == b"after"


def test_recvfrom_and_recv_into_time_out(socks):
    u = socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    u.settimeout(0.2)
    with Elapsed() as elapsed:
        with pytest.raises(polysock.timeout):
            u.recvfrom(10)
    assert_timed_out_after(elapsed, 0.2)
    with pytest.raises(polysock.timeout):
        u.recv_into(bytearray(10))
    with pytest.raises(polysock.timeout):
        u.recvfrom_into(bytearray(10))


def test_accept_timeout(socks):
    srv = socks.listener()
    srv.settimeout(0.3)
    with Elapsed() as elapsed:
        with pytest.raises(polysock.timeout):
            srv.accept()
    assert_timed_out_after(elapsed, 0.3)


def test_accepted_socket_is_blocking_without_a_default(socks):
    # Python 3: the accepted socket takes the default timeout, not the
    # listener's.
    srv = socks.listener()
    srv.settimeout(5)
    cli = socks.socket()
    cli.connect(srv.getsockname())
    conn, _ = srv.accept()
    socks.track(conn)
    assert conn.gettimeout() is None


def test_accepted_socket_takes_the_default_timeout(socks):
    srv = socks.listener()
    cli = socks.socket()
    cli.connect(srv.getsockname())
    polysock.setdefaulttimeout(4.0)
    conn, _ = srv.accept()
    socks.track(conn)
    assert conn.gettimeout() == 4.0


def test_send_timeout_on_a_full_buffer(pair):
    a, b = pair
    a.settimeout(0.3)
    with Elapsed() as elapsed:
        with pytest.raises(polysock.timeout):
            for _ in range(100000):
                a.send(b"x" * 65536)
    assert elapsed.seconds < 0.3 + SLACK * 2


def test_connect_timeout(socks):
    # Loopback answers every SYN at once, except when the listener's accept
    # queue is full: Linux then drops the SYN and the client waits (the
    # first retransmission is a second later).  Fill the queue of a
    # listener that never accepts, and the next connect times out.
    srv = socks.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(0)
    for _ in range(64):
        cli = socks.socket()
        cli.settimeout(0.3)
        with Elapsed() as elapsed:
            try:
                cli.connect(srv.getsockname())
                continue
            except polysock.timeout:
                pass
        assert_timed_out_after(elapsed, 0.3)
        return
    pytest.fail("64 connections to a listener with backlog 0 all succeeded")


def test_connect_ex_timeout_returns_an_error_code(socks):
    srv = socks.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(0)
    for _ in range(64):
        cli = socks.socket()
        cli.settimeout(0.3)
        result = cli.connect_ex(srv.getsockname())
        if result != 0:
            # CPython returns EAGAIN here; the timeout's errno ETIMEDOUT is
            # the other reading of "an error indicator".
            assert result in (errno.EAGAIN, errno.ETIMEDOUT), result
            return
    pytest.fail("64 connections to a listener with backlog 0 all succeeded")


def test_nonblocking_connect_is_in_progress(socks):
    srv = socks.listener()
    cli = socks.socket()
    cli.setblocking(False)
    result = cli.connect_ex(srv.getsockname())
    assert result in (0, errno.EINPROGRESS)
