# frozen_string_literal: true

require_relative "helper"

# A socket that is garbage-collected is closed: its finalizer holds only the
# handle, never the object, so the object can be collected at all.
class TestGC < PolysockTest::Case
  # Objects made in another thread leave nothing on this thread's stack for
  # the conservative collector to find.
  # The thread's value is nil, not what the block made.
  def made_elsewhere
    Thread.new do
      yield
      nil
    end.join
    nil
  end

  # Collect until the finalizers have closed what they should (they run
  # after a collection, when the interpreter next checks for work).
  def collect_until
    20.times do
      GC.start(full_mark: true, immediate_sweep: true)
      Thread.pass
      return true if yield

      sleep 0.01
    end
    false
  end

  def live_sockets
    Polysock.get_stats[:live_sockets]
  end

  # Let earlier tests' garbage be collected and finalized first, so the
  # counts a test starts from stay put.
  def setup
    3.times do
      GC.start(full_mark: true, immediate_sweep: true)
      Thread.pass
    end
  end

  def test_a_dropped_socket_is_collected_and_closed
    fds = PolysockTest.fd_count
    live = live_sockets
    refs = ObjectSpace::WeakMap.new
    made_elsewhere { refs[:s] = Polysock.socket }
    assert_equal fds + 1, PolysockTest.fd_count
    assert collect_until { live_sockets == live }, "the dropped socket was never closed"
    assert_equal fds, PolysockTest.fd_count
    refute refs.key?(:s), "the socket object is still alive"
  end

  def test_many_dropped_sockets_are_all_closed
    fds = PolysockTest.fd_count
    live = live_sockets
    made_elsewhere { 200.times { Polysock.socket } }
    assert collect_until { live_sockets == live }, "#{live_sockets - live} sockets left open"
    assert_equal fds, PolysockTest.fd_count
  end

  def test_dropped_socketpairs_and_accepted_sockets_are_closed
    srv = listener
    address = srv.getsockname
    fds = PolysockTest.fd_count
    live = live_sockets
    made_elsewhere do
      Polysock.socketpair
      c = Polysock.socket
      c.connect(address)
      srv.accept
    end
    assert collect_until { live_sockets == live }, "#{live_sockets - live} sockets left open"
    assert_equal fds, PolysockTest.fd_count
  end

  def test_a_dropped_poller_is_closed
    live = Polysock.get_stats[:live_handles]
    made_elsewhere { Polysock::Poller.new }
    assert collect_until { Polysock.get_stats[:live_handles] == live }
  end

  def test_close_releases_the_descriptor_at_once_and_drops_the_finalizer
    fds = PolysockTest.fd_count
    s = Polysock.socket
    io = s.to_io
    assert_equal fds + 2, PolysockTest.fd_count
    s.close
    assert io.closed?
    assert_equal fds, PolysockTest.fd_count
    # Its finalizer is gone: collecting it closes nothing (the handle is
    # stale anyway, and a later socket keeps its own).
    other = socket
    s = nil # rubocop:disable Lint/UselessAssignment
    collect_until { false }
    assert_equal SOCK_STREAM_VALUE, other.type
  end

  SOCK_STREAM_VALUE = Polysock::SOCK_STREAM
end
