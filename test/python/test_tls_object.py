"""The SSL object's life and polysock.ssl()'s arguments: bad option values
raise TypeError/ValueError before any I/O, files are checked, I/O after
close() is the closed-handle error, the garbage collector frees dropped
connections, and the reference's SSL example runs."""

import errno
import gc
import os
import subprocess
import sys

import pytest

from helpers import SRCDIR, polysock

pytestmark = pytest.mark.polysock_only


def collect():
    # PyPy runs finalizers of objects found dead in a later collection.
    for _ in range(3):
        gc.collect()


def live_handles():
    return polysock.lowlevel.get_stats().live_handles


def echo_conn(socks, peer, certs, **options):
    server = peer("echo")
    sock = socks.socket()
    sock.settimeout(10.0)
    sock.connect(("localhost", server.port))
    return polysock.ssl(sock, cafile=os.path.join(certs, "ca.pem"), **options)


# ---- Bad arguments: the language's errors, before any I/O ----

@pytest.mark.parametrize("options, error", [
    ({"server_side": 1}, TypeError),
    ({"verify": "no"}, TypeError),
    ({"suppress_ragged_eofs": None}, TypeError),
    ({"do_handshake_on_connect": "yes"}, TypeError),
    ({"require_client_cert": 1}, TypeError),
    ({"alpn_protocols": "h2"}, TypeError),
    ({"alpn_protocols": [b"h2", 2]}, TypeError),
    ({"alpn_protocols": 5}, TypeError),
    ({"alpn_protocols": ["h2,http/1.1"]}, ValueError),
    ({"alpn_protocols": [""]}, ValueError),
    ({"alpn_protocols": ["x" * 256]}, ValueError),
    ({"alpn_protocols": ["h2\0x"]}, ValueError),  # the vector row Python skips
    ({"minimum_version": "TLSv1.1"}, ValueError),
    ({"minimum_version": 0x0302}, ValueError),
    ({"minimum_version": 1.3}, TypeError),
    ({"server_hostname": 5}, TypeError),
    ({"server_hostname": ""}, ValueError),
    ({"server_hostname": "a\0b"}, ValueError),
    ({"cafile": 5}, TypeError),
    ({"cafile": "a\0b"}, ValueError),
    ({"require_client_cert": True}, ValueError),   # client side
    ({"keyfile": "client.key"}, ValueError),       # without certfile
    ({"unknown_option": True}, TypeError),
])
def test_bad_client_options_raise_before_any_io(socks, options, error):
    a, b = socks.pair()
    before = live_handles()
    with pytest.raises(error):
        polysock.ssl(a, **options)
    assert live_handles() == before
    b.setblocking(False)
    with pytest.raises(BlockingIOError):  # nothing was sent
        b.recv(1)


@pytest.mark.parametrize("options, error", [
    ({}, ValueError),                                   # no certfile
    ({"certfile": "good.pem", "server_hostname": "x"}, ValueError),
    ({"certfile": "good.pem", "verify": False}, ValueError),
])
def test_bad_server_options_raise(socks, certs, options, error):
    a, _ = socks.pair()
    if "certfile" in options:
        options["certfile"] = os.path.join(certs, options["certfile"])
    with pytest.raises(error):
        polysock.ssl(a, server_side=True, **options)


def test_non_blocking_socket_needs_an_explicit_handshake(socks):
    a, _ = socks.pair()
    a.setblocking(False)
    with pytest.raises(ValueError):
        polysock.ssl(a, server_hostname="localhost")


def test_not_a_polysock_socket_is_a_type_error():
    with pytest.raises(TypeError):
        polysock.ssl(object())


def test_missing_files_are_os_errors(socks, certs, tmp_path):
    a, _ = socks.pair()
    with pytest.raises(FileNotFoundError):
        polysock.ssl(a, server_hostname="localhost",
                     cafile=str(tmp_path / "missing.pem"))
    with pytest.raises(FileNotFoundError):
        polysock.ssl(a, server_side=True, certfile=tmp_path / "missing.pem")


def test_bad_certificate_content_is_a_config_error(socks, certs, tmp_path):
    a, _ = socks.pair()
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    with pytest.raises(polysock.sslerror) as info:
        polysock.ssl(a, server_side=True, certfile=junk)
    assert polysock.lowlevel.errname(info.value.code) == "POLYSOCK_ETLS_CONFIG"
    # A key that does not belong to the certificate.
    with pytest.raises(polysock.sslerror) as info:
        polysock.ssl(a, os.path.join(certs, "client.key"),
                     os.path.join(certs, "good.pem"), server_side=True)
    assert polysock.lowlevel.errname(info.value.code) == "POLYSOCK_ETLS_CONFIG"


def test_write_refuses_str(socks, peer, certs):
    with echo_conn(socks, peer, certs) as conn:
        with pytest.raises(TypeError):
            conn.write("text")
        assert conn.write(bytearray(b"ab")) == 2
        assert conn.write(memoryview(b"cd")) == 2
        data = b""
        while len(data) < 4:
            data += conn.read(4)
        assert data == b"abcd"


def test_getpeercert_offers_only_the_binary_form(socks, peer, certs):
    with echo_conn(socks, peer, certs) as conn:
        with pytest.raises(ValueError):
            conn.getpeercert(binary_form=False)


def test_ssl_object_is_made_only_by_ssl():
    with pytest.raises(TypeError):
        polysock.SSLObject()


# ---- Closing ----

def test_read_and_write_after_close_are_the_closed_handle_error(socks, peer,
                                                                certs):
    conn = echo_conn(socks, peer, certs)
    conn.close()
    for call in (lambda: conn.read(1), lambda: conn.write(b"x"),
                 conn.do_handshake, conn.pending, conn.version):
        with pytest.raises(OSError) as info:
            call()
        assert type(info.value) is OSError
        assert info.value.errno == errno.EBADF
    conn.close()  # twice: nothing


def test_close_keeps_the_socket_open(socks, peer, certs):
    conn = echo_conn(socks, peer, certs)
    sock = conn.unwrap()
    assert sock.fileno() >= 0
    assert sock.getpeername()[0] == "127.0.0.1"
    assert "[closed]" in repr(conn)


def test_context_manager_closes_the_connection(socks, peer, certs):
    before = live_handles()
    with echo_conn(socks, peer, certs) as conn:
        assert live_handles() == before + 2  # the socket and the connection
    assert live_handles() == before + 1
    assert "[closed]" in repr(conn)


def test_handshake_failure_frees_the_connection(socks, peer, certs):
    server = peer("selfsigned", "--expect-handshake", "fail")
    sock = socks.socket()
    sock.settimeout(10.0)
    sock.connect(("localhost", server.port))
    before = live_handles()
    with pytest.raises(polysock.SSLCertVerificationError):
        polysock.ssl(sock, cafile=os.path.join(certs, "ca.pem"))
    assert live_handles() == before


def test_dropped_ssl_objects_are_closed_by_the_garbage_collector(socks, peer,
                                                                 certs):
    server = peer("echo", "--count", "3")
    collect()
    start = polysock.lowlevel.get_stats()
    socks_used = []
    for _ in range(3):
        sock = socks.socket()
        sock.settimeout(10.0)
        sock.connect(("localhost", server.port))
        socks_used.append(sock)
        conn = polysock.ssl(sock, cafile=os.path.join(certs, "ca.pem"))
        conn.write(b"x")
        assert conn.read(1) == b"x"
        del conn
        # The peer serves one connection after the other: let it see our
        # EOF now, whenever the collector runs.
        sock.shutdown(polysock.SHUT_WR)
    collect()
    now = polysock.lowlevel.get_stats()
    # Only the three sockets are left: every TLS connection was freed.
    assert now.live_handles == start.live_handles + 3
    for sock in socks_used:
        sock.close()
    collect()
    end = polysock.lowlevel.get_stats()
    assert (end.live_handles, end.live_sockets) == (start.live_handles,
                                                    start.live_sockets)
    assert server.finish()[0] == 0


# ---- The reference's example ----

def test_ssl_client_example_against_an_echo_peer(peer, certs):
    server = peer("echo")
    example = os.path.join(SRCDIR, "docs", "examples", "python",
                           "ssl_client.py")
    result = subprocess.run(
        [sys.executable, example, "localhost", str(server.port),
         "--cafile", os.path.join(certs, "ca.pem")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert result.returncode == 0, result.stderr
    request = b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n"
    assert result.stdout.decode().splitlines() == [
        repr("/C=US/ST=California/L=Mountain View/O=polysock test/"
             "CN=localhost"),
        repr("/C=US/O=polysock test/CN=polysock test CA"),
        "Received %r" % request,
    ]
    assert server.finish()[0] == 0
