#!/bin/sh
# run-c-examples.sh - run the C echo examples against each other.
#
# `make check` runs it with top_builddir and top_srcdir set; `make demo`
# adds POLYSOCK_DEMO=1, which shows each conversation instead of one line
# per pair.  Standalone: top_builddir=BUILDDIR sh test/run-c-examples.sh
#
# Each pair: start a server on a free port, wait until it LISTENs (without
# connecting: it serves exactly one client), run the client, then check
# the client printed exactly  Received 'Hello, world'  and the server
# printed  Connected by (...)  with the client's address.  The SSL pair
# (ssl_echo_server, ssl_client) uses the test certificates of
# $POLYSOCK_TEST_CERTS (default: BUILDDIR/test-certs).
# Every wait is bounded; leftover processes are killed on any exit.
# The last line is "<n> passed, <m> failed"; the status is 1 if m > 0.

set -u

here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$here/..}"
: "${top_builddir:=.}"
exdir=$top_builddir/docs/examples/c
# The test certificates (test/tls/make-certs.sh) for the SSL pair.
certs=${POLYSOCK_TEST_CERTS:-$top_builddir/test-certs}
wait_port=$top_srcdir/test/wait-port.sh
demo=${POLYSOCK_DEMO:-0}

# Bounds, in seconds.  The first run of a libtool wrapper may relink, so
# starting is given more room than talking.
START_SECS=20
RUN_SECS=10

tmp=$(mktemp -d "${TMPDIR:-/tmp}/polysock-examples.XXXXXX") || exit 99

# The harness's shared helpers (harness.sh): cleanup on exit and signals,
# the counts, pass, fail, start_server, run_client ...
. "$top_srcdir/test/harness.sh"

for prog in echo_server echo_client echo_server_dual echo_client_dual \
    ssl_echo_server ssl_client; do
    if [ ! -x "$exdir/$prog" ]; then
        echo "run-c-examples.sh: $exdir/$prog is missing: build it first" >&2
        exit 99 # hard error for the automake test driver
    fi
done

procfiles=
for f in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$f" ] && procfiles="$procfiles $f"
done
if [ -z "$procfiles" ]; then
    echo "run-c-examples.sh: no /proc/net/tcp: cannot see listening ports" >&2
    exit 77 # skip
fi

# --- helpers -------------------------------------------------------------

# show FILE PREFIX: the file's lines, prefixed (the demo's conversation and
# the details of a failure).
show() {
    [ -s "$1" ] && sed "s/^/$2/" "$1"
}

# launch_server SERVER HOST [ARG...]: become SERVER on HOST and $port (and
# the ARGs after them).
launch_server() {
    server_prog=$1 server_host=$2
    shift 2
    exec "$exdir/$server_prog" "$server_host" "$port" "$@"
}

# show_conversation SERVER_COMMAND CLIENT_COMMAND: in the demo, what ran
# and what each side said.
show_conversation() {
    [ "$demo" = 1 ] || return 0
    echo "--- $name"
    echo "\$ $1 &"
    echo "\$ $2"
    show "$tmp/server.out" "  server| "
    show "$tmp/client.out" "  client| "
    show "$tmp/server.err" "  server stderr| "
    show "$tmp/client.err" "  client stderr| "
}

# pair NAME SERVER SERVER_HOST CLIENT CLIENT_HOST PEER_HOST [V6]
# PEER_HOST is the address the server must report; V6 = the peer tuple
# has IPv6's four fields.
pair() {
    name=$1 server=$2 shost=$3 client=$4 chost=$5 peer=$6 v6=${7:-}
    n=$((n + 1))
    : >"$tmp/client.out"
    : >"$tmp/client.err"
    if ! start_server "$server" "$shost"; then
        fail "$start_error"
        return
    fi
    watch_server
    run_client "$exdir/$client" "$chost" "$port"
    finish_server
    show_conversation "$server $shost $port" "$client $chost $port"

    # The expected output, newline included: $(...) alone would drop it.
    expected="Received 'Hello, world'
."
    got=$(cat "$tmp/client.out"; echo .)
    if [ "$v6" = v6 ]; then
        pattern="^Connected by \('$peer', [0-9]+, 0, 0\)$"
    else
        pattern="^Connected by \('$peer', [0-9]+\)$"
    fi
    if [ "$client_rc" -ne 0 ]; then
        fail "client exited with status $client_rc"
    elif [ "$got" != "$expected" ]; then
        fail "client output is not exactly: Received 'Hello, world'"
    elif [ "$server_rc" -ne 0 ]; then
        fail "server exited with status $server_rc"
    elif [ "$(wc -l <"$tmp/server.out")" -ne 1 ] ||
         ! grep -Eq "$pattern" "$tmp/server.out"; then
        fail "server output does not match: $pattern"
    else
        pass
    fi
}

# refused NAME CLIENT EXPECTED_STDOUT: a client with nothing to talk to
# must fail with status 1 (the Python original raises, or prints 'could
# not open socket' and exits 1).
refused() {
    name=$1 client=$2 want=$3
    n=$((n + 1))
    server_pid=
    : >"$tmp/server.out"
    : >"$tmp/server.err"
    pick_port || { fail "no free port"; return; }
    run_client "$exdir/$client" 127.0.0.1 "$port"
    if [ "$demo" = 1 ]; then
        echo "--- $name"
        echo "\$ $client 127.0.0.1 $port      (nothing listens)"
        show "$tmp/client.out" "  client| "
        show "$tmp/client.err" "  client stderr| "
        echo "  client exit status: $client_rc"
    fi
    got=$(cat "$tmp/client.out")
    if [ "$client_rc" -ne 1 ]; then
        fail "client exited with status $client_rc, not 1"
    elif [ "$got" != "$want" ]; then
        fail "client stdout is not '$want'"
    else
        pass
    fi
}

# ssl_pair NAME CAFILE_OPTION: ssl_echo_server on 127.0.0.1 with the test
# certificate for localhost, and ssl_client to localhost.
#   with:    ssl_client --cafile ca.pem verifies the server and prints its
#            name, its issuer's and the echoed request; both exit 0;
#   without: the system's trust store does not know the test CA: the
#            client refuses the server (exit 1, nothing on stdout, the
#            reason on stderr) and the server's handshake fails (exit 1).
ssl_pair() {
    name=$1 with_ca=$2
    n=$((n + 1))
    : >"$tmp/client.out"
    : >"$tmp/client.err"
    if [ ! -f "$certs/stamp" ]; then
        fail "no test certificates in $certs: make test-certs/stamp (or set POLYSOCK_TEST_CERTS)"
        return
    fi
    if ! start_server ssl_echo_server 127.0.0.1 "$certs/good.pem" "$certs/good.key"; then
        fail "$start_error"
        return
    fi
    watch_server
    if [ "$with_ca" = with ]; then
        run_client "$exdir/ssl_client" --cafile "$certs/ca.pem" localhost "$port"
        client_shown="ssl_client --cafile ca.pem localhost $port"
    else
        run_client "$exdir/ssl_client" localhost "$port"
        client_shown="ssl_client localhost $port"
    fi
    finish_server
    show_conversation "ssl_echo_server 127.0.0.1 $port good.pem good.key" "$client_shown"

    expected="'/C=US/ST=California/L=Mountain View/O=polysock test/CN=localhost'
'/C=US/O=polysock test/CN=polysock test CA'
Received 'GET / HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n'
."
    got=$(cat "$tmp/client.out"; echo .)
    pattern="^Connected by \('127\.0\.0\.1', [0-9]+\)$"
    if ! grep -Eq "$pattern" "$tmp/server.out"; then
        fail "server output does not match: $pattern"
    elif [ "$with_ca" = with ]; then
        if [ "$client_rc" -ne 0 ]; then
            fail "client exited with status $client_rc"
        elif [ "$got" != "$expected" ]; then
            fail "client output is not the names and the echoed request"
        elif [ "$server_rc" -ne 0 ]; then
            fail "server exited with status $server_rc"
        else
            pass
        fi
    elif [ "$client_rc" -ne 1 ] || [ -s "$tmp/client.out" ]; then
        fail "client exited with status $client_rc (and printed $(wc -c <"$tmp/client.out") bytes), not 1 and nothing"
    elif ! grep -q 'certificate' "$tmp/client.err"; then
        fail "client's error does not mention the certificate"
    elif [ "$server_rc" -ne 1 ]; then
        fail "server exited with status $server_rc, not 1"
    else
        pass
    fi
}

# --- the pairs ------------------------------------------------------------

pair "IPv4 pair over 127.0.0.1" \
    echo_server 127.0.0.1 echo_client 127.0.0.1 127.0.0.1
pair "dual pair over 127.0.0.1" \
    echo_server_dual 127.0.0.1 echo_client_dual 127.0.0.1 127.0.0.1
if grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; then
    pair "dual pair over ::1" \
        echo_server_dual ::1 echo_client_dual ::1 ::1 v6
else
    echo "skip - dual pair over ::1: no IPv6 loopback"
fi
pair "cross: dual server, IPv4 client" \
    echo_server_dual 127.0.0.1 echo_client 127.0.0.1 127.0.0.1
pair "cross: IPv4 server, dual client" \
    echo_server 127.0.0.1 echo_client_dual 127.0.0.1 127.0.0.1
# A name makes the dual client walk getaddrinfo's list: where localhost
# also means ::1, that try is refused and the next one connects.
if command -v getent >/dev/null 2>&1 &&
   getent ahosts localhost 2>/dev/null | grep -q '^127\.0\.0\.1 '; then
    pair "dual client to 'localhost', dual server on 127.0.0.1" \
        echo_server_dual 127.0.0.1 echo_client_dual localhost 127.0.0.1
else
    echo "skip - dual client to 'localhost': localhost is not 127.0.0.1 here"
fi
ssl_pair "SSL pair: client verifies the server with the test CA" with
ssl_pair "SSL pair: client without the test CA refuses the server" without
refused "IPv4 client, nothing listening: exits 1" echo_client ""
refused "dual client, nothing listening: could not open socket" \
    echo_client_dual "could not open socket"

if [ "$failed" -ne 0 ]; then
    echo "failed pairs:$failures"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
