#!/bin/sh
# run-python-examples.sh - run the Python echo examples against each other
# and against the C ones.
#
# `make check` runs it with top_builddir and top_srcdir set; `make demo`
# adds POLYSOCK_DEMO=1, which shows each conversation instead of one line
# per pair.  Standalone:
#     top_builddir=BUILDDIR sh test/run-python-examples.sh
#
# Environment:
#   top_builddir, top_srcdir  as for run-c-examples.sh
#   PYTHONS           interpreters to run the examples with, space-separated
#                     (default "/usr/bin/python3 pypy3"); one that is not
#                     installed is reported as skipped
#   POLYSOCK_LIBRARY  the library the binding loads (default: the build
#                     tree's .libs/libpolysock.so.0 when it exists)
#   PYTHONPATH        where `import polysock` is found (default: the build
#                     tree's python-api, then the source tree's
#                     bindings/python)
#   POLYSOCK_PYTHON_MODE  api or abi: only that mode (default: both; API
#                     mode where its compiled module imports)
#   POLYSOCK_REQUIRE_ALL  1: a missing interpreter or API module is a
#                     failure, not a skip
#
# For each interpreter and mode: every Python server against every Python
# client (IPv4 and dual, over 127.0.0.1, ::1 and the name localhost), Python
# servers against C clients, C servers against Python clients, and each
# Python client with nothing to talk to; then, with two interpreters, one
# interpreter's server against the other's client.  Each pair: start a
# server on a free port, wait until it LISTENs (without connecting: it
# serves exactly one client), run the client, then check the client
# printed exactly  Received b'Hello, world'  (Python 3's repr of bytes) or
# Received 'Hello, world'  (the C examples, which print Python 2's) and
# the server printed  Connected by (...)  with the client's address.
# Every wait is bounded; leftover processes are killed on any exit.
# The last line is "<n> passed, <m> failed"; the status is 1 if m > 0.

set -u

here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$here/..}"
: "${top_builddir:=.}"
cdir=$top_builddir/docs/examples/c
pydir=$top_srcdir/docs/examples/python
wait_port=$top_srcdir/test/wait-port.sh
demo=${POLYSOCK_DEMO:-0}
: "${PYTHONS:=/usr/bin/python3 pypy3}"

if [ -z "${POLYSOCK_LIBRARY:-}" ] && [ -e "$top_builddir/.libs/libpolysock.so.0" ]; then
    POLYSOCK_LIBRARY=$(cd "$top_builddir/.libs" && pwd)/libpolysock.so.0
    export POLYSOCK_LIBRARY
fi
if [ -z "${PYTHONPATH:-}" ]; then
    # As make check builds it: API-mode modules in python-api/.
    PYTHONPATH=$top_builddir/python-api:$top_srcdir/bindings/python
    export PYTHONPATH
fi
modes=${POLYSOCK_PYTHON_MODE:-abi api}
require_all=${POLYSOCK_REQUIRE_ALL:-0}
# Unbuffered, so a server killed by its watchdog still shows what it said.
PYTHONUNBUFFERED=1
export PYTHONUNBUFFERED

# Bounds, in seconds.  Starting is given more room than talking: the first
# run of a libtool wrapper may relink, and PyPy starts slowly.
START_SECS=20
RUN_SECS=10

tmp=$(mktemp -d "${TMPDIR:-/tmp}/polysock-pyexamples.XXXXXX") || exit 99

# The harness's shared helpers (harness.sh): cleanup on exit and signals,
# the counts, pass, fail, start_server, run_client ...
. "$top_srcdir/test/harness.sh"

for prog in echo_server echo_client echo_server_dual echo_client_dual; do
    if [ ! -x "$cdir/$prog" ]; then
        echo "run-python-examples.sh: $cdir/$prog is missing: build it first" >&2
        exit 99 # hard error for the automake test driver
    fi
    if [ ! -r "$pydir/$prog.py" ]; then
        echo "run-python-examples.sh: $pydir/$prog.py is missing" >&2
        exit 99
    fi
done

procfiles=
for f in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$f" ] && procfiles="$procfiles $f"
done
if [ -z "$procfiles" ]; then
    echo "run-python-examples.sh: no /proc/net/tcp: cannot see listening ports" >&2
    exit 77 # skip
fi

# --- helpers -------------------------------------------------------------

# A program is named by two words: LANG PROG, where LANG is "c" or the path
# of a Python interpreter and PROG is the example's name (echo_server ...).

# run LANG PROG ARGS...: become the example.  Always started with & : the
# exec makes $! the program itself rather than a subshell, so killing $!
# stops the program.
run() {
    lang=$1 prog=$2
    shift 2
    if [ "$lang" = c ]; then
        exec "$cdir/$prog" "$@"
    else
        exec "$lang" "$pydir/$prog.py" "$@"
    fi
}

# label LANG PROG: how the program is shown (python3 (abi) echo_server.py).
label() {
    if [ "$1" = c ]; then
        echo "$2"
    else
        echo "${1##*/} ($POLYSOCK_PYTHON_MODE) $2.py"
    fi
}

# command_line LANG PROG: the demo's shell command for it.
command_line() {
    if [ "$1" = c ]; then
        echo "$2"
    else
        echo "POLYSOCK_PYTHON_MODE=$POLYSOCK_PYTHON_MODE ${1##*/} $2.py"
    fi
}

# show FILE PREFIX: the file's lines, prefixed (the demo's conversation and
# the details of a failure).
show() {
    [ -s "$1" ] && sed "s/^/$2/" "$1"
}

# launch_server LANG SERVER HOST: become SERVER on HOST and $port.
launch_server() {
    run "$1" "$2" "$3" "$port"
}

# expected_received LANG: the client's whole output.  A Python 3 client
# prints the repr of bytes; the C clients print what the reference's
# Python 2 client did.
expected_received() {
    if [ "$1" = c ]; then
        echo "Received 'Hello, world'"
    else
        echo "Received b'Hello, world'"
    fi
}

# pair SLANG SERVER SERVER_HOST CLANG CLIENT CLIENT_HOST PEER_HOST [V6]
# PEER_HOST is the address the server must report; V6 = the peer tuple
# has IPv6's four fields.
pair() {
    slang=$1 server=$2 shost=$3 clang=$4 client=$5 chost=$6 peer=$7 v6=${8:-}
    name="$(label "$slang" "$server") $shost <- $(label "$clang" "$client") $chost"
    n=$((n + 1))
    : >"$tmp/client.out"
    : >"$tmp/client.err"
    if ! start_server "$slang" "$server" "$shost"; then
        fail "$start_error"
        return
    fi
    watch_server
    run_client run "$clang" "$client" "$chost" "$port"
    finish_server

    if [ "$demo" = 1 ]; then
        echo "--- $name"
        echo "\$ $(command_line "$slang" "$server") $shost $port &"
        echo "\$ $(command_line "$clang" "$client") $chost $port"
        show "$tmp/server.out" "  server| "
        show "$tmp/client.out" "  client| "
        show "$tmp/server.err" "  server stderr| "
        show "$tmp/client.err" "  client stderr| "
    fi

    # The expected output, newline included: $(...) alone would drop it.
    want=$(expected_received "$clang")
    expected="$want
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
        fail "client output is not exactly: $want"
    elif [ "$server_rc" -ne 0 ]; then
        fail "server exited with status $server_rc"
    elif [ "$(wc -l <"$tmp/server.out")" -ne 1 ] ||
         ! grep -Eq "$pattern" "$tmp/server.out"; then
        fail "server output does not match: $pattern"
    else
        pass
    fi
}

# refused LANG CLIENT EXPECTED_STDOUT STDERR_PATTERN: a client with nothing
# to talk to must fail with status 1: the IPv4 client by the uncaught
# ConnectionRefusedError, the dual one by printing 'could not open socket'.
refused() {
    lang=$1 client=$2 want=$3 errpattern=$4
    name="$(label "$lang" "$client") 127.0.0.1, nothing listening: exits 1"
    n=$((n + 1))
    server_pid=
    : >"$tmp/server.out"
    : >"$tmp/server.err"
    pick_port || { fail "no free port"; return; }
    run_client run "$lang" "$client" 127.0.0.1 "$port"
    if [ "$demo" = 1 ]; then
        echo "--- $name"
        echo "\$ $(command_line "$lang" "$client") 127.0.0.1 $port      (nothing listens)"
        show "$tmp/client.out" "  client| "
        # A traceback is long: its last line says what was raised.
        tail -n 1 "$tmp/client.err" | sed 's/^/  client stderr| /'
        echo "  client exit status: $client_rc"
    fi
    got=$(cat "$tmp/client.out")
    if [ "$client_rc" -ne 1 ]; then
        fail "client exited with status $client_rc, not 1"
    elif [ "$got" != "$want" ]; then
        fail "client stdout is not '$want'"
    elif [ -n "$errpattern" ] && ! tail -n 1 "$tmp/client.err" | grep -Eq "$errpattern"; then
        fail "client stderr does not end with: $errpattern"
    else
        pass
    fi
}

# loads PY: check once that PY imports polysock in $POLYSOCK_PYTHON_MODE,
# so that a broken binding is one clear failure instead of one per pair.
# Status 0: it does; 1: failed; 2: skipped (no API-mode module built for
# PY, which is allowed unless POLYSOCK_REQUIRE_ALL=1).
loads() {
    name="${1##*/} ($POLYSOCK_PYTHON_MODE): import polysock"
    n=$((n + 1))
    : >"$tmp/server.out"
    : >"$tmp/server.err"
    run_client_within "$START_SECS" "$1" -c 'import polysock; print(polysock.mode)'
    if [ "$client_rc" -eq 0 ] && [ "$(cat "$tmp/client.out")" = "$POLYSOCK_PYTHON_MODE" ]; then
        pass
        return 0
    fi
    if [ "$POLYSOCK_PYTHON_MODE" = api ] && [ "$require_all" != 1 ] &&
       grep -q '_polysock_api' "$tmp/client.err"; then
        n=$((n - 1))
        echo "skip - $name: no API-mode module for it"
        return 2
    fi
    fail "exit status $client_rc, mode '$(cat "$tmp/client.out")'"
    return 1
}

have_ipv6=no
grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null &&
    have_ipv6=yes
# A name makes the dual client walk getaddrinfo's list: where localhost
# also means ::1, that try is refused and the next one connects.
localhost_v4=no
command -v getent >/dev/null 2>&1 &&
    getent ahosts localhost 2>/dev/null | grep -q '^127\.0\.0\.1 ' &&
    localhost_v4=yes

# --- the pairs ------------------------------------------------------------

# python_pairs PY: everything one interpreter runs in one mode.
python_pairs() {
    py=$1
    # Every Python server against every Python client.
    for server in echo_server echo_server_dual; do
        for client in echo_client echo_client_dual; do
            pair "$py" "$server" 127.0.0.1 "$py" "$client" 127.0.0.1 127.0.0.1
        done
    done
    if [ "$have_ipv6" = yes ]; then
        pair "$py" echo_server_dual ::1 "$py" echo_client_dual ::1 ::1 v6
    else
        echo "skip - ${py##*/} ($POLYSOCK_PYTHON_MODE) dual pair over ::1: no IPv6 loopback"
    fi
    if [ "$localhost_v4" = yes ]; then
        pair "$py" echo_server_dual 127.0.0.1 "$py" echo_client_dual localhost 127.0.0.1
    else
        echo "skip - ${py##*/} ($POLYSOCK_PYTHON_MODE) dual client to 'localhost': localhost is not 127.0.0.1 here"
    fi
    # Across languages, both directions, IPv4 and dual.
    for kind in "" _dual; do
        pair "$py" "echo_server$kind" 127.0.0.1 c "echo_client$kind" 127.0.0.1 127.0.0.1
        pair c "echo_server$kind" 127.0.0.1 "$py" "echo_client$kind" 127.0.0.1 127.0.0.1
    done
    if [ "$have_ipv6" = yes ]; then
        pair "$py" echo_server_dual ::1 c echo_client_dual ::1 ::1 v6
        pair c echo_server_dual ::1 "$py" echo_client_dual ::1 ::1 v6
    fi
    refused "$py" echo_client "" '^ConnectionRefusedError: '
    refused "$py" echo_client_dual "could not open socket" ""
}

# The interpreters that load in the first mode, for the pairs across them.
first_mode=${modes%% *}
found=
for py in $PYTHONS; do
    if ! path=$(command -v "$py" 2>/dev/null); then
        if [ "$require_all" = 1 ]; then
            n=$((n + 1))
            name="$py"
            fail "not installed (POLYSOCK_REQUIRE_ALL=1)"
        else
            echo "skip - $py: not installed"
        fi
        continue
    fi
    for mode in $modes; do
        POLYSOCK_PYTHON_MODE=$mode
        export POLYSOCK_PYTHON_MODE
        loads "$path" || continue
        [ "$mode" = "$first_mode" ] && found="$found $path"
        python_pairs "$path"
    done
done

# One interpreter's server against another's client, both ways.
POLYSOCK_PYTHON_MODE=$first_mode
export POLYSOCK_PYTHON_MODE
# shellcheck disable=SC2086 # word splitting of $found is wanted
set -- $found
if [ $# -ge 2 ]; then
    pair "$1" echo_server_dual 127.0.0.1 "$2" echo_client_dual 127.0.0.1 127.0.0.1
    pair "$2" echo_server 127.0.0.1 "$1" echo_client 127.0.0.1 127.0.0.1
fi

if [ "$n" -eq 0 ]; then
    echo "run-python-examples.sh: none of PYTHONS ($PYTHONS) is installed" >&2
    exit 77 # skip
fi
if [ "$failed" -ne 0 ]; then
    echo "failed pairs:$failures"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
