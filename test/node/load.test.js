// Loading: the library is found through POLYSOCK_LIBRARY (then the
// versioned soname), a library built from another IDL is refused with a
// clear message, and POLYSOCK_NODE_FFI chooses the FFI.  Each case runs in
// a child process, since a module loads once per process.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const { ROOT } = require('./helpers');

function load(env, what = 'polysock') {
    return spawnSync(process.execPath, ['-e', `
        try {
            const p = require(${JSON.stringify(what)});
            console.log(JSON.stringify({ ffi: p.ffi, library: p.library, version: p.version }));
        } catch (e) {
            console.log(JSON.stringify({ error: e.message }));
        }
    `], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30000, cwd: ROOT });
}

function result(r) {
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
}

const mismatched = process.env.POLYSOCK_MISMATCHED_LIBRARY;
const mustRunAll = process.env.POLYSOCK_REQUIRE_ALL === '1';

test('a library with another ABI fingerprint is refused with a clear message', {
    skip: !mismatched && !mustRunAll &&
        'POLYSOCK_MISMATCHED_LIBRARY is not set (make check builds test-mismatch/libpolysock.so.0)',
}, () => {
    assert.ok(mismatched, 'POLYSOCK_REQUIRE_ALL=1 but POLYSOCK_MISMATCHED_LIBRARY is not set');
    for (const what of ['polysock', 'polysock/promises']) {
        const r = result(load({ POLYSOCK_LIBRARY: mismatched }, what));
        assert.ok(r.error, `the mismatched library ${mismatched} was accepted`);
        assert.match(r.error, /ABI fingerprint/);
        assert.match(r.error, new RegExp(mismatched.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
        assert.match(r.error, /generated for [0-9a-f]{16}/);
    }
});

test('the library named by POLYSOCK_LIBRARY is the one loaded', () => {
    const r = result(load({}));
    assert.equal(r.error, undefined);
    assert.equal(r.library, process.env.POLYSOCK_LIBRARY || 'libpolysock.so.0');
});

test('a library that cannot be loaded is a clear error', () => {
    const r = result(load({ POLYSOCK_LIBRARY: '/nonexistent/libpolysock.so.0' }));
    assert.match(r.error, /cannot load the library \/nonexistent\/libpolysock\.so\.0/);
    assert.match(r.error, /POLYSOCK_LIBRARY/);
});

test('POLYSOCK_NODE_FFI chooses the FFI', () => {
    assert.equal(result(load({ POLYSOCK_NODE_FFI: 'koffi' })).ffi, 'koffi');
    assert.equal(result(load({ POLYSOCK_NODE_FFI: '' })).ffi, 'koffi');
    assert.equal(result(load({ POLYSOCK_NODE_FFI: 'ffi-napi' })).ffi, 'ffi-napi');
    const bad = result(load({ POLYSOCK_NODE_FFI: 'ctypes' }));
    assert.match(bad.error, /POLYSOCK_NODE_FFI must be "koffi" or "ffi-napi"/);
});
