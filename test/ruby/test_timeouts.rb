# frozen_string_literal: true

require_relative "helper"

# The reference's three modes (blocking, non-blocking, timeout) and the
# timeouts of recv, accept, connect and send.  Bounds are generous: a
# timeout must not fire early, and must fire well within a second of its
# due time.
class TestTimeouts < PolysockTest::Case
  SLACK = 1.0 # how late a timeout may fire on a loaded machine

  def assert_timed_out_after(seconds, timeout)
    assert_operator seconds, :>=, timeout * 0.9
    assert_operator seconds, :<, timeout + SLACK
  end

  # ---- modes -------------------------------------------------------------------

  def test_new_socket_is_blocking
    assert_nil socket.gettimeout
  end

  def test_settimeout_and_gettimeout
    s = socket
    s.settimeout(2.5)
    assert_equal 2.5, s.gettimeout
    s.settimeout(3)
    assert_equal 3.0, s.gettimeout
    assert_instance_of Float, s.gettimeout
    s.settimeout(nil)
    assert_nil s.gettimeout
    s.settimeout(0)
    assert_equal 0.0, s.gettimeout
  end

  def test_setblocking_is_settimeout_nil_or_zero
    s = socket
    s.setblocking(false)
    assert_equal 0.0, s.gettimeout
    s.setblocking(true)
    assert_nil s.gettimeout
    s.setblocking(0)
    assert_equal 0.0, s.gettimeout
    s.setblocking(1)
    assert_nil s.gettimeout
  end

  def test_setblocking_false_equals_settimeout_zero
    a, = pair
    a.setblocking(false)
    assert_raises(Polysock::WaitReadable) { a.recv(1) }
    a.settimeout(0.0)
    assert_raises(Polysock::WaitReadable) { a.recv(1) }
  end

  def test_timeout_mode_reads_available_data_at_once
    a, b = pair
    a.settimeout(5)
    b.sendall("ready")
    assert_operator elapsed { a.recv(5) }, :<, 1
    assert_equal "ready", @value
  end

  def test_blocking_recv_waits_for_data
    a, b = pair
    sender = background { sleep 0.2; b.sendall("late") }
    assert_operator elapsed { a.recv(4) }, :>=, 0.15
    assert_equal "late", @value
    join_within(sender, 5)
  end

  # ---- timeouts ------------------------------------------------------------------

  def test_recv_timeout
    a, = pair
    a.settimeout(0.3)
    e = nil
    seconds = elapsed { e = assert_raises(Polysock::Timeout) { a.recv(10) } }
    assert_timed_out_after(seconds, 0.3)
    assert_equal Errno::ETIMEDOUT::Errno, e.errno
    assert_equal "ETIMEDOUT", e.errname
    assert_equal "timed out - recv", e.message
  end

  def test_recv_timeout_from_the_default_timeout
    Polysock.setdefaulttimeout(0.3)
    a, = pair
    assert_equal 0.3, a.gettimeout
    seconds = elapsed { assert_raises(Polysock::Timeout) { a.recv(10) } }
    assert_timed_out_after(seconds, 0.3)
  end

  def test_socket_usable_after_a_timeout
    a, b = pair
    a.settimeout(0.2)
    assert_raises(Polysock::Timeout) { a.recv(10) }
    b.sendall("after")
    assert_equal "after", a.recv(5)
  end

  def test_recvfrom_and_recv_into_time_out
    u = socket(Polysock::AF_INET, Polysock::SOCK_DGRAM)
    u.bind(["127.0.0.1", 0])
    u.settimeout(0.2)
    seconds = elapsed { assert_raises(Polysock::Timeout) { u.recvfrom(10) } }
    assert_timed_out_after(seconds, 0.2)
    assert_raises(Polysock::Timeout) { u.recv_into(+"x" * 10) }
    assert_raises(Polysock::Timeout) { u.recvfrom_into(+"x" * 10) }
  end

  def test_accept_timeout
    srv = listener
    srv.settimeout(0.3)
    seconds = elapsed { assert_raises(Polysock::Timeout) { srv.accept } }
    assert_timed_out_after(seconds, 0.3)
  end

  def test_accepted_socket_is_blocking_without_a_default
    srv = listener
    srv.settimeout(5)
    cli = socket
    cli.connect(srv.getsockname)
    conn, = srv.accept
    assert_nil track(conn).gettimeout
  end

  def test_accepted_socket_takes_the_default_timeout
    srv = listener
    socket.connect(srv.getsockname)
    Polysock.setdefaulttimeout(4.0)
    conn, = srv.accept
    assert_equal 4.0, track(conn).gettimeout
  end

  def test_send_timeout_on_a_full_buffer
    a, = pair
    a.settimeout(0.3)
    seconds = elapsed do
      assert_raises(Polysock::Timeout) { 100_000.times { a.send("x" * 65_536) } }
    end
    assert_operator seconds, :<, 0.3 + SLACK * 2
  end

  # Loopback answers every SYN at once, except when the listener's accept
  # queue is full: Linux then drops the SYN and the client waits.  Fill the
  # queue of a listener that never accepts, and a connect times out.
  def full_listener
    srv = socket
    srv.bind(["127.0.0.1", 0])
    srv.listen(0)
    srv
  end

  def test_connect_timeout
    srv = full_listener
    64.times do
      cli = socket
      cli.settimeout(0.3)
      timed_out = false
      seconds = elapsed do
        cli.connect(srv.getsockname)
      rescue Polysock::Timeout
        timed_out = true
      end
      next unless timed_out

      assert_timed_out_after(seconds, 0.3)
      return
    end
    flunk "64 connections to a listener with backlog 0 all succeeded"
  end

  def test_connect_ex_timeout_returns_etimedout
    srv = full_listener
    64.times do
      cli = socket
      cli.settimeout(0.3)
      result = cli.connect_ex(srv.getsockname)
      next if result.zero?

      assert_equal Errno::ETIMEDOUT::Errno, result
      return
    end
    flunk "64 connections to a listener with backlog 0 all succeeded"
  end

  def test_nonblocking_connect_ex_is_in_progress
    srv = listener
    cli = socket
    cli.setblocking(false)
    assert_includes [0, Errno::EINPROGRESS::Errno], cli.connect_ex(srv.getsockname)
  end
end
