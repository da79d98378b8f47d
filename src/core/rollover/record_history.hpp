// Facts the planner asks the state store to remember about one TLSA record at one owner name,
// and the one merge rule both the shell and the simulation apply to them.
//
// Why per record rather than per certificate: a staged next key's record may have been visible
// for weeks before its certificate exists, and key reuse brings back records seen long ago.
// Merges are monotone (longest TTL wins, first instant wins) so replaying a fact after a crash is
// harmless.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/tlsa/tlsa_record.hpp"

namespace daneguard {

struct RecordHistory {
  TlsaRecord record;
  /// Longest TTL of an RRset seen lacking the record: a resolver may hold that version so long.
  std::optional<std::chrono::seconds> longest_ttl_without;
  /// Negative TTL when a server was seen with no RRset at all (first enablement).
  std::optional<std::chrono::seconds> negative_ttl_without;
  /// First instant some server lacked it while it was wanted (starts the propagation timeout).
  std::optional<std::chrono::sys_seconds> missing_since;
  /// First instant every authoritative server served it at once (starts the cache window).
  std::optional<std::chrono::sys_seconds> visible_since;

  [[nodiscard]] bool exposureKnown() const {
    return longest_ttl_without.has_value() || negative_ttl_without.has_value();
  }
};

enum class FactKind {
  SeenLackingInRrset,  // ttl: an RRset without the record was served with this TTL
  SeenLackingNoRrset,  // ttl: a denial was served; cached for this negative TTL
  MissingSince,        // at: some server lacks the record
  VisibleSince,        // at: every server serves the record (clears missing_since)
  NoLongerVisible,     // a server lost the record again: clears visible_since
};

struct RecordFact {
  std::string service;
  std::string owner;
  TlsaRecord record;
  FactKind kind = FactKind::MissingSince;
  std::chrono::seconds ttl{0};
  std::chrono::sys_seconds at{};
};

/// Merges `fact` into `histories` (creating the record's entry if needed). Idempotent.
void mergeRecordFact(std::vector<RecordHistory>& histories, const RecordFact& fact);

/// The entry for `record`, or nullptr when nothing was recorded yet.
const RecordHistory* findHistory(const std::vector<RecordHistory>& histories,
                                 const TlsaRecord& record);

}  // namespace daneguard
