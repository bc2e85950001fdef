#!/bin/sh
# run-gen-tests.sh - tests of polysock-gen.
#
# usage: run-gen-tests.sh PATH_TO_polysock-gen SRCDIR
#
# 1. Every test/gen/broken/*.idl must be refused with exit status 1 and a
#    message containing the text after "// expect: " on its first line
#    (line:column included).
# 2. The real IDL goes through every backend: each writes exactly the files
#    --list-outputs names, silently, and the same bytes twice in a row.
# 3. The JSON model parses; the C header check compiles against
#    SRCDIR/core/include; a changed parameter type in a copy of the IDL
#    makes that check fail naming the function.
# 4. The fingerprint is 16 hex digits, changes with a parameter type,
#    does not change with a doc comment, and exists for an empty model.
# 5. The bindings' API references (docs/api/python.md, ruby.md, node.md)
#    have one entry per fn with its doc, call, arguments, defaults, blocking
#    note and errors, and every error class (check-references.py, which
#    must also catch an entry taken out of a copy).
#
# Prints one line per check and ends with "N passed, M failed"; exits 1
# when M > 0.  VALGRIND="valgrind -q --leak-check=full --error-exitcode=9"
# in the environment runs every polysock-gen call under it.

# Under make check the paths come from the environment.
if [ $# -eq 0 ] && [ -n "${top_builddir:-}" ]; then
    set -- "$top_builddir/polysock-gen" "$top_srcdir"
fi
if [ $# -ne 2 ]; then
    echo "usage: $0 PATH_TO_polysock-gen SRCDIR" >&2
    exit 2
fi
# $VALGRIND is split into words on purpose: it is a command line prefix.
GEN="${VALGRIND:+$VALGRIND }$1"
SRCDIR=$2
IDL=$SRCDIR/core/polysock.idl
CC=${CC:-gcc}
PYTHON=${PYTHON:-python3}

passed=0
failed=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/polysock-gen-tests.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM

pass() {
    passed=$((passed + 1))
    echo "PASS: $1"
}

fail() {
    failed=$((failed + 1))
    echo "FAIL: $1"
}

# check DESCRIPTION COMMAND...: pass when the command succeeds.
check() {
    desc=$1
    shift
    if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# ---- 1. Broken inputs --------------------------------------------------------

for idl in "$SRCDIR"/test/gen/broken/*.idl; do
    name=$(basename "$idl")
    expect=$(sed -n '1s|^// expect: ||p' "$idl")
    if [ -z "$expect" ]; then
        fail "broken/$name: no '// expect: ' first line"
        continue
    fi
    $GEN "$idl" --check >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ "$rc" -ne 1 ]; then
        fail "broken/$name: exit status $rc, expected 1"
    elif ! grep -F -q -- "$expect" "$TMP/err"; then
        fail "broken/$name: stderr lacks \"$expect\"; got: $(cat "$TMP/err")"
    else
        pass "broken/$name: $expect"
    fi
done

# ---- 2. Every backend over the real IDL ----------------------------------------

check "the real IDL parses" $GEN "$IDL" --check
backends=$($GEN --list-backends)
for be in $backends; do
    out=$TMP/out-$be
    $GEN "$IDL" "$be" "$out" >"$TMP/stdout" 2>"$TMP/stderr"
    rc=$?
    if [ "$rc" -ne 0 ] || [ -s "$TMP/stdout" ] || [ -s "$TMP/stderr" ]; then
        fail "backend $be: exit $rc, output: $(cat "$TMP/stdout" "$TMP/stderr")"
        continue
    fi
    pass "backend $be runs silently"
    $GEN "$IDL" --list-outputs "$be" | sort >"$TMP/listed"
    (cd "$out" && find . -type f | sed 's|^\./||' | sort) >"$TMP/written"
    check "backend $be writes exactly what --list-outputs lists" \
        cmp -s "$TMP/listed" "$TMP/written"
    $GEN "$IDL" "$be" "$out-again"
    check "backend $be output is deterministic" diff -r "$out" "$out-again"
done

# ---- 3. JSON and the C header check ---------------------------------------------

JSON=$TMP/out-json/docs/api/polysock.json
if command -v "$PYTHON" >/dev/null 2>&1; then
    check "json: docs/api/polysock.json parses" \
        "$PYTHON" -c 'import json,sys; json.load(open(sys.argv[1]))' "$JSON"
else
    echo "SKIP: json parse ($PYTHON not found)"
fi

CHECK=core/generated/polysock_idl_check.c
# compile_check OUTDIR LOG: compile the header check generated in OUTDIR.
compile_check() {
    "$CC" -std=c11 -fsyntax-only -I "$SRCDIR/core/include" \
        -I "$1/core/generated" "$1/$CHECK" >"$2" 2>&1
}

if compile_check "$TMP/out-c" "$TMP/cc.log"; then
    pass "c: polysock.h matches the IDL ($CHECK compiles)"
else
    fail "c: polysock.h and the IDL disagree; what differs:"
    # One line per disagreement, with what the IDL expects.
    grep -E 'static assertion failed|undeclared' "$TMP/cc.log" |
        sed -e 's/^.*static assertion failed: "//' -e 's/"$//' \
            -e "s/^.*error: ‘\([A-Za-z0-9_]*\)’ undeclared.*$/\1: in the IDL, not declared by polysock.h/" \
            -e "s/^.*error: '\([A-Za-z0-9_]*\)' undeclared.*$/\1: in the IDL, not declared by polysock.h/" \
            -e 's/^/    /'
fi

# A copy of the IDL with one parameter type changed must fail the check,
# naming the function.
sed 's/^fn listen(socket self, int backlog/fn listen(socket self, i64 backlog/' \
    "$IDL" >"$TMP/changed.idl"
if cmp -s "$IDL" "$TMP/changed.idl"; then
    fail "c: could not change listen's parameter type in a copy of the IDL"
else
    $GEN "$TMP/changed.idl" c "$TMP/out-changed"
    compile_check "$TMP/out-changed" "$TMP/cc-changed.log"
    check "c: a changed parameter type fails the check naming polysock_listen" \
        grep -q 'polysock_listen: header and IDL disagree' "$TMP/cc-changed.log"
fi

# ---- 4. Fingerprint --------------------------------------------------------------

fp=$($GEN "$IDL" --fingerprint)
if printf '%s\n' "$fp" | grep -Eq '^[0-9a-f]{16}$'; then
    pass "fingerprint is 16 hex digits ($fp)"
else
    fail "fingerprint is not 16 hex digits: '$fp'"
fi
if [ -f "$TMP/changed.idl" ]; then
    fp2=$($GEN "$TMP/changed.idl" --fingerprint)
    if [ -n "$fp2" ] && [ "$fp2" != "$fp" ]; then
        pass "fingerprint changes with a parameter type ($fp2)"
    else
        fail "fingerprint unchanged after a parameter type change ($fp2)"
    fi
fi
sed 's|^/// The class of an error code\.$|/// Reworded documentation.|' \
    "$IDL" >"$TMP/redoc.idl"
fp3=$($GEN "$TMP/redoc.idl" --fingerprint)
if cmp -s "$IDL" "$TMP/redoc.idl"; then
    fail "fingerprint: could not change a doc comment in a copy of the IDL"
elif [ "$fp3" = "$fp" ]; then
    pass "fingerprint ignores doc comments"
else
    fail "fingerprint changed with a doc comment ($fp3)"
fi
# A model with nothing but its library line (found by fuzz_idl: sorting
# no items once passed NULL to qsort, which UBSan stops on).
printf '/// Nothing else.\nlibrary t "1.0.0";\n' >"$TMP/empty.idl"
fp4=$($GEN "$TMP/empty.idl" --fingerprint)
check "fingerprint of a model with no items ($fp4)" \
    sh -c 'printf "%s\n" "$1" | grep -Eq "^[0-9a-f]{16}$"' - "$fp4"
fph=$(sed -n 's/^#define POLYSOCK_ABI_FINGERPRINT "\(.*\)"$/\1/p' \
    "$TMP/out-c/core/generated/polysock_fingerprint.h")
check "polysock_fingerprint.h carries the fingerprint" test "$fph" = "$fp"

# ---- 5. The bindings' API references --------------------------------------------

REFS=$TMP/out-docs/docs/api
CHECK_REFS=$SRCDIR/test/gen/check-references.py
if command -v "$PYTHON" >/dev/null 2>&1; then
    for lang in python ruby node; do
        if "$PYTHON" "$CHECK_REFS" "$JSON" "$REFS" "$lang" >"$TMP/refs.log" 2>&1
        then
            pass "docs: $lang.md has one complete entry per fn"
        else
            fail "docs: $lang.md disagrees with the model:"
            sed 's/^/    /' "$TMP/refs.log"
        fi
    done
    # The checker itself: a copy of node.md without the entry of recv.
    mkdir -p "$TMP/refs-cut"
    cp "$REFS"/*.md "$TMP/refs-cut/"
    sed -i 's/^### socket\.recv$/### (cut)/' "$TMP/refs-cut/node.md"
    "$PYTHON" "$CHECK_REFS" "$JSON" "$TMP/refs-cut" node >"$TMP/refs-cut.log"
    rc=$?
    if [ "$rc" -eq 1 ] && grep -q '^node: recv: 0 entries' "$TMP/refs-cut.log"
    then
        pass "docs: a reference without the entry of a fn fails the check"
    else
        fail "docs: an entry taken out of node.md went unnoticed (exit $rc)"
    fi
else
    echo "SKIP: API references ($PYTHON not found)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
