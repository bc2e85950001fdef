/*
 * echo_client_dual.c - the reference's IPv4/IPv6 echo client (the one that
 * walks getaddrinfo), ported line for line to the polysock C API.
 *
 *     usage: echo_client_dual HOST PORT
 *
 * The original has HOST = 'daring.cwi.nl' built in; here both come from
 * the command line.  It connects to the first address that accepts and
 * prints what Python would: Received 'Hello, world'
 */
/* -std=c11 alone hides POSIX names such as AI_PASSIVE. */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h> /* AF_UNSPEC, SOCK_STREAM: polysock uses the platform's values */

#include "polysock.h"

/* A failing call outside a try block raises in Python, which ends the
 * program with status 1; do the same with the library's message. */
static void check(int rc, const char *what)
{
    if (rc < 0) {
        fprintf(stderr, "echo_client_dual: %s: %s\n", what, polysock_strerror(rc));
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

int main(int argc, char **argv)
{
    /* Echo client program */
    const char *HOST;   /* The remote host */
    const char *PORT;   /* The same port as used by the server */
    static const char hello[] = "Hello, world";
    polysock_handle res_list;
    polysock_handle s = POLYSOCK_INVALID_HANDLE;
    polysock_addr sa;
    size_t count;
    int msg = 0;
    char data[1024];
    size_t nread, nsent;

    if (argc != 3) {
        fprintf(stderr, "usage: echo_client_dual HOST PORT\n");
        return 2;
    }
    HOST = argv[1];
    /* getaddrinfo takes the port as text, so it needs no parsing here. */
    PORT = argv[2];

    check(polysock_getaddrinfo(HOST, PORT, AF_UNSPEC, SOCK_STREAM, 0, 0,
                               &res_list), "getaddrinfo");
    check(polysock_addrinfo_count(res_list, &count), "getaddrinfo");
    for (size_t res = 0; res < count; res++) {
        int af, socktype, proto;
        char canonname[POLYSOCK_HOST_MAX];
        check(polysock_addrinfo_get(res_list, res, &af, &socktype, &proto,
                                    canonname, sizeof canonname, &sa),
              "getaddrinfo");
        /* try: */
        msg = polysock_socket(af, socktype, proto, &s);
        if (msg < 0) { /* except socket.error, msg: */
            s = POLYSOCK_INVALID_HANDLE;
            continue;
        }
        /* try: */
        msg = polysock_connect(s, &sa);
        if (msg < 0) { /* except socket.error, msg: */
            polysock_close(s);
            s = POLYSOCK_INVALID_HANDLE;
            continue;
        }
        break;
    }
    /* The list is garbage in Python once the loop is done; C frees it. */
    polysock_list_free(res_list);
    if (s == POLYSOCK_INVALID_HANDLE) {
        printf("could not open socket\n");
        /* Python drops msg; the last error is worth a line on stderr. */
        if (msg < 0)
            fprintf(stderr, "echo_client_dual: %s\n", polysock_strerror(msg));
        exit(1);
    }
    check(polysock_send(s, hello, strlen(hello), 0, &nsent), "send");
    check(polysock_recv(s, data, sizeof data, 0, &nread), "recv");
    polysock_close(s);
    printf("Received ");
    print_repr(data, nread);
    printf("\n");
    return 0;
}
