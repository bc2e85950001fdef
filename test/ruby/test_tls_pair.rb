# frozen_string_literal: true

require_relative "helper"
require "openssl" # Ruby's own TLS library: reads the fixtures' certificates independently

# Polysock::SSL talking to itself over loopback: a server thread and a
# client, each wrapping a Polysock socket.  What the two ends agree on
# (protocol, cipher, ALPN, certificates), how a connection ends, and the
# socket's timeout modes through TLS.
class TestTLSPair < PolysockTest::Case
  def der_of(name)
    OpenSSL::X509::Certificate.new(File.read(cert(name))).to_der
  end

  # A server that echoes what it reads until the client's close_notify.
  def echo_server(**options)
    tls_server(**options) do |ssl|
      until (data = ssl.read(4096)).empty?
        ssl.write(data)
      end
      :done
    end
  end

  def test_round_trip_and_what_both_ends_agree_on
    address, server = tls_server do |ssl|
      got = ssl.read(5)
      ssl.write(got.upcase)
      [ssl.version, ssl.cipher, ssl.peer_cert, ssl.server_hostname]
    end
    ssl = tls_client(address, server_hostname: "localhost")
    assert_equal 5, ssl.write("hello")
    assert_equal "HELLO", ssl_read_exactly(ssl, 5)
    assert_equal Encoding::BINARY, ssl.read(0).encoding
    version, cipher, client_cert, requested_name = join_within(server, 20).value
    assert_equal "TLSv1.3", ssl.version # both ends are OpenSSL 3: the best they share
    assert_equal version, ssl.version
    assert_match(/\ATLS_[A-Z0-9_]+\z/, ssl.cipher)
    assert_equal cipher, ssl.cipher
    assert_equal der_of("good.pem"), ssl.peer_cert
    assert_equal Encoding::BINARY, ssl.peer_cert.encoding
    assert_nil client_cert, "the client presented no certificate"
    assert_equal "localhost", requested_name
    assert_equal "localhost", ssl.server_hostname
  end

  def test_the_host_given_to_connect_is_the_name_verified
    address, server = echo_server
    ssl = tls_client(address)
    assert_equal "127.0.0.1", ssl.server_hostname
    assert_equal 3, ssl.write("abc")
    assert_equal "abc", ssl_read_exactly(ssl, 3)
    ssl.close
    assert_equal :done, join_within(server, 20).value
  end

  def test_read_without_length_reads_until_close_notify
    payload = (0...70_000).map { |i| (i % 251).chr }.join.b
    address, server = tls_server do |ssl|
      ssl.write(payload)
      nil # SSL.open closes: close_notify
    end
    ssl = tls_client(address)
    assert_equal payload, ssl.read
    assert_equal "", ssl.read(10), "after the end, reads stay at the end"
    join_within(server, 20)
  end

  def test_bare_fin_is_an_eof_error_unless_allowed
    [false, true].each do |allow|
      address, server = tls_server do |ssl|
        ssl.write("last")
        ssl.socket.shutdown(Polysock::SHUT_RDWR) # a FIN, and no close_notify
        nil
      end
      ssl = tls_client(address, allow_unexpected_eof: allow)
      assert_equal "last", ssl_read_exactly(ssl, 4)
      if allow
        assert_equal "", ssl.read(10)
      else
        e = assert_raises(Polysock::SSLEOFError) { ssl.read(10) }
        assert_equal "POLYSOCK_ETLS_EOF", e.errname
        assert_equal Polysock::Native::ETLS_EOF, e.code
        assert_kind_of Polysock::SSLError, e
      end
      join_within(server, 20)
    end
  end

  def test_alpn_the_server_picks_its_first_protocol_the_client_offers
    address, server = tls_server(alpn_protocols: %w[h2 http/1.1]) { |ssl| ssl.alpn_protocol }
    ssl = tls_client(address, alpn_protocols: %w[spdy/1 http/1.1])
    assert_equal "http/1.1", ssl.alpn_protocol
    assert_equal "http/1.1", join_within(server, 20).value
  end

  def test_no_alpn_offered_is_nil_on_both_ends
    address, server = tls_server(alpn_protocols: %w[h2]) { |ssl| ssl.alpn_protocol }
    ssl = tls_client(address)
    assert_nil ssl.alpn_protocol
    assert_nil join_within(server, 20).value
  end

  def test_minimum_version_by_name_and_by_constant
    ["TLSv1.3", Polysock::POLYSOCK_TLS_VERSION_1_3, "TLSv1.2"].each do |floor|
      address, server = tls_server(min_version: floor, &:version)
      ssl = tls_client(address, min_version: floor)
      assert_equal "TLSv1.3", ssl.version
      assert_equal "TLSv1.3", join_within(server, 20).value
    end
  end

  def test_required_client_certificate_is_checked_and_seen_by_the_server
    address, server = tls_server(cafile: cert("ca.pem"), require_client_cert: true) do |ssl|
      [ssl.peer_subject, ssl.peer_cert, ssl.read(4)]
    end
    ssl = tls_client(address, cert("client.key"), cert("client.pem"))
    ssl.write("ping")
    subject, client_cert, got = join_within(server, 20).value
    assert_equal [[["countryName", "US"]], [["organizationName", "polysock test"]],
                  [["commonName", "polysock test client"]]], subject
    assert_equal der_of("client.pem"), client_cert
    assert_equal "ping", got
  end

  def test_required_client_certificate_missing_fails_the_handshake
    address, server = tls_server(cafile: cert("ca.pem"), require_client_cert: true) { :served }
    # TLS 1.3: the client's handshake ends before the server has checked
    # the client's (empty) certificate; the server's refusal (an alert)
    # reaches the client on its next read.
    ssl = tls_client(address)
    e = assert_raises(Polysock::SSLError) { ssl.read(1) }
    refute_nil e.reason, "the engine gave no reason: #{e.message}"
    e = assert_raises(Polysock::SSLError) { join_within(server, 20).value }
    assert_match(/certificate/i, e.message)
  end

  def test_many_handshakes_at_once
    count = 8
    pairs = Array.new(count) { |i| [i, echo_server] }
    clients = pairs.map do |i, (address, _)|
      background do
        sock = track(Polysock.socket)
        sock.settimeout(30)
        sock.connect(address)
        Polysock::SSL.open(sock, cafile: cert("ca.pem")) do |ssl|
          message = "client #{i}"
          ssl.write(message)
          ssl_read_exactly(ssl, message.bytesize)
        end
      end
    end
    assert_equal Array.new(count) { |i| "client #{i}" }, clients.map { |t| join_within(t, 40).value }
    pairs.each { |_, (_, server)| assert_equal :done, join_within(server, 20).value }
  end

  # Non-blocking sockets: every call that would wait raises a
  # SSLErrorWaitReadable/Writable (IO::WaitReadable/Writable); IO.select on
  # the connection and repeating the call completes it.
  def test_non_blocking_handshake_and_io_by_select_and_repeat
    srv = listener
    cli = socket
    cli.connect(srv.getsockname)
    conn, = srv.accept
    track(conn)
    [cli, conn].each { |s| s.setblocking(false) }
    client = track(Polysock.ssl(cli, cafile: cert("ca.pem"), handshake: false))
    server = track(Polysock.ssl(conn, cert("good.key"), cert("good.pem"), server_side: true,
                                                                          handshake: false))
    waits = []
    repeat = lambda do |ssl, &call|
      loop do
        return call.call
      rescue IO::WaitReadable => e
        waits << e
        IO.select([ssl], nil, nil, 5)
      rescue IO::WaitWritable => e
        waits << e
        IO.select(nil, [ssl], nil, 5)
      end
    end
    e = assert_raises(Polysock::SSLErrorWaitReadable) { client.read(1) }
    assert_kind_of IO::WaitReadable, e
    assert_equal "POLYSOCK_ETLS_WANTREAD", e.errname
    waits.clear
    finisher = background { repeat.call(server) { server.handshake } }
    repeat.call(client) { client.handshake }
    join_within(finisher, 20)
    refute_empty waits, "a non-blocking handshake never had to wait"
    assert(waits.all? { |w| w.is_a?(Polysock::SSLErrorWaitReadable) || w.is_a?(Polysock::SSLErrorWaitWritable) })
    assert_equal "TLSv1.3", client.version
    assert_equal 2, repeat.call(client) { client.write("hi") }
    assert_equal "hi", repeat.call(server) { server.read(2) }
  end

  # A non-blocking write sends what fits and says how much: the rest,
  # written from that count on, arrives intact after what went first.
  def test_non_blocking_write_returns_the_count_that_went
    payload = Random.new(7).bytes(32 * 1024 * 1024)
    release = Queue.new
    address, server = tls_server do |ssl|
      release.pop # not reading yet: the client's buffers fill up
      ssl_read_exactly(ssl, payload.bytesize)
    end
    ssl = tls_client(address)
    ssl.socket.setblocking(false)
    first = ssl.write(payload)
    assert_operator first, :>, 0
    assert_operator first, :<, payload.bytesize, "32 MiB fit into the buffers of a peer not reading"
    e = assert_raises(Polysock::SSLErrorWaitWritable, Polysock::SSLErrorWaitReadable) do
      ssl.write(payload.byteslice(first, payload.bytesize - first))
    end
    assert_kind_of IO::WaitWritable, e if e.is_a?(Polysock::SSLErrorWaitWritable)
    release << :go
    sent = first
    while sent < payload.bytesize
      begin
        sent += ssl.write(payload.byteslice(sent, payload.bytesize - sent))
      rescue IO::WaitWritable
        IO.select(nil, [ssl], nil, 10)
      rescue IO::WaitReadable
        IO.select([ssl], nil, nil, 10)
      end
    end
    assert_equal payload.bytesize, sent
    assert join_within(server, 40).value == payload, "the bytes arrived out of order or altered"
  end

  def test_a_non_blocking_socket_cannot_handshake_inside_ssl
    srv = listener
    cli = socket
    cli.connect(srv.getsockname)
    cli.setblocking(false)
    live = Polysock.get_stats[:live_handles]
    e = assert_raises(ArgumentError) { Polysock.ssl(cli, cafile: cert("ca.pem")) }
    assert_match(/handshake: false/, e.message)
    assert_equal live, Polysock.get_stats[:live_handles]
  end

  def test_handshake_times_out_under_the_socket_timeout
    srv = listener # accepts (the kernel does) but never speaks TLS
    sock = socket
    sock.settimeout(0.5)
    sock.connect(srv.getsockname)
    live = Polysock.get_stats[:live_handles]
    seconds = elapsed do
      e = assert_raises(Polysock::Timeout) { Polysock.ssl(sock, cafile: cert("ca.pem")) }
      assert_equal "ETIMEDOUT", e.errname
    end
    assert_operator seconds, :>=, 0.45
    assert_operator seconds, :<, 10, "the handshake outlived its timeout by far"
    assert_equal live, Polysock.get_stats[:live_handles], "the failed connection was not freed"
    refute sock.closed?, "the socket is the caller's to close"
  end

  def test_a_read_times_out_under_the_socket_timeout
    address, server = tls_server { |ssl| ssl.read(1) }
    ssl = tls_client(address)
    ssl.socket.settimeout(0.3)
    assert_raises(Polysock::Timeout) { ssl.read(1) }
    ssl.write("x")
    assert_equal "x", join_within(server, 20).value
  end

  def test_ssl_open_yields_closes_and_leaves_the_socket_open
    address, server = echo_server
    sock = socket
    sock.connect(address)
    kept = nil
    value = Polysock::SSL.open(sock, cafile: cert("ca.pem")) do |ssl|
      kept = ssl
      ssl.write("x")
      ssl_read_exactly(ssl, 1)
    end
    assert_equal "x", value
    assert kept.closed?
    refute sock.closed?
    assert_equal :done, join_within(server, 20).value, "close sent no close_notify"
    assert_equal sock.fileno, kept.socket.fileno
  end

  def test_calls_after_close_raise_the_closed_handle_error
    address, server = echo_server
    ssl = tls_client(address)
    assert_nil ssl.close
    assert ssl.closed?
    assert_nil ssl.close, "a second close does nothing"
    %i[read write pending version handshake].each do |call|
      e = assert_raises(Polysock::Error, call.to_s) do
        call == :write ? ssl.write("x") : ssl.public_send(call)
      end
      assert_equal "POLYSOCK_EBADHANDLE", e.errname, call.to_s
      refute_kind_of Polysock::SSLError, e
    end
    assert_equal "#<Polysock::SSL (closed)>", ssl.inspect
    join_within(server, 20)
  end

  def test_one_thread_reads_while_another_writes
    address, server = echo_server
    ssl = tls_client(address)
    chunk = "0123456789abcdef".b * 64
    rounds = 300
    reader = background { ssl_read_exactly(ssl, chunk.bytesize * rounds) }
    writer = background { Array.new(rounds) { ssl.write(chunk) }.sum }
    assert_equal chunk.bytesize * rounds, join_within(writer, 40).value
    assert_equal chunk * rounds, join_within(reader, 40).value
    ssl.close
    assert_equal :done, join_within(server, 20).value
  end

  def test_timeout_interrupts_a_blocked_read_promptly
    address, server = tls_server { |ssl| ssl.read(1) }
    ssl = tls_client(address)
    seconds = elapsed do
      assert_raises(Timeout::Error) { Timeout.timeout(0.3) { ssl.read(1) } }
    end
    assert_operator seconds, :<, 5, "Timeout.timeout did not interrupt the read"
    # The connection still works after the interrupted read.
    ssl.write("y")
    assert_equal "y", join_within(server, 20).value
  end

  def test_thread_kill_ends_a_thread_blocked_in_read
    address, server = tls_server { |ssl| ssl.read(1) }
    ssl = tls_client(address)
    reader = background { ssl.read(1) }
    sleep 0.3
    assert reader.alive?, "the read did not block"
    seconds = elapsed do
      reader.kill
      reader.join(5)
    end
    refute reader.alive?, "Thread#kill did not end the blocked read"
    assert_operator seconds, :<, 2
    ssl.write("z")
    assert_equal "z", join_within(server, 20).value
  end

  def test_write_takes_strings_of_any_encoding_as_their_bytes
    address, server = tls_server { |ssl| ssl_read_exactly(ssl, 7) }
    ssl = tls_client(address)
    assert_equal 4, ssl.write("Zür")
    assert_equal 2, ssl.write("\xff\x00".b)
    assert_equal 1, ssl.write("é".encode("ISO-8859-1"))
    assert_equal "Z\xC3\xBCr\xFF\x00\xE9".b, join_within(server, 20).value
    assert_raises(TypeError) { ssl.write(42) }
    assert_raises(TypeError) { ssl.write(nil) }
  end

  def test_pending_counts_decrypted_bytes_not_yet_read
    address, server = tls_server { |ssl| ssl.write("0123456789") && ssl.read(1) }
    ssl = tls_client(address)
    assert_equal "0", ssl.read(1)
    # One record arrived: its other nine bytes are decrypted and waiting.
    assert_equal 9, ssl.pending
    assert_equal "123456789", ssl.read(100)
    assert_equal 0, ssl.pending
    ssl.write("!")
    join_within(server, 20)
  end
end
