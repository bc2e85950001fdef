# echo_client.py HOST PORT - the echo client on Python's own socket module,
# the peer of the polysock Python server (test/interop/run-interop.sh).
# It prints what docs/examples/python/echo_client.py prints.
import socket
import sys

HOST = sys.argv[1]
PORT = int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((HOST, PORT))
s.sendall(b'Hello, world')
data = s.recv(1024)
s.close()
print('Received', repr(data))
