/*
 * tls_openssl.h - what the OpenSSL engine's files share.
 */
#ifndef POLYSOCK_TLS_OPENSSL_H
#define POLYSOCK_TLS_OPENSSL_H

#include "tls_internal.h"

#include <openssl/x509.h>

/* Append the name item `what` of cert (POLYSOCK_TLS_INFO_SUBJECT_ONELINE ..
 * _ISSUER_FIELDS, see polysock.h) to out.  POLYSOCK_EVALUE when what is
 * not a name item; -ENOMEM. */
int polysock__ossl_cert_name(const X509 *cert, int what, polysock__buf *out);

#endif
