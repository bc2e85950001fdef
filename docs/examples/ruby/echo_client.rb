# Echo client program
require "polysock"

HOST = ARGV[0]                       # The remote host
PORT = Integer(ARGV[1])              # The same port as used by the server
s = Polysock.socket(Polysock::AF_INET, Polysock::SOCK_STREAM)
s.connect([HOST, PORT])
s.send("Hello, world")
data = s.recv(1024)
s.close
puts "Received #{data.inspect}"
