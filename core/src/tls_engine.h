/*
 * tls_engine.h - the one seam between polysock and a TLS library.
 *
 * The generic layer (tls.c, tls_config.c, tls_cache.c) owns handles,
 * deadlines, waiting, locking and settings; an engine only runs single,
 * non-blocking steps.  Another TLS library is another table of these
 * operations; nothing else changes.
 *
 * Rules every operation keeps:
 *  - results are polysock codes: 0, POLYSOCK_ETLS_WANTREAD/_WANTWRITE
 *    (the transport would block: the caller waits for the socket and
 *    repeats), or an error code (ETLS_*, -errno of the transport, -ENOMEM);
 *  - on an error, reason (when not NULL) gets the engine's explanation,
 *    NUL-terminated within POLYSOCK__TLS_REASON_MAX bytes;
 *  - a connection's operations are never called concurrently (tls.c holds
 *    the connection's lock around each) but different connections of one
 *    context are, so a context is immutable once built.
 */
#ifndef POLYSOCK_TLS_ENGINE_H
#define POLYSOCK_TLS_ENGINE_H

#include "tls_internal.h"
#include "tls_transport.h"

/* Who the client expects to talk to. */
typedef struct polysock__tls_peer {
    const char *hostname; /* NULL: none (no SNI, no name check) */
    bool is_ip;           /* hostname is an IP literal: checked, no SNI */
    bool check_name;      /* verify hostname against the certificate */
} polysock__tls_peer;

typedef struct polysock__tls_engine {
    /* Parse a certificate chain and private key (PEM) and check that they
     * match: ETLS_CONFIG when not. */
    int (*check_credentials)(const polysock__bytes *cert,
                             const polysock__bytes *key, char *reason);
    /* Parse CA certificates (PEM): ETLS_CONFIG when there is none. */
    int (*check_trust)(const polysock__bytes *ca, char *reason);

    int (*context_new)(const polysock__tls_settings *s, void **ctx,
                       char *reason);
    void (*context_free)(void *ctx);

    /* A connection over transport t (which outlives it); peer is NULL for
     * a server. */
    int (*conn_new)(void *ctx, const polysock__tls_peer *peer,
                    polysock__tls_transport *t, void **conn);
    void (*conn_free)(void *conn);

    int (*handshake)(void *conn, char *reason);
    /* *nread = 0 with result 0: clean end (close_notify). */
    int (*read)(void *conn, void *buf, size_t len, size_t *nread, char *reason);
    /* Writes part of buf at least (partial writes are on). */
    int (*write)(void *conn, const void *buf, size_t len, size_t *nsent,
                 char *reason);
    /* One attempt to send close_notify; never waits. */
    void (*shutdown)(void *conn);
    size_t (*pending)(void *conn);
    /* Item `what` (POLYSOCK_TLS_INFO_*, except ERROR, which tls.c keeps)
     * appended to out; nothing when there is none. */
    int (*info)(void *conn, int what, polysock__buf *out);
} polysock__tls_engine;

/* The engine this build uses (tls_openssl.c). */
extern const polysock__tls_engine polysock__tls_openssl_engine;
#define POLYSOCK__TLS_ENGINE (&polysock__tls_openssl_engine)

#endif
