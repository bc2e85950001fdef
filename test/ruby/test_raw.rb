# frozen_string_literal: true

require_relative "helper"

# Polysock::Raw: every function at the handle level.  Handles are Integers
# nothing closes for you; a stale one is refused, never another socket's.
class TestRaw < PolysockTest::Case
  def teardown
    (@raw || []).each do |h|
      Polysock::Raw.close(h)
    rescue Polysock::Error
      nil # closed by the test
    end
  end

  def raw_pair
    a, b = Polysock::Raw.socketpair
    (@raw ||= []).push(a, b)
    [a, b]
  end

  def test_socketpair_gives_handles_that_talk
    a, b = raw_pair
    assert_kind_of Integer, a
    assert_operator a, :<, 2**53
    assert_equal 4, Polysock::Raw.send(a, "ping")
    assert_equal "ping", Polysock::Raw.recv(b, 10)
    Polysock::Raw.sendall(b, "pong", 0)
    buf, addr = Polysock::Raw.recvfrom(a, 10)
    assert_equal "pong", buf
    assert_nil addr # a connected stream socket reports no sender
    assert_equal [Polysock::AF_UNIX, Polysock::SOCK_STREAM, 0],
                 [Polysock::Raw.family(a), Polysock::Raw.type(a), Polysock::Raw.proto(a)]
  end

  def test_a_closed_handle_is_refused_even_after_its_slot_is_reused
    a, = raw_pair
    Polysock::Raw.close(a)
    e = assert_raises(Polysock::Error) { Polysock::Raw.close(a) }
    assert_equal Errno::EBADF::Errno, e.errno
    fresh = Polysock::Raw.socket(Polysock::AF_INET, Polysock::SOCK_STREAM, 0)
    @raw << fresh
    refute_equal a, fresh
    assert_raises(Polysock::Error) { Polysock::Raw.fileno(a) }
    assert_operator Polysock::Raw.fileno(fresh), :>, 2
  end

  def test_timeouts_at_the_handle_level_use_minus_one_for_none
    a, = raw_pair
    assert_nil Polysock::Raw.gettimeout(a) # the null value maps both ways
    Polysock::Raw.settimeout(a, 0.25)
    assert_equal 0.25, Polysock::Raw.gettimeout(a)
    Polysock::Raw.settimeout(a, nil)
    assert_nil Polysock::Raw.gettimeout(a)
    Polysock::Raw.setblocking(a, 0)
    assert_equal 0.0, Polysock::Raw.gettimeout(a)
  end

  def test_tcp_at_the_handle_level
    srv = Polysock::Raw.socket(Polysock::AF_INET, Polysock::SOCK_STREAM, 0)
    cli = Polysock::Raw.socket(Polysock::AF_INET, Polysock::SOCK_STREAM, 0)
    (@raw ||= []).push(srv, cli)
    Polysock::Raw.setsockopt_int(srv, Polysock::SOL_SOCKET, Polysock::SO_REUSEADDR, 1)
    assert_equal 1, Polysock::Raw.getsockopt_int(srv, Polysock::SOL_SOCKET, Polysock::SO_REUSEADDR)
    Polysock::Raw.bind(srv, ["127.0.0.1", 0])
    Polysock::Raw.listen(srv, 4)
    address = Polysock::Raw.getsockname(srv)
    assert_equal 0, Polysock::Raw.connect_ex(cli, address)
    conn, peer = Polysock::Raw.accept(srv)
    @raw << conn
    assert_kind_of Integer, conn
    assert_equal Polysock::Raw.getsockname(cli), peer
    assert_equal address, Polysock::Raw.getpeername(cli)
    assert_equal "127.0.0.1", Polysock::Raw.connect_host(cli)
    Polysock::Raw.sendto(cli, "to", 0, address) rescue nil # rubocop:disable Style/RescueModifier
    Polysock::Raw.shutdown(cli, Polysock::SHUT_WR)
    data = String.new(encoding: Encoding::BINARY)
    until (chunk = Polysock::Raw.recv(conn, 10)).empty?
      data << chunk
    end
    assert_includes ["to", ""], data
    raw = Polysock::Raw.getsockopt_buf(conn, Polysock::SOL_SOCKET, Polysock::SO_TYPE, 4)
    assert_equal Polysock::SOCK_STREAM, raw.unpack1("l")
    Polysock::Raw.setsockopt_buf(conn, Polysock::SOL_SOCKET, Polysock::SO_KEEPALIVE, [1].pack("l"))
    assert_equal 1, Polysock::Raw.getsockopt_int(conn, Polysock::SOL_SOCKET, Polysock::SO_KEEPALIVE)
  end

  def test_fromfd_and_hostent_lists
    h = Polysock::Raw.fromfd(0, Polysock::AF_UNIX, Polysock::SOCK_STREAM, 0) rescue nil # rubocop:disable Style/RescueModifier
    (@raw ||= []) << h if h
    list = Polysock::Raw.gethostbyname_ex("localhost")
    begin
      assert_kind_of String, Polysock::Raw.hostent_name(list)
      assert_operator Polysock::Raw.hostent_addr_count(list), :>=, 1
      assert_equal "127.0.0.1", Polysock::Raw.hostent_addr(list, 0)
      assert_equal Polysock::Raw.hostent_alias_count(list),
                   Array.new(Polysock::Raw.hostent_alias_count(list)) { |i| Polysock::Raw.hostent_alias(list, i) }.size
      assert_raises(ArgumentError) { Polysock::Raw.hostent_addr(list, 99) }
    ensure
      Polysock::Raw.list_free(list)
    end
  end

  def test_pollers_at_the_handle_level
    a, b = raw_pair
    poller = Polysock::Raw.poller_new
    begin
      Polysock::Raw.poller_add(poller, b, Polysock::POLYSOCK_POLLIN)
      Polysock::Raw.send(a, "x")
      events = Polysock::Raw.poller_wait(poller, 4, 5.0)
      assert_equal [{ handle: b, events: Polysock::POLYSOCK_POLLIN, reserved: 0 }], events
      Polysock::Raw.poller_modify(poller, b, Polysock::POLYSOCK_POLLOUT)
      Polysock::Raw.poller_remove(poller, b)
      Polysock::Raw.poller_wake(poller)
      assert_equal [], Polysock::Raw.poller_wait(poller, 4, 0.0)
      assert_raises(ArgumentError) { Polysock::Raw.poller_wait(poller, 4, -2) }
    ensure
      Polysock::Raw.poller_close(poller)
    end
  end

  def test_resume_and_interrupt_mode
    assert_equal 1, Polysock::Raw.get_interrupt_mode
    assert_nil Polysock::Raw.resume
    assert_nil Polysock::Raw.set_interrupt_mode(1)
    assert_equal Polysock::Raw.constant_lookup("AF_INET"),
                 Polysock::Raw.constant_value((0...Polysock::Raw.constant_count).find { |i| Polysock::Raw.constant_name(i) == "AF_INET" })
  end
end
