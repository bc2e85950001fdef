# frozen_string_literal: true

require_relative "helper"

# Signals during blocking calls: a trap handler that raises interrupts the
# call and its exception propagates promptly; a handler that returns lets
# the call go on, with its timeout's deadline kept.
#
# Ruby runs trap handlers in the main thread, where minitest runs the tests;
# a helper thread sends the signals (Ruby has no setitimer).  A binding that
# got this wrong would block forever, so every test has a rescue: data sent
# after a few seconds, or a handler that raises, so it fails instead of
# hanging.
class TestSignals < PolysockTest::Case
  RESCUE_AFTER = 4.0

  class Alarm < StandardError; end

  def setup
    @old_usr1 = trap("USR1", "DEFAULT")
    @signaller = nil
  end

  def teardown
    @signaller&.kill&.join
    trap("USR1", @old_usr1 || "DEFAULT")
  end

  # Send SIGUSR1 to this process after first seconds, then every interval
  # seconds (once when interval is nil).
  def signal_me(first, interval = nil)
    @signaller = background do
      sleep first
      loop do
        Process.kill("USR1", Process.pid)
        break unless interval

        sleep interval
      end
    end
  end

  # Send data on sock after delay seconds unless the test ended first.
  def send_later(sock, delay, data)
    background do
      sleep delay
      sock.sendall(data)
    rescue Polysock::Error
      nil # the test closed the socket: it is over
    end
  end

  def test_raising_handler_interrupts_a_blocking_recv
    a, b = pair
    rescue_thread = send_later(b, RESCUE_AFTER, "rescue")
    trap("USR1") { raise Alarm }
    signal_me(0.2)
    seconds = elapsed { assert_raises(Alarm) { a.recv(10) } }
    assert_operator seconds, :<, 1, "recv was not interrupted"
  ensure
    rescue_thread&.kill
  end

  def test_raising_handler_interrupts_accept
    srv = listener
    rescuer = background do
      sleep RESCUE_AFTER
      Polysock::Socket.open { |s| s.connect(srv.getsockname) }
    end
    trap("USR1") { raise Alarm }
    signal_me(0.2)
    seconds = elapsed { assert_raises(Alarm) { srv.accept } }
    assert_operator seconds, :<, 1, "accept was not interrupted"
  ensure
    rescuer&.kill
  end

  def test_raising_handler_interrupts_recv_in_timeout_mode
    a, = pair
    a.settimeout(RESCUE_AFTER)
    trap("USR1") { raise Alarm }
    signal_me(0.2)
    seconds = elapsed { assert_raises(Alarm) { a.recv(10) } }
    assert_operator seconds, :<, 1, "recv was not interrupted"
  end

  def test_returning_handler_lets_recv_continue
    a, b = pair
    calls = 0
    trap("USR1") { calls += 1 }
    signal_me(0.05, 0.05)
    sender = send_later(b, 0.5, "data")
    seconds = elapsed { a.recv(10) }
    @signaller.kill.join
    join_within(sender, 5)
    assert_equal "data", @value
    assert_operator seconds, :>=, 0.4
    assert_operator calls, :>=, 2, "the handler never ran during the recv"
  end

  def test_returning_handler_keeps_the_timeout_deadline
    a, = pair
    a.settimeout(0.6)
    started = PolysockTest.now
    # A binding that restarted the timeout at every signal would never time
    # out with a signal every 0.1 s: end the test instead.
    trap("USR1") { raise Alarm, "the deadline restarted" if PolysockTest.now - started > RESCUE_AFTER }
    signal_me(0.1, 0.1)
    seconds = elapsed { assert_raises(Polysock::Timeout) { a.recv(10) } }
    assert_operator seconds, :>=, 0.55
    assert_operator seconds, :<, 1.6
  end

  def test_returning_handler_keeps_the_accept_deadline
    srv = listener
    srv.settimeout(0.6)
    started = PolysockTest.now
    trap("USR1") { raise Alarm, "the deadline restarted" if PolysockTest.now - started > RESCUE_AFTER }
    signal_me(0.1, 0.1)
    seconds = elapsed { assert_raises(Polysock::Timeout) { srv.accept } }
    assert_operator seconds, :>=, 0.55
    assert_operator seconds, :<, 1.6
  end

  def test_returning_handler_during_sendall_sends_everything
    a, b = pair
    data = (0..255).map(&:chr).join.b * 8192 # 2 MiB: sendall blocks several times
    reader = background do
      sleep 0.3 # let sendall block on a full buffer first
      recv_exactly(b, data.bytesize)
    end
    calls = 0
    trap("USR1") { calls += 1 }
    signal_me(0.05, 0.05)
    assert_nil a.sendall(data)
    received = join_within(reader, 10).value
    @signaller.kill.join
    assert received == data, "the data arrived changed"
    assert_operator calls, :>=, 1, "the handler never ran during the sendall"
  end

  # Ruby's own SIGTERM handling (SignalException in the main thread) ends a
  # process blocked in recv; without the interrupt mode the core would
  # retry the call and the process would hang.
  def test_sigterm_ends_a_process_blocked_in_recv
    child = <<~RUBY
      require "polysock"
      a, _b = Polysock.socketpair
      $stdout.puts "blocking"
      $stdout.flush
      a.recv(10)
    RUBY
    IO.popen(PolysockTest.ruby_command("-e", child), err: File::NULL) do |io|
      assert_equal "blocking\n", io.gets
      sleep 0.2
      Process.kill("TERM", io.pid)
      assert_operator elapsed { Process.wait(io.pid) }, :<, 2
      assert $?.signaled?, $?.inspect
      assert_equal Signal.list["TERM"], $?.termsig
    end
  end

  def test_handler_may_use_polysock_during_a_blocked_call
    a, b = pair
    c, d = pair
    trap("USR1") { c.send("from the handler") }
    signal_me(0.2)
    sender = send_later(b, 0.6, "data")
    assert_equal "data", a.recv(10)
    assert_equal "from the handler", d.recv(100)
    join_within(sender, 5)
  end
end
