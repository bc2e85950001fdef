// What the test files share: the module under test, a socket tracker that
// closes what a test opened, and small utilities.
//
// The suite runs on whichever FFI POLYSOCK_NODE_FFI selects (test/node/run.sh
// runs it on both) and loads the library POLYSOCK_LIBRARY names.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const polysock = require('polysock');
const promises = require('polysock/promises');

// The Promise API's engine, for tests that look at its state (the same
// module instance the package uses: node_modules/polysock is a link).
const libdir = path.dirname(require.resolve('polysock'));
// The top of the source tree: child processes run there, so that their
// require('polysock') finds node_modules.
const ROOT = path.join(__dirname, '..', '..');
const park = require(path.join(libdir, 'park.js'));
const generated = require(path.join(libdir, 'generated.js'));

function fdCount() {
    return fs.readdirSync('/proc/self/fd').length;
}

function liveSockets() {
    return Number(polysock.get_stats().live_sockets);
}

// Closes every socket a test made (sync or Promise API) when it ends.
class Sockets {
    constructor(t) {
        this.list = [];
        if (t) t.after(() => this.closeAll());
    }

    track(s) {
        this.list.push(s);
        return s;
    }

    socket(...args) {
        return this.track(polysock.socket(...args));
    }

    pair(...args) {
        const [a, b] = polysock.socketpair(...args);
        return [this.track(a), this.track(b)];
    }

    listener(family = polysock.AF_INET, host = '127.0.0.1') {
        const srv = this.socket(family, polysock.SOCK_STREAM);
        srv.bind([host, 0]);
        srv.listen();
        return srv;
    }

    tcpPair(family = polysock.AF_INET, host = '127.0.0.1') {
        const srv = this.listener(family, host);
        const cli = this.socket(family, polysock.SOCK_STREAM);
        cli.connect(srv.getsockname());
        const [conn] = srv.accept();
        return [cli, this.track(conn)];
    }

    // A loopback address where nothing listens: the port is held by a
    // bound, non-listening socket, so no one else takes it.
    refusingAddress() {
        const holder = this.socket();
        holder.bind(['127.0.0.1', 0]);
        return holder.getsockname();
    }

    closeAll() {
        for (const s of this.list) {
            try {
                const r = s.close();
                if (r && typeof r.catch === 'function') r.catch(() => {});
            } catch (e) {
                // closed already through the raw layer
            }
        }
        this.list = [];
    }
}

// The Promise API's counterpart.
class PSockets extends Sockets {
    async socket(...args) {
        return this.track(await promises.socket(...args));
    }

    async pair(...args) {
        const [a, b] = await promises.socketpair(...args);
        return [this.track(a), this.track(b)];
    }

    async listener(family = promises.AF_INET, host = '127.0.0.1') {
        const srv = await this.socket(family, promises.SOCK_STREAM);
        await srv.bind([host, 0]);
        await srv.listen();
        return srv;
    }

    async tcpPair(family = promises.AF_INET, host = '127.0.0.1') {
        const srv = await this.listener(family, host);
        const cli = await this.socket(family, promises.SOCK_STREAM);
        const accepting = srv.accept();
        await cli.connect(await srv.getsockname());
        const [conn] = await accepting;
        return [cli, this.track(conn)];
    }
}

// Read exactly n bytes with the synchronous API.
function recvExactly(sock, n) {
    const chunks = [];
    while (n > 0) {
        const chunk = sock.recv(n);
        if (chunk.length === 0) throw new assert.AssertionError({ message: `EOF with ${n} bytes still expected` });
        chunks.push(chunk);
        n -= chunk.length;
    }
    return Buffer.concat(chunks);
}

// Seconds a function takes.
function elapsed(f) {
    const t0 = process.hrtime.bigint();
    let error = null;
    try {
        f();
    } catch (e) {
        error = e;
    }
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, error };
}

async function elapsedAsync(p) {
    const t0 = process.hrtime.bigint();
    let error = null, value;
    try {
        value = await p;
    } catch (e) {
        error = e;
    }
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, error, value };
}

// Timing bounds: the machine is shared, so late is allowed generously; early
// never is.
const SLACK = 1.5;

function assertTimedOut(r, seconds) {
    assert.ok(r.error, 'no error: the call did not time out');
    assert.equal(r.error.code, 'ETIMEDOUT', `expected ETIMEDOUT, got ${r.error.code}: ${r.error.message}`);
    assert.ok(r.seconds >= seconds - 0.01, `timed out after ${r.seconds}s, before ${seconds}s`);
    assert.ok(r.seconds < seconds + SLACK, `timed out after ${r.seconds}s, long after ${seconds}s`);
}

// Assert f throws an error with the given class and code (when given).
function throwsCode(f, Cls, code) {
    let caught = null;
    try {
        f();
    } catch (e) {
        caught = e;
    }
    assert.ok(caught !== null, `expected ${Cls.name}${code ? ' ' + code : ''}, nothing thrown`);
    assert.ok(caught instanceof Cls, `expected ${Cls.name}, got ${caught && caught.name}: ${caught && caught.message}`);
    if (code !== undefined) assert.equal(caught.code, code, caught.message);
    return caught;
}

async function rejectsCode(p, Cls, code) {
    let caught = null;
    try {
        await p;
    } catch (e) {
        caught = e;
    }
    assert.ok(caught !== null, `expected a rejection with ${Cls.name}${code ? ' ' + code : ''}`);
    assert.ok(caught instanceof Cls, `expected ${Cls.name}, got ${caught && caught.name}: ${caught && caught.message}`);
    if (code !== undefined) assert.equal(caught.code, code, caught.message);
    return caught;
}

let ipv6Usable = null;
function ipv6Loopback() {
    if (ipv6Usable === null) {
        ipv6Usable = false;
        if (polysock.has_ipv6) {
            try {
                const s = polysock.socket(polysock.AF_INET6);
                try {
                    s.bind(['::1', 0]);
                    ipv6Usable = true;
                } finally {
                    s.close();
                }
            } catch (e) {
                ipv6Usable = false;
            }
        }
    }
    return ipv6Usable;
}

function shortTmpdir(t) {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ps-'));
    t.after(() => fs.rmSync(d, { recursive: true, force: true }));
    return d;
}

function sleep(ms) {
    return new Promise((r) => setTimeout(r, ms));
}

// Collect garbage (the suite does not need --expose-gc) and let finalizers
// run.
const v8 = require('node:v8');
const vm = require('node:vm');
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

async function collect() {
    for (let i = 0; i < 4; i++) {
        gc();
        await sleep(10);
    }
}

// ---- TLS: the test certificates and the external peers (test/tls) ---------------

const TLS_DIR = path.join(ROOT, 'test', 'tls');
let certsDir = null;

// The directory of test/tls/make-certs.sh's certificates: POLYSOCK_TEST_CERTS
// (make check), else made once for this process in a temporary directory,
// with the build tree's mkcert-odd ($top_builddir), or one compiled here.
function tlsCerts() {
    if (certsDir !== null) return certsDir;
    const given = process.env.POLYSOCK_TEST_CERTS;
    if (given !== undefined && given !== '') return (certsDir = given);
    const { execFileSync } = require('node:child_process');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'polysock-node-certs.'));
    process.once('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
    let mkcert = path.join(process.env.top_builddir || ROOT, 'test', 'tls', 'mkcert-odd');
    if (!fs.existsSync(mkcert)) {
        mkcert = path.join(tmp, 'mkcert-odd');
        execFileSync('cc', ['-o', mkcert, path.join(TLS_DIR, 'mkcert-odd.c'), '-lcrypto']);
    }
    execFileSync('sh', [path.join(TLS_DIR, 'make-certs.sh'), path.join(tmp, 'certs'), mkcert]);
    return (certsDir = path.join(tmp, 'certs'));
}

function certPath(name) {
    return path.join(tlsCerts(), name);
}

// Start test/tls/peer.py MODE (killed when the test ends).  Server modes
// resolve once the peer printed "PORT <n>"; client modes at once.  done
// resolves to { code, stdout, stderr } when the peer exits.
function startPeer(t, mode, args = []) {
    const { spawn } = require('node:child_process');
    const child = spawn('/usr/bin/python3', [path.join(TLS_DIR, 'peer.py'), '--certs', tlsCerts(), mode, ...args],
                        { stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => child.kill());
    let stdout = '', stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const done = new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
    const port = new Promise((resolve, reject) => {
        child.stdout.on('data', (d) => {
            stdout += d;
            const m = /^PORT (\d+)$/m.exec(stdout);
            if (m) resolve(Number(m[1]));
        });
        done.then((r) => reject(new Error(`peer.py ${mode} exited (${r.code}) without a port: ${r.stderr}`)));
    });
    port.catch(() => {});
    return { child, port, done };
}

module.exports = {
    polysock, promises, park, generated, Sockets, PSockets, recvExactly, elapsed, elapsedAsync,
    assertTimedOut, throwsCode, rejectsCode, ipv6Loopback, shortTmpdir, sleep, collect,
    fdCount, liveSockets, SLACK, ROOT, tlsCerts, certPath, startPeer,
};
