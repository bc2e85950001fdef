# frozen_string_literal: true

# The Ruby soak client: threads open, use and close connections to
# soak_server (half of them TLS through Polysock.ssl) for a set time, while
# a chaos thread closes random live sockets and SSL objects under them and
# a watchdog looks for calls that overrun their timeout.
#
#   ruby -I bindings/ruby/lib soak_client.rb PLAIN_PORT TLS_PORT CAFILE SECONDS THREADS
#
# The same policy as soak_client.c (README.md): random timeout modes
# (normal, tiny, blocking), 1 to 16 frames of 1 B .. 256 KiB per
# connection, CRC-32 checked.  A Polysock::Timeout closes the connection and
# is counted; a Polysock::Error with errno EBADF from a connection the chaos
# thread closed is counted; anything else is an unexpected error.  Prints
# one SOAK-REPORT line; exit status 0 when clean.

require "json"
require "securerandom"
require "zlib"
require "polysock"

module Soak
  MAX_PAYLOAD = 256 * 1024
  POOL_SIZE = 1 << 20
  MAX_MESSAGES = 16
  HUNG_SLACK = 15.0 # a shared, loaded machine: generous
  BLOCKING_LIMIT = 60.0
  ERRORS_SHOWN = 20
  HEADER_SIZE = 8
  FIELDS = %i[connections tls_connections messages bytes_sent bytes_received timeouts
              chaos_closes checksum_errors unexpected_errors].freeze

  # Counters shared by the threads.
  class Counts
    def initialize
      @lock = Mutex.new
      @values = FIELDS.to_h { |f| [f, 0] }
    end

    def add(field, n = 1)
      @lock.synchronize { @values[field] += n }
    end

    def [](field)
      @lock.synchronize { @values[field] }
    end

    def to_h
      @lock.synchronize { @values.dup }
    end
  end

  # Every blocking call runs inside watch: one still running past its
  # limit is counted (once) as hung.
  class Watchdog
    attr_reader :hung

    def initialize
      @calls = {} # thread -> [started, limit, what, reported]
      @lock = Mutex.new
      @hung = 0
      @stop = false
      @thread = Thread.new { until @stop; sleep 0.1; scan; end }
    end

    def watch(what, limit)
      @lock.synchronize { @calls[Thread.current] = [now, limit, what, false] }
      yield
    ensure
      @lock.synchronize { @calls.delete(Thread.current) }
    end

    def stop
      @stop = true
      @thread.join
      scan
    end

    private

    def now = Process.clock_gettime(Process::CLOCK_MONOTONIC)

    def scan
      t = now
      @lock.synchronize do
        @calls.each_value do |call|
          started, limit, what, reported = call
          next if reported || t - started <= limit

          call[3] = true
          @hung += 1
          warn format("HUNG: %s running for %.1f s (limit %.1f s)", what, t - started, limit)
        end
      end
    end
  end

  # The live connection of each worker.  Whoever takes a slot's connection
  # first closes it: the chaos thread by claiming it, the worker by
  # withdrawing it; a worker whose connection was claimed expects EBADF.
  class Registry
    Slot = Struct.new(:sock, :ssl, :claimed)

    def initialize(n)
      @lock = Mutex.new
      @slots = Array.new(n)
    end

    def publish(i, sock) = @lock.synchronize { @slots[i] = Slot.new(sock, nil, false) }

    def set_ssl(i, ssl) = @lock.synchronize { @slots[i].ssl = ssl }

    def claimed?(i) = @lock.synchronize { @slots[i]&.claimed || false }

    def withdraw(i)
      @lock.synchronize do
        slot = @slots[i]
        @slots[i] = nil
        slot.claimed
      end
    end

    def claim(i)
      @lock.synchronize do
        slot = @slots[i]
        next nil if slot.nil? || slot.claimed

        slot.claimed = true
        [slot.sock, slot.ssl]
      end
    end
  end

  # A socket, and the SSL object over it once there is one.
  Conn = Struct.new(:sock, :ssl) do
    def tls? = !ssl.nil?

    def read(n) = tls? ? ssl.read(n) : sock.recv(n)

    def write(data)
      tls? ? ssl.write(data) : sock.sendall(data)
    end
  end

  # One client process.
  class Client
    def initialize(name, plain_port, tls_port, cafile, nthreads)
      @name = name
      @ports = [plain_port, tls_port]
      @cafile = cafile
      @nthreads = nthreads
      @counts = Counts.new
      @registry = Registry.new(nthreads)
      @watchdog = Watchdog.new
      @pool = SecureRandom.random_bytes(POOL_SIZE).freeze
      @stopping = false
      @deadline = 0.0
    end

    def run(seconds)
      rng = Random.new
      # Warm-up: the TLS context cache then holds what it will hold until
      # the end (the one context of this client's settings).
      run_connection(0, rng, false, calm: true)
      run_connection(0, rng, true, calm: true)
      unless @counts[:messages] == 2
        warn "#{@name}: the warm-up exchanges failed"
        return false
      end
      @counts = Counts.new
      before = Soak.snapshot
      started = Soak.now
      @deadline = started + seconds
      threads = Array.new(@nthreads) { |i| Thread.new { worker(i) } }
      threads << Thread.new { chaos }
      sleep seconds
      @stopping = true
      threads.each(&:join)
      elapsed = Soak.now - started
      after = Soak.snapshot
      @watchdog.stop
      Soak.report(@name, @counts, @watchdog.hung, elapsed, before, after)
    end

    private

    def unexpected(what, exc)
      @counts.add(:unexpected_errors)
      warn "#{@name}: UNEXPECTED: #{what}: #{exc.class}: #{exc.message}" if @counts[:unexpected_errors] <= ERRORS_SHOWN
    end

    def failed(index, what, exc)
      if exc.is_a?(Polysock::Timeout)
        @counts.add(:timeouts)
      elsif exc.is_a?(Polysock::Error) && exc.errno == Errno::EBADF::Errno && @registry.claimed?(index)
        @counts.add(:chaos_closes)
      else
        unexpected(what, exc)
      end
    end

    # The timeout mode of the next calls: normal, tiny (calls time out), or
    # blocking; returns the watchdog's limit for them.
    def pick_timeout(rng, sock, calm)
      dice = calm ? 0 : rng.rand(10)
      if dice < 8
        t = if dice < 6
              calm ? 30.0 : rng.rand(2.0...10.0)
            else
              rng.rand(0.0002...0.02)
            end
        sock.settimeout(t)
        t + HUNG_SLACK
      else
        sock.settimeout(nil)
        BLOCKING_LIMIT
      end
    end

    def read_exact(conn, n, limit)
      data = String.new(capacity: n, encoding: Encoding::BINARY)
      while data.bytesize < n
        chunk = @watchdog.watch("read", limit) { conn.read(n - data.bytesize) }
        raise EOFError, "the server ended the stream inside an echo" if chunk.empty?

        data << chunk
      end
      data
    end

    def exchange(rng, conn, limit)
      size = (2**rng.rand(0.0...18.0)).to_i.clamp(1, MAX_PAYLOAD)
      offset = rng.rand(POOL_SIZE - size + 1)
      payload = @pool.byteslice(offset, size)
      header = [size, Zlib.crc32(payload)].pack("NN")
      @watchdog.watch("write", limit) { conn.write(header) }
      @watchdog.watch("write", limit) { conn.write(payload) }
      @counts.add(:bytes_sent, size)
      echo = read_exact(conn, HEADER_SIZE + size, limit)
      @counts.add(:bytes_received, size)
      _, crc = echo.unpack("NN")
      if echo.byteslice(0, HEADER_SIZE) != header || Zlib.crc32(echo.byteslice(HEADER_SIZE..)) != crc
        @counts.add(:checksum_errors)
        if @counts[:checksum_errors] <= ERRORS_SHOWN
          warn "#{@name}: CHECKSUM MISMATCH on a #{size}-byte echo (#{conn.tls? ? 'TLS' : 'plain'})"
        end
        return false
      end
      @counts.add(:messages)
      true
    end

    def run_connection(index, rng, use_tls, calm: false)
      begin
        sock = Polysock.socket(Polysock::AF_INET, Polysock::SOCK_STREAM)
      rescue Polysock::Error => e
        unexpected("socket", e)
        return
      end
      @counts.add(:connections)
      @counts.add(:tls_connections) if use_tls
      @registry.publish(index, sock)
      conn = Conn.new(sock, nil)
      begin
        limit = pick_timeout(rng, sock, calm)
        @watchdog.watch("connect", limit) { sock.connect(["127.0.0.1", @ports[use_tls ? 1 : 0]]) }
        if use_tls
          # Polysock.ssl runs the handshake, watched as one call.
          conn.ssl = @watchdog.watch("ssl", limit) do
            Polysock.ssl(sock, cafile: @cafile, server_hostname: "localhost")
          end
          @registry.set_ssl(index, conn.ssl)
        end
        messages = calm ? 1 : rng.rand(1..MAX_MESSAGES)
        messages.times do |i|
          break if @stopping

          limit = pick_timeout(rng, sock, calm) if i.positive? && rng.rand(4).zero?
          break unless exchange(rng, conn, limit)
        end
      rescue EOFError => e
        unexpected("read", e)
      rescue Polysock::Error => e
        failed(index, "connection", e)
      ensure
        claimed = @registry.withdraw(index)
        close(conn, claimed)
      end
    end

    # Close errors are excused only for a connection the chaos thread
    # claimed: it may be closing the same object at the same moment.
    def close(conn, claimed)
      [["ssl close", conn.ssl], ["close", conn.sock]].each do |what, obj|
        next if obj.nil?

        begin
          obj.close
        rescue Polysock::Error => e
          unexpected(what, e) unless claimed && e.errno == Errno::EBADF::Errno
        end
      end
    end

    def worker(index)
      rng = Random.new
      run_connection(index, rng, rng.rand(2) == 1) while !@stopping && Soak.now < @deadline
    end

    def chaos
      rng = Random.new
      until @stopping
        sleep rng.rand(0.02...0.2)
        sock, ssl = @registry.claim(rng.rand(@nthreads))
        next if sock.nil?

        begin
          ssl && rng.rand(2) == 1 ? ssl.close : sock.close
        rescue Polysock::Error => e
          # The worker may be closing it at the same moment.
          unexpected("chaos close", e) unless e.errno == Errno::EBADF::Errno
        end
      end
    end
  end

  def self.now = Process.clock_gettime(Process::CLOCK_MONOTONIC)

  def self.snapshot
    stats = Polysock.get_stats
    { fds: Dir.children("/proc/self/fd").size - 1, # the listing's own
      live_handles: stats[:live_handles], live_sockets: stats[:live_sockets],
      live_bytes: stats[:live_bytes] }
  end

  def self.report(name, counts, hung, seconds, before, after)
    c = counts.to_h
    ok = c[:checksum_errors].zero? && c[:unexpected_errors].zero? && hung.zero? &&
         before == after && c[:messages].positive?
    line = { client: name }.merge(c).merge(aborted: 0, hung_calls: hung, seconds: seconds.round(1))
    before.each_key { |k| line[k] = [before[k], after[k]] }
    line[:ok] = ok
    puts "SOAK-REPORT #{JSON.generate(line)}"
    $stdout.flush
    ok
  end
end

if ARGV.size != 5
  warn "usage: soak_client.rb PLAIN_PORT TLS_PORT CAFILE SECONDS THREADS"
  exit 2
end
plain, tls, cafile, seconds, nthreads = ARGV
ok = Soak::Client.new("ruby", Integer(plain), Integer(tls), cafile, Integer(nthreads)).run(Float(seconds))
exit(ok ? 0 : 1)
