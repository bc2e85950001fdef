# frozen_string_literal: true

# What the polysock Ruby test files share: the binding, minitest, and small
# utilities.  run.sh loads every test_*.rb into one process.

# polysock first: it opts every thread started after it into interrupt mode
# without a per-call check, and minitest starts threads when it loads (the
# other path is tested in a child process).
require "polysock"
require "minitest/autorun"
require "rbconfig"
require "socket" # Ruby's own: a reference for constants, and a foreign peer
require "timeout"

module PolysockTest
  # A hung test (a blocking call a binding bug never wakes) must not hang
  # `make check`: past this, print every thread's backtrace and exit.
  WATCHDOG_SECONDS = 60

  @deadline = nil
  @current = nil
  class << self
    attr_accessor :deadline, :current
  end

  Thread.new do
    loop do
      sleep 1
      deadline = PolysockTest.deadline
      next unless deadline && Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline

      warn "watchdog: #{PolysockTest.current} still running after #{WATCHDOG_SECONDS} s"
      Thread.list.each do |t|
        warn "--- #{t.inspect}"
        warn((t.backtrace || []).join("\n"))
      end
      exit!(3)
    end
  end

  def self.now
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end

  # Open descriptors of this process (Linux).
  def self.fd_count
    Dir.children("/proc/self/fd").size
  end

  # True when an AF_INET6 socket can be bound to ::1 here.
  def self.ipv6_loopback?
    return @ipv6 if defined?(@ipv6)

    @ipv6 = Polysock.has_ipv6 && begin
      Polysock::Socket.open(Polysock::AF_INET6) { |s| s.bind(["::1", 0]) }
      true
    rescue Polysock::Error
      false
    end
  end

  # The path of a child Ruby that loads the binding as this process does.
  def self.ruby_command(*args)
    [RbConfig.ruby, "-I", File.expand_path("../../bindings/ruby/lib", __dir__), *args]
  end

  # The base class of every test: tracks sockets to close, restores the
  # default timeout, and feeds the watchdog.
  class Case < Minitest::Test
    def before_setup
      super
      PolysockTest.current = "#{self.class}##{name}"
      PolysockTest.deadline = PolysockTest.now + WATCHDOG_SECONDS
      @tracked = []
    end

    def after_teardown
      @tracked.each { |s| s.close unless s.closed? }
      Polysock.setdefaulttimeout(nil)
      PolysockTest.deadline = nil
      super
    end

    def track(sock)
      @tracked << sock
      sock
    end

    def socket(*args)
      track(Polysock.socket(*args))
    end

    # A connected AF_UNIX stream pair.
    def pair(*args)
      a, b = Polysock.socketpair(*args)
      [track(a), track(b)]
    end

    def listener(family = Polysock::AF_INET, host = "127.0.0.1")
      srv = socket(family, Polysock::SOCK_STREAM)
      srv.bind([host, 0])
      srv.listen
      srv
    end

    # [client, server side] of one accepted loopback TCP connection.
    def tcp_pair(family = Polysock::AF_INET, host = "127.0.0.1")
      srv = listener(family, host)
      cli = socket(family, Polysock::SOCK_STREAM)
      cli.connect(srv.getsockname)
      conn, = srv.accept
      [cli, track(conn)]
    end

    # A loopback address where nothing listens: the port is held by a bound,
    # non-listening socket for the test, so a connection is refused.
    def refusing_address
      holder = socket
      holder.bind(["127.0.0.1", 0])
      holder.getsockname
    end

    # Seconds the block took (monotonic clock); the block's value is kept
    # in @value.
    def elapsed
      t0 = PolysockTest.now
      @value = yield
      PolysockTest.now - t0
    end

    # Read exactly n bytes (the peer may deliver them in pieces).
    def recv_exactly(sock, n)
      data = String.new(encoding: Encoding::BINARY)
      while data.bytesize < n
        chunk = sock.recv(n - data.bytesize)
        flunk "EOF with #{n - data.bytesize} bytes still expected" if chunk.empty?
        data << chunk
      end
      data
    end

    # A short directory for AF_UNIX paths (sun_path holds 108 bytes).
    def short_tmpdir
      dir = Dir.mktmpdir("ps-", "/tmp")
      yield dir
    ensure
      FileUtils.rm_rf(dir) if dir
    end

    # A thread whose exception is kept, not printed, and re-raised by value.
    def background(&block)
      t = Thread.new(&block)
      t.report_on_exception = false
      t
    end

    # Wait up to seconds for t to end; true if it did (whatever it raised:
    # t.value re-raises that).
    def ended_within?(t, seconds)
      !t.join(seconds).nil?
    rescue Exception # rubocop:disable Lint/RescueException -- t's own, re-raised by value
      true
    end

    # Join t within seconds, failing the test if it is still running.
    def join_within(t, seconds)
      flunk "background thread still running after #{seconds} s" unless ended_within?(t, seconds)
      t
    end
  end
end

require "tmpdir"
require "fileutils"
