// Echo server program
const socket = require('polysock');
const util = require('util');

const HOST = process.argv.length > 2 ? process.argv[2] : '';           // Symbolic name meaning the local host
const PORT = process.argv.length > 3 ? Number(process.argv[3]) : 50007; // Arbitrary non-privileged port
let s = null;
for (const res of socket.getaddrinfo(HOST, PORT, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)) {
    const [af, socktype, proto, canonname, sa] = res;
    try {
        s = socket.socket(af, socktype, proto);
    } catch (msg) {
        s = null;
        continue;
    }
    try {
        s.bind(sa);
        s.listen(1);
    } catch (msg) {
        s.close();
        s = null;
        continue;
    }
    break;
}
if (s === null) {
    console.log('could not open socket');
    process.exit(1);
}
const [conn, addr] = s.accept();
console.log('Connected by', util.inspect(addr));
for (;;) {
    const data = conn.recv(1024);
    if (data.length === 0) break;
    conn.send(data);
}
conn.close();
