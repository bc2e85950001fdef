// sugar.js - the members whose JavaScript form is not the C one, so the
// generator cannot derive them: result lists walked into arrays, the two
// forms of getsockopt/setsockopt merged into one call, has_ipv6 and version
// as values.  The generator lists these names (and their typings) in
// gen/backend_node.c; runtime.js checks that this file provides exactly
// them.
'use strict';

module.exports = function sugar(built, rt) {
    const { raw, sync, promises } = built;

    // A getaddrinfo port: a service name, a number or null.
    function service(port) {
        if (port === undefined || port === null) return null;
        if (typeof port === 'string') return port;
        if (typeof port === 'number' || typeof port === 'bigint') {
            if (typeof port === 'number' && !Number.isInteger(port))
                throw rt.argType('port', 'an integer, a string or null', port);
            return String(port);
        }
        throw rt.argType('port', 'of type string, number or null', port);
    }

    function addrinfoList(list) {
        try {
            const n = raw.addrinfo_count(list);
            const out = new Array(n);
            for (let i = 0; i < n; i++) out[i] = raw.addrinfo_get(list, i);
            return out;
        } finally {
            raw.list_free(list);
        }
    }

    function hostEntry(h) {
        try {
            const aliases = [], addrs = [];
            const na = raw.hostent_alias_count(h), nb = raw.hostent_addr_count(h);
            for (let i = 0; i < na; i++) aliases.push(raw.hostent_alias(h, i));
            for (let i = 0; i < nb; i++) addrs.push(raw.hostent_addr(h, i));
            return [raw.hostent_name(h), aliases, addrs];
        } finally {
            raw.list_free(h);
        }
    }

    const version = raw.version();
    const hasIPv6 = raw.has_ipv6() !== 0;

    function isIntOption(value) {
        return typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint';
    }

    const genAddrinfo = promises.getaddrinfo;
    const genHostByName = promises.gethostbyname_ex;
    const genHostByAddr = promises.gethostbyaddr;

    return {
        sync: {
            module: {
                version,
                has_ipv6: hasIPv6,
                getaddrinfo(host, port, family, socktype, proto, flags) {
                    return addrinfoList(raw.getaddrinfo(host, service(port), family, socktype, proto, flags));
                },
                gethostbyname_ex(name) {
                    return hostEntry(raw.gethostbyname_ex(name));
                },
                gethostbyaddr(ip) {
                    return hostEntry(raw.gethostbyaddr(ip));
                },
            },
            socket: {
                getsockopt(level, optname, buflen) {
                    if (buflen === undefined || buflen === 0) return this.getsockopt_int(level, optname);
                    return this.getsockopt_buf(level, optname, buflen);
                },
                setsockopt(level, optname, value) {
                    if (isIntOption(value)) return this.setsockopt_int(level, optname, value);
                    return this.setsockopt_buf(level, optname, value);
                },
            },
        },
        promises: {
            module: {
                version,
                has_ipv6: hasIPv6,
                getaddrinfo(host, port, family, socktype, proto, flags) {
                    let p;
                    try {
                        p = service(port);
                    } catch (e) {
                        return Promise.reject(e);
                    }
                    return genAddrinfo(host, p, family, socktype, proto, flags)
                        .then((list) => addrinfoList(list.handle));
                },
                gethostbyname_ex(name) {
                    return genHostByName(name).then((h) => hostEntry(h.handle));
                },
                gethostbyaddr(ip) {
                    return genHostByAddr(ip).then((h) => hostEntry(h.handle));
                },
            },
            socket: {
                getsockopt(level, optname, buflen) {
                    if (buflen === undefined || buflen === 0) return this.getsockopt_int(level, optname);
                    return this.getsockopt_buf(level, optname, buflen);
                },
                setsockopt(level, optname, value) {
                    if (isIntOption(value)) return this.setsockopt_int(level, optname, value);
                    return this.setsockopt_buf(level, optname, value);
                },
            },
        },
    };
};
