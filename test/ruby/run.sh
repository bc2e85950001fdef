#!/bin/sh
# Run the polysock minitest suite (test/ruby/test_*.rb) in one Ruby process.
#
#   run.sh [minitest args...]
#
# RUBY names the interpreter (default: ruby).
# The caller sets POLYSOCK_LIBRARY (the libpolysock.so.0 to load); `make
# check` also sets POLYSOCK_MISMATCHED_LIBRARY (a library built from a
# changed IDL, for the fingerprint test) and POLYSOCK_REQUIRE_ALL=1 (its
# absence is then a failure).  POLYSOCK_INTERPRETER_WRAPPER, when set,
# runs the interpreter (make check sets it to test/run-under-asan.sh in a
# sanitizer build).  Extra arguments go to minitest, e.g.
# `-n /vectors/` or `-v`.
#
# Prints minitest's summary ("N runs, N assertions, 0 failures, 0 errors,
# N skips"); the status is non-zero when a test failed or errored, or when
# no test ran.

set -u

ruby=${RUBY:-ruby}

if [ -z "${POLYSOCK_LIBRARY:-}" ]; then
    echo "$0: POLYSOCK_LIBRARY is not set" >&2
    exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)
lib=$(cd "$here/../../bindings/ruby/lib" && pwd)

echo "== minitest: $("$ruby" -e 'print RUBY_DESCRIPTION'), library $POLYSOCK_LIBRARY"
out=$(mktemp "${TMPDIR:-/tmp}/polysock-minitest.XXXXXX") || exit 2
trap 'rm -f "$out"' EXIT
${POLYSOCK_INTERPRETER_WRAPPER:+"$POLYSOCK_INTERPRETER_WRAPPER"} \
    "$ruby" -w -I "$lib" -I "$here" -e '
  Dir[File.join(ARGV.shift, "test_*.rb")].sort.each { |f| require f }
' "$here" "$@" 2>&1 | tee "$out"
# The status of a pipe is tee's: read the summary minitest printed.
summary=$(grep -E '^[0-9]+ runs, [0-9]+ assertions' "$out" | tail -n 1)
if [ -z "$summary" ]; then
    echo "$0: minitest printed no summary (crashed, or no tests ran)" >&2
    exit 1
fi
case $summary in
    "0 runs,"*) echo "$0: no tests ran" >&2; exit 1 ;;
    *", 0 failures, 0 errors,"*) exit 0 ;;
    *) exit 1 ;;
esac
