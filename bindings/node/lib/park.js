// park.js - how the Promise API waits without blocking the event loop and
// without holding one of libuv's pool threads per waiting call.
//
// A socket of the Promise API is always non-blocking in the library; its
// timeout mode (blocking, non-blocking, timeout) is kept here, in
// socket._timeout.  A call is first tried on the main thread; when it would
// block it is *parked*: its socket is registered (one-shot) with the one
// poller of the process, and one waiter waits for every parked socket at
// once.  When the poller reports a socket ready, the parked calls are
// completed on the main thread with non-blocking attempts.  A timeout is a
// timer on the main thread; close() rejects the calls parked on the socket.
//
// The waiter, by FFI:
//
// - koffi (with koffi.node.poll): the poller's own descriptor
//   (poller_fileno, an epoll descriptor, readable whenever poller_wait would
//   report events) is watched on Node's event loop (a libuv poll handle).
//   When it is readable, poller_wait is called on the main thread with a
//   zero timeout (it never blocks): no thread hand-off at all.  The watcher
//   is referenced while calls are parked and unreferenced when none is, so
//   it never keeps the process alive by itself; it is closed at exit.
// - ffi-napi (or a koffi without node.poll): a single asynchronous call to
//   polysock_poller_wait, on libuv's pool.  When no call is parked any
//   more, poller_wake ends the wait, so the pool thread is given back and
//   the process can exit.  The poller is epoll: a socket registered while
//   the wait is in progress is watched by that wait, so adding one needs no
//   wake-up; poller_wake is only sent to end a wait nothing needs any more.
//
// Spinning.  Waking up from a wait (a sleep in the event loop's
// epoll_wait, or a thread hand-off with the pool waiter) costs tens of
// microseconds when the peer runs on another CPU, more than a whole round
// trip over loopback.  So a call whose socket's recent waits were short (a
// conversation: ping-pong, request-response) is first retried on the
// following turns of the event loop (setImmediate: timers and I/O go on
// meanwhile) for up to SPIN (50 us, none on a single CPU;
// POLYSOCK_NODE_SPIN_US) and parked only then; a socket whose calls had to
// be parked for long (an idle connection) goes straight to the poller from
// then on, until a wait is short again.
//
// Spinning can also hurt: when the peer was woken on this CPU (the other
// CPUs busy) it waits behind the spinning thread, and every spin runs to
// its end in vain (measured: 3 times slower than parking at once).  So a
// spin that ends without the call completing stops the socket's spinning
// for its next calls, 8 at first, twice as many after each further vain
// spin (up to 1024), and a spin that succeeds makes it 8 again: spinning
// pays off only where it does, at a bounded cost where it does not.
//
// Calls on one socket complete in order: a call that finds earlier calls of
// the same direction (reading: recv, recvfrom, their _into variants, accept;
// writing: send, sendall, sendto, connect, connect_ex) still waiting queues
// behind them.
//
// Where an address holds a host name, the core resolves it, which may wait
// on DNS: such attempts run on libuv's pool (as dns.lookup does).
'use strict';

let raw = null;
let asyncRaw = null;
let rt = null;
let K = null;          // constants: POLYSOCK_POLL*, SOL_SOCKET, SO_ERROR
let ETIMEOUT = 0, EBADHANDLE = 0;
let EINPROGRESS_ERRNO = 0, EAGAIN_ERRNO = 0, ETIMEDOUT_ERRNO = 0;

let poller = 0;        // the poller handle, created at the first park
let waiting = false;   // the poller_wait call is in progress (pool), or
                       // the watcher is referenced (event loop)
let woken = false;     // poller_wake sent to end it (pool)
let koffiPoll = null;  // koffi.node.poll: wait on the event loop, not the pool
let watcher = null;    // its handle on the poller's descriptor, once made
let exitHooked = false; // closeWatcher runs at the process's (or worker's) exit
let parked = 0;        // calls waiting for readiness
let dispatching = false; // onEvents is running: it starts the next wait itself
const active = new Map(); // handle -> socket state, while calls are queued

const READ = 1, WRITE = 2;
const DIRECTION = {
    recv: READ, recvfrom: READ, recv_into: READ, recvfrom_into: READ, accept: READ,
    send: WRITE, sendall: WRITE, sendto: WRITE, connect: WRITE, connect_ex: WRITE,
};
const BATCH = 64;
// Milliseconds a call whose socket's waits have been short retries on the
// main thread before it parks (POLYSOCK_NODE_SPIN_US, microseconds; 0: park
// at once).
// On a single CPU nothing can make a socket ready while this thread spins,
// so there it parks at once.
const SPIN = (process.env.POLYSOCK_NODE_SPIN_US !== undefined && process.env.POLYSOCK_NODE_SPIN_US !== ''
    ? Number(process.env.POLYSOCK_NODE_SPIN_US)
    : require('node:os').availableParallelism() > 1 ? 50 : 0) / 1000;
// Calls that park without spinning after a vain spin: the first time, and
// at most (doubling in between).
const SPIN_BACKOFF_MIN = 8, SPIN_BACKOFF_MAX = 1024;

function init(built, runtime, constants, ffi) {
    if (ffi === 'koffi') {
        const koffi = require('koffi');
        if (koffi.node && typeof koffi.node.poll === 'function') koffiPoll = koffi.node.poll;
    }
    raw = built.raw;
    asyncRaw = built.asyncRaw;
    rt = runtime;
    K = {
        IN: constants.POLYSOCK_POLLIN, OUT: constants.POLYSOCK_POLLOUT,
        ERR: constants.POLYSOCK_POLLERR, HUP: constants.POLYSOCK_POLLHUP,
        ONESHOT: constants.POLYSOCK_POLLONESHOT,
        SOL_SOCKET: constants.SOL_SOCKET, SO_ERROR: constants.SO_ERROR,
    };
    ETIMEOUT = rt.errors.ETIMEOUT;
    EBADHANDLE = rt.errors.EBADHANDLE;
    EINPROGRESS_ERRNO = -rt.errnoCode.EINPROGRESS;
    EAGAIN_ERRNO = -rt.errnoCode.EAGAIN;
    ETIMEDOUT_ERRNO = -rt.errnoCode.ETIMEDOUT;
}

function stateOf(sock) {
    let st = sock._ps;
    if (st === undefined) {
        st = {
            h: sock._h, readers: [], writers: [], armed: 0, registered: false,
            quick: true, spinSkip: 0, spinBackoff: SPIN_BACKOFF_MIN,
        };
        sock._ps = st;
    }
    return st;
}

function errorFor(op, rc) {
    const e = rt.error(rc, op.method);
    if (op.partial) e.bytesSent = op.offset;
    return e;
}

// ---- Completing a call --------------------------------------------------------------

function finish(op) {
    op.done = true;
    if (op.timer !== null) clearTimeout(op.timer);
    if (op.parked) {
        if (SPIN > 0) op.st.quick = performance.now() - op.parkedAt < 2 * SPIN;
        op.parked = false;
        if (--parked === 0) idle();
    }
    if (op.queue !== null) {
        const i = op.queue.indexOf(op);
        if (i >= 0) op.queue.splice(i, 1);
    }
}

function succeed(op, value) {
    finish(op);
    op.resolve(value);
}

function fail(op, e) {
    finish(op);
    op.reject(e);
}

// The call would block: wait for readiness (or fail at once in
// non-blocking mode).
function wouldBlock(op, rc) {
    op.started = true;
    if (op.sock._timeout === 0 || op.dir === 0) {
        if (op.connectEx) succeed(op, EINPROGRESS_ERRNO);
        else fail(op, errorFor(op, rc));
        return true;
    }
    if (!op.parked && !op.spinning) {
        op.parked = true;
        if (SPIN > 0) op.parkedAt = performance.now();
        parked++;
    }
    return false;
}

function inProgress(op, r) {
    return op.connectEx && (r === EINPROGRESS_ERRNO || r === EAGAIN_ERRNO);
}

// The result of an attempt; true when the call is over.
function after(op, e, r, viaPool) {
    if (op.done) return true;
    if (e) {
        if (op.partial && typeof e.bytesSent === 'number') e.bytesSent += op.offset;
        fail(op, e);
        return true;
    }
    if (r === rt.AGAIN) {
        if (op.partial) op.offset += rt.state.partial;
        return wouldBlock(op, rt.state.rc);
    }
    if (inProgress(op, r)) return wouldBlock(op, -r);
    succeed(op, viaPool && op.wrapPool !== null ? op.wrapPool(r) : r);
    return true;
}

// A connect in progress: done when SO_ERROR is set or the peer is known.
function finishConnect(op) {
    const h = op.sock._h;
    let err;
    try {
        err = raw.getsockopt_int(h, K.SOL_SOCKET, K.SO_ERROR);
        if (err === 0) raw.getpeername(h);
    } catch (e) {
        if (e.code === 'ENOTCONN') return wouldBlock(op, -EINPROGRESS_ERRNO);
        fail(op, e);
        return true;
    }
    if (op.connectEx) succeed(op, err);
    else if (err === 0) succeed(op, undefined);
    else fail(op, rt.error(-err, op.method));
    return true;
}

// Take the call one step further; true when it is over.
function run(op) {
    if (op.started && op.isConnect) return finishConnect(op);
    if (op.poolAttempt !== null) {
        op.busy = true;
        op.poolAttempt((e, r) => {
            op.busy = false;
            if (op.done) return;
            if (after(op, e, r, true)) {
                if (op.queue !== null) pump(op.st, op.queue);
            } else {
                arm(op.st);
                ensureWaiter();
            }
        });
        return false;
    }
    let r, e = null;
    try {
        r = op.attempt(op.offset);
    } catch (x) {
        e = x;
    }
    return after(op, e, r, false);
}

// Run the calls at the head of a queue until one has to wait.
function pump(st, q) {
    while (q.length > 0) {
        const op = q[0];
        if (op.busy || !run(op)) break;
    }
    arm(st);
    ensureWaiter();
}

// Should a call of this socket that would block spin first?
function spinsFirst(st) {
    if (!st.quick) return false;
    if (st.spinSkip === 0) return true;
    st.spinSkip--;
    return false;
}

// One retry of a spinning call; parks it when its time is up.
function spin(op) {
    if (op.done) return;
    const st = op.st;
    if (run(op)) {
        st.spinBackoff = SPIN_BACKOFF_MIN;
        if (op.queue !== null) pump(st, op.queue);
        return;
    }
    if (performance.now() < op.spinUntil) {
        setImmediate(spin, op);
        return;
    }
    // In vain: the next calls park at once (see "Spinning" above).
    op.spinning = false;
    st.spinSkip = st.spinBackoff;
    st.spinBackoff = Math.min(2 * st.spinBackoff, SPIN_BACKOFF_MAX);
    wouldBlock(op, rt.state.rc);
    arm(st);
    ensureWaiter();
}

// ---- The poller ----------------------------------------------------------------------

function arm(st) {
    const r = st.readers[0], w = st.writers[0];
    const mask = (r !== undefined && r.parked ? K.IN : 0) | (w !== undefined && w.parked ? K.OUT : 0);
    if (st.readers.length === 0 && st.writers.length === 0) {
        active.delete(st.h);
        return;
    }
    active.set(st.h, st);
    if (mask === 0 || mask === st.armed) return;
    try {
        if (poller === 0) poller = raw.poller_new();
        if (st.registered) {
            raw.poller_modify(poller, st.h, mask | K.ONESHOT);
        } else {
            raw.poller_add(poller, st.h, mask | K.ONESHOT);
            st.registered = true;
        }
        st.armed = mask;
    } catch (e) {
        for (const op of [...st.readers, ...st.writers]) fail(op, e);
        active.delete(st.h);
        idle();
    }
}

function ensureWaiter() {
    if (waiting || dispatching || parked === 0 || poller === 0) return;
    waiting = true;
    if (koffiPoll !== null) {
        // Watch the poller's descriptor on the event loop.
        if (watcher !== null) {
            watcher.ref();
            return;
        }
        try {
            watcher = koffiPoll(raw.poller_fileno(poller), { readable: true }, onReadable);
            if (!exitHooked) {
                exitHooked = true;
                process.once('exit', closeWatcher);
            }
        } catch (e) {
            waiting = false;
            failParked(e);
        }
        return;
    }
    woken = false;
    asyncRaw.poller_wait(false, onEvents, poller, BATCH, null);
}

// Nothing parked any more: end the wait (the pool thread is given back, or
// the watcher unreferenced, and the loop may exit).
function idle() {
    if (parked !== 0 || !waiting || dispatching) return;
    if (koffiPoll !== null) {
        waiting = false;
        if (watcher !== null) watcher.unref();
        return;
    }
    if (!woken) {
        woken = true;
        try {
            raw.poller_wake(poller);
        } catch (e) {
            // the poller is gone: the wait has returned already
        }
    }
}

// The poller itself failed: nothing parked can complete.
function failParked(e) {
    for (const st of [...active.values()])
        for (const op of [...st.readers, ...st.writers]) if (op.parked) fail(op, e);
    active.clear();
}

// The poller's descriptor is readable (event loop waiter): collect its
// events without blocking.
function onReadable(status) {
    let events;
    try {
        if (status < 0) throw rt.error(status, 'poller_wait');
        events = raw.poller_wait(poller, BATCH, 0);
    } catch (e) {
        // No retry on a broken descriptor: drop the watcher (the next park
        // makes a new one).
        closeWatcher();
        waiting = false;
        failParked(e);
        return;
    }
    dispatch(events);
    if (parked === 0) idle();
}

function closeWatcher() {
    if (watcher === null) return;
    const w = watcher;
    watcher = null;
    waiting = false;
    try {
        w.close();
    } catch (e) {
        // closed already
    }
}

function onEvents(e, events) {
    waiting = false;
    if (e) {
        failParked(e);
        return;
    }
    dispatch(events);
}

function dispatch(events) {
    const readable = K.IN | K.ERR | K.HUP, writable = K.OUT | K.ERR | K.HUP;
    dispatching = true;
    try {
        for (const ev of events) {
            const st = active.get(ev.handle);
            if (st === undefined) continue;
            st.armed = 0;
            if (ev.events & readable) pump(st, st.readers);
            if (ev.events & writable) pump(st, st.writers);
            arm(st);
        }
    } finally {
        dispatching = false;
    }
    ensureWaiter();
}

function onTimeout(op) {
    if (op.done) return;
    const q = op.queue;
    const head = q !== null && q[0] === op;
    if (op.connectEx) succeed(op, ETIMEDOUT_ERRNO);
    else fail(op, errorFor(op, ETIMEOUT));
    if (head) pump(op.st, q);
    idle();
}

// ---- The hooks the generated Promise API calls ------------------------------------------

function park(sock, method, attempt, poolAttempt, wrapPool, partial) {
    const dir = DIRECTION[method] || 0;
    const st = sock._ps;
    const busy = st !== undefined && dir !== 0 &&
        (dir === READ ? st.readers : st.writers).length > 0;
    let first = null;
    if (!busy && poolAttempt === null) {
        // Try on the main thread first: most calls complete here.
        let r;
        try {
            r = attempt(0);
        } catch (e) {
            return Promise.reject(e);
        }
        if (r !== rt.AGAIN && !(method === 'connect_ex' && (r === EINPROGRESS_ERRNO || r === EAGAIN_ERRNO)))
            return Promise.resolve(r);
        first = r;
    }
    return new Promise((resolve, reject) => {
        const s = stateOf(sock);
        const op = {
            sock, st: s, method, dir, attempt, poolAttempt, wrapPool, partial,
            offset: 0, started: false, busy: false, done: false, parked: false,
            spinning: false, spinUntil: 0, parkedAt: 0,
            timer: null, resolve, reject, queue: null,
            isConnect: method === 'connect' || method === 'connect_ex',
            connectEx: method === 'connect_ex',
        };
        if (dir !== 0) {
            op.queue = dir === READ ? s.readers : s.writers;
            op.queue.push(op);
        }
        const t = sock._timeout;
        if (t !== null && t > 0 && t * 1000 <= 2147483647)
            op.timer = setTimeout(onTimeout, Math.ceil(t * 1000), op);
        if (first !== null) {
            if (SPIN > 0 && op.dir !== 0 && t !== 0 && !op.isConnect && spinsFirst(s)) {
                // This socket's waits have been short: retry on the next
                // turns of the event loop for a few microseconds before
                // parking (the loop goes on meanwhile).
                op.spinning = true;
                op.spinUntil = performance.now() + SPIN;
                if (after(op, null, first, false)) return;
                setImmediate(spin, op);
                return;
            }
            if (after(op, null, first, false)) return;
            arm(s);
            ensureWaiter();
        } else if (!busy) {
            if (run(op)) {
                if (op.queue !== null) pump(s, op.queue);
            } else {
                arm(s);
                ensureWaiter();
            }
        }
    });
}

function adopt(sock) {
    sock._ps = undefined;
    sock._timeout = raw.gettimeout(sock._h);
    if (sock._timeout !== 0) raw.settimeout(sock._h, 0);
}

function closing(sock) {
    const st = sock._ps;
    if (st === undefined) return;
    const ops = [...st.readers, ...st.writers];
    for (const op of ops) fail(op, errorFor(op, EBADHANDLE));
    active.delete(st.h);
    idle();
}

// settimeout, gettimeout and setblocking of the Promise API's sockets: the
// library checks the value, then the socket goes back to non-blocking.
const socketMethods = {
    settimeout(seconds) {
        try {
            raw.settimeout(this._h, seconds);
            this._timeout = raw.gettimeout(this._h);
            raw.settimeout(this._h, 0);
            return Promise.resolve();
        } catch (e) {
            return Promise.reject(e);
        }
    },
    gettimeout() {
        return Promise.resolve(this._timeout);
    },
    setblocking(flag) {
        try {
            raw.setblocking(this._h, flag);
            this._timeout = raw.gettimeout(this._h);
            if (this._timeout !== 0) raw.settimeout(this._h, 0);
            return Promise.resolve();
        } catch (e) {
            return Promise.reject(e);
        }
    },
};

// For tests: how many calls are parked and whether the wait is running (the
// pool's poller_wait, or the referenced event-loop watcher).
function stats() {
    return { parked, waiting, sockets: active.size };
}

module.exports = {
    init,
    hooks: { park, adopt, closing },
    socketMethods,
    stats,
};
