#!/bin/sh
# Install the Debian 12 packages polysock needs to build and test, if any is
# missing.  Uses sudo when not run as root.
set -eu
PACKAGES="gcc g++ make autoconf automake libtool pkg-config check netbase valgrind
  libssl-dev openssl
  clang libclang-rt-14-dev
  python3-cffi python3-pytest python3-exceptiongroup pypy3 pypy3-dev
  ruby ruby-ffi ruby-minitest mypy"
missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "installing:$missing"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi

# The Node packages of package.json (koffi, @2060.io/ffi-napi, typescript).
top=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -d "$top/node_modules/koffi" ] || [ ! -d "$top/node_modules/@2060.io/ffi-napi" ]; then
    (cd "$top" && npm install --no-audit --no-fund)
fi
