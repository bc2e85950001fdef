/*
 * fuzz_dn.c - the distinguished-name formatters of polysock_tls_info
 * (core/src/tls_openssl_names.c, through polysock__tls_format_name_der) on
 * arbitrary DER.
 *
 * Properties: no crash, overread or leak; the input is a certificate for
 * all six forms or for none (POLYSOCK_ETLS_CONFIG); an unknown item is
 * POLYSOCK_EVALUE; and the three forms agree.  FIELDS ("<rdn> <long name>
 * <len>:<value>\n" per attribute) must parse exactly; ONELINE holds the
 * same values in the same order, one "/name=" before each; RFC4514, parsed
 * by its own grammar (escapes undone), holds the same values in reverse
 * order, with '+' exactly between attributes of one RDN.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "fuzz.h"

#include "tls_internal.h"

#include <ctype.h>
#include <limits.h>
#include <stdbool.h>

/* One attribute as FIELDS gives it (pointers into the FIELDS text). */
struct attribute {
    unsigned long rdn;
    const char *value;
    size_t len;
};

struct name {
    struct attribute *v;
    size_t n;
};

/* The bytes of a formatted name as [*begin, *end); an empty buffer has no
 * data pointer at all. */
static void buf_range(const polysock__buf *b, const char **begin,
                      const char **end)
{
    *begin = b->len > 0 ? b->data : "";
    *end = *begin + b->len;
}

static void name_push(struct name *name, struct attribute a)
{
    struct attribute *v = realloc(name->v, (name->n + 1) * sizeof *v);
    FUZZ_CHECK(v != NULL);
    v[name->n++] = a;
    name->v = v;
}

static unsigned long parse_decimal(const char **p, const char *end)
{
    const char *start = *p;
    unsigned long n = 0;
    while (*p < end && isdigit((unsigned char)**p)) {
        FUZZ_CHECK(n <= (ULONG_MAX - 9) / 10);
        n = n * 10 + (unsigned long)(**p - '0');
        (*p)++;
    }
    FUZZ_CHECK(*p > start);
    return n;
}

/* FIELDS: every byte accounted for; RDN numbers never go down. */
static struct name parse_fields(const polysock__buf *fields)
{
    struct name name = {NULL, 0};
    const char *p, *end;
    buf_range(fields, &p, &end);
    while (p < end) {
        struct attribute a;
        a.rdn = parse_decimal(&p, end);
        FUZZ_CHECK(name.n == 0 || a.rdn >= name.v[name.n - 1].rdn);
        FUZZ_CHECK(p < end && *p++ == ' ');
        /* The long name may hold spaces, never ':'; the length is the
         * last word before the ':'. */
        const char *colon = memchr(p, ':', (size_t)(end - p));
        FUZZ_CHECK(colon != NULL);
        const char *len_start = colon;
        while (len_start > p && len_start[-1] != ' ')
            len_start--;
        FUZZ_CHECK(len_start > p + 1); /* a name, then a space */
        a.len = parse_decimal(&len_start, colon);
        FUZZ_CHECK(len_start == colon);
        p = colon + 1;
        FUZZ_CHECK((size_t)(end - p) > a.len);
        a.value = p;
        p += a.len;
        FUZZ_CHECK(*p++ == '\n');
        name_push(&name, a);
    }
    return name;
}

/* ONELINE: "/name=value" per attribute, in certificate order. */
static void check_oneline(const polysock__buf *oneline, const struct name *name)
{
    const char *p, *end;
    buf_range(oneline, &p, &end);
    if (name->n == 0) {
        FUZZ_CHECK(oneline->len == 0);
        return;
    }
    for (size_t i = 0; i < name->n; i++) {
        FUZZ_CHECK(p < end && *p++ == '/');
        const char *eq = memchr(p, '=', (size_t)(end - p));
        FUZZ_CHECK(eq != NULL && eq > p);
        p = eq + 1;
        FUZZ_CHECK((size_t)(end - p) >= name->v[i].len);
        FUZZ_CHECK(memcmp(p, name->v[i].value, name->v[i].len) == 0);
        p += name->v[i].len;
    }
    FUZZ_CHECK(p == end);
}

static int hex_digit(char c)
{
    return isdigit((unsigned char)c) ? c - '0'
           : (c >= 'a' && c <= 'f') ? c - 'a' + 10
           : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                    : -1;
}

/* One RFC 4514 attribute value up to an unescaped ',' or '+' (or the end),
 * unescaped, compared with want. */
static void check_rfc4514_value(const char **p, const char *end,
                                const struct attribute *want)
{
    size_t i = 0;
    while (*p < end && **p != ',' && **p != '+') {
        char c = *(*p)++;
        if (c == '\\') {
            FUZZ_CHECK(*p < end);
            int hi = hex_digit(**p);
            if (hi >= 0 && *p + 1 < end && hex_digit((*p)[1]) >= 0) {
                c = (char)(hi * 16 + hex_digit((*p)[1]));
                *p += 2;
            } else {
                c = *(*p)++;
            }
        } else {
            /* What RFC 4514 section 2.4 says must be escaped is. */
            FUZZ_CHECK(c != '\0' && strchr("\"+,;<>\\", c) == NULL);
            FUZZ_CHECK(!(c == ' ' && (i == 0 || i == want->len - 1)));
            FUZZ_CHECK(!(c == '#' && i == 0));
        }
        FUZZ_CHECK(i < want->len && want->value[i] == c);
        i++;
    }
    FUZZ_CHECK(i == want->len);
}

/* RFC 4514: "type=value" from the last attribute to the first, '+' between
 * attributes of one RDN, ',' between RDNs. */
static void check_rfc4514(const polysock__buf *rfc, const struct name *name)
{
    const char *p, *end;
    buf_range(rfc, &p, &end);
    for (size_t k = 0; k < name->n; k++) {
        const size_t i = name->n - 1 - k;
        if (k > 0) {
            const bool same_rdn = name->v[i].rdn == name->v[i + 1].rdn;
            FUZZ_CHECK(p < end && *p++ == (same_rdn ? '+' : ','));
        }
        const char *eq = memchr(p, '=', (size_t)(end - p));
        FUZZ_CHECK(eq != NULL && eq > p);
        p = eq + 1;
        check_rfc4514_value(&p, end, &name->v[i]);
    }
    FUZZ_CHECK(p == end);
}

/* Subject or issuer: the three forms of one name. */
static void check_name(const uint8_t *data, size_t size, int oneline_item,
                       int rfc4514_item, int fields_item)
{
    polysock__buf fields = {0}, oneline = {0}, rfc = {0};
    FUZZ_CHECK(polysock__tls_format_name_der(data, size, fields_item, &fields) == 0);
    FUZZ_CHECK(polysock__tls_format_name_der(data, size, oneline_item, &oneline) == 0);
    FUZZ_CHECK(polysock__tls_format_name_der(data, size, rfc4514_item, &rfc) == 0);

    struct name name = parse_fields(&fields);
    check_oneline(&oneline, &name);
    check_rfc4514(&rfc, &name);
    free(name.v);
    polysock__buf_free(&fields);
    polysock__buf_free(&oneline);
    polysock__buf_free(&rfc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    polysock__buf out = {0};
    int rc = polysock__tls_format_name_der(data, size,
                                           POLYSOCK_TLS_INFO_SUBJECT_FIELDS, &out);
    polysock__buf_free(&out);
    if (rc != 0) {
        FUZZ_CHECK(rc == POLYSOCK_ETLS_CONFIG);
        for (int what = POLYSOCK_TLS_INFO_SUBJECT_ONELINE;
             what <= POLYSOCK_TLS_INFO_ISSUER_FIELDS; what++) {
            polysock__buf other = {0};
            FUZZ_CHECK(polysock__tls_format_name_der(data, size, what, &other) ==
                       POLYSOCK_ETLS_CONFIG);
            polysock__buf_free(&other);
        }
        return 0;
    }
    check_name(data, size, POLYSOCK_TLS_INFO_SUBJECT_ONELINE,
               POLYSOCK_TLS_INFO_SUBJECT_RFC4514, POLYSOCK_TLS_INFO_SUBJECT_FIELDS);
    check_name(data, size, POLYSOCK_TLS_INFO_ISSUER_ONELINE,
               POLYSOCK_TLS_INFO_ISSUER_RFC4514, POLYSOCK_TLS_INFO_ISSUER_FIELDS);
    /* Items that are not names. */
    const int not_names[] = {POLYSOCK_TLS_INFO_PEER_CERT, POLYSOCK_TLS_INFO_ERROR, 0};
    for (size_t i = 0; i < sizeof not_names / sizeof not_names[0]; i++) {
        FUZZ_CHECK(polysock__tls_format_name_der(data, size, not_names[i], &out) ==
                   POLYSOCK_EVALUE);
        polysock__buf_free(&out);
    }
    return 0;
}
