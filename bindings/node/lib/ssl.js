// ssl.js - the reference's ssl(sock[, keyfile, certfile]): TLS over a
// connected socket, for both APIs, on the core's tls_* functions.
//
// ssl() builds a configuration per call (the core caches the engine context
// of equal settings, so this is cheap), makes the connection, closes the
// configuration at once and, unless told not to, runs the handshake under the
// socket's timeout mode.  The object it returns holds the generated Tls
// object, whose finalizer (holding only the handle) closes a connection that
// is dropped without close().  The socket stays the caller's: close() sends
// close_notify and frees the connection, never the socket (as the reference
// says, you close the socket yourself).
//
// The Promise flavour.  A Promise-API socket is non-blocking in the library
// (park.js keeps its timeout mode in JavaScript), so every TLS call returns
// at once.  One that would wait (ETLS_WANTREAD, ETLS_WANTWRITE) is parked by
// park.js on the socket for that direction, exactly as recv and send are:
// no thread per call, the event loop goes on.  A TLS call may need the other
// direction midway (a handshake; a read that must answer a key update): it is
// then parked again for that direction, against the same deadline.
'use strict';

const { errclasses } = require('./generated');
const { argType, outOfRange } = require('./runtime');

// The largest plaintext of one TLS record.  A non-blocking write of at most
// this much is one record, so it either goes whole or not at all: that is
// how the Promise flavour and a non-blocking socket know how much went
// (the generated tls_write reports the count only on failure).
const RECORD = 16384;
// What read() without a size asks for at a time.
const READ_ALL_CHUNK = 65536;

const VERSIONS = { 'TLSv1.2': 'POLYSOCK_TLS_VERSION_1_2', 'TLSv1.3': 'POLYSOCK_TLS_VERSION_1_3' };
const INFO = {
    VERSION: 'POLYSOCK_TLS_INFO_VERSION',
    CIPHER: 'POLYSOCK_TLS_INFO_CIPHER',
    ALPN: 'POLYSOCK_TLS_INFO_ALPN',
    PEER_CERT: 'POLYSOCK_TLS_INFO_PEER_CERT',
    SUBJECT_ONELINE: 'POLYSOCK_TLS_INFO_SUBJECT_ONELINE',
    ISSUER_ONELINE: 'POLYSOCK_TLS_INFO_ISSUER_ONELINE',
    SUBJECT_RFC4514: 'POLYSOCK_TLS_INFO_SUBJECT_RFC4514',
    ISSUER_RFC4514: 'POLYSOCK_TLS_INFO_ISSUER_RFC4514',
    SUBJECT_FIELDS: 'POLYSOCK_TLS_INFO_SUBJECT_FIELDS',
    ISSUER_FIELDS: 'POLYSOCK_TLS_INFO_ISSUER_FIELDS',
    ERROR: 'POLYSOCK_TLS_INFO_ERROR',
};

// The options of ssl() and the type each takes (null or undefined: the
// default).
const OPTIONS = {
    keyfile: 'string', certfile: 'string', cafile: 'string', capath: 'string',
    serverHostname: 'string', serverSide: 'boolean', verify: 'boolean',
    requireClientCert: 'boolean', allowUnexpectedEof: 'boolean', handshake: 'boolean',
    alpnProtocols: 'array', minVersion: 'version',
};


function invalidValue(name, why, v) {
    const e = new TypeError(`The ${name} ${why}. Received ${JSON.stringify(v)}`);
    e.code = 'ERR_INVALID_ARG_VALUE';
    return e;
}

function missingOption(name, why) {
    const e = new TypeError(`The "${name}" option is required: ${why}`);
    e.code = 'ERR_MISSING_OPTION';
    return e;
}

function checkAlpn(list) {
    if (!Array.isArray(list)) throw argType('options.alpnProtocols', 'an array of strings', list);
    list.forEach((p, i) => {
        const name = `options.alpnProtocols[${i}]`;
        if (typeof p !== 'string') throw argType(name, 'of type string', p);
        if (p.includes(',')) throw invalidValue(`protocol name ${name}`, 'must not contain ","', p);
        const n = Buffer.byteLength(p, 'utf8');
        if (n < 1 || n > 255) throw outOfRange(`${name}`, '1 to 255 bytes long', p);
    });
    return list.join(',');
}

// ssl(sock, options), ssl(sock, keyfile, certfile[, options]): the options
// checked, keyfile and certfile merged in.
function optionsOf(args) {
    let o, keyfile, certfile;
    if (args.length > 0 && args[0] !== null && typeof args[0] === 'object') {
        o = args[0];
    } else {
        [keyfile, certfile, o] = args;
        if (o !== undefined && o !== null && (typeof o !== 'object' || Array.isArray(o)))
            throw argType('options', 'of type object', o);
    }
    if (o === undefined || o === null) o = {};
    if (Array.isArray(o)) throw argType('options', 'of type object', o);
    const out = {};
    for (const [key, v] of Object.entries(o)) {
        const kind = OPTIONS[key];
        if (kind === undefined) throw invalidValue('option', `"${key}" is not an option of ssl()`, key);
        if (v === undefined || v === null) continue;
        if (kind === 'string' && typeof v !== 'string') throw argType(`options.${key}`, 'of type string', v);
        if (kind === 'boolean' && typeof v !== 'boolean') throw argType(`options.${key}`, 'of type boolean', v);
        if (kind === 'version' && typeof v !== 'string' && typeof v !== 'number')
            throw argType('options.minVersion', '"TLSv1.2", "TLSv1.3" or a POLYSOCK_TLS_VERSION_* constant', v);
        out[key] = kind === 'array' ? checkAlpn(v) : v;
    }
    for (const [key, v] of [['keyfile', keyfile], ['certfile', certfile]]) {
        if (v === undefined || v === null) continue;
        if (typeof v !== 'string') throw argType(key, 'of type string', v);
        out[key] = v;
    }
    if (out.keyfile !== undefined && out.certfile === undefined)
        throw missingOption('certfile', 'keyfile is the private key of the certificate chain in certfile');
    if (out.serverSide === true && out.certfile === undefined)
        throw missingOption('certfile', 'a server needs its certificate chain and key');
    return out;
}

// The FIELDS form of a name (polysock.h): one record per attribute,
// "<rdn index> <attribute> <value length>:<value>\n".  The value's length is
// in bytes, so a value may hold any byte (NUL, newline, '/', ',', '+');
// attributes with the same rdn index form one multi-valued RDN.
function parseFields(b) {
    const rdns = [];
    let pos = 0, last = null;
    const number = (from, to) => {
        const s = b.toString('latin1', from, to);
        if (!/^[0-9]+$/.test(s)) throw new Error(`polysock: malformed name record from the library: ${JSON.stringify(b.toString('latin1'))}`);
        return Number(s);
    };
    while (pos < b.length) {
        const sp1 = b.indexOf(0x20, pos);
        const sp2 = sp1 < 0 ? -1 : b.indexOf(0x20, sp1 + 1);
        const colon = sp2 < 0 ? -1 : b.indexOf(0x3a, sp2 + 1);
        if (colon < 0) number(pos, pos);   // throws: a record without its header
        const rdn = number(pos, sp1);
        const length = number(sp2 + 1, colon);
        const start = colon + 1, end = start + length;
        if (end >= b.length || b[end] !== 0x0a) number(pos, pos);
        if (rdn !== last) {
            rdns.push([]);
            last = rdn;
        }
        rdns[rdns.length - 1].push([b.toString('utf8', sp1 + 1, sp2), b.toString('utf8', start, end)]);
        pos = end + 1;
    }
    return rdns;
}

module.exports = function ssl(built, rt, park) {
    const { raw, sync } = built;

    // The library's codes by the name errname gives them (the .code of
    // errors: "POLYSOCK_ETLS_EOF").
    const codes = new Map(Object.values(rt.errors).map((rc) => [raw.errname(rc), rc]));
    // The direction a TLS call waits for, as the park.js method that waits so.
    const WAITS_AS = new Map([[raw.errname(rt.errors.ETLS_WANTREAD), 'recv'],
                              [raw.errname(rt.errors.ETLS_WANTWRITE), 'send']]);
    const WANTWRITE = raw.errname(rt.errors.ETLS_WANTWRITE);
    const TOOSMALL = raw.errname(rt.errors.ETOOSMALL);

    // The TLS constants, looked up at the first use so that a library
    // without them still serves every other call.
    let K = null;
    function constants() {
        if (K === null) {
            const k = { info: {}, versions: {} };
            for (const [key, name] of Object.entries(INFO)) k.info[key] = rt.constant(name);
            for (const [key, name] of Object.entries(VERSIONS)) k.versions[key] = rt.constant(name);
            K = k;
        }
        return K;
    }

    // An info item: tls_info_len, then tls_info with that capacity (again
    // when it grew meanwhile); null when there is none.
    function infoBytes(tls, key) {
        const what = constants().info[key];
        for (;;) {
            const len = tls.info_len(what);
            if (len === 0) return null;
            try {
                return tls.info(what, len);
            } catch (e) {
                if (e.code !== TOOSMALL) throw e;
            }
        }
    }

    function infoText(tls, key) {
        const b = infoBytes(tls, key);
        return b === null ? null : b.toString('utf8');
    }

    // The engine's reason for the connection's last TLS error, or "".
    function reasonOf(tls) {
        try {
            return infoText(tls, 'ERROR') || '';
        } catch (e) {
            return '';   // the connection is gone: no reason to give
        }
    }

    // An error of a TLS call in the form of the socket calls' errors
    // ("<syscall> <code>: <message>", a negative .errno), with .reason, the
    // engine's reason for this connection, in the message too.  The
    // generated layer gives TLS codes as plain errors (no errno).
    function failure(e, tls, syscall) {
        if (!(e instanceof Error) || typeof e.code !== 'string') return e;
        const rc = codes.get(e.code);
        if (rc === undefined || raw.errclass(rc) !== errclasses.tls) return e;
        const reason = tls === null || WAITS_AS.has(e.code) ? '' : reasonOf(tls);
        const f = new Error(`${syscall} ${e.code}: ${raw.strerror(rc)}${reason === '' ? '' : ` (${reason})`}`);
        f.code = e.code;
        f.errno = rc;
        f.syscall = syscall;
        f.reason = reason;
        if (typeof e.bytesSent === 'number') f.bytesSent = e.bytesSent;
        return f;
    }

    // A call that park.js ended (timeout, socket closed) names the TLS call,
    // not the recv/send it was parked as.
    function parkedFailure(e, syscall) {
        if (!(e instanceof Error) || (e.syscall !== 'recv' && e.syscall !== 'send')) return e;
        if (e.code === 'ETIMEDOUT') return rt.error(rt.errors.ETIMEOUT, syscall);
        if (e.code === 'EBADF') return rt.error(rt.errors.EBADHANDLE, syscall);
        return e;
    }

    // The connection of ssl(): a configuration made, used and closed.
    function connect(sock, o) {
        const server = o.serverSide === true;
        const cfg = sync.tls_config_new(server ? 1 : 0);
        try {
            if (o.verify === false) cfg.set_verify(0);
            if (o.cafile !== undefined || o.capath !== undefined) cfg.set_ca(o.cafile, o.capath);
            if (o.certfile !== undefined) cfg.set_certificate(o.certfile, o.keyfile);
            if (o.requireClientCert === true) cfg.set_require_client_cert(1);
            if (o.alpnProtocols !== undefined && o.alpnProtocols !== '') cfg.set_alpn(o.alpnProtocols);
            if (o.minVersion !== undefined) {
                let v = o.minVersion;
                if (typeof v === 'string') {
                    v = constants().versions[v];
                    if (v === undefined) {
                        const e = new TypeError(`The options.minVersion "${o.minVersion}" is not "TLSv1.2" or "TLSv1.3"`);
                        e.code = 'ERR_TLS_INVALID_PROTOCOL_VERSION';
                        throw e;
                    }
                }
                cfg.set_min_version(v);
            }
            if (o.allowUnexpectedEof === true) cfg.set_allow_unexpected_eof(1);
            return sync.tls_new(sock, cfg, o.serverHostname);
        } catch (e) {
            throw failure(e, null, e.syscall || 'ssl');
        } finally {
            cfg.close();
        }
    }

    // What both flavours' objects answer without I/O.
    class TlsInfo {
        constructor(sock, tls) {
            this._sock = sock;
            this._tls = tls;
            this._closed = false;
        }
        /** The peer's subject, "/C=../O=../CN=..": for display only, not for
         * parsing (a value may hold '/' or '='): see peerSubject(). */
        server() {
            return infoText(this._tls, 'SUBJECT_ONELINE');
        }
        /** The peer's issuer, for display only: see peerIssuer(). */
        issuer() {
            return infoText(this._tls, 'ISSUER_ONELINE');
        }
        peerSubject() {
            const b = infoBytes(this._tls, 'SUBJECT_FIELDS');
            return b === null ? null : parseFields(b);
        }
        peerIssuer() {
            const b = infoBytes(this._tls, 'ISSUER_FIELDS');
            return b === null ? null : parseFields(b);
        }
        subjectRfc4514() {
            return infoText(this._tls, 'SUBJECT_RFC4514');
        }
        issuerRfc4514() {
            return infoText(this._tls, 'ISSUER_RFC4514');
        }
        version() {
            return infoText(this._tls, 'VERSION');
        }
        cipher() {
            return infoText(this._tls, 'CIPHER');
        }
        alpnProtocol() {
            return infoText(this._tls, 'ALPN');
        }
        peerCertificate() {
            return infoBytes(this._tls, 'PEER_CERT');
        }
        pending() {
            return this._tls.pending();
        }
        fileno() {
            return raw.fileno(this._sock._h);
        }
    }
    const INFO_METHODS = Object.getOwnPropertyNames(TlsInfo.prototype).filter((n) => n !== 'constructor');

    // A non-blocking write: whole records while they fit; how much went
    // (ETLS_WANTWRITE when nothing did).
    function writeNow(buf, writeOne) {
        let sent = 0;
        while (sent < buf.length) {
            const chunk = buf.subarray(sent, sent + RECORD);
            try {
                writeOne(chunk);
            } catch (e) {
                const total = sent + (e.bytesSent || 0);
                if (e.code === WANTWRITE && total > 0) return total;
                throw e;
            }
            sent += chunk.length;
        }
        return sent;
    }

    function bytesOf(data) {
        const b = rt.toBytes(data, 'data');
        return rt.bytesLen(b) === 0 ? Buffer.alloc(0) : b;
    }

    function sizeOf(n) {
        if (typeof n !== 'number') throw argType('n', 'of type number', n);
        if (!Number.isInteger(n) || n < 1) throw outOfRange('n', 'an integer >= 1', n);
        return n;
    }

    // ---- The synchronous flavour --------------------------------------------------

    class SSLObject extends TlsInfo {
        _call(syscall, f) {
            try {
                return f();
            } catch (e) {
                throw failure(e, this._tls, syscall);
            }
        }
        handshake() {
            this._call('tls_handshake', () => this._tls.handshake());
        }
        /** read(n): 1 to n bytes once any are there, an empty Buffer at a
         * clean EOF; read(): everything until EOF. */
        read(n) {
            if (n !== undefined) {
                const size = sizeOf(n);
                return this._call('tls_read', () => this._tls.read(size));
            }
            const chunks = [];
            for (;;) {
                const chunk = this._call('tls_read', () => this._tls.read(READ_ALL_CHUNK));
                if (chunk.length === 0) return Buffer.concat(chunks);
                chunks.push(chunk);
            }
        }
        /** The bytes written: all of them unless the socket is non-blocking. */
        write(data) {
            const buf = bytesOf(data);
            if (buf.length === 0) return 0;
            if (raw.gettimeout(this._sock._h) === 0)
                return this._call('tls_write', () => writeNow(buf, (c) => this._tls.write(c)));
            this._call('tls_write', () => this._tls.write(buf));
            return buf.length;
        }
        /** Send close_notify (no wait) and free the connection; the socket
         * stays open.  Idempotent. */
        close() {
            if (this._closed) return;
            this._closed = true;
            this._tls.close();
        }
        /** close(), then the socket, for plain use. */
        unwrap() {
            this.close();
            return this._sock;
        }
    }
    if (typeof Symbol.dispose === 'symbol')
        SSLObject.prototype[Symbol.dispose] = function dispose() { this.close(); };

    function sslSync(sock, ...args) {
        if (!(sock instanceof sync.Socket))
            throw argType('sock', 'a Socket of require("polysock")', sock);
        const o = optionsOf(args);
        const s = new SSLObject(sock, connect(sock, o));
        if (o.handshake !== false) {
            try {
                s.handshake();
            } catch (e) {
                s.close();
                throw e;
            }
        }
        return s;
    }

    // ---- The Promise flavour ------------------------------------------------------

    // The socket as park.js sees it for one wait: its handle and its
    // waiting calls (shared with the socket's own calls, so the socket's
    // close() rejects them too), and the time left as its timeout.
    function socketView(sock, seconds) {
        return Object.create(sock, {
            _timeout: { value: seconds },
            _ps: { get() { return sock._ps; }, set(v) { sock._ps = v; } },
        });
    }

    // The socket's timeout as a deadline (performance.now() milliseconds):
    // null when blocking, 0 when non-blocking.
    function deadlineOf(sock) {
        const t = sock._timeout;
        if (t === null || t === 0) return t;
        return performance.now() + t * 1000;
    }

    // Run a non-blocking TLS call until it completes, parked on the
    // socket's readiness for the direction it waits for.
    async function untilDone(ssl, syscall, waitAs, deadline, attempt) {
        if (deadline === 0) return attempt();   // non-blocking mode: never wait
        ssl._waiting++;
        try {
            for (;;) {
                let seconds = null;
                if (deadline !== null) {
                    seconds = (deadline - performance.now()) / 1000;
                    if (seconds <= 0) throw rt.error(rt.errors.ETIMEOUT, syscall);
                }
                let turn = null;
                const step = () => {
                    try {
                        return attempt();
                    } catch (e) {
                        const wants = WAITS_AS.get(e.code);
                        if (wants === undefined) throw e;
                        if (wants !== waitAs) {
                            turn = wants;
                            throw e;
                        }
                        rt.state.rc = codes.get(e.code);
                        return rt.AGAIN;
                    }
                };
                try {
                    return await park.hooks.park(socketView(ssl._sock, seconds), waitAs, step, null, null, false);
                } catch (e) {
                    if (turn === null) throw parkedFailure(e, syscall);
                    waitAs = turn;
                }
            }
        } finally {
            ssl._waiting--;
        }
    }

    // Calls of one direction run one after the other (a read-all or a
    // write of many records is several TLS calls).
    function inTurn(ssl, key, run) {
        const p = ssl[key].then(run);
        ssl[key] = p.then(() => {}, () => {});
        return p;
    }

    class PromiseSSLObject extends TlsInfo {
        constructor(sock, tls) {
            super(sock, tls);
            this._reads = Promise.resolve();
            this._writes = Promise.resolve();
            this._waiting = 0;
        }
        async _call(syscall, waitAs, deadline, f) {
            try {
                return await untilDone(this, syscall, waitAs, deadline, f);
            } catch (e) {
                throw failure(e, this._tls, syscall);
            }
        }
        handshake() {
            return this._call('tls_handshake', 'recv', deadlineOf(this._sock), () => this._tls.handshake());
        }
        read(n) {
            if (n !== undefined) {
                let size;
                try {
                    size = sizeOf(n);
                } catch (e) {
                    return Promise.reject(e);
                }
                return inTurn(this, '_reads', () =>
                    this._call('tls_read', 'recv', deadlineOf(this._sock), () => this._tls.read(size)));
            }
            return inTurn(this, '_reads', async () => {
                const chunks = [];
                const deadline = deadlineOf(this._sock);
                for (;;) {
                    const chunk = await this._call('tls_read', 'recv', deadline, () => this._tls.read(READ_ALL_CHUNK));
                    if (chunk.length === 0) return Buffer.concat(chunks);
                    chunks.push(chunk);
                }
            });
        }
        write(data) {
            let buf;
            try {
                buf = bytesOf(data);
            } catch (e) {
                return Promise.reject(e);
            }
            return inTurn(this, '_writes', async () => {
                const deadline = deadlineOf(this._sock);
                if (deadline === 0)
                    return this._call('tls_write', 'send', 0, () => writeNow(buf, (c) => this._tls.write(c)));
                // Record by record, so that each wait knows what went.
                for (let sent = 0; sent < buf.length; sent += RECORD) {
                    const chunk = buf.subarray(sent, sent + RECORD);
                    await this._call('tls_write', 'send', deadline, () => this._tls.write(chunk));
                }
                return buf.length;
            });
        }
        close() {
            if (this._closed) return Promise.resolve();
            this._closed = true;
            // Calls still waiting are rejected (EBADF), as the socket's
            // close() does: the socket belongs to this object while wrapped.
            if (this._waiting > 0) park.hooks.closing(this._sock);
            try {
                this._tls.close();
                return Promise.resolve();
            } catch (e) {
                return Promise.reject(e);
            }
        }
        async unwrap() {
            await this.close();
            return this._sock;
        }
    }
    for (const name of INFO_METHODS) {
        const get = TlsInfo.prototype[name];
        PromiseSSLObject.prototype[name] = function info(...args) {
            try {
                return Promise.resolve(get.apply(this, args));
            } catch (e) {
                return Promise.reject(e);
            }
        };
    }
    if (typeof Symbol.asyncDispose === 'symbol')
        PromiseSSLObject.prototype[Symbol.asyncDispose] = function dispose() { return this.close(); };

    async function sslPromises(sock, ...args) {
        if (!(sock instanceof built.promises.Socket))
            throw argType('sock', 'a Socket of require("polysock/promises")', sock);
        const o = optionsOf(args);
        const s = new PromiseSSLObject(sock, connect(sock, o));
        if (o.handshake !== false) {
            try {
                await s.handshake();
            } catch (e) {
                await s.close();
                throw e;
            }
        }
        return s;
    }

    return {
        sync: { ssl: sslSync, SSLObject },
        promises: { ssl: sslPromises, SSLObject: PromiseSSLObject },
    };
};

module.exports.parseFields = parseFields;
