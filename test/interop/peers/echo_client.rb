# echo_client.rb HOST PORT - the echo client on Ruby's TCPSocket, the peer
# of the polysock Ruby server (test/interop/run-interop.sh).  It prints
# what docs/examples/ruby/echo_client.rb prints.
require "socket"

$stdout.sync = true
HOST = ARGV.fetch(0)
PORT = Integer(ARGV.fetch(1))
s = TCPSocket.new(HOST, PORT)
s.write("Hello, world")
data = s.readpartial(1024)
s.close
puts "Received #{data.inspect}"
