// The DANE rules of dane-rules.md as pure checks over one TLSA RRset and the certificate chain
// the service serves (or is about to serve): no I/O, so every rule is unit tested on values.
//
// Rules: PKIX usages 0/1 on SMTP port 25 (RFC 7672 §3.1.3), `3 0 x` pinning the whole
// certificate (changes at every renewal), RFC 7671 §8 (every parameter combination present must
// match the served chain: stale `2 1 1` groups, a SHA2-512 record beside SHA2-256 that does not
// match the same data), unusable records, nothing authenticating, too many records, long TTLs.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "app/check/finding.hpp"
#include "core/certificate.hpp"
#include "core/tlsa/tlsa_record.hpp"

namespace daneguard::app::check {

/// One published TLSA RRset and where it is used.
struct PublishedRrset {
  std::string service;
  std::string owner;  // "_25._tcp.mail.example.test."
  std::uint16_t port = 25;
  std::span<const TlsaRecord> records;
  std::chrono::seconds ttl{0};
};

/// Above this, a rollover's wait (2 x TTL) becomes days and stale caches linger (a warning).
inline constexpr std::chrono::seconds kLongTlsaTtl{86400};
/// Some large receivers fail above about this many records per name (dane-rules.md).
inline constexpr std::size_t kLargeRrset = 12;

/// Findings for one RRset against `served` (leaf first). An empty RRset is one Error.
Findings checkTlsaRules(const PublishedRrset& rrset, const CertificateChain& served);

}  // namespace daneguard::app::check
