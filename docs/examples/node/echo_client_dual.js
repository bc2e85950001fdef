// Echo client program
const socket = require('polysock');
const util = require('util');

const HOST = process.argv[2];         // The remote host
const PORT = Number(process.argv[3]); // The same port as used by the server
let s = null;
for (const res of socket.getaddrinfo(HOST, PORT, socket.AF_UNSPEC, socket.SOCK_STREAM)) {
    const [af, socktype, proto, canonname, sa] = res;
    try {
        s = socket.socket(af, socktype, proto);
    } catch (msg) {
        s = null;
        continue;
    }
    try {
        s.connect(sa);
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
s.send('Hello, world');
const data = s.recv(1024);
s.close();
console.log('Received', util.inspect(data.toString('latin1')));
