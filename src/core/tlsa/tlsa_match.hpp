// Which TLSA records match the certificate chain a server actually serves (RFC 6698 §2.1,
// RFC 7671), and whether the RRset as a whole is in the state daneguard requires.
//
// Pure: works on CertificateChain values only. It does NOT do PKIX path validation and does
// not check signatures, so:
//  - a PKIX-TA(0) / PKIX-EE(1) match here only means the data matches; a DANE client would also
//    require the chain to validate to a trusted root (see TlsaMatchReport::needs_pkix_validation);
//  - TA records (usages 0 and 2) are matched against the issuer certificates the server sends.
//    A DANE-TA record for a key that signs the top of the chain but is not itself sent (e.g. an
//    unsent root given as "2 1 0" with the full key) is reported as not matching.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/certificate.hpp"
#include "core/tlsa/tlsa_record.hpp"

namespace daneguard {

enum class TlsaRecordStatus {
  Matches,   // usable, and matches the served chain at `depth`
  NoMatch,   // usable, matches nothing served
  Unusable,  // unassigned parameters or malformed data: DANE clients ignore it (RFC 7671 §4)
};

struct TlsaRecordMatch {
  TlsaRecord record;
  TlsaRecordStatus status = TlsaRecordStatus::NoMatch;
  /// Position in the served chain of the first certificate it matches (0 = leaf).
  std::optional<std::size_t> depth;
  /// Why the record is unusable (empty otherwise).
  std::string defect;
};

/// All usable records that share one (usage, selector, matching type) combination.
struct TlsaCombinationMatch {
  TlsaParameters parameters;
  std::size_t record_count = 0;
  std::size_t matching_count = 0;

  [[nodiscard]] bool matches() const { return matching_count > 0; }
};

struct TlsaMatchReport {
  std::vector<TlsaRecordMatch> records;            // in RRset order
  std::vector<TlsaCombinationMatch> combinations;  // usable combinations, sorted by parameters

  /// Some usable record matches. For PKIX usages this is necessary, not sufficient: see
  /// needs_pkix_validation.
  bool authenticates = false;
  /// Every matching record is PKIX-TA/PKIX-EE, so a client would also run PKIX validation,
  /// which this pure check does not do.
  bool needs_pkix_validation = false;
  /// RFC 7671 §8 operational rule: each usable combination present has a matching record.
  /// False for an RRset with no usable records.
  bool all_combinations_match = false;

  [[nodiscard]] std::size_t unusableCount() const;
};

/// Matches `rrset` against `served` (leaf first, as the server sends it).
TlsaMatchReport matchTlsaRecords(const CertificateChain& served, std::span<const TlsaRecord> rrset);

}  // namespace daneguard
