#!/bin/sh
# run-python-suites.sh - the pytest suite of the Python binding on every
# interpreter of $PYTHONS (CPython and PyPy), each in ABI and API mode.
# Run by make check, which sets top_builddir, top_srcdir, PYTHONS and
# POLYSOCK_LIBRARY.  With POLYSOCK_REQUIRE_ALL=1 a missing interpreter is a
# failure, not a skip.
set -u
passed=0
failed=0
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }

if [ "${POLYSOCK_REQUIRE_ALL:-0}" = 1 ]; then
    case " $PYTHONS " in *" /usr/bin/python3 "*) ;; *) fail "CPython (/usr/bin/python3 with cffi, pytest) not found" ;; esac
    case " $PYTHONS " in *" pypy3 "*) ;; *) fail "PyPy (pypy3 with cffi, pytest) not found" ;; esac
fi

PYTHONPATH="$top_builddir/python-api:$top_srcdir/bindings/python"
export PYTHONPATH
for py in $PYTHONS; do
    for mode in abi api; do
        echo "=== $py, $mode mode"
        if sh "$top_srcdir/test/python/run.sh" "$py" "$mode" -q -p no:cacheprovider; then
            passed=$((passed + 1))
        else
            fail "$py $mode"
        fi
    done
done
echo "python suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
