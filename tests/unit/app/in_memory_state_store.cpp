// In-memory StateStore for tests (see the header).
#include "unit/app/in_memory_state_store.hpp"

#include <algorithm>

namespace daneguard::testing {

ports::StoredService& InMemoryStateStore::entry(std::string_view service) {
  auto found = services_.find(service);
  if (found == services_.end()) {
    found = services_.emplace(std::string(service), ports::StoredService{}).first;
    found->second.name = std::string(service);
  }
  return found->second;
}

Result<ports::StoredService> InMemoryStateStore::loadService(std::string_view service) {
  if (const auto found = services_.find(service); found != services_.end()) return found->second;
  ports::StoredService empty;
  empty.name = std::string(service);
  return empty;
}

Result<void> InMemoryStateStore::recordFact(const RecordFact& fact) {
  ++writes_;
  mergeRecordFact(entry(fact.service).history[fact.owner], fact);
  return {};
}

Result<void> InMemoryStateStore::addOwnedRecords(std::string_view service, std::string_view owner,
                                                 const std::vector<TlsaRecord>& records) {
  ++writes_;
  auto& owned = entry(service).owned[std::string(owner)];
  for (const TlsaRecord& record : records)
    if (std::find(owned.begin(), owned.end(), record) == owned.end()) owned.push_back(record);
  return {};
}

Result<void> InMemoryStateStore::removeOwnedRecords(std::string_view service,
                                                    std::string_view owner,
                                                    const std::vector<TlsaRecord>& records) {
  ++writes_;
  auto& owned = entry(service).owned[std::string(owner)];
  std::erase_if(owned, [&](const TlsaRecord& record) {
    return std::find(records.begin(), records.end(), record) != records.end();
  });
  return {};
}

Result<void> InMemoryStateStore::recordDeployed(std::string_view service,
                                                const CertificateRecords& deployed,
                                                std::chrono::sys_seconds at) {
  ++writes_;
  ports::StoredService& stored = entry(service);
  history_.push_back({std::string(service), stored.deployed.id, deployed.id, at});
  stored.deployed = deployed;
  stored.deployed_at = at;
  stored.verified_id.reset();
  return {};
}

Result<void> InMemoryStateStore::recordVerified(std::string_view service,
                                                std::string_view candidate_id,
                                                std::chrono::sys_seconds /*at*/) {
  ++writes_;
  entry(service).verified_id = std::string(candidate_id);
  return {};
}

Result<std::vector<ports::CompletedRollover>> InMemoryStateStore::rolloverHistory(
    std::string_view service) {
  std::vector<ports::CompletedRollover> out;
  for (const auto& rollover : history_)
    if (service.empty() || rollover.service == service) out.push_back(rollover);
  return out;
}

}  // namespace daneguard::testing
