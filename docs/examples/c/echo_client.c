/*
 * echo_client.c - the reference's IPv4 echo client, ported line for line
 * to the polysock C API.
 *
 *     usage: echo_client HOST PORT
 *
 * The original has HOST = 'daring.cwi.nl' built in; here both come from
 * the command line.  It prints what Python would: Received 'Hello, world'
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
        fprintf(stderr, "echo_client: %s: %s\n", what, polysock_strerror(rc));
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

/* PORT from the command line: a decimal number; range checking is left to
 * polysock_addr_set, which refuses what Python would (OverflowError). */
static int64_t parse_port(const char *text)
{
    char *end;
    long long value = strtoll(text, &end, 10);
    if (*text == '\0' || *end != '\0') {
        fprintf(stderr, "echo_client: PORT must be a number, not '%s'\n", text);
        exit(2);
    }
    return value;
}

int main(int argc, char **argv)
{
    /* Echo client program */
    const char *HOST;   /* The remote host */
    int64_t PORT;       /* The same port as used by the server */
    static const char hello[] = "Hello, world";
    polysock_handle s;
    polysock_addr sa;
    char data[1024];
    size_t nread, nsent;

    if (argc != 3) {
        fprintf(stderr, "usage: echo_client HOST PORT\n");
        return 2;
    }
    HOST = argv[1];
    PORT = parse_port(argv[2]);

    check(polysock_socket(AF_INET, SOCK_STREAM, 0, &s), "socket");
    check(polysock_addr_set(&sa, AF_INET, HOST, PORT), "connect");
    check(polysock_connect(s, &sa), "connect");
    check(polysock_send(s, hello, strlen(hello), 0, &nsent), "send");
    check(polysock_recv(s, data, sizeof data, 0, &nread), "recv");
    polysock_close(s);
    printf("Received ");
    print_repr(data, nread);
    printf("\n");
    return 0;
}
