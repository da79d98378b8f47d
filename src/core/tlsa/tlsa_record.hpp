// The TLSA record (RFC 6698 §2) as a value, with the RFC 7218 mnemonics used in all output.
#pragma once

#include <compare>
#include <cstdint>
#include <string>

#include "core/bytes.hpp"

namespace daneguard {

enum class TlsaUsage : std::uint8_t { PkixTa = 0, PkixEe = 1, DaneTa = 2, DaneEe = 3 };
enum class TlsaSelector : std::uint8_t { Cert = 0, Spki = 1 };
enum class TlsaMatchingType : std::uint8_t { Full = 0, Sha256 = 1, Sha512 = 2 };

/// The (usage, selector, matching type) triple; RFC 7671 §8 reasons per parameter combination.
struct TlsaParameters {
  TlsaUsage usage = TlsaUsage::DaneEe;
  TlsaSelector selector = TlsaSelector::Spki;
  TlsaMatchingType matching_type = TlsaMatchingType::Sha256;

  auto operator<=>(const TlsaParameters&) const = default;
};

struct TlsaRecord {
  TlsaParameters parameters;
  Bytes data;  // certificate association data

  auto operator<=>(const TlsaRecord&) const = default;
};

}  // namespace daneguard
