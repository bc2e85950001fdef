/*
 * ssl_client.c - the reference's SSL example ported to the polysock C API:
 * connect, wrap the socket in TLS, print the server's and the issuer's
 * names, send an HTTP request, read one chunk of the reply, close.
 *
 *     usage: ssl_client [--cafile FILE] HOST PORT
 *
 * The original connects to www.verisign.com:443; here both come from the
 * command line.  Unlike socket.ssl() in the reference, polysock verifies
 * the server: its chain against the system's trust store (or FILE, for a
 * private CA such as the tests'), and its certificate against HOST (the
 * host string given to connect).  It prints what the original prints,
 * repr() of server() and issuer(), then repr() of the chunk it read, so
 * that a run can be checked.
 */
/* -std=c11 alone hides POSIX names such as AI_PASSIVE. */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h> /* AF_INET, SOCK_STREAM: polysock uses the platform's values */

#include "polysock.h"

static polysock_handle ssl_sock = POLYSOCK_INVALID_HANDLE;

/* A failing call raises in Python, which ends the program with status 1;
 * do the same with the library's message, and for a TLS failure the
 * engine's reason too (which certificate check failed, and why). */
static void check(int rc, const char *what)
{
    if (rc >= 0)
        return;
    fprintf(stderr, "ssl_client: %s: %s", what, polysock_strerror(rc));
    char reason[512];
    size_t len = 0;
    if (polysock_errclass(rc) == POLYSOCK_ERRCLASS_TLS && ssl_sock != POLYSOCK_INVALID_HANDLE &&
        polysock_tls_info(ssl_sock, POLYSOCK_TLS_INFO_ERROR, reason, sizeof reason - 1,
                          &len) == 0 && len > 0) {
        reason[len] = '\0';
        fprintf(stderr, " (%s)", reason);
    }
    fputc('\n', stderr);
    exit(1);
}

/* ---- Python's print ---- */

/* repr() of a Python 2 str: single quotes unless the text holds a single
 * quote and no double quote; \\, \t, \n, \r and the quote escaped; other
 * bytes outside 0x20..0x7e as \xNN. */
static void print_repr(const char *data, size_t len)
{
    int quote = '\'';
    if (memchr(data, '\'', len) != NULL && memchr(data, '"', len) == NULL)
        quote = '"';
    putchar(quote);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c == quote || c == '\\')
            printf("\\%c", c);
        else if (c == '\t')
            fputs("\\t", stdout);
        else if (c == '\n')
            fputs("\\n", stdout);
        else if (c == '\r')
            fputs("\\r", stdout);
        else if (c < 0x20 || c >= 0x7f)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    putchar(quote);
}

/* print repr(ssl_sock.server()) and the like: one info item of the
 * connection, whatever its length. */
static void print_info_repr(polysock_handle tls, int what, const char *name)
{
    size_t len = 0;
    check(polysock_tls_info_len(tls, what, &len), name);
    char *text = malloc(len + 1);
    if (text == NULL) {
        fprintf(stderr, "ssl_client: out of memory\n");
        exit(1);
    }
    check(polysock_tls_info(tls, what, text, len + 1, &len), name);
    print_repr(text, len);
    putchar('\n');
    free(text);
}

/* PORT from the command line: a decimal number; range checking is left to
 * polysock_addr_set, which refuses what Python would (OverflowError). */
static int64_t parse_port(const char *text)
{
    char *end;
    long long value = strtoll(text, &end, 10);
    if (*text == '\0' || *end != '\0') {
        fprintf(stderr, "ssl_client: PORT must be a number, not '%s'\n", text);
        exit(2);
    }
    return value;
}

int main(int argc, char **argv)
{
    const char *cafile = NULL;
    const char *HOST;
    int64_t PORT;
    polysock_handle s, cfg;
    polysock_addr sa;
    char request[512];
    char data[1024];
    size_t nread, nsent;

    if (argc == 5 && strcmp(argv[1], "--cafile") == 0) {
        cafile = argv[2];
        argv += 2;
        argc -= 2;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: ssl_client [--cafile FILE] HOST PORT\n");
        return 2;
    }
    HOST = argv[1];
    PORT = parse_port(argv[2]);

    check(polysock_socket(AF_INET, SOCK_STREAM, 0, &s), "socket");
    check(polysock_addr_set(&sa, AF_INET, HOST, PORT), "connect");
    check(polysock_connect(s, &sa), "connect");

    /* ssl_sock = socket.ssl(s) */
    check(polysock_tls_config_new(0, &cfg), "ssl");
    if (cafile != NULL)
        check(polysock_tls_config_set_ca(cfg, cafile, NULL), cafile);
    /* NULL: verify and send as SNI the host string of the connect. */
    check(polysock_tls_new(s, cfg, NULL, &ssl_sock), "ssl");
    check(polysock_tls_handshake(ssl_sock), "ssl");

    print_info_repr(ssl_sock, POLYSOCK_TLS_INFO_SUBJECT_ONELINE, "server");
    print_info_repr(ssl_sock, POLYSOCK_TLS_INFO_ISSUER_ONELINE, "issuer");

    /* Set a simple HTTP request -- use an HTTP library in actual code. */
    int len = snprintf(request, sizeof request, "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", HOST);
    if (len < 0 || (size_t)len >= sizeof request) {
        fprintf(stderr, "ssl_client: HOST too long\n");
        return 2;
    }
    check(polysock_tls_write(ssl_sock, request, (size_t)len, &nsent), "write");

    /* Read a chunk of data.  Will not necessarily read all the data
     * returned by the server. */
    check(polysock_tls_read(ssl_sock, data, sizeof data, &nread), "read");
    fputs("Received ", stdout);
    print_repr(data, nread);
    putchar('\n');

    /* del ssl_sock: sends close_notify; the socket stays open. */
    polysock_tls_close(ssl_sock);
    polysock_tls_config_close(cfg);
    polysock_close(s);
    return 0;
}
