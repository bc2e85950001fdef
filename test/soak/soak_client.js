'use strict';
// The Node soak client: LANES concurrent connections of the Promise API on
// the main thread, and WORKERS worker threads using the synchronous API
// (each blocks in its calls), all against soak_server (half of them TLS
// through ssl()) for a set time.  A chaos timer on the main thread closes
// random live connections: the lanes' sockets and SSL objects, and the
// workers' handles through the raw layer, from another thread than the one
// blocked in them.  A watchdog looks for calls that overrun their timeout.
//
//   node soak_client.js PLAIN_PORT TLS_PORT CAFILE SECONDS LANES WORKERS
//
// The same policy as soak_client.c (README.md): random timeout modes
// (normal, tiny, blocking), 1 to 16 frames of 1 B .. 256 KiB per
// connection, CRC-32 checked.  ETIMEDOUT closes the connection and is
// counted; EBADF from a connection the chaos timer closed is counted;
// anything else is an unexpected error.  Prints one SOAK-REPORT line for
// the process (its descriptors and the library's counters are shared by
// all threads); exit status 0 when clean.
//
// One conversation function serves both APIs: it awaits every call, which
// for the synchronous API is a value already there.

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

const bindings = path.join(__dirname, '..', '..', 'bindings', 'node', 'lib');
const HEADER_SIZE = 8;
const MAX_PAYLOAD = 256 * 1024;
const POOL_SIZE = 1 << 20;
const MAX_MESSAGES = 16;
const HUNG_SLACK = 15; // seconds; a shared, loaded machine: generous
const BLOCKING_LIMIT = 60;
const ERRORS_SHOWN = 20;
const FIELDS = ['connections', 'tls_connections', 'messages', 'bytes_sent', 'bytes_received',
    'timeouts', 'chaos_closes', 'checksum_errors', 'unexpected_errors'];

// A clock every thread shares (performance.now() starts per thread).
const nowMs = () => performance.timeOrigin + performance.now();
const uniform = (lo, hi) => lo + Math.random() * (hi - lo);
const below = (n) => Math.floor(Math.random() * n);

function newCounts() {
    return Object.fromEntries(FIELDS.map((f) => [f, 0]));
}

function unexpected(counts, name, what, e) {
    counts.unexpected_errors++;
    if (counts.unexpected_errors <= ERRORS_SHOWN)
        console.error(`${name}: UNEXPECTED: ${what}: ${e && e.code} ${e && e.message}`);
}

// ---- One connection, either API -------------------------------------------------

// The timeout mode of the next calls: normal, tiny (calls time out) or
// blocking; returns the watchdog's limit for them in seconds.
async function pickTimeout(sock, calm) {
    const dice = calm ? 0 : below(10);
    if (dice >= 8) {
        await sock.settimeout(null);
        return BLOCKING_LIMIT;
    }
    const t = dice < 6 ? (calm ? 30 : uniform(2, 10)) : uniform(0.0002, 0.02);
    await sock.settimeout(t);
    return t + HUNG_SLACK;
}

// ctx: { api, name, pool, counts, cafile, ports, watch: {begin, end},
// slot: {publish, setSsl, claimed, withdraw}, stopping() }
async function watched(ctx, what, limit, call) {
    ctx.watch.begin(what, limit);
    try {
        return await call();
    } finally {
        ctx.watch.end();
    }
}

async function exchange(ctx, conn, limit) {
    const size = Math.min(MAX_PAYLOAD, Math.max(1, Math.floor(2 ** uniform(0, 18))));
    const offset = below(POOL_SIZE - size + 1);
    const payload = ctx.pool.subarray(offset, offset + size);
    const header = Buffer.alloc(HEADER_SIZE);
    header.writeUInt32BE(size, 0);
    header.writeUInt32BE(zlib.crc32(payload), 4);
    await watched(ctx, 'write', limit, () => conn.write(header));
    await watched(ctx, 'write', limit, () => conn.write(payload));
    ctx.counts.bytes_sent += size;
    const chunks = [];
    for (let got = 0; got < HEADER_SIZE + size;) {
        const chunk = await watched(ctx, 'read', limit, () => conn.read(HEADER_SIZE + size - got));
        if (chunk.length === 0) throw new EOFError();
        chunks.push(chunk);
        got += chunk.length;
    }
    const echo = Buffer.concat(chunks);
    ctx.counts.bytes_received += size;
    if (!echo.subarray(0, HEADER_SIZE).equals(header) ||
        zlib.crc32(echo.subarray(HEADER_SIZE)) !== echo.readUInt32BE(4)) {
        ctx.counts.checksum_errors++;
        if (ctx.counts.checksum_errors <= ERRORS_SHOWN)
            console.error(`${ctx.name}: CHECKSUM MISMATCH on a ${size}-byte echo (${conn.ssl ? 'TLS' : 'plain'})`);
        return false;
    }
    ctx.counts.messages++;
    return true;
}

class EOFError extends Error {
    constructor() {
        super('the server ended the stream inside an echo');
    }
}

// A socket, and the SSL object over it once there is one.
class Conn {
    constructor(sock) {
        this.sock = sock;
        this.ssl = null;
    }
    read(n) {
        return this.ssl ? this.ssl.read(n) : this.sock.recv(n);
    }
    write(data) {
        return this.ssl ? this.ssl.write(data) : this.sock.sendall(data);
    }
}

async function runConnection(ctx, useTls, calm) {
    const { api, counts } = ctx;
    let sock;
    try {
        sock = await api.socket(api.AF_INET, api.SOCK_STREAM);
    } catch (e) {
        unexpected(counts, ctx.name, 'socket', e);
        return;
    }
    counts.connections++;
    if (useTls) counts.tls_connections++;
    ctx.slot.publish(sock);
    const conn = new Conn(sock);
    try {
        let limit = await pickTimeout(sock, calm);
        await watched(ctx, 'connect', limit, () => sock.connect(['127.0.0.1', ctx.ports[useTls ? 1 : 0]]));
        if (useTls) {
            // ssl() runs the handshake, watched as one call.
            conn.ssl = await watched(ctx, 'ssl', limit, () =>
                api.ssl(sock, { cafile: ctx.cafile, serverHostname: 'localhost' }));
            ctx.slot.setSsl(conn.ssl);
        }
        const messages = calm ? 1 : 1 + below(MAX_MESSAGES);
        for (let i = 0; i < messages && !ctx.stopping(); i++) {
            if (i > 0 && below(4) === 0) limit = await pickTimeout(sock, calm);
            if (!(await exchange(ctx, conn, limit))) break;
        }
    } catch (e) {
        if (e instanceof EOFError) unexpected(counts, ctx.name, 'read', e);
        else if (e.code === 'ETIMEDOUT') counts.timeouts++;
        else if (e.code === 'EBADF' && ctx.slot.claimed()) counts.chaos_closes++;
        else unexpected(counts, ctx.name, 'connection', e);
    } finally {
        const claimed = ctx.slot.withdraw();
        // Close errors are excused only for a connection the chaos timer
        // claimed: it may close the same handle at the same moment.
        for (const [what, obj] of [['ssl close', conn.ssl], ['close', conn.sock]]) {
            if (obj === null) continue;
            try {
                await obj.close();
            } catch (e) {
                if (!(claimed && e.code === 'EBADF')) unexpected(counts, ctx.name, what, e);
            }
        }
    }
}

async function runUntil(ctx, deadline) {
    while (!ctx.stopping() && nowMs() < deadline)
        await runConnection(ctx, below(2) === 1, false);
}

// ---- What a worker shares with the main thread ----------------------------------
//
// Per worker: state (0 no connection, 1 live, 2 claimed by chaos), the
// socket and TLS handles, and the running call's start and limit (ms).

const FREE = 0;
const LIVE = 1;
const CLAIMED = 2;

function sharedViews(buffers, index) {
    return {
        state: new Int32Array(buffers.state),
        handles: new BigInt64Array(buffers.handles),
        calls: new Float64Array(buffers.calls),
        index,
    };
}

function sharedSlot(v) {
    const i = v.index;
    return {
        publish(sock) {
            Atomics.store(v.handles, 2 * i, BigInt(sock._h));
            Atomics.store(v.handles, 2 * i + 1, 0n);
            Atomics.store(v.state, i, LIVE);
        },
        setSsl(ssl) {
            Atomics.store(v.handles, 2 * i + 1, BigInt(ssl._tls._h));
        },
        claimed: () => Atomics.load(v.state, i) === CLAIMED,
        withdraw: () => Atomics.exchange(v.state, i, FREE) === CLAIMED,
    };
}

function sharedWatch(v) {
    const i = v.index;
    return {
        begin(what, limit) {
            v.calls[2 * i + 1] = limit * 1000;
            v.calls[2 * i] = nowMs();
        },
        end() {
            v.calls[2 * i] = 0;
        },
    };
}

// ---- Worker thread: the synchronous API ------------------------------------------

function workerMain() {
    const api = require(path.join(bindings, 'index.js'));
    const { ports, cafile, pool, buffers, index } = workerData;
    const views = sharedViews(buffers, index);
    let stop = false;
    const ctx = {
        api, name: `node-sync-${index}`, pool: Buffer.from(pool), counts: newCounts(), cafile, ports,
        watch: sharedWatch(views), slot: sharedSlot(views), stopping: () => stop,
    };
    parentPort.on('message', async (msg) => {
        if (msg.type === 'warm-up') {
            await runConnection(ctx, false, true);
            await runConnection(ctx, true, true);
            parentPort.postMessage({ type: 'ready', ok: ctx.counts.messages === 2 });
            ctx.counts = newCounts();
        } else if (msg.type === 'go') {
            await runUntil(ctx, msg.deadline);
            parentPort.postMessage({ type: 'done', counts: ctx.counts });
        } else if (msg.type === 'exit') {
            stop = true;
            parentPort.close();
        }
    });
}

// ---- Main thread: the Promise API, chaos, watchdog, report --------------------------

function snapshot(api) {
    const stats = api.raw.get_stats();
    return {
        fds: fs.readdirSync('/proc/self/fd').length - 1, // the listing's own
        live_handles: Number(stats.live_handles),
        live_sockets: Number(stats.live_sockets),
        live_bytes: Number(stats.live_bytes),
    };
}

// A lane's live connection: whoever takes it first closes it.
function localSlot() {
    let slot = null;
    return {
        publish(sock) {
            slot = { sock, ssl: null, claimed: false };
        },
        setSsl(ssl) {
            slot.ssl = ssl;
        },
        claimed: () => slot !== null && slot.claimed,
        withdraw() {
            const claimed = slot.claimed;
            slot = null;
            return claimed;
        },
        claim() {
            if (slot === null || slot.claimed) return null;
            slot.claimed = true;
            return slot;
        },
    };
}

class Watchdog {
    constructor(views, nworkers) {
        this.hung = 0;
        this.calls = new Map(); // lane -> [started ms, limit ms, what]
        this.reported = new Set();
        this.views = views;
        this.nworkers = nworkers;
        this.timer = setInterval(() => this.scan(), 100);
    }
    forLane(lane) {
        return {
            begin: (what, limit) => this.calls.set(lane, [nowMs(), limit * 1000, what]),
            end: () => this.calls.delete(lane),
        };
    }
    flag(key, what, ran, limit) {
        if (this.reported.has(key)) return;
        this.reported.add(key);
        this.hung++;
        console.error(`HUNG: ${what} running for ${(ran / 1000).toFixed(1)} s (limit ${(limit / 1000).toFixed(1)} s)`);
    }
    scan() {
        const now = nowMs();
        for (const [lane, [started, limit, what]] of this.calls)
            if (now - started > limit) this.flag(`lane ${lane} ${started}`, what, now - started, limit);
        for (let w = 0; w < this.nworkers; w++) {
            const started = this.views.calls[2 * w];
            const limit = this.views.calls[2 * w + 1];
            if (started !== 0 && now - started > limit)
                this.flag(`worker ${w} ${started}`, `worker ${w}'s call`, now - started, limit);
        }
    }
    stop() {
        clearInterval(this.timer);
        this.scan();
    }
}

// Closes random live connections: a lane's socket or SSL object, or a
// worker's socket or TLS handle through the raw layer (the worker is
// blocked in it, or about to be).
function startChaos(api, lanes, views, nworkers, counts, name) {
    let running = true;
    const closeQuietly = (what, f) => {
        try {
            const p = f();
            if (p && p.catch) p.catch((e) => e.code === 'EBADF' || unexpected(counts, name, what, e));
        } catch (e) {
            // The worker may be closing the same handle at the same moment.
            if (e.code !== 'EBADF') unexpected(counts, name, what, e);
        }
    };
    const strike = () => {
        const target = below(lanes.length + nworkers);
        if (target < lanes.length) {
            const slot = lanes[target].claim();
            if (slot !== null) {
                if (slot.ssl && below(2)) closeQuietly('chaos ssl close', () => slot.ssl.close());
                else closeQuietly('chaos close', () => slot.sock.close());
            }
        } else {
            const w = target - lanes.length;
            if (Atomics.compareExchange(views.state, w, LIVE, CLAIMED) === LIVE) {
                const sock = Number(Atomics.load(views.handles, 2 * w));
                const tls = Number(Atomics.load(views.handles, 2 * w + 1));
                if (tls && below(2)) closeQuietly('chaos tls_close', () => api.raw.tls_close(tls));
                else closeQuietly('chaos close', () => api.raw.close(sock));
            }
        }
        if (running) setTimeout(strike, uniform(20, 200));
    };
    setTimeout(strike, uniform(20, 200));
    return () => {
        running = false;
    };
}

function startWorker(index, common) {
    const worker = new Worker(__filename, { workerData: { ...common, index } });
    const replies = [];
    const waiters = [];
    worker.on('message', (msg) => (waiters.length ? waiters.shift()(msg) : replies.push(msg)));
    worker.on('error', (e) => {
        console.error(`node-sync-${index}: worker failed: ${e.stack}`);
        process.exitCode = 1;
    });
    return {
        worker,
        ask(msg) {
            worker.postMessage(msg);
            return new Promise((resolve) => (replies.length ? resolve(replies.shift()) : waiters.push(resolve)));
        },
    };
}

async function main(argv) {
    if (argv.length !== 6) {
        console.error('usage: node soak_client.js PLAIN_PORT TLS_PORT CAFILE SECONDS LANES WORKERS');
        return 2;
    }
    const [plain, tls, cafile, seconds, nlanes, nworkers] = argv;
    const api = require(path.join(bindings, 'promises.js'));
    const name = `node-${api.ffi}`;
    const ports = [Number(plain), Number(tls)];
    const pool = crypto.randomBytes(POOL_SIZE);
    const buffers = {
        state: new SharedArrayBuffer(4 * Number(nworkers)),
        handles: new SharedArrayBuffer(16 * Number(nworkers)),
        calls: new SharedArrayBuffer(16 * Number(nworkers)),
    };
    const views = sharedViews(buffers, -1);
    const watchdog = new Watchdog(views, Number(nworkers));
    let stop = false;
    const counts = newCounts();
    const lanes = Array.from({ length: Number(nlanes) }, () => localSlot());
    const laneCtx = (i) => ({
        api, name, pool, counts, cafile, ports, watch: watchdog.forLane(i), slot: lanes[i], stopping: () => stop,
    });

    // Warm-up in every thread: the TLS context cache then holds what it will
    // hold until the end, and each worker's event loop has its descriptors.
    const workers = Array.from({ length: Number(nworkers) }, (_, i) =>
        startWorker(i, { ports, cafile, pool, buffers }));
    const ready = await Promise.all(workers.map((w) => w.ask({ type: 'warm-up' })));
    await runConnection(laneCtx(0), false, true);
    await runConnection(laneCtx(0), true, true);
    if (counts.messages !== 2 || !ready.every((r) => r.ok)) {
        console.error(`${name}: the warm-up exchanges failed`);
        return 1;
    }
    Object.assign(counts, newCounts());
    const before = snapshot(api);

    const started = nowMs();
    const deadline = started + Number(seconds) * 1000;
    const stopChaos = startChaos(api, lanes, views, Number(nworkers), counts, name);
    const stopTimer = setTimeout(() => {
        stop = true;
        stopChaos();
    }, Number(seconds) * 1000);
    const results = await Promise.all([
        ...lanes.map((_, i) => runUntil(laneCtx(i), deadline)),
        ...workers.map((w) => w.ask({ type: 'go', deadline })),
    ]);
    clearTimeout(stopTimer);
    stop = true;
    stopChaos();
    for (const r of results)
        if (r && r.counts) for (const f of FIELDS) counts[f] += r.counts[f];
    const elapsed = (nowMs() - started) / 1000;
    // Chaos closes still in flight settle on the next turns.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = snapshot(api);
    watchdog.stop();
    for (const w of workers) w.worker.postMessage({ type: 'exit' });
    const ok = counts.checksum_errors === 0 && counts.unexpected_errors === 0 && watchdog.hung === 0 &&
        JSON.stringify(before) === JSON.stringify(after) && counts.messages > 0;
    const line = { client: name, ...counts, aborted: 0, hung_calls: watchdog.hung, seconds: +elapsed.toFixed(1) };
    for (const k of Object.keys(before)) line[k] = [before[k], after[k]];
    line.ok = ok;
    console.log(`SOAK-REPORT ${JSON.stringify(line)}`);
    return ok ? 0 : 1;
}

if (isMainThread) {
    main(process.argv.slice(2)).then((code) => {
        process.exitCode = process.exitCode || code;
    }, (e) => {
        console.error(e.stack);
        process.exitCode = 1;
    });
} else {
    workerMain();
}
