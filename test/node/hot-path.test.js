// What the per-call speed work changed: the synchronous poller_wait reuses
// one scratch buffer for its events (results must not change), and a
// Promise socket whose spin was in vain stops spinning for a while.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const { polysock, Sockets, ROOT } = require('./helpers');

// n socket pairs, the far end of each made readable by one byte; returns
// the readable ends' handles, sorted.
function readablePairs(socks, poller, n) {
    const handles = [];
    for (let i = 0; i < n; i++) {
        const [a, b] = socks.pair();
        poller.add(b, polysock.POLYSOCK_POLLIN);
        a.send('x');
        handles.push(b.handle);
    }
    return handles.sort((x, y) => x - y);
}

function handlesOf(events) {
    return events.map((ev) => ev.handle).sort((x, y) => x - y);
}

test('poller_wait results stay intact when the next call reuses its buffer', (t) => {
    const socks = new Sockets(t);
    const p = polysock.poller_new();
    t.after(() => p.close());
    const ready = readablePairs(socks, p, 3);
    const first = p.wait(8, 0);
    assert.deepEqual(handlesOf(first), ready);
    // A second wait with other events: the first result must not change.
    const [, d] = socks.pair();
    p.add(d, polysock.POLYSOCK_POLLOUT);
    for (const h of ready) polysock.raw.poller_remove(p.handle, h);
    const second = p.wait(8, 0);
    assert.equal(second.length, 1);
    assert.equal(second[0].handle, d.handle);
    assert.ok(second[0].events & polysock.POLYSOCK_POLLOUT);
    assert.deepEqual(handlesOf(first), ready);
    for (const ev of first) assert.ok(ev.events & polysock.POLYSOCK_POLLIN);
});

test('poller_wait with a capacity beyond the scratch buffer gets every event', (t) => {
    const socks = new Sockets(t);
    const p = polysock.poller_new();
    t.after(() => p.close());
    // 70 events of 16 bytes do not fit the 1024-byte scratch buffer.
    const ready = readablePairs(socks, p, 70);
    const all = p.wait(100, 0);
    assert.deepEqual(handlesOf(all), ready);
    // A small capacity afterwards takes the scratch buffer again.
    const some = p.wait(8, 0);
    assert.equal(some.length, 8);
    for (const ev of some) assert.ok(ready.includes(ev.handle));
});

// The spin back-off, in a child process whose spin lasts 20 ms (so that the
// test does not depend on the machine's speed): a recv that spins in vain
// parks, and the next 8 calls of its socket park at once; the 9th spins again.
const BACKOFF_CHILD = `
    const assert = require('node:assert/strict');
    const path = require('node:path');
    const promises = require('polysock/promises');
    const park = require(path.join(path.dirname(require.resolve('polysock')), 'park.js'));
    const tick = () => new Promise((r) => setImmediate(r));
    (async () => {
        const [a, b] = await promises.socketpair();
        const first = a.recv(1);
        assert.equal(park.stats().parked, 0, 'the first call spins');
        while (park.stats().parked === 0) await tick();   // the spin ended in vain
        await b.send('x');
        assert.equal((await first).toString(), 'x');
        for (let i = 0; i < 8; i++) {
            const r = a.recv(1);
            assert.equal(park.stats().parked, 1, 'call ' + (i + 1) + ' after the vain spin parks at once');
            await b.send('y');
            assert.equal((await r).toString(), 'y');
        }
        const ninth = a.recv(1);
        assert.equal(park.stats().parked, 0, 'the 9th call spins again');
        await b.send('z');
        assert.equal((await ninth).toString(), 'z');
        await a.close();
        await b.close();
        console.log('backoff ok');
    })().catch((e) => { console.error(e); process.exit(1); });
`;

test('a socket whose spin was in vain parks its next calls at once', () => {
    const r = spawnSync(process.execPath, ['-e', BACKOFF_CHILD], {
        cwd: ROOT, encoding: 'utf8', timeout: 30000,
        env: { ...process.env, POLYSOCK_NODE_SPIN_US: '20000' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'backoff ok');
});
