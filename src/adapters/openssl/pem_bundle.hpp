// Loads a certificate chain and its private key from PEM files as ACME clients write them:
// certbot / acme.sh / dehydrated (cert + chain or fullchain, key apart) and single bundles
// holding key, leaf and chain in any order (lego --pem, DaneBot, Postfix/HAProxy files).
//
// Guarantees on success: the chain is non-empty, leaf first, each certificate signed by the
// next (issuer name linkage and a verified signature); every certificate given is in it (exact
// duplicates are dropped); the leaf is not a CA; a given private key matches the leaf.
// Validity dates are reported, not judged: an expired certificate loads.
//
// Failure modes: every Error message starts with the file path (or the source name given to the
// *FromText functions), names the problem and the PEM block line, and fits on one line. Kinds:
// NotFound / Permission for file access, InvalidInput for content. Key material never appears in
// messages. Encrypted keys are refused, never prompted for.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

#include "core/certificate.hpp"
#include "core/error.hpp"
#include "core/loaded_certificate.hpp"
#include "core/secret.hpp"

namespace daneguard::adapters::openssl {

/// No bundle needs more; the cap bounds the quadratic issuer search on hostile input.
inline constexpr std::size_t kMaxCertificatesPerBundle = 64;

struct CertificateFiles {
  std::filesystem::path certificate;               // leaf; may also hold the chain
  std::optional<std::filesystem::path> chain;      // intermediates
  std::optional<std::filesystem::path> fullchain;  // leaf + intermediates
  std::optional<std::filesystem::path> private_key;
};

/// Moved to core (core/loaded_certificate.hpp) so the app can hold it; kept here by name.
using LoadedCertificate = daneguard::LoadedCertificate;

/// One file holding certificates and optionally one private key, in any order.
Result<LoadedCertificate> loadPemBundle(const std::filesystem::path& path);

/// Same as loadPemBundle on text already in memory; `source_name` prefixes every message.
Result<LoadedCertificate> loadPemBundleFromText(std::string_view text,
                                                std::string_view source_name);

/// The union of all given files (so certificate + chain + fullchain together is fine as long as
/// they agree). Errors name the file the offending block came from.
Result<LoadedCertificate> loadCertificateFiles(const CertificateFiles& files);

/// Certificates only: private key blocks in the file are skipped without being decoded, so
/// a combined key+chain file can be given to `daneguard tlsa FILE`.
Result<CertificateChain> loadCertificateChain(const std::filesystem::path& path);

Result<CertificateChain> loadCertificateChainFromText(std::string_view text,
                                                      std::string_view source_name);

}  // namespace daneguard::adapters::openssl
