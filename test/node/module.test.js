// Module functions and values: version, constants, byte order, inet_*,
// the default timeout, the library's counters.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const os = require('node:os');
const { polysock, generated, Sockets, throwsCode } = require('./helpers');

test.afterEach(() => polysock.setdefaulttimeout(null));

test('version, FFI and library are those actually in use', () => {
    const pkg = require('polysock/package.json');
    assert.match(polysock.version, /^\d+\.\d+\.\d+$/);
    assert.equal(polysock.version, polysock.raw.version());
    assert.equal(pkg.version, polysock.version);
    const [maj, min, pat] = polysock.version.split('.').map(Number);
    assert.equal(polysock.version_number(), maj * 10000 + min * 100 + pat);
    assert.equal(polysock.fingerprint, polysock.abi_fingerprint());
    assert.match(polysock.fingerprint, /^[0-9a-f]{16}$/);
    assert.equal(polysock.ffi, process.env.POLYSOCK_NODE_FFI || 'koffi');
    assert.equal(polysock.library, process.env.POLYSOCK_LIBRARY || 'libpolysock.so.0');
});

test('the Promise API shares the values of the synchronous one', () => {
    const promises = require('polysock/promises');
    assert.equal(promises.version, polysock.version);
    assert.equal(promises.AF_INET, polysock.AF_INET);
    assert.equal(promises.has_ipv6, polysock.has_ipv6);
    assert.equal(promises.raw, polysock.raw);
});

test('has_ipv6 is a boolean', () => {
    assert.equal(typeof polysock.has_ipv6, 'boolean');
    assert.equal(polysock.has_ipv6, polysock.raw.has_ipv6() === 1);
});

const REFERENCE_CONSTANTS = [
    'AF_INET', 'AF_INET6', 'AF_UNIX', 'AF_UNSPEC', 'SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_RAW',
    'SOCK_SEQPACKET', 'SOL_SOCKET', 'SO_REUSEADDR', 'SO_KEEPALIVE', 'SO_BROADCAST', 'SO_RCVBUF',
    'SO_SNDBUF', 'SO_ERROR', 'SO_TYPE', 'SOMAXCONN', 'MSG_PEEK', 'MSG_OOB', 'MSG_WAITALL',
    'MSG_DONTWAIT', 'IPPROTO_TCP', 'IPPROTO_UDP', 'IPPROTO_IP', 'IPPORT_RESERVED', 'INADDR_ANY',
    'INADDR_LOOPBACK', 'INADDR_BROADCAST', 'IP_TTL', 'IPV6_V6ONLY', 'EAI_NONAME', 'AI_PASSIVE',
    'AI_CANONNAME', 'AI_NUMERICHOST', 'NI_NUMERICHOST', 'NI_NUMERICSERV', 'TCP_NODELAY',
    'SHUT_RD', 'SHUT_WR', 'SHUT_RDWR', 'POLYSOCK_POLLIN', 'POLYSOCK_POLLOUT',
];

test('the reference constants exist with the platform values', () => {
    for (const name of REFERENCE_CONSTANTS) {
        assert.equal(typeof polysock[name], 'number', name);
        assert.equal(polysock[name], polysock.constant_lookup(name), name);
    }
    assert.equal(polysock.AF_INET, 2);
    assert.equal(polysock.AF_INET6, 10);
    assert.equal(polysock.AF_UNIX, 1);
    assert.equal(polysock.SOCK_STREAM, 1);
    assert.equal(polysock.SOCK_DGRAM, 2);
    assert.equal(polysock.SOL_SOCKET, 1);
    assert.equal(polysock.SO_REUSEADDR, 2);
    assert.equal(polysock.IPPROTO_TCP, 6);
    assert.equal(polysock.MSG_PEEK, 2);
    assert.equal(polysock.SHUT_WR, 1);
    assert.equal(polysock.INADDR_LOOPBACK, 0x7f000001);
});

test('every constant of every IDL group, and only those, is exported', () => {
    const groups = generated.constgroups;
    const n = polysock.constant_count();
    let exported = 0;
    for (let i = 0; i < n; i++) {
        const name = polysock.constant_name(i);
        const inGroup = groups.some((p) => name.startsWith(p));
        if (inGroup) {
            exported++;
            assert.equal(polysock[name], Number(polysock.constant_value(i)), name);
        } else {
            assert.equal(polysock[name], undefined, name);
        }
    }
    assert.ok(exported > 100, `only ${exported} constants`);
    for (const prefix of groups)
        assert.ok(Object.keys(polysock).some((k) => k.startsWith(prefix)), `no constant with prefix ${prefix}`);
    assert.equal(polysock.constant_name(n), null);
    throwsCode(() => polysock.constant_lookup('NO_SUCH_CONSTANT'), RangeError);
});

test('16-bit byte order conversions', () => {
    for (const f of ['ntohs', 'htons']) {
        assert.equal(polysock[f](0x1234), 0x3412, f);
        assert.equal(polysock[f](polysock[f](4321)), 4321, f);
        assert.equal(polysock[f](0), 0, f);
        assert.equal(polysock[f](65535), 65535, f);
    }
});

test('32-bit byte order conversions', () => {
    for (const f of ['ntohl', 'htonl']) {
        assert.equal(polysock[f](0x12345678), 0x78563412, f);
        assert.equal(polysock[f](polysock[f](0xdeadbeef)), 0xdeadbeef, f);
        assert.equal(polysock[f](0xffffffff), 0xffffffff, f);
        assert.equal(polysock[f](1n), 0x01000000, f);
    }
});

test('byte order out of range is RangeError, non-numbers TypeError', () => {
    throwsCode(() => polysock.htons(65536), RangeError);
    throwsCode(() => polysock.htons(-1), RangeError);
    throwsCode(() => polysock.htonl(2 ** 32), RangeError);
    throwsCode(() => polysock.ntohl(-1), RangeError);
    throwsCode(() => polysock.ntohl(2 ** 64), RangeError, 'ERR_OUT_OF_RANGE');
    throwsCode(() => polysock.ntohs(1.5), RangeError, 'ERR_OUT_OF_RANGE');
    throwsCode(() => polysock.ntohs('80'), TypeError, 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => polysock.ntohs(null), TypeError);
    throwsCode(() => polysock.ntohs(), TypeError);
});

test('inet_aton and inet_ntoa', () => {
    assert.deepEqual(polysock.inet_aton('1.2.3.4'), Buffer.from([1, 2, 3, 4]));
    assert.deepEqual(polysock.inet_aton('127.1'), Buffer.from([127, 0, 0, 1]));
    assert.equal(polysock.inet_ntoa(Buffer.from([10, 0, 0, 255])), '10.0.0.255');
    assert.equal(polysock.inet_ntoa(new Uint8Array([1, 2, 3, 4])), '1.2.3.4');
    const e = throwsCode(() => polysock.inet_aton('300.1.1.1'), Error);
    assert.equal(e.errno, undefined);
    assert.equal(e.syscall, 'inet_aton');
    throwsCode(() => polysock.inet_ntoa(Buffer.from([1, 2, 3])), Error);
});

test('inet_pton and inet_ntop for IPv4 and IPv6', () => {
    assert.deepEqual(polysock.inet_pton(polysock.AF_INET, '10.1.2.3'), Buffer.from([10, 1, 2, 3]));
    assert.equal(polysock.inet_ntop(polysock.AF_INET, Buffer.from([10, 1, 2, 3])), '10.1.2.3');
    const packed = polysock.inet_pton(polysock.AF_INET6, '2001:db8::1');
    assert.equal(packed.length, 16);
    assert.equal(packed.toString('hex'), '20010db8000000000000000000000001');
    assert.equal(polysock.inet_ntop(polysock.AF_INET6, packed), '2001:db8::1');
    throwsCode(() => polysock.inet_pton(polysock.AF_INET, '1.2.3'), Error);
    throwsCode(() => polysock.inet_pton(12345, '1.2.3.4'), Error, 'EAFNOSUPPORT');
    throwsCode(() => polysock.inet_ntop(polysock.AF_INET, Buffer.from([1, 2, 3])), RangeError);
    throwsCode(() => polysock.inet_ntop(polysock.AF_INET, null), TypeError);
    throwsCode(() => polysock.inet_pton(polysock.AF_INET, 5), TypeError);
});

test('gethostname is the system host name', () => {
    assert.equal(polysock.gethostname(), os.hostname());
});

test('the default timeout starts as null and applies to new sockets', (t) => {
    const socks = new Sockets(t);
    assert.equal(polysock.getdefaulttimeout(), null);
    assert.equal(socks.socket().gettimeout(), null);
    polysock.setdefaulttimeout(2.5);
    assert.equal(polysock.getdefaulttimeout(), 2.5);
    assert.equal(socks.socket().gettimeout(), 2.5);
    const [a, b] = socks.pair();
    assert.equal(a.gettimeout(), 2.5);
    assert.equal(b.gettimeout(), 2.5);
    polysock.setdefaulttimeout(null);
    assert.equal(socks.socket().gettimeout(), null);
});

test('default timeout zero makes non-blocking sockets', (t) => {
    const socks = new Sockets(t);
    polysock.setdefaulttimeout(0);
    const [a] = socks.pair();
    assert.equal(a.gettimeout(), 0);
    throwsCode(() => a.recv(1), Error, 'EAGAIN');
});

test('a negative default timeout is RangeError; -1 is not null', () => {
    for (const v of [-1, -1.5, -1e-9, -Infinity, NaN])
        throwsCode(() => polysock.setdefaulttimeout(v), RangeError);
    throwsCode(() => polysock.setdefaulttimeout(Infinity), RangeError);
    assert.equal(polysock.getdefaulttimeout(), null);
    polysock.setdefaulttimeout(-0);
    assert.equal(polysock.getdefaulttimeout(), 0);
});

test('the default timeout refuses non-numbers', () => {
    throwsCode(() => polysock.setdefaulttimeout('1'), TypeError);
    throwsCode(() => polysock.setdefaulttimeout(undefined), TypeError);
    throwsCode(() => polysock.setdefaulttimeout({}), TypeError);
});

test('the library counters count sockets', (t) => {
    const socks = new Sockets(t);
    const before = polysock.get_stats();
    for (const k of ['live_handles', 'live_sockets', 'live_bytes', 'total_allocs', 'failed_allocs'])
        assert.equal(typeof before[k], 'number', k);
    const s = socks.socket();
    assert.equal(polysock.get_stats().live_sockets, before.live_sockets + 1);
    s.close();
    assert.equal(polysock.get_stats().live_sockets, before.live_sockets);
});

test('an allocation failure is ENOMEM and leaks nothing', () => {
    const before = polysock.get_stats();
    polysock.debug_fail_allocs(0, -1);
    let e;
    try {
        e = throwsCode(() => polysock.socket(), Error, 'ENOMEM');
    } finally {
        polysock.debug_fail_allocs(0, 0);
    }
    assert.equal(e.errno, -os.constants.errno.ENOMEM);
    const after = polysock.get_stats();
    assert.equal(after.live_sockets, before.live_sockets);
    assert.equal(after.live_bytes, before.live_bytes);
});

test('error utilities of the library', () => {
    const refused = -os.constants.errno.ECONNREFUSED;
    assert.equal(polysock.errname(refused), 'ECONNREFUSED');
    assert.equal(polysock.errno(refused), os.constants.errno.ECONNREFUSED);
    assert.equal(polysock.errclass_name(polysock.errclass(refused)), 'os');
    assert.match(polysock.strerror(refused), /refused/i);
    const errors = generated.errors;
    assert.equal(polysock.errname(errors.ETIMEOUT), 'ETIMEDOUT');
});
