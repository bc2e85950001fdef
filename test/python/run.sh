#!/bin/sh
# Run the polysock pytest suite for one interpreter and one binding mode.
#
#   run.sh INTERPRETER MODE        (MODE: abi | api)
#
# The caller sets POLYSOCK_LIBRARY (the libpolysock.so to load) and a
# PYTHONPATH where `import polysock` finds the binding (for api, one where
# the compiled module was built).  Extra arguments after MODE go to pytest.
# POLYSOCK_INTERPRETER_WRAPPER, when set, runs the interpreter (make check
# sets it to test/run-under-asan.sh in a sanitizer build).
# The exit status is pytest's, except that "no tests collected" (5), which
# would otherwise pass unnoticed in some harnesses, is reported as a failure.

set -u

if [ $# -lt 2 ]; then
    echo "usage: $0 INTERPRETER abi|api [pytest args...]" >&2
    exit 2
fi
interpreter=$1
mode=$2
shift 2

case $mode in
    abi|api) ;;
    *) echo "$0: MODE must be abi or api, not '$mode'" >&2; exit 2 ;;
esac

if [ -z "${POLYSOCK_LIBRARY:-}" ]; then
    echo "$0: POLYSOCK_LIBRARY is not set" >&2
    exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)

# The binding reads the mode; test_module.py checks that it was honoured.
POLYSOCK_PYTHON_MODE=$mode
# Keep the (possibly read-only) source tree free of bytecode caches.
PYTHONDONTWRITEBYTECODE=1
export POLYSOCK_PYTHON_MODE PYTHONDONTWRITEBYTECODE

echo "== pytest: $interpreter, $mode mode, library $POLYSOCK_LIBRARY"
${POLYSOCK_INTERPRETER_WRAPPER:+"$POLYSOCK_INTERPRETER_WRAPPER"} \
    "$interpreter" -m pytest -c "$here/pytest.ini" --rootdir "$here" -q "$here" "$@"
status=$?
if [ $status -eq 5 ]; then
    echo "$0: pytest collected no tests ($interpreter, $mode)" >&2
    exit 1
fi
exit $status
