/*
 * tls_openssl_names.c - distinguished names of certificates as text, in
 * the three forms of polysock_tls_info:
 *
 *   ONELINE  "/C=US/ST=California/CN=example.com": short names, values as
 *            UTF-8, every attribute in certificate order; built here
 *            because X509_NAME_oneline truncates and escapes non-ASCII.
 *   RFC4514  "CN=example.com,ST=California,C=US": RDNs last first, '+'
 *            inside a multi-valued RDN, the RFC's attribute names (others
 *            by OpenSSL's short name, else the dotted OID) and its escaping.
 *   FIELDS   "<rdn> <long name> <len>:<value bytes>\n" per attribute, the
 *            long names of Python's ssl module; every byte of the value.
 */
#include "tls_openssl.h"

#include <errno.h>
#include <limits.h>
#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <string.h>

enum form { FORM_ONELINE, FORM_RFC4514, FORM_FIELDS };

/* ---- pieces of one attribute ---- */

static void add_dotted_oid(polysock__buf *out, const ASN1_OBJECT *obj)
{
    char small[128];
    int n = OBJ_obj2txt(small, sizeof small, obj, 1);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        polysock__buf_add(out, small, (size_t)n);
        return;
    }
    char *big = polysock__malloc((size_t)n + 1); /* an absurdly long OID */
    if (big == NULL) {
        out->failed = true;
        return;
    }
    OBJ_obj2txt(big, n + 1, obj, 1);
    polysock__buf_add(out, big, (size_t)n);
    polysock__free(big);
}

/* RFC 4514, section 3: the names it lists for the attributes it knows. */
static const char *rfc4514_name(int nid)
{
    switch (nid) {
    case NID_commonName: return "CN";
    case NID_localityName: return "L";
    case NID_stateOrProvinceName: return "ST";
    case NID_organizationName: return "O";
    case NID_organizationalUnitName: return "OU";
    case NID_countryName: return "C";
    case NID_streetAddress: return "STREET";
    case NID_domainComponent: return "DC";
    case NID_userId: return "UID";
    default: return NULL;
    }
}

static void add_attribute_name(polysock__buf *out, const X509_NAME_ENTRY *e,
                               enum form form)
{
    const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
    int nid = OBJ_obj2nid(obj);
    const char *name = NULL;
    if (nid != NID_undef) {
        if (form == FORM_RFC4514)
            name = rfc4514_name(nid);
        if (name == NULL)
            name = form == FORM_FIELDS ? OBJ_nid2ln(nid) : OBJ_nid2sn(nid);
    }
    if (name != NULL)
        polysock__buf_add_str(out, name);
    else
        add_dotted_oid(out, obj);
}

/* The value as UTF-8 (the raw bytes if the string type cannot convert),
 * in OpenSSL memory: release with free_value. */
typedef struct value {
    unsigned char *utf8; /* OPENSSL_free */
    const unsigned char *bytes;
    size_t len;
} value;

static value get_value(const X509_NAME_ENTRY *e)
{
    const ASN1_STRING *s = X509_NAME_ENTRY_get_data(e);
    value v = {0};
    int n = ASN1_STRING_to_UTF8(&v.utf8, s);
    if (n >= 0) {
        v.bytes = v.utf8;
        v.len = (size_t)n;
    } else {
        v.bytes = ASN1_STRING_get0_data(s);
        v.len = (size_t)ASN1_STRING_length(s);
    }
    return v;
}

static void free_value(value *v)
{
    OPENSSL_free(v->utf8);
}

/* RFC 4514, section 2.4. */
static void add_rfc4514_escaped(polysock__buf *out, const value *v)
{
    for (size_t i = 0; i < v->len; i++) {
        unsigned char c = v->bytes[i];
        if (c == '\0') {
            polysock__buf_add_str(out, "\\00");
            continue;
        }
        bool special = strchr("\"+,;<>\\", c) != NULL;
        bool edge_space = c == ' ' && (i == 0 || i == v->len - 1);
        bool leading_hash = c == '#' && i == 0;
        if (special || edge_space || leading_hash)
            polysock__buf_add_char(out, '\\');
        polysock__buf_add_char(out, (char)c);
    }
}

static void add_entry(polysock__buf *out, const X509_NAME_ENTRY *e, enum form form)
{
    value v = get_value(e);
    switch (form) {
    case FORM_ONELINE:
        polysock__buf_add_char(out, '/');
        add_attribute_name(out, e, form);
        polysock__buf_add_char(out, '=');
        polysock__buf_add(out, v.bytes, v.len);
        break;
    case FORM_RFC4514:
        add_attribute_name(out, e, form);
        polysock__buf_add_char(out, '=');
        add_rfc4514_escaped(out, &v);
        break;
    case FORM_FIELDS:
        polysock__buf_add_size(out, (size_t)X509_NAME_ENTRY_set(e));
        polysock__buf_add_char(out, ' ');
        add_attribute_name(out, e, form);
        polysock__buf_add_char(out, ' ');
        polysock__buf_add_size(out, v.len);
        polysock__buf_add_char(out, ':');
        polysock__buf_add(out, v.bytes, v.len);
        polysock__buf_add_char(out, '\n');
        break;
    }
    free_value(&v);
}

static void add_name(polysock__buf *out, const X509_NAME *name, enum form form)
{
    int count = X509_NAME_entry_count(name);
    if (form != FORM_RFC4514) {
        for (int i = 0; i < count; i++)
            add_entry(out, X509_NAME_get_entry(name, i), form);
        return;
    }
    /* RFC 4514 starts from the last RDN. */
    for (int i = count - 1; i >= 0; i--) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
        if (i < count - 1) {
            int next_set = X509_NAME_ENTRY_set(X509_NAME_get_entry(name, i + 1));
            polysock__buf_add_char(out, X509_NAME_ENTRY_set(e) == next_set ? '+' : ',');
        }
        add_entry(out, e, form);
    }
}

int polysock__ossl_cert_name(const X509 *cert, int what, polysock__buf *out)
{
    bool issuer;
    enum form form;
    switch (what) {
    case POLYSOCK_TLS_INFO_SUBJECT_ONELINE: issuer = false; form = FORM_ONELINE; break;
    case POLYSOCK_TLS_INFO_ISSUER_ONELINE: issuer = true; form = FORM_ONELINE; break;
    case POLYSOCK_TLS_INFO_SUBJECT_RFC4514: issuer = false; form = FORM_RFC4514; break;
    case POLYSOCK_TLS_INFO_ISSUER_RFC4514: issuer = true; form = FORM_RFC4514; break;
    case POLYSOCK_TLS_INFO_SUBJECT_FIELDS: issuer = false; form = FORM_FIELDS; break;
    case POLYSOCK_TLS_INFO_ISSUER_FIELDS: issuer = true; form = FORM_FIELDS; break;
    default: return POLYSOCK_EVALUE;
    }
    const X509_NAME *name = issuer ? X509_get_issuer_name(cert)
                                   : X509_get_subject_name(cert);
    if (name != NULL)
        add_name(out, name, form);
    return out->failed ? -ENOMEM : 0;
}

int polysock__tls_format_name_der(const uint8_t *der, size_t size, int what,
                                  polysock__buf *out)
{
    if (size > LONG_MAX)
        return POLYSOCK_EBUFSIZE;
    const unsigned char *p = der;
    X509 *cert = d2i_X509(NULL, &p, (long)size);
    if (cert == NULL) {
        ERR_clear_error();
        return POLYSOCK_ETLS_CONFIG;
    }
    int rc = polysock__ossl_cert_name(cert, what, out);
    X509_free(cert);
    return rc;
}
