/*
 * mkcert-odd.c - write odd.pem and odd.key: a server certificate for
 * localhost, signed by the test CA, whose subject is the table of
 * odd-subject.h.  The openssl CLI cannot put a NUL byte into a subject
 * value, so test/tls/make-certs.sh calls this instead.
 *
 *     usage: mkcert-odd CA_CERT CA_KEY OUT_CERT OUT_KEY
 */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "odd-subject.h"

/* Serial numbers 1..6 are make-certs.sh's. */
#define ODD_SERIAL 7
#define ODD_DAYS 3650

static void die(const char *what)
{
    fprintf(stderr, "mkcert-odd: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static X509 *read_certificate(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        die(path);
    X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (cert == NULL)
        die(path);
    return cert;
}

static EVP_PKEY *read_key(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        die(path);
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (key == NULL)
        die(path);
    return key;
}

/* The table as an X509_NAME: a new RDN where the index changes, else the
 * attribute joins the previous one (set = -1). */
static X509_NAME *odd_name(void)
{
    X509_NAME *name = X509_NAME_new();
    if (name == NULL)
        die("X509_NAME_new");
    for (size_t i = 0; i < ODD_SUBJECT_COUNT; i++) {
        const struct odd_attribute *a = &odd_subject[i];
        int joins_previous = i > 0 && odd_subject[i - 1].rdn == a->rdn;
        if (!X509_NAME_add_entry_by_txt(name, a->short_name, MBSTRING_UTF8,
                                        (const unsigned char *)a->value,
                                        (int)a->len, -1, joins_previous ? -1 : 0))
            die(a->short_name);
    }
    return name;
}

static void add_extension(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL || !X509_add_ext(cert, ext, -1))
        die(value);
    X509_EXTENSION_free(ext);
}

static void write_pem(const char *path, X509 *cert, EVP_PKEY *key)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        die(path);
    int ok = cert != NULL ? PEM_write_X509(f, cert)
                          : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    if (fclose(f) != 0 || !ok)
        die(path);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: mkcert-odd CA_CERT CA_KEY OUT_CERT OUT_KEY\n");
        return 2;
    }
    X509 *ca = read_certificate(argv[1]);
    EVP_PKEY *ca_key = read_key(argv[2]);
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    X509_NAME *subject = odd_name();
    if (key == NULL || cert == NULL)
        die("out of memory");

    if (!X509_set_version(cert, X509_VERSION_3) ||
        !ASN1_INTEGER_set(X509_get_serialNumber(cert), ODD_SERIAL) ||
        X509_gmtime_adj(X509_getm_notBefore(cert), 0) == NULL ||
        X509_time_adj_ex(X509_getm_notAfter(cert), ODD_DAYS, 0, NULL) == NULL ||
        !X509_set_subject_name(cert, subject) ||
        !X509_set_issuer_name(cert, X509_get_subject_name(ca)) ||
        !X509_set_pubkey(cert, key))
        die("building the certificate");
    add_extension(cert, ca, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert, ca, NID_key_usage, "critical,digitalSignature");
    add_extension(cert, ca, NID_ext_key_usage, "serverAuth");
    add_extension(cert, ca, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
    add_extension(cert, ca, NID_subject_key_identifier, "hash");
    add_extension(cert, ca, NID_authority_key_identifier, "keyid:always");
    if (X509_sign(cert, ca_key, EVP_sha256()) == 0)
        die("signing");

    write_pem(argv[3], cert, NULL);
    write_pem(argv[4], NULL, key);

    X509_NAME_free(subject);
    X509_free(cert);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
    X509_free(ca);
    return 0;
}
