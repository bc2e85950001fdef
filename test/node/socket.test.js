// Socket objects of the synchronous API: every method, over TCP, UDP,
// AF_UNIX and IPv6 loopback.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const {
    polysock, Sockets, recvExactly, throwsCode, ipv6Loopback, shortTmpdir,
} = require('./helpers');

const E = os.constants.errno;

test('socket() defaults to AF_INET, SOCK_STREAM, proto 0', (t) => {
    const socks = new Sockets(t);
    const s = socks.socket();
    assert.ok(s instanceof polysock.Socket);
    assert.equal(s.family(), polysock.AF_INET);
    assert.equal(s.type(), polysock.SOCK_STREAM);
    assert.equal(s.proto(), 0);
    const u = socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM, polysock.IPPROTO_UDP);
    assert.equal(u.type(), polysock.SOCK_DGRAM);
    assert.equal(u.proto(), polysock.IPPROTO_UDP);
    assert.equal(typeof s.handle, 'number');
});

test('an AF_UNIX socket reports its family', (t) => {
    const socks = new Sockets(t);
    const s = socks.socket(polysock.AF_UNIX, polysock.SOCK_DGRAM);
    assert.equal(s.family(), polysock.AF_UNIX);
    assert.equal(s.type(), polysock.SOCK_DGRAM);
});

test('a bad family is an OS error with its errno', () => {
    const e = throwsCode(() => polysock.socket(12345), Error, 'EAFNOSUPPORT');
    assert.equal(e.errno, -E.EAFNOSUPPORT);
    assert.equal(e.syscall, 'socket');
});

test('socket() refuses non-integers', () => {
    throwsCode(() => polysock.socket('AF_INET'), TypeError);
    throwsCode(() => polysock.socket(polysock.AF_INET, {}), TypeError);
    throwsCode(() => polysock.socket(2.5), RangeError);
    throwsCode(() => polysock.socket(2 ** 31), RangeError);
});

test('close() is idempotent and every later call is EBADF', () => {
    const s = polysock.socket();
    s.close();
    s.close();
    for (const f of [() => s.fileno(), () => s.family(), () => s.bind(['127.0.0.1', 0]),
        () => s.listen(1), () => s.accept(), () => s.connect(['127.0.0.1', 1]),
        () => s.recv(1), () => s.recvfrom(1), () => s.send('x'), () => s.sendall('x'),
        () => s.sendto('x', ['127.0.0.1', 1]), () => s.shutdown(polysock.SHUT_RDWR),
        () => s.settimeout(1), () => s.gettimeout(), () => s.setblocking(false),
        () => s.getsockname(), () => s.getpeername(),
        () => s.getsockopt(polysock.SOL_SOCKET, polysock.SO_TYPE),
        () => s.setsockopt(polysock.SOL_SOCKET, polysock.SO_REUSEADDR, 1)]) {
        const e = throwsCode(f, Error, 'EBADF');
        assert.equal(e.errno, -E.EBADF);
    }
});

test('connect_ex on a closed socket is EBADF', () => {
    const s = polysock.socket();
    s.close();
    throwsCode(() => s.connect_ex(['127.0.0.1', 1]), Error, 'EBADF');
});

test('fileno() is a real socket descriptor', (t) => {
    const socks = new Sockets(t);
    const s = socks.socket();
    const fd = s.fileno();
    assert.ok(fd > 2);
    assert.ok(fs.fstatSync(fd).isSocket());
});

test('socketpair() is a connected AF_UNIX stream pair', (t) => {
    const socks = new Sockets(t);
    const [a, b] = socks.pair();
    assert.equal(a.family(), polysock.AF_UNIX);
    assert.equal(a.type(), polysock.SOCK_STREAM);
    assert.equal(a.send('ping'), 4);
    assert.deepEqual(b.recv(10), Buffer.from('ping'));
    b.sendall(Buffer.from('pong'));
    assert.deepEqual(a.recv(10), Buffer.from('pong'));
});

test('socketpair() of datagrams keeps message boundaries', (t) => {
    const socks = new Sockets(t);
    const [a, b] = socks.pair(polysock.AF_UNIX, polysock.SOCK_DGRAM);
    a.send('one');
    a.send('two');
    assert.equal(b.recv(100).toString(), 'one');
    assert.equal(b.recv(100).toString(), 'two');
});

test('fromfd() duplicates the descriptor', (t) => {
    const socks = new Sockets(t);
    const [cli, conn] = socks.tcpPair();
    const dup = socks.track(polysock.fromfd(conn.fileno(), polysock.AF_INET, polysock.SOCK_STREAM));
    assert.notEqual(dup.fileno(), conn.fileno());
    assert.equal(dup.family(), polysock.AF_INET);
    conn.close();
    cli.send('through the copy');
    assert.equal(dup.recv(100).toString(), 'through the copy');
});

test('fromfd() of a closed descriptor is EBADF', () => {
    throwsCode(() => polysock.fromfd(2147483647, polysock.AF_INET, polysock.SOCK_STREAM), Error, 'EBADF');
});

test('accept() returns the connection and the peer address', (t) => {
    const socks = new Sockets(t);
    const srv = socks.listener();
    const cli = socks.socket();
    cli.connect(srv.getsockname());
    const r = srv.accept();
    assert.ok(Array.isArray(r));
    assert.equal(r.length, 2);
    const [conn, addr] = r;
    socks.track(conn);
    assert.ok(conn instanceof polysock.Socket);
    assert.deepEqual(addr, cli.getsockname());
    assert.deepEqual(conn.getpeername(), cli.getsockname());
    assert.deepEqual(cli.getpeername(), srv.getsockname());
});

test('bind() to any address and port 0', (t) => {
    const socks = new Sockets(t);
    const s = socks.socket();
    s.bind(['', 0]);
    const [host, port] = s.getsockname();
    assert.equal(host, '0.0.0.0');
    assert.ok(port > 0 && port < 65536);
});

test('bind() to a host name', (t) => {
    const socks = new Sockets(t);
    const s = socks.socket();
    s.bind(['localhost', 0]);
    assert.equal(s.getsockname()[0], '127.0.0.1');
});

test('"<broadcast>" is converted, not looked up', (t) => {
    const socks = new Sockets(t);
    const s = socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM);
    s.setsockopt(polysock.SOL_SOCKET, polysock.SO_BROADCAST, 1);
    s.connect(['<broadcast>', 9]);
    assert.equal(s.getpeername()[0], '255.255.255.255');
});

test('getsockname() of an unbound socket', (t) => {
    const socks = new Sockets(t);
    assert.deepEqual(socks.socket().getsockname(), ['0.0.0.0', 0]);
});

test('getpeername() of an unconnected socket is ENOTCONN', (t) => {
    const socks = new Sockets(t);
    throwsCode(() => socks.socket().getpeername(), Error, 'ENOTCONN');
});

test('connect_ex() returns 0 or the errno', (t) => {
    const socks = new Sockets(t);
    const srv = socks.listener();
    assert.equal(socks.socket().connect_ex(srv.getsockname()), 0);
    assert.equal(socks.socket().connect_ex(socks.refusingAddress()), E.ECONNREFUSED);
});

test('connect_host() returns the host given to connect', (t) => {
    const socks = new Sockets(t);
    const srv = socks.listener();
    const c = socks.socket();
    assert.equal(c.connect_host(), '');
    c.connect(['localhost', srv.getsockname()[1]]);
    assert.equal(c.connect_host(), 'localhost');
});

test('listen() with and without a backlog', (t) => {
    const socks = new Sockets(t);
    const a = socks.socket();
    a.bind(['127.0.0.1', 0]);
    a.listen();
    const b = socks.socket();
    b.bind(['127.0.0.1', 0]);
    b.listen(5);
    assert.equal(a.getsockopt(polysock.SOL_SOCKET, polysock.SO_ACCEPTCONN), 1);
    assert.equal(b.getsockopt(polysock.SOL_SOCKET, polysock.SO_ACCEPTCONN), 1);
});

test('send() and recv() over TCP', (t) => {
    const socks = new Sockets(t);
    const [cli, conn] = socks.tcpPair();
    assert.equal(cli.send(Buffer.from('hello')), 5);
    const data = recvExactly(conn, 5);
    assert.ok(Buffer.isBuffer(data));
    assert.equal(data.toString(), 'hello');
});

test('recv() returns at most bufsize bytes', (t) => {
    const socks = new Sockets(t);
    const [cli, conn] = socks.tcpPair();
    cli.sendall('0123456789');
    const first = recvExactly(conn, 4);
    assert.equal(first.toString(), '0123');
    assert.equal(recvExactly(conn, 6).toString(), '456789');
});

test('recv() with MSG_PEEK leaves the data queued', (t) => {
    const socks = new Sockets(t);
    const [a, b] = socks.pair();
    a.send('peek');
    assert.equal(b.recv(10, polysock.MSG_PEEK).toString(), 'peek');
    assert.equal(b.recv(10).toString(), 'peek');
});

test('send() accepts strings, TypedArrays, DataViews and ArrayBuffers', (t) => {
    const socks = new Sockets(t);
    const [a, b] = socks.pair();
    assert.equal(a.send('h\u00e9'), 3);
    assert.equal(a.send(new Uint16Array([0x4241])), 2);
    assert.equal(a.send(new DataView(new Uint8Array([67, 68, 69]).buffer, 1, 2)), 2);
    assert.equal(a.send(new Uint8Array([70]).buffer), 1);
    assert.equal(a.send(''), 0);
    assert.deepEqual(recvExactly(b, 8), Buffer.from([0x68, 0xc3, 0xa9, 0x41, 0x42, 68, 69, 70]));
});

test('send() refuses what is not bytes', (t) => {
    const socks = new Sockets(t);
    const [a] = socks.pair();
    throwsCode(() => a.send(null), TypeError);
    throwsCode(() => a.send(42), TypeError);
    throwsCode(() => a.send({}), TypeError);
});

test('recv(0) returns an empty Buffer', (t) => {
    const socks = new Sockets(t);
    const [a, b] = socks.pair();
    a.send('x');
    const r = b.recv(0);
    assert.ok(Buffer.isBuffer(r));
    assert.equal(r.length, 0);
    assert.equal(b.recv(1).toString(), 'x');
});

test('shutdown(SHUT_WR) gives the peer end of stream', (t) => {
    const socks = new Sockets(t);
    const [cli, conn] = socks.tcpPair();
    cli.send('last');
    cli.shutdown(polysock.SHUT_WR);
    assert.equal(recvExactly(conn, 4).toString(), 'last');
    assert.equal(conn.recv(10).length, 0);
    conn.send('still open the other way');
    assert.equal(cli.recv(100).toString(), 'still open the other way');
});

test('recv() after the peer closed is end of stream', (t) => {
    const socks = new Sockets(t);
    const [cli, conn] = socks.tcpPair();
    cli.close();
    assert.equal(conn.recv(10).length, 0);
});

test('sendall() of several MiB reaches a concurrent reader intact', async (t) => {
    const socks = new Sockets(t);
    const [a, b] = socks.pair();
    const size = 8 << 20;
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = (i * 7 + (i >> 13)) & 0xff;
    // The reader runs in a worker thread, on the same handle: handles belong
    // to the process, not to a thread.
    const worker = new Worker(`
        const { parentPort, workerData } = require('node:worker_threads');
        const crypto = require('node:crypto');
        const polysock = require(workerData.polysock);
        const h = crypto.createHash('sha256');
        let n = 0;
        for (;;) {
            const chunk = polysock.raw.recv(workerData.handle, 65536, 0);
            if (chunk.length === 0) break;
            h.update(chunk);
            n += chunk.length;
        }
        parentPort.postMessage({ n, digest: h.digest('hex') });
    `, { eval: true, workerData: { handle: b.handle, polysock: require.resolve('polysock') } });
    const result = new Promise((resolve, reject) => {
        worker.on('message', resolve);
        worker.on('error', reject);
    });
    a.sendall(data);
    a.shutdown(polysock.SHUT_WR);
    const got = await result;
    await worker.terminate();
    assert.equal(got.n, size);
    assert.equal(got.digest, require('node:crypto').createHash('sha256').update(data).digest('hex'));
});

test('sendto() and recvfrom() over UDP report the sender', (t) => {
    const socks = new Sockets(t);
    const r = socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM);
    r.bind(['127.0.0.1', 0]);
    const s = socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM);
    s.bind(['127.0.0.1', 0]);
    assert.equal(s.sendto('datagram', r.getsockname()), 8);
    const [data, from] = r.recvfrom(100);
    assert.equal(data.toString(), 'datagram');
    assert.deepEqual(from, s.getsockname());
});

test('sendto() with flags', (t) => {
    const socks = new Sockets(t);
    const r = socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM);
    r.bind(['127.0.0.1', 0]);
    const s = socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM);
    assert.equal(s.sendto('flagged', polysock.MSG_DONTWAIT, r.getsockname()), 7);
    assert.equal(r.recv(100).toString(), 'flagged');
});

test('a datagram is truncated to bufsize', (t) => {
    const socks = new Sockets(t);
    const [a, b] = socks.pair(polysock.AF_UNIX, polysock.SOCK_DGRAM);
    a.send('0123456789');
    assert.equal(b.recv(4).toString(), '0123');
    throwsCode(() => { b.setblocking(false); b.recv(4); }, Error, 'EAGAIN');
});

test('a connected UDP socket sends and receives', (t) => {
    const socks = new Sockets(t);
    const r = socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM);
    r.bind(['127.0.0.1', 0]);
    const s = socks.socket(polysock.AF_INET, polysock.SOCK_DGRAM);
    s.connect(r.getsockname());
    s.send('connected');
    const [data, from] = r.recvfrom(100);
    assert.equal(data.toString(), 'connected');
    r.sendto('back', from);
    assert.equal(s.recv(100).toString(), 'back');
});

test('getsockopt() as an integer and as bytes', (t) => {
    const socks = new Sockets(t);
    const s = socks.socket();
    assert.equal(s.getsockopt(polysock.SOL_SOCKET, polysock.SO_TYPE), polysock.SOCK_STREAM);
    const b = s.getsockopt(polysock.SOL_SOCKET, polysock.SO_TYPE, 4);
    assert.ok(Buffer.isBuffer(b));
    assert.equal(b.length, 4);
    assert.equal(b.readInt32LE(0), polysock.SOCK_STREAM);
    assert.equal(s.getsockopt_int(polysock.SOL_SOCKET, polysock.SO_TYPE), polysock.SOCK_STREAM);
    assert.equal(s.getsockopt_buf(polysock.SOL_SOCKET, polysock.SO_TYPE, 16).length, 4);
});

test('setsockopt() from an integer, a boolean and bytes', (t) => {
    const socks = new Sockets(t);
    const s = socks.socket();
    s.setsockopt(polysock.SOL_SOCKET, polysock.SO_REUSEADDR, 1);
    assert.equal(s.getsockopt(polysock.SOL_SOCKET, polysock.SO_REUSEADDR), 1);
    s.setsockopt(polysock.SOL_SOCKET, polysock.SO_REUSEADDR, false);
    assert.equal(s.getsockopt(polysock.SOL_SOCKET, polysock.SO_REUSEADDR), 0);
    const one = Buffer.alloc(4);
    one.writeInt32LE(1);
    s.setsockopt(polysock.SOL_SOCKET, polysock.SO_KEEPALIVE, one);
    assert.equal(s.getsockopt(polysock.SOL_SOCKET, polysock.SO_KEEPALIVE), 1);
    throwsCode(() => s.setsockopt(polysock.SOL_SOCKET, polysock.SO_KEEPALIVE, null), TypeError);
});

test('an unknown option is ENOPROTOOPT', (t) => {
    const socks = new Sockets(t);
    throwsCode(() => socks.socket().getsockopt(polysock.SOL_SOCKET, 12345), Error, 'ENOPROTOOPT');
});

test('IPv6 loopback connection with four-element addresses', { skip: !ipv6Loopback() && 'no IPv6 loopback here' }, (t) => {
    const socks = new Sockets(t);
    const [cli, conn] = socks.tcpPair(polysock.AF_INET6, '::1');
    const name = cli.getsockname();
    assert.equal(name.length, 4);
    assert.equal(name[0], '::1');
    assert.deepEqual(conn.getpeername(), name);
    cli.send('six');
    assert.equal(conn.recv(10).toString(), 'six');
});

test('IPv6 bind takes a two-element address and reports four', { skip: !ipv6Loopback() && 'no IPv6 loopback here' }, (t) => {
    const socks = new Sockets(t);
    const s = socks.socket(polysock.AF_INET6);
    s.bind(['::1', 0]);
    const [host, port, flowinfo, scope] = s.getsockname();
    assert.equal(host, '::1');
    assert.ok(port > 0);
    assert.equal(flowinfo, 0);
    assert.equal(scope, 0);
});

test('IPv6 recvfrom gives a four-element sender', { skip: !ipv6Loopback() && 'no IPv6 loopback here' }, (t) => {
    const socks = new Sockets(t);
    const r = socks.socket(polysock.AF_INET6, polysock.SOCK_DGRAM);
    r.bind(['::1', 0]);
    const s = socks.socket(polysock.AF_INET6, polysock.SOCK_DGRAM);
    s.bind(['::1', 0, 0, 0]);
    s.sendto('v6', r.getsockname());
    const [data, from] = r.recvfrom(10);
    assert.equal(data.toString(), 'v6');
    assert.deepEqual(from, s.getsockname());
});

test('AF_UNIX path addresses are strings', (t) => {
    const socks = new Sockets(t);
    const dir = shortTmpdir(t);
    const p = path.join(dir, 'sock');
    const srv = socks.socket(polysock.AF_UNIX);
    srv.bind(p);
    srv.listen();
    assert.equal(srv.getsockname(), p);
    const cli = socks.socket(polysock.AF_UNIX);
    cli.connect(p);
    const [conn, addr] = srv.accept();
    socks.track(conn);
    assert.equal(addr, '');
    assert.equal(cli.getpeername(), p);
    cli.send('unix');
    assert.equal(conn.recv(10).toString(), 'unix');
});

test('an AF_UNIX path may be given as a Buffer', (t) => {
    const socks = new Sockets(t);
    const p = path.join(shortTmpdir(t), 'b');
    const s = socks.socket(polysock.AF_UNIX, polysock.SOCK_DGRAM);
    s.bind(Buffer.from(p));
    assert.equal(s.getsockname(), p);
});

test('an abstract AF_UNIX name is a Buffer and may hold NUL bytes', (t) => {
    const socks = new Sockets(t);
    const name = Buffer.from(`\0polysock-node-${process.pid}\0x`);
    const srv = socks.socket(polysock.AF_UNIX, polysock.SOCK_DGRAM);
    srv.bind(name);
    assert.deepEqual(srv.getsockname(), name);
    const cli = socks.socket(polysock.AF_UNIX, polysock.SOCK_DGRAM);
    cli.sendto('abstract', name);
    assert.equal(srv.recv(20).toString(), 'abstract');
});

test('an AF_UNIX path that is too long is an error', (t) => {
    const socks = new Sockets(t);
    const s = socks.socket(polysock.AF_UNIX);
    const e = throwsCode(() => s.bind('/tmp/' + 'x'.repeat(200)), Error);
    assert.ok(!(e instanceof TypeError) && !(e instanceof RangeError));
    throwsCode(() => s.bind('/tmp/' + 'y'.repeat(2000)), Error);
});

test('the Poller reports readiness of sockets', (t) => {
    const socks = new Sockets(t);
    const [a, b] = socks.pair();
    const p = polysock.poller_new();
    t.after(() => p.close());
    assert.ok(p instanceof polysock.Poller);
    p.add(b, polysock.POLYSOCK_POLLIN);
    assert.deepEqual(p.wait(8, 0), []);
    a.send('x');
    const events = p.wait(8, 5);
    assert.equal(events.length, 1);
    assert.equal(events[0].handle, b.handle);
    assert.ok(events[0].events & polysock.POLYSOCK_POLLIN);
    p.remove(b);
    p.wake();
    assert.deepEqual(p.wait(8, null), []);
});
