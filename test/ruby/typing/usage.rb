# frozen_string_literal: true

# What a program using polysock looks like, for the type check: TypeProf
# reads this with the binding's signatures (sig/*.rbs) and must report no
# error.  Never run.

require "polysock"

srv = Polysock::Socket.new(Polysock::AF_INET, Polysock::SOCK_STREAM)
srv.setsockopt(Polysock::SOL_SOCKET, Polysock::SO_REUSEADDR, 1)
srv.bind(["127.0.0.1", 0])
srv.listen
address = srv.getsockname
cli = Polysock::Socket.new
cli.settimeout(2.5)
timeout = cli.gettimeout
cli.connect(address)
conn, peer = srv.accept
sent = cli.send("Hello, world", 0)
cli.sendall("more")
data = conn.recv(1024)
buf = +"\0" * 64
count = conn.recv_into(buf)
conn.setblocking(false)
readable, = IO.select([conn.to_io])
line = conn.gets
rest = conn.read(4)
conn.write("bye", 1)
conn.shutdown(Polysock::SHUT_RDWR)
kind = cli.getsockopt(Polysock::SOL_SOCKET, Polysock::SO_TYPE)
raw = cli.getsockopt(Polysock::SOL_SOCKET, Polysock::SO_TYPE, 4)
fd = cli.fileno
Polysock::Socket.open(Polysock::AF_INET, Polysock::SOCK_DGRAM) do |udp|
  udp.sendto("datagram", 0, ["127.0.0.1", 9])
  udp.sendto("datagram", ["127.0.0.1", 9])
end
entries = Polysock.getaddrinfo("localhost", 80)
entries.each { |family, socktype, proto, canonname, sockaddr| [family, socktype, proto, canonname, sockaddr] }
name, aliases, addrs = Polysock.gethostbyname_ex("localhost")
v6 = Polysock.has_ipv6
version = Polysock.library_version
failure = Polysock::Timeout.new("timed out", errno: 110, errname: "ETIMEDOUT")
reason = [failure.errno, failure.errname, failure.code, failure.bytes_sent]
poller = Polysock::Poller.new
poller.add(conn, Polysock::POLYSOCK_POLLIN)
events = poller.wait(16, 0.5)
poller.close
[conn, cli, srv].each(&:close)
[peer, timeout, sent, data, count, readable, line, rest, kind, raw, fd, name, aliases, addrs, v6, version,
 reason, events]
