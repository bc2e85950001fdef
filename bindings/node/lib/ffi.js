// ffi.js - the two FFI libraries behind the one generated layer.
//
// open(gen) loads libpolysock with koffi (the default) or ffi-napi (the
// maintained fork @2060.io/ffi-napi), as POLYSOCK_NODE_FFI says, refuses a
// library whose ABI fingerprint is not the one the binding was generated
// for, and declares every fn of gen.signatures.  Each native function is
// called with the same arguments whatever the FFI (numbers, BigInts for
// 64-bit values beyond 2^53, strings or null for `const char *`, Buffers for
// every pointer) and has an .async(args..., callback) twin that runs it on a
// worker thread.
'use strict';

const DEFAULT_LIBRARY = 'libpolysock.so.0';

function libraryPath() {
    const env = process.env.POLYSOCK_LIBRARY;
    return env !== undefined && env !== '' ? env : DEFAULT_LIBRARY;
}

function which() {
    const env = process.env.POLYSOCK_NODE_FFI;
    if (env === undefined || env === '' || env === 'koffi') return 'koffi';
    if (env === 'ffi-napi') return 'ffi-napi';
    throw new Error(`polysock: POLYSOCK_NODE_FFI must be "koffi" or "ffi-napi", not ${JSON.stringify(env)}`);
}

function mismatch(path, found, gen) {
    return new Error(
        `polysock: the library ${path} has ABI fingerprint ${found}, but this ` +
        `binding was generated for ${gen.fingerprint} (polysock ${gen.version}); ` +
        'the library and the binding come from different IDLs: rebuild the ' +
        'library or regenerate the binding (make regen), or point ' +
        'POLYSOCK_LIBRARY at the matching library');
}

function loadError(path, e, ffi) {
    return new Error(`polysock: cannot load the library ${path} with ${ffi}: ${e.message} ` +
                     '(set POLYSOCK_LIBRARY to its path)');
}

// ---- koffi -------------------------------------------------------------------

const KOFFI_TYPES = {
    void: 'void', int: 'int', i32: 'int32_t', i64: 'int64_t', u16: 'uint16_t',
    u32: 'uint32_t', u64: 'uint64_t', size: 'size_t', double: 'double',
    str: 'const char *', cstr: 'const char *', ptr: 'void *',
};

function openKoffi(gen, path) {
    const koffi = require('koffi');
    let lib;
    try {
        lib = koffi.load(path);
    } catch (e) {
        throw loadError(path, e, 'koffi');
    }
    let found;
    try {
        found = lib.func('polysock_abi_fingerprint', 'const char *', [])();
    } catch (e) {
        found = '(none: ' + e.message + ')';
    }
    if (found !== gen.fingerprint) throw mismatch(path, found, gen);
    const N = Object.create(null);
    for (const [name, ret, ...params] of gen.signatures)
        N[name] = lib.func('polysock_' + name, KOFFI_TYPES[ret], params.map((t) => KOFFI_TYPES[t]));
    return N;
}

// ---- ffi-napi ----------------------------------------------------------------

const NAPI_TYPES = {
    void: 'void', int: 'int', i32: 'int32', i64: 'int64', u16: 'uint16',
    u32: 'uint32', u64: 'uint64', size: 'size_t', double: 'double',
    str: 'string', cstr: 'string', ptr: 'pointer',
};
const WIDE = new Set(['i64', 'u64', 'size']);

// ref-napi takes 64-bit values as numbers or decimal strings, not BigInts,
// and returns those beyond 2^53 as strings.
function widen(f, params, ret) {
    const wide = [];
    params.forEach((t, i) => { if (WIDE.has(t)) wide.push(i); });
    const back = WIDE.has(ret) ? (r) => (typeof r === 'string' ? BigInt(r) : r) : null;
    if (wide.length === 0 && back === null) return f;
    const fix = (args) => {
        for (const i of wide)
            if (typeof args[i] === 'bigint') args[i] = args[i].toString();
        return args;
    };
    const g = back === null
        ? (...args) => f(...fix(args))
        : (...args) => back(f(...fix(args)));
    g.async = (...args) => {
        const cb = args.pop();
        fix(args);
        f.async(...args, back === null ? cb : (e, r) => cb(e, e ? r : back(r)));
    };
    return g;
}

function openFfiNapi(gen, path) {
    let ffi;
    try {
        ffi = require('@2060.io/ffi-napi');
    } catch (e) {
        throw new Error('polysock: POLYSOCK_NODE_FFI=ffi-napi needs the optional dependency ' +
                        `@2060.io/ffi-napi (npm install @2060.io/ffi-napi @2060.io/ref-napi): ${e.message}`);
    }
    let lib;
    try {
        lib = new ffi.DynamicLibrary(path, ffi.DynamicLibrary.FLAGS.RTLD_NOW);
    } catch (e) {
        throw loadError(path, e, 'ffi-napi');
    }
    let found;
    try {
        found = ffi.ForeignFunction(lib.get('polysock_abi_fingerprint'), 'string', [])();
    } catch (e) {
        found = '(none: ' + e.message + ')';
    }
    if (found !== gen.fingerprint) throw mismatch(path, found, gen);
    const N = Object.create(null);
    for (const [name, ret, ...params] of gen.signatures) {
        const f = ffi.ForeignFunction(lib.get('polysock_' + name), NAPI_TYPES[ret],
                                      params.map((t) => NAPI_TYPES[t]));
        N[name] = widen(f, params, ret);
    }
    return N;
}

// ------------------------------------------------------------------------------

function open(gen) {
    const ffi = which();
    const library = libraryPath();
    const N = ffi === 'koffi' ? openKoffi(gen, library) : openFfiNapi(gen, library);
    return { N, ffi, library };
}

module.exports = { open };
