/*
 * echo_server.c - the reference's IPv4 echo server, ported line for line
 * to the polysock C API.
 *
 *     usage: echo_server [HOST] [PORT]      (defaults: '' and 50007)
 *
 * It serves one client and exits, like the Python original.  The helpers
 * below the comment "Python's print" only reproduce what Python's print
 * statement would show, so the output is byte for byte the original's.
 */
/* -std=c11 alone hides POSIX names such as AI_PASSIVE. */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h> /* AF_INET, SOCK_STREAM: polysock uses the platform's values */

#include "polysock.h"

/* A failing call raises socket.error in Python, which ends the program
 * with status 1; do the same with the library's message. */
static void check(int rc, const char *what)
{
    if (rc < 0) {
        fprintf(stderr, "echo_server: %s: %s\n", what, polysock_strerror(rc));
        exit(1);
    }
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

/* An AF_INET address prints as the tuple (host, port). */
static void print_addr(const polysock_addr *addr)
{
    putchar('(');
    print_repr(addr->host, strlen(addr->host));
    printf(", %lld)", (long long)addr->port);
}

/* PORT from the command line: a decimal number; range checking is left to
 * polysock_addr_set, which refuses what Python would (OverflowError). */
static int64_t parse_port(const char *text)
{
    char *end;
    long long value = strtoll(text, &end, 10);
    if (*text == '\0' || *end != '\0') {
        fprintf(stderr, "echo_server: PORT must be a number, not '%s'\n", text);
        exit(2);
    }
    return value;
}

int main(int argc, char **argv)
{
    /* Echo server program */
    const char *HOST = "";   /* Symbolic name meaning the local host */
    int64_t PORT = 50007;    /* Arbitrary non-privileged port */
    polysock_handle s, conn;
    polysock_addr sa, addr;
    char data[1024];
    size_t nread, nsent;

    if (argc > 3) {
        fprintf(stderr, "usage: echo_server [HOST] [PORT]\n");
        return 2;
    }
    if (argc > 1)
        HOST = argv[1];
    if (argc > 2)
        PORT = parse_port(argv[2]);

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
    while (1) {
        check(polysock_recv(conn, data, sizeof data, 0, &nread), "recv");
        if (nread == 0) break;
        /* send, not sendall, as in the original: a blocking stream send
         * on Linux queues the whole buffer before it returns. */
        check(polysock_send(conn, data, nread, 0, &nsent), "send");
    }
    polysock_close(conn);
    /* Python closes s when the program ends; C says so. */
    polysock_close(s);
    return 0;
}
