// What daneguard remembers between runs, per service: the facts the planner asked to record
// (record_history.hpp), which records daneguard owns at which owner name, what was deployed and
// verified, and a history of completed rollovers.
//
// Every mutating call is its own durable transaction: when it returns Ok the change survives a
// crash or power loss; when it fails nothing changed. Calls are cheap enough to make one per
// action. The store does not lock against other processes: the app holds the state directory's
// LockFile (adapters/files/lock_file.hpp) for the whole run.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/rollover/record_history.hpp"
#include "core/rollover/rollover_input.hpp"
#include "core/tlsa/tlsa_record.hpp"

namespace daneguard::ports {

/// Everything recorded about one service; a service never seen before loads as all-empty.
struct StoredService {
  std::string name;
  CertificateRecords deployed;  // id empty: nothing deployed by daneguard yet
  std::optional<std::chrono::sys_seconds> deployed_at;
  std::optional<std::string> verified_id;
  std::map<std::string, std::vector<TlsaRecord>, std::less<>> owned;       // by owner name
  std::map<std::string, std::vector<RecordHistory>, std::less<>> history;  // by owner name
};

struct CompletedRollover {
  std::string service;
  std::string from_id;  // empty for the first deployment
  std::string to_id;
  std::chrono::sys_seconds deployed_at{};
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  virtual Result<StoredService> loadService(std::string_view service) = 0;

  /// Merges with mergeRecordFact semantics (monotone, idempotent).
  virtual Result<void> recordFact(const RecordFact& fact) = 0;

  /// Ownership is recorded BEFORE an UPDATE adds the records, and dropped after the UPDATE that
  /// deletes them succeeded (rollover_plan.hpp explains why this order is crash-safe).
  virtual Result<void> addOwnedRecords(std::string_view service, std::string_view owner,
                                       const std::vector<TlsaRecord>& records) = 0;
  virtual Result<void> removeOwnedRecords(std::string_view service, std::string_view owner,
                                          const std::vector<TlsaRecord>& records) = 0;

  /// Records a successful deploy (clears verified_id) and appends a CompletedRollover.
  virtual Result<void> recordDeployed(std::string_view service, const CertificateRecords& deployed,
                                      std::chrono::sys_seconds at) = 0;
  virtual Result<void> recordVerified(std::string_view service, std::string_view candidate_id,
                                      std::chrono::sys_seconds at) = 0;

  /// Completed rollovers, oldest first; all services when `service` is empty.
  virtual Result<std::vector<CompletedRollover>> rolloverHistory(std::string_view service) = 0;
};

}  // namespace daneguard::ports
