// The error model: Error with .code (errno name, "ETIMEDOUT", "EAI_*",
// h_errno names, "EBADF"), .errno (negative, as in net) and .syscall;
// TypeError and RangeError for bad arguments.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const os = require('node:os');
const net = require('node:net');
const { spawnSync } = require('node:child_process');
const {
    polysock, Sockets, elapsed, throwsCode, recvExactly, ROOT,
} = require('./helpers');

const E = os.constants.errno;

test('a refused connection is ECONNREFUSED, as net reports it', async (t) => {
    const socks = new Sockets(t);
    const where = socks.refusingAddress();
    const e = throwsCode(() => socks.socket().connect(where), Error, 'ECONNREFUSED');
    assert.equal(e.errno, -E.ECONNREFUSED);
    assert.equal(e.syscall, 'connect');
    assert.match(e.message, /ECONNREFUSED/);
    // net's error for the same thing carries the same code and errno.
    const netError = await new Promise((resolve) => {
        net.connect(where[1], where[0]).on('error', resolve);
    });
    assert.equal(netError.code, e.code);
    assert.equal(netError.errno, e.errno);
    assert.equal(netError.syscall, e.syscall);
});

test('errors are plain Error objects with a stack', (t) => {
    const socks = new Sockets(t);
    const e = throwsCode(() => socks.socket().getpeername(), Error, 'ENOTCONN');
    assert.equal(Object.getPrototypeOf(e), Error.prototype);
    assert.match(e.stack, /socket\.test|errors\.test/);
});

test('sending to a closed peer is EPIPE or ECONNRESET, never SIGPIPE', (t) => {
    const socks = new Sockets(t);
    const [a, b] = socks.pair();
    b.close();
    const e = throwsCode(() => {
        for (let i = 0; i < 10; i++) a.send('x');
    }, Error);
    assert.ok(e.code === 'EPIPE' || e.code === 'ECONNRESET', e.code);
});

test('no SIGPIPE even with the default signal disposition', () => {
    const r = spawnSync(process.execPath, ['-e', `
        process.removeAllListeners('SIGPIPE');
        const p = require('polysock');
        const [a, b] = p.socketpair();
        b.close();
        try { a.send('x'); a.send('x'); } catch (e) { console.log(e.code); }
    `], { encoding: 'utf8', timeout: 20000, cwd: ROOT });
    assert.equal(r.signal, null);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'EPIPE');
});

test('every timeout is ETIMEDOUT', (t) => {
    const socks = new Sockets(t);
    const [a] = socks.pair();
    a.settimeout(0.05);
    const r = elapsed(() => a.recv(1));
    assert.equal(r.error.code, 'ETIMEDOUT');
    assert.equal(r.error.errno, -E.ETIMEDOUT);
    assert.match(r.error.message, /timed out/);
});

test('sendall() that times out reports the bytes sent', (t) => {
    const socks = new Sockets(t);
    const [a, b] = socks.pair();
    a.settimeout(0.3);
    const data = Buffer.alloc(32 << 20, 0xab);
    const e = throwsCode(() => a.sendall(data), Error, 'ETIMEDOUT');
    const sent = e.bytesSent;
    assert.ok(sent > 0 && sent < data.length, String(sent));
    // What was reported sent is exactly what the peer can read.
    b.setblocking(false);
    let got = 0;
    for (;;) {
        let chunk;
        try {
            chunk = b.recv(1 << 20);
        } catch (x) {
            assert.equal(x.code, 'EAGAIN');
            break;
        }
        assert.ok(chunk.every((c) => c === 0xab));
        got += chunk.length;
    }
    assert.equal(got, sent);
});

test('a closed handle is EBADF, at the raw layer too', () => {
    const h = polysock.raw.socket(polysock.AF_INET, polysock.SOCK_STREAM, 0);
    polysock.raw.close(h);
    const e = throwsCode(() => polysock.raw.close(h), Error, 'EBADF');
    assert.equal(e.errno, -E.EBADF);
    throwsCode(() => polysock.raw.fileno(2 ** 53 - 1), Error, 'EBADF');
    throwsCode(() => polysock.raw.fileno(0), Error, 'EBADF');
});

test('a negative recv size is RangeError', (t) => {
    const socks = new Sockets(t);
    const [cli] = socks.tcpPair();
    throwsCode(() => cli.recv(-1), RangeError);
    throwsCode(() => cli.recvfrom(-1), RangeError);
    throwsCode(() => cli.recv(2 ** 60), RangeError);
});

test('wrong argument types are TypeError', (t) => {
    const socks = new Sockets(t);
    const [cli] = socks.tcpPair();
    throwsCode(() => cli.recv('10'), TypeError, 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => cli.recv(), TypeError);
    throwsCode(() => cli.recv(10, '0'), TypeError);
    throwsCode(() => cli.send(), TypeError);
    throwsCode(() => cli.connect('127.0.0.1'), TypeError);
    throwsCode(() => cli.connect({ host: '127.0.0.1', port: 1 }), TypeError);
    throwsCode(() => cli.connect(['127.0.0.1']), TypeError);
    throwsCode(() => cli.connect(['127.0.0.1', '80']), TypeError);
    throwsCode(() => cli.connect(null), TypeError);
    throwsCode(() => cli.setsockopt(polysock.SOL_SOCKET, polysock.SO_REUSEADDR, {}), TypeError);
});

test('a port out of range is RangeError', (t) => {
    const socks = new Sockets(t);
    for (const port of [-1, 65536, 2 ** 32, -(2 ** 63)]) {
        throwsCode(() => socks.socket().connect(['127.0.0.1', port]), RangeError);
        throwsCode(() => socks.socket().bind(['127.0.0.1', port]), RangeError);
        const u = socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM);
        throwsCode(() => u.sendto('x', ['127.0.0.1', port]), RangeError);
    }
    throwsCode(() => socks.socket().connect(['127.0.0.1', 80.5]), RangeError);
});

test('htons(65536) is RangeError', () => {
    throwsCode(() => polysock.htons(65536), RangeError);
});

test('a host with a NUL byte is TypeError', (t) => {
    const socks = new Sockets(t);
    throwsCode(() => socks.socket().connect(['127.0.0.1\0.example', 80]), TypeError);
    throwsCode(() => polysock.gethostbyname('local\0host'), TypeError, 'ERR_INVALID_ARG_VALUE');
});

test('an unknown host in connect is an EAI_ error', (t) => {
    const socks = new Sockets(t);
    const e = throwsCode(() => socks.socket().connect(['polysock-node.invalid', 80]), Error);
    assert.match(e.code, /^EAI_/);
    assert.ok(e.errno < 0);
    assert.equal(e.syscall, 'connect');
});

test('resolver failures keep the EAI_ names (not net\'s ENOTFOUND)', () => {
    const e = throwsCode(() => polysock.getaddrinfo('polysock-node.invalid', 80), Error);
    assert.ok(e.code === 'EAI_NONAME' || e.code === 'EAI_AGAIN', e.code);
    assert.equal(e.syscall, 'getaddrinfo');
    assert.ok(Number.isInteger(e.errno) && e.errno < 0, String(e.errno));
    assert.equal(e.errno, e.code === 'EAI_NONAME' ? polysock.EAI_NONAME : polysock.EAI_AGAIN);
    const numeric = throwsCode(() => polysock.getaddrinfo('1.2.3.4.5', null, polysock.AF_UNSPEC, 0, 0,
                                                          polysock.AI_NUMERICHOST), Error, 'EAI_NONAME');
    assert.equal(numeric.errno, polysock.EAI_NONAME);
});

test('h_errno failures carry the h_errno name', () => {
    const e = throwsCode(() => polysock.gethostbyname_ex('polysock-node.invalid'), Error);
    assert.ok(['HOST_NOT_FOUND', 'TRY_AGAIN', 'NO_RECOVERY', 'NO_DATA'].includes(e.code), e.code);
    assert.ok(e.errno < 0);
    assert.equal(e.syscall, 'gethostbyname_ex');
});

test('an IPv6 address on an IPv4 socket is TypeError', (t) => {
    const socks = new Sockets(t);
    throwsCode(() => socks.socket().connect(['::1', 80, 0, 0]), TypeError);
});

test('errors of no errno have a code and no errno', () => {
    const e = throwsCode(() => polysock.inet_aton('x'), Error);
    assert.equal(e.errno, undefined);
    assert.equal(typeof e.code, 'string');
    assert.ok(!(e instanceof TypeError) && !(e instanceof RangeError));
    const p = throwsCode(() => polysock.getprotobyname('polysock-no-such-proto'), Error);
    assert.equal(p.errno, undefined);
});

test('data read after errors is intact', (t) => {
    const socks = new Sockets(t);
    const [a, b] = socks.pair();
    b.setblocking(false);
    throwsCode(() => b.recv(1), Error, 'EAGAIN');
    a.send('intact');
    b.setblocking(true);
    assert.equal(recvExactly(b, 6).toString(), 'intact');
});
