#!/bin/sh
# check-typings.sh - the generated typings (bindings/node/index.d.ts and
# promises.d.ts) against a small program that uses them: tsc --noEmit with
# npm's typescript (a devDependency of the top-level package.json).
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$here/../..}"
tsc=$top_srcdir/node_modules/.bin/tsc
if [ ! -x "$tsc" ]; then
    echo "check-typings.sh: $tsc is missing: run \`npm install\` in $top_srcdir" >&2
    exit 1
fi
"$tsc" -p "$here/typings" && echo "typings: ok"
