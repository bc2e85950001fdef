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

  # ---- TLS fixtures (test/tls/, README.md there) ----

  TLS_FIXTURES = File.expand_path("../tls", __dir__)
  # The peers run on the system's Python, whose ssl module is the foreign
  # implementation the binding must interoperate with.
  PYTHON = "/usr/bin/python3"

  # The directory of the test certificates: POLYSOCK_TEST_CERTS (make
  # check), else made once for this process by make-certs.sh (with
  # mkcert-odd from POLYSOCK_MKCERT_ODD, or compiled here) and removed at
  # exit.
  def self.certs
    @certs ||= ENV["POLYSOCK_TEST_CERTS"].to_s.empty? ? make_certs : ENV["POLYSOCK_TEST_CERTS"]
  end

  def self.make_certs
    dir = Dir.mktmpdir("polysock-rb-certs-")
    at_exit { FileUtils.rm_rf(dir) }
    mkcert_odd = ENV["POLYSOCK_MKCERT_ODD"].to_s
    if mkcert_odd.empty?
      mkcert_odd = File.join(dir, "mkcert-odd")
      run!("cc", "-o", mkcert_odd, File.join(TLS_FIXTURES, "mkcert-odd.c"), "-lcrypto")
    end
    run!("sh", File.join(TLS_FIXTURES, "make-certs.sh"), File.join(dir, "certs"), mkcert_odd)
    File.join(dir, "certs")
  end

  def self.run!(*command)
    out, status = Open3.capture2e(*command)
    raise "#{command.join(' ')} failed: #{out}" unless status.success?
  end

  # A peer of test/tls/peer.py: its process, the port it listens on (or
  # nil), and its output after the PORT line.
  Peer = Struct.new(:pid, :port, :output)

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
      @peers = []
    end

    def after_teardown
      # Last opened first: a TLS connection before the socket under it.
      @tracked.reverse_each { |s| s.close unless s.closed? }
      @peers.each { |peer| stop_peer(peer) }
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

    # The path of a test certificate or key ("good.pem").
    def cert(name)
      File.join(PolysockTest.certs, name)
    end

    # Start a server mode of test/tls/peer.py (extra arguments after the
    # mode) and wait for its "PORT <n>" line.
    def tls_peer(mode, *args)
      peer = spawn_peer(mode, *args)
      line = Timeout.timeout(20) { peer.output.gets }
      flunk "peer.py #{mode} did not start: #{line.inspect}#{peer.output.read}" unless line =~ /\APORT (\d+)$/
      peer.port = Regexp.last_match(1).to_i
      peer
    end

    # Start test/tls/peer.py in mode (a client mode needs "--port", n);
    # its stdout and stderr are peer.output.  Killed at teardown if still
    # running, with the openssl it may have started (its process group).
    def spawn_peer(mode, *args)
      reader, writer = IO.pipe
      pid = Process.spawn(PYTHON, File.join(TLS_FIXTURES, "peer.py"), "--certs", PolysockTest.certs,
                          mode, *args.map(&:to_s), out: writer, err: writer, in: File::NULL, pgroup: true)
      writer.close
      @peers << Peer.new(pid, nil, reader)
      @peers.last
    end

    # A client connection to address, verified against the test CA;
    # closed at teardown.
    def tls_client(address, keyfile = nil, certfile = nil, **options)
      sock = socket
      sock.connect(address)
      track(Polysock.ssl(sock, keyfile, certfile, cafile: cert("ca.pem"), **options))
    end

    # A TLS server in a thread: accepts one connection on a loopback
    # listener, wraps it (good.pem unless certfile says otherwise), yields
    # it to the block and closes it.  Returns [its address, the thread];
    # the thread's value is the block's.
    def tls_server(keyfile = cert("good.key"), certfile = cert("good.pem"), **options, &block)
      srv = listener
      thread = background do
        conn, = srv.accept
        track(conn)
        Polysock::SSL.open(conn, keyfile, certfile, server_side: true, **options, &block)
      end
      [srv.getsockname, thread]
    end

    # Read exactly n bytes from a TLS connection.
    def ssl_read_exactly(ssl, n)
      data = String.new(encoding: Encoding::BINARY)
      while data.bytesize < n
        chunk = ssl.read([n - data.bytesize, 65_536].min)
        flunk "EOF with #{n - data.bytesize} bytes still expected" if chunk.empty?
        data << chunk
      end
      data
    end

    # Wait for a peer to exit: [its exit status, everything it printed after
    # the PORT line].
    def finish_peer(peer, seconds = 20)
      output = Timeout.timeout(seconds) { peer.output.read }
      _, status = Process.wait2(peer.pid)
      @peers.delete(peer)
      peer.output.close
      [status, output]
    end

    def stop_peer(peer)
      Process.kill("KILL", -peer.pid)
      Process.wait(peer.pid)
    rescue Errno::ESRCH, Errno::ECHILD
      nil
    ensure
      peer.output.close unless peer.output.closed?
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
require "open3"
