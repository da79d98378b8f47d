#include "sim/sim_driver.hpp"

#include <algorithm>
#include <type_traits>

namespace daneguard::sim {

void CrashInjector::boundary() {
  ++count_;
  if (std::ranges::find(crash_at_, count_) != crash_at_.end()) throw SimulatedCrash();
}

void ServiceConfig::computeRecords() {
  records.clear();
  for (const SimCertificate& certificate : certificates) {
    std::vector<TlsaRecord>& wanted = records[certificate.id];
    wanted.push_back(daneEeRecord(certificate.key));
    if (with_issuer_records) wanted.push_back(daneTaRecord(certificate.issuer));
  }
  if (next_key) records["next-key"] = {daneEeRecord(*next_key)};
}

CertificateRecords Driver::recordsFor(const std::string& certificate_id) const {
  const auto found = service_.records.find(certificate_id);
  return found == service_.records.end() ? CertificateRecords{}
                                         : CertificateRecords{certificate_id, found->second};
}

RolloverInput Driver::observe() const {
  ServiceState service;
  service.name = service_.name;
  service.deployed = recordsFor(state_.deployed_id);
  service.candidate = recordsFor(service_.candidate_id);
  if (service_.next_key) service.next_key = recordsFor("next-key");
  service.verified_id = state_.verified_id;
  const std::size_t authorities = world_.authorities().size();
  for (const std::string& name : service_.owners) {
    OwnerState owner;
    owner.owner = name;
    owner.soa = world_.soa();
    for (std::size_t a = 0; a < authorities; ++a)
      owner.answers.push_back(world_.query(a, name));
    if (auto owned = state_.owned.find(name); owned != state_.owned.end())
      owner.owned = owned->second;
    if (auto history = state_.history.find(name); history != state_.history.end())
      owner.history = history->second;
    service.owners.push_back(std::move(owner));
  }
  RolloverInput input;
  input.services.push_back(std::move(service));
  input.policy = policy_;
  input.now = world_.now();
  return input;
}

std::optional<Instant> Driver::run() {
  ++stats_.runs;
  for (int round = 0; round < 16; ++round) {
    const RolloverPlan plan = planRollover(observe());
    ++stats_.plans;
    if (plan.services.at(0).phase == Phase::Blocked) ++stats_.blocked_plans;
    if (plan.actions.empty()) return plan.next_due;
    for (const RolloverAction& action : plan.actions) {
      ++stats_.actions;
      if (!execute(action)) {
        ++stats_.failed_actions;
        return world_.now() + policy_.poll_interval;  // a failed step is retried next run
      }
    }
  }
  return world_.now() + policy_.poll_interval;
}

bool Driver::execute(const RolloverAction& action) {
  return std::visit(
      [&](const auto& typed) -> bool {
        using T = std::decay_t<decltype(typed)>;
        if constexpr (std::is_same_v<T, RecordFact>) {
          crashes_.boundary();
          mergeRecordFact(state_.history[typed.owner], typed);
          crashes_.boundary();
          return true;
        } else if constexpr (std::is_same_v<T, PublishRecords>) {
          return publish(typed);
        } else if constexpr (std::is_same_v<T, RetireRecords>) {
          return retire(typed);
        } else if constexpr (std::is_same_v<T, Deploy>) {
          crashes_.boundary();
          if (!world_.runDeployHook(typed.candidate_id)) return false;
          crashes_.boundary();
          state_.deployed_id = typed.candidate_id;
          crashes_.boundary();
          return true;
        } else {
          static_assert(std::is_same_v<T, Verify>);
          crashes_.boundary();
          if (world_.probeServed() != typed.candidate_id) return false;
          state_.verified_id = typed.candidate_id;
          crashes_.boundary();
          return true;
        }
      },
      action);
}

bool Driver::publish(const PublishRecords& action) {
  crashes_.boundary();
  // Ownership first: a crash after this line leaves owned-but-absent records, which are harmless.
  std::vector<TlsaRecord>& owned = state_.owned[action.owner];
  for (const TlsaRecord& record : action.records)
    if (std::ranges::find(owned, record) == owned.end()) owned.push_back(record);
  world_.markDaneguardPublished(action.owner, action.records);
  crashes_.boundary();
  const UpdateOutcome outcome = world_.update(action.owner, action.records, {}, action.ttl);
  crashes_.boundary();
  return outcome == UpdateOutcome::Applied;  // ambiguous: the next observation tells
}

bool Driver::retire(const RetireRecords& action) {
  std::vector<TlsaRecord> remove = action.records;
  if (replace_whole_rrset) {
    const CertificateRecords wanted = recordsFor(service_.candidate_id);
    for (const TlsaRecord& record : world_.primaryRrset(action.owner).records)
      if (std::ranges::find(wanted.records, record) == wanted.records.end() &&
          std::ranges::find(remove, record) == remove.end())
        remove.push_back(record);
  }
  crashes_.boundary();
  const UpdateOutcome outcome = world_.update(action.owner, {}, remove, Duration{0});
  crashes_.boundary();
  if (outcome != UpdateOutcome::Applied) return false;
  std::erase_if(state_.owned[action.owner], [&](const TlsaRecord& record) {
    return std::ranges::find(action.records, record) != action.records.end();
  });
  crashes_.boundary();
  return true;
}

}  // namespace daneguard::sim
