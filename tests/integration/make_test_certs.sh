#!/usr/bin/env bash
# make_test_certs.sh DIR: a throwaway PKI for the TLS tests, made fresh at test time with openssl
# (nothing secret is committed). Writes into DIR:
#   ca.pem, ca.key                 the test CA
#   server.pem, server.key         server certificate for localhost / 127.0.0.1 / ::1, by the CA
#   client.pem, client.key         client certificate (clientAuth), by the CA
#   other-ca.pem                   another CA
#   other-client.pem, other-client.key   a client certificate by the other CA
# EC P-256 keys, valid for 2 days.
set -euo pipefail
D="$1"
mkdir -p "$D"
cd "$D"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)

ca() {  # ca NAME CN
  openssl req -x509 "${ec[@]}" -days 2 -subj "/CN=$2" -keyout "$1.key" -out "$1.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>/dev/null
}

leaf() {  # leaf NAME CN CA EXTENSIONS
  openssl req "${ec[@]}" -subj "/CN=$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null
  printf '%s\n' "$4" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial -days 2 \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

ca ca citecheck-test-ca
ca other-ca citecheck-other-ca
leaf server localhost ca \
  "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
extendedKeyUsage=serverAuth"
leaf client citecheck-test-client ca "extendedKeyUsage=clientAuth"
leaf other-client citecheck-other-client other-ca "extendedKeyUsage=clientAuth"
echo "test certificates in $D"
