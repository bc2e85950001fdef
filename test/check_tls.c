/* check_tls.c - the TLS layer of the core against itself: a polysock
 * client and a polysock server (a thread) over loopback or a socketpair,
 * with the shared test certificates ($POLYSOCK_TEST_CERTS, made by
 * test/tls/make-certs.sh; the suite fails when it is unset).  Peers that
 * are not polysock are in check_tls_peers.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tls_internal.h"
#include "suites.h"
#include "testutil.h"
#include "tls/odd-subject.h"

/* ---- certificates ---- */

static const char *certs_dir(void)
{
    const char *dir = getenv("POLYSOCK_TEST_CERTS");
    ck_assert_msg(dir != NULL && dir[0] != '\0',
                  "POLYSOCK_TEST_CERTS is not set (make check sets it; by hand: "
                  "make test-certs/stamp and point it at test-certs)");
    return dir;
}

/* DIR/name into a static slot (a few paths live at once per call site). */
static const char *cert_file(const char *name)
{
    static char slots[4][4096];
    static int next;
    char *path = slots[next++ % 4];
    snprintf(path, sizeof slots[0], "%s/%s", certs_dir(), name);
    return path;
}

static void check_certs_exist(void)
{
    struct stat st;
    ck_assert_msg(stat(cert_file("stamp"), &st) == 0,
                  "%s has no stamp: the test certificates are not made", certs_dir());
}

/* ---- configurations ---- */

/* A server presenting NAME.pem / NAME.key. */
static polysock_handle server_config(const char *name)
{
    polysock_handle cfg;
    char pem[64], key[64];
    snprintf(pem, sizeof pem, "%s.pem", name);
    snprintf(key, sizeof key, "%s.key", name);
    ck_assert_ps_ok(polysock_tls_config_new(1, &cfg));
    const char *pem_path = cert_file(pem);
    const char *key_path = cert_file(key);
    ck_assert_ps_ok(polysock_tls_config_set_certificate(cfg, pem_path, key_path));
    return cfg;
}

/* A client trusting the test CA (verification on, as by default). */
static polysock_handle client_config(void)
{
    polysock_handle cfg;
    ck_assert_ps_ok(polysock_tls_config_new(0, &cfg));
    ck_assert_ps_ok(polysock_tls_config_set_ca(cfg, cert_file("ca.pem"), NULL));
    return cfg;
}

/* ---- a polysock TLS server in a thread ---- */

/* What the server thread does after its handshake. */
#define SERVE_ECHO 1 /* echo until the client's EOF */
#define SERVE_FIN 2  /* then end the TCP stream without close_notify */

typedef struct server_run {
    polysock_handle sock; /* accepted socket; closed by the test */
    polysock_handle cfg;
    polysock_handle tls;
    int handshake_rc;
    int flags;            /* SERVE_* */
    int echo_rc;          /* how the echo loop ended */
    pthread_t thread;
    int joined;
} server_run;

static void *server_main(void *arg)
{
    server_run *r = arg;
    r->handshake_rc = polysock_tls_new(r->sock, r->cfg, NULL, &r->tls);
    if (r->handshake_rc == 0)
        r->handshake_rc = polysock_tls_handshake(r->tls);
    if (r->handshake_rc == 0 && (r->flags & SERVE_ECHO)) {
        char buf[16384];
        size_t n = 0, sent = 0;
        while ((r->echo_rc = polysock_tls_read(r->tls, buf, sizeof buf, &n)) == 0 && n > 0)
            if ((r->echo_rc = polysock_tls_write(r->tls, buf, n, &sent)) != 0)
                break;
    }
    if (r->flags & SERVE_FIN)
        polysock_shutdown(r->sock, SHUT_RDWR); /* a bare FIN, no close_notify */
    return NULL;
}

static void server_start(server_run *r, polysock_handle sock, polysock_handle cfg, int flags)
{
    memset(r, 0, sizeof *r);
    r->sock = sock;
    r->cfg = cfg;
    r->flags = flags;
    ck_assert_int_eq(pthread_create(&r->thread, NULL, server_main, r), 0);
}

static void server_join(server_run *r)
{
    if (!r->joined)
        ck_assert_int_eq(pthread_join(r->thread, NULL), 0);
    r->joined = 1;
}

/* Close what a server run made (its TLS handle if any). */
static void server_close(server_run *r)
{
    if (r->tls != 0)
        ck_assert_ps_ok(polysock_tls_close(r->tls));
}

/* A client connection over an accepted loopback pair, its server thread
 * started; the client socket connected to "127.0.0.1". */
typedef struct pair {
    polysock_handle csock, ssock;
    polysock_handle ccfg, scfg;
    polysock_handle tls;
    server_run server;
} pair;

/* The sockets and both configurations; the server is not started yet, so
 * the test may change the configurations first. */
static void pair_prepare(pair *p, const char *server_cert)
{
    memset(p, 0, sizeof *p);
    tu_tcp_pair(AF_INET, &p->csock, &p->ssock);
    p->scfg = server_config(server_cert);
    p->ccfg = client_config();
}

static void pair_serve(pair *p, int flags)
{
    server_start(&p->server, p->ssock, p->scfg, flags);
}

static void pair_open(pair *p, const char *server_cert, int flags)
{
    pair_prepare(p, server_cert);
    pair_serve(p, flags);
}

static void pair_close(pair *p)
{
    /* close_notify, then FIN: a server still waiting for us wakes up. */
    if (p->tls != 0)
        ck_assert_ps_ok(polysock_tls_close(p->tls));
    polysock_shutdown(p->csock, SHUT_RDWR); /* may be unconnected: ENOTCONN */
    server_join(&p->server);
    server_close(&p->server);
    ck_assert_ps_ok(polysock_close(p->csock));
    ck_assert_ps_ok(polysock_close(p->ssock));
    ck_assert_ps_ok(polysock_tls_config_close(p->ccfg));
    ck_assert_ps_ok(polysock_tls_config_close(p->scfg));
}


/* An info item as a NUL-terminated string (items may hold NULs: the
 * length is returned). */
static size_t info(polysock_handle tls, int what, char *out, size_t cap)
{
    size_t len = 0, len2 = 0;
    ck_assert_ps_ok(polysock_tls_info_len(tls, what, &len));
    ck_assert_uint_lt(len, cap);
    ck_assert_ps_ok(polysock_tls_info(tls, what, out, cap, &len2));
    ck_assert_uint_eq(len, len2);
    out[len] = '\0';
    return len;
}

/* ---- round trip ---- */

START_TEST(test_client_and_server_exchange_bytes_over_loopback)
{
    pair p;
    pair_open(&p, "good", SERVE_ECHO);
    ck_assert_ps_ok(polysock_tls_new(p.csock, p.ccfg, NULL, &p.tls));
    ck_assert_ps_ok(polysock_tls_handshake(p.tls));
    ck_assert_ps_ok(polysock_tls_handshake(p.tls)); /* done: 0 again */
    const char msg[] = "hello over TLS";
    tu_tls_write_all(p.tls, msg, sizeof msg);
    char back[sizeof msg];
    tu_tls_read_exactly(p.tls, back, sizeof back);
    ck_assert_mem_eq(back, msg, sizeof msg);
    /* close_notify: the server's read sees a clean EOF (0 bytes). */
    ck_assert_ps_ok(polysock_tls_close(p.tls));
    p.tls = 0;
    server_join(&p.server);
    ck_assert_ps_ok(p.server.handshake_rc);
    ck_assert_ps_ok(p.server.echo_rc); /* its read saw a clean EOF */
    /* The socket outlives its TLS connection. */
    int fd = -1;
    ck_assert_ps_ok(polysock_fileno(p.csock, &fd));
    ck_assert_int_ge(fd, 0);
    pair_close(&p);
}
END_TEST


/* ---- verification ---- */

/* The client's handshake against a server presenting server_cert, with
 * the client name given (NULL: the connect host, "127.0.0.1"). */
static int client_handshake_against(const char *server_cert, polysock_handle ccfg,
                                    const char *name, char *reason, size_t cap)
{
    pair p;
    pair_prepare(&p, server_cert);
    ck_assert_ps_ok(polysock_tls_config_close(p.ccfg));
    p.ccfg = ccfg;
    pair_serve(&p, 0);
    ck_assert_ps_ok(polysock_tls_new(p.csock, p.ccfg, name, &p.tls));
    int rc = polysock_tls_handshake(p.tls);
    if (reason != NULL)
        info(p.tls, POLYSOCK_TLS_INFO_ERROR, reason, cap);
    pair_close(&p);
    return rc;
}

START_TEST(test_verification_is_on_by_default_and_refuses_self_signed)
{
    polysock_handle cfg;
    ck_assert_ps_ok(polysock_tls_config_new(0, &cfg)); /* system store */
    char reason[256];
    ck_assert_ps(client_handshake_against("good", cfg, NULL, reason, sizeof reason),
                 POLYSOCK_ETLS_CERT_UNTRUSTED);
    ck_assert_ps(client_handshake_against("selfsigned", client_config(), NULL, reason,
                                          sizeof reason),
                 POLYSOCK_ETLS_CERT_UNTRUSTED);
    ck_assert_msg(strstr(reason, "self-signed certificate") != NULL, "reason: %s", reason);
    ck_assert_str_eq(polysock_errname(POLYSOCK_ETLS_CERT_UNTRUSTED),
                     "POLYSOCK_ETLS_CERT_UNTRUSTED");
    ck_assert_int_eq(polysock_errclass(POLYSOCK_ETLS_CERT_UNTRUSTED), POLYSOCK_ERRCLASS_TLS);
}
END_TEST

START_TEST(test_wrong_host_name_is_refused)
{
    char reason[256];
    ck_assert_ps(client_handshake_against("good", client_config(), "other.example",
                                          reason, sizeof reason),
                 POLYSOCK_ETLS_CERT_HOSTNAME);
    ck_assert_msg(strstr(reason, "hostname mismatch") != NULL, "reason: %s", reason);
    /* An IP literal is checked against the IP SANs. */
    ck_assert_ps(client_handshake_against("otherhost", client_config(), NULL, NULL, 0),
                 POLYSOCK_ETLS_CERT_HOSTNAME);
}
END_TEST

START_TEST(test_expired_certificate_is_refused)
{
    char reason[256];
    ck_assert_ps(client_handshake_against("expired", client_config(), "localhost",
                                          reason, sizeof reason),
                 POLYSOCK_ETLS_CERT_EXPIRED);
    ck_assert_msg(strstr(reason, "certificate has expired") != NULL, "reason: %s", reason);
    ck_assert_str_eq(polysock_strerror(POLYSOCK_ETLS_CERT_EXPIRED),
                     "certificate verify failed: certificate has expired or is not yet valid");
}
END_TEST

START_TEST(test_verification_opt_out_accepts_any_certificate)
{
    polysock_handle cfg;
    ck_assert_ps_ok(polysock_tls_config_new(0, &cfg));
    ck_assert_ps_ok(polysock_tls_config_set_verify(cfg, 0));
    ck_assert_ps_ok(client_handshake_against("selfsigned", cfg, "not.the.name", NULL, 0));
    ck_assert_ps_ok(polysock_tls_config_new(0, &cfg));
    ck_assert_ps_ok(polysock_tls_config_set_verify(cfg, 0));
    ck_assert_ps_ok(client_handshake_against("expired", cfg, NULL, NULL, 0));
}
END_TEST

START_TEST(test_trust_from_a_hashed_directory)
{
    polysock_handle cfg;
    ck_assert_ps_ok(polysock_tls_config_new(0, &cfg));
    ck_assert_ps_ok(polysock_tls_config_set_ca(cfg, NULL, cert_file("capath")));
    ck_assert_ps_ok(client_handshake_against("good", cfg, "localhost", NULL, 0));
}
END_TEST

START_TEST(test_names_are_checked_before_any_io)
{
    polysock_handle a, b, ccfg, scfg, tls;
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b));
    ccfg = client_config();
    scfg = server_config("good");
    /* A socketpair was never connected to a host: nothing to verify. */
    ck_assert_ps(polysock_tls_new(a, ccfg, NULL, &tls), POLYSOCK_ETLS_NONAME);
    ck_assert_ps(polysock_tls_new(a, ccfg, "", &tls), POLYSOCK_EVALUE);
    ck_assert_ps(polysock_tls_new(b, scfg, "localhost", &tls), POLYSOCK_EVALUE);
    ck_assert_ps(polysock_tls_new(a, ccfg, "localhost", NULL), POLYSOCK_ENULL);
    /* Without verification no name is needed. */
    ck_assert_ps_ok(polysock_tls_config_set_verify(ccfg, 0));
    ck_assert_ps_ok(polysock_tls_new(a, ccfg, NULL, &tls));
    char name[8];
    ck_assert_uint_eq(info(tls, POLYSOCK_TLS_INFO_SERVER_HOSTNAME, name, sizeof name), 0);
    ck_assert_ps_ok(polysock_tls_close(tls));
    /* A server configuration without a certificate cannot serve. */
    polysock_handle bare;
    ck_assert_ps_ok(polysock_tls_config_new(1, &bare));
    ck_assert_ps(polysock_tls_new(b, bare, NULL, &tls), POLYSOCK_ETLS_CONFIG);
    ck_assert_ps_ok(polysock_tls_config_close(bare));
    ck_assert_ps_ok(polysock_tls_config_close(ccfg));
    ck_assert_ps_ok(polysock_tls_config_close(scfg));
    ck_assert_ps_ok(polysock_close(a));
    ck_assert_ps_ok(polysock_close(b));
}
END_TEST

START_TEST(test_sni_is_sent_for_names_and_not_for_ip_literals)
{
    char name[64];
    pair p;
    pair_open(&p, "good", 0);
    ck_assert_ps_ok(polysock_tls_new(p.csock, p.ccfg, "localhost", &p.tls));
    ck_assert_ps_ok(polysock_tls_handshake(p.tls));
    server_join(&p.server);
    ck_assert_ps_ok(p.server.handshake_rc);
    info(p.tls, POLYSOCK_TLS_INFO_SERVER_HOSTNAME, name, sizeof name);
    ck_assert_str_eq(name, "localhost");
    info(p.server.tls, POLYSOCK_TLS_INFO_SERVER_HOSTNAME, name, sizeof name);
    ck_assert_str_eq(name, "localhost");
    pair_close(&p);

    pair_open(&p, "good", 0); /* verified as 127.0.0.1, the connect host */
    ck_assert_ps_ok(polysock_tls_new(p.csock, p.ccfg, NULL, &p.tls));
    ck_assert_ps_ok(polysock_tls_handshake(p.tls));
    server_join(&p.server);
    ck_assert_ps_ok(p.server.handshake_rc);
    info(p.tls, POLYSOCK_TLS_INFO_SERVER_HOSTNAME, name, sizeof name);
    ck_assert_str_eq(name, "127.0.0.1");
    ck_assert_uint_eq(info(p.server.tls, POLYSOCK_TLS_INFO_SERVER_HOSTNAME, name, sizeof name), 0);
    pair_close(&p);
}
END_TEST

/* ---- what the handshake negotiated ---- */

static void alpn_case(const char *client, const char *server, const char *expected)
{
    pair p;
    pair_prepare(&p, "good");
    ck_assert_ps_ok(polysock_tls_config_set_alpn(p.ccfg, client));
    ck_assert_ps_ok(polysock_tls_config_set_alpn(p.scfg, server));
    pair_serve(&p, 0);
    ck_assert_ps_ok(polysock_tls_new(p.csock, p.ccfg, NULL, &p.tls));
    ck_assert_ps_ok(polysock_tls_handshake(p.tls));
    server_join(&p.server);
    ck_assert_ps_ok(p.server.handshake_rc);
    char got[64];
    info(p.tls, POLYSOCK_TLS_INFO_ALPN, got, sizeof got);
    ck_assert_str_eq(got, expected);
    info(p.server.tls, POLYSOCK_TLS_INFO_ALPN, got, sizeof got);
    ck_assert_str_eq(got, expected);
    pair_close(&p);
}

START_TEST(test_alpn_server_picks_its_first_protocol_the_client_offers)
{
    alpn_case("h2,http/1.1", "http/1.1,h2", "http/1.1");
    alpn_case("spdy/3,h2", "h2", "h2");
    alpn_case("h2", "http/1.1", ""); /* no overlap: no ALPN, no failure */
    alpn_case(NULL, "h2", "");
    alpn_case("h2", NULL, "");
}
END_TEST

START_TEST(test_version_cipher_and_peer_certificate_are_reported)
{
    pair p;
    pair_open(&p, "good", 0);
    ck_assert_ps_ok(polysock_tls_new(p.csock, p.ccfg, NULL, &p.tls));
    char text[4096];
    size_t len = 99;
    /* Nothing is negotiated before the handshake. */
    ck_assert_ps_ok(polysock_tls_info_len(p.tls, POLYSOCK_TLS_INFO_VERSION, &len));
    ck_assert_uint_eq(len, 0);
    ck_assert_ps_ok(polysock_tls_handshake(p.tls));
    info(p.tls, POLYSOCK_TLS_INFO_VERSION, text, sizeof text);
    ck_assert_str_eq(text, "TLSv1.3");
    info(p.tls, POLYSOCK_TLS_INFO_CIPHER, text, sizeof text);
    ck_assert_msg(strncmp(text, "TLS_", 4) == 0, "cipher %s", text);
    /* The peer certificate is good.pem's DER. */
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "openssl x509 -in '%s' -outform DER", cert_file("good.pem"));
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    static unsigned char der[8192], got[8192];
    size_t der_len = fread(der, 1, sizeof der, f);
    ck_assert_int_eq(pclose(f), 0);
    ck_assert_uint_gt(der_len, 100);
    ck_assert_ps_ok(polysock_tls_info(p.tls, POLYSOCK_TLS_INFO_PEER_CERT, got, sizeof got, &len));
    ck_assert_uint_eq(len, der_len);
    ck_assert_mem_eq(got, der, der_len);
    /* Too small a buffer is refused, not truncated. */
    ck_assert_ps(polysock_tls_info(p.tls, POLYSOCK_TLS_INFO_PEER_CERT, got, der_len - 1, &len),
                 POLYSOCK_ETOOSMALL);
    ck_assert_ps(polysock_tls_info_len(p.tls, 0, &len), POLYSOCK_EVALUE);
    ck_assert_ps(polysock_tls_info_len(p.tls, 13, &len), POLYSOCK_EVALUE);
    /* The server asked for no client certificate. */
    server_join(&p.server);
    ck_assert_ps_ok(p.server.handshake_rc);
    ck_assert_ps_ok(polysock_tls_info_len(p.server.tls, POLYSOCK_TLS_INFO_PEER_CERT, &len));
    ck_assert_uint_eq(len, 0);
    ck_assert_ps_ok(polysock_tls_info_len(p.server.tls, POLYSOCK_TLS_INFO_SUBJECT_FIELDS, &len));
    ck_assert_uint_eq(len, 0);
    pair_close(&p);
}
END_TEST

START_TEST(test_minimum_version_1_3_negotiates_1_3)
{
    pair p;
    pair_prepare(&p, "good");
    ck_assert_ps_ok(polysock_tls_config_set_min_version(p.scfg, POLYSOCK_TLS_VERSION_1_3));
    ck_assert_ps_ok(polysock_tls_config_set_min_version(p.ccfg, POLYSOCK_TLS_VERSION_1_3));
    pair_serve(&p, 0);
    ck_assert_ps_ok(polysock_tls_new(p.csock, p.ccfg, NULL, &p.tls));
    ck_assert_ps_ok(polysock_tls_handshake(p.tls));
    char text[32];
    info(p.tls, POLYSOCK_TLS_INFO_VERSION, text, sizeof text);
    ck_assert_str_eq(text, "TLSv1.3");
    pair_close(&p);
}
END_TEST

/* The three forms of the peer's subject and issuer. */
struct name_lens {
    size_t oneline, rfc4514, fields;
};

static void peer_names(const char *server_cert, char *oneline, char *rfc4514,
                       char *fields, size_t cap, struct name_lens *lens)
{
    pair p;
    pair_open(&p, server_cert, 0);
    ck_assert_ps_ok(polysock_tls_new(p.csock, p.ccfg, "localhost", &p.tls));
    ck_assert_ps_ok(polysock_tls_handshake(p.tls));
    lens->oneline = info(p.tls, POLYSOCK_TLS_INFO_SUBJECT_ONELINE, oneline, cap);
    lens->rfc4514 = info(p.tls, POLYSOCK_TLS_INFO_SUBJECT_RFC4514, rfc4514, cap);
    lens->fields = info(p.tls, POLYSOCK_TLS_INFO_SUBJECT_FIELDS, fields, cap);
    char issuer[512];
    info(p.tls, POLYSOCK_TLS_INFO_ISSUER_ONELINE, issuer, sizeof issuer);
    ck_assert_str_eq(issuer, "/C=US/O=polysock test/CN=polysock test CA");
    info(p.tls, POLYSOCK_TLS_INFO_ISSUER_RFC4514, issuer, sizeof issuer);
    ck_assert_str_eq(issuer, "CN=polysock test CA,O=polysock test,C=US");
    info(p.tls, POLYSOCK_TLS_INFO_ISSUER_FIELDS, issuer, sizeof issuer);
    ck_assert_str_eq(issuer, "0 countryName 2:US\n1 organizationName 13:polysock test\n"
                             "2 commonName 16:polysock test CA\n");
    pair_close(&p);
}

START_TEST(test_subject_names_in_the_three_forms)
{
    static char oneline[4096], rfc[4096], fields[4096];
    struct name_lens lens;
    peer_names("good", oneline, rfc, fields, sizeof oneline, &lens);
    ck_assert_str_eq(oneline, "/C=US/ST=California/L=Mountain View/O=polysock test/CN=localhost");
    ck_assert_str_eq(rfc, "CN=localhost,O=polysock test,L=Mountain View,ST=California,C=US");
    ck_assert_str_eq(fields, "0 countryName 2:US\n1 stateOrProvinceName 10:California\n"
                             "2 localityName 13:Mountain View\n3 organizationName 13:polysock test\n"
                             "4 commonName 9:localhost\n");
}
END_TEST

START_TEST(test_odd_subject_values_keep_every_byte)
{
    static char oneline[4096], rfc[4096], fields[4096], expected[4096];
    struct name_lens lens;
    peer_names("odd", oneline, rfc, fields, sizeof oneline, &lens);
    /* FIELDS: every attribute of odd-subject.h, bytes and NUL kept. */
    size_t e = 0;
    for (size_t i = 0; i < ODD_SUBJECT_COUNT; i++) {
        const struct odd_attribute *a = &odd_subject[i];
        e += (size_t)snprintf(expected + e, sizeof expected - e, "%d %s %zu:", a->rdn,
                              a->long_name, a->len);
        memcpy(expected + e, a->value, a->len);
        e += a->len;
        expected[e++] = '\n';
    }
    ck_assert_uint_eq(lens.fields, e);
    ck_assert_mem_eq(fields, expected, e);
    /* RFC 4514: last RDN first, '+' in the multi-valued one, specials and
     * NUL escaped. */
    ck_assert_str_eq(rfc, "CN=localhost\\00/odd\\, name\\+x,ST=Z\xc3\xbcrich,"
                          "OU=a\\+b=c+L=multi,O=polysock/test\\, Inc.,C=US");
    /* One line: '/' between attributes and inside values alike; display
     * only, but every byte is there. */
    static const char one[] = "/C=US/O=polysock/test, Inc./L=multi/OU=a+b=c/ST=Z\xc3\xbcrich"
                              "/CN=localhost\0/odd, name+x";
    ck_assert_uint_eq(lens.oneline, sizeof one - 1);
    ck_assert_mem_eq(oneline, one, lens.oneline);
}
END_TEST

START_TEST(test_long_subject_is_never_truncated)
{
    static char oneline[4096], rfc[4096], fields[4096], expected[4096];
    struct name_lens lens;
    peer_names("long", oneline, rfc, fields, sizeof oneline, &lens);
    size_t e = (size_t)snprintf(expected, sizeof expected, "/C=US/O=polysock test");
    for (int i = 1; i <= 10; i++)
        e += (size_t)snprintf(expected + e, sizeof expected - e,
                              "/OU=organizational unit %02d of a subject longer than 512 bytes", i);
    snprintf(expected + e, sizeof expected - e, "/CN=localhost");
    ck_assert_uint_gt(lens.oneline, 512);
    ck_assert_str_eq(oneline, expected);
}
END_TEST

/* ---- client certificates ---- */

START_TEST(test_required_client_certificate_is_checked)
{
    pair p;
    pair_prepare(&p, "good");
    ck_assert_ps_ok(polysock_tls_config_set_require_client_cert(p.scfg, 1));
    ck_assert_ps_ok(polysock_tls_config_set_ca(p.scfg, cert_file("ca.pem"), NULL));
    ck_assert_ps_ok(polysock_tls_config_set_certificate(p.ccfg, cert_file("client.pem"),
                                                        cert_file("client.key")));
    pair_serve(&p, SERVE_ECHO);
    ck_assert_ps_ok(polysock_tls_new(p.csock, p.ccfg, NULL, &p.tls));
    ck_assert_ps_ok(polysock_tls_handshake(p.tls));
    tu_tls_write_all(p.tls, "x", 1);
    char c;
    tu_tls_read_exactly(p.tls, &c, 1);
    ck_assert_int_eq(c, 'x');
    char subject[256];
    info(p.server.tls, POLYSOCK_TLS_INFO_SUBJECT_RFC4514, subject, sizeof subject);
    ck_assert_str_eq(subject, "CN=polysock test client,O=polysock test,C=US");
    pair_close(&p);
    ck_assert_ps_ok(p.server.echo_rc);
}
END_TEST

START_TEST(test_missing_client_certificate_fails_both_sides)
{
    pair p;
    pair_prepare(&p, "good");
    ck_assert_ps_ok(polysock_tls_config_set_require_client_cert(p.scfg, 1));
    ck_assert_ps_ok(polysock_tls_config_set_ca(p.scfg, cert_file("ca.pem"), NULL));
    pair_serve(&p, 0);
    ck_assert_ps_ok(polysock_tls_new(p.csock, p.ccfg, NULL, &p.tls));
    /* TLS 1.3: the client finishes first and learns of the refusal from
     * the server's alert, at its first read. */
    int rc = polysock_tls_handshake(p.tls);
    if (rc == 0) {
        char c;
        size_t n;
        rc = polysock_tls_read(p.tls, &c, 1, &n);
    }
    ck_assert_ps(rc, POLYSOCK_ETLS_HANDSHAKE);
    char reason[256];
    info(p.tls, POLYSOCK_TLS_INFO_ERROR, reason, sizeof reason);
    ck_assert_msg(strstr(reason, "certificate required") != NULL, "reason: %s", reason);
    server_join(&p.server);
    ck_assert_ps(p.server.handshake_rc, POLYSOCK_ETLS_HANDSHAKE);
    info(p.server.tls, POLYSOCK_TLS_INFO_ERROR, reason, sizeof reason);
    ck_assert_msg(strstr(reason, "peer did not return a certificate") != NULL, "reason: %s", reason);
    /* After a failed handshake the connection is closed for I/O. */
    size_t n;
    ck_assert_ps(polysock_tls_write(p.tls, "x", 1, &n), POLYSOCK_ETLS_CLOSED);
    ck_assert_ps(polysock_tls_read(p.server.tls, reason, 1, &n), POLYSOCK_ETLS_CLOSED);
    ck_assert_ps(polysock_tls_handshake(p.server.tls), POLYSOCK_ETLS_HANDSHAKE);
    pair_close(&p);
}
END_TEST

/* ---- timeouts and modes ---- */

START_TEST(test_handshake_times_out_against_a_silent_peer)
{
    polysock_handle c, s, cfg = client_config(), tls;
    tu_tcp_pair(AF_INET, &c, &s);
    ck_assert_ps_ok(polysock_settimeout(c, 0.3));
    ck_assert_ps_ok(polysock_tls_new(c, cfg, NULL, &tls));
    double t0 = tu_now();
    ck_assert_ps(polysock_tls_handshake(tls), POLYSOCK_ETIMEOUT);
    double took = tu_now() - t0;
    ck_assert_msg(took >= 0.29 && took < 5.0, "took %.3f s", took);
    ck_assert_ps_ok(polysock_tls_close(tls));
    ck_assert_ps_ok(polysock_close(c));
    ck_assert_ps_ok(polysock_close(s));
    ck_assert_ps_ok(polysock_tls_config_close(cfg));
}
END_TEST

START_TEST(test_nonblocking_calls_say_what_to_wait_for)
{
    pair p;
    pair_prepare(&p, "good");
    ck_assert_ps_ok(polysock_setblocking(p.csock, 0));
    ck_assert_ps_ok(polysock_tls_new(p.csock, p.ccfg, NULL, &p.tls));
    /* The ClientHello goes out; the answer cannot be there yet. */
    ck_assert_ps(polysock_tls_handshake(p.tls), POLYSOCK_ETLS_WANTREAD);
    pair_serve(&p, SERVE_ECHO);
    int fd;
    ck_assert_ps_ok(polysock_fileno(p.csock, &fd));
    int rc, rounds = 0;
    while ((rc = polysock_tls_handshake(p.tls)) != 0) {
        ck_assert_msg(rc == POLYSOCK_ETLS_WANTREAD || rc == POLYSOCK_ETLS_WANTWRITE,
                      "rc %s", polysock_errname(rc));
        struct pollfd pfd = {fd, rc == POLYSOCK_ETLS_WANTREAD ? POLLIN : POLLOUT, 0};
        ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
        ck_assert_int_lt(++rounds, 100);
    }
    char buf[8];
    size_t n = 0;
    ck_assert_ps(polysock_tls_read(p.tls, buf, sizeof buf, &n), POLYSOCK_ETLS_WANTREAD);
    tu_tls_write_all(p.tls, "ping", 4);
    size_t got = 0;
    while (got < 4) {
        rc = polysock_tls_read(p.tls, buf + got, sizeof buf - got, &n);
        if (rc == POLYSOCK_ETLS_WANTREAD) {
            struct pollfd pfd = {fd, POLLIN, 0};
            ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
            continue;
        }
        ck_assert_ps_ok(rc);
        got += n;
    }
    ck_assert_mem_eq(buf, "ping", 4);
    pair_close(&p);
}
END_TEST

static void on_alarm(int sig)
{
    (void)sig;
}

struct signaller {
    pthread_t target;
    double delay;
};

static void *signal_later(void *arg)
{
    struct signaller *s = arg;
    usleep((useconds_t)(s->delay * 1e6));
    pthread_kill(s->target, SIGUSR1);
    return NULL;
}

START_TEST(test_interrupted_read_returns_eintr_and_its_repeat_keeps_the_deadline)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART */
    ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
    pair p;
    pair_open(&p, "good", 0);
    ck_assert_ps_ok(polysock_tls_new(p.csock, p.ccfg, NULL, &p.tls));
    ck_assert_ps_ok(polysock_tls_handshake(p.tls));
    ck_assert_ps_ok(polysock_settimeout(p.csock, 1.0));
    ck_assert_ps_ok(polysock_set_interrupt_mode(1));
    struct signaller sig = {pthread_self(), 0.2};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, signal_later, &sig), 0);
    char buf[4];
    size_t n;
    double t0 = tu_now();
    ck_assert_ps(polysock_tls_read(p.tls, buf, sizeof buf, &n), -EINTR);
    ck_assert_double_lt(tu_now() - t0, 0.9);
    pthread_join(t, NULL);
    /* The repeat waits only for what is left of the first call's second. */
    polysock_resume();
    ck_assert_ps(polysock_tls_read(p.tls, buf, sizeof buf, &n), POLYSOCK_ETIMEOUT);
    double took = tu_now() - t0;
    ck_assert_msg(took >= 0.99 && took < 1.8, "took %.3f s", took);
    ck_assert_ps_ok(polysock_set_interrupt_mode(0));
    pair_close(&p);
}
END_TEST

/* ---- ends of a connection ---- */

static int read_after_server_fin(int allow_unexpected_eof, size_t *n)
{
    pair p;
    pair_prepare(&p, "good");
    ck_assert_ps_ok(polysock_tls_config_set_allow_unexpected_eof(p.ccfg, allow_unexpected_eof));
    pair_serve(&p, SERVE_FIN);
    ck_assert_ps_ok(polysock_tls_new(p.csock, p.ccfg, NULL, &p.tls));
    ck_assert_ps_ok(polysock_tls_handshake(p.tls));
    char buf[16];
    int rc = polysock_tls_read(p.tls, buf, sizeof buf, n);
    pair_close(&p);
    return rc;
}

START_TEST(test_bare_fin_is_an_error_unless_allowed)
{
    size_t n = 99;
    ck_assert_ps(read_after_server_fin(0, &n), POLYSOCK_ETLS_EOF);
    ck_assert_ps_ok(read_after_server_fin(1, &n));
    ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_close_notify_is_a_clean_eof_and_ends_writing)
{
    pair p;
    pair_open(&p, "good", 0);
    ck_assert_ps_ok(polysock_tls_new(p.csock, p.ccfg, NULL, &p.tls));
    ck_assert_ps_ok(polysock_tls_handshake(p.tls));
    server_join(&p.server);
    ck_assert_ps_ok(p.server.handshake_rc);
    ck_assert_ps_ok(polysock_tls_close(p.server.tls)); /* sends close_notify */
    p.server.tls = 0;
    char buf[8];
    size_t n = 99;
    ck_assert_ps_ok(polysock_tls_read(p.tls, buf, sizeof buf, &n));
    ck_assert_uint_eq(n, 0);
    ck_assert_ps_ok(polysock_tls_read(p.tls, buf, sizeof buf, &n)); /* again */
    ck_assert_uint_eq(n, 0);
    ck_assert_ps(polysock_tls_write(p.tls, "x", 1, &n), POLYSOCK_ETLS_CLOSED);
    ck_assert_uint_eq(n, 0);
    pair_close(&p);
}
END_TEST

START_TEST(test_calls_after_close_give_badhandle)
{
    pair p;
    pair_open(&p, "good", 0);
    ck_assert_ps_ok(polysock_tls_new(p.csock, p.ccfg, NULL, &p.tls));
    ck_assert_ps_ok(polysock_tls_handshake(p.tls));
    polysock_handle tls = p.tls;
    ck_assert_ps_ok(polysock_tls_close(tls));
    p.tls = 0;
    char buf[4];
    size_t n;
    ck_assert_ps(polysock_tls_read(tls, buf, sizeof buf, &n), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_tls_write(tls, "x", 1, &n), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_tls_handshake(tls), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_tls_pending(tls, &n), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_tls_info_len(tls, POLYSOCK_TLS_INFO_VERSION, &n), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_tls_close(tls), POLYSOCK_EBADHANDLE);
    /* Kinds are checked: a socket is no TLS handle and the other way. */
    ck_assert_ps(polysock_tls_read(p.csock, buf, sizeof buf, &n), POLYSOCK_EWRONGKIND);
    ck_assert_ps(polysock_tls_close(p.ccfg), POLYSOCK_EWRONGKIND);
    ck_assert_ps(polysock_tls_config_close(p.csock), POLYSOCK_EWRONGKIND);
    ck_assert_ps(polysock_tls_new(p.csock, p.csock, NULL, &tls), POLYSOCK_EWRONGKIND);
    ck_assert_ps(polysock_tls_new(p.ccfg, p.ccfg, NULL, &tls), POLYSOCK_EWRONGKIND);
    server_join(&p.server);
    server_close(&p.server);
    p.server.tls = 0;
    /* Closing the socket under a connection makes its calls EBADHANDLE. */
    ck_assert_ps_ok(polysock_tls_new(p.ssock, p.scfg, NULL, &tls));
    ck_assert_ps_ok(polysock_close(p.ssock));
    ck_assert_ps(polysock_tls_read(tls, buf, sizeof buf, &n), POLYSOCK_EBADHANDLE);
    ck_assert_ps_ok(polysock_tls_close(tls));
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &p.ssock)); /* for pair_close */
    pair_close(&p);
}
END_TEST

struct closer {
    int (*close)(polysock_handle h);
    polysock_handle h;
    double delay;
};

static void *close_later(void *arg)
{
    struct closer *c = arg;
    usleep((useconds_t)(c->delay * 1e6));
    ck_assert_ps_ok(c->close(c->h));
    return NULL;
}

START_TEST(test_closing_the_socket_wakes_a_blocked_read)
{
    pair p;
    pair_open(&p, "good", 0);
    ck_assert_ps_ok(polysock_tls_new(p.csock, p.ccfg, NULL, &p.tls));
    ck_assert_ps_ok(polysock_tls_handshake(p.tls));
    server_join(&p.server);
    struct closer closer = {polysock_close, p.csock, 0.2};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, close_later, &closer), 0);
    char buf[8];
    size_t n;
    double t0 = tu_now();
    ck_assert_ps(polysock_tls_read(p.tls, buf, sizeof buf, &n), POLYSOCK_EBADHANDLE);
    ck_assert_double_lt(tu_now() - t0, 10.0);
    pthread_join(t, NULL);
    ck_assert_ps_ok(polysock_tls_close(p.tls));
    p.tls = 0;
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &p.csock)); /* for pair_close */
    pair_close(&p);
}
END_TEST

START_TEST(test_closing_the_connection_wakes_a_blocked_read)
{
    pair p;
    pair_open(&p, "good", 0);
    ck_assert_ps_ok(polysock_tls_new(p.csock, p.ccfg, NULL, &p.tls));
    ck_assert_ps_ok(polysock_tls_handshake(p.tls));
    server_join(&p.server);
    struct closer closer = {polysock_tls_close, p.tls, 0.2};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, close_later, &closer), 0);
    char buf[8];
    size_t n;
    double t0 = tu_now();
    /* The socket is blocking: only the close can end this read. */
    ck_assert_ps(polysock_tls_read(p.tls, buf, sizeof buf, &n), POLYSOCK_EBADHANDLE);
    ck_assert_double_lt(tu_now() - t0, 10.0);
    pthread_join(t, NULL);
    p.tls = 0;
    pair_close(&p);
}
END_TEST

START_TEST(test_write_to_a_vanished_peer_is_an_error_not_sigpipe)
{
    pair p;
    pair_open(&p, "good", 0);
    ck_assert_ps_ok(polysock_tls_new(p.csock, p.ccfg, NULL, &p.tls));
    ck_assert_ps_ok(polysock_tls_handshake(p.tls));
    server_join(&p.server);
    ck_assert_ps_ok(polysock_close(p.ssock)); /* RST on the next segment */
    static char chunk[65536];
    size_t n;
    int rc = 0;
    for (int i = 0; i < 200 && rc == 0; i++)
        rc = polysock_tls_write(p.tls, chunk, sizeof chunk, &n);
    ck_assert_msg(rc == -EPIPE || rc == -ECONNRESET, "rc %s", polysock_errname(rc));
    ck_assert_ps(polysock_tls_write(p.tls, chunk, 1, &n), POLYSOCK_ETLS_CLOSED);
    ck_assert_ps_ok(polysock_socket(AF_INET, SOCK_STREAM, 0, &p.ssock));
    pair_close(&p);
}
END_TEST

/* ---- threads ---- */

#define DUPLEX_BYTES (4u << 20)

struct writer {
    polysock_handle tls;
    const unsigned char *data;
    size_t len;
    int rc;
};

static void *write_everything(void *arg)
{
    struct writer *w = arg;
    size_t sent = 0;
    w->rc = polysock_tls_write(w->tls, w->data, w->len, &sent);
    if (w->rc == 0 && sent != w->len)
        w->rc = -EIO;
    return NULL;
}

START_TEST(test_one_thread_reads_while_another_writes)
{
    size_t total = tu_under_valgrind() ? DUPLEX_BYTES / 8 : DUPLEX_BYTES;
    unsigned char *data = malloc(DUPLEX_BYTES), *back = malloc(DUPLEX_BYTES);
    ck_assert_ptr_nonnull(data);
    ck_assert_ptr_nonnull(back);
    for (size_t i = 0; i < DUPLEX_BYTES; i++)
        data[i] = (unsigned char)(i * 7 + i / 65536);
    pair p;
    pair_open(&p, "good", SERVE_ECHO);
    ck_assert_ps_ok(polysock_tls_new(p.csock, p.ccfg, NULL, &p.tls));
    /* No handshake first: both threads start it together. */
    struct writer w = {p.tls, data, total, 0};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, write_everything, &w), 0);
    tu_tls_read_exactly(p.tls, back, total);
    pthread_join(t, NULL);
    ck_assert_ps_ok(w.rc);
    ck_assert_int_eq(memcmp(back, data, total), 0);
    free(data);
    free(back);
    pair_close(&p);
    ck_assert_ps_ok(p.server.echo_rc);
}
END_TEST

#define HANDSHAKE_THREADS 6

struct handshaker {
    polysock_handle ccfg, scfg;
    int rc;
};

static void *connect_and_echo(void *arg)
{
    struct handshaker *h = arg;
    polysock_handle c, s, tls;
    tu_tcp_pair(AF_INET, &c, &s);
    server_run server;
    server_start(&server, s, h->scfg, SERVE_ECHO);
    h->rc = polysock_tls_new(c, h->ccfg, NULL, &tls);
    char buf[32];
    if (h->rc == 0) {
        size_t n;
        h->rc = polysock_tls_write(tls, "thread", 6, &n);
        if (h->rc == 0)
            h->rc = polysock_tls_read(tls, buf, sizeof buf, &n);
        if (h->rc == 0 && (n != 6 || memcmp(buf, "thread", 6) != 0))
            h->rc = -EIO;
        polysock_tls_close(tls);
    }
    polysock_shutdown(c, SHUT_RDWR); /* the server wakes whatever happened */
    server_join(&server);
    if (h->rc == 0)
        h->rc = server.handshake_rc != 0 ? server.handshake_rc : server.echo_rc;
    server_close(&server);
    polysock_close(c);
    polysock_close(s);
    return NULL;
}

START_TEST(test_concurrent_handshakes_share_configurations)
{
    polysock_handle ccfg = client_config(), scfg = server_config("good");
    struct handshaker h[HANDSHAKE_THREADS];
    pthread_t t[HANDSHAKE_THREADS];
    for (int i = 0; i < HANDSHAKE_THREADS; i++) {
        h[i] = (struct handshaker){ccfg, scfg, -1};
        ck_assert_int_eq(pthread_create(&t[i], NULL, connect_and_echo, &h[i]), 0);
    }
    for (int i = 0; i < HANDSHAKE_THREADS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_ps_ok(h[i].rc);
    }
    ck_assert_ps_ok(polysock_tls_config_close(ccfg));
    ck_assert_ps_ok(polysock_tls_config_close(scfg));
}
END_TEST

/* ---- the memory transport and the name formatters (fuzzer entries) ---- */

START_TEST(test_memory_transport_client_refuses_garbage)
{
    static const char http[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    ck_assert_ps(polysock__tls_fuzz_client((const uint8_t *)http, sizeof http - 1),
                 POLYSOCK_ETLS_PROTOCOL);
    ck_assert_ps(polysock__tls_fuzz_client(NULL, 0), POLYSOCK_ETLS_EOF);
    /* A handshake record header promising more than it brings. */
    static const uint8_t truncated[] = {0x16, 0x03, 0x03, 0x00, 0x40, 0x02, 0x00};
    ck_assert_ps(polysock__tls_fuzz_client(truncated, sizeof truncated), POLYSOCK_ETLS_EOF);
    uint8_t noise[512];
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (uint8_t)(i * 131 + 17);
    int rc = polysock__tls_fuzz_client(noise, sizeof noise);
    ck_assert_int_eq(polysock_errclass(rc), POLYSOCK_ERRCLASS_TLS);
}
END_TEST

START_TEST(test_name_formatter_reads_der_certificates)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "openssl x509 -in '%s' -outform DER", cert_file("good.pem"));
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    static uint8_t der[8192];
    size_t len = fread(der, 1, sizeof der, f);
    ck_assert_int_eq(pclose(f), 0);
    polysock__buf out = {0};
    ck_assert_ps_ok(polysock__tls_format_name_der(der, len, POLYSOCK_TLS_INFO_SUBJECT_RFC4514, &out));
    ck_assert_uint_eq(out.len, strlen("CN=localhost,O=polysock test,L=Mountain View,ST=California,C=US"));
    ck_assert_mem_eq(out.data, "CN=localhost,O=polysock test,L=Mountain View,ST=California,C=US", out.len);
    polysock__buf_free(&out);
    ck_assert_ps(polysock__tls_format_name_der(der, len, POLYSOCK_TLS_INFO_VERSION, &out),
                 POLYSOCK_EVALUE);
    polysock__buf_free(&out);
    ck_assert_ps(polysock__tls_format_name_der(der, len / 2, POLYSOCK_TLS_INFO_SUBJECT_ONELINE, &out),
                 POLYSOCK_ETLS_CONFIG);
    ck_assert_uint_eq(out.len, 0);
}
END_TEST

/* ---- configuration ---- */

START_TEST(test_configuration_setters_check_their_arguments)
{
    polysock_handle c, s;
    ck_assert_ps_ok(polysock_tls_config_new(0, &c));
    ck_assert_ps_ok(polysock_tls_config_new(1, &s));
    ck_assert_ps(polysock_tls_config_new(0, NULL), POLYSOCK_ENULL);
    ck_assert_ps(polysock_tls_config_set_verify(s, 0), POLYSOCK_EVALUE);
    ck_assert_ps(polysock_tls_config_set_require_client_cert(c, 1), POLYSOCK_EVALUE);
    ck_assert_ps(polysock_tls_config_set_min_version(c, 0x0301), POLYSOCK_EVALUE);
    ck_assert_ps(polysock_tls_config_set_min_version(c, 0x0305), POLYSOCK_EVALUE);
    ck_assert_ps_ok(polysock_tls_config_set_min_version(c, POLYSOCK_TLS_VERSION_1_3));
    ck_assert_ps(polysock_tls_config_set_alpn(c, "h2,,http/1.1"), POLYSOCK_EVALUE);
    ck_assert_ps(polysock_tls_config_set_alpn(c, "h2,"), POLYSOCK_EVALUE);
    char long_name[300];
    memset(long_name, 'a', 256);
    long_name[256] = '\0';
    ck_assert_ps(polysock_tls_config_set_alpn(c, long_name), POLYSOCK_EVALUE);
    long_name[255] = '\0';
    ck_assert_ps_ok(polysock_tls_config_set_alpn(c, long_name));
    ck_assert_ps_ok(polysock_tls_config_set_alpn(c, ""));
    ck_assert_ps_ok(polysock_tls_config_set_alpn(c, NULL));
    ck_assert_ps(polysock_tls_config_set_ca(c, NULL, NULL), POLYSOCK_ENULL);
    ck_assert_ps(polysock_tls_config_set_ca(c, "/nonexistent/ca.pem", NULL), -ENOENT);
    ck_assert_ps(polysock_tls_config_set_ca(c, NULL, "/nonexistent"), -ENOENT);
    ck_assert_ps(polysock_tls_config_set_ca(c, NULL, cert_file("ca.pem")), -ENOTDIR);
    ck_assert_ps(polysock_tls_config_set_ca(c, cert_file("good.key"), NULL), POLYSOCK_ETLS_CONFIG);
    ck_assert_ps(polysock_tls_config_set_certificate(s, NULL, NULL), POLYSOCK_ENULL);
    ck_assert_ps(polysock_tls_config_set_certificate(s, "/nonexistent.pem", NULL), -ENOENT);
    /* No key in the file, a key that does not match, not PEM at all. */
    ck_assert_ps(polysock_tls_config_set_certificate(s, cert_file("good.pem"), NULL),
                 POLYSOCK_ETLS_CONFIG);
    ck_assert_ps(polysock_tls_config_set_certificate(s, cert_file("good.pem"),
                                                     cert_file("client.key")),
                 POLYSOCK_ETLS_CONFIG);
    ck_assert_ps(polysock_tls_config_set_certificate(s, cert_file("stamp"), NULL),
                 POLYSOCK_ETLS_CONFIG);
    ck_assert_ps_ok(polysock_tls_config_set_certificate(s, cert_file("good-chain.pem"),
                                                        cert_file("good.key")));
    ck_assert_ps_ok(polysock_tls_config_close(c));
    ck_assert_ps_ok(polysock_tls_config_close(s));
    ck_assert_ps(polysock_tls_config_close(s), POLYSOCK_EBADHANDLE);
    ck_assert_ps(polysock_tls_config_set_verify(s, 1), POLYSOCK_EBADHANDLE);
}
END_TEST

START_TEST(test_tls_constants_and_messages)
{
    int64_t v;
    ck_assert_ps_ok(polysock_constant_lookup("POLYSOCK_TLS_VERSION_1_3", &v));
    ck_assert_int_eq(v, POLYSOCK_TLS_VERSION_1_3);
    ck_assert_ps_ok(polysock_constant_lookup("POLYSOCK_TLS_INFO_SERVER_HOSTNAME", &v));
    ck_assert_int_eq(v, POLYSOCK_TLS_INFO_SERVER_HOSTNAME);
    /* Every TLS code has its own name and message. */
    for (int code = POLYSOCK_ETLS_WANTREAD; code >= POLYSOCK_ETLS_CLOSED; code--) {
        ck_assert_int_eq(polysock_errclass(code), POLYSOCK_ERRCLASS_TLS);
        ck_assert_msg(strncmp(polysock_errname(code), "POLYSOCK_ETLS_", 14) == 0, "%d", code);
        for (int other = code - 1; other >= POLYSOCK_ETLS_CLOSED; other--)
            ck_assert_str_ne(polysock_strerror(code), polysock_strerror(other));
    }
}
END_TEST

/* ---- accounting ---- */

static void one_connection(void)
{
    pair p;
    pair_open(&p, "good", SERVE_ECHO);
    ck_assert_ps_ok(polysock_tls_new(p.csock, p.ccfg, NULL, &p.tls));
    tu_tls_write_all(p.tls, "abc", 3);
    char buf[3];
    tu_tls_read_exactly(p.tls, buf, 3);
    pair_close(&p);
}

START_TEST(test_counters_return_to_their_start)
{
    one_connection(); /* the handle table's first chunk */
    polysock__tls_cache_flush();
    polysock_stats start, end;
    ck_assert_ps_ok(polysock_get_stats(&start));
    int fds = tu_open_fds();
    one_connection();
    one_connection();
    /* The two contexts stay cached for the next connections... */
    ck_assert_ps_ok(polysock_get_stats(&end));
    ck_assert_int_gt(end.live_bytes, start.live_bytes);
    /* ...and nothing else is held. */
    polysock__tls_cache_flush();
    ck_assert_ps_ok(polysock_get_stats(&end));
    ck_assert_int_eq(end.live_bytes, start.live_bytes);
    ck_assert_int_eq(end.live_handles, start.live_handles);
    ck_assert_int_eq(end.live_sockets, start.live_sockets);
    ck_assert_int_eq(tu_open_fds(), fds);
}
END_TEST

/* tls_config_new, every setter and tls_new with allocation number k
 * failing: ENOMEM or success, never a leak. */
static int config_and_connect(polysock_handle sock, polysock_handle *out_tls,
                              polysock_handle *cfgs)
{
    int rc = polysock_tls_config_new(0, &cfgs[0]);
    if (rc != 0)
        return rc;
    if ((rc = polysock_tls_config_set_ca(cfgs[0], cert_file("ca.pem"), NULL)) != 0 ||
        (rc = polysock_tls_config_set_alpn(cfgs[0], "h2,http/1.1")) != 0 ||
        (rc = polysock_tls_config_set_certificate(cfgs[0], cert_file("client.pem"),
                                                  cert_file("client.key"))) != 0)
        return rc;
    return polysock_tls_new(sock, cfgs[0], "localhost", out_tls);
}

START_TEST(test_allocation_failures_give_enomem_and_leak_nothing)
{
    polysock_handle a, b;
    ck_assert_ps_ok(polysock_socketpair(AF_UNIX, SOCK_STREAM, 0, &a, &b));
    polysock_handle cfg = 0, tls = 0;
    /* Warm up: the context is built once and cached. */
    ck_assert_ps_ok(config_and_connect(a, &tls, &cfg));
    ck_assert_ps_ok(polysock_tls_close(tls));
    ck_assert_ps_ok(polysock_tls_config_close(cfg));
    polysock__tls_cache_flush();
    polysock_stats start, end;
    ck_assert_ps_ok(polysock_get_stats(&start));
    int failures = 0;
    for (int64_t k = 0;; k++) {
        cfg = tls = 0;
        ck_assert_ps_ok(polysock_debug_fail_allocs(k, 1));
        int rc = config_and_connect(a, &tls, &cfg);
        ck_assert_ps_ok(polysock_debug_fail_allocs(0, 0));
        ck_assert_msg(rc == 0 || rc == -ENOMEM, "k=%lld: %s", (long long)k, polysock_errname(rc));
        if (tls != 0)
            ck_assert_ps_ok(polysock_tls_close(tls));
        if (cfg != 0)
            ck_assert_ps_ok(polysock_tls_config_close(cfg));
        polysock__tls_cache_flush();
        ck_assert_ps_ok(polysock_get_stats(&end));
        ck_assert_msg(end.live_bytes == start.live_bytes, "k=%lld: %lld bytes left",
                      (long long)k, (long long)(end.live_bytes - start.live_bytes));
        ck_assert_int_eq(end.live_handles, start.live_handles);
        if (rc == 0)
            break;
        failures++;
    }
    ck_assert_int_gt(failures, 5); /* every allocation site was reached */
    ck_assert_ps_ok(polysock_close(a));
    ck_assert_ps_ok(polysock_close(b));
}
END_TEST

/* A test case of the suite; every test needs the certificates. */
static TCase *new_case(Suite *s, const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, check_certs_exist, NULL);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return tc;
}

Suite *tls_suite(void)
{
    Suite *s = suite_create("tls");
    TCase *tc;

    tc = new_case(s, "roundtrip");
    tcase_add_test(tc, test_client_and_server_exchange_bytes_over_loopback);

    tc = new_case(s, "verify");
    tcase_add_test(tc, test_verification_is_on_by_default_and_refuses_self_signed);
    tcase_add_test(tc, test_wrong_host_name_is_refused);
    tcase_add_test(tc, test_expired_certificate_is_refused);
    tcase_add_test(tc, test_verification_opt_out_accepts_any_certificate);
    tcase_add_test(tc, test_trust_from_a_hashed_directory);
    tcase_add_test(tc, test_names_are_checked_before_any_io);
    tcase_add_test(tc, test_sni_is_sent_for_names_and_not_for_ip_literals);
    tcase_add_test(tc, test_required_client_certificate_is_checked);
    tcase_add_test(tc, test_missing_client_certificate_fails_both_sides);

    tc = new_case(s, "info");
    tcase_add_test(tc, test_alpn_server_picks_its_first_protocol_the_client_offers);
    tcase_add_test(tc, test_version_cipher_and_peer_certificate_are_reported);
    tcase_add_test(tc, test_minimum_version_1_3_negotiates_1_3);
    tcase_add_test(tc, test_subject_names_in_the_three_forms);
    tcase_add_test(tc, test_odd_subject_values_keep_every_byte);
    tcase_add_test(tc, test_long_subject_is_never_truncated);

    tc = new_case(s, "modes");
    tcase_add_test(tc, test_handshake_times_out_against_a_silent_peer);
    tcase_add_test(tc, test_nonblocking_calls_say_what_to_wait_for);
    tcase_add_test(tc, test_interrupted_read_returns_eintr_and_its_repeat_keeps_the_deadline);

    tc = new_case(s, "ends");
    tcase_add_test(tc, test_bare_fin_is_an_error_unless_allowed);
    tcase_add_test(tc, test_close_notify_is_a_clean_eof_and_ends_writing);
    tcase_add_test(tc, test_calls_after_close_give_badhandle);
    tcase_add_test(tc, test_closing_the_socket_wakes_a_blocked_read);
    tcase_add_test(tc, test_closing_the_connection_wakes_a_blocked_read);
    tcase_add_test(tc, test_write_to_a_vanished_peer_is_an_error_not_sigpipe);

    tc = new_case(s, "threads");
    tcase_add_test(tc, test_one_thread_reads_while_another_writes);
    tcase_add_test(tc, test_concurrent_handshakes_share_configurations);

    tc = new_case(s, "engine");
    tcase_add_test(tc, test_memory_transport_client_refuses_garbage);
    tcase_add_test(tc, test_name_formatter_reads_der_certificates);

    tc = new_case(s, "config");
    tcase_add_test(tc, test_configuration_setters_check_their_arguments);
    tcase_add_test(tc, test_tls_constants_and_messages);

    tc = new_case(s, "accounting");
    tcase_add_test(tc, test_counters_return_to_their_start);
    tcase_add_test(tc, test_allocation_failures_give_enomem_and_leak_nothing);
    return s;
}
