#!/bin/sh
# check-generated.sh - fail, naming each file, when a committed generated
# file differs from what polysock-gen writes from the IDL now.  Run by
# make check (top_builddir, top_srcdir, GEN_BACKENDS in the environment);
# make regen updates the committed copies.
set -u
gen="$top_builddir/polysock-gen"
idl="$top_srcdir/core/polysock.idl"
passed=0
failed=0
for backend in $GEN_BACKENDS; do
    for f in $("$gen" "$idl" --list-outputs "$backend"); do
        if cmp -s "$top_builddir/gen-out/$f" "$top_srcdir/$f"; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
            echo "STALE: $f differs from what polysock-gen writes (run make regen)"
        fi
    done
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
