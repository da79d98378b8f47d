#include "core/certificate.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace daneguard {
namespace {

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    return lower(x) == lower(y);
  });
}

std::string_view withoutTrailingDot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name;
}

}  // namespace

std::string_view keyFamilyName(KeyAlgorithm algorithm) {
  switch (algorithm) {
    case KeyAlgorithm::Rsa:
      return "rsa";
    case KeyAlgorithm::EcdsaP256:
    case KeyAlgorithm::EcdsaP384:
    case KeyAlgorithm::EcdsaP521:
      return "ecdsa";
    case KeyAlgorithm::Ed25519:
      return "ed25519";
    case KeyAlgorithm::Ed448:
      return "ed448";
    case KeyAlgorithm::Other:
      break;
  }
  return "other";
}

std::string PublicKeyFacts::description() const {
  switch (algorithm) {
    case KeyAlgorithm::Rsa:
      return fmt::format("RSA-{}", bits);
    case KeyAlgorithm::EcdsaP256:
      return "ECDSA-P256";
    case KeyAlgorithm::EcdsaP384:
      return "ECDSA-P384";
    case KeyAlgorithm::EcdsaP521:
      return "ECDSA-P521";
    case KeyAlgorithm::Ed25519:
      return "Ed25519";
    case KeyAlgorithm::Ed448:
      return "Ed448";
    case KeyAlgorithm::Other:
      return fmt::format("other-{}", bits);
  }
  return "other";
}

bool CertificateFacts::coversHost(std::string_view host) const {
  host = withoutTrailingDot(host);
  for (const std::string& san : dns_names) {
    const std::string_view name = withoutTrailingDot(san);
    if (equalsIgnoringCase(name, host)) return true;
    // RFC 6125 §6.4.3: "*." matches exactly one whole left-most label.
    if (name.starts_with("*.")) {
      const std::size_t dot = host.find('.');
      if (dot != std::string_view::npos && dot > 0 &&
          equalsIgnoringCase(name.substr(1), host.substr(dot))) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace daneguard
