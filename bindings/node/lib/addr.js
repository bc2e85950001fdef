// addr.js - the socket address record (polysock_addr) in JavaScript form,
// which the IDL cannot describe: its shape depends on the family.
//
//   AF_INET    [host, port]
//   AF_INET6   [host, port, flowinfo, scope_id]  (a 3-element array also
//              works; given with 2 elements, the socket's family decides)
//   AF_UNIX    a path string, or a Buffer (a leading NUL byte is a Linux
//              abstract name, which comes back as a Buffer)
//   AF_NETLINK [pid, groups]
//
// The generated layer calls encode(value, scratch, argName), which fills a
// record buffer, decode(buffer, offset), and mayBlock(value): whether the
// address holds a host name the core would resolve (the Promise API then
// makes the first attempt on libuv's pool instead of the main thread).
'use strict';

const net = require('net');

module.exports = function makeAddrCodec(layout, constants, conv) {
    const F = layout.fields;
    const SIZE = layout.size;
    const O_PORT = F.port[0], O_FAMILY = F.family[0], O_FLOW = F.flowinfo[0];
    const O_SCOPE = F.scope_id[0], O_PID = F.pid[0], O_GROUPS = F.groups[0];
    const O_HOSTLEN = F.host_len[0], O_HOST = F.host[0], HOST_MAX = F.host[2];
    const AF_INET = constants.AF_INET, AF_INET6 = constants.AF_INET6;
    const AF_UNIX = constants.AF_UNIX, AF_NETLINK = constants.AF_NETLINK;
    const { toI64, toU32, argType } = conv;

    function header(b, family, port) {
        if (typeof port === 'number' && port >= 0 && port <= 0xffffffff) {
            b.writeUInt32LE(port, O_PORT);
            b.writeUInt32LE(0, O_PORT + 4);
        } else {
            b.writeBigInt64LE(BigInt(port), O_PORT);
        }
        b.writeInt32LE(family, O_FAMILY);
        b.writeUInt32LE(0, O_FLOW);
        b.writeUInt32LE(0, O_SCOPE);
        b.writeUInt32LE(0, O_PID);
        b.writeUInt32LE(0, O_GROUPS);
    }

    // host bytes into the record; more than the record holds is cut to
    // HOST_MAX bytes, which every family refuses as too long.
    function putHost(b, host) {
        let n;
        if (typeof host === 'string') {
            n = b.write(host, O_HOST, HOST_MAX, 'utf8');
            if (n === HOST_MAX || Buffer.byteLength(host) > HOST_MAX) n = HOST_MAX;
        } else {
            n = Math.min(host.length, HOST_MAX);
            host.copy(b, O_HOST, 0, n);
        }
        if (n < HOST_MAX) b[O_HOST + n] = 0;
        b.writeUInt32LE(n, O_HOSTLEN);
    }

    function encode(v, b, name) {
        if (Array.isArray(v)) {
            const n = v.length;
            const host = v[0];
            if (n === 2 && typeof host !== 'string') {
                if (typeof host !== 'number' && typeof host !== 'bigint')
                    throw argType(name + '[0]', 'a host string (or a netlink pid)', host);
                header(b, AF_NETLINK, 0);
                b.writeUInt32LE(toU32(host, 'pid'), O_PID);
                b.writeUInt32LE(toU32(v[1], 'groups'), O_GROUPS);
                b.writeUInt32LE(0, O_HOSTLEN);
                b[O_HOST] = 0;
                return b;
            }
            if (n < 2 || n > 4)
                throw argType(name, '[host, port] or [host, port, flowinfo, scope_id]', v);
            if (typeof host !== 'string')
                throw argType(name + '[0]', 'a host string', host);
            const port = toI64(v[1], 'port');
            header(b, n === 2 ? 0 : AF_INET6, port);
            if (n > 2) {
                b.writeUInt32LE(toU32(v[2], 'flowinfo'), O_FLOW);
                if (n > 3) b.writeUInt32LE(toU32(v[3], 'scope_id'), O_SCOPE);
            }
            putHost(b, host);
            return b;
        }
        if (typeof v === 'string' || Buffer.isBuffer(v)) {
            header(b, AF_UNIX, 0);
            putHost(b, v);
            return b;
        }
        if (ArrayBuffer.isView(v)) {
            header(b, AF_UNIX, 0);
            putHost(b, Buffer.from(v.buffer, v.byteOffset, v.byteLength));
            return b;
        }
        throw argType(name, 'an address ([host, port], [host, port, flowinfo, scope_id], ' +
                      'a path or a Buffer)', v);
    }

    function decode(b, o) {
        const family = b.readInt32LE(o + O_FAMILY);
        const hostLen = Math.min(b.readUInt32LE(o + O_HOSTLEN), HOST_MAX);
        if (family === AF_UNIX) {
            if (hostLen > 0 && b[o + O_HOST] === 0)
                return Buffer.from(b.subarray(o + O_HOST, o + O_HOST + hostLen));
            return b.toString('utf8', o + O_HOST, o + O_HOST + hostLen);
        }
        if (family === AF_NETLINK)
            return [b.readUInt32LE(o + O_PID), b.readUInt32LE(o + O_GROUPS)];
        const host = b.toString('utf8', o + O_HOST, o + O_HOST + hostLen);
        const port = b.readUInt32LE(o + O_PORT);
        if (family === AF_INET6)
            return [host, port, b.readUInt32LE(o + O_FLOW), b.readUInt32LE(o + O_SCOPE)];
        return [host, port];
    }

    // A host name (not a numeric address) is resolved by the core, which
    // may wait on DNS.
    function mayBlock(v) {
        if (!Array.isArray(v) || v.length < 2 || typeof v[0] !== 'string') return false;
        const h = v[0];
        if (h === '' || h === '<broadcast>') return false;
        if (net.isIP(h) !== 0) return false;
        const pct = h.indexOf('%');
        return !(pct > 0 && net.isIPv6(h.slice(0, pct)));
    }

    return { encode, decode, mayBlock, size: SIZE, AF_INET, AF_INET6, AF_UNIX };
};
