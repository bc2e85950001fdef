#!/bin/sh
# Build everything and run the demo: the reference's echo examples talking
# to each other, and its SSL example's client in every language
# (docs/examples/*/ssl_client.*: C, CPython, PyPy, Ruby, Node on koffi and
# on ffi-napi) against the C TLS echo server with the test certificates
# (make demo makes them), verified with the test CA and refused without it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/build.sh"
make -s -C "$top/build" demo
