# Echo server program
require "polysock"

HOST = ARGV[0] || ""                 # Symbolic name meaning the local host
PORT = Integer(ARGV[1] || 50007)     # Arbitrary non-privileged port
s = nil
Polysock.getaddrinfo(HOST, PORT, Polysock::AF_UNSPEC, Polysock::SOCK_STREAM, 0, Polysock::AI_PASSIVE).each do |res|
  af, socktype, proto, _canonname, sa = res
  begin
    s = Polysock.socket(af, socktype, proto)
  rescue Polysock::Error
    s = nil
    next
  end
  begin
    s.bind(sa)
    s.listen(1)
  rescue Polysock::Error
    s.close
    s = nil
    next
  end
  break
end
if s.nil?
  puts "could not open socket"
  exit 1
end
conn, addr = s.accept
puts "Connected by #{addr.inspect}"
while true
  data = conn.recv(1024)
  break if data.empty?
  conn.send(data)
end
conn.close
