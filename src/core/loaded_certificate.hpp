// A certificate chain as loaded from an operator's files, with its private key when one was
// given: what a deploy hands to the server and what the TLSA records are computed from.
// Plain core values (the key is a SecretBytes), so the app can pass it around without OpenSSL.
#pragma once

#include <optional>

#include "core/certificate.hpp"
#include "core/secret.hpp"

namespace daneguard {

struct LoadedCertificate {
  CertificateChain chain;
  /// The key re-encoded as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY"), when a key was given.
  std::optional<SecretBytes> private_key_pem;
  /// Public facts of the leaf's key; when private_key_pem is set, also those of the private key
  /// (the loader checked that they are the same key).
  PublicKeyFacts key;
};

}  // namespace daneguard
