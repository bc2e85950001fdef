#!/bin/sh
# run.sh - the soak test (README.md): start soak_server, run every client
# (C, CPython, PyPy, Ruby, Node on koffi and on ffi-napi) against it at the
# same time for SOAK_SECONDS, stop the server, print one table of their
# reports, and exit non-zero on any failure.
#
# `make soak [SOAK_SECONDS=n]` runs it with this environment:
#   top_builddir, top_srcdir   the trees
#   POLYSOCK_LIBRARY           the libpolysock.so.0 the bindings load
#   POLYSOCK_TEST_CERTS        test/tls/make-certs.sh's directory
#   PYTHONS                    the Python interpreters (CPython, PyPy)
# Optional:
#   SOAK_SECONDS               how long the clients run (default 300)
#   SOAK_CLIENTS               which clients (default: all of
#                              "c python pypy ruby node-koffi node-ffi-napi")
#   SOAK_KEEP                  a directory to keep the logs in
set -u

: "${SOAK_SECONDS:=300}"
: "${SOAK_CLIENTS:=c python pypy ruby node-koffi node-ffi-napi}"
for v in top_builddir top_srcdir POLYSOCK_LIBRARY POLYSOCK_TEST_CERTS; do
    eval "val=\${$v:-}"
    if [ -z "$val" ]; then
        echo "run.sh: $v is not set (run it with make soak)" >&2
        exit 2
    fi
done
case $SOAK_SECONDS in
    '' | *[!0-9]* | 0) echo "run.sh: SOAK_SECONDS must be a positive integer" >&2; exit 2 ;;
esac
export POLYSOCK_LIBRARY

here=$top_srcdir/test/soak
certs=$POLYSOCK_TEST_CERTS
work=${SOAK_KEEP:-$(mktemp -d "${TMPDIR:-/tmp}/polysock-soak.XXXXXX")} || exit 99
mkdir -p "$work"
server_pid=
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -KILL "$server_pid" 2>/dev/null
    fi
    [ -n "${SOAK_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A client that neither ends nor reports within this is hung: its guard
# kills it (status 124).  Clients stop by themselves at SOAK_SECONDS plus
# the time to finish their last calls.
guard=$((SOAK_SECONDS + 180))

# ---- The server ----
"$top_builddir/test/soak/soak_server" "$certs" >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
plain_port= tls_port=
tries=0
while [ -z "$plain_port" ]; do
    set -- $(sed -n 's/^READY //p' "$work/server.out")
    if [ $# -eq 2 ]; then
        plain_port=$1 tls_port=$2
    elif ! kill -0 "$server_pid" 2>/dev/null || [ "$tries" -ge 300 ]; then
        echo "run.sh: soak_server did not start" >&2
        cat "$work/server.err" >&2
        exit 1
    else
        tries=$((tries + 1))
        sleep 0.1
    fi
done
echo "soak: server on 127.0.0.1 ports $plain_port (plain) and $tls_port (TLS); clients: $SOAK_CLIENTS; $SOAK_SECONDS s"

# ---- The clients, all at once ----
python_named() { # name: the interpreter of PYTHONS for CPython or PyPy
    for py in ${PYTHONS:-}; do
        impl=$("$py" -c 'import sys; print(sys.implementation.name)' 2>/dev/null) || continue
        case $1:$impl in python:cpython | pypy:pypy) echo "$py"; return 0 ;; esac
    done
    return 1
}

client_args="$plain_port $tls_port $certs/ca.pem $SOAK_SECONDS"
start_client() { # name command...
    name=$1
    shift
    (
        timeout -k 10 "$guard" "$@" >"$work/$name.out" 2>"$work/$name.err"
        echo $? >"$work/$name.status"
    ) &
}

names=
for client in $SOAK_CLIENTS; do
    case $client in
        c)
            start_client c "$top_builddir/test/soak/soak_client" $client_args 8 ;;
        python | pypy)
            if ! py=$(python_named "$client"); then
                echo "no $client interpreter in PYTHONS" >"$work/$client.err"
                echo 1 >"$work/$client.status"
            else
                start_client "$client" env \
                    PYTHONPATH="$top_builddir/python-api:$top_srcdir/bindings/python" \
                    "$py" "$here/soak_client.py" $client_args 6 "$client"
            fi ;;
        ruby)
            start_client ruby ruby -I "$top_srcdir/bindings/ruby/lib" "$here/soak_client.rb" \
                $client_args 6 ;;
        node-koffi | node-ffi-napi)
            start_client "$client" env POLYSOCK_NODE_FFI="${client#node-}" \
                node "$here/soak_client.js" $client_args 8 2 ;;
        *)
            echo "run.sh: unknown client '$client'" >&2
            exit 2 ;;
    esac
    names="$names $client"
done
wait_clients() {
    for name in $names; do
        while [ ! -e "$work/$name.status" ]; do sleep 1; done
    done
}
wait_clients

# ---- Stop the server: it drains, then reports ----
kill -TERM "$server_pid"
tries=0
while kill -0 "$server_pid" 2>/dev/null && [ "$tries" -lt 600 ]; do
    tries=$((tries + 1))
    sleep 0.1
done
if kill -0 "$server_pid" 2>/dev/null; then
    echo "run.sh: soak_server did not stop within 60 s of SIGTERM" >&2
    kill -KILL "$server_pid"
    echo 124 >"$work/server.status"
else
    wait "$server_pid"
    echo $? >"$work/server.status"
fi
server_pid=

python3 "$here/summarize.py" "$work" $names server
