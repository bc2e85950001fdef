// The Promise API: the same names, returning Promises; no call blocks the
// event loop, and waiting calls do not hold libuv's pool threads (they are
// parked on the core's poller, one waiter for all).
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const {
    polysock, promises, park, PSockets, elapsedAsync, assertTimedOut, rejectsCode, sleep, SLACK, ROOT,
} = require('./helpers');

const E = os.constants.errno;

test.afterEach(() => promises.setdefaulttimeout(null));

test('every function and method returns a Promise', async (t) => {
    const socks = new PSockets(t);
    const calls = [
        promises.socket(), promises.socketpair(), promises.getdefaulttimeout(), promises.htons(1),
        promises.inet_aton('1.2.3.4'), promises.gethostname(), promises.getaddrinfo('127.0.0.1', 80),
        promises.gethostbyname('127.0.0.1'), promises.getnameinfo(['127.0.0.1', 80], polysock.NI_NUMERICHOST),
        promises.version_number(), promises.get_stats(),
    ];
    for (const c of calls) assert.ok(c instanceof Promise);
    const [s, [a, b]] = await Promise.all(calls.slice(0, 2));
    socks.track(s);
    socks.track(a);
    socks.track(b);
    await Promise.all(calls);
    for (const m of ['family', 'fileno', 'gettimeout', 'getsockname', 'close'])
        assert.ok(a[m]() instanceof Promise, m);
    assert.ok(s instanceof promises.Socket);
    assert.ok(!(s instanceof polysock.Socket));
});

test('a TCP conversation: bind, listen, accept, connect, send, recv', async (t) => {
    const socks = new PSockets(t);
    const srv = await socks.listener();
    const accepting = srv.accept();
    const cli = await socks.socket();
    await cli.connect(await srv.getsockname());
    const [conn, addr] = await accepting;
    socks.track(conn);
    assert.deepEqual(addr, await cli.getsockname());
    assert.equal(await cli.send('Hello, world'), 12);
    assert.equal((await conn.recv(1024)).toString(), 'Hello, world');
    await conn.sendall(Buffer.from('back'));
    assert.equal((await cli.recv(1024)).toString(), 'back');
});

test('a recv() waits without blocking the event loop', async (t) => {
    const socks = new PSockets(t);
    const [a, b] = await socks.pair();
    let ticks = 0;
    const iv = setInterval(() => ticks++, 10);
    t.after(() => clearInterval(iv));
    setTimeout(() => { b.send('late').catch(() => {}); }, 300);
    const data = await a.recv(10);
    assert.equal(data.toString(), 'late');
    assert.ok(ticks >= 10, `setInterval ticked ${ticks} times during a 300 ms recv`);
});

test('64 pending recv() and a file read complete under the default pool size', async (t) => {
    assert.equal(process.env.UV_THREADPOOL_SIZE, undefined, 'run with the default pool (4 threads)');
    const socks = new PSockets(t);
    const pairs = [];
    for (let i = 0; i < 64; i++) pairs.push(await socks.pair());
    const pending = pairs.map(([a]) => a.recv(16));
    await sleep(50);
    const st = park.stats();
    assert.equal(st.parked, 64);
    assert.equal(st.waiting, true);
    // fs uses libuv's pool: it must not be starved by the 64 waiting calls.
    const me = await fs.promises.readFile(__filename, 'utf8');
    assert.match(me, /64 pending recv/);
    const lookups = await Promise.all([1, 2, 3, 4, 5, 6].map(() => fs.promises.stat(__filename)));
    assert.equal(lookups.length, 6);
    await Promise.all(pairs.map(([, b], i) => b.send(`msg ${i}`)));
    const got = await Promise.all(pending);
    got.forEach((d, i) => assert.equal(d.toString(), `msg ${i}`));
    await sleep(20);
    assert.equal(park.stats().parked, 0);
    assert.equal(park.stats().waiting, false);
});

test('a call that can complete does not leave the main thread', async (t) => {
    const socks = new PSockets(t);
    const [a, b] = await socks.pair();
    await a.send('ready');
    assert.equal(park.stats().waiting, false);
    assert.equal((await b.recv(10)).toString(), 'ready');
    assert.equal(park.stats().waiting, false);
    assert.equal(park.stats().parked, 0);
});

test('the Promise socket keeps its timeout in JavaScript, the library socket is non-blocking', async (t) => {
    const socks = new PSockets(t);
    const s = await socks.socket();
    assert.equal(await s.gettimeout(), null);
    assert.equal(polysock.raw.gettimeout(s.handle), 0);
    await s.settimeout(2.5);
    assert.equal(await s.gettimeout(), 2.5);
    await s.setblocking(false);
    assert.equal(await s.gettimeout(), 0);
    await s.setblocking(true);
    assert.equal(await s.gettimeout(), null);
    assert.equal(polysock.raw.gettimeout(s.handle), 0);
    await rejectsCode(s.settimeout(-1), RangeError);
    await rejectsCode(s.settimeout('x'), TypeError);
    promises.setdefaulttimeout(1.5);
    const s2 = await socks.socket();
    assert.equal(await s2.gettimeout(), 1.5);
});

test('recv() in timeout mode rejects with ETIMEDOUT after the timeout', async (t) => {
    const socks = new PSockets(t);
    const [a, b] = await socks.pair();
    await a.settimeout(0.3);
    const r = await elapsedAsync(a.recv(10));
    assertTimedOut(r, 0.3);
    assert.equal(r.error.errno, -E.ETIMEDOUT);
    assert.equal(r.error.syscall, 'recv');
    // usable afterwards
    await b.send('after');
    assert.equal((await a.recv(10)).toString(), 'after');
});

test('accept() and recvfrom() time out', async (t) => {
    const socks = new PSockets(t);
    const srv = await socks.listener();
    await srv.settimeout(0.2);
    assertTimedOut(await elapsedAsync(srv.accept()), 0.2);
    const u = await socks.socket(promises.AF_INET, promises.SOCK_DGRAM);
    await u.bind(['127.0.0.1', 0]);
    await u.settimeout(0.2);
    assertTimedOut(await elapsedAsync(u.recvfrom(10)), 0.2);
});

test('connect() times out when the listener drops the SYN', async (t) => {
    const socks = new PSockets(t);
    const srv = await socks.socket();
    await srv.bind(['127.0.0.1', 0]);
    await srv.listen(0);
    const where = await srv.getsockname();
    for (let i = 0; i < 64; i++) {
        const c = await socks.socket();
        await c.settimeout(0.3);
        const r = await elapsedAsync(c.connect(where));
        if (r.error === null) continue;
        assertTimedOut(r, 0.3);
        return;
    }
    assert.fail('64 connections to a listener with backlog 0 all succeeded');
});

test('non-blocking mode rejects at once with EAGAIN', async (t) => {
    const socks = new PSockets(t);
    const [a] = await socks.pair();
    await a.setblocking(false);
    const r = await elapsedAsync(a.recv(1));
    assert.equal(r.error.code, 'EAGAIN');
    assert.ok(r.seconds < 0.5);
    const srv = await socks.listener();
    await srv.setblocking(false);
    await rejectsCode(srv.accept(), Error, 'EAGAIN');
    assert.equal(park.stats().parked, 0);
});

test('a non-blocking connect_ex() is in progress', async (t) => {
    const socks = new PSockets(t);
    const srv = await socks.listener();
    const c = await socks.socket();
    await c.setblocking(false);
    const r = await c.connect_ex(await srv.getsockname());
    assert.ok(r === 0 || r === E.EINPROGRESS, String(r));
});

test('a refused connect rejects with ECONNREFUSED; connect_ex resolves the errno', async (t) => {
    const socks = new PSockets(t);
    const holder = await socks.socket();
    await holder.bind(['127.0.0.1', 0]);
    const where = await holder.getsockname();
    const e = await rejectsCode((await socks.socket()).connect(where), Error, 'ECONNREFUSED');
    assert.equal(e.errno, -E.ECONNREFUSED);
    assert.equal(e.syscall, 'connect');
    assert.equal(await (await socks.socket()).connect_ex(where), E.ECONNREFUSED);
    const srv = await socks.listener();
    assert.equal(await (await socks.socket()).connect_ex(await srv.getsockname()), 0);
});

test('connect() to a host name resolves it off the main thread', async (t) => {
    const socks = new PSockets(t);
    const srv = await socks.listener();
    const port = (await srv.getsockname())[1];
    const accepting = srv.accept();
    const c = await socks.socket();
    await c.connect(['localhost', port]);
    const [conn] = await accepting;
    socks.track(conn);
    assert.equal(await c.connect_host(), 'localhost');
    await rejectsCode((await socks.socket()).connect(['polysock-node.invalid', port]), Error);
});

test('sendall() of several MiB while recv() reads', async (t) => {
    const socks = new PSockets(t);
    const [a, b] = await socks.pair();
    const size = 8 << 20;
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = (i * 13 + (i >> 11)) & 0xff;
    const sending = a.sendall(data);
    const chunks = [];
    let got = 0;
    while (got < size) {
        const c = await b.recv(1 << 20);
        assert.ok(c.length > 0);
        chunks.push(c);
        got += c.length;
    }
    assert.equal(await sending, undefined);
    assert.ok(Buffer.concat(chunks).equals(data));
});

test('sendall() that times out reports the bytes sent', async (t) => {
    const socks = new PSockets(t);
    const [a, b] = await socks.pair();
    await a.settimeout(0.3);
    const e = await rejectsCode(a.sendall(Buffer.alloc(32 << 20, 0xcd)), Error, 'ETIMEDOUT');
    assert.ok(e.bytesSent > 0 && e.bytesSent < 32 << 20, String(e.bytesSent));
    await b.setblocking(false);
    let got = 0;
    for (;;) {
        try {
            got += (await b.recv(1 << 20)).length;
        } catch (x) {
            assert.equal(x.code, 'EAGAIN');
            break;
        }
    }
    assert.equal(got, e.bytesSent);
});

test('calls on one socket complete in order', async (t) => {
    const socks = new PSockets(t);
    const [a, b] = await socks.pair(promises.AF_UNIX, promises.SOCK_DGRAM);
    const first = a.recv(10), second = a.recv(10), third = a.recv(10);
    await b.send('1');
    await b.send('2');
    await b.send('3');
    assert.deepEqual((await Promise.all([first, second, third])).map(String), ['1', '2', '3']);
});

test('close() rejects the calls waiting on the socket with EBADF', async (t) => {
    const socks = new PSockets(t);
    const [a] = await socks.pair();
    const waiting = [a.recv(10), a.recv(10)];
    await sleep(20);
    assert.equal(park.stats().parked, 1);
    await a.close();
    for (const w of waiting) await rejectsCode(w, Error, 'EBADF');
    await sleep(20);
    assert.equal(park.stats().parked, 0);
    assert.equal(park.stats().waiting, false);
    await rejectsCode(a.recv(1), Error, 'EBADF');
    assert.equal(await a.close(), undefined);
});

test('UDP sendto() and recvfrom()', async (t) => {
    const socks = new PSockets(t);
    const r = await socks.socket(promises.AF_INET, promises.SOCK_DGRAM);
    await r.bind(['127.0.0.1', 0]);
    const s = await socks.socket(promises.AF_INET, promises.SOCK_DGRAM);
    await s.bind(['127.0.0.1', 0]);
    const receiving = r.recvfrom(100);
    await s.sendto('dgram', await r.getsockname());
    const [data, from] = await receiving;
    assert.equal(data.toString(), 'dgram');
    assert.deepEqual(from, await s.getsockname());
    await s.sendto('flags', 0, await r.getsockname());
    assert.equal((await r.recv(100)).toString(), 'flags');
});

test('argument errors reject with TypeError and RangeError', async (t) => {
    const socks = new PSockets(t);
    const [a] = await socks.pair();
    await rejectsCode(a.recv('x'), TypeError);
    await rejectsCode(a.recv(-1), RangeError);
    await rejectsCode(a.send(null), TypeError);
    await rejectsCode((await socks.socket()).connect(['127.0.0.1', 65536]), RangeError);
    await rejectsCode(promises.socket('x'), TypeError);
    await rejectsCode(promises.htons(70000), RangeError);
});

test('resolver functions run on the pool and give the synchronous results', async () => {
    assert.deepEqual(await promises.getaddrinfo('127.0.0.1', 80, promises.AF_INET, promises.SOCK_STREAM),
                     polysock.getaddrinfo('127.0.0.1', 80, polysock.AF_INET, polysock.SOCK_STREAM));
    assert.deepEqual(await promises.gethostbyname_ex('localhost'), polysock.gethostbyname_ex('localhost'));
    assert.deepEqual(await promises.gethostbyaddr('127.0.0.1'), polysock.gethostbyaddr('127.0.0.1'));
    assert.equal(await promises.getfqdn(), polysock.getfqdn());
    const e = await rejectsCode(promises.getaddrinfo('polysock-node.invalid', null), Error);
    assert.match(e.code, /^EAI_/);
});

test('getsockopt() and setsockopt() in Promise form', async (t) => {
    const socks = new PSockets(t);
    const s = await socks.socket();
    await s.setsockopt(promises.SOL_SOCKET, promises.SO_REUSEADDR, true);
    assert.equal(await s.getsockopt(promises.SOL_SOCKET, promises.SO_REUSEADDR), 1);
    assert.equal((await s.getsockopt(promises.SOL_SOCKET, promises.SO_TYPE, 4)).readInt32LE(0),
                 promises.SOCK_STREAM);
});

test('the process exits once the last parked call completes', async () => {
    // The waiter is ended when nothing is parked, so it does not keep the
    // loop alive.
    const child = spawn(process.execPath, ['-e', `
        const p = require('polysock/promises');
        (async () => {
            const [a, b] = await p.socketpair();
            setTimeout(() => b.send('x'), 100);
            console.log((await a.recv(1)).toString());
        })();
    `], { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const t0 = Date.now();
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
    assert.equal(out.trim(), 'x');
    assert.ok(Date.now() - t0 < 10000);
});

test('accepted Promise sockets take the default timeout', async (t) => {
    const socks = new PSockets(t);
    const srv = await socks.listener();
    const accepting = srv.accept();
    promises.setdefaulttimeout(3);
    const c = await socks.socket();
    await c.connect(await srv.getsockname());
    const [conn] = await accepting;
    socks.track(conn);
    assert.equal(await conn.gettimeout(), 3);
    assert.equal(await c.gettimeout(), 3);
});

test('a recv() waiting in timeout mode completes when data arrives', async (t) => {
    const socks = new PSockets(t);
    const [a, b] = await socks.pair();
    await a.settimeout(5);
    const r = a.recv(10);
    await sleep(50);
    await b.send('in time');
    const got = await elapsedAsync(r);
    assert.equal(got.error, null);
    assert.equal(got.value.toString(), 'in time');
    assert.ok(got.seconds < SLACK);
});

test('the Promise API works with AF_UNIX paths', async (t) => {
    const socks = new PSockets(t);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ps-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const p = path.join(dir, 's');
    const srv = await socks.socket(promises.AF_UNIX);
    await srv.bind(p);
    await srv.listen();
    const accepting = srv.accept();
    const c = await socks.socket(promises.AF_UNIX);
    await c.connect(p);
    const [conn] = await accepting;
    socks.track(conn);
    await c.send('path');
    assert.equal((await conn.recv(10)).toString(), 'path');
});
