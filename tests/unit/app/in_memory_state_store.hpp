// A StateStore in memory for app tests: the port's semantics (mergeRecordFact merges, ownership
// sets, deploy history) without SQLite, and a count of writes so tests can prove that a dry run
// wrote nothing.
#pragma once

#include <map>
#include <string>

#include "ports/state_store.hpp"

namespace daneguard::testing {

class InMemoryStateStore final : public ports::StateStore {
 public:
  Result<ports::StoredService> loadService(std::string_view service) override;
  Result<void> recordFact(const RecordFact& fact) override;
  Result<void> addOwnedRecords(std::string_view service, std::string_view owner,
                               const std::vector<TlsaRecord>& records) override;
  Result<void> removeOwnedRecords(std::string_view service, std::string_view owner,
                                  const std::vector<TlsaRecord>& records) override;
  Result<void> recordDeployed(std::string_view service, const CertificateRecords& deployed,
                              std::chrono::sys_seconds at) override;
  Result<void> recordVerified(std::string_view service, std::string_view candidate_id,
                              std::chrono::sys_seconds at) override;
  Result<std::vector<ports::CompletedRollover>> rolloverHistory(std::string_view service) override;

  [[nodiscard]] int writes() const { return writes_; }

 private:
  ports::StoredService& entry(std::string_view service);

  std::map<std::string, ports::StoredService, std::less<>> services_;
  std::vector<ports::CompletedRollover> history_;
  int writes_ = 0;
};

}  // namespace daneguard::testing
