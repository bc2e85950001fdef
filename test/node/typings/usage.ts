// A small program that uses the typings of polysock and polysock/promises;
// `tsc --noEmit -p test/node/typings` checks it (test/node/check-typings.sh).
import polysock = require('polysock');
import { socket, socketpair, Socket } from 'polysock';
import promises = require('polysock/promises');

// The synchronous API.
const s: Socket = socket(polysock.AF_INET, polysock.SOCK_STREAM);
s.bind(['127.0.0.1', 0]);
s.listen(1);
const where: polysock.Address = s.getsockname();
const c = polysock.socket();
c.connect(where);
const [conn, peer]: [polysock.Socket, polysock.Address] = s.accept();
const sent: number = c.send('Hello, world');
c.sendall(Buffer.from('more'));
c.sendto(new Uint8Array(3), 0, where);
c.sendto(new Uint8Array(3), where);
const data: Buffer = conn.recv(1024);
const [d2, from]: [Buffer, polysock.Address] = conn.recvfrom(1024, polysock.MSG_PEEK);
const into = Buffer.alloc(1024);
const nInto: number = conn.recv_into(into);
conn.recv_into(into.subarray(8), 16, polysock.MSG_PEEK);
conn.recv_into(new Uint16Array(8));
const [nFrom, fromInto]: [number, polysock.Address] = conn.recvfrom_into(new DataView(new ArrayBuffer(8)), 4);
const nRaw: number = polysock.raw.recv_into(conn.handle, into, 0, 0);
const t: number | null = c.gettimeout();
c.settimeout(null);
c.settimeout(2.5);
c.setblocking(true);
const reuse: number = s.getsockopt(polysock.SOL_SOCKET, polysock.SO_REUSEADDR);
const raw: Buffer = s.getsockopt(polysock.SOL_SOCKET, polysock.SO_TYPE, 4);
s.setsockopt(polysock.SOL_SOCKET, polysock.SO_REUSEADDR, 1);
s.setsockopt(polysock.SOL_SOCKET, polysock.SO_REUSEADDR, true);
const fd: number = s.fileno();
const [a, b] = socketpair();
a.close();
b.close();
const infos: polysock.AddrinfoEntry[] = polysock.getaddrinfo('localhost', 80, polysock.AF_INET);
const [family, socktype, proto, canon, sa] = infos[0];
const host: polysock.HostEntry = polysock.gethostbyname_ex('localhost');
const names: [string, string] = polysock.getnameinfo(['127.0.0.1', 80], polysock.NI_NUMERICHOST);
const packed: Buffer = polysock.inet_pton(polysock.AF_INET6, '::1');
const text: string = polysock.inet_ntop(polysock.AF_INET6, packed);
const port: number = polysock.htons(80);
const dflt: number | null = polysock.getdefaulttimeout();
polysock.setdefaulttimeout(null);
const v6: boolean = polysock.has_ipv6;
const version: string = polysock.version;
const ffi: 'koffi' | 'ffi-napi' = polysock.ffi;
const stats: polysock.Stats = polysock.get_stats();
const live: number | bigint = stats.live_sockets;
const handle: number = polysock.raw.socket(polysock.AF_INET, polysock.SOCK_STREAM, 0);
polysock.raw.close(handle);
const p: polysock.Poller = polysock.poller_new();
p.add(c, polysock.POLYSOCK_POLLIN);
const events: polysock.Event[] = p.wait(16, 0);
p.close();
try {
    c.connect(['127.0.0.1', 1]);
} catch (e) {
    const err = e as polysock.PolysockError;
    const code: string = err.code;
    const errno: number | undefined = err.errno;
    console.log(code, errno, err.syscall);
}
conn.close();
c.close();
s.close();

// The Promise API.
async function main(): Promise<void> {
    const srv: promises.Socket = await promises.socket(promises.AF_INET, promises.SOCK_STREAM);
    await srv.bind(['127.0.0.1', 0]);
    await srv.listen();
    const accepting: Promise<[promises.Socket, promises.Address]> = srv.accept();
    const cli = await promises.socket();
    await cli.connect(await srv.getsockname());
    const [pc, paddr] = await accepting;
    await cli.sendall('Hello, world');
    const got: Buffer = await pc.recv(1024);
    const gotInto: number = await pc.recv_into(new Uint8Array(64), 32);
    const [nFromP, fromP]: [number, promises.Address] = await pc.recvfrom_into(Buffer.alloc(64));
    const to: number | null = await pc.gettimeout();
    await pc.settimeout(1.5);
    const list: promises.AddrinfoEntry[] = await promises.getaddrinfo('localhost', null);
    const opt: number = await pc.getsockopt(promises.SOL_SOCKET, promises.SO_KEEPALIVE);
    await Promise.all([pc.close(), cli.close(), srv.close()]);
    console.log(paddr, got, gotInto, nFromP, fromP, to, list, opt);
}

// @ts-expect-error: recv needs its bufsize
conn.recv();
// @ts-expect-error: recv_into needs a buffer to write into, not a string
conn.recv_into('text');
// @ts-expect-error: the Promise API's recv_into resolves to a number
const notCount: number = promises.socket().then((ps) => ps.recv_into(Buffer.alloc(1)));
// @ts-expect-error: no such function
polysock.nosuch();
// @ts-expect-error: the Promise API returns Promises
const notSync: Socket = promises.socket();

console.log(sent, data, d2, from, nInto, nFrom, fromInto, nRaw, notCount, t, reuse, raw, fd, family, socktype, proto, canon, sa,
            host, names, text, port, dflt, v6, version, ffi, live, events, peer, notSync, main);

// TLS, both APIs.
function tls(sock: Socket): void {
    const conn: polysock.SSLObject = polysock.ssl(sock, { cafile: 'ca.pem', alpnProtocols: ['h2'] });
    const n: number = conn.write('GET / HTTP/1.0\r\n\r\n');
    const reply: Buffer = conn.read(1024);
    const subject: polysock.DistinguishedName | null = conn.peerSubject();
    const line: string | null = conn.server();
    conn.close();
    const ref = polysock.ssl(sock, null, 'cert.pem', { serverSide: true });
    ref.close();
    console.log(n, reply, subject, line);
}
async function tlsPromises(sock: promises.Socket): Promise<void> {
    const conn = await promises.ssl(sock, { serverHostname: 'localhost' });
    const reply: Buffer = await conn.read(1024);
    await conn.close();
    // @ts-expect-error: verify is a boolean
    polysock.ssl(sock as unknown as Socket, { verify: 'yes' });
    console.log(reply);
}
console.log(tls, tlsPromises);
