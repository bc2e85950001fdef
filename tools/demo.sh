#!/bin/sh
# Build everything and run the demo: the reference's echo examples talking
# to each other.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/build.sh"
make -s -C "$top/build" demo
