/*
 * ssl_echo_server.c - the reference's echo server over TLS: it serves one
 * client, sending back everything it reads until the client's
 * close_notify, and exits.
 *
 *     usage: ssl_echo_server HOST PORT CERTFILE KEYFILE
 *
 * CERTFILE is the server's certificate chain (PEM), KEYFILE its private
 * key (PEM).  It prints  Connected by (host, port)  as echo_server does.
 */
/* -std=c11 alone hides POSIX names such as AI_PASSIVE. */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h> /* AF_INET, SOCK_STREAM: polysock uses the platform's values */

#include "polysock.h"

static polysock_handle ssl_conn = POLYSOCK_INVALID_HANDLE;

/* A failing call ends the program with status 1 and the library's
 * message, and for a TLS failure the engine's reason too. */
static void check(int rc, const char *what)
{
    if (rc >= 0)
        return;
    fprintf(stderr, "ssl_echo_server: %s: %s", what, polysock_strerror(rc));
    char reason[512];
    size_t len = 0;
    if (polysock_errclass(rc) == POLYSOCK_ERRCLASS_TLS && ssl_conn != POLYSOCK_INVALID_HANDLE &&
        polysock_tls_info(ssl_conn, POLYSOCK_TLS_INFO_ERROR, reason, sizeof reason - 1,
                          &len) == 0 && len > 0) {
        reason[len] = '\0';
        fprintf(stderr, " (%s)", reason);
    }
    fputc('\n', stderr);
    exit(1);
}

/* ---- Python's print ---- */

/* repr() of a Python 2 str, as echo_server.c prints it. */
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

/* An AF_INET address prints as the tuple (host, port). */
static void print_addr(const polysock_addr *addr)
{
    putchar('(');
    print_repr(addr->host, strlen(addr->host));
    printf(", %lld)", (long long)addr->port);
}

static int64_t parse_port(const char *text)
{
    char *end;
    long long value = strtoll(text, &end, 10);
    if (*text == '\0' || *end != '\0') {
        fprintf(stderr, "ssl_echo_server: PORT must be a number, not '%s'\n", text);
        exit(2);
    }
    return value;
}

int main(int argc, char **argv)
{
    polysock_handle s, conn, cfg;
    polysock_addr sa, addr;
    char data[1024];
    size_t nread, nsent;

    if (argc != 5) {
        fprintf(stderr, "usage: ssl_echo_server HOST PORT CERTFILE KEYFILE\n");
        return 2;
    }
    const char *HOST = argv[1];
    int64_t PORT = parse_port(argv[2]);

    /* The certificate and key are read and checked before listening, so
     * a bad file is reported before any client waits. */
    check(polysock_tls_config_new(1, &cfg), "ssl");
    check(polysock_tls_config_set_certificate(cfg, argv[3], argv[4]), argv[3]);

    check(polysock_socket(AF_INET, SOCK_STREAM, 0, &s), "socket");
    check(polysock_addr_set(&sa, AF_INET, HOST, PORT), "bind");
    check(polysock_bind(s, &sa), "bind");
    check(polysock_listen(s, 1), "listen");
    check(polysock_accept(s, &conn, &addr), "accept");
    printf("Connected by ");
    print_addr(&addr);
    printf("\n");
    /* Whoever watches the server sees the line now, not at exit. */
    fflush(stdout);

    check(polysock_tls_new(conn, cfg, NULL, &ssl_conn), "ssl");
    check(polysock_tls_handshake(ssl_conn), "handshake");
    while (1) {
        check(polysock_tls_read(ssl_conn, data, sizeof data, &nread), "read");
        if (nread == 0) break; /* the client's close_notify */
        check(polysock_tls_write(ssl_conn, data, nread, &nsent), "write");
    }
    /* Our close_notify in turn, then the socket. */
    polysock_tls_close(ssl_conn);
    polysock_close(conn);
    polysock_close(s);
    polysock_tls_config_close(cfg);
    return 0;
}
