# echo_server.rb HOST PORT - the echo server on Ruby's TCPServer, the peer
# of the polysock Ruby client (test/interop/run-interop.sh).  It prints
# what docs/examples/ruby/echo_server.rb prints.
require "socket"

$stdout.sync = true
HOST = ARGV.fetch(0)
PORT = Integer(ARGV.fetch(1))
server = TCPServer.new(HOST, PORT)
conn = server.accept
addr = conn.remote_address
puts "Connected by #{[addr.ip_address, addr.ip_port].inspect}"
while true
  data = conn.readpartial(1024) rescue ""
  break if data.empty?
  conn.write(data)
end
conn.close
server.close
