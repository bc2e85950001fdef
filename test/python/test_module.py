"""Module level: identity, version, constants, byte order, inet_*, exceptions."""

import ctypes
import errno
import os
import re
import socket as stdlib_socket
import sys

import pytest

from helpers import polysock

CONSTANT_PREFIXES = ("AF_", "SOCK_", "SO_", "MSG_", "SOL_", "IPPROTO_",
                     "IPPORT_", "INADDR_", "IP_", "IPV6_", "EAI_", "AI_",
                     "NI_", "TCP_", "SHUT_")

# Names the reference documents (or uses in its examples), which every Linux
# build must therefore provide.
REQUIRED_CONSTANTS = (
    "AF_INET", "AF_INET6", "AF_UNIX", "AF_UNSPEC",
    "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_SEQPACKET",
    "SO_REUSEADDR", "SO_KEEPALIVE", "SO_BROADCAST", "SO_LINGER", "SO_TYPE",
    "SO_ERROR", "SO_RCVBUF", "SO_SNDBUF", "SOMAXCONN",
    "MSG_PEEK", "MSG_OOB", "MSG_WAITALL", "MSG_DONTWAIT",
    "SOL_SOCKET", "IPPROTO_TCP", "IPPROTO_UDP", "IPPROTO_IP", "IPPROTO_IPV6",
    "IPPORT_RESERVED", "INADDR_ANY", "INADDR_LOOPBACK", "INADDR_BROADCAST",
    "IP_TTL", "IP_MULTICAST_TTL", "IPV6_V6ONLY",
    "EAI_NONAME", "EAI_AGAIN", "EAI_FAMILY", "EAI_SERVICE",
    "AI_PASSIVE", "AI_CANONNAME", "AI_NUMERICHOST",
    "NI_NUMERICHOST", "NI_NUMERICSERV", "NI_NAMEREQD",
    "TCP_NODELAY", "SHUT_RD", "SHUT_WR", "SHUT_RDWR",
)

LITTLE_ENDIAN = sys.byteorder == "little"


def constant_names(module):
    return {name for name in dir(module)
            if name.startswith(CONSTANT_PREFIXES) or name == "SOMAXCONN"}


# ---------------------------------------------------------------- identity

@pytest.mark.polysock_only
def test_module_reports_its_version_mode_and_library():
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", polysock.__version__)
    assert polysock.mode in ("api", "abi")
    wanted = os.environ.get("POLYSOCK_PYTHON_MODE")
    if wanted:
        assert polysock.mode == wanted, "asked for %s mode" % wanted


@pytest.mark.polysock_only
def test_library_version_is_the_loaded_librarys():
    path = os.environ.get("POLYSOCK_LIBRARY")
    if not path:
        pytest.skip("POLYSOCK_LIBRARY not set: cannot read the library "
                    "directly to compare")
    lib = ctypes.CDLL(path)
    lib.polysock_version.restype = ctypes.c_char_p
    assert polysock.library_version == lib.polysock_version().decode()


def test_socket_objects_are_sockettype():
    with polysock.socket() as s:
        assert isinstance(s, polysock.SocketType)


@pytest.mark.polysock_only
def test_socket_class_is_sockettype_as_in_the_reference():
    # The reference: "SocketType ... is the same as type(socket(...))".
    with polysock.socket() as s:
        assert type(s) is polysock.SocketType


def test_has_ipv6_is_a_bool():
    assert type(polysock.has_ipv6) is bool
    try:
        stdlib_socket.socket(stdlib_socket.AF_INET6).close()
        kernel_has_ipv6 = True
    except OSError:
        kernel_has_ipv6 = False
    assert polysock.has_ipv6 == kernel_has_ipv6


# --------------------------------------------------------------- constants

def test_reference_constants_exist():
    missing = [n for n in REQUIRED_CONSTANTS if not hasattr(polysock, n)]
    assert missing == []


def test_constants_have_the_platform_values():
    shared = constant_names(polysock) & constant_names(stdlib_socket)
    assert len(shared) > 60
    wrong = {name: (getattr(polysock, name), getattr(stdlib_socket, name))
             for name in shared
             if int(getattr(polysock, name)) != int(getattr(stdlib_socket, name))}
    assert wrong == {}


@pytest.mark.parametrize("prefix", CONSTANT_PREFIXES)
def test_every_constant_group_is_present(prefix):
    names = [n for n in constant_names(polysock) if n.startswith(prefix)]
    assert names, "no %s* constant" % prefix
    for name in names:
        assert isinstance(getattr(polysock, name), int), name


def test_well_known_values():
    assert polysock.AF_INET == 2
    assert polysock.SOCK_STREAM == 1
    assert polysock.SOCK_DGRAM == 2
    assert polysock.IPPROTO_TCP == 6
    assert polysock.INADDR_LOOPBACK == 0x7F000001
    assert polysock.SHUT_RDWR == 2


# -------------------------------------------------------------- byte order

@pytest.mark.parametrize("func", ["htons", "ntohs"])
def test_16_bit_conversions(func):
    f = getattr(polysock, func)
    assert f(0) == 0
    assert f(0x0102) == (0x0201 if LITTLE_ENDIAN else 0x0102)
    assert f(65535) == 65535
    assert f(f(0x1234)) == 0x1234


@pytest.mark.parametrize("func", ["htonl", "ntohl"])
def test_32_bit_conversions(func):
    f = getattr(polysock, func)
    assert f(0) == 0
    assert f(0x01020304) == (0x04030201 if LITTLE_ENDIAN else 0x01020304)
    assert f(2**32 - 1) == 2**32 - 1
    assert f(f(0xDEADBEEF)) == 0xDEADBEEF


@pytest.mark.parametrize("func,value", [
    ("htons", -1), ("htons", 65536), ("ntohs", -1), ("ntohs", 65536),
    ("htonl", -1), ("htonl", 2**32), ("ntohl", -1), ("ntohl", 2**32),
])
def test_byte_order_out_of_range_is_overflow(func, value):
    with pytest.raises(OverflowError):
        getattr(polysock, func)(value)


def test_byte_order_refuses_non_integers():
    with pytest.raises(TypeError):
        polysock.htons("1")
    with pytest.raises(TypeError):
        polysock.htonl(1.5)


# ------------------------------------------------------------------- inet

def test_inet_aton_and_ntoa():
    assert polysock.inet_aton("1.2.3.4") == b"\x01\x02\x03\x04"
    assert polysock.inet_aton("127.1") == b"\x7f\x00\x00\x01"  # libc leniency
    assert polysock.inet_ntoa(b"\x7b\x2d\x43\x59") == "123.45.67.89"
    assert type(polysock.inet_aton("1.2.3.4")) is bytes


def test_inet_aton_refuses_garbage_with_oserror():
    with pytest.raises(OSError) as info:
        polysock.inet_aton("1.2.3.4.5")
    assert info.value.errno is None


def test_inet_ntoa_refuses_wrong_length_with_oserror():
    with pytest.raises(OSError):
        polysock.inet_ntoa(b"\x01\x02\x03")


def test_inet_pton_and_ntop_ipv4():
    assert polysock.inet_pton(polysock.AF_INET, "7.10.0.5") == b"\x07\x0a\x00\x05"
    assert polysock.inet_ntop(polysock.AF_INET, b"\x07\x0a\x00\x05") == "7.10.0.5"


def test_inet_pton_and_ntop_ipv6():
    packed = bytes.fromhex("5aef002b000000000000000000000008")
    assert polysock.inet_pton(polysock.AF_INET6, "5aef:2b::8") == packed
    assert polysock.inet_ntop(polysock.AF_INET6, packed) == "5aef:2b::8"
    assert polysock.inet_pton(polysock.AF_INET6, "::1") == b"\0" * 15 + b"\1"
    assert polysock.inet_ntop(polysock.AF_INET6, b"\0" * 16) == "::"


def test_inet_pton_is_strict():
    with pytest.raises(OSError):
        polysock.inet_pton(polysock.AF_INET, "1.2.3")


def test_inet_ntop_wrong_length_is_valueerror():
    with pytest.raises(ValueError):
        polysock.inet_ntop(polysock.AF_INET, b"\x01\x02\x03")
    with pytest.raises(ValueError):
        polysock.inet_ntop(polysock.AF_INET6, b"\x01\x02\x03\x04")


def test_inet_functions_take_bytes_not_str():
    with pytest.raises(TypeError):
        polysock.inet_ntoa("1234")
    with pytest.raises(TypeError):
        polysock.inet_ntop(polysock.AF_INET, "1234")


# --------------------------------------------------------- default timeout

def test_default_timeout_starts_as_none():
    assert polysock.getdefaulttimeout() is None


def test_default_timeout_applies_to_new_sockets():
    polysock.setdefaulttimeout(2.5)
    assert polysock.getdefaulttimeout() == 2.5
    with polysock.socket() as s:
        assert s.gettimeout() == 2.5
    polysock.setdefaulttimeout(None)
    with polysock.socket() as s:
        assert s.gettimeout() is None


def test_default_timeout_zero_makes_nonblocking_sockets():
    polysock.setdefaulttimeout(0)
    with polysock.socket() as s:
        assert s.gettimeout() == 0.0


def test_negative_default_timeout_is_valueerror():
    with pytest.raises(ValueError):
        polysock.setdefaulttimeout(-1)
    with pytest.raises(ValueError):
        polysock.setdefaulttimeout(-0.5)
    assert polysock.getdefaulttimeout() is None


def test_default_timeout_refuses_non_numbers():
    with pytest.raises(TypeError):
        polysock.setdefaulttimeout("1")


# -------------------------------------------------------------- exceptions

def test_error_is_oserror():
    assert polysock.error is OSError


@pytest.mark.parametrize("name", ["herror", "gaierror"])
def test_resolver_errors_derive_from_oserror(name):
    assert issubclass(getattr(polysock, name), OSError)


def test_timeout_is_timeouterror():
    assert issubclass(polysock.timeout, TimeoutError)
    assert issubclass(polysock.timeout, OSError)


def test_gaierror_carries_code_and_message():
    with pytest.raises(polysock.gaierror) as info:
        polysock.getaddrinfo("1.2.3.4.5", None, 0, 0, 0, polysock.AI_NUMERICHOST)
    e = info.value
    assert e.errno == polysock.EAI_NONAME == stdlib_socket.EAI_NONAME
    assert e.args[0] == e.errno
    assert e.strerror == e.args[1]
    # The message is the platform's gai_strerror, as the stdlib shows it.
    with pytest.raises(stdlib_socket.gaierror) as stdlib_info:
        stdlib_socket.getaddrinfo("1.2.3.4.5", None, 0, 0, 0,
                                  stdlib_socket.AI_NUMERICHOST)
    assert e.args == stdlib_info.value.args
    assert str(e) == str(stdlib_info.value)


def test_gaierror_for_an_invalid_name():
    with pytest.raises(polysock.gaierror) as info:
        polysock.getaddrinfo("polysock-tests.invalid", 80)
    # RFC 6761: .invalid never resolves.  Without a reachable resolver
    # glibc may say EAI_AGAIN instead of EAI_NONAME.
    assert info.value.errno in (polysock.EAI_NONAME, polysock.EAI_AGAIN)


@pytest.mark.polysock_only
def test_herror_carries_code_and_message():
    # CPython resolves this with getaddrinfo (gaierror); polysock documents
    # the gethostbyname_r h_errno here (see test/vectors/gethostbyname_ex.json).
    with pytest.raises(polysock.herror) as info:
        polysock.gethostbyname_ex("polysock-tests.invalid")
    e = info.value
    # glibc's hstrerror texts: HOST_NOT_FOUND, or TRY_AGAIN with no resolver.
    messages = {1: "Unknown host", 2: "Host name lookup failure"}
    assert e.errno in messages
    assert e.args == (e.errno, messages[e.errno])
    assert str(e) == "[Errno %d] %s" % (e.errno, messages[e.errno])


def test_os_errors_arrive_as_errno_subclasses(refusing_address):
    with polysock.socket() as s:
        with pytest.raises(ConnectionRefusedError) as info:
            s.connect(refusing_address)
    assert info.value.errno == errno.ECONNREFUSED
    assert info.value.strerror == os.strerror(errno.ECONNREFUSED)
    assert not isinstance(info.value, (polysock.gaierror, polysock.herror))
