#!/bin/sh
# check-typings.sh - type-check test/python/typing/usage.py with
# mypy --strict against the Python binding's generated stub
# (bindings/python/polysock/__init__.pyi).  Exits non-zero when mypy finds
# an error, and 1 with a message when mypy is not installed.  Runs from
# make check (top_srcdir in the environment) or by hand.
set -u
srcdir="${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}"
MYPY="${MYPY:-mypy}"
if ! command -v "$MYPY" >/dev/null 2>&1; then
    echo "check-typings.sh: mypy not found (install it: apt-get install mypy," \
         "or pip install mypy; or set MYPY)" >&2
    exit 1
fi
MYPYPATH="$srcdir/bindings/python"
export MYPYPATH
# No cache in the source tree (make distcheck's is read-only).
cache="${TMPDIR:-/tmp}/polysock-mypy-cache.$$"
trap 'rm -rf "$cache"' EXIT INT TERM
"$MYPY" --strict --cache-dir "$cache" "$srcdir/test/python/typing/usage.py"
status=$?
if [ "$status" -eq 0 ]; then
    echo "PASS: mypy --strict test/python/typing/usage.py"
else
    echo "FAIL: mypy --strict test/python/typing/usage.py (exit $status)"
fi
exit "$status"
