/* odd-subject.h - the subject of the test certificate odd.pem, as a table:
 * test/tls/mkcert-odd.c writes it, and the suites that read the subject
 * back (test/check_tls.c, test/check_tls_peers.c) compare against it.
 *
 * Each value holds something a naive formatter would break: '/' (the
 * one-line form's separator), ',' and '+' (RFC 4514's), '=' , a NUL byte
 * and UTF-8.  RDN 2 is multi-valued; its attributes are listed in DER
 * order (a SET OF is sorted by encoding: equal lengths, then the OID, so
 * localityName 2.5.4.7 before organizationalUnitName 2.5.4.11), which is
 * the order a parser of the certificate sees them in. */
#ifndef POLYSOCK_TEST_ODD_SUBJECT_H
#define POLYSOCK_TEST_ODD_SUBJECT_H

#include <stddef.h>

struct odd_attribute {
    int rdn;                /* index of the RDN it belongs to */
    const char *short_name; /* OpenSSL's short name ("CN") */
    const char *long_name;  /* Python's ssl module's name ("commonName") */
    const char *value;      /* UTF-8, may hold NUL bytes */
    size_t len;
};

/* A string literal and its length, NUL bytes inside counted. */
#define ODD_BYTES(literal) literal, sizeof literal - 1

static const struct odd_attribute odd_subject[] = {
    {0, "C", "countryName", ODD_BYTES("US")},
    {1, "O", "organizationName", ODD_BYTES("polysock/test, Inc.")},
    {2, "L", "localityName", ODD_BYTES("multi")},
    {2, "OU", "organizationalUnitName", ODD_BYTES("a+b=c")},
    {3, "ST", "stateOrProvinceName", ODD_BYTES("Z\xc3\xbcrich")},
    {4, "CN", "commonName", ODD_BYTES("localhost\0/odd, name+x")},
};

#define ODD_SUBJECT_COUNT (sizeof odd_subject / sizeof odd_subject[0])

#endif
