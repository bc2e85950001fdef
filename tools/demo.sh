#!/bin/sh
# Build everything and run the demo: the reference's echo examples talking
# to each other, and its SSL example (docs/examples/c/ssl_client.c) against
# the TLS echo server with the test certificates (make demo makes them).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/build.sh"
make -s -C "$top/build" demo
