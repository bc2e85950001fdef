"""Errors: the exception classes of Python 3's socket module, argument
checks, closed sockets, broken connections and partial sendall."""

import errno
import os
import subprocess
import sys
import textwrap

import pytest

from helpers import STDLIB, polysock


# ------------------------------------------------------------ OS errors

def test_connect_to_a_closed_port_is_connectionrefusederror(socks, refusing_address):
    with pytest.raises(ConnectionRefusedError) as info:
        socks.socket().connect(refusing_address)
    assert info.value.errno == errno.ECONNREFUSED


def test_nonblocking_recv_without_data_is_blockingioerror(pair):
    a, b = pair
    a.setblocking(False)
    with pytest.raises(BlockingIOError) as info:
        a.recv(10)
    assert info.value.errno in (errno.EAGAIN, errno.EWOULDBLOCK)


def test_nonblocking_accept_without_client_is_blockingioerror(socks):
    srv = socks.listener()
    srv.setblocking(False)
    with pytest.raises(BlockingIOError):
        srv.accept()


def test_send_to_a_closed_peer_is_brokenpipe(pair):
    a, b = pair
    b.close()
    with pytest.raises((BrokenPipeError, ConnectionResetError)) as info:
        for _ in range(100):  # the first send may still be accepted
            a.send(b"x" * 1000)
    assert info.value.errno in (errno.EPIPE, errno.ECONNRESET)


SIGPIPE_CHILD = textwrap.dedent("""
    import signal, sys
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # what a C program has
    from helpers import polysock
    a, b = polysock.socketpair()
    b.close()
    try:
        for _ in range(100):
            a.send(b"x" * 1000)
    except (BrokenPipeError, ConnectionResetError) as e:
        print("raised", e.errno)
        sys.exit(0)
    sys.exit("no error")
""")


@pytest.mark.polysock_only
def test_no_sigpipe_even_with_the_default_handler():
    # Python ignores SIGPIPE at startup, so this needs a child process that
    # restores the default action: a send must not kill it.
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [here, env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, "-c", SIGPIPE_CHILD], env=env,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, (proc.returncode, proc.stderr)
    assert proc.stdout.strip() in ("raised %d" % errno.EPIPE,
                                   "raised %d" % errno.ECONNRESET)


# ------------------------------------------------------ closed sockets

CLOSED_SOCKET_CALLS = {
    "recv": lambda s: s.recv(1),
    "recv_into": lambda s: s.recv_into(bytearray(1)),
    "recvfrom": lambda s: s.recvfrom(1),
    "send": lambda s: s.send(b"x"),
    "sendall": lambda s: s.sendall(b"x"),
    "sendto": lambda s: s.sendto(b"x", ("127.0.0.1", 9)),
    "connect": lambda s: s.connect(("127.0.0.1", 9)),
    "bind": lambda s: s.bind(("127.0.0.1", 0)),
    "listen": lambda s: s.listen(),
    "accept": lambda s: s.accept(),
    "getsockname": lambda s: s.getsockname(),
    "getpeername": lambda s: s.getpeername(),
    "getsockopt": lambda s: s.getsockopt(polysock.SOL_SOCKET, polysock.SO_TYPE),
    "setsockopt": lambda s: s.setsockopt(polysock.SOL_SOCKET, polysock.SO_REUSEADDR, 1),
    "shutdown": lambda s: s.shutdown(polysock.SHUT_RDWR),
}


@pytest.mark.parametrize("method", sorted(CLOSED_SOCKET_CALLS))
def test_closed_socket_use_is_ebadf(method):
    s = polysock.socket()
    s.close()
    with pytest.raises(OSError) as info:
        CLOSED_SOCKET_CALLS[method](s)
    assert info.value.errno == errno.EBADF
    assert info.value.strerror == os.strerror(errno.EBADF)


def test_connect_ex_on_a_closed_socket_returns_ebadf():
    # connect_ex reports errors of the connection as its result (CPython
    # returns EBADF here too).
    s = polysock.socket()
    s.close()
    assert s.connect_ex(("127.0.0.1", 9)) == errno.EBADF


def test_fileno_after_close_is_minus_one():
    s = polysock.socket()
    s.close()
    assert s.fileno() == -1


def test_modes_of_a_closed_socket_are_still_readable():
    s = polysock.socket()
    s.settimeout(3.0)
    s.close()
    assert s.gettimeout() == 3.0


# --------------------------------------------------- partial sendall

@pytest.mark.polysock_only
def test_sendall_timeout_reports_bytes_sent(pair):
    a, b = pair  # b never reads
    a.settimeout(0.3)
    data = b"\xab" * (32 << 20)  # far more than the socket buffers hold
    with pytest.raises(polysock.timeout) as info:
        a.sendall(data)
    sent = info.value.bytes_sent
    assert 0 < sent < len(data)
    # What was reported sent is exactly what the peer can read.
    b.setblocking(False)
    got = 0
    while True:
        try:
            chunk = b.recv(1 << 20)
        except BlockingIOError:
            break
        assert chunk == b"\xab" * len(chunk)
        got += len(chunk)
    assert got == sent


# ------------------------------------------------------ argument errors

def test_negative_recv_size_is_valueerror(tcp_pair):
    cli, _ = tcp_pair
    with pytest.raises(ValueError):
        cli.recv(-1)
    with pytest.raises(ValueError):
        cli.recvfrom(-1)


def test_negative_recv_into_size_is_valueerror(tcp_pair):
    cli, _ = tcp_pair
    with pytest.raises(ValueError):
        cli.recv_into(bytearray(4), -1)


def test_negative_timeout_is_valueerror(socks):
    s = socks.socket()
    with pytest.raises(ValueError):
        s.settimeout(-1)
    with pytest.raises(ValueError):
        s.settimeout(-0.001)
    assert s.gettimeout() is None


def test_nan_timeout_is_valueerror(socks):
    with pytest.raises(ValueError):
        socks.socket().settimeout(float("nan"))


def test_wrong_argument_types_are_typeerror(tcp_pair, socks):
    cli, _ = tcp_pair
    with pytest.raises(TypeError):
        cli.recv("x")
    with pytest.raises(TypeError):
        cli.send("str")
    with pytest.raises(TypeError):
        cli.sendall("str")
    with pytest.raises(TypeError):
        cli.settimeout("1")
    with pytest.raises(TypeError):
        socks.socket().connect("notatuple")
    with pytest.raises(TypeError):
        socks.socket().bind(("127.0.0.1", "80"))
    with pytest.raises(TypeError):
        socks.socket().connect(("127.0.0.1",))


@pytest.mark.parametrize("method", ["send", "sendall"])
@pytest.mark.parametrize("data,kind", [("str", "str"), (None, "NoneType"),
                                       (42, "int")])
def test_data_without_the_buffer_protocol_names_itself(tcp_pair, method,
                                                       data, kind):
    # The stdlib's message, not cffi's ("from_buffer() cannot return the
    # address of a unicode object").
    with pytest.raises(TypeError,
                       match="bytes-like object is required, not '%s'" % kind):
        getattr(tcp_pair[0], method)(data)


def test_inet_ntoa_of_str_names_the_type():
    with pytest.raises(TypeError, match="bytes-like object is required, not 'str'"):
        polysock.inet_ntoa("abcd")


def test_unix_address_must_be_str_or_bytes(socks):
    with pytest.raises(TypeError):
        socks.socket(polysock.AF_UNIX).bind(("/tmp/x", 0))


def test_recv_requires_an_argument(tcp_pair):
    with pytest.raises(TypeError):
        tcp_pair[0].recv()


@pytest.mark.parametrize("port", [-1, 65536, 2**32])
@pytest.mark.parametrize("method", ["connect", "bind", "connect_ex"])
def test_port_out_of_range_is_overflowerror(socks, method, port):
    with pytest.raises(OverflowError):
        getattr(socks.socket(), method)(("127.0.0.1", port))


@pytest.mark.parametrize("port", [-1, 65536])
def test_sendto_port_out_of_range_is_overflowerror(socks, port):
    with pytest.raises(OverflowError):
        socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM).sendto(
            b"x", ("127.0.0.1", port))


def test_htons_65536_is_overflowerror():
    with pytest.raises(OverflowError):
        polysock.htons(65536)


def test_host_with_nul_is_typeerror(socks):
    # CPython: "host name must not contain null character" (TypeError
    # through the idna codec / str argument parsing).
    with pytest.raises(TypeError):
        socks.socket().connect(("127.0.0.1\0x", 80))


def test_unknown_host_in_connect_is_gaierror(socks):
    with pytest.raises(polysock.gaierror):
        socks.socket().connect(("polysock-tests.invalid", 80))


def test_family_mismatch_is_typeerror_for_a_pair_on_ipv4(socks):
    with pytest.raises(TypeError):
        socks.socket().connect(("::1", 80, 0, 0))


def test_stdlib_mode_flag_is_honest():
    # Guards against a run that silently tested the wrong module.
    import socket
    assert (polysock is socket) == STDLIB
