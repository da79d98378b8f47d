// The simulated shell: what app/ will do around the planner (observe every owner at every
// authority, plan, execute actions in order, record outcomes), with a crash injector that can
// stop it before or after any side effect. Only `RecordedState` survives a crash, like the
// SQLite state store; everything else is rebuilt on the next run.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/rollover/rollover_planner.hpp"
#include "sim/sim_world.hpp"

namespace daneguard::sim {

/// The state store: deployed/verified certificate, owned records, recorded facts.
struct RecordedState {
  std::string deployed_id;
  std::optional<std::string> verified_id;
  std::map<std::string, std::vector<TlsaRecord>> owned;
  std::map<std::string, std::vector<RecordHistory>> history;
};

struct SimulatedCrash : std::runtime_error {
  SimulatedCrash() : std::runtime_error("simulated crash") {}
};

/// Counts side-effect boundaries; throws SimulatedCrash at the chosen ones.
class CrashInjector {
 public:
  void crashAt(std::vector<std::uint64_t> boundaries) { crash_at_ = std::move(boundaries); }
  void boundary();
  [[nodiscard]] std::uint64_t count() const { return count_; }

 private:
  std::uint64_t count_ = 0;
  std::vector<std::uint64_t> crash_at_;
};

struct ServiceConfig {
  std::string name = "mail";
  std::vector<std::string> owners;
  bool with_issuer_records = false;          // publish 2 1 1 for the issuer next to 3 1 1
  std::vector<SimCertificate> certificates;  // by id, what the shell can load from disk
  std::string candidate_id;
  std::optional<int> next_key;
  /// What the shell would compute from each certificate file (and "next-key"), computed once.
  std::map<std::string, std::vector<TlsaRecord>> records;

  void computeRecords();
};

struct DriverStats {
  std::uint64_t runs = 0;
  std::uint64_t plans = 0;
  std::uint64_t actions = 0;
  std::uint64_t failed_actions = 0;
  std::uint64_t blocked_plans = 0;
};

class Driver {
 public:
  Driver(World& world, const ServiceConfig& service, const RolloverPolicy& policy,
         RecordedState& state, CrashInjector& crashes, DriverStats& stats)
      : world_(world),
        service_(service),
        policy_(policy),
        state_(state),
        crashes_(crashes),
        stats_(stats) {}

  /// One `daneguard run`: repeats observe/plan/execute until nothing is left to do now.
  /// Returns when to run again (none: finished). May throw SimulatedCrash.
  std::optional<Instant> run();

  /// When set, retiring deletes every unwanted record at the owner (DaneBot's "replace the
  /// RRset"): used to prove that the invariant checker notices foreign deletions.
  bool replace_whole_rrset = false;

 private:
  RolloverInput observe() const;
  CertificateRecords recordsFor(const std::string& certificate_id) const;
  bool execute(const RolloverAction& action);
  bool publish(const PublishRecords& action);
  bool retire(const RetireRecords& action);

  World& world_;
  const ServiceConfig& service_;
  const RolloverPolicy& policy_;
  RecordedState& state_;
  CrashInjector& crashes_;
  DriverStats& stats_;
};

}  // namespace daneguard::sim
