#!/bin/sh
# run-interop.sh - the IPv4 echo example across every runtime polysock has,
# and each binding against its own language's socket library.
#
# `make check` runs it with top_builddir and top_srcdir set.  Standalone:
#     top_builddir=BUILDDIR top_srcdir=SRCDIR sh test/interop/run-interop.sh
#
# Runtimes: C (the built examples), CPython (/usr/bin/python3), PyPy
# (pypy3), Ruby, Node on koffi and Node on ffi-napi.  First every
# runtime's echo_server against every runtime's echo_client (36 pairs over
# 127.0.0.1, printed as a matrix: rows are servers, columns clients); then
# each binding against its language's own socket library, both ways, with
# the small peers in test/interop/peers/ (Python's socket module, Ruby's
# TCPServer/TCPSocket, Node's net).  Last the reference's SSL example: the
# C ssl_echo_server against every runtime's ssl_client, once with
# --cafile of the test CA (the client prints the server's and the issuer's
# one-line names and the echoed request) and once without it (the client
# must refuse the server with its language's certificate-verification
# error, and the server report the failed handshake).
#
# Each pair: start the server on a free port, wait until it LISTENs
# (test/wait-port.sh reads /proc/net/tcp: it serves exactly one client, so
# nothing may probe it), run the client, then check the client printed
# exactly its language's  Received ... Hello, world  line and the server
# printed one  Connected by ...127.0.0.1...  line.  Every wait is bounded;
# leftover processes are killed on any exit.
#
# Environment:
#   top_builddir, top_srcdir  as for test/run-c-examples.sh
#   POLYSOCK_LIBRARY  the library the bindings load (default: the build
#                     tree's .libs/libpolysock.so.0)
#   PYTHONPATH        default: BUILDDIR/python-api:SRCDIR/bindings/python
#   PYPY              the PyPy interpreter (default pypy3)
#   POLYSOCK_REQUIRE_ALL  1: a missing runtime is a failure, not a skip
#   POLYSOCK_TEST_CERTS  the certificates of test/tls/make-certs.sh
#                     (default: BUILDDIR/test-certs; make test-certs/stamp)
#   POLYSOCK_INTEROP_SECTIONS  which parts run, of "echo std ssl" (the
#                     default: all three)
#   POLYSOCK_DEMO     1 (make demo): show each SSL conversation instead of
#                     one line per pair
#
# The last line is "<n> passed, <m> failed"; the status is 1 if m > 0.

set -u

here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$here/../..}"
: "${top_builddir:=.}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
exdir=$top_srcdir/docs/examples
cdir=$top_builddir/docs/examples/c
peerdir=$top_srcdir/test/interop/peers
wait_port=$top_srcdir/test/wait-port.sh
require_all=${POLYSOCK_REQUIRE_ALL:-0}
certs=${POLYSOCK_TEST_CERTS:-$top_builddir/test-certs}
sections=${POLYSOCK_INTEROP_SECTIONS:-echo std ssl}
demo=${POLYSOCK_DEMO:-0}
: "${PYPY:=pypy3}"

if [ -z "${POLYSOCK_LIBRARY:-}" ] && [ -e "$top_builddir/.libs/libpolysock.so.0" ]; then
    POLYSOCK_LIBRARY=$top_builddir/.libs/libpolysock.so.0
fi
export POLYSOCK_LIBRARY
if [ -z "${PYTHONPATH:-}" ]; then
    PYTHONPATH=$top_builddir/python-api:$top_srcdir/bindings/python
    export PYTHONPATH
fi
# Node finds polysock (a link to bindings/node) and the FFIs here, whatever
# directory a script is in.
NODE_PATH=$top_srcdir/node_modules${NODE_PATH:+:$NODE_PATH}
export NODE_PATH
# Unbuffered, so a server killed by its watchdog still shows what it said.
PYTHONUNBUFFERED=1
export PYTHONUNBUFFERED

# Bounds, in seconds.  Starting is given more room than talking: the first
# run of a libtool wrapper may relink, and PyPy starts slowly.
START_SECS=20
RUN_SECS=10

tmp=$(mktemp -d "${TMPDIR:-/tmp}/polysock-interop.XXXXXX") || exit 99

# The harness's shared helpers (harness.sh): cleanup on exit and signals,
# the counts, pass, fail, start_server, run_client ...
. "$top_srcdir/test/harness.sh"

for prog in echo_server echo_client; do
    for f in "$prog.py" "$prog.rb" "$prog.js"; do
        if [ ! -r "$peerdir/$f" ]; then
            echo "run-interop.sh: $peerdir/$f is missing" >&2
            exit 99
        fi
    done
done
for prog in echo_server echo_client ssl_echo_server ssl_client; do
    if [ ! -x "$cdir/$prog" ]; then
        echo "run-interop.sh: $cdir/$prog is missing: build it first" >&2
        exit 99 # hard error for the automake test driver
    fi
    # The SSL server is C's only.
    [ "$prog" = ssl_echo_server ] && continue
    for f in "python/$prog.py" "ruby/$prog.rb" "node/$prog.js"; do
        if [ ! -r "$exdir/$f" ]; then
            echo "run-interop.sh: $exdir/$f is missing" >&2
            exit 99
        fi
    done
done
for part in $sections; do
    case $part in
        echo|std|ssl) ;;
        *) echo "run-interop.sh: POLYSOCK_INTEROP_SECTIONS: no section '$part' (echo std ssl)" >&2
            exit 99 ;;
    esac
done
case " $sections " in
    *" ssl "*)
        if [ ! -f "$certs/stamp" ]; then
            echo "run-interop.sh: no test certificates in $certs: make test-certs/stamp (or set POLYSOCK_TEST_CERTS)" >&2
            exit 99
        fi
        ;;
esac

procfiles=
for f in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$f" ] && procfiles="$procfiles $f"
done
if [ -z "$procfiles" ]; then
    echo "run-interop.sh: no /proc/net/tcp: cannot see listening ports" >&2
    exit 77 # skip
fi

# --- runtimes ------------------------------------------------------------

# A runtime is one word: c cpython pypy ruby koffi ffinapi; a peer on a
# language's own socket library is py-std (run by the interpreter of the
# runtime it faces), rb-std or js-std.
runtimes="c cpython pypy ruby koffi ffinapi"

rt_label() {
    case $1 in
        c) echo C ;;
        cpython) echo CPython ;;
        pypy) echo PyPy ;;
        ruby) echo Ruby ;;
        koffi) echo Node/koffi ;;
        ffinapi) echo Node/ffi-napi ;;
    esac
}

python_cmd=/usr/bin/python3
pypy_cmd=$(command -v "$PYPY" 2>/dev/null) || pypy_cmd=
ruby_cmd=$(command -v ruby 2>/dev/null) || ruby_cmd=
node_cmd=$(command -v node 2>/dev/null) || node_cmd=

# run RUNTIME PROG ARG...: run docs/examples' PROG (echo_server,
# echo_client or ssl_client; ssl_echo_server in C) in RUNTIME.  Only ever
# run in the background (&): it execs, so that $! is the program itself and
# a kill reaches it, not a subshell that would leave it running.  PEER_PY
# is the interpreter that runs the py-std peer.
run() {
    rt=$1 prog=$2
    shift 2
    case $rt in
        c) exec "$cdir/$prog" "$@" ;;
        cpython) exec "$python_cmd" "$exdir/python/$prog.py" "$@" ;;
        pypy) exec "$pypy_cmd" "$exdir/python/$prog.py" "$@" ;;
        ruby) exec "$ruby_cmd" -I "$top_srcdir/bindings/ruby/lib" "$exdir/ruby/$prog.rb" "$@" ;;
        koffi) POLYSOCK_NODE_FFI=koffi; export POLYSOCK_NODE_FFI
            exec "$node_cmd" "$exdir/node/$prog.js" "$@" ;;
        ffinapi) POLYSOCK_NODE_FFI=ffi-napi; export POLYSOCK_NODE_FFI
            exec "$node_cmd" "$exdir/node/$prog.js" "$@" ;;
        py-std) exec "$peer_py" "$peerdir/$prog.py" "$@" ;;
        rb-std) exec "$ruby_cmd" "$peerdir/$prog.rb" "$@" ;;
        js-std) exec "$node_cmd" "$peerdir/$prog.js" "$@" ;;
    esac
    echo "run-interop.sh: unknown runtime $rt" >&2
    exit 99
}

# received RUNTIME: the client's whole output, in its language's repr.
received() {
    case $1 in
        c|koffi|ffinapi|js-std) echo "Received 'Hello, world'" ;;
        cpython|pypy|py-std) echo "Received b'Hello, world'" ;;
        ruby|rb-std) echo 'Received "Hello, world"' ;;
    esac
}

# present RUNTIME: true if its interpreter (and for Node, its FFI) is here;
# else sets $why.
present() {
    case $1 in
        c) return 0 ;;
        cpython) [ -x "$python_cmd" ] || { why="$python_cmd is not installed"; return 1; } ;;
        pypy) [ -n "$pypy_cmd" ] || { why="$PYPY is not installed"; return 1; } ;;
        ruby) [ -n "$ruby_cmd" ] || { why="ruby is not installed"; return 1; } ;;
        koffi|ffinapi)
            [ -n "$node_cmd" ] || { why="node is not installed"; return 1; }
            if [ "$1" = koffi ]; then mod=koffi; else mod=@2060.io/ffi-napi; fi
            "$node_cmd" -e "require('$mod')" >/dev/null 2>&1 ||
                { why="node cannot load $mod (npm install at the top of the source tree)"; return 1; }
            ;;
    esac
    return 0
}

# --- helpers -------------------------------------------------------------

# show FILE PREFIX: the file's last lines, prefixed (a traceback's end says
# what went wrong).
show() {
    [ -s "$1" ] && tail -n 8 "$1" | sed "s/^/$2/"
}

# launch_server RUNTIME PROG [ARG...]: become the server PROG on 127.0.0.1
# and $port (and the ARGs after them).
launch_server() {
    server_rt=$1 server_prog=$2
    shift 2
    run "$server_rt" "$server_prog" 127.0.0.1 "$port" "$@"
}

# begin NAME: a new pair, failed until its checks pass (result).
begin() {
    name=$1
    n=$((n + 1))
    result=FAIL
    : >"$tmp/client.out"
    : >"$tmp/client.err"
}

# converse OUTCOME RUNTIME PROG ARG...: with the server started, run the
# client, then wait for the server to end; sets client_rc and server_rc.
# OUTCOME is what the client should do: "talk", or "refuse" (its failure
# is expected, and the server ends by itself on the client's alert).
converse() {
    outcome=$1
    shift
    watch_server
    run_client run "$@"
    if [ "$client_rc" -ne 0 ] && [ "$outcome" = talk ]; then
        # A client that failed may never have connected, and the server
        # would wait for it until its watchdog: give it a second only.
        stop_watchdog "$server_dog"
        watch_server 1
    fi
    finish_server
}

# pair NAME SERVER_RUNTIME CLIENT_RUNTIME: one echo conversation over
# 127.0.0.1; sets result to ok or FAIL.
pair() {
    begin "$1"
    srt=$2 crt=$3
    if ! start_server "$srt" echo_server; then
        fail "$start_error"
        return
    fi
    converse talk "$crt" echo_client 127.0.0.1 "$port"

    want=$(received "$crt")
    # The expected output, newline included: $(...) alone would drop it.
    expected="$want
."
    got=$(cat "$tmp/client.out"; echo .)
    pattern="^Connected by .*127\\.0\\.0\\.1.*[0-9]"
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
        result=ok
        pass
    fi
}

# missing RUNTIME: report a runtime that is not here: a skip, or with
# POLYSOCK_REQUIRE_ALL=1 a failure.
missing() {
    if [ "$require_all" = 1 ]; then
        n=$((n + 1))
        name="$(rt_label "$1")"
        fail "$why (POLYSOCK_REQUIRE_ALL=1)"
    else
        echo "skip - $(rt_label "$1"): $why"
    fi
}

# --- the matrix ----------------------------------------------------------

# has RUNTIME: true if it is here.
has() {
    case " $have " in *" $1 "*) return 0 ;; esac
    return 1
}

started=$(date +%s)
have=
for rt in $runtimes; do
    if present "$rt"; then
        have="$have $rt"
    else
        missing "$rt"
    fi
done

# section NAME: true if NAME is among the parts to run.
section() {
    case " $sections " in *" $1 "*) return 0 ;; esac
    return 1
}

# table_header CORNER: a table's first line: CORNER, then the clients.
table_header() {
    printf '%-14s' "$1"
    for crt in $runtimes; do printf ' %-13s' "$(rt_label "$crt")"; done
    echo
}

# table_row LABEL PREFIX: LABEL, then the cell of each client: the
# variable PREFIX<client runtime>.
table_row() {
    printf '%-14s' "$1"
    for crt in $runtimes; do
        eval "cell=\$$2$crt"
        # shellcheck disable=SC2154 # set by the eval above
        printf ' %-13s' "$cell"
    done
    echo
}

if section echo; then
    for srt in $runtimes; do
        for crt in $runtimes; do
            if has "$srt" && has "$crt"; then
                pair "$(rt_label "$srt") echo_server <- $(rt_label "$crt") echo_client" "$srt" "$crt"
            else
                # shellcheck disable=SC2034 # read by table_row
                result=skip
            fi
            eval "cell_${srt}_$crt=\$result"
        done
    done

    # The matrix: rows are servers, columns clients.
    echo
    echo "IPv4 echo over 127.0.0.1: rows = server, columns = client"
    {
        table_header "server\\client"
        for srt in $runtimes; do
            table_row "$(rt_label "$srt")" "cell_${srt}_"
        done
    } | sed 's/ *$//'
    echo
fi

# --- each binding against its language's own socket library ---------------

if section std; then
    # py-std runs on the interpreter of the binding it faces.
    if has cpython; then
        peer_py=$python_cmd
        pair "CPython echo_server <- Python socket client" cpython py-std
        pair "Python socket server <- CPython echo_client" py-std cpython
    fi
    if has pypy; then
        peer_py=$pypy_cmd
        pair "PyPy echo_server <- Python socket client" pypy py-std
        pair "Python socket server <- PyPy echo_client" py-std pypy
    fi
    if has ruby; then
        pair "Ruby echo_server <- Ruby TCPSocket client" ruby rb-std
        pair "Ruby TCPServer server <- Ruby echo_client" rb-std ruby
    fi
    for rt in koffi ffinapi; do
        has "$rt" || continue
        pair "$(rt_label "$rt") echo_server <- Node net client" "$rt" js-std
        pair "Node net server <- $(rt_label "$rt") echo_client" js-std "$rt"
    done
fi

# --- the SSL example: C's ssl_echo_server, each runtime's ssl_client --------

# cert_name subject|issuer: the one-line name of the server's certificate
# or of its issuer, as the reference's server() and issuer() give it (the
# CLI's "compat" format is that same X509_NAME_oneline form).
cert_name() {
    openssl x509 -in "$certs/good.pem" -noout "-$1" -nameopt compat | sed "s/^$1=//"
}

# ssl_output RUNTIME: its ssl_client's whole output when it talks to
# ssl_echo_server as localhost: repr() of server() and issuer(), then
# "Received" and the repr of the echoed request, in its language's form.
ssl_output() {
    request='GET / HTTP/1.0\r\nHost: localhost\r\n\r\n'
    case $1 in
        c|cpython|pypy) printf "'%s'\\n" "$server_name" "$issuer_name" ;;
        ruby|koffi|ffinapi) printf '"%s"\n' "$server_name" "$issuer_name" ;;
    esac
    case $1 in
        c) printf "Received '%s'\\n" "$request" ;;
        cpython|pypy) printf "Received b'%s'\\n" "$request" ;;
        ruby|koffi|ffinapi) printf 'Received "%s"\n' "$request" ;;
    esac
}

# verify_error RUNTIME: an extended regular expression for the line of
# its ssl_client's stderr that says it refused the server: its language's
# certificate-verification error.
verify_error() {
    case $1 in
        c) echo '^ssl_client: ssl: certificate verify failed' ;;
        cpython|pypy) echo '^polysock\..*SSLCertVerificationError: certificate verify failed' ;;
        ruby) echo 'certificate verify failed.*\(Polysock::SSLCertVerificationError\)' ;;
        koffi|ffinapi) echo '^Error: .*POLYSOCK_ETLS_CERT_UNTRUSTED: certificate verify failed' ;;
    esac
}

# command_line RUNTIME PROG: how PROG is run in RUNTIME, as the demo shows
# it (run does it with full paths).
command_line() {
    case $1 in
        c) echo "$2" ;;
        cpython) echo "python3 $2.py" ;;
        pypy) echo "pypy3 $2.py" ;;
        ruby) echo "ruby $2.rb" ;;
        koffi) echo "POLYSOCK_NODE_FFI=koffi node $2.js" ;;
        ffinapi) echo "POLYSOCK_NODE_FFI=ffi-napi node $2.js" ;;
    esac
}

# show_ssl_conversation CLIENT_RUNTIME CLIENT_OPTIONS: in the demo, what
# ran and what each side said; of a refusing client's stderr, only the
# line with its error (not the traceback around it).
show_ssl_conversation() {
    [ "$demo" = 1 ] || return 0
    echo "--- $name"
    echo "\$ ssl_echo_server 127.0.0.1 $port good.pem good.key &"
    echo "\$ $(command_line "$1" ssl_client) $2localhost $port"
    sed 's/^/  server| /' "$tmp/server.out" "$tmp/server.err"
    sed 's/^/  client| /' "$tmp/client.out"
    grep -E "$(verify_error "$1")" "$tmp/client.err" | sed 's/^/  client stderr| /'
    echo "  exit status: server $server_rc, client $client_rc"
}

# ssl_pair CLIENT_RUNTIME OUTCOME: ssl_echo_server on 127.0.0.1 with the
# test certificate for localhost, and the runtime's ssl_client to
# localhost; sets result to ok or FAIL.
#   talk:   with --cafile ca.pem the client verifies the server and
#           prints the names and the echoed request; both exit 0;
#   refuse: without it the system's trust store does not know the test
#           CA: the client fails with its language's verification error,
#           a non-zero status and nothing on stdout, and the server
#           reports the failed handshake and exits 1.
ssl_pair() {
    crt=$1 outcome=$2
    if [ "$outcome" = talk ]; then
        begin "C ssl_echo_server <- $(rt_label "$crt") ssl_client --cafile ca.pem"
        set -- --cafile "$certs/ca.pem"
        options_shown="--cafile ca.pem "
    else
        begin "C ssl_echo_server <- $(rt_label "$crt") ssl_client without the CA: refused"
        set --
        options_shown=
    fi
    if ! start_server c ssl_echo_server "$certs/good.pem" "$certs/good.key"; then
        fail "$start_error"
        return
    fi
    converse "$outcome" "$crt" ssl_client "$@" localhost "$port"
    show_ssl_conversation "$crt" "$options_shown"

    connected="^Connected by \\('127\\.0\\.0\\.1', [0-9]+\\)$"
    if [ "$(wc -l <"$tmp/server.out")" -ne 1 ] ||
       ! grep -Eq "$connected" "$tmp/server.out"; then
        fail "server output is not one line matching: $connected"
    elif [ "$outcome" = talk ]; then
        # Both with a final "." so that $(...) keeps the last newline.
        expected=$(ssl_output "$crt"; echo .)
        got=$(cat "$tmp/client.out"; echo .)
        if [ "$client_rc" -ne 0 ]; then
            fail "client exited with status $client_rc"
        elif [ "$got" != "$expected" ]; then
            fail "client output is not the names and the echoed request:
$(ssl_output "$crt" | sed 's/^/    expected| /')"
        elif [ "$server_rc" -ne 0 ]; then
            fail "server exited with status $server_rc"
        else
            result=ok
            pass
        fi
    elif [ "$client_rc" -eq 0 ]; then
        fail "client exited with status 0"
    elif [ -s "$tmp/client.out" ]; then
        fail "client printed something before refusing the server"
    elif ! grep -Eq "$(verify_error "$crt")" "$tmp/client.err"; then
        fail "client's stderr has no line matching: $(verify_error "$crt")"
    elif [ "$server_rc" -ne 1 ]; then
        fail "server exited with status $server_rc, not 1"
    elif ! grep -q '^ssl_echo_server: handshake: ' "$tmp/server.err"; then
        fail "server does not report the failed handshake"
    else
        result=ok
        pass
    fi
}

if section ssl; then
    server_name=$(cert_name subject)
    issuer_name=$(cert_name issuer)
    for crt in $runtimes; do
        cell=skip
        if has "$crt"; then
            ssl_pair "$crt" talk
            cell=$result
            ssl_pair "$crt" refuse
            [ "$result" = ok ] || cell=FAIL
        fi
        eval "ssl_cell_$crt=\$cell"
    done

    echo
    echo "SSL example: C ssl_echo_server <- each ssl_client, verified with the test CA and refused without it"
    {
        table_header "server\\client"
        table_row "ssl: C server" ssl_cell_
    } | sed 's/ *$//'
    echo
fi

echo "time: $(($(date +%s) - started))s"
if [ "$n" -eq 0 ]; then
    echo "run-interop.sh: no runtime to test" >&2
    exit 77 # skip
fi
if [ "$failed" -ne 0 ]; then
    echo "failed pairs:$failures"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
