// echo_server.js HOST PORT - the echo server on Node's net module, the peer
// of the polysock Node client (test/interop/run-interop.sh).  It serves one
// client, as docs/examples/node/echo_server.js does, and prints what it
// prints.
'use strict';
const net = require('node:net');
const util = require('node:util');

const HOST = process.argv[2];
const PORT = Number(process.argv[3]);
const server = net.createServer((conn) => {
    server.close(); // one client only
    console.log('Connected by', util.inspect([conn.remoteAddress, conn.remotePort]));
    conn.on('data', (data) => conn.write(data));
    conn.on('end', () => conn.end());
    conn.on('error', (err) => { console.error(err.message); process.exitCode = 1; });
});
server.on('error', (err) => { console.error(err.message); process.exit(1); });
server.listen(PORT, HOST, 1);
