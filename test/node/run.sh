#!/bin/sh
# run.sh - the Node suite (node --test), once with each FFI library:
# POLYSOCK_NODE_FFI=koffi, then POLYSOCK_NODE_FFI=ffi-napi; then the
# typings check (check-typings.sh).
#
# `make check` runs it with top_builddir and top_srcdir set.  Standalone,
# from the top of the source tree, after `npm install` there:
#     top_builddir=BUILDDIR sh test/node/run.sh
#
# Environment:
#   top_builddir, top_srcdir     as for the other suites
#   POLYSOCK_LIBRARY             the library to test (default: the build
#                                tree's .libs/libpolysock.so.0)
#   POLYSOCK_MISMATCHED_LIBRARY  a library built from another IDL, for the
#                                fingerprint refusal test (default: the build
#                                tree's test-mismatch/libpolysock.so.0)
#   POLYSOCK_REQUIRE_ALL=1       fail instead of skipping the tests whose
#                                prerequisites are missing
#   NODE                         the node binary (default: node)
#   POLYSOCK_NODE_FFIS           the FFIs to run (default: "koffi ffi-napi")
#   POLYSOCK_INTERPRETER_WRAPPER a command that runs node --test (make check
#                                sets test/run-under-asan.sh in a sanitizer
#                                build)
#
# The last line is "<n> passed, <m> failed" over both runs; the status is
# non-zero when a test failed or a run did not complete.

set -u

here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$here/../..}"
: "${top_builddir:=.}"
: "${NODE:=node}"
: "${POLYSOCK_NODE_FFIS:=koffi ffi-napi}"
top_srcdir=$(cd "$top_srcdir" && pwd)

if [ -z "${POLYSOCK_LIBRARY:-}" ] && [ -e "$top_builddir/.libs/libpolysock.so.0" ]; then
    POLYSOCK_LIBRARY=$(cd "$top_builddir/.libs" && pwd)/libpolysock.so.0
    export POLYSOCK_LIBRARY
fi
if [ -z "${POLYSOCK_MISMATCHED_LIBRARY:-}" ] && [ -e "$top_builddir/test-mismatch/libpolysock.so.0" ]; then
    POLYSOCK_MISMATCHED_LIBRARY=$(cd "$top_builddir/test-mismatch" && pwd)/libpolysock.so.0
    export POLYSOCK_MISMATCHED_LIBRARY
fi
# The event-loop tests need libuv's default pool (4 threads).
unset UV_THREADPOOL_SIZE

if [ ! -d "$top_srcdir/node_modules/koffi" ] || [ ! -e "$top_srcdir/node_modules/polysock" ]; then
    echo "run.sh: no node_modules in $top_srcdir: run \`npm install\` there first" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/polysock-node.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

status=0
passed=0
failed=0
cd "$top_srcdir" || exit 99
for ffi in $POLYSOCK_NODE_FFIS; do
    echo "# ---- node --test with POLYSOCK_NODE_FFI=$ffi"
    POLYSOCK_NODE_FFI=$ffi ${POLYSOCK_INTERPRETER_WRAPPER:+"$POLYSOCK_INTERPRETER_WRAPPER"} \
        "$NODE" --test test/node/*.test.js >"$tmp/$ffi.out" 2>&1
    rc=$?
    cat "$tmp/$ffi.out"
    p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tmp/$ffi.out" | tail -1)
    f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tmp/$ffi.out" | tail -1)
    if [ -z "$p" ] || [ -z "$f" ]; then
        echo "run.sh: the $ffi run did not complete (status $rc)" >&2
        f=$((${f:-0} + 1))
        p=${p:-0}
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p))
    failed=$((failed + f))
    [ "$rc" -eq 0 ] || status=1
done

echo "# ---- typings (tsc --noEmit)"
if sh "$here/check-typings.sh"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    status=1
fi

echo "$passed passed, $failed failed"
exit $status
