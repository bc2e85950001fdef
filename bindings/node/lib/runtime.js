// runtime.js - what the generated layer (generated.js) stands on: argument
// conversions, error objects, decoding helpers, and the assembly of the two
// APIs (load()).  Everything here is independent of any particular fn: the
// per-fn code is generated from the IDL.
'use strict';

const { constants: bufferConstants } = require('buffer');
const util = require('util');

const MAX_BUFFER = bufferConstants.MAX_LENGTH;
const TWO32 = 4294967296;
const I64_MIN = -(2 ** 63), I64_END = 2 ** 63, U64_END = 2 ** 64;
const BI64_MIN = -(1n << 63n), BI64_MAX = (1n << 63n) - 1n, BU64_MAX = (1n << 64n) - 1n;

// ---- Argument errors (Node's conventions: TypeError for a wrong type,
// RangeError for a value out of range) -----------------------------------------

function describe(v) {
    if (v === null) return 'null';
    if (v === undefined) return 'undefined';
    if (typeof v === 'function') return 'function ' + (v.name || '<anonymous>');
    if (typeof v === 'object') {
        if (v.constructor && v.constructor.name) return 'an instance of ' + v.constructor.name;
        return util.inspect(v, { depth: -1 });
    }
    let shown = util.inspect(v);
    if (shown.length > 28) shown = shown.slice(0, 25) + '...';
    return `type ${typeof v} (${shown})`;
}

function argType(name, what, v) {
    const e = new TypeError(`The "${name}" argument must be ${what}. Received ${describe(v)}`);
    e.code = 'ERR_INVALID_ARG_TYPE';
    return e;
}

function outOfRange(name, what, v) {
    const e = new RangeError(`The value of "${name}" is out of range. It must be ${what}. ` +
                             `Received ${typeof v === 'bigint' ? v + 'n' : String(v)}`);
    e.code = 'ERR_OUT_OF_RANGE';
    return e;
}

// ---- Conversions ----------------------------------------------------------------

function intOf(v, name, lo, hi, nonneg, what) {
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'bigint') {
        if (v < BigInt(lo) || v > BigInt(hi) || (nonneg && v < 0n))
            throw outOfRange(name, what, v);
        return Number(v);
    }
    if (typeof v !== 'number') throw argType(name, 'of type number', v);
    if (!Number.isInteger(v)) throw outOfRange(name, 'an integer', v);
    if (v < lo || v > hi) throw outOfRange(name, what, v);
    if (nonneg && v < 0) throw outOfRange(name, '>= 0 or null', v);
    return v;
}

function toInt(v, name, nonneg) {
    if (typeof v === 'number' && (v | 0) === v && !(nonneg && v < 0)) return v;
    return intOf(v, name, -2147483648, 2147483647, nonneg, '>= -2^31 and < 2^31');
}

function toU16(v, name) {
    if (typeof v === 'number' && (v & 0xffff) === v) return v;
    return intOf(v, name, 0, 0xffff, false, '>= 0 and < 2^16');
}

function toU32(v, name) {
    if (typeof v === 'number' && v >>> 0 === v) return v;
    return intOf(v, name, 0, 0xffffffff, false, '>= 0 and < 2^32');
}

function toI64(v, name, nonneg) {
    if (typeof v === 'number') {
        if (Number.isSafeInteger(v) && !(nonneg && v < 0)) return v;
        if (!Number.isInteger(v)) throw outOfRange(name, 'an integer', v);
        if (v < I64_MIN || v >= I64_END) throw outOfRange(name, '>= -2^63 and < 2^63', v);
        if (nonneg && v < 0) throw outOfRange(name, '>= 0 or null', v);
        return BigInt(v);
    }
    if (typeof v === 'bigint') {
        if (v < BI64_MIN || v > BI64_MAX) throw outOfRange(name, '>= -2^63 and < 2^63', v);
        if (nonneg && v < 0n) throw outOfRange(name, '>= 0 or null', v);
        return v;
    }
    if (typeof v === 'boolean') return v ? 1 : 0;
    throw argType(name, 'of type number or bigint', v);
}

function toU64(v, name) {
    if (typeof v === 'number') {
        if (Number.isSafeInteger(v) && v >= 0) return v;
        if (!Number.isInteger(v)) throw outOfRange(name, 'an integer', v);
        if (v < 0 || v >= U64_END) throw outOfRange(name, '>= 0 and < 2^64', v);
        return BigInt(v);
    }
    if (typeof v === 'bigint') {
        if (v < 0n || v > BU64_MAX) throw outOfRange(name, '>= 0 and < 2^64', v);
        return v;
    }
    throw argType(name, 'of type number or bigint', v);
}

// A size or an index: a negative value is passed on as the C API's size_t
// sees it (-1 is SIZE_MAX, above SSIZE_MAX: "negative"), so the library
// refuses it with the error class it gives every language.
function toSize(v, name) {
    if (typeof v === 'number') {
        if (Number.isSafeInteger(v) && v >= 0) return v;
        if (!Number.isInteger(v)) throw outOfRange(name, 'an integer', v);
        if (v >= U64_END || v < I64_MIN) throw outOfRange(name, '>= -2^63 and < 2^64', v);
        return BigInt.asUintN(64, BigInt(v));
    }
    if (typeof v === 'bigint') {
        if (v > BU64_MAX || v < BI64_MIN) throw outOfRange(name, '>= -2^63 and < 2^64', v);
        return BigInt.asUintN(64, v);
    }
    throw argType(name, 'of type number', v);
}

// The capacity of an out buffer the caller sizes (recv's bufsize): a number
// to allocate, or (negative) a size_t the library refuses before touching
// the buffer.
function toCap(v, name) {
    if (typeof v === 'number' && v >= 0 && v <= MAX_BUFFER && Number.isInteger(v)) return v;
    const s = toSize(v, name);
    if (typeof s === 'bigint' && s > BI64_MAX) return s;
    throw outOfRange(name, `<= ${MAX_BUFFER} (the largest Buffer)`, v);
}

function toDouble(v, name, nonneg) {
    if (typeof v === 'number') {
        if (nonneg && v < 0) throw outOfRange(name, '>= 0 or null', v);
        return v;
    }
    if (typeof v === 'bigint') return toDouble(Number(v), name, nonneg);
    throw argType(name, nonneg ? 'of type number or null' : 'of type number', v);
}

function toStr(v, name, optional) {
    if (typeof v === 'string') {
        if (v.indexOf('\0') !== -1) {
            const e = new TypeError(`The "${name}" argument must be a string without null bytes`);
            e.code = 'ERR_INVALID_ARG_VALUE';
            throw e;
        }
        return v;
    }
    if (optional && (v === null || v === undefined)) return null;
    throw argType(name, optional ? 'of type string or null' : 'of type string', v);
}

// Both FFIs pass an empty Buffer as NULL, which the library refuses (a NULL
// buffer is a missing argument): empty data is passed as this one-byte
// buffer, with length 0 (bytesLen).
const ZERO = Buffer.alloc(1);

function toBytes(v, name) {
    let b;
    if (Buffer.isBuffer(v)) b = v;
    else if (typeof v === 'string') b = Buffer.from(v, 'utf8');
    else if (ArrayBuffer.isView(v)) b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    else if (v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) b = Buffer.from(v);
    else throw argType(name, 'a Buffer, TypedArray, DataView, ArrayBuffer or string', v);
    return b.length === 0 ? ZERO : b;
}

function bytesLen(b) {
    return b === ZERO ? 0 : b.length;
}

// The buffer of an _into call (recv_into): a Buffer over the caller's own
// memory, which the library writes into (a view, never a copy).  An empty
// one is ZERO, with length 0: nothing is written into it.
function toWritable(v, name) {
    let b;
    if (Buffer.isBuffer(v)) b = v;
    else if (ArrayBuffer.isView(v)) b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    else throw argType(name, 'a Buffer, TypedArray or DataView', v);
    return b.length === 0 ? ZERO : b;
}

// How many bytes of b an _into call may fill: nbytes, or all of b for 0
// (and when left out), as in Python; never more than b holds.
function toFillLen(v, b, name) {
    const len = bytesLen(b);
    if (v === undefined || v === 0) return len;
    if (typeof v === 'number' && v > 0 && v <= len && Number.isInteger(v)) return v;
    // intOf's checks, but no boolean for a byte count.
    if (typeof v === 'boolean') throw argType(name, 'of type number', v);
    const n = intOf(v, name, 0, len, true, `>= 0 and <= ${len} (the length of the buffer)`);
    return n === 0 ? len : n;
}

function toHandle(v, name) {
    if (typeof v === 'number') {
        if (v >= 0 && v <= Number.MAX_SAFE_INTEGER && Math.floor(v) === v) return v;
        throw outOfRange(name, 'a handle (an integer >= 0 and < 2^53)', v);
    }
    if (v !== null && typeof v === 'object' && typeof v._h === 'number') return v._h;
    if (typeof v === 'bigint') return toHandle(Number(v), name);
    throw argType(name, 'a polysock object or a handle number', v);
}

// ---- Out buffers and decoding ---------------------------------------------------

// A dummy buffer for a capacity the library refuses anyway.
const DUMMY = Buffer.alloc(8);

function outBuf(cap, unit, zero) {
    if (typeof cap !== 'number') return DUMMY;
    const n = cap * unit;
    if (n > MAX_BUFFER) throw outOfRange('capacity', `<= ${MAX_BUFFER} bytes`, n);
    if (n === 0) return Buffer.alloc(1);
    return zero ? Buffer.alloc(n) : Buffer.allocUnsafe(n);
}

// The out storage of a synchronous call that decodes it before it returns
// (an out string or record array whose capacity the caller gives): the
// call's own scratch buffer s, cleared, when the capacity fits in it, else
// a fresh one.  A fresh Buffer costs about a microsecond (V8 allocates an
// ArrayBuffer, and later sweeps it), more than poller_wait itself.
function outScratch(s, cap, unit) {
    if (typeof cap === 'number' && cap * unit <= s.length) return s.fill(0, 0, cap * unit);
    return outBuf(cap, unit, true);
}

const EMPTY = Buffer.alloc(0);

// The first n bytes of a buffer the library filled: the buffer itself, a
// view of it, or a copy when a view would keep much more memory alive.
function fit(b, n) {
    if (n === b.length) return b;
    if (n === 0) return EMPTY;
    if (n >= b.length >>> 1 || b.length <= 4096) return b.subarray(0, n);
    return Buffer.from(b.subarray(0, n));
}

function u64(b, o) {
    const hi = b.readUInt32LE(o + 4);
    if (hi < 0x200000) return hi * TWO32 + b.readUInt32LE(o);
    return b.readBigUInt64LE(o);
}

function i64(b, o) {
    const hi = b.readInt32LE(o + 4);
    if (hi >= -0x200000 && hi < 0x200000) return hi * TWO32 + b.readUInt32LE(o);
    return b.readBigInt64LE(o);
}

function big64(v) {
    return BigInt(v);
}

function cstr(b) {
    const z = b.indexOf(0);
    return b.toString('utf8', 0, z < 0 ? b.length : z);
}

function putChars(b, off, len, v, name) {
    if (typeof v !== 'string') throw argType(name, 'of type string', v);
    const n = b.write(v, off, len - 1, 'utf8');
    b[off + n] = 0;
}

function nullIf(x, nullValue) {
    return x === nullValue ? null : x;
}

// Place the arguments of a call whose optional parameters come before a
// required one (sendto(data[, flags], address)): the optional ones, left to
// right, take what the required ones leave over.
function place(args, optional) {
    let budget = args.length - optional.filter((o) => !o).length;
    const out = new Array(optional.length);
    let k = 0;
    for (let i = 0; i < optional.length; i++) {
        if (!optional[i]) out[i] = args[k++];
        else if (budget-- > 0) out[i] = args[k++];
        else out[i] = undefined;
    }
    return out;
}

// ---- The asynchronous calls ---------------------------------------------------

// A value the generated "again" calls return instead of throwing when a
// non-blocking attempt would block (state.rc says which code).
const AGAIN = Object.freeze({ again: true });
const state = { rc: 0, partial: 0 };

// The rest of a byte argument from offset o (a send the Promise API
// resumes after a partial write).
function skip(v, o, name) {
    const b = toBytes(v, name);
    return b === ZERO ? b : b.subarray(o);
}

function pool(start, wrap) {
    return new Promise((resolve, reject) => {
        start((e, r) => {
            if (e) reject(e);
            else resolve(wrap ? wrap(r) : r);
        });
    });
}

// ---- load(): the library, the generated layer and the hand-written parts --------

let loaded = null;

function load() {
    if (loaded !== null) return loaded;
    const gen = require('./generated');
    const { N, ffi, library } = require('./ffi').open(gen);

    // Platform constants, by the IDL's prefixes.
    const constants = Object.create(null);
    const all = Object.create(null);
    const count = Number(N.constant_count());
    for (let i = 0; i < count; i++) {
        const name = N.constant_name(i);
        const value = Number(N.constant_value(i));
        all[name] = value;
        if (gen.constgroups.some((p) => name.startsWith(p))) constants[name] = value;
    }

    // errno values by name, for the would-block test and error codes.
    const errnoCode = Object.create(null);
    for (let e = 1; e < 200; e++) {
        const n = N.errname(-e);
        if (/^E[A-Z0-9]+$/.test(n) && !(n in errnoCode)) errnoCode[n] = -e;
    }
    const EAGAIN = errnoCode.EAGAIN, EINPROGRESS = errnoCode.EINPROGRESS;
    const C = gen.errclasses;

    function error(rc, syscall) {
        const cls = N.errclass(rc);
        let name = N.errname(rc);
        const msg = N.strerror(rc);
        let e;
        switch (cls) {
        case C.value:
        case C.overflow:
            e = new RangeError(`${syscall}: ${msg}`);
            break;
        case C.type:
            e = new TypeError(`${syscall}: ${msg}`);
            break;
        case C.os:
        case C.timeout:
            e = new Error(`${syscall} ${name}: ${msg}`);
            e.errno = -N.errno(rc);
            break;
        case C.badhandle:
            name = 'EBADF';
            e = new Error(`${syscall} EBADF: ${msg}`);
            e.errno = -N.errno(rc);
            break;
        case C.herror:
            e = new Error(`${syscall} ${name}: ${msg}`);
            e.errno = -N.errno(rc);
            break;
        case C.gai:
            e = new Error(`${syscall} ${name}: ${msg}`);
            e.errno = N.errno(rc) < 0 ? N.errno(rc) : -N.errno(rc);
            break;
        default:
            e = new Error(`${syscall}: ${msg}`);
            break;
        }
        e.code = name;
        e.syscall = syscall;
        return e;
    }

    function partialError(rc, syscall, sent) {
        const e = error(rc, syscall);
        e.bytesSent = sent;
        return e;
    }

    function constant(name) {
        if (!(name in all)) throw new Error(`polysock: the library has no constant ${name}`);
        return all[name];
    }

    const conv = { toInt, toI64, toU16, toU32, argType };
    const rt = {
        toInt, toI64, toU16, toU32, toU64, toSize, toDouble, toStr, toBytes, toHandle,
        toCap, toWritable, toFillLen, outBuf, outScratch, fit, u64, i64, big64, cstr, putChars,
        nullIf, place, argType, bytesLen, error, partialError, pool, skip, state, AGAIN,
        wouldBlock: (rc) => rc === EAGAIN || rc === EINPROGRESS,
        constant,
        custom: { addr: require('./addr')(gen.records.addr, all, conv) },
        hooks: {},
        errnoCode,
        errors: gen.errors,
    };
    const park = require('./park');
    rt.hooks.socket = park.hooks;
    const built = gen.build(N, rt);
    park.init(built, rt, all, ffi);

    const sugar = require('./sugar')(built, rt);
    const extras = { ffi, library, fingerprint: gen.fingerprint, raw: built.raw };
    for (const api of ['sync', 'promises']) {
        const target = built[api];
        const provided = sugar[api];
        for (const [owner, name] of gen.sugar) {
            const from = owner === null ? provided.module : provided[owner];
            if (!from || !(name in from))
                throw new Error(`polysock: sugar.js does not provide ${owner || 'the module'}.${name} (${api})`);
            const into = owner === null ? target : target[owner[0].toUpperCase() + owner.slice(1)].prototype;
            Object.defineProperty(into, name, Object.getOwnPropertyDescriptor(from, name));
        }
        for (const [owner, members] of Object.entries(provided))
            for (const name of Object.keys(members))
                if (!gen.sugar.some(([o, n]) => n === name && (o === null ? owner === 'module' : o === owner)))
                    throw new Error(`polysock: sugar.js provides ${owner}.${name}, which the generator does not list`);
        for (const [name, value] of Object.entries(constants)) target[name] = value;
        Object.assign(target, extras);
    }
    // The Promise API's sockets keep their timeout in JavaScript (park.js).
    Object.assign(built.promises.Socket.prototype, park.socketMethods);
    // ssl() and its objects, in both APIs (ssl.js; it parks on park.js).
    const ssl = require('./ssl')(built, rt, park);
    for (const api of ['sync', 'promises']) Object.assign(built[api], ssl[api]);
    loaded = built;
    return built;
}

module.exports = { load, argType, outOfRange };
