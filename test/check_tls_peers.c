/* check_tls_peers.c - the TLS layer against peers that are not polysock:
 * Python's ssl module and the openssl CLI, started by test/tls/peer.py
 * (test/tls/README.md) through tls_peer.c, with the certificates of
 * test/tls/make-certs.sh ($POLYSOCK_TEST_CERTS).
 *
 * Our client against their servers: round trips, each verification
 * failure and its reason, broken servers, old protocol versions, the two
 * ways a connection can end, certificate names, client certificates and
 * ALPN.  Our server against their clients.  Each test checks the peer's
 * exit status too: it is the far end's verdict on what we sent. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "suites.h"
#include "testutil.h"
#include "tls/odd-subject.h"
#include "tls_peer.h"

/* Every socket gets a timeout, so that a broken peer fails a test instead
 * of hanging it. */
#define SOCKET_TIMEOUT 20.0
#define HANDSHAKE_TIMEOUT 0.5
#define PATH_CAP 4096

static const char *const NO_ARGS[] = {NULL};
static const char *const EXPECT_FAIL[] = {"--expect-handshake", "fail", NULL};

/* ---- configurations ---- */

/* A client trusting only the test CA. */
static polysock_handle client_config(void)
{
    polysock_handle cfg;
    char ca[PATH_CAP];
    tls_cert_path(ca, sizeof ca, "ca.pem");
    ck_assert_ps_ok(polysock_tls_config_new(0, &cfg));
    ck_assert_ps_ok(polysock_tls_config_set_ca(cfg, ca, NULL));
    return cfg;
}

/* NAME.pem and NAME.key as own certificate of cfg. */
static void set_certificate(polysock_handle cfg, const char *name)
{
    char file[64], pem[PATH_CAP], key[PATH_CAP];
    snprintf(file, sizeof file, "%s.pem", name);
    tls_cert_path(pem, sizeof pem, file);
    snprintf(file, sizeof file, "%s.key", name);
    tls_cert_path(key, sizeof key, file);
    ck_assert_ps_ok(polysock_tls_config_set_certificate(cfg, pem, key));
}

static polysock_handle server_config(void)
{
    polysock_handle cfg;
    ck_assert_ps_ok(polysock_tls_config_new(1, &cfg));
    set_certificate(cfg, "good");
    return cfg;
}

/* ---- connections ---- */

typedef struct {
    polysock_handle sock;
    polysock_handle tls;
} connection;

/* A TLS client connection to 127.0.0.1:port for "localhost" (no I/O yet). */
static connection connect_tls(polysock_handle cfg, int64_t port)
{
    connection c;
    polysock_addr to = tu_addr(AF_INET, "127.0.0.1", port);
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &c.sock));
    ck_assert_ps_ok(polysock_settimeout(c.sock, SOCKET_TIMEOUT));
    ck_assert_ps_ok(polysock_connect(c.sock, &to));
    ck_assert_ps_ok(polysock_tls_new(c.sock, cfg, "localhost", &c.tls));
    return c;
}

/* The server side of the next connection to listener. */
static connection accept_tls(polysock_handle listener, polysock_handle cfg)
{
    connection c;
    polysock_addr from;
    ck_assert_ps_ok(polysock_accept(listener, &c.sock, &from));
    ck_assert_ps_ok(polysock_settimeout(c.sock, SOCKET_TIMEOUT));
    ck_assert_ps_ok(polysock_tls_new(c.sock, cfg, NULL, &c.tls));
    return c;
}

static void close_connection(connection *c)
{
    ck_assert_ps_ok(polysock_tls_close(c->tls));
    ck_assert_ps_ok(polysock_close(c->sock));
}

/* A listener on 127.0.0.1 with a timeout on accept. */
static polysock_handle listen_loopback(int64_t *port)
{
    polysock_handle listener = tu_listener(AF_INET, port);
    ck_assert_ps_ok(polysock_settimeout(listener, SOCKET_TIMEOUT));
    return listener;
}


/* Write text, expect `reply` back. */
static void exchange(polysock_handle tls, const char *text, const char *reply)
{
    char got[256];
    size_t len = strlen(reply);
    ck_assert_uint_lt(len, sizeof got);
    tu_tls_write_all(tls, text, strlen(text));
    tu_tls_read_exactly(tls, got, len);
    got[len] = '\0';
    ck_assert_str_eq(got, reply);
}

/* Read until the clean end (close_notify). */
static void read_to_clean_eof(polysock_handle tls)
{
    char buf[256];
    size_t n;
    do {
        n = 0;
        ck_assert_ps_ok(polysock_tls_read(tls, buf, sizeof buf, &n));
    } while (n > 0);
}

/* An info item into buf (cap bytes, NUL added); its length, which must
 * agree with polysock_tls_info_len. */
static size_t info(polysock_handle tls, int what, char *buf, size_t cap)
{
    size_t expected = 0, len = 0;
    ck_assert_ps_ok(polysock_tls_info_len(tls, what, &expected));
    ck_assert_uint_lt(expected, cap);
    ck_assert_ps_ok(polysock_tls_info(tls, what, buf, cap - 1, &len));
    ck_assert_uint_eq(len, expected);
    buf[len] = '\0';
    return len;
}

static void assert_info(polysock_handle tls, int what, const char *expected, size_t len)
{
    char got[2048];
    size_t n = info(tls, what, got, sizeof got);
    ck_assert_msg(n == len && memcmp(got, expected, len) == 0,
                  "info %d is '%s' (%zu bytes), expected '%s' (%zu bytes)", what, got, n,
                  expected, len);
}

static void assert_info_str(polysock_handle tls, int what, const char *expected)
{
    assert_info(tls, what, expected, strlen(expected));
}

/* The engine's reason contains `part` (in any case: OpenSSL's own texts
 * are lower case, the core's sentences are not). */
static void assert_reason(polysock_handle tls, const char *part)
{
    char reason[1024];
    info(tls, POLYSOCK_TLS_INFO_ERROR, reason, sizeof reason);
    ck_assert_msg(strcasestr(reason, part) != NULL, "reason '%s' lacks '%s'", reason, part);
}

static void assert_peer_succeeded(tls_peer *peer)
{
    ck_assert_int_eq(tls_peer_wait(peer, NULL, 0), 0);
}

static void setup(void)
{
    tls_certs_dir(); /* fails every test at once when it is unset */
}

/* ---- our client against openssl s_server and Python's ssl ---- */

START_TEST(test_client_round_trip_with_openssl_s_server)
{
    tls_peer peer;
    tls_peer_start_server(&peer, "s_server", NO_ARGS);
    polysock_handle cfg = client_config();
    connection c = connect_tls(cfg, peer.port);
    ck_assert_ps_ok(polysock_tls_handshake(c.tls));
    /* s_server -rev answers each line reversed. */
    exchange(c.tls, "hello polysock\n", "kcosylop olleh\n");
    assert_info_str(c.tls, POLYSOCK_TLS_INFO_VERSION, "TLSv1.3");
    assert_info_str(c.tls, POLYSOCK_TLS_INFO_SERVER_HOSTNAME, "localhost");
    close_connection(&c);
    ck_assert_ps_ok(polysock_tls_config_close(cfg));
    assert_peer_succeeded(&peer);
}
END_TEST

/* 64 KiB (several records each way), then our close_notify: the strict
 * echo fails unless it arrives before the FIN. */
START_TEST(test_client_round_trip_with_python_ssl_and_close_notify)
{
    static char data[65536], back[sizeof data];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char)(i * 7 + i / 251);
    tls_peer peer;
    const char *const args[] = {"--strict-eof", NULL};
    tls_peer_start_server(&peer, "echo", args);
    polysock_handle cfg = client_config();
    connection c = connect_tls(cfg, peer.port);
    tu_tls_write_all(c.tls, data, sizeof data); /* the handshake comes first */
    tu_tls_read_exactly(c.tls, back, sizeof back);
    ck_assert(memcmp(data, back, sizeof data) == 0);
    close_connection(&c);
    ck_assert_ps_ok(polysock_tls_config_close(cfg));
    assert_peer_succeeded(&peer);
}
END_TEST

/* The control for the test above: the strict echo can tell. */
START_TEST(test_strict_echo_fails_when_the_client_closes_without_close_notify)
{
    tls_peer peer;
    const char *const args[] = {"--strict-eof", NULL};
    tls_peer_start_server(&peer, "echo", args);
    polysock_handle cfg = client_config();
    connection c = connect_tls(cfg, peer.port);
    exchange(c.tls, "ping", "ping");
    ck_assert_ps_ok(polysock_shutdown(c.sock, SHUT_WR)); /* a bare FIN */
    ck_assert_int_eq(tls_peer_wait(&peer, NULL, 0), 1);
    close_connection(&c);
    ck_assert_ps_ok(polysock_tls_config_close(cfg));
}
END_TEST

/* ---- verification failures, each with its code and reason ---- */

static void assert_refused(const char *mode, int code, const char *reason)
{
    tls_peer peer;
    tls_peer_start_server(&peer, mode, EXPECT_FAIL);
    polysock_handle cfg = client_config();
    connection c = connect_tls(cfg, peer.port);
    ck_assert_ps(polysock_tls_handshake(c.tls), code);
    assert_reason(c.tls, reason);
    close_connection(&c);
    ck_assert_ps_ok(polysock_tls_config_close(cfg));
    assert_peer_succeeded(&peer); /* its handshake failed too */
}

START_TEST(test_client_refuses_selfsigned_server_as_untrusted)
{
    assert_refused("selfsigned", POLYSOCK_ETLS_CERT_UNTRUSTED, "self-signed certificate");
}
END_TEST

START_TEST(test_client_refuses_expired_server_certificate)
{
    assert_refused("expired", POLYSOCK_ETLS_CERT_EXPIRED, "certificate has expired");
}
END_TEST

START_TEST(test_client_refuses_certificate_for_another_host)
{
    assert_refused("otherhost", POLYSOCK_ETLS_CERT_HOSTNAME, "hostname mismatch");
}
END_TEST

START_TEST(test_client_without_verification_accepts_selfsigned_server)
{
    tls_peer peer;
    tls_peer_start_server(&peer, "selfsigned", NO_ARGS);
    polysock_handle cfg = client_config();
    ck_assert_ps_ok(polysock_tls_config_set_verify(cfg, 0));
    connection c = connect_tls(cfg, peer.port);
    ck_assert_ps_ok(polysock_tls_handshake(c.tls));
    exchange(c.tls, "unverified", "unverified");
    assert_info_str(c.tls, POLYSOCK_TLS_INFO_ISSUER_ONELINE, "/C=US/O=polysock test/CN=localhost");
    close_connection(&c);
    ck_assert_ps_ok(polysock_tls_config_close(cfg));
    assert_peer_succeeded(&peer);
}
END_TEST

START_TEST(test_client_trusts_a_hashed_ca_directory)
{
    tls_peer peer;
    char capath[PATH_CAP];
    tls_cert_path(capath, sizeof capath, "capath");
    tls_peer_start_server(&peer, "echo", NO_ARGS);
    polysock_handle cfg;
    ck_assert_ps_ok(polysock_tls_config_new(0, &cfg));
    ck_assert_ps_ok(polysock_tls_config_set_ca(cfg, NULL, capath));
    connection c = connect_tls(cfg, peer.port);
    ck_assert_ps_ok(polysock_tls_handshake(c.tls));
    exchange(c.tls, "capath", "capath");
    close_connection(&c);
    ck_assert_ps_ok(polysock_tls_config_close(cfg));
    assert_peer_succeeded(&peer);
}
END_TEST

/* ---- servers that are not TLS servers, or break off ---- */

/* The handshake against `mode` fails with `code`. */
static void assert_handshake_fails(const char *mode, int code, const char *reason)
{
    tls_peer peer;
    tls_peer_start_server(&peer, mode, NO_ARGS);
    polysock_handle cfg = client_config();
    connection c = connect_tls(cfg, peer.port);
    ck_assert_ps(polysock_tls_handshake(c.tls), code);
    if (reason != NULL)
        assert_reason(c.tls, reason);
    /* A failed connection refuses further I/O. */
    char buf[16];
    size_t n;
    ck_assert_ps(polysock_tls_read(c.tls, buf, sizeof buf, &n), POLYSOCK_ETLS_CLOSED);
    close_connection(&c);
    ck_assert_ps_ok(polysock_tls_config_close(cfg));
    assert_peer_succeeded(&peer);
}

START_TEST(test_handshake_with_silent_server_times_out_after_the_timeout)
{
    tls_peer peer;
    tls_peer_start_server(&peer, "silent", NO_ARGS);
    polysock_handle cfg = client_config();
    connection c = connect_tls(cfg, peer.port);
    ck_assert_ps_ok(polysock_settimeout(c.sock, HANDSHAKE_TIMEOUT));
    double start = tu_now();
    ck_assert_ps(polysock_tls_handshake(c.tls), POLYSOCK_ETIMEOUT);
    double elapsed = tu_now() - start;
    ck_assert_msg(elapsed >= HANDSHAKE_TIMEOUT * 0.9 && elapsed < HANDSHAKE_TIMEOUT + 5.0,
                  "timed out after %.3fs, the timeout is %gs", elapsed, HANDSHAKE_TIMEOUT);
    close_connection(&c); /* the silent peer waits for this */
    ck_assert_ps_ok(polysock_tls_config_close(cfg));
    assert_peer_succeeded(&peer);
}
END_TEST

START_TEST(test_plaintext_server_is_a_protocol_error)
{
    assert_handshake_fails("plaintext", POLYSOCK_ETLS_PROTOCOL, "wrong version number");
}
END_TEST

START_TEST(test_server_closing_mid_handshake_is_unexpected_eof)
{
    assert_handshake_fails("close-mid-handshake", POLYSOCK_ETLS_EOF, "unexpected eof");
}
END_TEST

/* The plaintext arrives before the reset and is what the handshake
 * reads first. */
START_TEST(test_plaintext_then_reset_is_a_protocol_error)
{
    assert_handshake_fails("plaintext-reset", POLYSOCK_ETLS_PROTOCOL, "wrong version number");
}
END_TEST

/* peer.py's tls1.0 and tls1.1 servers really complete such handshakes
 * (test/tls/README.md); ours has TLS 1.2 as its floor, so the server
 * finds no common version and says so with a protocol_version alert. */
START_TEST(test_tls_1_0_server_is_refused_for_its_version)
{
    assert_handshake_fails("tls1.0", POLYSOCK_ETLS_VERSION, "protocol version");
}
END_TEST

START_TEST(test_tls_1_1_server_is_refused_for_its_version)
{
    assert_handshake_fails("tls1.1", POLYSOCK_ETLS_VERSION, "protocol version");
}
END_TEST

/* ---- how the server ends the connection ---- */

/* Exchange a line with `mode`, half-close (bare FIN) so that the echo
 * ends, and return what the next read gives. */
static int end_of_echo(const char *mode, int allow_unexpected_eof, size_t *nread)
{
    tls_peer peer;
    char buf[64];
    tls_peer_start_server(&peer, mode, NO_ARGS);
    polysock_handle cfg = client_config();
    ck_assert_ps_ok(polysock_tls_config_set_allow_unexpected_eof(cfg, allow_unexpected_eof));
    connection c = connect_tls(cfg, peer.port);
    exchange(c.tls, "last words", "last words");
    ck_assert_ps_ok(polysock_shutdown(c.sock, SHUT_WR));
    *nread = 99;
    int rc = polysock_tls_read(c.tls, buf, sizeof buf, nread);
    if (rc == POLYSOCK_ETLS_EOF)
        assert_reason(c.tls, "unexpected eof");
    close_connection(&c);
    ck_assert_ps_ok(polysock_tls_config_close(cfg));
    assert_peer_succeeded(&peer);
    return rc;
}

START_TEST(test_close_notify_from_server_reads_as_clean_eof)
{
    size_t n;
    ck_assert_ps_ok(end_of_echo("echo", 0, &n));
    ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_bare_fin_from_server_is_unexpected_eof)
{
    size_t n;
    ck_assert_ps(end_of_echo("echo-fin", 0, &n), POLYSOCK_ETLS_EOF);
    ck_assert_uint_eq(n, 99); /* untouched on failure */
}
END_TEST

START_TEST(test_bare_fin_reads_as_clean_eof_when_allowed)
{
    size_t n;
    ck_assert_ps_ok(end_of_echo("echo-fin", 1, &n));
    ck_assert_uint_eq(n, 0);
}
END_TEST

/* ---- certificate names ---- */

/* A connection to an echo peer presenting certificate `name`, handshake
 * done; the caller checks names, then calls finish_names. */
static connection names_of(tls_peer *peer, polysock_handle *cfg, const char *name)
{
    const char *const args[] = {"--cert", name, NULL};
    tls_peer_start_server(peer, "echo", args);
    *cfg = client_config();
    connection c = connect_tls(*cfg, peer->port);
    ck_assert_ps_ok(polysock_tls_handshake(c.tls));
    return c;
}

static void finish_names(tls_peer *peer, polysock_handle cfg, connection *c)
{
    close_connection(c);
    ck_assert_ps_ok(polysock_tls_config_close(cfg));
    assert_peer_succeeded(peer);
}

/* The FIELDS record of one attribute, appended at out + *len. */
static void add_field(char *out, size_t cap, size_t *len, int rdn, const char *long_name,
                      const char *value, size_t value_len)
{
    int n = snprintf(out + *len, cap - *len, "%d %s %zu:", rdn, long_name, value_len);
    ck_assert(n > 0 && *len + (size_t)n + value_len + 1 < cap);
    *len += (size_t)n;
    memcpy(out + *len, value, value_len);
    *len += value_len;
    out[(*len)++] = '\n';
}

START_TEST(test_names_of_the_reference_shaped_certificate)
{
    tls_peer peer;
    polysock_handle cfg;
    connection c = names_of(&peer, &cfg, "good");
    assert_info_str(c.tls, POLYSOCK_TLS_INFO_SUBJECT_ONELINE,
                    "/C=US/ST=California/L=Mountain View/O=polysock test/CN=localhost");
    assert_info_str(c.tls, POLYSOCK_TLS_INFO_ISSUER_ONELINE,
                    "/C=US/O=polysock test/CN=polysock test CA");
    assert_info_str(c.tls, POLYSOCK_TLS_INFO_SUBJECT_RFC4514,
                    "CN=localhost,O=polysock test,L=Mountain View,ST=California,C=US");
    assert_info_str(c.tls, POLYSOCK_TLS_INFO_ISSUER_RFC4514,
                    "CN=polysock test CA,O=polysock test,C=US");
    assert_info_str(c.tls, POLYSOCK_TLS_INFO_SUBJECT_FIELDS,
                    "0 countryName 2:US\n"
                    "1 stateOrProvinceName 10:California\n"
                    "2 localityName 13:Mountain View\n"
                    "3 organizationName 13:polysock test\n"
                    "4 commonName 9:localhost\n");
    assert_info_str(c.tls, POLYSOCK_TLS_INFO_ISSUER_FIELDS,
                    "0 countryName 2:US\n"
                    "1 organizationName 13:polysock test\n"
                    "2 commonName 16:polysock test CA\n");
    finish_names(&peer, cfg, &c);
}
END_TEST

START_TEST(test_names_keep_nul_slash_comma_and_plus_inside_values)
{
    tls_peer peer;
    polysock_handle cfg;
    connection c = names_of(&peer, &cfg, "odd");
    char oneline[512], fields[512];
    size_t oneline_len = 0, fields_len = 0;
    for (size_t i = 0; i < ODD_SUBJECT_COUNT; i++) {
        const struct odd_attribute *a = &odd_subject[i];
        int n = snprintf(oneline + oneline_len, sizeof oneline - oneline_len, "/%s=",
                         a->short_name);
        ck_assert(n > 0);
        oneline_len += (size_t)n;
        memcpy(oneline + oneline_len, a->value, a->len);
        oneline_len += a->len;
        add_field(fields, sizeof fields, &fields_len, a->rdn, a->long_name, a->value, a->len);
    }
    assert_info(c.tls, POLYSOCK_TLS_INFO_SUBJECT_ONELINE, oneline, oneline_len);
    assert_info(c.tls, POLYSOCK_TLS_INFO_SUBJECT_FIELDS, fields, fields_len);
    /* RFC 4514: RDNs last first, '+' joins a multi-valued RDN, ',' '+'
     * and NUL inside values escaped, UTF-8 as it is. */
    assert_info_str(c.tls, POLYSOCK_TLS_INFO_SUBJECT_RFC4514,
                    "CN=localhost\\00/odd\\, name\\+x,ST=Z\xc3\xbcrich,OU=a\\+b=c+L=multi,"
                    "O=polysock/test\\, Inc.,C=US");
    finish_names(&peer, cfg, &c);
}
END_TEST

START_TEST(test_names_longer_than_512_bytes_are_not_truncated)
{
    tls_peer peer;
    polysock_handle cfg;
    connection c = names_of(&peer, &cfg, "long");
    /* The subject make-certs.sh writes: C, O, ten OUs, CN. */
    char oneline[2048], fields[2048];
    size_t fields_len = 0;
    strcpy(oneline, "/C=US/O=polysock test");
    add_field(fields, sizeof fields, &fields_len, 0, "countryName", "US", 2);
    add_field(fields, sizeof fields, &fields_len, 1, "organizationName", "polysock test", 13);
    for (int i = 1; i <= 10; i++) {
        char unit[128];
        snprintf(unit, sizeof unit,
                 "organizational unit %02d of a subject longer than 512 bytes", i);
        strcat(oneline, "/OU=");
        strcat(oneline, unit);
        add_field(fields, sizeof fields, &fields_len, 1 + i, "organizationalUnitName", unit,
                  strlen(unit));
    }
    strcat(oneline, "/CN=localhost");
    add_field(fields, sizeof fields, &fields_len, 12, "commonName", "localhost", 9);
    ck_assert_uint_gt(strlen(oneline), 512);
    assert_info_str(c.tls, POLYSOCK_TLS_INFO_SUBJECT_ONELINE, oneline);
    assert_info(c.tls, POLYSOCK_TLS_INFO_SUBJECT_FIELDS, fields, fields_len);
    finish_names(&peer, cfg, &c);
}
END_TEST

/* ---- client certificates ---- */

START_TEST(test_client_certificate_given_to_server_that_requires_one)
{
    tls_peer peer;
    tls_peer_start_server(&peer, "require-client-cert", NO_ARGS);
    polysock_handle cfg = client_config();
    set_certificate(cfg, "client");
    connection c = connect_tls(cfg, peer.port);
    exchange(c.tls, "it is me", "it is me");
    close_connection(&c);
    ck_assert_ps_ok(polysock_tls_config_close(cfg));
    assert_peer_succeeded(&peer);
}
END_TEST

/* In TLS 1.3 the client's handshake ends before the server has looked
 * at its (empty) certificate message: the refusal arrives as an alert on
 * the first read. */
START_TEST(test_missing_client_certificate_is_refused_by_the_server)
{
    tls_peer peer;
    tls_peer_start_server(&peer, "require-client-cert", EXPECT_FAIL);
    polysock_handle cfg = client_config();
    connection c = connect_tls(cfg, peer.port);
    ck_assert_ps_ok(polysock_tls_handshake(c.tls));
    char buf[16];
    size_t n;
    ck_assert_ps(polysock_tls_read(c.tls, buf, sizeof buf, &n), POLYSOCK_ETLS_HANDSHAKE);
    assert_reason(c.tls, "certificate required");
    close_connection(&c);
    ck_assert_ps_ok(polysock_tls_config_close(cfg));
    assert_peer_succeeded(&peer);
}
END_TEST

/* ---- ALPN ---- */

/* Offer `offer` to the alpn peer (which selects from h2,http/1.1 by its
 * own preference), expect `selected`. */
static void assert_alpn(const char *offer, const char *selected)
{
    tls_peer peer;
    tls_peer_start_server(&peer, "alpn", NO_ARGS);
    polysock_handle cfg = client_config();
    ck_assert_ps_ok(polysock_tls_config_set_alpn(cfg, offer));
    connection c = connect_tls(cfg, peer.port);
    ck_assert_ps_ok(polysock_tls_handshake(c.tls));
    assert_info_str(c.tls, POLYSOCK_TLS_INFO_ALPN, selected);
    exchange(c.tls, "alpn", "alpn");
    close_connection(&c);
    ck_assert_ps_ok(polysock_tls_config_close(cfg));
    assert_peer_succeeded(&peer);
}

START_TEST(test_alpn_server_selects_by_its_own_preference)
{
    assert_alpn("http/1.1,h2", "h2");
}
END_TEST

START_TEST(test_alpn_without_common_protocol_selects_none)
{
    assert_alpn("spdy/3,imap", "");
}
END_TEST

/* ---- our server against openssl s_client and Python's ssl ---- */

/* Serve one connection of client `mode` (args for the peer): echo until
 * its close_notify, then ours.  The peer's output goes into out. */
static void serve_one(polysock_handle cfg, const char *mode, const char *const *args,
                      char *out, size_t cap, const char *check_alpn)
{
    tls_peer peer;
    int64_t port;
    char buf[256];
    size_t n;
    polysock_handle listener = listen_loopback(&port);
    tls_peer_start_client(&peer, mode, port, args);
    connection c = accept_tls(listener, cfg);
    ck_assert_ps_ok(polysock_tls_handshake(c.tls));
    if (check_alpn != NULL)
        assert_info_str(c.tls, POLYSOCK_TLS_INFO_ALPN, check_alpn);
    for (;;) {
        ck_assert_ps_ok(polysock_tls_read(c.tls, buf, sizeof buf, &n));
        if (n == 0)
            break;
        tu_tls_write_all(c.tls, buf, n);
    }
    close_connection(&c);
    ck_assert_ps_ok(polysock_close(listener));
    ck_assert_int_eq(tls_peer_wait(&peer, out, cap), 0);
}

START_TEST(test_server_round_trip_with_openssl_s_client)
{
    char out[256];
    polysock_handle cfg = server_config();
    serve_one(cfg, "client-s_client", NO_ARGS, out, sizeof out, NULL);
    ck_assert_str_eq(out, "ECHOED b'hello from s_client\\n'\n");
    ck_assert_ps_ok(polysock_tls_config_close(cfg));
}
END_TEST

/* The Python client waits for our close_notify (unwrap): its success
 * proves we sent one. */
START_TEST(test_server_round_trip_with_python_ssl_client)
{
    char out[256];
    polysock_handle cfg = server_config();
    serve_one(cfg, "client-python", NO_ARGS, out, sizeof out, NULL);
    ck_assert_str_eq(out, "ECHOED b'hello from python'\n");
    ck_assert_ps_ok(polysock_tls_config_close(cfg));
}
END_TEST

/* The control for the test above: a server that ends with a bare FIN
 * fails the Python client. */
START_TEST(test_python_client_fails_when_the_server_closes_without_close_notify)
{
    tls_peer peer;
    int64_t port;
    char hello[17];
    polysock_handle cfg = server_config();
    polysock_handle listener = listen_loopback(&port);
    tls_peer_start_client(&peer, "client-python", port, NO_ARGS);
    connection c = accept_tls(listener, cfg);
    tu_tls_read_exactly(c.tls, hello, sizeof hello);
    tu_tls_write_all(c.tls, hello, sizeof hello);
    read_to_clean_eof(c.tls);
    ck_assert_ps_ok(polysock_shutdown(c.sock, SHUT_WR));
    ck_assert_int_eq(tls_peer_wait(&peer, NULL, 0), 1);
    close_connection(&c);
    ck_assert_ps_ok(polysock_close(listener));
    ck_assert_ps_ok(polysock_tls_config_close(cfg));
}
END_TEST

START_TEST(test_server_selects_alpn_by_its_own_preference)
{
    char out[256];
    const char *const args[] = {"--alpn", "http/1.1,h2", NULL};
    polysock_handle cfg = server_config();
    ck_assert_ps_ok(polysock_tls_config_set_alpn(cfg, "h2,http/1.1"));
    serve_one(cfg, "client-python", args, out, sizeof out, "h2");
    ck_assert_str_eq(out, "ECHOED b'hello from python'\nALPN h2\n");
    ck_assert_ps_ok(polysock_tls_config_close(cfg));
}
END_TEST

static polysock_handle server_requiring_client_cert(void)
{
    char ca[PATH_CAP];
    tls_cert_path(ca, sizeof ca, "ca.pem");
    polysock_handle cfg = server_config();
    ck_assert_ps_ok(polysock_tls_config_set_ca(cfg, ca, NULL));
    ck_assert_ps_ok(polysock_tls_config_set_require_client_cert(cfg, 1));
    return cfg;
}

START_TEST(test_server_requiring_client_cert_accepts_verified_client)
{
    tls_peer peer;
    int64_t port;
    polysock_handle cfg = server_requiring_client_cert();
    polysock_handle listener = listen_loopback(&port);
    tls_peer_start_client(&peer, "client-python-cert", port, NO_ARGS);
    connection c = accept_tls(listener, cfg);
    ck_assert_ps_ok(polysock_tls_handshake(c.tls));
    assert_info_str(c.tls, POLYSOCK_TLS_INFO_SUBJECT_ONELINE,
                    "/C=US/O=polysock test/CN=polysock test client");
    char hello[17];
    tu_tls_read_exactly(c.tls, hello, sizeof hello);
    ck_assert(memcmp(hello, "hello from python", sizeof hello) == 0);
    tu_tls_write_all(c.tls, hello, sizeof hello);
    read_to_clean_eof(c.tls);
    close_connection(&c);
    ck_assert_ps_ok(polysock_close(listener));
    ck_assert_ps_ok(polysock_tls_config_close(cfg));
    assert_peer_succeeded(&peer);
}
END_TEST

START_TEST(test_server_requiring_client_cert_refuses_client_without_one)
{
    tls_peer peer;
    int64_t port;
    polysock_handle cfg = server_requiring_client_cert();
    polysock_handle listener = listen_loopback(&port);
    tls_peer_start_client(&peer, "client-python", port, NO_ARGS);
    connection c = accept_tls(listener, cfg);
    ck_assert_ps(polysock_tls_handshake(c.tls), POLYSOCK_ETLS_HANDSHAKE);
    assert_reason(c.tls, "peer did not return a certificate");
    close_connection(&c);
    ck_assert_ps_ok(polysock_close(listener));
    ck_assert_ps_ok(polysock_tls_config_close(cfg));
    /* The client learns of it from our alert. */
    ck_assert_int_eq(tls_peer_wait(&peer, NULL, 0), 1);
}
END_TEST

Suite *tls_peers_suite(void)
{
    Suite *s = suite_create("tls_peers");
    TCase *client = tcase_create("client");
    TCase *failures = tcase_create("failures");
    TCase *names = tcase_create("names");
    TCase *server = tcase_create("server");
    TCase *cases[] = {client, failures, names, server};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tcase_add_checked_fixture(cases[i], setup, tls_peers_stop_all);
        tcase_set_timeout(cases[i], 120);
        suite_add_tcase(s, cases[i]);
    }

    tcase_add_test(client, test_client_round_trip_with_openssl_s_server);
    tcase_add_test(client, test_client_round_trip_with_python_ssl_and_close_notify);
    tcase_add_test(client, test_strict_echo_fails_when_the_client_closes_without_close_notify);
    tcase_add_test(client, test_client_without_verification_accepts_selfsigned_server);
    tcase_add_test(client, test_client_trusts_a_hashed_ca_directory);
    tcase_add_test(client, test_close_notify_from_server_reads_as_clean_eof);
    tcase_add_test(client, test_bare_fin_from_server_is_unexpected_eof);
    tcase_add_test(client, test_bare_fin_reads_as_clean_eof_when_allowed);
    tcase_add_test(client, test_client_certificate_given_to_server_that_requires_one);
    tcase_add_test(client, test_alpn_server_selects_by_its_own_preference);
    tcase_add_test(client, test_alpn_without_common_protocol_selects_none);

    tcase_add_test(failures, test_client_refuses_selfsigned_server_as_untrusted);
    tcase_add_test(failures, test_client_refuses_expired_server_certificate);
    tcase_add_test(failures, test_client_refuses_certificate_for_another_host);
    tcase_add_test(failures, test_handshake_with_silent_server_times_out_after_the_timeout);
    tcase_add_test(failures, test_plaintext_server_is_a_protocol_error);
    tcase_add_test(failures, test_server_closing_mid_handshake_is_unexpected_eof);
    tcase_add_test(failures, test_plaintext_then_reset_is_a_protocol_error);
    tcase_add_test(failures, test_tls_1_0_server_is_refused_for_its_version);
    tcase_add_test(failures, test_tls_1_1_server_is_refused_for_its_version);
    tcase_add_test(failures, test_missing_client_certificate_is_refused_by_the_server);

    tcase_add_test(names, test_names_of_the_reference_shaped_certificate);
    tcase_add_test(names, test_names_keep_nul_slash_comma_and_plus_inside_values);
    tcase_add_test(names, test_names_longer_than_512_bytes_are_not_truncated);

    tcase_add_test(server, test_server_round_trip_with_openssl_s_client);
    tcase_add_test(server, test_server_round_trip_with_python_ssl_client);
    tcase_add_test(server, test_python_client_fails_when_the_server_closes_without_close_notify);
    tcase_add_test(server, test_server_selects_alpn_by_its_own_preference);
    tcase_add_test(server, test_server_requiring_client_cert_accepts_verified_client);
    tcase_add_test(server, test_server_requiring_client_cert_refuses_client_without_one);
    return s;
}
