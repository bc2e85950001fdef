# SSL client program: the reference's socket.ssl example
#
#   ruby ssl_client.rb [--cafile CA.pem] HOST PORT
#
# The connection is verified (the chain against the system's trust store,
# or --cafile, and HOST against the certificate).
require "optparse"
require "polysock"

cafile = nil
OptionParser.new { |o| o.on("--cafile FILE", "trust this CA instead of the system's") { |f| cafile = f } }.parse!
HOST = ARGV.fetch(0)                 # The remote host
PORT = Integer(ARGV.fetch(1))        # The port of its TLS server

s = Polysock.socket(Polysock::AF_INET, Polysock::SOCK_STREAM)
s.connect([HOST, PORT])
ssl_sock = Polysock.ssl(s, cafile: cafile)

p ssl_sock.server                    # for display; ssl_sock.peer_subject for code
p ssl_sock.issuer

# Set a simple HTTP request -- use Net::HTTP in actual code.
ssl_sock.write("GET / HTTP/1.0\r\nHost: #{HOST}\r\n\r\n")

# Read a chunk of data.  Will not necessarily
# read all the data returned by the server.
data = ssl_sock.read(1024)
puts "Received #{data.inspect}"

# close sends close_notify; the socket is still yours to close.
ssl_sock.close
s.close
