"""polysock.ssl() as a client against external peers (test/tls/peer.py):
Python's ssl module and openssl s_server; verification and its refusals,
broken and outdated peers, timeouts, EOF with and without close_notify,
ALPN and what the handshake negotiated."""

import os
import ssl as stdlib_ssl

import pytest

from helpers import Elapsed, polysock

pytestmark = pytest.mark.polysock_only

TLS13_SUITES = {"TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256",
                "TLS_CHACHA20_POLY1305_SHA256"}


def connect(socks, port, host="localhost", timeout=10.0):
    s = socks.socket(polysock.AF_INET, polysock.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, port))
    return s


def read_exactly(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.read(n - len(data))
        assert chunk, "EOF after %r" % data
        data += chunk
    return data


def errname(exc):
    """The library's name of a TLS error's code, without the prefix."""
    name = polysock.lowlevel.errname(exc.code)
    assert name.startswith("POLYSOCK_"), name
    return name[len("POLYSOCK_"):]


def echo_round_trip(conn, message=b"Hello, world"):
    assert conn.write(message) == len(message)
    assert read_exactly(conn, len(message)) == message


def assert_peer_satisfied(server, sock):
    """Close our side; the peer must then exit 0: every connection went as
    it expected (an echo peer saw our EOF, a refusing one its failed
    handshake)."""
    sock.close()
    status, _ = server.finish()
    assert status == 0, server.stderr()


# ---- Round trips ----

def test_round_trip_with_python_ssl_server(socks, peer, certs):
    server = peer("echo")
    sock = connect(socks, server.port)
    with polysock.ssl(sock, cafile=os.path.join(certs, "ca.pem")) as conn:
        echo_round_trip(conn)
        echo_round_trip(conn, b"x" * 100000)
    assert_peer_satisfied(server, sock)


def test_round_trip_with_openssl_s_server(socks, peer, certs):
    # s_server -rev answers each line reversed.
    server = peer("s_server")
    sock = connect(socks, server.port)
    with polysock.ssl(sock, cafile=os.path.join(certs, "ca.pem")) as conn:
        line = b"polysock over s_server"
        assert conn.write(line + b"\n") == len(line) + 1
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = conn.read(1024)
            assert chunk, "EOF after %r" % answer
            answer += chunk
        assert answer == line[::-1] + b"\n"
    assert_peer_satisfied(server, sock)


def test_ip_address_is_verified_against_the_ip_san(socks, peer, certs):
    server = peer("echo")
    sock = connect(socks, server.port, host="127.0.0.1")
    with polysock.ssl(sock, cafile=os.path.join(certs, "ca.pem")) as conn:
        assert conn.server_hostname == "127.0.0.1"
        echo_round_trip(conn)


def test_capath_directory_is_trusted(socks, peer, certs):
    server = peer("echo")
    with polysock.ssl(connect(socks, server.port),
                      capath=os.path.join(certs, "capath")) as conn:
        echo_round_trip(conn)


# ---- Verification refused, with the engine's reason ----

@pytest.mark.parametrize("mode, code, reason", [
    ("selfsigned", "ETLS_CERT_UNTRUSTED", "self-signed certificate"),
    ("expired", "ETLS_CERT_EXPIRED", "certificate has expired"),
    ("otherhost", "ETLS_CERT_HOSTNAME", "hostname mismatch"),
])
def test_bad_certificate_is_refused_with_class_and_reason(socks, peer, certs,
                                                          mode, code, reason):
    server = peer(mode, "--expect-handshake", "fail")
    sock = connect(socks, server.port)
    with pytest.raises(polysock.SSLCertVerificationError) as info:
        polysock.ssl(sock, cafile=os.path.join(certs, "ca.pem"))
    exc = info.value
    assert isinstance(exc, polysock.sslerror)
    assert isinstance(exc, OSError) and isinstance(exc, ValueError)
    assert errname(exc) == code
    assert exc.verify_code == exc.code
    assert reason in exc.verify_message.lower()
    assert exc.reason == exc.verify_message
    assert exc.reason in str(exc)
    assert_peer_satisfied(server, sock)


def test_server_of_an_unknown_ca_is_untrusted(socks, peer):
    # The system store does not know the test CA.
    server = peer("echo", "--expect-handshake", "fail")
    sock = connect(socks, server.port)
    with pytest.raises(polysock.SSLCertVerificationError) as info:
        polysock.ssl(sock)
    assert errname(info.value) == "ETLS_CERT_UNTRUSTED"
    assert "unable to get local issuer certificate" in str(info.value)
    assert_peer_satisfied(server, sock)


def test_verification_off_accepts_a_self_signed_server(socks, peer):
    server = peer("selfsigned")
    sock = connect(socks, server.port)
    with polysock.ssl(sock, verify=False) as conn:
        echo_round_trip(conn)
    assert_peer_satisfied(server, sock)


def test_explicit_server_hostname_is_the_name_verified(socks, peer, certs):
    server = peer("echo", "--count", "2", "--expect-handshake", "any")
    ca = os.path.join(certs, "ca.pem")
    sock = connect(socks, server.port, host="127.0.0.1")
    with pytest.raises(polysock.SSLCertVerificationError) as info:
        polysock.ssl(sock, cafile=ca, server_hostname="other.example")
    assert errname(info.value) == "ETLS_CERT_HOSTNAME"
    sock2 = connect(socks, server.port, host="127.0.0.1")
    with polysock.ssl(sock2, cafile=ca, server_hostname="localhost") as conn:
        assert conn.server_hostname == "localhost"
        echo_round_trip(conn)


def test_socket_without_a_host_name_is_refused_before_any_io(socks):
    a, b = socks.pair()
    with pytest.raises(polysock.sslerror) as info:
        polysock.ssl(a)
    assert errname(info.value) == "ETLS_NONAME"
    # Nothing was sent: the other end has no data waiting.
    b.setblocking(False)
    with pytest.raises(BlockingIOError):
        b.recv(1)


def test_client_certificate_is_presented_when_required(socks, peer, certs):
    server = peer("require-client-cert")
    ca = os.path.join(certs, "ca.pem")
    sock = connect(socks, server.port)
    with polysock.ssl(sock, os.path.join(certs, "client.key"),
                      os.path.join(certs, "client.pem"), cafile=ca) as conn:
        echo_round_trip(conn)
    assert_peer_satisfied(server, sock)


def test_missing_client_certificate_fails(socks, peer, certs):
    server = peer("require-client-cert", "--expect-handshake", "fail")
    with pytest.raises(polysock.sslerror) as info:
        # TLS 1.3 reports the server's refusal after the client's side of
        # the handshake is done: at the first read.  (No write: the server
        # may have closed by then, and a write would meet a reset.)
        conn = polysock.ssl(connect(socks, server.port),
                            cafile=os.path.join(certs, "ca.pem"))
        conn.read(1)
    assert errname(info.value) == "ETLS_HANDSHAKE"
    assert "certificate required" in info.value.reason


# ---- Peers that are not (modern) TLS ----

def test_handshake_timeout_against_a_silent_peer(socks, peer, certs):
    server = peer("silent")
    sock = connect(socks, server.port, timeout=0.5)
    with Elapsed() as elapsed:
        with pytest.raises(polysock.timeout):
            polysock.ssl(sock, cafile=os.path.join(certs, "ca.pem"))
    assert 0.4 <= elapsed.seconds < 5.0


def test_plaintext_peer_is_a_protocol_error(socks, peer, certs):
    server = peer("plaintext")
    with pytest.raises(polysock.sslerror) as info:
        polysock.ssl(connect(socks, server.port),
                     cafile=os.path.join(certs, "ca.pem"))
    assert errname(info.value) == "ETLS_PROTOCOL"
    assert "wrong version number" in str(info.value)


def test_peer_closing_mid_handshake_is_an_eof_error(socks, peer, certs):
    server = peer("close-mid-handshake")
    with pytest.raises(polysock.SSLEOFError) as info:
        polysock.ssl(connect(socks, server.port),
                     cafile=os.path.join(certs, "ca.pem"))
    assert errname(info.value) == "ETLS_EOF"


def test_plaintext_answer_then_reset_is_a_protocol_error(socks, peer, certs):
    # The plaintext arrives before the reset and is read first: it is what
    # the handshake fails on, as with the plaintext peer.
    server = peer("plaintext-reset")
    with pytest.raises(polysock.sslerror) as info:
        polysock.ssl(connect(socks, server.port),
                     cafile=os.path.join(certs, "ca.pem"))
    assert errname(info.value) == "ETLS_PROTOCOL"
    assert "wrong version number" in info.value.reason


@pytest.mark.parametrize("mode", ["tls1.0", "tls1.1"])
def test_outdated_protocol_versions_are_refused(socks, peer, certs, mode):
    server = peer(mode)
    sock = connect(socks, server.port)
    with pytest.raises(polysock.sslerror) as info:
        polysock.ssl(sock, cafile=os.path.join(certs, "ca.pem"))
    assert errname(info.value) == "ETLS_VERSION"
    assert info.value.reason


def test_minimum_version_tls13_is_negotiated(socks, peer, certs):
    server = peer("echo")
    with polysock.ssl(connect(socks, server.port), minimum_version="TLSv1.3",
                      cafile=os.path.join(certs, "ca.pem")) as conn:
        assert conn.version() == "TLSv1.3"
        assert conn.cipher() in TLS13_SUITES


# ---- EOF: close_notify or a bare FIN ----

def read_until_eof(conn):
    data = b""
    while True:
        chunk = conn.read(4096)
        if not chunk:
            return data
        data += chunk


def ask_peer_to_close(conn):
    """Send a message and half-close the TCP connection: the echo peers
    echo what they read, then close (with or without close_notify)."""
    conn.write(b"bye")
    conn._sock.shutdown(polysock.SHUT_WR)


def test_close_notify_reads_as_clean_eof(socks, peer, certs):
    server = peer("echo")
    with polysock.ssl(connect(socks, server.port),
                      cafile=os.path.join(certs, "ca.pem")) as conn:
        ask_peer_to_close(conn)
        assert read_until_eof(conn) == b"bye"
        assert conn.read(10) == b""


def test_read_without_n_reads_everything_until_close_notify(socks, peer,
                                                            certs):
    server = peer("echo")
    with polysock.ssl(connect(socks, server.port),
                      cafile=os.path.join(certs, "ca.pem")) as conn:
        ask_peer_to_close(conn)
        assert conn.read() == b"bye"


def test_bare_fin_is_an_eof_error(socks, peer, certs):
    server = peer("echo-fin")
    with polysock.ssl(connect(socks, server.port),
                      cafile=os.path.join(certs, "ca.pem")) as conn:
        ask_peer_to_close(conn)
        assert read_exactly(conn, 3) == b"bye"
        with pytest.raises(polysock.SSLEOFError) as info:
            conn.read(10)
        assert errname(info.value) == "ETLS_EOF"


def test_bare_fin_is_clean_eof_with_suppress_ragged_eofs(socks, peer, certs):
    server = peer("echo-fin")
    with polysock.ssl(connect(socks, server.port), suppress_ragged_eofs=True,
                      cafile=os.path.join(certs, "ca.pem")) as conn:
        ask_peer_to_close(conn)
        assert read_until_eof(conn) == b"bye"


# ---- What the handshake negotiated ----

def test_alpn_protocol_is_selected(socks, peer, certs):
    server = peer("alpn")
    with polysock.ssl(connect(socks, server.port),
                      alpn_protocols=["polysock-unknown", "http/1.1"],
                      cafile=os.path.join(certs, "ca.pem")) as conn:
        assert conn.selected_alpn_protocol() == "http/1.1"


def test_no_alpn_gives_none(socks, peer, certs):
    server = peer("echo")
    with polysock.ssl(connect(socks, server.port),
                      cafile=os.path.join(certs, "ca.pem")) as conn:
        assert conn.selected_alpn_protocol() is None


def test_version_cipher_and_peer_certificate(socks, peer, certs):
    server = peer("echo")
    with open(os.path.join(certs, "good.pem")) as f:
        good_der = stdlib_ssl.PEM_cert_to_DER_cert(f.read())
    sock = connect(socks, server.port)
    conn = polysock.ssl(sock, cafile=os.path.join(certs, "ca.pem"),
                        do_handshake_on_connect=False)
    assert (conn.version(), conn.cipher(), conn.getpeercert()) == (
        None, None, None)
    conn.do_handshake()
    assert conn.version() in ("TLSv1.2", "TLSv1.3")
    assert conn.cipher()
    assert conn.getpeercert() == good_der
    assert conn.getpeercert(binary_form=True) == good_der
    assert conn.server_side is False
    assert conn.fileno() == sock.fileno()
    assert conn.pending() == 0
    conn.close()
