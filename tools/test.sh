#!/bin/sh
# Build and run every test: make check (the Check suite, the examples, the
# generator), a 30 s soak (make soak), the Check suite under valgrind, make
# check again under AddressSanitizer + UndefinedBehaviorSanitizer, the
# threaded Check suites under ThreadSanitizer, each fuzzer for a minute,
# then make distcheck.
# Ends with one "N passed, M failed" line over every Check test run.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
status=0

run_suite() { # builddir label [make arguments]
    dir=$1 label=$2
    shift 2
    if make -s -C "$dir" -j"$jobs" check "$@"; then :; else
        status=1
        echo "=== $label: failures ==="
        cat "$dir"/test/*.log 2>/dev/null | grep -E "^[^:]+:[0-9]+:[EF]:" || true
    fi
}

"$top/tools/build.sh" "$top/build"
run_suite "$top/build" "normal build"

# A short soak (test/soak/README.md): every client language against one
# server with random closes and timeouts; no leak, hang or corrupted byte.
if ! make -s -C "$top/build" soak SOAK_SECONDS=30 >"$top/build/soak.out" 2>&1; then
    status=1
    echo "=== soak: failures ==="
    tail -40 "$top/build/soak.out"
fi

# The Check suite under valgrind's memcheck: no error, no leak.
if ! make -s -C "$top/build" check-valgrind >"$top/build/valgrind.out" 2>&1; then
    status=1
    echo "=== valgrind: failures ==="
    tail -40 "$top/build/valgrind.out"
fi

# The C-level tests under ASan+UBSan, then the Python (CPython and PyPy, ABI
# and API), Ruby and Node (koffi and ffi-napi) suites against the
# instrumented library: make check runs each interpreter, and only it,
# through test/run-under-asan.sh, which preloads the sanitizer runtime.
C_TESTS="test/check_polysock test/run-c-examples.sh test/gen/run-gen-tests.sh"
BINDING_TESTS="test/run-python-suites.sh test/ruby/run.sh test/node/run.sh"
"$top/tools/build.sh" "$top/build-sanitizers" --enable-sanitizers
run_suite "$top/build-sanitizers" "sanitizer build" TESTS="$C_TESTS $BINDING_TESTS"
# What ASan or UBSan said, in any suite (run_suite shows Check's failures).
if grep -h -A30 -E "ERROR: AddressSanitizer|runtime error:" \
        "$top"/build-sanitizers/test/*.log "$top"/build-sanitizers/test/*/*.log \
        2>/dev/null | head -120 | grep .; then
    status=1
    echo "=== sanitizer build: the reports above ==="
fi

# The Check suites that run threads, under ThreadSanitizer: any data race
# it reports fails the run.  (TSan cannot share a build with ASan.)
TSAN_SUITES="threads timeout poller resolver socket faults tls"
"$top/tools/build.sh" "$top/build-tsan" --enable-tsan
make -s -C "$top/build-tsan" -j"$jobs" test/check_polysock test-certs/stamp
: >"$top/build-tsan/tsan.log"
for suite in $TSAN_SUITES; do
    # The environment make check gives the suite (test certificates, no
    # skipping).
    if ! CK_RUN_SUITE=$suite POLYSOCK_REQUIRE_ALL=1 \
            TSAN_OPTIONS="suppressions=$top/test/tsan.supp" \
            POLYSOCK_TEST_CERTS="$top/build-tsan/test-certs" \
            "$top/build-tsan/test/check_polysock" >>"$top/build-tsan/tsan.log" 2>&1; then
        status=1
        echo "=== ThreadSanitizer build, suite $suite: failures ==="
    fi
done
if grep -q "WARNING: ThreadSanitizer" "$top/build-tsan/tsan.log"; then
    status=1
    echo "=== ThreadSanitizer: data races (build-tsan/tsan.log) ==="
    grep -A12 "WARNING: ThreadSanitizer" "$top/build-tsan/tsan.log" | head -60
fi

# The libFuzzer harnesses (test/fuzz/), each replaying its committed
# regression inputs and then fuzzing for a minute: a clang build of its own.
CC=clang "$top/tools/build.sh" "$top/build-fuzz" --enable-fuzzing
if ! make -s -C "$top/build-fuzz" fuzz FUZZ_SECONDS=60 >"$top/build-fuzz/fuzz.out" 2>&1; then
    status=1
    echo "=== fuzzing: failures ==="
    tail -40 "$top/build-fuzz/fuzz.out"
fi

# distcheck: a tarball that builds, installs and passes the C suite (the
# binding suites need the npm packages of the source checkout).
if ! make -s -C "$top/build" distcheck TESTS="$C_TESTS" >"$top/build/distcheck.out" 2>&1; then
    status=1
    tail -40 "$top/build/distcheck.out"
fi

[ "$status" -eq 0 ] && echo "all test runs passed" || echo "SOME TEST RUNS FAILED"
# The closing line: every Check test run, over all builds.
awk -F'[:,] *' '/Checks: [0-9]+, Failures/ {
        n += $3; f += $5 + $7
    } END { printf "checks: %d passed, %d failed\n", n - f, f }' \
    "$top/build/test/check_polysock.log" "$top/build/valgrind.out" \
    "$top/build-sanitizers/test/check_polysock.log" "$top/build-tsan/tsan.log"
exit "$status"
