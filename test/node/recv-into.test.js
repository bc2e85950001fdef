// recv_into and recvfrom_into (the generated _into variants of recv and
// recvfrom): the library receives straight into the caller's Buffer,
// TypedArray or DataView, in the synchronous API, the Promise API and the
// raw layer.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const os = require('node:os');
const {
    polysock, promises, park, Sockets, PSockets, elapsed, elapsedAsync, assertTimedOut,
    throwsCode, rejectsCode, collect, sleep,
} = require('./helpers');

const E = os.constants.errno;

test.afterEach(() => {
    polysock.setdefaulttimeout(null);
    promises.setdefaulttimeout(null);
});

// Two UDP sockets on 127.0.0.1, each bound to a port of its own.
function udpPair(socks) {
    const [a, b] = [socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM),
        socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM)];
    a.bind(['127.0.0.1', 0]);
    b.bind(['127.0.0.1', 0]);
    return [a, b];
}

async function pUdpPair(socks) {
    const a = await socks.socket(promises.AF_INET, promises.SOCK_DGRAM);
    const b = await socks.socket(promises.AF_INET, promises.SOCK_DGRAM);
    await a.bind(['127.0.0.1', 0]);
    await b.bind(['127.0.0.1', 0]);
    return [a, b];
}

// ---- The synchronous API ------------------------------------------------------------

test('recv_into writes into a subarray at its offset and returns the count', (t) => {
    const socks = new Sockets(t);
    const [a, b] = socks.pair();
    b.send('hello');
    const whole = Buffer.alloc(16, '.');
    const view = whole.subarray(4, 12);
    assert.equal(a.recv_into(view), 5);
    assert.equal(whole.toString(), '....hello.......');
    assert.equal(view.length, 8);
});

test('recv_into fills a TypedArray and a DataView at their byte offsets', (t) => {
    const socks = new Sockets(t);
    const [a, b] = socks.pair();
    const memory = new ArrayBuffer(16);
    const words = new Uint32Array(memory, 4, 2);
    b.send(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
    assert.equal(a.recv_into(words), 8);
    assert.deepEqual([...new Uint8Array(memory)], [0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0]);
    assert.equal(words.length, 2);

    const dv = new DataView(new ArrayBuffer(10), 3, 5);
    b.send('abcde');
    assert.equal(a.recv_into(dv), 5);
    assert.equal(Buffer.from(dv.buffer).toString('latin1'), '\0\0\0abcde\0\0');
    assert.equal(dv.byteLength, 5);
});

test('nbytes limits the read and the rest stays queued', (t) => {
    const socks = new Sockets(t);
    const [a, b] = socks.pair();
    b.send('abcdef');
    const buf = Buffer.alloc(10, '-');
    assert.equal(a.recv_into(buf, 2), 2);
    assert.equal(buf.toString(), 'ab--------');
    assert.equal(a.recv_into(buf, 0), 4);
    assert.equal(buf.toString(), 'cdef------');
    b.send('xyz');
    assert.equal(a.recv_into(buf, 10, polysock.MSG_PEEK), 3);
    assert.equal(a.recv_into(buf, 3n), 3);
    assert.equal(buf.toString(), 'xyzf------');
});

test('an empty buffer receives nothing and leaves the data queued', (t) => {
    const socks = new Sockets(t);
    const [a, b] = socks.pair();
    b.send('kept');
    assert.equal(a.recv_into(Buffer.alloc(0)), 0);
    assert.equal(a.recv_into(new Uint8Array(8).subarray(8)), 0);
    assert.equal(a.recv(10).toString(), 'kept');
});

test('recv_into returns 0 at end of stream, the buffer untouched', (t) => {
    const socks = new Sockets(t);
    const [cli, conn] = socks.tcpPair();
    cli.sendall('last');
    cli.shutdown(polysock.SHUT_WR);
    const buf = Buffer.alloc(8, '.');
    assert.equal(conn.recv_into(buf), 4);
    assert.equal(conn.recv_into(buf.subarray(4)), 0);
    assert.equal(buf.toString(), 'last....');
});

test('recvfrom_into on UDP returns the count and the sender address', (t) => {
    const socks = new Sockets(t);
    const [a, b] = udpPair(socks);
    b.sendto('datagram', a.getsockname());
    const buf = Buffer.alloc(12, '.');
    const [n, from] = a.recvfrom_into(buf.subarray(2));
    assert.equal(n, 8);
    assert.deepEqual(from, b.getsockname());
    assert.equal(buf.toString(), '..datagram..');
    // A datagram longer than nbytes is cut to nbytes (the rest is lost).
    b.sendto('0123456789', a.getsockname());
    const short = new Uint8Array(10);
    const [m, from2] = a.recvfrom_into(short, 4);
    assert.equal(m, 4);
    assert.deepEqual(from2, b.getsockname());
    assert.deepEqual([...short], [48, 49, 50, 51, 0, 0, 0, 0, 0, 0]);
});

test('the raw layer has recv_into and recvfrom_into over handles', (t) => {
    const socks = new Sockets(t);
    const [a, b] = socks.pair();
    b.send('raw');
    const buf = Buffer.alloc(5, '.');
    assert.equal(polysock.raw.recv_into(a.handle, buf, 0, 0), 3);
    assert.equal(buf.toString(), 'raw..');
    const [u, v] = udpPair(socks);
    v.sendto('dg', u.getsockname());
    const [n, from] = polysock.raw.recvfrom_into(u.handle, buf);
    assert.equal(n, 2);
    assert.deepEqual(from, v.getsockname());
    assert.equal(buf.toString(), 'dgw..');
});

test('recv_into and recvfrom_into time out with ETIMEDOUT, the buffer untouched', (t) => {
    const socks = new Sockets(t);
    const [a] = socks.pair();
    a.settimeout(0.2);
    const buf = Buffer.alloc(4, '.');
    const r = elapsed(() => a.recv_into(buf));
    assertTimedOut(r, 0.2);
    assert.equal(r.error.errno, -E.ETIMEDOUT);
    assert.equal(r.error.syscall, 'recv_into');
    assert.equal(buf.toString(), '....');
    const [u] = udpPair(socks);
    u.settimeout(0.2);
    const r2 = elapsed(() => u.recvfrom_into(buf));
    assertTimedOut(r2, 0.2);
    assert.equal(r2.error.syscall, 'recvfrom_into');
});

test('recv_into and recvfrom_into in non-blocking mode throw EAGAIN at once', (t) => {
    const socks = new Sockets(t);
    const [a] = socks.pair();
    a.setblocking(false);
    const r = elapsed(() => a.recv_into(Buffer.alloc(4)));
    assert.equal(r.error.code, 'EAGAIN');
    assert.equal(r.error.errno, -E.EAGAIN);
    assert.equal(r.error.syscall, 'recv_into');
    assert.ok(r.seconds < 0.5, `took ${r.seconds}s`);
    const [u] = udpPair(socks);
    u.setblocking(false);
    const e = throwsCode(() => u.recvfrom_into(new Uint8Array(4)), Error, 'EAGAIN');
    assert.equal(e.syscall, 'recvfrom_into');
});

test('bad arguments throw TypeError or RangeError before anything is received', (t) => {
    const socks = new Sockets(t);
    const [a, b] = socks.pair();
    b.send('intact');
    for (const notBuffer of ['text', 42, null, undefined, [1, 2], new ArrayBuffer(4), {}]) {
        const e = throwsCode(() => a.recv_into(notBuffer), TypeError, 'ERR_INVALID_ARG_TYPE');
        assert.match(e.message, /"buffer" argument must be a Buffer, TypedArray or DataView/);
        throwsCode(() => a.recvfrom_into(notBuffer), TypeError, 'ERR_INVALID_ARG_TYPE');
    }
    const buf = Buffer.alloc(4);
    for (const tooMany of [5, 2 ** 53, 5n]) {
        const e = throwsCode(() => a.recv_into(buf, tooMany), RangeError, 'ERR_OUT_OF_RANGE');
        assert.match(e.message, /"nbytes" is out of range. It must be >= 0 and <= 4/);
    }
    throwsCode(() => a.recv_into(new Uint16Array(2), 5), RangeError, 'ERR_OUT_OF_RANGE');
    for (const negative of [-1, -1n, -(2 ** 63)])
        throwsCode(() => a.recv_into(buf, negative), RangeError, 'ERR_OUT_OF_RANGE');
    for (const notInteger of [1.5, NaN, Infinity]) {
        const e = throwsCode(() => a.recvfrom_into(buf, notInteger), RangeError, 'ERR_OUT_OF_RANGE');
        assert.match(e.message, /It must be an integer/);
    }
    for (const notNumber of ['2', null, {}])
        throwsCode(() => a.recv_into(buf, notNumber), TypeError, 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => a.recv_into(buf, 0, 'MSG_PEEK'), TypeError, 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => a.recv_into(buf, 0, 2 ** 31), RangeError, 'ERR_OUT_OF_RANGE');
    assert.equal(buf.toString('hex'), '00000000');
    assert.equal(a.recv(10).toString(), 'intact');
});

test('recv_into on a closed socket is EBADF', () => {
    const s = polysock.socket();
    s.close();
    const e = throwsCode(() => s.recv_into(Buffer.alloc(1)), Error, 'EBADF');
    assert.equal(e.errno, -E.EBADF);
    assert.equal(e.syscall, 'recv_into');
    throwsCode(() => s.recvfrom_into(Buffer.alloc(1)), Error, 'EBADF');
});

test('recv_into receives into the caller\'s memory: no Buffer of the data\'s size is made', async (t) => {
    const socks = new Sockets(t);
    const [a, b] = socks.pair();
    const size = 64 * 1024;
    const data = Buffer.alloc(size, 'z');
    const into = Buffer.alloc(size);
    // Bytes of ArrayBuffers made while all of data is received by receive().
    async function madeWhile(receive) {
        b.sendall(data);
        await collect();
        const before = process.memoryUsage().arrayBuffers;
        for (let got = 0; got < size;) got += receive(size - got);
        return process.memoryUsage().arrayBuffers - before;
    }
    const byRecv = await madeWhile((n) => a.recv(n).length);
    const byRecvInto = await madeWhile((n) => a.recv_into(into, n));
    assert.ok(byRecv >= size, `recv made ${byRecv} bytes of buffers for ${size} bytes of data`);
    assert.ok(byRecvInto < size / 8, `recv_into made ${byRecvInto} bytes of buffers for ${size} bytes of data`);
    assert.ok(into.equals(data));
});

test('getsockopt_buf_into, the same variant of getsockopt_buf, fills the caller\'s buffer', (t) => {
    const socks = new Sockets(t);
    const s = socks.socket();
    const buf = Buffer.alloc(8, 0xff);
    assert.equal(s.getsockopt_buf_into(polysock.SOL_SOCKET, polysock.SO_TYPE, buf), 4);
    assert.equal(buf.readInt32LE(0), polysock.SOCK_STREAM);
    assert.equal(buf.readUInt32LE(4), 0xffffffff);
});

// ---- The Promise API ----------------------------------------------------------------

test('the Promise variants resolve to the same values', async (t) => {
    const socks = new PSockets(t);
    const [a, b] = await socks.pair();
    await b.send('promised');
    const whole = Buffer.alloc(12, '.');
    const pending = a.recv_into(whole.subarray(2), 4);
    assert.ok(pending instanceof Promise);
    assert.equal(await pending, 4);
    assert.equal(whole.toString(), '..prom......');
    assert.equal(await a.recv_into(new DataView(whole.buffer, whole.byteOffset + 6, 6)), 4);
    assert.equal(whole.toString(), '..promised..');
    const [u, v] = await pUdpPair(socks);
    await v.sendto('dg', await u.getsockname());
    const words = new Uint16Array(4);
    const [n, from] = await u.recvfrom_into(words);
    assert.equal(n, 2);
    assert.deepEqual(from, await v.getsockname());
    assert.equal(Buffer.from(words.buffer, 0, 2).toString(), 'dg');
});

test('a pending recv_into is parked and completes when data arrives, the event loop running', async (t) => {
    const socks = new PSockets(t);
    const [a, b] = await socks.pair();
    let ticks = 0;
    const iv = setInterval(() => ticks++, 10);
    t.after(() => clearInterval(iv));
    const buf = Buffer.alloc(8, '.');
    const pending = a.recv_into(buf.subarray(1));
    await sleep(50);
    assert.equal(park.stats().parked, 1);
    assert.equal(park.stats().waiting, true);
    assert.equal(buf.toString(), '........');
    setTimeout(() => { b.send('late').catch(() => {}); }, 250);
    assert.equal(await pending, 4);
    assert.equal(buf.toString(), '.late...');
    assert.ok(ticks >= 10, `setInterval ticked ${ticks} times during a 300 ms recv_into`);
    assert.equal(park.stats().parked, 0);
});

test('a pending recvfrom_into completes with the sender of a later datagram', async (t) => {
    const socks = new PSockets(t);
    const [u, v] = await pUdpPair(socks);
    const buf = new Uint8Array(16);
    const pending = u.recvfrom_into(buf);
    await sleep(50);
    assert.equal(park.stats().parked, 1);
    await v.sendto('later', await u.getsockname());
    const [n, from] = await pending;
    assert.equal(n, 5);
    assert.deepEqual(from, await v.getsockname());
    assert.equal(Buffer.from(buf.buffer, 0, n).toString(), 'later');
});

test('parked reads complete in order, recv and recv_into alike', async (t) => {
    const socks = new PSockets(t);
    const [a, b] = await socks.pair();
    const buf = Buffer.alloc(3);
    const first = a.recv(3);
    const second = a.recv_into(buf);
    const third = a.recv(10);
    await sleep(20);
    await b.send('abcdefgh');
    assert.equal((await first).toString(), 'abc');
    assert.equal(await second, 3);
    assert.equal(buf.toString(), 'def');
    assert.equal((await third).toString(), 'gh');
});

test('the Promise recv_into times out with ETIMEDOUT and rejects EAGAIN when non-blocking', async (t) => {
    const socks = new PSockets(t);
    const [a, b] = await socks.pair();
    await a.settimeout(0.2);
    const buf = Buffer.alloc(4, '.');
    const r = await elapsedAsync(a.recv_into(buf));
    assertTimedOut(r, 0.2);
    assert.equal(r.error.syscall, 'recv_into');
    assert.equal(buf.toString(), '....');
    const [u] = await pUdpPair(socks);
    await u.settimeout(0.2);
    assertTimedOut(await elapsedAsync(u.recvfrom_into(buf)), 0.2);
    await a.setblocking(false);
    const e = await rejectsCode(a.recv_into(buf), Error, 'EAGAIN');
    assert.equal(e.syscall, 'recv_into');
    await u.setblocking(false);
    await rejectsCode(u.recvfrom_into(buf), Error, 'EAGAIN');
    assert.equal(park.stats().parked, 0);
    // usable afterwards
    await b.send('ok');
    assert.equal(await a.recv_into(buf), 2);
    assert.equal(buf.toString(), 'ok..');
});

test('the Promise variants reject bad arguments, and closing rejects a parked call with EBADF', async (t) => {
    const socks = new PSockets(t);
    const [a] = await socks.pair();
    await rejectsCode(a.recv_into('text'), TypeError, 'ERR_INVALID_ARG_TYPE');
    await rejectsCode(a.recvfrom_into(new ArrayBuffer(4)), TypeError, 'ERR_INVALID_ARG_TYPE');
    await rejectsCode(a.recv_into(Buffer.alloc(2), 3), RangeError, 'ERR_OUT_OF_RANGE');
    await rejectsCode(a.recv_into(Buffer.alloc(2), -1), RangeError, 'ERR_OUT_OF_RANGE');
    await rejectsCode(a.recvfrom_into(Buffer.alloc(2), '1'), TypeError, 'ERR_INVALID_ARG_TYPE');
    const pending = a.recv_into(Buffer.alloc(4));
    await sleep(20);
    await a.close();
    const e = await rejectsCode(pending, Error, 'EBADF');
    assert.equal(e.syscall, 'recv_into');
});
