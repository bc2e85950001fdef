# echo_server.py HOST PORT - the echo server on Python's own socket module,
# the peer of the polysock Python client (test/interop/run-interop.sh).
# It prints what docs/examples/python/echo_server.py prints.
import socket
import sys

HOST = sys.argv[1]
PORT = int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind((HOST, PORT))
s.listen(1)
conn, addr = s.accept()
print('Connected by', addr)
while 1:
    data = conn.recv(1024)
    if not data: break
    conn.send(data)
conn.close()
s.close()
