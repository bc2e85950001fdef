"""Socket objects: creation, every method, attributes and addresses."""

import errno
import hashlib
import os
import re
import struct

import pytest

from helpers import Background, ipv6_loopback_usable, polysock, recv_exactly

needs_ipv6 = pytest.mark.skipif(not ipv6_loopback_usable(),
                                reason="no IPv6 loopback (::1) here")


# ------------------------------------------------------------ construction

def test_socket_defaults_and_attributes():
    with polysock.socket() as s:
        assert (s.family, s.type, s.proto) == (polysock.AF_INET,
                                               polysock.SOCK_STREAM, 0)


def test_socket_keyword_arguments():
    with polysock.socket(family=polysock.AF_INET, type=polysock.SOCK_DGRAM,
                         proto=polysock.IPPROTO_UDP) as s:
        assert (s.family, s.type, s.proto) == (polysock.AF_INET, polysock.SOCK_DGRAM,
                                               polysock.IPPROTO_UDP)


def test_unix_socket_attributes():
    with polysock.socket(polysock.AF_UNIX, polysock.SOCK_DGRAM) as s:
        assert (s.family, s.type) == (polysock.AF_UNIX, polysock.SOCK_DGRAM)


def test_socket_with_bad_family_is_oserror():
    with pytest.raises(OSError) as info:
        polysock.socket(12345, polysock.SOCK_STREAM)
    assert info.value.errno == errno.EAFNOSUPPORT


def test_socket_creation_refuses_non_integers():
    with pytest.raises(TypeError):
        polysock.socket("AF_INET")


def test_repr_mentions_fd_and_family():
    with polysock.socket() as s:
        text = repr(s)
        assert "fd=%d" % s.fileno() in text
        assert re.search(r"family=(AddressFamily\.)?(AF_INET|2)\b", text), text


def test_repr_of_a_closed_socket_says_so():
    s = polysock.socket()
    s.close()
    assert "closed" in repr(s)


def test_context_manager_closes():
    with polysock.socket() as s:
        assert s.fileno() >= 0
    assert s.fileno() == -1


def test_context_manager_closes_on_error():
    with pytest.raises(KeyError):
        with polysock.socket() as s:
            raise KeyError("x")
    assert s.fileno() == -1


def test_close_is_idempotent():
    s = polysock.socket()
    s.close()
    s.close()
    assert s.fileno() == -1


def test_fileno_is_a_real_descriptor():
    with polysock.socket() as s:
        fd = s.fileno()
        assert isinstance(fd, int) and fd >= 0
        # The descriptor is the socket itself: ask the kernel through os.
        assert os.readlink("/proc/self/fd/%d" % fd).startswith("socket:")


def test_socketpair_is_connected(pair):
    a, b = pair
    assert a.family == polysock.AF_UNIX and a.type == polysock.SOCK_STREAM
    a.sendall(b"ping")
    assert recv_exactly(b, 4) == b"ping"
    b.sendall(b"pong")
    assert recv_exactly(a, 4) == b"pong"


def test_socketpair_datagram(socks):
    a, b = socks.pair(polysock.AF_UNIX, polysock.SOCK_DGRAM)
    a.send(b"one")
    a.send(b"two")
    assert b.recv(100) == b"one"
    assert b.recv(100) == b"two"


def test_fromfd_duplicates_the_descriptor(tcp_pair, socks):
    cli, conn = tcp_pair
    dup = socks.track(polysock.fromfd(cli.fileno(), polysock.AF_INET,
                                      polysock.SOCK_STREAM))
    assert dup.fileno() != cli.fileno()
    assert dup.getsockname() == cli.getsockname()
    dup.sendall(b"via dup")
    assert recv_exactly(conn, 7) == b"via dup"
    dup.close()
    cli.sendall(b"still open")  # closing the duplicate left the original alone
    assert recv_exactly(conn, 10) == b"still open"


def test_fromfd_of_a_closed_descriptor_is_ebadf():
    fd = os.open("/dev/null", os.O_RDONLY)
    os.close(fd)
    with pytest.raises(OSError) as info:
        polysock.fromfd(fd, polysock.AF_INET, polysock.SOCK_STREAM)
    assert info.value.errno == errno.EBADF


# --------------------------------------------------------- stream methods

def test_accept_returns_connection_and_peer_address(socks):
    srv = socks.listener()
    cli = socks.socket()
    cli.connect(srv.getsockname())
    conn, addr = srv.accept()
    socks.track(conn)
    assert addr == cli.getsockname()
    assert conn.getpeername() == cli.getsockname()
    assert cli.getpeername() == srv.getsockname() == conn.getsockname()
    assert (conn.family, conn.type) == (polysock.AF_INET, polysock.SOCK_STREAM)
    assert isinstance(conn, polysock.SocketType)


def test_bind_any_address_and_port_zero(socks):
    s = socks.socket()
    s.bind(("", 0))
    host, port = s.getsockname()
    assert host == "0.0.0.0"
    assert 0 < port < 65536


def test_bind_to_a_name(socks):
    s = socks.socket()
    s.bind(("localhost", 0))
    assert s.getsockname()[0] == "127.0.0.1"


def test_broadcast_address_is_converted_not_looked_up(socks):
    s = socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM)
    # Linux lets a datagram socket bind the broadcast address, which shows
    # what '<broadcast>' became without sending anything off the host.
    s.bind(("<broadcast>", 0))
    assert s.getsockname()[0] == "255.255.255.255"


def test_getsockname_of_an_unbound_socket(socks):
    assert socks.socket().getsockname() == ("0.0.0.0", 0)


def test_getpeername_unconnected_is_enotconn(socks):
    with pytest.raises(OSError) as info:
        socks.socket().getpeername()
    assert info.value.errno == errno.ENOTCONN


def test_connect_ex_success_and_refused(socks, refusing_address):
    srv = socks.listener()
    assert socks.socket().connect_ex(srv.getsockname()) == 0
    assert socks.socket().connect_ex(refusing_address) == errno.ECONNREFUSED


def test_listen_without_backlog_and_with(socks):
    srv = socks.listener()  # listen() with no argument
    assert srv.getsockopt(polysock.SOL_SOCKET, polysock.SO_ACCEPTCONN) == 1
    other = socks.socket()
    other.bind(("127.0.0.1", 0))
    other.listen(5)
    assert other.getsockopt(polysock.SOL_SOCKET, polysock.SO_ACCEPTCONN) == 1


def test_send_and_recv(tcp_pair):
    cli, conn = tcp_pair
    assert cli.send(b"hello") == 5
    assert recv_exactly(conn, 5) == b"hello"


def test_recv_returns_bytes_and_at_most_bufsize(tcp_pair):
    cli, conn = tcp_pair
    cli.sendall(b"abcdef")
    first = recv_exactly(conn, 2)
    assert first == b"ab" and type(first) is bytes
    assert recv_exactly(conn, 4) == b"cdef"


def test_recv_with_msg_peek(tcp_pair):
    cli, conn = tcp_pair
    cli.sendall(b"peek")
    assert conn.recv(4, polysock.MSG_PEEK | polysock.MSG_WAITALL) == b"peek"
    assert conn.recv(4, polysock.MSG_WAITALL) == b"peek"


def test_recv_flags_reach_the_kernel(tcp_pair):
    cli, conn = tcp_pair  # blocking, yet MSG_DONTWAIT makes this one call not
    with pytest.raises(BlockingIOError):
        conn.recv(10, polysock.MSG_DONTWAIT)


def test_send_accepts_bytes_like_objects(tcp_pair):
    cli, conn = tcp_pair
    cli.sendall(bytearray(b"ab"))
    cli.sendall(memoryview(b"xcdx")[1:3])
    assert recv_exactly(conn, 4) == b"abcd"


def test_recv_zero_bytes_returns_at_once(tcp_pair):
    # CPython answers recv(0) without asking the kernel (which may block);
    # the timeout turns a blocking implementation into a failure, not a hang.
    cli, conn = tcp_pair
    conn.settimeout(2)
    assert conn.recv(0) == b""
    assert conn.recv_into(bytearray(0)) == 0


def test_recv_into_bytearray(tcp_pair):
    cli, conn = tcp_pair
    cli.sendall(b"12345")
    buf = bytearray(10)
    n = 0
    while n < 5:
        n += conn.recv_into(memoryview(buf)[n:])
    assert n == 5
    assert buf == b"12345" + b"\0" * 5


def test_recv_into_with_nbytes(tcp_pair):
    cli, conn = tcp_pair
    cli.sendall(b"abcdefgh")
    buf = bytearray(8)
    assert conn.recv_into(buf, 3, polysock.MSG_WAITALL) == 3
    assert buf[:3] == b"abc" and buf[3:] == b"\0" * 5
    mv = memoryview(buf)[4:]
    assert conn.recv_into(mv, 0, polysock.MSG_WAITALL) == 4
    assert buf == b"abc\0defg"


def test_recv_into_nbytes_larger_than_buffer_is_valueerror(tcp_pair):
    cli, conn = tcp_pair
    with pytest.raises(ValueError):
        conn.recv_into(bytearray(4), 5)


def test_recv_into_refuses_readonly_buffers(tcp_pair):
    cli, conn = tcp_pair
    with pytest.raises(TypeError):
        conn.recv_into(b"immutable")


def test_shutdown_write_gives_peer_eof(tcp_pair):
    cli, conn = tcp_pair
    cli.sendall(b"last")
    cli.shutdown(polysock.SHUT_WR)
    assert recv_exactly(conn, 4) == b"last"
    assert conn.recv(10) == b""
    conn.sendall(b"reply")  # the other direction still works
    assert recv_exactly(cli, 5) == b"reply"


def test_recv_after_peer_close_is_eof(tcp_pair):
    cli, conn = tcp_pair
    cli.close()
    assert conn.recv(10) == b""


def test_sendall_several_mib_through_socketpair(pair):
    a, b = pair
    data = os.urandom(1 << 20) * 6  # 6 MiB, far beyond the socket buffers

    def drain():
        digest, total = hashlib.sha256(), 0
        buf = bytearray(65536)
        while True:
            n = b.recv_into(buf)
            if n == 0:
                return total, digest.hexdigest()
            digest.update(memoryview(buf)[:n])
            total += n

    reader = Background(drain)
    assert a.sendall(data) is None
    a.shutdown(polysock.SHUT_WR)
    assert reader.value(30) == (len(data), hashlib.sha256(data).hexdigest())


# ------------------------------------------------------- datagram methods

def test_sendto_and_recvfrom(socks):
    rx = socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    tx = socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM)
    tx.bind(("127.0.0.1", 0))
    assert tx.sendto(b"datagram", rx.getsockname()) == 8
    data, addr = rx.recvfrom(100)
    assert data == b"datagram"
    assert addr == tx.getsockname()


def test_sendto_with_flags(socks):
    rx = socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    tx = socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM)
    assert tx.sendto(b"flags", 0, rx.getsockname()) == 5
    assert rx.recvfrom(100)[0] == b"flags"


def test_recvfrom_into(socks):
    rx = socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    tx = socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM)
    tx.bind(("127.0.0.1", 0))
    tx.sendto(b"into", rx.getsockname())
    buf = bytearray(10)
    n, addr = rx.recvfrom_into(buf)
    assert (n, addr) == (4, tx.getsockname())
    assert buf[:4] == b"into"


def test_datagram_truncated_to_bufsize(socks):
    rx = socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    tx = socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM)
    tx.sendto(b"0123456789", rx.getsockname())
    assert rx.recv(4) == b"0123"


def test_connected_udp_send_and_recv(socks):
    rx = socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    tx = socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM)
    tx.connect(rx.getsockname())
    assert tx.getpeername() == rx.getsockname()
    tx.send(b"connected")
    assert rx.recv(100) == b"connected"


# ------------------------------------------------------------- options

def test_getsockopt_int(socks):
    s = socks.socket()
    assert s.getsockopt(polysock.SOL_SOCKET, polysock.SO_TYPE) == polysock.SOCK_STREAM
    u = socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM)
    assert u.getsockopt(polysock.SOL_SOCKET, polysock.SO_TYPE) == polysock.SOCK_DGRAM


def test_getsockopt_buffer(socks):
    s = socks.socket()
    raw = s.getsockopt(polysock.SOL_SOCKET, polysock.SO_TYPE, 4)
    assert raw == struct.pack("i", polysock.SOCK_STREAM)
    # A larger buffer comes back cut to what the kernel wrote.
    assert s.getsockopt(polysock.SOL_SOCKET, polysock.SO_TYPE, 64) == raw


def test_setsockopt_int(socks):
    s = socks.socket()
    assert s.getsockopt(polysock.SOL_SOCKET, polysock.SO_REUSEADDR) == 0
    s.setsockopt(polysock.SOL_SOCKET, polysock.SO_REUSEADDR, 1)
    assert s.getsockopt(polysock.SOL_SOCKET, polysock.SO_REUSEADDR) == 1
    s.setsockopt(polysock.IPPROTO_TCP, polysock.TCP_NODELAY, 1)
    assert s.getsockopt(polysock.IPPROTO_TCP, polysock.TCP_NODELAY) == 1


def test_setsockopt_bytes(socks):
    s = socks.socket()
    linger = struct.pack("ii", 1, 7)
    s.setsockopt(polysock.SOL_SOCKET, polysock.SO_LINGER, linger)
    assert s.getsockopt(polysock.SOL_SOCKET, polysock.SO_LINGER, 8) == linger
    s.setsockopt(polysock.SOL_SOCKET, polysock.SO_KEEPALIVE, struct.pack("i", 1))
    assert s.getsockopt(polysock.SOL_SOCKET, polysock.SO_KEEPALIVE) == 1


def test_getsockopt_unknown_option_is_enoprotoopt(socks):
    with pytest.raises(OSError) as info:
        socks.socket().getsockopt(polysock.SOL_SOCKET, 12345)
    assert info.value.errno == errno.ENOPROTOOPT


# ------------------------------------------------------ address families

@needs_ipv6
def test_ipv6_loopback_connection(socks):
    cli, conn = socks.tcp_pair(polysock.AF_INET6, "::1")
    name = cli.getsockname()
    assert len(name) == 4 and name[0] == "::1" and name[2:] == (0, 0)
    assert conn.getpeername() == name
    cli.sendall(b"six")
    assert recv_exactly(conn, 3) == b"six"


@needs_ipv6
def test_ipv6_bind_accepts_two_tuple_and_reports_four(socks):
    s = socks.socket(polysock.AF_INET6, polysock.SOCK_DGRAM)
    s.bind(("::1", 0))
    host, port, flowinfo, scope_id = s.getsockname()
    assert (host, flowinfo, scope_id) == ("::1", 0, 0) and port > 0


@needs_ipv6
def test_ipv6_datagram_recvfrom_gives_four_tuple(socks):
    rx = socks.socket(polysock.AF_INET6, polysock.SOCK_DGRAM)
    rx.bind(("::1", 0, 0, 0))
    tx = socks.socket(polysock.AF_INET6, polysock.SOCK_DGRAM)
    tx.bind(("::1", 0))
    tx.sendto(b"v6", rx.getsockname())
    data, addr = rx.recvfrom(10)
    assert data == b"v6" and addr == tx.getsockname() and len(addr) == 4


def test_unix_path_addresses(socks, short_tmpdir):
    path = os.path.join(short_tmpdir, "srv.sock")
    srv = socks.socket(polysock.AF_UNIX)
    srv.bind(path)
    srv.listen()
    assert srv.getsockname() == path
    cli = socks.socket(polysock.AF_UNIX)
    cli.connect(path)
    conn, addr = srv.accept()
    socks.track(conn)
    assert addr == ""  # the client never bound: unnamed, as Python 3 says
    assert cli.getpeername() == path
    cli.sendall(b"unix")
    assert recv_exactly(conn, 4) == b"unix"


def test_unix_path_as_bytes(socks, short_tmpdir):
    path = os.path.join(short_tmpdir, "b.sock")
    s = socks.socket(polysock.AF_UNIX)
    s.bind(path.encode())
    assert s.getsockname() == path
    assert os.path.exists(path)


def test_unix_abstract_name_is_bytes(socks):
    name = b"\0polysock-test-%d" % os.getpid()
    srv = socks.socket(polysock.AF_UNIX)
    srv.bind(name)
    srv.listen()
    assert srv.getsockname() == name
    cli = socks.socket(polysock.AF_UNIX)
    cli.connect(name)
    assert cli.getpeername() == name
    conn, _ = srv.accept()
    socks.track(conn)
    conn.sendall(b"abstract")
    assert recv_exactly(cli, 8) == b"abstract"


def test_unnamed_unix_addresses(socks, short_tmpdir):
    # Python 3: a socketpair end has the empty name; a datagram from an
    # unbound sender has no address at all (None).
    a, b = socks.pair()
    assert a.getsockname() == "" and a.getpeername() == ""
    path = os.path.join(short_tmpdir, "dgram.sock")
    rx = socks.socket(polysock.AF_UNIX, polysock.SOCK_DGRAM)
    rx.bind(path)
    tx = socks.socket(polysock.AF_UNIX, polysock.SOCK_DGRAM)
    tx.sendto(b"anon", path)
    assert rx.recvfrom(10) == (b"anon", None)


def test_unix_path_too_long_is_oserror(socks):
    with pytest.raises(OSError):
        socks.socket(polysock.AF_UNIX).bind("/tmp/" + "a" * 200)


def test_dup_is_another_socket_on_the_same_connection(socks):
    a, b = socks.pair()
    a.settimeout(2.5)
    twin = socks.track(a.dup())
    assert twin.fileno() != a.fileno()
    assert (twin.family, twin.type, twin.proto) == (a.family, a.type, a.proto)
    assert twin.gettimeout() == 2.5
    twin.sendall(b"via dup")
    assert recv_exactly(b, 7) == b"via dup"
    # Closing the original leaves the duplicate working.
    a.close()
    b.sendall(b"back")
    assert recv_exactly(twin, 4) == b"back"


def test_create_connection_connects_with_the_timeout_given(socks):
    srv = socks.listener()
    host, port = srv.getsockname()
    cli = socks.track(polysock.create_connection(("localhost", port), 3.0))
    conn, peer = srv.accept()
    socks.track(conn)
    assert cli.gettimeout() == 3.0
    assert cli.getpeername() == (host, port)
    assert peer == cli.getsockname()
    cli.sendall(b"hello")
    assert recv_exactly(conn, 5) == b"hello"


def test_create_connection_default_timeout_and_source_address(socks):
    srv = socks.listener()
    source = socks.socket()
    source.bind(("127.0.0.1", 0))
    source_port = source.getsockname()[1]
    source.close()  # free the port for create_connection to bind
    polysock.setdefaulttimeout(4.0)  # restored by the autouse fixture
    cli = socks.track(polysock.create_connection(
        srv.getsockname(), source_address=("127.0.0.1", source_port)))
    assert cli.gettimeout() == 4.0
    assert cli.getsockname() == ("127.0.0.1", source_port)


def test_create_connection_raises_the_connect_error(refusing_address):
    with pytest.raises(ConnectionRefusedError):
        polysock.create_connection(refusing_address, 2.0)


def test_create_connection_unknown_host_is_gaierror():
    with pytest.raises(polysock.gaierror):
        polysock.create_connection(("polysock-tests.invalid", 80), 2.0)
