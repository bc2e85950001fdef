/*
 * tls_fuzz.c - a client connection over a memory transport, for fuzzers
 * and tests (see tls_internal.h).  It goes through the engine seam only:
 * no handle, socket, cache or wait is involved.
 */
#include "tls_engine.h"

#include <errno.h>

/* "h2,http/1.1" in ALPN wire format, so the fuzzed server hello may
 * carry an ALPN answer for the client to check. */
static const char fuzz_alpn[] = "\x02h2\x08http/1.1";

int polysock__tls_fuzz_client(const uint8_t *data, size_t size)
{
    const polysock__tls_engine *engine = POLYSOCK__TLS_ENGINE;
    polysock__tls_settings settings = {
        .server = false,
        .verify = false, /* lets fuzzed certificates reach the key exchange */
        .min_version = POLYSOCK_TLS_VERSION_1_2,
        .alpn = {.data = (char *)fuzz_alpn, .len = sizeof fuzz_alpn - 1},
    };
    char reason[POLYSOCK__TLS_REASON_MAX];
    void *ctx = NULL, *conn = NULL;
    int rc = engine->context_new(&settings, &ctx, reason);
    if (rc != 0)
        return rc;
    polysock__tls_transport transport;
    polysock__tls_transport_memory(&transport, data, size);
    polysock__tls_peer peer = {.hostname = "localhost", .check_name = false};
    rc = engine->conn_new(ctx, &peer, &transport, &conn);
    if (rc == 0)
        rc = engine->handshake(conn, reason);
    /* The memory peer never makes us wait: every step ends the run or
     * moves on, so the loop below ends with the input. */
    char buf[4096];
    size_t n = 1;
    while (rc == 0 && n > 0)
        rc = engine->read(conn, buf, sizeof buf, &n, reason);
    if (conn != NULL)
        engine->conn_free(conn);
    engine->context_free(ctx);
    return rc;
}
