/*
 * fuzz_tls_client.c - a TLS client (core/src/tls_fuzz.c: the OpenSSL engine
 * behind polysock's seam, verification off, ALPN offered) fed arbitrary
 * bytes as everything the server sends.
 *
 * Properties: no crash, overread or leak (LeakSanitizer sees OpenSSL's
 * memory, the library's own counter sees polysock's); the connection always
 * ends in an error, since no input can complete a handshake with a client
 * whose random it never saw; that error is a code the library documents
 * (class TLS, or -ENOMEM), and never "would block": the memory peer ends
 * the stream instead of making the client wait.
 *
 * Coverage feedback comes from polysock's engine code only: the system
 * OpenSSL is not instrumented, so seeds from real server flights matter.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "fuzz.h"

#include "tls_internal.h"

#include <errno.h>

static int64_t live_bytes(void)
{
    polysock_stats stats;
    FUZZ_CHECK(polysock_get_stats(&stats) == 0);
    return stats.live_bytes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const int64_t before = live_bytes();
    const int rc = polysock__tls_fuzz_client(data, size);
    FUZZ_CHECK(rc < 0);
    FUZZ_CHECK(polysock_errclass(rc) == POLYSOCK_ERRCLASS_TLS || rc == -ENOMEM);
    FUZZ_CHECK(rc != POLYSOCK_ETLS_WANTREAD && rc != POLYSOCK_ETLS_WANTWRITE);
    FUZZ_CHECK(live_bytes() == before);
    return 0;
}
