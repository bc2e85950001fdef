"""Threads: blocking calls release the interpreter, closing a socket wakes
the thread blocked on it, and many threads each use their own sockets."""

import errno
import threading
import time

import pytest

from helpers import Background, Elapsed, polysock, recv_exactly


def blocked_call_woken_by_close(sock, call, rescue):
    """Start call(sock) in a thread, close sock from this thread once the
    call is blocked, and return (thread, seconds from close to its end).
    rescue() unblocks the call the ordinary way if close did not."""
    worker = Background(call, sock)
    time.sleep(0.3)  # let the worker block in the call
    assert worker.alive(), "the call returned before the close: %r" % (
        worker.error or worker.result,)
    closed_at = time.monotonic()
    sock.close()
    if not worker.wait(2.0):
        rescue()
        worker.wait(5.0)
        pytest.fail("close() did not wake the thread blocked in the call")
    return worker, worker.finished_at - closed_at


@pytest.mark.polysock_only
def test_close_wakes_a_thread_blocked_in_recv(pair):
    a, b = pair
    worker, delay = blocked_call_woken_by_close(
        a, lambda s: s.recv(10), lambda: b.sendall(b"x"))
    assert isinstance(worker.error, OSError), worker.error or worker.result
    assert delay < 2.0


@pytest.mark.polysock_only
def test_close_wakes_a_thread_blocked_in_accept(socks):
    srv = socks.listener()
    address = srv.getsockname()
    worker, delay = blocked_call_woken_by_close(
        srv, lambda s: s.accept(), lambda: socks.socket().connect(address))
    assert isinstance(worker.error, OSError), worker.error or worker.result
    assert delay < 2.0


def test_blocking_recv_does_not_stop_other_threads(pair):
    a, b = pair
    worker = Background(lambda: a.recv(10))
    # If recv held the interpreter lock, this loop could not run.
    with Elapsed() as elapsed:
        count = sum(1 for _ in range(100000))
    b.sendall(b"go")
    assert worker.value(5) == b"go"
    assert count == 100000 and elapsed.seconds < 5


def test_shutdown_from_another_thread_wakes_recv(pair):
    a, b = pair
    worker = Background(lambda: a.recv(10))
    time.sleep(0.2)
    a.shutdown(polysock.SHUT_RD)
    assert worker.value(2) == b""


def test_many_threads_with_their_own_sockets(socks):
    srv = socks.listener()
    address = srv.getsockname()
    n_threads, rounds = 16, 50
    errors = []

    def server():
        conns = []
        for _ in range(n_threads):
            conn, _ = srv.accept()
            conns.append(conn)
            Background(echo, conn)
        return conns

    def echo(conn):
        with conn:
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                conn.sendall(data)

    def client(i):
        with polysock.socket() as c:
            c.connect(address)
            for r in range(rounds):
                msg = b"thread %d round %d" % (i, r)
                c.sendall(msg)
                if recv_exactly(c, len(msg)) != msg:
                    errors.append((i, r))
        return i

    acceptor = Background(server)
    clients = [Background(client, i) for i in range(n_threads)]
    assert sorted(c.value(30) for c in clients) == list(range(n_threads))
    acceptor.value(10)
    assert errors == []


def test_threads_share_one_socket_for_sending(pair):
    a, b = pair
    n_threads, per_thread = 8, 200
    msg_len = 16

    def sender(i):
        for j in range(per_thread):
            a.sendall(b"%02d:%013d" % (i, j))  # exactly msg_len bytes

    senders = [threading.Thread(target=sender, args=(i,)) for i in range(n_threads)]
    reader = Background(recv_exactly, b, n_threads * per_thread * msg_len)
    for t in senders:
        t.start()
    for t in senders:
        t.join(30)
    data = reader.value(30)
    # sendall of a small message is atomic on a stream socketpair: every
    # message arrives whole, and each thread's in its own order.
    messages = [data[i:i + msg_len] for i in range(0, len(data), msg_len)]
    for i in range(n_threads):
        mine = [m for m in messages if m.startswith(b"%02d:" % i)]
        assert mine == [b"%02d:%013d" % (i, j) for j in range(per_thread)]


def test_calls_work_with_a_scratch_that_has_no_buffer():
    # Only the first few per-call scratches get a buffer (so a burst of
    # blocked threads does not pin memory); a call on a later one, even
    # for 0 bytes, must allocate its own instead of passing no buffer.
    from polysock import _api
    saved_pool, saved_created = list(_api._pool), _api._Scratch.created
    try:
        del _api._pool[:]
        _api._Scratch.created = _api._SCRATCH_WITH_BUFFER
        # A 0-byte copy-out reaches the library (which refuses the forged
        # handle) instead of failing in cffi on a missing buffer.
        with pytest.raises(OSError) as caught:
            polysock.lowlevel.tls_info(0, polysock.POLYSOCK_TLS_INFO_VERSION, 0)
        assert caught.value.errno == errno.EBADF
        assert _api._pool and all(s.buf is None for s in _api._pool)
    finally:
        _api._pool[:] = saved_pool
        _api._Scratch.created = saved_created
