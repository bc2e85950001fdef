// Every row of test/vectors/*.json (see test/vectors/README.md): bad inputs
// and the error class each must give, shared by every language.
//
// The Node mapping of the classes (the binding's exception table):
//   value, overflow -> RangeError     type -> TypeError
//   error  -> Error, no .errno        os   -> Error, .code = the errno name
//   gai    -> Error, .code = EAI_*    herror -> Error, .code = the h_errno name
//   timeout -> Error, .code ETIMEDOUT badhandle -> Error, .code EBADF
//   tls    -> Error, .code = the library's name (POLYSOCK_ETLS_*), no .errno
//             from the raw layer (ssl() adds .errno = the library's code)
// (badhandle and os EBADF look alike here; either passes for those two.)
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { polysock } = require('./helpers');

const VECTORS = path.join(__dirname, '..', 'vectors');
const ERRNO = os.constants.errno;
const HERRNO_NAMES = ['HOST_NOT_FOUND', 'TRY_AGAIN', 'NO_RECOVERY', 'NO_DATA', 'NO_ADDRESS'];
const TABLE_KEYS = new Set(['function', 'description', 'params', 'rows']);
const ROW_KEYS = new Set(['name', 'args', 'error', 'errno', 'code', 'requires', 'layer', 'skip', 'note']);
const PARAM_TYPES = new Set(['const', 'int', 'size', 'timeout', 'str', 'service', 'bytes', 'addr', 'handle']);
const CLASSES = new Set(['none', 'value', 'type', 'overflow', 'error', 'os', 'gai', 'herror', 'timeout', 'badhandle',
    'tls']);
const TLS_CODE = /^POLYSOCK_ETLS_/;

// JSON with integers beyond 2^53 kept exact (as BigInt).
function parseJSON(text) {
    const marked = text.replace(/"(?:[^"\\]|\\.)*"|-?\d{16,}(?![.eE\d])/g,
                                (m) => (m[0] === '"' ? m : `{"$bigint":"${m}"}`));
    return JSON.parse(marked, (k, v) => {
        if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && '$bigint' in v) {
            const b = BigInt(v.$bigint);
            return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
        }
        return v;
    });
}

function netdb() {
    try {
        return /\bhttp\b/.test(fs.readFileSync('/etc/services', 'utf8')) &&
            /\btcp\b/.test(fs.readFileSync('/etc/protocols', 'utf8'));
    } catch (e) {
        return false;
    }
}

const REQUIRES = { ipv6: () => polysock.has_ipv6, netdb };

// ---- Arguments -------------------------------------------------------------------

function constant(v) {
    if (typeof v === 'number' || typeof v === 'bigint') return v;
    return v.split('|').reduce((acc, name) => acc | polysock.constant_lookup(name.trim()), 0);
}

// Objects of the handle symbols, made per row and freed after it.
class Symbols {
    constructor(raw) {
        this.raw = raw;
        this.made = new Map();
        this.cleanup = [];
    }

    sock(family, type) {
        const s = polysock.socket(family, type, 0);
        this.cleanup.push(() => s.close());
        return s;
    }

    // A raw handle, freed after the row by polysock.raw[free].
    rawHandle(h, free) {
        this.cleanup.push(() => polysock.raw[free](h));
        return h;
    }

    // A client connection, verification off (no name needed), over a never
    // connected TCP socket of its own: tls_new does no I/O.  The
    // configuration is closed at once; the connection keeps its settings.
    unverifiedTls() {
        const R = polysock.raw;
        const s = this.sock(polysock.AF_INET, polysock.SOCK_STREAM);
        const cfg = R.tls_config_new(0);
        try {
            R.tls_config_set_verify(cfg, 0);
            return R.tls_new(s.handle, cfg, null);
        } finally {
            R.tls_config_close(cfg);
        }
    }

    make(name) {
        const P = polysock;
        switch (name) {
        case '@tcp_socket': return this.sock(P.AF_INET, P.SOCK_STREAM);
        case '@tcp6_socket': return this.sock(P.AF_INET6, P.SOCK_STREAM);
        case '@udp_socket': return this.sock(P.AF_INET, P.SOCK_DGRAM);
        case '@udp6_socket': return this.sock(P.AF_INET6, P.SOCK_DGRAM);
        case '@unix_socket': return this.sock(P.AF_UNIX, P.SOCK_STREAM);
        case '@closed_socket': {
            const s = P.socket(P.AF_INET, P.SOCK_STREAM, 0);
            s.close();
            return s;
        }
        case '@stale_handle': {
            const s = P.socket(P.AF_INET, P.SOCK_STREAM, 0);
            const old = s.handle;
            s.close();
            this.sock(P.AF_INET, P.SOCK_STREAM);
            return old;
        }
        case '@forged_handle': return 2 ** 53 - 1;
        case '@zero_handle': return 0;
        case '@list_handle':
        case '@freed_list': {
            const h = P.raw.getaddrinfo('127.0.0.1', '80', P.AF_INET, P.SOCK_STREAM, 0, P.AI_NUMERICHOST);
            if (name === '@freed_list') P.raw.list_free(h);
            else this.cleanup.push(() => P.raw.list_free(h));
            return h;
        }
        case '@poller':
        case '@closed_poller': {
            const p = P.poller_new();
            if (name === '@closed_poller') p.close();
            else this.cleanup.push(() => p.close());
            return p;
        }
        case '@tls_client_config': return this.rawHandle(P.raw.tls_config_new(0), 'tls_config_close');
        case '@tls_server_config': return this.rawHandle(P.raw.tls_config_new(1), 'tls_config_close');
        case '@closed_tls_config': {
            const cfg = P.raw.tls_config_new(0);
            P.raw.tls_config_close(cfg);
            return cfg;
        }
        case '@open_tls': return this.rawHandle(this.unverifiedTls(), 'tls_close');
        case '@closed_tls': {
            const tls = this.unverifiedTls();
            P.raw.tls_close(tls);
            return tls;
        }
        default:
            throw new Error(`unknown handle symbol ${name}`);
        }
    }

    get(name) {
        if (!this.made.has(name)) this.made.set(name, this.make(name));
        const obj = this.made.get(name);
        // The raw layer takes handles as numbers; the idiomatic one objects.
        if (this.raw && typeof obj === 'object') return obj.handle;
        return obj;
    }

    // Newest first: a TLS connection before the socket under it.
    free() {
        for (const f of this.cleanup.reverse()) {
            try {
                f();
            } catch (e) {
                // closed by the row already
            }
        }
    }
}

function convert(type, v, symbols) {
    switch (type) {
    case 'const': return constant(v);
    case 'int':
    case 'size': return v;
    case 'timeout':
        if (v === 'nan') return NaN;
        if (v === 'inf') return Infinity;
        if (v === '-inf') return -Infinity;
        return v;
    case 'str':
    case 'service': return v;
    case 'bytes': return v === null ? null : Buffer.from(v.bytes_hex, 'hex');
    case 'addr':
        if (v === null || Array.isArray(v)) return v;
        if ('unix' in v) return v.unix;
        if ('unix_hex' in v) return Buffer.from(v.unix_hex, 'hex');
        throw new Error(`bad addr ${JSON.stringify(v)}`);
    case 'handle': return typeof v === 'string' ? symbols.get(v) : v;
    default: throw new Error(`unknown param type ${type}`);
    }
}

// ---- Calls -----------------------------------------------------------------------

const MODULE_FUNCTIONS = new Set([
    'fromfd', 'getaddrinfo', 'gethostbyaddr', 'gethostbyname', 'gethostbyname_ex', 'getnameinfo',
    'getprotobyname', 'getservbyname', 'getservbyport', 'htonl', 'htons', 'inet_aton', 'inet_ntoa',
    'inet_ntop', 'inet_pton', 'ntohl', 'ntohs', 'setdefaulttimeout', 'socket', 'socketpair',
]);
const METHODS = new Set([
    'accept', 'bind', 'close', 'connect', 'fileno', 'getpeername', 'getsockname', 'listen', 'recv',
    'send', 'sendto', 'settimeout', 'shutdown',
]);
const OPTIONS = { getsockopt_int: 'getsockopt', getsockopt_buf: 'getsockopt', setsockopt_int: 'setsockopt' };
// Raw functions that return a new handle, and what frees it.
const RAW_RESULT_FREE = { tls_config_new: 'tls_config_close', tls_new: 'tls_close' };

function call(fn, args, raw) {
    if (raw) {
        if (typeof polysock.raw[fn] !== 'function') throw new Error(`no raw function ${fn}`);
        const r = polysock.raw[fn](...args);
        if (fn in RAW_RESULT_FREE) polysock.raw[RAW_RESULT_FREE[fn]](r);
        return r;
    }
    if (MODULE_FUNCTIONS.has(fn)) {
        const r = polysock[fn](...args);
        for (const s of [].concat(r)) if (s instanceof polysock.Socket) s.close();
        return r;
    }
    const [self, ...rest] = args;
    if (METHODS.has(fn)) return self[fn](...rest);
    if (fn in OPTIONS) return self[OPTIONS[fn]](...rest);
    throw new Error(`the vector runner does not know function ${JSON.stringify(fn)}`);
}

function sameErrno(got, want) {
    if (got === want) return true;
    return ERRNO[got] !== undefined && ERRNO[got] === ERRNO[want];
}

function check(row, e) {
    const want = row.error;
    const got = e === null ? 'nothing' : `${e.name} code=${e.code} errno=${e.errno}: ${e.message}`;
    if (want === 'none') {
        assert.equal(e, null, `expected success, got ${got}`);
        return;
    }
    assert.ok(e !== null, `expected a ${want} error, the call succeeded`);
    const names = row.errno === undefined ? null : [].concat(row.errno);
    switch (want) {
    case 'value':
    case 'overflow':
        assert.ok(e instanceof RangeError, `expected RangeError (${want}), got ${got}`);
        break;
    case 'type':
        assert.ok(e instanceof TypeError, `expected TypeError, got ${got}`);
        break;
    case 'error':
        assert.ok(!(e instanceof TypeError) && !(e instanceof RangeError) && e.errno === undefined &&
                  !TLS_CODE.test(e.code), `expected an Error without errno, got ${got}`);
        break;
    case 'tls':
        assert.ok(!(e instanceof TypeError) && !(e instanceof RangeError) && TLS_CODE.test(e.code),
                  `expected a TLS error, got ${got}`);
        if (row.code !== undefined) assert.equal(e.code, row.code, `expected ${row.code}, got ${got}`);
        break;
    case 'os':
        assert.ok(ERRNO[e.code] !== undefined && e.errno === -ERRNO[e.code], `expected an OS error, got ${got}`);
        if (names) assert.ok(names.some((n) => sameErrno(e.code, n)), `expected ${names}, got ${got}`);
        break;
    case 'gai':
        assert.match(String(e.code), /^EAI_/, `expected an EAI_ error, got ${got}`);
        if (names) assert.ok(names.includes(e.code), `expected ${names}, got ${got}`);
        break;
    case 'herror':
        assert.ok(HERRNO_NAMES.includes(e.code), `expected an h_errno error, got ${got}`);
        if (names) assert.ok(names.includes(e.code), `expected ${names}, got ${got}`);
        break;
    case 'timeout':
        assert.equal(e.code, 'ETIMEDOUT', `expected ETIMEDOUT, got ${got}`);
        break;
    case 'badhandle':
        assert.equal(e.code, 'EBADF', `expected EBADF, got ${got}`);
        assert.equal(e.errno, -ERRNO.EBADF);
        break;
    default:
        assert.fail(`unknown error class ${want}`);
    }
}

// ---- The tables ------------------------------------------------------------------

const files = fs.readdirSync(VECTORS).filter((f) => f.endsWith('.json')).sort();

test('the vector tables are there', () => {
    assert.ok(files.length >= 30, `only ${files.length} tables in ${VECTORS}`);
});

for (const file of files) {
    const table = parseJSON(fs.readFileSync(path.join(VECTORS, file), 'utf8'));
    test(`${file}: the table is well formed`, () => {
        for (const k of Object.keys(table)) assert.ok(TABLE_KEYS.has(k), `unknown key ${k}`);
        assert.equal(file, `${table.function}.json`);
        assert.ok(Array.isArray(table.rows) && table.rows.length > 0, 'no rows');
        for (const p of table.params) assert.ok(PARAM_TYPES.has(p.type), `unknown param type ${p.type}`);
        const names = new Set();
        for (const row of table.rows) {
            for (const k of Object.keys(row)) assert.ok(ROW_KEYS.has(k), `row ${row.name}: unknown key ${k}`);
            assert.ok(!names.has(row.name), `duplicate row ${row.name}`);
            names.add(row.name);
            assert.ok(CLASSES.has(row.error), `row ${row.name}: unknown class ${row.error}`);
            assert.equal(row.args.length, table.params.length, `row ${row.name}: argument count`);
            if (row.skip) for (const [lang, why] of Object.entries(row.skip)) assert.ok(why, `${lang}: no reason`);
            if (row.code !== undefined) assert.equal(row.error, 'tls', `row ${row.name}: code given for class ${row.error}`);
        }
    });
    for (const row of table.rows) {
        const skipReason = row.skip && row.skip.node;
        const unmet = (row.requires || []).filter((r) => !REQUIRES[r] || !REQUIRES[r]());
        const unknownTag = (row.requires || []).find((r) => !REQUIRES[r]);
        test(`${file}: ${row.name}`, { skip: skipReason || (unmet.length > 0 && !unknownTag && `requires ${unmet}`) }, () => {
            assert.equal(unknownTag, undefined, `unknown requires tag ${unknownTag}`);
            const raw = row.layer === 'raw';
            const symbols = new Symbols(raw);
            let error = null;
            try {
                const args = table.params.map((p, i) => convert(p.type, row.args[i], symbols));
                try {
                    call(table.function, args, raw);
                } catch (e) {
                    if (/vector runner does not know|no raw function/.test(e.message)) throw e;
                    error = e;
                }
            } finally {
                symbols.free();
                polysock.setdefaulttimeout(null);
            }
            check(row, error);
        });
    }
}
