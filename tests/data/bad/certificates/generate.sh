#!/usr/bin/env bash
# Regenerates the bad-input certificate corpus with the openssl CLI (see README.md). The output
# is committed; rerun only to add a case. Usage: tests/data/bad/certificates/generate.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
DANEGUARD_PKI_TYPES="rsa2048 ecdsa-p256" bash "$here/../../../../tools/gen-test-pki.sh" "$work"
rsa=$work/rsa2048
ec=$work/ecdsa-p256
cd "$here"

: >empty.pem
printf 'This is a certificate, honest.\nBut there is no PEM armour in here.\n' >not-pem.pem
# The END line and the last base64 line are cut off.
head -n -2 "$rsa/leaf.pem" >truncated.pem
# A base64 line with characters outside the alphabet.
awk 'NR==3 { $0 = "!!!!" substr($0, 5) } { print }' "$rsa/leaf.pem" >bad-base64.pem
{
  echo "-----BEGIN CERTIFICATE-----"
  printf 'this is plain text, not a DER certificate' | openssl base64
  echo "-----END CERTIFICATE-----"
} >not-der-in-certificate-block.pem
{
  echo "-----BEGIN CERTIFICATE-----"
  sed '1d;$d' "$rsa/leaf.pem"
  echo "-----END PRIVATE KEY-----"
} >mismatched-end-line.pem
# An ECDSA key with an RSA leaf and its intermediate.
cat "$ec/leaf.key" "$rsa/leaf.pem" "$rsa/intermediate.pem" >key-mismatch.pem
# PKCS#8 encrypted ("BEGIN ENCRYPTED PRIVATE KEY") and legacy PEM encryption (Proc-Type).
{
  openssl pkey -in "$rsa/leaf.key" -aes256 -passout pass:daneguard-test
  cat "$rsa/leaf.pem" "$rsa/intermediate.pem"
} >encrypted-key.pem
{
  openssl rsa -in "$rsa/leaf.key" -traditional -aes256 -passout pass:daneguard-test 2>/dev/null
  cat "$rsa/leaf.pem" "$rsa/intermediate.pem"
} >encrypted-key-legacy.pem
cat "$rsa/leaf.key" "$rsa/leaf.pem" "$rsa/leaf.key" "$rsa/intermediate.pem" >two-private-keys.pem
# The ECDSA intermediate has nothing to do with the RSA leaf's chain.
cat "$rsa/leaf.pem" "$rsa/intermediate.pem" "$ec/intermediate.pem" \
  >unrelated-certificate-in-chain.pem
# Intermediate and root only: the would-be leaf has basicConstraints CA:TRUE.
cat "$rsa/intermediate.pem" "$rsa/root.pem" >leaf-is-ca.pem
cat "$rsa/leaf.key" >no-certificate.pem
# A certificate request where a certificate was expected.
openssl req -new -key "$rsa/leaf.key" -subj /CN=mail.example.test >unexpected-block.pem
echo "generated $(ls "$here"/*.pem | wc -l) files in $here"
