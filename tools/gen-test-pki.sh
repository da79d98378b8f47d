#!/usr/bin/env bash
# Makes a throwaway PKI with the openssl CLI, independently of daneguard's own code, so tests
# can cross-check what daneguard computes. Usage: gen-test-pki.sh DIR
# For each key type T in rsa2048 ecdsa-p256 ecdsa-p384 ed25519 it writes DIR/T/:
#   root.key root.pem  intermediate.key intermediate.pem  leaf.key leaf.pem (PKCS#8 keys)
#   chain.pem (intermediate)  fullchain.pem (leaf + intermediate)
#   combined.pem (key + leaf + intermediate, the lego --pem / DaneBot layout)
# The leaf covers mail.example.test and mx.example.test.
set -euo pipefail
out=${1:?usage: gen-test-pki.sh DIR}
mkdir -p "$out"

genkey() { # type file
  case $1 in
    rsa2048) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2" 2>/dev/null ;;
    ecdsa-p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" ;;
    ecdsa-p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$2" ;;
    ed25519) openssl genpkey -algorithm ED25519 -out "$2" ;;
  esac
}

cat >"$out/ext.cnf" <<'CNF'
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:mail.example.test, DNS:mx.example.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF

types=${DANEGUARD_PKI_TYPES:-"rsa2048 ecdsa-p256 ecdsa-p384 ed25519"}
for t in $types; do
  d="$out/$t"
  mkdir -p "$d"
  genkey "$t" "$d/root.key"
  openssl req -x509 -new -key "$d/root.key" -subj "/CN=daneguard test root $t" -days 3650 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$d/root.pem"
  genkey "$t" "$d/intermediate.key"
  openssl req -new -key "$d/intermediate.key" -subj "/CN=daneguard test intermediate $t" \
    -out "$d/intermediate.csr"
  openssl x509 -req -in "$d/intermediate.csr" -CA "$d/root.pem" -CAkey "$d/root.key" \
    -set_serial 0x1001 -days 3000 -extfile "$out/ext.cnf" -extensions ca \
    -out "$d/intermediate.pem" 2>/dev/null
  genkey "$t" "$d/leaf.key"
  openssl req -new -key "$d/leaf.key" -subj "/CN=mail.example.test" -out "$d/leaf.csr"
  openssl x509 -req -in "$d/leaf.csr" -CA "$d/intermediate.pem" -CAkey "$d/intermediate.key" \
    -set_serial 0x2002 -days 90 -extfile "$out/ext.cnf" -extensions leaf \
    -out "$d/leaf.pem" 2>/dev/null
  cp "$d/intermediate.pem" "$d/chain.pem"
  cat "$d/leaf.pem" "$d/intermediate.pem" >"$d/fullchain.pem"
  cat "$d/leaf.key" "$d/leaf.pem" "$d/intermediate.pem" >"$d/combined.pem"
  rm -f "$d"/*.csr
  chmod 600 "$d"/*.key
done
