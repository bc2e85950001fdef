"""The peer certificate's names: server()/issuer() (one line, for
display), subject_rfc4514()/issuer_rfc4514(), and the structured
peer_subject()/peer_issuer() parsed from the core's FIELDS records; for
the plain certificate, one with every awkward character (odd.pem: '/',
',', '+', '=', NUL, UTF-8, a multi-valued RDN) and one whose one-line form
is longer than 512 bytes (long.pem)."""

import ast
import os
import re

import pytest

from helpers import TLS_FIXTURES, polysock

pytestmark = pytest.mark.polysock_only

# The subjects make-certs.sh gives its certificates.
GOOD_SUBJECT = ((("countryName", "US"),), (("stateOrProvinceName", "California"),),
                (("localityName", "Mountain View"),),
                (("organizationName", "polysock test"),),
                (("commonName", "localhost"),))
CA_SUBJECT = ((("countryName", "US"),), (("organizationName", "polysock test"),),
              (("commonName", "polysock test CA"),))
CA_ONELINE = "/C=US/O=polysock test/CN=polysock test CA"
CA_RFC4514 = "CN=polysock test CA,O=polysock test,C=US"
LONG_OUS = ["organizational unit %02d of a subject longer than 512 bytes" % i
            for i in range(1, 11)]


def odd_subject():
    """odd.pem's subject from test/tls/odd-subject.h, the table its maker
    (mkcert-odd.c) writes it from: one source for every suite."""
    with open(os.path.join(TLS_FIXTURES, "odd-subject.h")) as f:
        text = f.read()
    rows = re.findall(r'\{(\d+), "\w+", "(\w+)", ODD_BYTES\(("(?:[^"\\]|\\.)*")\)\}',
                      text)
    assert len(rows) == 6, "odd-subject.h changed shape: %r" % rows
    rdns = {}
    for rdn, long_name, literal in rows:
        # A C string literal of \x and \0 escapes reads the same in Python.
        value = ast.literal_eval("b" + literal).decode("utf-8")
        rdns.setdefault(int(rdn), []).append((long_name, value))
    return tuple(tuple(rdns[i]) for i in sorted(rdns))


@pytest.fixture
def conn_with(socks, peer, certs):
    """conn_with(NAME): a verified connection to an echo peer presenting
    make-certs.sh's certificate NAME."""
    def connect(name):
        server = peer("echo", "--cert", name)
        sock = socks.socket()
        sock.settimeout(10.0)
        sock.connect(("localhost", server.port))
        return polysock.ssl(sock, cafile=os.path.join(certs, "ca.pem"))
    return connect


def test_plain_subject_in_every_form(conn_with):
    with conn_with("good") as conn:
        assert conn.server() == ("/C=US/ST=California/L=Mountain View/"
                                 "O=polysock test/CN=localhost")
        assert conn.subject_rfc4514() == ("CN=localhost,O=polysock test,"
                                          "L=Mountain View,ST=California,C=US")
        assert conn.peer_subject() == GOOD_SUBJECT


def test_issuer_in_every_form(conn_with):
    with conn_with("good") as conn:
        assert conn.issuer() == CA_ONELINE
        assert conn.issuer_rfc4514() == CA_RFC4514
        assert conn.peer_issuer() == CA_SUBJECT


def test_odd_subject_keeps_every_character_in_structured_form(conn_with):
    with conn_with("odd") as conn:
        subject = conn.peer_subject()
    assert subject == odd_subject()
    common_name = subject[-1][0][1]
    assert common_name == "localhost\0/odd, name+x"
    assert subject[2] == (("localityName", "multi"),
                          ("organizationalUnitName", "a+b=c"))


def test_odd_subject_one_line_and_rfc4514_forms(conn_with):
    with conn_with("odd") as conn:
        # One line: every value as it is (UTF-8, the NUL too), which is
        # why it is for display only.
        assert conn.server() == ("/C=US/O=polysock/test, Inc./L=multi"
                                 "/OU=a+b=c/ST=Z\u00fcrich"
                                 "/CN=localhost\0/odd, name+x")
        # RFC 4514: last RDN first, '+' inside the multi-valued one,
        # ',' '+' escaped with a backslash and NUL as \00; UTF-8 kept.
        assert conn.subject_rfc4514() == (
            "CN=localhost\\00/odd\\, name\\+x,ST=Z\u00fcrich,"
            "OU=a\\+b=c+L=multi,O=polysock/test\\, Inc.,C=US")


def test_long_subject_is_never_truncated(conn_with):
    with conn_with("long") as conn:
        oneline = conn.server()
        rfc4514 = conn.subject_rfc4514()
        structured = conn.peer_subject()
    assert oneline == ("/C=US/O=polysock test"
                       + "".join("/OU=" + ou for ou in LONG_OUS)
                       + "/CN=localhost")
    assert len(oneline) > 512
    assert rfc4514 == ",".join(["CN=localhost"]
                               + ["OU=" + ou for ou in reversed(LONG_OUS)]
                               + ["O=polysock test", "C=US"])
    assert structured == ((("countryName", "US"),),
                          (("organizationName", "polysock test"),),
                          *((("organizationalUnitName", ou),)
                            for ou in LONG_OUS),
                          (("commonName", "localhost"),))


def test_names_are_none_before_the_handshake(socks, peer, certs):
    server = peer("echo")
    sock = socks.socket()
    sock.settimeout(10.0)
    sock.connect(("localhost", server.port))
    conn = polysock.ssl(sock, cafile=os.path.join(certs, "ca.pem"),
                        do_handshake_on_connect=False)
    assert [conn.server(), conn.issuer(), conn.peer_subject(),
            conn.peer_issuer(), conn.subject_rfc4514(),
            conn.issuer_rfc4514()] == [None] * 6
    conn.do_handshake()
    assert conn.peer_subject() == GOOD_SUBJECT
    conn.close()


# ---- The FIELDS record format, parsed without a connection ----

def parse(data):
    return polysock._ssl.parse_name_fields(data)


def test_fields_records_group_equal_rdn_indexes():
    data = (b"0 countryName 2:US\n"
            b"1 localityName 5:multi\n"
            b"1 organizationalUnitName 5:a+b=c\n"
            b"2 commonName 9:localhost\n")
    assert parse(data) == ((("countryName", "US"),),
                           (("localityName", "multi"),
                            ("organizationalUnitName", "a+b=c")),
                           (("commonName", "localhost"),))


def test_fields_values_keep_nul_newline_colon_and_utf8():
    value = "a\0b\nc: d\u00fc".encode("utf-8")
    data = b"0 commonName %d:%s\n" % (len(value), value)
    assert parse(data) == ((("commonName", "a\0b\nc: d\u00fc"),),)


def test_fields_empty_value_and_dotted_oid():
    data = b"0 1.2.3.4 0:\n"
    assert parse(data) == ((("1.2.3.4", ""),),)


def test_fields_of_an_empty_name_is_an_empty_tuple():
    assert parse(b"") == ()


@pytest.mark.parametrize("data", [
    b"0 commonName 5:abc\n",        # shorter than its length
    b"0 commonName 2:abc\n",        # no newline after the value
    b"0 commonName:abc\n",          # header without a length
    b"x commonName 3:abc\n",        # index not a number
    b"0 commonName 3abc\n",         # no colon
])
def test_malformed_fields_records_are_refused(data):
    with pytest.raises(ValueError):
        parse(data)
