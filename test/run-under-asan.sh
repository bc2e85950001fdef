#!/bin/sh
# run-under-asan.sh - run an interpreter (python, pypy, ruby, node) so that
# it can load the AddressSanitizer + UndefinedBehaviorSanitizer build of
# libpolysock (configure --enable-sanitizers).
#
#   run-under-asan.sh COMMAND [ARGS...]
#
# An uninstrumented program loads an ASan-instrumented library only when
# the ASan runtime is the first library of the process (otherwise: "ASan
# runtime does not come first in initial library list"), so the runtime of
# the compiler that built the library ($CC, default cc) is preloaded; the
# UBSan runtime comes in as the library's own dependency (GCC), or is part
# of the ASan runtime (Clang).
#
# The runners of the binding suites (test/python/run.sh, test/ruby/run.sh,
# test/node/run.sh) put this wrapper in front of the interpreter when
# POLYSOCK_INTERPRETER_WRAPPER names it, as `make check` does in a
# sanitizer build: make and the shells around the interpreters stay
# uninstrumented.  What the interpreter starts (helper interpreters, node's
# per-file test processes, openssl) inherits the preload.
#
# Only the library is instrumented, so ASan checks its code and the calls
# that any code makes to the functions ASan intercepts (malloc, memcpy, ...).
# The options keep what the interpreters do from being reported and hide
# no error of the library:
#   detect_leaks=0     the interpreters do not free everything at exit;
#                      the library's counters prove that it frees what it
#                      allocates (checked by the Check suite, which also
#                      runs under LeakSanitizer, and by the Ruby and Node
#                      suites)
#   use_sigaltstack=0  Ruby gives each thread its own (malloc'ed) signal
#                      stack, which ASan would otherwise unmap as its own
#                      when the thread ends ("failed to deallocate ...
#                      CHECK failed: unable to unmap"); a stack overflow
#                      in the library still kills the process (SIGSEGV)
#   abort_on_error=1   an error kills the process with SIGABRT, which no
#                      test can take for an expected exit status
# Settings already in ASAN_OPTIONS / UBSAN_OPTIONS come after these and win.
#
# A report must reach the log.  pytest captures descriptor 2 during each
# test and loses what it holds when the process dies, and a test may keep
# the stderr of a child it starts to itself.  So ASan writes its reports to
# files (log_path) that this script copies to its standard error once the
# command has ended, and any of them makes the status non-zero, also one
# from a child process whose death the command survived.  GCC's UBSan
# runtime ignores log_path when ASan's is loaded (ASan's copy of the
# function that sets it takes precedence) and writes to descriptor 2, so
# pytest captures nothing (PYTEST_ADDOPTS; --capture=sys would break the
# suite's faulthandler watchdog, which needs the real stderr), and UBSan
# aborts after its report (the library is built -fno-sanitize-recover).

set -u

if [ $# -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

# The compiler prints the absolute path of a runtime it has, and the bare
# name back when it has none.  Clang's first: Clang also finds GCC's.
asan_runtime() {
    for name in "libclang_rt.asan-$(uname -m).so" libasan.so; do
        path=$(${CC:-cc} -print-file-name="$name" 2>/dev/null) || continue
        case $path in /*) [ -e "$path" ] && echo "$path" && return ;; esac
    done
    return 0
}

runtime=$(asan_runtime)
if [ -z "$runtime" ]; then
    echo "$0: the compiler '${CC:-cc}' has no ASan runtime (libasan.so or libclang_rt.asan)" >&2
    exit 2
fi

reports=$(mktemp -d "${TMPDIR:-/tmp}/polysock-asan.XXXXXX") || exit 2
trap 'rm -rf "$reports"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# The preload and the options go to the command alone, not to this shell.
LD_PRELOAD="$runtime${LD_PRELOAD:+ $LD_PRELOAD}" \
ASAN_OPTIONS="detect_leaks=0:use_sigaltstack=0:abort_on_error=1:log_path=$reports/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
PYTEST_ADDOPTS="--capture=no${PYTEST_ADDOPTS:+ $PYTEST_ADDOPTS}" \
    "$@"
status=$?

for report in "$reports"/*; do
    [ -e "$report" ] || continue
    echo "run-under-asan.sh: ${report##*/} (process ${report##*.}):" >&2
    cat "$report" >&2
    [ "$status" -ne 0 ] || status=1
done
exit "$status"
