"""Exercises polysock's public API for the type checker (not run by pytest).

test/python/check-typings.sh runs mypy --strict over it against
bindings/python/polysock/__init__.pyi: every call below must type-check,
and each annotated assignment pins the type the stub promises.
"""
from typing import Any, Optional

import polysock


def echo_once() -> bytes:
    server = polysock.socket(polysock.AF_INET, polysock.SOCK_STREAM)
    with server:
        server.setsockopt(polysock.SOL_SOCKET, polysock.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.listen(5)
        address: Any = server.getsockname()
        family: int = server.family
        kind: int = server.type
        proto: int = server.proto
        assert (family, kind, proto) is not None
        client = polysock.socket()
        with client:
            client.settimeout(2.0)
            client.settimeout(None)
            timeout: Optional[float] = client.gettimeout()
            assert timeout is None
            blocking: bool = client.getblocking()
            assert blocking
            err: int = client.connect_ex(address)
            assert err == 0
            conn, peer = server.accept()
            with conn:
                sent: int = client.send(b"hello")
                client.sendall(bytearray(b" world"), 0)
                data: bytes = conn.recv(5)
                buf = bytearray(16)
                n: int = conn.recv_into(buf)
                client.send(b"more", 0)
                n += conn.recv_into(memoryview(buf)[n:], 4, 0)
                opt: int = conn.getsockopt(polysock.IPPROTO_TCP,
                                           polysock.TCP_NODELAY)
                raw: bytes = conn.getsockopt(polysock.SOL_SOCKET,
                                             polysock.SO_RCVBUF, 4)
                fd: int = conn.fileno()
                assert sent and opt >= 0 and raw and fd >= 0 and peer
                f = conn.makefile("rb", buffering=0)
                f.close()
                conn.shutdown(polysock.SHUT_RDWR)
            return data + bytes(buf[:n])


def datagrams() -> None:
    a, b = polysock.socketpair(polysock.AF_UNIX, polysock.SOCK_DGRAM)
    with a, b:
        a.send(b"x")
        payload, sender = b.recvfrom(10)
        assert payload  # sender: None for an unnamed AF_UNIX peer
        dup: polysock.SocketType = polysock.fromfd(a.fileno(),
                                                   polysock.AF_UNIX,
                                                   polysock.SOCK_DGRAM)
        dup.close()
    udp = polysock.socket(polysock.AF_INET, polysock.SOCK_DGRAM)
    with udp:
        udp.bind(("127.0.0.1", 0))
        udp.sendto(b"x", udp.getsockname())
        udp.sendto(b"y", 0, udp.getsockname())
        size, sender = udp.recvfrom_into(bytearray(10))
        assert size >= 0 and sender is not None


def module_functions() -> None:
    name: str = polysock.gethostname()
    fqdn: str = polysock.getfqdn()
    ip: str = polysock.gethostbyname("localhost")
    host, aliases, addresses = polysock.gethostbyname_ex("localhost")
    rhost, _, _ = polysock.gethostbyaddr("127.0.0.1")
    for fam, socktype, prot, canon, sockaddr in polysock.getaddrinfo(
            "localhost", 80, polysock.AF_UNSPEC, polysock.SOCK_STREAM):
        assert fam and socktype and prot >= 0 and canon is not None
        assert sockaddr
    nhost, service = polysock.getnameinfo(("127.0.0.1", 80),
                                          polysock.NI_NUMERICHOST)
    port: int = polysock.getservbyname("http", "tcp")
    service_name: str = polysock.getservbyport(80)
    number: int = polysock.getprotobyname("tcp")
    packed: bytes = polysock.inet_aton("127.0.0.1")
    text: str = polysock.inet_ntoa(packed)
    packed6: bytes = polysock.inet_pton(polysock.AF_INET6, "::1")
    text6: str = polysock.inet_ntop(polysock.AF_INET6, packed6)
    swapped: int = polysock.htonl(1) + polysock.htons(1)
    swapped += polysock.ntohl(1) + polysock.ntohs(1)
    polysock.setdefaulttimeout(1.5)
    polysock.setdefaulttimeout(None)
    default: Optional[float] = polysock.getdefaulttimeout()
    ipv6: bool = polysock.has_ipv6
    version: str = polysock.__version__
    # Any platform constant of the IDL's groups, named or not.
    keepidle: int = polysock.TCP_KEEPIDLE
    print(name, fqdn, ip, host, aliases, addresses, rhost, nhost, service,
          port, service_name, number, text, text6, swapped, default, ipv6,
          version, keepidle)


def errors() -> None:
    try:
        polysock.gethostbyname("nonexistent.invalid")
    except polysock.gaierror as e:
        code: Any = e.args[0]
        assert code
    except polysock.herror:
        pass
    except polysock.timeout:
        pass
    except polysock.error as e:
        errno: Optional[int] = e.errno
        assert errno
    assert issubclass(polysock.gaierror, OSError)
    assert polysock.error is OSError


def tls(sock: polysock.socket) -> None:
    with polysock.ssl(sock, cafile="ca.pem", server_hostname="localhost",
                      alpn_protocols=["h2"]) as conn:
        sent: int = conn.write(b"GET / HTTP/1.0\r\n\r\n")
        data: bytes = conn.read(1024)
        line: Optional[str] = conn.server()
        name = conn.peer_subject()
        if name is not None:
            attribute: str = name[0][0][0]
            assert attribute
        der: Optional[bytes] = conn.getpeercert(binary_form=True)
        assert sent and data and line and der
    try:
        polysock.ssl(sock)
    except polysock.SSLCertVerificationError as e:
        verify_code: int = e.verify_code
        assert verify_code
    except polysock.sslerror as e:
        reason: Optional[str] = e.reason
        assert reason
