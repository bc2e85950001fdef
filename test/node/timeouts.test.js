// Timeout modes of the synchronous API: blocking, non-blocking, timeout.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const os = require('node:os');
const { spawnSync } = require('node:child_process');
const {
    polysock, Sockets, elapsed, assertTimedOut, throwsCode, SLACK, ROOT,
} = require('./helpers');

const E = os.constants.errno;

test.afterEach(() => polysock.setdefaulttimeout(null));

test('a new socket is blocking', (t) => {
    const socks = new Sockets(t);
    assert.equal(socks.socket().gettimeout(), null);
});

test('settimeout() and gettimeout()', (t) => {
    const socks = new Sockets(t);
    const s = socks.socket();
    s.settimeout(3);
    assert.equal(s.gettimeout(), 3);
    s.settimeout(0.25);
    assert.equal(s.gettimeout(), 0.25);
    s.settimeout(0);
    assert.equal(s.gettimeout(), 0);
    s.settimeout(null);
    assert.equal(s.gettimeout(), null);
});

test('settimeout() refuses negatives, NaN and non-numbers', (t) => {
    const socks = new Sockets(t);
    const s = socks.socket();
    s.settimeout(3);
    for (const v of [-1, -0.5, -Infinity, NaN]) throwsCode(() => s.settimeout(v), RangeError);
    throwsCode(() => s.settimeout(Infinity), RangeError);
    throwsCode(() => s.settimeout('1'), TypeError);
    throwsCode(() => s.settimeout(), TypeError);
    assert.equal(s.gettimeout(), 3);
});

test('setblocking() is settimeout(null) or settimeout(0)', (t) => {
    const socks = new Sockets(t);
    const s = socks.socket();
    s.setblocking(false);
    assert.equal(s.gettimeout(), 0);
    s.setblocking(true);
    assert.equal(s.gettimeout(), null);
    s.setblocking(0);
    assert.equal(s.gettimeout(), 0);
    s.setblocking(1);
    assert.equal(s.gettimeout(), null);
});

test('timeout mode reads available data at once', (t) => {
    const socks = new Sockets(t);
    const [a, b] = socks.pair();
    b.settimeout(5);
    a.send('ready');
    const r = elapsed(() => assert.equal(b.recv(10).toString(), 'ready'));
    assert.equal(r.error, null);
    assert.ok(r.seconds < 1);
});

test('a blocking recv waits for data from another process', (t) => {
    const socks = new Sockets(t);
    const srv = socks.listener();
    const port = srv.getsockname()[1];
    // A child process connects, waits 300 ms, then sends.
    const child = require('node:child_process').spawn(process.execPath, ['-e', `
        const p = require('polysock');
        const s = p.socket();
        s.connect(['127.0.0.1', ${port}]);
        setTimeout(() => { s.send('late'); s.close(); }, 300);
    `], { stdio: 'inherit', cwd: ROOT });
    t.after(() => child.kill());
    // Bounded: a child that dies before connecting must fail the test, not
    // hang it (accept blocks the event loop, so no test timeout can fire).
    srv.settimeout(30);
    const [conn] = srv.accept();
    socks.track(conn);
    const r = elapsed(() => assert.equal(conn.recv(10).toString(), 'late'));
    assert.equal(r.error, null);
    assert.ok(r.seconds >= 0.2, `returned after ${r.seconds}s`);
});

test('recv() times out with ETIMEDOUT', (t) => {
    const socks = new Sockets(t);
    const [a] = socks.pair();
    a.settimeout(0.3);
    const r = elapsed(() => a.recv(10));
    assertTimedOut(r, 0.3);
    assert.equal(r.error.errno, -E.ETIMEDOUT);
    assert.equal(r.error.syscall, 'recv');
});

test('the default timeout makes recv() time out', (t) => {
    const socks = new Sockets(t);
    polysock.setdefaulttimeout(0.2);
    const [a] = socks.pair();
    assertTimedOut(elapsed(() => a.recv(1)), 0.2);
});

test('a socket is usable after a timeout', (t) => {
    const socks = new Sockets(t);
    const [a, b] = socks.pair();
    a.settimeout(0.1);
    assertTimedOut(elapsed(() => a.recv(1)), 0.1);
    b.send('after');
    assert.equal(a.recv(10).toString(), 'after');
});

test('recvfrom() times out', (t) => {
    const socks = new Sockets(t);
    const s = socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM);
    s.bind(['127.0.0.1', 0]);
    s.settimeout(0.2);
    assertTimedOut(elapsed(() => s.recvfrom(10)), 0.2);
});

test('accept() times out', (t) => {
    const socks = new Sockets(t);
    const srv = socks.listener();
    srv.settimeout(0.2);
    assertTimedOut(elapsed(() => srv.accept()), 0.2);
});

test('an accepted socket is blocking without a default timeout', (t) => {
    const socks = new Sockets(t);
    const srv = socks.listener();
    srv.settimeout(5);
    const c = socks.socket();
    c.connect(srv.getsockname());
    const [conn] = srv.accept();
    socks.track(conn);
    assert.equal(conn.gettimeout(), null);
});

test('an accepted socket takes the default timeout', (t) => {
    const socks = new Sockets(t);
    const srv = socks.listener();
    const c = socks.socket();
    c.connect(srv.getsockname());
    polysock.setdefaulttimeout(4);
    const [conn] = srv.accept();
    socks.track(conn);
    assert.equal(conn.gettimeout(), 4);
});

test('send() times out on a full buffer', (t) => {
    const socks = new Sockets(t);
    const [a] = socks.pair();
    a.settimeout(0.3);
    const chunk = Buffer.alloc(65536, 120);
    const r = elapsed(() => {
        for (let i = 0; i < 100000; i++) a.send(chunk);
    });
    assert.ok(r.error && r.error.code === 'ETIMEDOUT', r.error && r.error.message);
    assert.ok(r.seconds < 0.3 + SLACK * 2);
});

test('connect() times out when the listener drops the SYN', (t) => {
    // Loopback answers every SYN at once, except when the listener's accept
    // queue is full: Linux then drops it.  Fill the queue of a listener
    // that never accepts, and the next connect times out.
    const socks = new Sockets(t);
    const srv = socks.socket();
    srv.bind(['127.0.0.1', 0]);
    srv.listen(0);
    for (let i = 0; i < 64; i++) {
        const c = socks.socket();
        c.settimeout(0.3);
        const r = elapsed(() => c.connect(srv.getsockname()));
        if (r.error === null) continue;
        assertTimedOut(r, 0.3);
        return;
    }
    assert.fail('64 connections to a listener with backlog 0 all succeeded');
});

test('connect_ex() returns an error code on timeout', (t) => {
    const socks = new Sockets(t);
    const srv = socks.socket();
    srv.bind(['127.0.0.1', 0]);
    srv.listen(0);
    for (let i = 0; i < 64; i++) {
        const c = socks.socket();
        c.settimeout(0.3);
        const result = c.connect_ex(srv.getsockname());
        if (result !== 0) {
            assert.ok(result === E.ETIMEDOUT || result === E.EAGAIN, String(result));
            return;
        }
    }
    assert.fail('64 connections to a listener with backlog 0 all succeeded');
});

test('non-blocking recv() without data is EAGAIN', (t) => {
    const socks = new Sockets(t);
    const [a] = socks.pair();
    a.setblocking(false);
    const e = throwsCode(() => a.recv(1), Error, 'EAGAIN');
    assert.equal(e.errno, -E.EAGAIN);
});

test('non-blocking accept() without a client is EAGAIN', (t) => {
    const socks = new Sockets(t);
    const srv = socks.listener();
    srv.setblocking(false);
    throwsCode(() => srv.accept(), Error, 'EAGAIN');
});

test('non-blocking send() on a full buffer is EAGAIN', (t) => {
    const socks = new Sockets(t);
    const [a] = socks.pair();
    a.setblocking(false);
    const chunk = Buffer.alloc(65536);
    const e = throwsCode(() => {
        for (let i = 0; i < 100000; i++) a.send(chunk);
    }, Error, 'EAGAIN');
    assert.equal(e.syscall, 'send');
});

test('a non-blocking connect is in progress', (t) => {
    const socks = new Sockets(t);
    const srv = socks.listener();
    const c = socks.socket();
    c.setblocking(false);
    const r = c.connect_ex(srv.getsockname());
    assert.ok(r === 0 || r === E.EINPROGRESS, String(r));
    const c2 = socks.socket();
    c2.setblocking(false);
    try {
        c2.connect(srv.getsockname());
    } catch (e) {
        assert.equal(e.code, 'EINPROGRESS');
    }
});

test('a blocked synchronous call blocks the event loop (the Promise API does not)', () => {
    // Documented behaviour of the synchronous API, shown in a child so that
    // nothing here is blocked: a timer due in 50 ms fires only after the
    // blocking recv (500 ms) has timed out.
    const r = spawnSync(process.execPath, ['-e', `
        const p = require('polysock');
        const [a] = p.socketpair();
        a.settimeout(0.5);
        const t0 = Date.now();
        let fired = null;
        setTimeout(() => { fired = Date.now() - t0; console.log(fired); }, 50);
        try { a.recv(1); } catch (e) { if (e.code !== 'ETIMEDOUT') throw e; }
    `], { encoding: 'utf8', timeout: 20000, cwd: ROOT });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Number(r.stdout) >= 450, r.stdout);
});
