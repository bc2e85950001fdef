# Echo client program
require "polysock"

HOST = ARGV[0]                       # The remote host
PORT = Integer(ARGV[1])              # The same port as used by the server
s = nil
Polysock.getaddrinfo(HOST, PORT, Polysock::AF_UNSPEC, Polysock::SOCK_STREAM).each do |res|
  af, socktype, proto, _canonname, sa = res
  begin
    s = Polysock.socket(af, socktype, proto)
  rescue Polysock::Error
    s = nil
    next
  end
  begin
    s.connect(sa)
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
s.send("Hello, world")
data = s.recv(1024)
s.close
puts "Received #{data.inspect}"
