/*
 * check_vectors.c - the shared error vectors (the JSON tables in test/vectors/,
 * format in test/vectors/README.md) run against the C API, plus the tests of
 * the JSON reader that loads them.
 *
 * Each file is one Check test case named after the file; each row is one
 * iteration of a loop test, so a failing row fails alone and its message
 * names the file, the row and the code returned.  Check gives a loop test
 * only its index, so the index carries both: table * ROW_STRIDE + row.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <math.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "json.h"
#include "suites.h"
#include "testutil.h"

#ifndef VECTORS_DIR
#error "VECTORS_DIR must name the test/vectors directory"
#endif

#define MAX_TABLES 128
#define ROW_STRIDE 10000
#define MAX_PARAMS 8
#define MAX_OWNED 16
#define MAX_BYTES 256
#define MSG_MAX 1024
/* The largest handle below 2^53: no handle table gets that far, so it was
 * never given out. */
#define FORGED_HANDLE ((polysock_handle)9007199254740991ULL)

/* ------------------------------------------------------------------------
 * Converted arguments
 * ------------------------------------------------------------------------ */

typedef struct varg {
    int64_t i;                /* const, int */
    size_t z;                 /* size */
    polysock_handle h;        /* handle */
    double d;                 /* timeout */
    const char *s;            /* str, service (NULL for null) */
    const uint8_t *b;         /* bytes (NULL for null) */
    size_t len;               /* bytes length */
    const polysock_addr *ap;  /* addr (NULL for null) */
    uint8_t bytes[MAX_BYTES];
    char text[32];
    polysock_addr addr;
} varg;

typedef enum fkind { FK_SOCKET, FK_LIST, FK_POLLER, FK_TLS_CONFIG, FK_TLS } fkind;

/* What the symbols of one row created, freed after the call.  A symbol
 * named twice in a row is one object. */
typedef struct fixture {
    const char *names[MAX_PARAMS];
    polysock_handle named[MAX_PARAMS];
    size_t nnamed;
    polysock_handle owned[MAX_OWNED];
    fkind kinds[MAX_OWNED];
    size_t nowned;
} fixture;

typedef struct row_ctx {
    varg args[MAX_PARAMS];
    fixture fx;
    char msg[MSG_MAX];
} row_ctx;

__attribute__((format(printf, 2, 3)))
static int bad(row_ctx *cx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cx->msg, sizeof cx->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* ------------------------------------------------------------------------
 * Symbols: the objects a runner makes for "@name" arguments
 * ------------------------------------------------------------------------ */

static void own(fixture *fx, polysock_handle h, fkind kind)
{
    ck_assert_uint_lt(fx->nowned, MAX_OWNED);
    fx->owned[fx->nowned] = h;
    fx->kinds[fx->nowned++] = kind;
}

/* Newest first: a TLS connection goes before the socket under it. */
static void fixture_free(fixture *fx)
{
    /* Rows may have closed these already: EBADHANDLE is expected then. */
    while (fx->nowned > 0) {
        size_t i = --fx->nowned;
        switch (fx->kinds[i]) {
        case FK_SOCKET: polysock_close(fx->owned[i]); break;
        case FK_LIST: polysock_list_free(fx->owned[i]); break;
        case FK_POLLER: polysock_poller_close(fx->owned[i]); break;
        case FK_TLS_CONFIG: polysock_tls_config_close(fx->owned[i]); break;
        case FK_TLS: polysock_tls_close(fx->owned[i]); break;
        }
    }
}

static int new_socket(fixture *fx, int family, int type, polysock_handle *h)
{
    int rc = polysock_socket(family, type, 0, h);
    if (rc == 0)
        own(fx, *h, FK_SOCKET);
    return rc;
}

static int make_tcp(fixture *fx, polysock_handle *h)
{
    return new_socket(fx, AF_INET, SOCK_STREAM, h);
}

static int make_tcp6(fixture *fx, polysock_handle *h)
{
    return new_socket(fx, AF_INET6, SOCK_STREAM, h);
}

static int make_udp(fixture *fx, polysock_handle *h)
{
    return new_socket(fx, AF_INET, SOCK_DGRAM, h);
}

static int make_udp6(fixture *fx, polysock_handle *h)
{
    return new_socket(fx, AF_INET6, SOCK_DGRAM, h);
}

static int make_unix(fixture *fx, polysock_handle *h)
{
    return new_socket(fx, AF_UNIX, SOCK_STREAM, h);
}

static int make_closed_socket(fixture *fx, polysock_handle *h)
{
    int rc = polysock_socket(AF_INET, SOCK_STREAM, 0, h);
    return rc != 0 ? rc : polysock_close(*h);
}

/* A closed handle whose slot a newer socket (kept open) may now use. */
static int make_stale(fixture *fx, polysock_handle *h)
{
    polysock_handle newer;
    int rc = make_closed_socket(fx, h);
    return rc != 0 ? rc : make_tcp(fx, &newer);
}

static int make_forged(fixture *fx, polysock_handle *h)
{
    *h = FORGED_HANDLE;
    return 0;
}

static int make_zero(fixture *fx, polysock_handle *h)
{
    *h = POLYSOCK_INVALID_HANDLE;
    return 0;
}

/* One entry exactly: numeric host, one family, one socktype. */
static int new_list(polysock_handle *h)
{
    return polysock_getaddrinfo("127.0.0.1", "80", AF_INET, SOCK_STREAM, 0,
                                AI_NUMERICHOST, h);
}

static int make_list(fixture *fx, polysock_handle *h)
{
    int rc = new_list(h);
    if (rc == 0)
        own(fx, *h, FK_LIST);
    return rc;
}

static int make_freed_list(fixture *fx, polysock_handle *h)
{
    int rc = new_list(h);
    return rc != 0 ? rc : polysock_list_free(*h);
}

static int make_poller(fixture *fx, polysock_handle *h)
{
    int rc = polysock_poller_new(h);
    if (rc == 0)
        own(fx, *h, FK_POLLER);
    return rc;
}

static int make_closed_poller(fixture *fx, polysock_handle *h)
{
    int rc = polysock_poller_new(h);
    return rc != 0 ? rc : polysock_poller_close(*h);
}

static int new_tls_config(fixture *fx, int server, polysock_handle *h)
{
    int rc = polysock_tls_config_new(server, h);
    if (rc == 0)
        own(fx, *h, FK_TLS_CONFIG);
    return rc;
}

static int make_tls_client_config(fixture *fx, polysock_handle *h)
{
    return new_tls_config(fx, 0, h);
}

static int make_tls_server_config(fixture *fx, polysock_handle *h)
{
    return new_tls_config(fx, 1, h);
}

static int make_closed_tls_config(fixture *fx, polysock_handle *h)
{
    int rc = polysock_tls_config_new(0, h);
    return rc != 0 ? rc : polysock_tls_config_close(*h);
}

/* A client connection over a new, never connected TCP socket (owned).
 * Verification is off, so no name is needed; tls_new does no I/O.  The
 * configuration is closed at once: the connection keeps its settings. */
static int new_unverified_tls(fixture *fx, polysock_handle *tls)
{
    polysock_handle sock, cfg;
    int rc = make_tcp(fx, &sock);
    if (rc != 0 || (rc = polysock_tls_config_new(0, &cfg)) != 0)
        return rc;
    rc = polysock_tls_config_set_verify(cfg, 0);
    if (rc == 0)
        rc = polysock_tls_new(sock, cfg, NULL, tls);
    int closed = polysock_tls_config_close(cfg);
    return rc != 0 ? rc : closed;
}

static int make_open_tls(fixture *fx, polysock_handle *h)
{
    int rc = new_unverified_tls(fx, h);
    if (rc == 0)
        own(fx, *h, FK_TLS);
    return rc;
}

static int make_closed_tls(fixture *fx, polysock_handle *h)
{
    int rc = new_unverified_tls(fx, h);
    return rc != 0 ? rc : polysock_tls_close(*h);
}

static const struct symbol {
    const char *name;
    int (*make)(fixture *fx, polysock_handle *h);
} symbols[] = {
    {"@tcp_socket", make_tcp},       {"@tcp6_socket", make_tcp6},
    {"@udp_socket", make_udp},       {"@udp6_socket", make_udp6},
    {"@unix_socket", make_unix},     {"@closed_socket", make_closed_socket},
    {"@stale_handle", make_stale},   {"@forged_handle", make_forged},
    {"@zero_handle", make_zero},     {"@list_handle", make_list},
    {"@freed_list", make_freed_list}, {"@poller", make_poller},
    {"@closed_poller", make_closed_poller},
    {"@tls_client_config", make_tls_client_config},
    {"@tls_server_config", make_tls_server_config},
    {"@closed_tls_config", make_closed_tls_config},
    {"@open_tls", make_open_tls},    {"@closed_tls", make_closed_tls},
};

static int resolve_symbol(row_ctx *cx, const char *name, polysock_handle *h)
{
    fixture *fx = &cx->fx;
    for (size_t i = 0; i < fx->nnamed; i++)
        if (strcmp(fx->names[i], name) == 0) {
            *h = fx->named[i];
            return 0;
        }
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        if (strcmp(symbols[i].name, name) != 0)
            continue;
        int rc = symbols[i].make(fx, h);
        if (rc != 0)
            return bad(cx, "setting up %s failed: %d (%s)", name, rc, polysock_errname(rc));
        fx->names[fx->nnamed] = symbols[i].name;
        fx->named[fx->nnamed++] = *h;
        return 0;
    }
    return bad(cx, "unknown symbol \"%s\"", name);
}

/* ------------------------------------------------------------------------
 * Argument conversion, one function per parameter type
 * ------------------------------------------------------------------------ */

typedef int (*conv_fn)(row_ctx *cx, const json_value *v, varg *out);

static int no_c(row_ctx *cx, const char *why)
{
    return bad(cx, "the row cannot be expressed in C (%s): give it \"skip\": {\"c\": ...}", why);
}

static int conv_handle(row_ctx *cx, const json_value *v, varg *out)
{
    if (v->type == JSON_INT) {
        out->h = (polysock_handle)v->integer;
        return 0;
    }
    if (v->type != JSON_STRING || v->string[0] != '@' || strlen(v->string) != v->length)
        return bad(cx, "a handle is \"@symbol\" or an integer, not %s", json_type_name(v->type));
    return resolve_symbol(cx, v->string, &out->h);
}

static int lookup_names(row_ctx *cx, const json_value *v, int64_t *value)
{
    *value = 0;
    for (const char *p = v->string; *p != '\0';) {
        size_t n = strcspn(p, "|");
        char name[64];
        int64_t one;
        if (n == 0 || n >= sizeof name || (p[n] == '|' && p[n + 1] == '\0'))
            return bad(cx, "bad constant list \"%s\"", v->string);
        memcpy(name, p, n);
        name[n] = '\0';
        int rc = polysock_constant_lookup(name, &one);
        if (rc != 0)
            return bad(cx, "constant %s: %d (%s)", name, rc, polysock_errname(rc));
        *value |= one;
        p += n + (p[n] == '|');
    }
    return 0;
}

/* Every constant parameter of the C API is an int. */
static int conv_const(row_ctx *cx, const json_value *v, varg *out)
{
    if (v->type == JSON_STRING) {
        if (strlen(v->string) != v->length || v->length == 0)
            return bad(cx, "%s", "a constant name is empty or holds a NUL");
        if (lookup_names(cx, v, &out->i) != 0)
            return -1;
    } else if (v->type == JSON_INT) {
        out->i = v->integer;
    } else {
        return bad(cx, "a constant is a name or an integer, not %s", json_type_name(v->type));
    }
    return out->i < INT32_MIN || out->i > INT32_MAX ? no_c(cx, "constant outside int") : 0;
}

static int conv_int(row_ctx *cx, const json_value *v, varg *out)
{
    if (v->type != JSON_INT)
        return bad(cx, "expected an integer, not %s", json_type_name(v->type));
    out->i = v->integer;
    return 0;
}

static int conv_int32(row_ctx *cx, const json_value *v, varg *out)
{
    if (conv_int(cx, v, out) != 0)
        return -1;
    return out->i < INT32_MIN || out->i > INT32_MAX ? no_c(cx, "the C parameter is an int") : 0;
}

/* A negative size becomes its size_t value, above SSIZE_MAX: that is how a
 * C caller passes "a negative length". */
static int conv_size(row_ctx *cx, const json_value *v, varg *out)
{
    if (conv_int(cx, v, out) != 0)
        return -1;
    out->z = (size_t)(uint64_t)out->i;
    return 0;
}

static int conv_timeout(row_ctx *cx, const json_value *v, varg *out)
{
    if (v->type == JSON_NULL)
        out->d = POLYSOCK_TIMEOUT_NONE;
    else if (v->type == JSON_INT || v->type == JSON_DOUBLE)
        out->d = v->number;
    else if (json_is_string(v, "nan"))
        out->d = NAN;
    else if (json_is_string(v, "inf"))
        out->d = INFINITY;
    else if (json_is_string(v, "-inf"))
        out->d = -INFINITY;
    else
        return bad(cx, "a timeout is a number, \"nan\", \"inf\", \"-inf\" or null, not %s",
                   json_type_name(v->type));
    return 0;
}

static int conv_str(row_ctx *cx, const json_value *v, varg *out)
{
    if (v->type == JSON_NULL) {
        out->s = NULL;
        return 0;
    }
    if (v->type != JSON_STRING)
        return bad(cx, "expected a string or null, not %s", json_type_name(v->type));
    if (strlen(v->string) != v->length)
        return no_c(cx, "NUL inside a C string");
    out->s = v->string;
    return 0;
}

static int conv_service(row_ctx *cx, const json_value *v, varg *out)
{
    if (v->type != JSON_INT)
        return conv_str(cx, v, out);
    snprintf(out->text, sizeof out->text, "%lld", (long long)v->integer);
    out->s = out->text;
    return 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int decode_hex(row_ctx *cx, const json_value *hex, uint8_t *dst, size_t cap, size_t *len)
{
    if (hex == NULL || hex->type != JSON_STRING || hex->length % 2 != 0)
        return bad(cx, "%s", "hex bytes must be a string of an even length");
    if (hex->length / 2 > cap)
        return no_c(cx, "more bytes than the C runner's buffer");
    for (size_t i = 0; i < hex->length; i += 2) {
        int hi = hex_value(hex->string[i]), lo = hex_value(hex->string[i + 1]);
        if (hi < 0 || lo < 0)
            return bad(cx, "not a hex digit in \"%s\"", hex->string);
        dst[i / 2] = (uint8_t)(hi * 16 + lo);
    }
    *len = hex->length / 2;
    return 0;
}

/* An object of exactly one member, named key; NULL otherwise. */
static const json_value *sole_member(const json_value *v, const char *key)
{
    return v->type == JSON_OBJECT && v->length == 1 ? json_get(v, key) : NULL;
}

static int conv_bytes(row_ctx *cx, const json_value *v, varg *out)
{
    if (v->type == JSON_NULL) {
        out->b = NULL;
        out->len = 0;
        return 0;
    }
    const json_value *hex = sole_member(v, "bytes_hex");
    if (hex == NULL)
        return bad(cx, "%s", "bytes are {\"bytes_hex\": \"...\"} or null");
    out->b = out->bytes;
    return decode_hex(cx, hex, out->bytes, sizeof out->bytes, &out->len);
}

static int conv_u32(row_ctx *cx, const json_value *v, uint32_t *out)
{
    if (v->type != JSON_INT)
        return bad(cx, "expected an integer, not %s", json_type_name(v->type));
    if (v->integer < 0 || v->integer > UINT32_MAX)
        return no_c(cx, "flowinfo and scope_id are uint32_t");
    *out = (uint32_t)v->integer;
    return 0;
}

/* [host, port] leaves the family to the socket (0); the longer tuples are
 * AF_INET6 ones, so the record says so and a mismatch can be seen. */
static int conv_addr_tuple(row_ctx *cx, const json_value *v, polysock_addr *a)
{
    const json_value *host = &v->items[0], *port = &v->items[1];
    if (v->length < 2 || v->length > 4 || host->type != JSON_STRING || port->type != JSON_INT)
        return bad(cx, "%s", "an address tuple is [host, port[, flowinfo[, scope_id]]]");
    if (host->length >= sizeof a->host)
        return no_c(cx, "host longer than POLYSOCK_HOST_MAX");
    memcpy(a->host, host->string, host->length);
    a->host_len = (uint32_t)host->length;
    a->port = port->integer;
    a->family = v->length > 2 ? AF_INET6 : 0;
    if (v->length > 2 && conv_u32(cx, &v->items[2], &a->flowinfo) != 0)
        return -1;
    return v->length > 3 ? conv_u32(cx, &v->items[3], &a->scope_id) : 0;
}

static int conv_addr_unix(row_ctx *cx, const json_value *v, polysock_addr *a)
{
    const json_value *hex = sole_member(v, "unix_hex"), *text = sole_member(v, "unix");
    size_t len;
    a->family = AF_UNIX;
    if (text != NULL && text->type == JSON_STRING) {
        if (text->length >= sizeof a->host)
            return no_c(cx, "path longer than POLYSOCK_HOST_MAX");
        memcpy(a->host, text->string, text->length);
        len = text->length;
    } else if (hex == NULL) {
        return bad(cx, "%s", "a unix address is {\"unix\": \"path\"} or {\"unix_hex\": \"...\"}");
    } else if (decode_hex(cx, hex, (uint8_t *)a->host, sizeof a->host - 1, &len) != 0) {
        return -1;
    }
    a->host_len = (uint32_t)len;
    return 0;
}

static int conv_addr(row_ctx *cx, const json_value *v, varg *out)
{
    memset(&out->addr, 0, sizeof out->addr);
    out->ap = &out->addr;
    if (v->type == JSON_NULL) {
        out->ap = NULL;
        return 0;
    }
    if (v->type == JSON_ARRAY && v->length >= 2)
        return conv_addr_tuple(cx, v, &out->addr);
    if (v->type == JSON_OBJECT)
        return conv_addr_unix(cx, v, &out->addr);
    return bad(cx, "an address is a tuple, a unix object or null, not %s", json_type_name(v->type));
}

/* The file's type names; "int32" is the C runner's own spelling of an "int"
 * that the C parameter holds as an int. */
static const struct ptype {
    const char *spec;
    const char *file;
    conv_fn conv;
} ptypes[] = {
    {"handle", "handle", conv_handle}, {"const", "const", conv_const},
    {"int", "int", conv_int},          {"int32", "int", conv_int32},
    {"size", "size", conv_size},       {"timeout", "timeout", conv_timeout},
    {"str", "str", conv_str},          {"service", "service", conv_service},
    {"bytes", "bytes", conv_bytes},    {"addr", "addr", conv_addr},
};

static const struct ptype *find_ptype(const char *spec, size_t len)
{
    for (size_t i = 0; i < sizeof ptypes / sizeof ptypes[0]; i++)
        if (strlen(ptypes[i].spec) == len && strncmp(ptypes[i].spec, spec, len) == 0)
            return &ptypes[i];
    return NULL;
}

/* ------------------------------------------------------------------------
 * Adapters: one per function, JSON arguments in, polysock code out.  Each
 * frees what a successful call created.
 * ------------------------------------------------------------------------ */

static int ad_inet_pton(const varg *a)
{
    uint8_t packed[16];
    size_t n;
    return polysock_inet_pton((int)a[0].i, a[1].s, packed, sizeof packed, &n);
}

static int ad_inet_ntop(const varg *a)
{
    char out[64];
    return polysock_inet_ntop((int)a[0].i, a[1].b, a[1].len, out, sizeof out);
}

static int ad_inet_aton(const varg *a)
{
    uint8_t packed[4];
    return polysock_inet_aton(a[0].s, packed, sizeof packed);
}

static int ad_inet_ntoa(const varg *a)
{
    char out[32];
    return polysock_inet_ntoa(a[0].b, a[0].len, out, sizeof out);
}

static int ad_htons(const varg *a) { uint16_t v; return polysock_htons(a[0].i, &v); }
static int ad_ntohs(const varg *a) { uint16_t v; return polysock_ntohs(a[0].i, &v); }
static int ad_htonl(const varg *a) { uint32_t v; return polysock_htonl(a[0].i, &v); }
static int ad_ntohl(const varg *a) { uint32_t v; return polysock_ntohl(a[0].i, &v); }

/* Keeps the code of the call; closing what it made must work.  (Callers
 * call first and then pass the handle: argument order is unspecified.) */
static int closing(int rc, polysock_handle h)
{
    if (rc == 0)
        ck_assert_ps_ok(polysock_close(h));
    return rc;
}

static int ad_socket(const varg *a)
{
    polysock_handle h = 0;
    int rc = polysock_socket((int)a[0].i, (int)a[1].i, (int)a[2].i, &h);
    return closing(rc, h);
}

static int ad_socketpair(const varg *a)
{
    polysock_handle x = 0, y = 0;
    int rc = polysock_socketpair((int)a[0].i, (int)a[1].i, (int)a[2].i, &x, &y);
    return closing(closing(rc, x), y);
}

static int ad_fromfd(const varg *a)
{
    polysock_handle h = 0;
    int rc = polysock_fromfd((int)a[0].i, (int)a[1].i, (int)a[2].i, (int)a[3].i, &h);
    return closing(rc, h);
}

static int ad_connect(const varg *a) { return polysock_connect(a[0].h, a[1].ap); }
static int ad_bind(const varg *a) { return polysock_bind(a[0].h, a[1].ap); }

static int ad_sendto(const varg *a)
{
    size_t n;
    return polysock_sendto(a[0].h, a[1].b, a[1].len, (int)a[2].i, a[3].ap, &n);
}

static int ad_settimeout(const varg *a) { return polysock_settimeout(a[0].h, a[1].d); }
static int ad_setdefaulttimeout(const varg *a) { return polysock_setdefaulttimeout(a[0].d); }

/* Sizes above the buffer appear only where the library must refuse them
 * before use, or on a socket that is not connected (the kernel fails it). */
static int ad_recv(const varg *a)
{
    char buf[4096];
    size_t n;
    return polysock_recv(a[0].h, buf, a[1].z, (int)a[2].i, &n);
}

static int ad_send(const varg *a)
{
    size_t n;
    return polysock_send(a[0].h, a[1].b, a[1].len, (int)a[2].i, &n);
}

static int ad_close(const varg *a) { return polysock_close(a[0].h); }
static int ad_fileno(const varg *a) { int fd; return polysock_fileno(a[0].h, &fd); }
static int ad_getpeername(const varg *a)
{
    polysock_addr x;
    return polysock_getpeername(a[0].h, &x);
}

static int ad_getsockname(const varg *a)
{
    polysock_addr x;
    return polysock_getsockname(a[0].h, &x);
}

static int ad_listen(const varg *a) { return polysock_listen(a[0].h, (int)a[1].i); }
static int ad_shutdown(const varg *a) { return polysock_shutdown(a[0].h, (int)a[1].i); }

static int ad_accept(const varg *a)
{
    polysock_handle conn = 0;
    polysock_addr peer;
    int rc = polysock_accept(a[0].h, &conn, &peer);
    return closing(rc, conn);
}

/* As with recv: lengths above the buffer must be refused before use. */
static int ad_getsockopt_buf(const varg *a)
{
    uint8_t buf[2048];
    size_t n;
    return polysock_getsockopt_buf(a[0].h, (int)a[1].i, (int)a[2].i, buf, a[3].z, &n);
}

static int ad_getsockopt_int(const varg *a)
{
    int v;
    return polysock_getsockopt_int(a[0].h, (int)a[1].i, (int)a[2].i, &v);
}

static int ad_setsockopt_int(const varg *a)
{
    return polysock_setsockopt_int(a[0].h, (int)a[1].i, (int)a[2].i, (int)a[3].i);
}

static int ad_getservbyport(const varg *a)
{
    char out[POLYSOCK_HOST_MAX];
    return polysock_getservbyport(a[0].i, a[1].s, out, sizeof out);
}

static int ad_getservbyname(const varg *a)
{
    int port;
    return polysock_getservbyname(a[0].s, a[1].s, &port);
}

static int ad_getprotobyname(const varg *a)
{
    int proto;
    return polysock_getprotobyname(a[0].s, &proto);
}

static int freeing(int rc, polysock_handle list)
{
    if (rc == 0)
        ck_assert_ps_ok(polysock_list_free(list));
    return rc;
}

static int ad_getaddrinfo(const varg *a)
{
    polysock_handle list = 0;
    int rc = polysock_getaddrinfo(a[0].s, a[1].s, (int)a[2].i, (int)a[3].i, (int)a[4].i,
                                  (int)a[5].i, &list);
    return freeing(rc, list);
}

static int ad_getnameinfo(const varg *a)
{
    char host[POLYSOCK_HOST_MAX], serv[64];
    return polysock_getnameinfo(a[0].ap, (int)a[1].i, host, sizeof host, serv, sizeof serv);
}

static int ad_gethostbyname(const varg *a)
{
    char out[POLYSOCK_HOST_MAX];
    return polysock_gethostbyname(a[0].s, out, sizeof out);
}

static int ad_gethostbyname_ex(const varg *a)
{
    polysock_handle list = 0;
    int rc = polysock_gethostbyname_ex(a[0].s, &list);
    return freeing(rc, list);
}

static int ad_gethostbyaddr(const varg *a)
{
    polysock_handle list = 0;
    int rc = polysock_gethostbyaddr(a[0].s, &list);
    return freeing(rc, list);
}

static int ad_addrinfo_get(const varg *a)
{
    int family, socktype, proto;
    char canon[POLYSOCK_HOST_MAX];
    polysock_addr addr;
    return polysock_addrinfo_get(a[0].h, a[1].z, &family, &socktype, &proto, canon,
                                 sizeof canon, &addr);
}

static int ad_list_free(const varg *a) { return polysock_list_free(a[0].h); }

static int ad_poller_add(const varg *a)
{
    return polysock_poller_add(a[0].h, a[1].h, (uint32_t)a[2].i);
}

static int ad_tls_config_new(const varg *a)
{
    polysock_handle cfg = 0;
    int rc = polysock_tls_config_new((int)a[0].i, &cfg);
    if (rc == 0)
        ck_assert_ps_ok(polysock_tls_config_close(cfg));
    return rc;
}

static int ad_tls_config_close(const varg *a) { return polysock_tls_config_close(a[0].h); }

static int ad_tls_config_set_verify(const varg *a)
{
    return polysock_tls_config_set_verify(a[0].h, (int)a[1].i);
}

static int ad_tls_config_set_ca(const varg *a)
{
    return polysock_tls_config_set_ca(a[0].h, a[1].s, a[2].s);
}

static int ad_tls_config_set_certificate(const varg *a)
{
    return polysock_tls_config_set_certificate(a[0].h, a[1].s, a[2].s);
}

static int ad_tls_config_set_require_client_cert(const varg *a)
{
    return polysock_tls_config_set_require_client_cert(a[0].h, (int)a[1].i);
}

static int ad_tls_config_set_alpn(const varg *a)
{
    return polysock_tls_config_set_alpn(a[0].h, a[1].s);
}

static int ad_tls_config_set_min_version(const varg *a)
{
    return polysock_tls_config_set_min_version(a[0].h, (int)a[1].i);
}

static int ad_tls_config_set_allow_unexpected_eof(const varg *a)
{
    return polysock_tls_config_set_allow_unexpected_eof(a[0].h, (int)a[1].i);
}

static int ad_tls_new(const varg *a)
{
    polysock_handle tls = 0;
    int rc = polysock_tls_new(a[0].h, a[1].h, a[2].s, &tls);
    if (rc == 0)
        ck_assert_ps_ok(polysock_tls_close(tls));
    return rc;
}

static int ad_tls_handshake(const varg *a) { return polysock_tls_handshake(a[0].h); }

/* As with recv: lengths above the buffer must be refused before use. */
static int ad_tls_read(const varg *a)
{
    char buf[4096];
    size_t n;
    return polysock_tls_read(a[0].h, buf, a[1].z, &n);
}

static int ad_tls_write(const varg *a)
{
    size_t n;
    return polysock_tls_write(a[0].h, a[1].b, a[1].len, &n);
}

static int ad_tls_pending(const varg *a)
{
    size_t n;
    return polysock_tls_pending(a[0].h, &n);
}

static int ad_tls_info_len(const varg *a)
{
    size_t n;
    return polysock_tls_info_len(a[0].h, (int)a[1].i, &n);
}

static int ad_tls_info(const varg *a)
{
    uint8_t buf[4096];
    size_t n;
    return polysock_tls_info(a[0].h, (int)a[1].i, buf, a[2].z, &n);
}

static int ad_tls_close(const varg *a) { return polysock_tls_close(a[0].h); }

typedef int (*adapter_fn)(const varg *a);

static const struct adapter {
    const char *function;
    const char *spec; /* parameter types, space-separated */
    adapter_fn call;
} adapters[] = {
    {"inet_pton", "const str", ad_inet_pton},
    {"inet_ntop", "const bytes", ad_inet_ntop},
    {"inet_aton", "str", ad_inet_aton},
    {"inet_ntoa", "bytes", ad_inet_ntoa},
    {"htons", "int", ad_htons},
    {"ntohs", "int", ad_ntohs},
    {"htonl", "int", ad_htonl},
    {"ntohl", "int", ad_ntohl},
    {"socket", "const const const", ad_socket},
    {"socketpair", "const const const", ad_socketpair},
    {"fromfd", "int32 const const const", ad_fromfd},
    {"connect", "handle addr", ad_connect},
    {"bind", "handle addr", ad_bind},
    {"sendto", "handle bytes const addr", ad_sendto},
    {"settimeout", "handle timeout", ad_settimeout},
    {"setdefaulttimeout", "timeout", ad_setdefaulttimeout},
    {"recv", "handle size const", ad_recv},
    {"send", "handle bytes const", ad_send},
    {"close", "handle", ad_close},
    {"fileno", "handle", ad_fileno},
    {"getpeername", "handle", ad_getpeername},
    {"getsockname", "handle", ad_getsockname},
    {"listen", "handle int32", ad_listen},
    {"accept", "handle", ad_accept},
    {"shutdown", "handle const", ad_shutdown},
    {"getsockopt_buf", "handle const const size", ad_getsockopt_buf},
    {"getsockopt_int", "handle const const", ad_getsockopt_int},
    {"setsockopt_int", "handle const const int32", ad_setsockopt_int},
    {"getservbyport", "int str", ad_getservbyport},
    {"getservbyname", "str str", ad_getservbyname},
    {"getprotobyname", "str", ad_getprotobyname},
    {"getaddrinfo", "str service const const const const", ad_getaddrinfo},
    {"getnameinfo", "addr const", ad_getnameinfo},
    {"gethostbyname", "str", ad_gethostbyname},
    {"gethostbyname_ex", "str", ad_gethostbyname_ex},
    {"gethostbyaddr", "str", ad_gethostbyaddr},
    {"addrinfo_get", "handle size", ad_addrinfo_get},
    {"list_free", "handle", ad_list_free},
    {"poller_add", "handle handle const", ad_poller_add},
    {"tls_config_new", "int32", ad_tls_config_new},
    {"tls_config_close", "handle", ad_tls_config_close},
    {"tls_config_set_verify", "handle int32", ad_tls_config_set_verify},
    {"tls_config_set_ca", "handle str str", ad_tls_config_set_ca},
    {"tls_config_set_certificate", "handle str str", ad_tls_config_set_certificate},
    {"tls_config_set_require_client_cert", "handle int32", ad_tls_config_set_require_client_cert},
    {"tls_config_set_alpn", "handle str", ad_tls_config_set_alpn},
    {"tls_config_set_min_version", "handle const", ad_tls_config_set_min_version},
    {"tls_config_set_allow_unexpected_eof", "handle int32", ad_tls_config_set_allow_unexpected_eof},
    {"tls_new", "handle handle str", ad_tls_new},
    {"tls_handshake", "handle", ad_tls_handshake},
    {"tls_read", "handle size", ad_tls_read},
    {"tls_write", "handle bytes", ad_tls_write},
    {"tls_pending", "handle", ad_tls_pending},
    {"tls_info_len", "handle const", ad_tls_info_len},
    {"tls_info", "handle const size", ad_tls_info},
    {"tls_close", "handle", ad_tls_close},
};

/* ------------------------------------------------------------------------
 * Tables: validation of a file and of a row
 * ------------------------------------------------------------------------ */

typedef struct table {
    const struct adapter *adapter;
    const struct ptype *types[MAX_PARAMS];
    size_t nparams;
    const json_value *rows;
} table;

static int only_keys(row_ctx *cx, const json_value *obj, const char *const *keys, const char *what)
{
    for (size_t i = 0; i < obj->length; i++) {
        size_t k = 0;
        while (keys[k] != NULL && strcmp(keys[k], obj->members[i].key) != 0)
            k++;
        if (keys[k] == NULL)
            return bad(cx, "unknown key \"%s\" in %s", obj->members[i].key, what);
    }
    return 0;
}

static const struct adapter *find_adapter(const json_value *name)
{
    for (size_t i = 0; i < sizeof adapters / sizeof adapters[0]; i++)
        if (json_is_string(name, adapters[i].function))
            return &adapters[i];
    return NULL;
}

/* The file's params must be the adapter's, in order: a table written for
 * another signature fails instead of calling with garbage. */
static int match_params(row_ctx *cx, table *tb, const json_value *params)
{
    const char *spec = tb->adapter->spec;
    if (params == NULL || params->type != JSON_ARRAY || params->length > MAX_PARAMS)
        return bad(cx, "%s", "\"params\" must be an array of at most 8 parameters");
    for (size_t i = 0; i < params->length; i++) {
        const json_value *type = json_get(&params->items[i], "type");
        size_t n = strcspn(spec, " ");
        const struct ptype *pt = find_ptype(spec, n);
        if (pt == NULL)
            return bad(cx, "%s takes fewer parameters (C: %s)", tb->adapter->function,
                       tb->adapter->spec);
        if (!json_is_string(type, pt->file) || json_get(&params->items[i], "name") == NULL)
            return bad(cx, "parameter %zu of %s must be {\"name\": ..., \"type\": \"%s\"} (C: %s)",
                       i + 1, tb->adapter->function, pt->file, tb->adapter->spec);
        tb->types[i] = pt;
        spec += n + (spec[n] == ' ');
    }
    tb->nparams = params->length;
    if (*spec != '\0')
        return bad(cx, "%s takes more parameters (C: %s)", tb->adapter->function,
                   tb->adapter->spec);
    return 0;
}

static int load_table(row_ctx *cx, const json_value *doc, table *tb)
{
    static const char *const keys[] = {"function", "description", "params", "rows", NULL};
    if (doc->type != JSON_OBJECT)
        return bad(cx, "%s", "a table is a JSON object");
    if (only_keys(cx, doc, keys, "the table") != 0)
        return -1;
    const json_value *fn = json_get(doc, "function");
    tb->adapter = find_adapter(fn);
    if (tb->adapter == NULL)
        return bad(cx, "no C adapter for function \"%s\": add one to check_vectors.c",
                   fn && fn->type == JSON_STRING ? fn->string : "(missing)");
    if (match_params(cx, tb, json_get(doc, "params")) != 0)
        return -1;
    tb->rows = json_get(doc, "rows");
    if (tb->rows == NULL || tb->rows->type != JSON_ARRAY || tb->rows->length == 0)
        return bad(cx, "%s", "\"rows\" must be a non-empty array");
    return 0;
}

static int is_one_of(const json_value *v, const char *const *names)
{
    for (size_t i = 0; names[i] != NULL; i++)
        if (json_is_string(v, names[i]))
            return 1;
    return 0;
}

static const char *const classes[] = {"none", "os", "gai", "herror", "timeout", "value",
                                      "type", "overflow", "badhandle", "error", "tls", NULL};

/* A string, or a non-empty array of strings, each passing ok (or any
 * string when ok is NULL). */
static int strings_ok(const json_value *v, const char *const *ok)
{
    if (v->type == JSON_STRING)
        return ok == NULL || is_one_of(v, ok);
    if (v->type != JSON_ARRAY || v->length == 0)
        return 0;
    for (size_t i = 0; i < v->length; i++)
        if (v->items[i].type != JSON_STRING || (ok != NULL && !is_one_of(&v->items[i], ok)))
            return 0;
    return 1;
}

static int check_row_names(row_ctx *cx, const table *tb, size_t r)
{
    const json_value *name = json_get(&tb->rows->items[r], "name");
    if (name == NULL || name->type != JSON_STRING || name->length == 0)
        return bad(cx, "row %zu has no name", r + 1);
    for (size_t i = 0; i < tb->rows->length; i++) {
        const json_value *other = json_get(&tb->rows->items[i], "name");
        if (i != r && json_is_string(other, name->string))
            return bad(cx, "rows %zu and %zu are both named \"%s\"", r + 1, i + 1, name->string);
    }
    return 0;
}

static int check_row(row_ctx *cx, const table *tb, size_t r)
{
    static const char *const keys[] = {"name", "args", "error", "errno", "code",
                                       "requires", "skip", "layer", "note", NULL};
    static const char *const gives_errno[] = {"os", "gai", "herror", NULL};
    static const char *const layers[] = {"any", "raw", NULL};
    static const char *const tags[] = {"ipv6", "netdb", NULL};
    const json_value *row = &tb->rows->items[r];
    if (row->type != JSON_OBJECT)
        return bad(cx, "row %zu is not an object", r + 1);
    if (only_keys(cx, row, keys, "a row") != 0 || check_row_names(cx, tb, r) != 0)
        return -1;
    const json_value *args = json_get(row, "args"), *err = json_get(row, "error");
    const json_value *eno = json_get(row, "errno"), *req = json_get(row, "requires");
    const json_value *layer = json_get(row, "layer"), *skip = json_get(row, "skip");
    const json_value *code = json_get(row, "code");
    if (args == NULL || args->type != JSON_ARRAY || args->length != tb->nparams)
        return bad(cx, "\"args\" must be an array of %zu arguments", tb->nparams);
    if (err == NULL || !is_one_of(err, classes))
        return bad(cx, "%s", "\"error\" must be an error class name or \"none\"");
    if (eno != NULL && (!strings_ok(eno, NULL) || !is_one_of(err, gives_errno)))
        return bad(cx, "%s", "\"errno\" is a name or a list of names, for os/gai/herror rows");
    if (code != NULL && (code->type != JSON_STRING || !json_is_string(err, "tls")))
        return bad(cx, "%s", "\"code\" is the name of a TLS code (POLYSOCK_ETLS_*), for tls rows");
    if (req != NULL && (req->type != JSON_ARRAY || !strings_ok(req, tags)))
        return bad(cx, "%s", "\"requires\" is a list of: ipv6, netdb");
    if (layer != NULL && !is_one_of(layer, layers))
        return bad(cx, "%s", "\"layer\" is \"any\" or \"raw\"");
    if (skip != NULL && skip->type != JSON_OBJECT)
        return bad(cx, "%s", "\"skip\" maps a language to the reason");
    return 0;
}

/* ------------------------------------------------------------------------
 * Running a row
 * ------------------------------------------------------------------------ */

static int netdb_present(void)
{
    return access("/etc/services", R_OK) == 0 && access("/etc/protocols", R_OK) == 0;
}

/* 1 when the row applies to C on this machine. */
static int row_applies(const json_value *row)
{
    const json_value *req = json_get(row, "requires");
    if (json_get(json_get(row, "skip"), "c") != NULL)
        return 0;
    for (size_t i = 0; req != NULL && i < req->length; i++) {
        if (json_is_string(&req->items[i], "ipv6") && !polysock_has_ipv6())
            return 0;
        if (json_is_string(&req->items[i], "netdb") && !netdb_present())
            return 0;
    }
    return 1;
}

/* Linux gives some errno values two names; polysock_errname says one. */
static int same_errno_name(const char *want, const char *got)
{
    static const char *const aliases[][2] = {
        {"EOPNOTSUPP", "ENOTSUP"}, {"EAGAIN", "EWOULDBLOCK"}, {"EDEADLK", "EDEADLOCK"}};
    if (strcmp(want, got) == 0)
        return 1;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if ((strcmp(want, aliases[i][0]) == 0 && strcmp(got, aliases[i][1]) == 0) ||
            (strcmp(want, aliases[i][1]) == 0 && strcmp(got, aliases[i][0]) == 0))
            return 1;
    return 0;
}

static int errno_matches(const json_value *eno, int rc)
{
    if (eno == NULL)
        return 1;
    if (eno->type == JSON_STRING)
        return same_errno_name(eno->string, polysock_errname(rc));
    for (size_t i = 0; i < eno->length; i++)
        if (same_errno_name(eno->items[i].string, polysock_errname(rc)))
            return 1;
    return 0;
}

/* A tls row's "code" is the code's full name, as polysock_errname says it. */
static int code_matches(const json_value *code, int rc)
{
    return code == NULL || strcmp(code->string, polysock_errname(rc)) == 0;
}

static void describe_errno_or_code(const json_value *eno, const json_value *code, char *out,
                                   size_t cap)
{
    out[0] = '\0';
    if (code != NULL)
        snprintf(out, cap, " code %s", code->string);
    if (eno == NULL)
        return;
    size_t n = eno->type == JSON_STRING ? 1 : eno->length;
    const json_value *first = eno->type == JSON_STRING ? eno : &eno->items[0];
    snprintf(out, cap, " errno %s%s", first->string, n > 1 ? " (or another listed)" : "");
}

static int call_row(row_ctx *cx, const table *tb, size_t r, const char *file)
{
    const json_value *row = &tb->rows->items[r];
    const json_value *args = json_get(row, "args");
    const char *name = json_get(row, "name")->string;
    for (size_t i = 0; i < tb->nparams; i++)
        if (tb->types[i]->conv(cx, &args->items[i], &cx->args[i]) != 0) {
            char why[MSG_MAX];
            snprintf(why, sizeof why, "%s", cx->msg);
            return bad(cx, "%s, row \"%s\", argument %zu: %s", file, name, i + 1, why);
        }
    int rc = tb->adapter->call(cx->args);
    const json_value *err = json_get(row, "error"), *eno = json_get(row, "errno");
    const json_value *code = json_get(row, "code");
    const char *got = polysock_errclass_name(polysock_errclass(rc));
    if (strcmp(got, err->string) == 0 && errno_matches(eno, rc) && code_matches(code, rc))
        return 0;
    char want_detail[96];
    describe_errno_or_code(eno, code, want_detail, sizeof want_detail);
    return bad(cx, "%s, row %zu \"%s\": polysock_%s returned %d (%s, class %s), "
               "expected class %s%s", file, r + 1, name, tb->adapter->function, rc, polysock_errname(rc), got,
               err->string, want_detail);
}

static int run_table_row(row_ctx *cx, const json_value *doc, size_t r, const char *file)
{
    table tb;
    memset(&tb, 0, sizeof tb);
    char why[MSG_MAX];
    if (load_table(cx, doc, &tb) != 0 || (r < tb.rows->length && check_row(cx, &tb, r) != 0)) {
        snprintf(why, sizeof why, "%s", cx->msg);
        return bad(cx, "%s: %s", file, why);
    }
    if (r >= tb.rows->length)
        return bad(cx, "%s: row %zu is missing (the file changed during the run?)", file, r + 1);
    const json_value *row = &tb.rows->items[r];
    if (!row_applies(row))
        return 0;
    int rc = call_row(cx, &tb, r, file);
    fixture_free(&cx->fx);
    return rc;
}

typedef struct table_entry {
    char file[256];
    char tcase[256];
    size_t rows;
} table_entry;

static table_entry tables[MAX_TABLES];
static size_t table_count;

/* Frees the JSON tree and the row's objects before the assertion, so a
 * failing row still leaks nothing under valgrind. */
START_TEST(test_vector_row)
{
    size_t t = (size_t)_i / ROW_STRIDE, r = (size_t)_i % ROW_STRIDE;
    static row_ctx cx;
    char path[512], err[JSON_ERROR_MAX + 512];
    json_value *doc = NULL;
    ck_assert_uint_lt(t, table_count);
    memset(&cx, 0, sizeof cx);
    snprintf(path, sizeof path, "%s/%s", VECTORS_DIR, tables[t].file);
    int ok = json_parse_file(path, &doc, err, sizeof err) == 0;
    if (!ok)
        snprintf(cx.msg, sizeof cx.msg, "%s", err);
    else
        ok = run_table_row(&cx, doc, r, tables[t].file) == 0;
    fixture_free(&cx.fx);
    json_free(doc);
    polysock_setdefaulttimeout(POLYSOCK_TIMEOUT_NONE);
    ck_assert_msg(ok, "%s", cx.msg);
}
END_TEST

START_TEST(test_vectors_dir_has_tables)
{
    ck_assert_msg(table_count > 0, "no *.json table in %s", VECTORS_DIR);
    ck_assert_msg(table_count < MAX_TABLES, "more than %d tables in %s: raise MAX_TABLES",
                  MAX_TABLES - 1, VECTORS_DIR);
}
END_TEST

/* ------------------------------------------------------------------------
 * The JSON reader
 * ------------------------------------------------------------------------ */

START_TEST(test_json_reads_exact_integers_and_nul_strings)
{
    static const char text[] =
        "{\"n\": [0, -1, 4294967296, 9223372036854775807, -9223372036854775808,"
        " 9223372036854775808, 1.5, 1e300, -0.0],"
        " \"s\": \"a\\u0000b\\u00e9\\ud83d\\ude00\\n\", \"t\": true, \"f\": false, \"z\": null}";
    json_value *v = NULL;
    char err[JSON_ERROR_MAX];
    ck_assert_msg(json_parse(text, sizeof text - 1, &v, err, sizeof err) == 0, "%s", err);
    const json_value *n = json_get(v, "n"), *s = json_get(v, "s");
    ck_assert_int_eq(n->type, JSON_ARRAY);
    ck_assert_uint_eq(n->length, 9);
    ck_assert_int_eq(n->items[1].type, JSON_INT);
    ck_assert_int_eq(n->items[1].integer, -1);
    ck_assert_int_eq(n->items[2].integer, 4294967296LL);
    ck_assert_int_eq(n->items[3].integer, INT64_MAX);
    ck_assert_int_eq(n->items[4].type, JSON_INT);
    ck_assert_int_eq(n->items[4].integer, INT64_MIN);
    ck_assert_int_eq(n->items[5].type, JSON_DOUBLE);
    ck_assert_double_eq(n->items[5].number, 9223372036854775808.0);
    ck_assert_double_eq(n->items[6].number, 1.5);
    ck_assert_double_eq(n->items[7].number, 1e300);
    ck_assert_int_eq(n->items[8].type, JSON_DOUBLE);
    ck_assert(signbit(n->items[8].number));
    ck_assert_uint_eq(s->length, 10);
    ck_assert_mem_eq(s->string, "a\0b\xc3\xa9\xf0\x9f\x98\x80\n", 11);
    ck_assert_int_eq(json_get(v, "t")->boolean, 1);
    ck_assert_int_eq(json_get(v, "f")->type, JSON_BOOL);
    ck_assert_int_eq(json_get(v, "f")->boolean, 0);
    ck_assert_int_eq(json_get(v, "z")->type, JSON_NULL);
    ck_assert_ptr_null(json_get(v, "missing"));
    json_free(v);
}
END_TEST

START_TEST(test_json_accepts_raw_utf8_and_whitespace)
{
    static const char text[] = " \t\r\n[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\", {}, []] \n";
    json_value *v = NULL;
    ck_assert_int_eq(json_parse(text, sizeof text - 1, &v, NULL, 0), 0);
    ck_assert_uint_eq(v->items[0].length, 9);
    ck_assert_int_eq(v->items[1].type, JSON_OBJECT);
    ck_assert_uint_eq(v->items[1].length, 0);
    ck_assert_int_eq(v->items[2].type, JSON_ARRAY);
    json_free(v);
}
END_TEST

static const struct bad_json {
    const char *text;
    size_t len; /* 0: strlen(text) */
    const char *error;
} bad_json[] = {
    {"", 0, "line 1, column 1: expected a value"},
    {"[1,]", 0, "line 1, column 4: trailing comma"},
    {"{\"a\": 1,}", 0, "trailing comma"},
    {"{\"a\": 1, \"a\": 2}", 0, "line 1, column 10: duplicate key \"a\""},
    {"[01]", 0, "leading zero"},
    {"[1.]", 0, "a digit after '.'"},
    {"[.5]", 0, "expected a value"},
    {"[-]", 0, "expected a digit"},
    {"[1e]", 0, "a digit in the exponent"},
    {"[+1]", 0, "expected a value"},
    {"[1e400]", 0, "too large"},
    {"\"abc", 0, "line 1, column 1: unterminated string"},
    {"\"\\x\"", 0, "expected an escape"},
    {"\"\\u12\"", 0, "4 hex digits"},
    {"\"\\ud800\"", 0, "high surrogate"},
    {"\"\\ud800\\u0041\"", 0, "not followed by a low surrogate"},
    {"\"\\udc00\"", 0, "lone low surrogate"},
    {"\"a\tb\"", 0, "control character"},
    {"\"\xff\"", 0, "invalid UTF-8"},
    {"\"\xc0\x80\"", 0, "invalid UTF-8"},
    {"\"\xed\xa0\x80\"", 0, "invalid UTF-8"},
    {"\"\xf4\x90\x80\x80\"", 0, "invalid UTF-8"},
    {"\"\xe2\x82\"", 0, "invalid UTF-8"},
    {"{\"a\" 1}", 0, "expected ':' after the key"},
    {"{a: 1}", 0, "expected a string key"},
    {"[1 2]", 0, "expected ',' or ']' in array"},
    {"{\"a\": 1 \"b\": 2}", 0, "expected ',' or '}' in object"},
    {"[1] x", 0, "line 1, column 5: expected end of input"},
    {"nul", 0, "expected a value"},
    {"NaN", 0, "expected a value"},
    {"Infinity", 0, "expected a value"},
    {"// comment\n1", 0, "expected a value"},
    {"'a'", 0, "expected a value"},
    {"\xef\xbb\xbf{}", 0, "byte 0xef"},
    {"[1,\0]", 5, "byte 0x00"},
    {"[\n  1,\n  ]", 0, "line 3, column 3: trailing comma"},
    {"{\"k\":\n\n   [true, fals]}", 0, "line 3, column 11: expected a value"},
};

START_TEST(test_json_refuses_malformed_input_with_position)
{
    const struct bad_json *b = &bad_json[_i];
    size_t len = b->len ? b->len : strlen(b->text);
    static json_value sentinel;
    json_value *v = &sentinel;
    char err[JSON_ERROR_MAX];
    int rc = json_parse(b->text, len, &v, err, sizeof err);
    ck_assert_int_eq(rc, -1);
    ck_assert_ptr_null(v);
    ck_assert_msg(strstr(err, b->error) != NULL, "input #%d: got \"%s\", expected \"%s\"",
                  _i, err, b->error);
}
END_TEST

START_TEST(test_json_refuses_deep_nesting)
{
    char text[600];
    memset(text, '[', 300);
    memset(text + 300, ']', 300);
    json_value *v = NULL;
    char err[JSON_ERROR_MAX];
    ck_assert_int_eq(json_parse(text, sizeof text, &v, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "nesting too deep"));
    ck_assert_int_eq(json_parse(text + 200, 200, &v, err, sizeof err), 0);
    json_free(v);
}
END_TEST

START_TEST(test_json_file_errors_name_the_path)
{
    json_value *v = NULL;
    char err[JSON_ERROR_MAX];
    ck_assert_int_eq(json_parse_file("/nonexistent/polysock.json", &v, err, sizeof err), -1);
    ck_assert_ptr_null(v);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/polysock.json: "));
    ck_assert_ptr_nonnull(strstr(err, "No such file"));
    json_free(NULL);
}
END_TEST

/* ------------------------------------------------------------------------
 * The suite: one test case per table file
 * ------------------------------------------------------------------------ */

static int by_name(const void *a, const void *b)
{
    return strcmp(((const table_entry *)a)->file, ((const table_entry *)b)->file);
}

/* Rows counted here, in the parent; a file that does not load gets one
 * iteration, which reports why. */
static size_t count_rows(const char *file)
{
    char path[512];
    json_value *doc = NULL;
    snprintf(path, sizeof path, "%s/%s", VECTORS_DIR, file);
    if (json_parse_file(path, &doc, NULL, 0) != 0)
        return 1;
    const json_value *rows = json_get(doc, "rows");
    size_t n = rows != NULL && rows->type == JSON_ARRAY ? rows->length : 0;
    json_free(doc);
    return n == 0 ? 1 : n < ROW_STRIDE ? n : ROW_STRIDE;
}

static void list_tables(void)
{
    DIR *dir = opendir(VECTORS_DIR);
    struct dirent *e;
    table_count = 0;
    while (dir != NULL && (e = readdir(dir)) != NULL && table_count < MAX_TABLES) {
        size_t n = strlen(e->d_name);
        if (n <= 5 || n >= sizeof tables[0].file || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        table_entry *t = &tables[table_count++];
        memcpy(t->file, e->d_name, n + 1);
        memcpy(t->tcase, e->d_name, n - 5);
        t->tcase[n - 5] = '\0';
    }
    if (dir != NULL)
        closedir(dir);
    qsort(tables, table_count, sizeof tables[0], by_name);
    for (size_t i = 0; i < table_count; i++)
        tables[i].rows = count_rows(tables[i].file);
}

Suite *vectors_suite(void)
{
    Suite *s = suite_create("vectors");
    TCase *tc = tcase_create("json");
    tcase_add_test(tc, test_json_reads_exact_integers_and_nul_strings);
    tcase_add_test(tc, test_json_accepts_raw_utf8_and_whitespace);
    tcase_add_loop_test(tc, test_json_refuses_malformed_input_with_position, 0,
                        (int)(sizeof bad_json / sizeof bad_json[0]));
    tcase_add_test(tc, test_json_refuses_deep_nesting);
    tcase_add_test(tc, test_json_file_errors_name_the_path);
    tcase_add_test(tc, test_vectors_dir_has_tables);
    suite_add_tcase(s, tc);

    list_tables();
    for (size_t i = 0; i < table_count; i++) {
        tc = tcase_create(tables[i].tcase);
        /* Resolver rows may wait on DNS; valgrind slows everything. */
        tcase_set_timeout(tc, tu_under_valgrind() ? 120 : 30);
        tcase_add_loop_test(tc, test_vector_row, (int)(i * ROW_STRIDE),
                            (int)(i * ROW_STRIDE + tables[i].rows));
        suite_add_tcase(s, tc);
    }
    return s;
}
