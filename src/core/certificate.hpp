// What daneguard knows about a certificate once an adapter has parsed it: plain values, no
// OpenSSL handles, so that the TLSA engine and the rollover planner stay pure and testable.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"

namespace daneguard {

enum class KeyAlgorithm { Rsa, EcdsaP256, EcdsaP384, EcdsaP521, Ed25519, Ed448, Other };

/// "rsa", "ecdsa", "ed25519", "ed448", "other": the key family, one per certificate of a dual
/// service. Used in file names, hook variables (upper-cased) and `verify` output.
std::string_view keyFamilyName(KeyAlgorithm algorithm);

struct PublicKeyFacts {
  KeyAlgorithm algorithm = KeyAlgorithm::Other;
  int bits = 0;
  Bytes spki_der;  // DER SubjectPublicKeyInfo: the input of TLSA selector 1

  /// "RSA-2048", "ECDSA-P256", "Ed25519": used in output and to tell dual certificates apart.
  [[nodiscard]] std::string description() const;
};

struct CertificateFacts {
  Bytes der;  // the whole certificate: the input of TLSA selector 0
  PublicKeyFacts public_key;
  std::string subject;  // RFC 2253 one-line form, for messages
  std::string issuer;
  std::string serial_hex;
  std::vector<std::string> dns_names;  // subjectAltName dNSName entries, lower case
  std::chrono::sys_seconds not_before{};
  std::chrono::sys_seconds not_after{};
  bool is_ca = false;

  [[nodiscard]] bool validAt(std::chrono::sys_seconds instant) const {
    return not_before <= instant && instant <= not_after;
  }
  /// True when `host` is one of the SANs, a "*.parent" wildcard matching one label included.
  [[nodiscard]] bool coversHost(std::string_view host) const;
};

/// A leaf and the certificates a server sends after it, in the order sent (issuer first).
/// A loader guarantees that each certificate is signed by the next one.
struct CertificateChain {
  std::vector<CertificateFacts> certificates;  // [0] is the leaf; never empty once loaded

  [[nodiscard]] const CertificateFacts& leaf() const { return certificates.front(); }
  [[nodiscard]] std::size_t issuerCount() const { return certificates.size() - 1; }
};

}  // namespace daneguard
