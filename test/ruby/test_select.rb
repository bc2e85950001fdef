# frozen_string_literal: true

require_relative "helper"

# Non-blocking sockets with IO.select: #to_io gives an IO on a duplicate of
# the descriptor, so IO.select takes the sockets themselves.
class TestSelect < PolysockTest::Case
  def test_select_reports_readable_after_data
    a, b = pair
    assert_nil IO.select([a], nil, nil, 0)
    b.send("x")
    readable, = IO.select([a], nil, nil, 5)
    assert_equal [a], readable
    assert_equal "x", a.recv(1)
  end

  def test_to_io_is_one_io_on_a_duplicate_descriptor
    a, = pair
    io = a.to_io
    assert_instance_of IO, io
    assert_same io, a.to_io
    refute_equal a.fileno, io.fileno
    assert_equal File.readlink("/proc/self/fd/#{a.fileno}"), File.readlink("/proc/self/fd/#{io.fileno}")
  end

  def test_to_io_leaves_the_socket_blocking
    a, b = pair
    a.to_io
    IO.select([a], nil, nil, 0)
    assert_nil a.gettimeout
    sender = background { sleep 0.2; b.send("late") }
    assert_equal "late", a.recv(10) # blocks, does not fail with EAGAIN
    join_within(sender, 5)
  end

  def test_select_on_a_listener_reports_a_pending_connection
    srv = listener
    srv.setblocking(false)
    assert_raises(IO::WaitReadable) { srv.accept }
    cli = socket
    cli.connect(srv.getsockname)
    readable, = IO.select([srv], nil, nil, 5)
    assert_equal [srv], readable
    conn, addr = srv.accept
    track(conn)
    assert_equal cli.getsockname, addr
  end

  def test_nonblocking_connect_completes_under_select
    srv = listener
    cli = socket
    cli.setblocking(false)
    begin
      cli.connect(srv.getsockname)
    rescue IO::WaitWritable
      _, writable, = IO.select(nil, [cli], nil, 5)
      assert_equal [cli], writable
      assert_equal 0, cli.getsockopt(Polysock::SOL_SOCKET, Polysock::SO_ERROR)
    end
    assert_equal srv.getsockname, cli.getpeername
  end

  # An echo server and clients, all non-blocking, on one IO.select loop.
  def test_nonblocking_echo_loop_with_select
    srv = listener
    srv.setblocking(false)
    clients = Array.new(3) do |i|
      c = socket
      c.connect(srv.getsockname)
      c.setblocking(false)
      [c, "message #{i}" * 100]
    end
    clients.each { |c, msg| c.sendall(msg) rescue IO::WaitWritable } # rubocop:disable Style/RescueModifier
    conns = []
    got = Hash.new { |h, k| h[k] = +"" }
    deadline = PolysockTest.now + 10
    until clients.all? { |c, msg| got[c].bytesize >= msg.bytesize } || PolysockTest.now > deadline
      readable, = IO.select([srv, *conns, *clients.map(&:first)], nil, nil, 1)
      (readable || []).each do |sock|
        if sock.equal?(srv)
          conn, = srv.accept
          conn.setblocking(false)
          conns << track(conn)
        elsif conns.include?(sock)
          data = sock.recv(65_536)
          sock.sendall(data) unless data.empty?
        else
          got[sock] << sock.recv(65_536)
        end
      rescue IO::WaitReadable
        next
      end
    end
    clients.each { |c, msg| assert_equal msg, got[c] }
  end

  def test_a_closed_socket_cannot_be_selected
    s = Polysock.socket
    s.close
    assert_raises(Polysock::Error) { IO.select([s], nil, nil, 0) }
  end
end
