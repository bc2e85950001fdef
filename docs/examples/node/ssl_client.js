// SSL client program: the reference's socket.ssl example.
//     node ssl_client.js [--cafile CA.pem] HOST PORT
// The certificate is verified against the system's trust store, or against
// CA.pem (a private CA, as the tests use).
const socket = require('polysock');

const args = process.argv.slice(2);
let cafile;
const at = args.indexOf('--cafile');
if (at >= 0) [, cafile] = args.splice(at, 2);
const [HOST, PORT] = [args[0], Number(args[1])];

const s = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
s.connect([HOST, PORT]);
const sslSock = socket.ssl(s, { cafile });   // verifies the peer as HOST

console.log(JSON.stringify(sslSock.server()));   // for display only: see peerSubject()
console.log(JSON.stringify(sslSock.issuer()));

sslSock.write(`GET / HTTP/1.0\r\nHost: ${HOST}\r\n\r\n`);
const data = sslSock.read(1024);
console.log('Received', JSON.stringify(data.toString('latin1')));

// Note that you need to close the underlying socket, not the SSL object.
sslSock.close();
s.close();
