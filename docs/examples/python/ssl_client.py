# SSL client program: the reference's example, in Python 3 on polysock.
# Connects, starts TLS (the server's certificate is verified: give the CA
# that signed it with --cafile when it is not in the system's store),
# prints the server's and its issuer's names, sends a request and reads
# part of the response.
#
#     python3 ssl_client.py [--cafile CA.pem] HOST PORT
import argparse

import polysock as socket

parser = argparse.ArgumentParser()
parser.add_argument('host')
parser.add_argument('port', type=int)
parser.add_argument('--cafile', help='trust this CA instead of the system store')
args = parser.parse_args()

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((args.host, args.port))
ssl_sock = socket.ssl(s, cafile=args.cafile)
print(repr(ssl_sock.server()))
print(repr(ssl_sock.issuer()))
# Send a simple HTTP request -- use http.client in actual code.
ssl_sock.write(b"GET / HTTP/1.0\r\nHost: " + args.host.encode('ascii')
               + b"\r\n\r\n")
# Read a chunk of data.  Will not necessarily read all the data returned
# by the server.
data = ssl_sock.read(1024)
print('Received', repr(data))
# Note that you need to close the underlying socket, not only the SSL object.
ssl_sock.close()
s.close()
