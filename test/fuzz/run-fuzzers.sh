#!/bin/sh
# run-fuzzers.sh HARNESS... - what `make fuzz` runs, in the build tree.
#
# For each harness (a path such as test/fuzz/fuzz_inet): replay every file
# of $top_srcdir/test/fuzz/regressions/<name>/ (a crash fixed once must stay
# fixed), then fuzz for $FUZZ_SECONDS seconds on a fresh copy of the seed
# corpus $top_srcdir/test/fuzz/corpus/<name>/, so the committed seeds are
# never written.  Work files go to fuzz-work/<name>/: corpus/ (the grown
# corpus), artifacts/ (crash inputs) and fuzz.log.  Every harness runs even
# after one failed (their findings are independent); the exit status says
# whether any failed.
set -eu
: "${top_srcdir:?top_srcdir must name the source tree}"
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
fuzz_dir=$top_srcdir/test/fuzz
failed=""

for harness in "$@"; do
    name=$(basename "$harness")
    work=fuzz-work/$name
    rm -rf "$work"
    mkdir -p "$work/corpus" "$work/artifacts"

    regressions=$fuzz_dir/regressions/$name
    if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
        echo "$name: replaying $(ls "$regressions" | wc -l) regression input(s)"
        # Given files (not a directory), libFuzzer runs each once and stops.
        "$harness" "$regressions"/* > "$work/regressions.log" 2>&1 || {
            cat "$work/regressions.log" >&2
            echo "$name: a regression input fails again" >&2
            failed="$failed $name"
            continue
        }
    fi

    cp "$fuzz_dir/corpus/$name"/* "$work/corpus/"
    dict=""
    [ -f "$fuzz_dir/${name#fuzz_}.dict" ] && dict="-dict=$fuzz_dir/${name#fuzz_}.dict"
    echo "$name: fuzzing for ${FUZZ_SECONDS}s (log: $work/fuzz.log)"
    # shellcheck disable=SC2086 # $dict is one word or none
    if ! "$harness" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 \
            -artifact_prefix="$work/artifacts/" $dict "$work/corpus" \
            > "$work/fuzz.log" 2>&1; then
        tail -n 60 "$work/fuzz.log" >&2
        echo "$name: FAILED; the input is in $work/artifacts/" >&2
        failed="$failed $name"
        continue
    fi
    grep -E '^#[0-9]+.*DONE' "$work/fuzz.log" | tail -n 1
done
if [ -n "$failed" ]; then
    echo "make fuzz: failed:$failed" >&2
    exit 1
fi
