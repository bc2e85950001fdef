/*
 * tls_openssl.c - the OpenSSL 3 engine (tls_engine.h).
 *
 * Contexts are SSL_CTX objects built once from settings and never changed
 * afterwards (OpenSSL allows concurrent SSL_new on one SSL_CTX).  Each
 * connection is an SSL over a BIO that calls the polysock transport, so
 * OpenSSL never sees a descriptor.  Errors become polysock codes here; the
 * text of OpenSSL's first queued error (and the verification result) is
 * the reason kept for POLYSOCK_TLS_INFO_ERROR.  OpenSSL's error queue is
 * per thread: it is cleared before each SSL call and after it is read.
 */
#include "tls_engine.h"
#include "tls_openssl.h"

#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct ossl_ctx {
    SSL_CTX *ssl_ctx;
    polysock__bytes alpn; /* server: its protocols, for select_alpn */
} ossl_ctx;

typedef struct ossl_conn {
    SSL *ssl;
    polysock__tls_transport *transport;
    char *hostname; /* client: the name verified / sent; NULL if none */
} ossl_conn;

/* ---- reasons ---- */

static void set_reason(char *reason, const char *text)
{
    if (reason != NULL)
        snprintf(reason, POLYSOCK__TLS_REASON_MAX, "%s", text);
}

/* The first queued error as text (or fallback when the queue is empty);
 * clears the queue. */
static void reason_from_queue(char *reason, const char *fallback)
{
    unsigned long e = ERR_peek_error();
    if (reason != NULL) {
        if (e != 0)
            ERR_error_string_n(e, reason, POLYSOCK__TLS_REASON_MAX);
        else
            set_reason(reason, fallback);
    }
    ERR_clear_error();
}

/* ---- the BIO over a polysock transport ---- */

static int bio_read(BIO *bio, char *buf, int len)
{
    polysock__tls_transport *t = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    ssize_t n = t->ops->recv(t, buf, (size_t)len);
    if (n < 0 && (t->last_error == EAGAIN || t->last_error == EWOULDBLOCK))
        BIO_set_retry_read(bio);
    return (int)n;
}

static int bio_write(BIO *bio, const char *buf, int len)
{
    polysock__tls_transport *t = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    ssize_t n = t->ops->send(t, buf, (size_t)len);
    if (n < 0 && (t->last_error == EAGAIN || t->last_error == EWOULDBLOCK))
        BIO_set_retry_write(bio);
    return (int)n;
}

static long bio_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
    (void)num;
    (void)ptr;
    polysock__tls_transport *t = BIO_get_data(bio);
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1; /* nothing is buffered here */
    case BIO_CTRL_EOF:
        /* OpenSSL tells an unexpected EOF from a failed read by this. */
        return t != NULL && t->at_eof;
    default:
        return 0;
    }
}

static BIO_METHOD *bio_method; /* made once, lives as long as the process */
static pthread_once_t bio_method_once = PTHREAD_ONCE_INIT;

static void make_bio_method(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                                 "polysock transport");
    if (m != NULL && BIO_meth_set_read(m, bio_read) &&
        BIO_meth_set_write(m, bio_write) && BIO_meth_set_ctrl(m, bio_ctrl))
        bio_method = m;
    else
        BIO_meth_free(m);
}

/* ---- credentials and trust ---- */

/* Never prompt on the terminal for the password of an encrypted key. */
static int no_password(char *buf, int size, int rwflag, void *userdata)
{
    (void)buf; (void)size; (void)rwflag; (void)userdata;
    return -1;
}

static BIO *memory_bio(const polysock__bytes *b)
{
    return BIO_new_mem_buf(b->data, b->len > INT_MAX ? INT_MAX : (int)b->len);
}

/* Chain and key into ctx (key from cert when key is unset). */
static int load_credentials(SSL_CTX *ctx, const polysock__bytes *cert,
                            const polysock__bytes *key, char *reason)
{
    BIO *cb = memory_bio(cert);
    BIO *kb = memory_bio(key->data != NULL ? key : cert);
    if (cb == NULL || kb == NULL) {
        BIO_free(cb);
        BIO_free(kb);
        return -ENOMEM;
    }
    int rc = 0;
    X509 *leaf = PEM_read_bio_X509_AUX(cb, NULL, no_password, NULL);
    if (leaf == NULL || SSL_CTX_use_certificate(ctx, leaf) != 1) {
        reason_from_queue(reason, "no certificate");
        rc = POLYSOCK_ETLS_CONFIG;
    }
    X509_free(leaf);
    X509 *ca;
    while (rc == 0 && (ca = PEM_read_bio_X509(cb, NULL, no_password, NULL)) != NULL) {
        if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
            X509_free(ca);
            reason_from_queue(reason, "bad chain certificate");
            rc = POLYSOCK_ETLS_CONFIG;
        }
    }
    ERR_clear_error(); /* the end of the chain reads as "no start line" */
    EVP_PKEY *pkey = rc == 0 ? PEM_read_bio_PrivateKey(kb, NULL, no_password, NULL) : NULL;
    if (rc == 0 && (pkey == NULL || SSL_CTX_use_PrivateKey(ctx, pkey) != 1)) {
        reason_from_queue(reason, "no private key");
        rc = POLYSOCK_ETLS_CONFIG;
    }
    if (rc == 0 && SSL_CTX_check_private_key(ctx) != 1) {
        reason_from_queue(reason, "the private key does not match the certificate");
        rc = POLYSOCK_ETLS_CONFIG;
    }
    EVP_PKEY_free(pkey);
    BIO_free(cb);
    BIO_free(kb);
    return rc;
}

/* Add every certificate of the PEM bytes to store (NULL: only count). */
static int load_trust(X509_STORE *store, const polysock__bytes *ca, char *reason)
{
    BIO *b = memory_bio(ca);
    if (b == NULL)
        return -ENOMEM;
    int count = 0, rc = 0;
    X509 *cert;
    while (rc == 0 && (cert = PEM_read_bio_X509(b, NULL, no_password, NULL)) != NULL) {
        if (store != NULL && X509_STORE_add_cert(store, cert) != 1) {
            reason_from_queue(reason, "cannot add a CA certificate");
            rc = POLYSOCK_ETLS_CONFIG;
        }
        X509_free(cert);
        count++;
    }
    ERR_clear_error();
    BIO_free(b);
    if (rc == 0 && count == 0) {
        set_reason(reason, "no certificate in the CA file");
        rc = POLYSOCK_ETLS_CONFIG;
    }
    return rc;
}

static int check_credentials(const polysock__bytes *cert, const polysock__bytes *key,
                             char *reason)
{
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    if (ctx == NULL) {
        ERR_clear_error();
        return -ENOMEM;
    }
    int rc = load_credentials(ctx, cert, key, reason);
    SSL_CTX_free(ctx);
    return rc;
}

static int check_trust(const polysock__bytes *ca, char *reason)
{
    ERR_clear_error();
    return load_trust(NULL, ca, reason);
}

/* ---- contexts ---- */

/* Server: the first of its own protocols that the client offers; no
 * overlap means no ALPN (the handshake goes on). */
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)ssl;
    const ossl_ctx *octx = arg;
    unsigned char *selected;
    if (SSL_select_next_proto(&selected, outlen, (const unsigned char *)octx->alpn.data,
                              (unsigned int)octx->alpn.len, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

static void context_free(void *ctx)
{
    ossl_ctx *octx = ctx;
    if (octx == NULL)
        return;
    SSL_CTX_free(octx->ssl_ctx);
    polysock__free(octx->alpn.data);
    polysock__free(octx);
}

static int configure_trust(SSL_CTX *ctx, const polysock__tls_settings *s, char *reason)
{
    if (!s->custom_trust) {
        if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
            reason_from_queue(reason, "cannot load the system trust store");
            return POLYSOCK_ETLS_CONFIG;
        }
        return 0;
    }
    if (s->ca_pem.data != NULL) {
        int rc = load_trust(SSL_CTX_get_cert_store(ctx), &s->ca_pem, reason);
        if (rc != 0)
            return rc;
    }
    if (s->ca_path.data != NULL && SSL_CTX_load_verify_dir(ctx, s->ca_path.data) != 1) {
        reason_from_queue(reason, "cannot use the CA directory");
        return POLYSOCK_ETLS_CONFIG;
    }
    return 0;
}

static int configure(ossl_ctx *octx, const polysock__tls_settings *s, char *reason)
{
    SSL_CTX *ctx = octx->ssl_ctx;
    int min = s->min_version == POLYSOCK_TLS_VERSION_1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
    if (SSL_CTX_set_min_proto_version(ctx, min) != 1) {
        reason_from_queue(reason, "cannot set the minimum version");
        return POLYSOCK_ETLS_CONFIG;
    }
    /* tls.c may repeat a write from a moved buffer and accepts partial
     * writes (it loops itself). */
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_ENABLE_PARTIAL_WRITE);
    /* Renegotiation would make a write wait for reads; TLS 1.3 has none. */
    uint64_t options = SSL_OP_NO_RENEGOTIATION;
    if (s->allow_unexpected_eof)
        options |= SSL_OP_IGNORE_UNEXPECTED_EOF;
    SSL_CTX_set_options(ctx, options);

    bool verify_peer = s->server ? s->require_client_cert : s->verify;
    int rc = verify_peer ? configure_trust(ctx, s, reason) : 0;
    if (rc != 0)
        return rc;
    int mode = SSL_VERIFY_NONE;
    if (verify_peer)
        mode = SSL_VERIFY_PEER | (s->server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
    SSL_CTX_set_verify(ctx, mode, NULL);
    if (s->server) {
        static const unsigned char sid_ctx[] = "polysock";
        SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1);
    }
    if (s->cert_pem.data != NULL &&
        (rc = load_credentials(ctx, &s->cert_pem, &s->key_pem, reason)) != 0)
        return rc;
    if (s->alpn.data != NULL) {
        if (s->server) {
            octx->alpn.data = polysock__memdup0(s->alpn.data, s->alpn.len);
            if (octx->alpn.data == NULL)
                return -ENOMEM;
            octx->alpn.len = s->alpn.len;
            SSL_CTX_set_alpn_select_cb(ctx, select_alpn, octx);
        } else if (SSL_CTX_set_alpn_protos(ctx, (const unsigned char *)s->alpn.data,
                                           (unsigned int)s->alpn.len) != 0) {
            return -ENOMEM; /* its only failure */
        }
    }
    return 0;
}

static int context_new(const polysock__tls_settings *s, void **ctx, char *reason)
{
    ERR_clear_error();
    ossl_ctx *octx = polysock__calloc(1, sizeof *octx);
    if (octx == NULL)
        return -ENOMEM;
    octx->ssl_ctx = SSL_CTX_new(s->server ? TLS_server_method() : TLS_client_method());
    int rc = octx->ssl_ctx == NULL ? -ENOMEM : configure(octx, s, reason);
    ERR_clear_error();
    if (rc != 0) {
        context_free(octx);
        return rc;
    }
    *ctx = octx;
    return 0;
}

/* ---- connections ---- */

static void conn_free(void *conn)
{
    ossl_conn *c = conn;
    if (c == NULL)
        return;
    SSL_free(c->ssl); /* frees the BIO too */
    polysock__free(c->hostname);
    polysock__free(c);
}

/* Client: SNI for names, and the name or IP checked by verification. */
static int set_peer(ossl_conn *c, const polysock__tls_peer *peer)
{
    SSL_set_connect_state(c->ssl);
    if (peer->hostname == NULL)
        return 0;
    c->hostname = polysock__memdup0(peer->hostname, strlen(peer->hostname));
    if (c->hostname == NULL)
        return -ENOMEM;
    if (!peer->is_ip && SSL_set_tlsext_host_name(c->ssl, peer->hostname) != 1)
        return POLYSOCK_EVALUE; /* not a valid SNI name (too long) */
    if (!peer->check_name)
        return 0;
    if (peer->is_ip)
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), peer->hostname) == 1
                   ? 0 : POLYSOCK_EVALUE;
    SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return SSL_set1_host(c->ssl, peer->hostname) == 1 ? 0 : POLYSOCK_EVALUE;
}

static int conn_new(void *ctx, const polysock__tls_peer *peer,
                    polysock__tls_transport *t, void **conn)
{
    pthread_once(&bio_method_once, make_bio_method);
    if (bio_method == NULL)
        return -ENOMEM;
    ossl_conn *c = polysock__calloc(1, sizeof *c);
    if (c == NULL)
        return -ENOMEM;
    ERR_clear_error();
    c->transport = t;
    int rc = 0;
    BIO *bio = NULL;
    c->ssl = SSL_new(((ossl_ctx *)ctx)->ssl_ctx);
    if (c->ssl == NULL || (bio = BIO_new(bio_method)) == NULL)
        rc = -ENOMEM;
    if (rc == 0) {
        BIO_set_data(bio, t);
        BIO_set_init(bio, 1);
        SSL_set_bio(c->ssl, bio, bio); /* one reference, now the SSL's */
        if (peer != NULL)
            rc = set_peer(c, peer);
        else
            SSL_set_accept_state(c->ssl);
    }
    ERR_clear_error();
    if (rc != 0) {
        conn_free(c);
        return rc;
    }
    *conn = c;
    return 0;
}

/* ---- errors ---- */

static int verify_code(long result)
{
    switch (result) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return POLYSOCK_ETLS_CERT_EXPIRED;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        return POLYSOCK_ETLS_CERT_UNTRUSTED;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return POLYSOCK_ETLS_CERT_HOSTNAME;
    default:
        return POLYSOCK_ETLS_CERT_VERIFY;
    }
}

/* The code of an SSL library reason (ERR_GET_REASON). */
static int ssl_reason_code(int reason, bool handshake_done)
{
    switch (reason) {
    case SSL_R_UNEXPECTED_EOF_WHILE_READING:
        return POLYSOCK_ETLS_EOF;
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
    case SSL_R_VERSION_TOO_LOW:
        return POLYSOCK_ETLS_VERSION;
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_RECORD_LENGTH_MISMATCH:
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
    case SSL_R_UNEXPECTED_RECORD:
    case SSL_R_UNEXPECTED_MESSAGE:
    case SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC:
    case SSL_R_ENCRYPTED_LENGTH_TOO_LONG:
    case SSL_R_DATA_LENGTH_TOO_LONG:
    case SSL_R_BAD_RECORD_TYPE:
    case SSL_R_BAD_PACKET_LENGTH:
    case SSL_R_LENGTH_MISMATCH:
    case SSL_R_LENGTH_TOO_SHORT:
    case SSL_R_EXCESSIVE_MESSAGE_SIZE:
        return POLYSOCK_ETLS_PROTOCOL;
    default:
        break;
    }
    /* Any other alert from the peer ends a handshake, whenever it comes
     * (TLS 1.3 clients learn of a refused certificate after theirs). */
    if (reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256)
        return POLYSOCK_ETLS_HANDSHAKE;
    return handshake_done ? POLYSOCK_ETLS_PROTOCOL : POLYSOCK_ETLS_HANDSHAKE;
}

/* The code for a failed SSL call that returned ret; clears the queue. */
static int failure(ossl_conn *c, int ret, char *reason)
{
    int err = SSL_get_error(c->ssl, ret);
    unsigned long e = ERR_peek_error();
    bool done = SSL_is_init_finished(c->ssl);
    int rc;
    switch (err) {
    case SSL_ERROR_WANT_READ:
        ERR_clear_error();
        return POLYSOCK_ETLS_WANTREAD;
    case SSL_ERROR_WANT_WRITE:
        ERR_clear_error();
        return POLYSOCK_ETLS_WANTWRITE;
    case SSL_ERROR_ZERO_RETURN:
        reason_from_queue(reason, "the peer closed the connection (close_notify)");
        return done ? POLYSOCK_ETLS_CLOSED : POLYSOCK_ETLS_EOF;
    case SSL_ERROR_SYSCALL:
        if (e == 0) {
            int os = c->transport->last_error;
            ERR_clear_error();
            if (os == 0) {
                set_reason(reason, "unexpected EOF: the peer closed the connection "
                                   "without close_notify");
                return POLYSOCK_ETLS_EOF;
            }
            set_reason(reason, strerror(os));
            return -os;
        }
        break;
    default:
        break;
    }
    if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
        ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
        long result = SSL_get_verify_result(c->ssl);
        rc = verify_code(result);
        if (reason != NULL) {
            /* "certificate has expired (error:0A000086:SSL routines::...)" */
            int n = snprintf(reason, POLYSOCK__TLS_REASON_MAX, "%s (",
                             X509_verify_cert_error_string(result));
            if (n > 0 && n < POLYSOCK__TLS_REASON_MAX - 2) {
                ERR_error_string_n(e, reason + n, (size_t)(POLYSOCK__TLS_REASON_MAX - n - 1));
                strcat(reason, ")");
            }
        }
        ERR_clear_error();
        return rc;
    }
    if (ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE)
        rc = -ENOMEM;
    else if (ERR_GET_LIB(e) == ERR_LIB_SYS && ERR_GET_REASON(e) > 0)
        rc = -ERR_GET_REASON(e);
    else if (ERR_GET_LIB(e) == ERR_LIB_SSL)
        rc = ssl_reason_code(ERR_GET_REASON(e), done);
    else
        rc = done ? POLYSOCK_ETLS_PROTOCOL : POLYSOCK_ETLS_HANDSHAKE;
    reason_from_queue(reason, "TLS failure with no reason given");
    return rc;
}

/* ---- operations ---- */

/* Before each SSL call: nothing stale may be taken for its outcome. */
static void begin(ossl_conn *c)
{
    ERR_clear_error();
    c->transport->last_error = 0;
}

static int handshake(void *conn, char *reason)
{
    ossl_conn *c = conn;
    begin(c);
    int ret = SSL_do_handshake(c->ssl);
    return ret == 1 ? 0 : failure(c, ret, reason);
}

static int conn_read(void *conn, void *buf, size_t len, size_t *nread, char *reason)
{
    ossl_conn *c = conn;
    begin(c);
    size_t n = 0;
    int ret = SSL_read_ex(c->ssl, buf, len, &n);
    if (ret == 1) {
        *nread = n;
        return 0;
    }
    if (SSL_get_error(c->ssl, ret) == SSL_ERROR_ZERO_RETURN) {
        ERR_clear_error();
        *nread = 0; /* close_notify: the clean end */
        return 0;
    }
    return failure(c, ret, reason);
}

static int conn_write(void *conn, const void *buf, size_t len, size_t *nsent,
                      char *reason)
{
    ossl_conn *c = conn;
    if (SSL_get_shutdown(c->ssl) & SSL_RECEIVED_SHUTDOWN) {
        set_reason(reason, "the peer closed the connection (close_notify)");
        return POLYSOCK_ETLS_CLOSED;
    }
    begin(c);
    size_t n = 0;
    int ret = SSL_write_ex(c->ssl, buf, len, &n);
    if (ret == 1) {
        *nsent = n;
        return 0;
    }
    return failure(c, ret, reason);
}

static void conn_shutdown(void *conn)
{
    ossl_conn *c = conn;
    if (SSL_get_shutdown(c->ssl) & SSL_SENT_SHUTDOWN)
        return;
    begin(c);
    SSL_shutdown(c->ssl); /* sent, or not: it is one attempt */
    ERR_clear_error();
}

static size_t conn_pending(void *conn)
{
    ossl_conn *c = conn;
    int n = SSL_pending(c->ssl);
    return n > 0 ? (size_t)n : 0;
}

static int add_der(polysock__buf *out, X509 *cert)
{
    int len = i2d_X509(cert, NULL);
    if (len <= 0) {
        ERR_clear_error();
        return POLYSOCK_ETLS_CONFIG;
    }
    unsigned char *der = polysock__malloc((size_t)len);
    if (der == NULL)
        return -ENOMEM;
    unsigned char *p = der;
    i2d_X509(cert, &p);
    polysock__buf_add(out, der, (size_t)len);
    polysock__free(der);
    return out->failed ? -ENOMEM : 0;
}

static int conn_info(void *conn, int what, polysock__buf *out)
{
    ossl_conn *c = conn;
    X509 *peer = SSL_get0_peer_certificate(c->ssl);
    switch (what) {
    case POLYSOCK_TLS_INFO_VERSION:
        polysock__buf_add_str(out, SSL_get_version(c->ssl));
        break;
    case POLYSOCK_TLS_INFO_CIPHER: {
        const SSL_CIPHER *cipher = SSL_get_current_cipher(c->ssl);
        if (cipher != NULL)
            polysock__buf_add_str(out, SSL_CIPHER_get_name(cipher));
        break;
    }
    case POLYSOCK_TLS_INFO_ALPN: {
        const unsigned char *proto = NULL;
        unsigned int len = 0;
        SSL_get0_alpn_selected(c->ssl, &proto, &len);
        polysock__buf_add(out, proto, len);
        break;
    }
    case POLYSOCK_TLS_INFO_PEER_CERT:
        return peer != NULL ? add_der(out, peer) : 0;
    case POLYSOCK_TLS_INFO_SERVER_HOSTNAME: {
        const char *name = SSL_is_server(c->ssl)
                               ? SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name)
                               : c->hostname;
        if (name != NULL)
            polysock__buf_add_str(out, name);
        break;
    }
    default:
        return peer != NULL ? polysock__ossl_cert_name(peer, what, out) : 0;
    }
    return out->failed ? -ENOMEM : 0;
}

const polysock__tls_engine polysock__tls_openssl_engine = {
    .check_credentials = check_credentials,
    .check_trust = check_trust,
    .context_new = context_new,
    .context_free = context_free,
    .conn_new = conn_new,
    .conn_free = conn_free,
    .handshake = handshake,
    .read = conn_read,
    .write = conn_write,
    .shutdown = conn_shutdown,
    .pending = conn_pending,
    .info = conn_info,
};
