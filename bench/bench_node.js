// bench_node.js - the Node binding against Node's own `net`, same run.
//
// Usage (from the top of the source tree, after `npm install` there):
//     POLYSOCK_LIBRARY=BUILDDIR/.libs/libpolysock.so.0 node bench/bench_node.js
//
// Variants: net (the anchor), and polysock on each FFI library (koffi,
// ffi-napi), with the synchronous API and with the Promise API.  Rows:
//
//   tcp ping-pong    1-byte round trips per second over loopback TCP
//                    (TCP_NODELAY on both ends)
//   tcp bulk 64K     MiB/s written in 64 KiB calls (sendall / write) into a
//                    peer that reads and discards, then acknowledges
//   trivial call     ns per call of a trivial function per FFI library,
//                    through the generated wrappers: version_number() (a
//                    direct return) and htons() (an out parameter and a
//                    status)
//
// The peer.  The synchronous API blocks the event loop, so the peer is
// another process, shared by every variant: its main thread accepts, and
// each connection is served by a worker thread of its own with the
// synchronous API (koffi) on the connection's handle (handles belong to the
// process): blocking calls, no event loop to slow it down, the same cost
// whichever variant it serves.
//
// Noise.  A process loads one FFI library, so there is one client process
// per FFI, holding net and that FFI's sync and Promise variants, each with
// its own connection to the peer.  In each round the timed work alternates
// between the variants in BLOCKS blocks (the order rotating from block to
// block), so a slow spell of this shared machine costs every variant alike;
// the ratio to net is taken per round (and per process: ffi-napi's net
// runs in its own process), and the table gives its median over the rounds
// and its spread.  Ratios are of speed: above 1, polysock is faster.
//
// Targets: koffi sync >= 1.0x net on ping-pong and >= 0.98x on bulk; koffi
// Promise API >= 0.8x net on ping-pong; ffi-napi has none.
//
// Environment:
//   POLYSOCK_BENCH_RUNS       rounds (default 15: a bulk round's ratio spreads
//                             +-15% on this VM, and 5 rounds left the median
//                             anywhere in 0.94-1.01)
//   POLYSOCK_BENCH_PINGPONG   round trips per variant and round (default
//                             16000; ffi-napi a quarter)
//   POLYSOCK_BENCH_BULK_MB    MiB per variant and round (default 256)
//   POLYSOCK_BENCH_CALLS      calls per trivial-call measurement (default 2000000;
//                             ffi-napi a hundredth)
//   POLYSOCK_BENCH_ROWS       only the rows whose name contains this text
//   POLYSOCK_BENCH_FFIS       the FFI libraries (default "koffi ffi-napi")
//   POLYSOCK_BENCH_SIDES      the APIs (default "sync promises")
//   POLYSOCK_BENCH_PIN        a CPU number: run every process on that CPU
//                             (taskset), as bench_core does
//   POLYSOCK_BENCH_STRICT     1: exit 1 when a row misses its target
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');

const CHUNK = 64 * 1024;
const BLOCKS = 16;
const env = process.env;
const RUNS = Number(env.POLYSOCK_BENCH_RUNS || 15);
const PINGPONG = Number(env.POLYSOCK_BENCH_PINGPONG || 16000);
const BULK_MB = Number(env.POLYSOCK_BENCH_BULK_MB || 256);
const CALLS = Number(env.POLYSOCK_BENCH_CALLS || 2000000);
const FFIS = (env.POLYSOCK_BENCH_FFIS || 'koffi ffi-napi').split(/\s+/).filter(Boolean);
const SIDES = (env.POLYSOCK_BENCH_SIDES || 'sync promises').split(/\s+/).filter(Boolean);
const ROOT = path.join(__dirname, '..');

function now() {
    return process.hrtime.bigint();
}

function since(t0) {
    return Number(process.hrtime.bigint() - t0) / 1e9;
}

// ---- The peer ------------------------------------------------------------------------

// One connection: "P" then echo until end of stream, or repeated bulk
// blocks "B" + 16 decimal digits + that many bytes, each acknowledged "K".
const SERVE = `
    const { workerData } = require('node:worker_threads');
    const p = require(workerData.polysock);
    const h = workerData.handle;
    const big = 256 * 1024;
    const mode = p.raw.recv(h, 1, 0).toString();
    if (mode === 'P') {
        for (;;) {
            const d = p.raw.recv(h, 64, 0);
            if (d.length === 0) break;
            p.raw.sendall(h, d, 0);
        }
    } else if (mode === 'B') {
        for (;;) {
            const head = p.raw.recv(h, 17, 0);
            if (head.length === 0) break;
            let left = Number(head.toString().slice(1));
            while (left > 0) {
                const d = p.raw.recv(h, Math.min(big, left), 0);
                if (d.length === 0) break;
                left -= d.length;
            }
            p.raw.sendall(h, 'K', 0);
        }
    }
    p.raw.close(h);
`;

function peer() {
    const { Worker } = require('node:worker_threads');
    const p = require('polysock');
    const srv = p.socket();
    srv.setsockopt(p.SOL_SOCKET, p.SO_REUSEADDR, 1);
    srv.bind(['127.0.0.1', 0]);
    srv.listen();
    process.stdout.write(`${srv.getsockname()[1]}\n`);
    // Accept on the main thread without blocking it (workers are started
    // from its event loop): a non-blocking accept, polled.
    srv.setblocking(false);
    const kept = [];
    const tick = () => {
        for (;;) {
            let conn;
            try {
                [conn] = srv.accept();
            } catch (e) {
                if (e.code === 'EAGAIN') break;
                throw e;
            }
            conn.setblocking(true);
            conn.setsockopt(p.IPPROTO_TCP, p.TCP_NODELAY, 1);
            // The worker serves (and closes) the handle; the object is kept
            // so that this thread's finalizer never closes it.
            const h = conn.handle;
            kept.push(conn);
            new Worker(SERVE, { eval: true, workerData: { handle: h, polysock: require.resolve('polysock') } });
        }
    };
    setInterval(tick, 2);
    process.stdin.on('end', () => process.exit(0));
    process.stdin.resume();
}

// ---- Clients: one timed block each ------------------------------------------------------

function bulkHeader(bytes) {
    return 'B' + String(bytes).padStart(16, '0');
}

const ONE = Buffer.from('x');
const DATA = Buffer.alloc(CHUNK, 7);

// net: one connection per row, driven from the event loop.
class NetSide {
    constructor(port) {
        this.port = port;
    }

    async open(mode) {
        this.s = await new Promise((resolve, reject) => {
            const s = net.connect({ port: this.port, host: '127.0.0.1', noDelay: true });
            s.once('error', reject);
            s.once('connect', () => resolve(s));
        });
        this.s.write(mode === 'pingpong' ? 'P' : 'B');
        this.waiting = null;
        this.s.on('data', (d) => { if (this.waiting) this.waiting(d); });
    }

    pingpong(n) {
        return new Promise((resolve) => {
            let left = n;
            this.waiting = () => {
                if (--left > 0) this.s.write(ONE);
                else resolve();
            };
            this.s.write(ONE);
        });
    }

    bulk(bytes) {
        return new Promise((resolve) => {
            this.waiting = () => resolve();
            this.s.write(bulkHeader(bytes));
            let sent = 0;
            const pump = () => {
                while (sent < bytes) {
                    sent += CHUNK;
                    if (!this.s.write(DATA)) {
                        this.s.once('drain', pump);
                        return;
                    }
                }
            };
            pump();
        });
    }

    close() {
        this.s.destroy();
    }
}

class SyncSide {
    constructor(p, port) {
        this.p = p;
        this.port = port;
    }

    open(mode) {
        const p = this.p;
        this.s = p.socket();
        this.s.setsockopt(p.IPPROTO_TCP, p.TCP_NODELAY, 1);
        this.s.connect(['127.0.0.1', this.port]);
        this.s.send(mode === 'pingpong' ? 'P' : 'B');
    }

    pingpong(n) {
        const s = this.s;
        for (let i = 0; i < n; i++) {
            s.send(ONE);
            if (s.recv(1).length !== 1) throw new Error('short');
        }
    }

    bulk(bytes) {
        const s = this.s;
        s.sendall(bulkHeader(bytes));
        for (let sent = 0; sent < bytes; sent += CHUNK) s.sendall(DATA);
        if (s.recv(1)[0] !== 0x4b) throw new Error('no ack');
    }

    close() {
        this.s.close();
    }
}

class PromiseSide {
    constructor(p, port) {
        this.p = p;
        this.port = port;
    }

    async open(mode) {
        const p = this.p;
        this.s = await p.socket();
        await this.s.setsockopt(p.IPPROTO_TCP, p.TCP_NODELAY, 1);
        await this.s.connect(['127.0.0.1', this.port]);
        await this.s.send(mode === 'pingpong' ? 'P' : 'B');
    }

    async pingpong(n) {
        const s = this.s;
        for (let i = 0; i < n; i++) {
            await s.send(ONE);
            if ((await s.recv(1)).length !== 1) throw new Error('short');
        }
    }

    async bulk(bytes) {
        const s = this.s;
        await s.sendall(bulkHeader(bytes));
        for (let sent = 0; sent < bytes; sent += CHUNK) await s.sendall(DATA);
        if ((await s.recv(1))[0] !== 0x4b) throw new Error('no ack');
    }

    close() {
        return this.s.close();
    }
}

// One client process: every round, net and this FFI's two variants
// alternate in blocks; returns per variant and round the rate.
async function clientMain(mode, port) {
    const sync = require('polysock');
    if (mode === 'calls') {
        // ffi-napi's calls cost microseconds: a hundredth as many.
        const calls = sync.ffi === 'koffi' ? CALLS : Math.ceil(CALLS / 100);
        const runs = {
            'version_number()': () => { for (let i = 0; i < calls; i++) sync.version_number(); },
            'htons()': () => { for (let i = 0; i < calls; i++) sync.htons(i & 0xffff); },
        };
        const out = {};
        for (const [name, f] of Object.entries(runs)) {
            f();
            const t0 = now();
            f();
            out[name] = since(t0) * 1e9 / calls;
        }
        return out;
    }
    const promises = require('polysock/promises');
    const sides = {
        net: new NetSide(port),
        sync: new SyncSide(sync, port),
        promises: new PromiseSide(promises, port),
    };
    const names = Object.keys(sides).filter((n) => n === 'net' || SIDES.includes(n));
    const perRound = Object.fromEntries(names.map((n) => [n, []]));
    const factor = sync.ffi === 'koffi' ? 1 : 4;
    const trips = Math.max(BLOCKS, Math.floor(PINGPONG / factor / BLOCKS)) ;
    const bytes = Math.max(1, Math.floor((BULK_MB << 20) / BLOCKS / CHUNK)) * CHUNK;
    for (const n of names) await sides[n].open(mode);
    // Warm up every side (caches, the JIT, the peer's worker).
    for (const n of names) {
        if (mode === 'pingpong') await sides[n].pingpong(300);
        else await sides[n].bulk(4 * CHUNK);
    }
    for (let round = 0; round < RUNS; round++) {
        const time = Object.fromEntries(names.map((n) => [n, 0]));
        for (let b = 0; b < BLOCKS; b++) {
            for (let k = 0; k < names.length; k++) {
                const n = names[(b + round + k) % names.length];
                const t0 = now();
                if (mode === 'pingpong') await sides[n].pingpong(trips);
                else await sides[n].bulk(bytes);
                time[n] += since(t0);
            }
        }
        for (const n of names)
            perRound[n].push(mode === 'pingpong' ? trips * BLOCKS / time[n] : bytes * BLOCKS / (1 << 20) / time[n]);
    }
    for (const n of names) await sides[n].close();
    return perRound;
}

// ---- The driver --------------------------------------------------------------------------

const ROWS = [
    { name: 'tcp ping-pong', mode: 'pingpong', unit: 'rt/s', targets: { 'koffi sync': 1.0, 'koffi promises': 0.8 } },
    { name: 'tcp bulk 64K', mode: 'bulk', unit: 'MiB/s', targets: { 'koffi sync': 0.98 } },
].filter((r) => !env.POLYSOCK_BENCH_ROWS || r.name.includes(env.POLYSOCK_BENCH_ROWS));

function runClient(ffi, mode, port) {
    const r = spawnSync(process.execPath, [__filename, '--client', mode, String(port)], {
        cwd: ROOT, encoding: 'utf8', timeout: 900000, maxBuffer: 1 << 20,
        env: { ...env, POLYSOCK_NODE_FFI: ffi },
    });
    if (r.status !== 0) throw new Error(`${ffi} ${mode}: ${r.stderr || r.error}`);
    return JSON.parse(r.stdout);
}

function median(xs) {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmt(x) {
    return x >= 100 ? Math.round(x).toString() : x.toPrecision(3);
}

async function main() {
    const peerProc = spawn(process.execPath, [__filename, '--peer'], {
        cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'], env: { ...env, POLYSOCK_NODE_FFI: 'koffi' },
    });
    const port = await new Promise((resolve, reject) => {
        let buf = '';
        peerProc.stdout.on('data', (d) => {
            buf += d;
            if (buf.includes('\n')) resolve(Number(buf.trim()));
        });
        peerProc.on('exit', (c) => reject(new Error(`peer exited with ${c}`)));
    });
    const p = require('polysock');
    const lines = [];
    let missed = 0;
    console.log(`# bench_node: node ${process.version}, polysock ${p.version}, library ${p.library}` +
                (env.POLYSOCK_BENCH_PIN ? `, every process on CPU ${env.POLYSOCK_BENCH_PIN}` : ', not pinned'));
    console.log(`# ${RUNS} rounds of ${BLOCKS} alternating blocks; ping-pong ${PINGPONG} round trips per ` +
                `variant and round (ffi-napi ${PINGPONG >> 2}), bulk ${BULK_MB} MiB in 64 KiB calls`);
    try {
        for (const row of ROWS) {
            for (const ffi of FFIS) {
                const res = runClient(ffi, row.mode, port);
                for (const side of ['net', ...SIDES]) {
                    const name = side === 'net' ? `net (${ffi} run)` : `${ffi} ${side}`;
                    const ratios = res[side].map((x, i) => x / res.net[i]);
                    const ratio = median(ratios);
                    const spread = `${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)}`;
                    const target = row.targets[name];
                    let verdict = side === 'net' ? '(anchor)' : 'no target';
                    if (target !== undefined) {
                        const ok = ratio >= target;
                        if (!ok) missed++;
                        verdict = `>= ${target} ${ok ? 'PASS' : 'MISS'}`;
                    }
                    lines.push(`| ${row.name} | ${name} | ${fmt(median(res[side]))} ${row.unit} | ` +
                               `${ratio.toFixed(3)} | ${spread} | ${verdict} |`);
                }
            }
        }
        if (!env.POLYSOCK_BENCH_ROWS || 'trivial call'.includes(env.POLYSOCK_BENCH_ROWS)) {
            for (const ffi of FFIS) {
                const per = {};
                for (let round = 0; round < RUNS; round++) {
                    const r = runClient(ffi, 'calls', port);
                    for (const [k, ns] of Object.entries(r)) (per[k] = per[k] || []).push(ns);
                }
                for (const [k, ns] of Object.entries(per))
                    lines.push(`| trivial call ${k} | ${ffi} | ${fmt(median(ns))} ns | | ` +
                               `${fmt(Math.min(...ns))}-${fmt(Math.max(...ns))} ns | no target |`);
            }
        }
    } finally {
        peerProc.stdin.end();
    }
    console.log('');
    console.log('| row | variant | median | ratio to net | spread | target |');
    console.log('| --- | --- | ---: | ---: | --- | --- |');
    for (const l of lines) console.log(l);
    await new Promise((r) => peerProc.on('exit', r));
    if (missed > 0) {
        console.log(`\n${missed} row(s) missed their target`);
        if (env.POLYSOCK_BENCH_STRICT === '1') process.exit(1);
    }
}

if (process.argv[2] === '--peer') {
    peer();
} else if (process.argv[2] === '--client') {
    clientMain(process.argv[3], Number(process.argv[4]))
        .then((r) => {
            process.stdout.write(JSON.stringify(r));
            process.exit(0);
        })
        .catch((e) => { console.error(e); process.exit(1); });
} else if (env.POLYSOCK_BENCH_PIN && env.POLYSOCK_BENCH_PINNED !== '1') {
    // Every process of the run (peer, clients) on one CPU, as bench_core
    // does: a cross-CPU wake-up on this kind of VM costs tens of
    // microseconds and varies tenfold, more than a whole round trip.
    const r = spawnSync('taskset', ['-c', env.POLYSOCK_BENCH_PIN, process.execPath, __filename, ...process.argv.slice(2)], {
        stdio: 'inherit', env: { ...env, POLYSOCK_BENCH_PINNED: '1' },
    });
    if (r.error) {
        console.error(`bench_node: taskset: ${r.error.message}`);
        process.exit(1);
    }
    process.exit(r.status === null ? 1 : r.status);
} else {
    main().catch((e) => { console.error(e); process.exit(1); });
}
