// Echo client program
const socket = require('polysock');
const util = require('util');

const HOST = process.argv[2];         // The remote host
const PORT = Number(process.argv[3]); // The same port as used by the server
const s = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
s.connect([HOST, PORT]);
s.send('Hello, world');
const data = s.recv(1024);
s.close();
console.log('Received', util.inspect(data.toString('latin1')));
