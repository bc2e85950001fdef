# frozen_string_literal: true

# bench_ruby.rb - the polysock Ruby binding against Ruby's own Socket.
#
# Usage: ruby bench/bench_ruby.rb     (with polysock on the load path and
#                                     POLYSOCK_LIBRARY naming the library)
#
# Both run in the same process, in the same run, against the same peer.
# Each row measures
#
#   socketpair ping-pong    1-byte round trips per second over a socketpair
#                           (Polysock.socketpair / UNIXSocket.pair)
#   tcp ping-pong           the same over loopback TCP (TCP_NODELAY)
#   tcp bulk send 64K       MiB/s of sendall / IO#write with a 64 KiB String
#   tcp bulk recv_into 64K  MiB/s of recv_into(buf) / recv(65536, 0, buf)
#                           into one 64 KiB String
#   tcp bulk recv 64K       MiB/s of recv(65536), a new String per call
#                           (no target: polysock's String is zero-filled
#                           before the library writes into it, Ruby's own
#                           is not: pure Ruby cannot make a String of a
#                           given length without writing it)
#   fileno call             the cost of a trivial method call (ns per call)
#
# The peer is a separate Ruby process that uses Ruby's socket library only,
# so it costs the same whichever side it serves.  The bench hands it the
# far end of each connection over a Unix socket (send_io): the side under
# test creates its own end (socketpair, or socket + connect), and the far
# end of a TCP connection is accepted by a stdlib listener.
#
# The two sides run back to back in every round, alternating which goes
# first, and the ratio polysock/stdlib is taken per round, so noise that
# hits a whole round cancels out; the table shows the median ratio and its
# spread.  Ratios are of speed: above 1 means polysock is faster (for the
# call row too: stdlib ns / polysock ns).
#
# Targets (median ratio): ping-pong >= 0.95, bulk >= 0.98 (send and
# recv_into); the allocating recv and the call rows have none.  Run it with
# `ruby --yjit` too: the header says whether YJIT is on.
#
# Environment:
#   POLYSOCK_BENCH_RUNS      rounds (default 15)
#   POLYSOCK_BENCH_PINGPONG  round trips per ping-pong run (default 50000)
#   POLYSOCK_BENCH_BULK_MB   MiB per bulk run (default 256)
#   POLYSOCK_BENCH_CALLS     calls per call run (default 2000000)
#   POLYSOCK_BENCH_ROWS      only the rows whose name contains this text
#   POLYSOCK_BENCH_PIN       same (default): the bench and its peer share one
#                            CPU; split: one CPU each; off: no pinning
#   POLYSOCK_BENCH_STRICT    1: exit 1 when a row misses its target
#
# Why pin: on a VM a wake-up across CPUs costs tens of microseconds and
# varies from run to run, which drowns the binding's own cost.  Sharing one
# CPU makes a round trip two context switches: steady, and the share of the
# wrapper code is the largest it can be, so the ratio is the strictest one.

require "socket"

CHUNK = 64 * 1024           # one bulk call, both sides
PEER_BUF = 256 * 1024       # the peer reads and writes bigger, so it keeps up
WARMUP_TRIPS = 3000         # untimed round trips
WARMUP_CALLS = 20_000       # untimed calls

def die(message)
  warn "bench_ruby: #{message}"
  exit 1
end

def env_int(name, default, range)
  text = ENV.fetch(name, "")
  return default if text.empty?

  value = Integer(text, exception: false)
  die "#{name} must be a number in #{range}, not #{text.inspect}" unless value && range.cover?(value)
  value
end

def now
  Process.clock_gettime(Process::CLOCK_MONOTONIC)
end

# ---- CPU pinning (sched_setaffinity through ffi: Ruby has no call for it) --

module Affinity
  def self.libc
    @libc ||= begin
      require "ffi"
      Module.new do
        extend FFI::Library
        ffi_lib FFI::Library::LIBC
        attach_function :sched_setaffinity, %i[int size_t pointer], :int
      end
    end
  end

  def self.pin(cpu)
    libc
    mask = FFI::MemoryPointer.new(:uint64, 16) # a cpu_set_t: 1024 bits
    mask.put_uint64(8 * (cpu / 64), 1 << (cpu % 64))
    die "sched_setaffinity(#{cpu}) failed" unless libc.sched_setaffinity(0, mask.size, mask).zero?
  end

  def self.allowed
    line = File.foreach("/proc/self/status").find { |l| l.start_with?("Cpus_allowed_list:") }
    line.split(":", 2)[1].strip.split(",").flat_map do |part|
      lo, hi = part.split("-").map(&:to_i)
      (lo..(hi || lo)).to_a
    end
  end

  # The CPU this process last ran on (field 39 of /proc/self/stat).
  def self.current
    File.read("/proc/self/stat").rpartition(")").last.split[39 - 3].to_i
  end

  # Pin this process; [bench CPU, peer CPU], or [nil, nil] unpinned.
  def self.setup
    how = ENV.fetch("POLYSOCK_BENCH_PIN", "").then { |v| v.empty? ? "same" : v }
    die "POLYSOCK_BENCH_PIN must be same, split or off, not #{how.inspect}" unless %w[same split off].include?(how)
    return [nil, nil] if how == "off"

    cpus = allowed
    die "POLYSOCK_BENCH_PIN=split needs two CPUs" if how == "split" && cpus.size < 2
    here = cpus.include?(current) ? current : cpus.first
    pin(here)
    [here, how == "same" ? here : cpus.find { |c| c != here }]
  end
end

# ---- the peer: a separate process, Ruby's socket library only -------------

module PeerCommands
  def self.echo(conn, _arg)
    buf = String.new(capacity: 1024)
    loop do
      conn.recv(1024, 0, buf)
      return if buf.empty?

      conn.write(buf)
    end
  end

  # Read total bytes, then acknowledge with one byte.
  def self.discard(conn, total)
    buf = String.new(capacity: PEER_BUF)
    got = 0
    while got < total
      conn.recv(PEER_BUF, 0, buf)
      raise EOFError, "bench closed after #{got} of #{total} bytes" if buf.empty?

      got += buf.bytesize
    end
    conn.write("k")
  end

  # Wait for the bench's go byte (its clock starts there), then send.
  def self.source(conn, total)
    raise EOFError, "no go byte" unless conn.recv(1) == "g"

    data = "\0".b * PEER_BUF
    left = total
    while left.positive?
      left -= conn.write(left >= PEER_BUF ? data : data.byteslice(0, left))
    end
  end
end

def peer_main(ctl_fd, cpu)
  Affinity.pin(cpu) if cpu >= 0
  ctl = UNIXSocket.for_fd(ctl_fd)
  loop do
    msg = ctl.read(64)
    return if msg.nil?

    io = ctl.recv_io(Socket)
    command, arg = msg.split
    begin
      PeerCommands.public_send(command, io, Integer(arg))
    ensure
      io.close
    end
    ctl.write("d")
  end
end

class Peer
  attr_reader :address, :listener

  def initialize(cpu)
    @ctl, theirs = UNIXSocket.pair
    @pid = Process.spawn(RbConfig.ruby, __FILE__, "--peer", theirs.fileno.to_s, (cpu || -1).to_s,
                         theirs.fileno => theirs.fileno)
    theirs.close
    @listener = TCPServer.new("127.0.0.1", 0)
    @address = ["127.0.0.1", @listener.addr[1]]
  end

  # Give the peer fd (a duplicate travels) and what to do with it.
  def hand(fd, command, arg)
    @ctl.write("#{command} #{arg}".ljust(64))
    io = IO.for_fd(fd, autoclose: false)
    @ctl.send_io(io)
  end

  # Wait until the peer has finished with the last connection.
  def wait_done
    return if @ctl.read(1) == "d"

    _, status = Process.wait2(@pid)
    die "the peer died (#{status})"
  end

  def close
    @ctl.close
    @listener.close
    Process.wait(@pid)
  end
end

# ---- the two sides ------------------------------------------------------------

# Each side opens its own end of a connection and runs the timed loops in
# methods of its own (defined from the same text, with each library's name
# for "send everything" and "receive into a buffer").
class Side
  attr_reader :name

  KERNELS = <<~RUBY
    def pingpong(s, trips)
      trips.times do
        s.send("x", 0)
        raise EOFError, "peer closed" if s.recv(1).empty?
      end
    end

    def bulk_send(s, chunk, count)
      count.times { s.SENDALL(chunk) }
    end

    def bulk_recv_into(s, buf, total)
      got = 0
      while got < total
        n = RECV_INTO
        raise EOFError, "peer closed" if n.zero?

        got += n
      end
    end

    def bulk_recv(s, total)
      got = 0
      while got < total
        n = s.recv(#{CHUNK}).bytesize
        raise EOFError, "peer closed" if n.zero?

        got += n
      end
    end

    def calls(s, count)
      count.times { s.fileno }
    end
  RUBY

  def self.define(name, sendall, recv_into)
    Class.new(self) do
      class_eval(KERNELS.gsub("SENDALL", sendall).gsub("RECV_INTO", recv_into),
                 "(bench loops for #{name})", 1)
    end.new(name)
  end

  def initialize(name)
    @name = name
  end
end

class StdlibSide < Side
  def socketpair
    UNIXSocket.pair
  end

  def tcp_connect(address)
    s = TCPSocket.new(*address)
    s.setsockopt(Socket::IPPROTO_TCP, Socket::TCP_NODELAY, 1)
    s
  end

  def fresh
    Socket.new(:INET, :STREAM)
  end
end

class PolysockSide < Side
  def socketpair
    Polysock.socketpair
  end

  def tcp_connect(address)
    s = Polysock.socket(Polysock::AF_INET, Polysock::SOCK_STREAM)
    s.setsockopt(Polysock::IPPROTO_TCP, Polysock::TCP_NODELAY, 1)
    s.connect(address)
    s
  end

  def fresh
    Polysock.socket
  end
end

def open_conn(side, peer, transport, command, arg)
  if transport == :unix
    mine, theirs = side.socketpair
    peer.hand(theirs.fileno, command, arg)
    theirs.close
    return mine
  end
  mine = side.tcp_connect(peer.address)
  theirs = peer.listener.accept
  theirs.setsockopt(Socket::IPPROTO_TCP, Socket::TCP_NODELAY, 1)
  peer.hand(theirs.fileno, command, arg)
  theirs.close
  mine
end

# ---- rows ----------------------------------------------------------------------

def run_pingpong(side, peer, params, transport)
  s = open_conn(side, peer, transport, "echo", 0)
  side.pingpong(s, WARMUP_TRIPS)
  trips = params[:pingpong]
  t0 = now
  side.pingpong(s, trips)
  elapsed = now - t0
  s.close
  peer.wait_done
  trips / elapsed
end

def run_bulk_send(side, peer, params)
  count = params[:bulk] / CHUNK
  s = open_conn(side, peer, :tcp, "discard", count * CHUNK)
  chunk = "\0".b * CHUNK
  t0 = now
  side.bulk_send(s, chunk, count)
  die "no acknowledgement from the peer" unless s.recv(1) == "k"
  elapsed = now - t0
  s.close
  peer.wait_done
  count * CHUNK / elapsed / (1024 * 1024)
end

def run_bulk_recv(side, peer, params, into)
  total = params[:bulk]
  s = open_conn(side, peer, :tcp, "source", total)
  buf = "\0".b * CHUNK
  t0 = now
  s.send("g", 0)
  into ? side.bulk_recv_into(s, buf, total) : side.bulk_recv(s, total)
  elapsed = now - t0
  s.close
  peer.wait_done
  total / elapsed / (1024 * 1024)
end

def run_calls(side, _peer, params)
  s = side.fresh
  side.calls(s, WARMUP_CALLS)
  count = params[:calls]
  t0 = now
  side.calls(s, count)
  elapsed = now - t0
  s.close
  count / elapsed
end

Row = Struct.new(:name, :kind, :unit, :run, :results, :ratios) do
  def show(rate)
    return format("%8.1f ns/call", 1e9 / rate) if unit == "ns/call"

    format("%8.0f %s", rate, unit)
  end
end

ROWS = [
  Row.new("socketpair ping-pong", :pingpong, "rt/s", ->(s, p, o) { run_pingpong(s, p, o, :unix) }),
  Row.new("tcp ping-pong", :pingpong, "rt/s", ->(s, p, o) { run_pingpong(s, p, o, :tcp) }),
  Row.new("tcp bulk send 64K", :bulk, "MiB/s", ->(s, p, o) { run_bulk_send(s, p, o) }),
  Row.new("tcp bulk recv_into 64K", :bulk, "MiB/s", ->(s, p, o) { run_bulk_recv(s, p, o, true) }),
  Row.new("tcp bulk recv 64K", :info, "MiB/s", ->(s, p, o) { run_bulk_recv(s, p, o, false) }),
  Row.new("fileno call", :call, "ns/call", ->(s, p, o) { run_calls(s, p, o) }),
].freeze

TARGETS = { pingpong: 0.95, bulk: 0.98 }.freeze

def median(values)
  sorted = values.sort
  mid = sorted.size / 2
  sorted.size.odd? ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2.0
end

def run_rounds(rows, sides, peer, params, runs)
  start = now
  runs.times do |r|
    rows.each do |row|
      # Alternate who goes first, so a trend (another load starting,
      # frequency changes) is not always paid by the same side.
      (r.even? ? sides : sides.reverse).each do |side|
        row.results[side.name] << row.run.call(side, peer, params)
      end
      row.ratios << row.results["polysock"].last / row.results["stdlib"].last
    end
    warn format("  round %d/%d done (%.1f s)", r + 1, runs, now - start)
  end
end

def print_table(rows)
  puts
  puts format("%-24s %16s %16s %7s %13s  %s", "row", "stdlib median", "polysock median",
              "ratio", "ratio spread", "target")
  misses = 0
  rows.each do |row|
    ratio = median(row.ratios)
    want = TARGETS[row.kind]
    verdict = if want
                misses += 1 if ratio < want
                format(">= %.2f %s", want, ratio >= want ? "PASS" : "FAIL")
              else
                "(no target)"
              end
    puts format("%-24s %16s %16s %7.3f %6.3f-%-6.3f  %s", row.name,
                row.show(median(row.results["stdlib"])), row.show(median(row.results["polysock"])),
                ratio, row.ratios.min, row.ratios.max, verdict)
  end
  misses
end

def main
  runs = env_int("POLYSOCK_BENCH_RUNS", 15, 1..101)
  params = {
    pingpong: env_int("POLYSOCK_BENCH_PINGPONG", 50_000, 1..10**8),
    bulk: env_int("POLYSOCK_BENCH_BULK_MB", 256, 1..(1 << 20)) * 1024 * 1024,
    calls: env_int("POLYSOCK_BENCH_CALLS", 2_000_000, 1..10**10),
  }
  strict = env_int("POLYSOCK_BENCH_STRICT", 0, 0..1)
  only = ENV.fetch("POLYSOCK_BENCH_ROWS", "")
  rows = ROWS.select { |row| row.name.include?(only) }
  die "POLYSOCK_BENCH_ROWS=#{only.inspect} matches no row" if rows.empty?
  rows.each do |row|
    row.results = { "stdlib" => [], "polysock" => [] }
    row.ratios = []
  end

  require "polysock" # after the peer's entry point, which must not need it
  sides = [StdlibSide.define("stdlib", "write", "s.recv(#{CHUNK}, 0, buf).bytesize"),
           PolysockSide.define("polysock", "sendall", "s.recv_into(buf)")]
  bench_cpu, peer_cpu = Affinity.setup
  peer = Peer.new(peer_cpu)

  yjit = defined?(RubyVM::YJIT) && RubyVM::YJIT.enabled? ? "YJIT on" : "YJIT off"
  puts format("polysock %s (library %s) vs Ruby's Socket on ruby %s (%s): %d rounds, " \
              "%d round trips, %d MiB bulk, %d calls",
              Polysock::VERSION, Polysock.library_version, RUBY_VERSION, yjit, runs,
              params[:pingpong], params[:bulk] / (1024 * 1024), params[:calls])
  puts "#{RbConfig.ruby}; peer: Ruby's socket library; " \
       "#{bench_cpu ? "pinned: bench on CPU #{bench_cpu}, peer on CPU #{peer_cpu}" : 'not pinned'}"
  $stdout.flush

  start = now
  begin
    run_rounds(rows, sides, peer, params, runs)
  ensure
    peer.close
  end
  misses = print_table(rows)
  puts
  puts format("%s (%.1f s)", misses.zero? ? "all rows meet their targets" : "some rows miss their targets",
              now - start)
  strict == 1 && misses.positive? ? 1 : 0
end

if ARGV.size == 3 && ARGV[0] == "--peer"
  peer_main(Integer(ARGV[1]), Integer(ARGV[2]))
else
  exit main
end
