# frozen_string_literal: true

require_relative "helper"

# Errors: exception classes and errno values, argument checks, closed
# sockets, broken connections, partial sendall.
class TestErrors < PolysockTest::Case
  # ---- OS errors -------------------------------------------------------------

  def test_connect_to_a_closed_port_is_econnrefused
    e = assert_raises(Polysock::Error) { socket.connect(refusing_address) }
    assert_equal Errno::ECONNREFUSED::Errno, e.errno
    assert_equal "ECONNREFUSED", e.errname
    assert_equal "Connection refused - connect", e.message
    assert_instance_of Polysock::Error, e
  end

  def test_nonblocking_recv_without_data_is_wait_readable
    a, = pair
    a.setblocking(false)
    e = assert_raises(IO::WaitReadable) { a.recv(10) }
    assert_instance_of Polysock::WaitReadable, e
    assert_includes [Errno::EAGAIN::Errno, Errno::EWOULDBLOCK::Errno], e.errno
    assert_raises(IO::WaitReadable) { a.recv_into(+"xx") }
  end

  def test_nonblocking_accept_without_client_is_wait_readable
    srv = listener
    srv.setblocking(false)
    assert_raises(Polysock::WaitReadable) { srv.accept }
  end

  def test_nonblocking_send_on_a_full_buffer_is_wait_writable
    a, = pair
    a.setblocking(false)
    e = assert_raises(IO::WaitWritable) { 100_000.times { a.send("x" * 65_536) } }
    assert_instance_of Polysock::WaitWritable, e
  end

  def test_nonblocking_connect_in_progress_is_wait_writable
    srv = listener
    cli = socket
    cli.setblocking(false)
    begin
      cli.connect(srv.getsockname)
    rescue IO::WaitWritable => e
      assert_equal Errno::EINPROGRESS::Errno, e.errno
    end
    assert_equal 1, IO.select(nil, [cli], nil, 10)&.dig(1)&.size
    assert_equal 0, cli.getsockopt(Polysock::SOL_SOCKET, Polysock::SO_ERROR)
  end

  def test_send_to_a_closed_peer_is_epipe
    a, b = pair
    b.close
    e = assert_raises(Polysock::Error) { 100.times { a.send("x" * 1000) } }
    assert_includes [Errno::EPIPE::Errno, Errno::ECONNRESET::Errno], e.errno
  end

  SIGPIPE_CHILD = <<~RUBY
    trap("PIPE", "SYSTEM_DEFAULT") # what a C program has
    require "polysock"
    a, b = Polysock.socketpair
    b.close
    begin
      100.times { a.send("x" * 1000) }
    rescue Polysock::Error => e
      puts "raised \#{e.errno}"
      exit 0
    end
    abort "no error"
  RUBY

  def test_no_sigpipe_even_with_the_default_handler
    out = IO.popen(PolysockTest.ruby_command("-e", SIGPIPE_CHILD), err: %i[child out], &:read)
    assert $?.success?, "the child died: #{$?.inspect} #{out}"
    assert_includes ["raised #{Errno::EPIPE::Errno}", "raised #{Errno::ECONNRESET::Errno}"], out.strip
  end

  # ---- closed sockets --------------------------------------------------------

  CLOSED_SOCKET_CALLS = {
    recv: ->(s) { s.recv(1) },
    recv_into: ->(s) { s.recv_into(+"x") },
    recvfrom: ->(s) { s.recvfrom(1) },
    send: ->(s) { s.send("x") },
    sendall: ->(s) { s.sendall("x") },
    sendto: ->(s) { s.sendto("x", ["127.0.0.1", 9]) },
    connect: ->(s) { s.connect(["127.0.0.1", 9]) },
    connect_ex: ->(s) { s.connect_ex(["127.0.0.1", 9]) },
    bind: ->(s) { s.bind(["127.0.0.1", 0]) },
    listen: ->(s) { s.listen },
    accept: ->(s) { s.accept },
    getsockname: ->(s) { s.getsockname },
    getpeername: ->(s) { s.getpeername },
    getsockopt: ->(s) { s.getsockopt(Polysock::SOL_SOCKET, Polysock::SO_TYPE) },
    setsockopt: ->(s) { s.setsockopt(Polysock::SOL_SOCKET, Polysock::SO_REUSEADDR, 1) },
    shutdown: ->(s) { s.shutdown(Polysock::SHUT_RDWR) },
    fileno: ->(s) { s.fileno },
    family: ->(s) { s.family },
    gettimeout: ->(s) { s.gettimeout },
    settimeout: ->(s) { s.settimeout(1) },
    setblocking: ->(s) { s.setblocking(true) },
  }.freeze

  def test_every_call_on_a_closed_socket_is_ebadf
    CLOSED_SOCKET_CALLS.each do |name, call|
      s = Polysock.socket
      s.close
      e = assert_raises(Polysock::Error, name.to_s) { call.call(s) }
      assert_equal Errno::EBADF::Errno, e.errno, name.to_s
      assert_equal "POLYSOCK_EBADHANDLE", e.errname
    end
  end

  # ---- partial sendall -------------------------------------------------------

  def test_sendall_timeout_reports_bytes_sent
    a, b = pair # b never reads
    a.settimeout(0.3)
    data = "\xab".b * (32 << 20) # far more than the socket buffers hold
    e = assert_raises(Polysock::Timeout) { a.sendall(data) }
    sent = e.bytes_sent
    assert_operator sent, :>, 0
    assert_operator sent, :<, data.bytesize
    assert_equal Errno::ETIMEDOUT::Errno, e.errno
    # What was reported sent is exactly what the peer can read.
    b.setblocking(false)
    got = 0
    loop do
      chunk = b.recv(1 << 20)
      assert_equal "\xab".b * chunk.bytesize, chunk
      got += chunk.bytesize
    rescue IO::WaitReadable
      break
    end
    assert_equal sent, got
  end

  # ---- argument errors -------------------------------------------------------

  def test_negative_recv_size_is_argument_error
    cli, = tcp_pair
    assert_raises(ArgumentError) { cli.recv(-1) }
    assert_raises(ArgumentError) { cli.recvfrom(-1) }
    assert_raises(ArgumentError) { cli.recv_into(+"xxxx", -1) }
  end

  def test_negative_and_nan_timeouts_are_argument_errors
    s = socket
    assert_raises(ArgumentError) { s.settimeout(-1) }
    assert_raises(ArgumentError) { s.settimeout(-0.001) }
    assert_raises(ArgumentError) { s.settimeout(Float::NAN) }
    assert_nil s.gettimeout
  end

  def test_wrong_argument_types_are_type_errors
    cli, = tcp_pair
    assert_raises(TypeError) { cli.recv("x") }
    assert_raises(TypeError) { cli.recv(nil) }
    assert_raises(TypeError) { cli.send(12) }
    assert_raises(TypeError) { cli.sendall([1]) }
    assert_raises(TypeError) { cli.settimeout("1") }
    assert_raises(TypeError) { cli.send("x", "0") }
    assert_raises(TypeError) { socket.connect(:notanaddress) }
    assert_raises(TypeError) { socket.bind(["127.0.0.1", "80"]) }
    assert_raises(TypeError) { socket.connect(["127.0.0.1"]) }
  end

  def test_missing_arguments_are_argument_errors
    cli, = tcp_pair
    assert_raises(ArgumentError) { cli.recv }
    assert_raises(ArgumentError) { cli.connect }
  end

  def test_port_out_of_range_is_range_error
    [-1, 65_536, 2**32].each do |port|
      assert_raises(RangeError) { socket.connect(["127.0.0.1", port]) }
      assert_raises(RangeError) { socket.bind(["127.0.0.1", port]) }
      assert_raises(RangeError) { socket.connect_ex(["127.0.0.1", port]) }
      udp = socket(Polysock::AF_INET, Polysock::SOCK_DGRAM)
      assert_raises(RangeError) { udp.sendto("x", ["127.0.0.1", port]) }
    end
    assert_raises(RangeError) { socket.bind(["127.0.0.1", 2**64]) }
  end

  def test_integer_arguments_beyond_c_int_are_range_errors
    assert_raises(RangeError) { Polysock.socket(2**32) }
    assert_raises(RangeError) { socket.listen(2**32) }
  end

  def test_host_with_nul_is_type_error
    assert_raises(TypeError) { socket.connect(["127.0.0.1\0x", 80]) }
  end

  def test_unknown_host_in_connect_is_gai_error
    e = assert_raises(Polysock::GAIError) { socket.connect(["polysock-tests.invalid", 80]) }
    assert_includes [Polysock::EAI_NONAME, Polysock::EAI_AGAIN], e.errno
  end

  def test_ipv6_address_on_an_ipv4_socket_is_type_error
    assert_raises(TypeError) { socket.connect(["::1", 80, 0, 0]) }
  end

  def test_unix_address_must_be_a_path
    assert_raises(TypeError) { socket(Polysock::AF_UNIX).bind(["/tmp/x", 0]) }
  end

  def test_error_without_errno_has_a_message
    e = assert_raises(Polysock::Error) { Polysock.getservbyname("polysock-no-such-service", "tcp") }
    assert_nil e.errno
    assert_match(/service/i, e.message)
  end

  def test_raise_code_maps_every_error_class
    {
      Polysock::Native::ETIMEOUT => Polysock::Timeout,
      Polysock::Native::EBADHANDLE => Polysock::Error,
      Polysock::Native::ENULL => TypeError,
      Polysock::Native::EPORT => RangeError,
      Polysock::Native::EVALUE => ArgumentError,
      Polysock::Native::EINETADDR => Polysock::Error,
      -Errno::EAGAIN::Errno => Polysock::Error,
    }.each do |code, klass|
      assert_instance_of klass, Polysock::Errors.build(code, "x"), code.to_s
    end
    assert_instance_of Polysock::WaitReadable, Polysock::Errors.build(-Errno::EAGAIN::Errno, "x", :r)
    assert_instance_of Polysock::WaitWritable, Polysock::Errors.build(-Errno::EAGAIN::Errno, "x", :w)
    assert_instance_of Polysock::WaitWritable, Polysock::Errors.build(-Errno::EINPROGRESS::Errno, "x", :w)
    assert_instance_of Polysock::Error, Polysock::Errors.build(-Errno::EINPROGRESS::Errno, "x", :r)
    assert_instance_of Polysock::Error, Polysock::Errors.build(-99_999, "x")
  end
end
