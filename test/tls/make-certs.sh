#!/bin/sh
# make-certs.sh - the certificates every TLS test suite uses (C, Python,
# Ruby, Node), made fresh with the openssl CLI: a private test CA and the
# leaves signed by it, each for one behaviour (README.md in this directory
# lists them).
#
#     usage: make-certs.sh OUTDIR MKCERT_ODD
#
# MKCERT_ODD is the built test/tls/mkcert-odd, which makes the one
# certificate the CLI cannot (a NUL byte inside a subject value).
#
# Keys are EC P-256 (generated in milliseconds); serial numbers, names,
# extensions and validity periods are fixed, so only key material and
# signatures change from one run to the next.  OUTDIR/stamp is written
# last: its presence means every other file is there.
set -eu

if [ $# -ne 2 ]; then
    echo "usage: make-certs.sh OUTDIR MKCERT_ODD" >&2
    exit 2
fi
out=$1
mkcert_odd=$2
if [ ! -x "$mkcert_odd" ]; then
    echo "make-certs.sh: $mkcert_odd is missing: build test/tls/mkcert-odd first" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/polysock-certs.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd_out=$(mkdir -p "$out" && cd "$out" && pwd)

# A minimal configuration of our own, so that the system's openssl.cnf
# (its default extensions, DN policy or security level) cannot change
# what we make.  [testca] is for `openssl ca`, the one command that can
# date a certificate in the past (OpenSSL 3.0's x509/req start every
# certificate now).
mkdir "$work/cadb"
: >"$work/cadb/index.txt"
echo 1000 >"$work/cadb/serial"
cat >"$work/openssl.cnf" <<EOF
[req]
distinguished_name = req_dn
[req_dn]

[ca]
default_ca = testca
[testca]
database = $work/cadb/index.txt
serial = $work/cadb/serial
new_certs_dir = $work/cadb
certificate = $work/ca.pem
private_key = $work/ca.key
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[policy_any]
commonName = supplied
[server_leaf]
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
EOF
OPENSSL_CONF=$work/openssl.cnf
export OPENSSL_CONF

newkey="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
localhost_san="subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
leaf_ext="-addext basicConstraints=critical,CA:FALSE -addext keyUsage=critical,digitalSignature"
signed_by_ca="-CA $work/ca.pem -CAkey $work/ca.key"
days=3650

# leaf NAME SERIAL SUBJECT EXTENSION...: a key and a CA-signed certificate.
leaf() {
    name=$1 serial=$2 subject=$3
    shift 3
    # shellcheck disable=SC2086 # the option lists are meant to split
    openssl req -x509 -new $newkey -keyout "$work/$name.key" -out "$work/$name.pem" \
        $signed_by_ca -days $days -set_serial "$serial" -subj "$subject" \
        $leaf_ext "$@" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
}

# The CA.
# shellcheck disable=SC2086
openssl req -x509 -new $newkey -keyout "$work/ca.key" -out "$work/ca.pem" \
    -days $days -set_serial 1 -subj "/C=US/O=polysock test/CN=polysock test CA" \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>"$work/err" ||
    { cat "$work/err" >&2; exit 1; }

# The server certificate every positive test uses, with the reference's
# subject shape.
leaf good 2 "/C=US/ST=California/L=Mountain View/O=polysock test/CN=localhost" \
    -addext "$localhost_san" -addext extendedKeyUsage=serverAuth
cat "$work/good.pem" "$work/ca.pem" >"$work/good-chain.pem"

# Right CA, wrong name.
leaf otherhost 3 "/C=US/O=polysock test/CN=other.example" \
    -addext "subjectAltName=DNS:other.example" -addext extendedKeyUsage=serverAuth

# A client certificate for servers that require one.
leaf client 4 "/C=US/O=polysock test/CN=polysock test client" \
    -addext extendedKeyUsage=clientAuth

# A subject whose one-line form is longer than 512 bytes (ten OUs of 58
# characters; the standard bounds one OU to 64): a formatter with a fixed
# buffer would truncate it.  The test suites rebuild the same values.
long_subject="/C=US/O=polysock test"
i=1
while [ "$i" -le 10 ]; do
    long_subject="$long_subject/OU=organizational unit $(printf %02d "$i") of a subject longer than 512 bytes"
    i=$((i + 1))
done
leaf long 5 "$long_subject/CN=localhost" \
    -addext "$localhost_san" -addext extendedKeyUsage=serverAuth

# Valid names, not signed by the CA.
# shellcheck disable=SC2086
openssl req -x509 -new $newkey -keyout "$work/selfsigned.key" -out "$work/selfsigned.pem" \
    -days $days -set_serial 6 -subj "/C=US/O=polysock test/CN=localhost" \
    $leaf_ext -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -addext extendedKeyUsage=serverAuth 2>"$work/err" ||
    { cat "$work/err" >&2; exit 1; }

# Signed by the CA, valid for January 2020 only.
# shellcheck disable=SC2086
openssl req -new $newkey -keyout "$work/expired.key" -out "$work/expired.csr" \
    -subj "/C=US/O=polysock test/CN=localhost" 2>"$work/err" ||
    { cat "$work/err" >&2; exit 1; }
openssl ca -batch -notext -preserveDN -extensions server_leaf \
    -startdate 20200101000000Z -enddate 20200201000000Z \
    -in "$work/expired.csr" -out "$work/expired.pem" >"$work/err" 2>&1 ||
    { cat "$work/err" >&2; exit 1; }

# '/', ',', '+', '=', a NUL byte and UTF-8 inside values, and a
# multi-valued RDN (mkcert-odd.c says which).
"$mkcert_odd" "$work/ca.pem" "$work/ca.key" "$work/odd.pem" "$work/odd.key"

# A hashed directory holding the CA, for the capath setting.
mkdir "$work/capath"
cp "$work/ca.pem" "$work/capath/ca.pem"
openssl rehash "$work/capath"

rm -f "$cd_out/stamp"
for f in ca good good-chain otherhost client long selfsigned expired odd; do
    cp "$work/$f.pem" "$cd_out/$f.pem"
    [ ! -f "$work/$f.key" ] || cp "$work/$f.key" "$cd_out/$f.key"
done
rm -rf "$cd_out/capath"
cp -RP "$work/capath" "$cd_out/capath"
echo "polysock test certificates, made by test/tls/make-certs.sh" >"$cd_out/stamp"
