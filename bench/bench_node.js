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
//   trivial call     ns per call of a trivial function per FFI library:
//                    version_number() (a direct return) and htons() (an
//                    out parameter and a status), through the generated
//                    wrappers, and the bare FFI function without them
//
// The synchronous API blocks the event loop, so every variant talks to the
// same peer in another process: a child that serves one connection at a
// time with the synchronous API on koffi (blocking calls in a dedicated
// process: no event loop of its own to slow it down), so the peer costs the
// same whichever variant it serves.  Each variant runs in a process of its
// own (a process loads one FFI library), started per measurement; the
// timing is taken inside it, around the timed loop only.
//
// Rounds are interleaved (every variant once per round, the order rotating
// from round to round), and the table gives per variant the median over the
// rounds and the median of its per-round ratio to net.
//
// Targets: koffi sync >= 1.0x net on ping-pong and >= 0.98x on bulk; koffi
// Promise API >= 0.8x net on ping-pong; ffi-napi has none.
//
// Environment:
//   POLYSOCK_BENCH_RUNS       rounds (default 5)
//   POLYSOCK_BENCH_PINGPONG   round trips per measurement (default 20000;
//                             ffi-napi does a quarter)
//   POLYSOCK_BENCH_BULK_MB    MiB per bulk measurement (default 256)
//   POLYSOCK_BENCH_CALLS      calls per trivial-call measurement (default 2000000)
//   POLYSOCK_BENCH_ROWS       only the rows whose name contains this text
//   POLYSOCK_BENCH_VARIANTS   only the variants whose name contains this text
//   POLYSOCK_BENCH_STRICT     1: exit 1 when a row misses its target
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');

const CHUNK = 64 * 1024;
const env = process.env;
const RUNS = Number(env.POLYSOCK_BENCH_RUNS || 5);
const PINGPONG = Number(env.POLYSOCK_BENCH_PINGPONG || 20000);
const BULK_MB = Number(env.POLYSOCK_BENCH_BULK_MB || 256);
const CALLS = Number(env.POLYSOCK_BENCH_CALLS || 2000000);
const ROOT = path.join(__dirname, '..');

function now() {
    return process.hrtime.bigint();
}

function seconds(t0) {
    return Number(process.hrtime.bigint() - t0) / 1e9;
}

// ---- The peer: one connection at a time, synchronous polysock on koffi --------------

function peer() {
    const p = require('polysock');
    const srv = p.socket();
    srv.setsockopt(p.SOL_SOCKET, p.SO_REUSEADDR, 1);
    srv.bind(['127.0.0.1', 0]);
    srv.listen();
    process.stdout.write(`${srv.getsockname()[1]}\n`);
    const big = 256 * 1024;
    for (;;) {
        const [c] = srv.accept();
        c.setsockopt(p.IPPROTO_TCP, p.TCP_NODELAY, 1);
        const mode = c.recv(1).toString();
        if (mode === 'P') {
            for (;;) {
                const d = c.recv(64);
                if (d.length === 0) break;
                c.sendall(d);
            }
        } else if (mode === 'B') {
            let left = Number(c.recv(16).toString());
            while (left > 0) {
                const d = c.recv(Math.min(big, left));
                if (d.length === 0) break;
                left -= d.length;
            }
            c.sendall('K');
        } else if (mode === 'Q') {
            c.close();
            break;
        }
        c.close();
    }
    srv.close();
}

// ---- Clients ---------------------------------------------------------------------------

function header(total) {
    return 'B' + String(total).padStart(16, '0').slice(-16);
}

// The synchronous API.
function syncClient(mode, port) {
    const p = require('polysock');
    const s = p.socket();
    s.setsockopt(p.IPPROTO_TCP, p.TCP_NODELAY, 1);
    s.connect(['127.0.0.1', port]);
    if (mode === 'pingpong') {
        const n = p.ffi === 'koffi' ? PINGPONG : PINGPONG >> 2;
        const one = Buffer.from('x');
        s.send('P');
        for (let i = 0; i < 200; i++) { s.send(one); s.recv(1); }
        const t0 = now();
        for (let i = 0; i < n; i++) {
            s.send(one);
            if (s.recv(1).length !== 1) throw new Error('short');
        }
        const t = seconds(t0);
        s.close();
        return n / t;
    }
    const total = BULK_MB << 20;
    const chunk = Buffer.alloc(CHUNK, 7);
    const t0 = now();
    s.sendall(header(total));
    for (let sent = 0; sent < total; sent += CHUNK) s.sendall(chunk);
    if (s.recv(1).toString() !== 'K') throw new Error('no ack');
    const t = seconds(t0);
    s.close();
    return total / (1 << 20) / t;
}

// The Promise API.
async function promiseClient(mode, port) {
    const p = require('polysock/promises');
    const s = await p.socket();
    await s.setsockopt(p.IPPROTO_TCP, p.TCP_NODELAY, 1);
    await s.connect(['127.0.0.1', port]);
    if (mode === 'pingpong') {
        const n = p.ffi === 'koffi' ? PINGPONG : PINGPONG >> 2;
        const one = Buffer.from('x');
        await s.send('P');
        for (let i = 0; i < 200; i++) { await s.send(one); await s.recv(1); }
        const t0 = now();
        for (let i = 0; i < n; i++) {
            await s.send(one);
            if ((await s.recv(1)).length !== 1) throw new Error('short');
        }
        const t = seconds(t0);
        await s.close();
        return n / t;
    }
    const total = BULK_MB << 20;
    const chunk = Buffer.alloc(CHUNK, 7);
    const t0 = now();
    await s.sendall(header(total));
    for (let sent = 0; sent < total; sent += CHUNK) await s.sendall(chunk);
    if ((await s.recv(1)).toString() !== 'K') throw new Error('no ack');
    const t = seconds(t0);
    await s.close();
    return total / (1 << 20) / t;
}

// Node's net.
function netClient(mode, port) {
    return new Promise((resolve, reject) => {
        const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
        s.on('error', reject);
        s.on('connect', () => {
            s.setNoDelay(true);
            if (mode === 'pingpong') {
                const n = PINGPONG;
                const one = Buffer.from('x');
                let i = -200;
                let t0 = null;
                s.write('P');
                s.on('data', (d) => {
                    i += d.length;
                    if (i === 0) t0 = now();
                    if (i < n) {
                        s.write(one);
                    } else {
                        const t = seconds(t0);
                        s.end();
                        resolve(n / t);
                    }
                });
                s.write(one);
                return;
            }
            const total = BULK_MB << 20;
            const chunk = Buffer.alloc(CHUNK, 7);
            const t0 = now();
            s.write(header(total));
            let sent = 0;
            const pump = () => {
                while (sent < total) {
                    sent += CHUNK;
                    if (!s.write(chunk)) {
                        s.once('drain', pump);
                        return;
                    }
                }
            };
            s.on('data', (d) => {
                if (d.toString() !== 'K') reject(new Error('no ack'));
                const t = seconds(t0);
                s.end();
                resolve(total / (1 << 20) / t);
            });
            pump();
        });
    });
}

// The cost of a trivial call, per FFI library (ns per call).
function callClient() {
    const p = require('polysock');
    const runs = {
        'version_number()': () => { for (let i = 0; i < CALLS; i++) p.version_number(); },
        'htons()': () => { for (let i = 0; i < CALLS; i++) p.htons(i & 0xffff); },
    };
    const out = {};
    for (const [name, f] of Object.entries(runs)) {
        f();
        const t0 = now();
        f();
        out[name] = seconds(t0) * 1e9 / CALLS;
    }
    return out;
}

async function client(variant, mode, port) {
    if (mode === 'calls') return callClient();
    if (variant === 'net') return netClient(mode, port);
    if (variant.endsWith('sync')) return syncClient(mode, port);
    return promiseClient(mode, port);
}

// ---- The driver ------------------------------------------------------------------------

const VARIANTS = [
    { name: 'net', ffi: 'koffi' },
    { name: 'koffi sync', ffi: 'koffi' },
    { name: 'koffi promises', ffi: 'koffi' },
    { name: 'ffi-napi sync', ffi: 'ffi-napi' },
    { name: 'ffi-napi promises', ffi: 'ffi-napi' },
].filter((v) => !env.POLYSOCK_BENCH_VARIANTS || v.name === 'net' || v.name.includes(env.POLYSOCK_BENCH_VARIANTS));

const ROWS = [
    { name: 'tcp ping-pong', mode: 'pingpong', unit: 'rt/s', targets: { 'koffi sync': 1.0, 'koffi promises': 0.8 } },
    { name: 'tcp bulk 64K', mode: 'bulk', unit: 'MiB/s', targets: { 'koffi sync': 0.98 } },
].filter((r) => !env.POLYSOCK_BENCH_ROWS || r.name.includes(env.POLYSOCK_BENCH_ROWS));

function measure(variant, mode, port) {
    const r = spawnSync(process.execPath, [__filename, '--client', variant.name, mode, String(port)], {
        cwd: ROOT, encoding: 'utf8', timeout: 300000,
        env: { ...env, POLYSOCK_NODE_FFI: variant.ffi },
    });
    if (r.status !== 0) throw new Error(`${variant.name} ${mode}: ${r.stderr || r.error}`);
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
        cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...env, POLYSOCK_NODE_FFI: 'koffi' },
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
    console.log(`# bench_node: node ${process.version}, polysock ${p.version}, library ${p.library}`);
    console.log(`# ${RUNS} rounds interleaved; ping-pong ${PINGPONG} round trips (ffi-napi ${PINGPONG >> 2}), ` +
                `bulk ${BULK_MB} MiB in 64 KiB calls, ${CALLS} calls`);
    let missed = 0;
    const lines = [];
    for (const row of ROWS) {
        const results = Object.fromEntries(VARIANTS.map((v) => [v.name, []]));
        const ratios = Object.fromEntries(VARIANTS.map((v) => [v.name, []]));
        for (let round = 0; round < RUNS; round++) {
            const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]);
            const got = {};
            for (const v of order) got[v.name] = measure(v, row.mode, port);
            for (const v of VARIANTS) {
                results[v.name].push(got[v.name]);
                ratios[v.name].push(got[v.name] / got.net);
            }
        }
        for (const v of VARIANTS) {
            const ratio = median(ratios[v.name]);
            const spread = `${Math.min(...ratios[v.name]).toFixed(3)}-${Math.max(...ratios[v.name]).toFixed(3)}`;
            const target = row.targets[v.name];
            let verdict = v.name === 'net' ? '(anchor)' : 'no target';
            if (target !== undefined) {
                const ok = ratio >= target;
                if (!ok) missed++;
                verdict = `>= ${target} ${ok ? 'PASS' : 'MISS'}`;
            }
            lines.push(`| ${row.name} | ${v.name} | ${fmt(median(results[v.name]))} ${row.unit} | ` +
                       `${ratio.toFixed(3)} | ${spread} | ${verdict} |`);
        }
    }
    if (!env.POLYSOCK_BENCH_ROWS || 'trivial call'.includes(env.POLYSOCK_BENCH_ROWS)) {
        for (const ffi of ['koffi', 'ffi-napi']) {
            const per = {};
            for (let round = 0; round < RUNS; round++) {
                const r = measure({ name: ffi + ' sync', ffi }, 'calls', port);
                for (const [k, ns] of Object.entries(r)) (per[k] = per[k] || []).push(ns);
            }
            for (const [k, ns] of Object.entries(per))
                lines.push(`| trivial call ${k} | ${ffi} | ${fmt(median(ns))} ns | | ` +
                           `${fmt(Math.min(...ns))}-${fmt(Math.max(...ns))} ns | no target |`);
        }
    }
    console.log('');
    console.log('| row | variant | median | ratio to net | spread | target |');
    console.log('| --- | --- | ---: | ---: | --- | --- |');
    for (const l of lines) console.log(l);
    const q = p.socket();
    q.connect(['127.0.0.1', port]);
    q.send('Q');
    q.close();
    await new Promise((r) => peerProc.on('exit', r));
    if (missed > 0) {
        console.log(`\n${missed} row(s) missed their target`);
        if (env.POLYSOCK_BENCH_STRICT === '1') process.exit(1);
    }
}

if (process.argv[2] === '--peer') {
    peer();
} else if (process.argv[2] === '--client') {
    Promise.resolve(client(process.argv[3], process.argv[4], Number(process.argv[5])))
        .then((r) => process.stdout.write(JSON.stringify(r)))
        .catch((e) => { console.error(e); process.exit(1); });
} else {
    main().catch((e) => { console.error(e); process.exit(1); });
}
