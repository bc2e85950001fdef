// Name resolution: getaddrinfo, gethostby*, getnameinfo, getfqdn, services
// and protocols.  Only the loopback names and numeric addresses are used.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const { polysock, throwsCode, ipv6Loopback } = require('./helpers');

const NETDB = fs.existsSync('/etc/services') && fs.existsSync('/etc/protocols');

test('getaddrinfo() returns [family, socktype, proto, canonname, sockaddr] entries', () => {
    const r = polysock.getaddrinfo('127.0.0.1', 80, polysock.AF_INET, polysock.SOCK_STREAM);
    assert.ok(Array.isArray(r) && r.length >= 1);
    assert.deepEqual(r[0], [polysock.AF_INET, polysock.SOCK_STREAM, polysock.IPPROTO_TCP, '', ['127.0.0.1', 80]]);
});

test('getaddrinfo() with a numeric host flag', () => {
    const r = polysock.getaddrinfo('10.1.2.3', '8080', polysock.AF_INET, polysock.SOCK_DGRAM, 0,
                                   polysock.AI_NUMERICHOST);
    assert.equal(r.length, 1);
    assert.deepEqual(r[0][4], ['10.1.2.3', 8080]);
    assert.equal(r[0][1], polysock.SOCK_DGRAM);
});

test('getaddrinfo() without a host and AI_PASSIVE is the any address', () => {
    const r = polysock.getaddrinfo(null, 80, polysock.AF_INET, polysock.SOCK_STREAM, 0, polysock.AI_PASSIVE);
    assert.deepEqual(r[0][4], ['0.0.0.0', 80]);
});

test('getaddrinfo() without a host is the loopback address', () => {
    const r = polysock.getaddrinfo(null, 80, polysock.AF_INET, polysock.SOCK_STREAM);
    assert.deepEqual(r[0][4], ['127.0.0.1', 80]);
});

test('getaddrinfo() with AI_CANONNAME', () => {
    const r = polysock.getaddrinfo('127.0.0.1', null, polysock.AF_INET, polysock.SOCK_STREAM, 0,
                                   polysock.AI_CANONNAME);
    assert.equal(r[0][3], '127.0.0.1');
});

test('getaddrinfo() of an IPv6 address gives four-element addresses', { skip: !polysock.has_ipv6 && 'no IPv6' }, () => {
    const r = polysock.getaddrinfo('::1', 443, polysock.AF_INET6, polysock.SOCK_STREAM);
    assert.deepEqual(r[0][4], ['::1', 443, 0, 0]);
    assert.equal(r[0][0], polysock.AF_INET6);
});

test('getaddrinfo() of a service name', { skip: !NETDB && 'no /etc/services' }, () => {
    const r = polysock.getaddrinfo('127.0.0.1', 'http', polysock.AF_INET, polysock.SOCK_STREAM);
    assert.equal(r[0][4][1], 80);
});

test('getaddrinfo() of a port as a numeric string', () => {
    const r = polysock.getaddrinfo('127.0.0.1', '8081', polysock.AF_INET, polysock.SOCK_STREAM);
    assert.equal(r[0][4][1], 8081);
});

test('getaddrinfo() of an unknown service is EAI_SERVICE', () => {
    throwsCode(() => polysock.getaddrinfo('127.0.0.1', 'polysock-no-such-service', polysock.AF_INET,
                                          polysock.SOCK_STREAM), Error, 'EAI_SERVICE');
});

test('getaddrinfo() refuses a port that is neither a string nor a number', () => {
    throwsCode(() => polysock.getaddrinfo('127.0.0.1', {}), TypeError);
    throwsCode(() => polysock.getaddrinfo('127.0.0.1', 1.5), TypeError);
});

test('getaddrinfo() frees its result list', () => {
    const before = polysock.get_stats();
    for (let i = 0; i < 50; i++) polysock.getaddrinfo('127.0.0.1', 80);
    const after = polysock.get_stats();
    assert.equal(after.live_handles, before.live_handles);
    assert.equal(after.live_bytes, before.live_bytes);
});

test('gethostbyname() gives IPv4 text', () => {
    assert.equal(polysock.gethostbyname('127.0.0.1'), '127.0.0.1');
    assert.equal(polysock.gethostbyname('localhost'), '127.0.0.1');
    assert.equal(polysock.gethostbyname(''), '0.0.0.0');
});

test('gethostbyname() of an unknown name is an EAI_ error', () => {
    const e = throwsCode(() => polysock.gethostbyname('polysock-node.invalid'), Error);
    assert.match(e.code, /^EAI_/);
});

test('gethostbyname_ex() gives [name, aliases, addresses]', () => {
    const [name, aliases, addrs] = polysock.gethostbyname_ex('localhost');
    assert.equal(typeof name, 'string');
    assert.ok(Array.isArray(aliases));
    assert.ok(addrs.includes('127.0.0.1'), String(addrs));
});

test('gethostbyaddr() of the loopback address', () => {
    const [name, aliases, addrs] = polysock.gethostbyaddr('127.0.0.1');
    assert.equal(typeof name, 'string');
    assert.ok(name.length > 0);
    assert.ok(Array.isArray(aliases));
    assert.ok(addrs.includes('127.0.0.1'));
});

test('getfqdn() of this host and of an address', () => {
    assert.equal(typeof polysock.getfqdn(), 'string');
    assert.ok(polysock.getfqdn().length > 0);
    assert.equal(polysock.getfqdn(''), polysock.getfqdn());
    assert.equal(polysock.getfqdn('polysock-node.invalid'), 'polysock-node.invalid');
});

test('gethostname() matches os.hostname()', () => {
    assert.equal(polysock.gethostname(), os.hostname());
});

test('getnameinfo() with numeric flags', () => {
    assert.deepEqual(polysock.getnameinfo(['127.0.0.1', 8080], polysock.NI_NUMERICHOST | polysock.NI_NUMERICSERV),
                     ['127.0.0.1', '8080']);
});

test('getnameinfo() with names', { skip: !NETDB && 'no /etc/services' }, () => {
    const [host, service] = polysock.getnameinfo(['127.0.0.1', 80], 0);
    assert.equal(typeof host, 'string');
    assert.equal(service, 'http');
});

test('getnameinfo() of an IPv6 address', { skip: !polysock.has_ipv6 && 'no IPv6' }, () => {
    assert.deepEqual(polysock.getnameinfo(['::1', 80, 0, 0], polysock.NI_NUMERICHOST | polysock.NI_NUMERICSERV),
                     ['::1', '80']);
});

test('getnameinfo() needs an address array', () => {
    throwsCode(() => polysock.getnameinfo(null, 0), TypeError);
    throwsCode(() => polysock.getnameinfo('127.0.0.1', 0), Error);
});

test('IPv6 scope syntax resolves to the interface index', { skip: !ipv6Loopback() && 'no IPv6 loopback' }, () => {
    const r = polysock.getaddrinfo('fe80::1%lo', 80, polysock.AF_INET6, polysock.SOCK_STREAM, 0,
                                   polysock.AI_NUMERICHOST);
    const lo = os.networkInterfaces().lo;
    assert.equal(r[0][4][0].split('%')[0], 'fe80::1');
    assert.ok(r[0][4][3] > 0);
    if (lo && lo[0] && lo[0].scopeid !== undefined && lo.some((i) => i.family === 'IPv6' && i.scopeid))
        assert.equal(r[0][4][3], lo.find((i) => i.family === 'IPv6').scopeid);
});

test('getprotobyname()', { skip: !NETDB && 'no /etc/protocols' }, () => {
    assert.equal(polysock.getprotobyname('tcp'), polysock.IPPROTO_TCP);
    assert.equal(polysock.getprotobyname('udp'), polysock.IPPROTO_UDP);
});

test('getprotobyname() of an unknown protocol is an Error without errno', () => {
    const e = throwsCode(() => polysock.getprotobyname('polysock-no-such-proto'), Error);
    assert.equal(e.errno, undefined);
    assert.equal(e.syscall, 'getprotobyname');
});

test('getservbyname()', { skip: !NETDB && 'no /etc/services' }, () => {
    assert.equal(polysock.getservbyname('http', 'tcp'), 80);
    assert.equal(polysock.getservbyname('http'), 80);
    assert.equal(polysock.getservbyname('http', null), 80);
});

test('getservbyname() of an unknown service is an Error', () => {
    throwsCode(() => polysock.getservbyname('polysock-no-such-service', 'tcp'), Error);
});

test('getservbyport()', { skip: !NETDB && 'no /etc/services' }, () => {
    assert.equal(polysock.getservbyport(80), 'http');
    assert.equal(polysock.getservbyport(80, 'tcp'), 'http');
});

test('getservbyport() out of range is RangeError', () => {
    throwsCode(() => polysock.getservbyport(65536), RangeError);
    throwsCode(() => polysock.getservbyport(-1), RangeError);
});
