"""polysock.ssl(server_side=True) against external clients (openssl
s_client, Python's ssl), client certificates, and polysock on both ends
of a connection: reading in one thread while another writes, and many
handshakes at once."""

import hashlib
import os
import threading

import pytest

from helpers import Background, polysock

pytestmark = pytest.mark.polysock_only

CHUNK = 16384


def server_conn(listener, certs, **options):
    conn_sock, _ = listener.accept()
    conn_sock.settimeout(10.0)
    return conn_sock, polysock.ssl(conn_sock, os.path.join(certs, "good.key"),
                                   os.path.join(certs, "good.pem"),
                                   server_side=True, **options)


def echo_until_eof(conn):
    while True:
        data = conn.read(CHUNK)
        if not data:
            return
        conn.write(data)


def serve_one_client(socks, peer, certs, mode, **options):
    """Accept the peer client MODE, echo until its close_notify, close; the
    peer's exit status and output, and our connection's view of it."""
    listener = socks.listener()
    client = peer(mode, "--port", listener.getsockname()[1])
    listener.settimeout(30.0)
    sock, conn = server_conn(listener, certs, **options)
    socks.track(sock)
    seen = {"subject": conn.peer_subject(), "version": conn.version(),
            "server_hostname": conn.server_hostname}
    echo_until_eof(conn)
    conn.close()
    sock.close()
    status, out = client.finish()
    assert status == 0, client.stderr()
    return out, seen


def test_our_server_with_openssl_s_client(socks, peer, certs):
    out, seen = serve_one_client(socks, peer, certs, "client-s_client")
    assert out == "ECHOED %r\n" % b"hello from s_client\n"
    assert seen["subject"] is None  # no client certificate asked for
    assert seen["server_hostname"] == "localhost"  # its SNI


def test_our_server_with_python_ssl_client(socks, peer, certs):
    out, seen = serve_one_client(socks, peer, certs, "client-python")
    assert out == "ECHOED %r\n" % b"hello from python"
    assert seen["version"] in ("TLSv1.2", "TLSv1.3")


def test_our_server_requires_and_reads_a_client_certificate(socks, peer,
                                                            certs):
    out, seen = serve_one_client(socks, peer, certs, "client-python-cert",
                                 require_client_cert=True,
                                 cafile=os.path.join(certs, "ca.pem"))
    assert out == "ECHOED %r\n" % b"hello from python"
    assert seen["subject"] == ((("countryName", "US"),),
                               (("organizationName", "polysock test"),),
                               (("commonName", "polysock test client"),))


def test_our_server_refuses_a_client_without_certificate(socks, peer, certs):
    listener = socks.listener()
    client = peer("client-python", "--port", listener.getsockname()[1])
    listener.settimeout(30.0)
    with pytest.raises(polysock.sslerror) as info:
        sock, conn = server_conn(listener, certs, require_client_cert=True,
                                 cafile=os.path.join(certs, "ca.pem"))
        socks.track(sock)
        conn.read(1)
    assert info.value.reason
    status, _ = client.finish()
    assert status == 1  # the client saw its handshake refused


def test_our_server_selects_alpn(socks, peer, certs):
    listener = socks.listener()
    client = peer("client-python", "--port", listener.getsockname()[1],
                  "--alpn", "h2,http/1.1")
    listener.settimeout(30.0)
    sock, conn = server_conn(listener, certs,
                             alpn_protocols=["http/1.1", "h2"])
    socks.track(sock)
    assert conn.selected_alpn_protocol() == "http/1.1"
    echo_until_eof(conn)
    conn.close()
    status, out = client.finish()
    assert status == 0, client.stderr()
    assert out.splitlines()[1] == "ALPN http/1.1"


# ---- polysock on both ends ----

def connected_pair(socks, certs, **client_options):
    """(client conn, server conn) over loopback, both polysock."""
    listener = socks.listener()
    client_sock = socks.socket()
    client_sock.settimeout(30.0)
    accepting = Background(server_conn, listener, certs)
    client_sock.connect(listener.getsockname())
    client = polysock.ssl(client_sock, server_hostname="localhost",
                          cafile=os.path.join(certs, "ca.pem"),
                          **client_options)
    server_sock, server = accepting.value(30)
    socks.track(server_sock)
    return client, server


def test_one_thread_reads_while_another_writes(socks, certs):
    # 4 MiB through an echo: without a concurrent reader, the writer would
    # block once the socket buffers are full.
    client, server = connected_pair(socks, certs)
    echo = Background(echo_until_eof, server)
    payload = os.urandom(4 << 20)

    def write_all():
        for i in range(0, len(payload), CHUNK):
            client.write(payload[i:i + CHUNK])

    writer = Background(write_all)
    received = hashlib.sha256()
    count = 0
    while count < len(payload):
        chunk = client.read(65536)
        assert chunk
        received.update(chunk)
        count += len(chunk)
    writer.value(60)
    assert count == len(payload)
    assert received.digest() == hashlib.sha256(payload).digest()
    client.close()
    echo.value(30)
    server.close()


def test_several_handshakes_at_once(socks, certs):
    count = 8
    listener = socks.listener()
    listener.listen(count)
    address = listener.getsockname()
    ready = threading.Barrier(count)

    def serve():
        sock, conn = server_conn(listener, certs)
        try:
            echo_until_eof(conn)
        finally:
            conn.close()
            sock.close()

    def client(number):
        with polysock.socket() as sock:
            sock.settimeout(30.0)
            sock.connect(address)
            ready.wait(30)
            with polysock.ssl(sock, server_hostname="localhost",
                              cafile=os.path.join(certs, "ca.pem")) as conn:
                message = b"client %d" % number
                conn.write(message)
                data = b""
                while len(data) < len(message):
                    data += conn.read(len(message) - len(data))
                return data

    servers = [Background(serve) for _ in range(count)]
    clients = [Background(client, n) for n in range(count)]
    assert [c.value(60) for c in clients] == [b"client %d" % n
                                              for n in range(count)]
    for s in servers:
        s.value(30)
