// echo_client.js HOST PORT - the echo client on Node's net module, the peer
// of the polysock Node server (test/interop/run-interop.sh).  It prints what
// docs/examples/node/echo_client.js prints.
'use strict';
const net = require('node:net');
const util = require('node:util');

const HOST = process.argv[2];
const PORT = Number(process.argv[3]);
const s = net.connect(PORT, HOST, () => s.write('Hello, world'));
s.once('data', (data) => {
    s.end();
    console.log('Received', util.inspect(data.toString('latin1')));
});
s.on('error', (err) => { console.error(err.message); process.exit(1); });
