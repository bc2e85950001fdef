"""Name and service lookups.  Only local sources (/etc/hosts, /etc/services,
/etc/protocols, numeric addresses) are used, and Python's own socket module
is the oracle where both answer from the same files."""

import os
import socket as stdlib_socket

import pytest

from helpers import ipv6_loopback_usable, polysock

NETDB = os.path.exists("/etc/services") and os.path.exists("/etc/protocols")
needs_netdb = pytest.mark.skipif(not NETDB, reason="no /etc/services or /etc/protocols")
NUMERIC = polysock.NI_NUMERICHOST | polysock.NI_NUMERICSERV


# ------------------------------------------------------------- getaddrinfo

def test_getaddrinfo_returns_five_tuples():
    result = polysock.getaddrinfo("127.0.0.1", 80, polysock.AF_INET,
                                  polysock.SOCK_STREAM)
    assert isinstance(result, list)
    assert result == [(polysock.AF_INET, polysock.SOCK_STREAM,
                       polysock.IPPROTO_TCP, "", ("127.0.0.1", 80))]


def test_getaddrinfo_keyword_arguments_and_numeric_flag():
    result = polysock.getaddrinfo(host="10.1.2.3", port=443, family=polysock.AF_INET,
                                  type=polysock.SOCK_DGRAM, proto=0,
                                  flags=polysock.AI_NUMERICHOST)
    assert [r[4] for r in result] == [("10.1.2.3", 443)]
    assert [r[1] for r in result] == [polysock.SOCK_DGRAM]


def test_getaddrinfo_passive_without_host_is_the_any_address():
    result = polysock.getaddrinfo(None, 8080, polysock.AF_INET,
                                  polysock.SOCK_STREAM, 0, polysock.AI_PASSIVE)
    assert [r[4] for r in result] == [("0.0.0.0", 8080)]


def test_getaddrinfo_without_host_is_loopback():
    result = polysock.getaddrinfo(None, 8080, polysock.AF_INET, polysock.SOCK_STREAM)
    assert [r[4] for r in result] == [("127.0.0.1", 8080)]


def test_getaddrinfo_canonname():
    result = polysock.getaddrinfo("localhost", None, polysock.AF_INET,
                                  polysock.SOCK_STREAM, 0, polysock.AI_CANONNAME)
    expected = stdlib_socket.getaddrinfo("localhost", None, stdlib_socket.AF_INET,
                                         stdlib_socket.SOCK_STREAM, 0,
                                         stdlib_socket.AI_CANONNAME)
    assert result[0][3] == expected[0][3] != ""


def test_getaddrinfo_ipv6_tuple():
    result = polysock.getaddrinfo("::1", 80, polysock.AF_INET6,
                                  polysock.SOCK_STREAM, 0, polysock.AI_NUMERICHOST)
    assert [r[4] for r in result] == [("::1", 80, 0, 0)]
    assert result[0][0] == polysock.AF_INET6


@needs_netdb
def test_getaddrinfo_service_name():
    result = polysock.getaddrinfo("127.0.0.1", "http", polysock.AF_INET,
                                  polysock.SOCK_STREAM)
    assert [r[4] for r in result] == [("127.0.0.1", 80)]


def test_getaddrinfo_port_as_numeric_string():
    result = polysock.getaddrinfo("127.0.0.1", "8080", polysock.AF_INET,
                                  polysock.SOCK_STREAM)
    assert [r[4] for r in result] == [("127.0.0.1", 8080)]


def test_getaddrinfo_unknown_service_is_gaierror():
    with pytest.raises(polysock.gaierror) as info:
        polysock.getaddrinfo("127.0.0.1", "polysock-no-such-service",
                             polysock.AF_INET, polysock.SOCK_STREAM)
    assert info.value.errno == polysock.EAI_SERVICE


# ------------------------------------------------------------ gethostby*

def test_gethostname_matches_the_system():
    assert polysock.gethostname() == stdlib_socket.gethostname() == os.uname().nodename


def test_gethostbyname():
    assert polysock.gethostbyname("127.0.0.1") == "127.0.0.1"
    assert polysock.gethostbyname("localhost") == "127.0.0.1"
    assert polysock.gethostbyname("") == "0.0.0.0"
    assert polysock.gethostbyname("<broadcast>") == "255.255.255.255"


def test_gethostbyname_unknown_name_is_gaierror():
    with pytest.raises(polysock.gaierror):
        polysock.gethostbyname("polysock-tests.invalid")


def test_gethostbyname_ex():
    name, aliases, addrs = polysock.gethostbyname_ex("localhost")
    assert (name, aliases, addrs) == stdlib_socket.gethostbyname_ex("localhost")
    assert "127.0.0.1" in addrs
    assert isinstance(aliases, list) and isinstance(addrs, list)


def test_gethostbyaddr():
    name, aliases, addrs = polysock.gethostbyaddr("127.0.0.1")
    assert (name, aliases, addrs) == stdlib_socket.gethostbyaddr("127.0.0.1")
    assert addrs == ["127.0.0.1"]
    assert isinstance(name, str) and name


def test_getfqdn():
    assert polysock.getfqdn("localhost") == stdlib_socket.getfqdn("localhost")
    assert polysock.getfqdn() == stdlib_socket.getfqdn()
    assert polysock.getfqdn("") == stdlib_socket.getfqdn("")


def test_getfqdn_of_an_unknown_name_is_the_name():
    assert polysock.getfqdn("polysock-tests.invalid") == "polysock-tests.invalid"


# ------------------------------------------------------------- getnameinfo

def test_getnameinfo_numeric():
    assert polysock.getnameinfo(("127.0.0.1", 80), NUMERIC) == ("127.0.0.1", "80")


def test_getnameinfo_names():
    assert (polysock.getnameinfo(("127.0.0.1", 80), 0)
            == stdlib_socket.getnameinfo(("127.0.0.1", 80), 0))


def test_getnameinfo_ipv6():
    assert polysock.getnameinfo(("::1", 8080, 0, 0), NUMERIC) == ("::1", "8080")
    assert polysock.getnameinfo(("::1", 8080), NUMERIC) == ("::1", "8080")


def test_getnameinfo_needs_a_tuple():
    with pytest.raises(TypeError):
        polysock.getnameinfo("127.0.0.1", NUMERIC)


def test_ipv6_scope_syntax_resolves_to_the_interface_index():
    with open("/sys/class/net/lo/ifindex") as f:  # PyPy 3.9 lacks if_nametoindex
        index = int(f.read())
    result = polysock.getaddrinfo("fe80::1%lo", 80, polysock.AF_INET6,
                                  polysock.SOCK_STREAM, 0, polysock.AI_NUMERICHOST)
    assert len(result) == 1
    host, port, flowinfo, scope_id = result[0][4]
    assert host in ("fe80::1", "fe80::1%lo")
    assert (port, flowinfo, scope_id) == (80, 0, index)
    assert (polysock.getnameinfo(("fe80::1", 80, 0, index), NUMERIC)
            == ("fe80::1%lo", "80"))


# ------------------------------------------------------- services, protos

@needs_netdb
def test_getprotobyname():
    assert polysock.getprotobyname("tcp") == 6
    assert polysock.getprotobyname("udp") == 17
    assert polysock.getprotobyname("icmp") == stdlib_socket.getprotobyname("icmp")


def test_getprotobyname_unknown_is_oserror():
    with pytest.raises(OSError) as info:
        polysock.getprotobyname("polysock-no-such-proto")
    assert info.value.errno is None


@needs_netdb
def test_getservbyname():
    assert polysock.getservbyname("http", "tcp") == 80
    assert polysock.getservbyname("http") == 80
    assert polysock.getservbyname("domain", "udp") == 53


def test_getservbyname_unknown_is_oserror():
    with pytest.raises(OSError) as info:
        polysock.getservbyname("polysock-no-such-service", "tcp")
    assert info.value.errno is None


@needs_netdb
def test_getservbyport():
    assert polysock.getservbyport(80, "tcp") == "http"
    assert polysock.getservbyport(80) == "http"
    assert polysock.getservbyport(53, "udp") == "domain"


@pytest.mark.parametrize("port", [-1, 65536])
def test_getservbyport_out_of_range_is_overflow(port):
    with pytest.raises(OverflowError):
        polysock.getservbyport(port, "tcp")


def test_ipv6_loopback_lookup_matches_stdlib():
    if not ipv6_loopback_usable():
        pytest.skip("no IPv6 loopback here")
    assert (polysock.getaddrinfo("::1", 9, polysock.AF_INET6, polysock.SOCK_DGRAM)
            == [tuple(int(x) if i < 3 else x for i, x in enumerate(r))
                for r in stdlib_socket.getaddrinfo("::1", 9, stdlib_socket.AF_INET6,
                                                   stdlib_socket.SOCK_DGRAM)])
