"""Signals during blocking calls (PEP 475 semantics): a handler that raises
interrupts the call and its exception propagates promptly; a handler that
returns lets the call go on, with its timeout's deadline kept.

A binding that got this wrong would block forever, so every test has a
rescue: a thread that sends data, or a handler that raises, after a few
seconds, which makes the test fail instead of hang."""

import signal
import threading
import time

import pytest

from helpers import Background, Elapsed, polysock

RESCUE_AFTER = 4.0


class Alarm(Exception):
    pass


@pytest.fixture
def itimer():
    """Install a SIGALRM handler and start the interval timer; both are
    undone after the test."""
    old = signal.getsignal(signal.SIGALRM)

    def start(handler, first, interval=0.0):
        signal.signal(signal.SIGALRM, handler)
        signal.setitimer(signal.ITIMER_REAL, first, interval)

    yield start
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, old)


def send_later(sock, delay, data, cancel=None):
    """Send data after delay seconds unless cancel (an Event) is set."""
    def run():
        if cancel is not None and cancel.wait(delay):
            return
        if cancel is None:
            time.sleep(delay)
        sock.sendall(data)
    return Background(run)


def raise_alarm(signum, frame):
    raise Alarm()


def test_raising_handler_interrupts_blocking_recv(pair, itimer):
    a, b = pair
    done = threading.Event()
    rescue = send_later(b, RESCUE_AFTER, b"rescue", done)
    itimer(raise_alarm, 0.2)
    with Elapsed() as elapsed:
        with pytest.raises(Alarm):
            a.recv(10)
    done.set()
    rescue.join(RESCUE_AFTER + 5)
    assert elapsed.seconds < 1.0, "recv was not interrupted"


def test_raising_handler_interrupts_accept(socks, itimer):
    srv = socks.listener()
    done = threading.Event()

    def rescue():
        if not done.wait(RESCUE_AFTER):
            socks.socket().connect(srv.getsockname())

    helper = Background(rescue)
    itimer(raise_alarm, 0.2)
    with Elapsed() as elapsed:
        with pytest.raises(Alarm):
            srv.accept()
    done.set()
    helper.join(RESCUE_AFTER + 5)
    assert elapsed.seconds < 1.0, "accept was not interrupted"


def test_raising_handler_interrupts_recv_in_timeout_mode(pair, itimer):
    a, b = pair
    a.settimeout(RESCUE_AFTER)
    itimer(raise_alarm, 0.2)
    with Elapsed() as elapsed:
        with pytest.raises(Alarm):
            a.recv(10)
    assert elapsed.seconds < 1.0, "recv was not interrupted"


def test_returning_handler_lets_recv_continue(pair, itimer):
    a, b = pair
    calls = []
    itimer(lambda signum, frame: calls.append(signum), 0.05, 0.05)
    sender = send_later(b, 0.5, b"data")
    with Elapsed() as elapsed:
        data = a.recv(10)
    signal.setitimer(signal.ITIMER_REAL, 0)
    sender.value(5)
    assert data == b"data"
    assert elapsed.seconds >= 0.4
    assert len(calls) >= 2, "the handler never ran during the recv"
    assert set(calls) == {signal.SIGALRM}


def test_returning_handler_keeps_the_timeout_deadline(pair, itimer):
    a, b = pair
    a.settimeout(0.6)
    started = time.monotonic()

    def handler(signum, frame):
        # A binding that restarts the timeout on every signal would never
        # time out with a signal every 0.1 s: end the test instead.
        if time.monotonic() - started > RESCUE_AFTER:
            raise Alarm("the timeout never fired: deadline restarted")

    itimer(handler, 0.1, 0.1)
    with Elapsed() as elapsed:
        with pytest.raises(polysock.timeout):
            a.recv(10)
    assert 0.55 <= elapsed.seconds < 1.6, elapsed.seconds


def test_returning_handler_keeps_accept_deadline(socks, itimer):
    srv = socks.listener()
    srv.settimeout(0.6)
    started = time.monotonic()

    def handler(signum, frame):
        if time.monotonic() - started > RESCUE_AFTER:
            raise Alarm("the timeout never fired: deadline restarted")

    itimer(handler, 0.1, 0.1)
    with Elapsed() as elapsed:
        with pytest.raises(polysock.timeout):
            srv.accept()
    assert 0.55 <= elapsed.seconds < 1.6, elapsed.seconds


def test_returning_handler_during_sendall_sends_everything(pair, itimer):
    a, b = pair
    data = bytes(range(256)) * 8192  # 2 MiB: sendall blocks several times
    received = []

    def drain():
        time.sleep(0.3)  # let sendall block on a full buffer first
        total = 0
        while total < len(data):
            chunk = b.recv(65536)
            if not chunk:
                break
            received.append(chunk)
            total += len(chunk)

    calls = []
    itimer(lambda signum, frame: calls.append(signum), 0.05, 0.05)
    reader = Background(drain)
    a.sendall(data)
    reader.value(10)
    signal.setitimer(signal.ITIMER_REAL, 0)
    assert b"".join(received) == data
    assert calls, "the handler never ran during the sendall"
