/*
 * tls_internal.h - what the TLS files share (nothing here is exported).
 *
 *   tls_config.c   the configuration handle: plain settings, checked when set
 *   tls_cache.c    the library-wide cache of engine contexts, keyed by settings
 *   tls.c          the connection handle: sockets, deadlines, waiting, locking
 *   tls_buf.c      a growable byte buffer for info items
 *   tls_fuzz.c     entry points for fuzzers (below)
 *   tls_engine.h   the seam to the TLS library (tls_openssl*.c)
 *   tls_transport.h the seam to the byte stream (tls_transport.c)
 *
 * Entry points for fuzzers and tests (libFuzzer: call them from
 * LLVMFuzzerTestOneInput; they never touch the network or a handle):
 *
 *   polysock__tls_fuzz_client(data, size)
 *       Runs a client connection (verification off, name "localhost",
 *       ALPN "h2,http/1.1") over a memory transport whose peer sends `data`
 *       and then ends the stream; output is dropped.  The handshake, then
 *       reads, run until an error or the end; everything is freed.  Returns
 *       the polysock code that ended it (ETLS_PROTOCOL for garbage, ETLS_EOF
 *       for a truncated handshake, ...).
 *
 *   polysock__tls_format_name_der(der, size, what, out)
 *       Formats the subject or issuer of a DER certificate the way
 *       polysock_tls_info does for `what` (POLYSOCK_TLS_INFO_SUBJECT_ONELINE
 *       .. _ISSUER_FIELDS) into *out (free it with polysock__buf_free).
 *       POLYSOCK_ETLS_CONFIG when der is not a certificate.
 */
#ifndef POLYSOCK_TLS_INTERNAL_H
#define POLYSOCK_TLS_INTERNAL_H

#include "internal.h"

#include <stdint.h>

/* ---- tls_buf.c: bytes built piece by piece; an allocation failure is
 * sticky (failed), so builders check once at the end. ---- */
typedef struct polysock__buf {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
} polysock__buf;

void polysock__buf_add(polysock__buf *b, const void *bytes, size_t len);
void polysock__buf_add_str(polysock__buf *b, const char *s);
void polysock__buf_add_char(polysock__buf *b, char c);
void polysock__buf_add_size(polysock__buf *b, size_t n);
void polysock__buf_free(polysock__buf *b);

/* ---- tls_config.c: the settings of a configuration, which are also the
 * key of the context cache. ---- */
typedef struct polysock__bytes {
    char *data; /* NUL-terminated copy, NULL when unset */
    size_t len;
} polysock__bytes;

typedef struct polysock__tls_settings {
    bool server;
    bool verify;               /* client: chain and host name */
    bool require_client_cert;  /* server */
    bool allow_unexpected_eof;
    int min_version;           /* POLYSOCK_TLS_VERSION_* */
    bool custom_trust;         /* set_ca given: no system store */
    polysock__bytes ca_pem;    /* content of the CA file */
    polysock__bytes ca_path;   /* hashed directory (read by the engine) */
    polysock__bytes cert_pem;  /* own chain */
    polysock__bytes key_pem;   /* own key (unset: in cert_pem) */
    polysock__bytes alpn;      /* protocols in wire format */
} polysock__tls_settings;

int polysock__tls_settings_copy(polysock__tls_settings *dst,
                                const polysock__tls_settings *src);
void polysock__tls_settings_free(polysock__tls_settings *s);
bool polysock__tls_settings_equal(const polysock__tls_settings *a,
                                  const polysock__tls_settings *b);
uint64_t polysock__tls_settings_hash(const polysock__tls_settings *s);

/* ---- tls_cache.c: one immutable engine context per distinct settings,
 * shared by every connection made from them. ---- */
typedef struct polysock__tls_context polysock__tls_context;

/* A reference on the context for s, built when missing; on failure the
 * engine's reason goes to reason (POLYSOCK__TLS_REASON_MAX bytes). */
#define POLYSOCK__TLS_REASON_MAX 256
int polysock__tls_context_get(const polysock__tls_settings *s,
                              polysock__tls_context **ctx, char *reason);
void polysock__tls_context_put(polysock__tls_context *ctx);
void *polysock__tls_context_engine(const polysock__tls_context *ctx);
const polysock__tls_settings *polysock__tls_context_settings(const polysock__tls_context *ctx);
/* Drop every context no connection or configuration uses (tests call it
 * before comparing allocation counters). */
void polysock__tls_cache_flush(void);

/* The context of configuration handle cfg (a reference to put). */
int polysock__tls_config_context(polysock_handle cfg, polysock__tls_context **ctx);

/* ---- fuzzing (see the top of this file) ---- */
int polysock__tls_fuzz_client(const uint8_t *data, size_t size);
int polysock__tls_format_name_der(const uint8_t *der, size_t size, int what,
                                  polysock__buf *out);

#endif
