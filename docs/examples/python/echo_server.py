# Echo server program
import polysock as socket
import sys

HOST = sys.argv[1] if len(sys.argv) > 1 else ''          # Symbolic name meaning the local host
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 50007  # Arbitrary non-privileged port
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
