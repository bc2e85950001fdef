#!/bin/sh
# run-python-bench.sh - bench/bench_python.py on CPython, in API mode and in
# ABI mode, and on PyPy (API mode when the binding was built for PyPy, ABI
# mode otherwise).  `make bench` calls it after the core's bench.
#
# The caller sets POLYSOCK_LIBRARY (the library the binding loads) and
# PYTHONPATH (where `import polysock` is found); every POLYSOCK_BENCH_*
# variable of bench_python.py and bench_tls.py passes through.  Environment
# of its own:
#   CPYTHON  the CPython interpreter (default /usr/bin/python3)
#   PYPY     the PyPy interpreter (default pypy3); one that is not
#            installed is reported and skipped
#
# The status is non-zero when a bench could not run, or (with
# POLYSOCK_BENCH_STRICT=1) when a row missed its target.

set -u

here=$(cd "$(dirname "$0")" && pwd)
bench=$here/bench_python.py
: "${CPYTHON:=/usr/bin/python3}"
: "${PYPY:=pypy3}"
BENCH_SECS=600 # per interpreter and mode; a run takes about 40 s
status=0
summary=

# loaded_mode PYTHON MODE: the mode the binding loads when asked for MODE
# (empty if it does not import at all).
loaded_mode() {
    POLYSOCK_PYTHON_MODE=$2 "$1" "$bench" --print-mode 2>/dev/null
}

# run PYTHON MODE SCRIPT [ARG]: bounded, since the benches' own sockets are
# blocking and a stuck peer would otherwise stall make bench.
run() {
    python=$1 mode=$2
    shift 2
    if command -v timeout >/dev/null 2>&1; then
        POLYSOCK_PYTHON_MODE=$mode timeout "$BENCH_SECS" "$python" "$@"
    else
        POLYSOCK_PYTHON_MODE=$mode "$python" "$@"
    fi
}

# bench LABEL PYTHON MODE: the socket bench, then the TLS bench when its
# peer program is given (POLYSOCK_BENCH_TLS_PEER, bench/bench_tls).
bench() {
    echo
    echo "=== $1"
    run "$2" "$3" "$bench"
    rc=$?
    if [ "$rc" -eq 0 ] && [ -n "${POLYSOCK_BENCH_TLS_PEER:-}" ]; then
        echo
        run "$2" "$3" "$here/bench_tls.py" "$POLYSOCK_BENCH_TLS_PEER"
        rc=$?
    fi
    if [ "$rc" -eq 0 ]; then
        summary="$summary
  $1: done"
    else
        status=1
        summary="$summary
  $1: FAILED (status $rc)"
    fi
}

# interpreter LABEL PYTHON MODES: bench each of MODES that loads as asked.
interpreter() {
    label=$1 python=$2
    shift 2
    if ! command -v "$python" >/dev/null 2>&1; then
        echo
        echo "=== $label: $python is not installed: skipped"
        summary="$summary
  $label: skipped ($python is not installed)"
        return
    fi
    for mode in "$@"; do
        got=$(loaded_mode "$python" "$mode")
        if [ "$got" = "$mode" ]; then
            bench "$label, $mode mode" "$python" "$mode"
        else
            echo
            echo "=== $label, $mode mode: not available (the binding loads '${got:-nothing}')"
            summary="$summary
  $label, $mode mode: not available"
        fi
    done
}

interpreter CPython "$CPYTHON" api abi
# PyPy: API mode where the binding was built for it, else ABI mode.
if command -v "$PYPY" >/dev/null 2>&1 && [ "$(loaded_mode "$PYPY" api)" = api ]; then
    interpreter PyPy "$PYPY" api
else
    interpreter PyPy "$PYPY" abi
fi

echo
echo "Python benches:$summary"
exit "$status"
