# Echo server program
require "polysock"

HOST = ARGV[0] || ""                 # Symbolic name meaning the local host
PORT = Integer(ARGV[1] || 50007)     # Arbitrary non-privileged port
s = Polysock.socket(Polysock::AF_INET, Polysock::SOCK_STREAM)
s.bind([HOST, PORT])
s.listen(1)
conn, addr = s.accept
puts "Connected by #{addr.inspect}"
while true
  data = conn.recv(1024)
  break if data.empty?
  conn.send(data)
end
conn.close
