// A socket dropped without close() is closed by the garbage collector
// (a FinalizationRegistry that holds only the handle).
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { polysock, promises, collect, fdCount, liveSockets } = require('./helpers');

async function dropped(make) {
    await collect();
    const fds = fdCount(), live = liveSockets();
    await make();
    const during = liveSockets() - live;
    await collect();
    return { during, leakedSockets: liveSockets() - live, leakedFds: fdCount() - fds };
}

test('a dropped socket is closed', async () => {
    const r = await dropped(() => {
        const s = polysock.socket();
        assert.ok(s.fileno() >= 0);
    });
    assert.equal(r.during, 1);
    assert.equal(r.leakedSockets, 0);
    assert.equal(r.leakedFds, 0);
});

test('many dropped sockets are all closed', async () => {
    const r = await dropped(() => {
        for (let i = 0; i < 200; i++) polysock.socket(polysock.AF_INET, polysock.SOCK_DGRAM);
    });
    assert.equal(r.during, 200);
    assert.equal(r.leakedSockets, 0);
    assert.equal(r.leakedFds, 0);
});

test('dropped socketpair and accepted sockets are closed', async () => {
    const r = await dropped(() => {
        polysock.socketpair();
        const srv = polysock.socket();
        srv.bind(['127.0.0.1', 0]);
        srv.listen();
        const cli = polysock.socket();
        cli.connect(srv.getsockname());
        srv.accept();
    });
    assert.equal(r.during, 5);
    assert.equal(r.leakedSockets, 0);
    assert.equal(r.leakedFds, 0);
});

test('dropped Promise API sockets are closed', async () => {
    const r = await dropped(async () => {
        const [a, b] = await promises.socketpair();
        await a.send('x');
        await b.recv(1);
        await promises.socket();
    });
    assert.equal(r.during, 3);
    assert.equal(r.leakedSockets, 0);
    assert.equal(r.leakedFds, 0);
});

test('a closed socket is not closed again by the collector', async () => {
    // The finalizer is dropped on close(), so it cannot close a later
    // socket that reuses the slot (handles carry a generation anyway).
    const keep = [];
    const r = await dropped(() => {
        for (let i = 0; i < 20; i++) polysock.socket().close();
        for (let i = 0; i < 20; i++) keep.push(polysock.socket());
    });
    assert.equal(r.during, 20);
    assert.equal(r.leakedSockets, 20);
    for (const s of keep) assert.ok(s.fileno() >= 0);
    for (const s of keep) s.close();
});

test('close() releases the descriptor at once', () => {
    const before = fdCount();
    const s = polysock.socket();
    assert.equal(fdCount(), before + 1);
    s.close();
    assert.equal(fdCount(), before);
});
