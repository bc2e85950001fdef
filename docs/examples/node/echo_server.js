// Echo server program
const socket = require('polysock');
const util = require('util');

const HOST = process.argv.length > 2 ? process.argv[2] : '';           // Symbolic name meaning the local host
const PORT = process.argv.length > 3 ? Number(process.argv[3]) : 50007; // Arbitrary non-privileged port
const s = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
s.bind([HOST, PORT]);
s.listen(1);
const [conn, addr] = s.accept();
console.log('Connected by', util.inspect(addr));
for (;;) {
    const data = conn.recv(1024);
    if (data.length === 0) break;
    conn.send(data);
}
conn.close();
