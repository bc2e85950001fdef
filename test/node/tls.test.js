// ssl() of the synchronous API against peers that are not polysock
// (test/tls/peer.py: Python's ssl module and the openssl CLI): round trips,
// every refusal with its code and reason, EOF forms, our server against
// their clients, names in every form, ALPN, options, the collector.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const {
    polysock, Sockets, elapsed, assertTimedOut, throwsCode, collect, certPath, startPeer, ROOT,
} = require('./helpers');
const names = require('./tls-names');

const CA = () => certPath('ca.pem');
const GOOD = () => ({ certfile: certPath('good.pem'), keyfile: certPath('good.key') });

// A client socket connected to a peer.py server mode.
async function connectTo(t, socks, mode, peerArgs = [], host = '127.0.0.1') {
    const peer = startPeer(t, mode, peerArgs);
    const s = socks.socket();
    s.settimeout(15);
    s.connect([host, await peer.port]);
    return { s, peer };
}

function derOf(file) {
    return new crypto.X509Certificate(fs.readFileSync(file)).raw;
}

// Read until the buffer holds n bytes (TLS may deliver a message in parts).
function readExactly(tls, n) {
    const parts = [];
    let have = 0;
    while (have < n) {
        const part = tls.read(n - have);
        assert.ok(part.length > 0, `EOF with ${n - have} bytes still expected`);
        parts.push(part);
        have += part.length;
    }
    return Buffer.concat(parts);
}

test('a round trip with Python ssl: data, names, version, cipher, certificate', async (t) => {
    const socks = new Sockets(t);
    const { s, peer } = await connectTo(t, socks, 'echo');
    const tls = polysock.ssl(s, { cafile: CA() });
    assert.equal(tls.write('Hello, world'), 12);
    assert.equal(readExactly(tls, 12).toString(), 'Hello, world');
    assert.equal(tls.server(), names.good.oneline);
    assert.equal(tls.issuer(), names.ca.oneline);
    assert.equal(tls.subjectRfc4514(), names.good.rfc4514);
    assert.equal(tls.issuerRfc4514(), names.ca.rfc4514);
    assert.deepEqual(tls.peerSubject(), names.good.fields);
    assert.deepEqual(tls.peerIssuer(), names.ca.fields);
    assert.match(tls.version(), /^TLSv1\.[23]$/);
    assert.match(tls.cipher(), /^[A-Z0-9_-]+$/);
    assert.equal(tls.alpnProtocol(), null);
    assert.deepEqual(tls.peerCertificate(), derOf(certPath('good.pem')));
    assert.equal(tls.pending(), 0);
    assert.equal(tls.fileno(), s.fileno());
    tls.close();
    s.close();
    assert.equal((await peer.done).code, 0);
});

test('the generated Tls class reads and copies info into the caller\'s buffer (read_into, info_into)', async (t) => {
    const socks = new Sockets(t);
    const { s, peer } = await connectTo(t, socks, 'echo');
    const cfg = polysock.tls_config_new(0);
    t.after(() => cfg.close());
    cfg.set_ca(CA());
    const conn = polysock.tls_new(s, cfg, null);
    conn.handshake();
    conn.write('Hello, world');
    const buf = Buffer.alloc(16, '.');
    for (let got = 0; got < 12;) got += conn.read_into(buf.subarray(2 + got), 12 - got);
    assert.equal(buf.toString(), '..Hello, world..');
    const version = new Uint8Array(16);
    const n = conn.info_into(polysock.POLYSOCK_TLS_INFO_VERSION, version);
    assert.equal(Buffer.from(version.buffer, 0, n).toString(), conn.info(polysock.POLYSOCK_TLS_INFO_VERSION, 16).toString());
    assert.match(Buffer.from(version.buffer, 0, n).toString(), /^TLSv1\.[23]$/);
    throwsCode(() => conn.read_into(buf, 17), RangeError, 'ERR_OUT_OF_RANGE');
    conn.close();
    s.close();
    assert.equal((await peer.done).code, 0);
});

test('the reference form ssl(sock, keyfile, certfile) presents a client certificate', async (t) => {
    const socks = new Sockets(t);
    const { s, peer } = await connectTo(t, socks, 'require-client-cert');
    const tls = polysock.ssl(s, certPath('client.key'), certPath('client.pem'), { cafile: CA() });
    assert.equal(tls.write(Buffer.from('with a certificate')), 18);
    assert.equal(readExactly(tls, 18).toString(), 'with a certificate');
    tls.close();
    s.close();
    assert.equal((await peer.done).code, 0);
});

test('a round trip with openssl s_server, by host name (SNI, name verified)', async (t) => {
    const socks = new Sockets(t);
    const { s, peer } = await connectTo(t, socks, 's_server', [], 'localhost');
    const tls = polysock.ssl(s, { cafile: CA() });
    tls.write('hello polysock\n');
    assert.equal(readExactly(tls, 15).toString(), 'kcosylop olleh\n');
    assert.equal(tls.server(), names.good.oneline);
    tls.close();
    s.close();
    assert.equal((await peer.done).code, 0);
});

const REFUSALS = [
    { mode: 'selfsigned', code: 'POLYSOCK_ETLS_CERT_UNTRUSTED', reason: /self[- ]signed/ },
    { mode: 'echo', why: 'a good certificate with no cafile (system store)', cafile: false,
      code: 'POLYSOCK_ETLS_CERT_UNTRUSTED', reason: /unable to get local issuer certificate/ },
    { mode: 'expired', code: 'POLYSOCK_ETLS_CERT_EXPIRED', reason: /certificate has expired/ },
    { mode: 'otherhost', code: 'POLYSOCK_ETLS_CERT_HOSTNAME', reason: /hostname mismatch/i, host: 'localhost' },
];

for (const r of REFUSALS) {
    test(`refused: ${r.why || r.mode} gives ${r.code} with the reason`, async (t) => {
        const socks = new Sockets(t);
        const { s, peer } = await connectTo(t, socks, r.mode, ['--expect-handshake', 'fail'], r.host);
        const opts = r.cafile === false ? {} : { cafile: CA() };
        const e = throwsCode(() => polysock.ssl(s, opts), Error, r.code);
        assert.match(e.reason, r.reason);
        assert.ok(e.message.includes(e.reason), e.message);
        assert.equal(e.syscall, 'tls_handshake');
        assert.equal(polysock.raw.errname(e.errno), r.code);
        s.close();
        assert.equal((await peer.done).code, 0);
    });
}

test('the opt-out: verify false accepts a self-signed peer', async (t) => {
    const socks = new Sockets(t);
    const { s, peer } = await connectTo(t, socks, 'selfsigned');
    const tls = polysock.ssl(s, { verify: false });
    assert.equal(tls.server(), '/C=US/O=polysock test/CN=localhost');
    assert.equal(tls.issuer(), '/C=US/O=polysock test/CN=localhost');
    tls.write('x');
    assert.equal(tls.read(1).toString(), 'x');
    tls.close();
    s.close();
    assert.equal((await peer.done).code, 0);
});

test('no name to verify (socketpair, accepted socket) is ETLS_NONAME', (t) => {
    const socks = new Sockets(t);
    const [a] = socks.pair();
    const e = throwsCode(() => polysock.ssl(a), Error, 'POLYSOCK_ETLS_NONAME');
    assert.equal(e.errno, -40011);
    const [, conn] = socks.tcpPair();
    throwsCode(() => polysock.ssl(conn, { cafile: CA() }), Error, 'POLYSOCK_ETLS_NONAME');
    // A name given, or verification off: no refusal (no I/O either).
    polysock.ssl(a, { serverHostname: 'localhost', handshake: false }).close();
    polysock.ssl(conn, { verify: false, handshake: false }).close();
});

test('a handshake with a silent server times out promptly', async (t) => {
    const socks = new Sockets(t);
    const { s } = await connectTo(t, socks, 'silent');
    s.settimeout(0.5);
    const r = elapsed(() => polysock.ssl(s, { cafile: CA() }));
    assertTimedOut(r, 0.5);
    assert.equal(r.error.syscall, 'tls_handshake');
});

const BROKEN = [
    { mode: 'plaintext', codes: ['POLYSOCK_ETLS_PROTOCOL'] },
    { mode: 'close-mid-handshake', codes: ['POLYSOCK_ETLS_EOF'] },
    // The reset may overtake the plaintext before it is read.
    { mode: 'plaintext-reset', codes: ['POLYSOCK_ETLS_PROTOCOL', 'ECONNRESET'] },
    { mode: 'tls1.0', codes: ['POLYSOCK_ETLS_VERSION'] },
    { mode: 'tls1.1', codes: ['POLYSOCK_ETLS_VERSION'] },
];

for (const b of BROKEN) {
    test(`a ${b.mode} peer gives ${b.codes.join(' or ')}`, async (t) => {
        const socks = new Sockets(t);
        const { s } = await connectTo(t, socks, b.mode);
        const e = throwsCode(() => polysock.ssl(s, { cafile: CA() }), Error);
        assert.ok(b.codes.includes(e.code), `${e.code}: ${e.message}`);
        assert.equal(e.syscall, 'tls_handshake');
    });
}

// The client ends its side with a bare FIN (shutdown): the peer echoes, then
// ends with close_notify (echo) or a bare FIN (echo-fin).
async function endingOf(t, mode, opts) {
    const socks = new Sockets(t);
    const { s } = await connectTo(t, socks, mode);
    const tls = polysock.ssl(s, { cafile: CA(), ...opts });
    tls.write('last words');
    s.shutdown(polysock.SHUT_WR);
    return tls;
}

test('close_notify from the peer reads as a clean EOF; read() gives all until it', async (t) => {
    const tls = await endingOf(t, 'echo');
    assert.equal(tls.read().toString(), 'last words');
    assert.equal(tls.read(10).length, 0);
});

test('a bare FIN from the peer is ETLS_EOF', async (t) => {
    const tls = await endingOf(t, 'echo-fin');
    assert.equal(readExactly(tls, 10).toString(), 'last words');
    const e = throwsCode(() => tls.read(10), Error, 'POLYSOCK_ETLS_EOF');
    assert.equal(e.syscall, 'tls_read');
});

test('a bare FIN is a clean EOF with allowUnexpectedEof', async (t) => {
    const tls = await endingOf(t, 'echo-fin', { allowUnexpectedEof: true });
    assert.equal(tls.read().toString(), 'last words');
});

test('read and write after close give EBADF; close twice is fine', async (t) => {
    const socks = new Sockets(t);
    const { s } = await connectTo(t, socks, 'echo');
    const tls = polysock.ssl(s, { cafile: CA() });
    tls.close();
    tls.close();
    throwsCode(() => tls.read(1), Error, 'EBADF');
    throwsCode(() => tls.write('x'), Error, 'EBADF');
    throwsCode(() => tls.server(), Error, 'EBADF');
    assert.equal(s.fileno() >= 0, true);   // the socket stays open
});

test('a non-blocking socket: the handshake says ETLS_WANTREAD', async (t) => {
    const socks = new Sockets(t);
    const { s } = await connectTo(t, socks, 'silent');
    s.setblocking(false);
    const tls = polysock.ssl(s, { cafile: CA(), handshake: false });
    throwsCode(() => tls.handshake(), Error, 'POLYSOCK_ETLS_WANTREAD');
    throwsCode(() => tls.read(1), Error, 'POLYSOCK_ETLS_WANTREAD');
    tls.close();
});

// Our server, their client: accept, wrap, echo one message, wait for the
// client's close_notify, close.
async function serve(t, clientMode, message, opts = {}, peerArgs = []) {
    const socks = new Sockets(t);
    const srv = socks.listener();
    const peer = startPeer(t, clientMode, ['--port', String(srv.getsockname()[1]), ...peerArgs]);
    srv.settimeout(15);
    const [conn] = srv.accept();
    socks.track(conn);
    const tls = polysock.ssl(conn, { serverSide: true, ...GOOD(), ...opts });
    assert.equal(readExactly(tls, message.length).toString(), message);
    tls.write(message);
    assert.equal(tls.read(100).length, 0);   // the client's close_notify
    const info = { version: tls.version(), peerSubject: tls.peerSubject(), alpn: tls.alpnProtocol() };
    tls.close();
    const r = await peer.done;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes('ECHOED'), r.stdout);
    return info;
}

test('our server with a Python ssl client', async (t) => {
    const info = await serve(t, 'client-python', 'hello from python');
    assert.match(info.version, /^TLSv1\.[23]$/);
    assert.equal(info.peerSubject, null);   // no client certificate
});

test('our server with openssl s_client', async (t) => {
    await serve(t, 'client-s_client', 'hello from s_client\n');
});

test('our server requiring a client certificate', async (t) => {
    const info = await serve(t, 'client-python-cert', 'hello from python',
                             { requireClientCert: true, cafile: CA() });
    assert.deepEqual(info.peerSubject, names.client.fields);
});

test('our server selects ALPN', async (t) => {
    const info = await serve(t, 'client-python', 'hello from python',
                             { alpnProtocols: ['h2', 'http/1.1'] }, ['--alpn', 'http/1.1']);
    assert.equal(info.alpn, 'http/1.1');
});

for (const [offer, selected] of [[['http/1.1'], 'http/1.1'], [['h2', 'http/1.1'], 'h2'], [['x-none'], null]]) {
    test(`ALPN: offering ${offer.join(',')} gives ${selected}`, async (t) => {
        const socks = new Sockets(t);
        const { s } = await connectTo(t, socks, 'alpn');
        const tls = polysock.ssl(s, { cafile: CA(), alpnProtocols: offer });
        assert.equal(tls.alpnProtocol(), selected);
        tls.close();
    });
}

for (const cert of ['odd', 'long']) {
    test(`the names of the ${cert} certificate in every form`, async (t) => {
        const socks = new Sockets(t);
        const { s, peer } = await connectTo(t, socks, 'echo', ['--cert', cert]);
        const tls = polysock.ssl(s, { cafile: CA() });
        assert.deepEqual(tls.peerSubject(), names[cert].fields);
        assert.equal(tls.server(), names[cert].oneline);
        assert.equal(tls.subjectRfc4514(), names[cert].rfc4514);
        assert.equal(tls.issuer(), names.ca.oneline);
        tls.close();
        s.close();
        assert.equal((await peer.done).code, 0);
    });
}

test('bad options are TypeError or RangeError', (t) => {
    const socks = new Sockets(t);
    const [a] = socks.pair();
    const opts = { serverHostname: 'localhost', handshake: false };
    throwsCode(() => polysock.ssl(a, { ...opts, alpnProtocols: ['h2,x'] }), TypeError, 'ERR_INVALID_ARG_VALUE');
    throwsCode(() => polysock.ssl(a, { ...opts, alpnProtocols: [''] }), RangeError, 'ERR_OUT_OF_RANGE');
    throwsCode(() => polysock.ssl(a, { ...opts, alpnProtocols: ['x'.repeat(256)] }), RangeError, 'ERR_OUT_OF_RANGE');
    throwsCode(() => polysock.ssl(a, { ...opts, alpnProtocols: 'h2' }), TypeError, 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => polysock.ssl(a, { ...opts, alpnProtocols: [2] }), TypeError, 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => polysock.ssl(a, { ...opts, minVersion: 'TLSv1.1' }), TypeError, 'ERR_TLS_INVALID_PROTOCOL_VERSION');
    throwsCode(() => polysock.ssl(a, { ...opts, minVersion: 0x0301 }), RangeError);
    throwsCode(() => polysock.ssl(a, { ...opts, verify: 'no' }), TypeError, 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => polysock.ssl(a, { ...opts, cafile: 3 }), TypeError, 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => polysock.ssl(a, { ...opts, verfy: false }), TypeError, 'ERR_INVALID_ARG_VALUE');
    throwsCode(() => polysock.ssl(a, { serverSide: true }), TypeError, 'ERR_MISSING_OPTION');
    throwsCode(() => polysock.ssl(a, certPath('good.key'), null, opts), TypeError, 'ERR_MISSING_OPTION');
    throwsCode(() => polysock.ssl(a, { ...opts, serverHostname: '' }), RangeError);
    throwsCode(() => polysock.ssl('not a socket'), TypeError, 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => polysock.ssl(a, { ...opts, cafile: '/nonexistent/ca.pem' }), Error, 'ENOENT');
    throwsCode(() => polysock.ssl(a, { ...opts, certfile: CA(), keyfile: certPath('good.key') }), Error, 'POLYSOCK_ETLS_CONFIG');
    const tls = polysock.ssl(a, { ...opts, minVersion: 'TLSv1.3' });
    throwsCode(() => tls.read(0), RangeError, 'ERR_OUT_OF_RANGE');
    throwsCode(() => tls.write(12), TypeError, 'ERR_INVALID_ARG_TYPE');
    tls.close();
});

test('a dropped SSL object is closed by the collector', async (t) => {
    const socks = new Sockets(t);
    const [a] = socks.pair();
    await collect();
    const before = Number(polysock.get_stats().live_handles);
    (() => {
        for (let i = 0; i < 20; i++) polysock.ssl(a, { serverHostname: 'localhost', handshake: false });
    })();
    assert.equal(Number(polysock.get_stats().live_handles), before + 20);
    await collect();
    assert.equal(Number(polysock.get_stats().live_handles), before);
});

test('the example ssl_client.js against a Python ssl echo server', async (t) => {
    const peer = startPeer(t, 'echo');
    const port = await peer.port;
    const child = spawn(process.execPath, [path.join(ROOT, 'docs', 'examples', 'node', 'ssl_client.js'),
                                           '--cafile', CA(), '127.0.0.1', String(port)],
                        { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
    t.after(() => child.kill());
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, err);
    assert.equal(out,
                 `${JSON.stringify(names.good.oneline)}\n${JSON.stringify(names.ca.oneline)}\n` +
                 `Received ${JSON.stringify('GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n')}\n`);
    assert.equal((await peer.done).code, 0);
});
