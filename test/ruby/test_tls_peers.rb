# frozen_string_literal: true

require_relative "helper"
require "openssl" # Ruby's own TLS library: reads the fixtures' certificates independently

# Polysock::SSL against implementations that are not polysock: Python's ssl
# module and the openssl CLI, run by test/tls/peer.py (its README.md is the
# contract of each mode).  Our client against their servers, our server
# against their clients, and every way a peer can be refused or misbehave.
class TestTLSPeers < PolysockTest::Case
  def connect(peer)
    sock = socket
    sock.connect(["127.0.0.1", peer.port])
    sock
  end

  # Connect to a peer and wrap, trusting the test CA unless told otherwise.
  def client_of(peer, **options)
    track(Polysock.ssl(connect(peer), **{ cafile: cert("ca.pem") }.merge(options)))
  end

  def assert_peer_succeeded(peer)
    status, output = finish_peer(peer)
    assert status.success?, "peer.py failed: #{output}"
    output
  end

  # A handshake the peer must see fail: the error raised on our side.
  def refused_by(mode, error_class, **options)
    peer = tls_peer(mode, "--expect-handshake", "fail")
    sock = connect(peer)
    live = Polysock.get_stats[:live_handles]
    e = assert_raises(error_class) { Polysock.ssl(sock, **options) }
    assert_equal live, Polysock.get_stats[:live_handles], "the refused connection was not freed"
    refute sock.closed?, "the socket is the caller's to close"
    sock.close
    assert_peer_succeeded(peer)
    e
  end

  # ---- our client, their servers ----

  def test_round_trip_with_python_ssl_ending_in_close_notify
    peer = tls_peer("echo")
    ssl = client_of(peer)
    assert_equal 11, ssl.write("hello world")
    assert_equal "hello world", ssl_read_exactly(ssl, 11)
    assert_match(/\ATLSv1\.[23]\z/, ssl.version)
    assert_equal OpenSSL::X509::Certificate.new(File.read(cert("good.pem"))).to_der, ssl.peer_cert
    # A FIN from us ends the echo; the peer answers with close_notify.
    ssl.socket.shutdown(Polysock::SHUT_WR)
    assert_equal "", ssl.read(100)
    assert_peer_succeeded(peer)
  end

  def test_bare_fin_from_the_peer_is_an_eof_error
    peer = tls_peer("echo-fin")
    ssl = client_of(peer)
    ssl.write("x")
    assert_equal "x", ssl.read(1)
    ssl.socket.shutdown(Polysock::SHUT_WR)
    e = assert_raises(Polysock::SSLEOFError) { ssl.read(100) }
    assert_equal "POLYSOCK_ETLS_EOF", e.errname
    assert_includes e.message, Polysock.strerror(Polysock::Native::ETLS_EOF)
    assert_peer_succeeded(peer)
  end

  def test_bare_fin_from_the_peer_is_a_clean_eof_when_allowed
    peer = tls_peer("echo-fin")
    ssl = client_of(peer, allow_unexpected_eof: true)
    ssl.write("x")
    assert_equal "x", ssl.read(1)
    ssl.socket.shutdown(Polysock::SHUT_WR)
    assert_equal "", ssl.read(100)
    assert_peer_succeeded(peer)
  end

  def test_round_trip_with_openssl_s_server
    peer = tls_peer("s_server")
    ssl = client_of(peer)
    ssl.write("polysock\n") # s_server -rev answers each line reversed
    assert_equal "kcosylop\n", ssl_read_exactly(ssl, 9)
    ssl.close
    ssl.socket.close
    assert_peer_succeeded(peer)
  end

  def test_alpn_with_python_ssl
    peer = tls_peer("alpn", "--alpn", "h2,http/1.1")
    ssl = client_of(peer, alpn_protocols: %w[http/1.1 spdy/3])
    assert_equal "http/1.1", ssl.alpn_protocol
    ssl.socket.shutdown(Polysock::SHUT_WR)
    assert_equal "", ssl.read
    assert_peer_succeeded(peer)
  end

  def test_client_certificate_to_a_server_that_requires_one
    peer = tls_peer("require-client-cert")
    ssl = track(Polysock.ssl(connect(peer), cert("client.key"), cert("client.pem"), cafile: cert("ca.pem")))
    ssl.write("with cert")
    assert_equal "with cert", ssl_read_exactly(ssl, 9)
    ssl.socket.shutdown(Polysock::SHUT_WR)
    assert_equal "", ssl.read
    assert_peer_succeeded(peer)
  end

  # ---- refusals ----

  def test_self_signed_server_is_refused
    e = refused_by("selfsigned", Polysock::SSLCertVerificationError, cafile: cert("ca.pem"))
    assert_equal "POLYSOCK_ETLS_CERT_UNTRUSTED", e.errname
    assert_match(/self[- ]signed certificate/, e.reason)
    assert_includes e.message, e.reason
  end

  def test_server_of_an_unknown_ca_is_refused_by_the_system_store
    e = refused_by("echo", Polysock::SSLCertVerificationError)
    assert_equal "POLYSOCK_ETLS_CERT_UNTRUSTED", e.errname
    assert_match(/\Aunable to get local issuer certificate\b/, e.reason)
  end

  def test_expired_server_is_refused
    e = refused_by("expired", Polysock::SSLCertVerificationError, cafile: cert("ca.pem"))
    assert_equal "POLYSOCK_ETLS_CERT_EXPIRED", e.errname
    assert_match(/\Acertificate has expired\b/, e.reason)
    assert_match(/\(certificate has expired\b/, e.message)
  end

  def test_server_for_another_name_is_refused
    e = refused_by("otherhost", Polysock::SSLCertVerificationError,
                   cafile: cert("ca.pem"), server_hostname: "localhost")
    assert_equal "POLYSOCK_ETLS_CERT_HOSTNAME", e.errname
    assert_match(/\Ahostname mismatch\b/i, e.reason)
  end

  def test_server_for_another_name_is_refused_for_an_ip_address
    e = refused_by("otherhost", Polysock::SSLCertVerificationError, cafile: cert("ca.pem"))
    assert_equal "POLYSOCK_ETLS_CERT_HOSTNAME", e.errname
    assert_match(/\AIP address mismatch\b/, e.reason)
  end

  def test_the_name_verified_is_server_hostname
    peer = tls_peer("otherhost")
    ssl = client_of(peer, server_hostname: "other.example")
    assert_equal "other.example", ssl.server_hostname
    assert_equal "/C=US/O=polysock test/CN=other.example", ssl.server
    ssl.socket.shutdown(Polysock::SHUT_WR)
    assert_equal "", ssl.read
    assert_peer_succeeded(peer)
  end

  def test_verification_can_be_turned_off
    peer = tls_peer("selfsigned")
    ssl = client_of(peer, cafile: nil, verify: false)
    assert_equal OpenSSL::X509::Certificate.new(File.read(cert("selfsigned.pem"))).to_der, ssl.peer_cert
    ssl.write("trusting")
    assert_equal "trusting", ssl_read_exactly(ssl, 8)
    ssl.socket.shutdown(Polysock::SHUT_WR)
    assert_equal "", ssl.read
    assert_peer_succeeded(peer)
  end

  def test_old_protocol_versions_are_refused
    %w[tls1.0 tls1.1].each do |mode|
      peer = tls_peer(mode)
      sock = connect(peer)
      e = assert_raises(Polysock::SSLError, mode) { Polysock.ssl(sock, cafile: cert("ca.pem")) }
      assert_equal "POLYSOCK_ETLS_VERSION", e.errname, "#{mode}: #{e.message}"
      refute_kind_of Polysock::SSLCertVerificationError, e
      sock.close
      finish_peer(peer) # s_server's own status after a refused client is not the point
    end
  end

  def test_no_host_name_known_is_refused_before_any_io
    a, = pair
    e = assert_raises(Polysock::SSLError) { Polysock.ssl(a, cafile: cert("ca.pem")) }
    assert_equal "POLYSOCK_ETLS_NONAME", e.errname
    # An accepted socket has no host of its own either.
    _, conn = tcp_pair
    e = assert_raises(Polysock::SSLError) { Polysock.ssl(conn, cafile: cert("ca.pem")) }
    assert_equal "POLYSOCK_ETLS_NONAME", e.errname
  end

  # ---- peers that misbehave ----

  def test_silent_server_times_the_handshake_out
    peer = tls_peer("silent")
    sock = connect(peer)
    sock.settimeout(1.0)
    seconds = elapsed { assert_raises(Polysock::Timeout) { Polysock.ssl(sock, cafile: cert("ca.pem")) } }
    assert_operator seconds, :>=, 0.95
    assert_operator seconds, :<, 10
    sock.close
    assert_peer_succeeded(peer)
  end

  def test_plaintext_server_is_a_protocol_error
    peer = tls_peer("plaintext")
    sock = connect(peer)
    e = assert_raises(Polysock::SSLError) { Polysock.ssl(sock, cafile: cert("ca.pem")) }
    assert_equal "POLYSOCK_ETLS_PROTOCOL", e.errname
    refute_nil e.reason
    # The peer shuts its side down after its reply: wait for that before
    # closing, so the close cannot reset the connection under it.
    sock.settimeout(10)
    nil until sock.recv(4096).empty?
    sock.close
    assert_peer_succeeded(peer)
  end

  def test_server_closing_mid_handshake_is_an_eof_error
    peer = tls_peer("close-mid-handshake")
    sock = connect(peer)
    e = assert_raises(Polysock::SSLEOFError) { Polysock.ssl(sock, cafile: cert("ca.pem")) }
    assert_equal "POLYSOCK_ETLS_EOF", e.errname
    sock.close
    assert_peer_succeeded(peer)
  end

  def test_plaintext_then_reset_is_an_error_not_a_hang
    peer = tls_peer("plaintext-reset")
    sock = connect(peer)
    e = assert_raises(Polysock::Error) { Polysock.ssl(sock, cafile: cert("ca.pem")) }
    # The plaintext is there to read before the reset is: the engine sees it.
    assert_equal "POLYSOCK_ETLS_PROTOCOL", e.errname, e.message
    sock.close
    assert_peer_succeeded(peer)
  end

  # ---- our server, their clients ----

  # Serve one client of peer.py in mode: echo what it sends until its
  # close_notify.  Returns what the peer printed.
  def serve_peer(mode, *args, **options)
    srv = listener
    peer = spawn_peer(mode, "--port", srv.getsockname[1], *args)
    conn, = srv.accept
    track(conn)
    conn.settimeout(30)
    served = Polysock::SSL.open(conn, cert("good.key"), cert("good.pem"), server_side: true, **options) do |ssl|
      received = String.new(encoding: Encoding::BINARY)
      until (data = ssl.read(4096)).empty?
        received << data
        ssl.write(data)
      end
      [received, ssl]
    end
    [assert_peer_succeeded(peer), *served]
  end

  def test_python_ssl_client
    output, received = serve_peer("client-python")
    assert_equal "hello from python", received
    assert_equal "ECHOED b'hello from python'\n", output
  end

  def test_openssl_s_client
    output, received = serve_peer("client-s_client")
    assert_equal "hello from s_client\n", received
    assert_equal "ECHOED b'hello from s_client\\n'\n", output
  end

  def test_python_client_with_alpn
    output, = serve_peer("client-python", "--alpn", "spdy/3,http/1.1", alpn_protocols: %w[h2 http/1.1])
    assert_equal "ECHOED b'hello from python'\nALPN http/1.1\n", output
  end

  def test_python_client_certificate_required_and_seen
    srv = listener
    peer = spawn_peer("client-python-cert", "--port", srv.getsockname[1])
    conn, = srv.accept
    track(conn)
    conn.settimeout(30)
    subject = Polysock::SSL.open(conn, cert("good.key"), cert("good.pem"), server_side: true,
                                                                           cafile: cert("ca.pem"),
                                                                           require_client_cert: true) do |ssl|
      until (data = ssl.read(4096)).empty?
        ssl.write(data)
      end
      ssl.subject_rfc4514
    end
    assert_equal "CN=polysock test client,O=polysock test,C=US", subject
    assert_equal "ECHOED b'hello from python'\n", assert_peer_succeeded(peer)
  end
end
