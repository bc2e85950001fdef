// ssl() of the Promise API: TLS calls that would wait are parked on the
// core's poller (park.js), so the event loop goes on and no libuv pool
// thread is held per waiting call; both sides of a connection in one
// process, full duplex, timeouts as one deadline, close while waiting.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const util = require('node:util');
const {
    promises, park, Sockets, PSockets, elapsedAsync, assertTimedOut, rejectsCode, collect, sleep, certPath, startPeer,
} = require('./helpers');
const names = require('./tls-names');

const CA = () => certPath('ca.pem');
const SERVER = () => ({ serverSide: true, certfile: certPath('good.pem'), keyfile: certPath('good.key') });

// A TLS connection between two sockets of this process: [client, server].
async function tlsPair(socks, clientOpts = {}, serverOpts = {}) {
    const [cli, conn] = await socks.tcpPair();
    await cli.settimeout(15);
    await conn.settimeout(15);
    return Promise.all([
        promises.ssl(cli, { cafile: CA(), ...clientOpts }),
        promises.ssl(conn, { ...SERVER(), ...serverOpts }),
    ]);
}

async function readExactly(tls, n) {
    const parts = [];
    let have = 0;
    while (have < n) {
        const part = await tls.read(n - have);
        assert.ok(part.length > 0, `EOF with ${n - have} bytes still expected`);
        parts.push(part);
        have += part.length;
    }
    return Buffer.concat(parts);
}

test('a round trip with Python ssl; every method returns a Promise', async (t) => {
    const socks = new PSockets(t);
    const peer = startPeer(t, 'echo');
    const s = await socks.socket();
    await s.settimeout(15);
    await s.connect(['127.0.0.1', await peer.port]);
    const tls = await promises.ssl(s, { cafile: CA() });
    assert.ok(tls instanceof promises.SSLObject);
    assert.equal(await tls.write('Hello, world'), 12);
    assert.equal((await readExactly(tls, 12)).toString(), 'Hello, world');
    const server = tls.server();
    assert.ok(server instanceof Promise);
    assert.equal(await server, names.good.oneline);
    assert.equal(await tls.issuer(), names.ca.oneline);
    assert.deepEqual(await tls.peerSubject(), names.good.fields);
    assert.equal(await tls.subjectRfc4514(), names.good.rfc4514);
    assert.match(await tls.version(), /^TLSv1\.[23]$/);
    assert.equal(await tls.fileno(), await s.fileno());
    await tls.close();
    await s.close();
    assert.equal((await peer.done).code, 0);
});

test('the generated Promise Tls class runs read_into on libuv\'s pool, into the caller\'s buffer', async (t) => {
    const peer = startPeer(t, 'echo');
    // A blocking socket of the synchronous API: its TLS calls wait on the pool.
    const s = new Sockets(t).socket();
    s.settimeout(15);
    s.connect(['127.0.0.1', await peer.port]);
    const cfg = await promises.tls_config_new(0);
    t.after(() => cfg.close());
    await cfg.set_ca(CA());
    const conn = await promises.tls_new(s, cfg, null);
    await conn.handshake();
    await conn.write('Hello, world');
    const buf = new Uint8Array(16);
    for (let got = 0; got < 12;) got += await conn.read_into(buf.subarray(2 + got), 12 - got);
    assert.equal(Buffer.from(buf.buffer, 2, 12).toString(), 'Hello, world');
    assert.deepEqual([...buf.subarray(14)], [0, 0]);
    await conn.close();
    s.close();
    assert.equal((await peer.done).code, 0);
});

test('both sides in one process: names, ALPN and a client certificate', async (t) => {
    const socks = new PSockets(t);
    const [c, s] = await tlsPair(socks,
        { alpnProtocols: ['x-other', 'http/1.1'], certfile: certPath('client.pem'), keyfile: certPath('client.key') },
        { alpnProtocols: ['h2', 'http/1.1'], requireClientCert: true, cafile: CA() });
    assert.equal(await c.alpnProtocol(), 'http/1.1');
    assert.equal(await s.alpnProtocol(), 'http/1.1');
    assert.deepEqual(await s.peerSubject(), names.client.fields);
    assert.equal(await c.subjectRfc4514(), names.good.rfc4514);
    assert.equal(await c.version(), await s.version());
    assert.equal(await c.cipher(), await s.cipher());
});

test('several handshakes at once', async (t) => {
    const socks = new PSockets(t);
    const pairs = await Promise.all(Array.from({ length: 8 }, () => tlsPair(socks)));
    await Promise.all(pairs.map(async ([c, s], i) => {
        await c.write(`client ${i}`);
        assert.equal((await readExactly(s, `client ${i}`.length)).toString(), `client ${i}`);
    }));
});

test('pending reads keep neither the event loop nor the libuv pool', async (t) => {
    const socks = new PSockets(t);
    const pairs = await Promise.all(Array.from({ length: 6 }, () => tlsPair(socks)));
    let ticks = 0;
    const ticker = setInterval(() => { ticks++; }, 5);
    t.after(() => clearInterval(ticker));
    const reads = pairs.map(([c]) => c.read(100));
    await sleep(200);
    assert.ok(ticks >= 5, `the interval ticked ${ticks} times in 200 ms`);
    assert.ok(park.stats().parked >= 6, JSON.stringify(park.stats()));
    // More waiting reads than pool threads (4), and a pool job still runs.
    const pooled = util.promisify(crypto.pbkdf2)('password', 'salt', 1, 32, 'sha256').then(() => 'done');
    assert.equal(await Promise.race([pooled, sleep(5000).then(() => 'pool blocked')]), 'done');
    await Promise.all(pairs.map(([, s], i) => s.write(`wake ${i}`)));
    const got = await Promise.all(reads);
    got.forEach((b, i) => assert.equal(b.toString(), `wake ${i}`));
    assert.equal(park.stats().parked, 0);
});

test('full duplex: 2 MiB each way at once, intact', async (t) => {
    const socks = new PSockets(t);
    const [c, s] = await tlsPair(socks);
    const up = crypto.randomBytes(2 << 20), down = crypto.randomBytes(2 << 20);
    const [sentUp, sentDown, gotUp, gotDown] = await Promise.all([
        c.write(up), s.write(down), readExactly(s, up.length), readExactly(c, down.length),
    ]);
    assert.equal(sentUp, up.length);
    assert.equal(sentDown, down.length);
    assert.ok(gotUp.equals(up), 'client to server data differs');
    assert.ok(gotDown.equals(down), 'server to client data differs');
});

test('reads in order, then a clean EOF after close_notify', async (t) => {
    const socks = new PSockets(t);
    const [c, s] = await tlsPair(socks);
    const first = c.read(5), all = c.read();
    await s.write('12345');
    await s.write('rest');
    await s.close();
    assert.equal((await first).toString(), '12345');
    assert.equal((await all).toString(), 'rest');
    assert.equal((await c.read(10)).length, 0);
});

test('a handshake with a silent server times out promptly', async (t) => {
    const socks = new PSockets(t);
    const peer = startPeer(t, 'silent');
    const s = await socks.socket();
    await s.connect(['127.0.0.1', await peer.port]);
    await s.settimeout(0.5);
    const r = await elapsedAsync(promises.ssl(s, { cafile: CA() }));
    assertTimedOut(r, 0.5);
    assert.equal(r.error.syscall, 'tls_handshake');
});

test('an expired certificate is refused with its reason', async (t) => {
    const socks = new PSockets(t);
    const peer = startPeer(t, 'expired', ['--expect-handshake', 'fail']);
    const s = await socks.socket();
    await s.settimeout(15);
    await s.connect(['127.0.0.1', await peer.port]);
    const e = await rejectsCode(promises.ssl(s, { cafile: CA() }), Error, 'POLYSOCK_ETLS_CERT_EXPIRED');
    assert.match(e.message, /certificate has expired/);
    assert.equal(e.errno, -40005);
    await s.close();
    assert.equal((await peer.done).code, 0);
});

test('close() rejects a waiting read with EBADF; later calls too', async (t) => {
    const socks = new PSockets(t);
    const [c] = await tlsPair(socks);
    const waiting = c.read(10);
    await sleep(20);
    await c.close();
    const e = await rejectsCode(waiting, Error, 'EBADF');
    assert.equal(e.syscall, 'tls_read');
    await rejectsCode(c.write('x'), Error, 'EBADF');
    assert.equal(park.stats().parked, 0);
});

test('a non-blocking socket: a read that would wait is ETLS_WANTREAD at once', async (t) => {
    const socks = new PSockets(t);
    const [c] = await tlsPair(socks);
    const sock = c._sock;
    await sock.settimeout(0);
    await rejectsCode(c.read(10), Error, 'POLYSOCK_ETLS_WANTREAD');
});

test('bad arguments reject with TypeError or RangeError', async (t) => {
    const socks = new PSockets(t);
    const [a] = await socks.pair();
    await rejectsCode(promises.ssl(a, { alpnProtocols: ['a,b'], serverHostname: 'x' }), TypeError, 'ERR_INVALID_ARG_VALUE');
    await rejectsCode(promises.ssl(a, { serverSide: 1 }), TypeError, 'ERR_INVALID_ARG_TYPE');
    await rejectsCode(promises.ssl(a), Error, 'POLYSOCK_ETLS_NONAME');
    const { polysock } = require('./helpers');
    const [syncSock] = polysock.socketpair();
    t.after(() => syncSock.close());
    await rejectsCode(promises.ssl(syncSock, { serverHostname: 'x' }), TypeError, 'ERR_INVALID_ARG_TYPE');
    const tls = await promises.ssl(a, { serverHostname: 'localhost', handshake: false });
    await rejectsCode(tls.read(-1), RangeError, 'ERR_OUT_OF_RANGE');
    await rejectsCode(tls.write({}), TypeError, 'ERR_INVALID_ARG_TYPE');
    await tls.close();
});

test('a dropped Promise-API SSL object is closed by the collector', async (t) => {
    const socks = new PSockets(t);
    const [a] = await socks.pair();
    const { polysock } = require('./helpers');
    await collect();
    const before = Number(polysock.get_stats().live_handles);
    for (let i = 0; i < 10; i++) await promises.ssl(a, { serverHostname: 'localhost', handshake: false });
    assert.equal(Number(polysock.get_stats().live_handles), before + 10);
    await collect();
    assert.equal(Number(polysock.get_stats().live_handles), before);
});
