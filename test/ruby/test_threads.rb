# frozen_string_literal: true

require_relative "helper"

# Threads: blocking calls run without the GVL, other threads keep running,
# and Thread#kill, Thread#raise and Timeout.timeout end a blocked call
# promptly; close and shutdown from another thread wake it.
class TestThreads < PolysockTest::Case
  # Start call(sock) in a thread, close sock once it is blocked, and return
  # [the thread, seconds from the close to the thread's end].  unblock is the
  # rescue that ends the call should close not wake it.
  def blocked_call_woken_by_close(sock, call, unblock)
    worker = background { call.call(sock) }
    sleep 0.3
    assert worker.alive?, "the call did not block"
    closed_at = PolysockTest.now
    sock.close
    unless ended_within?(worker, 5)
      unblock.call
      ended_within?(worker, 5)
      flunk "close did not wake the thread blocked in the call"
    end
    [worker, PolysockTest.now - closed_at]
  end

  def test_close_wakes_a_thread_blocked_in_recv
    a, b = pair
    worker, delay = blocked_call_woken_by_close(a, ->(s) { s.recv(10) }, -> { b.sendall("x") })
    e = assert_raises(Polysock::Error) { worker.value }
    assert_equal Errno::EBADF::Errno, e.errno
    assert_operator delay, :<, 2
  end

  def test_close_wakes_a_thread_blocked_in_accept
    srv = listener
    address = srv.getsockname
    worker, delay = blocked_call_woken_by_close(srv, ->(s) { s.accept }, -> { socket.connect(address) })
    e = assert_raises(Polysock::Error) { worker.value }
    assert_equal Errno::EBADF::Errno, e.errno
    assert_operator delay, :<, 2
  end

  def test_another_thread_keeps_counting_while_one_is_blocked_in_recv
    a, b = pair
    count = 0
    stop = false
    counter = background { count += 1 until stop }
    sleep 0.05
    worker = background { a.recv(10) }
    sleep 0.1
    before = count
    sleep 0.5 # recv is blocked all this time
    during = count - before
    assert worker.alive?, "recv did not block"
    b.sendall("go")
    assert_equal "go", join_within(worker, 5).value
    stop = true
    join_within(counter, 5)
    # Holding the GVL in recv would stop the counter dead; a running
    # counter manages millions of increments in half a second.
    assert_operator during, :>, 100_000
  end

  def test_a_blocked_accept_lets_other_threads_run
    srv = listener
    worker = background { srv.accept }
    ticks = 0
    10.times do
      sleep 0.02
      ticks += 1
    end
    assert_equal 10, ticks
    assert worker.alive?
    socket.connect(srv.getsockname)
    conn, = join_within(worker, 5).value
    track(conn)
  end

  def test_shutdown_from_another_thread_wakes_recv
    a, = pair
    worker = background { a.recv(10) }
    sleep 0.2
    a.shutdown(Polysock::SHUT_RD)
    assert_equal "", join_within(worker, 2).value
  end

  def test_thread_kill_ends_a_blocked_recv_promptly
    a, = pair
    worker = background { a.recv(10) }
    sleep 0.2
    assert worker.alive?
    seconds = elapsed do
      worker.kill
      worker.join(5)
    end
    refute worker.alive?
    assert_operator seconds, :<, 1
  end

  def test_thread_raise_interrupts_a_blocked_accept
    srv = listener
    worker = background { srv.accept }
    sleep 0.2
    seconds = elapsed do
      worker.raise(IOError, "enough")
      ended_within?(worker, 5)
    end
    e = assert_raises(IOError) { worker.value }
    assert_equal "enough", e.message
    assert_operator seconds, :<, 1
  end

  def test_timeout_timeout_interrupts_recv
    a, = pair
    seconds = elapsed do
      assert_raises(Timeout::Error) { Timeout.timeout(0.3) { a.recv(10) } }
    end
    assert_operator seconds, :>=, 0.25
    assert_operator seconds, :<, 2
  end

  def test_timeout_timeout_interrupts_recv_in_timeout_mode_and_sendall
    a, = pair
    a.settimeout(30)
    assert_raises(Timeout::Error) { Timeout.timeout(0.3) { a.recv(10) } }
    seconds = elapsed do
      assert_raises(Timeout::Error) { Timeout.timeout(0.3) { a.sendall("x" * (64 << 20)) } }
    end
    assert_operator seconds, :<, 2
  end

  def test_a_call_interrupted_by_timeout_leaves_the_socket_usable
    a, b = pair
    assert_raises(Timeout::Error) { Timeout.timeout(0.2) { a.recv(10) } }
    b.sendall("fine")
    assert_equal "fine", a.recv(10)
  end

  def test_many_threads_with_their_own_sockets
    srv = listener
    address = srv.getsockname
    n_threads = 16
    rounds = 50
    echo = lambda do |conn|
      loop do
        data = conn.recv(4096)
        break if data.empty?

        conn.sendall(data)
      end
    ensure
      conn.close
    end
    acceptor = background { Array.new(n_threads) { background { echo.call(srv.accept[0]) } } }
    clients = Array.new(n_threads) do |i|
      background do
        Polysock::Socket.open do |c|
          c.connect(address)
          Array.new(rounds) do |r|
            msg = "thread #{i} round #{r}"
            c.sendall(msg)
            recv_exactly(c, msg.bytesize) == msg
          end
        end
      end
    end
    clients.each { |t| assert_equal [true] * rounds, join_within(t, 30).value }
    join_within(acceptor, 10).value.each { |t| join_within(t, 10) }
  end

  def test_threads_share_one_socket_for_sending
    a, b = pair
    n_threads = 8
    per_thread = 200
    msg_len = 16
    reader = background { recv_exactly(b, n_threads * per_thread * msg_len) }
    senders = Array.new(n_threads) do |i|
      background { per_thread.times { |j| a.sendall(format("%02d:%013d", i, j)) } }
    end
    senders.each { |t| join_within(t, 30) }
    data = join_within(reader, 30).value
    # sendall of a small message is atomic on a stream socketpair: every
    # message arrives whole, and each thread's in its own order.
    messages = data.scan(/.{#{msg_len}}/mo)
    n_threads.times do |i|
      mine = messages.select { |m| m.start_with?(format("%02d:", i)) }
      assert_equal Array.new(per_thread) { |j| format("%02d:%013d", i, j) }, mine
    end
  end

  # A socket's frame (where out values land) is taken for a call and put
  # back after: threads calling methods of one socket at once, one of them
  # blocked in recv without the GVL, each get their own values.
  def test_concurrent_calls_on_one_socket_keep_their_results_apart
    a, b = pair
    total = 2000
    reader = background do
      got = 0
      got += a.recv(7).bytesize while got < total * 7
      got
    end
    sender = background do
      Array.new(total) { a.send("x" * 3) }.uniq
    end
    asker = background do
      Array.new(total) { [a.getsockopt(Polysock::SOL_SOCKET, Polysock::SO_TYPE), a.gettimeout] }.uniq
    end
    drain = background { recv_exactly(b, total * 3).bytesize }
    total.times { b.sendall("y" * 7) }
    assert_equal [3], join_within(sender, 30).value
    assert_equal [[Polysock::SOCK_STREAM, nil]], join_within(asker, 30).value
    assert_equal total * 7, join_within(reader, 30).value
    assert_equal total * 3, join_within(drain, 30).value
  end

  # Threads that ran before polysock was loaded are opted in to interrupt
  # mode at their first blocking call (the hook covers only later threads).
  LATE_LOAD_CHILD = <<~RUBY
    q = Queue.new
    early = Thread.new { q.pop.call }
    require "polysock"
    abort "CHECK_THREADS is off" unless Polysock::Native::CHECK_THREADS
    a, _b = Polysock.socketpair
    q << -> { a.recv(10) }
    sleep 0.3
    t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    early.kill
    abort "Thread#kill did not end the recv" unless early.join(3)
    puts "killed in %.2f s" % (Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0)
    require "timeout"
    r = Thread.new { Timeout.timeout(0.2) { a.recv(10) } rescue :timeout }.value
    puts r
  RUBY

  def test_threads_started_before_loading_are_interruptible
    out = IO.popen(PolysockTest.ruby_command("-e", LATE_LOAD_CHILD), err: %i[child out], &:read)
    assert $?.success?, out
    assert_match(/\Akilled in 0\.\d\d s\ntimeout\n\z/, out)
  end
end
