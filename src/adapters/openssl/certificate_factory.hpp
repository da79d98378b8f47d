// Makes private keys and X.509 certificates with OpenSSL: the self-contained demo's throwaway
// CA, and later the ACME client's account and certificate keys (which need the same key
// generation). Keys are returned as PKCS#8 PEM inside SecretBytes.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/certificate.hpp"
#include "core/error.hpp"
#include "core/secret.hpp"

namespace daneguard::adapters::openssl {

struct GeneratedKey {
  KeyAlgorithm algorithm = KeyAlgorithm::EcdsaP256;
  SecretBytes private_key_pem;  // PKCS#8
};

/// RSA (bits 2048..8192), ECDSA P-256/P-384/P-521, Ed25519.
Result<GeneratedKey> generateKey(KeyAlgorithm algorithm, int rsa_bits = 2048);

struct CertificateRequest {
  std::string common_name;
  std::vector<std::string> dns_names;  // subjectAltName; empty for a CA
  bool is_ca = false;
  std::chrono::sys_seconds not_before{};
  std::chrono::sys_seconds not_after{};
  std::uint64_t serial = 1;
};

/// Signs `request` for `subject_key` with `issuer_key`; the issuer's name comes from
/// `issuer_certificate_pem`, or the certificate is self-signed when that is empty.
/// Returns the certificate as PEM.
Result<std::string> issueCertificate(const CertificateRequest& request,
                                     const GeneratedKey& subject_key,
                                     const GeneratedKey& issuer_key,
                                     const std::string& issuer_certificate_pem = {});

}  // namespace daneguard::adapters::openssl
