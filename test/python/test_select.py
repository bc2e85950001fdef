"""fileno() works with select and selectors: the non-blocking event-loop
pattern of the reference."""

import errno
import select
import selectors

import pytest

from helpers import polysock


def test_select_reports_readable_after_data(pair):
    a, b = pair
    assert select.select([a], [], [], 0) == ([], [], [])
    b.sendall(b"x")
    readable, writable, _ = select.select([a], [a], [], 2)
    assert readable == [a] and writable == [a]
    assert a.recv(1) == b"x"


def test_select_with_the_raw_descriptor(pair):
    a, b = pair
    b.sendall(b"y")
    assert select.select([a.fileno()], [], [], 2)[0] == [a.fileno()]


def test_select_on_a_listener_reports_a_pending_connection(socks):
    srv = socks.listener()
    srv.setblocking(False)
    assert select.select([srv], [], [], 0)[0] == []
    cli = socks.socket()
    cli.connect(srv.getsockname())
    assert select.select([srv], [], [], 2)[0] == [srv]
    conn, addr = srv.accept()
    socks.track(conn)
    assert addr == cli.getsockname()


def test_nonblocking_connect_completes_under_select(socks):
    srv = socks.listener()
    cli = socks.socket()
    cli.setblocking(False)
    assert cli.connect_ex(srv.getsockname()) in (0, errno.EINPROGRESS)
    assert select.select([], [cli], [], 2)[1] == [cli]
    assert cli.getsockopt(polysock.SOL_SOCKET, polysock.SO_ERROR) == 0
    assert cli.getpeername() == srv.getsockname()


def test_nonblocking_echo_loop_with_selectors(socks):
    srv = socks.listener()
    srv.setblocking(False)
    cli = socks.socket()
    cli.connect(srv.getsockname())
    cli.sendall(b"hello selectors")
    cli.shutdown(polysock.SHUT_WR)

    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ, "listener")
    echoed = False
    try:
        for _ in range(20):
            for key, _ in sel.select(timeout=2):
                if key.data == "listener":
                    conn, _ = srv.accept()
                    socks.track(conn)
                    conn.setblocking(False)
                    sel.register(conn, selectors.EVENT_READ, "conn")
                    continue
                data = key.fileobj.recv(100)
                if data:
                    key.fileobj.sendall(data)
                else:
                    sel.unregister(key.fileobj)
                    key.fileobj.close()
                    echoed = True
            if echoed:
                break
    finally:
        sel.close()
    assert echoed
    reply = b""
    while True:  # the server closed after echoing: read to EOF
        chunk = cli.recv(100)
        if not chunk:
            break
        reply += chunk
    assert reply == b"hello selectors"


def test_closed_socket_cannot_be_selected():
    s = polysock.socket()
    s.close()
    with pytest.raises(ValueError):
        select.select([s], [], [], 0)  # fileno() is -1
