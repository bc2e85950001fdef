# frozen_string_literal: true

require_relative "helper"

# Socket objects: creation, addresses, data transfer, options.
class TestSocket < PolysockTest::Case
  AF_INET = Polysock::AF_INET
  AF_INET6 = Polysock::AF_INET6
  AF_UNIX = Polysock::AF_UNIX
  SOCK_STREAM = Polysock::SOCK_STREAM
  SOCK_DGRAM = Polysock::SOCK_DGRAM

  def test_socket_defaults_and_attributes
    s = socket
    assert_equal [AF_INET, SOCK_STREAM, 0], [s.family, s.type, s.proto]
    u = socket(AF_UNIX, SOCK_DGRAM)
    assert_equal [AF_UNIX, SOCK_DGRAM, 0], [u.family, u.type, u.proto]
    t = socket(AF_INET, SOCK_STREAM, Polysock::IPPROTO_TCP)
    assert_equal Polysock::IPPROTO_TCP, t.proto
  end

  def test_socket_new_is_socket
    s = track(Polysock::Socket.new(AF_INET, SOCK_DGRAM))
    assert_equal SOCK_DGRAM, s.type
  end

  def test_socket_with_a_bad_family_is_an_os_error
    e = assert_raises(Polysock::Error) { Polysock.socket(12_345) }
    assert_equal Errno::EAFNOSUPPORT::Errno, e.errno
  end

  def test_socket_refuses_non_integers
    assert_raises(TypeError) { Polysock.socket("AF_INET") }
  end

  def test_inspect_shows_descriptor_family_and_type
    s = socket
    assert_match(/fd=#{s.fileno} family=AF_INET type=SOCK_STREAM/, s.inspect)
    s.close
    assert_match(/closed/, s.inspect)
  end

  def test_inspect_names_a_unix_socket_af_unix_not_an_alias
    a, = pair
    assert_match(/family=AF_UNIX type=SOCK_STREAM/, a.inspect)
  end

  def test_open_with_a_block_closes_and_returns_the_value
    kept = nil
    value = Polysock::Socket.open(AF_INET, SOCK_DGRAM) do |s|
      kept = s
      refute s.closed?
      :done
    end
    assert_equal :done, value
    assert kept.closed?
  end

  def test_open_with_a_block_closes_on_error
    kept = nil
    assert_raises(RuntimeError) do
      Polysock::Socket.open { |s| kept = s; raise "boom" }
    end
    assert kept.closed?
  end

  def test_open_without_a_block_returns_the_socket
    s = track(Polysock::Socket.open)
    refute s.closed?
  end

  def test_close_is_idempotent
    s = Polysock.socket
    assert_nil s.close
    assert_nil s.close
    assert s.closed?
    assert_equal 0, s.handle
  end

  def test_fileno_is_a_real_descriptor
    s = socket
    fd = s.fileno
    assert_operator fd, :>, 2
    assert File.exist?("/proc/self/fd/#{fd}")
    assert_match(/socket:/, File.readlink("/proc/self/fd/#{fd}"))
  end

  def test_socketpair_is_connected_unix_stream
    a, b = pair
    assert_equal [AF_UNIX, SOCK_STREAM], [a.family, a.type]
    assert_equal 5, a.send("hello")
    assert_equal "hello", b.recv(10)
    b.sendall("back")
    assert_equal "back", a.recv(10)
  end

  def test_socketpair_datagram_keeps_boundaries
    a, b = pair(AF_UNIX, SOCK_DGRAM)
    a.send("one")
    a.send("two")
    assert_equal "one", b.recv(100)
    assert_equal "two", b.recv(100)
  end

  def test_fromfd_duplicates_the_descriptor
    cli, conn = tcp_pair
    copy = track(Polysock.fromfd(conn.fileno, AF_INET, SOCK_STREAM))
    refute_equal conn.fileno, copy.fileno
    cli.send("via copy")
    assert_equal "via copy", copy.recv(100)
    conn.close
    copy.send("still open")
    assert_equal "still open", cli.recv(100)
  end

  def test_fromfd_of_a_closed_descriptor_is_ebadf
    s = Polysock.socket
    fd = s.fileno
    s.close
    e = assert_raises(Polysock::Error) { Polysock.fromfd(fd, AF_INET, SOCK_STREAM) }
    assert_equal Errno::EBADF::Errno, e.errno
  end

  def test_fromfd_of_a_ruby_socket
    ruby = TCPServer.new("127.0.0.1", 0)
    s = track(Polysock.fromfd(ruby.fileno, AF_INET, SOCK_STREAM))
    assert_equal ["127.0.0.1", ruby.addr[1]], s.getsockname
  ensure
    ruby&.close
  end

  def test_accept_returns_connection_and_peer_address
    srv = listener
    cli = socket
    cli.connect(srv.getsockname)
    conn, addr = srv.accept
    track(conn)
    assert_instance_of Polysock::Socket, conn
    assert_equal cli.getsockname, addr
    assert_equal conn.getpeername, addr
    assert_equal srv.getsockname, cli.getpeername
  end

  def test_bind_any_address_and_port_zero
    s = socket
    s.bind(["", 0])
    host, port = s.getsockname
    assert_equal "0.0.0.0", host
    assert_operator port, :>, 0
  end

  def test_bind_to_a_name
    s = socket
    s.bind(["localhost", 0])
    assert_equal "127.0.0.1", s.getsockname[0]
  end

  def test_broadcast_address_is_converted_not_looked_up
    s = socket(AF_INET, SOCK_DGRAM)
    s.setsockopt(Polysock::SOL_SOCKET, Polysock::SO_BROADCAST, 1)
    s.connect(["<broadcast>", 9])
    assert_equal "255.255.255.255", s.getpeername[0]
  end

  def test_getsockname_of_an_unbound_socket
    assert_equal ["0.0.0.0", 0], socket.getsockname
  end

  def test_getpeername_unconnected_is_enotconn
    e = assert_raises(Polysock::Error) { socket.getpeername }
    assert_equal Errno::ENOTCONN::Errno, e.errno
  end

  def test_connect_ex_success_and_refused
    assert_equal Errno::ECONNREFUSED::Errno, socket.connect_ex(refusing_address)
    srv = listener
    assert_equal 0, socket.connect_ex(srv.getsockname)
  end

  def test_connect_host_remembers_the_host_given
    srv = listener
    s = socket
    assert_equal "", s.connect_host
    s.connect(["localhost", srv.getsockname[1]])
    assert_equal "localhost", s.connect_host
  end

  def test_listen_without_and_with_backlog
    s = socket
    s.bind(["127.0.0.1", 0])
    assert_nil s.listen
    t = socket
    t.bind(["127.0.0.1", 0])
    assert_nil t.listen(1)
    assert_equal 1, t.getsockopt(Polysock::SOL_SOCKET, Polysock::SO_ACCEPTCONN)
  end

  def test_send_and_recv
    cli, conn = tcp_pair
    assert_equal 12, cli.send("Hello, world")
    assert_equal "Hello, world", recv_exactly(conn, 12)
  end

  def test_recv_returns_binary_strings_of_at_most_bufsize
    cli, conn = tcp_pair
    cli.sendall("abcdef")
    data = recv_exactly(conn, 3)
    assert_equal "abc", data
    assert_equal Encoding::BINARY, data.encoding
    assert_equal "def", recv_exactly(conn, 3)
  end

  def test_send_takes_any_string_and_sends_its_bytes
    cli, conn = tcp_pair
    cli.sendall("h\u00e9")
    assert_equal "h\u00e9".b, recv_exactly(conn, 3)
    assert_raises(TypeError) { cli.send(:symbol) }
    assert_raises(TypeError) { cli.send(nil) }
  end

  def test_recv_with_msg_peek
    cli, conn = tcp_pair
    cli.sendall("peek")
    sleep 0.05
    assert_equal "peek", conn.recv(10, Polysock::MSG_PEEK)
    assert_equal "peek", conn.recv(10)
  end

  # recv(0) asks the kernel, as Ruby's own BasicSocket#recv does (which
  # waits for data first on a stream socket); the data stays.
  def test_recv_zero_bytes
    cli, conn = tcp_pair
    cli.sendall("kept")
    conn.settimeout(5)
    assert_equal "", conn.recv(0)
    assert_equal "kept", recv_exactly(conn, 4)
  end

  def test_recv_into_a_string
    a, b = pair
    a.sendall("abcd")
    buf = +"xxxxxxxx"
    assert_equal 4, b.recv_into(buf)
    assert_equal "abcdxxxx", buf
    a.sendall("123456")
    assert_equal 2, b.recv_into(buf, 2)
    assert_equal "12cdxxxx", buf
    assert_equal "3456", b.recv(10)
  end

  def test_recv_into_clears_what_ruby_knew_of_the_encoding
    a, b = pair
    buf = +"aaaa" # 7-bit, and Ruby knows it
    assert buf.ascii_only?
    a.sendall("\xff\xfe".b)
    assert_equal 2, b.recv_into(buf)
    refute buf.ascii_only?
    refute buf.valid_encoding?
  end

  def test_recv_into_does_not_write_into_a_shared_copy
    a, b = pair
    original = "y" * 100
    buf = original.dup # shares original's bytes until one is written
    a.sendall("z" * 10)
    assert_equal 10, b.recv_into(buf)
    assert_equal "y" * 100, original
    assert_equal "z" * 10 + "y" * 90, buf
  end

  def test_recv_into_refuses_bad_buffers_and_sizes
    _, b = pair
    assert_raises(ArgumentError) { b.recv_into(+"xx", 3) }
    assert_raises(FrozenError) { b.recv_into("frozen".freeze) }
    assert_raises(TypeError) { b.recv_into(nil) }
    assert_raises(ArgumentError) { b.recv_into(+"xx", -1) }
  end

  def test_recvfrom_into
    a = socket(AF_INET, SOCK_DGRAM)
    b = socket(AF_INET, SOCK_DGRAM)
    b.bind(["127.0.0.1", 0])
    a.sendto("datagram", b.getsockname)
    buf = "\0".b * 20
    n, addr = b.recvfrom_into(buf)
    assert_equal 8, n
    assert_equal "datagram", buf[0, 8]
    assert_equal ["127.0.0.1", a.getsockname[1]], addr
  end

  def test_shutdown_write_gives_the_peer_eof
    cli, conn = tcp_pair
    cli.sendall("last")
    cli.shutdown(Polysock::SHUT_WR)
    assert_equal "last", recv_exactly(conn, 4)
    assert_equal "", conn.recv(10)
    conn.sendall("reply") # the other direction still works
    assert_equal "reply", recv_exactly(cli, 5)
  end

  def test_recv_after_the_peer_closed_is_eof
    cli, conn = tcp_pair
    conn.close
    assert_equal "", cli.recv(10)
  end

  def test_sendall_several_mib_through_a_socketpair
    a, b = pair
    data = Random.new(7).bytes(6 << 20)
    reader = background do
      got = +""
      while got.bytesize < data.bytesize
        chunk = b.recv(1 << 16)
        break if chunk.empty?

        got << chunk
      end
      got
    end
    assert_nil a.sendall(data)
    join_within(reader, 30)
    assert_equal data.bytesize, reader.value.bytesize
    assert reader.value == data, "the data arrived changed"
  end

  def test_sendto_and_recvfrom
    a = socket(AF_INET, SOCK_DGRAM)
    b = socket(AF_INET, SOCK_DGRAM)
    b.bind(["127.0.0.1", 0])
    assert_equal 5, a.sendto("hello", b.getsockname)
    data, addr = b.recvfrom(100)
    assert_equal "hello", data
    assert_equal ["127.0.0.1", a.getsockname[1]], addr
  end

  def test_sendto_with_flags_before_the_address
    a = socket(AF_INET, SOCK_DGRAM)
    b = socket(AF_INET, SOCK_DGRAM)
    b.bind(["127.0.0.1", 0])
    assert_equal 3, a.sendto("abc", 0, b.getsockname)
    assert_equal "abc", b.recv(10)
  end

  def test_datagram_truncated_to_bufsize
    a = socket(AF_INET, SOCK_DGRAM)
    b = socket(AF_INET, SOCK_DGRAM)
    b.bind(["127.0.0.1", 0])
    a.sendto("0123456789", b.getsockname)
    assert_equal "0123", b.recv(4)
  end

  def test_connected_udp_send_and_recv
    a = socket(AF_INET, SOCK_DGRAM)
    b = socket(AF_INET, SOCK_DGRAM)
    b.bind(["127.0.0.1", 0])
    a.connect(b.getsockname)
    b.connect(a.getsockname)
    a.send("ping")
    assert_equal "ping", b.recv(10)
    b.send("pong")
    assert_equal "pong", a.recv(10)
  end

  def test_getsockopt_integer_and_bytes
    s = socket
    assert_equal SOCK_STREAM, s.getsockopt(Polysock::SOL_SOCKET, Polysock::SO_TYPE)
    raw = s.getsockopt(Polysock::SOL_SOCKET, Polysock::SO_TYPE, 4)
    assert_equal 4, raw.bytesize
    assert_equal Encoding::BINARY, raw.encoding
    assert_equal SOCK_STREAM, raw.unpack1("l")
    assert_equal SOCK_STREAM, s.getsockopt_int(Polysock::SOL_SOCKET, Polysock::SO_TYPE)
  end

  def test_setsockopt_integer_boolean_and_bytes
    s = socket
    s.setsockopt(Polysock::SOL_SOCKET, Polysock::SO_REUSEADDR, 1)
    assert_equal 1, s.getsockopt(Polysock::SOL_SOCKET, Polysock::SO_REUSEADDR)
    s.setsockopt(Polysock::SOL_SOCKET, Polysock::SO_REUSEADDR, false)
    assert_equal 0, s.getsockopt(Polysock::SOL_SOCKET, Polysock::SO_REUSEADDR)
    s.setsockopt(Polysock::IPPROTO_TCP, Polysock::TCP_NODELAY, true)
    assert_equal 1, s.getsockopt(Polysock::IPPROTO_TCP, Polysock::TCP_NODELAY)
    s.setsockopt(Polysock::SOL_SOCKET, Polysock::SO_RCVBUF, [65_536].pack("l"))
    assert_operator s.getsockopt(Polysock::SOL_SOCKET, Polysock::SO_RCVBUF), :>=, 65_536
    assert_raises(TypeError) { s.setsockopt(Polysock::SOL_SOCKET, Polysock::SO_REUSEADDR, 1.5) }
  end

  def test_getsockopt_of_an_unknown_option_is_enoprotoopt
    e = assert_raises(Polysock::Error) { socket.getsockopt(Polysock::SOL_SOCKET, 12_345) }
    assert_equal Errno::ENOPROTOOPT::Errno, e.errno
  end

  def test_ipv6_loopback_connection
    skip "no IPv6 loopback on this machine" unless PolysockTest.ipv6_loopback?
    cli, conn = tcp_pair(AF_INET6, "::1")
    cli.sendall("six")
    assert_equal "six", recv_exactly(conn, 3)
    host, port, flowinfo, scope_id = conn.getpeername
    assert_equal ["::1", cli.getsockname[1], 0, 0], [host, port, flowinfo, scope_id]
  end

  def test_ipv6_bind_takes_a_pair_and_reports_four_elements
    skip "no IPv6 loopback on this machine" unless PolysockTest.ipv6_loopback?
    s = socket(AF_INET6)
    s.bind(["::1", 0])
    addr = s.getsockname
    assert_equal 4, addr.size
    assert_equal "::1", addr[0]
  end

  def test_ipv6_datagram_recvfrom_gives_four_elements
    skip "no IPv6 loopback on this machine" unless PolysockTest.ipv6_loopback?
    a = socket(AF_INET6, SOCK_DGRAM)
    b = socket(AF_INET6, SOCK_DGRAM)
    b.bind(["::1", 0, 0, 0])
    a.sendto("v6", b.getsockname)
    data, addr = b.recvfrom(10)
    assert_equal "v6", data
    assert_equal a.getsockname[1], addr[1]
    assert_equal 4, addr.size
  end

  def test_unix_path_addresses
    short_tmpdir do |dir|
      path = File.join(dir, "sock")
      srv = socket(AF_UNIX)
      srv.bind(path)
      srv.listen
      assert_equal path, srv.getsockname
      cli = socket(AF_UNIX)
      cli.connect(path)
      conn, addr = srv.accept
      track(conn)
      assert_equal "", addr # an unbound client
      assert_equal path, cli.getpeername
      cli.sendall("over a path")
      assert_equal "over a path", recv_exactly(conn, 11)
    end
  end

  def test_unix_abstract_names_are_binary
    name = "\0polysock-ruby-#{Process.pid}-#{rand(1 << 30)}".b
    srv = socket(AF_UNIX)
    srv.bind(name)
    srv.listen
    got = srv.getsockname
    assert_equal name, got
    assert_equal Encoding::BINARY, got.encoding
    cli = socket(AF_UNIX)
    cli.connect(name)
    track(srv.accept[0])
  end

  def test_unix_path_too_long_is_an_error
    e = assert_raises(Polysock::Error) { socket(AF_UNIX).bind("/tmp/#{'x' * 200}") }
    assert_nil e.errno
  end

  def test_address_types_are_checked
    s = socket
    assert_raises(TypeError) { s.bind([1, 2]) }
    assert_raises(TypeError) { s.bind(["127.0.0.1", "80"]) }
    assert_raises(TypeError) { s.bind(["127.0.0.1"]) }
    assert_raises(TypeError) { s.bind(:nope) }
    assert_raises(RangeError) { s.bind(["::1", 0, -1, 0]) }
    assert_raises(ArgumentError) { s.connect(["x" * 2000, 80]) }
  end

  def test_poller_reports_readiness
    a, b = pair
    poller = Polysock::Poller.new
    begin
      poller.add(b, Polysock::POLYSOCK_POLLIN)
      assert_equal [], poller.wait(8, 0)
      fd = IO.for_fd(poller.fileno, autoclose: false)
      assert_nil IO.select([fd], nil, nil, 0)
      a.send("x")
      assert_equal [[fd], [], []], IO.select([fd], nil, nil, 5)
      events = poller.wait(8, 5)
      assert_equal 1, events.size
      assert_equal b.handle, events[0][:handle]
      assert_equal Polysock::POLYSOCK_POLLIN, events[0][:events] & Polysock::POLYSOCK_POLLIN
      poller.modify(b, Polysock::POLYSOCK_POLLOUT)
      assert_equal Polysock::POLYSOCK_POLLOUT, poller.wait(8, 5)[0][:events] & Polysock::POLYSOCK_POLLOUT
      poller.remove(b)
      assert_equal [], poller.wait(8, 0)
      assert_raises(TypeError) { poller.add(b.handle, Polysock::POLYSOCK_POLLIN) }
    ensure
      poller.close
    end
    assert poller.closed?
  end

  def test_poller_wake_from_another_thread
    poller = Polysock::Poller.new
    waker = background { sleep 0.2; poller.wake }
    assert_operator elapsed { poller.wait(4, nil) }, :<, 10
    assert_equal [], @value
    join_within(waker, 5)
  ensure
    poller&.close
  end
end
