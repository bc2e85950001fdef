// The reference's four echo examples in Node (docs/examples/node), against
// each other: plain and dual-stack, over 127.0.0.1, ::1 and localhost.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { polysock, ipv6Loopback } = require('./helpers');

const DIR = path.join(__dirname, '..', '..', 'docs', 'examples', 'node');

function run(script, args, ms = 20000) {
    const child = spawn(process.execPath, [path.join(DIR, script), ...args],
                        { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => child.kill(), ms);
    const done = new Promise((resolve) => child.on('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, out, err });
    }));
    return { child, done };
}

// A port that is free now (bound and released).
function freePort(family, host) {
    const s = polysock.socket(family);
    s.bind([host, 0]);
    const port = s.getsockname()[1];
    s.close();
    return port;
}

// Wait until something listens on host:port, without connecting to it (the
// servers serve exactly one client): a bind to the same port fails then.
async function listening(family, host, port) {
    for (let i = 0; i < 400; i++) {
        const s = polysock.socket(family);
        try {
            s.bind([host, port]);
        } catch (e) {
            if (e.code === 'EADDRINUSE') return;
            throw e;
        } finally {
            s.close();
        }
        await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`nothing listens on ${host}:${port}`);
}

const CASES = [
    { server: 'echo_server.js', client: 'echo_client.js', host: '127.0.0.1', bind: '', family: 'AF_INET' },
    { server: 'echo_server_dual.js', client: 'echo_client_dual.js', host: '127.0.0.1', bind: '127.0.0.1', family: 'AF_INET' },
    { server: 'echo_server_dual.js', client: 'echo_client_dual.js', host: '::1', bind: '::1', family: 'AF_INET6', v6: true },
    { server: 'echo_server_dual.js', client: 'echo_client_dual.js', host: 'localhost', bind: 'localhost', family: 'AF_INET' },
];

for (const c of CASES) {
    test(`${c.server} and ${c.client} over ${c.host}`, { skip: c.v6 && !ipv6Loopback() && 'no IPv6 loopback' }, async () => {
        const family = polysock[c.family];
        const probeHost = c.family === 'AF_INET6' ? '::1' : '127.0.0.1';
        const port = freePort(family, probeHost);
        const server = run(c.server, c.bind === '' ? ['', String(port)] : [c.bind, String(port)]);
        try {
            await listening(family, probeHost, port);
            const client = await run(c.client, [c.host, String(port)]).done;
            assert.equal(client.code, 0, client.err);
            assert.equal(client.out, "Received 'Hello, world'\n");
            const srv = await server.done;
            assert.equal(srv.code, 0, srv.err);
            const m = /^Connected by \[ '([^']+)', (\d+)(, 0, 0)? \]\n$/.exec(srv.out);
            assert.ok(m, `server said ${JSON.stringify(srv.out)}`);
            assert.equal(m[1], probeHost);
        } finally {
            server.child.kill();
        }
    });
}

test('a client with nobody to talk to fails with ECONNREFUSED', async () => {
    const port = freePort(polysock.AF_INET, '127.0.0.1');
    const r = await run('echo_client.js', ['127.0.0.1', String(port)]).done;
    assert.notEqual(r.code, 0);
    assert.match(r.err, /ECONNREFUSED/);
    const d = await run('echo_client_dual.js', ['127.0.0.1', String(port)]).done;
    assert.equal(d.code, 1);
    assert.equal(d.out, 'could not open socket\n');
});
