// What the rollover planner answers: the actions to execute in order, a phase and human reasons
// per service, and when to run again.
//
// Contract for the shell executing actions (docs/rollover.md "Executing a plan"):
// - RecordFact: merge into the state store (mergeRecordFact) before executing later actions.
// - PublishRecords: record ownership of the records FIRST, then send one add-only UPDATE.
//   A crash in between leaves an owned-but-absent record, which is harmless (only observed
//   records are ever retired).
// - Deploy: run the hook; on success record deployed = candidate. Hooks must be idempotent: a
//   crash after the hook but before the record makes the next run deploy again. With
//   already_served, only record deployed = candidate (a probe saw it served everywhere).
// - Verify: probe; on success record verified_id = candidate id.
// - RetireRecords: record-level deletes of exactly these records; on success drop ownership.
// After executing any action, observe and plan again; stop at the first failed action.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/rollover/record_history.hpp"
#include "core/tlsa/tlsa_record.hpp"

namespace daneguard {

enum class Phase {
  Idle,                 // candidate deployed, every wanted record visible, nothing to retire
  Publishing,           // adding missing records
  AwaitingVisibility,   // some server does not serve them yet (or its query failed)
  AwaitingCacheExpiry,  // visible everywhere; resolvers may still hold an older RRset
  Deploying,            // the hook is due
  Verifying,            // deployed, waiting for the probe to confirm it (or for its records)
  Retiring,             // removing owned records that match nothing deployed or staged
  Blocked,              // needs an operator: propagation timeout exceeded
};

std::string_view phaseName(Phase phase);

struct PublishRecords {
  std::string service;
  std::string owner;
  std::vector<TlsaRecord> records;
  std::chrono::seconds ttl{0};
};

struct Deploy {
  std::string service;
  std::string candidate_id;
  /// Every endpoint already serves the candidate (ServiceState::served_id): record it as
  /// deployed without running the hook.
  bool already_served = false;
};

struct Verify {
  std::string service;
  std::string candidate_id;
};

struct RetireRecords {
  std::string service;
  std::string owner;
  std::vector<TlsaRecord> records;
};

using RolloverAction = std::variant<RecordFact, PublishRecords, Deploy, Verify, RetireRecords>;

struct ServicePlan {
  std::string service;
  Phase phase = Phase::Idle;
  std::vector<std::string> reasons;  // one line each, naming owners, servers, TTLs and instants
  std::optional<std::chrono::sys_seconds> due;  // none when idle
};

struct RolloverPlan {
  std::vector<RolloverAction> actions;
  std::vector<ServicePlan> services;
  /// When to run again: now if actions were planned, the earliest wait otherwise, none if all
  /// services are idle.
  std::optional<std::chrono::sys_seconds> next_due;
};

}  // namespace daneguard
